/*
 * readwrite: writing and reading through the C++ wrapper. append and get round trips
 * of every input kind (string literals, std::string, std::string_view, byte vectors,
 * arrays, pointer + size; empty, binary and 1 MiB entries), try_get / get / get_into
 * and their not-found answers, append_batch (initializer lists, containers, arrays,
 * empty), bounds, sync / sync_all, truncate across segments, reopening, and LZ4 + mmap
 * + block cache options.
 */
#include "check.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

using ironwal::sync_mode;

/// Entry i of the stream "big": i * 37 bytes of a pattern that depends on i.
static ironwal::bytes pattern(std::uint64_t i) {
    ironwal::bytes out(static_cast<std::size_t>(i * 37));
    for (std::size_t k = 0; k < out.size(); k++) {
        out[k] = static_cast<std::uint8_t>((k * 131 + i) % 251);
    }
    return out;
}

static void test_round_trips(const cpptest::scratch &dir) {
    ironwal::wal log{ironwal::options(dir.path("roundtrip")).sync_mode(sync_mode::async)};

    const std::string text = "std::string";
    const std::string_view view = "string_view";
    const ironwal::bytes binary = {0, 1, 2, 0, 255, 0};
    const std::array<std::uint8_t, 3> array = {7, 8, 9};
    const std::vector<char> chars = {'c', 'h', 'a', 'r', 's'};
    const char raw[] = {'p', 't', 'r', '\0', 's'};

    CHECK_EQ(log.append("s", "literal"), 0);
    CHECK_EQ(log.append("s", text), 1);
    CHECK_EQ(log.append("s", view), 2);
    CHECK_EQ(log.append("s", binary), 3);
    CHECK_EQ(log.append("s", array), 4);
    CHECK_EQ(log.append("s", chars), 5);
    CHECK_EQ(log.append("s", ironwal::bytes_view(raw, sizeof raw)), 6);
    CHECK_EQ(log.append("s", ""), 7);
    CHECK_EQ(log.append("s", ironwal::bytes_view()), 8);

    CHECK_BYTES(log.get("s", 0), "literal");
    CHECK_BYTES(log.get("s", 1), text);
    CHECK_BYTES(log.get("s", 2), view);
    CHECK_BYTES(log.get("s", 3), binary);
    CHECK_BYTES(log.get("s", 4), array);
    CHECK_BYTES(log.get("s", 5), chars);
    CHECK_BYTES(log.get("s", 6), ironwal::bytes_view(raw, sizeof raw));
    CHECK(log.get("s", 7).empty());
    CHECK(log.get("s", 8).empty());
    std::optional<ironwal::bytes> empty = log.try_get("s", 8);
    CHECK(empty.has_value() && empty->empty());

    // A 1 MiB entry.
    ironwal::bytes large(1 << 20);
    for (std::size_t k = 0; k < large.size(); k++) {
        large[k] = static_cast<std::uint8_t>(k * 7 + k / 4096);
    }
    CHECK_EQ(log.append("large", large), 0);
    CHECK(log.get("large", 0) == large);

    // Not found: try_get answers nothing, get throws NOT_FOUND, for a missing id and a
    // missing stream alike; neither creates the stream.
    CHECK(!log.try_get("s", 9).has_value());
    CHECK(!log.try_get("s", UINT64_MAX).has_value());
    CHECK(!log.try_get("missing", 0).has_value());
    CHECK_THROWS(log.get("s", 9), IRONWAL_NOT_FOUND);
    CHECK_THROWS(log.get("missing", 0), IRONWAL_NOT_FOUND);
    CHECK(!log.bounds("missing").has_value());
    try {
        log.get("s", 42);
    } catch (const ironwal::error &e) {
        CHECK(std::string(e.message()).find("42") != std::string::npos);
    }

    // get_into: the length either way; the bytes only when they fit.
    std::array<std::uint8_t, 16> buf;
    buf.fill(0xEE);
    std::optional<std::size_t> len = log.get_into("s", 1, buf.data(), buf.size());
    CHECK(len.has_value() && *len == text.size());
    CHECK_BYTES(ironwal::bytes_view(buf.data(), text.size()), text);
    buf.fill(0xEE);
    len = log.get_into("large", 0, buf.data(), buf.size());
    CHECK(len.has_value() && *len == large.size());
    CHECK(buf[0] == 0xEE && buf[15] == 0xEE);
    len = log.get_into("s", 0, nullptr, 0);
    CHECK(len.has_value() && *len == 7);
    len = log.get_into("s", 7, nullptr, 0);
    CHECK(len.has_value() && *len == 0);
    CHECK(!log.get_into("s", 9, buf.data(), buf.size()).has_value());
    CHECK(!log.get_into("missing", 0, buf.data(), buf.size()).has_value());
}

