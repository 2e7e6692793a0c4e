//! `repair`: under the root's lock, fixes everything `verify` finds that can be fixed
//! without losing an acknowledged entry, and damage in the middle of a stream only when
//! asked to. Every step is crash-safe: files are replaced with the engine's
//! `replace_file` (temp file, fsync, rename, directory fsync), cut by shrinking and
//! fsyncing, and a stream is cut by deleting its newest segments first, so a crash
//! leaves a root that `repair` (or opening it) takes on from where it stopped.

use super::engine::open_engine;
use super::layout::{
    read_layout, read_stream_dir, require_dir, LOCK_FILE, LOG_FILE, MANIFEST_FILE,
};
use super::log_check::resolve_shard_count;
use super::recording_fs::RecordingFs;
use super::verify::{analyze, check_files, Report};
use super::{Fix, Problem, Progress, Remedy};
use crate::error::io_context;
use crate::format::segment_header::SegmentHeader;
use crate::format::sharded_meta::encode_manifest;
use crate::storage::vfs::{replace_file, OpenMode, RealFs, Vfs};
use crate::stream::{index_path, segment_path};
use crate::{Error, Result};
use std::path::Path;
use std::sync::Arc;

/// Options of [`repair()`].
#[derive(Debug, Clone, Default)]
pub struct RepairOptions {
    /// Cut each stream with damage followed by valid entries at its first damage,
    /// dropping every entry from there on. Without it such damage refuses the repair.
    pub truncate_at_damage: bool,
    /// The shard count to write to a missing or damaged `MANIFEST` when no checkpoint
    /// record tells it.
    pub shard_count: Option<u16>,
}

/// What [`repair()`] did.
#[derive(Debug, Clone)]
pub struct RepairReport {
    /// Each change made, in order, in words.
    pub actions: Vec<String>,
    /// Problems these options do not allow to fix; when there are any, nothing was
    /// changed.
    pub refused: Vec<Problem>,
    /// The root as the repair left it (clean when it succeeded).
    pub after: Report,
}

/// Repairs the WAL root `root`. Fails with [`Error::Locked`] while a `Wal` has it open.
/// See the [module](super) example.
pub fn repair(
    root: &Path,
    options: &RepairOptions,
    progress: Progress<'_>,
) -> Result<RepairReport> {
    require_dir(root)?;
    let lock_path = root.join(LOCK_FILE);
    let _lock = RealFs.lock(&lock_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::WouldBlock => Error::Locked(format!(
            "{} is held by a running Wal: close it before repairing",
            lock_path.display()
        )),
        _ => io_context(e, "lock", &lock_path),
    })?;
    let before = analyze(root, options.shard_count, progress)?;
    let refused: Vec<Problem> = before
        .problems
        .iter()
        .filter(|p| match p.remedy {
            Remedy::Truncate { .. } => !options.truncate_at_damage,
            Remedy::Manual(_) => true,
            Remedy::Recovery | Remedy::Rewrite => false,
        })
        .cloned()
        .collect();
    if !refused.is_empty() || before.is_clean() {
        return Ok(RepairReport {
            actions: Vec::new(),
            refused,
            after: before,
        });
    }
    let mut actions = Vec::new();
    // What can keep the engine from opening goes first: damaged segments, MANIFEST
    // and checkpoint log.
    for problem in earliest_cuts(&before.problems) {
        actions.push(cut_stream(problem)?);
    }
    let fixes = || before.problems.iter().filter_map(|p| p.fix.as_ref());
    let manifest = fixes().find_map(|fix| match fix {
        Fix::WriteManifest { shard_count } => Some(*shard_count),
        _ => None,
    });
    if let Some(shard_count) = manifest {
        let path = root.join(MANIFEST_FILE);
        replace(&path, &encode_manifest(shard_count))?;
        actions.push(format!(
            "{}: MANIFEST rewritten (shard count {shard_count})",
            path.display()
        ));
    }
    let log = fixes().find_map(|fix| match fix {
        Fix::RewriteLog { bytes, records } => Some((bytes, records)),
        _ => None,
    });
    if let Some((bytes, records)) = log {
        let path = root.join(LOG_FILE);
        replace(&path, bytes)?;
        actions.push(format!(
            "{}: checkpoint log rewritten without its damaged bytes ({records} records kept)",
            path.display()
        ));
    }
    recover(root, options.shard_count, &mut actions)?;
    // Indexes are checked again as the cuts and recovery left the segments.
    if before
        .problems
        .iter()
        .any(|p| matches!(p.fix, Some(Fix::RebuildIndex { .. })))
    {
        let shard_count = resolve_shard_count(&RealFs, root, options.shard_count)?;
        for problem in check_files(&RealFs, root, shard_count, progress)? {
            if let Some(Fix::RebuildIndex { path, index }) = problem.fix {
                replace(&path, &index.encode())?;
                actions.push(format!(
                    "{}: frame index rebuilt ({})",
                    path.display(),
                    problem.what
                ));
            }
        }
    }
    let after = analyze(root, options.shard_count, progress)?;
    Ok(RepairReport {
        actions,
        refused: Vec::new(),
        after,
    })
}

