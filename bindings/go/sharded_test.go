package ironwal_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	ironwal "github.com/ironwal/ironwal/bindings/go"
)

// route is the documented routing (docs/SHARDED_WAL.md): fmix64(fnv1a64(key)) % count.
func route(key []byte, count uint16) uint16 {
	h := uint64(0xcbf29ce484222325)
	for _, b := range key {
		h ^= uint64(b)
		h *= 0x100000001b3
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return uint16(h % uint64(count))
}

// shardModel is what a test wrote: the values of each shard in id order.
type shardModel [][][]byte

// add checks that pos is where key must go (its shard, the shard's next id) and
// records value there.
func (m shardModel) add(t *testing.T, key, value []byte, pos ironwal.Position) {
	t.Helper()
	want := route(key, uint16(len(m)))
	if pos.Shard != want || pos.ID != uint64(len(m[want])) {
		t.Fatalf("key %q went to %+v, want shard %d id %d", key, pos, want, len(m[want]))
	}
	m[want] = append(m[want], value)
}

func openSharded(t *testing.T, dir string, shards uint16, opts ...ironwal.Option) *ironwal.Sharded {
	t.Helper()
	s, err := ironwal.OpenSharded(dir, shards, opts...)
	if err != nil {
		t.Fatalf("OpenSharded(%s, %d): %v", dir, shards, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fill appends n entries one by one and n more in one batch, recording them in m.
func fill(t *testing.T, s *ironwal.Sharded, m shardModel, tag string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		key := []byte(fmt.Sprintf("%s-key-%d", tag, i))
		pos, err := s.Append(key, value(tag, i))
		if err != nil {
			t.Fatalf("Sharded.Append: %v", err)
		}
		m.add(t, key, value(tag, i), pos)
	}
	batch := make([]ironwal.KeyValue, n)
	for i := range batch {
		batch[i] = ironwal.KeyValue{Key: []byte(fmt.Sprintf("%s-batch-%d", tag, i)), Value: value(tag+"b", i)}
	}
	positions, err := s.AppendBatch(batch)
	if err != nil || len(positions) != n {
		t.Fatalf("Sharded.AppendBatch: %d positions, %v", len(positions), err)
	}
	for i, pos := range positions {
		m.add(t, batch[i].Key, batch[i].Value, pos)
	}
}

func TestShardedAppendGetAndIter(t *testing.T) {
	dir := t.TempDir()
	const shards = 4
	s := openSharded(t, dir, shards, ironwal.WithSyncMode(ironwal.SyncAsync))
	if s.ShardCount() != shards {
		t.Fatalf("ShardCount = %d", s.ShardCount())
	}
	m := make(shardModel, shards)
	fill(t, s, m, "a", 100)
	for shard, values := range m {
		if len(values) == 0 {
			t.Fatalf("shard %d got no entries of 200", shard)
		}
		for id, v := range values {
			got, err := s.Get(uint16(shard), uint64(id))
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("Get(%d, %d) = %q, %v; want %q", shard, id, got, err, v)
			}
		}
		_, err := s.Get(uint16(shard), uint64(len(values)))
		wantErr(t, "Sharded.Get past the end", err, ironwal.ErrNotFound)
	}
	empty, err := s.AppendBatch(nil)
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty AppendBatch = %v, %v", empty, err)
	}
	s.Close()

	// Reopened, each shard iterates as written.
	s = openSharded(t, dir, shards)
	for shard, values := range m {
		it, err := s.Iter(uint16(shard), 0)
		if err != nil {
			t.Fatal(err)
		}
		ids, got := drain(t, it)
		if len(ids) != len(values) {
			t.Fatalf("shard %d iterated %d entries, want %d", shard, len(ids), len(values))
		}
		for k := range ids {
			if ids[k] != uint64(k) || !bytes.Equal(got[k], values[k]) {
				t.Fatalf("shard %d entry %d: id %d %q", shard, k, ids[k], got[k])
			}
		}
	}
}

func TestShardedErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ironwal.OpenSharded(dir, 0)
	wantErr(t, "OpenSharded with 0 shards", err, ironwal.ErrInvalidArgument)
	s := openSharded(t, dir, 3)
	_, err = ironwal.OpenSharded(dir, 3)
	wantErr(t, "second OpenSharded", err, ironwal.ErrLocked)
	_, err = ironwal.Open(dir)
	wantErr(t, "Open of a directory a Sharded holds", err, ironwal.ErrLocked)
	_, err = s.Iter(3, 0)
	wantErr(t, "Iter of shard 3 of 3", err, ironwal.ErrInvalidArgument)
	wantErr(t, "empty checkpoint id", s.CreateCheckpoint(nil), ironwal.ErrInvalidArgument)
	wantErr(t, "65536-byte checkpoint id", s.CreateCheckpoint(make([]byte, 65536)), ironwal.ErrInvalidArgument)
	_, err = s.LoadLatestCheckpoint()
	wantErr(t, "LoadLatestCheckpoint with none", err, ironwal.ErrNoCheckpoints)
	_, err = s.LoadCheckpoint([]byte("nope"))
	wantErr(t, "LoadCheckpoint of an unknown id", err, ironwal.ErrCheckpointNotFound)
	s.Close()
	s.Close()
	_, err = s.Append([]byte("k"), []byte("v"))
	wantErr(t, "Append after Close", err, ironwal.ErrClosed)
	wantErr(t, "CreateCheckpoint after Close", s.CreateCheckpoint([]byte("c")), ironwal.ErrClosed)
	if s.ShardCount() != 0 || s.CheckpointCount() != 0 {
		t.Fatalf("counts after Close: %d shards, %d checkpoints", s.ShardCount(), s.CheckpointCount())
	}
	_, err = ironwal.OpenSharded(dir, 5)
	wantErr(t, "OpenSharded with another shard count", err, ironwal.ErrShardCountMismatch)
}

