//! Concurrency: many writers on one stream and on many streams, readers iterating
//! while writers append, readers during truncate, Strict mode with many writers.

mod common;

use common::*;
use ironwal::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Content written by thread `t` as its `seq`-th entry (when ids are not known in
/// advance): a tag `t:seq|` plus bytes derived from both.
fn tseq_payload(stream: &str, t: u64, seq: u64) -> Vec<u8> {
    let mut v = format!("{t}:{seq}|").into_bytes();
    let extra = (splitmix(t << 32 | seq) % 80) as usize;
    v.extend(payload_sized(stream, t << 32 | seq, extra));
    v
}

fn parse_tseq(v: &[u8]) -> (u64, u64) {
    let end = v.iter().position(|&b| b == b'|').expect("tag");
    let s = std::str::from_utf8(&v[..end]).unwrap();
    let (t, q) = s.split_once(':').unwrap();
    (t.parse().unwrap(), q.parse().unwrap())
}

/// Writers on one stream: returns id -> (thread, seq) as acknowledged.
fn many_writers_one_stream(
    o: &WalOptions,
    threads: u64,
    per_thread: u64,
    batches: bool,
) -> HashMap<u64, (u64, u64)> {
    let wal = open(o);
    let barrier = Arc::new(Barrier::new(threads as usize));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let wal = wal.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let mut rng = XorShift::new(t + 1);
                let mut out = Vec::new();
                let mut seq = 0;
                while seq < per_thread {
                    let k = if batches {
                        rng.range(1, 6).min(per_thread - seq)
                    } else {
                        1
                    };
                    if !batches || (k == 1 && rng.next_u64() % 2 == 0) {
                        let id = wal.append("s", &tseq_payload("s", t, seq)).unwrap();
                        out.push((id, (t, seq)));
                    } else {
                        let e: Vec<Vec<u8>> =
                            (seq..seq + k).map(|q| tseq_payload("s", t, q)).collect();
                        let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
                        let r = wal.append_batch("s", &refs).unwrap();
                        assert_eq!(r.end - r.start, k);
                        for (i, id) in r.enumerate() {
                            out.push((id, (t, seq + i as u64)));
                        }
                    }
                    // Read-your-writes on this thread.
                    let (last_id, (lt, lq)) = *out.last().unwrap();
                    assert_eq!(
                        wal.get("s", last_id).unwrap(),
                        Some(tseq_payload("s", lt, lq))
                    );
                    seq += k;
                }
                out
            })
        })
        .collect();
    let mut map = HashMap::new();
    for h in handles {
        for (id, tq) in h.join().unwrap() {
            assert!(map.insert(id, tq).is_none(), "id {id} handed out twice");
        }
    }
    let n = threads * per_thread;
    assert_eq!(map.len() as u64, n);
    for id in 0..n {
        assert!(map.contains_key(&id), "ids are not dense: {id} missing");
    }
    verify_tseq(&wal, &map, n);
    drop(wal);
    let wal = open(o);
    verify_tseq(&wal, &map, n);
    map
}

fn verify_tseq(wal: &Wal, map: &HashMap<u64, (u64, u64)>, n: u64) {
    assert_eq!(wal.bounds("s").unwrap(), Some(0..n));
    for id in 0..n {
        let (t, q) = map[&id];
        assert_eq!(
            wal.get("s", id).unwrap(),
            Some(tseq_payload("s", t, q)),
            "id {id}"
        );
    }
    for (i, v) in collect(wal, "s", 0).iter().enumerate() {
        let (t, q) = map[&(i as u64)];
        assert_eq!(v, &tseq_payload("s", t, q), "iter id {i}");
    }
    // Per thread, ids grow with seq.
    let mut last: HashMap<u64, (u64, u64)> = HashMap::new();
    for id in 0..n {
        let (t, q) = map[&id];
        if let Some((pid, pq)) = last.insert(t, (id, q)) {
            assert!(
                q > pq && id > pid,
                "thread {t}: seq {q} got id {id} after seq {pq} got {pid}"
            );
        }
    }
}

