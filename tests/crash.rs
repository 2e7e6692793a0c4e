//! Crash tests: this test binary re-runs itself as a child process that writes to a
//! WAL and is killed with SIGKILL at a random moment. The parent then checks that
//! every acknowledged entry survived exactly, ids are dense, and the stream accepts
//! appends. Also: a lock held by a killed process is released.
//!
//! The child tests (`child_writer`, `child_group_writer`, `child_lock_holder`) do
//! nothing unless the environment variable `IRONWAL_CRASH_CHILD` is set.
//!
//! `IRONWAL_CRASH_ITERS` sets the iterations per sync mode (default 30);
//! `IRONWAL_CRASH_SEED` replays a run.

mod common;

use common::*;
use ironwal::*;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

const CHILD_ENV: &str = "IRONWAL_CRASH_CHILD";
const DIR_ENV: &str = "IRONWAL_CRASH_DIR";
const MODE_ENV: &str = "IRONWAL_CRASH_MODE";
const SEED_ENV: &str = "IRONWAL_CRASH_CHILD_SEED";

const STREAMS: [&str; 2] = ["crash", "crash/two"];

/// The content of entry `id` of stream `s`: its length and bytes follow from (s, id).
fn crash_payload(s: &str, id: u64) -> Vec<u8> {
    let len = (splitmix(hash_str(s) ^ id) % 700) as usize;
    payload_sized(s, id, len)
}

fn crash_opts(dir: &Path, mode: &str) -> WalOptions {
    let mut o = WalOptions::new(dir);
    o.sync_mode = match mode {
        "strict" => SyncMode::Strict,
        "async" => SyncMode::Async,
        "batch" => SyncMode::BatchOnly,
        m => panic!("unknown mode {m}"),
    };
    // Small segments so that crashes also hit rotation.
    o.max_segment_size = 32 * 1024;
    o
}

// ---------------------------------------------------------------------------------
// Children
// ---------------------------------------------------------------------------------

fn out_line(line: &str) {
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes()).unwrap();
    out.write_all(b"\n").unwrap();
    out.flush().unwrap();
}

#[test]
fn child_writer() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("writer") {
        return;
    }
    let dir = PathBuf::from(std::env::var(DIR_ENV).unwrap());
    let mode = std::env::var(MODE_ENV).unwrap();
    let seed: u64 = std::env::var(SEED_ENV).unwrap().parse().unwrap();
    let mut rng = XorShift::new(seed);
    let wal = Wal::new(crash_opts(&dir, &mode)).unwrap();
    let mut next: Vec<u64> = STREAMS
        .iter()
        .map(|s| wal.bounds(s).unwrap().map(|b| b.end).unwrap_or(0))
        .collect();
    out_line("READY");
    // Guard against an orphan if the parent disappears.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let si = (rng.next_u64() % 2) as usize;
        let s = STREAMS[si];
        let kind = rng.next_u64() % 3;
        let range = if kind == 0 {
            let id = next[si];
            let got = wal.append(s, &crash_payload(s, id)).unwrap();
            assert_eq!(got, id);
            id..id + 1
        } else {
            let k = rng.range(1, 9);
            let e: Vec<Vec<u8>> = (next[si]..next[si] + k)
                .map(|id| crash_payload(s, id))
                .collect();
            let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
            if kind == 1 {
                wal.append_batch(s, &refs).unwrap()
            } else {
                let mut w = wal.writer(s);
                for v in e {
                    w.add(v);
                }
                w.commit().unwrap()
            }
        };
        assert_eq!(range.start, next[si]);
        next[si] = range.end;
        out_line(&format!("ACK {si} {} {}", range.start, range.end));
        // Now and then, truncate: the intent is printed first, so the parent knows
        // the highest safe id any (possibly interrupted) truncate may have used.
        if rng.next_u64() % 64 == 0 && next[si] > 200 {
            let safe = next[si] - rng.range(50, 200);
            out_line(&format!("TRUNC {si} {safe}"));
            wal.truncate(s, safe).unwrap();
        }
    }
}

/// Group commit under SIGKILL: this many threads append to one Strict stream.
const GROUP_WRITERS: u64 = 8;
const GROUP_STREAM: &str = "group";

/// The `seq`-th entry writer `writer` of child run `run` appends: it names all three,
/// so the parent can tell whose entry each id holds.
fn group_payload(run: u64, writer: u64, seq: u64) -> Vec<u8> {
    let mut v = format!("r{run} w{writer} s{seq} ").into_bytes();
    v.extend(crash_payload(GROUP_STREAM, run ^ (writer << 40) ^ seq));
    v
}

