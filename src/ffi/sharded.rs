//! `ironwal_sharded`: a sharded WAL and its checkpoints, from C.

use super::args::{arg, array, bytes, handle, out};
use super::checkpoint::ironwal_checkpoint;
use super::iter::ironwal_iter;
use super::options::ironwal_options;
use super::status::*;
use crate::sharded::ShardedWal;

/// An open sharded WAL. Safe to use from many threads at once. Release with
/// `ironwal_sharded_close`.
pub struct ironwal_sharded {
    sharded: ShardedWal,
}

/// What `ironwal_sharded_prune_before_checkpoint` deleted.
#[repr(C)]
pub struct ironwal_prune_stats {
    /// Shards that lost at least one segment.
    pub shards_pruned: u16,
    pub segments_deleted: usize,
}

/// What `ironwal_sharded_compact_checkpoints` did.
#[repr(C)]
pub struct ironwal_compaction_stats {
    pub checkpoints_before: usize,
    pub checkpoints_after: usize,
    pub bytes_reclaimed: u64,
}

/// Opens (creating if needed) a sharded WAL of `shard_count` (> 0) shards at the
/// options' root and writes it to `*out`. `IRONWAL_ERR_SHARD_COUNT_MISMATCH` if the WAL
/// on disk has another shard count; `IRONWAL_ERR_LOCKED` if another WAL has it open.
///
/// # Safety
/// `options` is NULL or live; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_open(
    options: *const ironwal_options,
    shard_count: u16,
    out_sharded: *mut *mut ironwal_sharded,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let options = arg!(unsafe { handle(options, "options") });
        let out_sharded = arg!(out(out_sharded, "out"));
        if shard_count == 0 {
            return fail_with(
                IRONWAL_ERR_INVALID_ARGUMENT,
                "shard_count must be greater than 0",
            );
        }
        let sharded = try_status!(ShardedWal::new(options.options.clone(), shard_count));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_sharded.write(Box::into_raw(Box::new(ironwal_sharded { sharded }))) };
        IRONWAL_OK
    })
}

/// Closes a sharded WAL. Accepts NULL. Iterators and checkpoints made from it stay
/// valid and must still be freed.
///
/// # Safety
/// `sharded` is NULL or came from `ironwal_sharded_open`, is not in use by another
/// thread, and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_close(sharded: *mut ironwal_sharded) {
    ffi_boundary!((), {
        if !sharded.is_null() {
            // SAFETY: created by Box::into_raw in ironwal_sharded_open, closed once.
            drop(unsafe { Box::from_raw(sharded) });
        }
    })
}

/// The number of shards (0 if `sharded` is NULL).
///
/// # Safety
/// `sharded` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_shard_count(sharded: *const ironwal_sharded) -> u16 {
    ffi_boundary!(0, {
        // SAFETY: per this function's contract.
        unsafe { sharded.as_ref() }.map_or(0, |s| s.sharded.shard_count())
    })
}

/// Appends `value` to the shard of `key` and writes the shard and the id in it.
///
/// # Safety
/// `key`/`value` valid for their lengths (NULL only when 0); out-params NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_append(
    sharded: *mut ironwal_sharded,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    out_shard: *mut u16,
    out_id: *mut u64,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (sharded, key, value) = unsafe {
            (
                arg!(handle(sharded, "sharded")),
                arg!(bytes(key, key_len, "key")),
                arg!(bytes(value, value_len, "value")),
            )
        };
        let (out_shard, out_id) = (
            arg!(out(out_shard, "out_shard")),
            arg!(out(out_id, "out_id")),
        );
        let (shard, id) = try_status!(sharded.sharded.append(key, value));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe {
            out_shard.write(shard);
            out_id.write(id);
        }
        IRONWAL_OK
    })
}

/// Splits `count` back-to-back items of `buf` by `lens` (checked against overflow).
fn split_packed<'a>(buf: &'a [u8], lens: &[usize]) -> Vec<&'a [u8]> {
    let mut at = 0;
    lens.iter()
        .map(|&len| {
            at += len;
            &buf[at - len..at]
        })
        .collect()
}