/// The first damage of each stream: cutting there also removes all later damage.
fn earliest_cuts(problems: &[Problem]) -> Vec<&Problem> {
    let mut cuts: Vec<&Problem> = Vec::new();
    for problem in problems {
        let Some(Fix::CutStream {
            dir,
            segment,
            offset,
            ..
        }) = &problem.fix
        else {
            continue;
        };
        let same_stream = cuts
            .iter()
            .position(|c| matches!(&c.fix, Some(Fix::CutStream { dir: d, .. }) if d == dir));
        match same_stream {
            None => cuts.push(problem),
            Some(i) => {
                if let Some(Fix::CutStream {
                    segment: s,
                    offset: o,
                    ..
                }) = &cuts[i].fix
                {
                    if (*segment, *offset) < (*s, *o) {
                        cuts[i] = problem;
                    }
                }
            }
        }
    }
    cuts
}

/// Cuts a stream as `problem`'s fix says: deletes the segments after the damaged one,
/// newest first, then shrinks the damaged segment to the damage, or replaces it with
/// an empty one when its header is damaged (so the stream keeps its next id).
fn cut_stream(problem: &Problem) -> Result<String> {
    let Some(Fix::CutStream {
        dir,
        stream,
        segment,
        offset,
    }) = &problem.fix
    else {
        unreachable!("earliest_cuts returns cuts only");
    };
    let vfs = RealFs;
    let segments = read_stream_dir(&vfs, dir, None)?.segments;
    let later: Vec<u64> = segments.into_iter().rev().filter(|s| s > segment).collect();
    for &start in &later {
        remove_if_present(&index_path(dir, start))?;
        remove_if_present(&segment_path(dir, start))?;
        vfs.sync_dir(dir)
            .map_err(|e| io_context(e, "fsync directory", dir))?;
    }
    // The damaged segment becomes the active one, which has no index.
    remove_if_present(&index_path(dir, *segment))?;
    let path = segment_path(dir, *segment);
    match (offset, stream) {
        (0, Some(stream)) => {
            let header = SegmentHeader {
                start_id: *segment,
                stream: stream.clone(),
                preallocated: false,
                single_entry_frames: true,
            };
            replace(&path, &header.encode())?;
        }
        (0, None) => {
            remove_if_present(&path)?;
            vfs.sync_dir(dir)
                .map_err(|e| io_context(e, "fsync directory", dir))?;
        }
        (&len, _) => {
            let file = vfs
                .open(&path, OpenMode::ReadWrite)
                .map_err(|e| io_context(e, "open", &path))?;
            file.set_len(len).map_err(|e| io_context(e, "cut", &path))?;
            file.sync_data()
                .map_err(|e| io_context(e, "fsync", &path))?;
        }
    }
    let Remedy::Truncate {
        stream,
        cut_id,
        entries_cut,
    } = &problem.remedy
    else {
        unreachable!("a stream cut is the remedy of damage");
    };
    Ok(format!(
        "{} at offset {offset}: stream {stream:?} cut at id {cut_id} ({}): {entries_cut} entries \
         dropped, {} later segments deleted",
        path.display(),
        problem.what,
        later.len()
    ))
}

/// Runs the engine's recovery on the real files and records what it changed.
fn recover(root: &Path, given_shard_count: Option<u16>, actions: &mut Vec<String>) -> Result<()> {
    let sharded = read_layout(&RealFs, root)?.sharded;
    let shard_count = match sharded {
        true => resolve_shard_count(&RealFs, root, given_shard_count)?,
        false => None,
    };
    let real = Arc::new(RecordingFs::new(Arc::new(RealFs)));
    let opened = open_engine(root, real.clone(), sharded, shard_count);
    for change in real.take_changes() {
        let at = change
            .offset()
            .map(|o| format!(" at offset {o}"))
            .unwrap_or_default();
        actions.push(format!(
            "{}{at}: {} {}",
            change.path().display(),
            change.what(),
            change.done()
        ));
    }
    opened.map(drop)
}

fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    replace_file(&RealFs, path, bytes)
        .map(drop)
        .map_err(|failed| io_context(failed.error, "replace", path))
}

fn remove_if_present(path: &Path) -> Result<()> {
    match RealFs.remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_context(e, "remove", path)),
        _ => Ok(()),
    }
}
