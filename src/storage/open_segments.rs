//! The LRU of open segment files, shared by all streams: it bounds file descriptors
//! and mappings by `max_open_segments`. A sealed segment's frame index lives in its
//! entry, so it is loaded on first read and evicted with the file.
//!
//! Streams also reach their open sealed segments without this lock, through weak
//! references (`View`); such a read sets the segment's `referenced` bit instead of
//! moving it to the front, and eviction gives a referenced segment a second chance
//! (the CLOCK approximation of LRU), so a segment read that way is not evicted as
//! if unused.

use super::segment_map::SegmentMap;
use super::vfs::VfsFile;
use crate::format::frame_index::FrameIndex;
use lru::LruCache;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A segment within the whole WAL: (stream uid, segment start id).
pub(crate) type SegmentKey = (u64, u64);

/// A sealed segment ready for reads. It never changes again.
pub(crate) struct SealedSegment {
    pub file: Arc<dyn VfsFile>,
    /// The whole file, when `ReadStrategy::Mmap` is configured.
    pub map: Option<Arc<SegmentMap>>,
    pub index: FrameIndex,
    /// Read without the LRU since eviction last passed over it.
    referenced: AtomicBool,
}

impl SealedSegment {
    pub fn new(file: Arc<dyn VfsFile>, map: Option<Arc<SegmentMap>>, index: FrameIndex) -> Self {
        SealedSegment {
            file,
            map,
            index,
            referenced: AtomicBool::new(false),
        }
    }

    /// Records a read that did not go through the LRU. Stores only when the bit is
    /// clear, so readers sharing a segment do not contend for its cache line.
    #[inline]
    pub fn mark_referenced(&self) {
        if !self.referenced.load(Ordering::Relaxed) {
            self.referenced.store(true, Ordering::Relaxed);
        }
    }
}

#[derive(Clone)]
pub(crate) enum OpenSegment {
    /// The active segment's read-write handle.
    Active(Arc<dyn VfsFile>),
    Sealed(Arc<SealedSegment>),
}

pub(crate) struct OpenSegments {
    /// Unbounded to `lru` (whose bounded form allocates its whole capacity up front,
    /// and `max_open_segments` may be huge); `push` keeps it within `capacity`.
    lru: Mutex<LruCache<SegmentKey, OpenSegment>>,
    capacity: usize,
}

impl OpenSegments {
    pub fn new(capacity: usize) -> Self {
        OpenSegments {
            lru: Mutex::new(LruCache::unbounded()),
            capacity: capacity.max(1),
        }
    }

    pub fn get(&self, key: SegmentKey) -> Option<OpenSegment> {
        self.lru.lock().get(&key).cloned()
    }

    /// Caches `segment` unless another thread cached one first; returns the cached one.
    /// The evicted entry is dropped (closed) after the lock is released.
    pub fn insert(&self, key: SegmentKey, segment: OpenSegment) -> OpenSegment {
        let evicted;
        let cached = {
            let mut lru = self.lru.lock();
            if let Some(existing) = lru.get(&key) {
                return existing.clone();
            }
            evicted = push(&mut lru, self.capacity, key, segment.clone());
            segment
        };
        drop(evicted);
        cached
    }

    /// Caches a sealed segment unless another thread cached it first; an `Active`
    /// handle cached for the same segment (by a reader that raced its sealing) is
    /// replaced. Returns the cached sealed segment.
    pub fn insert_sealed(
        &self,
        key: SegmentKey,
        segment: Arc<SealedSegment>,
    ) -> Arc<SealedSegment> {
        let evicted;
        {
            let mut lru = self.lru.lock();
            if let Some(OpenSegment::Sealed(existing)) = lru.get(&key) {
                return existing.clone();
            }
            let sealed = OpenSegment::Sealed(segment.clone());
            evicted = push(&mut lru, self.capacity, key, sealed);
        }
        drop(evicted);
        segment
    }

    /// Caches `segment` in place of whatever was cached under `key`.
    pub fn replace(&self, key: SegmentKey, segment: OpenSegment) {
        let evicted = push(&mut self.lru.lock(), self.capacity, key, segment);
        drop(evicted);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lru.lock().len()
    }

    pub fn remove(&self, key: SegmentKey) {
        let removed = self.lru.lock().pop(&key);
        drop(removed);
    }
}

/// Caches `segment` under `key` and returns what it displaced: the old entry under
/// `key`, or the one evicted to stay within `capacity`. Sealed segments read since
/// eviction last passed over them get a second chance: each goes to the front once,
/// its bit cleared, before the oldest is evicted.
fn push(
    lru: &mut LruCache<SegmentKey, OpenSegment>,
    capacity: usize,
    key: SegmentKey,
    segment: OpenSegment,
) -> Option<(SegmentKey, OpenSegment)> {
    if lru.contains(&key) || lru.len() < capacity {
        return lru.push(key, segment);
    }
    for _ in 0..lru.len() {
        let referenced = match lru.peek_lru() {
            Some((&oldest, OpenSegment::Sealed(sealed)))
                if sealed.referenced.swap(false, Ordering::Relaxed) =>
            {
                oldest
            }
            _ => break,
        };
        lru.promote(&referenced);
    }
    let evicted = lru.pop_lru();
    lru.push(key, segment);
    evicted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::vfs::{OpenMode, RealFs, Vfs};

    fn sealed(dir: &std::path::Path, start_id: u64) -> Arc<SealedSegment> {
        let path = dir.join(format!("{start_id}.wal"));
        let file = RealFs.open(&path, OpenMode::CreateNew).unwrap();
        Arc::new(SealedSegment::new(
            file,
            None,
            FrameIndex::empty(start_id, 0),
        ))
    }

    fn cached(segments: &OpenSegments, start_id: u64) -> bool {
        segments.lru.lock().peek(&(1, start_id)).is_some()
    }

    #[test]
    fn a_segment_read_without_the_lru_gets_a_second_chance_at_eviction() {
        let dir = tempfile::tempdir().unwrap();
        let segments = OpenSegments::new(2);
        let a = segments.insert_sealed((1, 10), sealed(dir.path(), 10));
        segments.insert_sealed((1, 20), sealed(dir.path(), 20));
        // `a` is the least recently used entry, but was read through its stream.
        a.mark_referenced();
        segments.insert_sealed((1, 30), sealed(dir.path(), 30));
        assert!(cached(&segments, 10) && !cached(&segments, 20) && cached(&segments, 30));
        // Its chance is spent: unread since, it is evicted next.
        segments.insert_sealed((1, 40), sealed(dir.path(), 40));
        assert!(!cached(&segments, 10) && cached(&segments, 30) && cached(&segments, 40));
        assert_eq!(segments.len(), 2);
    }

    #[test]
    fn eviction_stays_bounded_when_every_segment_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let segments = OpenSegments::new(3);
        let all: Vec<_> = [10, 20, 30]
            .map(|start| segments.insert_sealed((1, start), sealed(dir.path(), start)))
            .into();
        all.iter().for_each(|s| s.mark_referenced());
        segments.insert_sealed((1, 40), sealed(dir.path(), 40));
        // Every bit cleared once, then the least recently used is evicted after all.
        assert_eq!(segments.len(), 3);
        assert!(!cached(&segments, 10) && cached(&segments, 40));
        assert!(all.iter().all(|s| !s.referenced.load(Ordering::Relaxed)));
    }
}
