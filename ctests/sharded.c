/*
 * sharded: the sharded C API (ironwal_sharded_*, ironwal_checkpoint_*). Open/close,
 * shard count recorded on disk (SHARD_COUNT_MISMATCH), the root lock, the fixed routing
 * hash (fmix64(fnv1a64(key)) % count, its test vectors), appends and packed batches
 * (per-position results, ids dense per shard), checkpoints (create, load by id and
 * latest, ids as bytes of 1..65535, id reuse, offsets = each shard's next id, iterating
 * a shard from a checkpoint), prune, compaction, persistence across reopen, NULL for
 * every pointer parameter, checkpoints and iterators after ironwal_sharded_close, and 4
 * pthreads appending while checkpoints are taken (each a consistent cut).
 */
#include "check.h"

#include <pthread.h>
#include <time.h>

#define SENTINEL_ID UINT64_C(0xDEADBEEFCAFEF00D)
#define SENTINEL_LEN ((size_t)0x5EED)
#define SENTINEL_SHARD ((uint16_t)0xBEEF)

/* ------------------------------------------------------------------------------- */
/* Routing, computed here from docs/SHARDED_WAL.md                                        */

static uint64_t fnv1a64(const uint8_t *p, size_t n) {
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static uint64_t fmix64(uint64_t h) {
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

static uint16_t route(const void *key, size_t len, uint16_t count) {
    return (uint16_t)(fmix64(fnv1a64((const uint8_t *)key, len)) % count);
}

/* Writes to out a key "<tag>-<n>" that routes to `shard` of `count`; returns its length. */
static size_t key_for_shard(char *out, size_t cap, const char *tag, uint16_t shard,
                            uint16_t count) {
    unsigned n;
    for (n = 0; n < 100000; n++) {
        int len = snprintf(out, cap, "%s-%u", tag, n);
        if (len > 0 && route(out, (size_t)len, count) == shard) {
            return (size_t)len;
        }
    }
    fprintf(stderr, "no key for shard %u of %u\n", shard, count);
    exit(2);
}

/* ------------------------------------------------------------------------------- */
/* Values and helpers                                                                 */

/* The value stored at (shard, id): "s<shard>#<id>" plus id % 5 'x's; id % 9 == 4 is
 * empty. Every test appends val(shard, expected id), so contents check placement. */
static size_t val(char *out, size_t cap, uint16_t shard, uint64_t id) {
    int n;
    size_t len, k;
    if (id % 9 == 4) {
        out[0] = '\0';
        return 0;
    }
    n = snprintf(out, cap, "s%u#%" PRIu64, (unsigned)shard, id);
    len = n < 0 ? 0 : (size_t)n;
    for (k = 0; k < id % 5 && len + 1 < cap; k++) {
        out[len++] = 'x';
    }
    out[len] = '\0';
    return len;
}

/* Opens a sharded WAL; the program stops if that fails. max_entries 0: default. */
static ironwal_sharded *open_sharded(const char *root, uint16_t count, uint64_t max_entries) {
    ironwal_options *opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    ironwal_sharded *sh = NULL;
    if (max_entries > 0) {
        REQUIRE(ironwal_options_set_max_entries_per_segment(opts, max_entries) == IRONWAL_OK);
    }
    if (!CHECK_OK(ironwal_sharded_open(opts, count, &sh)) || !CHECK(sh != NULL)) {
        exit(ct_finish());
    }
    ironwal_options_free(opts);
    return sh;
}

/* Appends val(shard, counts[shard]) under key; checks the shard (the routing computed
 * here) and the id (the shard's next id), and counts it. */
static void append_key(ironwal_sharded *sh, const void *key, size_t key_len, uint64_t *counts) {
    uint16_t count = ironwal_sharded_shard_count(sh);
    uint16_t want = route(key, key_len, count);
    uint16_t shard = SENTINEL_SHARD;
    uint64_t id = SENTINEL_ID;
    char text[64];
    size_t n = val(text, sizeof text, want, counts[want]);
    if (CHECK_OK(ironwal_sharded_append(sh, CT_BYTES(key), key_len, CT_BYTES(text), n, &shard,
                                        &id))) {
        CHECK_EQ(shard, want);
        CHECK_EQ(id, counts[want]);
        if (shard < count) {
            counts[shard]++;
        }
    }
}

/* Appends `n` entries to `shard` (through keys that route there). */
static void append_to_shard(ironwal_sharded *sh, uint16_t shard, unsigned n, uint64_t *counts) {
    char key[64];
    unsigned i;
    for (i = 0; i < n; i++) {
        char tag[32];
        size_t len;
        snprintf(tag, sizeof tag, "k%u.%" PRIu64, i, counts[shard]);
        len = key_for_shard(key, sizeof key, tag, shard, ironwal_sharded_shard_count(sh));
        append_key(sh, key, len, counts);
    }
}

/* Drains an iterator: ids first..end-1 in order with val(shard, id), then END. */
static void drain(ironwal_iter *it, uint16_t shard, uint64_t first, uint64_t end) {
    uint64_t id = SENTINEL_ID, expect = first;
    const uint8_t *data = NULL;
    size_t len = SENTINEL_LEN;
    ironwal_status st;
    char want[64];
    while ((st = ironwal_iter_next(it, &id, &data, &len)) == IRONWAL_OK) {
        size_t n = val(want, sizeof want, shard, expect);
        if (!CHECK_EQ(id, expect) || !CHECK_BYTES(data, len, want, n)) {
            printf("  shard %u: entry %" PRIu64 " (expected %" PRIu64 ")\n", (unsigned)shard,
                   id, expect);
            break;
        }
        expect++;
    }
    if (st != IRONWAL_OK) {
        CHECK_STATUS(st, IRONWAL_END);
    }
    if (!CHECK_EQ(expect, end)) {
        printf("  shard %u: iteration from %" PRIu64 " ended at %" PRIu64 "\n",
               (unsigned)shard, first, expect);
    }
}

/* Iterates shard from start: exactly ids first..end-1 with their values. */
static void check_shard(ironwal_sharded *sh, uint16_t shard, uint64_t start, uint64_t first,
                        uint64_t end) {
    ironwal_iter *it = NULL;
    if (CHECK_OK(ironwal_sharded_iter(sh, shard, start, &it)) && CHECK(it != NULL)) {
        drain(it, shard, first, end);
    }
    ironwal_iter_free(it);
}

/* Every shard holds exactly ids 0..counts[s]-1 with their values. */
static void check_all_shards(ironwal_sharded *sh, const uint64_t *counts) {
    uint16_t s, n = ironwal_sharded_shard_count(sh);
    for (s = 0; s < n; s++) {
        check_shard(sh, s, 0, 0, counts[s]);
    }
}

/* With a plain ironwal_wal on root (the sharded handle closed): stream shard_%02u has
 * bounds first[s]..next[s]; a shard without entries may not exist as a stream. */
static void check_plain_bounds(const char *root, uint16_t count, const uint64_t *first,
                               const uint64_t *next) {
    ironwal_wal *wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    uint16_t s;
    for (s = 0; s < count; s++) {
        char stream[32];
        uint64_t f = SENTINEL_ID, x = SENTINEL_ID;
        ironwal_status st;
        snprintf(stream, sizeof stream, "shard_%02u", (unsigned)s);
        st = ironwal_bounds(wal, stream, &f, &x);
        if (st == IRONWAL_NOT_FOUND && next[s] == 0) {
            continue;
        }
        if (CHECK_OK(st)) {
            if (!CHECK_EQ(f, first[s]) || !CHECK_EQ(x, next[s])) {
                printf("  stream %s\n", stream);
            }
        }
    }
    ironwal_close(wal);
}

/* Loads a checkpoint by id; NULL (a failed check) if that fails. */
static ironwal_checkpoint *load(ironwal_sharded *sh, const void *id, size_t id_len) {
    ironwal_checkpoint *cp = NULL;
    if (!CHECK_OK(ironwal_sharded_load_checkpoint(sh, CT_BYTES(id), id_len, &cp))) {
        return NULL;
    }
    CHECK(cp != NULL);
    return cp;
}

/* The checkpoint covers `count` shards with exactly these offsets. */
static void check_offsets(const ironwal_checkpoint *cp, uint16_t count, const uint64_t *want) {
    uint16_t s;
    if (!CHECK(cp != NULL)) {
        return;
    }
    CHECK_EQ(ironwal_checkpoint_shard_count(cp), count);
    for (s = 0; s < count; s++) {
        if (!CHECK_EQ(ironwal_checkpoint_offset(cp, s), want[s])) {
            printf("  offset of shard %u\n", (unsigned)s);
        }
    }
    CHECK_EQ(ironwal_checkpoint_offset(cp, count), UINT64_MAX);
    CHECK_EQ(ironwal_checkpoint_offset(cp, UINT16_MAX), UINT64_MAX);
}

/* The checkpoint's id is these bytes. */
static void check_id(const ironwal_checkpoint *cp, const void *id, size_t id_len) {
    const uint8_t *data = NULL;
    size_t len = SENTINEL_LEN;
    if (!CHECK(cp != NULL)) {
        return;
    }
    ironwal_checkpoint_id(cp, &data, &len);
    CHECK(data != NULL);
    CHECK_BYTES(data, len, id, id_len);
}

/* A plausible timestamp: nanoseconds since the epoch, within a day of now. */
static void check_timestamp(const ironwal_checkpoint *cp) {
    uint64_t ts = ironwal_checkpoint_timestamp(cp);
    uint64_t now = (uint64_t)time(NULL);
    CHECK(ts > 0);
    if (!CHECK(ts / UINT64_C(1000000000) + 86400 > now
               && ts / UINT64_C(1000000000) < now + 86400)) {
        printf("  timestamp %" PRIu64 " ns, now %" PRIu64 " s\n", ts, now);
    }
}

/* The size of a file, or -1. */
static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* ------------------------------------------------------------------------------- */
/* Routing vectors (no library involved: checks the helper above)                     */

static void test_router_helper(void) {
    const uint8_t ff[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK_EQ(fnv1a64(CT_BYTES(""), 0), UINT64_C(0xcbf29ce484222325));
    CHECK_EQ(fnv1a64(CT_BYTES("a"), 1), UINT64_C(0xaf63dc4c8601ec8c));
    CHECK_EQ(route("user_123", 8, 16), 13);
    CHECK_EQ(route("user_124", 8, 16), 11);
    CHECK_EQ(route("", 0, 16), 6);
    CHECK_EQ(route("raft", 4, 3), 2);
    CHECK_EQ(route("key_0", 5, 256), 92);
    CHECK_EQ(route("key_1", 5, 256), 222);
    CHECK_EQ(route(ff, sizeof ff, 7), 1);
}

/* ------------------------------------------------------------------------------- */
/* Open, close, shard count, lock, empty WAL                                          */

static void test_open_close(const char *root) {
    ironwal_options *opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    ironwal_sharded *sh = NULL;
    ironwal_sharded *other;
    ironwal_sharded *const sh_sentinel = (ironwal_sharded *)&other;
    ironwal_wal *plain;
    ironwal_checkpoint *cp;
    ironwal_checkpoint *const cp_sentinel = (ironwal_checkpoint *)&cp;
    ironwal_iter *it;
    ironwal_iter *const it_sentinel = (ironwal_iter *)&it;
    ironwal_prune_stats ps;
    ironwal_compaction_stats cs;
    uint64_t counts[4] = {0, 0, 0, 0};
    char manifest[CT_PATH_MAX];
    uint16_t s;

    ct_fmt(manifest, "%s/MANIFEST", root);

    /* shard_count 0 is rejected, out untouched, no manifest written. */
    other = sh_sentinel;
    CHECK_STATUS(ironwal_sharded_open(opts, 0, &other), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(other == sh_sentinel);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK(!ct_exists(manifest));

    /* A new WAL of 4 shards. */
    CHECK_OK(ironwal_sharded_open(opts, 4, &sh));
    REQUIRE(sh != NULL);
    CHECK_EQ(ironwal_sharded_shard_count(sh), 4);
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 0);
    CHECK(ct_exists(manifest));

    /* The root is locked: another sharded or plain open fails, outs untouched. */
    other = sh_sentinel;
    CHECK_STATUS(ironwal_sharded_open(opts, 4, &other), IRONWAL_ERR_LOCKED);
    CHECK(other == sh_sentinel);
    plain = (ironwal_wal *)&other;
    CHECK_STATUS(ironwal_open(opts, &plain), IRONWAL_ERR_LOCKED);
    CHECK(plain == (ironwal_wal *)&other);

    /* No checkpoints yet. */
    cp = cp_sentinel;
    CHECK_STATUS(ironwal_sharded_load_latest_checkpoint(sh, &cp), IRONWAL_ERR_NO_CHECKPOINTS);
    CHECK(cp == cp_sentinel);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK_STATUS(ironwal_sharded_load_checkpoint(sh, CT_BYTES("nope"), 4, &cp),
                 IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK(cp == cp_sentinel);
    CHECK(ironwal_last_error()[0] != '\0');
    ps.shards_pruned = SENTINEL_SHARD;
    ps.segments_deleted = SENTINEL_LEN;
    CHECK_STATUS(ironwal_sharded_prune_before_checkpoint(sh, CT_BYTES("nope"), 4, &ps),
                 IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK(ps.shards_pruned == SENTINEL_SHARD && ps.segments_deleted == SENTINEL_LEN);
    cs.checkpoints_before = cs.checkpoints_after = SENTINEL_LEN;
    cs.bytes_reclaimed = SENTINEL_ID;
    if (CHECK_OK(ironwal_sharded_compact_checkpoints(sh, 3, &cs))) {
        CHECK_EQ(cs.checkpoints_before, 0);
        CHECK_EQ(cs.checkpoints_after, 0);
    }
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 0);

    /* Iterators: every shard is empty; shard >= count is INVALID_ARGUMENT. */
    for (s = 0; s < 4; s++) {
        check_shard(sh, s, 0, 0, 0);
    }
    it = it_sentinel;
    CHECK_STATUS(ironwal_sharded_iter(sh, 4, 0, &it), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(it == it_sentinel);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK_STATUS(ironwal_sharded_iter(sh, UINT16_MAX, 0, &it), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(it == it_sentinel);

    /* Some data in every shard, then close. */
    for (s = 0; s < 4; s++) {
        append_to_shard(sh, s, 2 + s, counts);
    }
    ironwal_sharded_close(sh);
    ironwal_sharded_close(NULL);

    /* Reopening with another count: SHARD_COUNT_MISMATCH, out untouched, lock released. */
    other = sh_sentinel;
    CHECK_STATUS(ironwal_sharded_open(opts, 5, &other), IRONWAL_ERR_SHARD_COUNT_MISMATCH);
    CHECK(other == sh_sentinel);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK_STATUS(ironwal_sharded_open(opts, 3, &other), IRONWAL_ERR_SHARD_COUNT_MISMATCH);
    CHECK_STATUS(ironwal_sharded_open(opts, 1, &other), IRONWAL_ERR_SHARD_COUNT_MISMATCH);
    CHECK_STATUS(ironwal_sharded_open(opts, UINT16_MAX, &other),
                 IRONWAL_ERR_SHARD_COUNT_MISMATCH);
    CHECK_STATUS(ironwal_sharded_open(opts, 0, &other), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(other == sh_sentinel);

    /* With the right count: the data is there and ids continue. */
    sh = NULL;
    CHECK_OK(ironwal_sharded_open(opts, 4, &sh));
    REQUIRE(sh != NULL);
    CHECK_EQ(ironwal_sharded_shard_count(sh), 4);
    check_all_shards(sh, counts);
    for (s = 0; s < 4; s++) {
        append_to_shard(sh, s, 1, counts);
    }
    check_all_shards(sh, counts);
    ironwal_sharded_close(sh);
    ironwal_options_free(opts);
}

/* One shard: every key goes to shard 0. */
static void test_one_shard(const char *root) {
    ironwal_sharded *sh = open_sharded(root, 1, 0);
    uint64_t counts[1] = {0};
    int i;
    CHECK_EQ(ironwal_sharded_shard_count(sh), 1);
    append_key(sh, "anything", 8, counts);
    append_key(sh, NULL, 0, counts);
    for (i = 0; i < 20; i++) {
        char key[32];
        int n = snprintf(key, sizeof key, "one-%d", i);
        append_key(sh, key, (size_t)n, counts);
    }
    CHECK_EQ(counts[0], 22);
    check_all_shards(sh, counts);
    ironwal_sharded_close(sh);
}

/* ------------------------------------------------------------------------------- */
/* Routing through the library                                                        */

enum { ROUTE_KEYS = 300 };

static void test_routing(const char *base) {
    char root[CT_PATH_MAX];
    ironwal_sharded *sh;
    uint64_t counts[256];
    uint16_t shard;
    uint64_t id;
    int i;

    /* The documented vectors over 16 shards, with exact ids (the values are val()). */
    memset(counts, 0, sizeof counts);
    sh = open_sharded(ct_fmt(root, "%s/16", base), 16, 0);
    shard = SENTINEL_SHARD;
    id = SENTINEL_ID;
    if (CHECK_OK(ironwal_sharded_append(sh, CT_BYTES("user_123"), 8, CT_BYTES("s13#0"), 5, &shard,
                                        &id))) {
        CHECK_EQ(shard, 13);
        CHECK_EQ(id, 0);
    }
    if (CHECK_OK(ironwal_sharded_append(sh, CT_BYTES("user_124"), 8, CT_BYTES("s11#0"), 5, &shard,
                                        &id))) {
        CHECK_EQ(shard, 11);
        CHECK_EQ(id, 0);
    }
    /* The empty key, as (NULL, 0). */
    if (CHECK_OK(ironwal_sharded_append(sh, NULL, 0, CT_BYTES("s6#0"), 4, &shard, &id))) {
        CHECK_EQ(shard, 6);
        CHECK_EQ(id, 0);
    }
    if (CHECK_OK(ironwal_sharded_append(sh, CT_BYTES("user_123"), 8, CT_BYTES("s13#1x"), 6,
                                        &shard, &id))) {
        CHECK_EQ(shard, 13);
        CHECK_EQ(id, 1);
    }
    counts[13] = 2;
    counts[11] = 1;
    counts[6] = 1;
    /* Many keys: the shard is the documented hash, ids dense per shard. */
    for (i = 0; i < ROUTE_KEYS; i++) {
        char key[32];
        int n = snprintf(key, sizeof key, "key_%d", i);
        append_key(sh, key, (size_t)n, counts);
    }
    /* An empty value through NULL (val() is empty where the next id % 9 == 4). */
    {
        uint16_t t = 5;
        char key[32];
        size_t klen = key_for_shard(key, sizeof key, "empty-value", t, 16);
        while (counts[t] % 9 != 4) {
            append_to_shard(sh, t, 1, counts);
        }
        shard = SENTINEL_SHARD;
        id = SENTINEL_ID;
        if (CHECK_OK(ironwal_sharded_append(sh, CT_BYTES(key), klen, NULL, 0, &shard, &id))) {
            CHECK_EQ(shard, t);
            CHECK_EQ(id, counts[t]);
            counts[t]++;
        }
    }
    check_all_shards(sh, counts);
    ironwal_sharded_close(sh);

    /* Persistence: reopen, the same entries, ids continue per shard. */
    sh = open_sharded(root, 16, 0);
    check_all_shards(sh, counts);
    append_key(sh, "user_123", 8, counts);
    append_key(sh, "user_124", 8, counts);
    append_key(sh, "", 0, counts);
    check_all_shards(sh, counts);
    ironwal_sharded_close(sh);

    /* "raft" over 3 shards. */
    sh = open_sharded(ct_fmt(root, "%s/3", base), 3, 0);
    if (CHECK_OK(ironwal_sharded_append(sh, CT_BYTES("raft"), 4, CT_BYTES("v"), 1, &shard, &id))) {
        CHECK_EQ(shard, 2);
        CHECK_EQ(id, 0);
    }
    ironwal_sharded_close(sh);

    /* "key_0" / "key_1" over 256 shards (shard streams shard_92, shard_222). */
    sh = open_sharded(ct_fmt(root, "%s/256", base), 256, 0);
    CHECK_EQ(ironwal_sharded_shard_count(sh), 256);
    if (CHECK_OK(ironwal_sharded_append(sh, CT_BYTES("key_0"), 5, CT_BYTES("v0"), 2, &shard,
                                        &id))) {
        CHECK_EQ(shard, 92);
        CHECK_EQ(id, 0);
    }
    if (CHECK_OK(ironwal_sharded_append(sh, CT_BYTES("key_1"), 5, CT_BYTES("v1"), 2, &shard,
                                        &id))) {
        CHECK_EQ(shard, 222);
        CHECK_EQ(id, 0);
    }
    ironwal_sharded_close(sh);
    {
        /* The shard streams are named shard_%02u. */
        ironwal_wal *wal = ct_open(root, IRONWAL_SYNC_ASYNC);
        ironwal_buf buf = {NULL, 0, 0};
        if (CHECK_OK(ironwal_get(wal, "shard_92", 0, &buf))) {
            CHECK_BYTES(buf.data, buf.len, "v0", 2);
        }
        ironwal_buf_free(&buf);
        if (CHECK_OK(ironwal_get(wal, "shard_222", 0, &buf))) {
            CHECK_BYTES(buf.data, buf.len, "v1", 2);
        }
        ironwal_buf_free(&buf);
        ironwal_close(wal);
    }

    /* 32 bytes of 0xff over 7 shards. */
    sh = open_sharded(ct_fmt(root, "%s/7", base), 7, 0);
    {
        uint8_t ff[32];
        memset(ff, 0xff, sizeof ff);
        if (CHECK_OK(ironwal_sharded_append(sh, ff, sizeof ff, CT_BYTES("v"), 1, &shard, &id))) {
            CHECK_EQ(shard, 1);
            CHECK_EQ(id, 0);
        }
    }
    ironwal_sharded_close(sh);
}

/* ------------------------------------------------------------------------------- */
/* Packed batches                                                                     */

enum { BATCH_N = 48, BATCH_SHARDS = 8 };

static void test_batch(const char *root) {
    ironwal_sharded *sh = open_sharded(root, BATCH_SHARDS, 0);
    uint64_t counts[BATCH_SHARDS];
    char keys[BATCH_N * 16], values[BATCH_N * 64];
    size_t key_lens[BATCH_N], value_lens[BATCH_N];
    uint16_t out_shards[BATCH_N];
    uint64_t out_ids[BATCH_N];
    uint16_t want_shard[BATCH_N];
    uint64_t want_id[BATCH_N];
    size_t kat = 0, vat = 0;
    int i;

    memset(counts, 0, sizeof counts);
    /* A few single appends first, so batches do not start at 0 everywhere. */
    for (i = 0; i < 5; i++) {
        char key[16];
        int n = snprintf(key, sizeof key, "pre-%d", i);
        append_key(sh, key, (size_t)n, counts);
    }

    /* 48 entries (some empty keys, some empty values) in one packed call. */
    for (i = 0; i < BATCH_N; i++) {
        int n = i % 11 == 0 ? 0 : snprintf(keys + kat, 16, "bk-%d", i);
        uint16_t s = route(keys + kat, (size_t)n, BATCH_SHARDS);
        key_lens[i] = (size_t)n;
        want_shard[i] = s;
        want_id[i] = counts[s]++;
        value_lens[i] = val(values + vat, 64, s, want_id[i]);
        kat += key_lens[i];
        vat += value_lens[i];
        out_shards[i] = SENTINEL_SHARD;
        out_ids[i] = SENTINEL_ID;
    }
    if (CHECK_OK(ironwal_sharded_append_batch_packed(sh, CT_BYTES(keys), key_lens,
                                                     CT_BYTES(values), value_lens, BATCH_N,
                                                     out_shards, out_ids))) {
        /* Results by input position: the key's shard; per shard, ids are dense, in input
         * order, from that shard's next id. */
        for (i = 0; i < BATCH_N; i++) {
            if (!CHECK_EQ(out_shards[i], want_shard[i]) || !CHECK_EQ(out_ids[i], want_id[i])) {
                printf("  batch position %d\n", i);
            }
        }
    }
    check_all_shards(sh, counts);

    /* count 0: all pointers NULL, or real arrays left untouched; nothing appended. */
    CHECK_OK(ironwal_sharded_append_batch_packed(sh, NULL, NULL, NULL, NULL, 0, NULL, NULL));
    out_shards[0] = SENTINEL_SHARD;
    out_ids[0] = SENTINEL_ID;
    CHECK_OK(ironwal_sharded_append_batch_packed(sh, CT_BYTES(keys), key_lens, CT_BYTES(values),
                                                 value_lens, 0, out_shards, out_ids));
    CHECK(out_shards[0] == SENTINEL_SHARD && out_ids[0] == SENTINEL_ID);

    /* All keys empty: keys may be NULL (their total is 0); all go to the shard of "". */
    {
        size_t zero[3] = {0, 0, 0};
        uint16_t s = route("", 0, BATCH_SHARDS);
        uint16_t shards3[3];
        uint64_t ids3[3];
        char v[3][64];
        size_t vl[3];
        char packed[192];
        size_t at = 0;
        int k;
        for (k = 0; k < 3; k++) {
            vl[k] = val(v[k], sizeof v[k], s, counts[s] + (uint64_t)k);
            memcpy(packed + at, v[k], vl[k]);
            at += vl[k];
        }
        if (CHECK_OK(ironwal_sharded_append_batch_packed(sh, NULL, zero, CT_BYTES(packed), vl, 3,
                                                         shards3, ids3))) {
            for (k = 0; k < 3; k++) {
                CHECK_EQ(shards3[k], s);
                CHECK_EQ(ids3[k], counts[s] + (uint64_t)k);
            }
            counts[s] += 3;
        }
        /* All values empty: values may be NULL. (val() is empty at ids with id % 9 == 4:
         * fill shard 0 up to such an id first.) */
        {
            uint16_t t = 0;
            char key[32];
            size_t klen;
            while (counts[t] % 9 != 4) {
                append_to_shard(sh, t, 1, counts);
            }
            klen = key_for_shard(key, sizeof key, "empty-value", t, BATCH_SHARDS);
            {
                size_t kl[1];
                size_t z[1] = {0};
                kl[0] = klen;
                if (CHECK_OK(ironwal_sharded_append_batch_packed(sh, CT_BYTES(key), kl, NULL, z, 1,
                                                                 shards3, ids3))) {
                    CHECK_EQ(shards3[0], t);
                    CHECK_EQ(ids3[0], counts[t]);
                    counts[t]++;
                }
            }
        }
    }
    check_all_shards(sh, counts);

    /* Bad arguments: INVALID_ARGUMENT, outs untouched, nothing appended. */
    {
        size_t two_k[2], two_v[2];
        char k2[32], v2[128];
        uint16_t sh2[2] = {SENTINEL_SHARD, SENTINEL_SHARD};
        uint64_t id2[2] = {SENTINEL_ID, SENTINEL_ID};
        int n1 = snprintf(k2, sizeof k2, "bad-a");
        int n2 = snprintf(k2 + n1, sizeof k2 - (size_t)n1, "bad-b");
        two_k[0] = (size_t)n1;
        two_k[1] = (size_t)n2;
        two_v[0] = 3;
        two_v[1] = 4;
        memcpy(v2, "abcdefg", 7);
#define BAD_BATCH(call)                                                            \
    do {                                                                           \
        CHECK_STATUS(call, IRONWAL_ERR_INVALID_ARGUMENT);                          \
        CHECK(ironwal_last_error()[0] != '\0');                                    \
        CHECK(sh2[0] == SENTINEL_SHARD && sh2[1] == SENTINEL_SHARD);               \
        CHECK(id2[0] == SENTINEL_ID && id2[1] == SENTINEL_ID);                     \
    } while (0)
        BAD_BATCH(ironwal_sharded_append_batch_packed(NULL, CT_BYTES(k2), two_k, CT_BYTES(v2),
                                                      two_v, 2, sh2, id2));
        BAD_BATCH(ironwal_sharded_append_batch_packed(sh, NULL, two_k, CT_BYTES(v2), two_v, 2,
                                                      sh2, id2));
        BAD_BATCH(ironwal_sharded_append_batch_packed(sh, CT_BYTES(k2), NULL, CT_BYTES(v2),
                                                      two_v, 2, sh2, id2));
        BAD_BATCH(ironwal_sharded_append_batch_packed(sh, CT_BYTES(k2), two_k, NULL, two_v, 2,
                                                      sh2, id2));
        BAD_BATCH(ironwal_sharded_append_batch_packed(sh, CT_BYTES(k2), two_k, CT_BYTES(v2),
                                                      NULL, 2, sh2, id2));
        BAD_BATCH(ironwal_sharded_append_batch_packed(sh, CT_BYTES(k2), two_k, CT_BYTES(v2),
                                                      two_v, 2, NULL, id2));
        BAD_BATCH(ironwal_sharded_append_batch_packed(sh, CT_BYTES(k2), two_k, CT_BYTES(v2),
                                                      two_v, 2, sh2, NULL));
        /* Lengths that add up past SIZE_MAX. */
        {
            size_t huge[2];
            huge[0] = SIZE_MAX;
            huge[1] = 2;
            BAD_BATCH(ironwal_sharded_append_batch_packed(sh, CT_BYTES(k2), huge, CT_BYTES(v2),
                                                          two_v, 2, sh2, id2));
            BAD_BATCH(ironwal_sharded_append_batch_packed(sh, CT_BYTES(k2), two_k, CT_BYTES(v2),
                                                          huge, 2, sh2, id2));
        }
#undef BAD_BATCH
    }
    check_all_shards(sh, counts);

    /* Persistence. */
    ironwal_sharded_close(sh);
    sh = open_sharded(root, BATCH_SHARDS, 0);
    check_all_shards(sh, counts);
    ironwal_sharded_close(sh);
}

/* ------------------------------------------------------------------------------- */
/* Checkpoints                                                                        */

enum { LONG_ID = 65535 };

static void test_checkpoints(const char *root) {
    ironwal_sharded *sh = open_sharded(root, 4, 0);
    uint64_t counts[4] = {0, 0, 0, 0};
    uint64_t zeros[4] = {0, 0, 0, 0};
    uint64_t at1[4], at2[4], at3[4], at1b[4];
    const uint8_t bin_id[4] = {0x00, 0x01, 0xff, 0x00};
    uint8_t *long_id = malloc(LONG_ID + 1);
    ironwal_checkpoint *cp1, *cp2, *cp3, *cp1b, *latest;
    ironwal_checkpoint *out;
    ironwal_checkpoint *const out_sentinel = (ironwal_checkpoint *)&out;
    uint64_t ts1, ts2, ts3, ts1b;
    size_t i;
    ironwal_status st;

    REQUIRE(long_id != NULL);
    for (i = 0; i < LONG_ID + 1; i++) {
        long_id[i] = (uint8_t)(i * 31 + 7);
    }

    /* A checkpoint of an empty WAL: every offset 0. */
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("empty"), 5));
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 1);
    out = load(sh, "empty", 5);
    check_offsets(out, 4, zeros);
    check_id(out, "empty", 5);
    check_timestamp(out);
    ironwal_checkpoint_free(out);

    /* 3, 1, 4 and 0 entries. */
    append_to_shard(sh, 0, 3, counts);
    append_to_shard(sh, 1, 1, counts);
    append_to_shard(sh, 2, 4, counts);
    memcpy(at1, counts, sizeof at1);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("cp-1"), 4));
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 2);
    cp1 = load(sh, "cp-1", 4);
    check_offsets(cp1, 4, at1);
    check_id(cp1, "cp-1", 4);
    check_timestamp(cp1);
    ts1 = ironwal_checkpoint_timestamp(cp1);
    latest = NULL;
    if (CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &latest))) {
        check_id(latest, "cp-1", 4);
        check_offsets(latest, 4, at1);
        CHECK_EQ(ironwal_checkpoint_timestamp(latest), ts1);
    }
    ironwal_checkpoint_free(latest);

    /* A binary id with NUL bytes. */
    append_to_shard(sh, 3, 2, counts);
    append_to_shard(sh, 0, 1, counts);
    memcpy(at2, counts, sizeof at2);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, bin_id, sizeof bin_id));
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 3);
    cp2 = load(sh, bin_id, sizeof bin_id);
    check_offsets(cp2, 4, at2);
    check_id(cp2, bin_id, sizeof bin_id);
    ts2 = ironwal_checkpoint_timestamp(cp2);
    CHECK(ts2 >= ts1);
    latest = NULL;
    if (CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &latest))) {
        check_id(latest, bin_id, sizeof bin_id);
        check_offsets(latest, 4, at2);
    }
    ironwal_checkpoint_free(latest);
    /* Ids are bytes: neither a prefix nor the C-string spelling with its NUL matches. */
    out = out_sentinel;
    CHECK_STATUS(ironwal_sharded_load_checkpoint(sh, bin_id, 3, &out),
                 IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK_STATUS(ironwal_sharded_load_checkpoint(sh, CT_BYTES("cp-"), 3, &out),
                 IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK_STATUS(ironwal_sharded_load_checkpoint(sh, CT_BYTES("cp-1"), 5, &out),
                 IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK_STATUS(ironwal_sharded_load_checkpoint(sh, CT_BYTES("CP-1"), 4, &out),
                 IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK(out == out_sentinel);

    /* The longest id, 65535 bytes. */
    append_to_shard(sh, 1, 2, counts);
    memcpy(at3, counts, sizeof at3);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, long_id, LONG_ID));
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 4);
    cp3 = load(sh, long_id, LONG_ID);
    check_offsets(cp3, 4, at3);
    check_id(cp3, long_id, LONG_ID);
    ts3 = ironwal_checkpoint_timestamp(cp3);
    CHECK(ts3 >= ts2);
    latest = NULL;
    if (CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &latest))) {
        check_id(latest, long_id, LONG_ID);
    }
    ironwal_checkpoint_free(latest);

    /* Bad ids: 0 bytes, 65536 bytes, NULL with a length. Nothing created. */
    CHECK_STATUS(ironwal_sharded_create_checkpoint(sh, long_id, LONG_ID + 1),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK_STATUS(ironwal_sharded_create_checkpoint(sh, CT_BYTES("x"), 0),
                 IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK(ironwal_last_error()[0] != '\0');
    CHECK_STATUS(ironwal_sharded_create_checkpoint(sh, NULL, 0), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ironwal_sharded_create_checkpoint(sh, NULL, 4), IRONWAL_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 4);
    out = NULL;
    CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &out));
    check_id(out, long_id, LONG_ID); /* still the latest */
    ironwal_checkpoint_free(out);
    /* Loading an id that cannot exist fails without writing out (INVALID_ARGUMENT, or
     * CHECKPOINT_NOT_FOUND: no checkpoint can have it). */
    out = out_sentinel;
    st = ironwal_sharded_load_checkpoint(sh, CT_BYTES("x"), 0, &out);
    CHECK(st == IRONWAL_ERR_INVALID_ARGUMENT || st == IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    st = ironwal_sharded_load_checkpoint(sh, long_id, LONG_ID + 1, &out);
    CHECK(st == IRONWAL_ERR_INVALID_ARGUMENT || st == IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK(out == out_sentinel);

    /* Reusing "cp-1": replaces the older one (the count stays), becomes the latest. */
    append_to_shard(sh, 1, 1, counts);
    append_to_shard(sh, 3, 1, counts);
    memcpy(at1b, counts, sizeof at1b);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("cp-1"), 4));
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 4);
    cp1b = load(sh, "cp-1", 4);
    check_offsets(cp1b, 4, at1b);
    check_id(cp1b, "cp-1", 4);
    ts1b = ironwal_checkpoint_timestamp(cp1b);
    CHECK(ts1b >= ts3);
    latest = NULL;
    if (CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &latest))) {
        check_id(latest, "cp-1", 4);
        check_offsets(latest, 4, at1b);
        CHECK_EQ(ironwal_checkpoint_timestamp(latest), ts1b);
    }
    ironwal_checkpoint_free(latest);
    /* The handle loaded before is a copy: it still shows the older checkpoint. */
    check_offsets(cp1, 4, at1);
    CHECK_EQ(ironwal_checkpoint_timestamp(cp1), ts1);
    /* The others are unchanged. */
    out = load(sh, bin_id, sizeof bin_id);
    check_offsets(out, 4, at2);
    ironwal_checkpoint_free(out);

    /* Checkpoint handles stay valid after the sharded WAL is closed. */
    ironwal_sharded_close(sh);
    check_offsets(cp1, 4, at1);
    check_id(cp1, "cp-1", 4);
    CHECK_EQ(ironwal_checkpoint_timestamp(cp1), ts1);
    check_offsets(cp2, 4, at2);
    check_id(cp2, bin_id, sizeof bin_id);
    check_offsets(cp3, 4, at3);
    check_id(cp3, long_id, LONG_ID);
    check_offsets(cp1b, 4, at1b);

    /* Offsets are each shard's next id: the plain API sees the same. */
    check_plain_bounds(root, 4, zeros, at1b);

    /* Persistence: the same checkpoints after reopen, same offsets and timestamps. */
    sh = open_sharded(root, 4, 0);
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 4);
    latest = NULL;
    if (CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &latest))) {
        check_id(latest, "cp-1", 4);
        check_offsets(latest, 4, at1b);
        CHECK_EQ(ironwal_checkpoint_timestamp(latest), ts1b);
    }
    ironwal_checkpoint_free(latest);
    out = load(sh, bin_id, sizeof bin_id);
    check_offsets(out, 4, at2);
    CHECK_EQ(ironwal_checkpoint_timestamp(out), ts2);
    ironwal_checkpoint_free(out);
    out = load(sh, long_id, LONG_ID);
    check_offsets(out, 4, at3);
    check_id(out, long_id, LONG_ID);
    CHECK_EQ(ironwal_checkpoint_timestamp(out), ts3);
    ironwal_checkpoint_free(out);
    out = load(sh, "empty", 5);
    check_offsets(out, 4, zeros);
    ironwal_checkpoint_free(out);
    check_all_shards(sh, counts);

    /* New checkpoints after reopen become the latest. */
    append_to_shard(sh, 2, 1, counts);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("after-reopen"), 12));
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 5);
    latest = NULL;
    if (CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &latest))) {
        check_id(latest, "after-reopen", 12);
        check_offsets(latest, 4, counts);
        CHECK(ironwal_checkpoint_timestamp(latest) >= ts1b);
    }
    ironwal_sharded_close(sh);
    /* ... and the latest of a closed WAL too. */
    check_id(latest, "after-reopen", 12);
    check_offsets(latest, 4, counts);
    ironwal_checkpoint_free(latest);

    ironwal_checkpoint_free(cp1);
    ironwal_checkpoint_free(cp2);
    ironwal_checkpoint_free(cp3);
    ironwal_checkpoint_free(cp1b);
    free(long_id);
}

