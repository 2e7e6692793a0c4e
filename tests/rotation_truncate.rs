//! Segment rotation (by size and by count), batches never split, iteration across
//! segments, truncate semantics, ids never reused, truncate under concurrent readers.

mod common;

use common::*;
use ironwal::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tempfile::TempDir;

fn batch(stream: &str, ids: std::ops::Range<u64>) -> Vec<Vec<u8>> {
    ids.map(|id| payload(stream, id)).collect()
}

fn append_batch_ids(wal: &Wal, stream: &str, ids: std::ops::Range<u64>) {
    let e = batch(stream, ids.clone());
    let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
    assert_eq!(wal.append_batch(stream, &refs).unwrap(), ids);
}

#[test]
fn rotation_by_count() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_entries_per_segment = 2;
    let wal = open(&o);
    append_n(&wal, "logs", 6);
    assert_eq!(segments(&root.join("logs")), vec![0, 2, 4]);
    assert_eq!(wal.current_segment_start_id("logs"), Some(4));
    assert_stream(&wal, "logs", 0..6);
    append_n(&wal, "logs", 1);
    assert_eq!(segments(&root.join("logs")), vec![0, 2, 4, 6]);
    assert_eq!(wal.current_segment_start_id("logs"), Some(6));
    drop(wal);
    let wal = open(&o);
    assert_eq!(wal.current_segment_start_id("logs"), Some(6));
    assert_stream(&wal, "logs", 0..7);
    append_n(&wal, "logs", 1);
    assert_eq!(segments(&root.join("logs")), vec![0, 2, 4, 6]);
    append_n(&wal, "logs", 1);
    assert_eq!(segments(&root.join("logs")), vec![0, 2, 4, 6, 8]);
    assert_stream(&wal, "logs", 0..9);
}

#[test]
fn rotation_by_count_one_entry_per_segment() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_entries_per_segment = 1;
    let wal = open(&o);
    append_n(&wal, "s", 20);
    assert_eq!(segments(&root.join("s")), (0..20).collect::<Vec<_>>());
    assert_eq!(wal.current_segment_start_id("s"), Some(19));
    assert_stream(&wal, "s", 0..20);
}

#[test]
fn rotation_by_size() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_segment_size = 4096;
    let wal = open(&o);
    let dir = root.join("s");
    // Each frame of a 1000-byte entry is a little over 1000 bytes, so exactly 3 fit
    // in 4096 bytes next to a segment header of less than ~900 bytes.
    let mut frame_lens = Vec::new();
    for id in 0..10u64 {
        let active = wal.current_segment_start_id("s");
        let before = active
            .map(|a| file_len(&dir.join(seg_file(a))))
            .unwrap_or(0);
        assert_eq!(wal.append("s", &payload_sized("s", id, 1000)).unwrap(), id);
        let now = wal.current_segment_start_id("s").unwrap();
        if Some(now) == active {
            frame_lens.push(file_len(&dir.join(seg_file(now))) - before);
        }
    }
    assert_eq!(segments(&dir), vec![0, 3, 6, 9]);
    assert_eq!(wal.current_segment_start_id("s"), Some(9));
    for f in &frame_lens {
        assert_eq!(f % 8, 0, "frames are 8-byte aligned");
        assert!(*f >= 1000 && *f < 1100, "frame length {f}");
    }
    for s in [0, 3, 6] {
        assert!(
            file_len(&dir.join(seg_file(s))) <= 4096,
            "segment {s} exceeds the limit"
        );
    }
    assert_stream_with(&wal, "s", 0..10, |s, id| payload_sized(s, id, 1000));
    drop(wal);
    let wal = open(&o);
    assert_stream_with(&wal, "s", 0..10, |s, id| payload_sized(s, id, 1000));
    assert_eq!(wal.append("s", &payload_sized("s", 10, 1000)).unwrap(), 10);
    assert_eq!(segments(&dir), vec![0, 3, 6, 9]);
}

