//! Cache of decoded (CRC-checked, decompressed) frames, bounded by a byte budget.

use crate::format::frame::DecodedFrame;
use lru::LruCache;
use parking_lot::Mutex;
use std::sync::Arc;

/// A frame within the whole WAL: (stream uid, segment start id, frame offset).
pub(crate) type FrameKey = (u64, u64, u64);

pub(crate) struct BlockCache {
    budget: u64,
    state: Mutex<CacheState>,
}

struct CacheState {
    frames: LruCache<FrameKey, Arc<DecodedFrame>>,
    used: u64,
}

impl BlockCache {
    pub fn new(budget: u64) -> Self {
        BlockCache {
            budget,
            state: Mutex::new(CacheState {
                frames: LruCache::unbounded(),
                used: 0,
            }),
        }
    }

    pub fn get(&self, key: FrameKey) -> Option<Arc<DecodedFrame>> {
        self.state.lock().frames.get(&key).cloned()
    }

    /// Caches `frame`, evicting the least recently used frames to stay in budget.
    pub fn insert(&self, key: FrameKey, frame: Arc<DecodedFrame>) {
        let size = frame.footprint();
        if size > self.budget {
            return;
        }
        let mut evicted = Vec::new();
        {
            let mut state = self.state.lock();
            if let Some(old) = state.frames.put(key, frame) {
                state.used -= old.footprint();
                evicted.push(old);
            }
            state.used += size;
            while state.used > self.budget {
                let Some((_, old)) = state.frames.pop_lru() else {
                    break;
                };
                state.used -= old.footprint();
                evicted.push(old);
            }
        }
        drop(evicted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::frame::{check_frame, EncodedFrame};
    use crate::CompressionType;

    fn decoded(first_id: u64, len: usize) -> Arc<DecodedFrame> {
        let entry = vec![1u8; len];
        let mut encoded = EncodedFrame::new(&[&entry], CompressionType::None, 0).unwrap();
        let bytes = encoded.seal(first_id).to_vec();
        let header = check_frame(&bytes).unwrap();
        Arc::new(DecodedFrame::decode(&bytes, &header, 0).unwrap())
    }

    #[test]
    fn stays_within_budget_and_evicts_oldest() {
        let one = decoded(0, 1000).footprint();
        let cache = BlockCache::new(one * 3);
        for i in 0..5 {
            cache.insert((1, 0, i), decoded(i, 1000));
        }
        assert!(cache.get((1, 0, 0)).is_none());
        assert!(cache.get((1, 0, 1)).is_none());
        assert_eq!(cache.get((1, 0, 4)).unwrap().first_id, 4);
        assert!(cache.state.lock().used <= one * 3);
    }
}
