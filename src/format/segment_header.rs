//! Segment file header: identifies the file, its format version, its first id and the
//! stream it belongs to (so a stream can be recovered from its segments alone).
//!
//! ```text
//! 0  [u8; 8] magic "IRONWAL\0"     16 u64 start id (equals the file name)
//! 8  u16 format version (1 to 3)   24 u32 flags (version 1: 0)
//! 10 u16 stream name length        28 u32 crc32 of bytes 0..28 and the name
//! 12 u32 header length = align8(32 + name length)
//! 32 stream name (UTF-8), zero padding to header length
//! ```
//!
//! Version 2 defines flag bit 0, `PREALLOCATED`: the file is zero-filled ahead of its
//! frames, so zeros from the end of the last frame to the end of the file are free
//! space (trimmed by a clean close and by recovery), not a torn tail. Version 3 adds
//! no flag: its frames may be single-entry frames ("IWS1", see `frame`), which a
//! reader of versions 1 and 2 would take for a torn tail, so it must refuse the file. A header is written with the lowest version
//! that expresses it; a new segment is always version 3.

use super::{align8, crc_hasher, le_u32, le_u64};
use crate::{Error, Result};

pub(crate) const SEGMENT_MAGIC: [u8; 8] = *b"IRONWAL\0";
/// How a segment of ironwal 0.6 starts: its first frame's magic ("LWAL").
const IRONWAL_0_6_FRAME_MAGIC: u32 = 0x4C57_414C;
/// Flags are always 0.
const VERSION_1: u16 = 1;
/// Adds `FLAG_PREALLOCATED`.
const VERSION_2: u16 = 2;
/// Adds single-entry frames.
const VERSION_3: u16 = 3;
const FLAG_PREALLOCATED: u32 = 1;
const FIXED_LEN: usize = 32;
/// The largest header: a 255-byte stream name.
pub(crate) const MAX_HEADER_LEN: usize = align8(FIXED_LEN as u64 + 255) as usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    pub start_id: u64,
    pub stream: String,
    /// Zeros after the last frame are preallocated space (see the module docs).
    pub preallocated: bool,
    /// The segment may hold single-entry frames (version 3).
    pub single_entry_frames: bool,
}

