/*
 * iter_txn: iteration across rotated segments with borrowed data, transactions
 * (commit once, ALREADY_USED, discard on free), and the lifetime rules: iterators and
 * transactions stay valid after ironwal_close (a txn keeps the root lock until freed).
 */
#include "check.h"

#define SENTINEL_ID UINT64_C(0xDEADBEEFCAFEF00D)
#define SENTINEL_LEN ((size_t)0x5EED)

/* Entry i: "entry-<i>" followed by i % 7 copies of '#', and entry 5 is empty. */
static size_t payload(char *out, size_t cap, uint64_t i) {
    int n;
    size_t k, len;
    if (i == 5) {
        out[0] = '\0';
        return 0;
    }
    n = snprintf(out, cap, "entry-%" PRIu64, i);
    len = n < 0 ? 0 : (size_t)n;
    for (k = 0; k < i % 7 && len + 1 < cap; k++) {
        out[len++] = '#';
    }
    out[len] = '\0';
    return len;
}

/* Reads the iterator to its end, checking ids from `from` and contents. Returns the
 * number of entries seen. */
static uint64_t drain(ironwal_iter *it, uint64_t from, uint64_t expect_end) {
    uint64_t id = SENTINEL_ID;
    const uint8_t *data = NULL;
    size_t len = SENTINEL_LEN;
    uint64_t expect = from, seen = 0;
    ironwal_status st;
    char want[64];
    while ((st = ironwal_iter_next(it, &id, &data, &len)) == IRONWAL_OK) {
        size_t n = payload(want, sizeof want, expect);
        CHECK_EQ(id, expect);
        CHECK(len == 0 || data != NULL);
        CHECK_BYTES(data, len, want, n);
        expect++;
        seen++;
    }
    CHECK_STATUS(st, IRONWAL_END);
    CHECK_EQ(expect, expect_end);
    return seen;
}

