//! `verify`: everything wrong with a root, without changing it: what the engine's
//! recovery would change when opening it, then a full check of every file as recovery
//! would leave it.

use super::engine::dry_run;
use super::layout::read_layout;
use super::log_check::check_sharded;
use super::recording_fs::Change;
use super::stream_check::check_streams;
use super::{Problem, Progress, Remedy};
use crate::storage::vfs::Vfs;
use crate::Result;
use std::path::Path;

/// What [`verify()`] found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every problem, each with its file, offset and remedy.
    pub problems: Vec<Problem>,
    /// Why the engine refuses to open the root, if it does.
    pub open_error: Option<String>,
}

impl Report {
    /// Whether the root is exactly what a clean shutdown leaves.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.open_error.is_none()
    }
}

/// Checks every file of the WAL root `root` without changing it and without its lock:
/// segment headers and every frame's CRC and ids, frame indexes against their
/// segments, stream directory names, and for a sharded root `MANIFEST`,
/// `checkpoints.log` and `HEAD`. See the [module](super) example.
pub fn verify(root: &Path, progress: Progress<'_>) -> Result<Report> {
    analyze(root, None, progress)
}

/// `verify`, with the shard count to assume when the root does not tell it.
pub(crate) fn analyze(
    root: &Path,
    given_shard_count: Option<u16>,
    progress: Progress<'_>,
) -> Result<Report> {
    let dry = dry_run(root, given_shard_count)?;
    let mut problems: Vec<Problem> = dry.changes.iter().map(recovery_problem).collect();
    problems.extend(check_files(&*dry.view, root, dry.shard_count, progress)?);
    Ok(Report {
        problems,
        open_error: dry.engine.err().map(|e| e.to_string()),
    })
}

/// The full check of the files of `root` as `vfs` shows them.
pub(crate) fn check_files(
    vfs: &dyn Vfs,
    root: &Path,
    shard_count: Option<u16>,
    progress: Progress<'_>,
) -> Result<Vec<Problem>> {
    let layout = read_layout(vfs, root)?;
    let mut problems = check_streams(vfs, &layout.streams, progress)?;
    if layout.sharded {
        problems.extend(check_sharded(vfs, root, &layout, shard_count)?);
    }
    Ok(problems)
}

fn recovery_problem(change: &Change) -> Problem {
    Problem {
        path: change.path().to_path_buf(),
        offset: change.offset(),
        what: format!("{} ({} on open)", change.what(), change.done()),
        remedy: Remedy::Recovery,
        fix: None,
    }
}
