//! W1-W7. Every workload builds its peers, then `harness::alternate` runs them side by
//! side, each repetition in a fresh directory; only the operations themselves are
//! timed (opening, creating the stream, preallocating, closing and deleting are not).

use crate::adapters::Writer;
use crate::adapters::{
    self, cdriven::CDriven, okay::OkayWal, raw::Raw, stamp, stamped, wal, Impl, Layout, Mode,
    Strategy,
};
use crate::harness::{
    alternate, disk_usage, evict_cpu_caches, flush_writeback, fresh_dir, sliced, warm, Group,
    Rng, Row, Sample,
};
use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::time::{Duration, Instant};

pub const ENTRY: usize = 128;
const MIB: u64 = 1 << 20;

#[derive(Clone, Debug)]
pub struct Config {
    pub quick: bool,
    pub reps: usize,
    /// W1/W2: how long one sample appends.
    pub durable_budget: Duration,
    /// W3: appends per sample.
    pub w3_appends: u64,
    /// W1, W2, W4: the peers take turns in slices of this length (`harness::sliced`).
    pub slice: Duration,
    /// W4: how long one sample appends batches, and at most how many.
    pub w4_budget: Duration,
    pub w4_max_batches: u64,
    /// W5/W6: entries in the stream read.
    pub read_entries: u64,
    /// W5: gets per sample, and the time after which a sample stops early (at least
    /// `MIN_GETS` gets). W6: a sample repeats whole scans until it has lasted this long.
    pub gets: u64,
    pub get_budget: Duration,
    /// W7: entries of the 1× case (the 10× case has ten times as many).
    pub w7_entries: u64,
    pub w7_reps: usize,
    pub data_dir: PathBuf,
}

const MIN_GETS: u64 = 2;

impl Config {
    pub fn new(quick: bool, data_dir: PathBuf) -> Config {
        if quick {
            Config {
                quick,
                reps: 3,
                durable_budget: Duration::from_millis(300),
                slice: Duration::from_millis(50),
                w3_appends: 100_000,
                w4_budget: Duration::from_millis(400),
                w4_max_batches: 150,
                read_entries: 200_000,
                gets: 200_000,
                get_budget: Duration::from_millis(250),
                w7_entries: 100_000,
                w7_reps: 3,
                data_dir,
            }
        } else {
            Config {
                quick,
                reps: 5,
                durable_budget: Duration::from_millis(1500),
                slice: Duration::from_millis(100),
                w3_appends: 300_000,
                w4_budget: Duration::from_millis(2000),
                w4_max_batches: 600,
                read_entries: 200_000,
                gets: 200_000,
                get_budget: Duration::from_millis(1500),
                w7_entries: 2_000_000,
                // Opens take ~6 ms and a few land at 8-12 ms (process start, page
                // cache); more of them keep the median off those.
                w7_reps: 9,
                data_dir,
            }
        }
    }
}

/// `--keep-data`: leave the read and W7 data sets in the data directory (to profile a
/// child open by hand: `ironwal-bench --child-reopen ironwal StandardIo DIR PER_STREAM SEG`).
pub static KEEP_DATA: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// `--peers a,b`: run only these implementations (for profiling one of them).
pub static PEERS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

fn keep(peers: Vec<Box<dyn Impl>>) -> Vec<Box<dyn Impl>> {
    match PEERS.get() {
        Some(only) => peers
            .into_iter()
            .filter(|p| only.contains(&p.name()))
            .collect(),
        None => peers,
    }
}

fn entry() -> Vec<u8> {
    (0..ENTRY).map(|i| (i * 7 + 13) as u8).collect()
}

fn progress(msg: &str) {
    eprintln!("  {msg}");
}

fn rows(peers: &[Box<dyn Impl>], baseline: &str, samples: Vec<Vec<Sample>>) -> Vec<Row> {
    peers
        .iter()
        .zip(samples)
        .map(|(p, samples)| Row {
            imp: p.name(),
            baseline: p.name() == baseline,
            samples,
            note: String::new(),
        })
        .collect()
}

fn log_sample(imp: &str, s: &Sample) {
    progress(&format!(
        "{imp:<18} {:>12.0} ops/s {:>9.1} MB/s ({} ops in {:.3} s)",
        s.ops_per_sec(),
        s.mb_per_sec(),
        s.ops,
        s.secs
    ));
}

