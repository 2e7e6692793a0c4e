//! Test-only `Vfs` over the real file system that counts fdatasyncs and bytes read,
//! records the ranges handed to writeback and can make fdatasyncs fail, to test
//! poisoning, group commit and what open reads through the engine's real seam.

use super::vfs::{DirEntry, OpenMode, RealFs, Vfs, VfsFile};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Default)]
pub(crate) struct SyncProbe {
    pub data_syncs: AtomicU64,
    pub fail_data_sync: AtomicBool,
    pub bytes_read: AtomicU64,
    /// `(offset, len)` of each `start_writeback`, in call order.
    pub writebacks: parking_lot::Mutex<Vec<(u64, u64)>>,
}

pub(crate) struct CountingVfs(pub Arc<SyncProbe>);

struct CountingFile {
    inner: Arc<dyn VfsFile>,
    probe: Arc<SyncProbe>,
}

impl Vfs for CountingVfs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        RealFs.create_dir_all(path)
    }
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn VfsFile>> {
        Ok(Arc::new(CountingFile {
            inner: RealFs.open(path, mode)?,
            probe: self.0.clone(),
        }))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        RealFs.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        RealFs.remove_file(path)
    }
    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        RealFs.remove_dir(path)
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        RealFs.list_dir(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        RealFs.sync_dir(path)
    }
    fn lock(&self, path: &Path) -> io::Result<Box<dyn Send + Sync>> {
        RealFs.lock(path)
    }
}

impl VfsFile for CountingFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let n = self.inner.read_at(buf, offset)?;
        self.probe.bytes_read.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        self.inner.write_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.probe.data_syncs.fetch_add(1, Ordering::SeqCst);
        if self.probe.fail_data_sync.load(Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        self.inner.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn map(&self, len: u64) -> io::Result<Option<memmap2::Mmap>> {
        self.inner.map(len)
    }
    fn start_writeback(&self, offset: u64, len: u64) {
        self.probe.writebacks.lock().push((offset, len));
        self.inner.start_writeback(offset, len)
    }
}
