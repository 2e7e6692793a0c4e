/*
 * basics: version, status names, last_error, every options setter (good values, bad
 * enum values, zero sizes), open/close, the root lock (second open -> LOCKED), and
 * ironwal_buf_free.
 */
#include "check.h"

#include <limits.h>
#include <pthread.h>

static void test_version(void) {
    char expected[64];
    const char *version = ironwal_version();
    snprintf(expected, sizeof expected, "%d.%d.%d", IRONWAL_VERSION_MAJOR, IRONWAL_VERSION_MINOR,
             IRONWAL_VERSION_PATCH);
    CHECK(version != NULL);
    CHECK_STR(version, expected);
    CHECK(ironwal_version() == version); /* static */
}

static void test_status_str(void) {
    static const struct {
        ironwal_status code;
        const char *name;
    } known[] = {
        {IRONWAL_OK, "IRONWAL_OK"},
        {IRONWAL_NOT_FOUND, "IRONWAL_NOT_FOUND"},
        {IRONWAL_END, "IRONWAL_END"},
        {IRONWAL_ERR_INVALID_ARGUMENT, "IRONWAL_ERR_INVALID_ARGUMENT"},
        {IRONWAL_ERR_IO, "IRONWAL_ERR_IO"},
        {IRONWAL_ERR_CORRUPTION, "IRONWAL_ERR_CORRUPTION"},
        {IRONWAL_ERR_CRC_MISMATCH, "IRONWAL_ERR_CRC_MISMATCH"},
        {IRONWAL_ERR_SEGMENT_NOT_FOUND, "IRONWAL_ERR_SEGMENT_NOT_FOUND"},
        {IRONWAL_ERR_STREAM_NOT_FOUND, "IRONWAL_ERR_STREAM_NOT_FOUND"},
        {IRONWAL_ERR_LOCKED, "IRONWAL_ERR_LOCKED"},
        {IRONWAL_ERR_POISONED, "IRONWAL_ERR_POISONED"},
        {IRONWAL_ERR_CHECKPOINT_NOT_FOUND, "IRONWAL_ERR_CHECKPOINT_NOT_FOUND"},
        {IRONWAL_ERR_NO_CHECKPOINTS, "IRONWAL_ERR_NO_CHECKPOINTS"},
        {IRONWAL_ERR_SHARD_COUNT_MISMATCH, "IRONWAL_ERR_SHARD_COUNT_MISMATCH"},
        {IRONWAL_ERR_BUFFER_TOO_SMALL, "IRONWAL_ERR_BUFFER_TOO_SMALL"},
        {IRONWAL_ERR_ALREADY_USED, "IRONWAL_ERR_ALREADY_USED"},
        {IRONWAL_ERR_CONFIG, "IRONWAL_ERR_CONFIG"},
        {IRONWAL_ERR_PANIC, "IRONWAL_ERR_PANIC"},
    };
    static const ironwal_status unknown[] = {3, 100, -15, -98, -100, INT32_MIN, INT32_MAX};
    size_t i;

    /* The values are fixed forever (SPEC §4). */
    CHECK_EQ(IRONWAL_OK, 0);
    CHECK_EQ(IRONWAL_NOT_FOUND, 1);
    CHECK_EQ(IRONWAL_END, 2);
    CHECK(IRONWAL_ERR_INVALID_ARGUMENT == -1 && IRONWAL_ERR_IO == -2
          && IRONWAL_ERR_CORRUPTION == -3 && IRONWAL_ERR_CRC_MISMATCH == -4
          && IRONWAL_ERR_SEGMENT_NOT_FOUND == -5 && IRONWAL_ERR_STREAM_NOT_FOUND == -6
          && IRONWAL_ERR_LOCKED == -7 && IRONWAL_ERR_POISONED == -8
          && IRONWAL_ERR_CHECKPOINT_NOT_FOUND == -9 && IRONWAL_ERR_NO_CHECKPOINTS == -10
          && IRONWAL_ERR_SHARD_COUNT_MISMATCH == -11 && IRONWAL_ERR_BUFFER_TOO_SMALL == -12
          && IRONWAL_ERR_ALREADY_USED == -13 && IRONWAL_ERR_CONFIG == -14
          && IRONWAL_ERR_PANIC == -99);
    CHECK(IRONWAL_SYNC_STRICT == 0 && IRONWAL_SYNC_BATCH_ONLY == 1 && IRONWAL_SYNC_ASYNC == 2);
    CHECK(IRONWAL_COMPRESSION_NONE == 0 && IRONWAL_COMPRESSION_LZ4 == 1);
    CHECK(IRONWAL_READ_STANDARD_IO == 0 && IRONWAL_READ_MMAP == 1);
    CHECK(sizeof(ironwal_status) == 4);

    for (i = 0; i < sizeof known / sizeof known[0]; i++) {
        const char *name = ironwal_status_str(known[i].code);
        if (!CHECK_STR(name, known[i].name)) {
            printf("  status %d is named \"%s\"\n", (int)known[i].code, name ? name : "(NULL)");
        }
        CHECK(ironwal_status_str(known[i].code) == name); /* static storage */
    }
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK_STR(ironwal_status_str(unknown[i]), "IRONWAL_UNKNOWN_STATUS");
    }
}