/// A sanity check that a write workload really wrote: at least `payload` bytes are on
/// disk once the writer is closed (not for okaywal, which recycles its files, nor for
/// preallocated raw files, which are larger from the start).
fn check_on_disk(imp: &dyn Impl, dir: &Path, payload: u64) {
    let name = imp.name();
    if name == "okaywal" || name == "raw prealloc" {
        return;
    }
    let (bytes, _) = disk_usage(dir);
    assert!(
        bytes >= payload,
        "{name}: only {bytes} bytes on disk after writing {payload} bytes of entries"
    );
}

// ---------------------------------------------------------------------------------
// W1, W2: Strict appends, 1 or 8 writers on one stream.

fn strict_peers() -> Vec<Box<dyn Impl>> {
    vec![
        Box::new(wal::ThisCrate),
        Box::new(wal::Upstream),
        Box::new(OkayWal),
        Box::new(Raw::default()),
        Box::new(Raw {
            prealloc: Some(16 * MIB),
            ..Raw::default()
        }),
    ]
}

/// `threads` writers append 128 B entries to one stream for about `slice`; returns the
/// appends and the seconds they took.
fn strict_slice(
    writer: &dyn Writer,
    threads: usize,
    slice: Duration,
    next: &mut u64,
) -> (u64, f64) {
    let barrier = Barrier::new(threads + 1);
    let base = *next;
    let (ops, secs) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut e = entry();
                    e[8] = t as u8;
                    barrier.wait();
                    let start = Instant::now();
                    let mut n = 0u64;
                    while start.elapsed() < slice {
                        stamp(&mut e, base + n);
                        writer.append(0, &e).expect("append");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let ops: u64 = handles
            .into_iter()
            .map(|h| h.join().expect("writer thread"))
            .sum();
        (ops, start.elapsed().as_secs_f64())
    });
    *next += ops;
    (ops, secs)
}

/// Each peer's `(ops, secs)` measurements as samples, logged.
fn samples_of(
    peers: &[Box<dyn Impl>],
    raw: Vec<Vec<(u64, f64)>>,
    bytes_per_op: u64,
) -> Vec<Vec<Sample>> {
    peers
        .iter()
        .zip(raw)
        .map(|(peer, v)| {
            v.into_iter()
                .map(|(ops, secs)| {
                    let sample = Sample {
                        ops,
                        bytes: ops * bytes_per_op,
                        secs,
                        ..Default::default()
                    };
                    log_sample(&peer.name(), &sample);
                    sample
                })
                .collect()
        })
        .collect()
}

pub fn w1_w2(cfg: &Config, threads: usize) -> Group {
    let (workload, title) = if threads == 1 {
        ("W1", "W1: Strict, 1 writer, 128 B appends".to_string())
    } else {
        (
            "W2",
            format!("W2: Strict, {threads} writers on one stream, 128 B appends"),
        )
    };
    eprintln!("{title}");
    let peers = keep(strict_peers());
    let raw = sliced(
        peers.len(),
        cfg.reps,
        cfg.durable_budget,
        cfg.slice,
        |p| {
            let dir = fresh_dir(&cfg.data_dir, &format!("strict-{p}"));
            let writer = peers[p]
                .writer(&dir, Mode::Strict, Layout::default(), &["s"])
                .expect("open a writer");
            let mut e = entry();
            for i in 0..20 {
                // Warm-up, not timed: creates the stream, its first segment, the directories.
                stamp(&mut e, i);
                writer.append(0, &e).expect("append");
            }
            (dir, writer, 20u64)
        },
        |_, (_, writer, next), slice| {
            let (ops, secs) = strict_slice(&**writer, threads, slice, next);
            (ops, secs, false)
        },
        |_, (dir, writer, _), _| {
            drop(writer);
            let _ = std::fs::remove_dir_all(&dir);
        },
    );
    let samples = samples_of(&peers, raw, ENTRY as u64);
    let mut rows = rows(&peers, "raw", samples);
    for r in &mut rows {
        r.note = match r.imp.as_str() {
            "raw" if threads > 1 => {
                format!("write + fdatasync per entry, {threads} threads serialized by a mutex")
            }
            "raw" => "write + fdatasync per entry".into(),
            "raw prealloc" => "write + fdatasync per entry, zero-filled file".into(),
            "okaywal" => "begin_entry + write_chunk + commit".into(),
            _ => String::new(),
        };
    }
    Group {
        workload,
        short: workload.into(),
        title,
        rows,
    }
}

// ---------------------------------------------------------------------------------
// W3: Async, 1 writer, N appends.

