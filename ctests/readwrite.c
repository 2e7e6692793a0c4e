/*
 * readwrite: append, batches (pointer array and packed; empty; NULL arrays with
 * count 0; NULL entries of length 0), get and get_into (BUFFER_TOO_SMALL reports the
 * size; out-params untouched otherwise), sync/sync_all, truncate + bounds across
 * rotated segments, persistence across reopen, and an LZ4 + mmap round trip.
 */
#include "check.h"

#define SENTINEL_ID UINT64_C(0xDEADBEEFCAFEF00D)
#define SENTINEL_LEN ((size_t)0x5EED)

/* A recognizable payload for entry i of a stream. */
static size_t payload(char *out, size_t cap, const char *stream, uint64_t i) {
    int n = snprintf(out, cap, "%s/entry-%" PRIu64, stream, i);
    return n < 0 ? 0 : (size_t)n;
}

/* Entry `id` of `stream` reads back as `want` through get and get_into. */
static void check_entry(ironwal_wal *wal, const char *stream, uint64_t id, const void *want,
                        size_t want_len) {
    ironwal_buf buf = {NULL, 0, 0};
    uint8_t small[256];
    size_t len = SENTINEL_LEN;
    if (CHECK_OK(ironwal_get(wal, stream, id, &buf))) {
        CHECK_BYTES(buf.data, buf.len, want, want_len);
    }
    ironwal_buf_free(&buf);
    if (want_len <= sizeof small
        && CHECK_OK(ironwal_get_into(wal, stream, id, small, sizeof small, &len))) {
        CHECK_BYTES(small, len, want, want_len);
    }
}

