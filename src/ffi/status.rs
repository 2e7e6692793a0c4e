//! Status codes (fixed forever), their names, the mapping from `Error`, and the
//! per-thread last error message.

use crate::Error;
use std::cell::RefCell;
use std::ffi::{c_char, CString};

/// Result of every fallible call: `IRONWAL_OK` (0), a positive non-error outcome, or a
/// negative error.
pub type ironwal_status = i32;

/// Success.
pub const IRONWAL_OK: ironwal_status = 0;
/// The entry, stream or checkpoint asked for does not exist (not an error).
pub const IRONWAL_NOT_FOUND: ironwal_status = 1;
/// The iterator is at the end (not an error).
pub const IRONWAL_END: ironwal_status = 2;
/// A NULL pointer, bad UTF-8, unknown enum value, bad length or bad stream name.
pub const IRONWAL_ERR_INVALID_ARGUMENT: ironwal_status = -1;
/// An operating-system I/O error.
pub const IRONWAL_ERR_IO: ironwal_status = -2;
/// Bytes on disk that IronWal did not write.
pub const IRONWAL_ERR_CORRUPTION: ironwal_status = -3;
/// A frame failed its CRC check.
pub const IRONWAL_ERR_CRC_MISMATCH: ironwal_status = -4;
/// A segment the stream's layout needs is missing.
pub const IRONWAL_ERR_SEGMENT_NOT_FOUND: ironwal_status = -5;
/// The operation needs an existing stream.
pub const IRONWAL_ERR_STREAM_NOT_FOUND: ironwal_status = -6;
/// Another open WAL holds the root directory.
pub const IRONWAL_ERR_LOCKED: ironwal_status = -7;
/// An fsync failed earlier; the stream refuses writes until the WAL is reopened.
pub const IRONWAL_ERR_POISONED: ironwal_status = -8;
/// No checkpoint has the given id.
pub const IRONWAL_ERR_CHECKPOINT_NOT_FOUND: ironwal_status = -9;
/// The sharded WAL has no checkpoint yet.
pub const IRONWAL_ERR_NO_CHECKPOINTS: ironwal_status = -10;
/// The sharded WAL on disk has another shard count.
pub const IRONWAL_ERR_SHARD_COUNT_MISMATCH: ironwal_status = -11;
/// The caller's buffer is too small; the size needed was written.
pub const IRONWAL_ERR_BUFFER_TOO_SMALL: ironwal_status = -12;
/// The transaction was already committed.
pub const IRONWAL_ERR_ALREADY_USED: ironwal_status = -13;
/// Options the engine cannot honour.
pub const IRONWAL_ERR_CONFIG: ironwal_status = -14;
/// A bug in IronWal: a Rust panic was caught at the C boundary.
pub const IRONWAL_ERR_PANIC: ironwal_status = -99;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Remembers `message` as this thread's last error.
pub(crate) fn set_last_error(message: impl Into<Vec<u8>>) {
    let mut bytes = message.into();
    bytes.retain(|&b| b != 0);
    let message = CString::new(bytes).expect("NUL bytes removed");
    LAST_ERROR.with(|last| *last.borrow_mut() = message);
}

/// Records `message` and returns `status`.
pub(crate) fn fail_with(status: ironwal_status, message: impl Into<Vec<u8>>) -> ironwal_status {
    set_last_error(message);
    status
}

/// Records an engine error and returns its status.
pub(crate) fn fail(error: Error) -> ironwal_status {
    fail_with(status_of(&error), error.to_string())
}

/// `fail`, naming the stream and file `place` gives for a `CrcMismatch`: the Rust
/// variant's fields are fixed (ironwal 0.6), so its own message has only the offset.
pub(crate) fn fail_in(error: Error, place: impl FnOnce() -> Option<String>) -> ironwal_status {
    let place = match error {
        Error::CrcMismatch { .. } => place(),
        _ => None,
    };
    match place {
        Some(place) => fail_with(status_of(&error), format!("{place}: {error}")),
        None => fail(error),
    }
}

