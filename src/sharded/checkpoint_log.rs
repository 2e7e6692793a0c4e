//! `checkpoints.log` and `HEAD`: the durable list of checkpoints of a sharded WAL.
//!
//! The log is the source of truth, in creation order; `HEAD` names its last record and
//! is rewritten from the log whenever it disagrees. On open a torn tail of the log is
//! cut (by shrinking) so records appended later stay readable; damage followed by
//! valid records is skipped under `CorruptionPolicy::Truncate` and refused under
//! `Error`. Lookups are served from memory: nothing rescans the file.

use crate::error::{io_context, io_error_in};
use crate::format::checkpoint_record::{
    encode_log_header, is_log_header, CheckpointRecord, LOG_HEADER_LEN,
};
use crate::format::sharded_meta::Head;
use crate::storage::vfs::{
    read_file, replace_file, write_all_at, OpenMode, ReplaceStage, Vfs, VfsFile,
};
use crate::{CorruptionPolicy, Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// The checkpoint log, in the root.
pub(crate) const LOG_FILE: &str = "checkpoints.log";
/// The file in the root that names the log's last record.
pub(crate) const HEAD_FILE: &str = "HEAD";

/// A checkpoint and where its record is.
pub(crate) struct Entry {
    pub record: CheckpointRecord,
    pub offset: u64,
}

/// A valid record of a checkpoint log, as [`scan_log`] finds it.
pub(crate) struct LogRecord {
    pub offset: u64,
    /// Encoded length in bytes.
    pub len: usize,
    pub record: CheckpointRecord,
}

/// What a checkpoint log holds, as recovery reads it.
pub(crate) struct LogScan {
    /// Valid records in log order.
    pub records: Vec<LogRecord>,
    /// Byte ranges recovery skips: damaged records followed by valid ones.
    pub damaged: Vec<Range<u64>>,
    /// Where a torn tail (nothing valid up to the end) starts.
    pub torn_at: Option<u64>,
}

/// Reads the records of the log `bytes` (header included; not checked here). A record
/// counts if it is valid and newer than the last one; at any other position the scan
/// resumes at the next 8-byte aligned valid newer record, or the rest is a torn tail.
pub(crate) fn scan_log(bytes: &[u8]) -> LogScan {
    let mut scan = LogScan {
        records: Vec::new(),
        damaged: Vec::new(),
        torn_at: None,
    };
    let mut next_sequence = 1;
    let newer = |at: usize, next: u64| {
        CheckpointRecord::decode(&bytes[at..]).filter(|(record, _)| record.sequence >= next)
    };
    let mut pos = LOG_HEADER_LEN as usize;
    while pos < bytes.len() {
        if let Some((record, len)) = newer(pos, next_sequence) {
            next_sequence = record.sequence + 1;
            scan.records.push(LogRecord {
                offset: pos as u64,
                len,
                record,
            });
            pos += len;
            continue;
        }
        let resume = (pos + 8..bytes.len()).step_by(8).find(|&at| {
            CheckpointRecord::starts_here(&bytes[at..]) && newer(at, next_sequence).is_some()
        });
        match resume {
            Some(at) => {
                scan.damaged.push(pos as u64..at as u64);
                pos = at;
            }
            None => {
                scan.torn_at = Some(pos as u64);
                break;
            }
        }
    }
    scan
}

pub(crate) struct CheckpointLog {
    vfs: Arc<dyn Vfs>,
    root: PathBuf,
    file: Arc<dyn VfsFile>,
    /// End of the last valid record: the next one is written here.
    len: u64,
    /// Live checkpoints by sequence number (creation order). Creating a checkpoint
    /// with an id in use replaces the older one.
    entries: BTreeMap<u64, Entry>,
    by_id: HashMap<Vec<u8>, u64>,
    next_sequence: u64,
    /// Set by a failed write or fsync: no checkpoint is created until reopen.
    failure: Option<String>,
}

/// What `compact` did.
pub(crate) struct Compacted {
    pub before: usize,
    pub after: usize,
    pub bytes_reclaimed: u64,
}

impl CheckpointLog {
    pub fn open(
        vfs: Arc<dyn Vfs>,
        root: PathBuf,
        policy: CorruptionPolicy,
    ) -> Result<CheckpointLog> {
        let path = root.join(LOG_FILE);
        let bytes = match read_file(&*vfs, &path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_context(e, "read", &path)),
        };
        // A missing log is a new one; a log shorter than its header was never completely
        // created, which only `Truncate` may repair.
        let unfinished = bytes
            .as_ref()
            .is_some_and(|b| b.len() < LOG_HEADER_LEN as usize);
        let file = match bytes {
            None => Self::create(&*vfs, &path)?,
            Some(_) if unfinished && policy == CorruptionPolicy::Truncate => {
                Self::create(&*vfs, &path)?
            }
            Some(ref bytes) if is_log_header(bytes) => vfs
                .open(&path, OpenMode::ReadWrite)
                .map_err(|e| io_context(e, "open", &path))?,
            Some(_) => {
                return Err(Error::CheckpointCorrupted {
                    offset: 0,
                    reason: format!("{} has no valid header", path.display()),
                })
            }
        };
        let bytes = bytes.filter(|_| !unfinished).unwrap_or_default();
        let mut log = CheckpointLog {
            vfs,
            root,
            file,
            len: LOG_HEADER_LEN,
            entries: BTreeMap::new(),
            by_id: HashMap::new(),
            next_sequence: 1,
            failure: None,
        };
        log.recover(&bytes, policy)?;
        log.refresh_head()?;
        Ok(log)
    }

    fn create(vfs: &dyn Vfs, path: &std::path::Path) -> Result<Arc<dyn VfsFile>> {
        replace_file(vfs, path, &encode_log_header())
            .map_err(|e| io_context(e.error, "create", path))
    }

    /// Loads the records of `bytes` (see [`scan_log`]), cutting a torn tail.
    fn recover(&mut self, bytes: &[u8], policy: CorruptionPolicy) -> Result<()> {
        let path = self.root.join(LOG_FILE);
        let scan = scan_log(bytes);
        if policy == CorruptionPolicy::Error {
            // Damaged ranges all lie before a torn tail: the first damage is reported.
            let first_damage = scan
                .damaged
                .first()
                .map(|range| (range.start, "damaged record followed by valid records"))
                .or(scan.torn_at.map(|at| (at, "torn tail")));
            if let Some((offset, reason)) = first_damage {
                return Err(Error::CheckpointCorrupted {
                    offset,
                    reason: format!("{}: {reason}", path.display()),
                });
            }
        }
        for found in scan.records {
            self.insert(found.record, found.offset);
        }
        if let Some(at) = scan.torn_at {
            // Shrink only: nothing after `at` is a record.
            self.file
                .set_len(at)
                .map_err(|e| io_context(e, "cut torn tail of", &path))?;
            self.file
                .sync_data()
                .map_err(|e| io_context(e, "fsync", &path))?;
        }
        self.len = scan
            .torn_at
            .unwrap_or(bytes.len() as u64)
            .max(LOG_HEADER_LEN);
        Ok(())
    }

    fn insert(&mut self, record: CheckpointRecord, offset: u64) {
        if let Some(older) = self.by_id.insert(record.id.clone(), record.sequence) {
            self.entries.remove(&older);
        }
        self.next_sequence = record.sequence + 1;
        self.entries
            .insert(record.sequence, Entry { record, offset });
    }

    /// Makes `HEAD` name the last record (or removes it when there is none).
    fn refresh_head(&self) -> Result<()> {
        let path = self.root.join(HEAD_FILE);
        let wanted = self.latest().map(|e| Head {
            sequence: e.record.sequence,
            offset: e.offset,
        });
        let current = read_file(&*self.vfs, &path)
            .ok()
            .and_then(|bytes| Head::decode(&bytes));
        if current == wanted {
            return Ok(());
        }
        match wanted {
            Some(head) => {
                replace_file(&*self.vfs, &path, &head.encode())
                    .map_err(|e| io_context(e.error, "replace", &path))?;
            }
            None => match self.vfs.remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(io_context(e, "remove", &path))
                }
                _ => {}
            },
        }
        Ok(())
    }

    /// Appends a checkpoint record, fsyncs it and points `HEAD` at it.
    pub fn append(&mut self, id: &[u8], offsets: Vec<u64>, timestamp: u64) -> Result<()> {
        if let Some(failure) = &self.failure {
            return Err(Error::Poisoned(failure.clone()));
        }
        let path = self.root.join(LOG_FILE);
        let record = CheckpointRecord {
            sequence: self.next_sequence,
            timestamp,
            id: id.to_vec(),
            offsets,
        };
        let bytes = record.encode();
        let written =
            write_all_at(&*self.file, &bytes, self.len).and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            let _ = self.file.set_len(self.len);
            let context = format!("{}: write or fsync of a checkpoint failed", path.display());
            self.failure = Some(format!("{context}: {e}"));
            return Err(Error::Io(io_error_in(context, e)));
        }
        let offset = self.len;
        self.len += bytes.len() as u64;
        self.insert(record, offset);
        self.refresh_head()
    }

    /// Rewrites the log with only the `keep` most recent checkpoints (atomically:
    /// temp file, fsync, rename, directory fsync). Memory changes only once the new
    /// log is in place.
    pub fn compact(&mut self, keep: usize) -> Result<Compacted> {
        let path = self.root.join(LOG_FILE);
        let before = self.entries.len();
        let doomed: Vec<u64> = self
            .entries
            .keys()
            .take(before.saturating_sub(keep))
            .copied()
            .collect();
        let mut bytes = encode_log_header();
        let mut offsets = Vec::new();
        for (sequence, entry) in self
            .entries
            .range(doomed.last().map_or(0, |last| last + 1)..)
        {
            offsets.push((*sequence, bytes.len() as u64));
            bytes.extend_from_slice(&entry.record.encode());
        }
        self.file = match replace_file(&*self.vfs, &path, &bytes) {
            Ok(file) => file,
            Err(failed) => {
                // If the new log may be in place (not durably), `self.file` is stale:
                // no checkpoint is created until reopen.
                let in_place = match failed.stage {
                    ReplaceStage::BeforeRename => false,
                    ReplaceStage::Rename => {
                        read_file(&*self.vfs, &path).map_or(true, |now| now == bytes)
                    }
                    ReplaceStage::DirSync => true,
                };
                if in_place {
                    self.failure = Some(format!(
                        "{}: compaction failed: {}",
                        path.display(),
                        failed.error
                    ));
                }
                return Err(io_context(failed.error, "rewrite", &path));
            }
        };
        for sequence in doomed {
            let entry = self.entries.remove(&sequence).expect("listed above");
            self.by_id.remove(&entry.record.id);
        }
        for (sequence, offset) in offsets {
            self.entries.get_mut(&sequence).expect("kept").offset = offset;
        }
        let old_len = std::mem::replace(&mut self.len, bytes.len() as u64);
        self.refresh_head()?;
        Ok(Compacted {
            before,
            after: self.entries.len(),
            bytes_reclaimed: old_len.saturating_sub(self.len),
        })
    }

    pub fn get(&self, id: &[u8]) -> Option<&CheckpointRecord> {
        self.by_id
            .get(id)
            .map(|sequence| &self.entries[sequence].record)
    }

    pub fn latest(&self) -> Option<&Entry> {
        self.entries.values().next_back()
    }

    /// Every checkpoint's id and timestamp, oldest first.
    pub fn list(&self) -> Vec<(Vec<u8>, u64)> {
        self.entries
            .values()
            .map(|e| (e.record.id.clone(), e.record.timestamp))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Per shard, the highest next id a checkpoint records: every id below it was
    /// durable when that checkpoint was made.
    pub fn covered(&self, shard_count: u16) -> Vec<u64> {
        let mut covered = vec![0; shard_count as usize];
        for entry in self.entries.values() {
            for (covered, &offset) in covered.iter_mut().zip(&entry.record.offsets) {
                *covered = (*covered).max(offset);
            }
        }
        covered
    }

    /// The shard counts the records were made with.
    pub fn recorded_shard_counts(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.values().map(|e| e.record.offsets.len())
    }
}
