package ironwal_test

import (
	"bytes"
	"testing"

	ironwal "github.com/ironwal/ironwal/bindings/go"
)

// checkRun fails unless ids are from..to-1 in order with the values of value(tag, id).
func checkRun(t *testing.T, ids []uint64, values [][]byte, tag string, from, to uint64) {
	t.Helper()
	if uint64(len(ids)) != to-from {
		t.Fatalf("iterated %d entries, want %d (ids %d..%d)", len(ids), to-from, from, to)
	}
	for k, id := range ids {
		if id != from+uint64(k) {
			t.Fatalf("entry %d has id %d, want %d", k, id, from+uint64(k))
		}
		if !bytes.Equal(values[k], value(tag, int(id))) {
			t.Fatalf("entry %d = %q, want %q", id, values[k], value(tag, int(id)))
		}
	}
}

func TestIterManyEntriesAcrossSegmentsAndReopen(t *testing.T) {
	dir := t.TempDir()
	opts := []ironwal.Option{ironwal.WithSyncMode(ironwal.SyncAsync), ironwal.WithMaxSegmentSize(8192)}
	w := open(t, dir, opts...)
	const n = 5000
	batch := make([][]byte, 0, 100)
	for i := 0; i < n; i++ {
		batch = append(batch, value("it", i))
		if len(batch) == cap(batch) {
			if _, err := w.AppendBatch("it", batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	it, err := w.Iter("it", 0)
	if err != nil {
		t.Fatal(err)
	}
	ids, values := drain(t, it)
	checkRun(t, ids, values, "it", 0, n)

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = open(t, dir, opts...)
	for _, from := range []uint64{0, 1, 2500, n - 1, n, n + 10} {
		it, err := w.Iter("it", from)
		if err != nil {
			t.Fatal(err)
		}
		ids, values := drain(t, it)
		if from >= n {
			checkRun(t, ids, values, "it", 0, 0)
		} else {
			checkRun(t, ids, values, "it", from, n)
		}
	}
}

func TestIterMissingStreamIsAtItsEnd(t *testing.T) {
	w := open(t, t.TempDir())
	it, err := w.Iter("missing", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if it.Next() || it.Err() != nil {
		t.Fatalf("iterator of a missing stream: Next true or Err %v", it.Err())
	}
}

func TestIterSeesLaterAppendsAndValuesAreCopies(t *testing.T) {
	w := open(t, t.TempDir())
	mustAppend(t, w, "s", []byte("zero"))
	it, err := w.Iter("s", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if !it.Next() || it.ID() != 0 {
		t.Fatalf("first Next: id %d, err %v", it.ID(), it.Err())
	}
	kept := it.Value()
	if it.Next() {
		t.Fatal("Next past the last entry")
	}
	mustAppend(t, w, "s", []byte("one"))
	if !it.Next() || it.ID() != 1 || string(it.Value()) != "one" {
		t.Fatalf("entry appended after the end: id %d %q, err %v", it.ID(), it.Value(), it.Err())
	}
	if string(kept) != "zero" {
		t.Fatalf("a value kept across Next changed to %q", kept)
	}
}