#[test]
fn oversized_frames_get_their_own_segment() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_segment_size = 1024;
    let wal = open(&o);
    let dir = root.join("s");
    let big = |id| payload_sized("s", id, 8192);
    // The very first frame is larger than the limit: it goes into segment 0.
    assert_eq!(wal.append("s", &big(0)).unwrap(), 0);
    assert_eq!(segments(&dir), vec![0]);
    assert_eq!(wal.append("s", &payload("s", 1)).unwrap(), 1);
    assert_eq!(segments(&dir), vec![0, 1]);
    assert_eq!(wal.append("s", &big(2)).unwrap(), 2);
    assert_eq!(segments(&dir), vec![0, 1, 2]);
    assert_eq!(wal.append("s", &payload("s", 3)).unwrap(), 3);
    assert_eq!(segments(&dir), vec![0, 1, 2, 3]);
    let content = |s: &str, id: u64| {
        if id % 2 == 0 {
            payload_sized(s, id, 8192)
        } else {
            payload(s, id)
        }
    };
    assert_stream_with(&wal, "s", 0..4, content);
    drop(wal);
    let wal = open(&o);
    assert_stream_with(&wal, "s", 0..4, content);
}

#[test]
fn batches_are_never_split_by_count() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_entries_per_segment = 4;
    let wal = open(&o);
    let dir = root.join("s");
    append_n(&wal, "s", 3); // segment 0: 0,1,2
    append_batch_ids(&wal, "s", 3..6); // 3 + 3 > 4: new segment 3
    assert_eq!(segments(&dir), vec![0, 3]);
    append_batch_ids(&wal, "s", 6..16); // larger than the limit: its own segment
    assert_eq!(segments(&dir), vec![0, 3, 6]);
    assert_eq!(wal.current_segment_start_id("s"), Some(6));
    append_n(&wal, "s", 1); // 16
    assert_eq!(segments(&dir), vec![0, 3, 6, 16]);
    append_batch_ids(&wal, "s", 17..20); // 1 + 3 <= 4: same segment
    assert_eq!(segments(&dir), vec![0, 3, 6, 16]);
    append_batch_ids(&wal, "s", 20..21);
    assert_eq!(segments(&dir), vec![0, 3, 6, 16, 20]);
    // TxnWriter commits are batches too.
    let mut w = wal.writer("s");
    for id in 21..25 {
        w.add(payload("s", id));
    }
    assert_eq!(w.commit().unwrap(), 21..25); // 1 + 4 > 4
    assert_eq!(segments(&dir), vec![0, 3, 6, 16, 20, 21]);
    assert_stream(&wal, "s", 0..25);
    drop(wal);
    let wal = open(&o);
    assert_stream(&wal, "s", 0..25);
    assert_eq!(wal.current_segment_start_id("s"), Some(21));
}

#[test]
fn batches_are_never_split_by_size() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_segment_size = 2048;
    let wal = open(&o);
    let dir = root.join("s");
    let content = |s: &str, id: u64| payload_sized(s, id, 300);
    let e: Vec<Vec<u8>> = (0..20).map(|id| content("s", id)).collect();
    let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
    // 20 x 300 bytes: one frame larger than the limit, all in segment 0.
    assert_eq!(wal.append_batch("s", &refs).unwrap(), 0..20);
    assert_eq!(segments(&dir), vec![0]);
    let e: Vec<Vec<u8>> = (20..23).map(|id| content("s", id)).collect();
    let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
    assert_eq!(wal.append_batch("s", &refs).unwrap(), 20..23);
    assert_eq!(segments(&dir), vec![0, 20]);
    assert_stream_with(&wal, "s", 0..23, content);
}

