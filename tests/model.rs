//! Model-based property test of the public `Wal` API.
//!
//! Random sequences of operations on up to three streams (append, append_batch,
//! transactions committed or dropped, get/get_batch of existing, truncated and missing
//! ids, iterators from random starts, iterators that see appends made while they run,
//! truncate, sync, sync_all, bounds, current_segment_start_id, streams, and
//! crash-and-reopen) run against a real `Wal` and against a plain in-memory model; every
//! answer must match the model exactly.
//!
//! The model tracks segment boundaries, which are deterministic: a new segment starts
//! when the active one holds at least one entry and the next frame (one per append,
//! batch or commit) would take it past `max_entries_per_segment` entries or
//! `max_segment_size` bytes. `truncate(safe_id)` deletes the sealed segments whose ids
//! all lie below `safe_id`, so the first retained id is the start of the first segment
//! kept. Crash-and-reopen drops the `Wal` and opens it again: appends are in the kernel
//! when they return, so for a process crash that is what survives.
//!
//! Every case draws its own options: `max_entries_per_segment` 1..=5, sometimes a tiny
//! `max_segment_size`, the sync mode, read strategy, compression, block cache and
//! `max_open_segments`. `IRONWAL_MODEL_CASES=<factor>` multiplies the case count
//! (default 1; e.g. `20` for a long run). Run with `-- --nocapture` to see the counts.

use ironwal::{CompressionType, Error, ReadStrategy, SyncMode, Wal, WalOptions};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Stream names, two of which need escaping on disk.
const STREAMS: [&str; 3] = ["s", "a/b", ".."];

const BASE_CASES: u32 = 1200;

/// Segments deleted by truncate, reopens, segments created (so the run is known to
/// exercise rotation and truncation, not just appends).
static STATS: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

fn scaled(base: u32) -> u32 {
    let factor = std::env::var("IRONWAL_MODEL_CASES")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f > 0.0)
        .unwrap_or(1.0);
    ((base as f64 * factor).round() as u32).max(1)
}

// ---------------------------------------------------------------------------------
// Operations and options
// ---------------------------------------------------------------------------------

/// An id chosen relative to the model's state when the operation runs.
#[derive(Debug, Clone)]
enum IdPick {
    /// A retained id (or the next id if there is none).
    Existing(Index),
    /// An id below the first retained one (or 0).
    Truncated(Index),
    /// `next id + n`.
    Missing(u8),
    Any(u64),
}

#[derive(Debug, Clone)]
enum Op {
    Append(usize, Vec<u8>),
    AppendBatch(usize, Vec<Vec<u8>>),
    /// Entries added to a `TxnWriter`, then committed (`true`) or dropped.
    Txn(usize, Vec<Vec<u8>>, bool),
    Get(usize, IdPick),
    GetBatch(usize, Vec<IdPick>),
    Iter(usize, IdPick),
    /// Read `n` entries of an iterator, append a batch, read the rest.
    IterWhileAppending(usize, IdPick, usize, Vec<Vec<u8>>),
    /// `truncate(safe_id)` with `safe_id` in `0..=next + 1`, or `u64::MAX`.
    Truncate(usize, Option<Index>),
    /// Read `n` entries of an iterator, truncate, read the rest: every entry it yields
    /// is exact and in order; it may stop with an error at an entry truncated under
    /// it, but never skips one or stops early without an error.
    IterAcrossTruncate(usize, IdPick, usize, Option<Index>),
    Sync(usize),
    SyncAll,
    Bounds(usize),
    CurrentSegment(usize),
    Streams,
    CrashAndReopen,
}

#[derive(Debug, Clone)]
struct Options {
    max_entries: u64,
    /// Only with `CompressionType::None`, where the model can compute frame lengths.
    max_segment_size: Option<u64>,
    sync_mode: SyncMode,
    read_strategy: ReadStrategy,
    compression: CompressionType,
    min_compression_size: usize,
    block_cache: Option<u64>,
    max_open_segments: usize,
    read_buffer_size: usize,
}

impl Options {
    fn wal_options(&self, root: &Path) -> WalOptions {
        let mut opts = WalOptions::new(root);
        opts.max_entries_per_segment = self.max_entries;
        if let Some(size) = self.max_segment_size {
            opts.max_segment_size = size;
        }
        opts.sync_mode = self.sync_mode;
        opts.read_strategy = self.read_strategy;
        opts.compression = match self.compression {
            CompressionType::Lz4 if !cfg!(feature = "compression") => CompressionType::None,
            c => c,
        };
        opts.min_compression_size = self.min_compression_size;
        opts.block_cache_size = self.block_cache;
        opts.max_open_segments = self.max_open_segments;
        opts.read_buffer_size = self.read_buffer_size;
        opts
    }
}