static void test_batches(const cpptest::scratch &dir) {
    ironwal::wal log{ironwal::options(dir.path("batch")).sync_mode(sync_mode::batch_only)};

    ironwal::id_range first = log.append_batch("b", {"Transaction Start", "Update A", "Update B"});
    CHECK_EQ(first.first, 0);
    CHECK_EQ(first.next, 3);
    CHECK_EQ(first.count(), 3);
    CHECK(first.contains(2) && !first.contains(3));

    const std::vector<std::string> strings = {"s0", "", "s2"};
    ironwal::id_range second = log.append_batch("b", strings);
    CHECK_EQ(second.first, 3);
    CHECK_EQ(second.next, 6);

    const std::vector<ironwal::bytes> vectors = {{1}, {2, 2}, {}, {4, 4, 4, 4}};
    ironwal::id_range third = log.append_batch("b", vectors);
    CHECK_EQ(third.first, 6);
    CHECK_EQ(third.count(), 4);

    const std::array<ironwal::bytes_view, 2> views = {ironwal::bytes_view("v0"),
                                                       ironwal::bytes_view(strings[2])};
    ironwal::id_range fourth = log.append_batch("b", views.data(), views.size());
    CHECK_EQ(fourth.first, 10);
    CHECK_EQ(fourth.count(), 2);

    // An empty batch writes nothing and gives the next id.
    ironwal::id_range empty = log.append_batch("b", std::vector<std::string>());
    CHECK_EQ(empty.first, 12);
    CHECK(empty.empty());
    CHECK(log.append_batch("b", {}).empty());
    CHECK_EQ(log.append("b", "after"), 12);

    const std::vector<std::string> want = {"Transaction Start", "Update A", "Update B",
                                           "s0", "", "s2"};
    for (std::size_t i = 0; i < want.size(); i++) {
        CHECK_BYTES(log.get("b", i), want[i]);
    }
    for (std::size_t i = 0; i < vectors.size(); i++) {
        CHECK_BYTES(log.get("b", 6 + i), vectors[i]);
    }
    CHECK_BYTES(log.get("b", 10), "v0");
    CHECK_BYTES(log.get("b", 11), "s2");
    std::optional<ironwal::id_range> bounds = log.bounds("b");
    CHECK(bounds.has_value() && bounds->first == 0 && bounds->next == 13);

    // A rejected batch writes nothing.
    CHECK_THROWS(log.append_batch("", {"x"}), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_EQ(log.bounds("b")->next, 13);
}

static void test_sync_truncate_reopen(const cpptest::scratch &dir) {
    const std::string root = dir.path("truncate");
    {
        ironwal::wal log{
            ironwal::options(root).sync_mode(sync_mode::async).max_entries_per_segment(4)};
        for (std::uint64_t i = 0; i < 20; i++) {
            CHECK_EQ(log.append("big", pattern(i)), i);
        }
        CHECK_NOTHROW(log.sync("big"));
        CHECK_NOTHROW(log.sync_all());
        CHECK_THROWS(log.sync("missing"), IRONWAL_ERR_STREAM_NOT_FOUND);
        CHECK_THROWS(log.sync(""), IRONWAL_ERR_INVALID_ARGUMENT);

        // Segments hold ids [0,4) [4,8) [8,12) [12,16) [16,20): below 10, two go.
        CHECK_EQ(log.truncate("big", 10), 2);
        CHECK_EQ(log.truncate("big", 10), 0);
        CHECK_EQ(log.truncate("missing", 100), 0);
        std::optional<ironwal::id_range> bounds = log.bounds("big");
        CHECK(bounds.has_value() && bounds->first == 8 && bounds->next == 20);
        CHECK(!log.try_get("big", 7).has_value());
        CHECK_BYTES(log.get("big", 8), pattern(8));
        // The active segment is never deleted.
        CHECK_EQ(log.truncate("big", UINT64_MAX), 2);
        CHECK_EQ(log.bounds("big")->first, 16);
    }
    // Reopened: what was retained is there and ids go on.
    ironwal::wal log{ironwal::options(root).sync_mode(sync_mode::strict)};
    std::optional<ironwal::id_range> bounds = log.bounds("big");
    CHECK(bounds.has_value() && bounds->first == 16 && bounds->next == 20);
    for (std::uint64_t i = 16; i < 20; i++) {
        CHECK_BYTES(log.get("big", i), pattern(i));
    }
    CHECK_EQ(log.append("big", pattern(20)), 20);
    CHECK_BYTES(log.get("big", 20), pattern(20));
}

static void test_lz4_mmap_cache(const cpptest::scratch &dir) {
    const std::string root = dir.path("lz4");
    auto opts = ironwal::options(root)
                    .sync_mode(sync_mode::async)
                    .compression(ironwal::compression::lz4)
                    .min_compression_size(16)
                    .read_strategy(ironwal::read_strategy::mmap)
                    .block_cache_size(1 << 20)
                    .max_entries_per_segment(8);
    const std::string compressible(5000, 'z');
    {
        ironwal::wal log(opts);
        for (std::uint64_t i = 0; i < 30; i++) {
            CHECK_EQ(log.append("z", compressible + std::to_string(i)), i);
        }
        CHECK_EQ(log.append_batch("z", {compressible, "tiny"}).first, 30);
        // Sealed (mmap'd) and active segments, twice (the second time from the cache).
        for (int round = 0; round < 2; round++) {
            for (std::uint64_t i = 0; i < 30; i++) {
                CHECK_BYTES(log.get("z", i), compressible + std::to_string(i));
            }
        }
    }
    ironwal::wal log(opts);
    CHECK_BYTES(log.get("z", 3), compressible + "3");
    CHECK_BYTES(log.get("z", 30), compressible);
    CHECK_BYTES(log.get("z", 31), "tiny");
}

static void run(const cpptest::scratch &dir) {
    test_round_trips(dir);
    test_batches(dir);
    test_sync_truncate_reopen(dir);
    test_lz4_mmap_cache(dir);
}

CPPTEST_MAIN("readwrite")
