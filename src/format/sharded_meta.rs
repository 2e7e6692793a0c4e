//! The two small fixed-size files of a sharded WAL.
//!
//! `MANIFEST` (written once, when the sharded WAL is created):
//! ```text
//! 0 [u8; 8] magic "IWSHARD\0"   12 u16 shard count, u16 zero
//! 8 u32 format version (1)      16 u32 crc32 of bytes 0..16, u32 zero
//! ```
//! `HEAD` (replaced atomically after each checkpoint; a cache of the log's last record):
//! ```text
//! 0 [u8; 8] magic "IWHEAD\0\0"  16 u64 sequence number of the latest checkpoint
//! 8 u32 format version (1)      24 u64 offset of its record in checkpoints.log
//! 12 u32 zero                   32 u32 crc32 of bytes 0..32, u32 zero
//! ```

use super::{le_u32, le_u64};

const MANIFEST_MAGIC: [u8; 8] = *b"IWSHARD\0";
const HEAD_MAGIC: [u8; 8] = *b"IWHEAD\0\0";
const VERSION: u32 = 1;

/// Appends `crc32(bytes)` and four zero bytes.
fn seal(mut bytes: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes
}

/// The body of a sealed record with `magic` and `body_len` bytes before its CRC.
fn open_sealed<'a>(bytes: &'a [u8], magic: &[u8; 8], body_len: usize) -> Option<&'a [u8]> {
    let valid = bytes.len() == body_len + 8
        && bytes[0..8] == *magic
        && le_u32(bytes, 8) == VERSION
        && le_u32(bytes, body_len) == crc32fast::hash(&bytes[..body_len]);
    valid.then(|| &bytes[..body_len])
}

pub(crate) fn encode_manifest(shard_count: u16) -> Vec<u8> {
    let mut bytes = MANIFEST_MAGIC.to_vec();
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes.extend_from_slice(&shard_count.to_le_bytes());
    bytes.extend_from_slice(&[0; 2]);
    seal(bytes)
}

/// The shard count of a valid manifest.
pub(crate) fn decode_manifest(bytes: &[u8]) -> Option<u16> {
    let body = open_sealed(bytes, &MANIFEST_MAGIC, 16)?;
    Some(u16::from_le_bytes([body[12], body[13]]))
}

/// What `HEAD` points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    pub sequence: u64,
    pub offset: u64,
}

impl Head {
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = HEAD_MAGIC.to_vec();
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&self.sequence.to_le_bytes());
        bytes.extend_from_slice(&self.offset.to_le_bytes());
        seal(bytes)
    }

    pub fn decode(bytes: &[u8]) -> Option<Head> {
        let body = open_sealed(bytes, &HEAD_MAGIC, 32)?;
        Some(Head {
            sequence: le_u64(body, 16),
            offset: le_u64(body, 24),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_reject_any_damage() {
        let manifest = encode_manifest(300);
        assert_eq!(decode_manifest(&manifest), Some(300));
        let head = Head {
            sequence: 7,
            offset: 4096,
        };
        let head_bytes = head.encode();
        assert_eq!(Head::decode(&head_bytes), Some(head));
        for i in 0..manifest.len() - 4 {
            let mut damaged = manifest.clone();
            damaged[i] ^= 4;
            assert_eq!(decode_manifest(&damaged), None, "manifest flip at {i}");
        }
        for i in 0..head_bytes.len() - 4 {
            let mut damaged = head_bytes.clone();
            damaged[i] ^= 4;
            assert_eq!(Head::decode(&damaged), None, "head flip at {i}");
        }
        assert_eq!(Head::decode(&head_bytes[..20]), None);
    }
}