func TestShardedCheckpointsCreateLoadPruneCompact(t *testing.T) {
	dir := t.TempDir()
	const shards = 3
	opts := []ironwal.Option{ironwal.WithSyncMode(ironwal.SyncAsync), ironwal.WithMaxSegmentSize(512)}
	s := openSharded(t, dir, shards, opts...)
	m := make(shardModel, shards)
	fill(t, s, m, "before", 60)
	before := time.Now()
	if err := s.CreateCheckpoint([]byte("cp-1")); err != nil {
		t.Fatal(err)
	}
	cp1, err := s.LoadCheckpoint([]byte("cp-1"))
	if err != nil {
		t.Fatal(err)
	}
	if string(cp1.ID) != "cp-1" || len(cp1.Offsets) != shards {
		t.Fatalf("checkpoint %q with %d offsets", cp1.ID, len(cp1.Offsets))
	}
	for shard, values := range m {
		if cp1.Offsets[shard] != uint64(len(values)) {
			t.Fatalf("cp-1 offset of shard %d = %d, want %d", shard, cp1.Offsets[shard], len(values))
		}
	}
	if d := cp1.Created.Sub(before); d < -time.Minute || d > time.Minute {
		t.Fatalf("cp-1 created at %v, the test ran at %v", cp1.Created, before)
	}

	fill(t, s, m, "after", 60)
	if err := s.CreateCheckpoint([]byte("cp-2")); err != nil {
		t.Fatal(err)
	}
	latest, err := s.LoadLatestCheckpoint()
	if err != nil || string(latest.ID) != "cp-2" {
		t.Fatalf("latest checkpoint %q, %v; want cp-2", latest.ID, err)
	}
	if s.CheckpointCount() != 2 {
		t.Fatalf("CheckpointCount = %d, want 2", s.CheckpointCount())
	}
	// Iterating a shard from cp-1's offset yields exactly what came after it.
	for shard, values := range m {
		it, err := s.Iter(uint16(shard), cp1.Offsets[shard])
		if err != nil {
			t.Fatal(err)
		}
		ids, got := drain(t, it)
		after := values[cp1.Offsets[shard]:]
		if len(ids) != len(after) || uint64(len(values)) != latest.Offsets[shard] {
			t.Fatalf("shard %d: %d entries after cp-1, want %d", shard, len(ids), len(after))
		}
		for k := range got {
			if !bytes.Equal(got[k], after[k]) {
				t.Fatalf("shard %d entry %d after cp-1 = %q", shard, ids[k], got[k])
			}
		}
	}

	// Checkpoints survive a reopen.
	s.Close()
	s = openSharded(t, dir, shards, opts...)
	reloaded, err := s.LoadCheckpoint([]byte("cp-1"))
	if err != nil || fmt.Sprint(reloaded.Offsets) != fmt.Sprint(cp1.Offsets) || !reloaded.Created.Equal(cp1.Created) {
		t.Fatalf("cp-1 after reopen = %+v, %v; was %+v", reloaded, err, cp1)
	}

	stats, err := s.PruneBeforeCheckpoint([]byte("cp-2"))
	if err != nil || stats.SegmentsDeleted == 0 || stats.ShardsPruned == 0 {
		t.Fatalf("PruneBeforeCheckpoint = %+v, %v; want segments deleted", stats, err)
	}
	pruned := false
	for shard, values := range m {
		if _, err := s.Get(uint16(shard), 0); err == nil {
			continue
		} else {
			wantErr(t, "Get of a pruned entry", err, ironwal.ErrNotFound)
			pruned = true
		}
		last := uint64(len(values) - 1)
		if got, err := s.Get(uint16(shard), last); err != nil || !bytes.Equal(got, values[last]) {
			t.Fatalf("shard %d entry %d after prune = %q, %v", shard, last, got, err)
		}
	}
	if !pruned {
		t.Fatal("no shard lost entry 0 to the prune")
	}

	compacted, err := s.CompactCheckpoints(1)
	if err != nil || compacted.CheckpointsBefore != 2 || compacted.CheckpointsAfter != 1 {
		t.Fatalf("CompactCheckpoints(1) = %+v, %v", compacted, err)
	}
	_, err = s.LoadCheckpoint([]byte("cp-1"))
	wantErr(t, "LoadCheckpoint of a compacted checkpoint", err, ironwal.ErrCheckpointNotFound)
	if latest, err := s.LoadLatestCheckpoint(); err != nil || string(latest.ID) != "cp-2" {
		t.Fatalf("latest after compaction = %q, %v", latest.ID, err)
	}
}
