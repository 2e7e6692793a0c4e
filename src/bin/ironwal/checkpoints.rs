//! `ironwal checkpoints DIR`.

use crate::render::{self, Format};
use crate::{Outcome, OK};
use clap::ArgMatches;
use ironwal::inspect::HeadState;
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: &ArgMatches, out: &mut dyn Write) -> Outcome {
    let root: &PathBuf = args.get_one("dir").expect("required");
    let found = ironwal::inspect::checkpoints(root)?;
    writeln!(
        out,
        "{} checkpoints, {} shards",
        found.checkpoints.len(),
        found.shard_count
    )?;
    for checkpoint in &found.checkpoints {
        let offsets: Vec<String> = checkpoint.offsets.iter().map(u64::to_string).collect();
        writeln!(
            out,
            "checkpoint {} created {} offsets [{}]",
            render::bytes(&checkpoint.id, Format::Auto),
            render::utc(checkpoint.timestamp),
            offsets.join(", ")
        )?;
    }
    if let Some(latest) = &found.latest {
        writeln!(out, "latest {}", render::bytes(latest, Format::Auto))?;
    }
    writeln!(
        out,
        "{}",
        match found.head {
            HeadState::Current => "HEAD names the latest checkpoint",
            HeadState::Absent => "HEAD absent: there is no checkpoint",
            HeadState::Stale => "HEAD is missing, damaged or stale (rewritten on open)",
        }
    )?;
    Ok(OK)
}