#[test]
fn eight_threads_one_stream_singles() {
    let tmp = TempDir::new().unwrap();
    many_writers_one_stream(&opts(tmp.path()), 8, 400, false);
}

#[test]
fn eight_threads_one_stream_mixed_batches_with_rotation() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.max_entries_per_segment = 37;
    many_writers_one_stream(&o, 8, 400, true);
    assert!(segments(&tmp.path().join("s")).len() > 50);
}

#[test]
fn eight_threads_one_stream_small_segments_by_size() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.max_segment_size = 4096;
    o.read_strategy = ReadStrategy::Mmap;
    o.block_cache_size = Some(64 * 1024);
    many_writers_one_stream(&o, 8, 200, true);
}

#[test]
fn eight_threads_eight_streams() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.max_entries_per_segment = 50;
    let wal = open(&o);
    let names: Vec<String> = (0..8).map(|i| format!("stream-{i}")).collect();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = names
        .iter()
        .cloned()
        .map(|name| {
            let wal = wal.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let mut id = 0u64;
                while id < 600 {
                    if id % 7 == 3 {
                        let e: Vec<Vec<u8>> = (id..id + 4).map(|i| payload(&name, i)).collect();
                        let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
                        assert_eq!(wal.append_batch(&name, &refs).unwrap(), id..id + 4);
                        id += 4;
                    } else {
                        assert_eq!(wal.append(&name, &payload(&name, id)).unwrap(), id);
                        id += 1;
                    }
                }
                id
            })
        })
        .collect();
    let ends: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (name, end) in names.iter().zip(&ends) {
        assert_stream(&wal, name, 0..*end);
    }
    assert_eq!(wal.streams(), names);
    drop(wal);
    let wal = open(&o);
    for (name, end) in names.iter().zip(&ends) {
        assert_stream(&wal, name, 0..*end);
    }
}

