//! `ironwal`: inspect, verify and repair IronWal directories (`ironwal --help`).

mod checkpoints;
mod cli;
mod dump;
mod progress;
mod render;
mod repair;
mod stat;
mod verify;

use std::io::Write;
use std::process::ExitCode;

/// Exit statuses (documented in `ironwal --help`).
pub const OK: u8 = 0;
pub const DAMAGE: u8 = 1;
pub const USAGE: u8 = 2;
pub const LOCKED: u8 = 3;
pub const IO_ERROR: u8 = 4;

/// Why a command could not finish.
pub enum Failure {
    Wal(ironwal::Error),
    /// Writing the output failed.
    Output(std::io::Error),
}

impl From<ironwal::Error> for Failure {
    fn from(e: ironwal::Error) -> Self {
        Failure::Wal(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Output(e)
    }
}

/// What a command returns: its exit status.
pub type Outcome = Result<u8, Failure>;

fn main() -> ExitCode {
    let matches = cli::command().get_matches();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let outcome = match matches.subcommand() {
        Some(("stat", args)) => stat::run(args, &mut out),
        Some(("dump", args)) => dump::run(args, &mut out),
        Some(("verify", args)) => verify::run(args, &mut out),
        Some(("repair", args)) => repair::run(args, &mut out),
        Some(("checkpoints", args)) => checkpoints::run(args, &mut out),
        _ => unreachable!("clap requires a known subcommand"),
    };
    let outcome = outcome.and_then(|status| Ok(out.flush().map(|()| status)?));
    ExitCode::from(match outcome {
        Ok(status) => status,
        // `ironwal dump DIR s | head`: the reader has all it wants.
        Err(Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => OK,
        Err(Failure::Output(e)) => {
            eprintln!("ironwal: cannot write the output: {e}");
            IO_ERROR
        }
        Err(Failure::Wal(e)) => {
            eprintln!("ironwal: {e}");
            status_of(&e)
        }
    })
}

fn status_of(error: &ironwal::Error) -> u8 {
    use ironwal::Error;
    match error {
        Error::Locked(_) => LOCKED,
        Error::InvalidArgument(_) | Error::StreamNotFound(_) | Error::InvalidStreamName(_) => USAGE,
        Error::Io(_) => IO_ERROR,
        _ => {
            eprintln!("ironwal: `ironwal verify DIR` lists every problem of the root");
            DAMAGE
        }
    }
}