#[test]
fn iter_crosses_segments_from_every_start() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_entries_per_segment = 5;
    let wal = open(&o);
    // Mix of single appends and batches.
    let mut next = 0u64;
    let mut rng = XorShift::new(7);
    while next < 60 {
        let n = rng.range(1, 5);
        if n == 1 {
            append_n(&wal, "s", 1);
        } else {
            append_batch_ids(&wal, "s", next..next + n);
        }
        next += n;
    }
    assert!(segments(&root.join("s")).len() > 10);
    for start in 0..=next + 1 {
        let got = collect(&wal, "s", start);
        let want: Vec<Vec<u8>> = (start..next).map(|id| payload("s", id)).collect();
        assert_eq!(got, want, "iter from {start}");
    }
    drop(wal);
    let mut o2 = o.clone();
    o2.read_strategy = ReadStrategy::Mmap;
    let wal = open(&o2);
    for start in [0, 1, 4, 5, 6, 33, next - 1] {
        let got = collect(&wal, "s", start);
        let want: Vec<Vec<u8>> = (start..next).map(|id| payload("s", id)).collect();
        assert_eq!(got, want, "iter from {start} (mmap)");
    }
}

#[test]
fn iterator_sees_segments_created_after_it() {
    // An iterator over the active segment keeps working when the segment is sealed
    // under it; whatever it yields is in order and exact.
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.max_entries_per_segment = 3;
    let wal = open(&o);
    append_n(&wal, "s", 2);
    let mut it = wal.iter("s", 0).unwrap();
    assert_eq!(it.next().unwrap().unwrap(), payload("s", 0));
    append_n(&wal, "s", 10);
    let mut id = 1;
    for r in it {
        assert_eq!(r.unwrap(), payload("s", id), "id {id}");
        id += 1;
    }
    assert!(
        id >= 2,
        "the iterator yields at least what existed when it was made"
    );
}

#[test]
fn truncate_semantics() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_entries_per_segment = 10;
    let wal = open(&o);
    let dir = root.join("s");
    append_n(&wal, "s", 55);
    assert_eq!(segments(&dir), vec![0, 10, 20, 30, 40, 50]);
    assert_eq!(wal.truncate("s", 0).unwrap(), 0);
    assert_eq!(wal.truncate("s", 9).unwrap(), 0, "segment 0 holds id 9");
    assert_eq!(wal.truncate("s", 25).unwrap(), 2);
    assert_eq!(segments(&dir), vec![20, 30, 40, 50]);
    assert!(!dir.join(idx_file(0)).exists() && !dir.join(idx_file(10)).exists());
    for id in 0..20 {
        assert_eq!(wal.get("s", id).unwrap(), None, "get of truncated id {id}");
    }
    assert_eq!(
        wal.get_batch("s", &[5, 19, 20, 54]).unwrap(),
        vec![None, None, Some(payload("s", 20)), Some(payload("s", 54))]
    );
    assert_eq!(wal.bounds("s").unwrap(), Some(20..55));
    assert_stream(&wal, "s", 20..55);
    let from0 = collect(&wal, "s", 0);
    assert_eq!(
        from0.first(),
        Some(&payload("s", 20)),
        "iter(0) starts at the first retained entry"
    );
    assert_eq!(from0.len(), 35);
    assert_eq!(wal.truncate("s", 25).unwrap(), 0, "idempotent");
    assert_eq!(
        wal.truncate("s", 30).unwrap(),
        1,
        "segment 20 holds exactly 20..30"
    );
    assert_eq!(wal.bounds("s").unwrap(), Some(30..55));
    // Everything sealed goes, the active segment never.
    assert_eq!(wal.truncate("s", u64::MAX).unwrap(), 2);
    assert_eq!(segments(&dir), vec![50]);
    assert_eq!(wal.current_segment_start_id("s"), Some(50));
    assert_stream(&wal, "s", 50..55);
    assert_eq!(wal.truncate("s", u64::MAX).unwrap(), 0);
    assert_stream(&wal, "s", 50..55);
    // Appends continue.
    assert_eq!(wal.append("s", &payload("s", 55)).unwrap(), 55);
    assert_stream(&wal, "s", 50..56);
    assert_eq!(wal.streams(), vec!["s".to_string()]);
}

#[test]
fn truncate_never_deletes_active_segment() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let wal = open(&opts(&root));
    append_n(&wal, "s", 10);
    assert_eq!(wal.truncate("s", 10).unwrap(), 0);
    assert_eq!(wal.truncate("s", u64::MAX).unwrap(), 0);
    assert_stream(&wal, "s", 0..10);
    assert_eq!(segments(&root.join("s")), vec![0]);
}

