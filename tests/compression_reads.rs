//! LZ4 compression round trips and sizes; the read strategy x block cache matrix;
//! max_open_segments = 1 with many streams and segments.

mod common;

use common::*;
use ironwal::*;
use std::path::Path;
use tempfile::TempDir;

fn sizes() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = XorShift::new(42);
    vec![
        ("0 B", vec![]),
        ("1 B", vec![0x7f]),
        ("1 KiB compressible", payload_text("c", 0, 1024)),
        ("1 KiB random", rng.bytes(1024)),
        ("1023 B compressible", payload_text("c", 1, 1023)),
        ("1025 B compressible", payload_text("c", 2, 1025)),
        ("1 MiB compressible", payload_text("c", 3, 1 << 20)),
        ("1 MiB random", rng.bytes(1 << 20)),
        ("1 MiB zeros", vec![0u8; 1 << 20]),
    ]
}

fn lz4_round_trip(min_compression_size: usize) {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.compression = CompressionType::Lz4;
    o.min_compression_size = min_compression_size;
    let data = sizes();
    let refs: Vec<&[u8]> = data.iter().map(|(_, v)| v.as_slice()).collect();
    let n = data.len() as u64;
    {
        let wal = open(&o);
        // Singles, then the same entries as one batch.
        for (i, (name, v)) in data.iter().enumerate() {
            assert_eq!(wal.append("z", v).unwrap(), i as u64, "{name}");
        }
        assert_eq!(wal.append_batch("z", &refs).unwrap(), n..2 * n);
        for (i, (name, v)) in data.iter().enumerate() {
            assert_eq!(
                wal.get("z", i as u64).unwrap().as_ref(),
                Some(v),
                "{name} single"
            );
            assert_eq!(
                wal.get("z", n + i as u64).unwrap().as_ref(),
                Some(v),
                "{name} in batch"
            );
        }
    }
    for strategy in [ReadStrategy::StandardIo, ReadStrategy::Mmap] {
        for cache in [None, Some(1u64 << 20)] {
            let mut o2 = o.clone();
            o2.read_strategy = strategy;
            o2.block_cache_size = cache;
            let wal = open(&o2);
            let ctx = format!("min {min_compression_size}, {strategy:?}, cache {cache:?}");
            for (i, (name, v)) in data.iter().enumerate() {
                assert_eq!(
                    wal.get("z", i as u64).unwrap().as_ref(),
                    Some(v),
                    "{ctx}: {name} single"
                );
                assert_eq!(
                    wal.get("z", n + i as u64).unwrap().as_ref(),
                    Some(v),
                    "{ctx}: {name} in batch"
                );
            }
            let all = collect(&wal, "z", 0);
            assert_eq!(all.len() as u64, 2 * n, "{ctx}");
            for (i, got) in all.iter().enumerate() {
                assert_eq!(got, &data[i % data.len()].1, "{ctx}: iter item {i}");
            }
        }
    }
    // Read back with compression turned off: the stored flag decides, not the option.
    let mut o3 = o.clone();
    o3.compression = CompressionType::None;
    let wal = open(&o3);
    for (i, (name, v)) in data.iter().enumerate() {
        assert_eq!(
            wal.get("z", i as u64).unwrap().as_ref(),
            Some(v),
            "compression off: {name}"
        );
    }
    assert_eq!(wal.append("z", b"plain").unwrap(), 2 * n);
    drop(wal);
    let wal = open(&o);
    assert_eq!(wal.get("z", 2 * n).unwrap(), Some(b"plain".to_vec()));
}

#[test]
fn lz4_round_trip_default_threshold() {
    lz4_round_trip(1024);
}

#[test]
fn lz4_round_trip_compress_everything() {
    lz4_round_trip(0);
}

#[test]
fn lz4_round_trip_huge_threshold() {
    lz4_round_trip(usize::MAX);
}

fn wal_bytes(root: &Path, stream: &str) -> u64 {
    let dir = root.join(stream);
    segments(&dir)
        .iter()
        .map(|s| file_len(&dir.join(seg_file(*s))))
        .sum()
}

