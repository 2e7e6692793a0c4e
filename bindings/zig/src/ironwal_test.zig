//! The binding's tests: each opens a WAL in its own temporary directory and checks
//! what the library gives back.
const std = @import("std");
const testing = std.testing;
const ironwal = @import("ironwal");

/// A fresh temporary directory with its absolute path, NUL-terminated for the C API.
const Scratch = struct {
    tmp: testing.TmpDir,
    path: [:0]u8,

    fn init() !Scratch {
        var tmp = testing.tmpDir(.{});
        errdefer tmp.cleanup();
        const real = try tmp.dir.realpathAlloc(testing.allocator, ".");
        defer testing.allocator.free(real);
        return .{ .tmp = tmp, .path = try testing.allocator.dupeZ(u8, real) };
    }

    fn deinit(self: *Scratch) void {
        testing.allocator.free(self.path);
        self.tmp.cleanup();
    }
};

fn expectEntry(wal: ironwal.Wal, stream: [:0]const u8, id: u64, expected: []const u8) !void {
    var buf = (try wal.get(stream, id)) orelse {
        std.debug.print("entry {d} of {s} is missing\n", .{ id, stream });
        return error.TestExpectedEntry;
    };
    defer buf.deinit();
    try testing.expectEqualSlices(u8, expected, buf.bytes());
}

test "version is the header's" {
    const expected = std.fmt.comptimePrint("{d}.{d}.{d}", .{
        ironwal.c.IRONWAL_VERSION_MAJOR, ironwal.c.IRONWAL_VERSION_MINOR, ironwal.c.IRONWAL_VERSION_PATCH,
    });
    try testing.expectEqualStrings(expected, ironwal.version());
}

test "every error status maps to the error named like it" {
    const codes = [_]i32{ -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -99 };
    for (codes) |code| {
        const err = if (ironwal.check(code)) |_| return error.TestExpectedError else |err| err;
        // error.CrcMismatch <-> "IRONWAL_ERR_CRC_MISMATCH"
        var name: std.ArrayList(u8) = .empty;
        defer name.deinit(testing.allocator);
        try name.appendSlice(testing.allocator, "IRONWAL_ERR_");
        for (@errorName(err), 0..) |char, i| {
            if (i > 0 and std.ascii.isUpper(char)) try name.append(testing.allocator, '_');
            try name.append(testing.allocator, std.ascii.toUpper(char));
        }
        try testing.expectEqualStrings(std.mem.span(ironwal.c.ironwal_status_str(code)), name.items);
    }
    try testing.expectError(error.Unknown, ironwal.check(-1000));
    try testing.expectEqual(ironwal.c.IRONWAL_OK, try ironwal.check(ironwal.c.IRONWAL_OK));
    try testing.expectEqual(ironwal.c.IRONWAL_END, try ironwal.check(ironwal.c.IRONWAL_END));
}

test "append then get returns the bytes written" {
    var scratch = try Scratch.init();
    defer scratch.deinit();
    var wal = try ironwal.Wal.open(scratch.path, .{});
    defer wal.close();

    const payloads = [_][]const u8{ "first", "", "with \x00 and \xff bytes", "x" ** 70_000 };
    for (payloads, 0..) |payload, i| {
        try testing.expectEqual(@as(u64, i), try wal.append("events", payload));
    }
    for (payloads, 0..) |payload, i| try expectEntry(wal, "events", i, payload);
    try testing.expectEqual(ironwal.Bounds{ .first = 0, .next = payloads.len }, (try wal.bounds("events")).?);
    // Streams are independent: ids start at 0 in each.
    try testing.expectEqual(@as(u64, 0), try wal.append("other", "o"));
}

test "a batch takes consecutive ids and is readable entry by entry" {
    var scratch = try Scratch.init();
    defer scratch.deinit();
    var wal = try ironwal.Wal.open(scratch.path, .{ .sync_mode = .batch_only });
    defer wal.close();

    try testing.expectEqual(@as(u64, 0), try wal.append("orders", "single"));
    const batch = [_][]const u8{ "b1", "", "b3-longer" };
    try testing.expectEqual(@as(u64, 1), try wal.appendBatch(testing.allocator, "orders", &batch));
    for (batch, 1..) |entry, id| try expectEntry(wal, "orders", id, entry);
    // An empty batch writes nothing and gives the next id.
    try testing.expectEqual(@as(u64, 4), try wal.appendBatch(testing.allocator, "orders", &.{}));
    try testing.expectEqual(ironwal.Bounds{ .first = 0, .next = 4 }, (try wal.bounds("orders")).?);
}

