/*
 * corruption: damaged files seen through the C API. A read of damaged data returns
 * IRONWAL_ERR_CRC_MISMATCH or IRONWAL_ERR_CORRUPTION (with a message), never
 * IRONWAL_OK with other bytes; an iterator stops at the damage with the error and then
 * stays at its end; a torn tail of the active segment is cut on open; damage in the
 * active segment followed by valid frames does not lose those frames.
 * (Layout: docs/FORMAT.md. Payloads are stored as written without compression.)
 */
#include "check.h"

#define SENTINEL_LEN ((size_t)0x5EED)

static size_t payload(char *out, size_t cap, uint64_t i) {
    int n = snprintf(out, cap, "PAYLOAD-%03d-abcdefgh", (int)i);
    return n < 0 ? 0 : (size_t)n;
}

/* Flips one byte inside the first occurrence of `needle` in the file. Returns the
 * offset or -1. */
static long flip_inside(const char *path, const char *needle) {
    FILE *f = fopen(path, "r+b");
    long size, at = -1, i;
    size_t n = strlen(needle);
    unsigned char *bytes;
    if (f == NULL) {
        return -1;
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    bytes = malloc((size_t)size + 1);
    if (bytes == NULL || fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        free(bytes);
        fclose(f);
        return -1;
    }
    for (i = 0; i + (long)n <= size; i++) {
        if (memcmp(bytes + i, needle, n) == 0) {
            at = i + (long)n - 3; /* inside the payload, away from its length prefix */
            break;
        }
    }
    if (at >= 0) {
        fseek(f, at, SEEK_SET);
        fputc(bytes[at] ^ 0x20, f);
    }
    free(bytes);
    fclose(f);
    return at;
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The read of a damaged entry is an error, never other bytes. */
static int is_damage_error(ironwal_status st) {
    return st == IRONWAL_ERR_CRC_MISMATCH || st == IRONWAL_ERR_CORRUPTION;
}

/* The message of a damage error names the stream and the segment file. */
static void check_damage_message(const char *stream) {
    const char *message = ironwal_last_error();
    if (!CHECK(strstr(message, stream) != NULL && strstr(message, ".wal") != NULL)) {
        printf("  message: %s\n", message);
    }
}

static void check_good(ironwal_wal *wal, const char *stream, uint64_t id) {
    char want[64];
    size_t n = payload(want, sizeof want, id);
    ironwal_buf buf = {NULL, 0, 0};
    if (CHECK_OK(ironwal_get(wal, stream, id, &buf))) {
        CHECK_BYTES(buf.data, buf.len, want, n);
    }
    ironwal_buf_free(&buf);
}

static void check_damaged(ironwal_wal *wal, const char *stream, uint64_t id) {
    ironwal_buf buf = {NULL, SENTINEL_LEN, SENTINEL_LEN};
    uint8_t into[64];
    size_t len = SENTINEL_LEN;
    ironwal_status st = ironwal_get(wal, stream, id, &buf);
    if (!CHECK(is_damage_error(st))) {
        printf("  get of damaged %s/%d returned %s\n", stream, (int)id, ironwal_status_str(st));
    }
    check_damage_message(stream);
    CHECK(buf.data == NULL && buf.len == SENTINEL_LEN);
    if (st == IRONWAL_OK) {
        ironwal_buf_free(&buf);
    }
    st = ironwal_get_into(wal, stream, id, into, sizeof into, &len);
    CHECK(is_damage_error(st));
    check_damage_message(stream);
    CHECK_EQ(len, SENTINEL_LEN);
}

static void append_entries(ironwal_wal *wal, const char *stream, uint64_t count) {
    uint64_t i, id;
    char text[64];
    for (i = 0; i < count; i++) {
        size_t n = payload(text, sizeof text, i);
        CHECK_OK(ironwal_append(wal, stream, CT_BYTES(text), n, &id));
        CHECK_EQ(id, i);
    }
}

/* Bit rot in a sealed segment: open works (sealed segments are not read on open),
 * the damaged entry reads as an error, its neighbours read fine. */
static void test_sealed_bit_rot(const char *root) {
    ironwal_options *opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    ironwal_wal *wal;
    ironwal_iter *it = NULL;
    char seg[CT_PATH_MAX];
    uint64_t id, i;
    const uint8_t *data;
    size_t len;
    ironwal_status st;

    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 4));
    wal = ct_open_with(opts);
    append_entries(wal, "sealed", 10);
    check_good(wal, "sealed", 2);
    ironwal_close(wal);

    ct_fmt(seg, "%s/sealed/%020d.wal", root, 0);
    REQUIRE(flip_inside(seg, "PAYLOAD-002-") >= 0);

    wal = ct_open_with(opts);
    check_good(wal, "sealed", 0);
    check_good(wal, "sealed", 1);
    check_damaged(wal, "sealed", 2);
    for (i = 4; i < 10; i++) {
        check_good(wal, "sealed", i);
    }
    /* Entry 3 follows the damage in the same segment: its own bytes or an error. */
    {
        char want[64];
        size_t n = payload(want, sizeof want, 3);
        ironwal_buf buf = {NULL, 0, 0};
        st = ironwal_get(wal, "sealed", 3, &buf);
        CHECK(st == IRONWAL_OK || is_damage_error(st));
        if (st == IRONWAL_OK) {
            CHECK_BYTES(buf.data, buf.len, want, n);
            ironwal_buf_free(&buf);
        }
    }

    /* The iterator yields 0 and 1, then the error, then stays at its end. */
    CHECK_OK(ironwal_iter_new(wal, "sealed", 0, &it));
    for (i = 0; i < 2; i++) {
        char want[64];
        size_t n = payload(want, sizeof want, i);
        if (CHECK_OK(ironwal_iter_next(it, &id, &data, &len))) {
            CHECK_EQ(id, i);
            CHECK_BYTES(data, len, want, n);
        }
    }
    id = 777;
    len = SENTINEL_LEN;
    st = ironwal_iter_next(it, &id, &data, &len);
    if (!CHECK(is_damage_error(st))) {
        printf("  iterating over the damage returned %s\n", ironwal_status_str(st));
    }
    check_damage_message("sealed");
    CHECK(id == 777 && len == SENTINEL_LEN);
    CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    CHECK_STATUS(ironwal_iter_next(it, &id, &data, &len), IRONWAL_END);
    ironwal_iter_free(it);

    /* Writing goes on. */
    CHECK_OK(ironwal_append(wal, "sealed", CT_BYTES("new"), 3, &id));
    CHECK_EQ(id, 10);
    ironwal_close(wal);
    ironwal_options_free(opts);
}