#[test]
fn truncate_only_touches_its_stream() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_entries_per_segment = 4;
    let wal = open(&o);
    append_n(&wal, "a", 12);
    append_n(&wal, "b", 12);
    assert_eq!(wal.truncate("a", 8).unwrap(), 2);
    assert_stream(&wal, "a", 8..12);
    assert_stream(&wal, "b", 0..12);
}

#[test]
fn ids_never_reused_after_truncate_and_reopen() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_entries_per_segment = 3;
    {
        let wal = open(&o);
        append_n(&wal, "s", 10); // 0,3,6,9
        assert_eq!(wal.truncate("s", 100).unwrap(), 3);
        assert_eq!(wal.bounds("s").unwrap(), Some(9..10));
    }
    {
        let wal = open(&o);
        assert_eq!(wal.bounds("s").unwrap(), Some(9..10));
        assert_eq!(wal.current_segment_start_id("s"), Some(9));
        assert_eq!(wal.get("s", 0).unwrap(), None);
        assert_stream(&wal, "s", 9..10);
        assert_eq!(wal.append("s", &payload("s", 10)).unwrap(), 10);
        append_n(&wal, "s", 5); // 11..16: segments 9, 12, 15
        assert_eq!(wal.truncate("s", 15).unwrap(), 2);
    }
    let wal = open(&o);
    assert_eq!(wal.bounds("s").unwrap(), Some(15..16));
    assert_eq!(wal.append("s", &payload("s", 16)).unwrap(), 16);
    assert_stream(&wal, "s", 15..17);
    assert_eq!(collect(&wal, "s", 0).first(), Some(&payload("s", 15)));
}

#[test]
fn truncate_with_batches_and_mmap_and_cache() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_entries_per_segment = 4;
    o.read_strategy = ReadStrategy::Mmap;
    o.block_cache_size = Some(1 << 20);
    let wal = open(&o);
    append_batch_ids(&wal, "s", 0..4);
    append_batch_ids(&wal, "s", 4..8);
    append_batch_ids(&wal, "s", 8..12);
    append_n(&wal, "s", 1);
    // Populate caches and mappings.
    assert_stream(&wal, "s", 0..13);
    assert_eq!(wal.truncate("s", 8).unwrap(), 2);
    for id in 0..8 {
        assert_eq!(
            wal.get("s", id).unwrap(),
            None,
            "cached entry {id} survived truncate"
        );
    }
    assert_stream(&wal, "s", 8..13);
}

/// Decodes the id from an entry written by `payload("s", id)` (the tag `s#id|`).
fn id_of(entry: &[u8]) -> u64 {
    let s = std::str::from_utf8(&entry[..entry.iter().position(|&b| b == b'|').unwrap()]).unwrap();
    s.rsplit_once('#').unwrap().1.parse().unwrap()
}

