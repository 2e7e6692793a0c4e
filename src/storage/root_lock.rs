//! The exclusive lock on a WAL root, for `RealFs::lock`.
//!
//! A POSIX record lock (`fcntl(F_SETLK)`) on the lock file keeps other processes out;
//! the kernel drops it when the process dies. Unlike `flock`, it is not inherited by a
//! child that another thread forks before it execs, so closing a WAL and reopening it
//! never fails because some thread of the host spawned a process meanwhile. Record
//! locks do not exclude the owning process itself, so a registry of the lock files this
//! process holds refuses a second `Wal` on the same root. Invariant: a lock file in the
//! registry is never opened again by this process (closing any descriptor of it would
//! drop the record lock).

use parking_lot::Mutex;
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// (device, inode) of every lock file this process holds.
static HELD: Mutex<Option<HashSet<(u64, u64)>>> = Mutex::new(None);

/// Holds the lock until dropped.
struct RootLock {
    _file: File,
    key: (u64, u64),
}

impl Drop for RootLock {
    fn drop(&mut self) {
        if let Some(held) = HELD.lock().as_mut() {
            held.remove(&self.key);
        }
    }
}

fn would_block() -> io::Error {
    io::Error::from(io::ErrorKind::WouldBlock)
}

/// Locks `path` (created if missing) exclusively; `WouldBlock` while this or another
/// process holds it.
pub(crate) fn lock(path: &Path) -> io::Result<Box<dyn Send + Sync>> {
    let mut held = HELD.lock();
    let held = held.get_or_insert_with(HashSet::new);
    if let Ok(meta) = std::fs::metadata(path) {
        if held.contains(&(meta.dev(), meta.ino())) {
            return Err(would_block());
        }
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)?;
    let meta = file.metadata()?;
    let key = (meta.dev(), meta.ino());
    // SAFETY: a zeroed flock struct is valid; the fields that matter are set below.
    let mut request: libc::flock = unsafe { std::mem::zeroed() };
    request.l_type = libc::F_WRLCK as _;
    request.l_whence = libc::SEEK_SET as _;
    // SAFETY: F_SETLK on a valid, open descriptor owned by `file`, with a valid struct.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &request) } != 0 {
        let err = io::Error::last_os_error();
        return Err(match err.raw_os_error() {
            Some(libc::EACCES) | Some(libc::EAGAIN) => would_block(),
            _ => err,
        });
    }
    held.insert(key);
    Ok(Box::new(RootLock { _file: file, key }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_within_the_process_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".lock");
        let first = lock(&path).unwrap();
        assert_eq!(
            lock(&path).err().map(|e| e.kind()),
            Some(io::ErrorKind::WouldBlock)
        );
        drop(first);
        let again = lock(&path).unwrap();
        drop(again);
    }
}
