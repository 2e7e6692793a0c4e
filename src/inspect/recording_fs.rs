//! A `Vfs` that passes everything through and records each change made to existing
//! files, so the engine's recovery can say what it did (`repair`) or would do
//! (`verify`, on a `DryRunFs`). Trimming a preallocated segment's free space (zeros
//! after its last frame, left by a crash) is no change to what the files hold, and is
//! not recorded.

use crate::format::segment_header::{SegmentHeader, MAX_HEADER_LEN};
use crate::storage::chunk_reader::{ChunkReader, FileRef};
use crate::storage::vfs::{read_exact_at, DirEntry, OpenMode, Vfs, VfsFile};
use parking_lot::Mutex;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One change to the root. Writes to a new file are not changes until the file is
/// renamed into place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    Removed(PathBuf),
    RemovedDir(PathBuf),
    /// A file put in place by a rename, or written (or grown) in place.
    Written(PathBuf),
    /// A file shrunk from `from` to `to` bytes.
    Cut {
        path: PathBuf,
        from: u64,
        to: u64,
    },
}

pub(crate) struct RecordingFs {
    inner: Arc<dyn Vfs>,
    changes: Arc<Mutex<Vec<Change>>>,
}

impl RecordingFs {
    pub fn new(inner: Arc<dyn Vfs>) -> RecordingFs {
        RecordingFs {
            inner,
            changes: Arc::default(),
        }
    }

    /// The changes recorded so far, which are forgotten.
    pub fn take_changes(&self) -> Vec<Change> {
        std::mem::take(&mut *self.changes.lock())
    }

    fn record(&self, change: Change) {
        self.changes.lock().push(change);
    }
}

impl Vfs for RecordingFs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }

    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn VfsFile>> {
        let file = self.inner.open(path, mode)?;
        Ok(match mode {
            OpenMode::CreateNew => file,
            OpenMode::Read | OpenMode::ReadWrite => Arc::new(RecordingFile {
                inner: file,
                path: path.to_path_buf(),
                changes: self.changes.clone(),
            }),
        })
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)?;
        self.record(Change::Written(to.to_path_buf()));
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)?;
        self.record(Change::Removed(path.to_path_buf()));
        Ok(())
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_dir(path)?;
        self.record(Change::RemovedDir(path.to_path_buf()));
        Ok(())
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        self.inner.list_dir(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.sync_dir(path)
    }

    /// The inspection code either holds the root's lock itself (`repair`) or changes
    /// nothing real (`DryRunFs`), so the engine must not take it again.
    fn lock(&self, _path: &Path) -> io::Result<Box<dyn Send + Sync>> {
        Ok(Box::new(()))
    }
}

struct RecordingFile {
    inner: Arc<dyn VfsFile>,
    path: PathBuf,
    changes: Arc<Mutex<Vec<Change>>>,
}

impl VfsFile for RecordingFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let written = self.inner.write_at(buf, offset)?;
        let change = Change::Written(self.path.clone());
        let mut changes = self.changes.lock();
        if changes.last() != Some(&change) {
            changes.push(change);
        }
        Ok(written)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.inner.sync_data()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let from = self.inner.len()?;
        let free_space = len < from && self.is_free_space(len..from)?;
        self.inner.set_len(len)?;
        let change = match len.cmp(&from) {
            std::cmp::Ordering::Less if free_space => return Ok(()),
            std::cmp::Ordering::Less => Change::Cut {
                path: self.path.clone(),
                from,
                to: len,
            },
            std::cmp::Ordering::Equal => return Ok(()),
            std::cmp::Ordering::Greater => Change::Written(self.path.clone()),
        };
        self.changes.lock().push(change);
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }

    fn map(&self, len: u64) -> io::Result<Option<memmap2::Mmap>> {
        self.inner.map(len)
    }
}

impl RecordingFile {
    /// Whether `range` of the file is a preallocated segment's free space: zeros, in a
    /// segment whose header says `PREALLOCATED`.
    fn is_free_space(&self, range: std::ops::Range<u64>) -> io::Result<bool> {
        let mut head = vec![0u8; MAX_HEADER_LEN.min(range.end as usize)];
        read_exact_at(&*self.inner, &mut head, 0)?;
        if !SegmentHeader::decode(&head, "").is_ok_and(|(header, _)| header.preallocated) {
            return Ok(false);
        }
        let file = FileRef::Held(self.inner.clone());
        ChunkReader::new(file, range.end, 64 * 1024).zeros_to_limit(range.start)
    }
}

impl Change {
    pub fn path(&self) -> &Path {
        match self {
            Change::Removed(path) | Change::RemovedDir(path) | Change::Written(path) => path,
            Change::Cut { path, .. } => path,
        }
    }

    /// Where in the file the change starts.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Change::Cut { to, .. } => Some(*to),
            _ => None,
        }
    }

    /// What was changed, in words: recovery removes, cuts and rewrites only the kinds
    /// of files its decision table names, so the file's name tells what it was.
    pub fn what(&self) -> String {
        let name = self
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        match self {
            Change::Cut { from, to, .. } => format!("torn tail of {} bytes", from - to),
            Change::RemovedDir(_) => "stream directory without segments".into(),
            Change::Removed(_) if name.ends_with(".tmp") => "leftover temporary file".into(),
            Change::Removed(_) if name.ends_with(".wal") => {
                "segment whose header was never completely written".into()
            }
            Change::Removed(_) if name.ends_with(".idx") => "stale frame index".into(),
            Change::Removed(_) if name == super::layout::HEAD_FILE => {
                "HEAD naming no checkpoint".into()
            }
            Change::Removed(_) => "file".into(),
            Change::Written(_) if name.ends_with(".wal") => {
                "segment holding only its header, so ids continue at its start id".into()
            }
            Change::Written(_) => match name {
                super::layout::HEAD_FILE => "missing, damaged or stale HEAD".into(),
                super::layout::MANIFEST_FILE => "missing MANIFEST".into(),
                super::layout::LOG_FILE => "missing or unfinished checkpoint log".into(),
                _ => "file".into(),
            },
        }
    }

    /// What recovery did: "removed", "cut" or "rewritten".
    pub fn done(&self) -> &'static str {
        match self {
            Change::Removed(_) | Change::RemovedDir(_) => "removed",
            Change::Cut { .. } => "cut",
            Change::Written(_) => "rewritten",
        }
    }
}
