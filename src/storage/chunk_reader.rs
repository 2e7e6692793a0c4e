//! A window over a file that is refilled in chunks, so sequential frame reads cost one
//! `pread` per chunk instead of one per frame; or, over a mapping of the file, no copy
//! at all.

use super::segment_map::SegmentMap;
use super::vfs::{read_exact_at, VfsFile};
use std::io;
use std::sync::Arc;

pub(crate) struct ChunkReader {
    source: Source,
    /// Bytes below this offset may be read; they never change while the reader lives.
    limit: u64,
}

/// Where a chunked reader gets its file.
pub(crate) enum FileRef {
    /// Held while the reader lives (recovery's scan).
    Held(Arc<dyn VfsFile>),
    /// Fetched for each refill and let go after it: between refills the reader holds
    /// no descriptor, so idle iterators keep no file open past `max_open_segments`.
    Fetched(Box<dyn Fn() -> io::Result<Arc<dyn VfsFile>> + Send + Sync>),
}

impl FileRef {
    fn get(&self) -> io::Result<Arc<dyn VfsFile>> {
        match self {
            FileRef::Held(file) => Ok(file.clone()),
            FileRef::Fetched(fetch) => fetch(),
        }
    }
}

enum Source {
    Chunks {
        file: FileRef,
        chunk_size: usize,
        buf: Vec<u8>,
        buf_start: u64,
    },
    /// Maps at least `limit` bytes.
    Mapped(SegmentMap),
}

impl ChunkReader {
    pub fn new(file: FileRef, limit: u64, chunk_size: usize) -> Self {
        ChunkReader {
            source: Source::Chunks {
                file,
                chunk_size: chunk_size.max(4096),
                buf: Vec::new(),
                buf_start: 0,
            },
            limit,
        }
    }

    /// Reads through a mapping of the file's first `limit` bytes when the file system
    /// can map it (no copy), else in chunks.
    pub fn mapped_or_chunked(file: Arc<dyn VfsFile>, limit: u64, chunk_size: usize) -> Self {
        match file.map(limit) {
            Ok(Some(map)) => ChunkReader {
                source: Source::Mapped(SegmentMap::new(map)),
                limit,
            },
            _ => ChunkReader::new(FileRef::Held(file), limit, chunk_size),
        }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The mapping read through, if the file could be mapped.
    pub fn into_map(self) -> Option<SegmentMap> {
        match self.source {
            Source::Mapped(map) => Some(map),
            Source::Chunks { .. } => None,
        }
    }

    /// The bytes from `pos` on that are at hand without I/O (up to the limit; possibly
    /// none).
    pub fn buffered(&self, pos: u64) -> &[u8] {
        match &self.source {
            Source::Mapped(map) => map.range(pos, self.limit).unwrap_or_default(),
            Source::Chunks { buf, buf_start, .. } => pos
                .checked_sub(*buf_start)
                .and_then(|at| buf.get(at as usize..))
                .unwrap_or_default(),
        }
    }

    /// Up to `len` bytes at `pos` (fewer only at the limit).
    pub fn bytes(&mut self, pos: u64, len: usize) -> io::Result<&[u8]> {
        let len = len.min(self.limit.saturating_sub(pos) as usize);
        match &mut self.source {
            Source::Mapped(map) => Ok(map
                .range(pos, pos + len as u64)
                .expect("the mapping covers the limit")),
            Source::Chunks {
                file,
                chunk_size,
                buf,
                buf_start,
            } => {
                let buf_end = *buf_start + buf.len() as u64;
                if pos < *buf_start || pos + len as u64 > buf_end {
                    let fill = len.max(*chunk_size).min((self.limit - pos) as usize);
                    buf.resize(fill, 0);
                    read_exact_at(&*file.get()?, buf, pos)?;
                    *buf_start = pos;
                }
                let at = (pos - *buf_start) as usize;
                Ok(&buf[at..at + len])
            }
        }
    }
}
