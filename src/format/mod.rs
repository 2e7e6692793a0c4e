//! Pure byte layouts of everything IronWal stores, with no I/O (see docs/FORMAT.md).

pub(crate) mod checkpoint_record;
pub(crate) mod frame;
pub(crate) mod frame_index;
pub(crate) mod segment_header;
pub(crate) mod sharded_meta;
pub(crate) mod stream_name;

/// Rounds `n` up to the next multiple of 8: frames and headers are 8-byte aligned.
pub(crate) const fn align8(n: u64) -> u64 {
    (n + 7) & !7
}

/// A fresh CRC32 hasher. `crc32fast::Hasher::new` detects CPU features on every
/// call, which costs a get about 40 instructions; cloning a prototype does not.
#[inline]
pub(crate) fn crc_hasher() -> crc32fast::Hasher {
    static PROTOTYPE: std::sync::OnceLock<crc32fast::Hasher> = std::sync::OnceLock::new();
    PROTOTYPE.get_or_init(crc32fast::Hasher::new).clone()
}

/// Reads a little-endian `u32` at `at` (the caller has checked the length).
#[inline]
pub(crate) fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// Reads a little-endian `u64` at `at` (the caller has checked the length).
#[inline]
pub(crate) fn le_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}
