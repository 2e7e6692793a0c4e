/*
 * ironwal.hpp: a header-only C++17 wrapper over the IronWal C API (ironwal.h).
 *
 * Link with libironwal like a C program (e.g. -lironwal); nothing else is needed.
 *
 *     ironwal::wal log(ironwal::options("./data").sync_mode(ironwal::sync_mode::strict));
 *     std::uint64_t id = log.append("logs", "Hello, IronWal!");
 *     std::optional<ironwal::bytes> entry = log.try_get("logs", id);
 *     for (auto& e : log.iter("logs", 0)) { use(e.id, e.data); }
 *
 * Conventions:
 * - Errors are exceptions: every failed C call throws `ironwal::error`, which keeps the
 *   C status code (`code()`, an IRONWAL_ERR_* value) and the library's message. Inputs
 *   the C API cannot take (a stream name or path with a NUL byte) throw it with
 *   IRONWAL_ERR_INVALID_ARGUMENT. Memory exhaustion throws std::bad_alloc as usual.
 * - "Not found" is an answer, not an error: `try_get` and `bounds` return an empty
 *   std::optional; `get` throws `error` with IRONWAL_NOT_FOUND when there is no entry.
 * - Owned bytes are `ironwal::bytes` (std::vector<std::uint8_t>); borrowed bytes are
 *   `ironwal::bytes_view`, which any contiguous container of bytes or chars
 *   (std::string, std::string_view, std::vector<std::uint8_t>, std::array, std::span)
 *   and a NUL-terminated string convert to.
 * - Handles (options, wal, iterator, transaction, sharded_wal, checkpoint) are
 *   move-only; their destructors release the C object. A moved-from or
 *   default-constructed handle is empty: `bool(h)` is false, destroying it does
 *   nothing, and its operations throw `error` with IRONWAL_ERR_INVALID_ARGUMENT.
 * - Lifetimes follow the C API: iterators, transactions and checkpoints stay valid
 *   after their wal / sharded_wal is destroyed, in any order.
 * - Threads: a `wal` or `sharded_wal` may be used by many threads at once (except
 *   `close`, move and destruction); an iterator, transaction, checkpoint or options
 *   object by one thread at a time. `error` messages are per thread.
 */
#ifndef IRONWAL_HPP
#define IRONWAL_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ironwal.h"

namespace ironwal {

/* ------------------------------------------------------------------------------ */
/* Errors                                                                            */

/// A failed IronWal call: the C status code and the library's message.
class error : public std::runtime_error {
public:
    /// `what()` is "<status name>: <message>".
    error(ironwal_status code, const std::string& message)
        : std::runtime_error(std::string(ironwal_status_str(code)) + ": " + message),
          code_(code),
          message_at_(std::strlen(ironwal_status_str(code)) + 2) {}

    /// The C status code: IRONWAL_NOT_FOUND or an IRONWAL_ERR_* value.
    ironwal_status code() const noexcept { return code_; }
    /// The code's name, e.g. "IRONWAL_ERR_LOCKED" (static).
    const char *status_name() const noexcept { return ironwal_status_str(code_); }
    /// The library's message (`ironwal_last_error()` of the failed call).
    const char *message() const noexcept { return what() + message_at_; }

private:
    ironwal_status code_;
    std::size_t message_at_; // the message is the tail of what(): copying stays noexcept
};

namespace detail {

/// Throws the error of the C call that just returned `code`, with its message (read
/// here, before any other ironwal call on this thread replaces it).
[[noreturn]] inline void raise(ironwal_status code) {
    throw error(code, ironwal_last_error());
}

/// Returns non-negative codes (OK, NOT_FOUND, END); throws the negative ones.
inline ironwal_status check(ironwal_status code) {
    if (code < 0) {
        raise(code);
    }
    return code;
}

/// A NUL-terminated copy of a string for the C API: on the stack up to 255 bytes (every
/// valid stream name), on the heap beyond. A NUL byte inside throws INVALID_ARGUMENT.
class c_string {
public:
    c_string(std::string_view text, const char *what) {
        if (text.find('\0') != std::string_view::npos) {
            throw error(IRONWAL_ERR_INVALID_ARGUMENT,
                        std::string(what) + " contains a NUL byte");
        }
        if (text.size() < small_.size()) {
            text.copy(small_.data(), text.size());
            small_[text.size()] = '\0';
            pointer_ = small_.data();
        } else {
            large_.assign(text);
            pointer_ = large_.c_str();
        }
    }
    c_string(const c_string &) = delete;
    c_string &operator=(const c_string &) = delete;

