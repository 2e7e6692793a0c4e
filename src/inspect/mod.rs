//! Offline inspection and repair of a WAL root: the library behind the `ironwal`
//! command-line tool (built with the Cargo feature `cli`; this module is always part
//! of the library).
//!
//! The read-only functions ([`stat()`], [`dump()`], [`verify()`], [`checkpoints()`])
//! never change the root and do not take its lock: the engine's own recovery runs on
//! a copy-on-write view of the files, so they see the root exactly as
//! [`Wal::new`](crate::Wal::new) would leave it. On a root in use they see a moment of
//! it (an append in flight may show as a torn tail). [`repair()`] takes the root's
//! lock, runs the same recovery on
//! the real files, then fixes what recovery leaves alone: missing, stale or damaged
//! frame indexes, a damaged checkpoint log or `MANIFEST`, and (only when asked to)
//! damage in the middle of a stream, by cutting the stream there.
//!
//! Frames, headers and indexes are parsed and scanned by the engine's own code, so
//! what this module accepts is exactly what the engine accepts.
//!
//! ```
//! use ironwal::inspect::{repair, verify, Remedy, RepairOptions};
//! use ironwal::{SyncMode, Wal, WalOptions};
//! use std::io::Write;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let mut options = WalOptions::new(dir.path());
//! options.sync_mode = SyncMode::Async; // no preallocated space in the segment
//! let wal = Wal::new(options.clone())?;
//! wal.append_batch("s", &[b"a", b"b"])?;
//! drop(wal);
//! assert!(verify(dir.path(), &mut |_, _| {})?.is_clean());
//!
//! // An append torn by a crash: bytes after the last frame that are no frame.
//! let segment = std::fs::read_dir(dir.path().join("s"))?
//!     .map(|entry| entry.map(|e| e.path()))
//!     .find(|path| path.as_ref().is_ok_and(|p| p.extension() == Some("wal".as_ref())))
//!     .expect("one segment")?;
//! std::fs::OpenOptions::new().append(true).open(&segment)?.write_all(b"torn")?;
//!
//! let report = verify(dir.path(), &mut |_, _| {})?;
//! assert_eq!(report.problems.len(), 1);
//! assert_eq!(report.problems[0].remedy, Remedy::Recovery);
//! let repaired = repair(dir.path(), &RepairOptions::default(), &mut |_, _| {})?;
//! assert!(repaired.refused.is_empty() && repaired.after.is_clean());
//! let wal = Wal::new(options)?;
//! assert_eq!(wal.bounds("s")?, Some(0..2));
//! # Ok(())
//! # }
//! ```

mod checkpoints;
mod dry_run_fs;
mod dump;
mod engine;
mod layout;
mod log_check;
mod recording_fs;
mod repair;
mod stat;
mod stream_check;
mod verify;

pub use checkpoints::{checkpoints, CheckpointInfo, Checkpoints, HeadState};
pub use dump::{dump, Dump};
pub use repair::{repair, RepairOptions, RepairReport};
pub use stat::{stat, RootStat, ShardedStat, StreamStat};
pub use verify::{verify, Report};

use crate::format::frame_index::FrameIndex;
use std::fmt;
use std::path::PathBuf;

/// Called with (bytes checked, bytes to check) while a root is checked; pass
/// `&mut |_, _| {}` to ignore it.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// Something wrong with, or left over in, a root.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The file or directory concerned.
    pub path: PathBuf,
    /// Byte offset in that file, when the problem is at one.
    pub offset: Option<u64>,
    /// What is wrong.
    pub what: String,
    /// What fixes it.
    pub remedy: Remedy,
    /// How `repair` fixes it, beyond the engine's recovery.
    pub(crate) fix: Option<Fix>,
}

/// What fixes a [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// Opening the WAL fixes it (and so does `repair`) without losing an acknowledged
    /// entry: a leftover of an interrupted operation, a torn tail, a stale `HEAD`.
    Recovery,
    /// `repair` rewrites a file derived from the data (frame index, checkpoint log,
    /// `MANIFEST`); nothing is lost.
    Rewrite,
    /// Entries are unreadable and valid entries may follow them. Only
    /// `repair --truncate-at-damage` fixes it, by cutting `stream` at `cut_id`: the
    /// `entries_cut` entries from there to its end (as far as they can be read) go.
    Truncate {
        /// The stream with the damage.
        stream: String,
        /// The first id that goes.
        cut_id: u64,
        /// How many entries go.
        entries_cut: u64,
    },
    /// Needs a decision or information `repair` does not have; the text says which.
    Manual(String),
}

/// How `repair` fixes a problem besides running the engine's recovery.
#[derive(Debug, Clone)]
pub(crate) enum Fix {
    RebuildIndex {
        path: PathBuf,
        index: FrameIndex,
    },
    /// Cuts a stream at `offset` of segment `segment` (`0`: the whole segment) and
    /// deletes the segments after it. `stream` names it in a fresh header when the
    /// whole segment goes.
    CutStream {
        dir: PathBuf,
        stream: Option<String>,
        segment: u64,
        offset: u64,
    },
    /// Replaces `checkpoints.log` with its header and every valid record.
    RewriteLog {
        bytes: Vec<u8>,
        records: usize,
    },
    WriteManifest {
        shard_count: u16,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(offset) = self.offset {
            write!(f, " at offset {offset}")?;
        }
        write!(f, ": {} [{}]", self.what, self.remedy)
    }
}

impl fmt::Display for Remedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Remedy::Recovery => write!(f, "fixed on open or by repair"),
            Remedy::Rewrite => write!(f, "repair rewrites it"),
            Remedy::Truncate {
                stream,
                cut_id,
                entries_cut,
            } => write!(
                f,
                "repair --truncate-at-damage cuts stream {stream:?} at id {cut_id}, \
                 dropping {entries_cut} entries"
            ),
            Remedy::Manual(what) => write!(f, "cannot be repaired automatically: {what}"),
        }
    }
}
