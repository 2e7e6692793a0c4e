//! The crate's `Error` and `Result`, and the helper that gives I/O errors their context.

use std::path::Path;

/// Result of every fallible IronWal call.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong. Messages read as ironwal 0.6's and add the stream,
/// file and offset involved; an [`Error::Io`] keeps the OS error as its `source()`.
///
/// The enum is `#[non_exhaustive]`: a `match` needs a wildcard arm.
///
/// ```
/// use ironwal::{Error, Wal, WalOptions};
///
/// # fn main() -> ironwal::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let wal = Wal::new(WalOptions::new(dir.path()))?;
/// match wal.append("", b"entry") {
///     Err(Error::InvalidStreamName(why)) => assert_eq!(why, "stream name is empty"),
///     other => panic!("expected InvalidStreamName, got {other:?}"),
/// }
/// assert!(matches!(wal.sync("never-written"), Err(Error::StreamNotFound(_))));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system I/O error; the message says which file and operation.
    #[error("I/O Error: {0}")]
    Io(#[from] std::io::Error),
    /// Bytes on disk that cannot be what IronWal wrote.
    #[error("Data Corruption: {0}")]
    Corruption(String),
    /// A frame whose CRC32 does not match its contents.
    #[error("CRC32 Checksum Mismatch: expected {expected:#x}, got {actual:#x} at offset {offset}")]
    CrcMismatch {
        /// CRC stored in the frame header.
        expected: u32,
        /// CRC computed over the bytes read.
        actual: u32,
        /// Offset of the frame in its segment file.
        offset: u64,
    },
    /// Options that cannot be honoured.
    #[error("Configuration Error: {0}")]
    Config(String),
    /// The entry with this id was deleted by a `truncate` while an iterator that had
    /// already yielded earlier entries was about to read it.
    #[error("Segment not found for ID: {0}")]
    SegmentNotFound(u64),
    /// An operation that needs an existing stream ([`Wal::sync`](crate::Wal::sync), the
    /// `inspect` module's `dump`) named one that holds nothing.
    #[error("Stream not found: {0}")]
    StreamNotFound(String),
    /// Kept for ironwal 0.6 compatibility; this version does not return it.
    #[error("Invalid filename format in WAL directory: {0}")]
    InvalidFilename(String),
    /// Kept for ironwal 0.6 compatibility; this version does not return it.
    #[error("Serialization Error: {0}")]
    Serialization(String),
    /// A stream name that cannot be stored (empty or longer than 255 bytes).
    #[error("Invalid stream name: {0}")]
    InvalidStreamName(String),
    /// An argument out of range (for example an entry larger than a frame can hold).
    #[error("Invalid argument: {0}")]
    InvalidArgument(String),
    /// The root directory is locked by another `Wal` (in this or another process).
    #[error("WAL root is locked by another open Wal: {0}")]
    Locked(String),
    /// An fsync failed earlier; the stream refuses writes until the `Wal` is reopened.
    #[error("Stream refuses writes after a failed fsync (reopen the Wal): {0}")]
    Poisoned(String),
    /// No checkpoint has this id (sharded WAL).
    #[error("Checkpoint not found: {0}")]
    CheckpointNotFound(String),
    /// `checkpoints.log` holds damage that recovery may not skip (sharded WAL).
    #[error("Checkpoint corrupted at offset {offset}: {reason}")]
    CheckpointCorrupted {
        /// Byte offset in `checkpoints.log`.
        offset: u64,
        /// What is wrong there.
        reason: String,
    },
    /// The sharded WAL on disk was created with another shard count.
    #[error("Shard count mismatch: expected {expected}, found {found}")]
    ShardCountMismatch {
        /// The shard count passed to `ShardedWal::new`.
        expected: u16,
        /// The shard count recorded on disk.
        found: u16,
    },
    /// A checkpoint id that is empty or longer than 65535 bytes.
    #[error("Invalid checkpoint ID: {0}")]
    InvalidCheckpointId(String),
    /// The sharded WAL holds no checkpoint yet.
    #[error("No checkpoints available")]
    NoCheckpoints,
}

/// Wraps an I/O error with what was being done to which file, keeping its kind.
pub(crate) fn io_context(err: std::io::Error, action: &str, path: &Path) -> Error {
    Error::Io(io_error_in(format!("{action} {}", path.display()), err))
}

/// `err` with `context` (what was being done, to which file) in front of its message.
/// Its kind is kept, and the original error (with its `raw_os_error()`) is its
/// `source()`.
pub(crate) fn io_error_in(context: String, err: std::io::Error) -> std::io::Error {
    std::io::Error::new(
        err.kind(),
        IoContext {
            context,
            source: err,
        },
    )
}

#[derive(Debug, thiserror::Error)]
#[error("{context}: {source}")]
struct IoContext {
    context: String,
    source: std::io::Error,
}
