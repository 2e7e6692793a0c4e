//! `ironwal stat DIR`.

use crate::{Outcome, OK};
use clap::ArgMatches;
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: &ArgMatches, out: &mut dyn Write) -> Outcome {
    let root: &PathBuf = args.get_one("dir").expect("required");
    let stat = ironwal::inspect::stat(root)?;
    writeln!(out, "root {}", root.display())?;
    if let Some(sharded) = &stat.sharded {
        let shards = sharded
            .shard_count
            .map_or("unknown shard count".into(), |n| format!("{n} shards"));
        let checkpoints = sharded
            .checkpoints
            .map_or("checkpoints unknown".into(), |n| format!("{n} checkpoints"));
        writeln!(out, "sharded: {shards}, {checkpoints}")?;
    }
    for s in &stat.streams {
        let ids = match s.ids.is_empty() {
            true => format!("no entries (next id {})", s.ids.end),
            false => format!(
                "ids {}..={} ({} entries)",
                s.ids.start,
                s.ids.end - 1,
                s.ids.end - s.ids.start
            ),
        };
        writeln!(
            out,
            "stream {:?} (directory {}): {ids}, {} segments ({} sealed + 1 active), \
             {} segment bytes ({} in the active one), {} index bytes",
            s.name,
            s.dir,
            s.segments,
            s.segments - 1,
            s.segment_bytes,
            s.active_segment_bytes,
            s.index_bytes
        )?;
    }
    let segments: usize = stat.streams.iter().map(|s| s.segments).sum();
    writeln!(
        out,
        "total: {} streams, {segments} segments, {} bytes",
        stat.streams.len(),
        stat.total_bytes
    )?;
    Ok(OK)
}
