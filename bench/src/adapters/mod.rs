//! One adapter per implementation behind the same three traits, so that every
//! workload in `workloads.rs` runs the same driver code against each peer.
//!
//! - [`wal`]: this crate (`ironwal`, path dependency) and the published `ironwal`
//!   0.6.9 (`upstream`), through their identical Rust API (one macro, two crates).
//! - [`cdriven`]: this crate through its C ABI, driven by a C loop (W3 only).
//! - [`okay`]: the published `okaywal` 0.3.1 (durable workloads only).
//! - [`raw`]: plain files, a small header (length + CRC32) before each payload.

use std::io;
use std::path::Path;

pub mod cdriven;
pub mod okay;
pub mod raw;
pub mod wal;

/// The durability asked of a writer (the names of `ironwal::SyncMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every append and batch durable on return.
    Strict,
    /// Batches durable on return, single appends not.
    BatchOnly,
    /// Nothing fsynced on the write path.
    Async,
}

/// The read path asked of a reader (the names of `ironwal::ReadStrategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    StandardIo,
    Mmap,
}

impl Strategy {
    pub fn label(self) -> &'static str {
        match self {
            Strategy::StandardIo => "StandardIo",
            Strategy::Mmap => "Mmap",
        }
    }
}

/// How a log lays out its files. `None` keeps the implementation's default.
#[derive(Clone, Copy, Debug, Default)]
pub struct Layout {
    pub max_segment_size: Option<u64>,
    pub max_entries_per_segment: Option<u64>,
}

/// A log open for writing the streams it was opened with (`stream` indexes them).
pub trait Writer: Send + Sync {
    fn append(&self, stream: usize, entry: &[u8]) -> io::Result<()>;
    /// `n` appends of `entry` to stream 0: the loop of W3, kept inside the adapter so
    /// that it is monomorphic for every peer.
    fn append_n(&self, entry: &mut [u8], n: u64) -> io::Result<()> {
        for i in 0..n {
            stamp(entry, i);
            self.append(0, entry)?;
        }
        Ok(())
    }
    fn append_batch(&self, stream: usize, entries: &[&[u8]]) -> io::Result<()>;
}

/// A log open for reading stream 0.
pub trait Reader {
    /// The entry with sequence id `id` (ids start at 0).
    fn get(&self, id: u64) -> io::Result<Option<Vec<u8>>>;
    /// Reads every entry of the stream in order; returns (entries, payload bytes).
    /// Calls `check` with each entry's index and bytes.
    fn scan(&self, check: &mut dyn FnMut(u64, &[u8])) -> io::Result<(u64, u64)>;
}

/// One implementation under test.
pub trait Impl: Sync {
    fn name(&self) -> String;
    fn writer(
        &self,
        dir: &Path,
        mode: Mode,
        layout: Layout,
        streams: &[&str],
    ) -> io::Result<Box<dyn Writer>>;
    fn reader(
        &self,
        dir: &Path,
        strategy: Strategy,
        layout: Layout,
        stream: &str,
    ) -> io::Result<Box<dyn Reader>>;
    /// W7: opens (recovers) the log in `dir` and checks that every stream in `streams`
    /// holds `per_stream` entries. Returns the seconds the open itself took and the
    /// peak RSS (VmHWM, KiB) right after it, before the check.
    fn reopen(
        &self,
        dir: &Path,
        strategy: Strategy,
        layout: Layout,
        streams: &[&str],
        per_stream: u64,
    ) -> io::Result<(f64, u64)>;
}

/// Writes the entry's id into its first 8 bytes, so reads can check they got the
/// right entry.
#[inline]
pub fn stamp(entry: &mut [u8], id: u64) {
    entry[..8].copy_from_slice(&id.to_le_bytes());
}

/// The id an entry was stamped with.
#[inline]
pub fn stamped(entry: &[u8]) -> u64 {
    u64::from_le_bytes(entry[..8].try_into().expect("entries are at least 8 bytes"))
}

pub fn other<E: std::fmt::Display>(e: E) -> io::Error {
    io::Error::other(e.to_string())
}

/// VmHWM (peak resident set) and VmRSS of this process, in KiB.
pub fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Every adapter with its name, for lookup from a child process.
pub fn by_name(name: &str) -> Option<Box<dyn Impl>> {
    let all: Vec<Box<dyn Impl>> = vec![
        Box::new(wal::ThisCrate),
        Box::new(wal::Upstream),
        Box::new(okay::OkayWal),
        Box::new(raw::Raw::default()),
    ];
    all.into_iter().find(|i| i.name() == name)
}
