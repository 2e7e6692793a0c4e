package ironwal

// #include "ironwal.h"
import "C"

import (
	"runtime"
	"sync"
	"time"
)

// Sharded is an open sharded WAL: entries are routed to one of a fixed number of
// shards by a hash of their key (fixed across platforms and releases; see
// docs/SHARDED_WAL.md), each shard a stream with dense ids from 0, and checkpoints record
// a consistent cut of all shards. It may be used by many goroutines at once. Close it
// when done.
type Sharded struct {
	mu sync.RWMutex // as WAL.mu
	h  *C.ironwal_sharded
}

// Position is where an entry of a sharded WAL went.
type Position struct {
	Shard uint16
	ID    uint64
}

// KeyValue is one entry of Sharded.AppendBatch.
type KeyValue struct {
	Key, Value []byte
}

// Checkpoint is a loaded checkpoint (a copy in Go memory).
type Checkpoint struct {
	ID []byte
	// Created is when the checkpoint was taken (nanosecond clock of its creator).
	Created time.Time
	// Offsets[s] is shard s's next id at the checkpoint: every entry below it is
	// covered, and Iter(s, Offsets[s]) yields exactly what came after.
	Offsets []uint64
}

// PruneStats is what PruneBeforeCheckpoint deleted.
type PruneStats struct {
	// ShardsPruned is the number of shards that lost at least one segment.
	ShardsPruned    uint16
	SegmentsDeleted int
}

// CompactionStats is what CompactCheckpoints did.
type CompactionStats struct {
	CheckpointsBefore int
	CheckpointsAfter  int
	BytesReclaimed    uint64
}

// OpenSharded opens (creating if needed) the sharded WAL in dir with shards shards
// (> 0). It fails with ErrShardCountMismatch if the WAL on disk has another count and
// with ErrLocked while another open WAL holds dir.
func OpenSharded(dir string, shards uint16, opts ...Option) (*Sharded, error) {
	var h *C.ironwal_sharded
	err := withOptions("OpenSharded", dir, opts, func(o *C.ironwal_options) error {
		return statusError("OpenSharded", C.ironwal_sharded_open(o, C.uint16_t(shards), &h))
	})
	if err != nil {
		return nil, err
	}
	s := &Sharded{h: h}
	runtime.SetFinalizer(s, (*Sharded).Close)
	return s, nil
}

// Close releases the sharded WAL, waiting for calls in flight; later calls return
// ErrClosed. Closing again does nothing. Always nil.
func (s *Sharded) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil {
		return nil
	}
	runtime.SetFinalizer(s, nil)
	C.ironwal_sharded_close(s.h)
	s.h = nil
	return nil
}

// use runs one C call on the live handle (see call); ErrClosed after Close.
func (s *Sharded) use(op string, f func(*C.ironwal_sharded) C.ironwal_status) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.h == nil {
		return ErrClosed
	}
	err := call(op, func() C.ironwal_status { return f(s.h) })
	runtime.KeepAlive(s)
	return err
}

// ShardCount is the number of shards (0 after Close).
func (s *Sharded) ShardCount() uint16 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := uint16(C.ironwal_sharded_shard_count(s.h))
	runtime.KeepAlive(s)
	return n
}

// CheckpointCount is the number of checkpoints (0 after Close).
func (s *Sharded) CheckpointCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := int(C.ironwal_sharded_checkpoint_count(s.h))
	runtime.KeepAlive(s)
	return n
}

// Append adds value to the shard of key and returns where it went.
func (s *Sharded) Append(key, value []byte) (Position, error) {
	var shard C.uint16_t
	var id C.uint64_t
	err := s.use("Sharded.Append", func(h *C.ironwal_sharded) C.ironwal_status {
		return C.ironwal_sharded_append(h, bytePtr(key), C.size_t(len(key)),
			bytePtr(value), C.size_t(len(value)), &shard, &id)
	})
	return Position{Shard: uint16(shard), ID: uint64(id)}, err
}

// AppendBatch adds entries and returns where each went (positions[i] for
// entries[i]). The entries of one shard form one atomic batch; the batch is not atomic
// across shards.
func (s *Sharded) AppendBatch(entries []KeyValue) ([]Position, error) {
	var keySize, valueSize int
	for _, e := range entries {
		keySize += len(e.Key)
		valueSize += len(e.Value)
	}
	// Packed as cgo allows: keys and values back to back, lengths beside them. Every
	// array gets one spare element so that &a[0] exists for an empty batch.
	keys := make([]byte, 0, keySize)
	values := make([]byte, 0, valueSize)
	keyLens := make([]C.size_t, len(entries)+1)
	valueLens := make([]C.size_t, len(entries)+1)
	for i, e := range entries {
		keys = append(keys, e.Key...)
		values = append(values, e.Value...)
		keyLens[i] = C.size_t(len(e.Key))
		valueLens[i] = C.size_t(len(e.Value))
	}
	shards := make([]C.uint16_t, len(entries)+1)
	ids := make([]C.uint64_t, len(entries)+1)
	err := s.use("Sharded.AppendBatch", func(h *C.ironwal_sharded) C.ironwal_status {
		return C.ironwal_sharded_append_batch_packed(h, bytePtr(keys), &keyLens[0],
			bytePtr(values), &valueLens[0], C.size_t(len(entries)), &shards[0], &ids[0])
	})
	if err != nil {
		return nil, err
	}
	positions := make([]Position, len(entries))
	for i := range positions {
		positions[i] = Position{Shard: uint16(shards[i]), ID: uint64(ids[i])}
	}
	return positions, nil
}

