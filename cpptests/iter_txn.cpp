/*
 * iter_txn: iterators and transactions through the C++ wrapper. Range-for over a
 * stream (from 0, the middle, a segment boundary, past the end, a missing stream, across
 * segments, after a reopen), next(), a loop left early and resumed, standard
 * algorithms, entries appended after the iterator was made, moved iterators; commit,
 * ALREADY_USED, discarding on destruction, empty commits; and the destruction order
 * rules: iterators and transactions outlive their wal (a transaction keeps the root
 * locked until destroyed).
 */
#include "check.hpp"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#if __cplusplus >= 202002L
#include <ranges>
#endif

using ironwal::sync_mode;

// A cursor is a standard input iterator; in C++20 the iterator is an input range.
static_assert(std::is_same_v<std::iterator_traits<ironwal::iterator::cursor>::iterator_category,
                             std::input_iterator_tag>);
#if __cplusplus >= 202002L
static_assert(std::input_iterator<ironwal::iterator::cursor>);
static_assert(std::ranges::input_range<ironwal::iterator>);
#endif

/// Entry i: "entry-<i>" and i % 7 '#'s; entry 5 is empty.
static std::string payload(std::uint64_t i) {
    if (i == 5) {
        return "";
    }
    return "entry-" + std::to_string(i) + std::string(i % 7, '#');
}

/// Iterates to the end with range-for: ids from..end-1 in order, with their payloads.
static void check_range(ironwal::iterator it, std::uint64_t from, std::uint64_t end) {
    std::uint64_t expect = from;
    for (auto &e : it) {
        if (!CHECK_EQ(e.id, expect) || !CHECK_BYTES(e.data, payload(expect))) {
            return;
        }
        expect++;
    }
    CHECK_EQ(expect, end);
    // At its end it stays there.
    CHECK(it.next() == nullptr);
    CHECK(it.begin() == it.end());
}

static void append_payloads(ironwal::wal &log, std::uint64_t from, std::uint64_t end) {
    for (std::uint64_t i = from; i < end; i++) {
        CHECK_EQ(log.append("it", payload(i)), i);
    }
}

static void test_iteration(const cpptest::scratch &dir) {
    const std::string root = dir.path("iter");
    auto opts = ironwal::options(root).sync_mode(sync_mode::async).max_entries_per_segment(4);
    {
        ironwal::wal log(opts);
        append_payloads(log, 0, 18);

        // Across 5 segments, from the middle of one, from a boundary, past the end.
        check_range(log.iter("it", 0), 0, 18);
        check_range(log.iter("it"), 0, 18);
        check_range(log.iter("it", 7), 7, 18);
        check_range(log.iter("it", 12), 12, 18);
        check_range(log.iter("it", 18), 18, 18);
        check_range(log.iter("it", UINT64_MAX), 18, 18);
        // A missing stream iterates nothing and is not created.
        check_range(log.iter("missing", 0), 0, 0);
        CHECK(!log.bounds("missing").has_value());
        CHECK_THROWS(log.iter("", 0), IRONWAL_ERR_INVALID_ARGUMENT);

        // The brief's form: `auto &entry` over a temporary iterator.
        std::uint64_t seen = 0;
        for (auto &entry : log.iter("it", 1)) {
            CHECK_EQ(entry.id, seen + 1);
            seen++;
        }
        CHECK_EQ(seen, 17);

        // next(): a borrowed entry, then nullptr at the end.
        ironwal::iterator it = log.iter("it", 16);
        const ironwal::entry *e = it.next();
        REQUIRE(e != nullptr);
        CHECK_EQ(e->id, 16);
        CHECK_BYTES(e->data, payload(16));
        e = it.next();
        REQUIRE(e != nullptr);
        CHECK_EQ(e->id, 17);
        CHECK(it.next() == nullptr);
        CHECK(it.next() == nullptr);
        // ... and it sees entries appended after it was made.
        append_payloads(log, 18, 22);
        e = it.next();
        CHECK(e != nullptr && e->id == 18);
        check_range(std::move(it), 19, 22);

        // A loop left early resumes where it stopped (single pass).
        ironwal::iterator partial = log.iter("it", 0);
        for (auto &entry : partial) {
            if (entry.id == 9) {
                break;
            }
        }
        check_range(std::move(partial), 10, 22);

        // Standard algorithms over the cursors.
        ironwal::iterator counted = log.iter("it", 0);
        auto with_hash = std::count_if(counted.begin(), counted.end(), [](const ironwal::entry &x) {
            return x.data.as_string_view().find('#') != std::string_view::npos;
        });
        CHECK_EQ(with_hash, 17); // ids 0..21 but the multiples of 7 and the empty entry 5

        // A moved iterator continues from the same place; the source is inert.
        ironwal::iterator source = log.iter("it", 3);
        CHECK(source.next() != nullptr);
        ironwal::iterator target = std::move(source);
        CHECK(!static_cast<bool>(source));
        CHECK_THROWS(source.next(), IRONWAL_ERR_INVALID_ARGUMENT);
        ironwal::iterator assigned = log.iter("it", 0);
        assigned = std::move(target);
        check_range(std::move(assigned), 4, 22);
    }
    // After a reopen, everything is there in order.
    ironwal::wal log(opts);
    check_range(log.iter("it", 0), 0, 22);
}

