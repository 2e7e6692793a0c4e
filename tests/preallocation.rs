//! Preallocated segments (`SyncMode::Strict`): the active segment is zero-filled ahead
//! of its frames (format version 2 and later, flag `PREALLOCATED`); a clean close and
//! sealing trim the zeros; after a crash they are free space under every corruption
//! policy (trimmed on reopen), and a torn frame inside them is still a torn tail.
//!
//! A crash is taken as a copy of the root made while the `Wal` is open: what `kill -9`
//! leaves (every append is in the kernel when it returns).

mod common;

use common::*;
use ironwal::*;
use std::path::Path;

fn strict(root: &Path) -> WalOptions {
    let mut o = WalOptions::new(root);
    o.sync_mode = SyncMode::Strict;
    o
}

/// Where the frames of a preallocated segment end: after its last non-zero byte,
/// rounded up to the 8-byte frame alignment (test payloads never end in zeros).
fn frames_end(segment: &Path) -> u64 {
    let bytes = read_all(segment);
    let last = bytes
        .iter()
        .rposition(|&b| b != 0)
        .expect("a header at least");
    (last as u64 + 1).next_multiple_of(8)
}

/// A copy of `root`, made into a fresh directory while `_open` (its `Wal`) is open.
fn crashed_copy(_open: &Wal, root: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(root, copy.path());
    copy
}

fn header_version_and_flags(segment: &Path) -> (u16, u32) {
    let bytes = read_all(segment);
    (
        u16::from_le_bytes([bytes[8], bytes[9]]),
        u32::from_le_bytes(bytes[24..28].try_into().unwrap()),
    )
}

#[test]
fn strict_segments_are_zero_filled_ahead_and_trimmed_by_a_clean_close() {
    let tmp = tempfile::tempdir().unwrap();
    let mut o = strict(tmp.path());
    let segment = tmp.path().join("s").join(seg_file(0));
    let wal = open(&o);
    append_n(&wal, "s", 10);
    assert_eq!(header_version_and_flags(&segment), (3, 1));
    let end = frames_end(&segment);
    assert!(
        file_len(&segment) >= 64 * 1024 && file_len(&segment) > end,
        "{} bytes of file for {end} bytes of frames: not preallocated",
        file_len(&segment)
    );
    let crashed = crashed_copy(&wal, tmp.path());
    let crashed_too = crashed_copy(&wal, tmp.path());
    let clone = wal.clone();
    drop(wal);
    assert!(file_len(&segment) > end, "a clone keeps the Wal open");
    drop(clone);
    assert_eq!(file_len(&segment), end, "the last clone trims");

    o.on_corruption = CorruptionPolicy::Error;
    let wal = open(&o);
    assert_stream(&wal, "s", 0..10);
    assert_eq!(wal.append("s", &payload("s", 10)).unwrap(), 10);
    drop(wal);
    assert_stream(&open(&o), "s", 0..11);

    // After a crash the zeros are free space: kept by `Error` (which changes no file),
    // trimmed on open by `Truncate`.
    let crashed_len = file_len(&crashed_too.path().join("s").join(seg_file(0)));
    assert!(crashed_len > end);
    o.root_path = crashed_too.path().to_path_buf();
    let wal = open(&o);
    let segment = crashed_too.path().join("s").join(seg_file(0));
    assert_eq!(file_len(&segment), crashed_len, "Error changes no file");
    assert_stream(&wal, "s", 0..10);

    let crashed_segment = crashed.path().join("s").join(seg_file(0));
    o.root_path = crashed.path().to_path_buf();
    o.on_corruption = CorruptionPolicy::Truncate;
    let wal = open(&o);
    assert_eq!(file_len(&crashed_segment), end, "trimmed on open");
    assert_stream(&wal, "s", 0..10);
    assert_eq!(wal.append("s", &payload("s", 10)).unwrap(), 10);
    assert!(file_len(&crashed_segment) > frames_end(&crashed_segment));
    drop(wal);
    assert_stream(&open(&o), "s", 0..11);
}

/// What a user damaging a cleanly closed segment from outside expects: its file ends at
/// its last frame, so zeros appended are cut back and a cut into the end tears the last
/// frame.
#[test]
fn damage_at_the_end_of_a_cleanly_closed_strict_segment() {
    let build = |n: u64| {
        let tmp = tempfile::tempdir().unwrap();
        append_n(&open(&strict(tmp.path())), "s", n);
        let segment = tmp.path().join("s").join(seg_file(0));
        (tmp, segment)
    };
    let (_four, four) = build(4);
    let len_of_four = file_len(&four);
    for zeros in [1usize, 8, 100, 4096, 65536] {
        let (tmp, segment) = build(5);
        let len = file_len(&segment);
        append_bytes(&segment, &vec![0u8; zeros]);
        let wal = open(&strict(tmp.path()));
        assert_eq!(file_len(&segment), len, "{zeros} zeros appended: cut back");
        assert_stream(&wal, "s", 0..5);
        assert_eq!(wal.append("s", &payload("s", 5)).unwrap(), 5);
    }
    let last_frame = {
        let (_five, five) = build(5);
        file_len(&five) - len_of_four
    };
    for cut in [1, 8, last_frame / 2, last_frame - 1] {
        let (tmp, segment) = build(5);
        set_len(&segment, file_len(&segment) - cut);
        let wal = open(&strict(tmp.path()));
        assert_eq!(
            file_len(&segment),
            len_of_four,
            "{cut} bytes cut: frame 4 torn"
        );
        assert_stream(&wal, "s", 0..4);
        assert_eq!(wal.get("s", 4).unwrap(), None);
    }
}

