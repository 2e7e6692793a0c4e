//! `WalOptions` and the enums that configure a `Wal` (the ironwal 0.6 option surface).

use std::path::PathBuf;

/// When appended bytes are forced to stable storage (`fdatasync`).
///
/// In every mode an append that returned `Ok` is already in the kernel: it survives a
/// crash of the process. The modes differ only in what survives a power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncMode {
    /// Every append, batch and commit is durable when it returns. Concurrent writers
    /// of one stream share fsyncs (group commit).
    Strict,
    /// Batches (`append_batch`, `TxnWriter::commit`) are durable when they return;
    /// single appends are not.
    BatchOnly,
    /// Nothing is fsynced on the write path; `Wal::sync` / `Wal::sync_all` make
    /// everything appended so far durable on demand.
    Async,
}

/// How frame payloads are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompressionType {
    /// Payloads are stored as written.
    None,
    /// Payloads of at least `min_compression_size` bytes are LZ4-compressed when that
    /// saves space (needs the `compression` feature).
    Lz4,
}

/// How sealed segment files are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadStrategy {
    /// Positioned reads (`pread`).
    StandardIo,
    /// Sealed segments are memory-mapped; they never change again, so a mapping can
    /// not fault. The active segment is read with `pread`.
    Mmap,
}

/// What `Wal::new` does with damage it finds while recovering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorruptionPolicy {
    /// Cut a torn or zero-filled tail of an active segment back to the last complete
    /// frame. Damage followed by valid frames is never cut: it stays on disk and reads
    /// of it return an error.
    Truncate,
    /// Refuse to open when any damage is found, torn tails included.
    Error,
}

/// Configuration of a [`crate::Wal`].
#[derive(Debug, Clone)]
pub struct WalOptions {
    /// Directory holding one sub-directory per stream and the `LOCK` file.
    pub root_path: PathBuf,
    /// Soft size limit of a segment file in bytes (a frame is never split).
    pub max_segment_size: u64,
    /// Soft limit of entries per segment (a batch is never split).
    pub max_entries_per_segment: u64,
    /// Bound on open segment files (file descriptors and mappings), kept in an LRU.
    pub max_open_segments: usize,
    /// Accepted for ironwal 0.6 compatibility. Every append is handed to the kernel
    /// before it returns, so no user-space write buffer exists.
    pub write_buffer_size: usize,
    /// Size of the chunks iterators and recovery read at a time.
    pub read_buffer_size: usize,
    /// Byte budget of the cache of decoded frames; `None` disables it.
    pub block_cache_size: Option<u64>,
    /// When appends are made durable.
    pub sync_mode: SyncMode,
    /// Payload compression.
    pub compression: CompressionType,
    /// How sealed segments are read.
    pub read_strategy: ReadStrategy,
    /// What recovery does with damage.
    pub on_corruption: CorruptionPolicy,
    /// Payloads smaller than this many bytes are never compressed.
    pub min_compression_size: usize,
}

impl Default for WalOptions {
    fn default() -> Self {
        WalOptions {
            root_path: PathBuf::from("./wal_data"),
            max_segment_size: 64 * 1024 * 1024,
            max_entries_per_segment: u64::MAX,
            max_open_segments: 50,
            write_buffer_size: 64 * 1024,
            read_buffer_size: 128 * 1024,
            block_cache_size: None,
            sync_mode: SyncMode::Strict,
            compression: CompressionType::None,
            read_strategy: ReadStrategy::StandardIo,
            on_corruption: CorruptionPolicy::Truncate,
            min_compression_size: 1024,
        }
    }
}

impl WalOptions {
    /// Default options with `root_path` set to `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        WalOptions {
            root_path: path.into(),
            ..Default::default()
        }
    }

    /// Rejects settings the engine cannot honour.
    pub(crate) fn validate(&self) -> crate::Result<()> {
        use crate::Error::Config;
        if self.root_path.as_os_str().is_empty() {
            return Err(Config("root_path is empty".into()));
        }
        if self.max_segment_size == 0 {
            return Err(Config("max_segment_size must be greater than 0".into()));
        }
        if self.max_entries_per_segment == 0 {
            return Err(Config(
                "max_entries_per_segment must be greater than 0".into(),
            ));
        }
        if self.max_open_segments == 0 {
            return Err(Config("max_open_segments must be at least 1".into()));
        }
        if self.read_buffer_size == 0 {
            return Err(Config("read_buffer_size must be greater than 0".into()));
        }
        if self.compression == CompressionType::Lz4 && !cfg!(feature = "compression") {
            return Err(Config(
                "CompressionType::Lz4 needs the `compression` feature".into(),
            ));
        }
        Ok(())
    }
}
