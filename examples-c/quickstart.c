/*
 * quickstart.c: the usage guide's quick start in C.
 *
 *   1. configure and open a WAL (Strict sync: durable when append returns),
 *   2. append "Hello, IronWal!" to the stream "logs" and read it back,
 *   3. write an atomic batch,
 *   4. handle errors: every call returns an ironwal_status; ironwal_status_str()
 *      names it and ironwal_last_error() says what went wrong.
 *
 * Build and run: make -C examples-c run
 * Usage: quickstart [DATA_DIR]   (default ./ironwal_data)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ironwal.h"

/* Prints a failed call's status name and message. Returns 1 if `st` is an error. */
static int failed(const char *what, ironwal_status st) {
    if (st == IRONWAL_OK) {
        return 0;
    }
    fprintf(stderr, "%s failed: %s: %s\n", what, ironwal_status_str(st), ironwal_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "./ironwal_data";
    ironwal_options *opts;
    ironwal_wal *wal = NULL;
    ironwal_buf entry = {NULL, 0, 0};
    ironwal_status st;
    uint64_t id, first;
    int exit_code = EXIT_FAILURE;

    printf("IronWal %s\n", ironwal_version());

    /* 1. Configure the WAL. The options can be freed as soon as the WAL is open. */
    opts = ironwal_options_new(dir);
    if (opts == NULL) {
        fprintf(stderr, "ironwal_options_new: %s\n", ironwal_last_error());
        return EXIT_FAILURE;
    }
    st = ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_STRICT); /* ensure durability */
    if (!failed("ironwal_options_set_sync_mode", st)) {
        /* 2. Open the WAL (creates the directory; one open WAL per directory). */
        st = ironwal_open(opts, &wal);
        failed("ironwal_open", st);
    }
    ironwal_options_free(opts);
    if (wal == NULL) {
        return EXIT_FAILURE;
    }

    /* 3. Append data to a stream named "logs". */
    {
        const char *text = "Hello, IronWal!";
        if (failed("ironwal_append",
                   ironwal_append(wal, "logs", (const uint8_t *)text, strlen(text), &id))) {
            goto done;
        }
        printf("Written entry at ID: %llu\n", (unsigned long long)id);
    }

    /* 4. Read the data back. The buffer belongs to the library: free it with
     *    ironwal_buf_free(). IRONWAL_NOT_FOUND is not an error: there is no such id. */
    st = ironwal_get(wal, "logs", id, &entry);
    if (st == IRONWAL_OK) {
        printf("Read: \"%.*s\"\n", (int)entry.len, (const char *)entry.data);
        ironwal_buf_free(&entry);
    } else if (st == IRONWAL_NOT_FOUND) {
        printf("Entry %llu not found\n", (unsigned long long)id);
    } else {
        failed("ironwal_get", st);
        goto done;
    }

    /* 5. Atomic batch: either all entries exist or none do. */
    {
        const char *batch[] = {"Transaction Start", "Update A", "Update B"};
        const uint8_t *datas[3];
        size_t lens[3];
        size_t i;
        for (i = 0; i < 3; i++) {
            datas[i] = (const uint8_t *)batch[i];
            lens[i] = strlen(batch[i]);
        }
        if (failed("ironwal_append_batch",
                   ironwal_append_batch(wal, "transactions", datas, lens, 3, &first))) {
            goto done;
        }
        printf("Batch written to IDs %llu to %llu\n", (unsigned long long)first,
               (unsigned long long)(first + 3));
    }

    /* 6. Error handling: a bad argument is reported, never a crash. */
    st = ironwal_append(wal, "", (const uint8_t *)"x", 1, &id); /* empty stream name */
    printf("Appending to an empty stream name: %s (%s)\n", ironwal_status_str(st),
           ironwal_last_error());
    if (st != IRONWAL_ERR_INVALID_ARGUMENT) {
        goto done;
    }

    exit_code = EXIT_SUCCESS;
done:
    ironwal_close(wal); /* releases the directory lock */
    return exit_code;
}
