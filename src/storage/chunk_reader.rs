//! A window over a file that is refilled in chunks, so sequential frame reads cost one
//! `pread` per chunk instead of one per frame.

use super::vfs::{read_exact_at, VfsFile};
use std::io;
use std::sync::Arc;

pub(crate) struct ChunkReader {
    file: Arc<dyn VfsFile>,
    /// Bytes below this offset may be read; they never change.
    limit: u64,
    chunk_size: usize,
    buf: Vec<u8>,
    buf_start: u64,
}

impl ChunkReader {
    pub fn new(file: Arc<dyn VfsFile>, limit: u64, chunk_size: usize) -> Self {
        ChunkReader {
            file,
            limit,
            chunk_size: chunk_size.max(4096),
            buf: Vec::new(),
            buf_start: 0,
        }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Up to `len` bytes at `pos` (fewer only at the limit).
    pub fn bytes(&mut self, pos: u64, len: usize) -> io::Result<&[u8]> {
        let len = len.min(self.limit.saturating_sub(pos) as usize);
        let buf_end = self.buf_start + self.buf.len() as u64;
        if pos < self.buf_start || pos + len as u64 > buf_end {
            let fill = len.max(self.chunk_size).min((self.limit - pos) as usize);
            self.buf.resize(fill, 0);
            read_exact_at(&*self.file, &mut self.buf, pos)?;
            self.buf_start = pos;
        }
        let at = (pos - self.buf_start) as usize;
        Ok(&self.buf[at..at + len])
    }
}
