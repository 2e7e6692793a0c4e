//! IronWal from Zig: append, batch, read back, iterate, reopen.
//!
//!   zig build run -- /tmp/wal-demo      (an empty or new directory)
const std = @import("std");
const ironwal = @import("ironwal");

pub fn main() !void {
    var gpa: std.heap.DebugAllocator(.{}) = .init;
    defer _ = gpa.deinit();
    const allocator = gpa.allocator();

    const args = try std.process.argsAlloc(allocator);
    defer std.process.argsFree(allocator, args);
    if (args.len != 2) {
        std.debug.print("usage: {s} <directory>\n", .{args[0]});
        std.process.exit(2);
    }

    var buffer: [4096]u8 = undefined;
    var stdout = std.fs.File.stdout().writerStreaming(&buffer);
    run(allocator, args[1], &stdout.interface) catch |err| {
        std.debug.print("error: {s} (IronWal: {s})\n", .{ @errorName(err), ironwal.lastError() });
        std.process.exit(1);
    };
    try stdout.interface.flush();
}

fn run(allocator: std.mem.Allocator, root: [:0]const u8, out: *std.Io.Writer) !void {
    try out.print("ironwal {s}\n", .{ironwal.version()});
    {
        var wal = try ironwal.Wal.open(root, .{});
        defer wal.close();

        const id = try wal.append("orders", "order-1001");
        try out.print("append: id {d}\n", .{id});

        const batch = [_][]const u8{ "order-1002", "order-1003", "order-1004" };
        const first = try wal.appendBatch(allocator, "orders", &batch);
        try out.print("batch: ids {d} to {d}\n", .{ first, first + batch.len - 1 });

        var entry = (try wal.get("orders", 2)) orelse return error.EntryMissing;
        defer entry.deinit();
        try out.print("get 2: {s}\n", .{entry.bytes()});

        if (try wal.get("orders", 99)) |found| {
            var unexpected = found;
            unexpected.deinit();
            return error.UnexpectedEntry;
        }
        try out.print("get 99: not found\n", .{});

        var iter = try wal.iterator("orders", 0);
        defer iter.deinit();
        while (try iter.next()) |e| try out.print("  {d}: {s}\n", .{ e.id, e.data });
    }

    // Everything appended survives closing and reopening.
    var wal = try ironwal.Wal.open(root, .{});
    defer wal.close();
    const bounds = (try wal.bounds("orders")) orelse return error.StreamMissing;
    try out.print("reopened: ids {d} to {d}\n", .{ bounds.first, bounds.next - 1 });
}