pub fn w3(cfg: &Config) -> Group {
    let n = cfg.w3_appends;
    let title = format!("W3: Async, 1 writer, {}k appends of 128 B", n / 1000);
    eprintln!("{title}");
    let prealloc = (n + 10) * (ENTRY as u64 + 8) + MIB;
    let peers: Vec<Box<dyn Impl>> = vec![
        Box::new(wal::ThisCrate),
        Box::new(CDriven),
        Box::new(wal::Upstream),
        Box::new(Raw::default()),
        Box::new(Raw {
            prealloc: Some(prealloc),
            ..Raw::default()
        }),
    ];
    let peers = keep(peers);
    let samples = alternate(peers.len(), cfg.reps, |p, _| {
        let dir = fresh_dir(&cfg.data_dir, "w3");
        let writer = peers[p]
            .writer(&dir, Mode::Async, Layout::default(), &["s"])
            .expect("open a writer");
        let mut e = entry();
        writer.append(0, &e).expect("append"); // creates the stream; not timed
        let t = Instant::now();
        writer.append_n(&mut e, n).expect("append");
        let secs = t.elapsed().as_secs_f64();
        drop(writer);
        check_on_disk(&*peers[p], &dir, n * ENTRY as u64);
        let _ = std::fs::remove_dir_all(&dir);
        let s = Sample {
            ops: n,
            bytes: n * ENTRY as u64,
            secs,
            ..Default::default()
        };
        log_sample(&peers[p].name(), &s);
        s
    });
    let mut rows = rows(&peers, "raw", samples);
    for r in &mut rows {
        r.note = match r.imp.as_str() {
            "ironwal C-driven" => "C loop calling ironwal_append".into(),
            "raw" => "one write per entry".into(),
            "raw prealloc" => "one write per entry, zero-filled file".into(),
            "upstream" => "buffers appends in user space (64 KiB)".into(),
            _ => String::new(),
        };
    }
    Group {
        workload: "W3",
        short: "W3".into(),
        title,
        rows,
    }
}

// ---------------------------------------------------------------------------------
// W4: append_batch of 1000 x 1 KiB in BatchOnly.

pub fn w4(cfg: &Config) -> Group {
    const BATCH: usize = 1000;
    const SIZE: usize = 1024;
    let title = "W4: BatchOnly, append_batch of 1000 × 1 KiB".to_string();
    eprintln!("{title}");
    let prealloc = (cfg.w4_max_batches + 2) * (BATCH * (SIZE + 8)) as u64 + MIB;
    let peers: Vec<Box<dyn Impl>> = vec![
        Box::new(wal::ThisCrate),
        Box::new(wal::Upstream),
        Box::new(OkayWal),
        Box::new(Raw::default()),
        Box::new(Raw {
            prealloc: Some(prealloc),
            ..Raw::default()
        }),
        Box::new(Raw {
            coalesce: true,
            ..Raw::default()
        }),
    ];
    let peers = keep(peers);
    let data: Vec<Vec<u8>> = (0..BATCH)
        .map(|i| (0..SIZE).map(|j| (i * 31 + j * 7) as u8).collect())
        .collect();
    let batch: Vec<&[u8]> = data.iter().map(|v| v.as_slice()).collect();
    let raw = sliced(
        peers.len(),
        cfg.reps,
        cfg.w4_budget,
        cfg.slice,
        |p| {
            let dir = fresh_dir(&cfg.data_dir, &format!("w4-{p}"));
            let writer = peers[p]
                .writer(&dir, Mode::BatchOnly, Layout::default(), &["s"])
                .expect("open a writer");
            writer.append_batch(0, &batch).expect("append_batch"); // creates the stream; not timed
            (dir, writer, 0u64)
        },
        |_, (_, writer, batches), slice| {
            let t = Instant::now();
            let mut n = 0u64;
            while *batches < cfg.w4_max_batches && (n == 0 || t.elapsed() < slice) {
                writer.append_batch(0, &batch).expect("append_batch");
                *batches += 1;
                n += 1;
            }
            (
                n * BATCH as u64,
                t.elapsed().as_secs_f64(),
                *batches >= cfg.w4_max_batches,
            )
        },
        |p, (dir, writer, _), ops| {
            drop(writer);
            check_on_disk(&*peers[p], &dir, ops * SIZE as u64);
            let _ = std::fs::remove_dir_all(&dir);
        },
    );
    let samples = samples_of(&peers, raw, SIZE as u64);
    let mut rows = rows(&peers, "raw", samples);
    for r in &mut rows {
        r.note = match r.imp.as_str() {
            "raw" => "write per entry + fdatasync per batch".into(),
            "raw prealloc" => "write per entry + fdatasync per batch, zero-filled file".into(),
            "raw 1 write/batch" => "the batch copied into one buffer, one write + fdatasync".into(),
            "okaywal" => "one entry of 1000 chunks + commit".into(),
            _ => String::new(),
        };
    }
    Group {
        workload: "W4",
        short: "W4".into(),
        title,
        rows,
    }
}