/* ------------------------------------------------------------------------------- */
/* Iterating a shard from a checkpoint; iterators after close                         */

static void test_iter_from_checkpoint(const char *root) {
    ironwal_sharded *sh = open_sharded(root, 4, 3); /* 3 entries per segment */
    uint64_t counts[4] = {0, 0, 0, 0};
    uint64_t at[4];
    ironwal_checkpoint *cp;
    ironwal_iter *kept = NULL, *unused = NULL;
    ironwal_options *opts;
    uint16_t s;

    for (s = 0; s < 4; s++) {
        append_to_shard(sh, s, 5 + s, counts);
    }
    memcpy(at, counts, sizeof at);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("mid"), 3));
    for (s = 0; s < 4; s++) {
        append_to_shard(sh, s, 3 * (unsigned)s + 1, counts);
    }
    cp = load(sh, "mid", 3);
    check_offsets(cp, 4, at);
    for (s = 0; s < 4; s++) {
        uint64_t off = ironwal_checkpoint_offset(cp, s);
        /* Exactly what came after the checkpoint. */
        check_shard(sh, s, off, at[s], counts[s]);
        /* From later, from 0, from the end and beyond it. */
        check_shard(sh, s, off + 1, at[s] + 1, counts[s]);
        check_shard(sh, s, 0, 0, counts[s]);
        check_shard(sh, s, counts[s], counts[s], counts[s]);
        check_shard(sh, s, UINT64_MAX, counts[s], counts[s]);
    }

    /* Iterators outlive the handle: read one entry, close, read the rest. */
    CHECK_OK(ironwal_sharded_iter(sh, 3, at[3], &kept));
    CHECK_OK(ironwal_sharded_iter(sh, 1, 0, &unused));
    if (kept != NULL) {
        uint64_t id = SENTINEL_ID;
        const uint8_t *data = NULL;
        size_t len = 0;
        char want[64];
        size_t n = val(want, sizeof want, 3, at[3]);
        if (CHECK_OK(ironwal_iter_next(kept, &id, &data, &len))) {
            CHECK_EQ(id, at[3]);
            CHECK_BYTES(data, len, want, n);
        }
    }
    ironwal_sharded_close(sh);
    if (kept != NULL) {
        drain(kept, 3, at[3] + 1, counts[3]);
    }
    /* The checkpoint still reads too. */
    check_offsets(cp, 4, at);

    /* An iterator alone does not hold the root lock (as with ironwal_iter_new). */
    opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    sh = NULL;
    CHECK_OK(ironwal_sharded_open(opts, 4, &sh));
    ironwal_sharded_close(sh);
    ironwal_options_free(opts);

    ironwal_iter_free(kept);
    ironwal_iter_free(unused);
    ironwal_checkpoint_free(cp);

    /* Persistence: the checkpoint still tells where to resume after reopen. */
    sh = open_sharded(root, 4, 3);
    cp = load(sh, "mid", 3);
    for (s = 0; s < 4; s++) {
        check_shard(sh, s, ironwal_checkpoint_offset(cp, s), at[s], counts[s]);
    }
    ironwal_checkpoint_free(cp);
    ironwal_sharded_close(sh);
}