fn write_same(o: &WalOptions, entries: &[Vec<u8>]) -> u64 {
    let wal = open(o);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(wal.append("s", e).unwrap(), i as u64);
    }
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(wal.get("s", i as u64).unwrap().as_ref(), Some(e));
    }
    drop(wal);
    wal_bytes(&o.root_path, "s")
}

#[test]
fn lz4_files_are_smaller_for_compressible_data() {
    let entries: Vec<Vec<u8>> = (0..200).map(|id| payload_text("s", id, 4096)).collect();
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let plain = write_same(&opts(a.path()), &entries);
    let mut o = opts(b.path());
    o.compression = CompressionType::Lz4;
    let lz4 = write_same(&o, &entries);
    eprintln!("compressible: none {plain} bytes, lz4 {lz4} bytes");
    assert!(plain >= 200 * 4096);
    assert!(lz4 * 4 < plain, "lz4 {lz4} bytes vs none {plain} bytes");
    // Batches too.
    let c = TempDir::new().unwrap();
    let mut o = opts(c.path());
    o.compression = CompressionType::Lz4;
    let wal = open(&o);
    let small: Vec<Vec<u8>> = (0..100).map(|id| payload_text("s", id, 100)).collect();
    let refs: Vec<&[u8]> = small.iter().map(|v| v.as_slice()).collect();
    assert_eq!(wal.append_batch("s", &refs).unwrap(), 0..100);
    drop(wal);
    assert!(
        wal_bytes(c.path(), "s") < 100 * 100 / 2,
        "a batch of small compressible entries is compressed"
    );
    let wal = open(&o);
    for (i, e) in small.iter().enumerate() {
        assert_eq!(wal.get("s", i as u64).unwrap().as_ref(), Some(e));
    }
}

#[test]
fn lz4_small_payloads_below_threshold_stay_raw() {
    // 500-byte compressible entries, threshold 1024: stored raw (same size as None).
    let entries: Vec<Vec<u8>> = (0..50).map(|id| payload_text("s", id, 500)).collect();
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let plain = write_same(&opts(a.path()), &entries);
    let mut o = opts(b.path());
    o.compression = CompressionType::Lz4;
    let lz4 = write_same(&o, &entries);
    assert_eq!(lz4, plain);
}

#[test]
fn lz4_random_data_does_not_grow_much() {
    let mut rng = XorShift::new(5);
    let entries: Vec<Vec<u8>> = (0..20).map(|_| rng.bytes(64 * 1024)).collect();
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let plain = write_same(&opts(a.path()), &entries);
    let mut o = opts(b.path());
    o.compression = CompressionType::Lz4;
    let lz4 = write_same(&o, &entries);
    assert!(
        lz4 <= plain + plain / 100,
        "lz4 {lz4} bytes vs none {plain} bytes"
    );
}

/// Builds a WAL with several streams and many segments under `root`.
fn build_reference(root: &Path, compression: CompressionType) -> Vec<(String, u64)> {
    let mut o = opts(root);
    o.max_segment_size = 16 * 1024;
    o.compression = compression;
    o.min_compression_size = 64;
    let wal = open(&o);
    let mut out = Vec::new();
    for name in ["alpha", "beta/γ", "big"] {
        let mut id = 0u64;
        while id < 300 {
            if id % 9 == 4 {
                let e: Vec<Vec<u8>> = (id..id + 5).map(|i| content(name, i)).collect();
                let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
                assert_eq!(wal.append_batch(name, &refs).unwrap(), id..id + 5);
                id += 5;
            } else {
                assert_eq!(wal.append(name, &content(name, id)).unwrap(), id);
                id += 1;
            }
        }
        out.push((name.to_string(), id));
    }
    out
}

/// Mixed entries: random, compressible, and an occasional large one.
fn content(stream: &str, id: u64) -> Vec<u8> {
    match id % 4 {
        0 | 1 => payload(stream, id),
        2 => payload_text(stream, id, 200 + (id as usize % 500)),
        _ if id % 40 == 3 => payload_sized(stream, id, 40_000),
        _ => payload_sized(stream, id, 333),
    }
}

