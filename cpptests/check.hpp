/*
 * check.hpp: the tiny test helper shared by the C++ test programs in cpptests/ (the
 * C++ counterpart of ctests/check.h).
 *
 * Every program defines `void run(const cpptest::scratch &dir)` and ends with
 * `CPPTEST_MAIN("name")`. The program takes an empty scratch directory as argv[1], runs
 * its checks and prints
 *
 *     cpptest <name>: N checks, M failed
 *
 * exiting non-zero if any check failed. Each failed check prints one line
 * "FAIL file:line: what". An exception escaping run() (or a REQUIRE that does not hold)
 * counts as one failed check and ends the program. tests/cpp_api.rs compiles and runs
 * every program here and adds up the "N checks" lines.
 */
#ifndef IRONWAL_CPPTEST_CHECK_HPP
#define IRONWAL_CPPTEST_CHECK_HPP

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <sys/stat.h>

#include "ironwal.hpp"

namespace cpptest {

/// The counters of this program (atomic: checks run on many threads).
struct counters {
    std::atomic<unsigned long> run{0};
    std::atomic<unsigned long> failed{0};
};

inline counters &totals() {
    static counters all;
    return all;
}

/// Records one check; prints a line when it failed. Returns whether it passed.
inline bool record(bool ok, const char *file, int line, const std::string &what) {
    totals().run++;
    if (!ok) {
        totals().failed++;
        std::printf("FAIL %s:%d: %s\n", file, line, what.c_str());
        std::fflush(stdout);
    }
    return ok;
}

inline bool u64_eq(std::uint64_t got, std::uint64_t want, const char *file, int line,
                   const char *expr) {
    return record(got == want, file, line,
                  std::string(expr) + " is " + std::to_string(got) + ", expected " +
                      std::to_string(want));
}

inline bool bytes_eq(ironwal::bytes_view got, ironwal::bytes_view want, const char *file,
                     int line, const char *expr) {
    std::string what = std::string(expr) + ": got " + std::to_string(got.size()) +
                       " bytes, expected " + std::to_string(want.size());
    if (got.size() == want.size() && got != want) {
        what += " (contents differ)";
    }
    return record(got == want, file, line, what);
}

/// Thrown by REQUIRE to end the program's checks.
struct required_check_failed {};

/// An existing directory for the program's WAL roots.
class scratch {
public:
    explicit scratch(std::string root) : root_(std::move(root)) {}
    /// "<scratch>/<sub>".
    std::string path(std::string_view sub) const { return root_ + "/" + std::string(sub); }

private:
    std::string root_;
};

/// Runs `body` on the scratch directory in argv[1] and prints the summary; the exit
/// status of the program.
inline int main(const char *name, int argc, char **argv, void (*body)(const scratch &)) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    struct stat st;
    if (argc < 2 || stat(argv[1], &st) != 0 || !S_ISDIR(st.st_mode)) {
        std::fprintf(stderr, "usage: %s SCRATCH_DIR (an existing, empty directory)\n", argv[0]);
        return 2;
    }
    try {
        body(scratch(argv[1]));
    } catch (const required_check_failed &) {
        // Already recorded as a failed check.
    } catch (const ironwal::error &e) {
        record(false, __FILE__, __LINE__,
               std::string("uncaught ironwal::error ") + e.status_name() + ": " + e.message());
    } catch (const std::exception &e) {
        record(false, __FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    unsigned long failed = totals().failed;
    std::printf("cpptest %s: %lu checks, %lu failed\n", name, totals().run.load(), failed);
    std::fflush(stdout);
    return failed == 0 ? 0 : 1;
}

} // namespace cpptest

/// CHECK(cond): a boolean check. Evaluates to whether it passed.
#define CHECK(cond) cpptest::record(static_cast<bool>(cond), __FILE__, __LINE__, #cond)

/// CHECK_EQ(a, b) for integers (compared as uint64_t; prints both on failure).
#define CHECK_EQ(a, b)                                                                      \
    cpptest::u64_eq(static_cast<std::uint64_t>(a), static_cast<std::uint64_t>(b), __FILE__, \
                    __LINE__, #a " == " #b)

/// CHECK_BYTES(got, want): equal bytes (anything ironwal::bytes_view takes).
#define CHECK_BYTES(got, want) \
    cpptest::bytes_eq((got), (want), __FILE__, __LINE__, #got " == " #want)

/// CHECK_THROWS(expr, IRONWAL_X): evaluating expr throws ironwal::error with that
/// code (and a non-empty message). Evaluates to whether it did.
#define CHECK_THROWS(expr, want_code)                                                         \
    [&]() -> bool {                                                                           \
        try {                                                                                 \
            static_cast<void>(expr);                                                          \
        } catch (const ironwal::error &cpptest_e) {                                           \
            return cpptest::record(                                                           \
                cpptest_e.code() == (want_code) && cpptest_e.message()[0] != '\0', __FILE__, \
                __LINE__,                                                                     \
                std::string(#expr " threw ") + cpptest_e.what() + ", expected " +             \
                    ironwal_status_str(want_code) + " with a message");                      \
        } catch (const std::exception &cpptest_e) {                                           \
            return cpptest::record(false, __FILE__, __LINE__,                                 \
                                   std::string(#expr " threw a non-ironwal exception: ") +    \
                                       cpptest_e.what());                                     \
        }                                                                                     \
        return cpptest::record(false, __FILE__, __LINE__,                                     \
                               std::string(#expr " did not throw ") +                         \
                                   ironwal_status_str(want_code));                            \
    }()

/// CHECK_NOTHROW(expr): evaluating expr throws nothing. Evaluates to whether it did not.
#define CHECK_NOTHROW(expr)                                                                   \
    [&]() -> bool {                                                                           \
        try {                                                                                 \
            static_cast<void>(expr);                                                          \
        } catch (const std::exception &cpptest_e) {                                           \
            return cpptest::record(false, __FILE__, __LINE__,                                 \
                                   std::string(#expr " threw ") + cpptest_e.what());          \
        }                                                                                     \
        return cpptest::record(true, __FILE__, __LINE__, #expr);                              \
    }()

/// REQUIRE(cond): like CHECK, but the program's checks end (failed) when it does not
/// hold, for checks the rest of the program cannot do without.
#define REQUIRE(cond)                                \
    do {                                             \
        if (!CHECK(cond)) {                          \
            throw cpptest::required_check_failed{}; \
        }                                            \
    } while (0)

/// The program's main: runs `void run(const cpptest::scratch &)`.
#define CPPTEST_MAIN(name)                                 \
    int main(int argc, char **argv) {                      \
        return cpptest::main((name), argc, argv, &run);    \
    }

#endif /* IRONWAL_CPPTEST_CHECK_HPP */
