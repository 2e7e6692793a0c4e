//! Helpers for the sharded-WAL integration tests (`tests/sharded_*.rs`).
#![allow(dead_code)]

use ironwal::sharded::{shard_for_key, ShardedWal};
use ironwal::{CorruptionPolicy, SyncMode, WalOptions};
use std::path::Path;

/// Name of the stream that holds shard `s`.
pub fn shard_stream(s: u16) -> String {
    format!("shard_{s:02}")
}

/// Options rooted at `dir` with the given sync mode and entries per segment.
pub fn opts(dir: &Path, mode: SyncMode, max_entries: u64) -> WalOptions {
    let mut o = WalOptions::new(dir);
    o.sync_mode = mode;
    o.max_entries_per_segment = max_entries;
    o.on_corruption = CorruptionPolicy::Truncate;
    o
}

pub fn open(dir: &Path, shards: u16) -> ShardedWal {
    ShardedWal::new(opts(dir, SyncMode::Async, u64::MAX), shards).expect("open sharded wal")
}

pub fn open_with(dir: &Path, shards: u16, mode: SyncMode, max_entries: u64) -> ShardedWal {
    ShardedWal::new(opts(dir, mode, max_entries), shards).expect("open sharded wal")
}

/// Every entry of shard `s` from `start` on.
pub fn read_shard(wal: &ShardedWal, s: u16, start: u64) -> Vec<Vec<u8>> {
    wal.iter_shard(s, start)
        .expect("iter_shard")
        .collect::<Result<Vec<_>, _>>()
        .expect("read shard")
}

/// Every (id, entry) of shard `s` from `start` on.
pub fn read_shard_ids(wal: &ShardedWal, s: u16, start: u64) -> Vec<(u64, Vec<u8>)> {
    wal.iter_shard_with_ids(s, start)
        .expect("iter_shard_with_ids")
        .collect::<Result<Vec<_>, _>>()
        .expect("read shard")
}

/// `first retained .. next id` of shard `s` (`0..0` for a shard never written).
pub fn bounds(wal: &ShardedWal, s: u16) -> std::ops::Range<u64> {
    wal.inner()
        .bounds(&shard_stream(s))
        .expect("bounds")
        .unwrap_or(0..0)
}

/// Next id of every shard.
pub fn next_ids(wal: &ShardedWal) -> Vec<u64> {
    (0..wal.shard_count()).map(|s| bounds(wal, s).end).collect()
}

/// The first key of the form `{prefix}{i}` that routes to `shard`.
pub fn key_for_shard(prefix: &str, shard: u16, shard_count: u16) -> Vec<u8> {
    (0u64..)
        .map(|i| format!("{prefix}{i}").into_bytes())
        .find(|k| shard_for_key(k, shard_count) == shard)
        .unwrap()
}

/// xorshift64*: tiny deterministic PRNG.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(splitmix(seed) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// In `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}

pub fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed that differs between runs (time and pid), printed by callers for replay.
pub fn time_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    splitmix(nanos ^ ((std::process::id() as u64) << 32))
}

/// Current time in ns since the Unix epoch.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// Copies the directory tree `from` into `to` (which must exist).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn log_path(root: &Path) -> std::path::PathBuf {
    root.join("checkpoints.log")
}

pub fn head_path(root: &Path) -> std::path::PathBuf {
    root.join("HEAD")
}

pub fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Sets the length of `path` (shrinking or zero-extending).
pub fn set_len(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

pub fn append_bytes(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}
