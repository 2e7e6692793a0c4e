//! Simulated disk: a `Vfs` that keeps durable and not-yet-durable state apart (test only).
//!
//! The model is the one a careful reading of POSIX (and of ext4/xfs behaviour) gives:
//!
//! - **File data.** Every `write_at` and `set_len` is appended to the file's list of
//!   *pending* (unsynced) changes and applied to the *current* contents, which is what
//!   reads see (the page cache). `sync_data` (fdatasync) applies the pending changes to
//!   the file's *durable* contents, size included, and clears the list.
//! - **Directory entries.** Creating a file or directory, renaming and removing change
//!   the directory's *current* entries at once and are appended to one global, ordered
//!   list of pending directory operations. `sync_dir(d)` makes `d`'s entries durable
//!   (its pending operations leave the list). A file created in a directory is not
//!   durable until that directory is synced, whatever was fsynced of its data; a
//!   rename is durable when the directory is synced.
//! - **Crash states.** [`SimFs::history`] records the disk after every operation (when
//!   recording is on) and [`DiskState::crash`] builds the state a power loss leaves:
//!   any subset of the pending directory operations, and for each file a choice of
//!   which pending changes reached the disk ([`FileFate`]): a prefix, a prefix with the
//!   next write torn at a sector boundary (the lost part of an extension cut off,
//!   zero-filled or garbage-filled), or an arbitrary subset (out-of-order writeback).
//!   [`SimFs::from_state`] opens such a state with everything durable.
//! - **Failures.** A failed `sync_data` drops the file's pending changes from the path
//!   to the disk (as Linux does: the dirty pages are marked clean, the page cache keeps
//!   showing them, a later fsync does not write them) — the reason a WAL must refuse to
//!   retry. [`SimFs::inject`] makes the n-th operation of a kind fail with an errno, or
//!   a write short, once.
//! - `lock` behaves like `flock(LOCK_EX | LOCK_NB)`: a second lock of the same path fails
//!   with `WouldBlock` until the guard of the first is dropped. `map` returns `None`.

use super::vfs::{DirEntry, OpenMode, Vfs, VfsFile};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Inode number: index into [`DiskState::nodes`]. The root directory is 0.
pub(crate) type Ino = usize;

pub(crate) const ROOT: Ino = 0;

/// A tiny deterministic PRNG (xorshift64*), so tests need no dependency.
#[derive(Debug, Clone)]
pub(crate) struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    pub fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// An unsynced change of a file's data or size.
#[derive(Clone)]
pub(crate) enum PendingWrite {
    Write { offset: u64, data: Arc<[u8]> },
    SetLen(u64),
}

impl fmt::Debug for PendingWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PendingWrite::Write { offset, data } => {
                write!(f, "write {}..{}", offset, offset + data.len() as u64)
            }
            PendingWrite::SetLen(len) => write!(f, "set_len {len}"),
        }
    }
}