#[test]
fn truncate_while_readers_iterate() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.max_entries_per_segment = 8;
    let wal = open(&o);
    append_n(&wal, "s", 64);
    let next = Arc::new(AtomicU64::new(64));
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    // Writer.
    {
        let (wal, next, stop) = (wal.clone(), next.clone(), stop.clone());
        handles.push(std::thread::spawn(move || {
            let mut id = 64u64;
            while !stop.load(Ordering::Relaxed) && id < 3000 {
                assert_eq!(wal.append("s", &payload("s", id)).unwrap(), id);
                id += 1;
                next.store(id, Ordering::Release);
            }
        }));
    }
    // Truncator: keeps roughly the last 40 entries.
    {
        let (wal, next, stop) = (wal.clone(), next.clone(), stop.clone());
        handles.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let n = next.load(Ordering::Acquire);
                wal.truncate("s", n.saturating_sub(40)).unwrap();
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }));
    }
    // Readers: iterators and gets.
    let mut readers = Vec::new();
    for r in 0..3u64 {
        let (wal, next, stop) = (wal.clone(), next.clone(), stop.clone());
        readers.push(std::thread::spawn(move || {
            let mut rounds = 0u64;
            let mut yielded = 0u64;
            while !stop.load(Ordering::Relaxed) {
                rounds += 1;
                let start = if r == 0 {
                    0
                } else {
                    next.load(Ordering::Acquire).saturating_sub(30 * r)
                };
                let it = wal.iter("s", start).unwrap();
                let mut prev: Option<u64> = None;
                for item in it {
                    match item {
                        Ok(entry) => {
                            let id = id_of(&entry);
                            assert_eq!(entry, payload("s", id), "wrong content for id {id}");
                            if let Some(p) = prev {
                                assert_eq!(id, p + 1, "iterator skipped or reordered");
                            } else {
                                assert!(id >= start, "iterator started before start_id");
                            }
                            prev = Some(id);
                            yielded += 1;
                        }
                        // A segment deleted under the iterator may end it with an
                        // error; it must never yield wrong data.
                        Err(e) => {
                            assert!(
                                !matches!(e, Error::CrcMismatch { .. }),
                                "truncate made the iterator see a CRC error: {e:?}"
                            );
                            break;
                        }
                    }
                }
                // Random gets: Some(exact) or None only if truncated.
                let n = next.load(Ordering::Acquire);
                for id in [n.saturating_sub(1), n.saturating_sub(10), n / 2, 0] {
                    match wal.get("s", id).unwrap() {
                        Some(v) => assert_eq!(v, payload("s", id)),
                        None => {
                            let b = wal.bounds("s").unwrap().unwrap();
                            assert!(b.start > id, "get({id}) = None but bounds are {b:?}");
                        }
                    }
                }
            }
            (rounds, yielded)
        }));
    }
    std::thread::sleep(std::time::Duration::from_millis(700));
    stop.store(true, Ordering::Relaxed);
    let mut results = Vec::new();
    for h in handles {
        h.join().unwrap();
    }
    for r in readers {
        results.push(r.join().unwrap());
    }
    let n = next.load(Ordering::Acquire);
    let b = wal.bounds("s").unwrap().unwrap();
    assert_eq!(b.end, n);
    assert_stream(&wal, "s", b.clone());
    assert!(b.start > 0, "the truncator deleted something");
    eprintln!("appended {n}, bounds {b:?}, readers (rounds, entries) {results:?}");
    drop(wal);
    let wal = open(&o);
    assert_stream(&wal, "s", b.clone());
    assert_eq!(wal.append("s", &payload("s", n)).unwrap(), n);
}

#[test]
fn iterator_does_not_silently_skip_entries_truncated_under_it() {
    // An iterator that has yielded id 1 must not yield id 4 next: its caller counts
    // positions (entries carry no ids), so a silent jump misattributes every later
    // entry. Yielding 2 and 3, ending, or an error are all acceptable.
    for strategy in [ReadStrategy::StandardIo, ReadStrategy::Mmap] {
        let tmp = TempDir::new().unwrap();
        let mut o = opts(tmp.path());
        o.max_entries_per_segment = 2;
        o.read_strategy = strategy;
        let wal = open(&o);
        append_n(&wal, "s", 6); // segments 0, 2, 4
        let mut it = wal.iter("s", 0).unwrap();
        assert_eq!(it.next().unwrap().unwrap(), payload("s", 0));
        assert_eq!(it.next().unwrap().unwrap(), payload("s", 1));
        assert_eq!(wal.truncate("s", 4).unwrap(), 2);
        match it.next() {
            None | Some(Err(_)) => {}
            Some(Ok(v)) => {
                assert!(
                    v == payload("s", 2),
                    "{strategy:?}: after id 1 the iterator yielded {:?}",
                    String::from_utf8_lossy(&v[..6.min(v.len())])
                );
                assert_eq!(it.next().unwrap().unwrap(), payload("s", 3));
            }
        }
    }
}

