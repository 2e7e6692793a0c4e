//! The sharded WAL (Cargo feature `sharded`): keys routed to `shard_count` streams of
//! one [`Wal`], with consistent, durable checkpoints across all shards (see
//! `docs/SHARDED_WAL.md`).
//!
//! A key's shard is [`shard_for_key`], a hash fixed forever. Each shard is a stream,
//! so entries of one shard have dense ids from 0. A checkpoint records, for every
//! shard, the next id at the moment it was created: it is what a snapshot covers, and
//! [`ShardedWal::iter_shard`] from its offsets yields exactly what came after.
//!
//! ```
//! # #[cfg(feature = "sharded")]
//! # fn main() -> ironwal::Result<()> {
//! use ironwal::sharded::ShardedWal;
//! use ironwal::WalOptions;
//!
//! let dir = tempfile::tempdir()?;
//! let wal = ShardedWal::new(WalOptions::new(dir.path()), 4)?;
//! let (shard, id) = wal.append(b"user_1", b"created")?;
//! wal.create_checkpoint(b"snapshot-1")?;
//! wal.append(b"user_1", b"renamed")?;
//!
//! // Replay what the snapshot does not cover.
//! let checkpoint = wal.load_checkpoint(b"snapshot-1")?;
//! assert_eq!(checkpoint.offsets[shard as usize], id + 1);
//! let after = wal.iter_shard(shard, checkpoint.offsets[shard as usize])?;
//! assert_eq!(after.collect::<ironwal::Result<Vec<_>>>()?, [b"renamed".to_vec()]);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "sharded"))]
//! # fn main() {}
//! ```
//!
//! Layout under `root_path`: the shard streams `shard_00`, `shard_01`, ...; `MANIFEST`
//! (the shard count); `checkpoints.log`; `HEAD`.

pub(crate) mod checkpoint_log;
mod router;

pub use router::shard_for_key;

use crate::error::io_context;
use crate::format::checkpoint_record::MAX_CHECKPOINT_ID_LEN;
use crate::format::sharded_meta::{decode_manifest, encode_manifest};
use crate::format::stream_name;
use crate::storage::vfs::{read_file, replace_file, RealFs, Vfs};
use crate::{CorruptionPolicy, Error, Result, Wal, WalIdIterator, WalIterator, WalOptions};
use checkpoint_log::CheckpointLog;
use parking_lot::{Mutex, RwLock};
use router::shard_stream;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The file in the root that records the shard count.
pub(crate) const MANIFEST_FILE: &str = "MANIFEST";

/// A checkpoint: for each shard `s`, `offsets[s]` is the shard's next id at the
/// checkpoint, so every entry below it is covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointData {
    /// Each shard's next id at the checkpoint, indexed by shard.
    pub offsets: Vec<u64>,
    /// Creation time, nanoseconds since the Unix epoch.
    pub timestamp: u64,
    /// The number of shards (the length of `offsets`).
    pub shard_count: u16,
}

/// What [`ShardedWal::prune_before_checkpoint`] deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PruneStats {
    /// Shards that lost at least one segment.
    pub shards_pruned: u16,
    /// Segment files deleted, over all shards.
    pub segments_deleted: usize,
}

/// What [`ShardedWal::compact_checkpoints`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompactionStats {
    /// Checkpoints before the compaction.
    pub checkpoints_before: usize,
    /// Checkpoints kept.
    pub checkpoints_after: usize,
    /// Bytes by which `checkpoints.log` shrank.
    pub bytes_reclaimed: u64,
}

/// A WAL of `shard_count` shards with checkpoints. `Send + Sync`: share it by reference
/// or in an `Arc`.
pub struct ShardedWal {
    wal: Wal,
    shard_count: u16,
    streams: Vec<String>,
    /// Appends hold it shared for their whole duration; a checkpoint holds it
    /// exclusively while it reads every shard's next id, so no append is half inside.
    cut: RwLock<()>,
    /// Serializes checkpoint creation and compaction.
    log: Mutex<CheckpointLog>,
}

impl std::fmt::Debug for ShardedWal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardedWal")
            .field("wal", &self.wal)
            .field("shard_count", &self.shard_count)
            .finish_non_exhaustive()
    }
}

