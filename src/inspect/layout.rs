//! What a root holds, by file name only: its stream directories and their segment,
//! index and temporary files, and whether it is a sharded root.

use crate::error::io_context;
use crate::format::stream_name;
use crate::storage::vfs::Vfs;
use crate::stream::parse_numbered;
use crate::wal::is_stream_dir;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

// The engine's file names, for the other checks of this module.
pub(crate) use crate::sharded::checkpoint_log::{HEAD_FILE, LOG_FILE};
pub(crate) use crate::sharded::MANIFEST_FILE;
pub(crate) use crate::wal::LOCK_FILE;

pub(crate) struct RootLayout {
    /// Stream directories, by directory name.
    pub streams: Vec<StreamDir>,
    /// Whether any file of a sharded root is there.
    pub sharded: bool,
}

pub(crate) struct StreamDir {
    pub dir_name: String,
    pub path: PathBuf,
    /// The stream's name when the directory name tells it (hashed names do not).
    pub name: Option<String>,
    /// Start ids of the segments, ascending.
    pub segments: Vec<u64>,
    /// Start ids of the frame index files, ascending.
    pub indexes: Vec<u64>,
    /// Names of `*.tmp` files.
    pub temps: Vec<String>,
}

impl StreamDir {
    /// The stream's name if known, else its directory name.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.dir_name)
    }
}

/// Fails unless `root` is an existing directory: nothing here creates one.
pub(crate) fn require_dir(root: &Path) -> Result<()> {
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::InvalidArgument(format!(
            "{} is not a directory",
            root.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::InvalidArgument(format!(
            "{} does not exist",
            root.display()
        ))),
        Err(e) => Err(io_context(e, "open", root)),
    }
}

/// Lists `root` the way `Wal::new` does: directories named by the stream-name encoding
/// are streams, everything else is not IronWal's.
pub(crate) fn read_layout(vfs: &dyn Vfs, root: &Path) -> Result<RootLayout> {
    let entries = vfs
        .list_dir(root)
        .map_err(|e| io_context(e, "list", root))?;
    let sharded = entries
        .iter()
        .any(|e| !e.is_dir && [MANIFEST_FILE, LOG_FILE, HEAD_FILE].contains(&e.name.as_str()));
    let mut streams = Vec::new();
    for entry in entries
        .iter()
        .filter(|e| e.is_dir && is_stream_dir(&e.name))
    {
        let name = stream_name::decode(&entry.name);
        streams.push(read_stream_dir(vfs, &root.join(&entry.name), name)?);
    }
    streams.sort_by(|a, b| a.label().cmp(b.label()));
    Ok(RootLayout { streams, sharded })
}

/// Lists the stream directory `path`; `name` is its stream's name, if known.
pub(crate) fn read_stream_dir(
    vfs: &dyn Vfs,
    path: &Path,
    name: Option<String>,
) -> Result<StreamDir> {
    let dir_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let mut dir = StreamDir {
        dir_name: dir_name.to_owned(),
        name,
        segments: Vec::new(),
        indexes: Vec::new(),
        temps: Vec::new(),
        path: path.to_path_buf(),
    };
    let entries = vfs
        .list_dir(&dir.path)
        .map_err(|e| io_context(e, "list", &dir.path))?;
    for entry in entries.into_iter().filter(|e| !e.is_dir) {
        if let Some(start) = parse_numbered(&entry.name, "wal") {
            dir.segments.push(start);
        } else if let Some(start) = parse_numbered(&entry.name, "idx") {
            dir.indexes.push(start);
        } else if entry.name.ends_with(".tmp") {
            dir.temps.push(entry.name);
        }
    }
    dir.segments.sort_unstable();
    dir.indexes.sort_unstable();
    dir.temps.sort();
    Ok(dir)
}