    const char *get() const noexcept { return pointer_; }

private:
    std::array<char, 256> small_;
    std::string large_;
    const char *pointer_;
};

/// Whether `Container` is a contiguous container of 1-byte elements (not a C array,
/// whose trailing NUL would count): what bytes_view takes.
template <class Container, class = void>
struct is_byte_container : std::false_type {};
template <class Container>
struct is_byte_container<Container,
                         std::void_t<decltype(std::data(std::declval<const Container &>())),
                                     decltype(std::size(std::declval<const Container &>()))>>
    : std::bool_constant<
          !std::is_array_v<Container> &&
          std::is_pointer_v<decltype(std::data(std::declval<const Container &>()))> &&
          sizeof(*std::data(std::declval<const Container &>())) == 1> {};

} // namespace detail

/* ------------------------------------------------------------------------------ */
/* Bytes                                                                             */

/// Bytes owned by the caller (what reads return).
using bytes = std::vector<std::uint8_t>;

/// Borrowed bytes: a pointer and a length; the caller keeps the bytes alive.
class bytes_view {
public:
    constexpr bytes_view() noexcept = default;
    constexpr bytes_view(const std::uint8_t *data, std::size_t size) noexcept
        : data_(data), size_(size) {}
    bytes_view(const void *data, std::size_t size) noexcept
        : data_(static_cast<const std::uint8_t *>(data)), size_(size) {}
    /// The characters of a NUL-terminated string (without the NUL).
    bytes_view(const char *text) noexcept
        : bytes_view(text, text == nullptr ? 0 : std::strlen(text)) {}
    /// Any contiguous container of bytes or chars.
    template <class Container,
              std::enable_if_t<detail::is_byte_container<Container>::value, int> = 0>
    bytes_view(const Container &container) noexcept
        : bytes_view(static_cast<const void *>(std::data(container)), std::size(container)) {}

    constexpr const std::uint8_t *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr const std::uint8_t *begin() const noexcept { return data_; }
    constexpr const std::uint8_t *end() const noexcept { return data_ + size_; }
    constexpr std::uint8_t operator[](std::size_t i) const noexcept { return data_[i]; }

    /// The same bytes as characters (no copy).
    std::string_view as_string_view() const noexcept {
        return {reinterpret_cast<const char *>(data_), size_};
    }
    /// An owned copy.
    bytes to_bytes() const { return bytes(begin(), end()); }

    friend bool operator==(bytes_view a, bytes_view b) noexcept {
        return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data_, b.data_, a.size_) == 0);
    }
    friend bool operator!=(bytes_view a, bytes_view b) noexcept { return !(a == b); }

private:
    const std::uint8_t *data_ = nullptr;
    std::size_t size_ = 0;
};

/* ------------------------------------------------------------------------------ */
/* Small value types                                                                 */

/// Ids [first, next): what a batch or commit wrote, or what a stream retains.
struct id_range {
    std::uint64_t first = 0;
    std::uint64_t next = 0;

    constexpr std::uint64_t count() const noexcept { return next - first; }
    constexpr bool empty() const noexcept { return first == next; }
    constexpr bool contains(std::uint64_t id) const noexcept { return id >= first && id < next; }
};

/// One entry seen by an iterator: its id and its bytes (borrowed from the iterator,
/// valid until it advances or is destroyed).
struct entry {
    std::uint64_t id = 0;
    bytes_view data;
};

/// Where a sharded append went.
struct position {
    std::uint16_t shard = 0;
    std::uint64_t id = 0;

    friend bool operator==(const position &a, const position &b) noexcept {
        return a.shard == b.shard && a.id == b.id;
    }
    friend bool operator!=(const position &a, const position &b) noexcept { return !(a == b); }
};

using prune_stats = ironwal_prune_stats;
using compaction_stats = ironwal_compaction_stats;

