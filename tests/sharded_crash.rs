#![cfg(feature = "sharded")]
//! Kill -9 of a process using a `ShardedWal` at random moments, then recovery checks.
//!
//! `sigkill_during_sharded_workload` re-runs this test binary as a child running only
//! `crash_child` (a no-op unless `IRONWAL_SHARDED_CRASH_CHILD` is set). The child opens
//! the WAL and runs a deterministic workload (appends, batches, checkpoints, compaction,
//! pruning), printing what was acknowledged. The parent SIGKILLs it after a random
//! 20..150 ms, reopens, and checks everything against a replay of the same workload.
//! All iterations ("generations") share one root, so each child also recovers from the
//! previous kill. Iterations: `IRONWAL_SHARDED_CRASH_ITERS` (default 20); seed:
//! `IRONWAL_SHARDED_CRASH_SEED` (printed on failure).

mod sharded_common;

use ironwal::sharded::{shard_for_key, ShardedWal};
use ironwal::SyncMode;
use sharded_common::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const CHILD_ENV: &str = "IRONWAL_SHARDED_CRASH_CHILD";
const SHARDS: u16 = 4;
const ENTRIES_PER_SEGMENT: u64 = 16;
/// The child stops (and exits 0) after this many operations if not killed first.
const MAX_STEPS: u64 = 200_000;

fn mode_of(generation: u32) -> SyncMode {
    [SyncMode::Async, SyncMode::Strict, SyncMode::BatchOnly][generation as usize % 3]
}

fn checkpoint_name(generation: u32, n: u64) -> Vec<u8> {
    format!("g{generation}ck{n}").into_bytes()
}

/// `(generation, n)` of a checkpoint name: also its creation order.
fn parse_checkpoint_name(name: &[u8]) -> (u32, u64) {
    let s = std::str::from_utf8(name).expect("utf-8 checkpoint name");
    let rest = s
        .strip_prefix('g')
        .unwrap_or_else(|| panic!("odd checkpoint {s:?}"));
    let (g, n) = rest
        .split_once("ck")
        .unwrap_or_else(|| panic!("odd checkpoint {s:?}"));
    (g.parse().unwrap(), n.parse().unwrap())
}

enum Op {
    Single(Vec<u8>, Vec<u8>),
    Batch(Vec<(Vec<u8>, Vec<u8>)>),
    ForKey(Vec<u8>, Vec<Vec<u8>>),
    Checkpoint(u64),
    Compact,
    Prune(u64),
}

/// The deterministic workload of one generation.
struct Workload {
    rng: Rng,
    generation: u32,
    counter: u64,
    checkpoints: u64,
    since_checkpoint: u32,
    steps: u64,
}

impl Workload {
    fn new(seed: u64, generation: u32) -> Workload {
        Workload {
            rng: Rng::new(seed ^ ((generation as u64 + 1) << 40)),
            generation,
            counter: 0,
            checkpoints: 0,
            since_checkpoint: 0,
            steps: 0,
        }
    }

    fn value(&mut self, key: &str) -> Vec<u8> {
        self.counter += 1;
        let pad_len = (self.counter * 7 % 61) as usize;
        let pad_byte = b'a' + (self.counter % 26) as u8;
        let mut value = format!("{key}|g{}|{}|", self.generation, self.counter).into_bytes();
        value.extend(std::iter::repeat_n(pad_byte, pad_len));
        value
    }

    fn key(&mut self) -> String {
        format!("key{}", self.rng.range(0, 29))
    }

    fn entry(&mut self) -> (Vec<u8>, Vec<u8>) {
        let key = self.key();
        let value = self.value(&key);
        (key.into_bytes(), value)
    }

