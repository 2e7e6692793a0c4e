//! Opening the engine itself on a root for inspection: on a dry-run view (the read-only
//! commands) or on the real files under a lock the caller holds (`repair`). Either
//! way the engine's own recovery runs, with `CorruptionPolicy::Truncate`, and its
//! changes are recorded.

use super::dry_run_fs::DryRunFs;
use super::layout::{read_layout, require_dir};
use super::log_check::resolve_shard_count;
use super::recording_fs::{Change, RecordingFs};
use crate::sharded::ShardedWal;
use crate::storage::vfs::Vfs;
use crate::{CorruptionPolicy, Result, SyncMode, Wal, WalOptions};
use std::path::Path;
use std::sync::Arc;

pub(crate) struct Engine {
    pub wal: Wal,
    /// Set for a sharded root whose shard count is known.
    pub sharded: Option<ShardedWal>,
}

/// Opens `root` through `vfs`: as a sharded WAL when it is one and `shard_count` is
/// known, else as a plain `Wal` (its streams are readable either way).
pub(crate) fn open_engine(
    root: &Path,
    vfs: Arc<dyn Vfs>,
    sharded: bool,
    shard_count: Option<u16>,
) -> Result<Engine> {
    let mut options = WalOptions::new(root);
    options.on_corruption = CorruptionPolicy::Truncate;
    // Nothing is appended; recovery's own writes are made durable by the engine.
    options.sync_mode = SyncMode::Async;
    match shard_count.filter(|_| sharded) {
        Some(count) => {
            let sharded = ShardedWal::with_vfs(options, count, vfs)?;
            Ok(Engine {
                wal: sharded.inner().clone(),
                sharded: Some(sharded),
            })
        }
        None => Ok(Engine {
            wal: Wal::with_vfs(options, vfs)?,
            sharded: None,
        }),
    }
}

/// The engine opened on a copy-on-write view of a root: nothing real changes.
pub(crate) struct DryRun {
    /// The root as recovery left it.
    pub view: Arc<DryRunFs>,
    /// What recovery changed in the view.
    pub changes: Vec<Change>,
    /// The opened engine, or why it refused to open.
    pub engine: Result<Engine>,
    pub sharded: bool,
    pub shard_count: Option<u16>,
}

/// Runs the engine's recovery on a dry-run view of `root`. `given_shard_count` is used
/// only when neither `MANIFEST` nor a checkpoint record tells the shard count.
pub(crate) fn dry_run(root: &Path, given_shard_count: Option<u16>) -> Result<DryRun> {
    require_dir(root)?;
    let view = Arc::new(DryRunFs::default());
    let sharded = read_layout(&*view, root)?.sharded;
    let shard_count = match sharded {
        true => resolve_shard_count(&*view, root, given_shard_count)?,
        false => None,
    };
    let recording = Arc::new(RecordingFs::new(view.clone()));
    let engine = open_engine(root, recording.clone(), sharded, shard_count);
    Ok(DryRun {
        changes: recording.take_changes(),
        view,
        engine,
        sharded,
        shard_count,
    })
}
