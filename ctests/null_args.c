/*
 * null_args: NULL for every pointer parameter of every function (one at a time, the
 * others valid), and bad UTF-8 for every string parameter. Each call returns
 * IRONWAL_ERR_INVALID_ARGUMENT (or NULL / nothing for the functions that return no
 * status), leaves every out-param untouched, writes nothing, and leaves a message in
 * ironwal_last_error() naming the parameter.
 */
#include "check.h"

#define SENTINEL_ID UINT64_C(0xDEADBEEFCAFEF00D)
#define SENTINEL_LEN ((size_t)0x5EED)

static const char BAD_UTF8[] = "bad\xc3\x28utf8"; /* an invalid 2-byte sequence */

/* The call returned INVALID_ARGUMENT and last_error mentions `word`. */
#define CHECK_INVALID(call, word)                                            \
    do {                                                                     \
        if (CHECK_STATUS(call, IRONWAL_ERR_INVALID_ARGUMENT)) {              \
            const char *msg_ = ironwal_last_error();                         \
            if (!CHECK(msg_ != NULL && strstr(msg_, (word)) != NULL)) {      \
                printf("  last_error \"%s\" does not mention \"%s\"\n",      \
                       msg_ ? msg_ : "(NULL)", (word));                      \
            }                                                                \
        }                                                                    \
    } while (0)

