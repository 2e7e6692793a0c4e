//! Property tests of everything that parses bytes from disk.
