//! The check of a sharded root's own files: `MANIFEST`, `checkpoints.log` record by
//! record, `HEAD` against the log, and shard directories against the shard count.

use super::layout::{RootLayout, HEAD_FILE, LOG_FILE, MANIFEST_FILE};
use super::{Fix, Problem, Remedy};
use crate::error::io_context;
use crate::format::checkpoint_record::{encode_log_header, is_log_header, LOG_HEADER_LEN};
use crate::format::sharded_meta::{decode_manifest, Head};
use crate::sharded::checkpoint_log::{scan_log, LogRecord, LogScan};
use crate::storage::vfs::{read_file, Vfs};
use crate::Result;
use std::path::Path;

/// The shard count of a sharded root: its `MANIFEST`, else the one its checkpoint
/// records were made with, else `given`.
pub(crate) fn resolve_shard_count(
    vfs: &dyn Vfs,
    root: &Path,
    given: Option<u16>,
) -> Result<Option<u16>> {
    if let Some(count) = read_optional(vfs, &root.join(MANIFEST_FILE))?
        .as_deref()
        .and_then(decode_manifest)
    {
        return Ok(Some(count));
    }
    Ok(recorded_shard_count(vfs, root)?.or(given))
}

/// The shard count every checkpoint record agrees on, if any record exists.
fn recorded_shard_count(vfs: &dyn Vfs, root: &Path) -> Result<Option<u16>> {
    let Some(bytes) = read_optional(vfs, &root.join(LOG_FILE))? else {
        return Ok(None);
    };
    let scan = scan_log(&bytes);
    let mut counts = scan.records.iter().map(|found| found.record.offsets.len());
    let first = counts.next();
    Ok(first
        .filter(|&n| counts.all(|c| c == n))
        .and_then(|n| u16::try_from(n).ok()))
}

/// A whole file, `None` when it does not exist.
fn read_optional(vfs: &dyn Vfs, path: &Path) -> Result<Option<Vec<u8>>> {
    match read_file(vfs, path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_context(e, "read", path)),
    }
}

fn problem(path: &Path, offset: Option<u64>, what: String, remedy: Remedy) -> Problem {
    Problem {
        path: path.to_path_buf(),
        offset,
        what,
        remedy,
        fix: None,
    }
}

/// Checks `MANIFEST`, `checkpoints.log`, `HEAD` and the shard directories.
pub(crate) fn check_sharded(
    vfs: &dyn Vfs,
    root: &Path,
    layout: &RootLayout,
    shard_count: Option<u16>,
) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    check_manifest(vfs, root, shard_count, &mut problems)?;
    if let Some(count) = shard_count {
        for stream in &layout.streams {
            let shard = stream
                .name
                .as_deref()
                .and_then(|n| n.strip_prefix("shard_"));
            if let Some(shard) = shard.and_then(|s| s.parse::<u32>().ok()) {
                if shard >= count as u32 {
                    let what = format!("shard {shard} does not exist in a WAL of {count} shards");
                    let why = "the data is not where this shard count puts it".into();
                    problems.push(problem(&stream.path, None, what, Remedy::Manual(why)));
                }
            }
        }
    }
    check_log(vfs, root, shard_count, &mut problems)?;
    Ok(problems)
}

fn check_manifest(
    vfs: &dyn Vfs,
    root: &Path,
    shard_count: Option<u16>,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let path = root.join(MANIFEST_FILE);
    let what = match read_optional(vfs, &path)? {
        Some(bytes) if decode_manifest(&bytes).is_some() => return Ok(()),
        Some(_) => "MANIFEST is damaged",
        None => "MANIFEST is missing",
    };
    problems.push(match shard_count {
        Some(shard_count) => Problem {
            fix: Some(Fix::WriteManifest { shard_count }),
            ..problem(
                &path,
                None,
                format!("{what} (the shard count is {shard_count})"),
                Remedy::Rewrite,
            )
        },
        None => problem(
            &path,
            None,
            format!("{what} and no checkpoint records the shard count"),
            Remedy::Manual("give the shard count: repair --shard-count N".into()),
        ),
    });
    Ok(())
}

fn check_log(
    vfs: &dyn Vfs,
    root: &Path,
    shard_count: Option<u16>,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let path = root.join(LOG_FILE);
    let bytes = match read_optional(vfs, &path)? {
        None => {
            let what = "checkpoints.log is missing (created empty on open)".into();
            problems.push(problem(&path, None, what, Remedy::Recovery));
            return Ok(());
        }
        Some(bytes) if bytes.len() < LOG_HEADER_LEN as usize => {
            let what = "checkpoints.log was never completely created (created afresh on open)";
            problems.push(problem(&path, None, what.into(), Remedy::Recovery));
            return Ok(());
        }
        Some(bytes) => bytes,
    };
    let scan = scan_log(&bytes);
    let mut rewritten = encode_log_header();
    for found in &scan.records {
        let start = found.offset as usize;
        rewritten.extend_from_slice(&bytes[start..start + found.len]);
    }
    let rewrite = Fix::RewriteLog {
        bytes: rewritten,
        records: scan.records.len(),
    };
    let mut needs_rewrite = Vec::new();
    if !is_log_header(&bytes) {
        needs_rewrite.push((0, "checkpoint log header is damaged".to_string()));
    }
    for range in &scan.damaged {
        let what = format!(
            "{} bytes of damaged checkpoint records, valid records follow \
             (skipped on open; no valid checkpoint is lost by rewriting)",
            range.end - range.start
        );
        needs_rewrite.push((range.start, what));
    }
    for (offset, what) in needs_rewrite {
        problems.push(Problem {
            fix: Some(rewrite.clone()),
            ..problem(&path, Some(offset), what, Remedy::Rewrite)
        });
    }
    if let Some(at) = scan.torn_at {
        let what = format!(
            "torn tail: {} bytes after the last valid record (cut on open)",
            bytes.len() as u64 - at
        );
        problems.push(problem(&path, Some(at), what, Remedy::Recovery));
    }
    if let Some(count) = shard_count {
        for LogRecord { offset, record, .. } in &scan.records {
            if record.offsets.len() != count as usize {
                let what = format!(
                    "checkpoint {:?} holds {} shard offsets, the WAL has {count} shards",
                    String::from_utf8_lossy(&record.id),
                    record.offsets.len()
                );
                let why = "records and MANIFEST disagree on the shard count".into();
                problems.push(problem(&path, Some(*offset), what, Remedy::Manual(why)));
            }
        }
    }
    check_head(vfs, root, &scan, problems)
}

/// `HEAD` must name the log's last record, or be absent when there is none.
fn check_head(
    vfs: &dyn Vfs,
    root: &Path,
    scan: &LogScan,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let path = root.join(HEAD_FILE);
    let wanted = scan.records.last().map(|found| Head {
        sequence: found.record.sequence,
        offset: found.offset,
    });
    let found = read_optional(vfs, &path)?;
    let what = match (&found, wanted) {
        (None, None) => return Ok(()),
        (Some(bytes), Some(wanted)) if Head::decode(bytes) == Some(wanted) => return Ok(()),
        (None, Some(_)) => "HEAD is missing (rewritten from the log on open)",
        (Some(_), None) => "HEAD names a checkpoint the log does not hold (removed on open)",
        (Some(_), Some(_)) => "HEAD is damaged or stale (rewritten from the log on open)",
    };
    problems.push(problem(&path, None, what.into(), Remedy::Recovery));
    Ok(())
}