fn options() -> impl Strategy<Value = Options> {
    (
        1..=5u64,
        prop_oneof![Just(None), (48..700u64).prop_map(Some)],
        prop_oneof![
            Just(SyncMode::Strict),
            Just(SyncMode::BatchOnly),
            Just(SyncMode::Async)
        ],
        prop_oneof![Just(ReadStrategy::StandardIo), Just(ReadStrategy::Mmap)],
        prop_oneof![Just(CompressionType::None), Just(CompressionType::Lz4)],
        0..200usize,
        prop_oneof![Just(None), (0..40_000u64).prop_map(Some)],
        prop_oneof![1..4usize, Just(50usize)],
        prop_oneof![1..5000usize, Just(128 * 1024usize)],
    )
        .prop_map(
            |(
                max_entries,
                max_segment_size,
                sync_mode,
                read_strategy,
                compression,
                min_compression_size,
                block_cache,
                max_open_segments,
                read_buffer_size,
            )| Options {
                max_entries,
                max_segment_size: max_segment_size.filter(|_| compression == CompressionType::None),
                sync_mode,
                read_strategy,
                compression,
                min_compression_size,
                block_cache,
                max_open_segments,
                read_buffer_size,
            },
        )
}

fn entry() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => vec(any::<u8>(), 0..32),
        1 => (any::<u8>(), 0..1500usize).prop_map(|(b, n)| vec![b; n]),
    ]
}

fn id_pick() -> impl Strategy<Value = IdPick> {
    prop_oneof![
        6 => any::<Index>().prop_map(IdPick::Existing),
        2 => any::<Index>().prop_map(IdPick::Truncated),
        2 => (0..4u8).prop_map(IdPick::Missing),
        1 => any::<u64>().prop_map(IdPick::Any),
    ]
}

fn stream() -> impl Strategy<Value = usize> {
    prop_oneof![4 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (stream(), entry()).prop_map(|(s, e)| Op::Append(s, e)),
        5 => (stream(), vec(entry(), 0..7)).prop_map(|(s, es)| Op::AppendBatch(s, es)),
        3 => (stream(), vec(entry(), 0..5), any::<bool>()).prop_map(|(s, es, c)| Op::Txn(s, es, c)),
        6 => (stream(), id_pick()).prop_map(|(s, p)| Op::Get(s, p)),
        2 => (stream(), vec(id_pick(), 0..6)).prop_map(|(s, p)| Op::GetBatch(s, p)),
        3 => (stream(), id_pick()).prop_map(|(s, p)| Op::Iter(s, p)),
        2 => (stream(), id_pick(), 0..4usize, vec(entry(), 0..4))
            .prop_map(|(s, p, n, es)| Op::IterWhileAppending(s, p, n, es)),
        4 => (stream(), prop_oneof![8 => any::<Index>().prop_map(Some), 1 => Just(None)])
            .prop_map(|(s, i)| Op::Truncate(s, i)),
        2 => (
            stream(),
            id_pick(),
            0..6usize,
            prop_oneof![4 => any::<Index>().prop_map(Some), 1 => Just(None)]
        )
            .prop_map(|(s, p, n, i)| Op::IterAcrossTruncate(s, p, n, i)),
        1 => stream().prop_map(Op::Sync),
        1 => Just(Op::SyncAll),
        1 => stream().prop_map(Op::Bounds),
        1 => stream().prop_map(Op::CurrentSegment),
        1 => Just(Op::Streams),
        2 => Just(Op::CrashAndReopen),
    ]
}

// ---------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------

const fn align8(n: u64) -> u64 {
    (n + 7) & !7
}

#[derive(Debug, Default, Clone)]
struct StreamModel {
    /// Every entry ever appended, by id (truncated ones included).
    entries: Vec<Vec<u8>>,
    /// Start ids of the retained segments; the last is the active one. Empty until
    /// the stream's first entry.
    segments: Vec<u64>,
    /// Bytes in the active segment (header and frames).
    active_len: u64,
}

impl StreamModel {
    fn exists(&self) -> bool {
        !self.segments.is_empty()
    }

    fn first(&self) -> u64 {
        self.segments.first().copied().unwrap_or(0)
    }

