/*
 * batch.c: atomic batches, two ways.
 *
 *   - ironwal_append_batch: an array of pointers and an array of lengths;
 *   - ironwal_append_batch_packed: the entries back to back in one buffer and an
 *     array of lengths (what cgo and other FFIs can pass easily).
 *
 * A batch is all or nothing, also across a crash. Its ids are first .. first+count.
 * BatchOnly sync makes every batch durable on return while single appends are not.
 *
 * Usage: batch [DATA_DIR]   (default ./ironwal_data)
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

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "./ironwal_data";
    ironwal_options *opts = ironwal_options_new(dir);
    ironwal_wal *wal = NULL;
    uint64_t first, next, id;
    int ok = 0;

    if (opts == NULL) {
        fprintf(stderr, "ironwal_options_new: %s\n", ironwal_last_error());
        return EXIT_FAILURE;
    }
    if (check("set_sync_mode", ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_BATCH_ONLY))) {
        check("ironwal_open", ironwal_open(opts, &wal));
    }
    ironwal_options_free(opts);
    if (wal == NULL) {
        return EXIT_FAILURE;
    }

    /* 1. Pointer array: entry i is lens[i] bytes at datas[i]. */
    {
        const char *orders[] = {"order 1: 2 apples", "order 2: 1 pear", "order 3: 5 plums"};
        const uint8_t *datas[3];
        size_t lens[3];
        size_t i;
        for (i = 0; i < 3; i++) {
            datas[i] = (const uint8_t *)orders[i];
            lens[i] = strlen(orders[i]);
        }
        if (!check("ironwal_append_batch",
                   ironwal_append_batch(wal, "orders", datas, lens, 3, &first))) {
            goto done;
        }
        printf("pointer batch: ids %llu..%llu\n", (unsigned long long)first,
               (unsigned long long)(first + 2));
    }

    /* 2. Packed: "shipped 1" "shipped 2" "shipped 3" in one buffer. */
    {
        const char packed[] = "shipped 1shipped 2shipped 3";
        const size_t lens[3] = {9, 9, 9};
        if (!check("ironwal_append_batch_packed",
                   ironwal_append_batch_packed(wal, "orders", (const uint8_t *)packed, lens, 3,
                                               &first))) {
            goto done;
        }
        printf("packed batch:  ids %llu..%llu\n", (unsigned long long)first,
               (unsigned long long)(first + 2));
    }

    /* 3. An empty batch writes nothing and reports the next id. */
    if (!check("empty batch", ironwal_append_batch(wal, "orders", NULL, NULL, 0, &first))) {
        goto done;
    }
    printf("empty batch:   next id %llu\n", (unsigned long long)first);

    /* 4. Read the whole stream back with a caller-owned buffer (ironwal_get_into):
     *    IRONWAL_ERR_BUFFER_TOO_SMALL tells the size needed. */
    if (!check("ironwal_bounds", ironwal_bounds(wal, "orders", &first, &next))) {
        goto done;
    }
    for (id = first; id < next; id++) {
        char text[16]; /* deliberately small: "order 1: 2 apples" needs 17 */
        size_t len = 0;
        ironwal_status st =
            ironwal_get_into(wal, "orders", id, (uint8_t *)text, sizeof text, &len);
        if (st == IRONWAL_ERR_BUFFER_TOO_SMALL) {
            char *big = malloc(len);
            if (big == NULL) {
                goto done;
            }
            st = ironwal_get_into(wal, "orders", id, (uint8_t *)big, len, &len);
            if (check("ironwal_get_into", st)) {
                printf("  %llu: %.*s (needed a %zu-byte buffer)\n", (unsigned long long)id,
                       (int)len, big, len);
            }
            free(big);
        } else if (check("ironwal_get_into", st)) {
            printf("  %llu: %.*s\n", (unsigned long long)id, (int)len, text);
        }
        if (st != IRONWAL_OK) {
            goto done;
        }
    }
    ok = 1;
done:
    ironwal_close(wal);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
