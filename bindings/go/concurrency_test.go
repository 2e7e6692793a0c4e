package ironwal_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	ironwal "github.com/ironwal/ironwal/bindings/go"
)

// Goroutines append single entries and batches to one stream while others read: the
// ids are dense and unique, each batch's ids are consecutive, and every entry reads
// back as written.
func TestConcurrentAppendsFromManyGoroutines(t *testing.T) {
	w := open(t, t.TempDir(), ironwal.WithSyncMode(ironwal.SyncAsync), ironwal.WithMaxSegmentSize(16384))
	const writers, perWriter, batchers, batches, batchLen = 8, 200, 4, 25, 8
	var mu sync.Mutex
	written := map[uint64][]byte{}
	record := func(id uint64, v []byte) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := written[id]; dup {
			t.Errorf("id %d given twice", id)
		}
		written[id] = v
	}
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				v := value(fmt.Sprintf("w%d", g), i)
				id, err := w.Append("shared", v)
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				record(id, v)
			}
		}(g)
	}
	for g := 0; g < batchers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				batch := make([][]byte, batchLen)
				for i := range batch {
					batch[i] = value(fmt.Sprintf("b%d.%d", g, b), i)
				}
				first, err := w.AppendBatch("shared", batch)
				if err != nil {
					t.Errorf("AppendBatch: %v", err)
					return
				}
				for i, v := range batch {
					record(first+uint64(i), v)
				}
			}
		}(g)
	}
	// Readers iterate while the writers run; what they see must be in id order.
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it, err := w.Iter("shared", 0)
			if err != nil {
				t.Errorf("Iter: %v", err)
				return
			}
			defer it.Close()
			next := uint64(0)
			for it.Next() {
				if it.ID() != next {
					t.Errorf("reader saw id %d, want %d", it.ID(), next)
					return
				}
				next++
			}
			if it.Err() != nil {
				t.Errorf("reader: %v", it.Err())
			}
		}()
	}
	wg.Wait()
	total := writers*perWriter + batchers*batches*batchLen
	if len(written) != total {
		t.Fatalf("%d ids recorded, want %d", len(written), total)
	}
	ids := make([]uint64, 0, total)
	for id := range written {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if ids[0] != 0 || ids[total-1] != uint64(total-1) {
		t.Fatalf("ids %d..%d are not dense from 0 to %d", ids[0], ids[total-1], total-1)
	}
	for id, v := range written {
		mustGet(t, w, "shared", id, v)
	}
}

// Close while goroutines append: each call either succeeds (and its entry is kept)
// or returns ErrClosed; none crashes or sees a freed handle.
func TestCloseWhileAppending(t *testing.T) {
	dir := t.TempDir()
	w, err := ironwal.Open(dir, ironwal.WithSyncMode(ironwal.SyncAsync))
	if err != nil {
		t.Fatal(err)
	}
	const goroutines = 8
	started := make(chan struct{}, goroutines)
	acked := make([][]uint64, goroutines)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				id, err := w.Append("s", []byte(fmt.Sprintf("g%d-%d", g, i)))
				if errors.Is(err, ironwal.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				acked[g] = append(acked[g], id)
				if i == 10 {
					started <- struct{}{}
				}
			}
		}(g)
	}
	for g := 0; g < goroutines; g++ {
		<-started
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	w = open(t, dir)
	for g, ids := range acked {
		for i, id := range ids {
			mustGet(t, w, "s", id, []byte(fmt.Sprintf("g%d-%d", g, i)))
		}
	}
}

// ironwal_last_error is per OS thread: each error must carry its own call's message
// even while goroutines on other threads fail differently at the same time.
func TestErrorMessagesBelongToTheirCall(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				var err error
				var want string
				if g%2 == 0 {
					_, err = w.Append("", nil)
					want = "stream name is empty"
				} else {
					_, err = ironwal.Open(dir)
					want = ".lock"
				}
				var e *ironwal.Error
				if !errors.As(err, &e) || !strings.Contains(e.Message, want) {
					t.Errorf("goroutine %d: %v, want a message with %q", g, err, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