#[test]
fn readers_iterate_while_writers_append() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.max_entries_per_segment = 64;
    let wal = open(&o);
    let stop = Arc::new(AtomicBool::new(false));
    // Single-writer streams: content is payload(stream, id); the writer publishes
    // the acknowledged count.
    let published: Vec<Arc<AtomicU64>> = (0..2).map(|_| Arc::new(AtomicU64::new(0))).collect();
    const SINGLE: [&str; 2] = ["solo-0", "solo-1"];
    let single = SINGLE;
    let mut writers = Vec::new();
    for (i, name) in SINGLE.into_iter().enumerate() {
        let (wal, stop, pubc) = (wal.clone(), stop.clone(), published[i].clone());
        writers.push(std::thread::spawn(move || {
            let mut id = 0u64;
            while !stop.load(Ordering::Relaxed) && id < 20_000 {
                if id % 5 == 0 {
                    let e: Vec<Vec<u8>> = (id..id + 3).map(|i| payload(name, i)).collect();
                    let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
                    assert_eq!(wal.append_batch(name, &refs).unwrap(), id..id + 3);
                    id += 3;
                } else {
                    assert_eq!(wal.append(name, &payload(name, id)).unwrap(), id);
                    id += 1;
                }
                pubc.store(id, Ordering::Release);
            }
        }));
    }
    // Multi-writer stream "multi": content tagged with (thread, seq).
    for t in 0..3u64 {
        let (wal, stop) = (wal.clone(), stop.clone());
        writers.push(std::thread::spawn(move || {
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) && seq < 20_000 {
                wal.append("multi", &tseq_payload("multi", t, seq)).unwrap();
                seq += 1;
            }
        }));
    }
    let mut readers = Vec::new();
    for r in 0..3u64 {
        let (wal, stop) = (wal.clone(), stop.clone());
        let published = published.clone();
        readers.push(std::thread::spawn(move || {
            let mut rng = XorShift::new(r + 100);
            let mut checked = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // Single-writer streams: an iterator yields exactly payload(id) for
                // consecutive ids from its start, at least up to what was published
                // before it was created.
                let si = (rng.next_u64() % 2) as usize;
                let name = single[si];
                let before = published[si].load(Ordering::Acquire);
                let start = rng.range(0, before.max(1));
                let mut id = start;
                for item in wal.iter(name, start).unwrap() {
                    let v = item.unwrap();
                    assert!(
                        v == payload(name, id),
                        "{name}: iterator from {start} yielded a wrong entry at {id}"
                    );
                    id += 1;
                    checked += 1;
                }
                assert!(
                    id >= before,
                    "{name}: iterator from {start} ended at {id}, {before} were published"
                );
                // Visibility: everything published is readable by get.
                let p = published[si].load(Ordering::Acquire);
                if p > 0 {
                    let last = p - 1;
                    assert_eq!(
                        wal.get(name, last).unwrap(),
                        Some(payload(name, last)),
                        "{name}: published {last} not visible"
                    );
                    let b = wal.bounds(name).unwrap().unwrap();
                    assert!(b.end >= p, "bounds {b:?} behind published {p}");
                }
                // Multi-writer stream: per thread, seqs appear in order without gaps.
                let mut next_seq: HashMap<u64, u64> = HashMap::new();
                let mut n = 0;
                for item in wal.iter("multi", 0).unwrap() {
                    let v = item.unwrap();
                    let (t, q) = parse_tseq(&v);
                    assert_eq!(v, tseq_payload("multi", t, q), "multi: corrupt entry");
                    let e = next_seq.entry(t).or_insert(0);
                    assert_eq!(q, *e, "multi: thread {t} out of order");
                    *e += 1;
                    n += 1;
                    if n > 3000 {
                        break;
                    }
                }
            }
            checked
        }));
    }
    std::thread::sleep(Duration::from_millis(800));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let checked: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(checked > 0);
    for (i, name) in single.iter().enumerate() {
        assert_stream(&wal, name, 0..published[i].load(Ordering::Acquire));
    }
}