impl PendingWrite {
    fn apply(&self, data: &mut Vec<u8>) {
        match self {
            PendingWrite::Write {
                offset,
                data: bytes,
            } => {
                let (start, end) = (*offset as usize, *offset as usize + bytes.len());
                if data.len() < end {
                    data.resize(end, 0);
                }
                data[start..end].copy_from_slice(bytes);
            }
            PendingWrite::SetLen(len) => data.resize(*len as usize, 0),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct FileNode {
    /// What survives a power loss.
    pub durable: Arc<Vec<u8>>,
    /// What reads see.
    pub current: Arc<Vec<u8>>,
    /// Changes since the last `sync_data`, oldest first.
    pub pending: Vec<PendingWrite>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct DirNode {
    pub durable: BTreeMap<String, Ino>,
    pub current: BTreeMap<String, Ino>,
}

#[derive(Clone, Debug)]
pub(crate) enum Node {
    File(FileNode),
    Dir(DirNode),
}

/// A change to one directory's entries, not yet made durable by `sync_dir`.
#[derive(Clone, Debug)]
pub(crate) enum DirChange {
    /// A file or directory created.
    Link { name: String, ino: Ino },
    /// An entry removed.
    Unlink { name: String, ino: Ino },
    /// `from` renamed to `to` (replacing what `to` named) in the same directory.
    Rename { from: String, to: String, ino: Ino },
}

#[derive(Clone, Debug)]
pub(crate) struct PendingDirOp {
    pub dir: Ino,
    pub change: DirChange,
    /// Index (in the operation log) of the operation that made this change.
    pub op: usize,
}

/// The whole disk: every inode ever created (unreachable ones included, so a removal
/// that a crash undoes brings its file back) and the pending directory operations.
#[derive(Clone, Debug)]
pub(crate) struct DiskState {
    pub nodes: Vec<Node>,
    pub pending_dirs: Vec<PendingDirOp>,
}

/// Which of a file's pending changes reached the disk before the power went out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FileFate {
    /// The first `n` pending changes persisted, the others were lost.
    Keep(usize),
    /// The first `keep` persisted; of change `keep` (a write) the sectors below file
    /// offset `cut` persisted; the part of the extension it made that was lost is
    /// handled by `fill`; the rest was lost.
    Torn { keep: usize, cut: u64, fill: Fill },
    /// Each pending change persisted or not independently (out-of-order writeback),
    /// applied in order.
    Subset(Vec<bool>),
}

/// What the lost part of a torn extending write looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fill {
    /// The file size did not grow past the persisted bytes.
    Shrink,
    /// The size grew; the lost bytes read as zeros.
    Zero,
    /// The size grew; the lost bytes are stale garbage (seeded).
    Garbage(u64),
}

impl FileNode {
    /// The durable contents after `fate`.
    pub fn after(&self, fate: &FileFate) -> Vec<u8> {
        let mut data = (*self.durable).clone();
        match fate {
            FileFate::Keep(n) => {
                for op in &self.pending[..(*n).min(self.pending.len())] {
                    op.apply(&mut data);
                }
            }
            FileFate::Subset(mask) => {
                for (op, _) in self.pending.iter().zip(mask).filter(|(_, keep)| **keep) {
                    op.apply(&mut data);
                }
            }
            FileFate::Torn { keep, cut, fill } => {
                for op in &self.pending[..*keep] {
                    op.apply(&mut data);
                }
                let PendingWrite::Write {
                    offset,
                    data: bytes,
                } = &self.pending[*keep]
                else {
                    panic!("a torn fate names a write");
                };
                let end = offset + bytes.len() as u64;
                let cut = (*cut).clamp(*offset, end);
                if cut > *offset {
                    PendingWrite::Write {
                        offset: *offset,
                        data: bytes[..(cut - offset) as usize].into(),
                    }
                    .apply(&mut data);
                }
                let lost_from = data.len();
                if (lost_from as u64) < end {
                    match fill {
                        Fill::Shrink => {}
                        Fill::Zero => data.resize(end as usize, 0),
                        Fill::Garbage(seed) => {
                            data.resize(end as usize, 0);
                            XorShift::new(*seed).fill(&mut data[lost_from..]);
                        }
                    }
                }
            }
        }
        data
    }
}

impl DirChange {
    fn apply(&self, entries: &mut BTreeMap<String, Ino>) {
        match self {
            DirChange::Link { name, ino } => {
                entries.insert(name.clone(), *ino);
            }
            DirChange::Unlink { name, ino } => {
                if entries.get(name) == Some(ino) {
                    entries.remove(name);
                }
            }
            DirChange::Rename { from, to, ino } => {
                if entries.get(from) == Some(ino) {
                    entries.remove(from);
                }
                entries.insert(to.clone(), *ino);
            }
        }
    }
}

impl DiskState {
    fn empty() -> Self {
        DiskState {
            nodes: vec![Node::Dir(DirNode::default())],
            pending_dirs: Vec::new(),
        }
    }

    /// Files with unsynced changes, by inode.
    pub fn pending_files(&self) -> Vec<(Ino, &FileNode)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(ino, node)| match node {
                Node::File(file) if !file.pending.is_empty() => Some((ino, file)),
                _ => None,
            })
            .collect()
    }

    /// The state a power loss leaves: pending directory operation `i` persisted iff
    /// `dir_mask[i]` (missing: lost), pending file changes per `fates` (missing: all
    /// lost). Everything in the result is durable.
    pub fn crash(&self, dir_mask: &[bool], fates: &HashMap<Ino, FileFate>) -> DiskState {
        let mut nodes: Vec<Node> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(ino, node)| match node {
                Node::Dir(dir) => Node::Dir(DirNode {
                    durable: dir.durable.clone(),
                    current: dir.durable.clone(),
                }),
                Node::File(file) => {
                    let data = match fates.get(&ino) {
                        Some(fate) => Arc::new(file.after(fate)),
                        None => file.durable.clone(),
                    };
                    Node::File(FileNode {
                        durable: data.clone(),
                        current: data,
                        pending: Vec::new(),
                    })
                }
            })
            .collect();
        for (i, op) in self.pending_dirs.iter().enumerate() {
            if dir_mask.get(i).copied().unwrap_or(false) {
                if let Node::Dir(dir) = &mut nodes[op.dir] {
                    op.change.apply(&mut dir.current);
                    dir.durable = dir.current.clone();
                }
            }
        }
        DiskState {
            nodes,
            pending_dirs: Vec::new(),
        }
    }

    /// The state after a process crash (kill -9): everything the kernel holds (the page
    /// cache, also pages a failed fsync dropped from the way to the disk), durable.
    pub fn process_crash(&self) -> DiskState {
        let nodes = self
            .nodes
            .iter()
            .map(|node| match node {
                Node::Dir(dir) => Node::Dir(DirNode {
                    durable: dir.current.clone(),
                    current: dir.current.clone(),
                }),
                Node::File(file) => Node::File(FileNode {
                    durable: file.current.clone(),
                    current: file.current.clone(),
                    pending: Vec::new(),
                }),
            })
            .collect();
        DiskState {
            nodes,
            pending_dirs: Vec::new(),
        }
    }

    /// The state after a power loss that persisted nothing pending.
    pub fn durable_only(&self) -> DiskState {
        self.crash(&[], &HashMap::new())
    }

    /// Every reachable path (current entries) with its contents (`None`: a directory).
    pub fn tree(&self) -> Vec<(String, Option<Arc<Vec<u8>>>)> {
        let mut out = Vec::new();
        let mut stack = vec![(String::new(), ROOT)];
        while let Some((path, ino)) = stack.pop() {
            match &self.nodes[ino] {
                Node::Dir(dir) => {
                    out.push((format!("{path}/"), None));
                    for (name, &child) in dir.current.iter().rev() {
                        stack.push((format!("{path}/{name}"), child));
                    }
                }
                Node::File(file) => out.push((path, Some(file.current.clone()))),
            }
        }
        out
    }

    /// The inode `path` names (current entries).
    pub fn lookup(&self, path: &str) -> Option<Ino> {
        let mut ino = ROOT;
        for name in components(Path::new(path)).ok()? {
            match &self.nodes[ino] {
                Node::Dir(dir) => ino = *dir.current.get(&name)?,
                Node::File(_) => return None,
            }
        }
        Some(ino)
    }

    /// The file `path` names, for tests that damage a state on purpose.
    pub fn file_mut(&mut self, path: &str) -> Option<&mut FileNode> {
        let ino = self.lookup(path)?;
        match &mut self.nodes[ino] {
            Node::File(file) => Some(file),
            Node::Dir(_) => None,
        }
    }

    /// A hash of the reachable tree and contents (to skip duplicate crash states).
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for (path, data) in self.tree() {
            path.hash(&mut hasher);
            data.as_deref().hash(&mut hasher);
        }
        hasher.finish()
    }

    /// The reachable tree, one line per entry, for failure reports.
    pub fn describe(&self) -> String {
        self.tree()
            .into_iter()
            .map(|(path, data)| match data {
                None => format!("  {path}\n"),
                Some(data) => format!("  {path} ({} bytes)\n", data.len()),
            })
            .collect()
    }
}