// ---------------------------------------------------------------------------------
// W5, W6: reads of one stream of `read_entries` 128 B entries.

/// The two layouts the reads run on: everything in the active segment (the default
/// 64 MiB segments), and mostly sealed segments (4 MiB), where `ReadStrategy` applies
/// (IronWal maps only sealed segments; upstream indexes only sealed segments).
fn read_layouts() -> [(&'static str, &'static str, Layout); 2] {
    [
        (
            "active",
            "default 64 MiB segments: all in the active segment",
            Layout::default(),
        ),
        (
            "sealed",
            "4 MiB segments: ~85% in sealed segments",
            Layout {
                max_segment_size: Some(4 * MIB),
                max_entries_per_segment: None,
            },
        ),
    ]
}

fn read_peers() -> Vec<Box<dyn Impl>> {
    vec![
        Box::new(wal::ThisCrate),
        Box::new(wal::Upstream),
        Box::new(Raw::default()),
    ]
}

/// Writes the read data set of every peer and layout; returns its directory.
fn prepare_reads(cfg: &Config) -> PathBuf {
    let base = fresh_dir(&cfg.data_dir, "reads");
    for (lname, _, layout) in read_layouts() {
        for p in keep(read_peers()) {
            let dir = base.join(format!("{}-{lname}", p.name()));
            let writer = p
                .writer(&dir, Mode::Async, layout, &["s"])
                .expect("open a writer");
            let mut e = entry();
            writer.append_n(&mut e, cfg.read_entries).expect("append");
            drop(writer);
            let (bytes, files) = disk_usage(&dir);
            progress(&format!(
                "data set {:<10} {lname}: {} entries, {} files, {:.1} MiB",
                p.name(),
                cfg.read_entries,
                files,
                bytes as f64 / MIB as f64
            ));
        }
    }
    flush_writeback();
    base
}