#[test]
fn readers_during_truncate() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.max_entries_per_segment = 16;
    o.read_strategy = ReadStrategy::Mmap;
    o.block_cache_size = Some(1 << 20);
    let wal = open(&o);
    append_n(&wal, "s", 100);
    let next = Arc::new(AtomicU64::new(100));
    let stop = Arc::new(AtomicBool::new(false));
    let mut hs = Vec::new();
    {
        let (wal, next, stop) = (wal.clone(), next.clone(), stop.clone());
        hs.push(std::thread::spawn(move || {
            let mut id = 100;
            while !stop.load(Ordering::Relaxed) && id < 30_000 {
                assert_eq!(wal.append("s", &payload("s", id)).unwrap(), id);
                id += 1;
                next.store(id, Ordering::Release);
            }
        }));
    }
    {
        let (wal, next, stop) = (wal.clone(), next.clone(), stop.clone());
        hs.push(std::thread::spawn(move || {
            let mut last_start = 0;
            while !stop.load(Ordering::Relaxed) {
                let n = next.load(Ordering::Acquire);
                wal.truncate("s", n.saturating_sub(50)).unwrap();
                let b = wal.bounds("s").unwrap().unwrap();
                assert!(b.start >= last_start, "bounds start went backwards");
                last_start = b.start;
                std::thread::sleep(Duration::from_micros(300));
            }
        }));
    }
    for r in 0..3u64 {
        let (wal, next, stop) = (wal.clone(), next.clone(), stop.clone());
        hs.push(std::thread::spawn(move || {
            let mut rng = XorShift::new(r);
            while !stop.load(Ordering::Relaxed) {
                let n = next.load(Ordering::Acquire);
                let id = rng.range(0, n);
                match wal.get("s", id).unwrap() {
                    Some(v) => assert_eq!(v, payload("s", id), "get({id})"),
                    None => {
                        let b = wal.bounds("s").unwrap().unwrap();
                        assert!(id < b.start, "get({id}) = None with bounds {b:?}");
                    }
                }
                let ids: Vec<u64> = (0..8).map(|_| rng.range(0, n)).collect();
                let got = wal.get_batch("s", &ids).unwrap();
                for (id, g) in ids.iter().zip(got) {
                    if let Some(v) = g {
                        assert_eq!(v, payload("s", *id), "get_batch id {id}");
                    }
                }
                // A recent acknowledged entry: present unless truncated meanwhile.
                let n = next.load(Ordering::Acquire);
                match wal.get("s", n - 1).unwrap() {
                    Some(v) => assert_eq!(v, payload("s", n - 1)),
                    None => {
                        let b = wal.bounds("s").unwrap().unwrap();
                        assert!(
                            n - 1 < b.start,
                            "acknowledged {} not visible, bounds {b:?}",
                            n - 1
                        );
                    }
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::Relaxed);
    for h in hs {
        h.join().unwrap();
    }
    let n = next.load(Ordering::Acquire);
    let b = wal.bounds("s").unwrap().unwrap();
    assert_eq!(b.end, n);
    assert!(b.start > 0);
    assert_stream(&wal, "s", b);
}

#[test]
fn strict_mode_eight_writers() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.sync_mode = SyncMode::Strict;
    let t0 = Instant::now();
    let map = many_writers_one_stream(&o, 8, 25, false);
    let concurrent = t0.elapsed();
    assert_eq!(map.len(), 200);
    // For information: the same number of serial Strict appends.
    let tmp2 = TempDir::new().unwrap();
    let mut o2 = opts(tmp2.path());
    o2.sync_mode = SyncMode::Strict;
    let wal = open(&o2);
    let t1 = Instant::now();
    append_n(&wal, "s", 200);
    let serial = t1.elapsed();
    eprintln!("Strict: 8 threads x 25 appends (+verify, reopen) {concurrent:?}; 200 serial appends {serial:?}");
}

#[test]
fn strict_mode_writers_on_many_streams_and_batches() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.sync_mode = SyncMode::Strict;
    o.max_entries_per_segment = 10;
    let wal = open(&o);
    let hs: Vec<_> = (0..4)
        .map(|i| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                let name = format!("strict/{i}");
                for id in 0..10u64 {
                    assert_eq!(wal.append(&name, &payload(&name, id)).unwrap(), id);
                }
                let e: Vec<Vec<u8>> = (10..15).map(|id| payload(&name, id)).collect();
                let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
                assert_eq!(wal.append_batch(&name, &refs).unwrap(), 10..15);
                name
            })
        })
        .collect();
    let names: Vec<String> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    drop(wal);
    let wal = open(&o);
    for name in &names {
        assert_stream(&wal, name, 0..15);
    }
}

#[test]
fn clones_across_threads_interleave_txns() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    let hs: Vec<_> = (0..4u64)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                let mut ranges = Vec::new();
                for round in 0..50u64 {
                    let mut w = wal.writer("txn");
                    let k = 1 + (round % 4);
                    for i in 0..k {
                        w.add(tseq_payload("txn", t, round * 10 + i));
                    }
                    let r = w.commit().unwrap();
                    assert_eq!(r.end - r.start, k);
                    ranges.push((r, t, round));
                }
                ranges
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in hs {
        all.extend(h.join().unwrap());
    }
    all.sort_by_key(|(r, _, _)| r.start);
    let mut expect = 0;
    for (r, t, round) in &all {
        assert_eq!(r.start, expect, "txn ranges are not dense");
        for (i, id) in r.clone().enumerate() {
            assert_eq!(
                wal.get("txn", id).unwrap(),
                Some(tseq_payload("txn", *t, round * 10 + i as u64))
            );
        }
        expect = r.end;
    }
    assert_eq!(wal.bounds("txn").unwrap(), Some(0..expect));
}

