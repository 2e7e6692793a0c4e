//! `checkpoints`: the checkpoints of a sharded root, as the engine loads them.

use super::engine::dry_run;
use super::layout::HEAD_FILE;
use crate::storage::vfs::{read_file, RealFs};
use crate::{Error, Result};
use std::path::Path;

/// What [`checkpoints()`] found.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    /// The shard count of the root.
    pub shard_count: u16,
    /// Oldest first.
    pub checkpoints: Vec<CheckpointInfo>,
    /// The id of the most recently created checkpoint.
    pub latest: Option<Vec<u8>>,
    /// The state of the `HEAD` file.
    pub head: HeadState,
}

/// One checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// The id it was created with.
    pub id: Vec<u8>,
    /// Creation time, nanoseconds since the Unix epoch.
    pub timestamp: u64,
    /// Next id of each shard at the checkpoint.
    pub offsets: Vec<u64>,
}

/// The `HEAD` file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadState {
    /// It names the latest checkpoint.
    Current,
    /// There is no checkpoint and no `HEAD`.
    Absent,
    /// Missing, damaged or naming another record: opening the WAL rewrites it.
    Stale,
}

/// The checkpoints of the sharded WAL root `root`, without changing it and without its
/// lock. Fails with [`Error::InvalidArgument`] for a root that is not sharded.
///
/// ```
/// # #[cfg(feature = "sharded")]
/// # fn main() -> ironwal::Result<()> {
/// use ironwal::inspect::{checkpoints, HeadState};
/// use ironwal::sharded::ShardedWal;
/// use ironwal::WalOptions;
///
/// let dir = tempfile::tempdir()?;
/// let wal = ShardedWal::new(WalOptions::new(dir.path()), 2)?;
/// wal.append(b"key", b"value")?;
/// wal.create_checkpoint(b"snap")?;
/// drop(wal);
/// let found = checkpoints(dir.path())?;
/// assert_eq!(found.shard_count, 2);
/// assert_eq!(found.latest.as_deref(), Some(&b"snap"[..]));
/// assert_eq!(found.checkpoints[0].offsets.iter().sum::<u64>(), 1);
/// assert_eq!(found.head, HeadState::Current);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "sharded"))]
/// # fn main() {}
/// ```
pub fn checkpoints(root: &Path) -> Result<Checkpoints> {
    let dry = dry_run(root, None)?;
    if !dry.sharded {
        return Err(Error::InvalidArgument(format!(
            "{} is not a sharded WAL root (it has no MANIFEST or checkpoints.log)",
            root.display()
        )));
    }
    let engine = dry.engine?;
    let sharded = engine.sharded.ok_or_else(|| {
        Error::Corruption(format!(
            "{}: MANIFEST is missing or damaged and no checkpoint records the shard count",
            root.display()
        ))
    })?;
    let checkpoints = sharded
        .list_checkpoints()
        .into_iter()
        .map(|(id, _)| {
            let data = sharded.load_checkpoint(&id)?;
            Ok(CheckpointInfo {
                id,
                timestamp: data.timestamp,
                offsets: data.offsets,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let latest = checkpoints
        .last()
        .map(|_| sharded.load_latest_checkpoint())
        .transpose()?;
    // The view's HEAD is what recovery made of it: the one that names the latest.
    let path = root.join(HEAD_FILE);
    let head = match (
        read_file(&RealFs, &path).ok(),
        read_file(&*dry.view, &path).ok(),
    ) {
        (None, None) => HeadState::Absent,
        (on_disk, wanted) if on_disk == wanted => HeadState::Current,
        _ => HeadState::Stale,
    };
    Ok(Checkpoints {
        shard_count: sharded.shard_count(),
        checkpoints,
        latest: latest.map(|(id, _)| id),
        head,
    })
}