/// The total of `lens`, or an error status if it overflows.
fn packed_total(lens: &[usize], what: &str) -> Result<usize, ironwal_status> {
    lens.iter()
        .try_fold(0usize, |sum, &len| sum.checked_add(len))
        .ok_or_else(|| {
            fail_with(
                IRONWAL_ERR_INVALID_ARGUMENT,
                format!("{what} add up to more than SIZE_MAX"),
            )
        })
}

/// Appends `count` key/value pairs, each key and value back to back in `keys` /
/// `values` with lengths in `key_lens` / `value_lens`. Entries of one shard form one
/// atomic batch (not atomic across shards). Writes each entry's shard and id to
/// `out_shards[i]` / `out_ids[i]` (arrays of `count`).
///
/// # Safety
/// Arrays are valid for `count` elements and buffers for the sum of their lengths (NULL
/// only when that is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_append_batch_packed(
    sharded: *mut ironwal_sharded,
    keys: *const u8,
    key_lens: *const usize,
    values: *const u8,
    value_lens: *const usize,
    count: usize,
    out_shards: *mut u16,
    out_ids: *mut u64,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (sharded, key_lens, value_lens) = unsafe {
            (
                arg!(handle(sharded, "sharded")),
                arg!(array(key_lens, count, "key_lens")),
                arg!(array(value_lens, count, "value_lens")),
            )
        };
        let (keys_total, values_total) = (
            arg!(packed_total(key_lens, "key_lens")),
            arg!(packed_total(value_lens, "value_lens")),
        );
        // SAFETY: per this function's contract.
        let (keys, values) = unsafe {
            (
                arg!(bytes(keys, keys_total, "keys")),
                arg!(bytes(values, values_total, "values")),
            )
        };
        if count > 0 {
            arg!(out(out_shards, "out_shards"));
            arg!(out(out_ids, "out_ids"));
        }
        let entries: Vec<(Vec<u8>, Vec<u8>)> = split_packed(keys, key_lens)
            .into_iter()
            .zip(split_packed(values, value_lens))
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        let placed = try_status!(sharded.sharded.append_batch(&entries));
        for (i, (shard, id)) in placed.into_iter().enumerate() {
            // SAFETY: non-NULL when count > 0; arrays of `count` per the contract.
            unsafe {
                out_shards.add(i).write(shard);
                out_ids.add(i).write(id);
            }
        }
        IRONWAL_OK
    })
}

/// Records a consistent, durable checkpoint of all shards named by `id_len` (1..=65535)
/// bytes at `id`. Reusing an id replaces the older checkpoint of that id.
///
/// # Safety
/// `id` valid for `id_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_create_checkpoint(
    sharded: *mut ironwal_sharded,
    id: *const u8,
    id_len: usize,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (sharded, id) = unsafe {
            (
                arg!(handle(sharded, "sharded")),
                arg!(bytes(id, id_len, "id")),
            )
        };
        try_status!(sharded.sharded.create_checkpoint(id));
        IRONWAL_OK
    })
}

/// Loads the checkpoint named by `id` into a new handle at `*out` (release it with
/// `ironwal_checkpoint_free`). `IRONWAL_ERR_CHECKPOINT_NOT_FOUND` if there is none.
///
/// # Safety
/// `id` valid for `id_len` bytes; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_load_checkpoint(
    sharded: *mut ironwal_sharded,
    id: *const u8,
    id_len: usize,
    out_checkpoint: *mut *mut ironwal_checkpoint,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (sharded, id) = unsafe {
            (
                arg!(handle(sharded, "sharded")),
                arg!(bytes(id, id_len, "id")),
            )
        };
        let out_checkpoint = arg!(out(out_checkpoint, "out"));
        let data = try_status!(sharded.sharded.load_checkpoint(id));
        let checkpoint = ironwal_checkpoint::new(id.to_vec(), data);
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_checkpoint.write(Box::into_raw(Box::new(checkpoint))) };
        IRONWAL_OK
    })
}