/// The kinds of operations the log records and faults can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum OpKind {
    Write,
    SyncData,
    SetLen,
    /// `open` with `OpenMode::CreateNew`.
    Create,
    /// A directory created by `create_dir_all`.
    Mkdir,
    Rename,
    /// `remove_file` and `remove_dir`.
    Remove,
    SyncDir,
    /// `lock` (creates the lock file when missing).
    Lock,
}

/// One entry of the operation log.
#[derive(Clone, Debug)]
pub(crate) struct OpRecord {
    pub kind: OpKind,
    pub path: PathBuf,
    pub detail: String,
    /// `Some(why)` when the operation failed (injected or not).
    pub error: Option<String>,
}

impl fmt::Display for OpRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {} {}", self.kind, self.path.display(), self.detail)?;
        if let Some(error) = &self.error {
            write!(f, " -> FAILED ({error})")?;
        }
        Ok(())
    }
}

/// What an injected fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultEffect {
    /// The operation fails with this errno and changes nothing (a failed `sync_data`
    /// also drops the file's pending changes: see the module docs).
    Errno(i32),
    /// A write persists only its first `n` bytes and returns `n` (clamped below the
    /// buffer length).
    ShortWrite(usize),
    /// A write puts its first `n` bytes in the file, then fails with the errno.
    PartialThenErrno(usize, i32),
}

/// A fault that fired: where and what.
#[derive(Clone, Debug)]
pub(crate) struct FiredFault {
    pub kind: OpKind,
    pub path: PathBuf,
    pub effect: FaultEffect,
    /// Index of the operation in the log (the state after it is `history()[op + 1]`).
    pub op: usize,
}

struct ArmedFault {
    kind: OpKind,
    /// Fires when the count of operations of `kind` reaches this.
    at: u64,
    effect: FaultEffect,
}

struct Inner {
    disk: DiskState,
    log: Vec<OpRecord>,
    /// `history[k]`: the disk after `k` operations (when recording).
    history: Option<Vec<Arc<DiskState>>>,
    counts: HashMap<OpKind, u64>,
    armed: Vec<ArmedFault>,
    fired: Vec<FiredFault>,
    /// How long `sync_data` takes to return once it has made the file durable.
    sync_latency: std::time::Duration,
}

/// The simulated file system. Cheap to share: clone the `Arc`.
pub(crate) struct SimFs {
    inner: Arc<Mutex<Inner>>,
    locks: Arc<Mutex<HashSet<PathBuf>>>,
}

struct SimFile {
    inner: Arc<Mutex<Inner>>,
    ino: Ino,
    path: PathBuf,
    writable: bool,
}

struct LockGuard {
    locks: Arc<Mutex<HashSet<PathBuf>>>,
    path: PathBuf,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        self.locks.lock().remove(&self.path);
    }
}

fn errno(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

/// The normal components of an absolute or root-relative path.
fn components(path: &Path) -> io::Result<Vec<String>> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(name) => {
                parts.push(name.to_str().ok_or_else(|| errno(libc::EINVAL))?.to_owned())
            }
            Component::ParentDir | Component::Prefix(_) => return Err(errno(libc::EINVAL)),
        }
    }
    Ok(parts)
}

impl Inner {
    fn dir(&self, ino: Ino) -> io::Result<&DirNode> {
        match &self.disk.nodes[ino] {
            Node::Dir(dir) => Ok(dir),
            Node::File(_) => Err(errno(libc::ENOTDIR)),
        }
    }

    fn dir_mut(&mut self, ino: Ino) -> &mut DirNode {
        match &mut self.disk.nodes[ino] {
            Node::Dir(dir) => dir,
            Node::File(_) => panic!("inode {ino} is not a directory"),
        }
    }

    fn file_mut(&mut self, ino: Ino) -> &mut FileNode {
        match &mut self.disk.nodes[ino] {
            Node::File(file) => file,
            Node::Dir(_) => panic!("inode {ino} is not a file"),
        }
    }

