//! `ironwal verify DIR`.

use crate::progress::ProgressBar;
use crate::{Outcome, DAMAGE, OK};
use clap::ArgMatches;
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: &ArgMatches, out: &mut dyn Write) -> Outcome {
    let root: &PathBuf = args.get_one("dir").expect("required");
    let mut bar = ProgressBar::on_stderr();
    let report = ironwal::inspect::verify(root, &mut |done, total| bar.update(done, total))?;
    bar.finish();
    for problem in &report.problems {
        writeln!(out, "{problem}")?;
    }
    if let Some(error) = &report.open_error {
        writeln!(out, "{}: opening the WAL fails: {error}", root.display())?;
    }
    if report.is_clean() {
        writeln!(out, "ok: no problem found in {}", root.display())?;
        return Ok(OK);
    }
    writeln!(
        out,
        "{} problems found (`ironwal repair DIR` fixes those it can)",
        report.problems.len() + usize::from(report.open_error.is_some())
    )?;
    Ok(DAMAGE)
}