/* ------------------------------------------------------------------------------- */
/* Prune                                                                              */

static void test_prune(const char *root) {
    /* 4 entries per segment: shard s's segments are [0,4), [4,8), ... */
    ironwal_sharded *sh = open_sharded(root, 5, 4);
    uint64_t counts[5] = {0, 0, 0, 0, 0};
    const unsigned before[5] = {5, 8, 11, 14, 2};
    uint64_t at[5], first[5];
    ironwal_prune_stats ps;
    ironwal_checkpoint *cp;
    uint16_t s;

    for (s = 0; s < 5; s++) {
        append_to_shard(sh, s, 1, counts);
    }
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("early"), 5));
    for (s = 0; s < 5; s++) {
        append_to_shard(sh, s, before[s] - 1, counts);
    }
    memcpy(at, counts, sizeof at);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("cp"), 2));
    /* 3 more each: every segment entirely below the offset is now sealed. */
    for (s = 0; s < 5; s++) {
        append_to_shard(sh, s, 3, counts);
    }

    /* Pruning at the early checkpoint deletes nothing (no segment entirely below 1). */
    ps.shards_pruned = SENTINEL_SHARD;
    ps.segments_deleted = SENTINEL_LEN;
    if (CHECK_OK(ironwal_sharded_prune_before_checkpoint(sh, CT_BYTES("early"), 5, &ps))) {
        CHECK_EQ(ps.shards_pruned, 0);
        CHECK_EQ(ps.segments_deleted, 0);
    }
    check_all_shards(sh, counts);

    /* At "cp" (offsets 5, 8, 11, 14, 2): segments [0,4) | [0,4) [4,8) | [0,4) [4,8) |
     * [0,4) [4,8) [8,12) | none: 8 segments of 4 shards. */
    ps.shards_pruned = SENTINEL_SHARD;
    ps.segments_deleted = SENTINEL_LEN;
    if (CHECK_OK(ironwal_sharded_prune_before_checkpoint(sh, CT_BYTES("cp"), 2, &ps))) {
        CHECK_EQ(ps.shards_pruned, 4);
        CHECK_EQ(ps.segments_deleted, 8);
    }
    for (s = 0; s < 5; s++) {
        first[s] = at[s] / 4 * 4;
        /* Everything at and after the offset remains, exactly. */
        check_shard(sh, s, at[s], at[s], counts[s]);
        /* From 0: from the first retained entry (the start of the offset's segment). */
        check_shard(sh, s, 0, first[s], counts[s]);
    }
    /* The checkpoints themselves remain. */
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 2);
    cp = load(sh, "cp", 2);
    check_offsets(cp, 5, at);
    ironwal_checkpoint_free(cp);

    /* Again: nothing left to delete. */
    ps.shards_pruned = SENTINEL_SHARD;
    ps.segments_deleted = SENTINEL_LEN;
    if (CHECK_OK(ironwal_sharded_prune_before_checkpoint(sh, CT_BYTES("cp"), 2, &ps))) {
        CHECK_EQ(ps.shards_pruned, 0);
        CHECK_EQ(ps.segments_deleted, 0);
    }
    /* Unknown id, bad id: stats untouched. */
    ps.shards_pruned = SENTINEL_SHARD;
    ps.segments_deleted = SENTINEL_LEN;
    CHECK_STATUS(ironwal_sharded_prune_before_checkpoint(sh, CT_BYTES("cq"), 2, &ps),
                 IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    {
        ironwal_status st = ironwal_sharded_prune_before_checkpoint(sh, CT_BYTES("cp"), 0, &ps);
        CHECK(st == IRONWAL_ERR_INVALID_ARGUMENT || st == IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    }
    CHECK(ps.shards_pruned == SENTINEL_SHARD && ps.segments_deleted == SENTINEL_LEN);

    /* Appends continue with the next ids. */
    for (s = 0; s < 5; s++) {
        append_to_shard(sh, s, 1, counts);
    }
    ironwal_sharded_close(sh);

    /* The plain API agrees, and it persists. */
    check_plain_bounds(root, 5, first, counts);
    sh = open_sharded(root, 5, 4);
    for (s = 0; s < 5; s++) {
        check_shard(sh, s, 0, first[s], counts[s]);
    }
    ironwal_sharded_close(sh);
}

/* ------------------------------------------------------------------------------- */
/* Compaction                                                                         */

static void test_compaction(const char *root) {
    ironwal_sharded *sh = open_sharded(root, 3, 0);
    uint64_t counts[3] = {0, 0, 0};
    uint64_t at[6][3];
    ironwal_compaction_stats cs;
    ironwal_checkpoint *cp;
    ironwal_checkpoint *const cp_sentinel = (ironwal_checkpoint *)&cp;
    char log_path[CT_PATH_MAX];
    long long size_before, size_after;
    int k;

    ct_fmt(log_path, "%s/checkpoints.log", root);
    for (k = 1; k <= 5; k++) {
        char id[8];
        int n = snprintf(id, sizeof id, "c%d", k);
        append_to_shard(sh, (uint16_t)(k % 3), (unsigned)k, counts);
        memcpy(at[k], counts, sizeof at[k]);
        CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES(id), (size_t)n));
    }
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 5);

    /* Keep the 2 most recent. */
    size_before = file_size(log_path);
    CHECK(size_before > 0);
    cs.checkpoints_before = cs.checkpoints_after = SENTINEL_LEN;
    cs.bytes_reclaimed = SENTINEL_ID;
    if (CHECK_OK(ironwal_sharded_compact_checkpoints(sh, 2, &cs))) {
        CHECK_EQ(cs.checkpoints_before, 5);
        CHECK_EQ(cs.checkpoints_after, 2);
        CHECK(cs.bytes_reclaimed > 0);
        size_after = file_size(log_path);
        CHECK(size_after > 0 && size_after < size_before);
        CHECK_EQ(cs.bytes_reclaimed, (uint64_t)(size_before - size_after));
    }
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 2);
    cp = NULL;
    if (CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &cp))) {
        check_id(cp, "c5", 2);
        check_offsets(cp, 3, at[5]);
    }
    ironwal_checkpoint_free(cp);
    cp = load(sh, "c4", 2);
    check_offsets(cp, 3, at[4]);
    ironwal_checkpoint_free(cp);
    for (k = 1; k <= 3; k++) {
        char id[8];
        int n = snprintf(id, sizeof id, "c%d", k);
        cp = cp_sentinel;
        CHECK_STATUS(ironwal_sharded_load_checkpoint(sh, CT_BYTES(id), (size_t)n, &cp),
                     IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
        CHECK(cp == cp_sentinel);
    }

    /* Keeping more than there are: nothing removed. */
    if (CHECK_OK(ironwal_sharded_compact_checkpoints(sh, 10, &cs))) {
        CHECK_EQ(cs.checkpoints_before, 2);
        CHECK_EQ(cs.checkpoints_after, 2);
        CHECK_EQ(cs.bytes_reclaimed, 0);
    }
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 2);

    /* "Latest" is the most recently created: x, y, then x again; keep 1 keeps x. */
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("x"), 1));
    append_to_shard(sh, 0, 1, counts);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("y"), 1));
    append_to_shard(sh, 1, 1, counts);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("x"), 1));
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 4); /* c4 c5 y x */
    if (CHECK_OK(ironwal_sharded_compact_checkpoints(sh, 1, &cs))) {
        CHECK_EQ(cs.checkpoints_before, 4);
        CHECK_EQ(cs.checkpoints_after, 1);
    }
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 1);
    cp = NULL;
    if (CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &cp))) {
        check_id(cp, "x", 1);
        check_offsets(cp, 3, counts);
    }
    ironwal_checkpoint_free(cp);
    cp = cp_sentinel;
    CHECK_STATUS(ironwal_sharded_load_checkpoint(sh, CT_BYTES("y"), 1, &cp),
                 IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK_STATUS(ironwal_sharded_load_checkpoint(sh, CT_BYTES("c5"), 2, &cp),
                 IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK(cp == cp_sentinel);

    /* Checkpoints after a compaction. */
    append_to_shard(sh, 2, 2, counts);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("c6"), 2));
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 2);
    cp = NULL;
    if (CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &cp))) {
        check_id(cp, "c6", 2);
        check_offsets(cp, 3, counts);
    }
    ironwal_checkpoint_free(cp);
    ironwal_sharded_close(sh);

    /* Persistence of the compacted log. */
    sh = open_sharded(root, 3, 0);
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 2);
    cp = NULL;
    if (CHECK_OK(ironwal_sharded_load_latest_checkpoint(sh, &cp))) {
        check_id(cp, "c6", 2);
        check_offsets(cp, 3, counts);
    }
    ironwal_checkpoint_free(cp);
    cp = load(sh, "x", 1);
    check_id(cp, "x", 1);
    ironwal_checkpoint_free(cp);
    cp = cp_sentinel;
    CHECK_STATUS(ironwal_sharded_load_checkpoint(sh, CT_BYTES("c4"), 2, &cp),
                 IRONWAL_ERR_CHECKPOINT_NOT_FOUND);
    CHECK(cp == cp_sentinel);
    check_all_shards(sh, counts);
    ironwal_sharded_close(sh);
}

