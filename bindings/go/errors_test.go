package ironwal_test

import (
	"errors"
	"strings"
	"testing"

	ironwal "github.com/ironwal/ironwal/bindings/go"
)

func TestNotFound(t *testing.T) {
	w := open(t, t.TempDir())
	_, err := w.Get("missing", 0)
	wantErr(t, "Get from a missing stream", err, ironwal.ErrNotFound)
	mustAppend(t, w, "s", []byte("x"))
	_, err = w.Get("s", 1)
	wantErr(t, "Get past the end", err, ironwal.ErrNotFound)
	var e *ironwal.Error
	if !errors.As(err, &e) || e.Code != ironwal.StatusNotFound || e.Op != "Get" {
		t.Fatalf("Get past the end: %#v", err)
	}
	if errors.Is(err, ironwal.ErrInvalidArgument) || errors.Is(err, ironwal.ErrStreamNotFound) {
		t.Fatalf("%v matches another status's sentinel", err)
	}
}

func TestInvalidArgument(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir)
	_, err := w.Append("", []byte("x"))
	wantErr(t, "Append to an empty stream name", err, ironwal.ErrInvalidArgument)
	var e *ironwal.Error
	if !errors.As(err, &e) || e.Message == "" || e.Op != "Append" {
		t.Fatalf("no message from the library: %#v", err)
	}
	_, err = w.Append("a\x00b", []byte("x"))
	wantErr(t, "Append to a name with a NUL", err, ironwal.ErrInvalidArgument)
	_, err = w.AppendBatch("", [][]byte{[]byte("x")})
	wantErr(t, "AppendBatch to an empty stream name", err, ironwal.ErrInvalidArgument)
	_, err = ironwal.Open("")
	wantErr(t, "Open of an empty path", err, ironwal.ErrInvalidArgument)
	// Nothing was created by the rejected calls.
	if _, _, err := w.Bounds("a"); !errors.Is(err, ironwal.ErrNotFound) {
		t.Fatalf("stream \"a\" exists after a rejected name: %v", err)
	}
}

func TestLockedBySecondOpen(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir)
	mustAppend(t, w, "s", []byte("held"))
	_, err := ironwal.Open(dir)
	wantErr(t, "second Open of one directory", err, ironwal.ErrLocked)
	var e *ironwal.Error
	if !errors.As(err, &e) || e.Code != ironwal.StatusLocked || e.Message == "" {
		t.Fatalf("locked error without code or message: %#v", err)
	}
	if !strings.Contains(err.Error(), "IRONWAL_ERR_LOCKED") {
		t.Fatalf("error text %q does not name the status", err)
	}
	_, err = ironwal.OpenSharded(dir, 2)
	wantErr(t, "OpenSharded of a locked directory", err, ironwal.ErrLocked)
	w.Close()
	w2 := open(t, dir)
	mustGet(t, w2, "s", 0, []byte("held"))
}

func TestStatusNamesComeFromTheLibrary(t *testing.T) {
	statuses := map[ironwal.Status]string{
		ironwal.StatusOK:                 "IRONWAL_OK",
		ironwal.StatusNotFound:           "IRONWAL_NOT_FOUND",
		ironwal.StatusInvalidArgument:    "IRONWAL_ERR_INVALID_ARGUMENT",
		ironwal.StatusLocked:             "IRONWAL_ERR_LOCKED",
		ironwal.StatusShardCountMismatch: "IRONWAL_ERR_SHARD_COUNT_MISMATCH",
		ironwal.StatusPanic:              "IRONWAL_ERR_PANIC",
	}
	for status, name := range statuses {
		if status.String() != name {
			t.Errorf("Status(%d).String() = %q, want %q", int32(status), status.String(), name)
		}
	}
	if got := ironwal.ErrLocked.Error(); got != "ironwal: IRONWAL_ERR_LOCKED" {
		t.Errorf("ErrLocked.Error() = %q", got)
	}
}

func TestCloseTwiceAndUseAfterClose(t *testing.T) {
	w, err := ironwal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, w, "s", []byte("x"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = w.Append("s", []byte("y"))
	wantErr(t, "Append", err, ironwal.ErrClosed)
	_, err = w.AppendBatch("s", [][]byte{[]byte("y")})
	wantErr(t, "AppendBatch", err, ironwal.ErrClosed)
	_, err = w.Get("s", 0)
	wantErr(t, "Get", err, ironwal.ErrClosed)
	_, err = w.GetInto("s", 0, make([]byte, 8))
	wantErr(t, "GetInto", err, ironwal.ErrClosed)
	_, _, err = w.Bounds("s")
	wantErr(t, "Bounds", err, ironwal.ErrClosed)
	_, err = w.Truncate("s", 1)
	wantErr(t, "Truncate", err, ironwal.ErrClosed)
	wantErr(t, "Sync", w.Sync("s"), ironwal.ErrClosed)
	wantErr(t, "SyncAll", w.SyncAll(), ironwal.ErrClosed)
	_, err = w.Iter("s", 0)
	wantErr(t, "Iter", err, ironwal.ErrClosed)
	_, err = w.Begin("s")
	wantErr(t, "Begin", err, ironwal.ErrClosed)
}

func TestIteratorAndTxnOutliveTheirWAL(t *testing.T) {
	dir := t.TempDir()
	w, err := ironwal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		mustAppend(t, w, "s", value("s", i))
	}
	it, err := w.Iter("s", 3)
	if err != nil {
		t.Fatal(err)
	}
	txn, err := w.Begin("s")
	if err != nil {
		t.Fatal(err)
	}
	w.Close()

	ids, values := drain(t, it)
	if len(ids) != 7 || ids[0] != 3 || string(values[6]) != string(value("s", 9)) {
		t.Fatalf("iterator after its WAL closed: ids %v", ids)
	}
	if it.Next() || it.Err() != ironwal.ErrClosed {
		t.Fatalf("Next after Close: Err() = %v, want ErrClosed", it.Err())
	}
	if err := txn.Add([]byte("late")); err != nil {
		t.Fatal(err)
	}
	// An uncommitted transaction holds the directory.
	_, err = ironwal.Open(dir)
	wantErr(t, "Open while a Txn is pending", err, ironwal.ErrLocked)
	first, count, err := txn.Commit()
	if err != nil || first != 10 || count != 1 {
		t.Fatalf("Commit after its WAL closed = %d, %d, %v", first, count, err)
	}
	txn.Close()
	txn.Close()
	wantErr(t, "Add after Close", txn.Add([]byte("x")), ironwal.ErrClosed)
	w = open(t, dir)
	mustGet(t, w, "s", 10, []byte("late"))
}