    fn next(&self) -> u64 {
        self.entries.len() as u64
    }

    fn bounds(&self) -> Option<std::ops::Range<u64>> {
        self.exists().then(|| self.first()..self.next())
    }

    fn get(&self, id: u64) -> Option<Vec<u8>> {
        self.bounds()
            .filter(|b| b.contains(&id))
            .map(|_| self.entries[id as usize].clone())
    }

    /// What an iterator from `start` yields.
    fn iter_from(&self, start: u64) -> Vec<(u64, Vec<u8>)> {
        match self.bounds() {
            Some(b) => (start.max(b.start)..b.end)
                .map(|id| (id, self.entries[id as usize].clone()))
                .collect(),
            None => Vec::new(),
        }
    }

    /// One frame (append, batch or commit) of `batch`.
    fn append(&mut self, name: &str, batch: &[Vec<u8>], opts: &Options) {
        if batch.is_empty() {
            return;
        }
        let header_len = align8(32 + name.len() as u64);
        let count = batch.len() as u64;
        // Exact without compression; with it, `max_segment_size` is never small. One
        // entry is a single-entry frame (24-byte header, no length prefix).
        let frame_len = match batch {
            [entry] => align8(24 + entry.len() as u64),
            _ => align8(32 + batch.iter().map(|e| 4 + e.len() as u64).sum::<u64>()),
        };
        let max_size = opts.max_segment_size.unwrap_or(64 * 1024 * 1024);
        match self.segments.last() {
            None => {
                self.segments.push(self.next());
                self.active_len = header_len;
            }
            Some(&active) => {
                let in_segment = self.next() - active;
                if in_segment > 0
                    && (self.active_len + frame_len > max_size
                        || in_segment + count > opts.max_entries)
                {
                    self.segments.push(self.next());
                    self.active_len = header_len;
                }
            }
        }
        if self.active_len == header_len {
            STATS[2].fetch_add(1, Ordering::Relaxed);
        }
        self.active_len += frame_len;
        self.entries.extend(batch.iter().cloned());
    }

    /// Deletes the sealed segments whose ids are all below `safe_id`; how many.
    fn truncate(&mut self, safe_id: u64) -> usize {
        let sealed = self.segments.len().saturating_sub(1);
        let doomed = (0..sealed)
            .take_while(|&i| self.segments[i + 1] <= safe_id)
            .count();
        self.segments.drain(..doomed);
        doomed
    }

    fn resolve(&self, pick: &IdPick) -> u64 {
        match *pick {
            IdPick::Existing(i) => match self.bounds() {
                Some(b) if !b.is_empty() => b.start + i.index((b.end - b.start) as usize) as u64,
                _ => self.next(),
            },
            IdPick::Truncated(i) => match self.first() {
                0 => 0,
                first => i.index(first as usize) as u64,
            },
            IdPick::Missing(n) => self.next() + n as u64,
            IdPick::Any(id) => id,
        }
    }
}

// ---------------------------------------------------------------------------------
// Running a case
// ---------------------------------------------------------------------------------

fn fail(context: &str, e: Error) -> TestCaseError {
    TestCaseError::fail(format!("{context}: {e}"))
}

/// Everything the WAL says about every stream matches the model.
fn assert_whole_state(wal: &Wal, model: &[StreamModel; 3]) -> Result<(), TestCaseError> {
    let mut names: Vec<String> = STREAMS
        .iter()
        .zip(model)
        .filter(|(_, m)| m.exists())
        .map(|(n, _)| n.to_string())
        .collect();
    names.sort();
    prop_assert_eq!(wal.streams(), names);
    for (name, m) in STREAMS.iter().zip(model) {
        prop_assert_eq!(
            wal.bounds(name).map_err(|e| fail("bounds", e))?,
            m.bounds(),
            "bounds of {}",
            name
        );
        prop_assert_eq!(
            wal.current_segment_start_id(name),
            m.segments.last().copied(),
            "active segment of {}",
            name
        );
        let got: Vec<(u64, Vec<u8>)> = wal
            .iter_with_ids(name, 0)
            .map_err(|e| fail("iter", e))?
            .collect::<Result<_, _>>()
            .map_err(|e| fail("iter item", e))?;
        prop_assert_eq!(got, m.iter_from(0), "iter({:?}, 0)", name);
        for id in 0..m.next() + 2 {
            let got = wal.get(name, id).map_err(|e| fail("get", e))?;
            prop_assert_eq!(got, m.get(id), "get({:?}, {})", name, id);
        }
    }
    Ok(())
}

