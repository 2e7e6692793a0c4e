//! Shared by the fuzz targets: on-disk layouts rebuilt from docs/FORMAT.md (the fuzz
//! crate sees only ironwal's public API) and the checks every target makes.

use ironwal::{CompressionType, CorruptionPolicy, ReadStrategy, SyncMode, Wal, WalOptions};
use std::path::Path;

pub const STREAM: &str = "s";

/// A segment header for stream `STREAM` starting at `start_id` (docs/FORMAT.md).
pub fn segment_header(start_id: u64) -> Vec<u8> {
    let name = STREAM.as_bytes();
    let len = (32 + name.len() + 7) & !7;
    let mut h = vec![0u8; len];
    h[0..8].copy_from_slice(b"IRONWAL\0");
    h[8..10].copy_from_slice(&1u16.to_le_bytes());
    h[10..12].copy_from_slice(&(name.len() as u16).to_le_bytes());
    h[12..16].copy_from_slice(&(len as u32).to_le_bytes());
    h[16..24].copy_from_slice(&start_id.to_le_bytes());
    h[32..32 + name.len()].copy_from_slice(name);
    let mut crc = crc32(&h[0..28]);
    crc = crc32_continue(crc, name);
    h[28..32].copy_from_slice(&crc.to_le_bytes());
    h
}

/// A frame index file (`.idx`) for a segment, per docs/FORMAT.md.
pub fn frame_index(start_id: u64, data_end: u64, end_id: u64, frames: &[(u64, u64)]) -> Vec<u8> {
    let mut b = b"IWALIDX\0".to_vec();
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    for w in [start_id, data_end, end_id, frames.len() as u64] {
        b.extend_from_slice(&w.to_le_bytes());
    }
    for &(id, off) in frames {
        b.extend_from_slice(&id.to_le_bytes());
        b.extend_from_slice(&off.to_le_bytes());
    }
    let crc = crc32(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b
}

/// Makes every 8-aligned frame-looking header in `frames` (either layout) carry a
/// correct CRC, so the fuzzer gets past the CRC check and reaches the decoder.
pub fn fix_frame_crcs(frames: &mut [u8]) {
    let mut p = 0;
    while p + 24 <= frames.len() {
        // (header length, offset of the payload length) of a single-entry frame or a
        // frame of entries.
        let layout = match &frames[p..p + 4] {
            b"IWS1" => Some((24, 16)),
            b"IWF1" if p + 32 <= frames.len() => Some((32, 20)),
            _ => None,
        };
        if let Some((header_len, len_at)) = layout {
            let at = p + len_at;
            let stored = u32::from_le_bytes(frames[at..at + 4].try_into().unwrap()) as usize;
            let end = (p + header_len).checked_add(stored);
            if let Some(end) = end.filter(|&e| e <= frames.len()) {
                let crc = crc32(&frames[p + 8..end]);
                frames[p + 4..p + 8].copy_from_slice(&crc.to_le_bytes());
            }
        }
        p += 8;
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    crc32_continue(0, bytes)
}

/// CRC32 (IEEE), bitwise: slow but dependency-free.
fn crc32_continue(crc: u32, bytes: &[u8]) -> u32 {
    let mut c = !crc;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// Options chosen by one input byte.
pub fn options(root: &Path, knobs: u8) -> WalOptions {
    let mut opts = WalOptions::new(root);
    opts.sync_mode = SyncMode::Async;
    opts.on_corruption = if knobs & 1 == 0 {
        CorruptionPolicy::Truncate
    } else {
        CorruptionPolicy::Error
    };
    opts.read_strategy = if knobs & 2 == 0 {
        ReadStrategy::StandardIo
    } else {
        ReadStrategy::Mmap
    };
    opts.block_cache_size = (knobs & 4 != 0).then_some(1 << 20);
    opts.compression = if knobs & 8 == 0 {
        CompressionType::None
    } else {
        CompressionType::Lz4
    };
    opts.read_buffer_size = if knobs & 16 == 0 { 4096 } else { 1 };
    opts
}

/// Reads everything the stream claims to hold: `get` and `iter` must agree on every
/// id both return, and nothing may panic. Then an append must work and survive a
/// reopen.
pub fn read_everything_and_append(wal: Wal, opts: &WalOptions) {
    let bounds = wal.bounds(STREAM).unwrap();
    if let Some(b) = bounds.clone() {
        let mut got = Vec::new();
        for id in b.start..b.end.min(b.start + 4096) {
            got.push(wal.get(STREAM, id).ok());
        }
        if let Ok(iter) = wal.iter_with_ids(STREAM, 0) {
            for item in iter.take(4096) {
                let Ok((id, bytes)) = item else { break };
                assert!(b.contains(&id), "iter returned id {id} outside {b:?}");
                if let Some(Some(Some(same))) = got.get((id - b.start) as usize) {
                    assert_eq!(same, &bytes, "get and iter disagree on id {id}");
                }
            }
        }
        assert_eq!(wal.get(STREAM, b.end).unwrap(), None);
    }
    let next = bounds.map_or(0, |b| b.end);
    let id = wal.append(STREAM, b"fuzz").expect("append after recovery");
    assert_eq!(id, next);
    drop(wal);
    let wal = Wal::new(opts.clone()).expect("reopen after append");
    assert_eq!(wal.get(STREAM, id).unwrap().as_deref(), Some(&b"fuzz"[..]));
}

/// A temp directory, on tmpfs when there is one (many runs per second).
pub fn temp_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::Builder::new()
            .prefix("ironwal-fuzz-")
            .tempdir_in(shm)
        {
            return dir;
        }
    }
    tempfile::tempdir().unwrap()
}
