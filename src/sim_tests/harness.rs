//! The machinery of the simulated-disk tests: workloads (steps run against the real
//! engine over a `SimFs`), the model of what each step acknowledged, the crash states
//! of a disk, and the invariant checks of an engine opened on a crash state.

use crate::format::stream_name;
use crate::sharded::{shard_for_key, ShardedWal};
use crate::storage::sim_fs::{
    DiskState, FaultEffect, FileFate, FileNode, Fill, Ino, OpKind, PendingWrite, SimFs, XorShift,
};
use crate::storage::vfs::Vfs;
use crate::{CorruptionPolicy, Error, SyncMode, Wal, WalOptions};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

pub(crate) const ROOT: &str = "/wal";

/// Scale of sampling: `IRONWAL_SIM_STATES=<n>` multiplies the crash states tried per
/// operation boundary, the boundaries sampled and the random workloads (default 1).
pub(crate) fn scale() -> usize {
    std::env::var("IRONWAL_SIM_STATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(1)
}

/// Base seed: `IRONWAL_SIM_SEED=<u64>` explores other random workloads and states.
pub(crate) fn base_seed() -> u64 {
    std::env::var("IRONWAL_SIM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x1A0_5EED)
}

/// What is opened: a plain `Wal` with named streams or a `ShardedWal`.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub name: String,
    pub options: WalOptions,
    /// The streams the workload writes (for a sharded WAL: its shard streams).
    pub streams: Vec<String>,
    pub shards: Option<u16>,
}

impl Config {
    pub fn plain(name: &str, sync_mode: SyncMode) -> Self {
        let mut options = WalOptions::new(ROOT);
        options.sync_mode = sync_mode;
        options.read_buffer_size = 4096;
        // Small preallocation steps (an eighth of this) keep simulated files small.
        options.max_segment_size = 64 * 1024;
        Config {
            name: name.to_owned(),
            options,
            streams: vec!["alpha".to_owned(), "b/%β".to_owned()],
            shards: None,
        }
    }

    pub fn sharded(name: &str, sync_mode: SyncMode, shards: u16) -> Self {
        let mut config = Config::plain(name, sync_mode);
        config.shards = Some(shards);
        config.streams = (0..shards).map(shard_name).collect();
        config
    }

    pub fn entries_per_segment(mut self, n: u64) -> Self {
        self.options.max_entries_per_segment = n;
        self
    }
}

pub(crate) fn shard_name(shard: u16) -> String {
    format!("shard_{shard:02}")
}

/// One step of a workload.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    Append {
        stream: usize,
        len: usize,
    },
    Batch {
        stream: usize,
        lens: Vec<usize>,
    },
    Txn {
        stream: usize,
        lens: Vec<usize>,
    },
    Sync {
        stream: usize,
    },
    SyncAll,
    /// `truncate(stream, next id - keep)`.
    Truncate {
        stream: usize,
        keep: u64,
    },
    /// Drop the engine and open it again (a clean restart, no crash).
    Reopen,
    /// Sharded: `append(key, value)`.
    Key {
        key: u64,
        len: usize,
    },
    /// Sharded: `append_batch_for_key`.
    KeyBatch {
        key: u64,
        lens: Vec<usize>,
    },
    /// Sharded: `append_batch` over several keys (one batch per shard).
    MultiBatch {
        keys: Vec<u64>,
        len: usize,
    },
    Checkpoint,
    Compact {
        keep: usize,
    },
    /// Sharded: `prune_before_checkpoint` of the latest checkpoint.
    Prune,
}

pub(crate) enum Engine {
    Plain(Wal),
    Sharded(Box<ShardedWal>),
}

impl Engine {
    pub fn wal(&self) -> &Wal {
        match self {
            Engine::Plain(wal) => wal,
            Engine::Sharded(sharded) => sharded.inner(),
        }
    }

    fn sharded(&self) -> &ShardedWal {
        match self {
            Engine::Sharded(sharded) => sharded,
            Engine::Plain(_) => panic!("a sharded step on a plain Wal"),
        }
    }
}

pub(crate) fn open(config: &Config, fs: Arc<SimFs>) -> crate::Result<Engine> {
    let vfs: Arc<dyn Vfs> = fs;
    match config.shards {
        None => Wal::with_vfs(config.options.clone(), vfs).map(Engine::Plain),
        Some(n) => ShardedWal::with_vfs(config.options.clone(), n, vfs)
            .map(|sharded| Engine::Sharded(Box::new(sharded))),
    }
}

/// What the workload did to one stream, stamped with operation boundaries.
#[derive(Default, Debug)]
pub(crate) struct StreamModel {
    /// Every value ever written (or attempted) for an id, with the boundary from which
    /// it may be on disk.
    candidates: HashMap<u64, Vec<(usize, Vec<u8>)>>,
    /// Values of appends that returned `Ok`, with the boundary of their return.
    acked: BTreeMap<u64, (usize, Vec<u8>)>,
    /// (boundary, n): from that boundary on, every id below n is durable.
    durable: Vec<(usize, u64)>,
    /// (boundary, f): from that boundary on, ids below f may be gone (truncated).
    floors: Vec<(usize, u64)>,
}

impl StreamModel {
    /// Ids that must be present in a crash state at boundary `k`.
    fn required(&self, k: usize, process_crash: bool) -> Range<u64> {
        let floor = self
            .floors
            .iter()
            .filter(|(at, _)| *at <= k)
            .map(|(_, f)| *f)
            .max()
            .unwrap_or(0);
        let mut upto = self
            .durable
            .iter()
            .filter(|(at, _)| *at <= k)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        if process_crash {
            let visible = self
                .acked
                .iter()
                .filter(|(_, (at, _))| *at <= k)
                .map(|(id, _)| id + 1)
                .max()
                .unwrap_or(0);
            upto = upto.max(visible);
        }
        floor..upto.max(floor)
    }

    fn is_candidate(&self, id: u64, value: &[u8], k: usize) -> bool {
        self.candidates
            .get(&id)
            .is_some_and(|c| c.iter().any(|(at, v)| *at <= k && v == value))
    }

    fn acked_value(&self, id: u64, k: usize) -> Option<&[u8]> {
        self.acked
            .get(&id)
            .filter(|(at, _)| *at <= k)
            .map(|(_, v)| v.as_slice())
    }

    /// Acknowledged entries (id, value) from `from` on.
    pub fn acked_from(&self, from: u64) -> impl Iterator<Item = (u64, &[u8])> {
        self.acked
            .range(from..)
            .map(|(id, (_, v))| (*id, v.as_slice()))
    }
}