impl SegmentHeader {
    pub fn encoded_len(&self) -> u64 {
        align8((FIXED_LEN + self.stream.len()) as u64)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![0u8; self.encoded_len() as usize];
        bytes[0..8].copy_from_slice(&SEGMENT_MAGIC);
        let flags = if self.preallocated {
            FLAG_PREALLOCATED
        } else {
            0
        };
        let version = match (self.single_entry_frames, self.preallocated) {
            (true, _) => VERSION_3,
            (false, true) => VERSION_2,
            (false, false) => VERSION_1,
        };
        bytes[8..10].copy_from_slice(&version.to_le_bytes());
        bytes[10..12].copy_from_slice(&(self.stream.len() as u16).to_le_bytes());
        bytes[12..16].copy_from_slice(&(self.encoded_len() as u32).to_le_bytes());
        bytes[16..24].copy_from_slice(&self.start_id.to_le_bytes());
        bytes[24..28].copy_from_slice(&flags.to_le_bytes());
        bytes[FIXED_LEN..FIXED_LEN + self.stream.len()].copy_from_slice(self.stream.as_bytes());
        let crc = header_crc(&bytes, self.stream.len());
        bytes[28..32].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// Parses a header from the first bytes of a segment file; returns it and the
    /// offset of the first frame. `file` names the file in errors.
    pub fn decode(bytes: &[u8], file: &str) -> Result<(SegmentHeader, u64)> {
        let bad = |why: &str| Error::Corruption(format!("segment {file}: header {why}"));
        if bytes.len() < FIXED_LEN {
            return Err(bad("is truncated"));
        }
        if bytes[0..8] != SEGMENT_MAGIC {
            return Err(bad(match le_u32(bytes, 0) {
                IRONWAL_0_6_FRAME_MAGIC => {
                    "is an ironwal 0.6 frame: this version does not read 0.6's format"
                }
                _ => "has no IronWal magic",
            }));
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        let known_flags = match version {
            VERSION_1 => 0,
            VERSION_2 | VERSION_3 => FLAG_PREALLOCATED,
            _ => return Err(bad(&format!("has unsupported format version {version}"))),
        };
        let name_len = u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
        let header_len = le_u32(bytes, 12) as u64;
        if name_len > 255 || header_len != align8((FIXED_LEN + name_len) as u64) {
            return Err(bad("has impossible lengths"));
        }
        if bytes.len() < FIXED_LEN + name_len {
            return Err(bad("is truncated"));
        }
        let stored_crc = le_u32(bytes, 28);
        let flags = le_u32(bytes, 24);
        if stored_crc != header_crc(bytes, name_len) || flags & !known_flags != 0 {
            return Err(bad("fails its CRC"));
        }
        let stream = std::str::from_utf8(&bytes[FIXED_LEN..FIXED_LEN + name_len])
            .map_err(|_| bad("names a stream that is not UTF-8"))?
            .to_owned();
        Ok((
            SegmentHeader {
                start_id: le_u64(bytes, 16),
                stream,
                preallocated: flags & FLAG_PREALLOCATED != 0,
                single_entry_frames: version == VERSION_3,
            },
            header_len,
        ))
    }
}

/// Whether `head` (a segment file's first bytes, up to `MAX_HEADER_LEN`, and
/// `file_len` in all) is a header whose writing never finished: shorter than a header,
/// shorter than the header length it declares, or nothing but zeros. Such a file holds
/// no frame.
pub(crate) fn is_unfinished(head: &[u8], file_len: u64) -> bool {
    if file_len < FIXED_LEN as u64 {
        return true;
    }
    // Cut short: the magic and a header length consistent with the name length are
    // there, the file ends before that length. A length that disagrees with the name
    // length is damage in a complete header, not an interrupted creation.
    let declared_len = le_u32(head, 12) as u64;
    let name_len = u16::from_le_bytes([head[10], head[11]]) as u64;
    let consistent = name_len <= 255 && declared_len == align8(FIXED_LEN as u64 + name_len);
    let cut_short = head[0..8] == SEGMENT_MAGIC && consistent && declared_len > file_len;
    let all_zero = file_len <= MAX_HEADER_LEN as u64 && head.iter().all(|&b| b == 0);
    cut_short || all_zero
}

fn header_crc(bytes: &[u8], name_len: usize) -> u32 {
    let mut crc = crc_hasher();
    crc.update(&bytes[0..28]);
    crc.update(&bytes[FIXED_LEN..FIXED_LEN + name_len]);
    crc.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_of_ironwal_0_6_is_refused_as_such() {
        let mut bytes = vec![0u8; MAX_HEADER_LEN];
        bytes[..4].copy_from_slice(&IRONWAL_0_6_FRAME_MAGIC.to_le_bytes());
        let error = SegmentHeader::decode(&bytes, "s/0.wal").unwrap_err();
        assert!(error.to_string().contains("ironwal 0.6"), "{error}");
        bytes[0] ^= 1;
        let error = SegmentHeader::decode(&bytes, "s/0.wal").unwrap_err();
        assert!(error.to_string().contains("no IronWal magic"), "{error}");
    }

    #[test]
    fn round_trips_and_rejects_damage() {
        for (preallocated, single_entry_frames) in
            [(false, false), (true, false), (false, true), (true, true)]
        {
            round_trip_and_reject_damage(SegmentHeader {
                start_id: 77,
                stream: "a/b ü".into(),
                preallocated,
                single_entry_frames,
            });
        }
    }

    /// Version 1 (no flags) unless the header is preallocated (2) or may hold
    /// single-entry frames (3).
    #[test]
    fn writes_the_lowest_version_that_expresses_the_header() {
        for (preallocated, single_entry_frames, version, flags) in [
            (false, false, 1u16, 0u32),
            (true, false, 2, 1),
            (false, true, 3, 0),
            (true, true, 3, 1),
        ] {
            let bytes = SegmentHeader {
                start_id: 3,
                stream: "s".into(),
                preallocated,
                single_entry_frames,
            }
            .encode();
            assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), version);
            assert_eq!(le_u32(&bytes, 24), flags);
        }
    }

    fn round_trip_and_reject_damage(header: SegmentHeader) {
        let bytes = header.encode();
        assert_eq!(bytes.len() % 8, 0);
        assert_eq!(
            SegmentHeader::decode(&bytes, "x").unwrap(),
            (header, bytes.len() as u64)
        );
        for i in 0..bytes.len() - 2 {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x10;
            assert!(
                SegmentHeader::decode(&damaged, "x").is_err(),
                "flip at {i} accepted"
            );
        }
        for cut in 0..bytes.len() - 2 {
            assert!(
                SegmentHeader::decode(&bytes[..cut], "x").is_err(),
                "cut at {cut} accepted"
            );
        }
    }

    #[test]
    fn unfinished_headers_are_recognised() {
        let bytes = SegmentHeader {
            start_id: 5,
            stream: "stream-name".into(),
            preallocated: false,
            single_entry_frames: true,
        }
        .encode();
        for cut in 0..bytes.len() {
            assert!(is_unfinished(&bytes[..cut], cut as u64), "cut {cut}");
        }
        assert!(!is_unfinished(&bytes, bytes.len() as u64));
        assert!(is_unfinished(&[0u8; 64], 64));
        let mut garbage = bytes.clone();
        garbage[0] ^= 1;
        assert!(
            !is_unfinished(&garbage, garbage.len() as u64),
            "damage is not an unfinished creation"
        );
    }
}
