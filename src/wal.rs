//! The public `Wal`: the root lock, and a map from stream names to streams.

use crate::error::io_context;
use crate::format::stream_name;
use crate::iter::{WalIdIterator, WalIterator};
use crate::storage::vfs::{RealFs, Vfs};
use crate::stream::{recover_stream, Shared, Stream};
use crate::txn::TxnWriter;
use crate::{Error, Result, SyncMode, WalOptions};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Name of the lock file in the root directory (a leading `.` keeps it apart from
/// every stream directory).
pub(crate) const LOCK_FILE: &str = ".lock";

/// Whether a directory named `name` in a root is a stream's: its name is a stream name
/// in the directory encoding, or a hashed one. Everything else in a root is ignored.
pub(crate) fn is_stream_dir(name: &str) -> bool {
    stream_name::decode(name).is_some() || stream_name::is_hashed(name)
}

/// Recovers the streams in `dirs` (each scans its active segment's frames, which is
/// CPU-bound on a warm page cache) on up to one thread per core; results in `dirs`
/// order. Streams share no file, so their recoveries are independent.
fn recover_streams(shared: &Arc<Shared>, dirs: &[String]) -> Vec<Result<Option<Stream>>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(dirs.len());
    if threads <= 1 {
        return dirs.iter().map(|dir| recover_stream(shared, dir)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<Option<Stream>>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(dir) = dirs.get(i) else {
                            return done;
                        };
                        done.push((i, recover_stream(shared, dir)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .collect()
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, result)| result).collect()
}

/// A write-ahead log of independent streams. Cheap to clone; clones share one engine
/// and may be used from many threads at once.
///
/// A stream is named by any UTF-8 string of 1 to 255 bytes and comes into being with
/// its first append; its ids start at 0 and are dense.
///
/// ```
/// use ironwal::{Wal, WalOptions};
///
/// # fn main() -> ironwal::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let wal = Wal::new(WalOptions::new(dir.path()))?;
/// std::thread::scope(|scope| {
///     for t in 0..4u8 {
///         let wal = wal.clone();
///         scope.spawn(move || wal.append("events", &[t]).unwrap());
///     }
/// });
/// assert_eq!(wal.bounds("events")?, Some(0..4));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Wal {
    engine: Arc<Engine>,
}

/// The root and the number of streams holding data (so `Result<Wal>` has `unwrap_err`).
impl std::fmt::Debug for Wal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wal")
            .field("root", &self.root())
            .field("streams", &self.streams().len())
            .finish_non_exhaustive()
    }
}

struct Engine {
    shared: Arc<Shared>,
    streams: RwLock<HashMap<String, Arc<Stream>, foldhash::fast::RandomState>>,
    /// Exclusive OS lock on the root, released when the last clone is dropped.
    _root_lock: Box<dyn Send + Sync>,
}

/// A clean close: each active segment ends at its last frame, trimmed while the root
/// is still locked (fields, the lock among them, drop after this).
impl Drop for Engine {
    fn drop(&mut self) {
        for stream in self.streams.get_mut().values() {
            stream.trim_at_close();
        }
    }
}

