//! # IronWal
//!
//! An embeddable write-ahead log: independent append-only streams of entries with dense
//! `u64` ids, atomic batches, CRC-checked frames, crash recovery, and a C ABI.
//!
//! ```no_run
//! use ironwal::{Wal, WalOptions, SyncMode};
//!
//! # fn main() -> ironwal::Result<()> {
//! let mut opts = WalOptions::new("./my_wal_data");
//! opts.sync_mode = SyncMode::Strict;
//! let wal = Wal::new(opts)?;
//! let id = wal.append("logs", b"Hello, IronWal!")?;
//! assert_eq!(wal.get("logs", id)?.as_deref(), Some(&b"Hello, IronWal!"[..]));
//! let range = wal.append_batch("logs", &[b"a", b"b"])?;
//! assert_eq!(range, id + 1..id + 3);
//! # Ok(())
//! # }
//! ```

mod error;
pub mod ffi;
mod format;
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
