/*
 * options_edges: options beyond the basics (corruption policy, read buffer size, the
 * compression threshold) and the data pointer of empty entries, which must be a real
 * pointer (never Rust's dangling 0x1: UB for memcpy, fatal for cgo).
 */
#include "check.h"

#include <fcntl.h>
#include <unistd.h>

static ironwal_wal *open_with(const char *root, int32_t policy) {
    ironwal_options *opts = ironwal_options_new(root);
    REQUIRE(opts != NULL);
    CHECK_OK(ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_ASYNC));
    CHECK_OK(ironwal_options_set_corruption_policy(opts, policy));
    CHECK_OK(ironwal_options_set_read_buffer_size(opts, 4096));
    ironwal_wal *wal = NULL;
    ironwal_status status = ironwal_open(opts, &wal);
    ironwal_options_free(opts);
    return status == IRONWAL_OK ? wal : NULL;
}

static void empty_entries_have_real_pointers(const char *root) {
    ironwal_wal *wal = open_with(root, IRONWAL_CORRUPTION_TRUNCATE);
    REQUIRE(wal != NULL);
    uint64_t id = 99;
    CHECK_OK(ironwal_append(wal, "empty", NULL, 0, &id));
    CHECK_EQ(id, 0);
    ironwal_buf buf = {NULL, 0, 0};
    CHECK_OK(ironwal_get(wal, "empty", 0, &buf));
    CHECK_EQ(buf.len, 0);
    CHECK(buf.data != NULL && (uintptr_t)buf.data >= 4096);
    ironwal_buf_free(&buf);
    CHECK(buf.data == NULL && buf.len == 0 && buf.cap == 0);
    ironwal_buf_free(&buf);

    ironwal_iter *iter = NULL;
    CHECK_OK(ironwal_iter_new(wal, "empty", 0, &iter));
    uint64_t got_id = 7;
    const uint8_t *data = NULL;
    size_t len = 5;
    CHECK_OK(ironwal_iter_next(iter, &got_id, &data, &len));
    CHECK_EQ(got_id, 0);
    CHECK_EQ(len, 0);
    CHECK(data != NULL && (uintptr_t)data >= 4096);
    CHECK_STATUS(ironwal_iter_next(iter, &got_id, &data, &len), IRONWAL_END);
    ironwal_iter_free(iter);
    ironwal_close(wal);
}

static void corruption_policy_is_honoured(const char *root) {
    ironwal_options *opts = ironwal_options_new(root);
    REQUIRE(opts != NULL);
    CHECK_STATUS(ironwal_options_set_corruption_policy(opts, 2), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_options_set_corruption_policy(opts, -1), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_options_set_corruption_policy(NULL, 0), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_options_set_read_buffer_size(opts, 0), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_options_set_read_buffer_size(NULL, 1), IRONWAL_ERR_INVALID_ARGUMENT);
    ironwal_options_free(opts);

    ironwal_wal *wal = open_with(root, IRONWAL_CORRUPTION_ERROR);
    REQUIRE(wal != NULL);
    uint64_t id = 0;
    CHECK_OK(ironwal_append(wal, "s", (const uint8_t *)"first", 5, &id));
    CHECK_OK(ironwal_append(wal, "s", (const uint8_t *)"second", 6, &id));
    ironwal_close(wal);

    /* Cut the last frame short: a torn tail. */
    char segment[CT_PATH_MAX];
    ct_path(segment, "policy/s/00000000000000000000.wal");
    int fd = open(segment, O_WRONLY);
    REQUIRE(fd >= 0);
    off_t len = lseek(fd, 0, SEEK_END);
    CHECK(ftruncate(fd, len - 3) == 0);
    close(fd);

    ironwal_options *strict = ironwal_options_new(root);
    REQUIRE(strict != NULL);
    CHECK_OK(ironwal_options_set_corruption_policy(strict, IRONWAL_CORRUPTION_ERROR));
    ironwal_wal *refused = (ironwal_wal *)&refused;
    CHECK_STATUS(ironwal_open(strict, &refused), IRONWAL_ERR_CORRUPTION);
    CHECK(refused == (ironwal_wal *)&refused); /* out-param untouched on failure */
    CHECK(strlen(ironwal_last_error()) > 0);
    CHECK_OK(ironwal_options_set_corruption_policy(strict, IRONWAL_CORRUPTION_TRUNCATE));
    ironwal_wal *opened = NULL;
    CHECK_OK(ironwal_open(strict, &opened));
    ironwal_options_free(strict);
    uint64_t first = 0, next = 0;
    CHECK_OK(ironwal_bounds(opened, "s", &first, &next));
    CHECK_EQ(next, 1);
    ironwal_close(opened);
}

/* The threshold counts the entry bytes the caller wrote, not framing. */
static long segment_size_after(const char *sub, size_t min_size, size_t entry_len) {
    char root[CT_PATH_MAX];
    ct_path(root, sub);
    ironwal_options *opts = ironwal_options_new(root);
    REQUIRE(opts != NULL);
    CHECK_OK(ironwal_options_set_compression(opts, IRONWAL_COMPRESSION_LZ4));
    CHECK_OK(ironwal_options_set_min_compression_size(opts, min_size));
    /* Async segments are not preallocated: the file ends with its last frame. */
    CHECK_OK(ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_ASYNC));
    ironwal_wal *wal = NULL;
    CHECK_OK(ironwal_open(opts, &wal));
    ironwal_options_free(opts);
    static uint8_t zeros[8192];
    uint64_t id = 0;
    CHECK_OK(ironwal_append(wal, "z", zeros, entry_len, &id));
    ironwal_close(wal);
    char segment[CT_PATH_MAX + 64];
    snprintf(segment, sizeof segment, "%s/z/00000000000000000000.wal", root);
    struct stat st;
    return stat(segment, &st) == 0 ? (long)st.st_size : -1;
}

static void compression_threshold_counts_entry_bytes(void) {
    long below = segment_size_after("thr_below", 8193, 8192);
    long at = segment_size_after("thr_at", 8192, 8192);
    CHECK(below > 8192);
    CHECK(at > 0 && at < 1024);
}

int main(int argc, char **argv) {
    ct_init("options_edges", argc, argv);
    char root[CT_PATH_MAX];
    empty_entries_have_real_pointers(ct_path(root, "empty"));
    corruption_policy_is_honoured(ct_path(root, "policy"));
    compression_threshold_counts_entry_bytes();
    return ct_finish();
}