/* last_error is per thread: a failure on another thread does not change ours. */
static void *fail_on_other_thread(void *arg) {
    const char *message;
    (void)arg;
    /* A fresh thread has no message yet. */
    message = ironwal_last_error();
    CHECK(message != NULL && message[0] == '\0');
    CHECK_STATUS(ironwal_options_set_sync_mode(NULL, IRONWAL_SYNC_ASYNC),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    message = ironwal_last_error();
    CHECK(message != NULL && strstr(message, "options") != NULL);
    return NULL;
}

static void test_last_error(void) {
    const char *message;
    ironwal_options *opts;
    pthread_t thread;
    char saved[512];
    char root[CT_PATH_MAX];

    /* No failed call yet on this thread: "". */
    message = ironwal_last_error();
    CHECK(message != NULL && message[0] == '\0');

    /* A failed call leaves a message that tells what was wrong. */
    opts = ironwal_options_new(ct_path(root, "last_error"));
    REQUIRE(opts != NULL);
    CHECK_STATUS(ironwal_options_set_sync_mode(opts, 42), IRONWAL_ERR_INVALID_ARGUMENT);
    message = ironwal_last_error();
    CHECK(message != NULL && strstr(message, "42") != NULL);
    snprintf(saved, sizeof saved, "%s", message ? message : "");

    /* A successful call after it does not make the message wrong or dangling. */
    CHECK_OK(ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_ASYNC));
    message = ironwal_last_error();
    CHECK(message != NULL);

    /* Another thread's failure leaves this thread's message alone. */
    CHECK_STATUS(ironwal_options_set_compression(opts, 7), IRONWAL_ERR_INVALID_ARGUMENT);
    snprintf(saved, sizeof saved, "%s", ironwal_last_error());
    REQUIRE(pthread_create(&thread, NULL, fail_on_other_thread, NULL) == 0);
    REQUIRE(pthread_join(thread, NULL) == 0);
    CHECK_STR(ironwal_last_error(), saved);
    CHECK(strstr(saved, "7") != NULL);

    ironwal_options_free(opts);
}