#[derive(Debug)]
struct CheckpointAttempt {
    id: Vec<u8>,
    offsets: Vec<u64>,
    start: usize,
    /// Boundary of its `Ok` return.
    acked: Option<usize>,
}

#[derive(Debug)]
struct Compaction {
    start: usize,
    done: Option<usize>,
    removed: Vec<Vec<u8>>,
}

#[derive(Default, Debug)]
pub(crate) struct Model {
    pub streams: BTreeMap<String, StreamModel>,
    checkpoints: Vec<CheckpointAttempt>,
    compactions: Vec<Compaction>,
    /// Boundaries where something was acknowledged (crash states there matter even when
    /// the disk did not change).
    pub event_boundaries: HashSet<usize>,
}

impl Model {
    fn stream(&mut self, name: &str) -> &mut StreamModel {
        self.streams.entry(name.to_owned()).or_default()
    }
}

/// Values and checkpoints written after recovery, which a second crash may keep.
#[derive(Default)]
struct Extras {
    entries: HashMap<(String, u64), Vec<u8>>,
    checkpoint: Option<(Vec<u8>, Vec<u64>)>,
    /// Per stream: every entry visible after recovery and the new writes, which a
    /// `sync_all` then made durable.
    synced: Vec<(String, Range<u64>, Vec<Vec<u8>>)>,
}

/// Runs workloads against the engine over a `SimFs` and keeps the model.
pub(crate) struct Runner {
    pub config: Config,
    pub fs: Arc<SimFs>,
    engine: Option<Engine>,
    pub model: Model,
    rng: XorShift,
    counter: u64,
    /// Streams whose fsync failed: writes must be refused until reopen.
    poisoned: HashSet<String>,
    log_poisoned: bool,
    /// A directory fsync failed: the engine may have poisoned whichever stream or log
    /// it was making durable (a failed fsync is fatal), so `Poisoned` is accepted.
    dir_sync_failed: bool,
    /// Check every acknowledged entry in process after each step.
    pub verify_each_step: bool,
    /// Invariant violations seen in process (not after a crash).
    pub problems: Vec<String>,
    checkpoint_counter: usize,
}

/// A step's error is acceptable if a fault fired during it (Io), or the stream was
/// poisoned before (Poisoned).
fn is_io(e: &Error) -> bool {
    matches!(e, Error::Io(_))
}

impl Runner {
    pub fn new(config: Config, seed: u64) -> Self {
        Runner {
            config,
            fs: Arc::new(SimFs::new()),
            engine: None,
            model: Model::default(),
            rng: XorShift::new(seed ^ 0xDA7A),
            counter: 0,
            poisoned: HashSet::new(),
            log_poisoned: false,
            dir_sync_failed: false,
            verify_each_step: false,
            problems: Vec::new(),
            checkpoint_counter: 0,
        }
    }

    pub fn engine(&self) -> &Engine {
        self.engine.as_ref().expect("open")
    }

    fn now(&self) -> usize {
        self.fs.op_count()
    }

    fn payload(&mut self, len: usize) -> Vec<u8> {
        self.counter += 1;
        let mut value = vec![0u8; len];
        XorShift::new(self.counter ^ self.rng.next_u64()).fill(&mut value);
        let tag = self.counter.to_le_bytes();
        let n = len.min(8);
        value[..n].copy_from_slice(&tag[..n]);
        value
    }

    fn problem(&mut self, message: String) {
        self.problems.push(message);
    }

    /// Faults that fired during operations `from..`.
    fn fired_since(&self, from: usize) -> Vec<crate::storage::sim_fs::FiredFault> {
        self.fs
            .fired()
            .into_iter()
            .filter(|f| f.op >= from)
            .collect()
    }

    /// Opens the engine (retrying once after an injected fault).
    pub fn open(&mut self) {
        let start = self.now();
        let mut outcome = open(&self.config, self.fs.clone());
        if let Err(e) = &outcome {
            if !self.fired_since(start).is_empty() && is_io(e) {
                outcome = open(&self.config, self.fs.clone());
            }
        }
        match outcome {
            Ok(engine) => {
                self.engine = Some(engine);
                self.poisoned.clear();
                self.log_poisoned = false;
                self.dir_sync_failed = false;
            }
            Err(e) => panic!(
                "{}: open failed: {e}\n{}",
                self.config.name,
                self.log_tail(40)
            ),
        }
    }

    pub fn log_tail(&self, n: usize) -> String {
        let log = self.fs.log();
        let from = log.len().saturating_sub(n);
        let mut out = String::new();
        for (i, op) in log.iter().enumerate().skip(from) {
            let _ = writeln!(out, "    #{i}: {op}");
        }
        out
    }

    fn next_id(&self, stream: &str) -> u64 {
        self.engine()
            .wal()
            .bounds(stream)
            .ok()
            .flatten()
            .map_or(0, |b| b.end)
    }

    /// Judges a step's outcome given the faults that fired during it. `targets`: the
    /// streams it writes; `log`: whether it writes a checkpoint record.
    fn judge<T: std::fmt::Debug>(
        &mut self,
        what: &str,
        start: usize,
        outcome: &crate::Result<T>,
        targets: &[String],
        log: bool,
    ) {
        let fired = self.fired_since(start);
        let was_poisoned =
            targets.iter().any(|t| self.poisoned.contains(t)) || (log && self.log_poisoned);
        match outcome {
            Ok(_) if was_poisoned && fired.is_empty() => self.problem(format!(
                "{what}: succeeded on a stream poisoned by a failed fsync (must be Error::Poisoned)"
            )),
            Ok(_) => {}
            Err(Error::Poisoned(_)) if was_poisoned || self.dir_sync_failed => {}
            Err(e) if !fired.is_empty() && is_io(e) => {}
            Err(e) if !fired.is_empty() => self.problem(format!(
                "{what}: a fault ({:?} on {}) surfaced as {e:?}, not Error::Io",
                fired[0].kind,
                fired[0].path.display()
            )),
            Err(e) => self.problem(format!("{what}: failed without an injected fault: {e}")),
        }
        for fault in &fired {
            let path = &fault.path;
            let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // docs/SHARDED_WAL.md: "A failed write or fsync of the log refuses further
            // checkpoints until reopen."
            let failed = !matches!(fault.effect, FaultEffect::ShortWrite(_));
            if file == "checkpoints.log"
                && failed
                && matches!(fault.kind, OpKind::Write | OpKind::SyncData)
            {
                self.log_poisoned = true;
            }
            if fault.kind == OpKind::SyncDir {
                self.dir_sync_failed = true;
            }
            if fault.kind != OpKind::SyncData {
                continue;
            }
            if file == "checkpoints.log" {
                self.log_poisoned = true;
            } else if file.ends_with(".wal") {
                let dir = path
                    .parent()
                    .and_then(|p| p.file_name())
                    .and_then(|n| n.to_str())
                    .unwrap_or("");
                if let Some(name) = self
                    .config
                    .streams
                    .iter()
                    .find(|s| stream_name::encode(s) == dir)
                {
                    self.poisoned.insert(name.clone());
                }
            }
        }
    }