#[test]
fn iterator_whose_segment_file_is_truncated_between_refills_reports_it() {
    // StandardIo iterators hold no file between chunk refills (max_open_segments
    // bounds descriptors): once a truncate deleted the segment, the next refill finds
    // no file, which is the truncation, not an I/O error.
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.max_entries_per_segment = 20;
    o.read_buffer_size = 4096; // about 3 entries a chunk
    let wal = open(&o);
    let entry = |id: u64| payload_sized("s", id, 1200);
    for id in 0..40 {
        assert_eq!(wal.append("s", &entry(id)).unwrap(), id);
    }
    let mut it = wal.iter("s", 0).unwrap();
    for id in 0..3 {
        assert_eq!(it.next().unwrap().unwrap(), entry(id));
    }
    assert_eq!(wal.truncate("s", 20).unwrap(), 1);
    let mut next = 3;
    let error = loop {
        match it.next() {
            Some(Ok(v)) => {
                assert_eq!(v, entry(next), "no entry is skipped");
                next += 1;
            }
            Some(Err(e)) => break e,
            None => panic!("ended at {next} without an error"),
        }
    };
    assert!(next < 20, "read the whole deleted segment");
    assert!(
        matches!(error, Error::SegmentNotFound(id) if id == next),
        "{error:?} at {next}"
    );
    assert!(it.next().is_none());
    assert_eq!(wal.bounds("s").unwrap(), Some(20..40));
    let rest: Vec<Vec<u8>> = wal.iter("s", 0).unwrap().map(|e| e.unwrap()).collect();
    assert_eq!(rest, (20..40).map(entry).collect::<Vec<_>>());
}

#[test]
fn tiny_max_segment_size_gives_one_frame_per_segment() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_segment_size = 1;
    let wal = open(&o);
    append_n(&wal, "s", 5);
    append_batch_ids(&wal, "s", 5..8);
    append_n(&wal, "s", 1);
    assert_eq!(segments(&root.join("s")), vec![0, 1, 2, 3, 4, 5, 8]);
    assert_stream(&wal, "s", 0..9);
    drop(wal);
    let wal = open(&o);
    assert_stream(&wal, "s", 0..9);
    assert_eq!(wal.current_segment_start_id("s"), Some(8));
}

#[test]
fn interrupted_truncate_states_open_cleanly() {
    // What a crash in the middle of truncate can leave behind: the oldest segments
    // gone, or a segment whose .idx is already gone, or an .idx whose segment is gone.
    let build = || {
        let tmp = TempDir::new().unwrap();
        let root = tmp.path().join("root");
        let mut o = opts(&root);
        o.max_entries_per_segment = 4;
        let wal = open(&o);
        append_n(&wal, "s", 14); // 0, 4, 8, 12
        drop(wal);
        (tmp, root, o)
    };
    let dir = |root: &std::path::Path| root.join("s");

    // .idx of segment 0 deleted, segment still there.
    let (_t, root, o) = build();
    std::fs::remove_file(dir(&root).join(idx_file(0))).unwrap();
    let wal = open(&o);
    assert_stream(&wal, "s", 0..14);
    assert_eq!(wal.truncate("s", 8).unwrap(), 2);
    assert_stream(&wal, "s", 8..14);
    drop(wal);

    // Segment 0 deleted, its .idx left behind.
    let (_t, root, o) = build();
    std::fs::remove_file(dir(&root).join(seg_file(0))).unwrap();
    let wal = open(&o);
    assert_stream(&wal, "s", 4..14);
    assert_eq!(wal.get("s", 0).unwrap(), None);
    assert_eq!(wal.append("s", &payload("s", 14)).unwrap(), 14);
    drop(wal);
    let wal = open(&o);
    assert_stream(&wal, "s", 4..15);
    drop(wal);

    // Segments 0 and 4 deleted.
    let (_t, root, o) = build();
    for s in [0, 4] {
        std::fs::remove_file(dir(&root).join(seg_file(s))).unwrap();
        std::fs::remove_file(dir(&root).join(idx_file(s))).unwrap();
    }
    let wal = open(&o);
    assert_stream(&wal, "s", 8..14);
    assert_eq!(collect(&wal, "s", 0).first(), Some(&payload("s", 8)));
}
