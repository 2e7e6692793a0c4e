//! `dump`: the entries of one stream, read by the engine's own read path, going on
//! past damaged entries.

use super::engine::dry_run;
use crate::{Error, Result, Wal, WalIdIterator};
use std::ops::Range;
use std::path::Path;

/// The entries of a stream in id order, each with its id; an unreadable entry yields
/// its error and the dump goes on with the next id.
pub struct Dump {
    wal: Wal,
    stream: String,
    ids: Range<u64>,
    /// Reads from `ids.start`; dropped after an error.
    entries: Option<WalIdIterator>,
}

/// The entries of `stream` in the WAL root `root` from id `from` on (from the first
/// retained one if `from` is below it), without changing the root and without its
/// lock. Fails with [`Error::StreamNotFound`] when the stream holds nothing.
///
/// ```
/// use ironwal::inspect::dump;
/// use ironwal::{Wal, WalOptions};
///
/// # fn main() -> ironwal::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let wal = Wal::new(WalOptions::new(dir.path()))?;
/// wal.append_batch("s", &[b"a", b"b", b"c"])?;
/// let entries = dump(dir.path(), "s", 1)?;
/// assert_eq!(entries.ids(), 1..3);
/// let read: Vec<(u64, Vec<u8>)> = entries
///     .map(|(id, entry)| entry.map(|bytes| (id, bytes)))
///     .collect::<ironwal::Result<_>>()?;
/// assert_eq!(read, [(1, b"b".to_vec()), (2, b"c".to_vec())]);
/// # Ok(())
/// # }
/// ```
pub fn dump(root: &Path, stream: &str, from: u64) -> Result<Dump> {
    let wal = dry_run(root, None)?.engine?.wal;
    let bounds = wal
        .bounds(stream)?
        .ok_or_else(|| Error::StreamNotFound(stream.to_owned()))?;
    Ok(Dump {
        wal,
        stream: stream.to_owned(),
        ids: from.max(bounds.start)..bounds.end,
        entries: None,
    })
}

impl Dump {
    /// The ids still to come.
    pub fn ids(&self) -> Range<u64> {
        self.ids.clone()
    }
}

impl Iterator for Dump {
    type Item = (u64, Result<Vec<u8>>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.ids.is_empty() {
            return None;
        }
        let id = self.ids.start;
        let entries = match &mut self.entries {
            Some(entries) => entries,
            None => match self.wal.iter_with_ids(&self.stream, id) {
                Ok(entries) => self.entries.insert(entries),
                Err(e) => {
                    self.ids.start += 1;
                    return Some((id, Err(e)));
                }
            },
        };
        match entries.next() {
            Some(Ok((got, entry))) => {
                self.ids.start = got + 1;
                Some((got, Ok(entry)))
            }
            Some(Err(e)) => {
                // The iterator stops at an error: the next call starts a new one after it.
                self.entries = None;
                self.ids.start += 1;
                Some((id, Err(e)))
            }
            None => None,
        }
    }
}
