//! Samples, medians, side-by-side alternation, scratch directories.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// One timed run of one implementation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    /// Entries written, read or recovered.
    pub ops: u64,
    /// Payload bytes of those entries.
    pub bytes: u64,
    pub secs: f64,
    /// Peak RSS (VmHWM, KiB) of the child process that ran it (W7 only).
    pub peak_rss_kib: Option<u64>,
    /// VmHWM of the same child before the open: the floor of the process.
    pub base_rss_kib: Option<u64>,
}

impl Sample {
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.secs
    }
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / self.secs / 1e6
    }
}

/// One implementation's samples in one group.
#[derive(Clone, Debug)]
pub struct Row {
    pub imp: String,
    /// The raw row that "ratio vs raw" of this group divides by.
    pub baseline: bool,
    pub samples: Vec<Sample>,
    pub note: String,
}

impl Row {
    /// The sample with the median throughput (the lower middle one for an even count).
    pub fn median(&self) -> Sample {
        let mut s = self.samples.clone();
        s.sort_by(|a, b| a.ops_per_sec().total_cmp(&b.ops_per_sec()));
        s[(s.len() - 1) / 2]
    }
    pub fn ops_per_sec(&self) -> f64 {
        self.median().ops_per_sec()
    }
    /// Median seconds of one sample.
    pub fn median_secs(&self) -> f64 {
        let mut s: Vec<f64> = self.samples.iter().map(|s| s.secs).collect();
        s.sort_by(f64::total_cmp);
        s[(s.len() - 1) / 2]
    }
    pub fn max_peak_rss_kib(&self) -> Option<u64> {
        self.samples.iter().filter_map(|s| s.peak_rss_kib).max()
    }
    pub fn base_rss_kib(&self) -> Option<u64> {
        self.samples.iter().filter_map(|s| s.base_rss_kib).min()
    }
}

/// Peers measured side by side under one setting.
#[derive(Clone, Debug)]
pub struct Group {
    /// "W1" ... "W7".
    pub workload: &'static str,
    /// A short label for the chart, e.g. "W5 Mmap sealed".
    pub short: String,
    /// The full setting, for the table.
    pub title: String,
    pub rows: Vec<Row>,
}

impl Group {
    pub fn row(&self, imp: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.imp == imp)
    }
    pub fn baseline(&self) -> Option<&Row> {
        self.rows.iter().find(|r| r.baseline)
    }
}

/// Runs `measure(peer index, repetition)` `reps` times for every peer, alternating:
/// repetition r runs every peer once, starting at peer r (rotating the order so no peer
/// always runs first or right after the same neighbour). Returns the samples per peer.
pub fn alternate(
    peers: usize,
    reps: usize,
    mut measure: impl FnMut(usize, usize) -> Sample,
) -> Vec<Vec<Sample>> {
    let mut out = vec![Vec::with_capacity(reps); peers];
    for r in 0..reps {
        for k in 0..peers {
            let p = (r + k) % peers;
            out[p].push(measure(p, r));
        }
    }
    out
}

/// Removes and recreates `base/name`.
pub fn fresh_dir(base: &Path, name: &str) -> PathBuf {
    let dir = base.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// A deterministic xorshift64* generator: the same ids for every peer.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

pub fn fmt_duration(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Bytes in the files under `dir`, and the number of files.
pub fn disk_usage(dir: &Path) -> (u64, u64) {
    let (mut bytes, mut files) = (0, 0);
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let Ok(md) = e.metadata() else { continue };
            if md.is_dir() {
                let (b, f) = disk_usage(&e.path());
                bytes += b;
                files += f;
            } else {
                bytes += md.len();
                files += 1;
            }
        }
    }
    (bytes, files)
}

/// Reads every file under `dir` once, so the page cache holds it (warm-cache runs).
pub fn warm(dir: &Path) {
    use std::io::Read;
    let mut buf = vec![0u8; 1 << 20];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                warm(&p);
            } else if let Ok(mut f) = std::fs::File::open(&p) {
                while matches!(f.read(&mut buf), Ok(n) if n > 0) {}
            }
        }
    }
}

/// Writes all dirty pages back (`sync(2)`): data sets are written in `Async` mode just
/// before they are read, and timed opens and reads must not share the machine with
/// their writeback.
pub fn flush_writeback() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// Evicts the CPU caches (writes and reads back a buffer larger than any last-level
/// cache) so a read sample starts with every peer's data in the page cache but none in
/// the CPU's caches: opening a reader must not decide the result (raw's reader scans
/// its whole file to build its offset index, which leaves a data set smaller than the
/// L3 cached; IronWal's open never reads sealed segments).
pub fn evict_cpu_caches() {
    const LEN: usize = 256 << 20;
    static BUFFER: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());
    let mut buffer = BUFFER.lock().unwrap();
    buffer.resize(LEN, 0);
    let mut sum = 0u8;
    for (i, line) in buffer.chunks_mut(64).enumerate() {
        line[0] = i as u8;
        sum = sum.wrapping_add(line[0]);
    }
    std::hint::black_box(sum);
}

/// Time-sliced alternation for workloads that depend on the device (W1, W2, W4): in
/// each repetition every peer's log is open at once, and the peers take turns in short
/// slices (round robin, starting one further each round) until each has run for
/// `budget`. A device whose speed changes over seconds (bursts, throttling, other
/// tenants) then slows every peer alike, instead of whichever ran at that moment.
///
/// `setup(p)` opens peer `p`'s log (not timed); `step(p, state, slice)` runs peer `p`
/// for about `slice` and returns (ops, seconds it took, whether the peer is finished
/// for this repetition); `teardown(p, state, ops)` closes it (not timed).
pub fn sliced<S>(
    peers: usize,
    reps: usize,
    budget: Duration,
    slice: Duration,
    mut setup: impl FnMut(usize) -> S,
    mut step: impl FnMut(usize, &mut S, Duration) -> (u64, f64, bool),
    mut teardown: impl FnMut(usize, S, u64),
) -> Vec<Vec<(u64, f64)>> {
    let rounds = (budget.as_secs_f64() / slice.as_secs_f64()).ceil().max(1.0) as usize;
    let mut out = vec![Vec::with_capacity(reps); peers];
    for r in 0..reps {
        let mut states: Vec<Option<S>> = (0..peers).map(|p| Some(setup(p))).collect();
        let mut acc = vec![(0u64, 0f64, false); peers];
        for round in 0..rounds {
            for k in 0..peers {
                let p = (r + round + k) % peers;
                if acc[p].2 {
                    continue;
                }
                let (ops, secs, done) = step(p, states[p].as_mut().expect("open"), slice);
                acc[p].0 += ops;
                acc[p].1 += secs;
                acc[p].2 = done;
            }
        }
        for p in 0..peers {
            teardown(p, states[p].take().expect("open"), acc[p].0);
            out[p].push((acc[p].0, acc[p].1));
        }
    }
    out
}