/* ------------------------------------------------------------------------------- */
/* NULL for every pointer parameter                                                   */

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

static void test_null_args(const char *root) {
    ironwal_options *opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    ironwal_sharded *sh = NULL;
    ironwal_sharded *sh_out;
    ironwal_sharded *const sh_sentinel = (ironwal_sharded *)&sh_out;
    ironwal_checkpoint *cp = NULL;
    ironwal_checkpoint *cp_out;
    ironwal_checkpoint *const cp_sentinel = (ironwal_checkpoint *)&cp_out;
    ironwal_iter *it_out;
    ironwal_iter *const it_sentinel = (ironwal_iter *)&it_out;
    ironwal_prune_stats ps;
    ironwal_compaction_stats cs;
    uint64_t counts[2] = {0, 0};
    uint16_t shard = SENTINEL_SHARD;
    uint64_t id = SENTINEL_ID;
    const uint8_t *data;
    size_t len;

    /* open / close / shard_count / checkpoint_count */
    sh_out = sh_sentinel;
    CHECK_INVALID(ironwal_sharded_open(NULL, 2, &sh_out), "options");
    CHECK(sh_out == sh_sentinel);
    CHECK_INVALID(ironwal_sharded_open(opts, 2, NULL), "out");
    /* The failed open took no lock. */
    CHECK_OK(ironwal_sharded_open(opts, 2, &sh));
    REQUIRE(sh != NULL);
    ironwal_sharded_close(NULL);
    CHECK_EQ(ironwal_sharded_shard_count(NULL), 0);
    CHECK_EQ(ironwal_sharded_checkpoint_count(NULL), 0);

    /* append */
    CHECK_INVALID(ironwal_sharded_append(NULL, CT_BYTES("k"), 1, CT_BYTES("v"), 1, &shard, &id),
                  "sharded");
    CHECK_INVALID(ironwal_sharded_append(sh, NULL, 1, CT_BYTES("v"), 1, &shard, &id), "key");
    CHECK_INVALID(ironwal_sharded_append(sh, CT_BYTES("k"), 1, NULL, 1, &shard, &id), "value");
    CHECK_INVALID(ironwal_sharded_append(sh, CT_BYTES("k"), 1, CT_BYTES("v"), 1, NULL, &id),
                  "out_shard");
    CHECK_INVALID(ironwal_sharded_append(sh, CT_BYTES("k"), 1, CT_BYTES("v"), 1, &shard, NULL),
                  "out_id");
    CHECK_INVALID(ironwal_sharded_append(sh, NULL, 0, NULL, 0, NULL, NULL), "out");
    CHECK(shard == SENTINEL_SHARD && id == SENTINEL_ID);
    /* (append_batch_packed: see test_batch.) Nothing was appended by the above. */
    check_all_shards(sh, counts);
    append_to_shard(sh, 0, 2, counts);
    append_to_shard(sh, 1, 1, counts);

    /* create_checkpoint */
    CHECK_INVALID(ironwal_sharded_create_checkpoint(NULL, CT_BYTES("a"), 1), "sharded");
    CHECK_INVALID(ironwal_sharded_create_checkpoint(sh, NULL, 1), "id");
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 0);
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("a"), 1));
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("b"), 1));
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 2);

    /* load_checkpoint / load_latest_checkpoint */
    cp_out = cp_sentinel;
    CHECK_INVALID(ironwal_sharded_load_checkpoint(NULL, CT_BYTES("a"), 1, &cp_out), "sharded");
    CHECK_INVALID(ironwal_sharded_load_checkpoint(sh, NULL, 1, &cp_out), "id");
    CHECK_INVALID(ironwal_sharded_load_checkpoint(sh, CT_BYTES("a"), 1, NULL), "out");
    CHECK_INVALID(ironwal_sharded_load_latest_checkpoint(NULL, &cp_out), "sharded");
    CHECK_INVALID(ironwal_sharded_load_latest_checkpoint(sh, NULL), "out");
    CHECK(cp_out == cp_sentinel);

    /* iter */
    it_out = it_sentinel;
    CHECK_INVALID(ironwal_sharded_iter(NULL, 0, 0, &it_out), "sharded");
    CHECK_INVALID(ironwal_sharded_iter(sh, 0, 0, NULL), "out");
    CHECK_INVALID(ironwal_sharded_iter(NULL, 0, 0, NULL), "sharded");
    CHECK(it_out == it_sentinel);

    /* prune: nothing deleted either (there is nothing to delete anyway) */
    ps.shards_pruned = SENTINEL_SHARD;
    ps.segments_deleted = SENTINEL_LEN;
    CHECK_INVALID(ironwal_sharded_prune_before_checkpoint(NULL, CT_BYTES("a"), 1, &ps),
                  "sharded");
    CHECK_INVALID(ironwal_sharded_prune_before_checkpoint(sh, NULL, 1, &ps), "id");
    CHECK_INVALID(ironwal_sharded_prune_before_checkpoint(sh, CT_BYTES("a"), 1, NULL), "out");
    CHECK(ps.shards_pruned == SENTINEL_SHARD && ps.segments_deleted == SENTINEL_LEN);

    /* compact: a NULL out compacts nothing */
    cs.checkpoints_before = cs.checkpoints_after = SENTINEL_LEN;
    cs.bytes_reclaimed = SENTINEL_ID;
    CHECK_INVALID(ironwal_sharded_compact_checkpoints(NULL, 1, &cs), "sharded");
    CHECK_INVALID(ironwal_sharded_compact_checkpoints(sh, 1, NULL), "out");
    CHECK(cs.checkpoints_before == SENTINEL_LEN && cs.checkpoints_after == SENTINEL_LEN
          && cs.bytes_reclaimed == SENTINEL_ID);
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), 2);

    /* checkpoint accessors */
    CHECK_EQ(ironwal_checkpoint_timestamp(NULL), 0);
    CHECK_EQ(ironwal_checkpoint_shard_count(NULL), 0);
    CHECK_EQ(ironwal_checkpoint_offset(NULL, 0), UINT64_MAX);
    CHECK_EQ(ironwal_checkpoint_offset(NULL, UINT16_MAX), UINT64_MAX);
    data = (const uint8_t *)&data;
    len = SENTINEL_LEN;
    ironwal_checkpoint_id(NULL, &data, &len);
    CHECK(data == (const uint8_t *)&data);
    CHECK_EQ(len, SENTINEL_LEN);
    CHECK_OK(ironwal_sharded_load_checkpoint(sh, CT_BYTES("a"), 1, &cp));
    if (CHECK(cp != NULL)) {
        const uint8_t *const mark = CT_BYTES("mark");
        data = mark;
        len = SENTINEL_LEN;
        ironwal_checkpoint_id(cp, NULL, &len);
        CHECK_EQ(len, SENTINEL_LEN);
        ironwal_checkpoint_id(cp, &data, NULL);
        CHECK(data == mark);
        ironwal_checkpoint_id(cp, NULL, NULL);
        ironwal_checkpoint_id(NULL, NULL, NULL);
        check_id(cp, "a", 1);
        check_offsets(cp, 2, counts);
        CHECK_EQ(ironwal_checkpoint_offset(cp, 2), UINT64_MAX);
    }
    ironwal_checkpoint_free(cp);
    ironwal_checkpoint_free(NULL);
    ironwal_iter_free(NULL);

    /* Nothing of the above changed the data. */
    check_all_shards(sh, counts);
    ironwal_sharded_close(sh);
    ironwal_options_free(opts);
}