/// Parses the `(run, writer, seq)` a group entry names.
fn group_names(entry: &[u8]) -> Option<(u64, u64, u64)> {
    let mut fields = entry.splitn(4, |&b| b == b' ');
    let mut field = |prefix: u8| -> Option<u64> {
        let digits = fields.next()?.strip_prefix(&[prefix])?;
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    Some((field(b'r')?, field(b'w')?, field(b's')?))
}

#[test]
fn child_group_writer() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("group") {
        return;
    }
    let dir = PathBuf::from(std::env::var(DIR_ENV).unwrap());
    let run: u64 = std::env::var(SEED_ENV).unwrap().parse().unwrap();
    let wal = Wal::new(crash_opts(&dir, "strict")).unwrap();
    out_line("READY");
    std::thread::scope(|scope| {
        for writer in 0..GROUP_WRITERS {
            let wal = &wal;
            scope.spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                for seq in 0.. {
                    if Instant::now() > deadline {
                        break;
                    }
                    let id = wal
                        .append(GROUP_STREAM, &group_payload(run, writer, seq))
                        .unwrap();
                    out_line(&format!("GACK {writer} {seq} {id}"));
                }
            });
        }
    });
}

#[test]
fn child_lock_holder() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("lock") {
        return;
    }
    let dir = PathBuf::from(std::env::var(DIR_ENV).unwrap());
    let wal = Wal::new(WalOptions::new(&dir)).unwrap();
    let id = wal.append("held", b"written by the child").unwrap();
    out_line(&format!("LOCKED {id}"));
    std::thread::sleep(Duration::from_secs(30));
    drop(wal);
}

// ---------------------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------------------

fn spawn_child(test: &str, role: &str, dir: &Path, mode: &str, seed: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1", "-q"])
        .env(CHILD_ENV, role)
        .env(DIR_ENV, dir)
        .env(MODE_ENV, mode)
        .env(SEED_ENV, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child test process")
}

/// Reads the child's stdout on a thread; complete lines are sent over the channel.
fn line_reader(child: &mut Child) -> (mpsc::Receiver<String>, std::thread::JoinHandle<()>) {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        let mut r = BufReader::new(out);
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    // A line without its newline was cut by the kill: not acknowledged.
                    if line.ends_with('\n') && tx.send(line.trim_end().to_string()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    (rx, h)
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut s);
    }
    s
}

fn wait_for(rx: &mpsc::Receiver<String>, prefix: &str, child: &mut Child, lines: &mut Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(l) => {
                let done = l.starts_with(prefix);
                lines.push(l);
                if done {
                    return;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "child exited ({status}) before {prefix}: {}",
                        stderr_of(child)
                    );
                }
                assert!(Instant::now() < deadline, "child never printed {prefix}");
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("child closed stdout before {prefix}: {}", stderr_of(child));
            }
        }
    }
}

/// Runs the child `test` (in `role`) on `dir` until it is ready, lets it write for
/// `delay`, kills it with SIGKILL and returns the complete lines it printed.
fn run_and_kill(
    (test, role): (&str, &str),
    dir: &Path,
    mode: &str,
    child_seed: u64,
    delay: Duration,
    ctx: &str,
) -> Vec<String> {
    let mut child = spawn_child(test, role, dir, mode, child_seed);
    let (rx, reader) = line_reader(&mut child);
    let mut lines = Vec::new();
    wait_for(&rx, "READY", &mut child, &mut lines);
    std::thread::sleep(delay);
    child.kill().expect("SIGKILL the child");
    child.wait().unwrap();
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    let stderr = stderr_of(&mut child);
    assert!(
        !lines.iter().any(|l| l.contains("panicked")) && !stderr.contains("panicked"),
        "{ctx}: the child panicked: {stderr}"
    );
    lines
}

/// Iterations per test: `IRONWAL_CRASH_ITERS`, else `default_iters`.
fn iterations(default_iters: usize) -> usize {
    std::env::var("IRONWAL_CRASH_ITERS")
        .ok()
        .map(|v| v.parse().expect("IRONWAL_CRASH_ITERS must be a number"))
        .unwrap_or(default_iters)
}