/* A torn tail of the active segment (the last frame cut short) is cut back on open. */
static void test_torn_tail(const char *root) {
    ironwal_wal *wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    char seg[CT_PATH_MAX];
    long before, after;
    uint64_t first = 0, next = 0, id, i;
    ironwal_buf buf = {NULL, 0, 0};

    append_entries(wal, "torn", 5);
    ironwal_close(wal);
    ct_fmt(seg, "%s/torn/%020d.wal", root, 0);
    before = file_size(seg);
    REQUIRE(before > 40);
    REQUIRE(truncate(seg, before - 5) == 0);

    wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    CHECK_OK(ironwal_bounds(wal, "torn", &first, &next));
    CHECK_EQ(first, 0);
    CHECK_EQ(next, 4);
    for (i = 0; i < 4; i++) {
        check_good(wal, "torn", i);
    }
    CHECK_STATUS(ironwal_get(wal, "torn", 4, &buf), IRONWAL_NOT_FOUND);
    after = file_size(seg);
    CHECK(after < before - 5 && after % 8 == 0); /* shrunk to the last whole frame */
    {
        char text[64];
        size_t n = payload(text, sizeof text, 4);
        CHECK_OK(ironwal_append(wal, "torn", CT_BYTES(text), n, &id));
        CHECK_EQ(id, 4);
        check_good(wal, "torn", 4);
    }
    ironwal_close(wal);
    wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    for (i = 0; i < 5; i++) {
        check_good(wal, "torn", i);
    }
    ironwal_close(wal);
}

/* Damage in the active segment followed by valid frames: not a torn tail. The later
 * frames are kept (also across more reopens), the damaged id reads as an error. */
