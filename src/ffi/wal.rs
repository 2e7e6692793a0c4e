//! `ironwal_wal`: an open WAL and its read/write calls.

use super::args::{arg, array, bytes, handle, out, utf8};
use super::buf::ironwal_buf;
use super::options::ironwal_options;
use super::status::*;
use crate::Wal;
use std::ffi::c_char;

/// An open WAL. Safe to use from many threads at once. Release with `ironwal_close`.
pub struct ironwal_wal {
    pub(crate) wal: Wal,
}

/// Opens (creating if needed) the WAL described by `options`, recovering every stream.
/// On success writes a new handle to `*out`. `IRONWAL_ERR_LOCKED` while another open
/// WAL (in any process) holds the root directory. `options` stays owned by the caller.
///
/// # Safety
/// `options` is NULL or a live `ironwal_options`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_open(
    options: *const ironwal_options,
    out_wal: *mut *mut ironwal_wal,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let options = arg!(unsafe { handle(options, "options") });
        let out_wal = arg!(out(out_wal, "out"));
        let wal = try_status!(Wal::new(options.options.clone()));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_wal.write(Box::into_raw(Box::new(ironwal_wal { wal }))) };
        IRONWAL_OK
    })
}

/// Closes a WAL handle. Accepts NULL. Iterators and transactions made from it stay
/// valid and must still be freed; the root lock is released once the handle is closed
/// and all its transactions are committed or freed.
///
/// # Safety
/// `wal` is NULL or came from `ironwal_open`, is not in use by another thread, and is
/// not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_close(wal: *mut ironwal_wal) {
    ffi_boundary!((), {
        if !wal.is_null() {
            // SAFETY: created by Box::into_raw in ironwal_open, closed once.
            drop(unsafe { Box::from_raw(wal) });
        }
    })
}

/// Appends `len` bytes at `data` (NULL allowed when `len` is 0) to `stream` and writes
/// its id to `*out_id`.
///
/// # Safety
/// Pointers are NULL or valid for the sizes given; `stream` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_append(
    wal: *mut ironwal_wal,
    stream: *const c_char,
    data: *const u8,
    len: usize,
    out_id: *mut u64,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (wal, stream, entry) = unsafe {
            (
                arg!(handle(wal, "wal")),
                arg!(utf8(stream, "stream")),
                arg!(bytes(data, len, "data")),
            )
        };
        let out_id = arg!(out(out_id, "out_id"));
        let id = try_status!(wal.wal.append(stream, entry));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_id.write(id) };
        IRONWAL_OK
    })
}

/// Appends `count` entries atomically (all or none, also across a crash): entry `i` is
/// `lens[i]` bytes at `datas[i]`. Writes the first id to `*out_first_id`; the ids are
/// `first .. first + count`. `count` 0 writes nothing and gives the next id.
///
/// # Safety
/// `datas` and `lens` are NULL (only when `count` is 0) or arrays of `count`; each
/// `datas[i]` is valid for `lens[i]` bytes (NULL only when `lens[i]` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_append_batch(
    wal: *mut ironwal_wal,
    stream: *const c_char,
    datas: *const *const u8,
    lens: *const usize,
    count: usize,
    out_first_id: *mut u64,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (wal, stream, datas, lens) = unsafe {
            (
                arg!(handle(wal, "wal")),
                arg!(utf8(stream, "stream")),
                arg!(array(datas, count, "datas")),
                arg!(array(lens, count, "lens")),
            )
        };
        let out_first_id = arg!(out(out_first_id, "out_first_id"));
        let mut entries = Vec::with_capacity(count);
        for (i, (&data, &len)) in datas.iter().zip(lens).enumerate() {
            // SAFETY: per this function's contract.
            entries.push(arg!(unsafe { bytes(data, len, &format!("datas[{i}]")) }));
        }
        let ids = try_status!(wal.wal.append_batch(stream, &entries));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_first_id.write(ids.start) };
        IRONWAL_OK
    })
}

/// Like `ironwal_append_batch`, with the entries back to back in one buffer: entry `i`
/// is the `lens[i]` bytes after entries `0..i` (what cgo can pass).
///
/// # Safety
/// `lens` is NULL (only when `count` is 0) or an array of `count`; `buf` is valid for
/// the sum of `lens` bytes (NULL only when that sum is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_append_batch_packed(
    wal: *mut ironwal_wal,
    stream: *const c_char,
    buf: *const u8,
    lens: *const usize,
    count: usize,
    out_first_id: *mut u64,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (wal, stream, lens) = unsafe {
            (
                arg!(handle(wal, "wal")),
                arg!(utf8(stream, "stream")),
                arg!(array(lens, count, "lens")),
            )
        };
        let out_first_id = arg!(out(out_first_id, "out_first_id"));
        let Some(total) = lens
            .iter()
            .try_fold(0usize, |sum, &len| sum.checked_add(len))
        else {
            return fail_with(
                IRONWAL_ERR_INVALID_ARGUMENT,
                "lens add up to more than SIZE_MAX",
            );
        };
        // SAFETY: per this function's contract.
        let packed = arg!(unsafe { bytes(buf, total, "buf") });
        let mut entries = Vec::with_capacity(count);
        let mut at = 0;
        for &len in lens {
            entries.push(&packed[at..at + len]);
            at += len;
        }
        let ids = try_status!(wal.wal.append_batch(stream, &entries));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_first_id.write(ids.start) };
        IRONWAL_OK
    })
}