test "an iterator yields entries in id order from its start, then later appends" {
    var scratch = try Scratch.init();
    defer scratch.deinit();
    var wal = try ironwal.Wal.open(scratch.path, .{ .sync_mode = .manual });
    defer wal.close();

    const payloads = [_][]const u8{ "zero", "one", "two", "three", "four" };
    for (payloads) |payload| _ = try wal.append("log", payload);
    try wal.sync("log");

    var iter = try wal.iterator("log", 2);
    defer iter.deinit();
    for (2..payloads.len) |id| {
        const entry = (try iter.next()) orelse return error.TestExpectedEntry;
        try testing.expectEqual(@as(u64, id), entry.id);
        try testing.expectEqualSlices(u8, payloads[id], entry.data);
    }
    try testing.expectEqual(null, try iter.next());

    try testing.expectEqual(@as(u64, 5), try wal.append("log", "five"));
    const later = (try iter.next()) orelse return error.TestExpectedEntry;
    try testing.expectEqual(@as(u64, 5), later.id);
    try testing.expectEqualSlices(u8, "five", later.data);
    try testing.expectEqual(null, try iter.next());

    var missing = try wal.iterator("no-such-stream", 0);
    defer missing.deinit();
    try testing.expectEqual(null, try missing.next());
}

test "missing entries and streams: not found, and errors with a message" {
    var scratch = try Scratch.init();
    defer scratch.deinit();
    var wal = try ironwal.Wal.open(scratch.path, .{});
    defer wal.close();
    _ = try wal.append("s", "only");

    try testing.expectEqual(null, try wal.get("s", 1));
    try testing.expectEqual(null, try wal.get("absent", 0));
    try testing.expectEqual(null, try wal.bounds("absent"));
    // What the wrapper's null stands for in the C API.
    var raw = std.mem.zeroes(ironwal.c.ironwal_buf);
    try testing.expectEqual(ironwal.c.IRONWAL_NOT_FOUND, ironwal.c.ironwal_get(wal.handle, "s", 99, &raw));
    try testing.expectEqual(@as(usize, 0), raw.len);

    try testing.expectError(error.StreamNotFound, wal.sync("absent"));
    try testing.expect(ironwal.lastError().len > 0);
    try testing.expectError(error.InvalidArgument, wal.append("", "empty stream name"));
    try testing.expect(ironwal.lastError().len > 0);
    try testing.expectError(error.Locked, ironwal.Wal.open(scratch.path, .{}));
}

test "reopening keeps every entry and continues the ids" {
    var scratch = try Scratch.init();
    defer scratch.deinit();
    const payloads = [_][]const u8{ "a", "bb", "ccc" };
    {
        var wal = try ironwal.Wal.open(scratch.path, .{});
        defer wal.close();
        _ = try wal.append("durable", payloads[0]);
        _ = try wal.appendBatch(testing.allocator, "durable", payloads[1..]);
    }
    var wal = try ironwal.Wal.open(scratch.path, .{});
    defer wal.close();
    for (payloads, 0..) |payload, id| try expectEntry(wal, "durable", id, payload);
    try testing.expectEqual(ironwal.Bounds{ .first = 0, .next = 3 }, (try wal.bounds("durable")).?);
    try testing.expectEqual(@as(u64, 3), try wal.append("durable", "dddd"));
}

test "truncate deletes whole sealed segments below the safe id" {
    var scratch = try Scratch.init();
    defer scratch.deinit();
    var wal = try ironwal.Wal.open(scratch.path, .{ .max_entries_per_segment = 2 });
    defer wal.close();
    var text: [16]u8 = undefined;
    for (0..10) |i| _ = try wal.append("t", try std.fmt.bufPrint(&text, "entry-{d}", .{i}));

    const deleted = try wal.truncate("t", 6);
    try testing.expect(deleted >= 1);
    const bounds = (try wal.bounds("t")).?;
    try testing.expect(bounds.first > 0 and bounds.first <= 6);
    try testing.expectEqual(@as(u64, 10), bounds.next);
    try testing.expectEqual(null, try wal.get("t", 0));
    for (bounds.first..10) |id| try expectEntry(wal, "t", id, try std.fmt.bufPrint(&text, "entry-{d}", .{id}));

    var iter = try wal.iterator("t", 0);
    defer iter.deinit();
    try testing.expectEqual(bounds.first, ((try iter.next()) orelse return error.TestExpectedEntry).id);
    // Nothing below the first retained id is left to delete.
    try testing.expectEqual(@as(usize, 0), try wal.truncate("t", bounds.first));
}