#[test]
fn get_racing_rotation_and_truncate_returns_data_or_none() {
    // Both strategies: with Mmap, gets of sealed segments go through the view's weak
    // references to open segments, which truncation and eviction race.
    for strategy in [ReadStrategy::StandardIo, ReadStrategy::Mmap] {
        get_racing_rotation_and_truncate(strategy);
    }
}

fn get_racing_rotation_and_truncate(strategy: ReadStrategy) {
    // A writer appends and immediately truncates everything sealed, with one entry per
    // segment and one open file: the segment holding the id a reader just located is
    // sealed and deleted under it. get must return the entry or Ok(None) (truncated),
    // never an I/O error about the deleted file.
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.max_entries_per_segment = 2;
    o.max_open_segments = 1;
    o.read_strategy = strategy;
    let wal = open(&o);
    append_n(&wal, "s", 10);
    let next = Arc::new(AtomicU64::new(10));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (wal, next, stop) = (wal.clone(), next.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut id = 10;
            while !stop.load(Ordering::Relaxed) {
                assert_eq!(wal.append("s", &payload("s", id)).unwrap(), id);
                id += 1;
                next.store(id, Ordering::Release);
                wal.truncate("s", id).unwrap();
            }
        })
    };
    let mut errors = Vec::new();
    let (mut oks, mut nones) = (0u64, 0u64);
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(400) {
        let n = next.load(Ordering::Acquire);
        let r = if oks % 2 == 0 {
            wal.get("s", n - 1)
        } else {
            wal.get_batch("s", &[n - 1]).map(|mut v| v.pop().unwrap())
        };
        match r {
            Ok(Some(v)) => {
                assert_eq!(v, payload("s", n - 1));
                oks += 1;
            }
            Ok(None) => nones += 1,
            Err(e) => errors.push(format!("get({}): {e:?}", n - 1)),
        }
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    eprintln!(
        "{strategy:?}: ok {oks}, none {nones}, errors {}",
        errors.len()
    );
    assert!(
        errors.is_empty(),
        "{strategy:?}: {} reads failed, first: {}",
        errors.len(),
        errors[0]
    );
}

/// A mapped `get` holds the stream map's read lock while it reads: streams created
/// meanwhile (the map's write lock), appends to the stream read (its view's write
/// lock) and gets of every stream must all go on, and read the right bytes.
#[test]
fn mapped_gets_while_streams_are_created() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.read_strategy = ReadStrategy::Mmap;
    o.max_entries_per_segment = 64; // sealed segments too
    let wal = open(&o);
    append_n(&wal, "s", 500);
    let stop = AtomicBool::new(false);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let (wal, stop) = (&wal, &stop);
        let readers: Vec<_> = (0..2)
            .map(|r| {
                scope.spawn(move || {
                    let mut gets = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let id = (gets * 37 + r) % 500;
                        assert_eq!(wal.get("s", id).unwrap(), Some(payload("s", id)));
                        gets += 1;
                    }
                    gets
                })
            })
            .collect();
        scope.spawn(move || {
            for id in 500..1500 {
                assert_eq!(wal.append("s", &payload("s", id)).unwrap(), id);
            }
        });
        scope.spawn(move || {
            for i in 0..300 {
                let name = format!("new/{i}");
                assert_eq!(wal.append(&name, &payload(&name, 0)).unwrap(), 0);
                assert_eq!(wal.get(&name, 0).unwrap(), Some(payload(&name, 0)));
            }
            done_tx.send(()).unwrap();
        });
        if done_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            // Deadlocked threads would keep the scope (and the test) waiting forever.
            eprintln!("creating 300 streams under mapped gets stalled for 60 s");
            std::process::exit(1);
        }
        stop.store(true, Ordering::Relaxed);
        let gets: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
        assert!(gets > 0, "the readers never read");
    });
    assert_eq!(wal.streams().len(), 301);
}