static void test_append_and_get(const char *root) {
    ironwal_wal *wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    char text[128];
    uint64_t id = SENTINEL_ID;
    uint64_t i;
    ironwal_buf buf = {NULL, 0, 0};
    uint8_t into[64];
    size_t len;
    uint8_t *big;
    const size_t big_len = (size_t)1 << 20;

    /* Ids start at 0 in every stream and are dense. */
    for (i = 0; i < 20; i++) {
        size_t n = payload(text, sizeof text, "alpha", i);
        CHECK_OK(ironwal_append(wal, "alpha", CT_BYTES(text), n, &id));
        CHECK_EQ(id, i);
    }
    for (i = 0; i < 5; i++) {
        size_t n = payload(text, sizeof text, "beta", i);
        CHECK_OK(ironwal_append(wal, "beta", CT_BYTES(text), n, &id));
        CHECK_EQ(id, i);
    }
    for (i = 0; i < 20; i++) {
        size_t n = payload(text, sizeof text, "alpha", i);
        check_entry(wal, "alpha", i, text, n);
    }
    for (i = 0; i < 5; i++) {
        size_t n = payload(text, sizeof text, "beta", i);
        check_entry(wal, "beta", i, text, n);
    }

    /* Empty entries: NULL with length 0, and a pointer with length 0. */
    CHECK_OK(ironwal_append(wal, "empty", NULL, 0, &id));
    CHECK_EQ(id, 0);
    CHECK_OK(ironwal_append(wal, "empty", CT_BYTES("ignored"), 0, &id));
    CHECK_EQ(id, 1);
    check_entry(wal, "empty", 0, "", 0);
    check_entry(wal, "empty", 1, "", 0);
    len = SENTINEL_LEN;
    CHECK_OK(ironwal_get_into(wal, "empty", 0, NULL, 0, &len)); /* NULL buf, cap 0: fits */
    CHECK_EQ(len, 0);

    /* Binary data with NUL bytes and every byte value. */
    {
        uint8_t bytes[256];
        for (i = 0; i < 256; i++) {
            bytes[i] = (uint8_t)(255 - i);
        }
        CHECK_OK(ironwal_append(wal, "binary", bytes, sizeof bytes, &id));
        check_entry(wal, "binary", id, bytes, sizeof bytes);
    }

    /* A 1 MiB entry. */
    big = malloc(big_len);
    REQUIRE(big != NULL);
    for (i = 0; i < big_len; i++) {
        big[i] = (uint8_t)(i * 2654435761u >> 13);
    }
    CHECK_OK(ironwal_append(wal, "big", big, big_len, &id));
    CHECK_EQ(id, 0);
    if (CHECK_OK(ironwal_get(wal, "big", 0, &buf))) {
        CHECK_BYTES(buf.data, buf.len, big, big_len);
    }
    ironwal_buf_free(&buf);

    /* get_into: too small -> BUFFER_TOO_SMALL with the size needed, buf untouched. */
    memset(into, 0xAB, sizeof into);
    len = SENTINEL_LEN;
    CHECK_STATUS(ironwal_get_into(wal, "big", 0, into, sizeof into, &len),
                 IRONWAL_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(len, big_len);
    CHECK(ironwal_last_error()[0] != '\0');
    for (i = 0; i < sizeof into; i++) {
        if (into[i] != 0xAB) {
            break;
        }
    }
    CHECK_EQ(i, sizeof into);
    /* cap 0 with NULL asks for the size. */
    len = SENTINEL_LEN;
    CHECK_STATUS(ironwal_get_into(wal, "big", 0, NULL, 0, &len), IRONWAL_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(len, big_len);
    /* One byte short, then exactly the size. */
    {
        size_t n = payload(text, sizeof text, "alpha", 7);
        len = SENTINEL_LEN;
        CHECK_STATUS(ironwal_get_into(wal, "alpha", 7, into, n - 1, &len),
                     IRONWAL_ERR_BUFFER_TOO_SMALL);
        CHECK_EQ(len, n);
        len = SENTINEL_LEN;
        CHECK_OK(ironwal_get_into(wal, "alpha", 7, into, n, &len));
        CHECK_BYTES(into, len, text, n);
    }
    /* The size reported lets the caller retry with a big enough buffer. */
    {
        uint8_t *exact;
        len = 0;
        CHECK_STATUS(ironwal_get_into(wal, "big", 0, NULL, 0, &len), IRONWAL_ERR_BUFFER_TOO_SMALL);
        exact = malloc(len ? len : 1);
        REQUIRE(exact != NULL);
        CHECK_OK(ironwal_get_into(wal, "big", 0, exact, len, &len));
        CHECK_BYTES(exact, len, big, big_len);
        free(exact);
    }
    free(big);

    /* NOT_FOUND: a missing id or stream; out-params untouched. */
    buf.data = (uint8_t *)into;
    buf.len = SENTINEL_LEN;
    buf.cap = SENTINEL_LEN;
    CHECK_STATUS(ironwal_get(wal, "alpha", 20, &buf), IRONWAL_NOT_FOUND);
    CHECK_STATUS(ironwal_get(wal, "alpha", UINT64_MAX, &buf), IRONWAL_NOT_FOUND);
    CHECK_STATUS(ironwal_get(wal, "no-such-stream", 0, &buf), IRONWAL_NOT_FOUND);
    CHECK(buf.data == (uint8_t *)into && buf.len == SENTINEL_LEN && buf.cap == SENTINEL_LEN);
    memset(into, 0xAB, sizeof into);
    len = SENTINEL_LEN;
    CHECK_STATUS(ironwal_get_into(wal, "alpha", 20, into, sizeof into, &len), IRONWAL_NOT_FOUND);
    CHECK_STATUS(ironwal_get_into(wal, "nope", 0, into, sizeof into, &len), IRONWAL_NOT_FOUND);
    CHECK_EQ(len, SENTINEL_LEN);
    CHECK(into[0] == 0xAB && into[sizeof into - 1] == 0xAB);
    /* NULL buffer with a capacity is an invalid argument. */
    CHECK_STATUS(ironwal_get_into(wal, "alpha", 0, NULL, 8, &len), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_EQ(len, SENTINEL_LEN);

    /* A getting a missing stream does not create it. */
    {
        uint64_t first = SENTINEL_ID, next = SENTINEL_ID;
        CHECK_STATUS(ironwal_bounds(wal, "no-such-stream", &first, &next), IRONWAL_NOT_FOUND);
        CHECK(first == SENTINEL_ID && next == SENTINEL_ID);
    }

    /* sync / sync_all. */
    CHECK_OK(ironwal_sync(wal, "alpha"));
    CHECK_OK(ironwal_sync(wal, "empty"));
    CHECK_STATUS(ironwal_sync(wal, "never-written"), IRONWAL_ERR_STREAM_NOT_FOUND);
    CHECK(strstr(ironwal_last_error(), "never-written") != NULL);
    CHECK_OK(ironwal_sync_all(wal));
    ironwal_close(wal);

    /* sync_all on a WAL without streams. */
    {
        char sub[CT_PATH_MAX];
        ct_fmt(sub, "%s-nostreams", root);
        wal = ct_open(sub, IRONWAL_SYNC_ASYNC);
        CHECK_OK(ironwal_sync_all(wal));
        ironwal_close(wal);
    }
}

static void test_batches(const char *root) {
    ironwal_wal *wal = ct_open(root, IRONWAL_SYNC_BATCH_ONLY);
    uint64_t first = SENTINEL_ID, next = SENTINEL_ID;
    uint64_t id;

    /* Pointer-array batch. */
    {
        const uint8_t *datas[3] = {CT_BYTES("begin"), CT_BYTES("update A"), CT_BYTES("commit")};
        size_t lens[3] = {5, 8, 6};
        CHECK_OK(ironwal_append_batch(wal, "tx", datas, lens, 3, &first));
        CHECK_EQ(first, 0);
        check_entry(wal, "tx", 0, "begin", 5);
        check_entry(wal, "tx", 1, "update A", 8);
        check_entry(wal, "tx", 2, "commit", 6);
    }
    /* Packed batch continues the ids. */
    {
        const char packed[] = "onetwothree";
        size_t lens[3] = {3, 3, 5};
        first = SENTINEL_ID;
        CHECK_OK(ironwal_append_batch_packed(wal, "tx", CT_BYTES(packed), lens, 3, &first));
        CHECK_EQ(first, 3);
        check_entry(wal, "tx", 3, "one", 3);
        check_entry(wal, "tx", 4, "two", 3);
        check_entry(wal, "tx", 5, "three", 5);
    }
    /* Empty batches (NULL arrays with count 0): OK, the next id, nothing written. */
    first = SENTINEL_ID;
    CHECK_OK(ironwal_append_batch(wal, "tx", NULL, NULL, 0, &first));
    CHECK_EQ(first, 6);
    first = SENTINEL_ID;
    CHECK_OK(ironwal_append_batch_packed(wal, "tx", NULL, NULL, 0, &first));
    CHECK_EQ(first, 6);
    {
        const uint8_t *datas[1] = {CT_BYTES("x")};
        size_t lens[1] = {1};
        first = SENTINEL_ID;
        CHECK_OK(ironwal_append_batch(wal, "tx", datas, lens, 0, &first)); /* arrays, count 0 */
        CHECK_EQ(first, 6);
    }
    CHECK_OK(ironwal_bounds(wal, "tx", &first, &next));
    CHECK_EQ(first, 0);
    CHECK_EQ(next, 6);
    /* An empty batch on a new stream gives id 0. */
    first = SENTINEL_ID;
    CHECK_OK(ironwal_append_batch(wal, "empty-batch", NULL, NULL, 0, &first));
    CHECK_EQ(first, 0);

    /* NULL entries of length 0, mixed with others; packed entries of length 0. */
    {
        const uint8_t *datas[4] = {NULL, CT_BYTES("b"), NULL, CT_BYTES("dd")};
        size_t lens[4] = {0, 1, 0, 2};
        size_t packed_lens[3] = {0, 2, 0};
        first = SENTINEL_ID;
        CHECK_OK(ironwal_append_batch(wal, "tx", datas, lens, 4, &first));
        CHECK_EQ(first, 6);
        check_entry(wal, "tx", 6, "", 0);
        check_entry(wal, "tx", 7, "b", 1);
        check_entry(wal, "tx", 8, "", 0);
        check_entry(wal, "tx", 9, "dd", 2);
        first = SENTINEL_ID;
        CHECK_OK(ironwal_append_batch_packed(wal, "tx", CT_BYTES("zz"), packed_lens, 3, &first));
        CHECK_EQ(first, 10);
        check_entry(wal, "tx", 10, "", 0);
        check_entry(wal, "tx", 11, "zz", 2);
        check_entry(wal, "tx", 12, "", 0);
        /* All lengths 0: buf may be NULL. */
        packed_lens[1] = 0;
        first = SENTINEL_ID;
        CHECK_OK(ironwal_append_batch_packed(wal, "tx", NULL, packed_lens, 3, &first));
        CHECK_EQ(first, 13);
        check_entry(wal, "tx", 15, "", 0);
    }

    /* Rejected batches write nothing (all or none) and leave the out-param alone. */
    {
        const uint8_t *datas[3] = {CT_BYTES("a"), NULL, CT_BYTES("c")};
        size_t lens[3] = {1, 1, 1};
        size_t huge[2] = {SIZE_MAX, 2};
        first = SENTINEL_ID;
        CHECK_STATUS(ironwal_append_batch(wal, "tx", datas, lens, 3, &first),
                     IRONWAL_ERR_INVALID_ARGUMENT); /* datas[1] NULL with length 1 */
        CHECK(strstr(ironwal_last_error(), "datas[1]") != NULL);
        CHECK_STATUS(ironwal_append_batch(wal, "tx", NULL, lens, 3, &first),
                     IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(ironwal_append_batch(wal, "tx", datas, NULL, 3, &first),
                     IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(ironwal_append_batch_packed(wal, "tx", NULL, lens, 3, &first),
                     IRONWAL_ERR_INVALID_ARGUMENT); /* NULL buf, 3 bytes */
        CHECK_STATUS(ironwal_append_batch_packed(wal, "tx", CT_BYTES("abc"), NULL, 3, &first),
                     IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(ironwal_append_batch_packed(wal, "tx", CT_BYTES("abc"), huge, 2, &first),
                     IRONWAL_ERR_INVALID_ARGUMENT); /* lengths overflow size_t */
        CHECK_EQ(first, SENTINEL_ID);
        CHECK_OK(ironwal_bounds(wal, "tx", &first, &next));
        CHECK_EQ(next, 16);
        /* A rejected batch on a new stream does not create it. */
        CHECK_STATUS(ironwal_append_batch(wal, "rejected", datas, lens, 3, &first),
                     IRONWAL_ERR_INVALID_ARGUMENT);
        first = next = SENTINEL_ID;
        CHECK_STATUS(ironwal_bounds(wal, "rejected", &first, &next), IRONWAL_NOT_FOUND);
        CHECK(first == SENTINEL_ID && next == SENTINEL_ID);
    }
    /* append with NULL data but a length. */
    id = SENTINEL_ID;
    CHECK_STATUS(ironwal_append(wal, "tx", NULL, 3, &id), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_EQ(id, SENTINEL_ID);

    /* A larger packed batch. */
    {
        enum { N = 100 };
        char packed[N * 16];
        size_t lens[N];
        size_t at = 0;
        int i;
        for (i = 0; i < N; i++) {
            int n = snprintf(packed + at, sizeof packed - at, "p%d", i);
            lens[i] = (size_t)n;
            at += (size_t)n;
        }
        CHECK_OK(ironwal_append_batch_packed(wal, "packed", CT_BYTES(packed), lens, N, &first));
        CHECK_EQ(first, 0);
        for (i = 0; i < N; i += 9) {
            char want[16];
            int n = snprintf(want, sizeof want, "p%d", i);
            check_entry(wal, "packed", (uint64_t)i, want, (size_t)n);
        }
        CHECK_OK(ironwal_bounds(wal, "packed", &first, &next));
        CHECK_EQ(next, N);
    }
    ironwal_close(wal);
}

/* Rotation every 10 entries; truncate + bounds; reopen keeps everything. */
static void test_truncate_and_reopen(const char *root) {
    ironwal_options *opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    ironwal_wal *wal;
    char text[128];
    char dir[CT_PATH_MAX];
    char seg[CT_PATH_MAX];
    uint64_t id, first = SENTINEL_ID, next = SENTINEL_ID, i;
    size_t deleted = SENTINEL_LEN;
    ironwal_buf buf = {NULL, 0, 0};

    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 10));
    wal = ct_open_with(opts);
    for (i = 0; i < 35; i++) {
        size_t n = payload(text, sizeof text, "rot", i);
        CHECK_OK(ironwal_append(wal, "rot", CT_BYTES(text), n, &id));
        CHECK_EQ(id, i);
    }
    CHECK_OK(ironwal_sync(wal, "rot"));
    /* "rot" is a plain name: its own directory. Segments start at 0, 10, 20, 30. */
    ct_fmt(dir, "%s/rot", root);
    CHECK_EQ(ct_count_entries(dir, 0, ".wal"), 4);
    for (i = 0; i < 40; i += 10) {
        ct_fmt(seg, "%s/%020" PRIu64 ".wal", dir, i);
        if (!CHECK(ct_exists(seg))) {
            printf("  missing segment %s\n", seg);
        }
    }

    CHECK_OK(ironwal_bounds(wal, "rot", &first, &next));
    CHECK_EQ(first, 0);
    CHECK_EQ(next, 35);

    /* Truncate below 25: segments [0,10) and [10,20) go, [20,30) keeps 20..24. */
    CHECK_OK(ironwal_truncate(wal, "rot", 25, &deleted));
    CHECK_EQ(deleted, 2);
    CHECK_OK(ironwal_bounds(wal, "rot", &first, &next));
    CHECK_EQ(first, 20);
    CHECK_EQ(next, 35);
    CHECK_EQ(ct_count_entries(dir, 0, ".wal"), 2);
    ct_fmt(seg, "%s/%020d.wal", dir, 0);
    CHECK(!ct_exists(seg));
    buf.data = NULL;
    buf.len = SENTINEL_LEN;
    CHECK_STATUS(ironwal_get(wal, "rot", 5, &buf), IRONWAL_NOT_FOUND);
    CHECK_STATUS(ironwal_get(wal, "rot", 19, &buf), IRONWAL_NOT_FOUND);
    CHECK(buf.data == NULL && buf.len == SENTINEL_LEN);
    for (i = 20; i < 35; i++) {
        size_t n = payload(text, sizeof text, "rot", i);
        check_entry(wal, "rot", i, text, n);
    }
    /* The same truncate again deletes nothing. */
    deleted = SENTINEL_LEN;
    CHECK_OK(ironwal_truncate(wal, "rot", 25, &deleted));
    CHECK_EQ(deleted, 0);
    /* Truncating a missing stream deletes 0 and does not create it. */
    deleted = SENTINEL_LEN;
    CHECK_OK(ironwal_truncate(wal, "no-such-stream", 100, &deleted));
    CHECK_EQ(deleted, 0);
    CHECK_STATUS(ironwal_bounds(wal, "no-such-stream", &first, &next), IRONWAL_NOT_FOUND);
    ironwal_close(wal);

    /* Reopen: bounds, contents and the next id survive; ids are not reused. */
    wal = ct_open_with(opts);
    first = next = SENTINEL_ID;
    CHECK_OK(ironwal_bounds(wal, "rot", &first, &next));
    CHECK_EQ(first, 20);
    CHECK_EQ(next, 35);
    for (i = 20; i < 35; i++) {
        size_t n = payload(text, sizeof text, "rot", i);
        check_entry(wal, "rot", i, text, n);
    }
    CHECK_STATUS(ironwal_get(wal, "rot", 0, &buf), IRONWAL_NOT_FOUND);
    CHECK_OK(ironwal_append(wal, "rot", CT_BYTES("after reopen"), 12, &id));
    CHECK_EQ(id, 35);
    check_entry(wal, "rot", 35, "after reopen", 12);

    /* Truncate everything: the active segment [30, ...) is never deleted. */
    deleted = SENTINEL_LEN;
    CHECK_OK(ironwal_truncate(wal, "rot", UINT64_MAX, &deleted));
    CHECK_EQ(deleted, 1);
    CHECK_OK(ironwal_bounds(wal, "rot", &first, &next));
    CHECK_EQ(first, 30);
    CHECK_EQ(next, 36);
    CHECK_EQ(ct_count_entries(dir, 0, ".wal"), 1);
    check_entry(wal, "rot", 35, "after reopen", 12);
    ironwal_close(wal);

    /* And once more after a reopen. */
    wal = ct_open_with(opts);
    CHECK_OK(ironwal_bounds(wal, "rot", &first, &next));
    CHECK_EQ(first, 30);
    CHECK_EQ(next, 36);
    CHECK_OK(ironwal_append(wal, "rot", CT_BYTES("x"), 1, &id));
    CHECK_EQ(id, 36);
    ironwal_close(wal);
    ironwal_options_free(opts);
}

/* Persistence across reopen in Strict mode, other streams included. */
static void test_persistence(const char *root) {
    ironwal_wal *wal = ct_open(root, IRONWAL_SYNC_STRICT);
    uint64_t id, first, next;
    const uint8_t *datas[2] = {CT_BYTES("b0"), CT_BYTES("b1")};
    size_t lens[2] = {2, 2};

    CHECK_OK(ironwal_append(wal, "logs", CT_BYTES("Hello, IronWal!"), 15, &id));
    CHECK_EQ(id, 0);
    CHECK_OK(ironwal_append_batch(wal, "other", datas, lens, 2, &first));
    CHECK_EQ(first, 0);
    ironwal_close(wal);

    wal = ct_open(root, IRONWAL_SYNC_STRICT);
    check_entry(wal, "logs", 0, "Hello, IronWal!", 15);
    check_entry(wal, "other", 0, "b0", 2);
    check_entry(wal, "other", 1, "b1", 2);
    CHECK_OK(ironwal_bounds(wal, "other", &first, &next));
    CHECK_EQ(first, 0);
    CHECK_EQ(next, 2);
    CHECK_OK(ironwal_append(wal, "logs", CT_BYTES("second"), 6, &id));
    CHECK_EQ(id, 1);
    CHECK_OK(ironwal_sync(wal, "other")); /* streams found on disk exist for sync */
    ironwal_close(wal);
}

/* LZ4 + mmap + block cache: what goes in comes out, across sealed segments and a
 * reopen (also with default options), and compressible data takes less space. */
static void test_lz4_mmap(const char *root) {
    enum { N = 24, BIG = 4096 };
    ironwal_options *opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    ironwal_wal *wal;
    static uint8_t data[N][BIG];
    size_t lens[N];
    uint64_t id, i;
    long long on_disk, raw = 0;
    uint32_t rng = 12345;
    int pass;

    CHECK_OK(ironwal_options_set_compression(opts, IRONWAL_COMPRESSION_LZ4));
    CHECK_OK(ironwal_options_set_min_compression_size(opts, 64));
    CHECK_OK(ironwal_options_set_read_strategy(opts, IRONWAL_READ_MMAP));
    CHECK_OK(ironwal_options_set_block_cache_size(opts, 1u << 20));
    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 5));
    CHECK_OK(ironwal_options_set_max_open_segments(opts, 2));

    for (i = 0; i < N; i++) {
        size_t j;
        switch (i % 3) {
        case 0: /* compressible */
            lens[i] = BIG;
            for (j = 0; j < BIG; j++) {
                data[i][j] = (uint8_t)("ironwal-lz4 "[j % 12] + (i & 1));
            }
            break;
        case 1: /* incompressible */
            lens[i] = BIG;
            for (j = 0; j < BIG; j++) {
                rng = rng * 1103515245u + 12345u;
                data[i][j] = (uint8_t)(rng >> 16);
            }
            break;
        default: /* below min_compression_size */
            lens[i] = 10 + i;
            for (j = 0; j < lens[i]; j++) {
                data[i][j] = (uint8_t)('a' + j % 26);
            }
            break;
        }
        raw += (long long)lens[i];
    }

    wal = ct_open_with(opts);
    for (i = 0; i < N; i++) {
        CHECK_OK(ironwal_append(wal, "z", data[i], lens[i], &id));
        CHECK_EQ(id, i);
    }
    /* Read back twice (the second time through the cache). */
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < N; i++) {
            check_entry(wal, "z", i, data[i], lens[i]);
        }
    }
    {
        ironwal_iter *it = NULL;
        uint64_t got_id;
        const uint8_t *p;
        size_t len;
        uint64_t expect = 3;
        CHECK_OK(ironwal_iter_new(wal, "z", 3, &it));
        while (ironwal_iter_next(it, &got_id, &p, &len) == IRONWAL_OK) {
            CHECK_EQ(got_id, expect);
            CHECK_BYTES(p, len, data[expect], lens[expect]);
            expect++;
        }
        CHECK_EQ(expect, N);
        ironwal_iter_free(it);
    }
    CHECK_OK(ironwal_sync_all(wal));
    ironwal_close(wal);

    /* About a third of the payload is highly compressible: the segments hold less
     * than the raw bytes. */
    on_disk = ct_stream_files_size(root, ".wal");
    if (!CHECK(on_disk > 0 && on_disk < raw * 3 / 4)) {
        printf("  %lld bytes on disk for %lld bytes of payload\n", on_disk, raw);
    }

    /* Reopen with the same options, then with default options (no compression,
     * standard I/O): every entry still reads back. */
    wal = ct_open_with(opts);
    for (i = 0; i < N; i++) {
        check_entry(wal, "z", i, data[i], lens[i]);
    }
    CHECK_OK(ironwal_append(wal, "z", data[0], lens[0], &id));
    CHECK_EQ(id, N);
    ironwal_close(wal);
    ironwal_options_free(opts);

    wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    for (i = 0; i < N; i++) {
        check_entry(wal, "z", i, data[i], lens[i]);
    }
    check_entry(wal, "z", N, data[0], lens[0]);
    ironwal_close(wal);
}

/* One open segment file at a time (max_open_segments 1) for 3 streams x 8 segments,
 * read in a scattered order; and a batch of 5000 entries. */
static void test_small_lru_and_big_batch(const char *root) {
    static const char *streams[3] = {"lru-a", "lru-b", "lru-c"};
    ironwal_options *opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    ironwal_wal *wal;
    char text[128];
    uint64_t id, i, first, next;
    int s, pass;

    CHECK_OK(ironwal_options_set_max_open_segments(opts, 1));
    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 3));
    wal = ct_open_with(opts);
    for (i = 0; i < 24; i++) {
        for (s = 0; s < 3; s++) {
            size_t n = payload(text, sizeof text, streams[s], i);
            CHECK_OK(ironwal_append(wal, streams[s], CT_BYTES(text), n, &id));
            CHECK_EQ(id, i);
        }
    }
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < 24; i++) {
            uint64_t k = (i * 7 + (uint64_t)pass) % 24; /* scattered */
            for (s = 0; s < 3; s++) {
                size_t n = payload(text, sizeof text, streams[s], k);
                check_entry(wal, streams[s], k, text, n);
            }
        }
        ironwal_close(wal);
        wal = ct_open_with(opts);
    }

    /* 5000 entries of 0..9 bytes in one packed batch: ids 0..4999, all readable. */
    {
        enum { N = 5000 };
        static size_t lens[N];
        static uint8_t packed[N * 9];
        size_t at = 0;
        uint64_t j;
        for (j = 0; j < N; j++) {
            size_t k;
            lens[j] = (size_t)(j % 10);
            for (k = 0; k < lens[j]; k++) {
                packed[at++] = (uint8_t)(j + k);
            }
        }
        first = 99;
        CHECK_OK(ironwal_append_batch_packed(wal, "many", packed, lens, N, &first));
        CHECK_EQ(first, 0);
        CHECK_OK(ironwal_bounds(wal, "many", &first, &next));
        CHECK_EQ(next, N);
        at = 0;
        for (j = 0; j < N; j++) {
            if (j % 97 == 0 || j == N - 1) {
                check_entry(wal, "many", j, packed + at, lens[j]);
            }
            at += lens[j];
        }
    }
    ironwal_close(wal);
    ironwal_options_free(opts);
}