/// Reads entry `id` of `stream` into a new buffer at `*out` (release it with
/// `ironwal_buf_free`). `IRONWAL_NOT_FOUND` (and `*out` untouched) if the stream does not
/// hold `id` or it was truncated.
///
/// # Safety
/// `wal` is NULL or live; `stream` NUL-terminated; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_get(
    wal: *mut ironwal_wal,
    stream: *const c_char,
    id: u64,
    out_buf: *mut ironwal_buf,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (wal, stream) = unsafe { (arg!(handle(wal, "wal")), arg!(utf8(stream, "stream"))) };
        let out_buf = arg!(out(out_buf, "out"));
        match try_status!(wal.wal.get(stream, id), in || wal.wal.describe_id(stream, id)) {
            Some(entry) => {
                // SAFETY: checked non-NULL; writable per the contract.
                unsafe { out_buf.write(ironwal_buf::from_vec(entry)) };
                IRONWAL_OK
            }
            None => IRONWAL_NOT_FOUND,
        }
    })
}

/// Reads entry `id` of `stream` into the caller's `buf` of `cap` bytes and writes its
/// length to `*out_len`. If it does not fit, returns `IRONWAL_ERR_BUFFER_TOO_SMALL` and
/// writes the length needed to `*out_len` (nothing to `buf`). `IRONWAL_NOT_FOUND` if the
/// stream does not hold `id`.
///
/// # Safety
/// `buf` is valid for `cap` writable bytes (NULL only when `cap` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_get_into(
    wal: *mut ironwal_wal,
    stream: *const c_char,
    id: u64,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (wal, stream) = unsafe { (arg!(handle(wal, "wal")), arg!(utf8(stream, "stream"))) };
        let out_len = arg!(out(out_len, "out_len"));
        if buf.is_null() && cap > 0 {
            return fail_with(
                IRONWAL_ERR_INVALID_ARGUMENT,
                format!("buf is NULL but cap is {cap}"),
            );
        }
        let Some(entry) =
            try_status!(wal.wal.get(stream, id), in || wal.wal.describe_id(stream, id))
        else {
            return IRONWAL_NOT_FOUND;
        };
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_len.write(entry.len()) };
        if entry.len() > cap {
            return fail_with(
                IRONWAL_ERR_BUFFER_TOO_SMALL,
                format!(
                    "entry {id} is {} bytes, the buffer holds {cap}",
                    entry.len()
                ),
            );
        }
        if !entry.is_empty() {
            // SAFETY: buf is valid for cap >= entry.len() bytes and does not overlap `entry`.
            unsafe { std::ptr::copy_nonoverlapping(entry.as_ptr(), buf, entry.len()) };
        }
        IRONWAL_OK
    })
}

/// Deletes the sealed segments of `stream` whose ids are all below `safe_id` (never the
/// active one) and writes how many to `*out_deleted`. A missing stream deletes 0.
///
/// # Safety
/// `wal` is NULL or live; `stream` NUL-terminated; `out_deleted` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_truncate(
    wal: *mut ironwal_wal,
    stream: *const c_char,
    safe_id: u64,
    out_deleted: *mut usize,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (wal, stream) = unsafe { (arg!(handle(wal, "wal")), arg!(utf8(stream, "stream"))) };
        let out_deleted = arg!(out(out_deleted, "out_deleted"));
        let deleted = try_status!(wal.wal.truncate(stream, safe_id));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_deleted.write(deleted) };
        IRONWAL_OK
    })
}

/// Makes everything appended to `stream` so far durable. `IRONWAL_ERR_STREAM_NOT_FOUND`
/// if it does not exist.
///
/// # Safety
/// `wal` is NULL or live; `stream` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sync(
    wal: *mut ironwal_wal,
    stream: *const c_char,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (wal, stream) = unsafe { (arg!(handle(wal, "wal")), arg!(utf8(stream, "stream"))) };
        try_status!(wal.wal.sync(stream));
        IRONWAL_OK
    })
}

/// Makes everything appended to every stream so far durable.
///
/// # Safety
/// `wal` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sync_all(wal: *mut ironwal_wal) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let wal = arg!(unsafe { handle(wal, "wal") });
        try_status!(wal.wal.sync_all());
        IRONWAL_OK
    })
}

/// Writes the first retained id and the next id of `stream` (`first == next` when it
/// holds no entries). `IRONWAL_NOT_FOUND` if the stream does not exist.
///
/// # Safety
/// `wal` is NULL or live; `stream` NUL-terminated; out-params NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_bounds(
    wal: *mut ironwal_wal,
    stream: *const c_char,
    out_first: *mut u64,
    out_next: *mut u64,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (wal, stream) = unsafe { (arg!(handle(wal, "wal")), arg!(utf8(stream, "stream"))) };
        let (out_first, out_next) = (
            arg!(out(out_first, "out_first")),
            arg!(out(out_next, "out_next")),
        );
        let Some(bounds) = try_status!(wal.wal.bounds(stream)) else {
            return IRONWAL_NOT_FOUND;
        };
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe {
            out_first.write(bounds.start);
            out_next.write(bounds.end);
        }
        IRONWAL_OK
    })
}
