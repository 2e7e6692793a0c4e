/*
 * threads: 8 pthreads share one ironwal_wal. Single appends (Async) get unique, dense
 * ids and every entry reads back; batches from many threads stay contiguous; Strict
 * appends from many threads (group commit) all land; readers iterate while writers
 * append; ironwal_last_error() is per thread.
 */
#include "check.h"

#include <pthread.h>

enum { THREADS = 8, PER_THREAD = 60, BATCHES = 10, BATCH = 3, STRICT_PER_THREAD = 4 };

#define TOTAL (THREADS * PER_THREAD)

struct worker {
    ironwal_wal *wal;
    int index;
    uint64_t ids[PER_THREAD];
    uint64_t batch_firsts[BATCHES];
    int failures; /* counted here, turned into checks on the main thread */
    char message[256];
};

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;
static int started;

/* All workers start together, so they really run at the same time. */
static void wait_for_start(void) {
    pthread_mutex_lock(&start_lock);
    while (!started) {
        pthread_cond_wait(&start_cond, &start_lock);
    }
    pthread_mutex_unlock(&start_lock);
}

static void release_workers(void) {
    pthread_mutex_lock(&start_lock);
    started = 1;
    pthread_cond_broadcast(&start_cond);
    pthread_mutex_unlock(&start_lock);
}

static size_t payload(char *out, size_t cap, int thread, int i) {
    int n = snprintf(out, cap, "thread-%d-entry-%d", thread, i);
    return n < 0 ? 0 : (size_t)n;
}

static void fail(struct worker *w, const char *what, ironwal_status st) {
    if (w->failures++ == 0) {
        snprintf(w->message, sizeof w->message, "%s: %s (%s)", what, ironwal_status_str(st),
                 ironwal_last_error());
    }
}

static void *append_worker(void *arg) {
    struct worker *w = arg;
    char text[64];
    int i;
    wait_for_start();
    for (i = 0; i < PER_THREAD; i++) {
        size_t n = payload(text, sizeof text, w->index, i);
        ironwal_status st = ironwal_append(w->wal, "shared", CT_BYTES(text), n, &w->ids[i]);
        if (st != IRONWAL_OK) {
            fail(w, "append", st);
            w->ids[i] = UINT64_MAX;
        }
    }
    /* A thread's own failure is in its own last_error, whatever others do. */
    {
        char name[32];
        snprintf(name, sizeof name, "thread-%d-missing", w->index);
        if (ironwal_sync(w->wal, name) != IRONWAL_ERR_STREAM_NOT_FOUND
            || strstr(ironwal_last_error(), name) == NULL) {
            fail(w, "last_error of this thread", IRONWAL_OK);
        }
    }
    return NULL;
}

static void *batch_worker(void *arg) {
    struct worker *w = arg;
    int b;
    wait_for_start();
    for (b = 0; b < BATCHES; b++) {
        char text[BATCH][64];
        const uint8_t *datas[BATCH];
        size_t lens[BATCH];
        int k;
        ironwal_status st;
        for (k = 0; k < BATCH; k++) {
            lens[k] = payload(text[k], sizeof text[k], w->index, b * BATCH + k);
            datas[k] = CT_BYTES(text[k]);
        }
        if (b % 2 == 0) {
            st = ironwal_append_batch(w->wal, "batches", datas, lens, BATCH, &w->batch_firsts[b]);
        } else {
            ironwal_txn *txn = NULL;
            uint64_t count = 0;
            st = ironwal_txn_new(w->wal, "batches", &txn);
            for (k = 0; st == IRONWAL_OK && k < BATCH; k++) {
                st = ironwal_txn_add(txn, datas[k], lens[k]);
            }
            if (st == IRONWAL_OK) {
                st = ironwal_txn_commit(txn, &w->batch_firsts[b], &count);
            }
            if (st == IRONWAL_OK && count != BATCH) {
                fail(w, "txn count", st);
            }
            ironwal_txn_free(txn);
        }
        if (st != IRONWAL_OK) {
            fail(w, "batch", st);
            w->batch_firsts[b] = UINT64_MAX;
        }
    }
    return NULL;
}

static void *strict_worker(void *arg) {
    struct worker *w = arg;
    char text[64];
    int i;
    wait_for_start();
    for (i = 0; i < STRICT_PER_THREAD; i++) {
        size_t n = payload(text, sizeof text, w->index, i);
        ironwal_status st = ironwal_append(w->wal, "strict", CT_BYTES(text), n, &w->ids[i]);
        if (st != IRONWAL_OK) {
            fail(w, "strict append", st);
        }
    }
    return NULL;
}

/* Iterates "shared" while the writers run: ids in order, each entry well formed. */
struct reader {
    ironwal_wal *wal;
    uint64_t seen;
    int bad;
};

static void *reader_worker(void *arg) {
    struct reader *r = arg;
    int round;
    wait_for_start();
    for (round = 0; round < 3; round++) {
        ironwal_iter *it = NULL;
        uint64_t id, expect = 0;
        const uint8_t *data;
        size_t len;
        if (ironwal_iter_new(r->wal, "shared", 0, &it) != IRONWAL_OK) {
            r->bad++;
            continue;
        }
        while (ironwal_iter_next(it, &id, &data, &len) == IRONWAL_OK) {
            if (id != expect || len < 8 || memcmp(data, "thread-", 7) != 0) {
                r->bad++;
            }
            expect++;
        }
        r->seen += expect;
        ironwal_iter_free(it);
    }
    return NULL;
}