#[test]
fn read_strategy_and_block_cache_matrix() {
    for compression in [CompressionType::None, CompressionType::Lz4] {
        let reference = TempDir::new().unwrap();
        let streams = build_reference(reference.path(), compression);
        assert!(segments(&reference.path().join("alpha")).len() > 3);
        for strategy in [ReadStrategy::StandardIo, ReadStrategy::Mmap] {
            for cache in [None, Some(1u64 << 20), Some(4096)] {
                let ctx = format!("{compression:?}, {strategy:?}, cache {cache:?}");
                let tmp = TempDir::new().unwrap();
                copy_dir(reference.path(), tmp.path());
                let mut o = opts(tmp.path());
                o.max_segment_size = 16 * 1024;
                o.read_strategy = strategy;
                o.block_cache_size = cache;
                o.compression = compression;
                let wal = open(&o);
                for (name, n) in &streams {
                    // Twice: the second pass hits the cache.
                    for _ in 0..2 {
                        assert_stream_with(&wal, name, 0..*n, content);
                    }
                    let mut rng = XorShift::new(*n);
                    let ids: Vec<u64> = (0..100).map(|_| rng.range(0, n + 10)).collect();
                    let got = wal.get_batch(name, &ids).unwrap();
                    for (id, g) in ids.iter().zip(got) {
                        let want = if id < n {
                            Some(content(name, *id))
                        } else {
                            None
                        };
                        assert_eq!(g, want, "{ctx}: get_batch {name} {id}");
                    }
                    for start in [0, 1, 4, 5, 77, n - 1, *n] {
                        let got = collect(&wal, name, start);
                        assert_eq!(
                            got.len() as u64,
                            n - start,
                            "{ctx}: iter {name} from {start}"
                        );
                        for (i, v) in got.iter().enumerate() {
                            assert_eq!(
                                v,
                                &content(name, start + i as u64),
                                "{ctx}: {name} iter from {start}"
                            );
                        }
                    }
                }
                // Reads of the active segment while appending.
                let (name, n) = &streams[0];
                for id in *n..*n + 20 {
                    assert_eq!(wal.append(name, &content(name, id)).unwrap(), id);
                    assert_eq!(
                        wal.get(name, id).unwrap(),
                        Some(content(name, id)),
                        "{ctx}: fresh {id}"
                    );
                    assert_eq!(wal.get(name, id - 1).unwrap(), Some(content(name, id - 1)));
                }
                // Truncate after everything was cached: no stale reads.
                let deleted = wal.truncate(name, 100).unwrap();
                assert!(deleted > 0);
                let b = wal.bounds(name).unwrap().unwrap();
                assert!(b.start > 0 && b.start <= 100, "{ctx}: bounds {b:?}");
                for id in 0..b.start {
                    assert_eq!(
                        wal.get(name, id).unwrap(),
                        None,
                        "{ctx}: stale read of truncated {id}"
                    );
                }
                assert_stream_with(&wal, name, b.start..n + 20, content);
                drop(wal);
            }
        }
    }
}