    fn ack(&mut self, stream: &str, ids: Range<u64>, values: &[Vec<u8>], durable: bool) {
        let end = self.now();
        self.model.event_boundaries.insert(end);
        let model = self.model.stream(stream);
        for (id, value) in ids.clone().zip(values) {
            model.acked.insert(id, (end, value.clone()));
        }
        if durable {
            model.durable.push((end, ids.end));
        }
    }

    fn candidates(&mut self, stream: &str, first: u64, values: &[Vec<u8>]) {
        let start = self.now();
        let model = self.model.stream(stream);
        for (id, value) in (first..).zip(values) {
            model
                .candidates
                .entry(id)
                .or_default()
                .push((start, value.clone()));
        }
    }

    /// Appends `values` to `stream` (one entry or one batch) and records the outcome.
    fn write(&mut self, stream: &str, values: Vec<Vec<u8>>, batch: bool, txn: bool) {
        let next = self.next_id(stream);
        self.candidates(stream, next, &values);
        let start = self.now();
        let wal = self.engine().wal().clone();
        let outcome = if !batch {
            wal.append(stream, &values[0]).map(|id| id..id + 1)
        } else if txn {
            let mut writer = wal.writer(stream);
            for value in &values {
                writer.add(value.clone());
            }
            writer.commit()
        } else {
            let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
            wal.append_batch(stream, &refs)
        };
        let what = format!("append{} to {stream:?}", if batch { "_batch" } else { "" });
        self.judge(&what, start, &outcome, &[stream.to_owned()], false);
        if let Ok(ids) = outcome {
            if ids != (next..next + values.len() as u64) {
                self.problem(format!("{what}: ids {ids:?}, expected {next}.. (dense)"));
            }
            let durable = match self.config.options.sync_mode {
                SyncMode::Strict => true,
                SyncMode::BatchOnly => batch,
                SyncMode::Async => false,
            };
            self.ack(stream, ids, &values, durable);
        }
    }

    fn sharded_write(&mut self, keys: &[u64], lens: &[usize], one_key: bool) {
        let count = self.config.shards.expect("sharded");
        let values: Vec<Vec<u8>> = lens.iter().map(|&len| self.payload(len)).collect();
        let key_bytes: Vec<Vec<u8>> = keys.iter().map(|k| k.to_le_bytes().to_vec()).collect();
        // Per shard: the values it receives, in order.
        let mut by_shard: BTreeMap<u16, Vec<Vec<u8>>> = BTreeMap::new();
        for (i, value) in values.iter().enumerate() {
            let key = if one_key {
                &key_bytes[0]
            } else {
                &key_bytes[i]
            };
            by_shard
                .entry(shard_for_key(key, count))
                .or_default()
                .push(value.clone());
        }
        let nexts: BTreeMap<u16, u64> = by_shard
            .keys()
            .map(|&s| (s, self.next_id(&shard_name(s))))
            .collect();
        for (shard, vals) in &by_shard {
            self.candidates(&shard_name(*shard), nexts[shard], vals);
        }
        let start = self.now();
        let sharded = self.engine().sharded();
        let outcome = if one_key && values.len() == 1 {
            sharded
                .append(&key_bytes[0], &values[0])
                .map(|placed| vec![placed])
        } else if one_key {
            let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
            sharded.append_batch_for_key(&key_bytes[0], &refs)
        } else {
            let entries: Vec<(Vec<u8>, Vec<u8>)> = key_bytes
                .iter()
                .cloned()
                .zip(values.iter().cloned())
                .collect();
            sharded.append_batch(&entries)
        };
        let targets: Vec<String> = by_shard.keys().map(|&s| shard_name(s)).collect();
        self.judge("sharded append", start, &outcome, &targets, false);
        if let Ok(placed) = outcome {
            let batch = values.len() > 1;
            let durable = match self.config.options.sync_mode {
                SyncMode::Strict => true,
                SyncMode::BatchOnly => batch,
                SyncMode::Async => false,
            };
            for (shard, vals) in &by_shard {
                let next = nexts[shard];
                let ids: Vec<u64> = placed
                    .iter()
                    .filter(|(s, _)| s == shard)
                    .map(|(_, id)| *id)
                    .collect();
                let expected: Vec<u64> = (next..next + vals.len() as u64).collect();
                if ids != expected {
                    self.problem(format!(
                        "sharded append: shard {shard} got ids {ids:?}, expected {expected:?}"
                    ));
                }
                self.ack(
                    &shard_name(*shard),
                    next..next + vals.len() as u64,
                    vals,
                    durable,
                );
            }
        }
    }