    fn lookup(&self, path: &Path) -> io::Result<Ino> {
        let mut ino = ROOT;
        for name in components(path)? {
            ino = *self
                .dir(ino)?
                .current
                .get(&name)
                .ok_or_else(|| errno(libc::ENOENT))?;
        }
        Ok(ino)
    }

    /// The parent directory's inode and the last name of `path`.
    fn parent_of(&self, path: &Path) -> io::Result<(Ino, String)> {
        let mut parts = components(path)?;
        let name = parts.pop().ok_or_else(|| errno(libc::EINVAL))?;
        let mut ino = ROOT;
        for part in parts {
            ino = *self
                .dir(ino)?
                .current
                .get(&part)
                .ok_or_else(|| errno(libc::ENOENT))?;
        }
        self.dir(ino)?;
        Ok((ino, name))
    }

    /// A path naming `ino` now (its current entries), if any.
    fn path_of(&self, ino: Ino) -> Option<PathBuf> {
        let mut stack = vec![(PathBuf::from("/"), ROOT)];
        while let Some((path, dir)) = stack.pop() {
            if let Node::Dir(node) = &self.disk.nodes[dir] {
                for (name, &child) in &node.current {
                    let child_path = path.join(name);
                    if child == ino {
                        return Some(child_path);
                    }
                    if let Node::Dir(_) = self.disk.nodes[child] {
                        stack.push((child_path, child));
                    }
                }
            }
        }
        None
    }

    /// Counts an operation of `kind` and returns the fault to inject, if one is due.
    fn due_fault(&mut self, kind: OpKind) -> Option<FaultEffect> {
        let count = self.counts.entry(kind).or_insert(0);
        *count += 1;
        let count = *count;
        let i = self
            .armed
            .iter()
            .position(|f| f.kind == kind && f.at == count)?;
        Some(self.armed.remove(i).effect)
    }

    /// Logs an operation and records the disk after it.
    fn log(&mut self, kind: OpKind, path: &Path, detail: String, error: Option<String>) {
        self.log.push(OpRecord {
            kind,
            path: path.to_path_buf(),
            detail,
            error,
        });
        let disk = &self.disk;
        if let Some(history) = &mut self.history {
            let changed = history.last().is_none_or(|last| !same_disk(last, disk));
            let snapshot = if changed {
                Arc::new(disk.clone())
            } else {
                history.last().expect("checked").clone()
            };
            history.push(snapshot);
        }
    }

    fn fire(&mut self, kind: OpKind, path: &Path, effect: FaultEffect) {
        self.fired.push(FiredFault {
            kind,
            path: path.to_path_buf(),
            effect,
            op: self.log.len(),
        });
    }

    /// For operations other than writes: the injected error, logged, if one is due.
    fn injected(&mut self, kind: OpKind, path: &Path, detail: &str) -> io::Result<()> {
        match self.due_fault(kind) {
            None => Ok(()),
            Some(effect) => {
                self.fire(kind, path, effect);
                let code = match effect {
                    FaultEffect::Errno(code) | FaultEffect::PartialThenErrno(_, code) => code,
                    FaultEffect::ShortWrite(_) => libc::EIO,
                };
                Err(self.failed(kind, path, detail.to_owned(), errno(code)))
            }
        }
    }

    /// Logs a failed operation (fault or not) and returns its error.
    fn failed(&mut self, kind: OpKind, path: &Path, detail: String, err: io::Error) -> io::Error {
        self.log(kind, path, detail, Some(err.to_string()));
        err
    }

    fn pending_dir(&mut self, dir: Ino, change: DirChange) {
        let op = self.log.len();
        self.disk
            .pending_dirs
            .push(PendingDirOp { dir, change, op });
    }

    fn new_node(&mut self, node: Node) -> Ino {
        self.disk.nodes.push(node);
        self.disk.nodes.len() - 1
    }
}

/// Cheap equality of two disk states (used to share unchanged history snapshots).
fn same_disk(a: &DiskState, b: &DiskState) -> bool {
    a.nodes.len() == b.nodes.len()
        && a.pending_dirs.len() == b.pending_dirs.len()
        && a.nodes.iter().zip(&b.nodes).all(|(x, y)| match (x, y) {
            (Node::File(x), Node::File(y)) => {
                Arc::ptr_eq(&x.durable, &y.durable)
                    && Arc::ptr_eq(&x.current, &y.current)
                    && x.pending.len() == y.pending.len()
            }
            (Node::Dir(x), Node::Dir(y)) => x.current == y.current && x.durable == y.durable,
            _ => false,
        })
}

impl SimFs {
    /// An empty disk holding only the root directory `/`.
    pub fn new() -> Self {
        SimFs::from_state(DiskState::empty())
    }

