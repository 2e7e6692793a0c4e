//! `stat`: what a root holds, as opening it would leave it.

use super::engine::dry_run;
use super::layout::read_layout;
use crate::error::io_context;
use crate::format::stream_name;
use crate::storage::vfs::{OpenMode, Vfs};
use crate::stream::{index_path, segment_path};
use crate::Result;
use std::ops::Range;
use std::path::Path;

/// What [`stat()`] found.
#[derive(Debug, Clone)]
pub struct RootStat {
    /// The streams that hold data, sorted by name.
    pub streams: Vec<StreamStat>,
    /// Set for a sharded root.
    pub sharded: Option<ShardedStat>,
    /// Bytes of every file under the root.
    pub total_bytes: u64,
}

/// One stream.
#[derive(Debug, Clone)]
pub struct StreamStat {
    /// The stream's name.
    pub name: String,
    /// Its directory under the root.
    pub dir: String,
    /// First retained id .. next id.
    pub ids: Range<u64>,
    /// Segments, the active one included.
    pub segments: usize,
    /// Bytes of all its segment files.
    pub segment_bytes: u64,
    /// Bytes of its active (last) segment file.
    pub active_segment_bytes: u64,
    /// Bytes of its frame index files.
    pub index_bytes: u64,
}

/// The sharded part of a root.
#[derive(Debug, Clone)]
pub struct ShardedStat {
    /// `None` when neither `MANIFEST` nor a checkpoint record tells it.
    pub shard_count: Option<u16>,
    /// `None` when the shard count is unknown (the log is then not opened).
    pub checkpoints: Option<usize>,
}

/// Streams, ids, segments and sizes of the WAL root `root`, without changing it and
/// without its lock. Fails as [`Wal::new`](crate::Wal::new) would when the engine
/// refuses to open it.
///
/// ```
/// use ironwal::inspect::stat;
/// use ironwal::{Wal, WalOptions};
///
/// # fn main() -> ironwal::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let wal = Wal::new(WalOptions::new(dir.path()))?;
/// wal.append_batch("b", &[b"1", b"2", b"3"])?;
/// wal.append("a", b"x")?;
/// let found = stat(dir.path())?; // while `wal` is open: `stat` takes no lock
/// let streams: Vec<(&str, std::ops::Range<u64>)> =
///     found.streams.iter().map(|s| (s.name.as_str(), s.ids.clone())).collect();
/// assert_eq!(streams, [("a", 0..1), ("b", 0..3)]);
/// assert_eq!(found.streams[1].segments, 1);
/// assert!(found.sharded.is_none());
/// # Ok(())
/// # }
/// ```
pub fn stat(root: &Path) -> Result<RootStat> {
    let dry = dry_run(root, None)?;
    let engine = dry.engine?;
    let view = &*dry.view;
    let layout = read_layout(view, root)?;
    let mut streams = Vec::new();
    for name in engine.wal.streams() {
        let dir_name = stream_name::encode(&name);
        let Some(dir) = layout.streams.iter().find(|d| d.dir_name == dir_name) else {
            continue;
        };
        let Some(ids) = engine.wal.bounds(&name)? else {
            continue;
        };
        let sizes = dir
            .segments
            .iter()
            .map(|&start| file_len(view, &segment_path(&dir.path, start)))
            .collect::<Result<Vec<u64>>>()?;
        let index_bytes = dir
            .indexes
            .iter()
            .map(|&start| file_len(view, &index_path(&dir.path, start)))
            .sum::<Result<u64>>()?;
        streams.push(StreamStat {
            name,
            dir: dir_name,
            ids,
            segments: sizes.len(),
            segment_bytes: sizes.iter().sum(),
            active_segment_bytes: sizes.last().copied().unwrap_or(0),
            index_bytes,
        });
    }
    let sharded = dry.sharded.then(|| ShardedStat {
        shard_count: dry.shard_count,
        checkpoints: engine.sharded.as_ref().map(|s| s.checkpoint_count()),
    });
    Ok(RootStat {
        streams,
        sharded,
        total_bytes: tree_bytes(view, root)?,
    })
}

fn file_len(vfs: &dyn Vfs, path: &Path) -> Result<u64> {
    vfs.open(path, OpenMode::Read)
        .and_then(|file| file.len())
        .map_err(|e| io_context(e, "stat", path))
}

/// Bytes of every file under `dir`.
fn tree_bytes(vfs: &dyn Vfs, dir: &Path) -> Result<u64> {
    let entries = vfs.list_dir(dir).map_err(|e| io_context(e, "list", dir))?;
    entries
        .iter()
        .map(|entry| {
            let path = dir.join(&entry.name);
            match entry.is_dir {
                true => tree_bytes(vfs, &path),
                false => file_len(vfs, &path),
            }
        })
        .sum()
}