#[test]
fn async_segments_are_not_preallocated() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = open(&opts(tmp.path()));
    append_n(&wal, "s", 10);
    let segment = tmp.path().join("s").join(seg_file(0));
    assert_eq!(header_version_and_flags(&segment), (3, 0));
    assert_eq!(file_len(&segment), frames_end(&segment));
}

#[test]
fn sealing_trims_the_preallocated_space() {
    let tmp = tempfile::tempdir().unwrap();
    let mut o = strict(tmp.path());
    o.max_entries_per_segment = 5;
    let wal = open(&o);
    append_n(&wal, "s", 12);
    let dir = tmp.path().join("s");
    assert_eq!(segments(&dir), vec![0, 5, 10]);
    for sealed in [0, 5] {
        let path = dir.join(seg_file(sealed));
        assert_eq!(file_len(&path), frames_end(&path), "segment {sealed}");
    }
    let active = dir.join(seg_file(10));
    assert!(file_len(&active) > frames_end(&active));
    drop(wal);
    // The sealed segments' indexes are rebuilt from the trimmed files.
    for sealed in [0, 5] {
        std::fs::remove_file(dir.join(idx_file(sealed))).unwrap();
    }
    o.on_corruption = CorruptionPolicy::Error;
    let wal = open(&o);
    assert_stream(&wal, "s", 0..12);
}

#[test]
fn torn_frame_in_preallocated_space_is_cut_or_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut o = strict(tmp.path());
    let wal = open(&o);
    append_n(&wal, "s", 5);
    let crashed = crashed_copy(&wal, tmp.path());
    drop(wal);
    o.root_path = crashed.path().to_path_buf();
    let segment = crashed.path().join("s").join(seg_file(0));
    let end = frames_end(&segment);
    let len = file_len(&segment);
    // A sixth frame without its last payload byte, as a crash mid-write leaves it.
    let torn = {
        let scratch = tempfile::tempdir().unwrap();
        let wal = open(&strict(scratch.path()));
        append_n(&wal, "s", 6);
        drop(wal);
        let other = scratch.path().join("s").join(seg_file(0));
        let bytes = read_all(&other);
        let last = bytes.iter().rposition(|&b| b != 0).expect("frames");
        bytes[end as usize..last].to_vec()
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap();
    std::os::unix::fs::FileExt::write_all_at(&file, &torn, end).unwrap();
    drop(file);
    assert_eq!(
        file_len(&segment),
        len,
        "written inside the preallocated space"
    );

    o.on_corruption = CorruptionPolicy::Error;
    assert!(
        is_corruption(&open_err(&o)),
        "a torn frame is not free space"
    );
    o.on_corruption = CorruptionPolicy::Truncate;
    let wal = open(&o);
    assert_stream(&wal, "s", 0..5);
    assert_eq!(wal.append("s", &payload("s", 5)).unwrap(), 5);
    drop(wal);
    o.on_corruption = CorruptionPolicy::Error;
    assert_stream(&open(&o), "s", 0..6);
}

#[test]
fn a_preallocated_segment_reopened_in_async_mode_keeps_working() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = open(&strict(tmp.path()));
    append_n(&wal, "s", 3);
    let crashed = crashed_copy(&wal, tmp.path());
    drop(wal);
    let mut o = strict(crashed.path());
    o.sync_mode = SyncMode::Async;
    let wal = open(&o);
    assert_eq!(wal.append("s", &payload("s", 3)).unwrap(), 3);
    drop(wal);
    o.on_corruption = CorruptionPolicy::Error;
    assert_stream(&open(&o), "s", 0..4);
}

/// The zero-filled space ahead of the frames grows with the segment: a quiet stream
/// holds at least 64 KiB ahead (not a whole megabyte), a busy one at most as much as it
/// already holds, and never more than 1 MiB.
#[test]
fn preallocated_space_grows_with_the_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = open(&strict(tmp.path()));
    let segment = tmp.path().join("s").join(seg_file(0));
    append_n(&wal, "s", 1);
    let (end, len) = (frames_end(&segment), file_len(&segment));
    assert!(
        len - end < 64 * 1024 && len >= 64 * 1024,
        "{len} bytes for {end}"
    );
    let entry = vec![7u8; 4096];
    for _ in 0..600 {
        wal.append("s", &entry).unwrap();
        let (end, len) = (frames_end(&segment), file_len(&segment));
        assert!(len >= end, "frames past the end of the file");
        assert!(
            len - end <= end.max(64 * 1024) && len - end <= 1 << 20,
            "{} bytes of free space after {end} bytes of frames",
            len - end
        );
    }
    assert!(frames_end(&segment) > 2 << 20, "reached the 1 MiB cap");
}