    fn next(&mut self) -> Op {
        self.steps += 1;
        if self.since_checkpoint >= 5 {
            self.since_checkpoint = 0;
            self.checkpoints += 1;
            return Op::Checkpoint(self.checkpoints);
        }
        let r = self.rng.range(0, 100);
        if r < 5 && self.checkpoints >= 3 {
            return Op::Prune(self.checkpoints - 2);
        }
        if r < 10 && self.checkpoints >= 4 {
            return Op::Compact;
        }
        self.since_checkpoint += 1;
        match self.rng.range(0, 10) {
            0..=5 => {
                let (k, v) = self.entry();
                Op::Single(k, v)
            }
            6 | 7 => {
                let n = self.rng.range(2, 9);
                Op::Batch((0..n).map(|_| self.entry()).collect())
            }
            _ => {
                let n = self.rng.range(1, 6);
                let key = self.key();
                let values = (0..n).map(|_| self.value(&key)).collect();
                Op::ForKey(key.into_bytes(), values)
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Child
// ---------------------------------------------------------------------------------

#[test]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return; // Only does something when run by the parent test.
    };
    let mut parts = spec.split('\n');
    let root = parts.next().unwrap().to_owned();
    let seed: u64 = parts.next().unwrap().parse().unwrap();
    let generation: u32 = parts.next().unwrap().parse().unwrap();
    let wal = ShardedWal::new(
        opts(Path::new(&root), mode_of(generation), ENTRIES_PER_SEGMENT),
        SHARDS,
    )
    .expect("child: open");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // Start on a fresh line: the test harness may have printed "test crash_child ... ".
    writeln!(out, "\n@READY").unwrap();
    out.flush().unwrap();
    let mut w = Workload::new(seed, generation);
    let mut line = String::new();
    while w.steps < MAX_STEPS {
        line.clear();
        match w.next() {
            Op::Single(k, v) => {
                let (s, id) = wal.append(&k, &v).expect("child: append");
                line.push_str(&format!("@A {s} {id}\n"));
            }
            Op::Batch(entries) => {
                for (s, id) in wal.append_batch(&entries).expect("child: append_batch") {
                    line.push_str(&format!("@A {s} {id}\n"));
                }
            }
            Op::ForKey(k, values) => {
                let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
                for (s, id) in wal
                    .append_batch_for_key(&k, &refs)
                    .expect("child: append_batch_for_key")
                {
                    line.push_str(&format!("@A {s} {id}\n"));
                }
            }
            Op::Checkpoint(n) => {
                wal.create_checkpoint(&checkpoint_name(generation, n))
                    .expect("child: create_checkpoint");
                line.push_str(&format!("@CK {n}\n"));
            }
            Op::Compact => {
                let stats = wal.compact_checkpoints(3).expect("child: compact");
                assert!(stats.checkpoints_after <= 3);
                line.push_str("@CO\n");
            }
            Op::Prune(n) => {
                wal.prune_before_checkpoint(&checkpoint_name(generation, n))
                    .expect("child: prune");
                line.push_str(&format!("@PR {n}\n"));
            }
        }
        out.write_all(line.as_bytes()).unwrap();
        out.flush().unwrap();
    }
    writeln!(out, "@DONE").unwrap();
}

// ---------------------------------------------------------------------------------
// Parent
// ---------------------------------------------------------------------------------

/// What one child reported before it died.
#[derive(Default)]
struct Report {
    acked: Vec<(u16, u64)>,
    last_checkpoint: Option<u64>,
    compactions: usize,
    prunes: usize,
    done: bool,
}

fn parse_report(lines: &[String]) -> Report {
    let mut r = Report::default();
    for line in lines {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("@A") => {
                let s = words.next().unwrap().parse().unwrap();
                let id = words.next().unwrap().parse().unwrap();
                r.acked.push((s, id));
            }
            Some("@CK") => r.last_checkpoint = Some(words.next().unwrap().parse().unwrap()),
            Some("@CO") => r.compactions += 1,
            Some("@PR") => r.prunes += 1,
            Some("@DONE") => r.done = true,
            _ => {}
        }
    }
    r
}

/// Runs one child until killed; returns the complete lines it printed.
fn run_child(root: &Path, seed: u64, generation: u32, delay_ms: u64) -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(
            CHILD_ENV,
            format!("{}\n{seed}\n{generation}", root.display()),
        )
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut buf = Vec::new();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                // A line cut by the kill (no newline) is not a report.
                Ok(_) if buf.last() == Some(&b'\n') => {
                    if tx
                        .send(String::from_utf8_lossy(&buf).trim().to_owned())
                        .is_err()
                    {
                        break;
                    }
                }
                Ok(_) => break,
            }
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut lines = Vec::new();
    // Wait for the child to have opened the WAL, then let it run for `delay_ms`.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let ready = line == "@READY";
                lines.push(line);
                if ready {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "generation {generation}: child never became ready; stderr:\n{}",
                    err_reader.join().unwrap()
                );
            }
        }
    }
    std::thread::sleep(Duration::from_millis(delay_ms));
    let exited_on_its_own = child.try_wait().unwrap();
    child.kill().expect("kill child");
    let status = child.wait().unwrap();
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    let stderr = err_reader.join().unwrap();
    use std::os::unix::process::ExitStatusExt;
    let killed = status.signal() == Some(libc::SIGKILL) && exited_on_its_own.is_none();
    let finished = status.success() && lines.iter().any(|l| l == "@DONE");
    assert!(
        killed || finished,
        "generation {generation}: child failed by itself ({status:?}); stderr:\n{stderr}"
    );
    lines
}

