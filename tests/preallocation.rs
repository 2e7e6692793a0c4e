//! Preallocated segments (`SyncMode::Strict`): the active segment is zero-filled ahead
//! of its frames (format version 2 and later, flag `PREALLOCATED`), the zeros are free space on
//! reopen under every corruption policy, a torn frame inside them is still a torn tail,
//! and sealing trims them.

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

fn header_version_and_flags(segment: &Path) -> (u16, u32) {
    let bytes = read_all(segment);
    (
        u16::from_le_bytes([bytes[8], bytes[9]]),
        u32::from_le_bytes(bytes[24..28].try_into().unwrap()),
    )
}

#[test]
fn strict_segments_are_zero_filled_ahead_and_reopen_clean_under_error_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let mut o = strict(tmp.path());
    let segment = tmp.path().join("s").join(seg_file(0));
    {
        let wal = open(&o);
        append_n(&wal, "s", 10);
        assert_eq!(header_version_and_flags(&segment), (3, 1));
        let end = frames_end(&segment);
        assert!(
            file_len(&segment) >= 64 * 1024 && file_len(&segment) > end,
            "{} bytes of file for {end} bytes of frames: not preallocated",
            file_len(&segment)
        );
    }
    o.on_corruption = CorruptionPolicy::Error;
    let wal = open(&o);
    assert_stream(&wal, "s", 0..10);
    assert_eq!(wal.append("s", &payload("s", 10)).unwrap(), 10);
    drop(wal);
    let wal = open(&o);
    assert_stream(&wal, "s", 0..11);
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
    let segment = tmp.path().join("s").join(seg_file(0));
    append_n(&open(&o), "s", 5);
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
    let mut o = strict(tmp.path());
    append_n(&open(&o), "s", 3);
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
