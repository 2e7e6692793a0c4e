//! The one seam between the engine and the file system. Every file operation of the
//! engine goes through `Vfs`/`VfsFile`, so a simulated disk can replace the real one to
//! enumerate crash states and inject I/O errors. `RealFs` is the POSIX implementation.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;

/// How a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenMode {
    /// Existing file, read only.
    Read,
    /// Existing file, read and write.
    ReadWrite,
    /// New file that must not exist yet, read and write.
    CreateNew,
}

/// One directory entry.
#[derive(Debug, Clone)]
pub(crate) struct DirEntry {
    pub name: String,
    pub is_dir: bool,
}

/// Directory-level operations.
pub(crate) trait Vfs: Send + Sync {
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn VfsFile>>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    fn remove_dir(&self, path: &Path) -> io::Result<()>;
    /// Entries with UTF-8 names (others cannot be IronWal's and are skipped).
    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;
    /// Makes the directory's entries (creates, renames, removes) durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// Takes an exclusive lock on `path` (created if missing), held until the returned
    /// guard is dropped. Fails with `WouldBlock` while anyone else holds it.
    fn lock(&self, path: &Path) -> io::Result<Box<dyn Send + Sync>>;
}

/// File-level operations; positioned, so one handle serves many threads.
pub(crate) trait VfsFile: Send + Sync {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize>;
    /// `fdatasync`: the file's data and size are durable.
    fn sync_data(&self) -> io::Result<()>;
    fn set_len(&self, len: u64) -> io::Result<()>;
    fn len(&self) -> io::Result<u64>;
    /// A read-only mapping of the file's first `len` bytes (which may run past its
    /// end: pages wholly past the end must not be touched), where the implementation
    /// supports it. Read only through `SegmentMap`, which never exposes bytes that may
    /// still change.
    fn map(&self, len: u64) -> io::Result<Option<memmap2::Mmap>>;
    /// Asks the kernel to start writing `len` bytes at `offset` back to the device,
    /// without waiting and without making anything durable (a hint; may do nothing).
    fn start_writeback(&self, _offset: u64, _len: u64) {}
}

/// Reads exactly `buf.len()` bytes at `offset`.
pub(crate) fn read_exact_at(
    file: &dyn VfsFile,
    mut buf: &mut [u8],
    mut offset: u64,
) -> io::Result<()> {
    while !buf.is_empty() {
        match file.read_at(buf, offset) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file ends early",
                ))
            }
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes all of `buf` at `offset`.
pub(crate) fn write_all_at(file: &dyn VfsFile, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match file.write_at(buf, offset) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
            Ok(n) => {
                buf = &buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads a whole (small) file.
pub(crate) fn read_file(vfs: &dyn Vfs, path: &Path) -> io::Result<Vec<u8>> {
    let file = vfs.open(path, OpenMode::Read)?;
    let mut bytes = vec![0u8; file.len()? as usize];
    read_exact_at(&*file, &mut bytes, 0)?;
    Ok(bytes)
}

/// Writes `bytes` to `path` atomically and durably: a temp file beside it is written
/// and fsynced, renamed over `path`, and the directory fsynced. A crash leaves either
/// the old file or the new one, never a mix. Returns the new file's read-write handle.
pub(crate) fn replace_file(
    vfs: &dyn Vfs,
    path: &Path,
    bytes: &[u8],
) -> Result<Arc<dyn VfsFile>, ReplaceFailed> {
    let failed = |stage| move |error| ReplaceFailed { error, stage };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    match vfs.remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(failed(ReplaceStage::BeforeRename)(e))
        }
        _ => {}
    }
    let file = vfs
        .open(&tmp, OpenMode::CreateNew)
        .map_err(failed(ReplaceStage::BeforeRename))?;
    write_all_at(&*file, bytes, 0).map_err(failed(ReplaceStage::BeforeRename))?;
    file.sync_data()
        .map_err(failed(ReplaceStage::BeforeRename))?;
    vfs.rename(&tmp, path)
        .map_err(failed(ReplaceStage::Rename))?;
    vfs.sync_dir(path.parent().unwrap_or(Path::new(".")))
        .map_err(failed(ReplaceStage::DirSync))?;
    Ok(file)
}

/// Why `replace_file` failed.
#[derive(Debug)]
pub(crate) struct ReplaceFailed {
    pub error: io::Error,
    pub stage: ReplaceStage,
}

/// Where `replace_file` failed, which says what is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplaceStage {
    /// Nothing changed (a leftover temp file at most).
    BeforeRename,
    /// The rename failed: the new file may or may not be in place.
    Rename,
    /// The new file is in place, but the directory fsync failed: it may not be durable.
    DirSync,
}

/// The real file system.
pub(crate) struct RealFs;

struct RealFile(File);

impl Vfs for RealFs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }

    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn VfsFile>> {
        let mut options = OpenOptions::new();
        options.read(true).custom_flags(libc::O_CLOEXEC);
        match mode {
            OpenMode::Read => {}
            OpenMode::ReadWrite => {
                options.write(true);
            }
            OpenMode::CreateNew => {
                options.write(true).create_new(true);
            }
        }
        Ok(Arc::new(RealFile(options.open(path)?)))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            if let Ok(name) = entry.file_name().into_string() {
                entries.push(DirEntry {
                    name,
                    is_dir: entry.file_type()?.is_dir(),
                });
            }
        }
        Ok(entries)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_all()
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn Send + Sync>> {
        super::root_lock::lock(path)
    }
}

impl VfsFile for RealFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.0.read_at(buf, offset)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        self.0.write_at(buf, offset)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }

    fn map(&self, len: u64) -> io::Result<Option<memmap2::Mmap>> {
        if len == 0 {
            return Ok(None);
        }
        // SAFETY: segments are mapped for reading only. IronWal never shrinks a segment
        // below the bytes readers may read (frames below the view's end; a sealed
        // segment is deleted whole, which keeps a mapping valid), and bytes that may
        // still be written are never referenced (see `SegmentMap`).
        let map = unsafe { memmap2::MmapOptions::new().len(len as usize).map(&self.0)? };
        Ok(Some(map))
    }

    fn start_writeback(&self, offset: u64, len: u64) {
        use std::os::fd::AsRawFd;
        // SAFETY: a plain syscall on an open descriptor; no memory is passed.
        unsafe {
            libc::sync_file_range(
                self.0.as_raw_fd(),
                offset as libc::off64_t,
                len as libc::off64_t,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
    }
}
