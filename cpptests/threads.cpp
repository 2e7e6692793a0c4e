/*
 * threads: one ironwal::wal shared by std::threads. Concurrent appends get unique,
 * dense ids (each thread's in increasing order) and read back as written; concurrent
 * batches stay contiguous; Strict appends share fsyncs and lose nothing; readers
 * iterating while writers append see dense ids in order; each thread's exceptions
 * carry that thread's own message.
 */
#include "check.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using ironwal::sync_mode;

enum { WRITERS = 8, APPENDS_PER_WRITER = 150, BATCHERS = 4, BATCHES = 20, BATCH_SIZE = 5 };

static std::string payload(unsigned thread, unsigned n) {
    return "t" + std::to_string(thread) + "-" + std::to_string(n);
}

/// Runs `body(k)` on `count` threads at once; an exception escaping a thread is a
/// failed check.
static void on_threads(unsigned count, const std::function<void(unsigned)> &body) {
    std::vector<std::thread> threads;
    for (unsigned k = 0; k < count; k++) {
        threads.emplace_back([&body, k] {
            try {
                body(k);
            } catch (const std::exception &e) {
                CHECK(!"an exception escaped a thread");
                std::printf("  thread %u: %s\n", k, e.what());
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
}

/// The ids are exactly 0..ids.size()-1 once sorted.
static void check_dense(std::vector<std::uint64_t> ids) {
    std::sort(ids.begin(), ids.end());
    for (std::size_t i = 0; i < ids.size(); i++) {
        if (!CHECK_EQ(ids[i], i)) {
            return;
        }
    }
}

static void test_appends_and_readers(const cpptest::scratch &dir) {
    ironwal::wal log{ironwal::options(dir.path("appends")).sync_mode(sync_mode::async)};
    std::vector<std::vector<std::uint64_t>> ids(WRITERS);

    // Writers and two readers at once: a reader iterates from 0 until it has seen
    // every entry, and must see dense ids in order.
    const std::uint64_t total = WRITERS * APPENDS_PER_WRITER;
    std::atomic<unsigned> writers_done{0};
    on_threads(WRITERS + 2, [&](unsigned k) {
        if (k < WRITERS) {
            for (unsigned n = 0; n < APPENDS_PER_WRITER; n++) {
                ids[k].push_back(log.append("shared", payload(k, n)));
            }
            writers_done++;
            return;
        }
        std::uint64_t next = 0;
        for (;;) {
            // Read after the writers are done: the last pass then sees everything.
            bool last_pass = writers_done == WRITERS;
            for (auto &e : log.iter("shared", next)) {
                if (!CHECK_EQ(e.id, next)) {
                    return;
                }
                next++;
            }
            if (last_pass) {
                break;
            }
            std::this_thread::yield();
        }
        CHECK_EQ(next, total);
    });

    std::vector<std::uint64_t> all;
    for (unsigned k = 0; k < WRITERS; k++) {
        CHECK(std::is_sorted(ids[k].begin(), ids[k].end()));
        for (unsigned n = 0; n < ids[k].size(); n++) {
            CHECK_BYTES(log.get("shared", ids[k][n]), payload(k, n));
        }
        all.insert(all.end(), ids[k].begin(), ids[k].end());
    }
    CHECK_EQ(all.size(), total);
    check_dense(all);
    CHECK_EQ(log.bounds("shared")->next, total);
}

static void test_batches(const cpptest::scratch &dir) {
    ironwal::wal log{ironwal::options(dir.path("batches")).sync_mode(sync_mode::batch_only)};
    std::vector<std::vector<ironwal::id_range>> ranges(BATCHERS);
    on_threads(BATCHERS, [&](unsigned k) {
        for (unsigned b = 0; b < BATCHES; b++) {
            std::vector<std::string> batch;
            for (unsigned i = 0; i < BATCH_SIZE; i++) {
                batch.push_back(payload(k, b * BATCH_SIZE + i));
            }
            ranges[k].push_back(log.append_batch("batches", batch));
        }
    });
    // Each batch is contiguous, in order, and the batches tile the stream.
    std::vector<std::uint64_t> all;
    for (unsigned k = 0; k < BATCHERS; k++) {
        for (unsigned b = 0; b < ranges[k].size(); b++) {
            const ironwal::id_range &range = ranges[k][b];
            CHECK_EQ(range.count(), BATCH_SIZE);
            for (std::uint64_t id = range.first; id < range.next; id++) {
                CHECK_BYTES(log.get("batches", id),
                            payload(k, b * BATCH_SIZE + static_cast<unsigned>(id - range.first)));
                all.push_back(id);
            }
        }
    }
    CHECK_EQ(all.size(), BATCHERS * BATCHES * BATCH_SIZE);
    check_dense(all);
}

static void test_strict_and_reopen(const cpptest::scratch &dir) {
    const std::string root = dir.path("strict");
    enum { THREADS = 4, EACH = 25 };
    {
        ironwal::wal log{ironwal::options(root).sync_mode(sync_mode::strict)};
        on_threads(THREADS, [&](unsigned k) {
            // Each thread its own stream and one shared stream.
            const std::string own = "own-" + std::to_string(k);
            for (unsigned n = 0; n < EACH; n++) {
                CHECK_EQ(log.append(own, payload(k, n)), n);
                log.append("strict", payload(k, n));
            }
        });
    }
    ironwal::wal log(root);
    CHECK_EQ(log.bounds("strict")->next, THREADS * EACH);
    for (unsigned k = 0; k < THREADS; k++) {
        const std::string own = "own-" + std::to_string(k);
        std::uint64_t n = 0;
        for (auto &e : log.iter(own)) {
            CHECK_BYTES(e.data, payload(k, static_cast<unsigned>(n)));
            n++;
        }
        CHECK_EQ(n, EACH);
    }
}

// The message of an ironwal::error is the one of the call that failed on its thread.
static void test_per_thread_errors(const cpptest::scratch &dir) {
    ironwal::wal log{ironwal::options(dir.path("errors")).sync_mode(sync_mode::async)};
    on_threads(WRITERS, [&](unsigned k) {
        const std::string missing = "missing-stream-" + std::to_string(k);
        for (int round = 0; round < 50; round++) {
            try {
                log.sync(missing);
                CHECK(!"sync of a missing stream succeeded");
            } catch (const ironwal::error &e) {
                CHECK_EQ(e.code(), IRONWAL_ERR_STREAM_NOT_FOUND);
                if (!CHECK(std::string(e.message()).find(missing) != std::string::npos)) {
                    std::printf("  thread %u got: %s\n", k, e.what());
                }
            }
            log.append("ok-" + std::to_string(k), "x");
        }
    });
}

static void run(const cpptest::scratch &dir) {
    test_appends_and_readers(dir);
    test_batches(dir);
    test_strict_and_reopen(dir);
    test_per_thread_errors(dir);
}

CPPTEST_MAIN("threads")
