//! `TxnWriter`: entries collected in memory, appended as one atomic batch.

use crate::{Result, Wal};
use std::ops::Range;

/// Collects entries for one stream and appends them atomically on `commit`. Dropping
/// it without committing discards them. Made by [`Wal::writer`].
///
/// ```
/// use ironwal::{Wal, WalOptions};
///
/// # fn main() -> ironwal::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let wal = Wal::new(WalOptions::new(dir.path()))?;
/// let mut txn = wal.writer("accounts");
/// txn.add(b"debit 10".to_vec());
/// txn.add("credit 10"); // anything `Into<Vec<u8>>`
/// assert_eq!(wal.bounds("accounts")?, None, "nothing is written before commit");
/// assert_eq!(txn.commit()?, 0..2);
/// assert_eq!(wal.get("accounts", 1)?.as_deref(), Some(&b"credit 10"[..]));
///
/// let mut dropped = wal.writer("accounts");
/// dropped.add(b"never written".to_vec());
/// drop(dropped);
/// assert_eq!(wal.bounds("accounts")?, Some(0..2));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TxnWriter {
    wal: Wal,
    stream: String,
    entries: Vec<Vec<u8>>,
}

impl TxnWriter {
    pub(crate) fn new(wal: Wal, stream: String) -> Self {
        TxnWriter {
            wal,
            stream,
            entries: Vec::new(),
        }
    }

    /// Adds an entry to the transaction (memory only).
    pub fn add(&mut self, data: impl Into<Vec<u8>>) {
        self.entries.push(data.into());
    }

    /// Appends all added entries as one batch (see [`Wal::append_batch`]); returns
    /// their ids. With no entries it writes nothing and returns `n..n`, `n` being the
    /// stream's next id.
    pub fn commit(self) -> Result<Range<u64>> {
        let entries: Vec<&[u8]> = self.entries.iter().map(Vec::as_slice).collect();
        self.wal.append_batch(&self.stream, &entries)
    }
}