static void test_options(void) {
    static const int32_t bad_enums[] = {-1, 3, 99, INT32_MIN, INT32_MAX};
    ironwal_options *opts;
    ironwal_wal *wal;
    char root[CT_PATH_MAX];
    size_t i;
    uint64_t id = 0;

    /* options_new: NULL, "" and bad UTF-8 give NULL and a message. */
    CHECK(ironwal_options_new(NULL) == NULL);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK(ironwal_options_new("") == NULL);
    CHECK(strstr(ironwal_last_error(), "empty") != NULL);
    CHECK(ironwal_options_new("bad\xff\xfeutf8") == NULL);
    CHECK(strstr(ironwal_last_error(), "UTF-8") != NULL);
    ironwal_options_free(NULL);

    opts = ironwal_options_new(ct_path(root, "options"));
    REQUIRE(opts != NULL);

    /* Every setter accepts every documented value. */
    CHECK_OK(ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_STRICT));
    CHECK_OK(ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_BATCH_ONLY));
    CHECK_OK(ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_ASYNC));
    CHECK_OK(ironwal_options_set_compression(opts, IRONWAL_COMPRESSION_LZ4));
    CHECK_OK(ironwal_options_set_compression(opts, IRONWAL_COMPRESSION_NONE));
    CHECK_OK(ironwal_options_set_read_strategy(opts, IRONWAL_READ_MMAP));
    CHECK_OK(ironwal_options_set_read_strategy(opts, IRONWAL_READ_STANDARD_IO));
    CHECK_OK(ironwal_options_set_max_segment_size(opts, 1));
    CHECK_OK(ironwal_options_set_max_segment_size(opts, UINT64_MAX));
    CHECK_OK(ironwal_options_set_max_segment_size(opts, 1u << 20));
    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 1));
    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, UINT64_MAX));
    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 1000));
    CHECK_OK(ironwal_options_set_max_open_segments(opts, 1));
    CHECK_OK(ironwal_options_set_max_open_segments(opts, SIZE_MAX));
    CHECK_OK(ironwal_options_set_max_open_segments(opts, 8));
    CHECK_OK(ironwal_options_set_block_cache_size(opts, 0)); /* 0 = off */
    CHECK_OK(ironwal_options_set_block_cache_size(opts, UINT64_MAX));
    CHECK_OK(ironwal_options_set_block_cache_size(opts, 1u << 20));
    CHECK_OK(ironwal_options_set_min_compression_size(opts, 0));
    CHECK_OK(ironwal_options_set_min_compression_size(opts, SIZE_MAX));
    CHECK_OK(ironwal_options_set_min_compression_size(opts, 64));

    /* Bad enum values are rejected with a message naming the value. */
    for (i = 0; i < sizeof bad_enums / sizeof bad_enums[0]; i++) {
        char value[32];
        snprintf(value, sizeof value, "%" PRId32, bad_enums[i]);
        CHECK_STATUS(ironwal_options_set_sync_mode(opts, bad_enums[i]),
                     IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK(strstr(ironwal_last_error(), value) != NULL);
        CHECK_STATUS(ironwal_options_set_compression(opts, bad_enums[i]),
                     IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK(strstr(ironwal_last_error(), value) != NULL);
        CHECK_STATUS(ironwal_options_set_read_strategy(opts, bad_enums[i]),
                     IRONWAL_ERR_INVALID_ARGUMENT);
        CHECK(strstr(ironwal_last_error(), value) != NULL);
    }
    /* Zero sizes: rejected where a size must be at least 1. */
    CHECK_STATUS(ironwal_options_set_max_segment_size(opts, 0), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK_STATUS(ironwal_options_set_max_entries_per_segment(opts, 0),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK_STATUS(ironwal_options_set_max_open_segments(opts, 0), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(ironwal_last_error()[0] != '\0');

    /* The options still work after rejected values (they kept the good ones), and
     * may be freed right after open. */
    CHECK_OK(ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_ASYNC));
    wal = ct_open_with(opts);
    ironwal_options_free(opts);
    CHECK_OK(ironwal_append(wal, "s", CT_BYTES("after options_free"), 18, &id));
    CHECK_EQ(id, 0);
    CHECK_OK(ironwal_sync_all(wal));
    ironwal_close(wal);

    /* The largest values are limits, not sizes to allocate up front: the log opens,
     * rotates and reads back. */
    opts = ironwal_options_new(ct_path(root, "largest"));
    REQUIRE(opts != NULL);
    CHECK_OK(ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_ASYNC));
    CHECK_OK(ironwal_options_set_max_open_segments(opts, SIZE_MAX));
    CHECK_OK(ironwal_options_set_block_cache_size(opts, UINT64_MAX));
    CHECK_OK(ironwal_options_set_read_buffer_size(opts, SIZE_MAX));
    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 2));
    wal = ct_open_with(opts);
    ironwal_options_free(opts);
    for (i = 0; i < 5; i++) {
        CHECK_OK(ironwal_append(wal, "s", CT_BYTES("largest"), 7, &id));
        CHECK_EQ(id, i);
    }
    {
        ironwal_buf buf = {NULL, 0, 0};
        CHECK_OK(ironwal_get(wal, "s", 4, &buf));
        CHECK_BYTES(buf.data, buf.len, "largest", 7);
        ironwal_buf_free(&buf);
    }
    ironwal_close(wal);

    /* Each sync mode opens and writes. */
    {
        static const int32_t modes[] = {IRONWAL_SYNC_STRICT, IRONWAL_SYNC_BATCH_ONLY,
                                        IRONWAL_SYNC_ASYNC};
        for (i = 0; i < 3; i++) {
            char sub[64];
            const uint8_t *datas[2] = {CT_BYTES("one"), CT_BYTES("two")};
            size_t lens[2] = {3, 3};
            uint64_t first = 99;
            snprintf(sub, sizeof sub, "mode%zu", i);
            wal = ct_open(ct_path(root, sub), modes[i]);
            CHECK_OK(ironwal_append(wal, "m", CT_BYTES("x"), 1, &id));
            CHECK_EQ(id, 0);
            CHECK_OK(ironwal_append_batch(wal, "m", datas, lens, 2, &first));
            CHECK_EQ(first, 1);
            ironwal_close(wal);
        }
    }
}

