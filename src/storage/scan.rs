//! Walks the frames of a segment file, checking each CRC and the id sequence, and
//! builds its frame index. Used by recovery (active segments) and to rebuild a sealed
//! segment's index. Reads through a mapping, or in chunks where the file system cannot
//! map: memory does not grow with the segment.
//!
//! Decision table for the bytes at the first position that is not a valid next frame
//! (docs/FORMAT.md has the same table):
//!
//! - its header looks intact and a valid frame continuing its ids starts where it ends:
//!   damage, the scan resumes there (frames stored inside its payload are never taken
//!   for real ones);
//! - otherwise, a valid frame with a later first id starts further on (8-byte aligned):
//!   the bytes in between are damage;
//! - otherwise, in a preallocated segment, zeros from there to the end are free space:
//!   the frames end there, nothing is torn;
//! - otherwise everything from there to the end is a torn tail (a write the crash cut
//!   short, zeros, garbage).
//!
//! Damage stays on disk and the index points at it (reads fail with a CRC or
//! corruption error); a torn tail is cut or refused by the caller, per its policy.

use super::chunk_reader::ChunkReader;
use super::segment_map::SegmentMap;
use super::vfs::VfsFile;
use crate::format::frame::{
    is_frame_magic, parse_header, single_entry, verify_crc, FrameDefect, FrameHeader,
    ENTRIES_HEADER_LEN, SINGLE_HEADER_LEN,
};
use crate::format::frame_index::FrameIndex;
use crate::format::le_u32;
use std::io;
use std::ops::Range;
use std::sync::Arc;

/// Bytes that are not valid frames but are followed by valid frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damage {
    pub offset: u64,
    pub ids: Range<u64>,
}

pub(crate) struct ScanOutcome {
    /// Every valid frame, plus an entry for each damaged region.
    pub index: FrameIndex,
    pub damage: Vec<Damage>,
    /// Offset where a torn tail begins, if the file does not end on a frame boundary.
    pub torn_at: Option<u64>,
    /// The mapping of the file's `file_len` bytes the scan read through, if the file
    /// system could map it. Recovery keeps it for reads of the active segment with
    /// `ReadStrategy::Mmap` (so the open does not unmap it); other callers drop it.
    pub mapping: Option<SegmentMap>,
}

/// Scans `file` (of `file_len` bytes) from `data_start`, where frame ids begin at
/// `start_id`. `preallocated` comes from the segment header: a zero tail is free space.
pub(crate) fn scan_segment(
    file: Arc<dyn VfsFile>,
    start_id: u64,
    data_start: u64,
    file_len: u64,
    chunk_size: usize,
    preallocated: bool,
) -> io::Result<ScanOutcome> {
    let mut reader = ChunkReader::mapped_or_chunked(file, file_len, chunk_size);
    let mut index = FrameIndex::empty(start_id, data_start);
    let mut damage = Vec::new();
    let mut pos = data_start;
    while pos < file_len {
        let expected = index.end_id;
        // The common case, checked in fewer steps: a valid single-entry frame of the
        // next id, at hand (what `frame_at` would accept for it, by `single_entry`'s
        // contract).
        if let Some((_, frame_len)) = single_entry(reader.buffered(pos), expected) {
            index.push(expected, 1, frame_len);
            pos += frame_len;
            continue;
        }
        match reader.frame_at(pos)? {
            Ok(header) if header.first_id == expected => {
                index.push(header.first_id, header.count as u64, header.frame_len());
                pos += header.frame_len();
            }
            _ if preallocated && reader.zeros_to_limit(pos)? => break,
            _ => match reader.resume_after_damage(pos, expected)? {
                Some((next_pos, next)) => {
                    damage.push(Damage {
                        offset: pos,
                        ids: expected..next.first_id,
                    });
                    index.push(expected, next.first_id - expected, next_pos - pos);
                    pos = next_pos;
                }
                None => {
                    return Ok(ScanOutcome {
                        index,
                        damage,
                        torn_at: Some(pos),
                        mapping: reader.into_map(),
                    });
                }
            },
        }
    }
    Ok(ScanOutcome {
        index,
        damage,
        torn_at: None,
        mapping: reader.into_map(),
    })
}