    /// Runs one step.
    pub fn step(&mut self, step: &Step) {
        let streams = self.config.streams.clone();
        match step {
            Step::Append { stream, len } => {
                let value = self.payload(*len);
                self.write(&streams[*stream], vec![value], false, false);
            }
            Step::Batch { stream, lens } | Step::Txn { stream, lens } => {
                let values = lens.iter().map(|&len| self.payload(len)).collect();
                let txn = matches!(step, Step::Txn { .. });
                self.write(&streams[*stream], values, true, txn);
            }
            Step::Sync { stream } => {
                let name = &streams[*stream];
                let next = self.next_id(name);
                let start = self.now();
                let outcome = self.engine().wal().sync(name);
                if next == 0 && matches!(outcome, Err(Error::StreamNotFound(_))) {
                    return;
                }
                self.judge(
                    &format!("sync {name:?}"),
                    start,
                    &outcome,
                    std::slice::from_ref(name),
                    false,
                );
                if outcome.is_ok() {
                    self.ack(name, next..next, &[], true);
                }
            }
            Step::SyncAll => {
                let nexts: Vec<u64> = streams.iter().map(|s| self.next_id(s)).collect();
                let start = self.now();
                let outcome = self.engine().wal().sync_all();
                self.judge("sync_all", start, &outcome, &streams, false);
                if outcome.is_ok() {
                    for (name, next) in streams.iter().zip(nexts) {
                        self.ack(name, next..next, &[], true);
                    }
                }
            }
            Step::Truncate { stream, keep } => {
                let name = &streams[*stream];
                let safe = self.next_id(name).saturating_sub(*keep);
                let first_before = self
                    .engine()
                    .wal()
                    .bounds(name)
                    .ok()
                    .flatten()
                    .map_or(0, |b| b.start);
                let start = self.now();
                let outcome = self.engine().wal().truncate(name, safe);
                self.judge(&format!("truncate {name:?}"), start, &outcome, &[], false);
                let floor = self
                    .engine()
                    .wal()
                    .bounds(name)
                    .ok()
                    .flatten()
                    .map_or(0, |b| b.start);
                if floor > safe.max(first_before) {
                    self.problem(format!(
                        "truncate {name:?} at {safe} dropped ids up to {floor}"
                    ));
                }
                self.model.stream(name).floors.push((start, floor));
            }
            Step::Reopen => {
                self.engine = None;
                self.open();
            }
            Step::Key { key, len } => self.sharded_write(&[*key], &[*len], true),
            Step::KeyBatch { key, lens } => self.sharded_write(&[*key], lens, true),
            Step::MultiBatch { keys, len } => {
                let lens = vec![*len; keys.len()];
                self.sharded_write(keys, &lens, false)
            }
            Step::Checkpoint => self.checkpoint(),
            Step::Compact { keep } => {
                let sharded = self.engine().sharded();
                let list = sharded.list_checkpoints();
                let removed: Vec<Vec<u8>> = list
                    .iter()
                    .take(list.len().saturating_sub(*keep))
                    .map(|(id, _)| id.clone())
                    .collect();
                let start = self.now();
                let outcome = self.engine().sharded().compact_checkpoints(*keep);
                self.judge("compact_checkpoints", start, &outcome, &[], false);
                let done = outcome.is_ok().then(|| self.now());
                if let Some(done) = done {
                    self.model.event_boundaries.insert(done);
                    let left = self.engine().sharded().checkpoint_count();
                    if left != list.len().min(*keep) {
                        self.problem(format!("compact_checkpoints({keep}) left {left}"));
                    }
                }
                self.model.compactions.push(Compaction {
                    start,
                    done,
                    removed,
                });
            }
            Step::Prune => {
                let Ok((id, _)) = self.engine().sharded().load_latest_checkpoint() else {
                    return;
                };
                let start = self.now();
                let outcome = self.engine().sharded().prune_before_checkpoint(&id);
                self.judge("prune_before_checkpoint", start, &outcome, &[], false);
                for name in &streams {
                    let floor = self
                        .engine()
                        .wal()
                        .bounds(name)
                        .ok()
                        .flatten()
                        .map_or(0, |b| b.start);
                    self.model.stream(name).floors.push((start, floor));
                }
            }
        }
        if self.verify_each_step {
            self.verify_in_process();
        }
    }

    fn checkpoint(&mut self) {
        self.checkpoint_counter += 1;
        let id = format!("cp{}", self.checkpoint_counter).into_bytes();
        let streams = self.config.streams.clone();
        let offsets: Vec<u64> = streams.iter().map(|s| self.next_id(s)).collect();
        let start = self.now();
        let outcome = self.engine().sharded().create_checkpoint(&id);
        let targets: Vec<String> = streams
            .iter()
            .zip(&offsets)
            .filter(|(_, &o)| o > 0)
            .map(|(s, _)| s.clone())
            .collect();
        self.judge("create_checkpoint", start, &outcome, &targets, true);
        let acked = outcome.is_ok().then(|| self.now());
        if let Some(end) = acked {
            match self.engine().sharded().load_checkpoint(&id) {
                Ok(data) if data.offsets == offsets => {}
                other => self.problem(format!(
                    "create_checkpoint: offsets {other:?}, expected {offsets:?}"
                )),
            }
            for (name, &offset) in streams.iter().zip(&offsets) {
                self.model.stream(name).durable.push((end, offset));
            }
            self.model.event_boundaries.insert(end);
        }
        self.model.checkpoints.push(CheckpointAttempt {
            id,
            offsets,
            start,
            acked,
        });
    }

    /// Every acknowledged entry still in bounds reads back exactly, in process.
    pub fn verify_in_process(&mut self) {
        let mut problems = Vec::new();
        {
            let wal = self.engine().wal();
            for (name, model) in &self.model.streams {
                let bounds = wal.bounds(name).ok().flatten();
                let Some(b) = bounds else {
                    if model.acked.keys().next().is_some() {
                        problems.push(format!("in process: stream {name:?} vanished"));
                    }
                    continue;
                };
                for (id, value) in model.acked_from(b.start) {
                    match wal.get(name, id) {
                        Ok(Some(v)) if v == value => {}
                        other => problems.push(format!(
                            "in process: get({name:?}, {id}) = {:?}, expected the acknowledged value",
                            other.map(|o| o.map(|v| v.len()))
                        )),
                    }
                }
            }
        }
        for p in problems {
            self.problem(p);
        }
    }

    /// Runs `steps`, opening the engine first if needed.
    pub fn run(&mut self, steps: &[Step]) {
        if self.engine.is_none() {
            self.open();
        }
        for step in steps {
            self.step(step);
        }
    }

    /// Drops the engine (releases the root lock).
    pub fn close(&mut self) {
        self.engine = None;
    }
}

/// A crash state of a disk and how it was chosen.
pub(crate) struct CrashState {
    pub desc: String,
    pub state: DiskState,
    /// Everything the kernel held survived (a process crash, not a power loss): every
    /// acknowledged entry must be present, not only the durable ones.
    pub process_crash: bool,
    /// The kernel's unsynced state survives too (a process crash without a power loss
    /// yet): the restarted engine must make durable what it relies on.
    pub keep_pending: bool,
}

/// How crash states are chosen at one boundary.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CrashPlan {
    /// States tried per boundary at most (all of them when there are fewer).
    pub per_boundary: usize,
    /// Writes may persist out of order (page writeback order), not only as a prefix.
    pub reorder: bool,
    /// The process-crash state keeps the kernel's unsynced state (see
    /// [`CrashState::keep_pending`]) instead of making it durable.
    pub kill_keeps_pending: bool,
}

type Choice<T> = (String, T);

