/*
 * basics: the C++ wrapper's foundations. version and status names, ironwal::error
 * (code, message, what, copies), options (chained setters on lvalues and temporaries,
 * rejected values and paths), opening and closing (LOCKED on a second open, with the
 * status code and message), stream names the C API cannot take, and the handle rules:
 * move-only, moved-from and default-constructed handles are inert (operations throw
 * INVALID_ARGUMENT, destruction is a no-op), move-assignment releases the old handle.
 */
#include "check.hpp"

#include <string>
#include <type_traits>
#include <utility>

using ironwal::sync_mode;

// Handles are move-only and moving or destroying them never throws.
template <class Handle>
constexpr bool is_move_only_handle =
    !std::is_copy_constructible_v<Handle> && !std::is_copy_assignable_v<Handle> &&
    std::is_nothrow_move_constructible_v<Handle> && std::is_nothrow_move_assignable_v<Handle> &&
    std::is_nothrow_destructible_v<Handle>;
static_assert(is_move_only_handle<ironwal::options>);
static_assert(is_move_only_handle<ironwal::wal>);
static_assert(is_move_only_handle<ironwal::iterator>);
static_assert(is_move_only_handle<ironwal::transaction>);
static_assert(is_move_only_handle<ironwal::sharded_wal>);
static_assert(is_move_only_handle<ironwal::checkpoint>);
static_assert(std::is_nothrow_default_constructible_v<ironwal::wal>);
// Errors are std::runtime_errors that copy without throwing.
static_assert(std::is_base_of_v<std::runtime_error, ironwal::error>);
static_assert(std::is_nothrow_copy_constructible_v<ironwal::error>);

static void test_version_and_errors() {
    std::string want = std::to_string(IRONWAL_VERSION_MAJOR) + "." +
                       std::to_string(IRONWAL_VERSION_MINOR) + "." +
                       std::to_string(IRONWAL_VERSION_PATCH);
    CHECK(ironwal::version() == want);
    CHECK(ironwal::status_name(IRONWAL_ERR_LOCKED) == "IRONWAL_ERR_LOCKED");
    CHECK(ironwal::status_name(IRONWAL_NOT_FOUND) == "IRONWAL_NOT_FOUND");

    ironwal::error e(IRONWAL_ERR_IO, "disk on fire");
    CHECK_EQ(e.code(), IRONWAL_ERR_IO);
    CHECK(std::string(e.status_name()) == "IRONWAL_ERR_IO");
    CHECK(std::string(e.message()) == "disk on fire");
    CHECK(std::string(e.what()) == "IRONWAL_ERR_IO: disk on fire");
    ironwal::error copy = e;
    CHECK_EQ(copy.code(), IRONWAL_ERR_IO);
    CHECK(std::string(copy.message()) == "disk on fire");
    try {
        throw e;
    } catch (const std::runtime_error &caught) {
        CHECK(std::string(caught.what()) == "IRONWAL_ERR_IO: disk on fire");
    }
}