/// What the parent knows to be on disk.
struct Known {
    /// Every entry ever written to each shard (pruned ones included), by id.
    shards: Vec<Vec<Vec<u8>>>,
    /// Offsets of every checkpoint seen, by name.
    checkpoints: BTreeMap<Vec<u8>, Vec<u64>>,
    /// The latest checkpoint seen after the previous generation.
    latest: Option<(u32, u64)>,
}

fn verify_generation(
    root: &Path,
    seed: u64,
    generation: u32,
    report: &Report,
    known: &mut Known,
) -> String {
    let ctx = format!("seed {seed} generation {generation}");
    let wal = ShardedWal::new(opts(root, mode_of(generation), ENTRIES_PER_SEGMENT), SHARDS)
        .unwrap_or_else(|e| panic!("{ctx}: reopen after kill failed: {e:?}"));
    let b: Vec<std::ops::Range<u64>> = (0..SHARDS).map(|s| bounds(&wal, s)).collect();
    let list = wal.list_checkpoints();
    let keys: Vec<(u32, u64)> = list
        .iter()
        .map(|(id, _)| parse_checkpoint_name(id))
        .collect();

    // Replay this generation's workload far enough to cover what is on disk.
    let need_checkpoints = keys
        .iter()
        .filter(|(g, _)| *g == generation)
        .map(|(_, n)| *n)
        .chain(report.last_checkpoint)
        .max()
        .unwrap_or(0);
    let mut replay = known.shards.clone();
    let mut generation_checkpoints: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut w = Workload::new(seed, generation);
    let route = |replay: &mut Vec<Vec<Vec<u8>>>, k: &[u8], v: Vec<u8>| {
        replay[shard_for_key(k, SHARDS) as usize].push(v);
    };
    while (0..SHARDS as usize).any(|s| (replay[s].len() as u64) < b[s].end)
        || w.checkpoints < need_checkpoints
    {
        assert!(
            w.steps < MAX_STEPS,
            "{ctx}: the shards hold more than the workload wrote: bounds {b:?}, replayed lengths {:?}",
            replay.iter().map(|r| r.len()).collect::<Vec<_>>()
        );
        match w.next() {
            Op::Single(k, v) => route(&mut replay, &k, v),
            Op::Batch(entries) => {
                for (k, v) in entries {
                    route(&mut replay, &k, v);
                }
            }
            Op::ForKey(k, values) => {
                for v in values {
                    route(&mut replay, &k, v);
                }
            }
            Op::Checkpoint(n) => {
                generation_checkpoints.insert(n, replay.iter().map(|r| r.len() as u64).collect());
            }
            Op::Compact | Op::Prune(_) => {}
        }
    }

    // Checkpoints: in creation order, each with exactly the offsets of its moment.
    assert!(
        keys.windows(2).all(|p| p[0] < p[1]),
        "{ctx}: list not in creation order: {keys:?}"
    );
    for ((id, _), &(g, n)) in list.iter().zip(&keys) {
        let expected = if g == generation {
            generation_checkpoints.get(&n).cloned()
        } else {
            known.checkpoints.get(id).cloned()
        };
        let expected = expected.unwrap_or_else(|| {
            panic!(
                "{ctx}: checkpoint {:?} was never created",
                String::from_utf8_lossy(id)
            )
        });
        let data = wal.load_checkpoint(id).unwrap();
        assert_eq!(
            data.offsets,
            expected,
            "{ctx}: offsets of {:?}",
            String::from_utf8_lossy(id)
        );
        for s in 0..SHARDS as usize {
            assert!(
                data.offsets[s] <= b[s].end,
                "{ctx}: offsets {:?} beyond {b:?}",
                data.offsets
            );
        }
        assert_eq!(data.shard_count, SHARDS);
    }
    let latest = match wal.load_latest_checkpoint() {
        Ok((id, data)) => {
            assert_eq!(
                Some(&id),
                list.last().map(|(id, _)| id),
                "{ctx}: latest is not last"
            );
            Some((parse_checkpoint_name(&id), data))
        }
        Err(ironwal::Error::NoCheckpoints) => {
            assert!(list.is_empty());
            None
        }
        Err(e) => panic!("{ctx}: load_latest_checkpoint: {e:?}"),
    };
    let latest_key = latest.as_ref().map(|(k, _)| *k);
    if let Some(n) = report.last_checkpoint {
        assert!(
            latest_key >= Some((generation, n)),
            "{ctx}: CK {n} was acknowledged, latest is {latest_key:?}"
        );
    }
    assert!(
        latest_key >= known.latest,
        "{ctx}: latest went back from {:?} to {latest_key:?}",
        known.latest
    );

    // Shards: the latest cut is within what they hold; everything retained is exactly
    // what the workload wrote; pruning never went past the latest checkpoint.
    for s in 0..SHARDS {
        let su = s as usize;
        if let Some((_, data)) = &latest {
            let off = data.offsets[su];
            assert!(
                off <= b[su].end,
                "{ctx}: shard {s}: offset {off} beyond {:?}",
                b[su]
            );
            assert!(
                b[su].start <= off,
                "{ctx}: shard {s}: pruned past the latest checkpoint"
            );
            let after = read_shard(&wal, s, off);
            assert_eq!(
                after,
                replay[su][off as usize..b[su].end as usize].to_vec(),
                "{ctx}: shard {s} after the latest checkpoint"
            );
        }
        let got = read_shard_ids(&wal, s, b[su].start);
        assert_eq!(
            got.len() as u64,
            b[su].end - b[su].start,
            "{ctx}: shard {s} has gaps"
        );
        for (id, value) in got {
            assert_eq!(
                value, replay[su][id as usize],
                "{ctx}: shard {s} entry {id} has the wrong content"
            );
        }
    }
    for &(s, id) in &report.acked {
        assert!(
            id < b[s as usize].end,
            "{ctx}: acknowledged entry {id} of shard {s} lost (shard holds {:?})",
            b[s as usize]
        );
    }

    // Carry the verified state to the next generation.
    for s in 0..SHARDS as usize {
        replay[s].truncate(b[s].end as usize);
    }
    known.shards = replay;
    for (id, _) in &list {
        known
            .checkpoints
            .insert(id.clone(), wal.load_checkpoint(id).unwrap().offsets);
    }
    known.latest = latest_key;
    format!(
        "acked {}, checkpoints acked up to {:?}, {} compactions, {} prunes, on disk {:?}, {} checkpoints kept",
        report.acked.len(),
        report.last_checkpoint,
        report.compactions,
        report.prunes,
        b,
        list.len()
    )
}

