//! `WalIterator`: the public face of a stream cursor.

use crate::stream::{FrameCursor, Stream};
use crate::Result;
use std::sync::Arc;

/// Yields the entries of a stream in id order, crossing segments. It sees entries
/// appended after it was created. After an error it yields nothing more.
pub struct WalIterator {
    cursor: Option<FrameCursor>,
}

impl WalIterator {
    pub(crate) fn new(stream: Option<Arc<Stream>>, start_id: u64) -> Self {
        WalIterator {
            cursor: stream.map(|stream| FrameCursor::new(stream, start_id)),
        }
    }
}

impl WalIterator {
    /// The next entry with its id.
    pub(crate) fn next_with_id(&mut self) -> Option<Result<(u64, Vec<u8>)>> {
        let outcome = self.cursor.as_mut()?.next_entry();
        match outcome {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => None,
            Err(e) => {
                self.cursor = None;
                Some(Err(e))
            }
        }
    }
}

impl Iterator for WalIterator {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with_id().map(|entry| entry.map(|(_, bytes)| bytes))
    }
}
