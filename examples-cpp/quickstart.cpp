/*
 * quickstart.cpp: the usage guide's quick start in C++ (include/ironwal.hpp).
 *
 *   1. configure and open a WAL (Strict sync: durable when append returns),
 *   2. append "Hello, IronWal!" to the stream "logs" and read it back,
 *   3. write an atomic batch and iterate over the stream,
 *   4. handle errors: failures throw ironwal::error, which names the C status code.
 *
 * Build (after `cargo build --release`) and run:
 *
 *   c++ -std=c++17 -I include examples-cpp/quickstart.cpp -L target/release -lironwal \
 *       -Wl,-rpath,$PWD/target/release -o quickstart
 *   ./quickstart /tmp/ironwal-demo
 *
 * Usage: quickstart [DATA_DIR]   (default ./ironwal_data)
 */
#include <cstdio>
#include <cstdlib>

#include "ironwal.hpp"

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "./ironwal_data";
    const std::string_view version = ironwal::version();
    std::printf("IronWal %.*s\n", static_cast<int>(version.size()), version.data());
    try {
        // 1. Configure and open the WAL (one open WAL per directory; the lock is
        //    released when `wal` goes out of scope).
        ironwal::wal wal{ironwal::options(dir).sync_mode(ironwal::sync_mode::strict)};

        // 2. Append to the stream "logs" and read the entry back. try_get answers
        //    std::nullopt for an id the stream does not hold.
        std::uint64_t id = wal.append("logs", "Hello, IronWal!");
        std::printf("Written entry at ID: %llu\n", static_cast<unsigned long long>(id));
        if (std::optional<ironwal::bytes> data = wal.try_get("logs", id)) {
            std::printf("Read: \"%.*s\"\n", static_cast<int>(data->size()),
                        reinterpret_cast<const char *>(data->data()));
        }

        // 3. An atomic batch: either all entries exist or none do.
        ironwal::id_range batch =
            wal.append_batch("transactions", {"Transaction Start", "Update A", "Update B"});
        std::printf("Batch written to IDs %llu to %llu\n",
                    static_cast<unsigned long long>(batch.first),
                    static_cast<unsigned long long>(batch.next));
        for (auto &entry : wal.iter("transactions", batch.first)) {
            std::string_view text = entry.data.as_string_view();
            std::printf("  %llu: %.*s\n", static_cast<unsigned long long>(entry.id),
                        static_cast<int>(text.size()), text.data());
        }

        // 4. Errors are exceptions carrying the C status code and a message.
        try {
            wal.append("", "x"); // an empty stream name
        } catch (const ironwal::error &e) {
            std::printf("Appending to an empty stream name: %s (%s)\n", e.status_name(),
                        e.message());
            if (e.code() != IRONWAL_ERR_INVALID_ARGUMENT) {
                return EXIT_FAILURE;
            }
        }
    } catch (const ironwal::error &e) {
        std::fprintf(stderr, "ironwal: %s\n", e.what());
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
