//! A thin Zig layer over IronWal's C API (include/ironwal.h): errors instead of status
//! codes, optionals for "not found" and "end", slices for bytes, and `close` / `deinit`
//! to release what the library gives (`defer wal.close();`). Everything it does not
//! wrap (transactions, the sharded WAL, more options) is in `ironwal.c`.
const std = @import("std");

/// The raw C API.
pub const c = @cImport(@cInclude("ironwal.h"));

/// The negative `ironwal_status` codes. `lastError()` describes the last one on this
/// thread.
pub const Error = error{
    InvalidArgument,
    Io,
    Corruption,
    CrcMismatch,
    SegmentNotFound,
    StreamNotFound,
    Locked,
    Poisoned,
    CheckpointNotFound,
    NoCheckpoints,
    ShardCountMismatch,
    BufferTooSmall,
    AlreadyUsed,
    Config,
    /// A bug in IronWal: a Rust panic was caught at the C boundary.
    Panic,
    /// A code this binding does not know (a newer library).
    Unknown,
};

/// A negative status becomes its error; `IRONWAL_OK` and the positive outcomes
/// (`IRONWAL_NOT_FOUND`, `IRONWAL_END`) are returned for the caller to tell apart.
pub fn check(status: c.ironwal_status) Error!c.ironwal_status {
    return switch (status) {
        c.IRONWAL_ERR_INVALID_ARGUMENT => error.InvalidArgument,
        c.IRONWAL_ERR_IO => error.Io,
        c.IRONWAL_ERR_CORRUPTION => error.Corruption,
        c.IRONWAL_ERR_CRC_MISMATCH => error.CrcMismatch,
        c.IRONWAL_ERR_SEGMENT_NOT_FOUND => error.SegmentNotFound,
        c.IRONWAL_ERR_STREAM_NOT_FOUND => error.StreamNotFound,
        c.IRONWAL_ERR_LOCKED => error.Locked,
        c.IRONWAL_ERR_POISONED => error.Poisoned,
        c.IRONWAL_ERR_CHECKPOINT_NOT_FOUND => error.CheckpointNotFound,
        c.IRONWAL_ERR_NO_CHECKPOINTS => error.NoCheckpoints,
        c.IRONWAL_ERR_SHARD_COUNT_MISMATCH => error.ShardCountMismatch,
        c.IRONWAL_ERR_BUFFER_TOO_SMALL => error.BufferTooSmall,
        c.IRONWAL_ERR_ALREADY_USED => error.AlreadyUsed,
        c.IRONWAL_ERR_CONFIG => error.Config,
        c.IRONWAL_ERR_PANIC => error.Panic,
        else => if (status < 0) error.Unknown else status,
    };
}

/// The message about the last failed call on this thread ("" if none); valid until
/// the next IronWal call on this thread.
pub fn lastError() [:0]const u8 {
    return std.mem.span(c.ironwal_last_error());
}

/// The library's version, "MAJOR.MINOR.PATCH".
pub fn version() [:0]const u8 {
    return std.mem.span(c.ironwal_version());
}

pub const SyncMode = enum(i32) {
    /// Every append, batch and commit is durable on return.
    strict = c.IRONWAL_SYNC_STRICT,
    /// Batches and commits are durable on return.
    batch_only = c.IRONWAL_SYNC_BATCH_ONLY,
    /// Durable only after `sync` / `syncAll`.
    manual = c.IRONWAL_SYNC_ASYNC,
};

pub const Compression = enum(i32) {
    none = c.IRONWAL_COMPRESSION_NONE,
    lz4 = c.IRONWAL_COMPRESSION_LZ4,
};

/// Options for `Wal.open`; `null` keeps the library's default.
pub const Options = struct {
    sync_mode: SyncMode = .strict,
    compression: Compression = .none,
    max_segment_size: ?u64 = null,
    max_entries_per_segment: ?u64 = null,
};

/// Bytes owned by the library. Release with `deinit`.
pub const Buf = struct {
    raw: c.ironwal_buf,

    pub fn bytes(self: *const Buf) []const u8 {
        if (self.raw.len == 0) return &.{};
        return self.raw.data[0..self.raw.len];
    }

    pub fn deinit(self: *Buf) void {
        c.ironwal_buf_free(&self.raw);
    }
};

/// One entry from an `Iterator`; `data` is borrowed until the iterator's next call or
/// `deinit`.
pub const Entry = struct {
    id: u64,
    data: []const u8,
};

/// The ids a stream holds: `first .. next` (`first == next` when empty).
pub const Bounds = struct {
    first: u64,
    next: u64,
};

