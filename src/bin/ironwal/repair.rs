//! `ironwal repair DIR [--truncate-at-damage] [--shard-count N]`.

use crate::progress::ProgressBar;
use crate::{Outcome, DAMAGE, OK};
use clap::ArgMatches;
use ironwal::inspect::RepairOptions;
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: &ArgMatches, out: &mut dyn Write) -> Outcome {
    let root: &PathBuf = args.get_one("dir").expect("required");
    let options = RepairOptions {
        truncate_at_damage: args.get_flag("truncate-at-damage"),
        shard_count: args.get_one::<u16>("shard-count").copied(),
    };
    let mut bar = ProgressBar::on_stderr();
    let report =
        ironwal::inspect::repair(root, &options, &mut |done, total| bar.update(done, total))?;
    bar.finish();
    if !report.refused.is_empty() {
        for problem in &report.refused {
            writeln!(out, "{problem}")?;
        }
        writeln!(
            out,
            "repair refused, nothing was changed: {} problems would lose entries \
             (allow it with --truncate-at-damage) or need a manual fix",
            report.refused.len()
        )?;
        return Ok(DAMAGE);
    }
    for action in &report.actions {
        writeln!(out, "{action}")?;
    }
    if !report.after.is_clean() {
        for problem in &report.after.problems {
            writeln!(out, "still wrong: {problem}")?;
        }
        if let Some(error) = &report.after.open_error {
            writeln!(out, "still wrong: opening the WAL fails: {error}")?;
        }
        return Ok(DAMAGE);
    }
    if report.actions.is_empty() {
        writeln!(out, "nothing to repair")?;
    } else {
        writeln!(out, "repaired: {} verifies clean", root.display())?;
    }
    Ok(OK)
}
