package ironwal_test

import (
	"errors"
	"runtime"
	"testing"
	"time"

	ironwal "github.com/ironwal/ironwal/bindings/go"
)

// reopenAfterGC collects garbage until open stops failing with ErrLocked, i.e. until
// the finalizer of a leaked handle has released the directory.
func reopenAfterGC(t *testing.T, open func() (func() error, error)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		runtime.GC()
		closeIt, err := open()
		if err == nil {
			closeIt()
			return
		}
		if !errors.Is(err, ironwal.ErrLocked) {
			t.Fatalf("reopen: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("a leaked handle still holds the directory: its finalizer did not close it")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func reopenWAL(dir string) func() (func() error, error) {
	return func() (func() error, error) {
		w, err := ironwal.Open(dir)
		if err != nil {
			return nil, err
		}
		return w.Close, nil
	}
}

// leakWAL opens a WAL with an iterator half-way and drops both without Close: their
// finalizers run in any order.
//
//go:noinline
func leakWAL(t *testing.T, dir string) {
	w, err := ironwal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, w, "s", []byte("leaked"))
	mustAppend(t, w, "s", []byte("leaked too"))
	it, err := w.Iter("s", 0)
	if err != nil || !it.Next() {
		t.Fatalf("Iter: %v", err)
	}
}

func TestFinalizerClosesALeakedWAL(t *testing.T) {
	dir := t.TempDir()
	leakWAL(t, dir)
	reopenAfterGC(t, reopenWAL(dir))
	w := open(t, dir)
	mustGet(t, w, "s", 1, []byte("leaked too"))
}

// leakTxn leaves a transaction that holds dir after its WAL was closed.
//
//go:noinline
func leakTxn(t *testing.T, dir string) {
	w, err := ironwal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	txn, err := w.Begin("s")
	if err != nil {
		t.Fatal(err)
	}
	if err := txn.Add([]byte("discarded")); err != nil {
		t.Fatal(err)
	}
}

func TestFinalizerClosesALeakedTxn(t *testing.T) {
	dir := t.TempDir()
	leakTxn(t, dir)
	reopenAfterGC(t, reopenWAL(dir))
	w := open(t, dir)
	_, next, err := w.Bounds("s")
	if err != nil && !errors.Is(err, ironwal.ErrNotFound) {
		t.Fatal(err)
	}
	if next != 0 {
		t.Fatalf("a leaked, uncommitted transaction wrote %d entries", next)
	}
}

//go:noinline
func leakSharded(t *testing.T, dir string) {
	s, err := ironwal.OpenSharded(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Iter(0, 0); err != nil {
		t.Fatal(err)
	}
}

func TestFinalizerClosesALeakedSharded(t *testing.T) {
	dir := t.TempDir()
	leakSharded(t, dir)
	reopenAfterGC(t, func() (func() error, error) {
		s, err := ironwal.OpenSharded(dir, 2)
		if err != nil {
			return nil, err
		}
		return s.Close, nil
	})
}
