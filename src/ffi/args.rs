//! Checking what C hands us: NULL pointers, UTF-8, lengths. Each check records a
//! message in `ironwal_last_error()` and yields `IRONWAL_ERR_INVALID_ARGUMENT`.

use super::status::{fail_with, ironwal_status, IRONWAL_ERR_INVALID_ARGUMENT};
use std::ffi::{c_char, CStr};

/// `Err` holds the status to return; its message is already recorded.
pub(crate) type ArgResult<T> = Result<T, ironwal_status>;

/// Returns early from a status-returning body when an argument check fails.
macro_rules! arg {
    ($check:expr) => {
        match $check {
            Ok(value) => value,
            Err(status) => return status,
        }
    };
}
pub(crate) use arg;

fn invalid<T>(message: String) -> ArgResult<T> {
    Err(fail_with(IRONWAL_ERR_INVALID_ARGUMENT, message))
}

/// A shared reference to a handle the caller owns.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` created by this library.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, what: &str) -> ArgResult<&'a T> {
    // SAFETY: the caller guarantees `ptr` is NULL or valid.
    match unsafe { ptr.as_ref() } {
        Some(value) => Ok(value),
        None => invalid(format!("{what} is NULL")),
    }
}

/// An exclusive reference to a handle used by one thread at a time.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` created by this library, not used elsewhere
/// during the call.
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, what: &str) -> ArgResult<&'a mut T> {
    // SAFETY: the caller guarantees `ptr` is NULL or valid and unaliased.
    match unsafe { ptr.as_mut() } {
        Some(value) => Ok(value),
        None => invalid(format!("{what} is NULL")),
    }
}

/// A NUL-terminated UTF-8 string.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn utf8<'a>(ptr: *const c_char, what: &str) -> ArgResult<&'a str> {
    if ptr.is_null() {
        return invalid(format!("{what} is NULL"));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller.
    match unsafe { CStr::from_ptr(ptr) }.to_str() {
        Ok(s) => Ok(s),
        Err(_) => invalid(format!("{what} is not valid UTF-8")),
    }
}

/// `len` bytes at `ptr`; `ptr` may be NULL only when `len` is 0.
///
/// # Safety
/// When non-NULL, `ptr` points to `len` readable bytes that outlive the call.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> ArgResult<&'a [u8]> {
    if len > isize::MAX as usize {
        return invalid(format!("{what}: length {len} is too large"));
    }
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            invalid(format!("{what} is NULL but its length is {len}"))
        };
    }
    // SAFETY: non-NULL, `len` readable bytes per the caller, len <= isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A C array of `count` elements; `ptr` may be NULL only when `count` is 0.
///
/// # Safety
/// When non-NULL, `ptr` points to `count` readable elements that outlive the call.
pub(crate) unsafe fn array<'a, T>(ptr: *const T, count: usize, what: &str) -> ArgResult<&'a [T]> {
    if count > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return invalid(format!("{what}: count {count} is too large"));
    }
    if ptr.is_null() {
        return if count == 0 {
            Ok(&[])
        } else {
            invalid(format!("{what} is NULL but count is {count}"))
        };
    }
    // SAFETY: non-NULL, `count` readable elements per the caller, size fits isize.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// Checks an out-param before any work is done; written later with `ptr.write`.
pub(crate) fn out<T>(ptr: *mut T, what: &str) -> ArgResult<*mut T> {
    if ptr.is_null() {
        return invalid(format!("{what} is NULL"));
    }
    Ok(ptr)
}