pub fn w5_w6(cfg: &Config, which: &[&'static str]) -> Vec<Group> {
    eprintln!(
        "W5/W6: preparing {}k-entry streams",
        cfg.read_entries / 1000
    );
    let base = prepare_reads(cfg);
    let n = cfg.read_entries;
    let mut rng = Rng::new(0x1badb002);
    let ids: Vec<u64> = (0..cfg.gets).map(|_| rng.next() % n).collect();
    let mut groups = Vec::new();
    for &workload in which {
        for (lname, ldesc, layout) in read_layouts() {
            for strategy in [Strategy::StandardIo, Strategy::Mmap] {
                let title = if workload == "W5" {
                    format!(
                        "W5: random get over {}k entries, {}, {ldesc}",
                        n / 1000,
                        strategy.label()
                    )
                } else {
                    format!(
                        "W6: sequential iter over {}k entries, {}, {ldesc}",
                        n / 1000,
                        strategy.label()
                    )
                };
                eprintln!("{title}");
                let peers = keep(read_peers());
                let samples = alternate(peers.len(), cfg.reps, |p, _| {
                    let dir = base.join(format!("{}-{lname}", peers[p].name()));
                    let reader = peers[p]
                        .reader(&dir, strategy, layout, "s")
                        .expect("open a reader");
                    evict_cpu_caches();
                    let s = if workload == "W5" {
                        let t = Instant::now();
                        let mut done = 0u64;
                        for (k, &id) in ids.iter().enumerate() {
                            let e = reader.get(id).expect("get").expect("the entry exists");
                            assert_eq!(
                                stamped(&e),
                                id,
                                "{}: get({id}) returned another entry",
                                peers[p].name()
                            );
                            done += 1;
                            if k as u64 + 1 >= MIN_GETS
                                && (k < 64 || k % 16 == 0)
                                && t.elapsed() > cfg.get_budget
                            {
                                break;
                            }
                        }
                        let secs = t.elapsed().as_secs_f64();
                        Sample {
                            ops: done,
                            bytes: done * ENTRY as u64,
                            secs,
                            ..Default::default()
                        }
                    } else {
                        // Whole scans, repeated until the sample has lasted the budget.
                        let t = Instant::now();
                        let (mut count, mut bytes) = (0u64, 0u64);
                        while count == 0 || t.elapsed() < cfg.get_budget {
                            let (c, b) = reader
                                .scan(&mut |i, e| {
                                    assert_eq!(stamped(e), i, "iter yielded entries out of order")
                                })
                                .expect("scan");
                            assert_eq!(
                                c,
                                n,
                                "{}: iter yielded {c} entries, not {n}",
                                peers[p].name()
                            );
                            count += c;
                            bytes += b;
                        }
                        let secs = t.elapsed().as_secs_f64();
                        Sample {
                            ops: count,
                            bytes,
                            secs,
                            ..Default::default()
                        }
                    };
                    log_sample(&peers[p].name(), &s);
                    s
                });
                let mut rows = rows(&peers, "raw", samples);
                for r in &mut rows {
                    r.note = match (workload, r.imp.as_str(), strategy) {
                        ("W5", "raw", Strategy::StandardIo) => {
                            "in-memory offset index + one preadv, CRC".into()
                        }
                        ("W5", "raw", Strategy::Mmap) => {
                            "in-memory offset index + copy from a mapping, CRC".into()
                        }
                        ("W6", "raw", Strategy::StandardIo) => {
                            "sequential 128 KiB reads, CRC, a Vec per entry".into()
                        }
                        ("W6", "raw", Strategy::Mmap) => {
                            "walk over a mapping, CRC, a Vec per entry".into()
                        }
                        _ => String::new(),
                    };
                    let median_ops = r.median().ops;
                    if workload == "W5" && median_ops < 1000 {
                        let sep = if r.note.is_empty() { "" } else { "; " };
                        r.note = format!(
                            "{}{sep}only {median_ops} gets fit in a sample ({} ms budget)",
                            r.note,
                            cfg.get_budget.as_millis()
                        );
                    }
                }
                let short = format!(
                    "{workload} {} {lname}",
                    if strategy == Strategy::Mmap {
                        "Mmap"
                    } else {
                        "Std"
                    }
                );
                groups.push(Group {
                    workload,
                    short,
                    title,
                    rows,
                });
            }
        }
    }
    if !KEEP_DATA.get().copied().unwrap_or(false) {
        let _ = std::fs::remove_dir_all(&base);
    }
    groups
}

// ---------------------------------------------------------------------------------
// W7: reopen of N entries in 4 streams, and of 10 N; each open in a child process.

pub const W7_STREAMS: [&str; 4] = ["s0", "s1", "s2", "s3"];

/// Segments of 30% of the 1× case's entries per stream, in both cases: the 1× and 10×
/// streams then end with the same active-segment tail (10% of the 1× stream), so the
/// two opens differ only in the sealed segments (3 vs 33 per stream).
pub fn w7_layout(cfg: &Config) -> Layout {
    let per_stream = cfg.w7_entries / W7_STREAMS.len() as u64;
    Layout {
        max_segment_size: None,
        max_entries_per_segment: Some(per_stream * 3 / 10),
    }
}

/// The W7 peers: (adapter name, read strategy, label).
const W7_PEERS: [(&str, Strategy, &str); 4] = [
    ("ironwal", Strategy::StandardIo, "ironwal (StandardIo)"),
    ("ironwal", Strategy::Mmap, "ironwal (Mmap)"),
    ("upstream", Strategy::Mmap, "upstream (Mmap)"),
    ("raw", Strategy::StandardIo, "raw full scan"),
];

pub fn w7(cfg: &Config) -> Vec<Group> {
    let layout = w7_layout(cfg);
    let mut groups = Vec::new();
    for factor in [1u64, 10] {
        let total = cfg.w7_entries * factor;
        let per_stream = total / W7_STREAMS.len() as u64;
        let title = format!(
            "W7: reopen of {} entries in 4 streams ({factor}× case; segments of {}k entries)",
            human(total),
            layout.max_entries_per_segment.unwrap() / 1000
        );
        eprintln!("{title}");
        let base = fresh_dir(&cfg.data_dir, &format!("w7-{factor}x"));
        let mut sizes = Vec::new();
        for name in ["ironwal", "upstream", "raw"] {
            let imp = adapters::by_name(name).expect("a known adapter");
            let dir = base.join(name);
            let t = Instant::now();
            let writer = imp
                .writer(&dir, Mode::Async, layout, &W7_STREAMS)
                .expect("open a writer");
            let mut e = entry();
            for i in 0..per_stream {
                stamp(&mut e, i);
                for s in 0..W7_STREAMS.len() {
                    writer.append(s, &e).expect("append");
                }
            }
            drop(writer);
            let (bytes, files) = disk_usage(&dir);
            progress(&format!(
                "data set {name:<9} {} entries: {files} files, {:.0} MiB, written in {:.1} s",
                human(total),
                bytes as f64 / MIB as f64,
                t.elapsed().as_secs_f64()
            ));
            sizes.push((name, bytes, files));
        }
        flush_writeback();
        let samples = alternate(W7_PEERS.len(), cfg.w7_reps, |p, _| {
            let (name, strategy, label) = W7_PEERS[p];
            let dir = base.join(name);
            warm(&dir);
            let s = reopen_in_child(&dir, name, strategy, layout, per_stream);
            progress(&format!(
                "{label:<22} open {:>9.1} ms, peak RSS {:>7.1} MiB (process floor {:.1} MiB)",
                s.secs * 1e3,
                s.peak_rss_kib.unwrap_or(0) as f64 / 1024.0,
                s.base_rss_kib.unwrap_or(0) as f64 / 1024.0
            ));
            Sample {
                ops: total,
                bytes: total * ENTRY as u64,
                ..s
            }
        });
        let rows = W7_PEERS
            .iter()
            .zip(samples)
            .map(|(&(name, _, label), samples)| {
                let (_, bytes, files) = sizes
                    .iter()
                    .find(|s| s.0 == name)
                    .copied()
                    .expect("a data set");
                Row {
                    imp: label.to_string(),
                    baseline: name == "raw",
                    samples,
                    note: format!(
                        "{files} files, {:.0} MiB on disk",
                        bytes as f64 / MIB as f64
                    ),
                }
            })
            .collect();
        if !KEEP_DATA.get().copied().unwrap_or(false) {
            let _ = std::fs::remove_dir_all(&base);
        }
        groups.push(Group {
            workload: "W7",
            short: format!("W7 {factor}×"),
            title,
            rows,
        });
    }
    groups
}

fn reopen_in_child(
    dir: &Path,
    imp: &str,
    strategy: Strategy,
    layout: Layout,
    per_stream: u64,
) -> Sample {
    // The running binary itself, even if a rebuild replaced the file meanwhile.
    let out = std::process::Command::new("/proc/self/exe")
        .arg("--child-reopen")
        .arg(imp)
        .arg(strategy.label())
        .arg(dir)
        .arg(per_stream.to_string())
        .arg(
            layout
                .max_entries_per_segment
                .unwrap_or(u64::MAX)
                .to_string(),
        )
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "reopen child for {imp} failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("REOPEN "))
        .expect("the child's REOPEN line");
    let field = |k: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .and_then(|v| v.parse().ok())
            .expect("a field of the REOPEN line")
    };
    Sample {
        ops: 0,
        bytes: 0,
        secs: field("secs"),
        peak_rss_kib: Some(field("peak_kib") as u64),
        base_rss_kib: Some(field("base_kib") as u64),
    }
}

