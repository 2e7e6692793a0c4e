//! `raw`: the physical limit. Each stream is one plain file of records
//! `[payload length: u32 LE][CRC32 of payload: u32 LE][payload]`.
//!
//! - write: one `pwritev` (header + payload, no copy) per entry; `Strict` adds an
//!   `fdatasync` per entry, `BatchOnly` one per batch (a batch is still one write per
//!   entry); writers of one stream are serialized by a mutex (no group commit).
//! - preallocated: the file is zero-filled and fsynced before the timed run, and the
//!   records overwrite the zeros, so an `fdatasync` has no file size to update.
//! - get: an in-memory offset index (built when the reader opens, not timed) and one
//!   `preadv` (header + payload into a fresh `Vec`), CRC checked; or, for `Mmap`, a
//!   copy out of a mapping of the file, CRC checked.
//! - scan: sequential `read`s into a 128 KiB buffer (IronWal's default
//!   `read_buffer_size`), or a walk over the mapping; each payload is CRC checked
//!   and copied into its own `Vec`, as an iterator of `Vec<u8>` must.
//! - `coalesce` (W4, for information): a batch is copied into one buffer and written
//!   with one `pwrite`, then `fdatasync`: the physical limit of a batch.
//! - reopen (W7): the naive recovery: a full scan of every file with CRCs, building
//!   the offset index.

use super::{other, rss_kib, Impl, Layout, Mode, Reader, Strategy, Writer};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

const HEADER: usize = 8;
const SCAN_BUFFER: usize = 128 * 1024;

#[derive(Default)]
pub struct Raw {
    /// Zero-fill each file to this many bytes before the run.
    pub prealloc: Option<u64>,
    /// `append_batch` copies the whole batch into one buffer and writes it with one
    /// `pwrite` (the physical limit of a batch; not the raw baseline, which writes per
    /// entry).
    pub coalesce: bool,
}

fn path(dir: &Path, stream: &str) -> PathBuf {
    dir.join(format!("{stream}.log"))
}

fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Impl for Raw {
    fn name(&self) -> String {
        match (self.prealloc.is_some(), self.coalesce) {
            (false, false) => "raw".into(),
            (true, false) => "raw prealloc".into(),
            (false, true) => "raw 1 write/batch".into(),
            (true, true) => "raw prealloc 1 write/batch".into(),
        }
    }

    fn writer(
        &self,
        dir: &Path,
        mode: Mode,
        _layout: Layout,
        streams: &[&str],
    ) -> io::Result<Box<dyn Writer>> {
        std::fs::create_dir_all(dir)?;
        let mut files = Vec::new();
        for s in streams {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(path(dir, s))?;
            if let Some(bytes) = self.prealloc {
                let zeros = vec![0u8; 1 << 20];
                let mut at = 0;
                while at < bytes {
                    let n = zeros.len().min((bytes - at) as usize);
                    file.write_all_at(&zeros[..n], at)?;
                    at += n as u64;
                }
                file.sync_all()?;
            }
            files.push(Mutex::new(RawFile { file, pos: 0 }));
        }
        fsync_dir(dir)?;
        Ok(Box::new(RawWriter {
            files,
            mode,
            coalesce: self.coalesce,
            buf: Mutex::new(Vec::new()),
        }))
    }

    fn reader(
        &self,
        dir: &Path,
        strategy: Strategy,
        _layout: Layout,
        stream: &str,
    ) -> io::Result<Box<dyn Reader>> {
        let file = File::open(path(dir, stream))?;
        let mut offsets = Vec::new();
        let end = scan_records(&file, |off, _| offsets.push(off))?;
        offsets.push(end);
        let map = match strategy {
            Strategy::StandardIo => None,
            // SAFETY: the file is not written while the benchmark reads it.
            Strategy::Mmap => Some(unsafe { memmap2::Mmap::map(&file)? }),
        };
        Ok(Box::new(RawReader { file, offsets, map }))
    }

    fn reopen(
        &self,
        dir: &Path,
        _strategy: Strategy,
        _layout: Layout,
        streams: &[&str],
        per_stream: u64,
    ) -> io::Result<(f64, u64)> {
        let t = Instant::now();
        let mut indexes = Vec::new();
        for s in streams {
            let file = File::open(path(dir, s))?;
            let mut offsets = Vec::new();
            scan_records(&file, |off, _| offsets.push(off))?;
            indexes.push(offsets);
        }
        let secs = t.elapsed().as_secs_f64();
        let (hwm, _) = rss_kib();
        for (s, offsets) in streams.iter().zip(&indexes) {
            if offsets.len() as u64 != per_stream {
                return Err(other(format!(
                    "raw: stream {s} holds {} entries, not {per_stream}",
                    offsets.len()
                )));
            }
        }
        Ok((secs, hwm))
    }
}

