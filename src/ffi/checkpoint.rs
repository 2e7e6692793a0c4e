//! `ironwal_checkpoint`: a loaded checkpoint, read from C.

use crate::sharded::CheckpointData;

/// A loaded checkpoint (a copy: valid after its WAL is closed). One thread at a time.
/// Release with `ironwal_checkpoint_free`.
pub struct ironwal_checkpoint {
    id: Vec<u8>,
    data: CheckpointData,
}

impl ironwal_checkpoint {
    pub(crate) fn new(id: Vec<u8>, data: CheckpointData) -> Self {
        ironwal_checkpoint { id, data }
    }
}

/// Creation time in nanoseconds since the Unix epoch (0 if `checkpoint` is NULL).
///
/// # Safety
/// `checkpoint` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_checkpoint_timestamp(
    checkpoint: *const ironwal_checkpoint,
) -> u64 {
    ffi_boundary!(0, {
        // SAFETY: per this function's contract.
        unsafe { checkpoint.as_ref() }.map_or(0, |c| c.data.timestamp)
    })
}

/// The number of shards the checkpoint covers (0 if `checkpoint` is NULL).
///
/// # Safety
/// `checkpoint` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_checkpoint_shard_count(
    checkpoint: *const ironwal_checkpoint,
) -> u16 {
    ffi_boundary!(0, {
        // SAFETY: per this function's contract.
        unsafe { checkpoint.as_ref() }.map_or(0, |c| c.data.shard_count)
    })
}

/// Shard `shard`'s next id at the checkpoint: every entry below it is covered.
/// UINT64_MAX if `shard` is out of range or `checkpoint` is NULL.
///
/// # Safety
/// `checkpoint` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_checkpoint_offset(
    checkpoint: *const ironwal_checkpoint,
    shard: u16,
) -> u64 {
    ffi_boundary!(u64::MAX, {
        // SAFETY: per this function's contract.
        let offsets = unsafe { checkpoint.as_ref() }.map(|c| &c.data.offsets);
        offsets
            .and_then(|o| o.get(shard as usize).copied())
            .unwrap_or(u64::MAX)
    })
}

/// Writes the checkpoint's id (borrowed: valid until `ironwal_checkpoint_free`) to
/// `*out_data` / `*out_len`. Writes nothing if any argument is NULL.
///
/// # Safety
/// `checkpoint` is NULL or live; out-params NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_checkpoint_id(
    checkpoint: *const ironwal_checkpoint,
    out_data: *mut *const u8,
    out_len: *mut usize,
) {
    ffi_boundary!((), {
        // SAFETY: per this function's contract.
        let Some(checkpoint) = (unsafe { checkpoint.as_ref() }) else {
            return;
        };
        if out_data.is_null() || out_len.is_null() {
            return;
        }
        // SAFETY: both checked non-NULL; writable per the contract.
        unsafe {
            out_data.write(checkpoint.id.as_ptr());
            out_len.write(checkpoint.id.len());
        }
    })
}

/// Releases a checkpoint. Accepts NULL.
///
/// # Safety
/// `checkpoint` is NULL or came from this library and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_checkpoint_free(checkpoint: *mut ironwal_checkpoint) {
    ffi_boundary!((), {
        if !checkpoint.is_null() {
            // SAFETY: created by Box::into_raw, freed once.
            drop(unsafe { Box::from_raw(checkpoint) });
        }
    })
}
