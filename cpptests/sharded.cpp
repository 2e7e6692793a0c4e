/*
 * sharded: ironwal::sharded_wal and ironwal::checkpoint. Opening (shard count 0,
 * SHARD_COUNT_MISMATCH, LOCKED), routing (the vectors of docs/SHARDED_WAL.md), appends and
 * batches (positions in input order, ids dense per shard, read back per shard),
 * checkpoints (errors when there are none, ids as arbitrary bytes of 1..65535, offsets =
 * each shard's next id, iterating from a checkpoint, reuse of an id, latest), prune,
 * compaction, reopening, checkpoints and iterators outliving the sharded_wal, moves, and
 * 4 threads appending through one handle while checkpoints are taken.
 */
#include "check.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using ironwal::sync_mode;

/// What each shard should hold: the values appended, by id. Every append goes through
/// it, so reads can be checked against it.
struct model {
    std::vector<std::vector<std::string>> shards;

    explicit model(std::uint16_t count) : shards(count) {}

    /// Records a value at the position the library returned; checks the id is the
    /// shard's next one.
    void add(ironwal::position at, const std::string &value) {
        if (!CHECK(at.shard < shards.size())) {
            return;
        }
        CHECK_EQ(at.id, shards[at.shard].size());
        shards[at.shard].push_back(value);
    }

    void append(ironwal::sharded_wal &sh, const std::string &key, const std::string &value) {
        add(sh.append(key, value), value);
    }

    /// Every shard holds exactly what was recorded, from `from[s]` on.
    void check(ironwal::sharded_wal &sh, const std::vector<std::uint64_t> &from = {}) const {
        for (std::uint16_t s = 0; s < shards.size(); s++) {
            std::uint64_t id = from.empty() ? 0 : from[s];
            for (auto &e : sh.iter(s, id)) {
                if (!CHECK_EQ(e.id, id) || !CHECK(id < shards[s].size()) ||
                    !CHECK_BYTES(e.data, shards[s][id])) {
                    std::printf("  shard %u, id %llu\n", s, static_cast<unsigned long long>(id));
                    return;
                }
                id++;
            }
            CHECK_EQ(id, shards[s].size());
        }
    }

    std::vector<std::uint64_t> next_ids() const {
        std::vector<std::uint64_t> next;
        for (const auto &shard : shards) {
            next.push_back(shard.size());
        }
        return next;
    }
};

static ironwal::options async_options(const std::string &root) {
    return ironwal::options(root).sync_mode(sync_mode::async);
}

