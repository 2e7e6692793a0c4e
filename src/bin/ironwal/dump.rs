//! `ironwal dump DIR STREAM [--from ID] [--limit N] [--hex|--text]`.

use crate::render::{self, Format};
use crate::{Outcome, DAMAGE, OK};
use clap::ArgMatches;
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: &ArgMatches, out: &mut dyn Write) -> Outcome {
    let root: &PathBuf = args.get_one("dir").expect("required");
    let stream: &String = args.get_one("stream").expect("required");
    let from = args.get_one::<u64>("from").copied().unwrap_or(0);
    let limit = args.get_one::<u64>("limit").copied().unwrap_or(u64::MAX);
    let format = match (args.get_flag("hex"), args.get_flag("text")) {
        (true, _) => Format::Hex,
        (_, true) => Format::Text,
        _ => Format::Auto,
    };
    let mut damaged = 0u64;
    for (id, entry) in ironwal::inspect::dump(root, stream, from)?.take(limit as usize) {
        match entry {
            Ok(bytes) => writeln!(out, "{id} {}", render::bytes(&bytes, format))?,
            Err(e) => {
                damaged += 1;
                eprintln!("ironwal: id {id}: {e}");
            }
        }
    }
    if damaged > 0 {
        out.flush()?;
        eprintln!("ironwal: {damaged} entries could not be read (`ironwal verify DIR` says why)");
        return Ok(DAMAGE);
    }
    Ok(OK)
}
