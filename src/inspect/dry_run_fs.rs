//! A copy-on-write view of the real file system: reads see the real files, every change
//! (remove, rename, write, shrink) stays in memory. The engine's own recovery runs on
//! it, so the read-only commands see a root exactly as `Wal::new` would leave it,
//! without changing a byte of it and without taking its lock.

use crate::storage::vfs::{DirEntry, OpenMode, RealFs, Vfs, VfsFile};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Default)]
pub(crate) struct DryRunFs {
    overlay: Mutex<Overlay>,
}

/// What differs from the real file system. Invariant: a path is never both in `files`
/// and in `removed`.
#[derive(Default)]
struct Overlay {
    /// Files created, renamed or opened for writing in the view; later opens share them.
    files: HashMap<PathBuf, Arc<CowFile>>,
    /// Real files and directories removed (or renamed away) in the view.
    removed: HashSet<PathBuf>,
    /// Directories created in the view.
    dirs: HashSet<PathBuf>,
}

impl Overlay {
    fn exists(&self, path: &Path) -> bool {
        !self.removed.contains(path)
            && (self.files.contains_key(path)
                || self.dirs.contains(path)
                || path.symlink_metadata().is_ok())
    }

    /// The shared handle of `path` (opened from the real file on first use).
    fn file(&mut self, path: &Path) -> io::Result<Arc<CowFile>> {
        if let Some(file) = self.files.get(path) {
            return Ok(file.clone());
        }
        if self.removed.contains(path) {
            return Err(io::ErrorKind::NotFound.into());
        }
        let file = Arc::new(CowFile::real(path)?);
        self.files.insert(path.to_path_buf(), file.clone());
        Ok(file)
    }
}

fn not_found() -> io::Error {
    io::ErrorKind::NotFound.into()
}

