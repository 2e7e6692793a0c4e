//! `WalOptions` and the enums that configure a `Wal` (the ironwal 0.6 option surface).

use std::path::PathBuf;

/// When appended bytes are forced to stable storage (`fdatasync`).
///
/// In every mode an append that returned `Ok` is already in the kernel: it survives a
/// crash of the process. The modes differ only in what survives a power loss.
///
/// ```
/// use ironwal::{SyncMode, Wal, WalOptions};
///
/// # fn main() -> ironwal::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let mut options = WalOptions::new(dir.path());
/// options.sync_mode = SyncMode::Async;
/// let wal = Wal::new(options)?;
/// for i in 0..100u32 {
///     wal.append("metrics", &i.to_le_bytes())?; // no fsync
/// }
/// wal.sync("metrics")?; // all 100 entries are now on stable storage
/// assert_eq!(wal.bounds("metrics")?, Some(0..100));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncMode {
    /// Every append, batch and commit is durable when it returns. Concurrent writers
    /// of one stream share fsyncs (group commit). While those fsyncs are fast (at most
    /// 250 µs) and shared by three writers or more, waiting writers yield the CPU in a
    /// loop, for up to twice an fsync's time, before they sleep: CPU traded for
    /// throughput, since waking sleeping threads one by one costs more than the fsync.
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

/// How segment files are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadStrategy {
    /// Positioned reads (`pread`).
    StandardIo,
    /// Segments are memory-mapped: sealed ones whole, the active one ahead of its end.
    /// Only complete frames are ever read from a mapping, and IronWal never shrinks a
    /// file below them, so a mapping does not fault (unless another program truncates
    /// the files). `Wal::new` reads each active segment through a mapping and keeps it
    /// for later reads, so those pages count in the process's resident set (as page
    /// cache, which the kernel can reclaim).
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

/// Configuration of a [`Wal`](crate::Wal). Build it with [`WalOptions::new`] (or
/// `Default`, whose root is `./wal_data`) and set the public fields.
///
/// ```
/// use ironwal::{CompressionType, CorruptionPolicy, ReadStrategy, Wal, WalOptions};
///
/// # fn main() -> ironwal::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let mut options = WalOptions::new(dir.path());
/// options.max_segment_size = 1 << 20;
/// options.read_strategy = ReadStrategy::Mmap;
/// options.block_cache_size = Some(8 << 20);
/// options.on_corruption = CorruptionPolicy::Error;
/// options.compression = if cfg!(feature = "compression") {
///     CompressionType::Lz4
/// } else {
///     CompressionType::None
/// };
/// let wal = Wal::new(options)?;
/// let big = vec![7u8; 4096]; // above `min_compression_size`: stored compressed
/// let id = wal.append("s", &big)?;
/// assert_eq!(wal.get("s", id)?, Some(big));
/// # Ok(())
/// # }
/// ```
///
/// [`Wal::new`](crate::Wal::new) fails with [`Error::Config`](crate::Error::Config) for
/// a zero `max_segment_size`, `max_entries_per_segment` or `max_open_segments`, an
/// empty `root_path`, or `Lz4` without the `compression` feature.
#[derive(Debug, Clone)]
pub struct WalOptions {
    /// Directory holding one sub-directory per stream and the `.lock` file; created
    /// (with its parents) if missing.
    pub root_path: PathBuf,
    /// Soft size limit of a segment file in bytes (a frame is never split). Default
    /// 64 MiB.
    pub max_segment_size: u64,
    /// Soft limit of entries per segment (a batch is never split). Default `u64::MAX`.
    pub max_entries_per_segment: u64,
    /// Bound on open segment files (file descriptors and mappings), kept in an LRU;
    /// iterators take their file from it for each chunk they read and hold none
    /// between reads.
    /// Default 50.
    pub max_open_segments: usize,
    /// Accepted for ironwal 0.6 compatibility. Every append is handed to the kernel
    /// before it returns, so no user-space write buffer exists.
    pub write_buffer_size: usize,
    /// Size of the chunks iterators and recovery read at a time, at least 4 KiB (a
    /// smaller value, 0 included, reads 4 KiB). Default 128 KiB.
    pub read_buffer_size: usize,
    /// Byte budget of the cache of decoded frames; `None` (the default) disables it.
    pub block_cache_size: Option<u64>,
    /// When appends are made durable. Default [`SyncMode::Strict`].
    pub sync_mode: SyncMode,
    /// Payload compression. Default [`CompressionType::None`].
    pub compression: CompressionType,
    /// How segments are read. Default [`ReadStrategy::StandardIo`].
    pub read_strategy: ReadStrategy,
    /// What recovery does with damage. Default [`CorruptionPolicy::Truncate`].
    pub on_corruption: CorruptionPolicy,
    /// Payloads smaller than this many bytes are never compressed. Default 1024.
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
        if self.compression == CompressionType::Lz4 && !cfg!(feature = "compression") {
            return Err(Config(
                "CompressionType::Lz4 needs the `compression` feature".into(),
            ));
        }
        Ok(())
    }
}