#[test]
fn max_open_segments_one_with_twenty_streams() {
    for strategy in [ReadStrategy::StandardIo, ReadStrategy::Mmap] {
        let tmp = TempDir::new().unwrap();
        let mut o = opts(tmp.path());
        o.max_open_segments = 1;
        o.max_entries_per_segment = 4;
        o.read_strategy = strategy;
        let names: Vec<String> = (0..20).map(|i| format!("s{i:02}/x")).collect();
        {
            let wal = open(&o);
            // Interleaved appends across streams: every append touches another file.
            for round in 0..22u64 {
                for name in &names {
                    assert_eq!(wal.append(name, &payload(name, round)).unwrap(), round);
                }
            }
            // Interleaved random reads.
            let mut rng = XorShift::new(3);
            for _ in 0..500 {
                let name = &names[rng.range(0, 20) as usize];
                let id = rng.range(0, 22);
                assert_eq!(
                    wal.get(name, id).unwrap(),
                    Some(payload(name, id)),
                    "{strategy:?} {name} {id}"
                );
            }
            for name in &names {
                assert_stream(&wal, name, 0..22);
                assert_eq!(wal.current_segment_start_id(name), Some(20));
            }
        }
        let wal = open(&o);
        // Twenty iterators alive at once, advanced round-robin.
        let mut iters: Vec<_> = names.iter().map(|n| wal.iter(n, 0).unwrap()).collect();
        for id in 0..22u64 {
            for (name, it) in names.iter().zip(iters.iter_mut()) {
                assert_eq!(
                    it.next().unwrap().unwrap(),
                    payload(name, id),
                    "{strategy:?} {name} iter {id}"
                );
            }
        }
        for it in iters.iter_mut() {
            assert!(it.next().is_none());
        }
        // Appends while iterators exist.
        for name in &names {
            assert_eq!(wal.append(name, &payload(name, 22)).unwrap(), 22);
        }
        for name in &names {
            assert_stream(&wal, name, 0..23);
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(wal.streams(), sorted);
    }
}

/// Open file descriptors of this process (Linux).
fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Child side of `max_open_segments_bounds_file_descriptors`: a no-op unless
/// IRONWAL_FD_CHILD names a directory. Runs alone in its process, so the fd count is
/// not disturbed by other tests.
#[test]
fn child_fd_counter() {
    let Ok(dir) = std::env::var("IRONWAL_FD_CHILD") else {
        return;
    };
    let mmap = std::env::var("IRONWAL_FD_MMAP").is_ok();
    let baseline = fd_count();
    let mut o = opts(Path::new(&dir));
    o.max_open_segments = 3;
    o.max_entries_per_segment = 3;
    if mmap {
        o.read_strategy = ReadStrategy::Mmap;
    }
    let wal = open(&o);
    let names: Vec<String> = (0..20).map(|i| format!("fd-{i}")).collect();
    let mut peak = 0;
    for round in 0..15u64 {
        for name in &names {
            assert_eq!(wal.append(name, &payload(name, round)).unwrap(), round);
            peak = peak.max(fd_count());
        }
    }
    for name in &names {
        for id in 0..15 {
            assert_eq!(wal.get(name, id).unwrap(), Some(payload(name, id)));
            peak = peak.max(fd_count());
        }
        let mut n = 0;
        for item in wal.iter(name, 0).unwrap() {
            assert_eq!(item.unwrap(), payload(name, n));
            n += 1;
            peak = peak.max(fd_count());
        }
        assert_eq!(n, 15);
    }
    // 100 live iterators, each inside another segment, advanced in turns: an idle one
    // holds no descriptor.
    let mut live: Vec<(&String, u64, WalIterator)> = names
        .iter()
        .flat_map(|name| (0..15).step_by(3).map(move |start| (name, start)))
        .map(|(name, start)| (name, start, wal.iter(name, start).unwrap()))
        .collect();
    for step in 0..3 {
        for (name, start, entries) in &mut live {
            let entry = entries.next().unwrap().unwrap();
            assert_eq!(entry, payload(name, *start + step));
            peak = peak.max(fd_count());
        }
    }
    drop(live);
    drop(wal);
    let after_close = fd_count();
    println!("FDS {baseline} {peak} {after_close}");
}

#[test]
fn max_open_segments_bounds_file_descriptors() {
    for mmap in [false, true] {
        let tmp = TempDir::new().unwrap();
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "child_fd_counter",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ])
        .env("IRONWAL_FD_CHILD", tmp.path().join("wal"));
        if mmap {
            cmd.env("IRONWAL_FD_MMAP", "1");
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find(|l| l.starts_with("FDS "))
            .expect("child printed FDS");
        let v: Vec<usize> = line[4..].split(' ').map(|x| x.parse().unwrap()).collect();
        let (baseline, peak, after) = (v[0], v[1], v[2]);
        eprintln!("mmap {mmap}: fds baseline {baseline}, peak {peak}, after close {after}");
        // 3 segment files + the lock file + a transient directory handle or two.
        assert!(
            peak <= baseline + 3 + 3,
            "mmap {mmap}: {peak} fds open with max_open_segments = 3 (baseline {baseline})"
        );
        assert!(
            after <= baseline,
            "mmap {mmap}: {after} fds left open after drop (baseline {baseline})"
        );
    }
}