static void test_transactions(const cpptest::scratch &dir) {
    ironwal::wal log{ironwal::options(dir.path("txn")).sync_mode(sync_mode::strict)};
    CHECK_EQ(log.append("t", "before"), 0);

    ironwal::transaction txn = log.begin_transaction("t");
    CHECK(static_cast<bool>(txn));
    std::string changing = "first";
    txn.add(changing);
    changing = "changed after add"; // the transaction holds a copy
    txn.add(ironwal::bytes{0, 1, 2});
    txn.add("");
    // Nothing is visible before the commit.
    CHECK_EQ(log.bounds("t")->next, 1);
    ironwal::id_range committed = txn.commit();
    CHECK_EQ(committed.first, 1);
    CHECK_EQ(committed.next, 4);
    CHECK_BYTES(log.get("t", 1), "first");
    CHECK_BYTES(log.get("t", 2), ironwal::bytes({0, 1, 2}));
    CHECK(log.get("t", 3).empty());
    // Once only.
    CHECK_THROWS(txn.commit(), IRONWAL_ERR_ALREADY_USED);
    CHECK_THROWS(txn.add("late"), IRONWAL_ERR_ALREADY_USED);
    CHECK_EQ(log.bounds("t")->next, 4);

    // Destroyed without a commit: its entries are discarded.
    {
        ironwal::transaction dropped = log.begin_transaction("t");
        dropped.add("never written");
    }
    CHECK_EQ(log.bounds("t")->next, 4);

    // An empty commit gives the next id and writes nothing.
    ironwal::transaction empty = log.begin_transaction("t");
    ironwal::id_range none = empty.commit();
    CHECK_EQ(none.first, 4);
    CHECK(none.empty());
    CHECK_EQ(log.append("t", "after"), 4);

    // Moves: the moved-from transaction is inert, the moved-to one commits.
    ironwal::transaction a = log.begin_transaction("moved");
    a.add("m0");
    ironwal::transaction b(std::move(a));
    CHECK(!static_cast<bool>(a));
    CHECK_THROWS(a.add("x"), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_THROWS(a.commit(), IRONWAL_ERR_INVALID_ARGUMENT);
    b.add("m1");
    ironwal::transaction c = log.begin_transaction("moved");
    c.add("discarded by the move assignment");
    c = std::move(b);
    CHECK_EQ(c.commit().count(), 2);
    CHECK_BYTES(log.get("moved", 0), "m0");
    CHECK_BYTES(log.get("moved", 1), "m1");
    CHECK(!log.try_get("moved", 2).has_value());

    CHECK_THROWS(log.begin_transaction(""), IRONWAL_ERR_INVALID_ARGUMENT);
}

// Iterators and transactions outlive their wal, destroyed in either order.
static void test_destruction_order(const cpptest::scratch &dir) {
    const std::string root = dir.path("order");
    auto opts = ironwal::options(root).sync_mode(sync_mode::async);
    ironwal::iterator it;
    ironwal::transaction txn;
    ironwal::transaction pending;
    {
        ironwal::wal log(opts);
        append_payloads(log, 0, 6);
        it = log.iter("it", 0);
        txn = log.begin_transaction("it");
        pending = log.begin_transaction("it");
        pending.add("discarded");
        CHECK(it.next() != nullptr);
    } // the wal is destroyed first
    // The iterator reads on; the transaction adds and commits.
    const ironwal::entry *e = it.next();
    CHECK(e != nullptr && e->id == 1);
    txn.add(payload(6));
    txn.add(payload(7));
    ironwal::id_range committed = txn.commit();
    CHECK_EQ(committed.first, 6);
    CHECK_EQ(committed.count(), 2);
    // The iterator sees what its transaction committed.
    check_range(std::move(it), 2, 8);
    // While an uncommitted transaction lives the root stays locked; once it is
    // destroyed (discarding its entry) the root opens.
    CHECK_THROWS(ironwal::wal{opts}, IRONWAL_ERR_LOCKED);
    pending = ironwal::transaction();
    txn = ironwal::transaction();
    ironwal::wal log(opts);
    check_range(log.iter("it", 0), 0, 8);

    // The other order: transaction and iterator destroyed before the wal.
    ironwal::iterator early = log.iter("it", 0);
    ironwal::transaction early_txn = log.begin_transaction("it");
    early_txn.add("discarded");
    early_txn = ironwal::transaction();
    early = ironwal::iterator();
    log.close();
    CHECK_NOTHROW(ironwal::wal{opts});
}

static void run(const cpptest::scratch &dir) {
    test_iteration(dir);
    test_transactions(dir);
    test_destruction_order(dir);
}

CPPTEST_MAIN("iter_txn")