fn run_case(opts: &Options, ops: &[Op]) -> Result<(), TestCaseError> {
    let dir = temp_dir();
    let root = dir.path().join("wal");
    let wal_options = opts.wal_options(&root);
    let mut wal = Wal::new(wal_options.clone()).map_err(|e| fail("open", e))?;
    let mut model: [StreamModel; 3] = Default::default();
    for (step, op) in ops.iter().enumerate() {
        let context = |what: &str| format!("step {step} {op:?}: {what}");
        match op {
            Op::Append(s, e) => {
                let id = wal
                    .append(STREAMS[*s], e)
                    .map_err(|e| fail(&context("append"), e))?;
                prop_assert_eq!(id, model[*s].next(), "{}", context("id"));
                model[*s].append(STREAMS[*s], std::slice::from_ref(e), opts);
            }
            Op::AppendBatch(s, es) => {
                let refs: Vec<&[u8]> = es.iter().map(Vec::as_slice).collect();
                let ids = wal
                    .append_batch(STREAMS[*s], &refs)
                    .map_err(|e| fail(&context("append_batch"), e))?;
                let next = model[*s].next();
                prop_assert_eq!(ids, next..next + es.len() as u64, "{}", context("ids"));
                model[*s].append(STREAMS[*s], es, opts);
            }
            Op::Txn(s, es, commit) => {
                let mut txn = wal.writer(STREAMS[*s]);
                for e in es {
                    txn.add(e.clone());
                }
                if *commit {
                    let ids = txn.commit().map_err(|e| fail(&context("commit"), e))?;
                    let next = model[*s].next();
                    prop_assert_eq!(ids, next..next + es.len() as u64, "{}", context("ids"));
                    model[*s].append(STREAMS[*s], es, opts);
                } else {
                    drop(txn);
                }
                let bounds = wal
                    .bounds(STREAMS[*s])
                    .map_err(|e| fail(&context("bounds"), e))?;
                prop_assert_eq!(bounds, model[*s].bounds(), "{}", context("bounds"));
            }
            Op::Get(s, pick) => {
                let id = model[*s].resolve(pick);
                let got = wal
                    .get(STREAMS[*s], id)
                    .map_err(|e| fail(&context("get"), e))?;
                prop_assert_eq!(got, model[*s].get(id), "{} id {}", context("get"), id);
            }
            Op::GetBatch(s, picks) => {
                let ids: Vec<u64> = picks.iter().map(|p| model[*s].resolve(p)).collect();
                let got = wal
                    .get_batch(STREAMS[*s], &ids)
                    .map_err(|e| fail(&context("get_batch"), e))?;
                let expected: Vec<Option<Vec<u8>>> =
                    ids.iter().map(|&id| model[*s].get(id)).collect();
                prop_assert_eq!(got, expected, "{} ids {:?}", context("get_batch"), ids);
            }
            Op::Iter(s, pick) => {
                let start = model[*s].resolve(pick);
                let got: Vec<(u64, Vec<u8>)> = wal
                    .iter_with_ids(STREAMS[*s], start)
                    .map_err(|e| fail(&context("iter"), e))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| fail(&context("iter item"), e))?;
                prop_assert_eq!(
                    &got,
                    &model[*s].iter_from(start),
                    "{} from {}",
                    context("iter"),
                    start
                );
                let plain: Vec<Vec<u8>> = wal
                    .iter(STREAMS[*s], start)
                    .map_err(|e| fail(&context("iter"), e))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| fail(&context("iter item"), e))?;
                let without_ids: Vec<Vec<u8>> = got.into_iter().map(|(_, e)| e).collect();
                prop_assert_eq!(plain, without_ids, "{}", context("iter vs iter_with_ids"));
            }
            Op::IterWhileAppending(s, pick, n, es) => {
                let name = STREAMS[*s];
                let refs: Vec<&[u8]> = es.iter().map(Vec::as_slice).collect();
                if !model[*s].exists() {
                    // An iterator over a stream that does not exist yet is empty for
                    // good; just append.
                    wal.append_batch(name, &refs)
                        .map_err(|e| fail(&context("append_batch"), e))?;
                    model[*s].append(name, es, opts);
                    continue;
                }
                let start = model[*s].resolve(pick);
                let mut iter = wal
                    .iter_with_ids(name, start)
                    .map_err(|e| fail(&context("iter"), e))?;
                let mut got = Vec::new();
                for item in iter.by_ref().take(*n) {
                    got.push(item.map_err(|e| fail(&context("iter item"), e))?);
                }
                wal.append_batch(name, &refs)
                    .map_err(|e| fail(&context("append_batch"), e))?;
                model[*s].append(name, es, opts);
                for item in iter {
                    got.push(item.map_err(|e| fail(&context("iter item"), e))?);
                }
                prop_assert_eq!(
                    &got,
                    &model[*s].iter_from(start),
                    "{} from {}",
                    context("iter sees appends"),
                    start
                );
            }
            Op::Truncate(s, pick) => {
                let safe = match pick {
                    Some(i) => i.index(model[*s].next() as usize + 2) as u64,
                    None => u64::MAX,
                };
                let before = model[*s].first();
                let deleted = wal
                    .truncate(STREAMS[*s], safe)
                    .map_err(|e| fail(&context("truncate"), e))?;
                STATS[0].fetch_add(deleted as u64, Ordering::Relaxed);
                prop_assert_eq!(
                    deleted,
                    model[*s].truncate(safe),
                    "{} safe id {}",
                    context("deleted segments"),
                    safe
                );
                let bounds = wal
                    .bounds(STREAMS[*s])
                    .map_err(|e| fail(&context("bounds"), e))?;
                prop_assert_eq!(
                    &bounds,
                    &model[*s].bounds(),
                    "{}",
                    context("bounds after truncate")
                );
                if let Some(b) = bounds {
                    // Nothing at or above the safe id is ever deleted.
                    prop_assert!(
                        b.start <= safe.max(before),
                        "{}",
                        context("truncate went past the safe id")
                    );
                }
            }
            Op::IterAcrossTruncate(s, pick, n, truncate_pick) => {
                let name = STREAMS[*s];
                let start = model[*s].resolve(pick);
                let before = model[*s].clone();
                let mut iter = wal
                    .iter_with_ids(name, start)
                    .map_err(|e| fail(&context("iter"), e))?;
                let mut got = Vec::new();
                for item in iter.by_ref().take(*n) {
                    got.push(item.map_err(|e| fail(&context("iter item"), e))?);
                }
                let taken_before = got.len();
                let safe = match truncate_pick {
                    Some(i) => i.index(model[*s].next() as usize + 2) as u64,
                    None => u64::MAX,
                };
                let deleted = wal
                    .truncate(name, safe)
                    .map_err(|e| fail(&context("truncate"), e))?;
                STATS[0].fetch_add(deleted as u64, Ordering::Relaxed);
                prop_assert_eq!(deleted, model[*s].truncate(safe), "{}", context("deleted"));
                let mut stopped_by_error = false;
                for item in iter {
                    match item {
                        Ok(entry) => got.push(entry),
                        Err(_) => {
                            stopped_by_error = true;
                            break;
                        }
                    }
                }
                // Before its first entry an iterator moves on to the first retained id.
                let first_expected = match got.first().filter(|_| taken_before > 0) {
                    Some(_) => before.iter_from(start).first().map_or(start, |e| e.0),
                    None => match model[*s].bounds() {
                        Some(b) => start.max(b.start),
                        None => start,
                    },
                };
                for (k, (id, bytes)) in got.iter().enumerate() {
                    prop_assert_eq!(
                        *id,
                        first_expected + k as u64,
                        "{}",
                        context("iter skipped an id")
                    );
                    prop_assert_eq!(
                        Some(bytes),
                        before.entries.get(*id as usize),
                        "{}",
                        context("iter bytes")
                    );
                }
                let end = got.last().map_or(first_expected, |e| e.0 + 1);
                if !stopped_by_error {
                    prop_assert_eq!(
                        end.max(first_expected),
                        model[*s].next().max(first_expected),
                        "{} stopped at {} without an error",
                        context("iter across truncate"),
                        end
                    );
                } else {
                    prop_assert!(
                        end < model[*s].first(),
                        "{} failed at {} which was not truncated",
                        context("iter across truncate"),
                        end
                    );
                }
            }
            Op::Sync(s) => {
                let synced = wal.sync(STREAMS[*s]);
                if model[*s].exists() {
                    synced.map_err(|e| fail(&context("sync"), e))?;
                } else {
                    prop_assert!(
                        matches!(synced, Err(Error::StreamNotFound(_))),
                        "{} {:?}",
                        context("sync of a stream that does not exist"),
                        synced
                    );
                }
            }
            Op::SyncAll => wal.sync_all().map_err(|e| fail(&context("sync_all"), e))?,
            Op::Bounds(s) => {
                let bounds = wal
                    .bounds(STREAMS[*s])
                    .map_err(|e| fail(&context("bounds"), e))?;
                prop_assert_eq!(bounds, model[*s].bounds(), "{}", context("bounds"));
            }
            Op::CurrentSegment(s) => {
                prop_assert_eq!(
                    wal.current_segment_start_id(STREAMS[*s]),
                    model[*s].segments.last().copied(),
                    "{}",
                    context("current_segment_start_id")
                );
            }
            Op::Streams => {
                let mut names: Vec<String> = STREAMS
                    .iter()
                    .zip(&model)
                    .filter(|(_, m)| m.exists())
                    .map(|(n, _)| n.to_string())
                    .collect();
                names.sort();
                prop_assert_eq!(wal.streams(), names, "{}", context("streams"));
            }
            Op::CrashAndReopen => {
                drop(wal);
                wal = Wal::new(wal_options.clone()).map_err(|e| fail(&context("reopen"), e))?;
                STATS[1].fetch_add(1, Ordering::Relaxed);
                assert_whole_state(&wal, &model)?;
            }
        }
    }
    assert_whole_state(&wal, &model)?;
    // And once more after a final reopen.
    drop(wal);
    let wal = Wal::new(wal_options).map_err(|e| fail("final reopen", e))?;
    assert_whole_state(&wal, &model)
}

