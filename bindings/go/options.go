package ironwal

// #include "ironwal.h"
import "C"

import (
	"fmt"
	"runtime"
)

// SyncMode says when appends are durable (survive a power loss). Every acknowledged
// append survives a crash of the process in every mode.
type SyncMode int32

const (
	// SyncStrict: every append, batch and commit is durable on return (the default).
	SyncStrict SyncMode = C.IRONWAL_SYNC_STRICT
	// SyncBatchOnly: batches and commits are durable on return, single appends not.
	SyncBatchOnly SyncMode = C.IRONWAL_SYNC_BATCH_ONLY
	// SyncAsync: durable only after Sync or SyncAll.
	SyncAsync SyncMode = C.IRONWAL_SYNC_ASYNC
)

// Compression of stored payloads.
type Compression int32

const (
	// CompressionNone stores payloads as written (the default).
	CompressionNone Compression = C.IRONWAL_COMPRESSION_NONE
	// CompressionLZ4 compresses payloads of at least the minimum compression size.
	CompressionLZ4 Compression = C.IRONWAL_COMPRESSION_LZ4
)

// ReadStrategy is how segments are read.
type ReadStrategy int32

const (
	// ReadStandardIO uses positioned reads (the default).
	ReadStandardIO ReadStrategy = C.IRONWAL_READ_STANDARD_IO
	// ReadMmap memory-maps sealed segments.
	ReadMmap ReadStrategy = C.IRONWAL_READ_MMAP
)

// CorruptionPolicy is what opening does with damaged files.
type CorruptionPolicy int32

const (
	// CorruptionTruncate cuts a torn tail back to the last complete entry (the default).
	CorruptionTruncate CorruptionPolicy = C.IRONWAL_CORRUPTION_TRUNCATE
	// CorruptionError refuses to open on any damage.
	CorruptionError CorruptionPolicy = C.IRONWAL_CORRUPTION_ERROR
)

// Option configures Open and OpenSharded. Values the library rejects make the open
// fail with ErrInvalidArgument.
type Option func(*config)

// config is the list of C option setters to apply, in the order given.
type config struct {
	setters []setter
}

type setter struct {
	name  string
	apply func(*C.ironwal_options) C.ironwal_status
	// goErr is a value rejected before reaching C (a size that does not fit size_t).
	goErr string
}

func (c *config) add(name string, apply func(*C.ironwal_options) C.ironwal_status) {
	c.setters = append(c.setters, setter{name: name, apply: apply})
}

// addSize adds a setter of a size_t option; a negative n fails the open.
func (c *config) addSize(name string, n int, apply func(*C.ironwal_options, C.size_t) C.ironwal_status) {
	if n < 0 {
		c.setters = append(c.setters, setter{name: name, goErr: fmt.Sprintf("%s(%d): must not be negative", name, n)})
		return
	}
	c.add(name, func(o *C.ironwal_options) C.ironwal_status { return apply(o, C.size_t(n)) })
}

// WithSyncMode sets when appends are durable (default SyncStrict).
func WithSyncMode(mode SyncMode) Option {
	return func(c *config) {
		c.add("WithSyncMode", func(o *C.ironwal_options) C.ironwal_status {
			return C.ironwal_options_set_sync_mode(o, C.int32_t(mode))
		})
	}
}

// WithCompression sets payload compression (default CompressionNone).
func WithCompression(compression Compression) Option {
	return func(c *config) {
		c.add("WithCompression", func(o *C.ironwal_options) C.ironwal_status {
			return C.ironwal_options_set_compression(o, C.int32_t(compression))
		})
	}
}

// WithReadStrategy sets how segments are read (default ReadStandardIO).
func WithReadStrategy(strategy ReadStrategy) Option {
	return func(c *config) {
		c.add("WithReadStrategy", func(o *C.ironwal_options) C.ironwal_status {
			return C.ironwal_options_set_read_strategy(o, C.int32_t(strategy))
		})
	}
}

// WithCorruptionPolicy sets what opening does with damage (default CorruptionTruncate).
func WithCorruptionPolicy(policy CorruptionPolicy) Option {
	return func(c *config) {
		c.add("WithCorruptionPolicy", func(o *C.ironwal_options) C.ironwal_status {
			return C.ironwal_options_set_corruption_policy(o, C.int32_t(policy))
		})
	}
}

// WithMaxSegmentSize sets the soft segment size limit in bytes (default 64 MiB; at
// least 1).
func WithMaxSegmentSize(bytes uint64) Option {
	return func(c *config) {
		c.add("WithMaxSegmentSize", func(o *C.ironwal_options) C.ironwal_status {
			return C.ironwal_options_set_max_segment_size(o, C.uint64_t(bytes))
		})
	}
}

// WithMaxEntriesPerSegment sets the soft limit of entries per segment (default no
// limit; at least 1).
func WithMaxEntriesPerSegment(entries uint64) Option {
	return func(c *config) {
		c.add("WithMaxEntriesPerSegment", func(o *C.ironwal_options) C.ironwal_status {
			return C.ironwal_options_set_max_entries_per_segment(o, C.uint64_t(entries))
		})
	}
}

// WithBlockCacheSize sets the byte budget of the decoded-frame cache (default 0: off).
func WithBlockCacheSize(bytes uint64) Option {
	return func(c *config) {
		c.add("WithBlockCacheSize", func(o *C.ironwal_options) C.ironwal_status {
			return C.ironwal_options_set_block_cache_size(o, C.uint64_t(bytes))
		})
	}
}

// WithMaxOpenSegments bounds the open segment files (default 50; at least 1).
func WithMaxOpenSegments(count int) Option {
	return func(c *config) {
		c.addSize("WithMaxOpenSegments", count, func(o *C.ironwal_options, v C.size_t) C.ironwal_status {
			return C.ironwal_options_set_max_open_segments(o, v)
		})
	}
}

// WithMinCompressionSize sets the payload size below which nothing is compressed
// (default 1024).
func WithMinCompressionSize(bytes int) Option {
	return func(c *config) {
		c.addSize("WithMinCompressionSize", bytes, func(o *C.ironwal_options, v C.size_t) C.ironwal_status {
			return C.ironwal_options_set_min_compression_size(o, v)
		})
	}
}

// WithReadBufferSize sets the size of the chunks iterators and recovery read at a
// time (default 128 KiB; at least 1).
func WithReadBufferSize(bytes int) Option {
	return func(c *config) {
		c.addSize("WithReadBufferSize", bytes, func(o *C.ironwal_options, v C.size_t) C.ironwal_status {
			return C.ironwal_options_set_read_buffer_size(o, v)
		})
	}
}

// withOptions builds the C options for dir, runs use with them and frees them. Runs
// on one locked OS thread, so that failures read their own ironwal_last_error.
func withOptions(op, dir string, opts []Option, use func(*C.ironwal_options) error) error {
	var c config
	for _, opt := range opts {
		opt(&c)
	}
	path, err := cString(op, "dir", dir)
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	o := C.ironwal_options_new(charPtr(path))
	if o == nil {
		return &Error{Code: StatusInvalidArgument, Op: op, Message: C.GoString(C.ironwal_last_error())}
	}
	defer C.ironwal_options_free(o)
	for _, s := range c.setters {
		if s.goErr != "" {
			return invalidArgument(op, s.goErr)
		}
		if err := statusError(op+": "+s.name, s.apply(o)); err != nil {
			return err
		}
	}
	return use(o)
}