int main(int argc, char **argv) {
    char root[CT_PATH_MAX];
    ironwal_options *opts;
    ironwal_wal *wal;
    ironwal_wal *wal_out;
    ironwal_iter *it;
    ironwal_iter *it_out;
    ironwal_txn *txn;
    ironwal_txn *txn_out;
    ironwal_buf buf;
    uint64_t id = SENTINEL_ID, first = SENTINEL_ID, next = SENTINEL_ID, count = SENTINEL_ID;
    size_t len = SENTINEL_LEN, deleted = SENTINEL_LEN;
    const uint8_t *data = NULL;
    uint8_t into[16];
    const uint8_t *datas[2] = {CT_BYTES("a"), CT_BYTES("b")};
    size_t lens[2] = {1, 1};

    ct_init("null_args", argc, argv);
    ct_path(root, "wal");

    /* --- options --- */
    CHECK(ironwal_options_new(NULL) == NULL);
    CHECK(strstr(ironwal_last_error(), "root_path") != NULL);
    CHECK(ironwal_options_new(BAD_UTF8) == NULL);
    CHECK(strstr(ironwal_last_error(), "root_path") != NULL);
    CHECK_INVALID(ironwal_options_set_sync_mode(NULL, IRONWAL_SYNC_ASYNC), "options");
    CHECK_INVALID(ironwal_options_set_compression(NULL, IRONWAL_COMPRESSION_LZ4), "options");
    CHECK_INVALID(ironwal_options_set_read_strategy(NULL, IRONWAL_READ_MMAP), "options");
    CHECK_INVALID(ironwal_options_set_max_segment_size(NULL, 1024), "options");
    CHECK_INVALID(ironwal_options_set_max_entries_per_segment(NULL, 10), "options");
    CHECK_INVALID(ironwal_options_set_max_open_segments(NULL, 10), "options");
    CHECK_INVALID(ironwal_options_set_block_cache_size(NULL, 1024), "options");
    CHECK_INVALID(ironwal_options_set_min_compression_size(NULL, 10), "options");
    ironwal_options_free(NULL);

    /* --- open / close --- */
    wal_out = (ironwal_wal *)&wal_out;
    CHECK_INVALID(ironwal_open(NULL, &wal_out), "options");
    CHECK(wal_out == (ironwal_wal *)&wal_out);
    opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    CHECK_INVALID(ironwal_open(opts, NULL), "out");
    /* The failed open took no lock: a real open works. */
    wal = ct_open_with(opts);
    ironwal_close(NULL);

    /* --- append --- */
    CHECK_INVALID(ironwal_append(NULL, "s", CT_BYTES("x"), 1, &id), "wal");
    CHECK_INVALID(ironwal_append(wal, NULL, CT_BYTES("x"), 1, &id), "stream");
    CHECK_INVALID(ironwal_append(wal, BAD_UTF8, CT_BYTES("x"), 1, &id), "UTF-8");
    CHECK_INVALID(ironwal_append(wal, "s", NULL, 1, &id), "data");
    CHECK_INVALID(ironwal_append(wal, "s", CT_BYTES("x"), 1, NULL), "out_id");
    CHECK_EQ(id, SENTINEL_ID);

    /* --- append_batch --- */
    CHECK_INVALID(ironwal_append_batch(NULL, "s", datas, lens, 2, &first), "wal");
    CHECK_INVALID(ironwal_append_batch(wal, NULL, datas, lens, 2, &first), "stream");
    CHECK_INVALID(ironwal_append_batch(wal, BAD_UTF8, datas, lens, 2, &first), "UTF-8");
    CHECK_INVALID(ironwal_append_batch(wal, "s", NULL, lens, 2, &first), "datas");
    CHECK_INVALID(ironwal_append_batch(wal, "s", datas, NULL, 2, &first), "lens");
    CHECK_INVALID(ironwal_append_batch(wal, "s", datas, lens, 2, NULL), "out_first_id");
    CHECK_INVALID(ironwal_append_batch(wal, "s", NULL, NULL, 0, NULL), "out_first_id");
    CHECK_EQ(first, SENTINEL_ID);

    /* --- append_batch_packed --- */
    CHECK_INVALID(ironwal_append_batch_packed(NULL, "s", CT_BYTES("ab"), lens, 2, &first), "wal");
    CHECK_INVALID(ironwal_append_batch_packed(wal, NULL, CT_BYTES("ab"), lens, 2, &first),
                  "stream");
    CHECK_INVALID(ironwal_append_batch_packed(wal, BAD_UTF8, CT_BYTES("ab"), lens, 2, &first),
                  "UTF-8");
    CHECK_INVALID(ironwal_append_batch_packed(wal, "s", NULL, lens, 2, &first), "buf");
    CHECK_INVALID(ironwal_append_batch_packed(wal, "s", CT_BYTES("ab"), NULL, 2, &first), "lens");
    CHECK_INVALID(ironwal_append_batch_packed(wal, "s", CT_BYTES("ab"), lens, 2, NULL),
                  "out_first_id");
    CHECK_EQ(first, SENTINEL_ID);

    /* None of the above wrote anything: the stream does not exist. */
    CHECK_STATUS(ironwal_bounds(wal, "s", &first, &next), IRONWAL_NOT_FOUND);
    CHECK(first == SENTINEL_ID && next == SENTINEL_ID);
    /* Now give it one entry, for the reads below. */
    CHECK_OK(ironwal_append(wal, "s", CT_BYTES("entry"), 5, &id));
    CHECK_EQ(id, 0);
    id = SENTINEL_ID;

    /* --- get / get_into --- */
    buf.data = into;
    buf.len = SENTINEL_LEN;
    buf.cap = SENTINEL_LEN;
    CHECK_INVALID(ironwal_get(NULL, "s", 0, &buf), "wal");
    CHECK_INVALID(ironwal_get(wal, NULL, 0, &buf), "stream");
    CHECK_INVALID(ironwal_get(wal, BAD_UTF8, 0, &buf), "UTF-8");
    CHECK_INVALID(ironwal_get(wal, "s", 0, NULL), "out");
    CHECK(buf.data == into && buf.len == SENTINEL_LEN && buf.cap == SENTINEL_LEN);
    memset(into, 0xAB, sizeof into);
    CHECK_INVALID(ironwal_get_into(NULL, "s", 0, into, sizeof into, &len), "wal");
    CHECK_INVALID(ironwal_get_into(wal, NULL, 0, into, sizeof into, &len), "stream");
    CHECK_INVALID(ironwal_get_into(wal, BAD_UTF8, 0, into, sizeof into, &len), "UTF-8");
    CHECK_INVALID(ironwal_get_into(wal, "s", 0, NULL, sizeof into, &len), "buf");
    CHECK_INVALID(ironwal_get_into(wal, "s", 0, into, sizeof into, NULL), "out_len");
    CHECK_EQ(len, SENTINEL_LEN);
    CHECK(into[0] == 0xAB && into[4] == 0xAB);

    /* --- truncate / sync / sync_all / bounds --- */
    CHECK_INVALID(ironwal_truncate(NULL, "s", 1, &deleted), "wal");
    CHECK_INVALID(ironwal_truncate(wal, NULL, 1, &deleted), "stream");
    CHECK_INVALID(ironwal_truncate(wal, BAD_UTF8, 1, &deleted), "UTF-8");
    CHECK_INVALID(ironwal_truncate(wal, "s", 1, NULL), "out_deleted");
    CHECK_EQ(deleted, SENTINEL_LEN);
    CHECK_INVALID(ironwal_sync(NULL, "s"), "wal");
    CHECK_INVALID(ironwal_sync(wal, NULL), "stream");
    CHECK_INVALID(ironwal_sync(wal, BAD_UTF8), "UTF-8");
    CHECK_INVALID(ironwal_sync_all(NULL), "wal");
    CHECK_INVALID(ironwal_bounds(NULL, "s", &first, &next), "wal");
    CHECK_INVALID(ironwal_bounds(wal, NULL, &first, &next), "stream");
    CHECK_INVALID(ironwal_bounds(wal, BAD_UTF8, &first, &next), "UTF-8");
    CHECK_INVALID(ironwal_bounds(wal, "s", NULL, &next), "out_first");
    CHECK_INVALID(ironwal_bounds(wal, "s", &first, NULL), "out_next");
    CHECK(first == SENTINEL_ID && next == SENTINEL_ID);

    /* --- iterators --- */
    it_out = (ironwal_iter *)&it_out;
    CHECK_INVALID(ironwal_iter_new(NULL, "s", 0, &it_out), "wal");
    CHECK_INVALID(ironwal_iter_new(wal, NULL, 0, &it_out), "stream");
    CHECK_INVALID(ironwal_iter_new(wal, BAD_UTF8, 0, &it_out), "UTF-8");
    CHECK_INVALID(ironwal_iter_new(wal, "s", 0, NULL), "out");
    CHECK(it_out == (ironwal_iter *)&it_out);
    it = NULL;
    REQUIRE(ironwal_iter_new(wal, "s", 0, &it) == IRONWAL_OK && it != NULL);
    data = into;
    CHECK_INVALID(ironwal_iter_next(NULL, &id, &data, &len), "iter");
    CHECK_INVALID(ironwal_iter_next(it, NULL, &data, &len), "out_id");
    CHECK_INVALID(ironwal_iter_next(it, &id, NULL, &len), "out_data");
    CHECK_INVALID(ironwal_iter_next(it, &id, &data, NULL), "out_len");
    CHECK(id == SENTINEL_ID && data == into && len == SENTINEL_LEN);
    /* The rejected calls did not advance the iterator. */
    if (CHECK_OK(ironwal_iter_next(it, &id, &data, &len))) {
        CHECK_EQ(id, 0);
        CHECK_BYTES(data, len, "entry", 5);
    }
    ironwal_iter_free(it);
    ironwal_iter_free(NULL);

    /* --- transactions --- */
    txn_out = (ironwal_txn *)&txn_out;
    CHECK_INVALID(ironwal_txn_new(NULL, "s", &txn_out), "wal");
    CHECK_INVALID(ironwal_txn_new(wal, NULL, &txn_out), "stream");
    CHECK_INVALID(ironwal_txn_new(wal, BAD_UTF8, &txn_out), "UTF-8");
    CHECK_INVALID(ironwal_txn_new(wal, "s", NULL), "out");
    CHECK(txn_out == (ironwal_txn *)&txn_out);
    txn = NULL;
    REQUIRE(ironwal_txn_new(wal, "s", &txn) == IRONWAL_OK && txn != NULL);
    CHECK_INVALID(ironwal_txn_add(NULL, CT_BYTES("x"), 1), "txn");
    CHECK_INVALID(ironwal_txn_add(txn, NULL, 1), "data");
    CHECK_OK(ironwal_txn_add(txn, CT_BYTES("t"), 1));
    first = count = SENTINEL_ID;
    CHECK_INVALID(ironwal_txn_commit(NULL, &first, &count), "txn");
    CHECK_INVALID(ironwal_txn_commit(txn, NULL, &count), "out_first_id");
    CHECK_INVALID(ironwal_txn_commit(txn, &first, NULL), "out_count");
    CHECK(first == SENTINEL_ID && count == SENTINEL_ID);
    /* The rejected commits did not use the txn up. */
    if (CHECK_OK(ironwal_txn_commit(txn, &first, &count))) {
        CHECK_EQ(first, 1);
        CHECK_EQ(count, 1);
    }
    ironwal_txn_free(txn);
    ironwal_txn_free(NULL);

    /* --- buffers, strings --- */
    ironwal_buf_free(NULL);
    CHECK(ironwal_status_str(IRONWAL_ERR_INVALID_ARGUMENT) != NULL);
    CHECK(ironwal_last_error() != NULL);
    CHECK(ironwal_version() != NULL);

    /* Only the two good writes happened. */
    CHECK_OK(ironwal_bounds(wal, "s", &first, &next));
    CHECK_EQ(first, 0);
    CHECK_EQ(next, 2);

    ironwal_close(wal);
    ironwal_options_free(opts);
    return ct_finish();
}