fn dir_choices(
    state: &DiskState,
    rng: &mut XorShift,
    exhaustive_upto: usize,
) -> Vec<Choice<Vec<bool>>> {
    let m = state.pending_dirs.len();
    let mut masks: Vec<Vec<bool>> = Vec::new();
    // Prefixes in program order (all lost .. all kept); all kept first.
    masks.push(vec![true; m]);
    for p in 0..m {
        masks.push((0..m).map(|i| i < p).collect());
    }
    if m <= exhaustive_upto {
        for bits in 0u32..(1 << m) {
            masks.push((0..m).map(|i| bits & (1 << i) != 0).collect());
        }
    } else {
        for i in 0..m {
            masks.push((0..m).map(|j| j != i).collect());
            masks.push((0..m).map(|j| j == i).collect());
        }
        for _ in 0..m {
            masks.push((0..m).map(|_| rng.chance(1, 2)).collect());
        }
    }
    let mut seen = HashSet::new();
    masks.retain(|mask| seen.insert(mask.clone()));
    masks
        .into_iter()
        .map(|mask| {
            let desc = if mask.iter().all(|&b| b) {
                "dir ops: all kept".to_owned()
            } else if mask.iter().all(|&b| !b) {
                "dir ops: all lost".to_owned()
            } else {
                let kept: Vec<String> = mask
                    .iter()
                    .zip(&state.pending_dirs)
                    .map(|(keep, op)| {
                        format!(
                            "{}#{} {:?}",
                            if *keep { "+" } else { "-" },
                            op.op,
                            op.change
                        )
                    })
                    .collect();
                format!("dir ops: {}", kept.join(" "))
            };
            (desc, mask)
        })
        .collect()
}

/// Cut points of a torn write: 512-byte sector boundaries strictly inside it (4 KiB
/// page boundaries among them), and its start.
fn cut_points(offset: u64, len: u64, rng: &mut XorShift, cap: usize) -> Vec<u64> {
    let end = offset + len;
    let mut cuts = vec![offset];
    let mut pages = Vec::new();
    let mut sectors = Vec::new();
    let mut c = (offset / 512 + 1) * 512;
    while c < end {
        if c % 4096 == 0 {
            pages.push(c);
        } else {
            sectors.push(c);
        }
        c += 512;
    }
    cuts.extend(pages);
    while sectors.len() > cap {
        sectors.remove(rng.below(sectors.len() as u64) as usize);
    }
    cuts.extend(sectors);
    cuts
}

fn file_choices(
    ino: Ino,
    file: &FileNode,
    plan: &CrashPlan,
    rng: &mut XorShift,
) -> Vec<Choice<FileFate>> {
    let n = file.pending.len();
    let mut out: Vec<Choice<FileFate>> = Vec::new();
    // All kept first (the process-crash state), then every prefix.
    out.push((
        format!("ino {ino}: all {n} changes kept"),
        FileFate::Keep(n),
    ));
    for k in 0..n {
        out.push((
            format!("ino {ino}: first {k} of {n} changes kept"),
            FileFate::Keep(k),
        ));
    }
    let mut size = file.durable.len() as u64;
    for (k, change) in file.pending.iter().enumerate() {
        if let PendingWrite::Write { offset, data } = change {
            let end = offset + data.len() as u64;
            let extends = end > size;
            for cut in cut_points(*offset, data.len() as u64, rng, 8) {
                let fills: &[Fill] = if extends {
                    &[Fill::Shrink, Fill::Zero, Fill::Garbage(rng.next_u64())]
                } else {
                    &[Fill::Shrink]
                };
                for &fill in fills {
                    if cut == *offset && fill == Fill::Shrink {
                        continue; // the same as keeping the first k changes
                    }
                    out.push((
                        format!("ino {ino}: first {k} kept, change {k} ({change:?}) torn at {cut}, {fill:?}"),
                        FileFate::Torn { keep: k, cut, fill },
                    ));
                }
            }
        }
        match change {
            PendingWrite::Write { offset, data } => size = size.max(offset + data.len() as u64),
            PendingWrite::SetLen(len) => size = *len,
        }
    }
    if plan.reorder {
        let writes: Vec<usize> = (0..n)
            .filter(|&i| matches!(file.pending[i], PendingWrite::Write { .. }))
            .collect();
        let mut masks: Vec<Vec<bool>> = Vec::new();
        if writes.len() <= 5 {
            for bits in 0u32..(1 << writes.len()) {
                let mut mask = vec![true; n];
                for (j, &i) in writes.iter().enumerate() {
                    mask[i] = bits & (1 << j) != 0;
                }
                masks.push(mask);
            }
        } else {
            for &i in &writes {
                let mut mask = vec![true; n];
                mask[i] = false;
                masks.push(mask);
            }
            for _ in 0..16 {
                let mut mask = vec![true; n];
                for &i in &writes {
                    mask[i] = rng.chance(1, 2);
                }
                masks.push(mask);
            }
        }
        for mask in masks {
            // Prefixes are covered above.
            let prefix = mask.iter().skip_while(|&&b| b).all(|&b| !b);
            if !prefix {
                let lost: Vec<usize> = (0..n).filter(|&i| !mask[i]).collect();
                out.push((
                    format!("ino {ino}: out of order, changes {lost:?} lost"),
                    FileFate::Subset(mask),
                ));
            }
        }
    }
    out
}

/// The crash states of `state` per `plan`: exhaustive when the combinations of
/// directory-operation subsets and per-file fates fit the budget, else the extremes,
/// every single-factor variation (others all kept / all lost) and random combinations.
pub(crate) fn crash_states(
    state: &DiskState,
    plan: &CrashPlan,
    rng: &mut XorShift,
) -> Vec<CrashState> {
    crash_states_counted(state, plan, rng).0
}

