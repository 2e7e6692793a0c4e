//! Helpers for the sharded-WAL integration tests (`tests/sharded_*.rs`).
#![allow(dead_code)]

use ironwal::sharded::{shard_for_key, ShardedWal};
use ironwal::{CorruptionPolicy, SyncMode, WalOptions};
use std::path::Path;

// The PRNG and file-damage helpers of the plain-WAL tests.
#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)] // each test file uses a different subset
pub use common::{append_bytes, file_len, set_len, splitmix, XorShift as Rng};

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
