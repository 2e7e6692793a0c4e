package ironwal

// #include "ironwal.h"
import "C"

import (
	"runtime"
	"sync"
)

// Txn collects entries for one stream and appends them as one atomic batch on
// Commit. It commits once: later Add and Commit calls return ErrAlreadyUsed. It stays
// usable after its WAL is closed and holds the WAL directory's lock until it is
// committed or closed. Close discards entries not committed. Its calls are serialized.
type Txn struct {
	mu sync.Mutex
	h  *C.ironwal_txn
}

func newTxn(h *C.ironwal_txn) *Txn {
	t := &Txn{h: h}
	runtime.SetFinalizer(t, (*Txn).Close)
	return t
}

// use runs one C call on the live handle; ErrClosed after Close.
func (t *Txn) use(op string, f func(*C.ironwal_txn) C.ironwal_status) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.h == nil {
		return ErrClosed
	}
	err := call(op, func() C.ironwal_status { return f(t.h) })
	runtime.KeepAlive(t)
	return err
}

// Add adds a copy of entry to the transaction; nothing is written before Commit.
func (t *Txn) Add(entry []byte) error {
	return t.use("Txn.Add", func(h *C.ironwal_txn) C.ironwal_status {
		return C.ironwal_txn_add(h, bytePtr(entry), C.size_t(len(entry)))
	})
}

// Commit appends the added entries atomically and returns their ids
// first .. first+count-1 (an empty transaction: the next id and 0).
func (t *Txn) Commit() (first, count uint64, err error) {
	var f, n C.uint64_t
	err = t.use("Txn.Commit", func(h *C.ironwal_txn) C.ironwal_status {
		return C.ironwal_txn_commit(h, &f, &n)
	})
	return uint64(f), uint64(n), err
}

// Close releases the transaction, discarding entries not committed. Closing again
// does nothing. Always nil.
func (t *Txn) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.h == nil {
		return nil
	}
	runtime.SetFinalizer(t, nil)
	C.ironwal_txn_free(t.h)
	t.h = nil
	return nil
}