static void test_iteration(const char *root) {
    ironwal_options *opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    ironwal_wal *wal;
    ironwal_iter *it = NULL;
    ironwal_iter *sentinel = (ironwal_iter *)&it;
    char text[64];
    uint64_t id, i;
    const uint8_t *data;
    size_t len;

    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 4));
    wal = ct_open_with(opts);
    for (i = 0; i < 18; i++) {
        size_t n = payload(text, sizeof text, i);
        CHECK_OK(ironwal_append(wal, "it", CT_BYTES(text), n, &id));
        CHECK_EQ(id, i);
    }

    /* From 0 across 5 segments (4 sealed + the active one). */
    CHECK_OK(ironwal_iter_new(wal, "it", 0, &it));
    CHECK(it != NULL);
    CHECK_EQ(drain(it, 0, 18), 18);
    /* At its end it stays there: END again, out-params untouched. */
    id = SENTINEL_ID;
    data = (const uint8_t *)text;
    len = SENTINEL_LEN;
    CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    CHECK(id == SENTINEL_ID && data == (const uint8_t *)text && len == SENTINEL_LEN);
    ironwal_iter_free(it);

    /* From the middle of a segment, and from a segment boundary. */
    it = NULL;
    CHECK_OK(ironwal_iter_new(wal, "it", 7, &it));
    CHECK_EQ(drain(it, 7, 18), 11);
    ironwal_iter_free(it);
    it = NULL;
    CHECK_OK(ironwal_iter_new(wal, "it", 12, &it));
    CHECK_EQ(drain(it, 12, 18), 6);
    ironwal_iter_free(it);

    /* Borrowed data stays valid until the next call: keep two pointers apart. */
    it = NULL;
    CHECK_OK(ironwal_iter_new(wal, "it", 1, &it));
    if (CHECK_OK(ironwal_iter_next(it, &id, &data, &len))) {
        char copy[64];
        size_t n = payload(text, sizeof text, 1);
        CHECK_EQ(id, 1);
        /* Read the borrowed bytes several times before the next call. */
        memcpy(copy, data, len);
        CHECK_BYTES(data, len, text, n);
        CHECK_BYTES((const uint8_t *)copy, len, text, n);
    }
    ironwal_iter_free(it); /* free in the middle */

    /* At the next id, beyond it, and on a missing stream: END at once. */
    it = NULL;
    CHECK_OK(ironwal_iter_new(wal, "it", 18, &it));
    CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    ironwal_iter_free(it);
    it = NULL;
    CHECK_OK(ironwal_iter_new(wal, "it", 1000, &it));
    CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    ironwal_iter_free(it);
    it = NULL;
    CHECK_OK(ironwal_iter_new(wal, "it", UINT64_MAX, &it));
    CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    ironwal_iter_free(it);
    it = NULL;
    CHECK_OK(ironwal_iter_new(wal, "missing", 0, &it));
    CHECK(it != NULL);
    CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    ironwal_iter_free(it);
    /* ... and iterating a missing stream does not create it. */
    {
        uint64_t first = SENTINEL_ID, next = SENTINEL_ID;
        CHECK_STATUS(ironwal_bounds(wal, "missing", &first, &next), IRONWAL_NOT_FOUND);
    }
    /* An iterator made before a stream's first append follows it. */
    it = NULL;
    CHECK_OK(ironwal_iter_new(wal, "later", 0, &it));
    CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    CHECK_OK(ironwal_append(wal, "later", CT_BYTES("first"), 5, &id));
    id = SENTINEL_ID;
    if (CHECK_OK(ironwal_iter_next(it, &id, &data, &len))) {
        CHECK_EQ(id, 0);
        CHECK_BYTES(data, len, "first", 5);
    }
    CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    ironwal_iter_free(it);
    /* Invalid stream names: out untouched. */
    it = sentinel;
    CHECK_STATUS(ironwal_iter_new(wal, "", 0, &it), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(it == sentinel);

    /* An iterator sees entries appended after it was created. */
    it = NULL;
    CHECK_OK(ironwal_iter_new(wal, "it", 16, &it));
    for (i = 18; i < 22; i++) {
        size_t n = payload(text, sizeof text, i);
        CHECK_OK(ironwal_append(wal, "it", CT_BYTES(text), n, &id));
        CHECK_EQ(id, i);
    }
    CHECK_EQ(drain(it, 16, 22), 6);
    ironwal_iter_free(it);

    /* Two iterators on one stream interleaved. */
    {
        ironwal_iter *a = NULL, *b = NULL;
        uint64_t ida, idb;
        const uint8_t *pa, *pb;
        size_t la, lb;
        CHECK_OK(ironwal_iter_new(wal, "it", 0, &a));
        CHECK_OK(ironwal_iter_new(wal, "it", 10, &b));
        for (i = 0; i < 8; i++) {
            char wa[64], wb[64];
            size_t na = payload(wa, sizeof wa, i), nb = payload(wb, sizeof wb, 10 + i);
            CHECK_OK(ironwal_iter_next(a, &ida, &pa, &la));
            CHECK_OK(ironwal_iter_next(b, &idb, &pb, &lb));
            CHECK_EQ(ida, i);
            CHECK_EQ(idb, 10 + i);
            CHECK_BYTES(pa, la, wa, na);
            CHECK_BYTES(pb, lb, wb, nb);
        }
        ironwal_iter_free(b);
        ironwal_iter_free(a);
    }

    /* After truncate, iterating from 0 starts at the first retained entry. */
    {
        size_t deleted = 0;
        uint64_t first = 0, next = 0;
        CHECK_OK(ironwal_truncate(wal, "it", 9, &deleted));
        CHECK_EQ(deleted, 2); /* [0,4) and [4,8) */
        CHECK_OK(ironwal_bounds(wal, "it", &first, &next));
        CHECK_EQ(first, 8);
        CHECK_EQ(next, 22);
        it = NULL;
        CHECK_OK(ironwal_iter_new(wal, "it", 0, &it));
        CHECK_EQ(drain(it, 8, 22), 14);
        ironwal_iter_free(it);
        it = NULL;
        CHECK_OK(ironwal_iter_new(wal, "it", 3, &it));
        CHECK_EQ(drain(it, 8, 22), 14);
        ironwal_iter_free(it);
    }

    /* Reopen, then iterate everything again. */
    ironwal_close(wal);
    wal = ct_open_with(opts);
    it = NULL;
    CHECK_OK(ironwal_iter_new(wal, "it", 0, &it));
    CHECK_EQ(drain(it, 8, 22), 14);
    ironwal_iter_free(it);
    ironwal_close(wal);
    ironwal_iter_free(NULL);
    ironwal_options_free(opts);
}