    /// A disk holding `state` with everything in it durable (pending changes applied
    /// as the process would see them, then made durable).
    pub fn from_state(state: DiskState) -> Self {
        let state = if state.pending_dirs.is_empty() && state.pending_files().is_empty() {
            state
        } else {
            state.process_crash()
        };
        SimFs {
            inner: Arc::new(Mutex::new(Inner {
                disk: state,
                log: Vec::new(),
                history: None,
                counts: HashMap::new(),
                armed: Vec::new(),
                fired: Vec::new(),
                sync_latency: std::time::Duration::ZERO,
            })),
            locks: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// A disk holding `state` as it is, unsynced changes included: the kernel's view
    /// after a process was killed (its page cache and unsynced directory entries
    /// survive; a later power loss may still lose them).
    pub fn resume(state: DiskState) -> Self {
        let fs = SimFs::new();
        fs.inner.lock().disk = state;
        fs
    }

    /// Makes every `sync_data` take `latency` (like a device's flush) before it returns.
    pub fn set_sync_latency(&self, latency: std::time::Duration) {
        self.inner.lock().sync_latency = latency;
    }

    /// Starts recording the disk after every operation (see [`SimFs::history`]).
    pub fn record(&self) {
        let mut inner = self.inner.lock();
        let start = Arc::new(inner.disk.clone());
        inner.history = Some(vec![start; inner.log.len() + 1]);
    }

    /// `history()[k]`: the disk after the first `k` logged operations (`[0]` is the
    /// disk when recording started, repeated for operations before it).
    pub fn history(&self) -> Vec<Arc<DiskState>> {
        self.inner.lock().history.clone().unwrap_or_default()
    }

    /// The current disk (durable and pending state).
    pub fn state(&self) -> DiskState {
        self.inner.lock().disk.clone()
    }

    /// Number of logged operations so far: the current operation boundary.
    pub fn op_count(&self) -> usize {
        self.inner.lock().log.len()
    }

    /// The operation log.
    pub fn log(&self) -> Vec<OpRecord> {
        self.inner.lock().log.clone()
    }

    /// How many operations of each kind ran so far.
    pub fn counts(&self) -> HashMap<OpKind, u64> {
        self.inner.lock().counts.clone()
    }

    /// Makes the `nth` (1-based) operation of `kind` from now on fail as `effect`,
    /// once. Several faults may be armed at once.
    pub fn inject(&self, kind: OpKind, nth: u64, effect: FaultEffect) {
        let mut inner = self.inner.lock();
        let at = inner.counts.get(&kind).copied().unwrap_or(0) + nth.max(1);
        inner.armed.push(ArmedFault { kind, at, effect });
    }

    /// Disarms every fault not fired yet.
    pub fn clear_faults(&self) {
        self.inner.lock().armed.clear();
    }

    /// The faults that fired so far.
    pub fn fired(&self) -> Vec<FiredFault> {
        self.inner.lock().fired.clone()
    }

    /// The current contents of the file at `path`.
    pub fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let inner = self.inner.lock();
        match &inner.disk.nodes[inner.lookup(path)?] {
            Node::File(file) => Ok((*file.current).clone()),
            Node::Dir(_) => Err(errno(libc::EISDIR)),
        }
    }
}

impl Vfs for SimFs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut inner = self.inner.lock();
        let mut ino = ROOT;
        let mut walked = PathBuf::from("/");
        for name in components(path)? {
            walked.push(&name);
            let existing = inner.dir(ino)?.current.get(&name).copied();
            ino = match existing {
                Some(child) => {
                    inner.dir(child)?;
                    child
                }
                None => {
                    inner.injected(OpKind::Mkdir, &walked, "")?;
                    let child = inner.new_node(Node::Dir(DirNode::default()));
                    inner.dir_mut(ino).current.insert(name.clone(), child);
                    inner.pending_dir(ino, DirChange::Link { name, ino: child });
                    inner.log(OpKind::Mkdir, &walked, String::new(), None);
                    child
                }
            };
        }
        Ok(())
    }

    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn VfsFile>> {
        let mut inner = self.inner.lock();
        let ino = match mode {
            OpenMode::Read | OpenMode::ReadWrite => {
                let ino = inner.lookup(path)?;
                if let Node::Dir(_) = inner.disk.nodes[ino] {
                    return Err(errno(libc::EISDIR));
                }
                ino
            }
            OpenMode::CreateNew => {
                let (dir, name) = inner.parent_of(path)?;
                inner.injected(OpKind::Create, path, "")?;
                if inner.dir(dir)?.current.contains_key(&name) {
                    return Err(inner.failed(
                        OpKind::Create,
                        path,
                        String::new(),
                        errno(libc::EEXIST),
                    ));
                }
                let ino = inner.new_node(Node::File(FileNode {
                    durable: Arc::new(Vec::new()),
                    current: Arc::new(Vec::new()),
                    pending: Vec::new(),
                }));
                inner.dir_mut(dir).current.insert(name.clone(), ino);
                inner.pending_dir(dir, DirChange::Link { name, ino });
                inner.log(OpKind::Create, path, String::new(), None);
                ino
            }
        };
        Ok(Arc::new(SimFile {
            inner: self.inner.clone(),
            ino,
            path: path.to_path_buf(),
            writable: mode != OpenMode::Read,
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut inner = self.inner.lock();
        let detail = format!("-> {}", to.display());
        let (from_dir, from_name) = inner.parent_of(from)?;
        let (to_dir, to_name) = inner.parent_of(to)?;
        inner.injected(OpKind::Rename, from, &detail)?;
        let Some(&ino) = inner.dir(from_dir)?.current.get(&from_name) else {
            return Err(inner.failed(OpKind::Rename, from, detail, errno(libc::ENOENT)));
        };
        if from_dir != to_dir {
            // IronWal renames only within a directory; the model does not cover more.
            return Err(inner.failed(OpKind::Rename, from, detail, errno(libc::EXDEV)));
        }
        if let Some(&target) = inner.dir(to_dir)?.current.get(&to_name) {
            match (&inner.disk.nodes[ino], &inner.disk.nodes[target]) {
                (Node::File(_), Node::Dir(_)) => {
                    return Err(inner.failed(OpKind::Rename, from, detail, errno(libc::EISDIR)))
                }
                (Node::Dir(_), Node::File(_)) => {
                    return Err(inner.failed(OpKind::Rename, from, detail, errno(libc::ENOTDIR)))
                }
                (Node::Dir(_), Node::Dir(d)) if !d.current.is_empty() => {
                    return Err(inner.failed(OpKind::Rename, from, detail, errno(libc::ENOTEMPTY)))
                }
                _ => {}
            }
        }
        if from_name == to_name {
            inner.log(OpKind::Rename, from, detail, None);
            return Ok(());
        }
        let dir = inner.dir_mut(from_dir);
        dir.current.remove(&from_name);
        dir.current.insert(to_name.clone(), ino);
        inner.pending_dir(
            from_dir,
            DirChange::Rename {
                from: from_name,
                to: to_name,
                ino,
            },
        );
        inner.log(OpKind::Rename, from, detail, None);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.remove(path, false)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.remove(path, true)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let inner = self.inner.lock();
        let dir = inner.dir(inner.lookup(path)?)?;
        Ok(dir
            .current
            .iter()
            .map(|(name, &ino)| DirEntry {
                name: name.clone(),
                is_dir: matches!(inner.disk.nodes[ino], Node::Dir(_)),
            })
            .collect())
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let mut inner = self.inner.lock();
        let ino = inner.lookup(path)?;
        inner.dir(ino)?;
        inner.injected(OpKind::SyncDir, path, "")?;
        let dir = inner.dir_mut(ino);
        dir.durable = dir.current.clone();
        inner.disk.pending_dirs.retain(|op| op.dir != ino);
        inner.log(OpKind::SyncDir, path, String::new(), None);
        Ok(())
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn Send + Sync>> {
        {
            let mut inner = self.inner.lock();
            let (dir, name) = inner.parent_of(path)?;
            inner.injected(OpKind::Lock, path, "")?;
            match inner.dir(dir)?.current.get(&name) {
                Some(&ino) => {
                    if let Node::Dir(_) = inner.disk.nodes[ino] {
                        return Err(errno(libc::EISDIR));
                    }
                }
                None => {
                    let ino = inner.new_node(Node::File(FileNode {
                        durable: Arc::new(Vec::new()),
                        current: Arc::new(Vec::new()),
                        pending: Vec::new(),
                    }));
                    inner.dir_mut(dir).current.insert(name.clone(), ino);
                    inner.pending_dir(dir, DirChange::Link { name, ino });
                    inner.log(OpKind::Lock, path, "created".into(), None);
                }
            }
        }
        let mut locks = self.locks.lock();
        if !locks.insert(path.to_path_buf()) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is locked", path.display()),
            ));
        }
        Ok(Box::new(LockGuard {
            locks: self.locks.clone(),
            path: path.to_path_buf(),
        }))
    }
}