#[test]
fn sigkill_during_sharded_workload() {
    let iterations: u32 = std::env::var("IRONWAL_SHARDED_CRASH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("IRONWAL_SHARDED_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(time_seed);
    println!("sharded crash test: seed {seed}, {iterations} iterations");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut known = Known {
        shards: vec![Vec::new(); SHARDS as usize],
        checkpoints: BTreeMap::new(),
        latest: None,
    };
    let mut delays = Rng::new(seed ^ 0xD1E);
    let mut ran = 0;
    for generation in 0..iterations {
        let delay = delays.range(20, 150);
        let lines = run_child(root, seed, generation, delay);
        let report = parse_report(&lines);
        let summary = verify_generation(root, seed, generation, &report, &mut known);
        println!(
            "generation {generation} ({:?}, killed after {delay} ms{}): {summary}",
            mode_of(generation),
            if report.done { ", finished first" } else { "" }
        );
        ran += 1;
    }
    // The WAL that survived all the kills still works.
    let wal = open_with(root, SHARDS, SyncMode::Strict, ENTRIES_PER_SEGMENT);
    let (s, id) = wal.append(b"final", b"final").unwrap();
    assert_eq!(id, known.shards[s as usize].len() as u64);
    wal.create_checkpoint(b"final").unwrap();
    let cut = next_ids(&wal);
    drop(wal);
    let wal = open_with(root, SHARDS, SyncMode::Strict, ENTRIES_PER_SEGMENT);
    let (id, data) = wal.load_latest_checkpoint().unwrap();
    assert_eq!((id, data.offsets), (b"final".to_vec(), cut));
    println!("sharded crash test: {ran} iterations ran (seed {seed})");
    assert_eq!(ran, iterations);
}