fn crash_iterations(mode: &str, default_iters: usize) {
    let iters = iterations(default_iters);
    let seed = seed_from_env_or_time("IRONWAL_CRASH_SEED");
    let mut rng = XorShift::new(seed ^ hash_str(mode));
    let mut tmp = TempDir::new().unwrap();
    let mut total_acked = 0u64;
    let mut total_truncates = 0u64;
    let mut run = 0;
    // Highest truncate intent per stream since the WAL directory was created.
    let mut truncated = [0u64; 2];
    for iter in 0..iters {
        // A fresh WAL every 6 iterations; in between the child continues the WAL
        // recovered after the previous kill.
        if iter % 6 == 0 {
            tmp = TempDir::new().unwrap();
            truncated = [0; 2];
        }
        let dir = tmp.path().join("wal");
        let child_seed = rng.next_u64();
        let delay = Duration::from_millis(rng.range(5, 80));
        let ctx =
            format!("mode {mode}, iteration {iter}, IRONWAL_CRASH_SEED={seed}, delay {delay:?}");
        let lines = run_and_kill(
            ("child_writer", "writer"),
            &dir,
            mode,
            child_seed,
            delay,
            &ctx,
        );

        // Highest acknowledged end and truncate intent per stream.
        let mut acked = [0u64; 2];
        for l in &lines {
            if let Some(rest) = l.strip_prefix("TRUNC ") {
                let v: Vec<u64> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
                let si = v[0] as usize;
                truncated[si] = truncated[si].max(v[1]);
                total_truncates += 1;
            }
            if let Some(rest) = l.strip_prefix("ACK ") {
                let v: Vec<u64> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
                let si = v[0] as usize;
                assert_eq!(v[1], acked[si].max(v[1]), "{ctx}: acks out of order");
                acked[si] = acked[si].max(v[2]);
                total_acked += v[2] - v[1];
            }
        }

        // Recover and verify, every other time reading through mappings (with `Mmap`
        // the active segment is read through the mapping recovery scanned it with).
        let mut o = crash_opts(&dir, mode);
        if iter % 2 == 1 {
            o.read_strategy = ReadStrategy::Mmap;
        }
        let ctx = format!("{ctx}, {:?}", o.read_strategy);
        let wal = match Wal::new(o.clone()) {
            Ok(w) => w,
            Err(e) => panic!("{ctx}: reopen after SIGKILL failed: {e:?}"),
        };
        for (si, s) in STREAMS.iter().enumerate() {
            let b = wal.bounds(s).unwrap();
            let end = b.clone().map(|b| b.end).unwrap_or(0);
            let first = b.clone().map(|b| b.start).unwrap_or(0);
            // Only a truncate the child started may have removed a beginning.
            assert!(
                first <= truncated[si],
                "{ctx}: stream {s} starts at {first}, truncates asked for at most {}",
                truncated[si]
            );
            if si == 0 && b.is_some() {
                let segs = segments(&dir.join(s));
                assert_eq!(
                    segs.first(),
                    Some(&first),
                    "{ctx}: bounds start is the first segment"
                );
            }
            assert!(
                end >= acked[si],
                "{ctx}: stream {s} has {end} entries, {} acknowledged",
                acked[si]
            );
            // Every entry present is exact, in order, dense.
            let mut count = 0u64;
            for (i, item) in wal.iter(s, 0).unwrap().enumerate() {
                let id = first + i as u64;
                let v = item.unwrap_or_else(|e| panic!("{ctx}: {s} iter item {id}: {e:?}"));
                assert!(
                    v == crash_payload(s, id),
                    "{ctx}: {s} entry {id} has wrong content"
                );
                count += 1;
            }
            assert_eq!(count, end - first, "{ctx}: {s} iter count vs bounds");
            for id in (first.max(truncated[si])..acked[si]).rev().take(20) {
                assert_eq!(
                    wal.get(s, id).unwrap(),
                    Some(crash_payload(s, id)),
                    "{ctx}: {s} get({id})"
                );
            }
            assert_eq!(wal.get(s, end).unwrap(), None, "{ctx}");
            // The stream accepts appends with the next id.
            assert_eq!(
                wal.append(s, &crash_payload(s, end)).unwrap(),
                end,
                "{ctx}: {s} next id"
            );
            assert_eq!(
                wal.get(s, end).unwrap(),
                Some(crash_payload(s, end)),
                "{ctx}"
            );
        }
        drop(wal);
        run += 1;
    }
    let summary = format!(
        "crash test ({mode}): {run} iterations run, {total_acked} acknowledged entries verified, {total_truncates} truncates"
    );
    eprintln!("{summary}");
    assert_eq!(run, iters);
    assert!(
        iters == 0 || total_acked > 0,
        "the children never acknowledged anything"
    );
}

#[test]
fn crash_kill9_strict() {
    crash_iterations("strict", 30);
}

#[test]
fn crash_kill9_async() {
    crash_iterations("async", 30);
}

#[test]
fn crash_kill9_batch_only() {
    // Fewer iterations by default: BatchOnly sits between the other two modes.
    crash_iterations("batch", 10);
}

