package ironwal_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	ironwal "github.com/ironwal/ironwal/bindings/go"
)

// value is the deterministic entry number i under tag: varied lengths (0 for every
// 9th), NUL and high bytes included, so a mix-up of entries or a cut at a NUL shows.
func value(tag string, i int) []byte {
	if i%9 == 4 {
		return []byte{}
	}
	v := []byte(fmt.Sprintf("%s#%d:", tag, i))
	for k := 0; k < i%13; k++ {
		v = append(v, byte(k*37), 0)
	}
	return v
}

// open opens a WAL in dir and closes it when the test ends.
func open(t *testing.T, dir string, opts ...ironwal.Option) *ironwal.WAL {
	t.Helper()
	w, err := ironwal.Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func mustAppend(t *testing.T, w *ironwal.WAL, stream string, entry []byte) uint64 {
	t.Helper()
	id, err := w.Append(stream, entry)
	if err != nil {
		t.Fatalf("Append(%q): %v", stream, err)
	}
	return id
}

func mustGet(t *testing.T, w *ironwal.WAL, stream string, id uint64, want []byte) {
	t.Helper()
	got, err := w.Get(stream, id)
	if err != nil {
		t.Fatalf("Get(%q, %d): %v", stream, id, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q, %d) = %q, want %q", stream, id, got, want)
	}
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// drain reads an iterator to its end and closes it: the ids and values it yielded.
func drain(t *testing.T, it *ironwal.Iterator) ([]uint64, [][]byte) {
	t.Helper()
	defer it.Close()
	var ids []uint64
	var values [][]byte
	for it.Next() {
		ids = append(ids, it.ID())
		values = append(values, it.Value())
	}
	if err := it.Err(); err != nil {
		t.Fatalf("iterator: %v", err)
	}
	return ids, values
}