static void test_txn(const char *root) {
    ironwal_wal *wal = ct_open(root, IRONWAL_SYNC_BATCH_ONLY);
    ironwal_txn *txn = NULL;
    ironwal_txn *sentinel = (ironwal_txn *)&txn;
    uint64_t first = SENTINEL_ID, count = SENTINEL_ID, next = SENTINEL_ID, id;
    ironwal_buf buf = {NULL, 0, 0};

    /* Commit three entries (one empty) on a new stream. */
    CHECK_OK(ironwal_txn_new(wal, "tx", &txn));
    CHECK(txn != NULL);
    CHECK_OK(ironwal_txn_add(txn, CT_BYTES("begin"), 5));
    CHECK_OK(ironwal_txn_add(txn, NULL, 0));
    CHECK_OK(ironwal_txn_add(txn, CT_BYTES("commit"), 6));
    /* Nothing is visible before commit. */
    CHECK_STATUS(ironwal_get(wal, "tx", 0, &buf), IRONWAL_NOT_FOUND);
    CHECK_OK(ironwal_txn_commit(txn, &first, &count));
    CHECK_EQ(first, 0);
    CHECK_EQ(count, 3);
    if (CHECK_OK(ironwal_get(wal, "tx", 0, &buf))) {
        CHECK_BYTES(buf.data, buf.len, "begin", 5);
    }
    ironwal_buf_free(&buf);
    if (CHECK_OK(ironwal_get(wal, "tx", 1, &buf))) {
        CHECK_EQ(buf.len, 0);
    }
    ironwal_buf_free(&buf);
    if (CHECK_OK(ironwal_get(wal, "tx", 2, &buf))) {
        CHECK_BYTES(buf.data, buf.len, "commit", 6);
    }
    ironwal_buf_free(&buf);

    /* Once only: commit and add after commit are ALREADY_USED, outs untouched. */
    first = count = SENTINEL_ID;
    CHECK_STATUS(ironwal_txn_commit(txn, &first, &count), IRONWAL_ERR_ALREADY_USED);
    CHECK(first == SENTINEL_ID && count == SENTINEL_ID);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK_STATUS(ironwal_txn_add(txn, CT_BYTES("late"), 4), IRONWAL_ERR_ALREADY_USED);
    CHECK_STATUS(ironwal_txn_commit(txn, &first, &count), IRONWAL_ERR_ALREADY_USED);
    ironwal_txn_free(txn);
    CHECK_OK(ironwal_bounds(wal, "tx", &first, &next));
    CHECK_EQ(next, 3);

    /* An empty commit gives the next id and 0. */
    txn = NULL;
    CHECK_OK(ironwal_txn_new(wal, "tx", &txn));
    CHECK_OK(ironwal_txn_commit(txn, &first, &count));
    CHECK_EQ(first, 3);
    CHECK_EQ(count, 0);
    ironwal_txn_free(txn);

    /* Freed without commit: discarded. */
    txn = NULL;
    CHECK_OK(ironwal_txn_new(wal, "tx", &txn));
    CHECK_OK(ironwal_txn_add(txn, CT_BYTES("never"), 5));
    CHECK_OK(ironwal_txn_add(txn, CT_BYTES("written"), 7));
    ironwal_txn_free(txn);
    CHECK_OK(ironwal_bounds(wal, "tx", &first, &next));
    CHECK_EQ(next, 3);
    /* ... also on a stream that did not exist: not created. */
    txn = NULL;
    CHECK_OK(ironwal_txn_new(wal, "tx-discarded", &txn));
    CHECK_OK(ironwal_txn_add(txn, CT_BYTES("x"), 1));
    ironwal_txn_free(txn);
    CHECK_STATUS(ironwal_bounds(wal, "tx-discarded", &first, &next), IRONWAL_NOT_FOUND);

    /* Appends between add and commit come first; the txn's ids stay contiguous. */
    txn = NULL;
    CHECK_OK(ironwal_txn_new(wal, "tx", &txn));
    CHECK_OK(ironwal_txn_add(txn, CT_BYTES("t1"), 2));
    CHECK_OK(ironwal_append(wal, "tx", CT_BYTES("direct"), 6, &id));
    CHECK_EQ(id, 3);
    CHECK_OK(ironwal_txn_add(txn, CT_BYTES("t2"), 2));
    CHECK_OK(ironwal_txn_commit(txn, &first, &count));
    CHECK_EQ(first, 4);
    CHECK_EQ(count, 2);
    ironwal_txn_free(txn);

    /* The data is copied at add: the caller's buffer may change afterwards. */
    {
        char scratch[8] = "before";
        txn = NULL;
        CHECK_OK(ironwal_txn_new(wal, "copied", &txn));
        CHECK_OK(ironwal_txn_add(txn, CT_BYTES(scratch), 6));
        memcpy(scratch, "AFTER!", 6);
        CHECK_OK(ironwal_txn_commit(txn, &first, &count));
        ironwal_txn_free(txn);
        if (CHECK_OK(ironwal_get(wal, "copied", 0, &buf))) {
            CHECK_BYTES(buf.data, buf.len, "before", 6);
        }
        ironwal_buf_free(&buf);
    }

    /* Bad arguments. */
    txn = sentinel;
    CHECK_STATUS(ironwal_txn_new(wal, "", &txn), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(txn == sentinel);
    txn = NULL;
    CHECK_OK(ironwal_txn_new(wal, "tx", &txn));
    CHECK_STATUS(ironwal_txn_add(txn, NULL, 4), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_OK(ironwal_txn_commit(txn, &first, &count)); /* the rejected add added nothing */
    CHECK_EQ(count, 0);
    ironwal_txn_free(txn);
    ironwal_txn_free(NULL);

    /* Committed transactions persist. */
    ironwal_close(wal);
    wal = ct_open(root, IRONWAL_SYNC_BATCH_ONLY);
    CHECK_OK(ironwal_bounds(wal, "tx", &first, &next));
    CHECK_EQ(first, 0);
    CHECK_EQ(next, 6);
    ironwal_close(wal);
}

/* Iterators and txns after ironwal_close. */
static void test_after_close(const char *root) {
    ironwal_options *opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    ironwal_wal *wal;
    ironwal_wal *other;
    ironwal_iter *it = NULL;
    ironwal_txn *txn = NULL, *dropped = NULL;
    char text[64];
    uint64_t id, i, first = SENTINEL_ID, count = SENTINEL_ID, next;

    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 3));
    wal = ct_open_with(opts);
    for (i = 0; i < 10; i++) {
        size_t n = payload(text, sizeof text, i);
        CHECK_OK(ironwal_append(wal, "s", CT_BYTES(text), n, &id));
    }
    CHECK_OK(ironwal_iter_new(wal, "s", 0, &it));
    CHECK_OK(ironwal_txn_new(wal, "s", &txn));
    CHECK_OK(ironwal_txn_new(wal, "s", &dropped));
    CHECK_OK(ironwal_txn_add(dropped, CT_BYTES("discarded"), 9));
    /* Read two entries before the close, the rest after it. */
    {
        const uint8_t *data;
        size_t len;
        CHECK_OK(ironwal_iter_next(it, &id, &data, &len));
        CHECK_EQ(id, 0);
        CHECK_OK(ironwal_iter_next(it, &id, &data, &len));
        CHECK_EQ(id, 1);
    }
    ironwal_close(wal);

    /* The iterator keeps working across segments. */
    {
        const uint8_t *data;
        size_t len;
        uint64_t expect = 2;
        ironwal_status st;
        while ((st = ironwal_iter_next(it, &id, &data, &len)) == IRONWAL_OK) {
            size_t n = payload(text, sizeof text, expect);
            CHECK_EQ(id, expect);
            CHECK_BYTES(data, len, text, n);
            expect++;
        }
        CHECK_STATUS(st, IRONWAL_END);
        CHECK_EQ(expect, 10);
    }

    /* The transaction keeps working: add and commit after close. */
    CHECK_OK(ironwal_txn_add(txn, CT_BYTES("after close 1"), 13));
    CHECK_OK(ironwal_txn_add(txn, CT_BYTES("after close 2"), 13));
    CHECK_OK(ironwal_txn_commit(txn, &first, &count));
    CHECK_EQ(first, 10);
    CHECK_EQ(count, 2);

    /* While a txn of the closed handle lives, the root stays locked. */
    other = NULL;
    CHECK_STATUS(ironwal_open(opts, &other), IRONWAL_ERR_LOCKED);
    CHECK(other == NULL);
    ironwal_txn_free(txn);
    CHECK_STATUS(ironwal_open(opts, &other), IRONWAL_ERR_LOCKED); /* `dropped` still lives */
    ironwal_txn_free(dropped);                                    /* discards its entry */

    /* The iterator alone does not hold the lock (only the handle and txns do). */
    other = NULL;
    CHECK_OK(ironwal_open(opts, &other));
    if (other != NULL) {
        ironwal_buf buf = {NULL, 0, 0};
        CHECK_OK(ironwal_bounds(other, "s", &first, &next));
        CHECK_EQ(next, 12); /* the committed txn, not the discarded one */
        if (CHECK_OK(ironwal_get(other, "s", 11, &buf))) {
            CHECK_BYTES(buf.data, buf.len, "after close 2", 13);
        }
        ironwal_buf_free(&buf);
        ironwal_close(other);
    }
    /* The iterator (of the closed handle) sees what its txn committed after its
     * END, then ends again; it is freed last. */
    {
        const uint8_t *data;
        size_t len;
        if (CHECK_OK(ironwal_iter_next(it, &id, &data, &len))) {
            CHECK_EQ(id, 10);
            CHECK_BYTES(data, len, "after close 1", 13);
        }
        if (CHECK_OK(ironwal_iter_next(it, &id, &data, &len))) {
            CHECK_EQ(id, 11);
            CHECK_BYTES(data, len, "after close 2", 13);
        }
        CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    }
    ironwal_iter_free(it);

    /* Free order the other way round: txn freed before close, iterator never used. */
    wal = ct_open_with(opts);
    it = NULL;
    txn = NULL;
    CHECK_OK(ironwal_iter_new(wal, "s", 5, &it));
    CHECK_OK(ironwal_txn_new(wal, "s", &txn));
    ironwal_close(wal);
    ironwal_iter_free(it);
    ironwal_txn_free(txn);
    wal = ct_open_with(opts); /* everything released */
    ironwal_close(wal);
    ironwal_options_free(opts);
}

int main(int argc, char **argv) {
    char root[CT_PATH_MAX];
    ct_init("iter_txn", argc, argv);
    test_iteration(ct_path(root, "iter"));
    test_txn(ct_path(root, "txn"));
    test_after_close(ct_path(root, "after_close"));
    return ct_finish();
}