// Iter returns an iterator over shard from id fromID; ErrInvalidArgument if the
// shard does not exist.
func (s *Sharded) Iter(shard uint16, fromID uint64) (*Iterator, error) {
	var h *C.ironwal_iter
	err := s.use("Sharded.Iter", func(sh *C.ironwal_sharded) C.ironwal_status {
		return C.ironwal_sharded_iter(sh, C.uint16_t(shard), C.uint64_t(fromID), &h)
	})
	if err != nil {
		return nil, err
	}
	return newIterator(h), nil
}

// Get returns a copy of entry id of shard, or ErrNotFound if the shard does not hold
// it. (The C API has no sharded get: this reads the first entry of an iterator.)
func (s *Sharded) Get(shard uint16, id uint64) ([]byte, error) {
	it, err := s.Iter(shard, id)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.Next() {
		if err := it.Err(); err != nil {
			return nil, err
		}
		return nil, &Error{Code: StatusNotFound, Op: "Sharded.Get"}
	}
	if it.ID() != id { // id was pruned: the iterator starts at the first retained entry
		return nil, &Error{Code: StatusNotFound, Op: "Sharded.Get"}
	}
	return it.Value(), nil
}

// CreateCheckpoint records a consistent, durable checkpoint of all shards named id
// (1 to 65535 bytes). Reusing an id replaces the older checkpoint of that id.
func (s *Sharded) CreateCheckpoint(id []byte) error {
	return s.use("Sharded.CreateCheckpoint", func(h *C.ironwal_sharded) C.ironwal_status {
		return C.ironwal_sharded_create_checkpoint(h, bytePtr(id), C.size_t(len(id)))
	})
}

// LoadCheckpoint loads the checkpoint named id; ErrCheckpointNotFound if there is
// none.
func (s *Sharded) LoadCheckpoint(id []byte) (Checkpoint, error) {
	var h *C.ironwal_checkpoint
	err := s.use("Sharded.LoadCheckpoint", func(sh *C.ironwal_sharded) C.ironwal_status {
		return C.ironwal_sharded_load_checkpoint(sh, bytePtr(id), C.size_t(len(id)), &h)
	})
	if err != nil {
		return Checkpoint{}, err
	}
	return takeCheckpoint(h), nil
}

// LoadLatestCheckpoint loads the most recently created checkpoint;
// ErrNoCheckpoints if there is none.
func (s *Sharded) LoadLatestCheckpoint() (Checkpoint, error) {
	var h *C.ironwal_checkpoint
	err := s.use("Sharded.LoadLatestCheckpoint", func(sh *C.ironwal_sharded) C.ironwal_status {
		return C.ironwal_sharded_load_latest_checkpoint(sh, &h)
	})
	if err != nil {
		return Checkpoint{}, err
	}
	return takeCheckpoint(h), nil
}

// takeCheckpoint copies a C checkpoint into Go memory and frees it.
func takeCheckpoint(h *C.ironwal_checkpoint) Checkpoint {
	defer C.ironwal_checkpoint_free(h)
	var data *C.uint8_t
	var n C.size_t
	C.ironwal_checkpoint_id(h, &data, &n)
	cp := Checkpoint{
		ID:      goBytes(data, n),
		Created: time.Unix(0, int64(C.ironwal_checkpoint_timestamp(h))),
		Offsets: make([]uint64, int(C.ironwal_checkpoint_shard_count(h))),
	}
	for i := range cp.Offsets {
		cp.Offsets[i] = uint64(C.ironwal_checkpoint_offset(h, C.uint16_t(i)))
	}
	return cp
}

// PruneBeforeCheckpoint deletes, in every shard, the sealed segments entirely below
// the offsets of checkpoint id (never an active segment).
func (s *Sharded) PruneBeforeCheckpoint(id []byte) (PruneStats, error) {
	var st C.ironwal_prune_stats
	err := s.use("Sharded.PruneBeforeCheckpoint", func(h *C.ironwal_sharded) C.ironwal_status {
		return C.ironwal_sharded_prune_before_checkpoint(h, bytePtr(id), C.size_t(len(id)), &st)
	})
	return PruneStats{ShardsPruned: uint16(st.shards_pruned), SegmentsDeleted: int(st.segments_deleted)}, err
}

// CompactCheckpoints keeps only the keepLatest most recent checkpoints.
func (s *Sharded) CompactCheckpoints(keepLatest int) (CompactionStats, error) {
	if keepLatest < 0 {
		return CompactionStats{}, invalidArgument("Sharded.CompactCheckpoints", "keepLatest must not be negative")
	}
	var st C.ironwal_compaction_stats
	err := s.use("Sharded.CompactCheckpoints", func(h *C.ironwal_sharded) C.ironwal_status {
		return C.ironwal_sharded_compact_checkpoints(h, C.size_t(keepLatest), &st)
	})
	return CompactionStats{
		CheckpointsBefore: int(st.checkpoints_before),
		CheckpointsAfter:  int(st.checkpoints_after),
		BytesReclaimed:    uint64(st.bytes_reclaimed),
	}, err
}
