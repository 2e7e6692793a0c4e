//! `ironwal_options`: a `WalOptions` built up from C.

use super::args::{arg, handle_mut, utf8, ArgResult};
use super::status::*;
use crate::{CompressionType, CorruptionPolicy, ReadStrategy, SyncMode, WalOptions};
use std::ffi::c_char;

/// `ironwal_options_set_sync_mode`: every append, batch and commit is durable on return.
pub const IRONWAL_SYNC_STRICT: i32 = 0;
/// `ironwal_options_set_sync_mode`: batches and commits are durable on return.
pub const IRONWAL_SYNC_BATCH_ONLY: i32 = 1;
/// `ironwal_options_set_sync_mode`: durable only after `ironwal_sync` / `ironwal_sync_all`.
pub const IRONWAL_SYNC_ASYNC: i32 = 2;
/// `ironwal_options_set_compression`: payloads stored as written.
pub const IRONWAL_COMPRESSION_NONE: i32 = 0;
/// `ironwal_options_set_compression`: LZ4 for payloads of at least min_compression_size.
pub const IRONWAL_COMPRESSION_LZ4: i32 = 1;
/// `ironwal_options_set_read_strategy`: positioned reads.
pub const IRONWAL_READ_STANDARD_IO: i32 = 0;
/// `ironwal_options_set_read_strategy`: segments memory-mapped.
pub const IRONWAL_READ_MMAP: i32 = 1;
/// `ironwal_options_set_corruption_policy`: cut a torn tail on open (default).
pub const IRONWAL_CORRUPTION_TRUNCATE: i32 = 0;
/// `ironwal_options_set_corruption_policy`: refuse to open on any damage.
pub const IRONWAL_CORRUPTION_ERROR: i32 = 1;

/// Options for `ironwal_open` / `ironwal_sharded_open`. One thread at a time.
pub struct ironwal_options {
    pub(crate) options: WalOptions,
}

/// New options with defaults for the WAL at `root_path` (a UTF-8 path). Returns NULL
/// if `root_path` is NULL, empty or not UTF-8 (see `ironwal_last_error`). Release with
/// `ironwal_options_free`; the options may be freed right after `ironwal_open`.
///
/// # Safety
/// `root_path` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_new(root_path: *const c_char) -> *mut ironwal_options {
    ffi_boundary!(std::ptr::null_mut(), {
        // SAFETY: per this function's contract.
        match unsafe { utf8(root_path, "root_path") } {
            Ok("") => {
                set_last_error("root_path is empty");
                std::ptr::null_mut()
            }
            Ok(path) => Box::into_raw(Box::new(ironwal_options {
                options: WalOptions::new(path),
            })),
            Err(_) => std::ptr::null_mut(),
        }
    })
}

/// Releases options. Accepts NULL.
///
/// # Safety
/// `options` is NULL or came from `ironwal_options_new` and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_free(options: *mut ironwal_options) {
    ffi_boundary!((), {
        if !options.is_null() {
            // SAFETY: created by Box::into_raw in ironwal_options_new, freed once.
            drop(unsafe { Box::from_raw(options) });
        }
    })
}

/// Applies `set` to the options behind `options`.
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
unsafe fn update(
    options: *mut ironwal_options,
    set: impl FnOnce(&mut WalOptions) -> ArgResult<()>,
) -> ironwal_status {
    // SAFETY: per the caller.
    let options = arg!(unsafe { handle_mut(options, "options") });
    arg!(set(&mut options.options));
    IRONWAL_OK
}

fn invalid(message: String) -> ironwal_status {
    fail_with(IRONWAL_ERR_INVALID_ARGUMENT, message)
}

fn at_least_one(value: u64, what: &str) -> ArgResult<u64> {
    if value == 0 {
        return Err(invalid(format!("{what} must be at least 1")));
    }
    Ok(value)
}

/// Sets the sync mode: `IRONWAL_SYNC_STRICT` (default), `IRONWAL_SYNC_BATCH_ONLY` or
/// `IRONWAL_SYNC_ASYNC`; any other value is `IRONWAL_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_set_sync_mode(
    options: *mut ironwal_options,
    mode: i32,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        unsafe {
            update(options, |o| {
                o.sync_mode = match mode {
                    IRONWAL_SYNC_STRICT => SyncMode::Strict,
                    IRONWAL_SYNC_BATCH_ONLY => SyncMode::BatchOnly,
                    IRONWAL_SYNC_ASYNC => SyncMode::Async,
                    _ => return Err(invalid(format!("unknown sync mode {mode}"))),
                };
                Ok(())
            })
        }
    })
}

