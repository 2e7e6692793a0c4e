package ironwal_test

import (
	"bytes"
	"errors"
	"regexp"
	"testing"

	ironwal "github.com/ironwal/ironwal/bindings/go"
)

func TestVersionMatchesHeader(t *testing.T) {
	v := ironwal.Version()
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Fatalf("Version() = %q, want MAJOR.MINOR.PATCH", v)
	}
	if v != ironwal.HeaderVersion {
		t.Fatalf("library %s, header %s", v, ironwal.HeaderVersion)
	}
}

func TestAppendGetRoundTrip(t *testing.T) {
	w := open(t, t.TempDir())
	big := bytes.Repeat([]byte("0123456789abcdef\x00"), 1<<16) // > 1 MiB
	entries := [][]byte{[]byte("first"), {}, []byte("a\x00b\x00"), big, value("x", 7)}
	for i, e := range entries {
		if id := mustAppend(t, w, "events", e); id != uint64(i) {
			t.Fatalf("entry %d got id %d", i, id)
		}
	}
	for i, e := range entries {
		mustGet(t, w, "events", uint64(i), e)
	}
	// Streams are independent: each starts at id 0.
	if id := mustAppend(t, w, "other/stream", []byte("o")); id != 0 {
		t.Fatalf("first id of a new stream = %d", id)
	}
	mustGet(t, w, "other/stream", 0, []byte("o"))
	// Get returns a copy the caller owns.
	got, _ := w.Get("events", 0)
	got[0] = 'X'
	mustGet(t, w, "events", 0, []byte("first"))
}

func TestAppendBatch(t *testing.T) {
	w := open(t, t.TempDir())
	mustAppend(t, w, "s", []byte("single"))
	batch := make([][]byte, 100)
	for i := range batch {
		batch[i] = value("batch", i)
	}
	first, err := w.AppendBatch("s", batch)
	if err != nil || first != 1 {
		t.Fatalf("AppendBatch = %d, %v; want 1", first, err)
	}
	for i, e := range batch {
		mustGet(t, w, "s", first+uint64(i), e)
	}
	// An empty batch writes nothing and returns the next id.
	next, err := w.AppendBatch("s", nil)
	if err != nil || next != 101 {
		t.Fatalf("empty AppendBatch = %d, %v; want 101", next, err)
	}
	// A batch of empty entries.
	first, err = w.AppendBatch("s", [][]byte{{}, nil, {}})
	if err != nil || first != 101 {
		t.Fatalf("AppendBatch of empty entries = %d, %v", first, err)
	}
	mustGet(t, w, "s", 103, []byte{})
	if _, next, _ := w.Bounds("s"); next != 104 {
		t.Fatalf("next id %d after the batches, want 104", next)
	}
}

func TestGetInto(t *testing.T) {
	w := open(t, t.TempDir())
	mustAppend(t, w, "s", []byte("twelve bytes"))
	dst := make([]byte, 64)
	n, err := w.GetInto("s", 0, dst)
	if err != nil || string(dst[:n]) != "twelve bytes" {
		t.Fatalf("GetInto = %d %q, %v", n, dst[:n], err)
	}
	small := []byte("abc")
	n, err = w.GetInto("s", 0, small)
	wantErr(t, "GetInto a short buffer", err, ironwal.ErrBufferTooSmall)
	if n != 12 || string(small) != "abc" {
		t.Fatalf("short buffer: needed %d (want 12), buffer now %q", n, small)
	}
	_, err = w.GetInto("s", 1, dst)
	wantErr(t, "GetInto a missing id", err, ironwal.ErrNotFound)
}

func TestBounds(t *testing.T) {
	w := open(t, t.TempDir())
	_, _, err := w.Bounds("missing")
	wantErr(t, "Bounds of a missing stream", err, ironwal.ErrNotFound)
	for i := 0; i < 5; i++ {
		mustAppend(t, w, "s", value("s", i))
	}
	first, next, err := w.Bounds("s")
	if err != nil || first != 0 || next != 5 {
		t.Fatalf("Bounds = %d..%d, %v; want 0..5", first, next, err)
	}
}

func TestTruncate(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir, ironwal.WithMaxSegmentSize(512), ironwal.WithSyncMode(ironwal.SyncAsync))
	const n = 300
	for i := 0; i < n; i++ {
		mustAppend(t, w, "log", value("log", i))
	}
	deleted, err := w.Truncate("log", 200)
	if err != nil || deleted == 0 {
		t.Fatalf("Truncate = %d, %v; want segments deleted", deleted, err)
	}
	first, next, err := w.Bounds("log")
	if err != nil || first == 0 || first > 200 || next != n {
		t.Fatalf("Bounds after truncate = %d..%d, %v", first, next, err)
	}
	_, err = w.Get("log", 0)
	wantErr(t, "Get of a truncated id", err, ironwal.ErrNotFound)
	it, err := w.Iter("log", 0)
	if err != nil {
		t.Fatal(err)
	}
	ids, values := drain(t, it)
	if len(ids) != int(n-first) || ids[0] != first {
		t.Fatalf("iterating from 0 after truncate: %d entries from %v, want %d from %d", len(ids), ids[:1], n-first, first)
	}
	for k, id := range ids {
		if !bytes.Equal(values[k], value("log", int(id))) {
			t.Fatalf("entry %d after truncate = %q", id, values[k])
		}
	}
	// Ids are never reused after a truncate.
	if id := mustAppend(t, w, "log", []byte("after")); id != n {
		t.Fatalf("append after truncate got id %d, want %d", id, n)
	}
	// A missing stream deletes nothing.
	if deleted, err := w.Truncate("missing", 10); err != nil || deleted != 0 {
		t.Fatalf("Truncate of a missing stream = %d, %v", deleted, err)
	}
}