/// Loads the most recently created checkpoint into a new handle at `*out`.
/// `IRONWAL_ERR_NO_CHECKPOINTS` if there is none.
///
/// # Safety
/// `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_load_latest_checkpoint(
    sharded: *mut ironwal_sharded,
    out_checkpoint: *mut *mut ironwal_checkpoint,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let sharded = arg!(unsafe { handle(sharded, "sharded") });
        let out_checkpoint = arg!(out(out_checkpoint, "out"));
        let (id, data) = try_status!(sharded.sharded.load_latest_checkpoint());
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_checkpoint.write(Box::into_raw(Box::new(ironwal_checkpoint::new(id, data)))) };
        IRONWAL_OK
    })
}

/// An iterator over shard `shard` from id `start` (release with `ironwal_iter_free`).
/// `IRONWAL_ERR_INVALID_ARGUMENT` if the shard does not exist.
///
/// # Safety
/// `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_iter(
    sharded: *mut ironwal_sharded,
    shard: u16,
    start: u64,
    out_iter: *mut *mut ironwal_iter,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let sharded = arg!(unsafe { handle(sharded, "sharded") });
        let out_iter = arg!(out(out_iter, "out"));
        let shard_count = sharded.sharded.shard_count();
        if shard >= shard_count {
            return fail_with(
                IRONWAL_ERR_INVALID_ARGUMENT,
                format!("shard {shard} does not exist ({shard_count} shards)"),
            );
        }
        let entries = try_status!(sharded.sharded.iter_shard(shard, start));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_iter.write(Box::into_raw(Box::new(ironwal_iter::new(entries)))) };
        IRONWAL_OK
    })
}

/// Deletes, in every shard, the sealed segments entirely below the checkpoint's offset
/// (never an active segment) and writes what it did to `*out`.
///
/// # Safety
/// `id` valid for `id_len` bytes; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_prune_before_checkpoint(
    sharded: *mut ironwal_sharded,
    id: *const u8,
    id_len: usize,
    out_stats: *mut ironwal_prune_stats,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let (sharded, id) = unsafe {
            (
                arg!(handle(sharded, "sharded")),
                arg!(bytes(id, id_len, "id")),
            )
        };
        let out_stats = arg!(out(out_stats, "out"));
        let stats = try_status!(sharded.sharded.prune_before_checkpoint(id));
        let stats = ironwal_prune_stats {
            shards_pruned: stats.shards_pruned,
            segments_deleted: stats.segments_deleted,
        };
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_stats.write(stats) };
        IRONWAL_OK
    })
}

/// Keeps only the `keep_latest_n` most recent checkpoints (rewriting the log
/// atomically) and writes what it did to `*out`.
///
/// # Safety
/// `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_compact_checkpoints(
    sharded: *mut ironwal_sharded,
    keep_latest_n: usize,
    out_stats: *mut ironwal_compaction_stats,
) -> ironwal_status {
    ffi_boundary!(IRONWAL_ERR_PANIC, {
        // SAFETY: per this function's contract.
        let sharded = arg!(unsafe { handle(sharded, "sharded") });
        let out_stats = arg!(out(out_stats, "out"));
        let stats = try_status!(sharded.sharded.compact_checkpoints(keep_latest_n));
        let stats = ironwal_compaction_stats {
            checkpoints_before: stats.checkpoints_before,
            checkpoints_after: stats.checkpoints_after,
            bytes_reclaimed: stats.bytes_reclaimed,
        };
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { out_stats.write(stats) };
        IRONWAL_OK
    })
}

/// The number of checkpoints (0 if `sharded` is NULL).
///
/// # Safety
/// `sharded` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ironwal_sharded_checkpoint_count(
    sharded: *const ironwal_sharded,
) -> usize {
    ffi_boundary!(0, {
        // SAFETY: per this function's contract.
        unsafe { sharded.as_ref() }.map_or(0, |s| s.sharded.checkpoint_count())
    })
}