/// A temp directory, on tmpfs when there is one (`Strict` fsyncs are then cheap).
fn temp_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::Builder::new()
            .prefix("ironwal-model-")
            .tempdir_in(shm)
        {
            return dir;
        }
    }
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn wal_matches_in_memory_model() {
    let mut config = Config::with_cases(scaled(BASE_CASES));
    config.failure_persistence = None;
    config.max_shrink_iters = 2000;
    let mut runner = TestRunner::new(config);
    let ran = AtomicU64::new(0);
    let ops_run = AtomicU64::new(0);
    let started = Instant::now();
    let outcome = runner.run(&(options(), vec(op(), 1..80)), |(opts, ops)| {
        ran.fetch_add(1, Ordering::Relaxed);
        ops_run.fetch_add(ops.len() as u64, Ordering::Relaxed);
        run_case(&opts, &ops)
    });
    let [deleted, reopens, created] = STATS.each_ref().map(|a| a.load(Ordering::Relaxed));
    println!(
        "model::wal_matches_in_memory_model: {} cases, {} operations in {:.2?} \
         ({created} segments created, {deleted} deleted by truncate, {reopens} crash-and-reopens)",
        ran.load(Ordering::Relaxed),
        ops_run.load(Ordering::Relaxed),
        started.elapsed()
    );
    if let Err(e) = outcome {
        panic!("model test failed: {e}");
    }
}

