/*
 * processes: the root lock and crash safety across processes. This program starts
 * copies of itself (posix_spawn of argv[0]) in a "child" mode:
 *
 *   - while this process holds a root open, another process's open is
 *     IRONWAL_ERR_LOCKED; after ironwal_close it succeeds;
 *   - a process that holds the root and is killed with SIGKILL releases the lock
 *     (an OS lock, not a PID file);
 *   - entries a process appended (Async sync: no fsync) before it was killed with
 *     SIGKILL are all there when the root is opened again.
 */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

/* This program's path: argv[0] when it names a file (it does when the harness starts
 * it, also under valgrind, where /proc/self/exe would be valgrind itself). */
static const char *self_path = "/proc/self/exe";

enum { CHILD_ENTRIES = 200 };

/* Child modes. Exit codes: 0 opened, 10 LOCKED, 11 other error. */
static int child_try_open(const char *root) {
    ironwal_options *opts = ironwal_options_new(root);
    ironwal_wal *wal = NULL;
    ironwal_status st;
    if (opts == NULL) {
        return 11;
    }
    st = ironwal_open(opts, &wal);
    ironwal_options_free(opts);
    if (st == IRONWAL_ERR_LOCKED) {
        return 10;
    }
    if (st != IRONWAL_OK) {
        fprintf(stderr, "child open: %s: %s\n", ironwal_status_str(st), ironwal_last_error());
        return 11;
    }
    ironwal_close(wal);
    return 0;
}

/* Opens root, appends CHILD_ENTRIES entries (Async), writes "ready\n" to fd 3, then
 * waits to be killed. */
static int child_hold_and_append(const char *root) {
    ironwal_options *opts = ironwal_options_new(root);
    ironwal_wal *wal = NULL;
    int i;
    if (opts == NULL || ironwal_options_set_sync_mode(opts, IRONWAL_SYNC_ASYNC) != IRONWAL_OK
        || ironwal_options_set_max_entries_per_segment(opts, 64) != IRONWAL_OK
        || ironwal_open(opts, &wal) != IRONWAL_OK) {
        fprintf(stderr, "child: cannot open %s: %s\n", root, ironwal_last_error());
        return 11;
    }
    ironwal_options_free(opts);
    for (i = 0; i < CHILD_ENTRIES; i++) {
        char text[32];
        int n = snprintf(text, sizeof text, "child entry %d", i);
        uint64_t id;
        if (ironwal_append(wal, "crash", (const uint8_t *)text, (size_t)n, &id) != IRONWAL_OK
            || id != (uint64_t)i) {
            fprintf(stderr, "child: append %d: %s\n", i, ironwal_last_error());
            return 11;
        }
    }
    if (write(3, "ready\n", 6) != 6) {
        return 11;
    }
    for (;;) {
        pause(); /* until SIGKILL */
    }
}

/* Starts this program in a child mode; with notify_fd >= 0 the child's fd 3 is it. */
static pid_t spawn_child(const char *mode, const char *root, int notify_fd) {
    posix_spawn_file_actions_t actions;
    char *args[5];
    pid_t pid = -1;
    int rc;
    args[0] = (char *)"processes-child";
    args[1] = (char *)mode;
    args[2] = (char *)root;
    args[3] = NULL;
    posix_spawn_file_actions_init(&actions);
    if (notify_fd >= 0) {
        posix_spawn_file_actions_adddup2(&actions, notify_fd, 3);
    }
    rc = posix_spawn(&pid, self_path, &actions, NULL, args, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (!CHECK(rc == 0)) {
        printf("  posix_spawn: %s\n", strerror(rc));
        return -1;
    }
    return pid;
}

/* Runs a child mode to its end and returns its exit code (-1 if it did not exit). */
static int run_child(const char *mode, const char *root) {
    int status = 0;
    pid_t pid = spawn_child(mode, root, -1);
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

static void test_lock_across_processes(const char *root) {
    ironwal_wal *wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    uint64_t id;
    CHECK_OK(ironwal_append(wal, "s", CT_BYTES("x"), 1, &id));
    /* Held here: the other process is refused. */
    CHECK_EQ(run_child("try-open", root), 10);
    ironwal_close(wal);
    /* Released: the other process opens (and closes) it. */
    CHECK_EQ(run_child("try-open", root), 0);
    /* And this process can open it again afterwards. */
    wal = ct_open(root, IRONWAL_SYNC_ASYNC);
    ironwal_close(wal);
}

static void test_kill_9(const char *root) {
    int fds[2];
    pid_t pid;
    char ready[8] = {0};
    ssize_t got = 0;
    int status = 0;
    ironwal_options *opts;
    ironwal_wal *wal = NULL;
    ironwal_wal *sentinel = (ironwal_wal *)&wal;

    REQUIRE(pipe(fds) == 0);
    pid = spawn_child("hold-and-append", root, fds[1]);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return;
    }
    /* Wait until the child has appended everything (or died). */
    while (got < 6) {
        ssize_t n = read(fds[0], ready + got, (size_t)(6 - got));
        if (n <= 0) {
            break;
        }
        got += n;
    }
    close(fds[0]);
    CHECK(got == 6 && memcmp(ready, "ready\n", 6) == 0);

    /* While the child holds the root: LOCKED here, out untouched. */
    opts = ct_options(root, IRONWAL_SYNC_ASYNC);
    wal = sentinel;
    CHECK_STATUS(ironwal_open(opts, &wal), IRONWAL_ERR_LOCKED);
    CHECK(wal == sentinel);

    /* kill -9: the kernel releases the lock, and every acknowledged entry is there. */
    CHECK(kill(pid, SIGKILL) == 0);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    wal = NULL;
    if (CHECK_OK(ironwal_open(opts, &wal)) && wal != NULL) {
        uint64_t first = 0, next = 0, i, id;
        CHECK_OK(ironwal_bounds(wal, "crash", &first, &next));
        CHECK_EQ(first, 0);
        CHECK_EQ(next, CHILD_ENTRIES);
        for (i = 0; i < CHILD_ENTRIES; i++) {
            char want[32];
            uint8_t into[32];
            size_t len = 0;
            int n = snprintf(want, sizeof want, "child entry %d", (int)i);
            if (CHECK_OK(ironwal_get_into(wal, "crash", i, into, sizeof into, &len))) {
                CHECK_BYTES(into, len, want, (size_t)n);
            }
        }
        /* Ids continue after the crash. */
        CHECK_OK(ironwal_append(wal, "crash", CT_BYTES("after crash"), 11, &id));
        CHECK_EQ(id, CHILD_ENTRIES);
        ironwal_close(wal);
    }
    ironwal_options_free(opts);
}

int main(int argc, char **argv) {
    char root[CT_PATH_MAX];
    if (argc > 0 && strchr(argv[0], '/') != NULL) {
        self_path = argv[0];
    }
    if (argc == 3 && strcmp(argv[1], "try-open") == 0) {
        return child_try_open(argv[2]);
    }
    if (argc == 3 && strcmp(argv[1], "hold-and-append") == 0) {
        return child_hold_and_append(argv[2]);
    }
    ct_init("processes", argc, argv);
    test_lock_across_processes(ct_path(root, "lock"));
    test_kill_9(ct_path(root, "kill9"));
    return ct_finish();
}