/// Sets compression: `IRONWAL_COMPRESSION_NONE` (default) or `IRONWAL_COMPRESSION_LZ4`.
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_set_compression(
    options: *mut ironwal_options,
    compression: i32,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        unsafe {
            update(options, |o| {
                o.compression = match compression {
                    IRONWAL_COMPRESSION_NONE => CompressionType::None,
                    IRONWAL_COMPRESSION_LZ4 => CompressionType::Lz4,
                    _ => return Err(invalid(format!("unknown compression {compression}"))),
                };
                Ok(())
            })
        }
    })
}

/// Sets how segments are read: `IRONWAL_READ_STANDARD_IO` (default) or
/// `IRONWAL_READ_MMAP`.
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_set_read_strategy(
    options: *mut ironwal_options,
    strategy: i32,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        unsafe {
            update(options, |o| {
                o.read_strategy = match strategy {
                    IRONWAL_READ_STANDARD_IO => ReadStrategy::StandardIo,
                    IRONWAL_READ_MMAP => ReadStrategy::Mmap,
                    _ => return Err(invalid(format!("unknown read strategy {strategy}"))),
                };
                Ok(())
            })
        }
    })
}

/// Sets the soft segment size limit in bytes (default 64 MiB; must be at least 1).
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_set_max_segment_size(
    options: *mut ironwal_options,
    bytes: u64,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        unsafe {
            update(options, |o| {
                o.max_segment_size = at_least_one(bytes, "max_segment_size")?;
                Ok(())
            })
        }
    })
}

/// Sets the soft limit of entries per segment (default UINT64_MAX; at least 1).
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_set_max_entries_per_segment(
    options: *mut ironwal_options,
    entries: u64,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        unsafe {
            update(options, |o| {
                o.max_entries_per_segment = at_least_one(entries, "max_entries_per_segment")?;
                Ok(())
            })
        }
    })
}

/// Sets the bound on open segment files (default 50; at least 1).
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_set_max_open_segments(
    options: *mut ironwal_options,
    count: usize,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        unsafe {
            update(options, |o| {
                o.max_open_segments = at_least_one(count as u64, "max_open_segments")? as usize;
                Ok(())
            })
        }
    })
}

/// Sets the byte budget of the decoded-frame cache; 0 turns it off (the default).
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_set_block_cache_size(
    options: *mut ironwal_options,
    bytes: u64,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        unsafe {
            update(options, |o| {
                o.block_cache_size = (bytes > 0).then_some(bytes);
                Ok(())
            })
        }
    })
}

/// Sets the size below which payloads are never compressed (default 1024).
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_set_min_compression_size(
    options: *mut ironwal_options,
    bytes: usize,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        unsafe {
            update(options, |o| {
                o.min_compression_size = bytes;
                Ok(())
            })
        }
    })
}

/// Sets what opening does with damage: `IRONWAL_CORRUPTION_TRUNCATE` (default: cut a
/// torn tail) or `IRONWAL_CORRUPTION_ERROR` (refuse to open on any damage).
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_set_corruption_policy(
    options: *mut ironwal_options,
    policy: i32,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        unsafe {
            update(options, |o| {
                o.on_corruption = match policy {
                    IRONWAL_CORRUPTION_TRUNCATE => CorruptionPolicy::Truncate,
                    IRONWAL_CORRUPTION_ERROR => CorruptionPolicy::Error,
                    _ => return Err(invalid(format!("unknown corruption policy {policy}"))),
                };
                Ok(())
            })
        }
    })
}

/// Sets the size of the chunks iterators and recovery read at a time (default 128 KiB;
/// at least 1).
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_options_set_read_buffer_size(
    options: *mut ironwal_options,
    bytes: usize,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        unsafe {
            update(options, |o| {
                o.read_buffer_size = at_least_one(bytes as u64, "read_buffer_size")? as usize;
                Ok(())
            })
        }
    })
}