/// The model's segment arithmetic, checked by hand on one case so a mistake in the
/// model does not hide behind the engine agreeing with it.
#[test]
fn model_segment_boundaries_follow_the_rules() {
    let opts = Options {
        max_entries: 3,
        max_segment_size: None,
        sync_mode: SyncMode::Async,
        read_strategy: ReadStrategy::StandardIo,
        compression: CompressionType::None,
        min_compression_size: 1024,
        block_cache: None,
        max_open_segments: 50,
        read_buffer_size: 4096,
    };
    let mut m = StreamModel::default();
    let one = |m: &mut StreamModel, n: usize| m.append("s", &vec![vec![1u8]; n], &opts);
    one(&mut m, 2); // [0, 2)
    one(&mut m, 1); // [0, 3)
    one(&mut m, 1); // new segment at 3
    one(&mut m, 5); // a batch is never split: new segment at 4, holds 5 entries
    one(&mut m, 1); // new segment at 9
    assert_eq!(m.segments, vec![0, 3, 4, 9]);
    assert_eq!(
        m.truncate(2),
        0,
        "segment 0 holds id 2, which is not below 2"
    );
    assert_eq!(m.truncate(3), 1, "segment 0 holds ids 0..3, all below 3");
    assert_eq!(m.truncate(4), 1, "segment 3 holds id 3 only");
    assert_eq!(m.bounds(), Some(4..10));
    assert_eq!(m.truncate(u64::MAX), 1, "the active segment stays");
    assert_eq!(m.bounds(), Some(9..10));
}
