//! `ironwal_buf`: bytes allocated by the library and handed to C.

use std::ptr;

/// Bytes owned by the library: read `data[0..len)`, release with `ironwal_buf_free`
/// (never with `free`). `cap` is bookkeeping for the library.
#[repr(C)]
pub struct ironwal_buf {
    /// The bytes; never NULL once filled by the library (also for 0 bytes), NULL
    /// after `ironwal_buf_free`.
    pub data: *mut u8,
    /// Number of bytes at `data`.
    pub len: usize,
    /// Size of the allocation, for `ironwal_buf_free` (0 when nothing is allocated).
    pub cap: usize,
}

impl ironwal_buf {
    /// Hands a vector's allocation to C. An empty vector owns no allocation: C gets a
    /// valid pointer to a static byte (never Rust's dangling pointer) and `cap` 0.
    pub(crate) fn from_vec(bytes: Vec<u8>) -> ironwal_buf {
        if bytes.capacity() == 0 {
            return ironwal_buf {
                data: empty_data().cast_mut(),
                len: 0,
                cap: 0,
            };
        }
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        ironwal_buf {
            data: bytes.as_mut_ptr(),
            len: bytes.len(),
            cap: bytes.capacity(),
        }
    }
}

/// What C receives as the data pointer of an empty entry: valid to pass to `memcpy`
/// with length 0 and harmless to Go's pointer checks (unlike `NonNull::dangling`).
pub(crate) fn empty_data() -> *const u8 {
    static EMPTY: u8 = 0;
    &EMPTY
}

/// Releases the bytes of a buffer filled by the library and zeroes the struct, so a
/// second call is a no-op. Accepts NULL and a zeroed buffer.
///
/// # Safety
/// `buf` is NULL or points to an `ironwal_buf` that is zeroed or was filled by this
/// library and not modified since.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_buf_free(buf: *mut ironwal_buf) {
    ffi_boundary!((), {
        // SAFETY: NULL or a valid buffer per the caller.
        let Some(buf) = (unsafe { buf.as_mut() }) else {
            return;
        };
        if !buf.data.is_null() && buf.cap > 0 {
            // SAFETY: data/len/cap came from `from_vec` and were not modified.
            drop(unsafe { Vec::from_raw_parts(buf.data, buf.len, buf.cap) });
        }
        *buf = ironwal_buf {
            data: ptr::null_mut(),
            len: 0,
            cap: 0,
        };
    })
}