// Frame-level reads used by the scan.
impl ChunkReader {
    /// The CRC-checked frame at `pos`, or why there is none.
    pub fn frame_at(&mut self, pos: u64) -> io::Result<Result<FrameHeader, FrameDefect>> {
        let available = self.limit() - pos;
        // The common case: the whole frame is mapped or already read.
        let at_hand = self.buffered(pos);
        if let Ok(header) = parse_header(at_hand, at_hand.len() as u64) {
            return Ok(verify_crc(at_hand, &header).map(|()| header));
        }
        // Enough bytes for the longest header.
        let header = match parse_header(self.bytes(pos, ENTRIES_HEADER_LEN)?, available) {
            Ok(header) => header,
            Err(defect) => return Ok(Err(defect)),
        };
        let whole = self.bytes(pos, header.frame_len() as usize)?;
        Ok(verify_crc(whole, &header).map(|()| header))
    }

    /// Whether every byte from `pos` to the limit is zero.
    pub fn zeros_to_limit(&mut self, mut pos: u64) -> io::Result<bool> {
        while pos < self.limit() {
            let chunk = self.bytes(pos, 64 * 1024)?;
            if chunk.iter().any(|&b| b != 0) {
                return Ok(false);
            }
            pos += chunk.len() as u64;
        }
        Ok(true)
    }

    /// Where valid frames resume after damage at `pos`, whose first id should have been
    /// `expected`. If the damaged frame's header looks intact, its own length says where
    /// the next frame is: a valid frame continuing its ids there resumes the scan, so
    /// frames stored inside its payload are not mistaken for real ones. Otherwise (the
    /// length may be the damaged field) the scan looks for the next valid frame at every
    /// 8-byte aligned position; it never concludes "torn" from a length alone, which
    /// could cut valid frames.
    fn resume_after_damage(
        &mut self,
        pos: u64,
        expected: u64,
    ) -> io::Result<Option<(u64, FrameHeader)>> {
        let available = self.limit() - pos;
        let head = parse_header(self.bytes(pos, ENTRIES_HEADER_LEN)?, available);
        if let Some(damaged) = head.ok().filter(|h| h.first_id == expected) {
            let next_pos = pos + damaged.frame_len();
            if let Ok(next) = self.frame_at(next_pos)? {
                if next.first_id == damaged.end_id() {
                    return Ok(Some((next_pos, next)));
                }
            }
        }
        self.next_valid_frame(pos + 8, expected)
    }

    /// The first valid frame at an 8-byte aligned position from `from` whose ids come
    /// after `expected`.
    fn next_valid_frame(
        &mut self,
        from: u64,
        expected: u64,
    ) -> io::Result<Option<(u64, FrameHeader)>> {
        let mut pos = from;
        while pos + SINGLE_HEADER_LEN as u64 <= self.limit() {
            if is_frame_magic(le_u32(self.bytes(pos, 4)?, 0)) {
                if let Ok(header) = self.frame_at(pos)? {
                    if header.first_id > expected {
                        return Ok(Some((pos, header)));
                    }
                }
            }
            pos += 8;
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::frame::EncodedFrame;
    use crate::storage::vfs::{write_all_at, OpenMode, RealFs, Vfs};
    use crate::CompressionType;

    /// A damaged length that makes a middle frame seem to end exactly at the end of the
    /// file must not turn the valid frames after it into a "torn tail".
    #[test]
    fn damaged_length_reaching_the_end_does_not_cut_later_frames() {
        let big = vec![b'a'; 2000];
        let mut bytes = vec![0u8; 8]; // stands in for a segment header
        for (first_id, entry, compression) in [
            (0u64, &big[..], CompressionType::Lz4),
            (1, b"one", CompressionType::None),
            (2, b"two", CompressionType::None),
        ] {
            let mut frame = EncodedFrame::new(&[entry], compression, 0).unwrap();
            bytes.extend_from_slice(frame.seal(first_id));
        }
        // Frame 0 is LZ4-compressed: any stored length up to the end is plausible.
        let stored_len = (bytes.len() - 8 - ENTRIES_HEADER_LEN) as u32;
        bytes[8 + 20..8 + 24].copy_from_slice(&stored_len.to_le_bytes());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("segment");
        let file = RealFs.open(&path, OpenMode::CreateNew).unwrap();
        write_all_at(&*file, &bytes, 0).unwrap();
        let outcome = scan_segment(file, 0, 8, bytes.len() as u64, 4096, false).unwrap();
        assert_eq!(
            outcome.torn_at, None,
            "valid frames after the damage were cut"
        );
        assert_eq!(
            outcome.damage,
            vec![Damage {
                offset: 8,
                ids: 0..1
            }]
        );
        assert_eq!(outcome.index.end_id, 3);
    }
}