/// With `Mmap`, the active segment is read through a mapping made ahead of its end: an
/// entry larger than the segment size limit (alone in its segment), entries appended
/// after the mapping was made, and the same entries after the segment is sealed all
/// read back exactly, by `get` and by an iterator that follows the appends.
#[test]
fn mmap_reads_of_the_active_segment_follow_appends() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.read_strategy = ReadStrategy::Mmap;
    o.max_segment_size = 64 * 1024;
    let wal = open(&o);
    let big = payload_text("s", 0, 200 * 1024);
    assert_eq!(wal.append("s", &big).unwrap(), 0);
    assert_eq!(wal.get("s", 0).unwrap(), Some(big.clone()));
    let mut it = wal.iter("s", 0).unwrap();
    assert_eq!(it.next().unwrap().unwrap(), big);
    for id in 1..40u64 {
        let entry = payload_sized("s", id, 3000);
        assert_eq!(wal.append("s", &entry).unwrap(), id);
        assert_eq!(wal.get("s", id).unwrap(), Some(entry.clone()), "get {id}");
        assert_eq!(it.next().unwrap().unwrap(), entry, "iter {id}");
    }
    assert!(it.next().is_none());
    assert!(segments(&tmp.path().join("s")).len() > 2, "rotated");
    for id in 1..40u64 {
        assert_eq!(
            wal.get("s", id).unwrap(),
            Some(payload_sized("s", id, 3000))
        );
    }
    drop(wal);
    assert_stream_with(&open(&o), "s", 0..40, |s, id| match id {
        0 => payload_text(s, 0, 200 * 1024),
        _ => payload_sized(s, id, 3000),
    });
}

/// A bit flipped on disk under an open `Wal`, after every entry was read once (so the
/// mappings exist), is reported by the next `get` and iterator of that entry, in a
/// sealed and in the active segment, with either strategy; the other entries still
/// read back.
#[test]
fn bytes_flipped_under_an_open_wal_are_caught_by_every_read_path() {
    for strategy in [ReadStrategy::StandardIo, ReadStrategy::Mmap] {
        let tmp = TempDir::new().unwrap();
        let mut o = opts(tmp.path());
        o.read_strategy = strategy;
        o.max_segment_size = 16 * 1024;
        let wal = open(&o);
        let n = 40u64;
        for id in 0..n {
            wal.append("s", &payload_sized("s", id, 1000)).unwrap();
        }
        assert_stream_with(&wal, "s", 0..n, |s, id| payload_sized(s, id, 1000));
        let dir = tmp.path().join("s");
        let starts = segments(&dir);
        let (sealed_id, active_id) = (3, n - 2);
        assert!(starts.len() > 2 && *starts.last().unwrap() < active_id);
        for id in [sealed_id, active_id] {
            let start = *starts.iter().rev().find(|&&s| s <= id).unwrap();
            let path = dir.join(seg_file(start));
            let bytes = read_all(&path);
            let entry = payload_sized("s", id, 1000);
            let at = bytes.windows(entry.len()).position(|w| w == entry).unwrap();
            flip_bit(&path, (at + 500) as u64, 3);
        }
        for id in 0..n {
            let ctx = format!("{strategy:?}: id {id}");
            match wal.get("s", id) {
                Ok(got) if id != sealed_id && id != active_id => {
                    assert_eq!(got, Some(payload_sized("s", id, 1000)), "{ctx}")
                }
                Err(Error::CrcMismatch { .. }) if id == sealed_id || id == active_id => {}
                other => panic!("{ctx}: get gave {other:?}"),
            }
            let first = wal.iter("s", id).unwrap().next().unwrap();
            assert_eq!(
                first.is_err(),
                id == sealed_id || id == active_id,
                "{ctx}: iterator gave {first:?}"
            );
        }
        // Iterators already running when they reach the damage stop there.
        for (from, damaged) in [(0, sealed_id), (sealed_id + 1, active_id)] {
            let got: Vec<Result<Vec<u8>>> = wal.iter("s", from).unwrap().collect();
            let clean = (damaged - from) as usize;
            assert_eq!(got.len(), clean + 1, "{strategy:?}: from {from}");
            for (k, entry) in got[..clean].iter().enumerate() {
                let id = from + k as u64;
                assert_eq!(entry.as_ref().unwrap(), &payload_sized("s", id, 1000));
            }
            assert!(
                matches!(got[clean], Err(Error::CrcMismatch { .. })),
                "{strategy:?}: from {from}: {:?}",
                got[clean]
            );
        }
    }
}
