package ironwal

// #include "ironwal.h"
import "C"

import (
	"errors"
	"runtime"
	"sync"
)

// WAL is an open write-ahead log: named streams of entries with dense ids from 0.
// It may be used by many goroutines at once. Close it when done.
type WAL struct {
	// mu is read-held by every call on h and write-held by Close, so Close waits for
	// calls in flight and no call sees a freed handle.
	mu sync.RWMutex
	h  *C.ironwal_wal
}

// Open opens (creating if needed) the WAL in dir and recovers every stream. It fails
// with ErrLocked while another open WAL, in this process or another, holds dir.
func Open(dir string, opts ...Option) (*WAL, error) {
	var h *C.ironwal_wal
	err := withOptions("Open", dir, opts, func(o *C.ironwal_options) error {
		return statusError("Open", C.ironwal_open(o, &h))
	})
	if err != nil {
		return nil, err
	}
	w := &WAL{h: h}
	runtime.SetFinalizer(w, (*WAL).Close)
	return w, nil
}

// Close releases the WAL, waiting for calls in flight; later calls return ErrClosed.
// The directory lock is released once every Txn made from it is closed too. Closing
// again does nothing. Always nil (an error result keeps the io.Closer shape).
func (w *WAL) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.h == nil {
		return nil
	}
	runtime.SetFinalizer(w, nil)
	C.ironwal_close(w.h)
	w.h = nil
	return nil
}

// use runs one C call on the live handle (see call); ErrClosed after Close.
func (w *WAL) use(op string, f func(*C.ironwal_wal) C.ironwal_status) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.h == nil {
		return ErrClosed
	}
	err := call(op, func() C.ironwal_status { return f(w.h) })
	// w must not be finalized (closing h) while the C call runs.
	runtime.KeepAlive(w)
	return err
}

// Append adds entry to stream (created on first use) and returns its id. When it
// returns nil the entry is visible to every reader and survives a process crash.
func (w *WAL) Append(stream string, entry []byte) (uint64, error) {
	name, err := cString("Append", "stream", stream)
	if err != nil {
		return 0, err
	}
	var id C.uint64_t
	err = w.use("Append", func(h *C.ironwal_wal) C.ironwal_status {
		return C.ironwal_append(h, charPtr(name), bytePtr(entry), C.size_t(len(entry)), &id)
	})
	return uint64(id), err
}

// AppendBatch adds entries to stream atomically (all or none, also across a crash)
// and returns the first id: entry i has id first+i. An empty batch writes nothing and
// returns the next id.
func (w *WAL) AppendBatch(stream string, entries [][]byte) (first uint64, err error) {
	name, err := cString("AppendBatch", "stream", stream)
	if err != nil {
		return 0, err
	}
	// cgo may not pass Go memory holding Go pointers (a [][]byte), so the entries go
	// back to back in one buffer with their lengths beside it.
	total := 0
	for _, e := range entries {
		total += len(e)
	}
	packed := make([]byte, 0, total)
	lens := make([]C.size_t, len(entries)+1) // +1: &lens[0] exists for an empty batch
	for i, e := range entries {
		packed = append(packed, e...)
		lens[i] = C.size_t(len(e))
	}
	var id C.uint64_t
	err = w.use("AppendBatch", func(h *C.ironwal_wal) C.ironwal_status {
		return C.ironwal_append_batch_packed(h, charPtr(name), bytePtr(packed), &lens[0], C.size_t(len(entries)), &id)
	})
	return uint64(id), err
}

// Get returns a copy of entry id of stream, or ErrNotFound if the stream does not
// hold it (never written, or truncated).
func (w *WAL) Get(stream string, id uint64) ([]byte, error) {
	name, err := cString("Get", "stream", stream)
	if err != nil {
		return nil, err
	}
	var buf C.ironwal_buf
	err = w.use("Get", func(h *C.ironwal_wal) C.ironwal_status {
		return C.ironwal_get(h, charPtr(name), C.uint64_t(id), &buf)
	})
	if err != nil {
		return nil, err
	}
	defer C.ironwal_buf_free(&buf)
	return goBytes(buf.data, buf.len), nil
}

