/*
 * txn.c: transactions. ironwal_txn_add() copies entries into memory; nothing is
 * written until ironwal_txn_commit(), which appends them all as one atomic batch.
 * A transaction commits once (then IRONWAL_ERR_ALREADY_USED); freeing it without a
 * commit discards what was added.
 *
 * Usage: txn [DATA_DIR]   (default ./ironwal_data)
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

static ironwal_status add_text(ironwal_txn *txn, const char *text) {
    return ironwal_txn_add(txn, (const uint8_t *)text, strlen(text));
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "./ironwal_data";
    ironwal_options *opts = ironwal_options_new(dir);
    ironwal_wal *wal = NULL;
    ironwal_txn *txn = NULL;
    uint64_t first, count, next;
    ironwal_status st;
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

    /* 1. A transaction that commits. */
    if (!check("ironwal_txn_new", ironwal_txn_new(wal, "accounts", &txn))
        || !check("add", add_text(txn, "debit alice 10"))
        || !check("add", add_text(txn, "credit bob 10"))
        || !check("ironwal_txn_commit", ironwal_txn_commit(txn, &first, &count))) {
        goto done;
    }
    printf("committed %llu entries at ids %llu..%llu\n", (unsigned long long)count,
           (unsigned long long)first, (unsigned long long)(first + count - 1));

    /* A transaction commits once. */
    st = ironwal_txn_commit(txn, &first, &count);
    printf("second commit: %s\n", ironwal_status_str(st));
    if (st != IRONWAL_ERR_ALREADY_USED) {
        goto done;
    }
    ironwal_txn_free(txn);
    txn = NULL;

    /* 2. A transaction that is abandoned: freeing it discards its entries. */
    if (!check("ironwal_txn_new", ironwal_txn_new(wal, "accounts", &txn))
        || !check("add", add_text(txn, "debit carol 99"))) {
        goto done;
    }
    ironwal_txn_free(txn);
    txn = NULL;

    if (!check("ironwal_bounds", ironwal_bounds(wal, "accounts", &first, &next))) {
        goto done;
    }
    printf("stream \"accounts\" holds ids %llu..%llu (the abandoned entry was not written)\n",
           (unsigned long long)first, (unsigned long long)(next - 1));
    ok = 1;
done:
    ironwal_txn_free(txn); /* accepts NULL */
    ironwal_close(wal);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
