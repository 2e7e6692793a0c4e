//! `checkpoints.log`: a file header, then one record per checkpoint, in creation order.
//!
//! ```text
//! file header: 0 [u8; 8] magic "IWCKLOG\0", 8 u32 format version (1), 12 u32 zero
//! record (8-byte aligned):
//! 0  u32 magic "IWCK"             24 u64 timestamp (ns since the Unix epoch)
//! 4  u32 crc32 of bytes 8..len    32 u32 id length k (1..=65535)
//! 8  u32 record length (padded)   36 u32 zero
//! 12 u16 shard count n            40 n x u64 offsets (next id of each shard)
//! 14 u16 zero                     40 + 8n: k id bytes, zero padding to a multiple of 8
//! 16 u64 sequence number (1, 2, ... in creation order; kept by compaction)
//! ```

use super::{align8, le_u32, le_u64};

pub(crate) const LOG_MAGIC: [u8; 8] = *b"IWCKLOG\0";
pub(crate) const LOG_VERSION: u32 = 1;
pub(crate) const LOG_HEADER_LEN: u64 = 16;
const RECORD_MAGIC: u32 = u32::from_le_bytes(*b"IWCK");
const RECORD_FIXED_LEN: usize = 40;
pub(crate) const MAX_CHECKPOINT_ID_LEN: usize = 65535;

pub(crate) fn encode_log_header() -> Vec<u8> {
    let mut bytes = LOG_MAGIC.to_vec();
    bytes.extend_from_slice(&LOG_VERSION.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes
}

pub(crate) fn is_log_header(bytes: &[u8]) -> bool {
    bytes.len() >= LOG_HEADER_LEN as usize
        && bytes[0..8] == LOG_MAGIC
        && le_u32(bytes, 8) == LOG_VERSION
}

/// One checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckpointRecord {
    pub sequence: u64,
    pub timestamp: u64,
    pub id: Vec<u8>,
    pub offsets: Vec<u64>,
}

impl CheckpointRecord {
    pub fn encode(&self) -> Vec<u8> {
        let len =
            align8((RECORD_FIXED_LEN + 8 * self.offsets.len() + self.id.len()) as u64) as usize;
        let mut bytes = Vec::with_capacity(len);
        bytes.extend_from_slice(&RECORD_MAGIC.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&(len as u32).to_le_bytes());
        bytes.extend_from_slice(&(self.offsets.len() as u16).to_le_bytes());
        bytes.extend_from_slice(&[0; 2]);
        bytes.extend_from_slice(&self.sequence.to_le_bytes());
        bytes.extend_from_slice(&self.timestamp.to_le_bytes());
        bytes.extend_from_slice(&(self.id.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        for offset in &self.offsets {
            bytes.extend_from_slice(&offset.to_le_bytes());
        }
        bytes.extend_from_slice(&self.id);
        bytes.resize(len, 0);
        let crc = crc32fast::hash(&bytes[8..]);
        bytes[4..8].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// The record at the start of `bytes` and its length, if it is whole and valid.
    pub fn decode(bytes: &[u8]) -> Option<(CheckpointRecord, usize)> {
        if bytes.len() < RECORD_FIXED_LEN || le_u32(bytes, 0) != RECORD_MAGIC {
            return None;
        }
        let len = le_u32(bytes, 8) as usize;
        let shard_count = u16::from_le_bytes([bytes[12], bytes[13]]) as usize;
        let id_len = le_u32(bytes, 32) as usize;
        let expected_len = align8((RECORD_FIXED_LEN + 8 * shard_count + id_len) as u64) as usize;
        if len != expected_len || len > bytes.len() || id_len == 0 || id_len > MAX_CHECKPOINT_ID_LEN
        {
            return None;
        }
        if crc32fast::hash(&bytes[8..len]) != le_u32(bytes, 4) {
            return None;
        }
        let id_at = RECORD_FIXED_LEN + 8 * shard_count;
        let record = CheckpointRecord {
            sequence: le_u64(bytes, 16),
            timestamp: le_u64(bytes, 24),
            offsets: (0..shard_count)
                .map(|s| le_u64(bytes, RECORD_FIXED_LEN + 8 * s))
                .collect(),
            id: bytes[id_at..id_at + id_len].to_vec(),
        };
        Some((record, len))
    }

    /// Whether a valid record could start at `bytes` (its magic is there).
    pub fn starts_here(bytes: &[u8]) -> bool {
        bytes.len() >= 4 && le_u32(bytes, 0) == RECORD_MAGIC
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CheckpointRecord {
        CheckpointRecord {
            sequence: 3,
            timestamp: 1_700_000_000_000_000_000,
            id: b"raft_5000".to_vec(),
            offsets: vec![10, 0, 7],
        }
    }

    #[test]
    fn round_trips() {
        let bytes = sample().encode();
        assert_eq!(bytes.len() % 8, 0);
        assert_eq!(
            CheckpointRecord::decode(&bytes),
            Some((sample(), bytes.len()))
        );
        let mut followed = bytes.clone();
        followed.extend_from_slice(&[0xAB; 40]);
        assert_eq!(
            CheckpointRecord::decode(&followed),
            Some((sample(), bytes.len()))
        );
    }

    #[test]
    fn any_flip_or_cut_is_rejected() {
        let bytes = sample().encode();
        let significant = RECORD_FIXED_LEN + 8 * 3 + 9;
        for i in 0..significant {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x20;
            assert_eq!(CheckpointRecord::decode(&damaged), None, "flip at {i}");
        }
        for cut in 0..bytes.len() {
            assert_eq!(
                CheckpointRecord::decode(&bytes[..cut]),
                None,
                "cut at {cut}"
            );
        }
    }
}