impl SimFs {
    fn remove(&self, path: &Path, want_dir: bool) -> io::Result<()> {
        let mut inner = self.inner.lock();
        let (dir, name) = inner.parent_of(path)?;
        let detail = if want_dir { "dir" } else { "file" }.to_owned();
        inner.injected(OpKind::Remove, path, &detail)?;
        let Some(&ino) = inner.dir(dir)?.current.get(&name) else {
            return Err(inner.failed(OpKind::Remove, path, detail, errno(libc::ENOENT)));
        };
        match (&inner.disk.nodes[ino], want_dir) {
            (Node::Dir(_), false) => {
                return Err(inner.failed(OpKind::Remove, path, detail, errno(libc::EISDIR)))
            }
            (Node::File(_), true) => {
                return Err(inner.failed(OpKind::Remove, path, detail, errno(libc::ENOTDIR)))
            }
            (Node::Dir(d), true) if !d.current.is_empty() => {
                return Err(inner.failed(OpKind::Remove, path, detail, errno(libc::ENOTEMPTY)))
            }
            _ => {}
        }
        inner.dir_mut(dir).current.remove(&name);
        inner.pending_dir(dir, DirChange::Unlink { name, ino });
        inner.log(OpKind::Remove, path, detail, None);
        Ok(())
    }
}

impl SimFile {
    /// The path naming the file now (it may have been renamed since it was opened), or
    /// the path it was opened with when it has no name any more.
    fn current_path(&self, inner: &Inner) -> PathBuf {
        inner.path_of(self.ino).unwrap_or_else(|| self.path.clone())
    }
}