/* Number of this process's open file descriptors on segment files (/proc/self/fd),
 * or -1 where /proc is not there. */
static long open_segment_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long count = 0;
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char link[CT_PATH_MAX];
        char target[CT_PATH_MAX];
        ssize_t n;
        if (e->d_name[0] == '.') {
            continue;
        }
        ct_fmt(link, "/proc/self/fd/%s", e->d_name);
        n = readlink(link, target, sizeof target - 1);
        if (n > 4) {
            target[n] = '\0';
            if (strcmp(target + n - 4, ".wal") == 0) {
                count++;
            }
        }
    }
    closedir(d);
    return count;
}

/* The options have their documented effects: max_segment_size (a new segment per
 * entry at 1 byte), max_open_segments (a bound on open segment files), and
 * min_compression_size (LZ4 leaves smaller payloads raw). */
static void test_option_effects(const char *root) {
    char sub[CT_PATH_MAX];
    char dir[CT_PATH_MAX];
    ironwal_options *opts;
    ironwal_wal *wal;
    uint64_t id, i;
    char text[128];

    /* max_segment_size 1: every entry after a segment's first starts a new one. */
    opts = ct_options(ct_fmt(sub, "%s/size", root), IRONWAL_SYNC_ASYNC);
    CHECK_OK(ironwal_options_set_max_segment_size(opts, 1));
    wal = ct_open_with(opts);
    for (i = 0; i < 5; i++) {
        size_t n = payload(text, sizeof text, "s", i);
        CHECK_OK(ironwal_append(wal, "s", CT_BYTES(text), n, &id));
    }
    CHECK_EQ(ct_count_entries(ct_fmt(dir, "%s/s", sub), 0, ".wal"), 5);
    for (i = 0; i < 5; i++) {
        size_t n = payload(text, sizeof text, "s", i);
        check_entry(wal, "s", i, text, n);
    }
    ironwal_close(wal);
    ironwal_options_free(opts);

    /* max_open_segments 2: 3 streams of 6 segments each, all read; at most 2 segment
     * files open at any time. */
    opts = ct_options(ct_fmt(sub, "%s/fds", root), IRONWAL_SYNC_ASYNC);
    CHECK_OK(ironwal_options_set_max_open_segments(opts, 2));
    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 2));
    wal = ct_open_with(opts);
    {
        static const char *streams[3] = {"f1", "f2", "f3"};
        long most = 0;
        int s;
        for (i = 0; i < 12; i++) {
            for (s = 0; s < 3; s++) {
                size_t n = payload(text, sizeof text, streams[s], i);
                CHECK_OK(ironwal_append(wal, streams[s], CT_BYTES(text), n, &id));
                if (open_segment_fds() > most) {
                    most = open_segment_fds();
                }
            }
        }
        for (s = 0; s < 3; s++) {
            for (i = 0; i < 12; i++) {
                size_t n = payload(text, sizeof text, streams[s], i);
                check_entry(wal, streams[s], i, text, n);
                if (open_segment_fds() > most) {
                    most = open_segment_fds();
                }
            }
        }
        if (!CHECK(most <= 2)) {
            printf("  up to %ld segment files were open with max_open_segments 2\n", most);
        }
    }
    ironwal_close(wal);
    CHECK(open_segment_fds() <= 0); /* closed: nothing left open */
    ironwal_options_free(opts);

    /* min_compression_size: LZ4 with a minimum above the payload size stores it raw. */
    {
        enum { LEN = 8192 };
        static uint8_t zeros[LEN];
        long long raw_size, lz4_size;
        opts = ct_options(ct_fmt(sub, "%s/raw", root), IRONWAL_SYNC_ASYNC);
        CHECK_OK(ironwal_options_set_compression(opts, IRONWAL_COMPRESSION_LZ4));
        CHECK_OK(ironwal_options_set_min_compression_size(opts, 2 * LEN));
        wal = ct_open_with(opts);
        CHECK_OK(ironwal_append(wal, "z", zeros, LEN, &id));
        check_entry(wal, "z", 0, zeros, LEN);
        ironwal_close(wal);
        ironwal_options_free(opts);
        raw_size = ct_stream_files_size(sub, ".wal");

        opts = ct_options(ct_fmt(sub, "%s/lz4", root), IRONWAL_SYNC_ASYNC);
        CHECK_OK(ironwal_options_set_compression(opts, IRONWAL_COMPRESSION_LZ4));
        CHECK_OK(ironwal_options_set_min_compression_size(opts, LEN));
        wal = ct_open_with(opts);
        CHECK_OK(ironwal_append(wal, "z", zeros, LEN, &id));
        check_entry(wal, "z", 0, zeros, LEN);
        ironwal_close(wal);
        ironwal_options_free(opts);
        lz4_size = ct_stream_files_size(sub, ".wal");
        if (!CHECK(raw_size >= LEN && lz4_size < LEN / 4)) {
            printf("  8 KiB of zeros: %lld bytes raw, %lld bytes with LZ4\n", raw_size, lz4_size);
        }
    }
}

int main(int argc, char **argv) {
    char root[CT_PATH_MAX];
    ct_init("readwrite", argc, argv);
    test_append_and_get(ct_path(root, "append"));
    test_batches(ct_path(root, "batches"));
    test_truncate_and_reopen(ct_path(root, "truncate"));
    test_persistence(ct_path(root, "persist"));
    test_lz4_mmap(ct_path(root, "lz4"));
    test_small_lru_and_big_batch(ct_path(root, "lru"));
    test_option_effects(ct_path(root, "effects"));
    return ct_finish();
}
