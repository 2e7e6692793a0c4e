//! `ironwal_txn`: entries collected in memory and committed as one atomic batch.

use super::args::{arg, bytes, handle, handle_mut, out, utf8};
use super::status::*;
use super::wal::ironwal_wal;
use crate::TxnWriter;
use std::ffi::c_char;

/// A transaction on one stream. One thread at a time. Stays valid after its WAL is
/// closed (and keeps the WAL's root lock until it is committed or freed). Release with
/// `ironwal_txn_free`.
pub struct ironwal_txn {
    /// `None` once committed.
    writer: Option<TxnWriter>,
}

/// Starts a transaction on `stream` and writes it to `*out`.
///
/// # Safety
/// `wal` is NULL or live; `stream` NUL-terminated; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_txn_new(
    wal: *mut ironwal_wal,
    stream: *const c_char,
    out_txn: *mut *mut ironwal_txn,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (wal, stream) = unsafe { (arg!(handle(wal, "wal")), arg!(utf8(stream, "stream"))) };
        let out_txn = arg!(out(out_txn, "out"));
        try_status!(crate::format::stream_name::validate(stream));
        let txn = ironwal_txn {
            writer: Some(wal.wal.writer(stream)),
        };
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_txn.write(Box::into_raw(Box::new(txn))) };
        IRONWAL_OK
    })
}

fn already_used() -> ironwal_status {
    fail_with(
        IRONWAL_ERR_ALREADY_USED,
        "the transaction was already committed",
    )
}

/// Adds a copy of `len` bytes at `data` (NULL allowed when `len` is 0) to the
/// transaction. Nothing is written until `ironwal_txn_commit`.
///
/// # Safety
/// `txn` is NULL or live and not used by another thread; `data` valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_txn_add(
    txn: *mut ironwal_txn,
    data: *const u8,
    len: usize,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (txn, entry) =
            unsafe { (arg!(handle_mut(txn, "txn")), arg!(bytes(data, len, "data"))) };
        let Some(writer) = txn.writer.as_mut() else {
            return already_used();
        };
        writer.add(entry);
        IRONWAL_OK
    })
}

/// Appends the added entries as one atomic batch and writes the first id and the count
/// (ids `first .. first + count`; an empty transaction gives the next id and 0). A
/// transaction commits once: later calls (and `ironwal_txn_add`) return
/// `IRONWAL_ERR_ALREADY_USED`, also when the commit failed.
///
/// # Safety
/// `txn` is NULL or live and not used by another thread; out-params NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_txn_commit(
    txn: *mut ironwal_txn,
    out_first_id: *mut u64,
    out_count: *mut u64,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let txn = arg!(unsafe { handle_mut(txn, "txn") });
        let (out_first_id, out_count) = (
            arg!(out(out_first_id, "out_first_id")),
            arg!(out(out_count, "out_count")),
        );
        let Some(writer) = txn.writer.take() else {
            return already_used();
        };
        let ids = try_status!(writer.commit());
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe {
            out_first_id.write(ids.start);
            out_count.write(ids.end - ids.start);
        }
        IRONWAL_OK
    })
}

/// Releases a transaction; entries not committed are discarded. Accepts NULL.
///
/// # Safety
/// `txn` is NULL or came from `ironwal_txn_new` and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_txn_free(txn: *mut ironwal_txn) {
    ffi_boundary!((), {
        if !txn.is_null() {
            // SAFETY: created by Box::into_raw, freed once.
            drop(unsafe { Box::from_raw(txn) });
        }
    })
}