static void test_active_bit_rot(const char *root) {
    ironwal_wal *wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    ironwal_options *opts;
    char seg[CT_PATH_MAX];
    uint64_t first = 0, next = 0, id, i;
    int round;

    append_entries(wal, "rot", 5);
    ironwal_close(wal);
    ct_fmt(seg, "%s/rot/%020d.wal", root, 0);
    REQUIRE(flip_inside(seg, "PAYLOAD-001-") >= 0);

    opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    for (round = 0; round < 2; round++) {
        ironwal_status st;
        wal = NULL;
        st = ironwal_open(opts, &wal);
        if (st != IRONWAL_OK) {
            /* Refusing to open is acceptable if it says where the damage is. */
            CHECK(is_damage_error(st));
            CHECK(strstr(ironwal_last_error(), ".wal") != NULL);
            break;
        }
        CHECK_OK(ironwal_bounds(wal, "rot", &first, &next));
        CHECK_EQ(next, 5 + (uint64_t)round);
        check_good(wal, "rot", 0);
        check_damaged(wal, "rot", 1);
        for (i = 2; i < 5; i++) {
            check_good(wal, "rot", i);
        }
        CHECK_OK(ironwal_append(wal, "rot", CT_BYTES("later"), 5, &id));
        CHECK_EQ(id, 5 + (uint64_t)round);
        ironwal_close(wal);
    }
    ironwal_options_free(opts);
}

/* A sealed segment that shrinks under a memory-mapped reader (someone else truncates
 * the file): reads return the right bytes or an error, and the process does not die
 * of SIGBUS. The same with a segment that truncate deletes under an iterator. */
static void test_mmap_shrunk(const char *root) {
    ironwal_options *opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    ironwal_wal *wal;
    ironwal_iter *it = NULL;
    char seg[CT_PATH_MAX];
    uint64_t id, i;
    const uint8_t *data;
    size_t len, deleted = 0;
    ironwal_status st;
    long size;

    CHECK_OK(ironwal_options_set_read_strategy(opts, IRONWAL_READ_MMAP));
    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 8));
    wal = ct_open_with(opts);
    append_entries(wal, "m", 30); /* segments 0, 8, 16 sealed; 24 active */
    for (i = 0; i < 30; i++) {
        check_good(wal, "m", i); /* maps the sealed segments */
    }

    /* Cut segment 8 to half its size behind the library's back. */
    ct_fmt(seg, "%s/m/%020d.wal", root, 8);
    size = file_size(seg);
    REQUIRE(size > 0);
    REQUIRE(truncate(seg, size / 2) == 0);
    for (i = 8; i < 16; i++) {
        char want[64];
        size_t n = payload(want, sizeof want, i);
        ironwal_buf buf = {NULL, 0, 0};
        st = ironwal_get(wal, "m", i, &buf);
        if (!CHECK(st == IRONWAL_OK || st < 0)) {
            printf("  get %d of a shrunk segment returned %s\n", (int)i, ironwal_status_str(st));
        }
        if (st == IRONWAL_OK) {
            CHECK_BYTES(buf.data, buf.len, want, n);
            ironwal_buf_free(&buf);
        }
    }

    /* An iterator inside segment 0 when truncate deletes segments 0 and 8. */
    CHECK_OK(ironwal_iter_new(wal, "m", 0, &it));
    if (CHECK_OK(ironwal_iter_next(it, &id, &data, &len))) {
        CHECK_EQ(id, 0);
    }
    CHECK_OK(ironwal_truncate(wal, "m", 16, &deleted));
    CHECK_EQ(deleted, 2);
    for (;;) {
        char want[64];
        size_t n;
        st = ironwal_iter_next(it, &id, &data, &len);
        if (st != IRONWAL_OK) {
            break;
        }
        n = payload(want, sizeof want, id);
        CHECK_BYTES(data, len, want, n); /* whatever it yields is right */
    }
    CHECK(st == IRONWAL_END || st < 0);
    ironwal_iter_free(it);
    for (i = 16; i < 30; i++) {
        check_good(wal, "m", i);
    }
    ironwal_close(wal);
    ironwal_options_free(opts);
}

int main(int argc, char **argv) {
    char root[CT_PATH_MAX];
    ct_init("corruption", argc, argv);
    test_sealed_bit_rot(ct_path(root, "sealed"));
    test_torn_tail(ct_path(root, "torn"));
    test_active_bit_rot(ct_path(root, "active"));
    test_mmap_shrunk(ct_path(root, "mmap"));
    return ct_finish();
}
