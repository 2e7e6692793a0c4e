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
/// Invariants: frames ascend in both first id and offset; every frame lies below
/// `data_end`; ids `[start_id, end_id)` are those the segment holds. While every frame
/// but the last holds one entry (the common case), frame `i` starts at id
/// `start_id + i` and `first_ids` stays empty: the index then costs 8 bytes a frame,
/// which matters for random `get`, where the index lookup is a cache miss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameIndex {
    pub start_id: u64,
    /// Where each frame starts.
    offsets: Vec<u64>,
    /// Each frame's first id; empty while frame `i` starts at `start_id + i`.
    first_ids: Vec<u64>,
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
            offsets: Vec::new(),
            first_ids: Vec::new(),
            data_end,
            end_id: start_id,
        }
    }

    /// Records a frame appended at `data_end`.
    #[inline]
    pub fn push(&mut self, first_id: u64, count: u64, frame_len: u64) {
        self.push_frame(first_id, self.data_end);
        self.data_end += frame_len;
        self.end_id = first_id + count;
    }

    #[inline]
    fn push_frame(&mut self, first_id: u64, offset: u64) {
        self.offsets.push(offset);
        let dense_id = self.start_id + self.offsets.len() as u64 - 1;
        if self.first_ids.is_empty() && first_id == dense_id {
            return;
        }
        self.push_first_id(first_id, dense_id);
    }

    /// `push_frame` once the index keeps first ids (since a frame held more than one
    /// entry; `dense_id` is the id the frame just pushed would have had otherwise). Out
    /// of line, so the common case inlines into the scan and the writer.
    #[inline(never)]
    fn push_first_id(&mut self, first_id: u64, dense_id: u64) {
        if self.first_ids.is_empty() {
            self.first_ids = (self.start_id..dense_id).collect();
        }
        self.first_ids.push(first_id);
    }

    /// How many frames the segment holds.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// Where the `i`-th frame starts and its first id.
    pub fn frame(&self, i: usize) -> FrameLoc {
        FrameLoc {
            first_id: self.first_id(i),
            offset: self.offsets[i],
        }
    }

    /// All frames, in order.
    pub fn frames(&self) -> impl ExactSizeIterator<Item = FrameLoc> + '_ {
        (0..self.len()).map(|i| self.frame(i))
    }

    #[inline]
    fn first_id(&self, i: usize) -> u64 {
        match self.first_ids.get(i) {
            Some(&id) => id,
            None => {
                debug_assert!(self.first_ids.is_empty() && i < self.offsets.len());
                self.start_id + i as u64
            }
        }
    }

    /// One past the last id of the `i`-th frame.
    #[cfg(test)]
    pub fn frame_end_id(&self, i: usize) -> u64 {
        if i + 1 < self.len() {
            self.first_id(i + 1)
        } else {
            self.end_id
        }
    }

    /// Position of the `i`-th frame.
    #[inline]
    pub fn span(&self, i: usize) -> FrameSpan {
        let offset = self.offsets[i];
        let end = self.offsets.get(i + 1).copied().unwrap_or(self.data_end);
        FrameSpan {
            first_id: self.first_id(i),
            offset,
            len: end - offset,
        }
    }

    /// The frame that holds `id`, if the segment holds it.
    #[inline]
    pub fn find(&self, id: u64) -> Option<(usize, FrameSpan)> {
        if id < self.start_id || id >= self.end_id || self.offsets.is_empty() {
            return None;
        }
        let i = if self.first_ids.is_empty() {
            // Only the last frame can hold more than one entry.
            ((id - self.start_id) as usize).min(self.offsets.len() - 1)
        } else {
            self.first_ids
                .partition_point(|&first| first <= id)
                .checked_sub(1)?
        };
        Some((i, self.span(i)))
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(FIXED_LEN + 16 * self.len() + 8);
        bytes.extend_from_slice(&INDEX_MAGIC);
        bytes.extend_from_slice(&INDEX_VERSION.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        for word in [self.start_id, self.data_end, self.end_id, self.len() as u64] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        for f in self.frames() {
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
        let start = le_u64(bytes, 16);
        let (stored_end, stored_end_id) = (le_u64(bytes, 24), le_u64(bytes, 32));
        if start != start_id || stored_end != data_end {
            return Err(bad("stale: does not describe the segment file"));
        }
        // Each record is (first id, offset); the first ids stay implicit while dense.
        let records = bytes[FIXED_LEN..crc_at].chunks_exact(16);
        let mut index = FrameIndex::empty(start_id, data_end);
        index.end_id = stored_end_id;
        index.offsets = records.clone().map(|r| le_u64(r, 8)).collect();
        let first_ids = records.map(|r| le_u64(r, 0));
        if !(start_id..)
            .zip(first_ids.clone())
            .all(|(dense, id)| dense == id)
        {
            index.first_ids = first_ids.collect();
        }
        if !index.is_consistent() {
            return Err(bad("stale: does not describe the segment file"));
        }
        Ok(index)
    }

    fn is_consistent(&self) -> bool {
        let increasing = |values: &[u64]| values.windows(2).all(|w| w[0] < w[1]);
        let ordered = increasing(&self.offsets) && increasing(&self.first_ids);
        let within = match self.len() {
            0 => self.end_id == self.start_id,
            n => {
                self.first_id(0) == self.start_id
                    && self.first_id(n - 1) < self.end_id
                    && self.offsets[n - 1] < self.data_end
            }
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
    fn one_entry_frames_are_found_by_position_until_one_holds_more() {
        let mut index = FrameIndex::empty(10, 40);
        index.push(10, 1, 48);
        index.push(11, 1, 48);
        index.push(12, 4, 64);
        assert!(
            index.first_ids.is_empty(),
            "dense while only the last frame holds more"
        );
        assert_eq!(index.find(11).unwrap().0, 1);
        assert_eq!(
            index.find(15).unwrap(),
            (
                2,
                FrameSpan {
                    first_id: 12,
                    offset: 136,
                    len: 64
                }
            )
        );
        index.push(16, 1, 40);
        assert_eq!(index.first_ids, [10, 11, 12, 16]);
        assert_eq!(index.find(13).unwrap().0, 2);
        assert_eq!(
            index.find(16).unwrap(),
            (
                3,
                FrameSpan {
                    first_id: 16,
                    offset: 200,
                    len: 40
                }
            )
        );
        let bytes = index.encode();
        assert_eq!(FrameIndex::decode(&bytes, 10, 240).unwrap(), index);
    }

    #[test]
    fn dense_indexes_round_trip_and_disordered_ones_are_refused() {
        let mut index = FrameIndex::empty(10, 40);
        for id in 10..13 {
            index.push(id, 1, 48);
        }
        let bytes = index.encode();
        let decoded = FrameIndex::decode(&bytes, 10, 184).unwrap();
        assert_eq!(decoded, index);
        assert!(decoded.first_ids.is_empty(), "dense ids stay implicit");
        // Records in the wrong order under a valid CRC: first ids, then offsets.
        for swapped in [0, 8] {
            let mut disordered = bytes.clone();
            let (a, b) = (FIXED_LEN + swapped, FIXED_LEN + 16 + swapped);
            let first = disordered[a..a + 8].to_vec();
            disordered.copy_within(b..b + 8, a);
            disordered[b..b + 8].copy_from_slice(&first);
            let crc_at = disordered.len() - 8;
            let crc = crc32fast::hash(&disordered[..crc_at]);
            disordered[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
            assert!(
                FrameIndex::decode(&disordered, 10, 184).is_err(),
                "swapped at {swapped} accepted"
            );
        }
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