struct RawFile {
    file: File,
    pos: u64,
}

impl RawFile {
    #[inline]
    fn write_record(&mut self, entry: &[u8]) -> io::Result<()> {
        let mut header = [0u8; HEADER];
        header[..4].copy_from_slice(&(entry.len() as u32).to_le_bytes());
        header[4..].copy_from_slice(&crc32fast::hash(entry).to_le_bytes());
        let iov = [
            libc::iovec {
                iov_base: header.as_ptr() as *mut _,
                iov_len: HEADER,
            },
            libc::iovec {
                iov_base: entry.as_ptr() as *mut _,
                iov_len: entry.len(),
            },
        ];
        let want = HEADER + entry.len();
        // SAFETY: both iovecs point at live buffers of their lengths.
        let n = unsafe {
            libc::pwritev(
                self.file.as_raw_fd(),
                iov.as_ptr(),
                2,
                self.pos as libc::off_t,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if n as usize != want {
            return Err(other("raw: short write"));
        }
        self.pos += want as u64;
        Ok(())
    }

    fn datasync(&self) -> io::Result<()> {
        // SAFETY: a valid descriptor.
        if unsafe { libc::fdatasync(self.file.as_raw_fd()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

struct RawWriter {
    files: Vec<Mutex<RawFile>>,
    mode: Mode,
    coalesce: bool,
    /// The batch buffer of `coalesce`, reused.
    buf: Mutex<Vec<u8>>,
}

impl Writer for RawWriter {
    #[inline]
    fn append(&self, stream: usize, entry: &[u8]) -> io::Result<()> {
        let mut f = self.files[stream].lock().unwrap();
        f.write_record(entry)?;
        if self.mode == Mode::Strict {
            f.datasync()?;
        }
        Ok(())
    }

    fn append_batch(&self, stream: usize, entries: &[&[u8]]) -> io::Result<()> {
        let mut f = self.files[stream].lock().unwrap();
        if self.coalesce {
            let mut buf = self.buf.lock().unwrap();
            buf.clear();
            for e in entries {
                buf.extend_from_slice(&(e.len() as u32).to_le_bytes());
                buf.extend_from_slice(&crc32fast::hash(e).to_le_bytes());
                buf.extend_from_slice(e);
            }
            f.file.write_all_at(&buf, f.pos)?;
            f.pos += buf.len() as u64;
        } else {
            for e in entries {
                f.write_record(e)?;
            }
        }
        if self.mode != Mode::Async {
            f.datasync()?;
        }
        Ok(())
    }
}

/// Reads `file` sequentially from offset 0, checking each record's CRC; calls `f` with
/// each record's offset and payload. Stops at the end of the file or at a zero length
/// (a preallocated, unwritten tail). Returns the end offset of the last record.
pub fn scan_records(file: &File, mut f: impl FnMut(u64, &[u8])) -> io::Result<u64> {
    let mut read_at = 0u64; // positional reads: the file's own offset is never used
    let mut buf = vec![0u8; SCAN_BUFFER];
    let (mut start, mut filled) = (0usize, 0usize); // valid bytes are buf[start..filled]
    let mut offset = 0u64; // file offset of buf[start]
    loop {
        // Parse every complete record in the buffer.
        while filled - start >= HEADER {
            let len = u32::from_le_bytes(buf[start..start + 4].try_into().unwrap()) as usize;
            if len == 0 {
                return Ok(offset);
            }
            if filled - start < HEADER + len {
                if HEADER + len > buf.len() {
                    buf.resize(HEADER + len, 0);
                }
                break;
            }
            let crc = u32::from_le_bytes(buf[start + 4..start + 8].try_into().unwrap());
            let payload = &buf[start + HEADER..start + HEADER + len];
            if crc32fast::hash(payload) != crc {
                return Err(other(format!("raw: CRC mismatch at offset {offset}")));
            }
            f(offset, payload);
            start += HEADER + len;
            offset += (HEADER + len) as u64;
        }
        // Move the partial record to the front and refill.
        buf.copy_within(start..filled, 0);
        filled -= start;
        start = 0;
        let n = file.read_at(&mut buf[filled..], read_at)?;
        read_at += n as u64;
        if n == 0 {
            return Ok(offset);
        }
        filled += n;
    }
}

struct RawReader {
    file: File,
    /// Offset of every record, then the end of the last one.
    offsets: Vec<u64>,
    map: Option<memmap2::Mmap>,
}

impl Reader for RawReader {
    #[inline]
    fn get(&self, id: u64) -> io::Result<Option<Vec<u8>>> {
        let i = id as usize;
        if i + 1 >= self.offsets.len() {
            return Ok(None);
        }
        let (off, end) = (self.offsets[i], self.offsets[i + 1]);
        let len = (end - off) as usize - HEADER;
        let (stored_len, crc, payload) = match &self.map {
            Some(map) => {
                let rec = &map[off as usize..end as usize];
                let payload = rec[HEADER..].to_vec();
                (
                    u32::from_le_bytes(rec[..4].try_into().unwrap()),
                    u32::from_le_bytes(rec[4..8].try_into().unwrap()),
                    payload,
                )
            }
            None => {
                let mut header = [0u8; HEADER];
                let mut payload = Vec::<u8>::with_capacity(len);
                let iov = [
                    libc::iovec {
                        iov_base: header.as_mut_ptr() as *mut _,
                        iov_len: HEADER,
                    },
                    libc::iovec {
                        iov_base: payload.as_mut_ptr() as *mut _,
                        iov_len: len,
                    },
                ];
                // SAFETY: both iovecs point at writable buffers of their lengths.
                let n = unsafe {
                    libc::preadv(self.file.as_raw_fd(), iov.as_ptr(), 2, off as libc::off_t)
                };
                if n < 0 {
                    return Err(io::Error::last_os_error());
                }
                if n as usize != HEADER + len {
                    return Err(other("raw: short read"));
                }
                // SAFETY: preadv filled all `len` bytes.
                unsafe { payload.set_len(len) };
                (
                    u32::from_le_bytes(header[..4].try_into().unwrap()),
                    u32::from_le_bytes(header[4..8].try_into().unwrap()),
                    payload,
                )
            }
        };
        if stored_len as usize != len || crc32fast::hash(&payload) != crc {
            return Err(other(format!("raw: bad record at offset {off}")));
        }
        Ok(Some(payload))
    }

    fn scan(&self, check: &mut dyn FnMut(u64, &[u8])) -> io::Result<(u64, u64)> {
        let (mut n, mut bytes) = (0u64, 0u64);
        match &self.map {
            None => {
                scan_records(&self.file, |_, payload| {
                    let entry = payload.to_vec();
                    check(n, &entry);
                    n += 1;
                    bytes += entry.len() as u64;
                })?;
            }
            Some(map) => {
                let mut at = 0usize;
                while at + HEADER <= map.len() {
                    let len = u32::from_le_bytes(map[at..at + 4].try_into().unwrap()) as usize;
                    if len == 0 || at + HEADER + len > map.len() {
                        break;
                    }
                    let crc = u32::from_le_bytes(map[at + 4..at + 8].try_into().unwrap());
                    let entry = map[at + HEADER..at + HEADER + len].to_vec();
                    if crc32fast::hash(&entry) != crc {
                        return Err(other(format!("raw: CRC mismatch at offset {at}")));
                    }
                    check(n, &entry);
                    n += 1;
                    bytes += len as u64;
                    at += HEADER + len;
                }
            }
        }
        Ok((n, bytes))
    }
}