enum class sync_mode : std::int32_t {
    strict = IRONWAL_SYNC_STRICT,         ///< every append, batch and commit is durable
    batch_only = IRONWAL_SYNC_BATCH_ONLY, ///< batches and commits are durable
    async = IRONWAL_SYNC_ASYNC,           ///< durable after sync() / sync_all()
};
enum class compression : std::int32_t {
    none = IRONWAL_COMPRESSION_NONE,
    lz4 = IRONWAL_COMPRESSION_LZ4, ///< for payloads of at least min_compression_size
};
enum class read_strategy : std::int32_t {
    standard_io = IRONWAL_READ_STANDARD_IO,
    mmap = IRONWAL_READ_MMAP, ///< segments memory-mapped
};
enum class corruption_policy : std::int32_t {
    truncate = IRONWAL_CORRUPTION_TRUNCATE, ///< cut a torn tail on open (default)
    error = IRONWAL_CORRUPTION_ERROR,       ///< refuse to open on any damage
};

/// The library's version, "MAJOR.MINOR.PATCH".
inline std::string_view version() noexcept { return ironwal_version(); }

/// The name of a status code, e.g. "IRONWAL_ERR_IO".
inline std::string_view status_name(ironwal_status code) noexcept {
    return ironwal_status_str(code);
}

/* ------------------------------------------------------------------------------ */
/* Options                                                                           */

/// Options for opening a wal or sharded_wal: a builder. Setters throw `error`
/// (IRONWAL_ERR_INVALID_ARGUMENT) for values the library rejects (e.g. a zero size) and
/// chain on lvalues and temporaries alike:
///     auto opts = ironwal::options("dir").sync_mode(ironwal::sync_mode::async);
class options {
public:
    /// Defaults for the WAL at `root_path` (an existing or new directory, UTF-8).
    explicit options(std::string_view root_path)
        : handle_(ironwal_options_new(detail::c_string(root_path, "root path").get())) {
        if (handle_ == nullptr) {
            detail::raise(IRONWAL_ERR_INVALID_ARGUMENT);
        }
    }
    options(options &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    options &operator=(options &&other) noexcept {
        if (this != &other) {
            ironwal_options_free(std::exchange(handle_, std::exchange(other.handle_, nullptr)));
        }
        return *this;
    }
    options(const options &) = delete;
    options &operator=(const options &) = delete;
    ~options() { ironwal_options_free(handle_); }

    explicit operator bool() const noexcept { return handle_ != nullptr; }
    const ironwal_options *native_handle() const noexcept { return handle_; }

    options &sync_mode(ironwal::sync_mode mode) & {
        return set(ironwal_options_set_sync_mode(handle_, static_cast<std::int32_t>(mode)));
    }
    options &&sync_mode(ironwal::sync_mode mode) && { return std::move(sync_mode(mode)); }

    options &compression(ironwal::compression kind) & {
        return set(ironwal_options_set_compression(handle_, static_cast<std::int32_t>(kind)));
    }
    options &&compression(ironwal::compression kind) && {
        return std::move(compression(kind));
    }

    options &read_strategy(ironwal::read_strategy strategy) & {
        return set(
            ironwal_options_set_read_strategy(handle_, static_cast<std::int32_t>(strategy)));
    }
    options &&read_strategy(ironwal::read_strategy strategy) && {
        return std::move(read_strategy(strategy));
    }

    options &corruption_policy(ironwal::corruption_policy policy) & {
        return set(
            ironwal_options_set_corruption_policy(handle_, static_cast<std::int32_t>(policy)));
    }
    options &&corruption_policy(ironwal::corruption_policy policy) && {
        return std::move(corruption_policy(policy));
    }

    /// Soft segment size limit (default 64 MiB; at least 1).
    options &max_segment_size(std::uint64_t size) & {
        return set(ironwal_options_set_max_segment_size(handle_, size));
    }
    options &&max_segment_size(std::uint64_t size) && {
        return std::move(max_segment_size(size));
    }

    /// Soft limit of entries per segment (default UINT64_MAX; at least 1).
    options &max_entries_per_segment(std::uint64_t entries) & {
        return set(ironwal_options_set_max_entries_per_segment(handle_, entries));
    }
    options &&max_entries_per_segment(std::uint64_t entries) && {
        return std::move(max_entries_per_segment(entries));
    }

    /// Bound on open segment files (default 50; at least 1).
    options &max_open_segments(std::size_t count) & {
        return set(ironwal_options_set_max_open_segments(handle_, count));
    }
    options &&max_open_segments(std::size_t count) && {
        return std::move(max_open_segments(count));
    }

    /// Byte budget of the decoded-frame cache; 0 (the default) turns it off.
    options &block_cache_size(std::uint64_t size) & {
        return set(ironwal_options_set_block_cache_size(handle_, size));
    }
    options &&block_cache_size(std::uint64_t size) && {
        return std::move(block_cache_size(size));
    }

    /// Payloads smaller than this are never compressed (default 1024).
    options &min_compression_size(std::size_t size) & {
        return set(ironwal_options_set_min_compression_size(handle_, size));
    }
    options &&min_compression_size(std::size_t size) && {
        return std::move(min_compression_size(size));
    }

    /// Size of the chunks iterators and recovery read at a time (default 128 KiB).
    options &read_buffer_size(std::size_t size) & {
        return set(ironwal_options_set_read_buffer_size(handle_, size));
    }
    options &&read_buffer_size(std::size_t size) && {
        return std::move(read_buffer_size(size));
    }

private:
    options &set(ironwal_status code) {
        detail::check(code);
        return *this;
    }

    ironwal_options *handle_;
};

/* ------------------------------------------------------------------------------ */
/* Iterator                                                                          */

/// An iterator over one stream or shard: call `next()`, or use it as a single-pass
/// range (`for (auto &e : log.iter("s", 0))`). It also sees entries appended after it
/// was created. Errors while reading throw `error`; the iterator is at its end then.
class iterator {
public:
    /// The position in a range-for loop (an input iterator). Every cursor of one
    /// iterator shares its position; `end()` is the cursor with no iterator.
    class cursor {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = entry;
        using difference_type = std::ptrdiff_t;
        using pointer = const entry *;
        using reference = const entry &;

