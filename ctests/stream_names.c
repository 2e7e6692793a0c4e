/*
 * stream_names: hostile and unusual stream names. Every non-empty name of at most 255
 * bytes is its own stream (before and after a reopen) and stays inside the root;
 * empty, 256-byte and bad UTF-8 names are rejected by every function that takes a
 * stream, and nothing is created for them.
 */
#include "check.h"

#define SENTINEL_ID UINT64_C(0xDEADBEEFCAFEF00D)

enum { MAX_NAMES = 40 };
static char names[MAX_NAMES][300];
static size_t name_count;

static void add_name(const char *name) {
    if (name_count < MAX_NAMES) {
        snprintf(names[name_count++], sizeof names[0], "%s", name);
    }
}

/* A name of `len` bytes made of repeated `unit`. */
static void add_repeated(const char *unit, size_t len) {
    char name[300];
    size_t at = 0, u = strlen(unit);
    while (at + u <= len) {
        memcpy(name + at, unit, u);
        at += u;
    }
    name[at] = '\0';
    add_name(name);
}

static void check_stream_holds(ironwal_wal *wal, size_t index) {
    const char *name = names[index];
    char want[64];
    int n = snprintf(want, sizeof want, "payload of name #%zu", index);
    ironwal_buf buf = {NULL, 0, 0};
    uint64_t first = SENTINEL_ID, next = SENTINEL_ID;
    if (!CHECK_OK(ironwal_bounds(wal, name, &first, &next))) {
        printf("  stream #%zu (%zu bytes) is missing\n", index, strlen(name));
        return;
    }
    CHECK_EQ(first, 0);
    if (!CHECK_EQ(next, 1)) {
        printf("  stream #%zu (%zu bytes) holds %" PRIu64 " entries\n", index, strlen(name), next);
    }
    if (CHECK_OK(ironwal_get(wal, name, 0, &buf))) {
        CHECK_BYTES(buf.data, buf.len, want, (size_t)n);
    }
    ironwal_buf_free(&buf);
}

