/*
 * check.h: the tiny test helper shared by the C test programs in ctests/.
 *
 * Every program includes this header first, takes an empty scratch directory as
 * argv[1], runs its checks, and ends with `return ct_finish();`, which prints
 *
 *     ctest <name>: N checks, M failed
 *
 * and returns the exit status (non-zero if any check failed). Each failed check
 * prints one line "FAIL file:line: what" (with the status names and
 * ironwal_last_error() for status checks). tests/c_api.rs compiles and runs every
 * C file in ctests/ and adds up the "N checks" lines.
 *
 * Everything here is `static` (inline for functions), so it compiles cleanly with
 * -std=c11 -Wall -Wextra -Werror -pedantic whatever a program uses.
 */
#ifndef IRONWAL_CTEST_CHECK_H
#define IRONWAL_CTEST_CHECK_H

#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "ironwal.h"

/* Counters of this program (one translation unit per program). */
static unsigned long ct_checks_run;
static unsigned long ct_checks_failed;
static const char *ct_program = "?";
static const char *ct_scratch = ".";

/* Records one check; prints a line when it failed. Returns whether it passed. */
static inline int ct_record(int ok, const char *file, int line, const char *what) {
    ct_checks_run++;
    if (!ok) {
        ct_checks_failed++;
        printf("FAIL %s:%d: %s\n", file, line, what);
        fflush(stdout);
    }
    return ok;
}

/* CHECK(cond): a boolean check. Evaluates to 1 if it passed. */
#define CHECK(cond) ct_record((cond) ? 1 : 0, __FILE__, __LINE__, #cond)

static inline int ct_status_is(ironwal_status got, ironwal_status want, const char *file,
                               int line, const char *call) {
    char what[1024];
    const char *got_name;
    const char *want_name;
    const char *message;
    if (got == want) {
        return ct_record(1, file, line, call);
    }
    got_name = ironwal_status_str(got);
    want_name = ironwal_status_str(want);
    message = ironwal_last_error(); /* last: valid until the next ironwal call */
    snprintf(what, sizeof what, "%s returned %s (%d), expected %s (%d); last_error: \"%s\"",
             call, got_name, (int)got, want_name, (int)want, message);
    return ct_record(0, file, line, what);
}

/* CHECK_STATUS(call, IRONWAL_X): the call returns exactly that status. */
#define CHECK_STATUS(call, want) ct_status_is((call), (want), __FILE__, __LINE__, #call)
/* CHECK_OK(call): the call returns IRONWAL_OK. */
#define CHECK_OK(call) CHECK_STATUS(call, IRONWAL_OK)

static inline int ct_u64_eq(uint64_t got, uint64_t want, const char *file, int line,
                            const char *expr) {
    char what[512];
    if (got == want) {
        return ct_record(1, file, line, expr);
    }
    snprintf(what, sizeof what, "%s is %" PRIu64 ", expected %" PRIu64, expr, got, want);
    return ct_record(0, file, line, what);
}

/* CHECK_EQ(a, b) for integers (compared as uint64_t; prints both on failure). */
#define CHECK_EQ(a, b) ct_u64_eq((uint64_t)(a), (uint64_t)(b), __FILE__, __LINE__, #a " == " #b)

static inline int ct_bytes_eq(const uint8_t *got, size_t got_len, const void *want,
                              size_t want_len, const char *file, int line, const char *expr) {
    char what[512];
    if (got_len == want_len && (want_len == 0 || memcmp(got, want, want_len) == 0)) {
        return ct_record(1, file, line, expr);
    }
    snprintf(what, sizeof what, "%s: got %zu bytes, expected %zu bytes%s", expr, got_len,
             want_len, got_len == want_len ? " (contents differ)" : "");
    return ct_record(0, file, line, what);
}