        cursor() noexcept = default;
        reference operator*() const noexcept { return owner_->current_; }
        pointer operator->() const noexcept { return &owner_->current_; }
        cursor &operator++() {
            if (!owner_->next()) {
                owner_ = nullptr;
            }
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const cursor &a, const cursor &b) noexcept {
            return a.owner_ == b.owner_;
        }
        friend bool operator!=(const cursor &a, const cursor &b) noexcept { return !(a == b); }

    private:
        friend class iterator;
        explicit cursor(iterator *owner) noexcept : owner_(owner) {}
        iterator *owner_ = nullptr;
    };

    /// An empty iterator (no entries; `next()` throws INVALID_ARGUMENT).
    iterator() noexcept = default;
    /// Takes ownership of a C iterator.
    explicit iterator(ironwal_iter *handle) noexcept : handle_(handle) {}
    iterator(iterator &&other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)), current_(other.current_) {}
    iterator &operator=(iterator &&other) noexcept {
        if (this != &other) {
            ironwal_iter_free(std::exchange(handle_, std::exchange(other.handle_, nullptr)));
            current_ = other.current_;
        }
        return *this;
    }
    iterator(const iterator &) = delete;
    iterator &operator=(const iterator &) = delete;
    ~iterator() { ironwal_iter_free(handle_); }

    explicit operator bool() const noexcept { return handle_ != nullptr; }
    ironwal_iter *native_handle() const noexcept { return handle_; }

    /// Advances: the next entry (borrowed: valid until the next call or destruction),
    /// or nullptr at the end.
    const entry *next() {
        std::uint64_t id = 0;
        const std::uint8_t *data = nullptr;
        std::size_t len = 0;
        if (detail::check(ironwal_iter_next(handle_, &id, &data, &len)) == IRONWAL_END) {
            return nullptr;
        }
        current_ = entry{id, bytes_view(data, len)};
        return &current_;
    }

