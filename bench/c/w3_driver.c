/* The C-driven variant of W3: a C program's loop calling ironwal_append through the C
 * ABI of this crate (the same Rust object code as the Rust-driven run: the symbols
 * come from the `ironwal` rlib the bench links; see build.rs). The Rust driver times
 * bench_c_append_loop exactly as it times the Rust loop. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "ironwal.h"

/* Opens a WAL at `root` in sync mode `mode` (IRONWAL_SYNC_*). */
ironwal_status bench_c_open(const char *root, int32_t mode, ironwal_wal **out) {
    ironwal_options *options = ironwal_options_new(root);
    if (options == NULL) {
        return IRONWAL_ERR_INVALID_ARGUMENT;
    }
    ironwal_status st = ironwal_options_set_sync_mode(options, mode);
    if (st == IRONWAL_OK) {
        st = ironwal_open(options, out);
    }
    ironwal_options_free(options);
    return st;
}

void bench_c_close(ironwal_wal *wal) { ironwal_close(wal); }

/* One append. */
ironwal_status bench_c_append(ironwal_wal *wal, const char *stream, const uint8_t *entry, size_t len) {
    uint64_t id;
    return ironwal_append(wal, stream, entry, len, &id);
}

/* The W3 loop: `n` appends of the `len` bytes at `entry`, each stamped with its index
 * in the first 8 bytes (little endian, as the Rust driver does). */
ironwal_status bench_c_append_loop(ironwal_wal *wal, const char *stream, uint8_t *entry, size_t len,
                                   uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        for (int b = 0; b < 8; b++) {
            entry[b] = (uint8_t)(i >> (8 * b));
        }
        uint64_t id;
        ironwal_status st = ironwal_append(wal, stream, entry, len, &id);
        if (st != IRONWAL_OK) {
            return st;
        }
    }
    return IRONWAL_OK;
}
