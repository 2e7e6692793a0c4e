package ironwal

// #include "ironwal.h"
import "C"

import (
	"runtime"
	"sync"
)

// Iterator walks the entries of one stream (or shard) in id order, across segments:
//
//	for it.Next() {
//		use(it.ID(), it.Value())
//	}
//	if err := it.Err(); err != nil { ... }
//
// It also sees entries appended after it was created: Next returning false at the end
// may return true later. It stays usable after its WAL is closed. Its calls are
// serialized, so goroutines may share it one call at a time. Close it when done.
type Iterator struct {
	mu    sync.Mutex
	h     *C.ironwal_iter
	id    uint64
	value []byte
	err   error
}

func newIterator(h *C.ironwal_iter) *Iterator {
	it := &Iterator{h: h}
	runtime.SetFinalizer(it, (*Iterator).Close)
	return it
}

// Next advances to the next entry and reports whether there is one. It returns false
// at the end and after an error (see Err); after Close, Err is ErrClosed.
func (it *Iterator) Next() bool {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.err != nil {
		return false
	}
	if it.h == nil {
		it.err = ErrClosed
		return false
	}
	var id C.uint64_t
	var data *C.uint8_t
	var n C.size_t
	ended := false
	err := call("Iterator.Next", func() C.ironwal_status {
		st := C.ironwal_iter_next(it.h, &id, &data, &n)
		if st == C.IRONWAL_OK {
			// The bytes are borrowed until the next call on the iterator: copy now.
			it.id, it.value = uint64(id), goBytes(data, n)
		}
		ended = st == C.IRONWAL_END
		return st
	})
	runtime.KeepAlive(it)
	if err != nil {
		it.err = err
		return false
	}
	if ended {
		it.value = nil
		return false
	}
	return true
}

// ID is the id of the entry Next moved to.
func (it *Iterator) ID() uint64 {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.id
}

// Value is the entry Next moved to: a copy the caller owns, not changed by Next.
func (it *Iterator) Value() []byte {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.value
}

// Err is the error that stopped Next, or nil at a plain end.
func (it *Iterator) Err() error {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.err
}

// Close releases the iterator. Closing again does nothing. Always nil.
func (it *Iterator) Close() error {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.h == nil {
		return nil
	}
	runtime.SetFinalizer(it, nil)
	C.ironwal_iter_free(it.h)
	it.h = nil
	return nil
}