/// [`crash_states`], and whether they are all the combinations (not a sample).
pub(crate) fn crash_states_counted(
    state: &DiskState,
    plan: &CrashPlan,
    rng: &mut XorShift,
) -> (Vec<CrashState>, bool) {
    let dirs = dir_choices(state, rng, 4);
    let files: Vec<(Ino, Vec<Choice<FileFate>>)> = state
        .pending_files()
        .into_iter()
        .map(|(ino, file)| (ino, file_choices(ino, file, plan, rng)))
        .collect();
    // Factor 0: directory masks; factor i + 1: file i. Index 0 = all kept; for files
    // index 1 = all lost; for directories index 1 = all lost (prefix 0) when m > 0.
    let sizes: Vec<usize> = std::iter::once(dirs.len())
        .chain(files.iter().map(|(_, c)| c.len()))
        .collect();
    let product = sizes
        .iter()
        .try_fold(1usize, |acc, &s| acc.checked_mul(s))
        .unwrap_or(usize::MAX);
    let mut combos: Vec<Vec<usize>> = Vec::new();
    let exhaustive = product <= plan.per_boundary;
    if exhaustive {
        let mut combo = vec![0; sizes.len()];
        loop {
            combos.push(combo.clone());
            let mut i = 0;
            loop {
                if i == sizes.len() {
                    break;
                }
                combo[i] += 1;
                if combo[i] < sizes[i] {
                    break;
                }
                combo[i] = 0;
                i += 1;
            }
            if i == sizes.len() {
                break;
            }
        }
    } else {
        let lost = |s: usize| usize::from(s > 1);
        let all_kept = vec![0; sizes.len()];
        let all_lost: Vec<usize> = sizes.iter().map(|&s| lost(s)).collect();
        combos.push(all_kept.clone());
        combos.push(all_lost.clone());
        let mut singles = Vec::new();
        for (f, &size) in sizes.iter().enumerate() {
            for c in 0..size {
                for base in [&all_kept, &all_lost] {
                    let mut combo = base.clone();
                    combo[f] = c;
                    singles.push(combo);
                }
            }
        }
        let room = plan.per_boundary.saturating_sub(2);
        if singles.len() <= room * 3 / 4 {
            combos.extend(singles);
        } else {
            for _ in 0..room * 3 / 4 {
                let i = rng.below(singles.len() as u64) as usize;
                combos.push(singles.swap_remove(i));
            }
        }
        while combos.len() < plan.per_boundary {
            combos.push(
                sizes
                    .iter()
                    .map(|&s| rng.below(s as u64) as usize)
                    .collect(),
            );
        }
    }
    // The process crash (kill -9, no power loss) first: the page cache survives.
    let killed = state.process_crash();
    let mut seen = HashSet::from([killed.fingerprint()]);
    let mut out = vec![if plan.kill_keeps_pending {
        CrashState {
            desc: "process crash (kill -9): the kernel keeps everything, unsynced".to_owned(),
            state: state.clone(),
            process_crash: true,
            keep_pending: true,
        }
    } else {
        CrashState {
            desc: "process crash (kill -9): everything in the kernel survives".to_owned(),
            state: killed,
            process_crash: true,
            keep_pending: false,
        }
    }];
    for combo in combos {
        let (dir_desc, mask) = &dirs[combo[0]];
        let mut fates = HashMap::new();
        let mut desc = dir_desc.clone();
        for ((ino, choices), &c) in files.iter().zip(&combo[1..]) {
            let (d, fate) = &choices[c];
            fates.insert(*ino, fate.clone());
            desc.push_str("; ");
            desc.push_str(d);
        }
        let crashed = state.crash(mask, &fates);
        if seen.insert(crashed.fingerprint()) {
            out.push(CrashState {
                desc,
                state: crashed,
                process_crash: false,
                keep_pending: false,
            });
        }
    }
    (out, exhaustive)
}

/// The outcome of exploring crash states.
#[derive(Default)]
pub(crate) struct Report {
    pub states: usize,
    pub refused: usize,
    pub boundaries: usize,
    /// Boundaries where the states were a sample, not every combination.
    pub sampled: usize,
    pub violations: Vec<String>,
}

impl Report {
    pub fn print(&self, name: &str) {
        println!(
            "{name}: {} crash states explored at {} operation boundaries ({} exhaustively, {} \
             sampled; {} refused to open as allowed), {} violations",
            self.states,
            self.boundaries,
            self.boundaries - self.sampled,
            self.sampled,
            self.refused,
            self.violations.len()
        );
        for (summary, n) in summarize(&self.violations) {
            println!("  {n} x {summary}");
        }
        for v in self.violations.iter().take(3) {
            println!("{v}");
        }
    }
}

/// Violations grouped by their message with numbers blanked out.
pub(crate) fn summarize(violations: &[String]) -> Vec<(String, usize)> {
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for v in violations {
        let mut message = v.lines().next().unwrap_or("");
        if let Some(i) = message.find("fired [") {
            if let Some(j) = message[i..].find("]: ") {
                message = &message[i + j + 3..];
            }
        }
        if message.starts_with("VIOLATION [") {
            if let Some(i) = message.find(" of ") {
                if let Some(j) = message[i..].find(": ") {
                    message = &message[i + j + 2..];
                }
            }
        }
        let mut out = String::new();
        let mut in_number = false;
        for c in message.chars() {
            if c.is_ascii_digit() {
                if !in_number {
                    out.push('N');
                }
                in_number = true;
            } else {
                in_number = false;
                out.push(c);
            }
        }
        *groups.entry(out).or_default() += 1;
    }
    groups.into_iter().collect()
}

/// Opens the engine on `state` (a crash at boundary `k`) and checks every invariant.
/// `Ok(false)`: the open was refused as the spec allows (`CorruptionPolicy::Error`).
pub(crate) fn check_crash_state(
    config: &Config,
    model: &Model,
    k: usize,
    crash: &CrashState,
) -> Result<bool, String> {
    let fs = Arc::new(if crash.keep_pending {
        SimFs::resume(crash.state.clone())
    } else {
        SimFs::from_state(crash.state.clone())
    });
    let engine = match open(config, fs.clone()) {
        Ok(engine) => engine,
        Err(e) => return refused(config, e, "open"),
    };
    check_engine(
        config,
        model,
        k,
        crash.process_crash,
        &engine,
        &Extras::default(),
    )?;
    let extras = write_after_recovery(config, &engine)?;
    drop(engine);
    // A second power loss right after recovery and the new writes.
    let again = Arc::new(SimFs::from_state(fs.state().durable_only()));
    let engine = match open(config, again) {
        Ok(engine) => engine,
        Err(e) => return refused(config, e, "open after recovery and a second crash"),
    };
    check_engine(config, model, k, false, &engine, &extras)
        .map_err(|e| format!("after recovery, new writes and a second crash: {e}"))?;
    Ok(true)
}

/// Opens the engine on `crash` with the `nth` recovery operation of `kind` failing with
/// EIO. Recovery must fail with `Error::Io` (or work around the fault), and both a
/// retried open and an open after a power loss right after the failed one must recover
/// cleanly. `Ok(false)` when recovery performs fewer than `nth` such operations.
pub(crate) fn check_recovery_fault(
    config: &Config,
    model: &Model,
    k: usize,
    crash: &CrashState,
    kind: OpKind,
    nth: u64,
) -> Result<bool, String> {
    let fs = Arc::new(SimFs::from_state(crash.state.clone()));
    fs.inject(kind, nth, FaultEffect::Errno(libc::EIO));
    let outcome = open(config, fs.clone());
    if fs.fired().is_empty() {
        return Ok(false);
    }
    let context =
        |what: &str, message: String| format!("EIO on recovery {kind:?} #{nth}: {what}: {message}");
    match outcome {
        Ok(engine) => check_engine(
            config,
            model,
            k,
            crash.process_crash,
            &engine,
            &Extras::default(),
        )
        .map_err(|m| context("recovery went on", m))?,
        Err(Error::Io(_)) => {}
        Err(e) => return Err(context("recovery failed", format!("{e:?}, not Error::Io"))),
    }
    // A power loss right after the failed (or faulted) recovery.
    let lost = Arc::new(SimFs::from_state(fs.state().durable_only()));
    match open(config, lost) {
        Ok(engine) => check_engine(config, model, k, false, &engine, &Extras::default())
            .map_err(|m| context("after a power loss", m))?,
        Err(e) => {
            refused(config, e, "open after a power loss").map_err(|m| context("", m))?;
        }
    }
    // The same process retries.
    let engine = open(config, fs).map_err(|e| context("retried open", e.to_string()))?;
    check_engine(
        config,
        model,
        k,
        crash.process_crash,
        &engine,
        &Extras::default(),
    )
    .map_err(|m| context("retried open", m))?;
    Ok(true)
}

