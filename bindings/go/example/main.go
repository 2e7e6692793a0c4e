// Command example is the usage guide's quick start in Go:
//
//  1. open a WAL (Strict sync: durable when Append returns),
//  2. append "Hello, IronWal!" to the stream "logs" and read it back,
//  3. write an atomic batch and iterate over the stream,
//  4. handle errors: errors.Is against the package's sentinels.
//
// Run: go run ./example [DATA_DIR]   (default ./ironwal_data; CGO_LDFLAGS must point at
// libironwal, see the package documentation). Exits non-zero on any failure.
package main

import (
	"errors"
	"fmt"
	"os"

	ironwal "github.com/ironwal/ironwal/bindings/go"
)

func main() {
	dir := "./ironwal_data"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := run(dir); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	fmt.Printf("IronWal %s\n", ironwal.Version())

	// 1. Open the WAL (creates the directory; one open WAL per directory).
	w, err := ironwal.Open(dir, ironwal.WithSyncMode(ironwal.SyncStrict))
	if err != nil {
		return err
	}
	defer w.Close() // releases the directory lock

	// 2. Append to the stream "logs" and read the entry back.
	id, err := w.Append("logs", []byte("Hello, IronWal!"))
	if err != nil {
		return err
	}
	fmt.Printf("Written entry at ID: %d\n", id)
	entry, err := w.Get("logs", id)
	if err != nil {
		return err
	}
	fmt.Printf("Read: %q\n", entry)

	// 3. An atomic batch: either all entries exist or none do.
	batch := [][]byte{[]byte("Transaction Start"), []byte("Update A"), []byte("Update B")}
	first, err := w.AppendBatch("transactions", batch)
	if err != nil {
		return err
	}
	fmt.Printf("Batch written to IDs %d to %d\n", first, first+uint64(len(batch)))

	it, err := w.Iter("transactions", first)
	if err != nil {
		return err
	}
	defer it.Close()
	n := 0
	for it.Next() {
		if string(it.Value()) != string(batch[n]) {
			return fmt.Errorf("entry %d is %q, want %q", it.ID(), it.Value(), batch[n])
		}
		fmt.Printf("  %d: %s\n", it.ID(), it.Value())
		n++
	}
	if err := it.Err(); err != nil {
		return err
	}
	if n != len(batch) {
		return fmt.Errorf("iterated %d entries of the batch, want %d", n, len(batch))
	}

	// 4. Errors: a bad argument or a missing entry is an error value, never a crash.
	_, err = w.Append("", []byte("x"))
	fmt.Printf("Appending to an empty stream name: %v\n", err)
	if !errors.Is(err, ironwal.ErrInvalidArgument) {
		return fmt.Errorf("empty stream name: got %v, want ErrInvalidArgument", err)
	}
	if _, err := w.Get("logs", id+1); !errors.Is(err, ironwal.ErrNotFound) {
		return fmt.Errorf("Get past the end: got %v, want ErrNotFound", err)
	}
	return nil
}