impl Wal {
    /// Opens (creating if needed) the WAL at `options.root_path`, recovering every
    /// stream. Fails with [`Error::Locked`] while another `Wal` (in this or another
    /// process) has the root open, and with [`Error::Config`] for invalid options.
    ///
    /// ```
    /// use ironwal::{Error, Wal, WalOptions};
    ///
    /// # fn main() -> ironwal::Result<()> {
    /// let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(WalOptions::new(dir.path()))?;
    /// wal.append("s", b"kept")?;
    /// assert!(matches!(Wal::new(WalOptions::new(dir.path())), Err(Error::Locked(_))));
    /// drop(wal); // the last clone releases the lock
    /// let wal = Wal::new(WalOptions::new(dir.path()))?;
    /// assert_eq!(wal.get("s", 0)?.as_deref(), Some(&b"kept"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(options: WalOptions) -> Result<Wal> {
        Wal::with_vfs(options, Arc::new(RealFs))
    }

    pub(crate) fn with_vfs(options: WalOptions, vfs: Arc<dyn Vfs>) -> Result<Wal> {
        options.validate()?;
        let root = options.root_path.clone();
        if let Err(e) = vfs.list_dir(&root) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(io_context(e, "open root directory", &root));
            }
            vfs.create_dir_all(&root)
                .map_err(|e| io_context(e, "create root directory", &root))?;
            if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
                vfs.sync_dir(parent)
                    .map_err(|e| io_context(e, "fsync directory", parent))?;
            }
        }
        let lock_path = root.join(LOCK_FILE);
        let root_lock = vfs.lock(&lock_path).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock => {
                Error::Locked(format!("{} is held by another Wal", lock_path.display()))
            }
            _ => io_context(e, "lock", &lock_path),
        })?;
        let shared = Arc::new(Shared::new(options, vfs));
        let stream_dirs: Vec<String> = shared
            .vfs
            .list_dir(&root)
            .map_err(|e| io_context(e, "list", &root))?
            .into_iter()
            .filter(|entry| entry.is_dir && is_stream_dir(&entry.name))
            .map(|entry| entry.name)
            .collect();
        let mut streams = HashMap::default();
        for recovered in recover_streams(&shared, &stream_dirs) {
            if let Some(stream) = recovered? {
                streams.insert(stream.name().to_owned(), Arc::new(stream));
            }
        }
        Ok(Wal {
            engine: Arc::new(Engine {
                shared,
                streams: RwLock::new(streams),
                _root_lock: root_lock,
            }),
        })
    }

    pub(crate) fn vfs(&self) -> Arc<dyn Vfs> {
        self.engine.shared.vfs.clone()
    }

    /// Fsyncs the root directory and its parent once per `Wal`.
    pub(crate) fn ensure_root_durable(&self) -> Result<()> {
        let root = self.root();
        self.engine
            .shared
            .ensure_root_durable()
            .map_err(|e| io_context(e, "fsync directory", root))
    }

    pub(crate) fn root(&self) -> &std::path::Path {
        &self.engine.shared.options.root_path
    }

    /// Makes `floor` the next id of `stream` if it ends below it (see
    /// `Stream::skip_to`).
    pub(crate) fn skip_to(&self, stream: &str, floor: u64) -> Result<()> {
        self.stream_or_create(stream)?.skip_to(floor)
    }

    /// The stream named `name`, if it exists in memory.
    fn stream(&self, name: &str) -> Result<Option<Arc<Stream>>> {
        stream_name::validate(name)?;
        Ok(self.engine.streams.read().get(name).cloned())
    }

    /// Names stream `name` and the segment file holding `id` (for C messages).
    pub(crate) fn describe_id(&self, name: &str, id: u64) -> Option<String> {
        self.stream(name).ok()??.describe_id(id)
    }

    /// The stream named `name`; created in memory if new (on disk by its first append),
    /// so an iterator made before the first append follows it.
    fn stream_or_create(&self, name: &str) -> Result<Arc<Stream>> {
        if let Some(stream) = self.stream(name)? {
            return Ok(stream);
        }
        let shared = &self.engine.shared;
        let dir = shared.options.root_path.join(stream_name::encode(name));
        let mut streams = self.engine.streams.write();
        let stream = streams
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(Stream::new_empty(shared.clone(), name.to_owned(), dir)));
        Ok(stream.clone())
    }

    /// Appends one entry; returns its id. Visible to readers and safe from a process
    /// crash on return; durable (power loss) on return in [`SyncMode::Strict`].
    ///
    /// ```
    /// # use ironwal::{Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(WalOptions::new(dir.path()))?;
    /// assert_eq!(wal.append("a", b"x")?, 0);
    /// assert_eq!(wal.append("a", b"y")?, 1);
    /// assert_eq!(wal.append("b", b"z")?, 0, "every stream has its own ids");
    /// # Ok(())
    /// # }
    /// ```
    pub fn append(&self, stream: &str, entry: &[u8]) -> Result<u64> {
        let durable = self.engine.shared.options.sync_mode == SyncMode::Strict;
        Ok(self
            .stream_or_create(stream)?
            .append(&[entry], durable)?
            .start)
    }

    /// Appends `entries` atomically (all or none, also across a crash); returns their
    /// ids. Durable on return in `Strict` and `BatchOnly`. An empty batch writes nothing
    /// and returns `n..n`, `n` being the stream's next id.
    ///
    /// ```
    /// # use ironwal::{Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(WalOptions::new(dir.path()))?;
    /// assert_eq!(wal.append_batch("s", &[b"a", b"b", b"c"])?, 0..3);
    /// assert_eq!(wal.append_batch("s", &[])?, 3..3);
    /// assert_eq!(wal.get("s", 2)?.as_deref(), Some(&b"c"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub fn append_batch(&self, stream: &str, entries: &[&[u8]]) -> Result<Range<u64>> {
        let durable = self.engine.shared.options.sync_mode != SyncMode::Async;
        self.stream_or_create(stream)?.append(entries, durable)
    }

    /// A transaction that collects entries in memory and appends them as one batch
    /// on [`TxnWriter::commit`].
    pub fn writer(&self, stream: &str) -> TxnWriter {
        TxnWriter::new(self.clone(), stream.to_owned())
    }

    /// The entry with id `id`; `None` if the stream never held it or it was truncated.
    /// A damaged entry is an error ([`Error::CrcMismatch`] or [`Error::Corruption`]),
    /// never other bytes.
    ///
    /// ```
    /// # use ironwal::{Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(WalOptions::new(dir.path()))?;
    /// let id = wal.append("s", b"hello")?;
    /// assert_eq!(wal.get("s", id)?, Some(b"hello".to_vec()));
    /// assert_eq!(wal.get("s", id + 1)?, None);
    /// assert_eq!(wal.get("missing", 0)?, None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(&self, stream: &str, id: u64) -> Result<Option<Vec<u8>>> {
        stream_name::validate(stream)?;
        let streams = self.engine.streams.read();
        let Some(found) = streams.get(stream) else {
            return Ok(None);
        };
        // The mapped path only reads memory (at worst it faults a page in): taken under
        // the map's read lock, with no `Arc` to count up and down. Everything else (I/O)
        // without the lock.
        if let Some(entry) = found.get_mapped(id) {
            return Ok(Some(entry));
        }
        let found = Arc::clone(found);
        drop(streams);
        found.get_unmapped(id)
    }

    /// [`Wal::get`] for each id, in order.
    ///
    /// ```
    /// # use ironwal::{Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(WalOptions::new(dir.path()))?;
    /// wal.append_batch("s", &[b"a", b"b"])?;
    /// let got = wal.get_batch("s", &[1, 5, 0])?;
    /// assert_eq!(got, [Some(b"b".to_vec()), None, Some(b"a".to_vec())]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_batch(&self, stream: &str, ids: &[u64]) -> Result<Vec<Option<Vec<u8>>>> {
        match self.stream(stream)? {
            Some(stream) => ids.iter().map(|&id| stream.get(id)).collect(),
            None => Ok(vec![None; ids.len()]),
        }
    }

    /// Entries from `start_id` on, in id order, across segments (from the first
    /// retained entry if `start_id` was truncated). The iterator also yields entries
    /// appended after it was made, even to a stream that held nothing then.
    ///
    /// ```
    /// # use ironwal::{Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(WalOptions::new(dir.path()))?;
    /// wal.append_batch("s", &[b"a", b"b", b"c"])?;
    /// let entries = wal.iter("s", 1)?.collect::<ironwal::Result<Vec<_>>>()?;
    /// assert_eq!(entries, [b"b".to_vec(), b"c".to_vec()]);
    /// let mut later = wal.iter("later", 0)?;
    /// assert!(later.next().is_none());
    /// wal.append("later", b"x")?;
    /// assert_eq!(later.next().transpose()?, Some(b"x".to_vec()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn iter(&self, stream: &str, start_id: u64) -> Result<WalIterator> {
        Ok(WalIterator::new(self.stream_or_create(stream)?, start_id))
    }

    /// Like [`Wal::iter`], yielding `(id, entry)` pairs.
    ///
    /// ```
    /// # use ironwal::{Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(WalOptions::new(dir.path()))?;
    /// wal.append_batch("s", &[b"a", b"b"])?;
    /// let pairs = wal.iter_with_ids("s", 0)?.collect::<ironwal::Result<Vec<_>>>()?;
    /// assert_eq!(pairs, [(0, b"a".to_vec()), (1, b"b".to_vec())]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn iter_with_ids(&self, stream: &str, start_id: u64) -> Result<WalIdIterator> {
        Ok(self.iter(stream, start_id)?.with_ids())
    }

    /// Deletes the sealed segments whose ids are all below `safe_id`; returns how many
    /// segment files were deleted. The active segment is never deleted, so entries
    /// below `safe_id` may remain. Crash-safe: a crash part-way leaves every entry
    /// that was not to be deleted readable.
    ///
    /// ```
    /// # use ironwal::{Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut options = WalOptions::new(dir.path());
    /// options.max_entries_per_segment = 10;
    /// let wal = Wal::new(options)?;
    /// for i in 0..25u8 {
    ///     wal.append("s", &[i])?; // segments 0..10, 10..20 and the active 20..
    /// }
    /// assert_eq!(wal.truncate("s", 15)?, 1); // 10..20 holds ids >= 15: kept
    /// assert_eq!(wal.bounds("s")?, Some(10..25));
    /// assert_eq!(wal.iter("s", 0)?.next().transpose()?, Some(vec![10]));
    /// assert_eq!(wal.truncate("s", 100)?, 1); // the active segment stays
    /// assert_eq!(wal.bounds("s")?, Some(20..25));
    /// # Ok(())
    /// # }
    /// ```
    pub fn truncate(&self, stream: &str, safe_id: u64) -> Result<usize> {
        match self.stream(stream)? {
            Some(stream) => stream.truncate(safe_id),
            None => Ok(0),
        }
    }

    /// Start id of the stream's active segment; `None` for a stream that holds nothing
    /// or a name that cannot be a stream.
    ///
    /// ```
    /// # use ironwal::{Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut options = WalOptions::new(dir.path());
    /// options.max_entries_per_segment = 2;
    /// let wal = Wal::new(options)?;
    /// assert_eq!(wal.current_segment_start_id("s"), None);
    /// wal.append_batch("s", &[b"0", b"1", b"2"])?; // one frame: never split
    /// wal.append("s", b"3")?; // the segment is full: a new one starts at 3
    /// assert_eq!(wal.current_segment_start_id("s"), Some(3));
    /// # Ok(())
    /// # }
    /// ```
    pub fn current_segment_start_id(&self, stream: &str) -> Option<u64> {
        self.stream(stream).ok()??.current_segment_start_id()
    }

    /// Makes everything appended to `stream` so far durable. Fails with
    /// [`Error::StreamNotFound`] for a stream that holds nothing, and with
    /// [`Error::Poisoned`] after an earlier fsync of the stream failed.
    ///
    /// ```
    /// # use ironwal::{Error, SyncMode, Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut options = WalOptions::new(dir.path());
    /// options.sync_mode = SyncMode::Async;
    /// let wal = Wal::new(options)?;
    /// wal.append("s", b"entry")?;
    /// wal.sync("s")?;
    /// assert!(matches!(wal.sync("other"), Err(Error::StreamNotFound(_))));
    /// # Ok(())
    /// # }
    /// ```
    pub fn sync(&self, stream: &str) -> Result<()> {
        match self.stream(stream)? {
            Some(s) if s.bounds().is_some() => s.sync(),
            _ => Err(Error::StreamNotFound(stream.to_owned())),
        }
    }

    /// Makes everything appended to every stream so far durable (see [`Wal::sync`]).
    pub fn sync_all(&self) -> Result<()> {
        let streams: Vec<Arc<Stream>> = self.engine.streams.read().values().cloned().collect();
        streams
            .iter()
            .filter(|s| s.bounds().is_some())
            .try_for_each(|s| s.sync())
    }

    /// `first retained id .. next id` of the stream; `None` if it holds nothing.
    ///
    /// ```
    /// # use ironwal::{Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(WalOptions::new(dir.path()))?;
    /// assert_eq!(wal.bounds("s")?, None);
    /// wal.append_batch("s", &[b"a", b"b"])?;
    /// assert_eq!(wal.bounds("s")?, Some(0..2));
    /// # Ok(())
    /// # }
    /// ```
    pub fn bounds(&self, stream: &str) -> Result<Option<Range<u64>>> {
        Ok(self.stream(stream)?.and_then(|s| s.bounds()))
    }

    /// Names of all streams that hold data, sorted.
    ///
    /// ```
    /// # use ironwal::{Wal, WalOptions};
    /// # fn main() -> ironwal::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(WalOptions::new(dir.path()))?;
    /// wal.append("b/2", b"x")?;
    /// wal.append("a", b"y")?;
    /// wal.writer("empty"); // nothing committed: no stream
    /// assert_eq!(wal.streams(), ["a", "b/2"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn streams(&self) -> Vec<String> {
        let streams = self.engine.streams.read();
        let mut names: Vec<String> = streams
            .values()
            .filter(|s| s.bounds().is_some())
            .map(|s| s.name().to_owned())
            .collect();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::counting_vfs::{CountingVfs, SyncProbe};
    use crate::ReadStrategy;
    use std::sync::atomic::Ordering;

    fn open(dir: &std::path::Path, mode: SyncMode) -> (Wal, Arc<SyncProbe>) {
        let mut options = WalOptions::new(dir);
        options.sync_mode = mode;
        open_with(options)
    }

    fn open_with(options: WalOptions) -> (Wal, Arc<SyncProbe>) {
        let probe = Arc::new(SyncProbe::default());
        (
            Wal::with_vfs(options, Arc::new(CountingVfs(probe.clone()))).unwrap(),
            probe,
        )
    }

    /// A stream "s" with `segments` segments of 100 entries of 1 KiB each.
    fn segmented(dir: &std::path::Path, segments: u64) -> WalOptions {
        let mut options = WalOptions::new(dir);
        options.sync_mode = SyncMode::Async;
        options.max_entries_per_segment = 100;
        let wal = Wal::new(options.clone()).unwrap();
        for i in 0..segments * 100 {
            wal.append("s", &[i as u8; 1024]).unwrap();
        }
        options
    }

    /// Outside Strict mode each MiB of frames is handed to writeback once written:
    /// whole 64 KiB blocks behind the write position, each byte once, from every
    /// segment's start; in Strict mode (nothing left dirty) never.
    #[test]
    fn frames_are_handed_to_writeback_as_segments_fill() {
        for mode in [SyncMode::Async, SyncMode::BatchOnly, SyncMode::Strict] {
            let dir = tempfile::tempdir().unwrap();
            let mut options = WalOptions::new(dir.path());
            options.sync_mode = mode;
            options.max_segment_size = 3 << 20;
            let (wal, probe) = open_with(options);
            let entry = [7u8; 1000];
            for _ in 0..5000 {
                wal.append("s", &entry).unwrap(); // ~5 MB: two segments
            }
            let writebacks = probe.writebacks.lock().clone();
            if mode == SyncMode::Strict {
                assert_eq!(writebacks, [], "{mode:?}");
                continue;
            }
            let mut segment_end = 0;
            for &(offset, len) in &writebacks {
                // A new segment starts over at 0; within one, ranges follow each other.
                assert!(
                    offset == 0 || offset == segment_end,
                    "{mode:?}: {writebacks:?}"
                );
                assert!(len >= 1 << 20, "{mode:?}: {writebacks:?}");
                assert_eq!((offset + len) % (64 << 10), 0, "{mode:?}: {writebacks:?}");
                segment_end = offset + len;
            }
            let starts = writebacks
                .iter()
                .filter(|&&(offset, _)| offset == 0)
                .count();
            assert_eq!(starts, 2, "{mode:?}: one run per segment: {writebacks:?}");
            let handed: u64 = writebacks.iter().map(|&(_, len)| len).sum();
            assert!(
                handed >= 3_000_000,
                "{mode:?}: only {handed} bytes handed over"
            );
        }
    }

    #[test]
    fn open_reads_only_active_segments() {
        let dir = tempfile::tempdir().unwrap();
        let options = segmented(dir.path(), 20);
        let (wal, probe) = open_with(options);
        let read_at_open = probe.bytes_read.load(Ordering::SeqCst);
        let one_segment = 100 * (1024 + 40) + 48 + 1024; // the active one, header read twice
        assert!(
            read_at_open <= one_segment,
            "open read {read_at_open} bytes; the active segment is under {one_segment}"
        );
        assert_eq!(wal.bounds("s").unwrap(), Some(0..2000));
        assert_eq!(wal.get("s", 5).unwrap().unwrap(), vec![5u8; 1024]);
    }

    /// A sealed segment read through the stream's weak reference (not the LRU) is not
    /// evicted as if unused: with room for two open segments, reading A, B, A, C keeps
    /// A open and closes B (CLOCK's second chance), so the next read of A reads nothing
    /// from disk while one of B opens B again.
    #[test]
    fn a_sealed_segment_read_without_the_lru_stays_open_over_an_unread_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = segmented(dir.path(), 4);
        options.read_strategy = ReadStrategy::Mmap;
        options.max_open_segments = 2;
        let (wal, probe) = open_with(options);
        let read = || probe.bytes_read.load(Ordering::SeqCst);
        let get = |id: u64| assert_eq!(wal.get("s", id).unwrap().unwrap(), vec![id as u8; 1024]);
        let (a, b, c) = (5, 105, 205);
        get(a);
        get(b);
        let opened = read();
        get(a);
        assert_eq!(read(), opened, "A is open: read from its mapping");
        get(c);
        let before = read();
        get(a);
        assert_eq!(read(), before, "A kept open when C was opened");
        get(b);
        assert!(read() > before, "B was closed for C and opens again");
    }

    /// With `Mmap`, reads of the active segment (gets and an iterator) copy from a
    /// mapping: no `pread` at all. With `StandardIo` the same reads do read.
    #[test]
    fn mmap_reads_of_the_active_segment_do_not_pread() {
        for (strategy, reads_expected) in [
            (ReadStrategy::Mmap, false),
            (ReadStrategy::StandardIo, true),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let mut options = WalOptions::new(dir.path());
            options.sync_mode = SyncMode::Async;
            options.read_strategy = strategy;
            let (wal, probe) = open_with(options);
            for i in 0..50u8 {
                wal.append("s", &[i; 300]).unwrap();
            }
            let before = probe.bytes_read.load(Ordering::SeqCst);
            for i in 0..50u8 {
                assert_eq!(wal.get("s", i as u64).unwrap().unwrap(), vec![i; 300]);
            }
            let iterated: Vec<Vec<u8>> = wal.iter("s", 0).unwrap().map(|e| e.unwrap()).collect();
            assert_eq!(
                iterated,
                (0..50u8).map(|i| vec![i; 300]).collect::<Vec<_>>()
            );
            let read = probe.bytes_read.load(Ordering::SeqCst) - before;
            assert_eq!(read > 0, reads_expected, "{strategy:?}: {read} bytes read");
        }
    }

    #[test]
    fn block_cache_serves_repeated_reads_without_disk_reads() {
        for (cache, rereads_hit_disk) in [(Some(1 << 20), false), (None, true)] {
            let dir = tempfile::tempdir().unwrap();
            let mut options = segmented(dir.path(), 3);
            options.block_cache_size = cache;
            let (wal, probe) = open_with(options);
            assert_eq!(wal.get("s", 7).unwrap().unwrap(), vec![7u8; 1024]);
            let before = probe.bytes_read.load(Ordering::SeqCst);
            assert_eq!(wal.get("s", 7).unwrap().unwrap(), vec![7u8; 1024]);
            let reread = probe.bytes_read.load(Ordering::SeqCst) - before;
            assert_eq!(
                reread > 0,
                rereads_hit_disk,
                "cache {cache:?}: {reread} bytes read again"
            );
        }
    }

    #[test]
    fn sealed_segment_indexes_are_evicted_with_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = segmented(dir.path(), 10);
        options.max_open_segments = 2;
        let (wal, _) = open_with(options);
        for id in (0..1000).step_by(50) {
            assert_eq!(wal.get("s", id).unwrap().unwrap(), vec![id as u8; 1024]);
            assert!(wal.engine.shared.open_segments.len() <= 2);
        }
        let all: Vec<Vec<u8>> = wal.iter("s", 0).unwrap().map(|e| e.unwrap()).collect();
        assert_eq!(all.len(), 1000);
        assert!(wal.engine.shared.open_segments.len() <= 2);
    }

    #[test]
    fn failed_fsync_poisons_the_stream_until_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, probe) = open(dir.path(), SyncMode::Strict);
        assert_eq!(wal.append("s", b"kept").unwrap(), 0);
        wal.append("other", b"x").unwrap();
        probe.fail_data_sync.store(true, Ordering::SeqCst);
        assert!(matches!(wal.append("s", b"unsure"), Err(Error::Io(_))));
        probe.fail_data_sync.store(false, Ordering::SeqCst);
        assert!(matches!(
            wal.append("s", b"refused"),
            Err(Error::Poisoned(_))
        ));
        assert!(matches!(
            wal.append_batch("s", &[b"refused"]),
            Err(Error::Poisoned(_))
        ));
        assert!(matches!(wal.sync("s"), Err(Error::Poisoned(_))));
        assert_eq!(
            wal.get("s", 0).unwrap().as_deref(),
            Some(&b"kept"[..]),
            "reads keep working"
        );
        assert_eq!(
            wal.append("other", b"y").unwrap(),
            1,
            "other streams are not poisoned"
        );
        drop(wal);
        let (wal, _) = open(dir.path(), SyncMode::Strict);
        assert_eq!(wal.get("s", 0).unwrap().as_deref(), Some(&b"kept"[..]));
        let next = wal.bounds("s").unwrap().unwrap().end;
        assert_eq!(wal.append("s", b"after reopen").unwrap(), next);
    }

    #[test]
    fn async_mode_does_not_fsync_appends_and_sync_does() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, probe) = open(dir.path(), SyncMode::Async);
        wal.append("s", b"create").unwrap();
        let after_create = probe.data_syncs.load(Ordering::SeqCst);
        for i in 0..100u32 {
            wal.append("s", &i.to_le_bytes()).unwrap();
        }
        wal.append_batch("s", &[b"a", b"b"]).unwrap();
        assert_eq!(probe.data_syncs.load(Ordering::SeqCst), after_create);
        wal.sync("s").unwrap();
        assert_eq!(probe.data_syncs.load(Ordering::SeqCst), after_create + 1);
    }

    #[test]
    fn sync_after_reopen_makes_earlier_async_appends_durable() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, _) = open(dir.path(), SyncMode::Async);
        wal.append("s", b"not yet durable").unwrap();
        drop(wal);
        let (wal, probe) = open(dir.path(), SyncMode::Async);
        let before = probe.data_syncs.load(Ordering::SeqCst);
        wal.sync("s").unwrap();
        assert_eq!(
            probe.data_syncs.load(Ordering::SeqCst),
            before + 1,
            "sync must fsync"
        );
        wal.sync_all().unwrap();
        assert_eq!(
            probe.data_syncs.load(Ordering::SeqCst),
            before + 1,
            "nothing new to sync"
        );
    }

    #[test]
    fn batch_only_syncs_batches_not_single_appends() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, probe) = open(dir.path(), SyncMode::BatchOnly);
        wal.append("s", b"create").unwrap();
        let before = probe.data_syncs.load(Ordering::SeqCst);
        wal.append("s", b"single").unwrap();
        assert_eq!(probe.data_syncs.load(Ordering::SeqCst), before);
        wal.append_batch("s", &[b"a", b"b"]).unwrap();
        assert_eq!(probe.data_syncs.load(Ordering::SeqCst), before + 1);
        let mut txn = wal.writer("s");
        txn.add(b"t".to_vec());
        txn.commit().unwrap();
        assert_eq!(probe.data_syncs.load(Ordering::SeqCst), before + 2);
    }

    #[test]
    fn concurrent_strict_writers_share_fsyncs() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, probe) = open(dir.path(), SyncMode::Strict);
        wal.append("s", b"create").unwrap();
        let before = probe.data_syncs.load(Ordering::SeqCst);
        let (threads, per_thread) = (8u64, 100u64);
        std::thread::scope(|scope| {
            for t in 0..threads {
                let wal = wal.clone();
                scope.spawn(move || {
                    for i in 0..per_thread {
                        wal.append("s", &(t * 1000 + i).to_le_bytes()).unwrap();
                    }
                });
            }
        });
        let syncs = probe.data_syncs.load(Ordering::SeqCst) - before;
        assert!(
            syncs < threads * per_thread,
            "{syncs} fsyncs for {} appends",
            threads * per_thread
        );
        assert_eq!(wal.bounds("s").unwrap(), Some(0..threads * per_thread + 1));
    }
}