fn refused(config: &Config, e: Error, what: &str) -> Result<bool, String> {
    let allowed = config.options.on_corruption == CorruptionPolicy::Error
        && matches!(e, Error::Corruption(_) | Error::CheckpointCorrupted { .. });
    if allowed {
        Ok(false)
    } else {
        Err(format!("{what} failed: {e}"))
    }
}

fn check_engine(
    config: &Config,
    model: &Model,
    k: usize,
    process_crash: bool,
    engine: &Engine,
    extras: &Extras,
) -> Result<(), String> {
    let wal = engine.wal();
    for name in wal.streams() {
        if !config.streams.contains(&name) {
            return Err(format!("unknown stream {name:?} after recovery"));
        }
    }
    let empty = StreamModel::default();
    let mut ends = Vec::new();
    for name in &config.streams {
        let sm = model.streams.get(name).unwrap_or(&empty);
        let required = sm.required(k, process_crash);
        let bounds = wal
            .bounds(name)
            .map_err(|e| format!("bounds({name:?}) failed: {e}"))?;
        let Some(b) = bounds else {
            if !required.is_empty() {
                return Err(format!(
                    "stream {name:?} is gone; ids {required:?} were acknowledged durable"
                ));
            }
            ends.push(0);
            continue;
        };
        ends.push(b.end);
        if !required.is_empty() && (b.start > required.start || b.end < required.end) {
            return Err(format!(
                "stream {name:?} holds {b:?}; ids {required:?} were acknowledged durable (lost)"
            ));
        }
        let mut values = Vec::new();
        for id in b.clone() {
            let value = match wal.get(name, id) {
                Ok(Some(v)) => v,
                Ok(None) => return Err(format!("stream {name:?} {b:?}: get({id}) = None (hole)")),
                Err(e) => {
                    return Err(format!(
                        "stream {name:?} {b:?}: get({id}) failed on a crash state: {e}"
                    ))
                }
            };
            let known = sm.is_candidate(id, &value, k)
                || extras.entries.get(&(name.clone(), id)) == Some(&value);
            if !known {
                return Err(format!(
                    "stream {name:?}: get({id}) returned {} bytes never written for that id",
                    value.len()
                ));
            }
            if required.contains(&id) {
                if let Some(acked) = sm.acked_value(id, k) {
                    if acked != value.as_slice() {
                        return Err(format!(
                            "stream {name:?}: get({id}) differs from the acknowledged value"
                        ));
                    }
                }
            }
            values.push(value);
        }
        match wal.get(name, b.end) {
            Ok(None) => {}
            other => {
                return Err(format!(
                    "stream {name:?} {b:?}: get({}) past the end = {other:?}",
                    b.end
                ))
            }
        }
        let iterated: Vec<(u64, Vec<u8>)> = wal
            .iter_with_ids(name, 0)
            .map_err(|e| format!("iter({name:?}) failed: {e}"))?
            .collect::<crate::Result<_>>()
            .map_err(|e| format!("iter({name:?}, 0) failed on a crash state: {e}"))?;
        let expected: Vec<(u64, Vec<u8>)> = b.clone().zip(values).collect();
        if iterated != expected {
            return Err(format!(
                "stream {name:?} {b:?}: iter from 0 yields ids {:?}, get disagrees",
                iterated.iter().map(|(id, _)| *id).collect::<Vec<_>>()
            ));
        }
    }
    for (name, range, values) in &extras.synced {
        for (id, value) in range.clone().zip(values) {
            match wal.get(name, id) {
                Ok(Some(v)) if v == *value => {}
                other => {
                    return Err(format!(
                        "stream {name:?}: id {id}, visible after recovery and made durable by \
                         sync_all, reads {:?} after a power loss",
                        other.map(|o| o.map(|v| v.len()))
                    ))
                }
            }
        }
    }
    if let Engine::Sharded(sharded) = engine {
        check_checkpoints(model, k, sharded, &ends, extras)?;
    }
    Ok(())
}

fn check_checkpoints(
    model: &Model,
    k: usize,
    sharded: &ShardedWal,
    ends: &[u64],
    extras: &Extras,
) -> Result<(), String> {
    let list = sharded.list_checkpoints();
    let removed_by = |done: bool| -> HashSet<Vec<u8>> {
        model
            .compactions
            .iter()
            .filter(|c| {
                if done {
                    c.done.is_some_and(|d| d <= k)
                } else {
                    c.start <= k
                }
            })
            .flat_map(|c| c.removed.iter().cloned())
            .collect()
    };
    let (may_be_gone, gone) = (removed_by(false), removed_by(true));
    let attempts: Vec<&CheckpointAttempt> =
        model.checkpoints.iter().filter(|a| a.start <= k).collect();
    let position = |id: &[u8]| attempts.iter().position(|a| a.id == id);
    for (id, _) in &list {
        let shown = String::from_utf8_lossy(id);
        let data = sharded
            .load_checkpoint(id)
            .map_err(|e| format!("load_checkpoint({shown}) failed: {e}"))?;
        let expected = match (position(id), &extras.checkpoint) {
            (Some(i), _) => &attempts[i].offsets,
            (None, Some((extra, offsets))) if extra == id => offsets,
            _ => {
                return Err(format!(
                    "checkpoint {shown} was never created before the crash"
                ))
            }
        };
        if &data.offsets != expected {
            return Err(format!(
                "checkpoint {shown}: offsets {:?}, created with {expected:?}",
                data.offsets
            ));
        }
        if gone.contains(id) {
            return Err(format!(
                "checkpoint {shown} came back after a finished compaction"
            ));
        }
        for (shard, (&offset, &end)) in data.offsets.iter().zip(ends).enumerate() {
            if offset > end {
                return Err(format!(
                    "checkpoint {shown}: shard {shard} offset {offset} beyond what it holds ({end})"
                ));
            }
        }
    }
    let required: Vec<usize> = attempts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.acked.is_some_and(|at| at <= k) && !may_be_gone.contains(&a.id))
        .map(|(i, _)| i)
        .collect();
    for &i in &required {
        if !list.iter().any(|(id, _)| *id == attempts[i].id) {
            return Err(format!(
                "acknowledged checkpoint {} is missing",
                String::from_utf8_lossy(&attempts[i].id)
            ));
        }
    }
    let latest = match sharded.load_latest_checkpoint() {
        Ok((id, _)) => Some(id),
        Err(Error::NoCheckpoints) => None,
        Err(e) => return Err(format!("load_latest_checkpoint failed: {e}")),
    };
    if latest.as_ref() != list.last().map(|(id, _)| id) {
        return Err(format!(
            "load_latest_checkpoint names {:?}, the list ends with {:?}",
            latest.map(|l| String::from_utf8_lossy(&l).into_owned()),
            list.last()
                .map(|(id, _)| String::from_utf8_lossy(id).into_owned())
        ));
    }
    if let Some((extra, _)) = &extras.checkpoint {
        if latest.as_ref() != Some(extra) {
            return Err("the checkpoint created after recovery is not the latest".to_owned());
        }
    } else if let (Some(&newest), Some(latest)) = (required.last(), &latest) {
        if position(latest).is_none_or(|p| p < newest) {
            return Err(format!(
                "latest checkpoint is {}, older than acknowledged {}",
                String::from_utf8_lossy(latest),
                String::from_utf8_lossy(&attempts[newest].id)
            ));
        }
    }
    Ok(())
}

