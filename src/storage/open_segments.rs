//! The LRU of open segment files, shared by all streams: it bounds file descriptors
//! and mappings by `max_open_segments`. A sealed segment's frame index lives in its
//! entry, so it is loaded on first read and evicted with the file.

use super::segment_map::SegmentMap;
use super::vfs::VfsFile;
use crate::format::frame_index::FrameIndex;
use lru::LruCache;
use parking_lot::Mutex;
use std::num::NonZeroUsize;
use std::sync::Arc;

/// A segment within the whole WAL: (stream uid, segment start id).
pub(crate) type SegmentKey = (u64, u64);

/// A sealed segment ready for reads. It never changes again.
pub(crate) struct SealedSegment {
    pub file: Arc<dyn VfsFile>,
    /// The whole file, when `ReadStrategy::Mmap` is configured.
    pub map: Option<Arc<SegmentMap>>,
    pub index: FrameIndex,
}

#[derive(Clone)]
pub(crate) enum OpenSegment {
    /// The active segment's read-write handle.
    Active(Arc<dyn VfsFile>),
    Sealed(Arc<SealedSegment>),
}

pub(crate) struct OpenSegments {
    lru: Mutex<LruCache<SegmentKey, OpenSegment>>,
}

impl OpenSegments {
    pub fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        OpenSegments {
            lru: Mutex::new(LruCache::new(capacity)),
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
            evicted = lru.push(key, segment.clone());
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
            evicted = lru.push(key, OpenSegment::Sealed(segment.clone()));
        }
        drop(evicted);
        segment
    }

    /// Caches `segment` in place of whatever was cached under `key`.
    pub fn replace(&self, key: SegmentKey, segment: OpenSegment) {
        let evicted = self.lru.lock().push(key, segment);
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
