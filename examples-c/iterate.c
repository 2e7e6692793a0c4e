/*
 * iterate.c: read a stream in order with an iterator, across segment files, and drop
 * old segments with ironwal_truncate.
 *
 * ironwal_iter_next() returns IRONWAL_OK with the entry (its data is borrowed: valid
 * until the next call on the iterator or its free), IRONWAL_END at the end, or an
 * error. Iterating a stream that does not exist ends at once.
 *
 * Usage: iterate [DATA_DIR]   (default ./ironwal_data)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ironwal.h"

static int check(const char *what, ironwal_status st) {
    if (st != IRONWAL_OK) {
        fprintf(stderr, "%s: %s: %s\n", what, ironwal_status_str(st), ironwal_last_error());
        return 0;
    }
    return 1;
}

/* Prints the entries of `stream` from `start`; returns 1 on success. */
static int print_stream(ironwal_wal *wal, const char *stream, uint64_t start) {
    ironwal_iter *it = NULL;
    uint64_t id;
    const uint8_t *data;
    size_t len;
    ironwal_status st;
    unsigned count = 0;

    if (!check("ironwal_iter_new", ironwal_iter_new(wal, stream, start, &it))) {
        return 0;
    }
    while ((st = ironwal_iter_next(it, &id, &data, &len)) == IRONWAL_OK) {
        printf("  %llu: %.*s\n", (unsigned long long)id, (int)len, (const char *)data);
        count++;
    }
    ironwal_iter_free(it);
    if (st != IRONWAL_END) {
        check("ironwal_iter_next", st);
        return 0;
    }
    printf("  (%u entries)\n", count);
    return 1;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "./ironwal_data";
    ironwal_options *opts = ironwal_options_new(dir);
    ironwal_wal *wal = NULL;
    uint64_t id, first, next;
    size_t deleted;
    int i, ok = 0;

    if (opts == NULL) {
        fprintf(stderr, "ironwal_options_new: %s\n", ironwal_last_error());
        return EXIT_FAILURE;
    }
    /* Small segments (4 entries each) so the iterator crosses files; Async sync
     * because this example makes durable with one ironwal_sync at the end. */
    if (check("set_sync_mode", ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_ASYNC))
        && check("set_max_entries_per_segment",
                 ironwal_options_set_max_entries_per_segment(opts, 4))) {
        check("ironwal_open", ironwal_open(opts, &wal));
    }
    ironwal_options_free(opts);
    if (wal == NULL) {
        return EXIT_FAILURE;
    }

    for (i = 0; i < 10; i++) {
        char text[32];
        int n = snprintf(text, sizeof text, "event #%d", i);
        if (!check("ironwal_append",
                   ironwal_append(wal, "events", (const uint8_t *)text, (size_t)n, &id))) {
            goto done;
        }
    }
    if (!check("ironwal_sync", ironwal_sync(wal, "events"))) {
        goto done;
    }

    printf("events from the start:\n");
    if (!print_stream(wal, "events", 0)) {
        goto done;
    }

    /* Everything below id 6 was processed: delete the segments that hold only such
     * entries (never the active one). */
    if (!check("ironwal_truncate", ironwal_truncate(wal, "events", 6, &deleted))
        || !check("ironwal_bounds", ironwal_bounds(wal, "events", &first, &next))) {
        goto done;
    }
    printf("truncate below 6: %zu segment file(s) deleted, ids %llu..%llu remain\n", deleted,
           (unsigned long long)first, (unsigned long long)(next - 1));

    printf("events from the start after truncate:\n");
    if (!print_stream(wal, "events", 0)) {
        goto done;
    }
    printf("a stream that does not exist:\n");
    if (!print_stream(wal, "no-such-stream", 0)) {
        goto done;
    }
    ok = 1;
done:
    ironwal_close(wal);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