func TestSyncAndSyncAll(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir, ironwal.WithSyncMode(ironwal.SyncAsync))
	mustAppend(t, w, "a", []byte("one"))
	mustAppend(t, w, "b", []byte("two"))
	if err := w.Sync("a"); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if err := w.SyncAll(); err != nil {
		t.Fatalf("SyncAll: %v", err)
	}
	wantErr(t, "Sync of a missing stream", w.Sync("missing"), ironwal.ErrStreamNotFound)
	w.Close()
	w = open(t, dir)
	mustGet(t, w, "a", 0, []byte("one"))
	mustGet(t, w, "b", 0, []byte("two"))
}

func TestTxn(t *testing.T) {
	w := open(t, t.TempDir())
	mustAppend(t, w, "s", []byte("before"))
	txn, err := w.Begin("s")
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Close()
	for i := 0; i < 3; i++ {
		if err := txn.Add(value("txn", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, next, _ := w.Bounds("s"); next != 1 {
		t.Fatalf("added entries are visible before Commit (next id %d)", next)
	}
	first, count, err := txn.Commit()
	if err != nil || first != 1 || count != 3 {
		t.Fatalf("Commit = %d, %d, %v; want 1, 3", first, count, err)
	}
	for i := 0; i < 3; i++ {
		mustGet(t, w, "s", first+uint64(i), value("txn", i))
	}
	_, _, err = txn.Commit()
	wantErr(t, "second Commit", err, ironwal.ErrAlreadyUsed)
	wantErr(t, "Add after Commit", txn.Add([]byte("late")), ironwal.ErrAlreadyUsed)

	// Close without Commit discards; an empty commit gives the next id and 0.
	discarded, _ := w.Begin("s")
	discarded.Add([]byte("never"))
	discarded.Close()
	empty, _ := w.Begin("s")
	defer empty.Close()
	first, count, err = empty.Commit()
	if err != nil || first != 4 || count != 0 {
		t.Fatalf("empty Commit = %d, %d, %v; want 4, 0", first, count, err)
	}
}

func TestOptionsAreAppliedAndKeptAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	opts := []ironwal.Option{
		ironwal.WithSyncMode(ironwal.SyncBatchOnly),
		ironwal.WithCompression(ironwal.CompressionLZ4),
		ironwal.WithMinCompressionSize(16),
		ironwal.WithReadStrategy(ironwal.ReadMmap),
		ironwal.WithMaxSegmentSize(4096),
		ironwal.WithMaxEntriesPerSegment(10),
		ironwal.WithMaxOpenSegments(2),
		ironwal.WithBlockCacheSize(1 << 20),
		ironwal.WithReadBufferSize(1024),
		ironwal.WithCorruptionPolicy(ironwal.CorruptionError),
	}
	w := open(t, dir, opts...)
	compressible := bytes.Repeat([]byte("compress me "), 200)
	for i := 0; i < 50; i++ {
		mustAppend(t, w, "s", append(compressible, value("s", i)...))
	}
	w.Close()
	w = open(t, dir, opts...)
	// 10 entries per segment: reading them all crosses 5 segments with 2 open files.
	for i := 0; i < 50; i++ {
		mustGet(t, w, "s", uint64(i), append(compressible, value("s", i)...))
	}
}

func TestRejectedOptions(t *testing.T) {
	cases := map[string]ironwal.Option{
		"unknown sync mode":    ironwal.WithSyncMode(ironwal.SyncMode(7)),
		"unknown compression":  ironwal.WithCompression(ironwal.Compression(-1)),
		"unknown strategy":     ironwal.WithReadStrategy(ironwal.ReadStrategy(9)),
		"unknown policy":       ironwal.WithCorruptionPolicy(ironwal.CorruptionPolicy(5)),
		"zero segment size":    ironwal.WithMaxSegmentSize(0),
		"zero entries":         ironwal.WithMaxEntriesPerSegment(0),
		"zero open segments":   ironwal.WithMaxOpenSegments(0),
		"negative open":        ironwal.WithMaxOpenSegments(-1),
		"zero read buffer":     ironwal.WithReadBufferSize(0),
		"negative compression": ironwal.WithMinCompressionSize(-5),
	}
	for name, opt := range cases {
		dir := t.TempDir()
		w, err := ironwal.Open(dir, opt)
		if err == nil {
			w.Close()
			t.Fatalf("%s: Open succeeded", name)
		}
		wantErr(t, name, err, ironwal.ErrInvalidArgument)
		var e *ironwal.Error
		if !errors.As(err, &e) || e.Message == "" {
			t.Fatalf("%s: %v has no message", name, err)
		}
	}
}