/// The child side of W7: opens the log, prints `REOPEN secs=.. peak_kib=.. base_kib=..`.
pub fn child_reopen(args: &[String]) -> std::io::Result<()> {
    let [imp, strategy, dir, per_stream, seg_entries] = args else {
        return Err(std::io::Error::other(
            "usage: --child-reopen IMPL STRATEGY DIR PER_STREAM SEG_ENTRIES",
        ));
    };
    let strategy = if strategy == "Mmap" {
        Strategy::Mmap
    } else {
        Strategy::StandardIo
    };
    let seg: u64 = seg_entries.parse().map_err(adapters::other)?;
    let layout = Layout {
        max_segment_size: None,
        max_entries_per_segment: (seg != u64::MAX).then_some(seg),
    };
    let imp =
        adapters::by_name(imp).ok_or_else(|| std::io::Error::other("unknown implementation"))?;
    let (base, _) = adapters::rss_kib();
    let (secs, peak) = imp.reopen(
        Path::new(dir),
        strategy,
        layout,
        &W7_STREAMS,
        per_stream.parse().map_err(adapters::other)?,
    )?;
    println!("REOPEN secs={secs} peak_kib={peak} base_kib={base}");
    Ok(())
}

pub fn human(n: u64) -> String {
    if n >= 1_000_000 && n % 1_000_000 == 0 {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 && n % 1000 == 0 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}