impl ShardedWal {
    /// Opens (creating if needed) a sharded WAL at `opts.root_path`, recovering its
    /// streams and checkpoints. The shard count is recorded on creation; opening with
    /// another count fails with [`Error::ShardCountMismatch`], a count of 0 with
    /// [`Error::Config`].
    ///
    /// ```
    /// # #[cfg(feature = "sharded")]
    /// # fn main() -> ironwal::Result<()> {
    /// use ironwal::sharded::ShardedWal;
    /// use ironwal::{Error, WalOptions};
    ///
    /// let dir = tempfile::tempdir()?;
    /// drop(ShardedWal::new(WalOptions::new(dir.path()), 8)?);
    /// let reopened = ShardedWal::new(WalOptions::new(dir.path()), 4);
    /// assert!(matches!(
    ///     reopened,
    ///     Err(Error::ShardCountMismatch { expected: 4, found: 8 })
    /// ));
    /// assert_eq!(ShardedWal::new(WalOptions::new(dir.path()), 8)?.shard_count(), 8);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "sharded"))]
    /// # fn main() {}
    /// ```
    pub fn new(opts: WalOptions, shard_count: u16) -> Result<ShardedWal> {
        ShardedWal::with_vfs(opts, shard_count, Arc::new(RealFs))
    }