static void test_options(const cpptest::scratch &dir) {
    // Paths the C API cannot take.
    CHECK_THROWS(ironwal::options(""), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(ironwal::options(std::string("a\0b", 3)), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(ironwal::options("\xff\xfe"), IRONWAL_ERR_INVALID_ARGUMENT);

    ironwal::options opts(dir.path("options"));
    CHECK(static_cast<bool>(opts));
    // Every setter chains and accepts its valid values.
    CHECK_NOTHROW(opts.sync_mode(sync_mode::strict)
                      .sync_mode(sync_mode::batch_only)
                      .sync_mode(sync_mode::async)
                      .compression(ironwal::compression::lz4)
                      .compression(ironwal::compression::none)
                      .read_strategy(ironwal::read_strategy::mmap)
                      .read_strategy(ironwal::read_strategy::standard_io)
                      .corruption_policy(ironwal::corruption_policy::error)
                      .corruption_policy(ironwal::corruption_policy::truncate)
                      .max_segment_size(1)
                      .max_entries_per_segment(1)
                      .max_open_segments(1)
                      .block_cache_size(0)
                      .block_cache_size(1 << 20)
                      .min_compression_size(0)
                      .read_buffer_size(1));
    // Values the library rejects throw INVALID_ARGUMENT.
    CHECK_THROWS(opts.sync_mode(static_cast<sync_mode>(7)), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(opts.compression(static_cast<ironwal::compression>(-1)),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(opts.read_strategy(static_cast<ironwal::read_strategy>(2)),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(opts.corruption_policy(static_cast<ironwal::corruption_policy>(9)),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(opts.max_segment_size(0), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(opts.max_entries_per_segment(0), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(opts.max_open_segments(0), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(opts.read_buffer_size(0), IRONWAL_ERR_INVALID_ARGUMENT);

    // Chaining on a temporary moves it out; the options outlive nothing they open.
    auto chained = ironwal::options(dir.path("chained")).sync_mode(sync_mode::async).max_entries_per_segment(2);
    CHECK(static_cast<bool>(chained));
    ironwal::wal log(chained);
    for (std::uint64_t i = 0; i < 5; i++) {
        CHECK_EQ(log.append("s", "entry"), i);
    }
    ironwal::options moved = std::move(chained);
    CHECK(static_cast<bool>(moved));
    CHECK(!static_cast<bool>(chained));
    // Move assignment over live options frees them (a leak shows under ASan/valgrind).
    ironwal::options replaced(dir.path("replaced"));
    replaced = std::move(moved);
    CHECK(static_cast<bool>(replaced));
    CHECK(!static_cast<bool>(moved));
    CHECK_THROWS(chained.sync_mode(sync_mode::async), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(ironwal::wal{chained}, IRONWAL_ERR_INVALID_ARGUMENT);
}

static void test_open_lock_close(const cpptest::scratch &dir) {
    const std::string root = dir.path("locked");
    ironwal::wal first(root);
    CHECK(static_cast<bool>(first));
    CHECK_EQ(first.append("s", "one"), 0);

    // A second open of the same root, by any spelling, throws LOCKED with a message.
    CHECK_THROWS(ironwal::wal{root}, IRONWAL_ERR_LOCKED);
    CHECK_THROWS(ironwal::wal{root + "/."}, IRONWAL_ERR_LOCKED);
    try {
        ironwal::wal second{ironwal::options(root).sync_mode(sync_mode::async)};
        CHECK(!"a second open succeeded");
    } catch (const ironwal::error &e) {
        CHECK_EQ(e.code(), IRONWAL_ERR_LOCKED);
        CHECK(std::string(e.status_name()) == "IRONWAL_ERR_LOCKED");
        CHECK(std::string(e.message()).find("lock") != std::string::npos);
        CHECK(std::string(e.what()).rfind("IRONWAL_ERR_LOCKED: ", 0) == 0);
    }

    // close() releases the lock at once; the handle is empty and inert afterwards.
    first.close();
    CHECK(!static_cast<bool>(first));
    first.close();
    CHECK_THROWS(first.append("s", "x"), IRONWAL_ERR_INVALID_ARGUMENT);
    ironwal::wal reopened(root);
    CHECK_BYTES(reopened.get("s", 0), "one");
    CHECK_EQ(reopened.append("s", "two"), 1);
}

static void test_stream_names(const cpptest::scratch &dir) {
    ironwal::wal log{ironwal::options(dir.path("names")).sync_mode(sync_mode::async)};
    // Rejected by the library.
    CHECK_THROWS(log.append("", "x"), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(log.append(std::string(256, 'n'), "x"), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(log.append("\xc3", "x"), IRONWAL_ERR_INVALID_ARGUMENT);
    // A NUL inside a name is rejected by the wrapper, and "a" is not written.
    CHECK_THROWS(log.append(std::string("a\0b", 3), "x"), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(log.sync(std::string("a\0", 2)), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(!log.bounds("a").has_value());
    // The longest name (on the wrapper's stack buffer) and hostile names work.
    const std::string longest(255, 'L');
    CHECK_EQ(log.append(longest, "long"), 0);
    CHECK_BYTES(log.get(longest, 0), "long");
    for (const char *name : {"a/b", "a_b", "..", "../x", "/etc", "\xe2\x82\xac"}) {
        CHECK_EQ(log.append(name, name), 0);
    }
    for (const char *name : {"a/b", "a_b", "..", "../x", "/etc", "\xe2\x82\xac"}) {
        CHECK_BYTES(log.get(name, 0), name);
    }
}

static void test_moves_and_empty_handles(const cpptest::scratch &dir) {
    const std::string root_a = dir.path("move-a");
    const std::string root_b = dir.path("move-b");
    ironwal::wal a{ironwal::options(root_a).sync_mode(sync_mode::async)};
    CHECK_EQ(a.append("s", "a0"), 0);

    // Move construction: the source is empty and every operation on it throws
    // INVALID_ARGUMENT; the target is the same WAL.
    ironwal::wal b(std::move(a));
    CHECK(!static_cast<bool>(a));
    CHECK(a.native_handle() == nullptr);
    CHECK_THROWS(a.append("s", "x"), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(a.append_batch("s", {"x"}), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(a.try_get("s", 0), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(a.get("s", 0), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(a.bounds("s"), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(a.sync_all(), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(a.iter("s"), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(a.begin_transaction("s"), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_EQ(b.append("s", "b1"), 1);
    CHECK_BYTES(b.get("s", 0), "a0");

    // Move assignment over a live handle closes the old WAL (its lock is released).
    ironwal::wal c{ironwal::options(root_b).sync_mode(sync_mode::async)};
    CHECK_EQ(c.append("t", "c0"), 0);
    c = std::move(b);
    CHECK(!static_cast<bool>(b));
    CHECK_EQ(c.append("s", "c2"), 2);
    CHECK_NOTHROW(ironwal::wal{root_b});
    // ... and the WAL it took is still locked.
    CHECK_THROWS(ironwal::wal{root_a}, IRONWAL_ERR_LOCKED);

    // Self-move-assignment keeps the handle.
    ironwal::wal &alias = c;
    c = std::move(alias);
    CHECK(static_cast<bool>(c));
    CHECK_EQ(c.append("s", "c3"), 3);

    // Assigning an empty handle closes it; empty handles destroy quietly.
    c = ironwal::wal();
    CHECK(!static_cast<bool>(c));
    CHECK_NOTHROW(ironwal::wal{root_a});

    // The other handle kinds, default-constructed and moved-from, are inert too.
    ironwal::iterator no_iter;
    CHECK(!static_cast<bool>(no_iter));
    CHECK_THROWS(no_iter.next(), IRONWAL_ERR_INVALID_ARGUMENT);
    ironwal::transaction no_txn;
    CHECK_THROWS(no_txn.add("x"), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(no_txn.commit(), IRONWAL_ERR_INVALID_ARGUMENT);
    ironwal::checkpoint no_checkpoint;
    CHECK_EQ(no_checkpoint.shard_count(), 0);
    CHECK_EQ(no_checkpoint.timestamp(), 0);
    CHECK(no_checkpoint.id().empty());
    CHECK(no_checkpoint.offsets().empty());
    CHECK_THROWS(no_checkpoint.offset(0), IRONWAL_ERR_INVALID_ARGUMENT);
    ironwal::sharded_wal no_sharded;
    CHECK_EQ(no_sharded.shard_count(), 0);
    CHECK_EQ(no_sharded.checkpoint_count(), 0);
    no_sharded.close();
}

static void run(const cpptest::scratch &dir) {
    test_version_and_errors();
    test_options(dir);
    test_open_lock_close(dir);
    test_stream_names(dir);
    test_moves_and_empty_handles(dir);
}

CPPTEST_MAIN("basics")
