// Package ironwal is the Go binding of IronWal, an embeddable write-ahead log, built
// with cgo on its C API (include/ironwal.h).
//
// # Building
//
// The package compiles against the header in the repository's include/ directory and
// links with -lironwal. Build the library (cargo build --release, which writes
// target/release/libironwal.so) and tell cgo where it is:
//
//	export CGO_ENABLED=1
//	export CGO_LDFLAGS="-L/path/to/ironwal/target/release -Wl,-rpath,/path/to/ironwal/target/release"
//	go build ./...
//
// # Use
//
//	w, err := ironwal.Open("/var/lib/app/wal", ironwal.WithSyncMode(ironwal.SyncBatchOnly))
//	if err != nil { ... }
//	defer w.Close()
//	id, err := w.Append("orders", []byte("order 1"))
//	first, err := w.AppendBatch("orders", [][]byte{a, b, c}) // ids first, first+1, first+2
//	value, err := w.Get("orders", id)                       // ErrNotFound if absent
//	it, err := w.Iter("orders", 0)
//	defer it.Close()
//	for it.Next() { use(it.ID(), it.Value()) }
//	err = it.Err()
//
// # Errors
//
// Failed calls return an *Error carrying the C status code (Code), the method (Op) and
// the library's message (ironwal_last_error). Each status has a sentinel, so
// errors.Is(err, ironwal.ErrNotFound), errors.Is(err, ironwal.ErrLocked), ... work.
// A method called on a closed handle returns ErrClosed.
//
// # Handles and goroutines
//
// WAL and Sharded may be used by many goroutines at once (the C handles are
// thread-safe); Close waits for calls in flight and is idempotent. Iterator and Txn
// serialize their own calls, so they too may be shared, one call at a time. Close every
// handle: a handle that becomes unreachable without Close is closed by a finalizer, as
// a safety net only (until then it holds the WAL's directory lock). Iterators and
// transactions stay usable after their WAL is closed, and a pending Txn keeps the
// directory locked until it is committed or closed.
package ironwal