/* Every function that takes a stream rejects `name`, and creates nothing. */
static void check_rejected(ironwal_wal *wal, const char *root, const char *name) {
    uint64_t id = SENTINEL_ID, first = SENTINEL_ID, next = SENTINEL_ID;
    size_t len = 7, deleted = 7;
    ironwal_buf buf = {NULL, 0, 0};
    ironwal_iter *it = NULL;
    ironwal_txn *txn = NULL;
    const uint8_t *datas[1] = {CT_BYTES("x")};
    size_t lens[1] = {1};
    uint8_t into[4];
    long dirs_before = ct_count_entries(root, 1, NULL);

    CHECK_STATUS(ironwal_append(wal, name, CT_BYTES("x"), 1, &id), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_append_batch(wal, name, datas, lens, 1, &first),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_append_batch(wal, name, NULL, NULL, 0, &first),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_append_batch_packed(wal, name, CT_BYTES("x"), lens, 1, &first),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_txn_new(wal, name, &txn), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(txn == NULL);
    CHECK_STATUS(ironwal_get(wal, name, 0, &buf), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_get_into(wal, name, 0, into, sizeof into, &len),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_iter_new(wal, name, 0, &it), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(it == NULL);
    CHECK_STATUS(ironwal_truncate(wal, name, 10, &deleted), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_sync(wal, name), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_bounds(wal, name, &first, &next), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(id == SENTINEL_ID && first == SENTINEL_ID && next == SENTINEL_ID);
    CHECK(len == 7 && deleted == 7 && buf.data == NULL);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK_EQ(ct_count_entries(root, 1, NULL), dirs_before);
    /* A txn cannot be made, so it cannot create the stream at commit either. */
    if (txn != NULL) {
        ironwal_txn_free(txn);
    }
    if (it != NULL) {
        ironwal_iter_free(it);
    }
}

int main(int argc, char **argv) {
    char parent[CT_PATH_MAX];
    char root[CT_PATH_MAX];
    char probe[CT_PATH_MAX];
    ironwal_wal *wal;
    size_t i;
    uint64_t id;

    ct_init("stream_names", argc, argv);
    /* <scratch>/parent/root: anything escaping root would land in parent. */
    ct_path(parent, "parent");
    REQUIRE(mkdir(parent, 0755) == 0);
    ct_fmt(root, "%s/root", parent);

    add_name("plain");
    add_name("../x");
    add_name("..");
    add_name(".");
    add_name("../../escape");
    add_name("/etc");
    add_name("/tmp/ironwal-absolute");
    add_name("a/b");
    add_name("a_b");
    add_name("a%2Fb");
    add_name("a\\b");
    add_name("~x");
    add_name(".hidden");
    add_name(".lock"); /* the lock file's name */
    add_name("x.wal");
    add_name("00000000000000000000.wal");
    add_name("with space");
    add_name("tab\tnew\nline");
    add_name("\x01\x1f\x7f");
    add_name("h\xc3\xa9llo w\xc3\xb6rld");    /* héllo wörld */
    add_name("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"); /* 日本語 */
    add_name("\xf0\x9f\xa6\x80");              /* 🦀 */
    add_name("CON");
    add_name("con");
    add_name("A");
    add_name("a");
    add_repeated("x", 255);  /* 255 bytes: the longest name */
    add_repeated("x", 254);
    add_repeated("/", 255);  /* escapes to more than 255 bytes */
    add_repeated("/", 254);
    add_repeated(".", 255);
    add_repeated("\xe2\x82\xac", 255); /* 85 x the 3-byte euro sign */
    add_repeated("\xf0\x9f\xa6\x80", 252); /* 63 x a 4-byte character */
    add_repeated("%", 255);

    wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    for (i = 0; i < name_count; i++) {
        char text[64];
        int n = snprintf(text, sizeof text, "payload of name #%zu", i);
        id = SENTINEL_ID;
        if (!CHECK_OK(ironwal_append(wal, names[i], CT_BYTES(text), (size_t)n, &id))) {
            printf("  name #%zu (%zu bytes) rejected\n", i, strlen(names[i]));
        }
        CHECK_EQ(id, 0); /* a fresh stream each time: no two names share one */
    }
    for (i = 0; i < name_count; i++) {
        check_stream_holds(wal, i);
    }
    CHECK_OK(ironwal_sync_all(wal));

    /* Every stream is a directory inside root; nothing appeared next to it. */
    CHECK_EQ(ct_count_entries(parent, 0, NULL), 1);
    CHECK_EQ(ct_count_entries(root, 1, NULL), (long)name_count);
    CHECK(!ct_exists(ct_fmt(probe, "%s/x", parent)));
    CHECK(!ct_exists(ct_fmt(probe, "%s/escape", ct_scratch)));
    CHECK(!ct_exists("/etc/00000000000000000000.wal"));
    CHECK(!ct_exists("/tmp/ironwal-absolute"));

    /* Rejected names. */
    check_rejected(wal, root, "");
    {
        char long_name[300];
        memset(long_name, 'x', 256);
        long_name[256] = '\0';
        check_rejected(wal, root, long_name); /* 256 bytes */
        memset(long_name, '/', 256);
        check_rejected(wal, root, long_name);
        memset(long_name, 'x', 299);
        long_name[299] = '\0';
        check_rejected(wal, root, long_name);
        /* 255 bytes plus a 2-byte character = 257 bytes. */
        memset(long_name, 'x', 255);
        memcpy(long_name + 255, "\xc3\xa9", 3);
        check_rejected(wal, root, long_name);
    }
    check_rejected(wal, root, "\xff");
    check_rejected(wal, root, "a\xc3");       /* truncated sequence */
    check_rejected(wal, root, "\xed\xa0\x80"); /* a UTF-16 surrogate */
    check_rejected(wal, root, "\xc0\xaf");     /* overlong '/' */
    ironwal_close(wal);

    /* After a reopen every name is still its own stream. */
    wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    for (i = 0; i < name_count; i++) {
        check_stream_holds(wal, i);
    }
    /* ... and appends continue each stream at id 1. */
    for (i = 0; i < name_count; i += 5) {
        id = SENTINEL_ID;
        CHECK_OK(ironwal_append(wal, names[i], CT_BYTES("second"), 6, &id));
        CHECK_EQ(id, 1);
    }
    CHECK_EQ(ct_count_entries(root, 1, NULL), (long)name_count);
    ironwal_close(wal);
    return ct_finish();
}
