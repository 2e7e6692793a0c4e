//! Builds the Zig binding of IronWal against the static C library.
//!
//!   cargo build --release                  # makes target/release/libironwal.a
//!   zig build test                         # the binding's tests
//!   zig build run -- /tmp/wal-demo         # the example, on a scratch directory
//!
//! Options: -Dironwal-lib-dir=DIR (the directory holding libironwal.a; default
//! ../../target/release) and -Dironwal-include-dir=DIR (the one holding ironwal.h;
//! default ../../include). Relative option values are relative to the current directory.
const std = @import("std");

/// What a Rust staticlib needs from the system on Linux (glibc), as
/// `rustc --print native-static-libs` reports it; gcc_s provides the unwinder
/// (`_Unwind_*`) that Rust's panics use. libc itself comes from `link_libc`.
///
/// Executables that link the library use LLVM and LLD (`use_llvm`, `use_lld`): Zig
/// 0.15's own x86_64 linker, its default for Debug builds, can place the archive's
/// 16-byte-aligned statics (hashbrown's empty control group) at 8 bytes, and the
/// first aligned SSE load from them faults.
const rust_system_libs = [_][]const u8{ "gcc_s", "util", "rt", "pthread", "m", "dl" };

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    const lib_dir = pathOption(b, "ironwal-lib-dir", "the directory holding libironwal.a", "../../target/release");
    const include_dir = pathOption(b, "ironwal-include-dir", "the directory holding ironwal.h", "../../include");

    // The binding: `@import("ironwal")`, with the C library linked in.
    const ironwal = b.addModule("ironwal", .{
        .root_source_file = b.path("src/ironwal.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
    });
    ironwal.addIncludePath(include_dir);
    ironwal.addObjectFile(lib_dir.path(b, "libironwal.a"));
    for (rust_system_libs) |name| ironwal.linkSystemLibrary(name, .{});

    const tests = b.addTest(.{
        .root_module = b.createModule(.{
            .root_source_file = b.path("src/ironwal_test.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "ironwal", .module = ironwal }},
        }),
        .use_llvm = true,
        .use_lld = true,
    });
    const run_tests = b.addRunArtifact(tests);
    // std.testing.tmpDir works under "<cwd>/.zig-cache/tmp": keep it in the cache
    // directory rather than the source tree.
    run_tests.setCwd(.{ .cwd_relative = b.cache_root.path orelse "." });
    b.step("test", "Run the binding's tests").dependOn(&run_tests.step);

    const example = b.addExecutable(.{
        .name = "ironwal-example",
        .root_module = b.createModule(.{
            .root_source_file = b.path("example/main.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "ironwal", .module = ironwal }},
        }),
        .use_llvm = true,
        .use_lld = true,
    });
    b.installArtifact(example);
    const run_example = b.addRunArtifact(example);
    if (b.args) |args| run_example.addArgs(args);
    b.step("run", "Run the example: zig build run -- <empty directory>").dependOn(&run_example.step);
}

/// A directory option: given values are relative to the current directory, the default
/// is relative to this build.zig.
fn pathOption(b: *std.Build, name: []const u8, description: []const u8, default: []const u8) std.Build.LazyPath {
    if (b.option([]const u8, name, description)) |dir| return .{ .cwd_relative = dir };
    return b.path(default);
}
