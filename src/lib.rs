//! # IronWal
//!
//! An embeddable, crash-safe write-ahead log: independent append-only **streams** of
//! entries (byte strings), each with dense `u64` ids starting at 0 that are never
//! reused. Entries are stored in CRC-checked frames in segment files; a batch is one
//! frame, so it is written whole or not at all, also across a crash. The same engine
//! is shipped as a C library (see [`ffi`]).
//!
//! # Quick start
//!
//! ```
//! use ironwal::{Wal, WalOptions};
//!
//! # fn main() -> ironwal::Result<()> {
//! let dir = tempfile::tempdir()?;
//! let mut options = WalOptions::new(dir.path());
//! options.max_entries_per_segment = 2; // tiny segments, to show truncation
//! let wal = Wal::new(options)?;
//!
//! // Append: each entry gets the stream's next id.
//! assert_eq!(wal.append("orders", b"first")?, 0);
//! assert_eq!(wal.append("orders", b"second")?, 1);
//! assert_eq!(wal.get("orders", 1)?.as_deref(), Some(&b"second"[..]));
//!
//! // A batch is atomic: all of its entries are written, or none.
//! assert_eq!(wal.append_batch("orders", &[b"third", b"fourth", b"fifth"])?, 2..5);
//! let mut txn = wal.writer("orders");
//! txn.add(b"sixth".to_vec());
//! assert_eq!(txn.commit()?, 5..6);
//!
//! // Iterate from any id, across segments.
//! let entries: Vec<Vec<u8>> = wal.iter("orders", 4)?.collect::<ironwal::Result<_>>()?;
//! assert_eq!(entries, [b"fifth".to_vec(), b"sixth".to_vec()]);
//!
//! // Truncate: delete the sealed segments whose entries all lie below id 5 (the
//! // segments 0..2 and 2..5; a batch is never split across segments).
//! assert_eq!(wal.truncate("orders", 5)?, 2);
//! assert_eq!(wal.bounds("orders")?, Some(5..6));
//! assert_eq!(wal.get("orders", 0)?, None);
//!
//! // Reopening recovers every stream; ids go on where they stopped.
//! drop(wal);
//! let wal = Wal::new(WalOptions::new(dir.path()))?;
//! assert_eq!(wal.append("orders", b"seventh")?, 6);
//! # Ok(())
//! # }
//! ```
//!
//! # Durability
//!
//! When an append returns `Ok`, the entry is visible to every reader and is in the
//! kernel, so it survives a crash of the process in every mode. The
//! [`WalOptions::sync_mode`] decides what also survives a power loss:
//!
//! - [`SyncMode::Strict`] (the default): every append, batch and commit is durable
//!   when it returns. Concurrent writers of a stream share fsyncs (group commit).
//! - [`SyncMode::BatchOnly`]: [`Wal::append_batch`] and [`TxnWriter::commit`] are
//!   durable when they return, [`Wal::append`] is not.
//! - [`SyncMode::Async`]: nothing is fsynced on the write path until [`Wal::sync`] or
//!   [`Wal::sync_all`].
//!
//! After a failed fsync a stream refuses writes with [`Error::Poisoned`] until the
//! `Wal` is reopened; reads keep working.
//!
//! # Recovery
//!
//! [`Wal::new`] takes an exclusive lock on the root directory (a second open fails
//! with [`Error::Locked`]) and recovers every stream: a torn tail of an active segment
//! (a frame cut short, zeros or garbage) is cut back to the last complete frame. Only
//! active segments are scanned; a sealed segment's frame index is loaded (or rebuilt
//! from the segment) when it is first read. Damage followed by valid frames is never
//! cut: reads of it return an error (never wrong bytes), and
//! [`CorruptionPolicy::Error`] refuses to open on any damage.
//!
//! # Sharded WAL
//!
//! With the Cargo feature `sharded` (off by default), the module `sharded` offers
//! `ShardedWal`: keys routed by a fixed hash to a fixed number of shards, each a
//! stream of one `Wal`, with consistent and durable checkpoints across all shards.
//! The C library always exports it.
//!
//! # Features
//!
//! - `compression` (default): [`CompressionType::Lz4`].
//! - `sharded`: the `sharded` module.
//! - `cli`: the `ironwal` command-line tool (`stat`, `dump`, `verify`, `checkpoints`,
//!   `repair`), built on the [`inspect`] module, which is always part of the library.
//!
//! The on-disk format is described in `docs/FORMAT.md` and `docs/SHARDED_WAL.md`, the C
//! API in `include/ironwal.h` (both in the source repository).

#![warn(missing_docs)]

mod error;
pub mod ffi;
mod format;
pub mod inspect;
mod iter;
mod options;
#[cfg(feature = "sharded")]
pub mod sharded;
// Always built: the C library exports the sharded API whatever the Rust features.
#[cfg(not(feature = "sharded"))]
#[allow(dead_code)]
mod sharded;
mod storage;
mod stream;
mod txn;
mod wal;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod sim_tests;

pub use error::{Error, Result};
pub use iter::{WalIdIterator, WalIterator};
pub use options::{CompressionType, CorruptionPolicy, ReadStrategy, SyncMode, WalOptions};
pub use txn::TxnWriter;
pub use wal::Wal;