/* ------------------------------------------------------------------------------- */
/* 4 pthreads appending while the main thread takes checkpoints                       */

enum { THREADS = 4, PER_THREAD = 150, TSHARDS = 8, MAX_CPS = 24 };

struct worker {
    ironwal_sharded *sh;
    int index;
    uint16_t shards[PER_THREAD];
    uint64_t ids[PER_THREAD];
    int failures;
    char message[256];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int go;
static int finished;

static void *append_worker(void *arg) {
    struct worker *w = arg;
    int i;
    pthread_mutex_lock(&lock);
    while (!go) {
        pthread_cond_wait(&cond, &lock);
    }
    pthread_mutex_unlock(&lock);
    for (i = 0; i < PER_THREAD; i++) {
        char key[32], value[32];
        int kn = snprintf(key, sizeof key, "t%d-key%d", w->index, i);
        int vn = snprintf(value, sizeof value, "t%d-v%d", w->index, i);
        ironwal_status st = ironwal_sharded_append(w->sh, CT_BYTES(key), (size_t)kn,
                                                   CT_BYTES(value), (size_t)vn, &w->shards[i],
                                                   &w->ids[i]);
        if (st != IRONWAL_OK) {
            if (w->failures++ == 0) {
                snprintf(w->message, sizeof w->message, "append %d: %s (%s)", i,
                         ironwal_status_str(st), ironwal_last_error());
            }
            w->shards[i] = SENTINEL_SHARD;
            w->ids[i] = SENTINEL_ID;
        } else if (w->shards[i] != route(key, (size_t)kn, TSHARDS)) {
            if (w->failures++ == 0) {
                snprintf(w->message, sizeof w->message, "append %d: shard %u, expected %u", i,
                         (unsigned)w->shards[i], (unsigned)route(key, (size_t)kn, TSHARDS));
            }
        }
    }
    pthread_mutex_lock(&lock);
    finished++;
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void test_threads(const char *root) {
    static struct worker workers[THREADS];
    static uint64_t offsets[MAX_CPS + 1][TSHARDS];
    static unsigned char seen[THREADS][PER_THREAD];
    ironwal_sharded *sh = open_sharded(root, TSHARDS, 64);
    pthread_t threads[THREADS];
    uint64_t next[TSHARDS];
    int t, i, k, created = 0, done = 0;
    uint16_t s;

    go = 0;
    finished = 0;
    for (t = 0; t < THREADS; t++) {
        memset(&workers[t], 0, sizeof workers[t]);
        workers[t].sh = sh;
        workers[t].index = t;
        REQUIRE(pthread_create(&threads[t], NULL, append_worker, &workers[t]) == 0);
    }
    pthread_mutex_lock(&lock);
    go = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);

    /* Checkpoints while they append (at least 3, whatever the scheduling). */
    while (created < MAX_CPS && (created < 3 || !done)) {
        char id[16];
        int n = snprintf(id, sizeof id, "cp-%02d", created);
        ironwal_status st = ironwal_sharded_create_checkpoint(sh, CT_BYTES(id), (size_t)n);
        if (st != IRONWAL_OK) {
            CHECK_OK(st);
            break;
        }
        created++;
        pthread_mutex_lock(&lock);
        done = finished == THREADS;
        pthread_mutex_unlock(&lock);
    }
    for (t = 0; t < THREADS; t++) {
        REQUIRE(pthread_join(threads[t], NULL) == 0);
    }
    for (t = 0; t < THREADS; t++) {
        if (!CHECK_EQ(workers[t].failures, 0)) {
            printf("  thread %d: %s\n", t, workers[t].message);
        }
    }
    CHECK_EQ(ironwal_sharded_checkpoint_count(sh), (uint64_t)created);

    /* Every shard holds ids 0..next-1, each one exactly one worker's append. */
    memset(seen, 0, sizeof seen);
    for (s = 0; s < TSHARDS; s++) {
        ironwal_iter *it = NULL;
        uint64_t id, expect = 0;
        const uint8_t *data;
        size_t len;
        ironwal_status st;
        next[s] = 0;
        if (!CHECK_OK(ironwal_sharded_iter(sh, s, 0, &it))) {
            continue;
        }
        while ((st = ironwal_iter_next(it, &id, &data, &len)) == IRONWAL_OK) {
            char text[32];
            int wt = -1, wi = -1;
            if (!CHECK_EQ(id, expect)) {
                break;
            }
            expect++;
            if (len >= sizeof text) {
                CHECK(len < sizeof text);
                continue;
            }
            memcpy(text, data, len);
            text[len] = '\0';
            if (!CHECK(sscanf(text, "t%d-v%d", &wt, &wi) == 2 && wt >= 0 && wt < THREADS
                       && wi >= 0 && wi < PER_THREAD)) {
                continue;
            }
            if (!CHECK(!seen[wt][wi] && workers[wt].shards[wi] == s
                       && workers[wt].ids[wi] == id)) {
                printf("  shard %u id %" PRIu64 ": thread %d append %d\n", (unsigned)s, id, wt,
                       wi);
            }
            seen[wt][wi] = 1;
        }
        CHECK_STATUS(st, IRONWAL_END);
        next[s] = expect;
        ironwal_iter_free(it);
    }
    {
        uint64_t total = 0;
        for (s = 0; s < TSHARDS; s++) {
            total += next[s];
        }
        CHECK_EQ(total, THREADS * PER_THREAD);
    }

    /* Each checkpoint: offsets <= each shard's next id, never decreasing from one
     * checkpoint to the next, and a consistent cut: what a thread appended inside a
     * checkpoint is a prefix of its appends (an append that returned before another
     * started is inside whenever the later one is). */
    /* (Summed over the checkpoints, so the number of checks does not depend on how
     * many the scheduling allowed.) */
    {
        int not_loaded = 0, wrong_count = 0, beyond = 0, went_back = 0, torn = 0;
        for (k = 0; k < created; k++) {
            char id[16];
            int n = snprintf(id, sizeof id, "cp-%02d", k);
            ironwal_checkpoint *cp = NULL;
            ironwal_status st = ironwal_sharded_load_checkpoint(sh, CT_BYTES(id), (size_t)n, &cp);
            if (st != IRONWAL_OK || cp == NULL) {
                printf("  load %s: %s (%s)\n", id, ironwal_status_str(st), ironwal_last_error());
                not_loaded++;
                continue;
            }
            wrong_count += ironwal_checkpoint_shard_count(cp) != TSHARDS;
            for (s = 0; s < TSHARDS; s++) {
                offsets[k][s] = ironwal_checkpoint_offset(cp, s);
                if (offsets[k][s] > next[s]) {
                    printf("  %s: shard %u offset %" PRIu64 " > next id %" PRIu64 "\n", id,
                           (unsigned)s, offsets[k][s], next[s]);
                    beyond++;
                }
                if (k > 0 && offsets[k][s] < offsets[k - 1][s]) {
                    printf("  %s: shard %u offset went back\n", id, (unsigned)s);
                    went_back++;
                }
            }
            for (t = 0; t < THREADS; t++) {
                int outside = 0, bad = 0;
                for (i = 0; i < PER_THREAD; i++) {
                    uint16_t ws = workers[t].shards[i];
                    int inside = ws < TSHARDS && workers[t].ids[i] < offsets[k][ws];
                    if (inside && outside) {
                        bad = 1;
                    }
                    if (!inside) {
                        outside = 1;
                    }
                }
                if (bad) {
                    printf("  %s: thread %d has an append inside after one outside\n", id, t);
                    torn++;
                }
            }
            ironwal_checkpoint_free(cp);
        }
        CHECK(created >= 3);
        CHECK_EQ(not_loaded, 0);
        CHECK_EQ(wrong_count, 0);
        CHECK_EQ(beyond, 0);
        CHECK_EQ(went_back, 0);
        CHECK_EQ(torn, 0);
    }

    /* After the threads: a checkpoint covers everything. */
    CHECK_OK(ironwal_sharded_create_checkpoint(sh, CT_BYTES("final"), 5));
    {
        ironwal_checkpoint *cp = load(sh, "final", 5);
        check_offsets(cp, TSHARDS, next);
        ironwal_checkpoint_free(cp);
    }
    ironwal_sharded_close(sh);
    {
        uint64_t zeros[TSHARDS];
        memset(zeros, 0, sizeof zeros);
        check_plain_bounds(root, TSHARDS, zeros, next);
    }
}

int main(int argc, char **argv) {
    char root[CT_PATH_MAX];
    ct_init("sharded", argc, argv);
    test_router_helper();
    test_open_close(ct_path(root, "open"));
    test_one_shard(ct_path(root, "one"));
    REQUIRE(mkdir(ct_path(root, "routing"), 0755) == 0);
    test_routing(root);
    test_batch(ct_path(root, "batch"));
    test_checkpoints(ct_path(root, "checkpoints"));
    test_iter_from_checkpoint(ct_path(root, "iter"));
    test_prune(ct_path(root, "prune"));
    test_compaction(ct_path(root, "compaction"));
    test_null_args(ct_path(root, "null"));
    test_threads(ct_path(root, "threads"));
    return ct_finish();
}