    pub(crate) fn with_vfs(
        opts: WalOptions,
        shard_count: u16,
        vfs: Arc<dyn Vfs>,
    ) -> Result<ShardedWal> {
        if shard_count == 0 {
            return Err(Error::Config("shard_count must be greater than 0".into()));
        }
        let policy = opts.on_corruption;
        let wal = Wal::with_vfs(opts, vfs)?;
        let (vfs, root) = (wal.vfs(), wal.root().to_path_buf());
        let log = CheckpointLog::open(vfs.clone(), root.clone(), policy)?;
        let manifest_path = root.join(MANIFEST_FILE);
        let recorded = match read_file(&*vfs, &manifest_path) {
            Ok(bytes) => Some(decode_manifest(&bytes).ok_or_else(|| {
                Error::Corruption(format!("{} is damaged", manifest_path.display()))
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_context(e, "read", &manifest_path)),
        };
        // Without a manifest (a crash during creation), what is on disk still tells.
        let found = recorded.map(usize::from).or_else(|| {
            let highest_shard = wal
                .streams()
                .iter()
                .filter_map(|s| s.strip_prefix("shard_")?.parse::<usize>().ok())
                .max();
            let too_high = highest_shard
                .filter(|&s| s >= shard_count as usize)
                .map(|s| s + 1);
            log.recorded_shard_counts()
                .find(|&n| n != shard_count as usize)
                .or(too_high)
        });
        if let Some(found) = found.filter(|&n| n != shard_count as usize) {
            return Err(Error::ShardCountMismatch {
                expected: shard_count,
                found: found.min(u16::MAX as usize) as u16,
            });
        }
        if recorded.is_none() {
            replace_file(&*vfs, &manifest_path, &encode_manifest(shard_count))
                .map_err(|e| io_context(e.error, "create", &manifest_path))?;
        }
        // MANIFEST and checkpoints.log may come from a process that died before
        // fsyncing the root: make their entries durable before relying on them.
        wal.ensure_root_durable()?;
        // Ids below a checkpoint's offset were durable when it was made: a shard that
        // ends below one lost entries to damage from outside (a crash cannot). Refused
        // under `CorruptionPolicy::Error`; otherwise the shard's ids continue at the
        // offset, so none is handed out twice and the checkpoint's replay sees what
        // comes next.
        for (shard, covered) in (0..shard_count).zip(log.covered(shard_count)) {
            let stream = shard_stream(shard);
            let next = wal.bounds(&stream)?.map_or(0, |ids| ids.end);
            if next >= covered {
                continue;
            }
            if policy == CorruptionPolicy::Error {
                return Err(Error::Corruption(format!(
                    "{}: shard {shard} ends at id {next}, but a checkpoint covers its ids \
                     below {covered}: entries it made durable are missing",
                    root.join(stream_name::encode(&stream)).display()
                )));
            }
            wal.skip_to(&stream, covered)?;
        }
        Ok(ShardedWal {
            wal,
            shard_count,
            streams: (0..shard_count).map(shard_stream).collect(),
            cut: RwLock::new(()),
            log: Mutex::new(log),
        })
    }

    /// Appends `value` to the shard of `key`; returns (shard, id in that shard). Durable
    /// on return as [`Wal::append`] is.
    ///
    /// ```
    /// # #[cfg(feature = "sharded")]
    /// # fn main() -> ironwal::Result<()> {
    /// # use ironwal::{sharded::{shard_for_key, ShardedWal}, WalOptions};
    /// # let dir = tempfile::tempdir()?;
    /// let wal = ShardedWal::new(WalOptions::new(dir.path()), 4)?;
    /// let (shard, id) = wal.append(b"key", b"value")?;
    /// assert_eq!(shard, shard_for_key(b"key", 4));
    /// assert_eq!(wal.append(b"key", b"value 2")?, (shard, id + 1));
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "sharded"))]
    /// # fn main() {}
    /// ```
    pub fn append(&self, key: &[u8], value: &[u8]) -> Result<(u16, u64)> {
        let shard = shard_for_key(key, self.shard_count);
        let _cut = self.cut.read();
        Ok((
            shard,
            self.wal.append(&self.streams[shard as usize], value)?,
        ))
    }

    /// Appends every `(key, value)`, grouped into one atomic batch per shard (not
    /// atomic across shards); returns (shard, id) in input order. No checkpoint sees
    /// part of it.
    ///
    /// ```
    /// # #[cfg(feature = "sharded")]
    /// # fn main() -> ironwal::Result<()> {
    /// # use ironwal::{sharded::ShardedWal, WalOptions};
    /// # let dir = tempfile::tempdir()?;
    /// let wal = ShardedWal::new(WalOptions::new(dir.path()), 4)?;
    /// let entries = [(b"a".to_vec(), b"1".to_vec()), (b"a".to_vec(), b"2".to_vec())];
    /// let placed = wal.append_batch(&entries)?;
    /// let shard = placed[0].0;
    /// assert_eq!(placed, [(shard, 0), (shard, 1)]);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "sharded"))]
    /// # fn main() {}
    /// ```
    pub fn append_batch(&self, entries: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<(u16, u64)>> {
        let mut by_shard: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
        for (i, (key, _)) in entries.iter().enumerate() {
            by_shard
                .entry(shard_for_key(key, self.shard_count))
                .or_default()
                .push(i);
        }
        let mut results = vec![(0, 0); entries.len()];
        let _cut = self.cut.read();
        for (shard, positions) in by_shard {
            let values: Vec<&[u8]> = positions.iter().map(|&i| entries[i].1.as_slice()).collect();
            let ids = self
                .wal
                .append_batch(&self.streams[shard as usize], &values)?;
            for (&i, id) in positions.iter().zip(ids) {
                results[i] = (shard, id);
            }
        }
        Ok(results)
    }

    /// Appends `values` atomically to the shard of `key`; returns (shard, id) of each.
    ///
    /// ```
    /// # #[cfg(feature = "sharded")]
    /// # fn main() -> ironwal::Result<()> {
    /// # use ironwal::{sharded::ShardedWal, WalOptions};
    /// # let dir = tempfile::tempdir()?;
    /// let wal = ShardedWal::new(WalOptions::new(dir.path()), 4)?;
    /// let placed = wal.append_batch_for_key(b"order-7", &[b"created", b"paid"])?;
    /// let shard = placed[0].0;
    /// assert_eq!(placed, [(shard, 0), (shard, 1)]);
    /// let entries = wal.iter_shard_with_ids(shard, 1)?;
    /// assert_eq!(entries.collect::<ironwal::Result<Vec<_>>>()?, [(1, b"paid".to_vec())]);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "sharded"))]
    /// # fn main() {}
    /// ```
    pub fn append_batch_for_key(&self, key: &[u8], values: &[&[u8]]) -> Result<Vec<(u16, u64)>> {
        let shard = shard_for_key(key, self.shard_count);
        let _cut = self.cut.read();
        let ids = self
            .wal
            .append_batch(&self.streams[shard as usize], values)?;
        Ok(ids.map(|id| (shard, id)).collect())
    }

    /// Records a consistent cut of all shards under `user_id` (1..=65535 bytes): every
    /// append that returned before this call is inside, none is half inside. When it
    /// returns, every covered entry and the checkpoint record are on stable storage.
    /// Reusing an id replaces the older checkpoint of that id. Fails with
    /// [`Error::InvalidCheckpointId`] for an empty or longer id.
    ///
    /// ```
    /// # #[cfg(feature = "sharded")]
    /// # fn main() -> ironwal::Result<()> {
    /// # use ironwal::{sharded::ShardedWal, WalOptions};
    /// # let dir = tempfile::tempdir()?;
    /// let wal = ShardedWal::new(WalOptions::new(dir.path()), 2)?;
    /// wal.create_checkpoint(b"empty")?;
    /// assert_eq!(wal.load_checkpoint(b"empty")?.offsets, [0, 0]);
    /// wal.append(b"k", b"v")?;
    /// wal.create_checkpoint(b"one")?;
    /// assert_eq!(wal.load_checkpoint(b"one")?.offsets.iter().sum::<u64>(), 1);
    /// wal.create_checkpoint(b"empty")?; // replaces the first one
    /// assert_eq!(wal.checkpoint_count(), 2);
    /// assert_eq!(wal.load_latest_checkpoint()?.0, b"empty");
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "sharded"))]
    /// # fn main() {}
    /// ```
    pub fn create_checkpoint(&self, user_id: &[u8]) -> Result<()> {
        validate_checkpoint_id(user_id)?;
        let mut log = self.log.lock();
        let offsets: Vec<u64> = {
            let _cut = self.cut.write();
            self.streams
                .iter()
                .map(|s| self.wal.bounds(s).map(|b| b.map_or(0, |b| b.end)))
                .collect::<Result<_>>()?
        };
        for (stream, _) in self
            .streams
            .iter()
            .zip(&offsets)
            .filter(|(_, &offset)| offset > 0)
        {
            self.wal.sync(stream)?;
        }
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        log.append(user_id, offsets, timestamp)
    }

    /// The checkpoint named `user_id`; [`Error::CheckpointNotFound`] if there is none.
    pub fn load_checkpoint(&self, user_id: &[u8]) -> Result<CheckpointData> {
        validate_checkpoint_id(user_id)?;
        let log = self.log.lock();
        let record = log.get(user_id).ok_or_else(|| {
            Error::CheckpointNotFound(String::from_utf8_lossy(user_id).into_owned())
        })?;
        Ok(checkpoint_data(record.offsets.clone(), record.timestamp))
    }

    /// The most recently created checkpoint and its id (not the one with the largest
    /// timestamp); [`Error::NoCheckpoints`] if there is none.
    pub fn load_latest_checkpoint(&self) -> Result<(Vec<u8>, CheckpointData)> {
        let log = self.log.lock();
        let latest = log.latest().ok_or(Error::NoCheckpoints)?;
        Ok((
            latest.record.id.clone(),
            checkpoint_data(latest.record.offsets.clone(), latest.record.timestamp),
        ))
    }

    /// Every checkpoint's id and creation timestamp, oldest first.
    ///
    /// ```
    /// # #[cfg(feature = "sharded")]
    /// # fn main() -> ironwal::Result<()> {
    /// # use ironwal::{sharded::ShardedWal, WalOptions};
    /// # let dir = tempfile::tempdir()?;
    /// let wal = ShardedWal::new(WalOptions::new(dir.path()), 2)?;
    /// wal.create_checkpoint(b"b")?;
    /// wal.create_checkpoint(b"a")?;
    /// let listed = wal.list_checkpoints();
    /// let ids: Vec<&[u8]> = listed.iter().map(|(id, _)| id.as_slice()).collect();
    /// assert_eq!(ids, [b"b", b"a"]);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "sharded"))]
    /// # fn main() {}
    /// ```
    pub fn list_checkpoints(&self) -> Vec<(Vec<u8>, u64)> {
        self.log.lock().list()
    }

    /// The entries of `shard_id` from id `start_offset` on (see [`Wal::iter`]). Fails
    /// with [`Error::Config`] for a shard that does not exist.
    pub fn iter_shard(&self, shard_id: u16, start_offset: u64) -> Result<WalIterator> {
        self.wal.iter(self.stream(shard_id)?, start_offset)
    }

    /// Like [`ShardedWal::iter_shard`], yielding `(id, entry)` pairs.
    pub fn iter_shard_with_ids(&self, shard_id: u16, start_offset: u64) -> Result<WalIdIterator> {
        self.wal.iter_with_ids(self.stream(shard_id)?, start_offset)
    }

    /// Deletes, in every shard, the sealed segments whose entries all lie below the
    /// checkpoint's offset for that shard (see [`Wal::truncate`]). Active segments are
    /// never deleted.
    ///
    /// ```
    /// # #[cfg(feature = "sharded")]
    /// # fn main() -> ironwal::Result<()> {
    /// # use ironwal::{sharded::ShardedWal, WalOptions};
    /// # let dir = tempfile::tempdir()?;
    /// let mut options = WalOptions::new(dir.path());
    /// options.max_entries_per_segment = 10;
    /// let wal = ShardedWal::new(options, 2)?;
    /// for i in 0..30u32 {
    ///     wal.append(b"one key", &i.to_le_bytes())?; // one shard: 3 segments
    /// }
    /// wal.create_checkpoint(b"c")?;
    /// let stats = wal.prune_before_checkpoint(b"c")?;
    /// assert_eq!((stats.shards_pruned, stats.segments_deleted), (1, 2));
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "sharded"))]
    /// # fn main() {}
    /// ```
    pub fn prune_before_checkpoint(&self, user_id: &[u8]) -> Result<PruneStats> {
        let checkpoint = self.load_checkpoint(user_id)?;
        let mut stats = PruneStats::default();
        for (stream, &offset) in self.streams.iter().zip(&checkpoint.offsets) {
            let deleted = self.wal.truncate(stream, offset)?;
            stats.segments_deleted += deleted;
            stats.shards_pruned += u16::from(deleted > 0);
        }
        Ok(stats)
    }

    /// Keeps only the `keep_latest_n` most recent checkpoints, rewriting the log
    /// atomically. Safe against concurrent `create_checkpoint`.
    ///
    /// ```
    /// # #[cfg(feature = "sharded")]
    /// # fn main() -> ironwal::Result<()> {
    /// # use ironwal::{sharded::ShardedWal, WalOptions};
    /// # let dir = tempfile::tempdir()?;
    /// let wal = ShardedWal::new(WalOptions::new(dir.path()), 2)?;
    /// for id in ["1", "2", "3"] {
    ///     wal.create_checkpoint(id.as_bytes())?;
    /// }
    /// let stats = wal.compact_checkpoints(1)?;
    /// assert_eq!((stats.checkpoints_before, stats.checkpoints_after), (3, 1));
    /// assert!(stats.bytes_reclaimed > 0);
    /// assert_eq!(wal.load_latest_checkpoint()?.0, b"3");
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "sharded"))]
    /// # fn main() {}
    /// ```
    pub fn compact_checkpoints(&self, keep_latest_n: usize) -> Result<CompactionStats> {
        let compacted = self.log.lock().compact(keep_latest_n)?;
        Ok(CompactionStats {
            checkpoints_before: compacted.before,
            checkpoints_after: compacted.after,
            bytes_reclaimed: compacted.bytes_reclaimed,
        })
    }

    /// The number of shards, fixed when the WAL was created.
    pub fn shard_count(&self) -> u16 {
        self.shard_count
    }

    /// The number of checkpoints.
    pub fn checkpoint_count(&self) -> usize {
        self.log.lock().len()
    }

    /// The underlying [`Wal`]: shard `s` is its stream `shard_{s:02}` (`shard_00`,
    /// `shard_01`, ...).
    pub fn inner(&self) -> &Wal {
        &self.wal
    }

    fn stream(&self, shard_id: u16) -> Result<&str> {
        self.streams
            .get(shard_id as usize)
            .map(String::as_str)
            .ok_or_else(|| {
                Error::Config(format!(
                    "shard {shard_id} does not exist (the WAL has {} shards)",
                    self.shard_count
                ))
            })
    }
}

fn checkpoint_data(offsets: Vec<u64>, timestamp: u64) -> CheckpointData {
    CheckpointData {
        shard_count: offsets.len() as u16,
        offsets,
        timestamp,
    }
}

fn validate_checkpoint_id(id: &[u8]) -> Result<()> {
    if id.is_empty() || id.len() > MAX_CHECKPOINT_ID_LEN {
        return Err(Error::InvalidCheckpointId(format!(
            "a checkpoint id is 1 to {MAX_CHECKPOINT_ID_LEN} bytes, this one is {}",
            id.len()
        )));
    }
    Ok(())
}