/* CHECK_BYTES(ptr, len, want_ptr, want_len): equal lengths and contents. */
#define CHECK_BYTES(got, got_len, want, want_len) \
    ct_bytes_eq((got), (got_len), (want), (want_len), __FILE__, __LINE__, #got " == " #want)

/* CHECK_STR(a, b): two NUL-terminated strings are equal (and a is not NULL). */
#define CHECK_STR(a, b) \
    ct_record((a) != NULL && strcmp((a), (b)) == 0, __FILE__, __LINE__, #a " equals " #b)

/* REQUIRE(cond): like CHECK, but the program stops (failed) when it does not hold,
 * for checks the rest of the program cannot do without. */
#define REQUIRE(cond)                        \
    do {                                     \
        if (!CHECK(cond)) {                  \
            exit(ct_finish());               \
        }                                    \
    } while (0)

/* Prints the summary line and returns the exit status. */
static inline int ct_finish(void) {
    printf("ctest %s: %lu checks, %lu failed\n", ct_program, ct_checks_run, ct_checks_failed);
    fflush(stdout);
    return ct_checks_failed == 0 ? 0 : 1;
}

/* Reads argv: the scratch directory (argv[1]) must exist. Call first in main. */
static inline void ct_init(const char *name, int argc, char **argv) {
    struct stat st;
    ct_program = name;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2 || stat(argv[1], &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "usage: %s SCRATCH_DIR (an existing, empty directory)\n", argv[0]);
        exit(2);
    }
    ct_scratch = argv[1];
}

/* Writes "<scratch>/<sub>" to out (a buffer of CT_PATH_MAX bytes) and returns it. */
enum { CT_PATH_MAX = 4096 };
static inline char *ct_path(char *out, const char *sub) {
    int n = snprintf(out, CT_PATH_MAX, "%s/%s", ct_scratch, sub);
    if (n < 0 || n >= CT_PATH_MAX) {
        fprintf(stderr, "path too long: %s/%s\n", ct_scratch, sub);
        exit(2);
    }
    return out;
}

/* printf into a path buffer of CT_PATH_MAX bytes; the program stops if it does not fit. */
static inline char *ct_fmt(char *out, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(out, CT_PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= CT_PATH_MAX) {
        fprintf(stderr, "path too long: %s\n", fmt);
        exit(2);
    }
    return out;
}

/* Whether a path exists (any kind of file). */
static inline int ct_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of entries of a directory (without "." and ".."), or -1 if it cannot be read.
 * With want_dirs_only, only sub-directories are counted; with suffix, only names
 * ending with it. */
static inline long ct_count_entries(const char *dir, int want_dirs_only, const char *suffix) {
    DIR *d = opendir(dir);
    struct dirent *e;
    long count = 0;
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char full[CT_PATH_MAX];
        struct stat st;
        size_t len = strlen(e->d_name);
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (suffix != NULL
            && (len < strlen(suffix) || strcmp(e->d_name + len - strlen(suffix), suffix) != 0)) {
            continue;
        }
        if (want_dirs_only) {
            ct_fmt(full, "%s/%s", dir, e->d_name);
            if (stat(full, &st) != 0 || !S_ISDIR(st.st_mode)) {
                continue;
            }
        }
        count++;
    }
    closedir(d);
    return count;
}

/* Total size in bytes of the files ending with suffix in every sub-directory of root
 * (one level down: <root>/<stream dir>/<file>). */
static inline long long ct_stream_files_size(const char *root, const char *suffix) {
    DIR *d = opendir(root);
    struct dirent *e;
    long long total = 0;
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char sub[CT_PATH_MAX];
        DIR *sd;
        struct dirent *f;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        ct_fmt(sub, "%s/%s", root, e->d_name);
        sd = opendir(sub);
        if (sd == NULL) {
            continue;
        }
        while ((f = readdir(sd)) != NULL) {
            char full[CT_PATH_MAX];
            struct stat st;
            size_t len = strlen(f->d_name);
            if (len < strlen(suffix) || strcmp(f->d_name + len - strlen(suffix), suffix) != 0) {
                continue;
            }
            ct_fmt(full, "%s/%s", sub, f->d_name);
            if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
                total += (long long)st.st_size;
            }
        }
        closedir(sd);
    }
    closedir(d);
    return total;
}

/* New options for root with a sync mode; the program stops if that fails. */
static inline ironwal_options *ct_options(const char *root, int32_t sync_mode) {
    ironwal_options *opts = ironwal_options_new(root);
    REQUIRE(opts != NULL);
    REQUIRE(ironwal_options_set_sync_mode(opts, sync_mode) == IRONWAL_OK);
    return opts;
}

/* Opens root with the given options; the program stops if that fails. */
static inline ironwal_wal *ct_open_with(const ironwal_options *opts) {
    ironwal_wal *wal = NULL;
    ironwal_status st = ironwal_open(opts, &wal);
    if (!CHECK_STATUS(st, IRONWAL_OK) || !CHECK(wal != NULL)) {
        exit(ct_finish());
    }
    return wal;
}

/* Opens root with default options and a sync mode; the program stops if that fails. */
static inline ironwal_wal *ct_open(const char *root, int32_t sync_mode) {
    ironwal_options *opts = ct_options(root, sync_mode);
    ironwal_wal *wal = ct_open_with(opts);
    ironwal_options_free(opts);
    return wal;
}

/* Bytes of a C string literal, for the uint8_t parameters. */
#define CT_BYTES(s) ((const uint8_t *)(s))

#endif /* IRONWAL_CTEST_CHECK_H */