static void run(void *(*fn)(void *), struct worker *workers, ironwal_wal *wal,
                struct reader *reader) {
    pthread_t threads[THREADS + 1];
    pthread_t reader_thread;
    int i;
    started = 0;
    for (i = 0; i < THREADS; i++) {
        memset(&workers[i], 0, sizeof workers[i]);
        workers[i].wal = wal;
        workers[i].index = i;
        REQUIRE(pthread_create(&threads[i], NULL, fn, &workers[i]) == 0);
    }
    if (reader != NULL) {
        REQUIRE(pthread_create(&reader_thread, NULL, reader_worker, reader) == 0);
    }
    release_workers();
    for (i = 0; i < THREADS; i++) {
        REQUIRE(pthread_join(threads[i], NULL) == 0);
    }
    if (reader != NULL) {
        REQUIRE(pthread_join(reader_thread, NULL) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        if (!CHECK_EQ(workers[i].failures, 0)) {
            printf("  thread %d: %s\n", i, workers[i].message);
        }
    }
}

int main(int argc, char **argv) {
    static struct worker workers[THREADS];
    static unsigned char seen[TOTAL];
    struct reader reader = {NULL, 0, 0};
    char root[CT_PATH_MAX];
    ironwal_options *opts;
    ironwal_wal *wal;
    uint64_t first, next;
    int t, i;
    char text[64];

    ct_init("threads", argc, argv);
    opts = ct_options(ct_path(root, "wal"), IRONWAL_SYNC_ASYNC);
    CHECK_OK(ironwal_options_set_max_entries_per_segment(opts, 50)); /* rotate under load */
    wal = ct_open_with(opts);

    /* 8 threads x PER_THREAD single appends, with a reader iterating meanwhile. */
    reader.wal = wal;
    run(append_worker, workers, wal, &reader);
    CHECK_EQ(reader.bad, 0);
    for (t = 0; t < THREADS; t++) {
        for (i = 0; i < PER_THREAD; i++) {
            uint64_t id = workers[t].ids[i];
            if (!CHECK(id < TOTAL && !seen[id])) {
                printf("  thread %d entry %d got id %" PRIu64 " (duplicate or out of range)\n",
                       t, i, id);
                continue;
            }
            seen[id] = 1;
            /* A thread's own ids increase. */
            if (i > 0) {
                CHECK(id > workers[t].ids[i - 1]);
            }
        }
    }
    /* Unique and TOTAL of them below TOTAL: dense. Every entry reads back. */
    CHECK_OK(ironwal_bounds(wal, "shared", &first, &next));
    CHECK_EQ(first, 0);
    CHECK_EQ(next, TOTAL);
    for (t = 0; t < THREADS; t++) {
        for (i = 0; i < PER_THREAD; i++) {
            uint8_t into[64];
            size_t len = 0;
            size_t n = payload(text, sizeof text, t, i);
            if (workers[t].ids[i] >= TOTAL) {
                continue;
            }
            if (CHECK_OK(ironwal_get_into(wal, "shared", workers[t].ids[i], into, sizeof into,
                                          &len))) {
                CHECK_BYTES(into, len, text, n);
            }
        }
    }

    /* Batches and txns from 8 threads: each one's ids are contiguous. */
    run(batch_worker, workers, wal, NULL);
    memset(seen, 0, sizeof seen);
    for (t = 0; t < THREADS; t++) {
        for (i = 0; i < BATCHES; i++) {
            uint64_t f = workers[t].batch_firsts[i];
            int k;
            if (!CHECK(f + BATCH <= THREADS * BATCHES * BATCH)) {
                continue;
            }
            for (k = 0; k < BATCH; k++) {
                ironwal_buf buf = {NULL, 0, 0};
                size_t n = payload(text, sizeof text, t, i * BATCH + k);
                CHECK(!seen[f + (uint64_t)k]);
                seen[f + (uint64_t)k] = 1;
                if (CHECK_OK(ironwal_get(wal, "batches", f + (uint64_t)k, &buf))) {
                    CHECK_BYTES(buf.data, buf.len, text, n);
                }
                ironwal_buf_free(&buf);
            }
        }
    }
    CHECK_OK(ironwal_bounds(wal, "batches", &first, &next));
    CHECK_EQ(next, THREADS * BATCHES * BATCH);
    ironwal_close(wal);
    ironwal_options_free(opts);

    /* Strict: concurrent durable appends (they share fsyncs) all land, and survive a
     * reopen. */
    ct_path(root, "strict");
    wal = ct_open(root, IRONWAL_SYNC_STRICT);
    run(strict_worker, workers, wal, NULL);
    CHECK_OK(ironwal_bounds(wal, "strict", &first, &next));
    CHECK_EQ(next, THREADS * STRICT_PER_THREAD);
    ironwal_close(wal);
    wal = ct_open(root, IRONWAL_SYNC_STRICT);
    CHECK_OK(ironwal_bounds(wal, "strict", &first, &next));
    CHECK_EQ(next, THREADS * STRICT_PER_THREAD);
    for (t = 0; t < THREADS; t++) {
        for (i = 0; i < STRICT_PER_THREAD; i++) {
            ironwal_buf buf = {NULL, 0, 0};
            size_t n = payload(text, sizeof text, t, i);
            if (CHECK_OK(ironwal_get(wal, "strict", workers[t].ids[i], &buf))) {
                CHECK_BYTES(buf.data, buf.len, text, n);
            }
            ironwal_buf_free(&buf);
        }
    }
    ironwal_close(wal);
    return ct_finish();
}