/// Eight threads append to one Strict stream (so their fsyncs are shared) until
/// SIGKILL. After recovery every acknowledged entry is where its append said, and each
/// writer's entries form an unbroken prefix: an entry a writer appended after one
/// that is missing would mean an append returned before its entry reached the kernel,
/// or recovery dropped it. (A process kill keeps what the kernel holds; durability
/// against power loss is `sim_crash_concurrent_strict_appends`'s part.)
#[test]
fn crash_kill9_group_commit() {
    let iters = iterations(30);
    let seed = seed_from_env_or_time("IRONWAL_CRASH_SEED");
    let mut rng = XorShift::new(seed ^ hash_str(GROUP_STREAM));
    let mut tmp = TempDir::new().unwrap();
    // Every acknowledgement since the WAL directory was created: (run, writer, seq, id).
    let mut acked: Vec<(u64, u64, u64, u64)> = Vec::new();
    let mut total_acked = 0;
    for iter in 0..iters {
        if iter % 6 == 0 {
            tmp = TempDir::new().unwrap();
            acked.clear();
        }
        let dir = tmp.path().join("wal");
        let run = rng.next_u64() >> 1;
        let delay = Duration::from_millis(rng.range(5, 80));
        let ctx =
            format!("group commit, iteration {iter}, IRONWAL_CRASH_SEED={seed}, delay {delay:?}");
        let lines = run_and_kill(
            ("child_group_writer", "group"),
            &dir,
            "strict",
            run,
            delay,
            &ctx,
        );
        for line in &lines {
            if let Some(rest) = line.strip_prefix("GACK ") {
                let v: Vec<u64> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
                acked.push((run, v[0], v[1], v[2]));
                total_acked += 1;
            }
        }

        let wal = Wal::new(crash_opts(&dir, "strict"))
            .unwrap_or_else(|e| panic!("{ctx}: reopen after SIGKILL failed: {e:?}"));
        let entries: Vec<Vec<u8>> = wal
            .iter(GROUP_STREAM, 0)
            .unwrap()
            .collect::<Result<_>>()
            .unwrap_or_else(|e| panic!("{ctx}: iterating: {e:?}"));
        assert_eq!(
            wal.bounds(GROUP_STREAM).unwrap().map_or(0, |b| b.end),
            entries.len() as u64,
            "{ctx}: ids are dense from 0"
        );
        // Each (run, writer)'s entries, in id order, are its appends 0, 1, 2, ...
        let mut next_seq = std::collections::HashMap::new();
        for (id, entry) in entries.iter().enumerate() {
            let (r, w, s) = group_names(entry)
                .unwrap_or_else(|| panic!("{ctx}: entry {id} is no writer's entry"));
            assert!(
                *entry == group_payload(r, w, s),
                "{ctx}: entry {id} is damaged"
            );
            let expected = next_seq.entry((r, w)).or_insert(0);
            assert_eq!(
                s, *expected,
                "{ctx}: entry {id}: run {r} writer {w} skipped an append"
            );
            *expected += 1;
        }
        for &(r, w, s, id) in &acked {
            assert!(
                entries.get(id as usize) == Some(&group_payload(r, w, s)),
                "{ctx}: acknowledged entry {id} (run {r}, writer {w}, append {s}) is lost"
            );
        }
    }
    eprintln!(
        "crash test (group commit): {iters} iterations run, {total_acked} acknowledged entries verified"
    );
    assert!(
        iters == 0 || total_acked > 0,
        "the children never acknowledged anything"
    );
}

#[test]
fn lock_released_when_holder_is_killed() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut child = spawn_child("child_lock_holder", "lock", &dir, "strict", 0);
    let (rx, reader) = line_reader(&mut child);
    let mut lines = Vec::new();
    wait_for(&rx, "LOCKED", &mut child, &mut lines);
    assert_eq!(lines.last().unwrap(), "LOCKED 0");
    // Another process holds the lock.
    let o = opts(&dir);
    for _ in 0..3 {
        match Wal::new(o.clone()) {
            Err(Error::Locked(msg)) => assert!(!msg.is_empty()),
            Err(e) => panic!("expected Error::Locked while the child holds the WAL, got {e:?}"),
            Ok(_) => panic!("opened a WAL that another process holds"),
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    let wal = open(&o);
    assert_eq!(
        wal.get("held", 0).unwrap(),
        Some(b"written by the child".to_vec())
    );
    assert_eq!(wal.append("held", b"parent").unwrap(), 1);
    drop(wal);
    // And the parent's lock is released on drop.
    let wal = open(&o);
    assert_eq!(wal.bounds("held").unwrap(), Some(0..2));
}