impl VfsFile for SimFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let inner = self.inner.lock();
        let Node::File(file) = &inner.disk.nodes[self.ino] else {
            return Err(errno(libc::EISDIR));
        };
        let data = &file.current;
        if offset >= data.len() as u64 {
            return Ok(0);
        }
        let n = buf.len().min(data.len() - offset as usize);
        buf[..n].copy_from_slice(&data[offset as usize..offset as usize + n]);
        Ok(n)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let mut inner = self.inner.lock();
        let path = self.current_path(&inner);
        let detail = format!("{}..{}", offset, offset + buf.len() as u64);
        if !self.writable {
            return Err(inner.failed(OpKind::Write, &path, detail, errno(libc::EBADF)));
        }
        let (written, error) = match inner.due_fault(OpKind::Write) {
            None => (buf.len(), None),
            Some(effect) => {
                inner.fire(OpKind::Write, &path, effect);
                let short = |n: usize| n.min(buf.len().saturating_sub(1));
                match effect {
                    FaultEffect::Errno(code) => {
                        return Err(inner.failed(OpKind::Write, &path, detail, errno(code)))
                    }
                    FaultEffect::ShortWrite(n) => (short(n), None),
                    FaultEffect::PartialThenErrno(n, code) => (short(n), Some(code)),
                }
            }
        };
        if written > 0 {
            let change = PendingWrite::Write {
                offset,
                data: buf[..written].into(),
            };
            let file = inner.file_mut(self.ino);
            change.apply(Arc::make_mut(&mut file.current));
            file.pending.push(change);
        }
        let detail = if written < buf.len() {
            format!("{detail} (short: {written} bytes)")
        } else {
            detail
        };
        match error {
            Some(code) => Err(inner.failed(OpKind::Write, &path, detail, errno(code))),
            None => {
                inner.log(OpKind::Write, &path, detail, None);
                Ok(written)
            }
        }
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut inner = self.inner.lock();
        let path = self.current_path(&inner);
        if let Some(effect) = inner.due_fault(OpKind::SyncData) {
            let code = match effect {
                FaultEffect::Errno(code) | FaultEffect::PartialThenErrno(_, code) => code,
                FaultEffect::ShortWrite(_) => libc::EIO,
            };
            inner.fire(OpKind::SyncData, &path, effect);
            // Like Linux: the dirty pages are marked clean and will never be written.
            let dropped = std::mem::take(&mut inner.file_mut(self.ino).pending);
            let detail = format!("{} pending changes dropped", dropped.len());
            return Err(inner.failed(OpKind::SyncData, &path, detail, errno(code)));
        }
        let file = inner.file_mut(self.ino);
        let pending = std::mem::take(&mut file.pending);
        if !pending.is_empty() {
            let mut durable = (*file.durable).clone();
            for change in &pending {
                change.apply(&mut durable);
            }
            file.durable = if durable == *file.current {
                file.current.clone()
            } else {
                Arc::new(durable)
            };
        }
        inner.log(OpKind::SyncData, &path, String::new(), None);
        let latency = inner.sync_latency;
        drop(inner);
        std::thread::sleep(latency);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut inner = self.inner.lock();
        let path = self.current_path(&inner);
        let detail = format!("{len}");
        if !self.writable {
            return Err(inner.failed(OpKind::SetLen, &path, detail, errno(libc::EBADF)));
        }
        inner.injected(OpKind::SetLen, &path, &detail)?;
        let change = PendingWrite::SetLen(len);
        let file = inner.file_mut(self.ino);
        change.apply(Arc::make_mut(&mut file.current));
        file.pending.push(change);
        inner.log(OpKind::SetLen, &path, detail, None);
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        let inner = self.inner.lock();
        match &inner.disk.nodes[self.ino] {
            Node::File(file) => Ok(file.current.len() as u64),
            Node::Dir(_) => Err(errno(libc::EISDIR)),
        }
    }

    fn map(&self, _len: u64) -> io::Result<Option<memmap2::Mmap>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    fn write(fs: &SimFs, path: &str, bytes: &[u8], offset: u64) -> Arc<dyn VfsFile> {
        let file = match fs.open(&p(path), OpenMode::ReadWrite) {
            Ok(file) => file,
            Err(_) => fs.open(&p(path), OpenMode::CreateNew).unwrap(),
        };
        assert_eq!(file.write_at(bytes, offset).unwrap(), bytes.len());
        file
    }

    fn names(state: &DiskState) -> Vec<String> {
        state.tree().into_iter().map(|(path, _)| path).collect()
    }

    #[test]
    fn sim_fs_data_is_durable_only_after_sync_data() {
        let fs = SimFs::new();
        fs.create_dir_all(&p("/d")).unwrap();
        fs.sync_dir(&p("/")).unwrap();
        let file = write(&fs, "/d/f", b"hello", 0);
        fs.sync_dir(&p("/d")).unwrap();
        assert_eq!(fs.read(&p("/d/f")).unwrap(), b"hello");
        let lost = fs.state().durable_only();
        assert_eq!(SimFs::from_state(lost).read(&p("/d/f")).unwrap(), b"");
        file.sync_data().unwrap();
        file.write_at(b"!!", 5).unwrap();
        let state = fs.state();
        let crashed = SimFs::from_state(state.durable_only());
        assert_eq!(crashed.read(&p("/d/f")).unwrap(), b"hello");
        let kept = SimFs::from_state(state.process_crash());
        assert_eq!(kept.read(&p("/d/f")).unwrap(), b"hello!!");
    }

    #[test]
    fn sim_fs_entries_are_durable_only_after_sync_dir() {
        let fs = SimFs::new();
        let file = write(&fs, "/f.tmp", b"data", 0);
        file.sync_data().unwrap();
        assert_eq!(names(&fs.state().durable_only()), vec!["/"]);
        fs.sync_dir(&p("/")).unwrap();
        fs.rename(&p("/f.tmp"), &p("/f")).unwrap();
        let state = fs.state();
        assert_eq!(names(&state.durable_only()), vec!["/", "/f.tmp"]);
        assert_eq!(
            names(&state.crash(&[true], &HashMap::new())),
            vec!["/", "/f"]
        );
        fs.sync_dir(&p("/")).unwrap();
        let crashed = SimFs::from_state(fs.state().durable_only());
        assert_eq!(crashed.read(&p("/f")).unwrap(), b"data");
        // A removal that was not made durable is undone by a crash.
        fs.remove_file(&p("/f")).unwrap();
        assert!(fs.read(&p("/f")).is_err());
        let crashed = SimFs::from_state(fs.state().durable_only());
        assert_eq!(crashed.read(&p("/f")).unwrap(), b"data");
    }

    #[test]
    fn sim_fs_torn_writes_and_fills() {
        let fs = SimFs::new();
        let file = write(&fs, "/f", &[1u8; 100], 0);
        fs.sync_dir(&p("/")).unwrap();
        file.sync_data().unwrap();
        file.write_at(&[2u8; 1500], 100).unwrap();
        let state = fs.state();
        let (ino, node) = state.pending_files()[0];
        let torn = |cut, fill| node.after(&FileFate::Torn { keep: 0, cut, fill });
        assert_eq!(torn(512, Fill::Shrink).len(), 512);
        let zeroed = torn(1024, Fill::Zero);
        assert_eq!(zeroed.len(), 1600);
        assert!(zeroed[100..1024].iter().all(|&b| b == 2));
        assert!(zeroed[1024..].iter().all(|&b| b == 0));
        let garbage = torn(100, Fill::Garbage(7));
        assert_eq!(garbage.len(), 1600);
        assert!(garbage[..100].iter().all(|&b| b == 1));
        assert_eq!(node.after(&FileFate::Keep(0)).len(), 100);
        assert_eq!(node.after(&FileFate::Keep(1)).len(), 1600);
        let fates = HashMap::from([(ino, FileFate::Keep(0))]);
        let crashed = SimFs::from_state(state.crash(&[], &fates));
        assert_eq!(crashed.read(&p("/f")).unwrap(), vec![1u8; 100]);
    }

    #[test]
    fn sim_fs_set_len_is_pending_until_sync() {
        let fs = SimFs::new();
        let file = write(&fs, "/f", b"0123456789", 0);
        fs.sync_dir(&p("/")).unwrap();
        file.sync_data().unwrap();
        file.set_len(4).unwrap();
        assert_eq!(fs.read(&p("/f")).unwrap(), b"0123");
        assert_eq!(
            SimFs::from_state(fs.state().durable_only())
                .read(&p("/f"))
                .unwrap(),
            b"0123456789"
        );
        file.sync_data().unwrap();
        assert_eq!(
            SimFs::from_state(fs.state().durable_only())
                .read(&p("/f"))
                .unwrap(),
            b"0123"
        );
    }

    #[test]
    fn sim_fs_lock_is_exclusive_until_dropped() {
        let fs = SimFs::new();
        let guard = fs.lock(&p("/.lock")).unwrap();
        let second = fs.lock(&p("/.lock")).err().unwrap();
        assert_eq!(second.kind(), io::ErrorKind::WouldBlock);
        drop(guard);
        let _again = fs.lock(&p("/.lock")).unwrap();
    }

    #[test]
    fn sim_fs_faults_fire_once_on_the_nth_operation() {
        let fs = SimFs::new();
        let file = write(&fs, "/f", b"a", 0);
        fs.sync_dir(&p("/")).unwrap();
        fs.inject(OpKind::Write, 2, FaultEffect::Errno(libc::ENOSPC));
        file.write_at(b"b", 1).unwrap();
        let err = file.write_at(b"c", 2).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
        file.write_at(b"c", 2).unwrap();
        fs.inject(OpKind::Write, 1, FaultEffect::ShortWrite(2));
        assert_eq!(file.write_at(b"defg", 3).unwrap(), 2);
        fs.inject(
            OpKind::Write,
            1,
            FaultEffect::PartialThenErrno(1, libc::EIO),
        );
        assert!(file.write_at(b"xyz", 5).is_err());
        assert_eq!(fs.read(&p("/f")).unwrap(), b"abcdex");
        fs.inject(OpKind::SyncData, 1, FaultEffect::Errno(libc::EIO));
        assert!(file.sync_data().is_err());
        file.sync_data().unwrap();
        // The pages the failed fsync dropped never reach the disk.
        assert_eq!(
            SimFs::from_state(fs.state().durable_only())
                .read(&p("/f"))
                .unwrap(),
            b""
        );
        assert_eq!(fs.fired().len(), 4);
    }

    #[test]
    fn sim_fs_history_has_one_state_per_operation() {
        let fs = SimFs::new();
        fs.record();
        let file = write(&fs, "/f", b"abc", 0);
        file.sync_data().unwrap();
        fs.sync_dir(&p("/")).unwrap();
        let history = fs.history();
        assert_eq!(history.len(), fs.op_count() + 1);
        assert_eq!(fs.op_count(), 4);
        assert_eq!(names(&history[0]), vec!["/"]);
        assert_eq!(names(&history[4].durable_only()), vec!["/", "/f"]);
    }
}
