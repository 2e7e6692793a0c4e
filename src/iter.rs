//! `WalIterator` and `WalIdIterator`: the public faces of a stream cursor.

use crate::stream::{FrameCursor, Stream};
use crate::{Error, Result};
use std::sync::Arc;

/// Yields the entries of a stream in id order, crossing segments; made by
/// [`Wal::iter`](crate::Wal::iter). It sees entries appended after it was created,
/// also to a stream that held nothing then. After an error it
/// yields nothing more. If a concurrent `truncate` deletes entries it has not reached
/// after it yielded one, it yields
/// [`Error::SegmentNotFound`](crate::Error::SegmentNotFound).
///
/// ```
/// use ironwal::{Wal, WalOptions};
///
/// # fn main() -> ironwal::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let wal = Wal::new(WalOptions::new(dir.path()))?;
/// wal.append("s", b"a")?;
/// let mut entries = wal.iter("s", 0)?;
/// assert_eq!(entries.next().transpose()?, Some(b"a".to_vec()));
/// assert_eq!(entries.next().transpose()?, None);
/// wal.append("s", b"b")?;
/// assert_eq!(entries.next().transpose()?, Some(b"b".to_vec()));
/// # Ok(())
/// # }
/// ```
pub struct WalIterator {
    /// `None` after an error.
    cursor: Option<FrameCursor>,
    /// After a `CrcMismatch`: the stream and file it was found in (C messages).
    failed_in: Option<String>,
}

/// The stream and the id of the next entry (`None` after an error).
impl std::fmt::Debug for WalIterator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cursor = self.cursor.as_ref();
        f.debug_struct("WalIterator")
            .field("stream", &cursor.map(FrameCursor::stream_name))
            .field("next_id", &cursor.map(FrameCursor::next_id))
            .finish()
    }
}

/// Like [`WalIterator`], yielding `(id, entry)` pairs; made by
/// [`Wal::iter_with_ids`](crate::Wal::iter_with_ids).
#[derive(Debug)]
pub struct WalIdIterator {
    entries: WalIterator,
}

impl WalIterator {
    pub(crate) fn new(stream: Arc<Stream>, start_id: u64) -> Self {
        WalIterator {
            cursor: Some(FrameCursor::new(stream, start_id)),
            failed_in: None,
        }
    }

    /// The next entry with its id. The common case (`next_at_hand`, with the frame
    /// check and the small helpers it calls, all `#[inline]`) is inlined into `next`,
    /// and `next` into the caller's loop, even in another crate: the entry is built
    /// where the caller wants it. Returned through another call, it is copied back
    /// with a load the CPU cannot forward from the stores that wrote it; and each call
    /// (saving registers, an out-pointer) cost more than the checks themselves.
    #[inline(always)]
    pub(crate) fn next_with_id(&mut self) -> Option<Result<(u64, Vec<u8>)>> {
        match self.cursor.as_mut()?.next_at_hand() {
            Some(entry) => Some(Ok(entry)),
            None => self.next_general(),
        }
    }

    #[inline(never)]
    fn next_general(&mut self) -> Option<Result<(u64, Vec<u8>)>> {
        match self.cursor.as_mut()?.next_entry_general() {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => None,
            Err(e) => {
                let cursor = self.cursor.take()?;
                if matches!(e, Error::CrcMismatch { .. }) {
                    self.failed_in = cursor.describe_next();
                }
                Some(Err(e))
            }
        }
    }

    /// The stream and file of the `CrcMismatch` the iterator stopped at.
    pub(crate) fn failed_in(&self) -> Option<&str> {
        self.failed_in.as_deref()
    }

    pub(crate) fn with_ids(self) -> WalIdIterator {
        WalIdIterator { entries: self }
    }
}

impl Iterator for WalIterator {
    type Item = Result<Vec<u8>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_with_id()
            .map(|entry| entry.map(|(_, bytes)| bytes))
    }
}

impl Iterator for WalIdIterator {
    type Item = Result<(u64, Vec<u8>)>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.entries.next_with_id()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Wal, WalOptions};

    #[test]
    fn iter_with_ids_pairs_each_entry_with_its_id() {
        let dir = tempfile::tempdir().unwrap();
        let wal = Wal::new(WalOptions::new(dir.path())).unwrap();
        wal.append_batch("s", &[b"a", b"b", b"c"]).unwrap();
        let got: Vec<(u64, Vec<u8>)> = wal
            .iter_with_ids("s", 1)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        assert_eq!(got, vec![(1, b"b".to_vec()), (2, b"c".to_vec())]);
        assert_eq!(wal.iter_with_ids("missing", 0).unwrap().count(), 0);
    }
}