// GetInto reads entry id of stream into dst and returns its length. If dst is too
// short it returns ErrBufferTooSmall with the length needed (dst untouched); if the
// stream does not hold id, ErrNotFound.
func (w *WAL) GetInto(stream string, id uint64, dst []byte) (int, error) {
	name, err := cString("GetInto", "stream", stream)
	if err != nil {
		return 0, err
	}
	var n C.size_t
	err = w.use("GetInto", func(h *C.ironwal_wal) C.ironwal_status {
		return C.ironwal_get_into(h, charPtr(name), C.uint64_t(id), bytePtr(dst), C.size_t(len(dst)), &n)
	})
	if err != nil && !errors.Is(err, ErrBufferTooSmall) {
		return 0, err
	}
	return int(n), err
}

// Bounds returns the first retained id and the next id of stream (first == next when
// it holds no entries), or ErrNotFound if the stream does not exist.
func (w *WAL) Bounds(stream string) (first, next uint64, err error) {
	name, err := cString("Bounds", "stream", stream)
	if err != nil {
		return 0, 0, err
	}
	var f, n C.uint64_t
	err = w.use("Bounds", func(h *C.ironwal_wal) C.ironwal_status {
		return C.ironwal_bounds(h, charPtr(name), &f, &n)
	})
	return uint64(f), uint64(n), err
}

// Truncate deletes the sealed segments of stream whose ids are all below safeID (never
// the active one) and returns how many it deleted. A missing stream deletes none.
func (w *WAL) Truncate(stream string, safeID uint64) (deleted int, err error) {
	name, err := cString("Truncate", "stream", stream)
	if err != nil {
		return 0, err
	}
	var n C.size_t
	err = w.use("Truncate", func(h *C.ironwal_wal) C.ironwal_status {
		return C.ironwal_truncate(h, charPtr(name), C.uint64_t(safeID), &n)
	})
	return int(n), err
}

// Sync makes everything appended to stream so far durable; ErrStreamNotFound if it
// does not exist.
func (w *WAL) Sync(stream string) error {
	name, err := cString("Sync", "stream", stream)
	if err != nil {
		return err
	}
	return w.use("Sync", func(h *C.ironwal_wal) C.ironwal_status {
		return C.ironwal_sync(h, charPtr(name))
	})
}

// SyncAll makes everything appended to every stream so far durable.
func (w *WAL) SyncAll() error {
	return w.use("SyncAll", func(h *C.ironwal_wal) C.ironwal_status {
		return C.ironwal_sync_all(h)
	})
}

// Iter returns an iterator over stream from fromID (from the first retained entry if
// fromID was truncated). It also yields entries appended after it was made, even to a
// stream that held nothing then.
func (w *WAL) Iter(stream string, fromID uint64) (*Iterator, error) {
	name, err := cString("Iter", "stream", stream)
	if err != nil {
		return nil, err
	}
	var h *C.ironwal_iter
	err = w.use("Iter", func(wh *C.ironwal_wal) C.ironwal_status {
		return C.ironwal_iter_new(wh, charPtr(name), C.uint64_t(fromID), &h)
	})
	if err != nil {
		return nil, err
	}
	return newIterator(h), nil
}

// Begin starts a transaction on stream: entries added to it are appended as one
// atomic batch by Commit.
func (w *WAL) Begin(stream string) (*Txn, error) {
	name, err := cString("Begin", "stream", stream)
	if err != nil {
		return nil, err
	}
	var h *C.ironwal_txn
	err = w.use("Begin", func(wh *C.ironwal_wal) C.ironwal_status {
		return C.ironwal_txn_new(wh, charPtr(name), &h)
	})
	if err != nil {
		return nil, err
	}
	return newTxn(h), nil
}