    /// Advances to the first entry not yet seen (single pass: a second begin()
    /// continues where the first loop stopped).
    cursor begin() { return next() != nullptr ? cursor(this) : cursor(); }
    cursor end() noexcept { return cursor(); }

private:
    ironwal_iter *handle_ = nullptr;
    entry current_;
};

/* ------------------------------------------------------------------------------ */
/* Transaction                                                                       */

/// Entries gathered in memory and appended to one stream as one atomic batch by
/// `commit()`. Destroying it without committing discards them. Commits once: later
/// `add` / `commit` throw IRONWAL_ERR_ALREADY_USED. Until committed or destroyed it
/// keeps its wal's directory locked, also after the wal is destroyed.
class transaction {
public:
    transaction() noexcept = default;
    /// Takes ownership of a C transaction.
    explicit transaction(ironwal_txn *handle) noexcept : handle_(handle) {}
    transaction(transaction &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    transaction &operator=(transaction &&other) noexcept {
        if (this != &other) {
            ironwal_txn_free(std::exchange(handle_, std::exchange(other.handle_, nullptr)));
        }
        return *this;
    }
    transaction(const transaction &) = delete;
    transaction &operator=(const transaction &) = delete;
    ~transaction() { ironwal_txn_free(handle_); }

    explicit operator bool() const noexcept { return handle_ != nullptr; }
    ironwal_txn *native_handle() const noexcept { return handle_; }

    /// Adds a copy of `data`; nothing is written until commit().
    void add(bytes_view data) { detail::check(ironwal_txn_add(handle_, data.data(), data.size())); }

    /// Appends every added entry atomically: the ids they got (empty if none).
    id_range commit() {
        std::uint64_t first = 0;
        std::uint64_t count = 0;
        detail::check(ironwal_txn_commit(handle_, &first, &count));
        return {first, first + count};
    }

private:
    ironwal_txn *handle_ = nullptr;
};

/* ------------------------------------------------------------------------------ */
/* WAL                                                                               */

/// An open WAL: streams of entries with dense ids from 0. Holds the root directory's
/// lock until destroyed or closed (a second open of the same root throws
/// IRONWAL_ERR_LOCKED).
class wal {
public:
    /// An empty handle.
    wal() noexcept = default;
    /// Opens (creating if needed) the WAL `opts` describes, recovering every stream.
    explicit wal(const options &opts) { detail::check(ironwal_open(opts.native_handle(), &handle_)); }
    /// Opens the WAL at `root_path` with default options (Strict sync).
    explicit wal(std::string_view root_path) : wal(options(root_path)) {}
    wal(wal &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    wal &operator=(wal &&other) noexcept {
        if (this != &other) {
            ironwal_close(std::exchange(handle_, std::exchange(other.handle_, nullptr)));
        }
        return *this;
    }
    wal(const wal &) = delete;
    wal &operator=(const wal &) = delete;
    ~wal() { ironwal_close(handle_); }

    explicit operator bool() const noexcept { return handle_ != nullptr; }
    ironwal_wal *native_handle() const noexcept { return handle_; }

    /// Closes now (the handle becomes empty). Not while other threads use it.
    void close() noexcept { ironwal_close(std::exchange(handle_, nullptr)); }

    /// Appends one entry; returns its id.
    std::uint64_t append(std::string_view stream, bytes_view data) {
        std::uint64_t id = 0;
        detail::check(ironwal_append(handle_, name(stream).get(), data.data(), data.size(), &id));
        return id;
    }

    /// Appends `count` entries atomically (all or none, also across a crash).
    id_range append_batch(std::string_view stream, const bytes_view *entries, std::size_t count) {
        std::vector<const std::uint8_t *> datas(count);
        std::vector<std::size_t> lens(count);
        for (std::size_t i = 0; i < count; i++) {
            datas[i] = entries[i].data();
            lens[i] = entries[i].size();
        }
        std::uint64_t first = 0;
        detail::check(ironwal_append_batch(handle_, name(stream).get(), datas.data(), lens.data(),
                                           count, &first));
        return {first, first + count};
    }
    /// `log.append_batch("s", {"a", "b", some_string})`.
    id_range append_batch(std::string_view stream, std::initializer_list<bytes_view> entries) {
        return append_batch(stream, entries.begin(), entries.size());
    }
    /// Any range of things bytes_view takes: std::vector<std::string>, ...
    template <class Range>
    auto append_batch(std::string_view stream, const Range &entries)
        -> decltype(std::begin(entries), std::end(entries), id_range()) {
        std::vector<bytes_view> views;
        for (const auto &item : entries) {
            views.emplace_back(item);
        }
        return append_batch(stream, views.data(), views.size());
    }

    /// Entry `id` of `stream`, or nothing if the stream does not hold it (never written,
    /// or truncated).
    std::optional<bytes> try_get(std::string_view stream, std::uint64_t id) {
        ironwal_buf buf{nullptr, 0, 0};
        if (detail::check(ironwal_get(handle_, name(stream).get(), id, &buf)) == IRONWAL_NOT_FOUND) {
            return std::nullopt;
        }
        // Frees the library's buffer also when the copy throws.
        struct release {
            ironwal_buf *buf;
            ~release() { ironwal_buf_free(buf); }
        } release_buf{&buf};
        return bytes(buf.data, buf.data + buf.len);
    }

    /// Entry `id` of `stream`; throws `error` with IRONWAL_NOT_FOUND if there is none.
    bytes get(std::string_view stream, std::uint64_t id) {
        std::optional<bytes> found = try_get(stream, id);
        if (!found) {
            throw error(IRONWAL_NOT_FOUND, "stream \"" + std::string(stream) +
                                               "\" holds no entry " + std::to_string(id));
        }
        return std::move(*found);
    }

    /// Copies entry `id` into `buf` if it fits in `capacity` bytes; returns the
    /// entry's length either way (like snprintf), or nothing if there is no entry.
    std::optional<std::size_t> get_into(std::string_view stream, std::uint64_t id,
                                        std::uint8_t *buf, std::size_t capacity) {
        std::size_t len = 0;
        ironwal_status code = ironwal_get_into(handle_, name(stream).get(), id, buf, capacity, &len);
        if (code == IRONWAL_ERR_BUFFER_TOO_SMALL) {
            return len;
        }
        if (detail::check(code) == IRONWAL_NOT_FOUND) {
            return std::nullopt;
        }
        return len;
    }

    /// Deletes the sealed segments whose ids are all below `safe_id` (never the active
    /// one); returns how many.
    std::size_t truncate(std::string_view stream, std::uint64_t safe_id) {
        std::size_t deleted = 0;
        detail::check(ironwal_truncate(handle_, name(stream).get(), safe_id, &deleted));
        return deleted;
    }

    /// Makes everything appended to `stream` durable (IRONWAL_ERR_STREAM_NOT_FOUND if
    /// it does not exist).
    void sync(std::string_view stream) { detail::check(ironwal_sync(handle_, name(stream).get())); }
    /// Makes everything appended to every stream durable.
    void sync_all() { detail::check(ironwal_sync_all(handle_)); }

    /// The ids `stream` retains, [first retained, next), or nothing if it does not exist.
    std::optional<id_range> bounds(std::string_view stream) {
        id_range range;
        if (detail::check(ironwal_bounds(handle_, name(stream).get(), &range.first, &range.next)) ==
            IRONWAL_NOT_FOUND) {
            return std::nullopt;
        }
        return range;
    }

    /// An iterator over `stream` from `start_id` (from the first retained entry if
    /// that was truncated); at its end at once for a missing stream, until entries are
    /// appended to it.
    iterator iter(std::string_view stream, std::uint64_t start_id = 0) {
        ironwal_iter *handle = nullptr;
        detail::check(ironwal_iter_new(handle_, name(stream).get(), start_id, &handle));
        return iterator(handle);
    }

    /// A transaction on `stream`.
    transaction begin_transaction(std::string_view stream) {
        ironwal_txn *handle = nullptr;
        detail::check(ironwal_txn_new(handle_, name(stream).get(), &handle));
        return transaction(handle);
    }

private:
    static detail::c_string name(std::string_view stream) { return {stream, "stream name"}; }

    ironwal_wal *handle_ = nullptr;
};

/* ------------------------------------------------------------------------------ */
/* Sharded WAL and checkpoints                                                       */

/// A loaded checkpoint (a copy: valid after its sharded_wal is destroyed).
class checkpoint {
public:
    checkpoint() noexcept = default;
    /// Takes ownership of a C checkpoint.
    explicit checkpoint(ironwal_checkpoint *handle) noexcept : handle_(handle) {}
    checkpoint(checkpoint &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    checkpoint &operator=(checkpoint &&other) noexcept {
        if (this != &other) {
            ironwal_checkpoint_free(std::exchange(handle_, std::exchange(other.handle_, nullptr)));
        }
        return *this;
    }
    checkpoint(const checkpoint &) = delete;
    checkpoint &operator=(const checkpoint &) = delete;
    ~checkpoint() { ironwal_checkpoint_free(handle_); }

    explicit operator bool() const noexcept { return handle_ != nullptr; }
    ironwal_checkpoint *native_handle() const noexcept { return handle_; }

    /// The checkpoint's id (borrowed from this object; empty for an empty handle).
    bytes_view id() const noexcept {
        const std::uint8_t *data = nullptr;
        std::size_t len = 0;
        ironwal_checkpoint_id(handle_, &data, &len);
        return {data, len};
    }
    /// Creation time in nanoseconds since the Unix epoch.
    std::uint64_t timestamp() const noexcept { return ironwal_checkpoint_timestamp(handle_); }
    /// The number of shards covered.
    std::uint16_t shard_count() const noexcept { return ironwal_checkpoint_shard_count(handle_); }
    /// Shard `shard`'s next id at the checkpoint: every entry below it is covered.
    /// Throws INVALID_ARGUMENT for a shard out of range.
    std::uint64_t offset(std::uint16_t shard) const {
        if (shard >= shard_count()) {
            throw error(IRONWAL_ERR_INVALID_ARGUMENT,
                        "shard " + std::to_string(shard) + " is out of range (the checkpoint has " +
                            std::to_string(shard_count()) + ")");
        }
        return ironwal_checkpoint_offset(handle_, shard);
    }
    /// Every shard's offset, by shard.
    std::vector<std::uint64_t> offsets() const {
        std::vector<std::uint64_t> all(shard_count());
        for (std::uint16_t shard = 0; shard < all.size(); shard++) {
            all[shard] = ironwal_checkpoint_offset(handle_, shard);
        }
        return all;
    }

private:
    ironwal_checkpoint *handle_ = nullptr;
};

/// A WAL of `shard_count` shards: keys are routed to shards by a fixed hash;
/// checkpoints record a consistent cut of all shards.
class sharded_wal {
public:
    sharded_wal() noexcept = default;
    /// Opens (creating if needed) a sharded WAL at the options' root. Throws
    /// IRONWAL_ERR_SHARD_COUNT_MISMATCH if the one on disk has another shard count.
    sharded_wal(const options &opts, std::uint16_t shard_count) {
        detail::check(ironwal_sharded_open(opts.native_handle(), shard_count, &handle_));
    }
    sharded_wal(sharded_wal &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    sharded_wal &operator=(sharded_wal &&other) noexcept {
        if (this != &other) {
            ironwal_sharded_close(std::exchange(handle_, std::exchange(other.handle_, nullptr)));
        }
        return *this;
    }
    sharded_wal(const sharded_wal &) = delete;
    sharded_wal &operator=(const sharded_wal &) = delete;
    ~sharded_wal() { ironwal_sharded_close(handle_); }

    explicit operator bool() const noexcept { return handle_ != nullptr; }
    ironwal_sharded *native_handle() const noexcept { return handle_; }

    /// Closes now (the handle becomes empty). Not while other threads use it.
    void close() noexcept { ironwal_sharded_close(std::exchange(handle_, nullptr)); }

    /// The number of shards (0 for an empty handle).
    std::uint16_t shard_count() const noexcept { return ironwal_sharded_shard_count(handle_); }
    /// The number of checkpoints (0 for an empty handle).
    std::size_t checkpoint_count() const noexcept { return ironwal_sharded_checkpoint_count(handle_); }

    /// Appends `value` to the shard of `key`.
    position append(bytes_view key, bytes_view value) {
        position at;
        detail::check(ironwal_sharded_append(handle_, key.data(), key.size(), value.data(),
                                             value.size(), &at.shard, &at.id));
        return at;
    }

    /// Appends key/value pairs; result `i` is where pair `i` went. The entries of one
    /// shard form one atomic batch (not atomic across shards).
    std::vector<position> append_batch(const std::pair<bytes_view, bytes_view> *pairs,
                                       std::size_t count) {
        std::vector<std::uint8_t> keys;
        std::vector<std::uint8_t> values;
        std::vector<std::size_t> key_lens(count);
        std::vector<std::size_t> value_lens(count);
        for (std::size_t i = 0; i < count; i++) {
            keys.insert(keys.end(), pairs[i].first.begin(), pairs[i].first.end());
            values.insert(values.end(), pairs[i].second.begin(), pairs[i].second.end());
            key_lens[i] = pairs[i].first.size();
            value_lens[i] = pairs[i].second.size();
        }
        std::vector<std::uint16_t> shards(count);
        std::vector<std::uint64_t> ids(count);
        detail::check(ironwal_sharded_append_batch_packed(handle_, keys.data(), key_lens.data(),
                                                          values.data(), value_lens.data(), count,
                                                          shards.data(), ids.data()));
        std::vector<position> result(count);
        for (std::size_t i = 0; i < count; i++) {
            result[i] = position{shards[i], ids[i]};
        }
        return result;
    }
    /// `sharded.append_batch({{"k1", "v1"}, {"k2", "v2"}})`.
    std::vector<position> append_batch(
        std::initializer_list<std::pair<bytes_view, bytes_view>> pairs) {
        return append_batch(pairs.begin(), pairs.size());
    }
    /// Any range of pairs whose members bytes_view takes:
    /// std::vector<std::pair<std::string, std::string>>, ...
    template <class Range>
    auto append_batch(const Range &pairs)
        -> decltype(std::begin(pairs), std::end(pairs), std::vector<position>()) {
        std::vector<std::pair<bytes_view, bytes_view>> views;
        for (const auto &pair : pairs) {
            views.emplace_back(bytes_view(pair.first), bytes_view(pair.second));
        }
        return append_batch(views.data(), views.size());
    }

    /// Records a consistent, durable checkpoint named `id` (1..65535 bytes); reusing an
    /// id replaces the older checkpoint of that id.
    void create_checkpoint(bytes_view id) {
        detail::check(ironwal_sharded_create_checkpoint(handle_, id.data(), id.size()));
    }
    /// The checkpoint named `id` (IRONWAL_ERR_CHECKPOINT_NOT_FOUND if none).
    checkpoint load_checkpoint(bytes_view id) {
        ironwal_checkpoint *handle = nullptr;
        detail::check(ironwal_sharded_load_checkpoint(handle_, id.data(), id.size(), &handle));
        return checkpoint(handle);
    }
    /// The most recently created checkpoint (IRONWAL_ERR_NO_CHECKPOINTS if none).
    checkpoint load_latest_checkpoint() {
        ironwal_checkpoint *handle = nullptr;
        detail::check(ironwal_sharded_load_latest_checkpoint(handle_, &handle));
        return checkpoint(handle);
    }

    /// An iterator over shard `shard` from id `start` (e.g. a checkpoint's offset).
    iterator iter(std::uint16_t shard, std::uint64_t start = 0) {
        ironwal_iter *handle = nullptr;
        detail::check(ironwal_sharded_iter(handle_, shard, start, &handle));
        return iterator(handle);
    }

    /// Deletes, in every shard, the sealed segments entirely below checkpoint `id`.
    prune_stats prune_before_checkpoint(bytes_view id) {
        prune_stats stats{};
        detail::check(ironwal_sharded_prune_before_checkpoint(handle_, id.data(), id.size(), &stats));
        return stats;
    }
    /// Keeps only the `keep_latest_n` most recent checkpoints.
    compaction_stats compact_checkpoints(std::size_t keep_latest_n) {
        compaction_stats stats{};
        detail::check(ironwal_sharded_compact_checkpoints(handle_, keep_latest_n, &stats));
        return stats;
    }

private:
    ironwal_sharded *handle_ = nullptr;
};

} // namespace ironwal

#endif /* IRONWAL_HPP */