static void test_open_close(void) {
    char root[CT_PATH_MAX];
    char file[CT_PATH_MAX];
    ironwal_options *opts;
    ironwal_wal *wal;
    ironwal_wal *second;
    ironwal_wal *sentinel = (ironwal_wal *)&second;
    uint64_t id = 0;
    FILE *f;

    ironwal_close(NULL);

    /* Open creates the root, nested directories included. */
    ct_path(root, "nested/deeper/root");
    wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    CHECK(ct_exists(root));
    CHECK_OK(ironwal_append(wal, "s", CT_BYTES("v"), 1, &id));

    /* A second open of the same root while the first is open: LOCKED, out untouched. */
    opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    second = sentinel;
    CHECK_STATUS(ironwal_open(opts, &second), IRONWAL_ERR_LOCKED);
    CHECK(second == sentinel);
    CHECK(ironwal_last_error()[0] != '\0');
    /* ... and again (a failed open leaves no lock behind). */
    CHECK_STATUS(ironwal_open(opts, &second), IRONWAL_ERR_LOCKED);

    /* Once the holder is closed, the next open succeeds and sees the data. */
    ironwal_close(wal);
    second = NULL;
    CHECK_OK(ironwal_open(opts, &second));
    CHECK(second != NULL);
    if (second != NULL) {
        uint64_t first = 99, next = 99;
        CHECK_OK(ironwal_bounds(second, "s", &first, &next));
        CHECK_EQ(first, 0);
        CHECK_EQ(next, 1);
        ironwal_close(second);
    }
    /* Open, close, open, close: the lock is released every time. */
    wal = ct_open_with(opts);
    ironwal_close(wal);
    wal = ct_open_with(opts);
    ironwal_close(wal);
    ironwal_options_free(opts);

    /* The lock is on the directory, not on how its path is spelled. */
    {
        char alias[CT_PATH_MAX];
        ironwal_options *alias_opts;
        wal = ct_open(root, IRONWAL_SYNC_ASYNC);
        ct_path(alias, "nested/./deeper/../deeper/root/");
        alias_opts = ct_options(alias, IRONWAL_SYNC_ASYNC);
        second = sentinel;
        CHECK_STATUS(ironwal_open(alias_opts, &second), IRONWAL_ERR_LOCKED);
        ironwal_options_free(alias_opts);
        ct_path(alias, "link-to-root");
        REQUIRE(symlink(root, alias) == 0);
        alias_opts = ct_options(alias, IRONWAL_SYNC_ASYNC);
        CHECK_STATUS(ironwal_open(alias_opts, &second), IRONWAL_ERR_LOCKED);
        CHECK(second == sentinel);
        ironwal_close(wal);
        /* Through the symlink once the holder is gone: the same data. */
        second = NULL;
        if (CHECK_OK(ironwal_open(alias_opts, &second)) && second != NULL) {
            uint64_t first = 99, next = 99;
            CHECK_OK(ironwal_bounds(second, "s", &first, &next));
            CHECK_EQ(next, 1);
            ironwal_close(second);
        }
        ironwal_options_free(alias_opts);
    }

    /* A relative root is relative to the working directory. */
    {
        char cwd[CT_PATH_MAX];
        char rel[CT_PATH_MAX];
        REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
        REQUIRE(chdir(ct_scratch) == 0);
        wal = ct_open("relative_root", IRONWAL_SYNC_ASYNC);
        CHECK_OK(ironwal_append(wal, "r", CT_BYTES("rel"), 3, &id));
        ironwal_close(wal);
        REQUIRE(chdir(cwd) == 0);
        CHECK(ct_exists(ct_path(rel, "relative_root/r")));
    }

    /* A root that is a regular file cannot be opened: an error, out untouched. */
    ct_path(file, "plain_file");
    f = fopen(file, "w");
    REQUIRE(f != NULL);
    fputs("not a directory\n", f);
    fclose(f);
    opts = ct_options(file, IRONWAL_SYNC_ASYNC);
    second = sentinel;
    {
        ironwal_status st = ironwal_open(opts, &second);
        CHECK(st < 0);
        if (st >= 0) {
            printf("  open of a regular file returned %s\n", ironwal_status_str(st));
        }
        CHECK(ironwal_last_error()[0] != '\0');
    }
    CHECK(second == sentinel);
    ironwal_options_free(opts);

    /* A root under a regular file cannot be created either. */
    ct_path(root, "plain_file/sub");
    opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    second = sentinel;
    CHECK(ironwal_open(opts, &second) < 0);
    CHECK(second == sentinel);
    ironwal_options_free(opts);
}