static void test_open(const cpptest::scratch &dir) {
    const std::string root = dir.path("open");
    const auto opts = async_options(root);
    CHECK_THROWS(ironwal::sharded_wal(opts, 0), IRONWAL_ERR_INVALID_ARGUMENT);
    {
        ironwal::sharded_wal sh(opts, 4);
        CHECK_EQ(sh.shard_count(), 4);
        CHECK_EQ(sh.checkpoint_count(), 0);
        CHECK_THROWS(ironwal::sharded_wal(opts, 4), IRONWAL_ERR_LOCKED);
        CHECK_THROWS(ironwal::wal{opts}, IRONWAL_ERR_LOCKED);
        // No checkpoints yet.
        CHECK_THROWS(sh.load_latest_checkpoint(), IRONWAL_ERR_NO_CHECKPOINTS);
        CHECK_THROWS(sh.load_checkpoint("nope"), IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
        CHECK_THROWS(sh.prune_before_checkpoint("nope"), IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
        ironwal::compaction_stats none = sh.compact_checkpoints(3);
        CHECK_EQ(none.checkpoints_before, 0);
        CHECK_EQ(none.checkpoints_after, 0);
        // Shards are 0..3.
        CHECK(sh.iter(3).next() == nullptr);
        CHECK_THROWS(sh.iter(4), IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK_THROWS(sh.iter(UINT16_MAX, 0), IRONWAL_ERR_INVALID_ARGUMENT);
        sh.append("k", "v");
    }
    // The shard count is recorded on disk.
    CHECK_THROWS(ironwal::sharded_wal(opts, 5), IRONWAL_ERR_SHARD_COUNT_MISMATCH);
    CHECK_THROWS(ironwal::sharded_wal(opts, 1), IRONWAL_ERR_SHARD_COUNT_MISMATCH);
    ironwal::sharded_wal sh(opts, 4);
    CHECK_EQ(sh.shard_count(), 4);
}

static void test_routing_and_batches(const cpptest::scratch &dir) {
    ironwal::sharded_wal sh(async_options(dir.path("routing")), 16);
    model m(16);

    // The documented vectors: fmix64(fnv1a64(key)) % 16.
    ironwal::position at = sh.append("user_123", "profile");
    CHECK(at == (ironwal::position{13, 0}));
    m.add(at, "profile");
    at = sh.append("user_124", "other");
    CHECK(at == (ironwal::position{11, 0}));
    m.add(at, "other");
    at = sh.append("", "empty key");
    CHECK_EQ(at.shard, 6);
    m.add(at, "empty key");
    // The same key always reaches the same shard, with the shard's next id.
    at = sh.append("user_123", "again");
    CHECK(at == (ironwal::position{13, 1}));
    m.add(at, "again");

    for (int i = 0; i < 100; i++) {
        m.append(sh, "key_" + std::to_string(i), "value_" + std::to_string(i));
    }

    // Batches: positions in input order, ids dense per shard (also for a key that
    // repeats within the batch).
    std::vector<ironwal::position> listed =
        sh.append_batch({{"user_123", "b0"}, {"user_124", "b1"}, {"user_123", "b2"}});
    REQUIRE(listed.size() == 3);
    const std::uint64_t next_13 = m.shards[13].size();
    const std::uint64_t next_11 = m.shards[11].size();
    CHECK(listed[0] == (ironwal::position{13, next_13}));
    CHECK(listed[1] == (ironwal::position{11, next_11}));
    CHECK(listed[2] == (ironwal::position{13, next_13 + 1}));
    m.add(listed[0], "b0");
    m.add(listed[1], "b1");
    m.add(listed[2], "b2");

    std::vector<std::pair<std::string, std::string>> batch;
    for (std::size_t i = 0; i < 200; i++) {
        batch.emplace_back("batch_" + std::to_string(i % 50), std::string(i % 13, 'x'));
    }
    std::vector<ironwal::position> where = sh.append_batch(batch);
    REQUIRE(where.size() == batch.size());
    for (std::size_t i = 0; i < batch.size(); i++) {
        m.add(where[i], batch[i].second);
    }
    CHECK(sh.append_batch(std::vector<std::pair<std::string, std::string>>()).empty());
    m.check(sh);
}

static void test_checkpoints(const cpptest::scratch &dir) {
    const std::string root = dir.path("checkpoints");
    const auto opts = async_options(root);
    model m(4);
    std::vector<std::uint64_t> at_first;
    const std::string binary_id("cp\0two", 6);
    {
        ironwal::sharded_wal sh(opts, 4);
        for (int i = 0; i < 40; i++) {
            m.append(sh, "k" + std::to_string(i), "v" + std::to_string(i));
        }
        sh.create_checkpoint("cp-1");
        CHECK_EQ(sh.checkpoint_count(), 1);
        at_first = m.next_ids();

        ironwal::checkpoint cp = sh.load_checkpoint("cp-1");
        CHECK(static_cast<bool>(cp));
        CHECK_BYTES(cp.id(), "cp-1");
        CHECK_EQ(cp.shard_count(), 4);
        CHECK(cp.offsets() == at_first);
        for (std::uint16_t s = 0; s < 4; s++) {
            CHECK_EQ(cp.offset(s), at_first[s]);
        }
        CHECK_THROWS(cp.offset(4), IRONWAL_ERR_INVALID_ARGUMENT);
        // Nanoseconds since the epoch, within a day of now.
        const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        const std::int64_t day = 86400LL * 1000000000LL;
        CHECK(cp.timestamp() > 0);
        CHECK(static_cast<std::int64_t>(cp.timestamp()) > now - day &&
              static_cast<std::int64_t>(cp.timestamp()) < now + day);

        // More entries, a second checkpoint with a binary id: the latest.
        for (int i = 40; i < 70; i++) {
            m.append(sh, "k" + std::to_string(i), "v" + std::to_string(i));
        }
        sh.create_checkpoint(binary_id);
        ironwal::checkpoint latest = sh.load_latest_checkpoint();
        CHECK_BYTES(latest.id(), binary_id);
        CHECK(latest.offsets() == m.next_ids());
        // Iterating each shard from the first checkpoint yields exactly what came after.
        m.check(sh, cp.offsets());

        // Ids of 1..65535 bytes; others are rejected.
        CHECK_THROWS(sh.create_checkpoint(""), IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK_THROWS(sh.create_checkpoint(std::string(65536, 'i')), IRONWAL_ERR_INVALID_ARGUMENT);
        const std::string longest(65535, 'i');
        sh.create_checkpoint(longest);
        CHECK_BYTES(sh.load_checkpoint(longest).id(), longest);
        CHECK_EQ(sh.checkpoint_count(), 3);

        // Reusing an id replaces the older checkpoint of that id and makes it the latest.
        m.append(sh, "reuse", "r");
        sh.create_checkpoint("cp-1");
        CHECK_EQ(sh.checkpoint_count(), 3);
        CHECK(sh.load_checkpoint("cp-1").offsets() == m.next_ids());
        CHECK_BYTES(sh.load_latest_checkpoint().id(), "cp-1");
        // The old copy is a copy: it still says what it said.
        CHECK(cp.offsets() == at_first);
    }
    // Reopened: the checkpoints and the data are there.
    ironwal::sharded_wal sh(opts, 4);
    CHECK_EQ(sh.checkpoint_count(), 3);
    CHECK_BYTES(sh.load_latest_checkpoint().id(), "cp-1");
    CHECK(sh.load_checkpoint("cp-1").offsets() == m.next_ids());
    CHECK_BYTES(sh.load_checkpoint(binary_id).id(), binary_id);
    m.check(sh);

    // Compaction keeps the most recent ones.
    ironwal::compaction_stats stats = sh.compact_checkpoints(1);
    CHECK_EQ(stats.checkpoints_before, 3);
    CHECK_EQ(stats.checkpoints_after, 1);
    CHECK(stats.bytes_reclaimed > 0);
    CHECK_EQ(sh.checkpoint_count(), 1);
    CHECK_THROWS(sh.load_checkpoint(binary_id), IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK_BYTES(sh.load_latest_checkpoint().id(), "cp-1");
}

static void test_prune(const cpptest::scratch &dir) {
    ironwal::sharded_wal sh(async_options(dir.path("prune")).max_entries_per_segment(4), 2);
    model m(2);
    for (int i = 0; i < 60; i++) {
        m.append(sh, "p" + std::to_string(i), "value " + std::to_string(i));
    }
    sh.create_checkpoint("snap");
    for (int i = 60; i < 70; i++) {
        m.append(sh, "p" + std::to_string(i), "value " + std::to_string(i));
    }
    ironwal::prune_stats pruned = sh.prune_before_checkpoint("snap");
    CHECK(pruned.shards_pruned >= 1 && pruned.shards_pruned <= 2);
    CHECK(pruned.segments_deleted >= 2);
    // Everything from the checkpoint on is still there; entries before it may be gone,
    // and an iterator from 0 starts at the first retained one, at most at the offset.
    ironwal::checkpoint snap = sh.load_checkpoint("snap");
    m.check(sh, snap.offsets());
    std::size_t gone = 0;
    for (std::uint16_t s = 0; s < 2; s++) {
        ironwal::iterator it = sh.iter(s, 0);
        const ironwal::entry *first = it.next();
        REQUIRE(first != nullptr);
        CHECK(first->id <= snap.offset(s));
        gone += static_cast<std::size_t>(first->id);
    }
    CHECK_EQ(gone, pruned.segments_deleted * 4);
    CHECK_EQ(sh.prune_before_checkpoint("snap").segments_deleted, 0);
}

// Checkpoints and iterators outlive their sharded_wal; moved-from handles are inert.
static void test_lifetimes_and_moves(const cpptest::scratch &dir) {
    const std::string root = dir.path("lifetimes");
    const auto opts = async_options(root);
    model m(3);
    ironwal::checkpoint cp;
    ironwal::iterator it;
    {
        ironwal::sharded_wal sh(opts, 3);
        for (int i = 0; i < 30; i++) {
            m.append(sh, "l" + std::to_string(i), "life " + std::to_string(i));
        }
        sh.create_checkpoint("kept");
        cp = sh.load_checkpoint("kept");
        it = sh.iter(0, 0);

        // Moves.
        ironwal::sharded_wal moved(std::move(sh));
        CHECK(!static_cast<bool>(sh));
        CHECK_EQ(sh.shard_count(), 0);
        CHECK_EQ(sh.checkpoint_count(), 0);
        CHECK_THROWS(sh.append("k", "v"), IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK_THROWS(sh.append_batch({{"k", "v"}}), IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK_THROWS(sh.create_checkpoint("x"), IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK_THROWS(sh.load_latest_checkpoint(), IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK_THROWS(sh.iter(0), IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK_EQ(moved.shard_count(), 3);
        CHECK_EQ(moved.checkpoint_count(), 1);

        ironwal::checkpoint other = moved.load_latest_checkpoint();
        ironwal::checkpoint taken(std::move(other));
        CHECK(!static_cast<bool>(other));
        CHECK(other.id().empty());
        CHECK_BYTES(taken.id(), "kept");
        // Move assignment over a live checkpoint frees it (a leak shows under
        // ASan/valgrind).
        taken = std::move(cp);
        cp = std::move(taken);
        CHECK(!static_cast<bool>(taken));
        CHECK_BYTES(cp.id(), "kept");

        // Move assignment over a live sharded_wal closes it: its root opens again.
        const auto other_opts = async_options(dir.path("lifetimes-other"));
        ironwal::sharded_wal replaced(other_opts, 2);
        replaced = std::move(moved);
        CHECK_EQ(replaced.shard_count(), 3);
        CHECK_NOTHROW(ironwal::sharded_wal(other_opts, 2));
        moved = std::move(replaced);
    } // the sharded_wal is destroyed before the checkpoint and the iterator
    CHECK_BYTES(cp.id(), "kept");
    CHECK_EQ(cp.shard_count(), 3);
    CHECK(cp.offsets() == m.next_ids());
    std::uint64_t n = 0;
    for (auto &e : it) {
        CHECK_BYTES(e.data, m.shards[0][e.id]);
        n++;
    }
    CHECK_EQ(n, m.shards[0].size());
    // The root is free again.
    ironwal::sharded_wal reopened(opts, 3);
    m.check(reopened);
}

// Threads append through one handle while checkpoints are taken: every append lands
// once, and each checkpoint's offsets are between the previous one's and the end.
static void test_threads(const cpptest::scratch &dir) {
    enum { THREADS = 4, EACH = 100, CHECKPOINTS = 5 };
    ironwal::sharded_wal sh(async_options(dir.path("threads")), 4);
    model m(4);
    std::mutex model_lock;
    std::vector<std::thread> threads;
    for (unsigned k = 0; k < THREADS; k++) {
        threads.emplace_back([&, k] {
            for (unsigned n = 0; n < EACH; n++) {
                const std::string value = std::to_string(k) + "/" + std::to_string(n);
                try {
                    ironwal::position at = sh.append("thread" + value, value);
                    std::lock_guard<std::mutex> guard(model_lock);
                    if (!CHECK(at.shard < m.shards.size())) {
                        continue;
                    }
                    m.shards[at.shard].resize(std::max<std::size_t>(m.shards[at.shard].size(), at.id + 1));
                    m.shards[at.shard][at.id] = value;
                } catch (const std::exception &e) {
                    CHECK(!"an append threw");
                    std::printf("  %s\n", e.what());
                }
            }
        });
    }
    std::vector<std::vector<std::uint64_t>> cuts;
    for (int c = 0; c < CHECKPOINTS; c++) {
        sh.create_checkpoint("t" + std::to_string(c));
        cuts.push_back(sh.load_checkpoint("t" + std::to_string(c)).offsets());
        std::this_thread::yield();
    }
    for (auto &t : threads) {
        t.join();
    }
    std::uint64_t total = 0;
    for (const auto &shard : m.shards) {
        total += shard.size();
    }
    CHECK_EQ(total, THREADS * EACH);
    const std::vector<std::uint64_t> end = m.next_ids();
    for (std::size_t c = 0; c < cuts.size(); c++) {
        for (std::uint16_t s = 0; s < 4; s++) {
            CHECK(cuts[c][s] <= end[s]);
            CHECK(c == 0 || cuts[c - 1][s] <= cuts[c][s]);
        }
    }
    m.check(sh);
}

static void run(const cpptest::scratch &dir) {
    test_open(dir);
    test_routing_and_batches(dir);
    test_checkpoints(dir);
    test_prune(dir);
    test_lifetimes_and_moves(dir);
    test_threads(dir);
}

CPPTEST_MAIN("sharded")
