//! The frame-position index of a segment: where each frame starts and its first id,
//! so `get` finds a frame with a binary search instead of a scan. Kept in memory for
//! active segments and persisted as `<start>.idx` when a segment is sealed.
//!
//! ```text
//! 0  [u8; 8] magic "IWALIDX\0"   24 u64 data end (segment file length it describes)
//! 8  u32 format version (1)      32 u64 end id (one past the last id in the segment)
//! 12 u32 zero                    40 u64 frame count n
//! 16 u64 segment start id        48 n x (u64 first id, u64 offset)
//! 48 + 16n: u32 crc32 of all bytes before it, u32 zero
//! ```

use super::le_u64;
use crate::{Error, Result};

const INDEX_MAGIC: [u8; 8] = *b"IWALIDX\0";
const INDEX_VERSION: u32 = 1;
const FIXED_LEN: usize = 48;

/// Where one frame starts. Frames of a segment are stored in id and offset order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameLoc {
    pub first_id: u64,
    pub offset: u64,
}

/// Frame positions of one segment.
///
/// Invariants: `frames` ascend in both fields; every frame lies below `data_end`;
/// ids `[start_id, end_id)` are those the segment holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameIndex {
    pub start_id: u64,
    pub frames: Vec<FrameLoc>,
    pub data_end: u64,
    pub end_id: u64,
}

/// The byte span of the frame holding an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameSpan {
    pub first_id: u64,
    pub offset: u64,
    pub len: u64,
}

impl FrameIndex {
    pub fn empty(start_id: u64, data_end: u64) -> Self {
        FrameIndex {
            start_id,
            frames: Vec::new(),
            data_end,
            end_id: start_id,
        }
    }

    /// Records a frame appended at `data_end`.
    pub fn push(&mut self, first_id: u64, count: u64, frame_len: u64) {
        self.frames.push(FrameLoc {
            first_id,
            offset: self.data_end,
        });
        self.data_end += frame_len;
        self.end_id = first_id + count;
    }

    /// Position of the `i`-th frame.
    pub fn span(&self, i: usize) -> FrameSpan {
        let loc = self.frames[i];
        let end = self
            .frames
            .get(i + 1)
            .map_or(self.data_end, |next| next.offset);
        FrameSpan {
            first_id: loc.first_id,
            offset: loc.offset,
            len: end - loc.offset,
        }
    }

    /// The frame that holds `id`, if the segment holds it.
    pub fn find(&self, id: u64) -> Option<(usize, FrameSpan)> {
        if id < self.start_id || id >= self.end_id {
            return None;
        }
        // Where the frame is when every frame before it holds one entry (the common
        // case): found without a search.
        let guess = (id - self.start_id) as usize;
        let i = match self.frames.get(guess) {
            Some(frame) if frame.first_id == id => guess,
            _ => self
                .frames
                .partition_point(|f| f.first_id <= id)
                .checked_sub(1)?,
        };
        Some((i, self.span(i)))
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(FIXED_LEN + 16 * self.frames.len() + 8);
        bytes.extend_from_slice(&INDEX_MAGIC);
        bytes.extend_from_slice(&INDEX_VERSION.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        for word in [
            self.start_id,
            self.data_end,
            self.end_id,
            self.frames.len() as u64,
        ] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        for f in &self.frames {
            bytes.extend_from_slice(&f.first_id.to_le_bytes());
            bytes.extend_from_slice(&f.offset.to_le_bytes());
        }
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes
    }

    /// Parses an index file and checks it describes `start_id`'s segment of
    /// `data_end` bytes; any mismatch means the file is stale or damaged.
    pub fn decode(bytes: &[u8], start_id: u64, data_end: u64) -> Result<FrameIndex> {
        let bad =
            |why: &str| Error::Corruption(format!("frame index of segment {start_id}: {why}"));
        if bytes.len() < FIXED_LEN + 8 || bytes[0..8] != INDEX_MAGIC {
            return Err(bad("no index magic"));
        }
        if bytes[8..12] != INDEX_VERSION.to_le_bytes() {
            return Err(bad("unsupported version"));
        }
        let count = le_u64(bytes, 40);
        let expected_len = count
            .checked_mul(16)
            .and_then(|n| n.checked_add(FIXED_LEN as u64 + 8));
        if expected_len != Some(bytes.len() as u64) {
            return Err(bad("length does not match frame count"));
        }
        let crc_at = bytes.len() - 8;
        if crc32fast::hash(&bytes[..crc_at]).to_le_bytes() != bytes[crc_at..crc_at + 4] {
            return Err(bad("CRC mismatch"));
        }
        let index = FrameIndex {
            start_id: le_u64(bytes, 16),
            data_end: le_u64(bytes, 24),
            end_id: le_u64(bytes, 32),
            frames: (0..count as usize)
                .map(|i| FrameLoc {
                    first_id: le_u64(bytes, FIXED_LEN + 16 * i),
                    offset: le_u64(bytes, FIXED_LEN + 16 * i + 8),
                })
                .collect(),
        };
        if index.start_id != start_id || index.data_end != data_end || !index.is_consistent() {
            return Err(bad("stale: does not describe the segment file"));
        }
        Ok(index)
    }

    fn is_consistent(&self) -> bool {
        let ordered = self
            .frames
            .windows(2)
            .all(|w| w[0].first_id < w[1].first_id && w[0].offset < w[1].offset);
        let within = match (self.frames.first(), self.frames.last()) {
            (Some(first), Some(last)) => {
                first.first_id == self.start_id
                    && last.first_id < self.end_id
                    && last.offset < self.data_end
            }
            _ => self.end_id == self.start_id,
        };
        ordered && within
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> FrameIndex {
        let mut index = FrameIndex::empty(10, 40);
        index.push(10, 1, 48);
        index.push(11, 3, 64);
        index.push(14, 1, 40);
        index
    }

    #[test]
    fn finds_frames_by_id() {
        let index = sample();
        assert_eq!(index.find(9), None);
        assert_eq!(
            index.find(10).unwrap().1,
            FrameSpan {
                first_id: 10,
                offset: 40,
                len: 48
            }
        );
        assert_eq!(
            index.find(13).unwrap().1,
            FrameSpan {
                first_id: 11,
                offset: 88,
                len: 64
            }
        );
        assert_eq!(
            index.find(14).unwrap().1,
            FrameSpan {
                first_id: 14,
                offset: 152,
                len: 40
            }
        );
        assert_eq!(index.find(15), None);
    }

    #[test]
    fn round_trips_and_rejects_stale_or_damaged_files() {
        let index = sample();
        let bytes = index.encode();
        assert_eq!(FrameIndex::decode(&bytes, 10, 192).unwrap(), index);
        assert!(
            FrameIndex::decode(&bytes, 10, 200).is_err(),
            "stale length accepted"
        );
        assert!(
            FrameIndex::decode(&bytes, 11, 192).is_err(),
            "wrong segment accepted"
        );
        for i in 0..bytes.len() - 4 {
            let mut damaged = bytes.clone();
            damaged[i] ^= 1;
            assert!(
                FrameIndex::decode(&damaged, 10, 192).is_err(),
                "flip at {i} accepted"
            );
        }
        for cut in 0..bytes.len() {
            assert!(FrameIndex::decode(&bytes[..cut], 10, 192).is_err());
        }
    }
}