/// After recovery: every stream accepts an append with the next id, which reads back;
/// a sharded WAL accepts a checkpoint covering it.
fn write_after_recovery(config: &Config, engine: &Engine) -> Result<Extras, String> {
    let wal = engine.wal();
    let mut extras = Extras::default();
    for name in &config.streams {
        let next = wal.bounds(name).ok().flatten().map_or(0, |b| b.end);
        let value = format!("after recovery {name}").into_bytes();
        let id = wal
            .append(name, &value)
            .map_err(|e| format!("append to {name:?} after recovery failed: {e}"))?;
        if id != next {
            return Err(format!(
                "append to {name:?} after recovery got id {id}, expected {next}"
            ));
        }
        match wal.get(name, id) {
            Ok(Some(v)) if v == value => {}
            other => return Err(format!("get({name:?}, {id}) after recovery = {other:?}")),
        }
        extras.entries.insert((name.clone(), id), value);
    }
    wal.sync_all()
        .map_err(|e| format!("sync_all after recovery failed: {e}"))?;
    for name in &config.streams {
        let Some(b) = wal.bounds(name).ok().flatten() else {
            continue;
        };
        let values = b
            .clone()
            .map(|id| wal.get(name, id).ok().flatten().unwrap_or_default())
            .collect();
        extras.synced.push((name.clone(), b, values));
    }
    if let Engine::Sharded(sharded) = engine {
        let id = b"after-recovery".to_vec();
        sharded
            .create_checkpoint(&id)
            .map_err(|e| format!("create_checkpoint after recovery failed: {e}"))?;
        let offsets: Vec<u64> = config
            .streams
            .iter()
            .map(|s| wal.bounds(s).ok().flatten().map_or(0, |b| b.end))
            .collect();
        match sharded.load_latest_checkpoint() {
            Ok((latest, data)) if latest == id && data.offsets == offsets => {}
            other => return Err(format!("latest checkpoint after recovery = {other:?}")),
        }
        extras.checkpoint = Some((id, offsets));
    }
    Ok(extras)
}

/// Explores crash states of the disk history a runner recorded: at up to
/// `max_boundaries` operation boundaries (all when there are fewer), `plan` states each.
pub(crate) fn explore(
    runner: &Runner,
    steps: &[Step],
    plan: &CrashPlan,
    max_boundaries: usize,
    seed: u64,
) -> Report {
    let history = runner.fs.history();
    assert!(!history.is_empty(), "recording was not on");
    let mut rng = XorShift::new(seed ^ 0xB0B);
    let mut boundaries: Vec<usize> = (0..history.len())
        .filter(|&k| {
            k == 0
                || !Arc::ptr_eq(&history[k], &history[k - 1])
                || runner.model.event_boundaries.contains(&k)
        })
        .collect();
    if boundaries.len() > max_boundaries {
        let last = *boundaries.last().expect("non-empty");
        while boundaries.len() > max_boundaries.max(1) {
            let i = rng.below(boundaries.len() as u64 - 1) as usize;
            boundaries.remove(i);
        }
        if !boundaries.contains(&last) {
            boundaries.push(last);
        }
    }
    explore_at(runner, steps, plan, &boundaries, seed)
}

/// Explores crash states at the given operation boundaries.
pub(crate) fn explore_at(
    runner: &Runner,
    steps: &[Step],
    plan: &CrashPlan,
    boundaries: &[usize],
    seed: u64,
) -> Report {
    let history = runner.fs.history();
    assert!(!history.is_empty(), "recording was not on");
    let log = runner.fs.log();
    let mut rng = XorShift::new(seed);
    let mut report = Report {
        boundaries: boundaries.len(),
        ..Report::default()
    };
    for &k in boundaries {
        let k = k.min(history.len() - 1);
        let (crashes, exhaustive) = crash_states_counted(&history[k], plan, &mut rng);
        report.sampled += usize::from(!exhaustive);
        for crash in crashes {
            report.states += 1;
            match check_crash_state(&runner.config, &runner.model, k, &crash) {
                Ok(true) => {}
                Ok(false) => report.refused += 1,
                Err(message) => {
                    if report.violations.len() < 20 {
                        report
                            .violations
                            .push(describe_violation(runner, steps, &log, k, &crash, &message));
                    } else {
                        report.violations.push(message);
                    }
                }
            }
        }
    }
    report
}

fn describe_violation(
    runner: &Runner,
    steps: &[Step],
    log: &[crate::storage::sim_fs::OpRecord],
    k: usize,
    crash: &CrashState,
    message: &str,
) -> String {
    let mut out = format!(
        "VIOLATION [{}] crash after operation #{} of {}: {message}\n  crash state: {}\n  \
         (process crash: {})\n  steps: {steps:?}\n  last operations before the crash:\n",
        runner.config.name,
        k,
        log.len(),
        crash.desc,
        crash.process_crash
    );
    for (i, op) in log.iter().enumerate().take(k).skip(k.saturating_sub(12)) {
        let _ = writeln!(out, "    #{i}: {op}");
    }
    let _ = write!(out, "  disk after the crash:\n{}", crash.state.describe());
    out
}