impl Vfs for DryRunFs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut overlay = self.overlay.lock();
        for dir in path.ancestors().filter(|d| !d.as_os_str().is_empty()) {
            if overlay.exists(dir) {
                break;
            }
            overlay.removed.remove(dir);
            overlay.dirs.insert(dir.to_path_buf());
        }
        Ok(())
    }

    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn VfsFile>> {
        let mut overlay = self.overlay.lock();
        match mode {
            OpenMode::CreateNew => {
                if overlay.exists(path) {
                    return Err(io::ErrorKind::AlreadyExists.into());
                }
                let file = Arc::new(CowFile::empty());
                overlay.removed.remove(path);
                overlay.files.insert(path.to_path_buf(), file.clone());
                Ok(file)
            }
            // Writers share one handle so every later open sees their changes.
            OpenMode::ReadWrite => Ok(overlay.file(path)?),
            // Read-only handles of untouched files are not kept: reading every segment
            // of a large root must not hold a descriptor for each.
            OpenMode::Read => match overlay.files.get(path) {
                Some(file) => Ok(file.clone()),
                None if overlay.removed.contains(path) => Err(not_found()),
                None => Ok(Arc::new(CowFile::real(path)?)),
            },
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut overlay = self.overlay.lock();
        let file = overlay.file(from)?;
        overlay.files.remove(from);
        overlay.removed.insert(from.to_path_buf());
        overlay.removed.remove(to);
        overlay.files.insert(to.to_path_buf(), file);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut overlay = self.overlay.lock();
        if !overlay.exists(path) {
            return Err(not_found());
        }
        overlay.files.remove(path);
        overlay.removed.insert(path.to_path_buf());
        Ok(())
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        if !self.list_dir(path)?.is_empty() {
            return Err(io::ErrorKind::DirectoryNotEmpty.into());
        }
        let mut overlay = self.overlay.lock();
        overlay.dirs.remove(path);
        overlay.removed.insert(path.to_path_buf());
        Ok(())
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let overlay = self.overlay.lock();
        if overlay.removed.contains(path) {
            return Err(not_found());
        }
        let mut names = BTreeMap::new();
        match RealFs.list_dir(path) {
            Ok(entries) => {
                for entry in entries {
                    if !overlay.removed.contains(&path.join(&entry.name)) {
                        names.insert(entry.name, entry.is_dir);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && overlay.dirs.contains(path) => {}
            Err(e) => return Err(e),
        }
        let created = overlay.files.keys().map(|p| (p, false));
        for (child, is_dir) in created.chain(overlay.dirs.iter().map(|p| (p, true))) {
            if child.parent() == Some(path) {
                if let Some(name) = child.file_name().and_then(|n| n.to_str()) {
                    names.insert(name.to_owned(), is_dir);
                }
            }
        }
        Ok(names
            .into_iter()
            .map(|(name, is_dir)| DirEntry { name, is_dir })
            .collect())
    }

    fn sync_dir(&self, _path: &Path) -> io::Result<()> {
        Ok(())
    }

    /// Nothing to lock: nothing real changes.
    fn lock(&self, _path: &Path) -> io::Result<Box<dyn Send + Sync>> {
        Ok(Box::new(()))
    }
}

/// A file of the view: the real file until something writes to it.
struct CowFile(Mutex<Content>);

enum Content {
    /// The first `len` bytes of a real file (a shrink only lowers `len`).
    Real { file: File, len: u64 },
    /// A copy, once written to or grown.
    Memory(Vec<u8>),
}

impl CowFile {
    fn real(path: &Path) -> io::Result<CowFile> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(CowFile(Mutex::new(Content::Real { file, len })))
    }

    fn empty() -> CowFile {
        CowFile(Mutex::new(Content::Memory(Vec::new())))
    }
}

impl Content {
    /// The bytes, copied into memory.
    fn memory(&mut self) -> io::Result<&mut Vec<u8>> {
        if let Content::Real { file, len } = self {
            let mut bytes = vec![0u8; *len as usize];
            file.read_exact_at(&mut bytes, 0)?;
            *self = Content::Memory(bytes);
        }
        match self {
            Content::Memory(bytes) => Ok(bytes),
            Content::Real { .. } => unreachable!("copied above"),
        }
    }
}

impl VfsFile for CowFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match &*self.0.lock() {
            Content::Real { file, len } => {
                let n = len.saturating_sub(offset).min(buf.len() as u64) as usize;
                if n == 0 {
                    return Ok(0);
                }
                file.read_at(&mut buf[..n], offset)
            }
            Content::Memory(bytes) => {
                let start = (offset as usize).min(bytes.len());
                let n = (bytes.len() - start).min(buf.len());
                buf[..n].copy_from_slice(&bytes[start..start + n]);
                Ok(n)
            }
        }
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let mut content = self.0.lock();
        let bytes = content.memory()?;
        let end = offset as usize + buf.len();
        if bytes.len() < end {
            bytes.resize(end, 0);
        }
        bytes[offset as usize..end].copy_from_slice(buf);
        Ok(buf.len())
    }

    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }

    fn set_len(&self, new_len: u64) -> io::Result<()> {
        let mut content = self.0.lock();
        match &mut *content {
            Content::Real { len, .. } if new_len <= *len => *len = new_len,
            other => other.memory()?.resize(new_len as usize, 0),
        }
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        Ok(match &*self.0.lock() {
            Content::Real { len, .. } => *len,
            Content::Memory(bytes) => bytes.len() as u64,
        })
    }

    /// Never mapped: the view may differ from the real file.
    fn map(&self, _len: u64) -> io::Result<Option<memmap2::Mmap>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::vfs::{read_file, replace_file};

    #[test]
    fn changes_stay_in_the_view() {
        let dir = tempfile::tempdir().unwrap();
        let (kept, cut) = (dir.path().join("kept"), dir.path().join("cut"));
        std::fs::write(&kept, b"real bytes").unwrap();
        std::fs::write(&cut, b"0123456789").unwrap();
        let view = DryRunFs::default();

        view.open(&cut, OpenMode::ReadWrite)
            .unwrap()
            .set_len(4)
            .unwrap();
        assert_eq!(read_file(&view, &cut).unwrap(), b"0123");
        replace_file(&view, &kept, b"new").unwrap();
        assert_eq!(read_file(&view, &kept).unwrap(), b"new");
        view.remove_file(&cut).unwrap();
        let names: Vec<String> = view
            .list_dir(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, vec!["kept".to_string()]);
        assert_eq!(
            view.open(&cut, OpenMode::Read).err().map(|e| e.kind()),
            Some(io::ErrorKind::NotFound)
        );

        assert_eq!(std::fs::read(&kept).unwrap(), b"real bytes");
        assert_eq!(std::fs::read(&cut).unwrap(), b"0123456789");
        let mut real: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        real.sort();
        assert_eq!(real, vec!["cut".to_string(), "kept".to_string()]);
    }
}