/// The status of an engine error.
pub(crate) fn status_of(error: &Error) -> ironwal_status {
    match error {
        Error::Io(_) => IRONWAL_ERR_IO,
        Error::Corruption(_) | Error::InvalidFilename(_) | Error::Serialization(_) => {
            IRONWAL_ERR_CORRUPTION
        }
        Error::CrcMismatch { .. } => IRONWAL_ERR_CRC_MISMATCH,
        Error::Config(_) => IRONWAL_ERR_CONFIG,
        Error::SegmentNotFound(_) => IRONWAL_ERR_SEGMENT_NOT_FOUND,
        Error::StreamNotFound(_) => IRONWAL_ERR_STREAM_NOT_FOUND,
        Error::InvalidStreamName(_) | Error::InvalidArgument(_) => IRONWAL_ERR_INVALID_ARGUMENT,
        Error::Locked(_) => IRONWAL_ERR_LOCKED,
        Error::Poisoned(_) => IRONWAL_ERR_POISONED,
        Error::CheckpointNotFound(_) => IRONWAL_ERR_CHECKPOINT_NOT_FOUND,
        Error::CheckpointCorrupted { .. } => IRONWAL_ERR_CORRUPTION,
        Error::ShardCountMismatch { .. } => IRONWAL_ERR_SHARD_COUNT_MISMATCH,
        Error::InvalidCheckpointId(_) => IRONWAL_ERR_INVALID_ARGUMENT,
        Error::NoCheckpoints => IRONWAL_ERR_NO_CHECKPOINTS,
    }
}

/// A NUL-terminated message about the last failed call on this thread, or "" if none.
/// Owned by the library: valid until the next ironwal call on this thread; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn ironwal_last_error() -> *const c_char {
    ffi_boundary!(c"".as_ptr(), {
        LAST_ERROR.with(|last| last.borrow().as_ptr())
    })
}

/// The static name of any status code ("IRONWAL_OK", "IRONWAL_ERR_IO", ...), or
/// "IRONWAL_UNKNOWN_STATUS". Never free it.
#[unsafe(no_mangle)]
pub extern "C" fn ironwal_status_str(code: i32) -> *const c_char {
    ffi_boundary!(c"IRONWAL_ERR_PANIC".as_ptr(), {
        let name = match code {
            IRONWAL_OK => c"IRONWAL_OK",
            IRONWAL_NOT_FOUND => c"IRONWAL_NOT_FOUND",
            IRONWAL_END => c"IRONWAL_END",
            IRONWAL_ERR_INVALID_ARGUMENT => c"IRONWAL_ERR_INVALID_ARGUMENT",
            IRONWAL_ERR_IO => c"IRONWAL_ERR_IO",
            IRONWAL_ERR_CORRUPTION => c"IRONWAL_ERR_CORRUPTION",
            IRONWAL_ERR_CRC_MISMATCH => c"IRONWAL_ERR_CRC_MISMATCH",
            IRONWAL_ERR_SEGMENT_NOT_FOUND => c"IRONWAL_ERR_SEGMENT_NOT_FOUND",
            IRONWAL_ERR_STREAM_NOT_FOUND => c"IRONWAL_ERR_STREAM_NOT_FOUND",
            IRONWAL_ERR_LOCKED => c"IRONWAL_ERR_LOCKED",
            IRONWAL_ERR_POISONED => c"IRONWAL_ERR_POISONED",
            IRONWAL_ERR_CHECKPOINT_NOT_FOUND => c"IRONWAL_ERR_CHECKPOINT_NOT_FOUND",
            IRONWAL_ERR_NO_CHECKPOINTS => c"IRONWAL_ERR_NO_CHECKPOINTS",
            IRONWAL_ERR_SHARD_COUNT_MISMATCH => c"IRONWAL_ERR_SHARD_COUNT_MISMATCH",
            IRONWAL_ERR_BUFFER_TOO_SMALL => c"IRONWAL_ERR_BUFFER_TOO_SMALL",
            IRONWAL_ERR_ALREADY_USED => c"IRONWAL_ERR_ALREADY_USED",
            IRONWAL_ERR_CONFIG => c"IRONWAL_ERR_CONFIG",
            IRONWAL_ERR_PANIC => c"IRONWAL_ERR_PANIC",
            _ => c"IRONWAL_UNKNOWN_STATUS",
        };
        name.as_ptr()
    })
}