/// Walks one stream in id order; also sees entries appended after it was made. One
/// thread at a time; stays valid after its WAL is closed. Release with `deinit`.
pub const Iterator = struct {
    handle: *c.ironwal_iter,

    /// The next entry, or null at the end.
    pub fn next(self: *Iterator) Error!?Entry {
        var id: u64 = 0;
        var data: [*c]const u8 = null;
        var len: usize = 0;
        if (try check(c.ironwal_iter_next(self.handle, &id, &data, &len)) == c.IRONWAL_END) return null;
        return .{ .id = id, .data = if (len == 0) &.{} else data[0..len] };
    }

    pub fn deinit(self: *Iterator) void {
        c.ironwal_iter_free(self.handle);
        self.* = undefined;
    }
};

/// An open WAL; safe to share between threads. Release with `close`.
pub const Wal = struct {
    handle: *c.ironwal_wal,

    /// Opens (creating if needed) the WAL at `root`, recovering every stream.
    /// `error.Locked` while another open WAL holds `root`.
    pub fn open(root: [:0]const u8, options: Options) Error!Wal {
        const raw = c.ironwal_options_new(root.ptr) orelse return error.InvalidArgument;
        defer c.ironwal_options_free(raw);
        _ = try check(c.ironwal_options_set_sync_mode(raw, @intFromEnum(options.sync_mode)));
        _ = try check(c.ironwal_options_set_compression(raw, @intFromEnum(options.compression)));
        if (options.max_segment_size) |bytes| _ = try check(c.ironwal_options_set_max_segment_size(raw, bytes));
        if (options.max_entries_per_segment) |n| _ = try check(c.ironwal_options_set_max_entries_per_segment(raw, n));
        var handle: ?*c.ironwal_wal = null;
        _ = try check(c.ironwal_open(raw, &handle));
        return .{ .handle = handle.? };
    }

    pub fn close(self: *Wal) void {
        c.ironwal_close(self.handle);
        self.* = undefined;
    }

    /// Appends one entry; returns its id.
    pub fn append(self: Wal, stream: [:0]const u8, data: []const u8) Error!u64 {
        var id: u64 = 0;
        _ = try check(c.ironwal_append(self.handle, stream.ptr, data.ptr, data.len, &id));
        return id;
    }

    /// Appends all entries or none (also across a crash); returns the first id, the
    /// others follow it. `allocator` holds the C argument arrays during the call.
    pub fn appendBatch(
        self: Wal,
        allocator: std.mem.Allocator,
        stream: [:0]const u8,
        entries: []const []const u8,
    ) (Error || std.mem.Allocator.Error)!u64 {
        const datas = try allocator.alloc([*c]const u8, entries.len);
        defer allocator.free(datas);
        const lens = try allocator.alloc(usize, entries.len);
        defer allocator.free(lens);
        for (entries, datas, lens) |entry, *data, *len| {
            data.* = entry.ptr;
            len.* = entry.len;
        }
        var first: u64 = 0;
        _ = try check(c.ironwal_append_batch(self.handle, stream.ptr, datas.ptr, lens.ptr, entries.len, &first));
        return first;
    }

    /// Entry `id` of `stream`, or null if the stream does not hold it.
    pub fn get(self: Wal, stream: [:0]const u8, id: u64) Error!?Buf {
        var raw = std.mem.zeroes(c.ironwal_buf);
        if (try check(c.ironwal_get(self.handle, stream.ptr, id, &raw)) == c.IRONWAL_NOT_FOUND) return null;
        return .{ .raw = raw };
    }

    /// The ids `stream` holds, or null if it does not exist.
    pub fn bounds(self: Wal, stream: [:0]const u8) Error!?Bounds {
        var result: Bounds = undefined;
        if (try check(c.ironwal_bounds(self.handle, stream.ptr, &result.first, &result.next)) == c.IRONWAL_NOT_FOUND) return null;
        return result;
    }

    /// An iterator over `stream` from `start_id` (or its first retained entry).
    pub fn iterator(self: Wal, stream: [:0]const u8, start_id: u64) Error!Iterator {
        var handle: ?*c.ironwal_iter = null;
        _ = try check(c.ironwal_iter_new(self.handle, stream.ptr, start_id, &handle));
        return .{ .handle = handle.? };
    }

    /// Deletes the sealed segments of `stream` whose ids are all below `safe_id`;
    /// returns how many.
    pub fn truncate(self: Wal, stream: [:0]const u8, safe_id: u64) Error!usize {
        var deleted: usize = 0;
        _ = try check(c.ironwal_truncate(self.handle, stream.ptr, safe_id, &deleted));
        return deleted;
    }

    /// Makes everything appended to `stream` durable.
    pub fn sync(self: Wal, stream: [:0]const u8) Error!void {
        _ = try check(c.ironwal_sync(self.handle, stream.ptr));
    }

    /// Makes everything appended to every stream durable.
    pub fn syncAll(self: Wal) Error!void {
        _ = try check(c.ironwal_sync_all(self.handle));
    }
};