static void test_buf_free(void) {
    char root[CT_PATH_MAX];
    ironwal_wal *wal = ct_open(ct_path(root, "buf"), IRONWAL_SYNC_ASYNC);
    ironwal_buf buf = {NULL, 0, 0};
    ironwal_buf zero = {NULL, 0, 0};
    uint64_t id = 0;

    ironwal_buf_free(NULL);
    ironwal_buf_free(&zero); /* a zeroed buffer is fine */
    CHECK(zero.data == NULL && zero.len == 0 && zero.cap == 0);

    CHECK_OK(ironwal_append(wal, "b", CT_BYTES("payload"), 7, &id));
    CHECK_OK(ironwal_get(wal, "b", id, &buf));
    CHECK_BYTES(buf.data, buf.len, "payload", 7);
    CHECK(buf.cap >= buf.len);
    ironwal_buf_free(&buf);
    CHECK(buf.data == NULL && buf.len == 0 && buf.cap == 0); /* zeroed */
    ironwal_buf_free(&buf);                                  /* second call: no-op */
    CHECK(buf.data == NULL && buf.len == 0 && buf.cap == 0);

    /* An empty entry gives a buffer that frees (twice) too. */
    CHECK_OK(ironwal_append(wal, "b", NULL, 0, &id));
    CHECK_OK(ironwal_get(wal, "b", id, &buf));
    CHECK_EQ(buf.len, 0);
    ironwal_buf_free(&buf);
    ironwal_buf_free(&buf);
    CHECK(buf.data == NULL && buf.len == 0 && buf.cap == 0);
    ironwal_close(wal);
}

int main(int argc, char **argv) {
    ct_init("basics", argc, argv);
    test_last_error(); /* first: needs a thread with no failed call yet */
    test_version();
    test_status_str();
    test_options();
    test_open_close();
    test_buf_free();
    return ct_finish();
}
