//! The command line: subcommands, arguments and help texts (clap's builder API).

use clap::{value_parser, Arg, ArgAction, Command};
use std::path::PathBuf;

const ABOUT: &str = "Inspect, verify and repair IronWal write-ahead log directories";

const LONG_ABOUT: &str = "\
Inspect, verify and repair IronWal write-ahead log directories.

stat, dump, verify and checkpoints only read: they do not take the root's lock, so they
also work on a root a running program has open (they then see a moment of it: an append
in flight can show up as a torn tail). They run IronWal's own recovery on a private
copy-on-write view of the files, so they show the root as opening it would leave it,
and change nothing on disk.

repair takes the root's lock, like opening the WAL does, and refuses to run (exit
status 3) while a program has the root open.";

const EXIT_CODES: &str = "\
Exit status:
  0  success; verify: no problem found; repair: repaired, or nothing to repair
  1  damage: verify or dump found some, stat/dump/checkpoints cannot open the root,
     or repair refused (nothing changed) or left problems behind
  2  usage error: bad arguments, DIR missing or not a directory, no such stream,
     checkpoints on a root that is not sharded
  3  the root is locked by a program that has it open (repair)
  4  I/O error";

fn dir() -> Arg {
    Arg::new("dir")
        .value_name("DIR")
        .required(true)
        .value_parser(value_parser!(PathBuf))
        .help("The WAL's root directory (WalOptions::root_path)")
}

pub fn command() -> Command {
    Command::new("ironwal")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .long_about(LONG_ABOUT)
        .after_help(EXIT_CODES)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(stat())
        .subcommand(dump())
        .subcommand(verify())
        .subcommand(repair())
        .subcommand(checkpoints())
}

fn stat() -> Command {
    Command::new("stat")
        .about("Streams, ids, segments and sizes of a root (read-only, no lock)")
        .long_about(
            "Lists every stream (by its decoded name) with its first and last id, its \
             entry count, its segments (sealed and active) and their bytes, then the \
             root's total bytes. For a sharded root also the shard and checkpoint counts. \
             Read-only: takes no lock.",
        )
        .after_help(EXIT_CODES)
        .arg(dir())
}

fn dump() -> Command {
    Command::new("dump")
        .about("Print the entries of a stream, one per line (read-only, no lock)")
        .long_about(
            "Prints the entries of STREAM in id order, one line each: the id, a space, \
             and the entry. By default an entry that is valid UTF-8 is printed as text \
             in double quotes, with \\\\ \\\" \\n \\r \\t \\0 and \\u{..} escapes for \
             other control characters; any other entry is printed as lowercase hex \
             without quotes. A damaged entry is reported on stderr (with its id) and the \
             dump goes on with the next id; the exit status is then 1. Read-only: takes \
             no lock.",
        )
        .after_help(EXIT_CODES)
        .arg(dir())
        .arg(
            Arg::new("stream")
                .value_name("STREAM")
                .required(true)
                .help("Stream name as the program wrote it (e.g. events, a/b, shard_03)"),
        )
        .arg(
            Arg::new("from")
                .long("from")
                .value_name("ID")
                .value_parser(value_parser!(u64))
                .help("First id to print [default: the first retained id]"),
        )
        .arg(
            Arg::new("limit")
                .long("limit")
                .value_name("N")
                .value_parser(value_parser!(u64))
                .help("Print at most N entries"),
        )
        .arg(
            Arg::new("hex")
                .long("hex")
                .action(ArgAction::SetTrue)
                .conflicts_with("text")
                .help("Print every entry as hex"),
        )
        .arg(
            Arg::new("text")
                .long("text")
                .action(ArgAction::SetTrue)
                .help("Print every entry as quoted text; bytes that are not UTF-8 as \\xNN"),
        )
}

fn verify() -> Command {
    Command::new("verify")
        .about("Check every file of a root; exit 1 on any problem (read-only, no lock)")
        .long_about(
            "Checks every segment header and every frame's CRC and ids, id continuity \
             between segments, each frame index (.idx) against its segment, stream \
             directory names against segment headers, and for a sharded root MANIFEST, \
             every record of checkpoints.log and HEAD. It also lists what opening the \
             WAL would change (torn tails cut, leftovers removed). Each problem is \
             printed with its file, offset and remedy. A progress bar is drawn on stderr \
             for large roots when stderr is a terminal. Read-only: takes no lock.",
        )
        .after_help(EXIT_CODES)
        .arg(dir())
}

fn repair() -> Command {
    Command::new("repair")
        .about("Fix what verify finds, under the root's lock")
        .long_about(
            "Takes the root's lock (fails with exit status 3 while a program has the \
             root open), runs IronWal's recovery (torn tails cut, leftovers removed, \
             HEAD rewritten), rebuilds missing, stale or damaged frame indexes, and \
             rewrites a damaged checkpoints.log (keeping every valid record) or MANIFEST. \
             Prints each change on a line, or \"nothing to repair\". Damage in the \
             middle of a stream, with valid entries after it, is never cut silently: \
             repair refuses and changes nothing unless --truncate-at-damage is given. \
             Every step is crash-safe: an interrupted repair can be run again.",
        )
        .after_help(EXIT_CODES)
        .arg(dir())
        .arg(
            Arg::new("truncate-at-damage")
                .long("truncate-at-damage")
                .action(ArgAction::SetTrue)
                .help(
                    "Cut each damaged stream at its first damage, dropping every entry \
                     from there on (the count is reported)",
                ),
        )
        .arg(
            Arg::new("shard-count")
                .long("shard-count")
                .value_name("N")
                .value_parser(value_parser!(u16).range(1..))
                .help(
                    "Shard count to write to a missing or damaged MANIFEST when no \
                     checkpoint records it",
                ),
        )
}

fn checkpoints() -> Command {
    Command::new("checkpoints")
        .about("List the checkpoints of a sharded root (read-only, no lock)")
        .long_about(
            "Lists the checkpoints of a sharded root, oldest first: id (text or hex, as \
             dump prints entries), creation time (UTC) and each shard's offset; then the \
             latest checkpoint and whether HEAD names it. Read-only: takes no lock.",
        )
        .after_help(EXIT_CODES)
        .arg(dir())
}
