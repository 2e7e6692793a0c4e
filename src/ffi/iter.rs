//! `ironwal_iter`: reading a stream in id order.

use super::args::{arg, handle, handle_mut, out, utf8};
use super::buf::empty_data;
use super::status::*;
use super::wal::ironwal_wal;
use crate::WalIterator;
use std::ffi::c_char;

/// An iterator over one stream. One thread at a time. Stays valid after its WAL is
/// closed. Release with `ironwal_iter_free`.
pub struct ironwal_iter {
    pub(crate) entries: WalIterator,
    /// The entry the last `ironwal_iter_next` lent out.
    current: Vec<u8>,
}

impl ironwal_iter {
    pub(crate) fn new(entries: WalIterator) -> Self {
        ironwal_iter {
            entries,
            current: Vec::new(),
        }
    }
}

/// Creates an iterator over `stream` from `start_id` (from the first retained entry if
/// `start_id` was truncated) and writes it to `*out`. It also sees entries appended
/// after it was created, even to a stream that held nothing then.
///
/// # Safety
/// `wal` is NULL or live; `stream` NUL-terminated; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_iter_new(
    wal: *mut ironwal_wal,
    stream: *const c_char,
    start_id: u64,
    out_iter: *mut *mut ironwal_iter,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (wal, stream) = unsafe { (arg!(handle(wal, "wal")), arg!(utf8(stream, "stream"))) };
        let out_iter = arg!(out(out_iter, "out"));
        let entries = try_status!(wal.wal.iter(stream, start_id));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_iter.write(Box::into_raw(Box::new(ironwal_iter::new(entries)))) };
        IRONWAL_OK
    })
}

/// Advances to the next entry: `IRONWAL_OK` with its id, data and length written (the
/// data is borrowed: valid until the next call on this iterator or its free),
/// `IRONWAL_END` at the end (nothing written), or an error (after which it stays at
/// its end).
///
/// # Safety
/// `iter` is NULL or live and not used by another thread; out-params NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_iter_next(
    iter: *mut ironwal_iter,
    out_id: *mut u64,
    out_data: *mut *const u8,
    out_len: *mut usize,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let iter = arg!(unsafe { handle_mut(iter, "iter") });
        let (out_id, out_data, out_len) = (
            arg!(out(out_id, "out_id")),
            arg!(out(out_data, "out_data")),
            arg!(out(out_len, "out_len")),
        );
        let Some(next) = iter.entries.next_with_id() else {
            return IRONWAL_END;
        };
        let (id, entry) = try_status!(next, in || iter.entries.failed_in().map(str::to_owned));
        iter.current = entry;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe {
            out_id.write(id);
            out_data.write(if iter.current.is_empty() {
                empty_data()
            } else {
                iter.current.as_ptr()
            });
            out_len.write(iter.current.len());
        }
        IRONWAL_OK
    })
}

/// Releases an iterator. Accepts NULL.
///
/// # Safety
/// `iter` is NULL or came from `ironwal_iter_new`/`ironwal_sharded_iter` and is not used
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_iter_free(iter: *mut ironwal_iter) {
    ffi_boundary!((), {
        if !iter.is_null() {
            // SAFETY: created by Box::into_raw, freed once.
            drop(unsafe { Box::from_raw(iter) });
        }
    })
}
