#![cfg(feature = "sharded")]
//! Checkpoints taken while 8 threads append: every checkpoint is a consistent cut.
//!
//! - 6 "pair" writers each append `X_k` then `Y_k` (k = 0, 1, ...) to two keys in two
//!   different shards, one append after the other. In any consistent cut, the number of
//!   X entries inside (`cx`) and of Y entries inside (`cy`) satisfy `cy <= cx <= cy + 1`:
//!   Y_k is inside only if X_k is (X_k returned before Y_k was called), X_{k+1} only if
//!   Y_k is.
//! - 2 batch writers call `append_batch` with entries for every shard: each batch is
//!   either wholly inside a checkpoint or wholly outside.
//! - Before each `create_checkpoint`, the checkpointer snapshots how many appends each
//!   writer has completed: all of them must be inside.
//!
//! Meanwhile checkpoints are compacted (also from a second thread) and pruned, and a
//! reader checks that the latest checkpoint never goes backwards.

mod sharded_common;

use ironwal::sharded::{shard_for_key, ShardedWal};
use ironwal::{Error, SyncMode};
use sharded_common::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const SHARDS: u16 = 4;
const PAIR_WRITERS: usize = 6;
const BATCH_WRITERS: usize = 2;
const BATCH_LEN: usize = 6;

/// A created checkpoint: id, offsets, appends each writer had returned before the call.
type Created = (Vec<u8>, Vec<u64>, Vec<u64>);

struct PairKeys {
    x: Vec<u8>,
    y: Vec<u8>,
    x_shard: u16,
    y_shard: u16,
}

fn pair_keys(t: usize) -> PairKeys {
    let x_shard = (t % SHARDS as usize) as u16;
    let y_shard = ((t + 1 + t / SHARDS as usize) % SHARDS as usize) as u16;
    assert_ne!(x_shard, y_shard);
    PairKeys {
        x: key_for_shard(&format!("w{t}x"), x_shard, SHARDS),
        y: key_for_shard(&format!("w{t}y"), y_shard, SHARDS),
        x_shard,
        y_shard,
    }
}

fn batch_entries(t: usize, j: u64) -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..BATCH_LEN)
        .map(|i| {
            let shard = (i % SHARDS as usize) as u16;
            (
                key_for_shard(&format!("b{t}-{i}-"), shard, SHARDS),
                format!("{t}|b|{j}|{i}").into_bytes(),
            )
        })
        .collect()
}

/// What the writers got back.
#[derive(Default)]
struct Results {
    /// Pair writer t: ids of X_k and Y_k.
    pairs: Vec<Vec<(u64, u64)>>,
    /// Batch writer t: (shard, id) of each batch's entries.
    batches: Vec<Vec<Vec<(u16, u64)>>>,
}

fn check_checkpoint(
    ctx: &str,
    offsets: &[u64],
    snapshot: &[u64],
    results: &Results,
    keys: &[PairKeys],
) {
    for (t, ids) in results.pairs.iter().enumerate() {
        let k = &keys[t];
        let (ox, oy) = (offsets[k.x_shard as usize], offsets[k.y_shard as usize]);
        let cx = ids.iter().filter(|(x, _)| *x < ox).count();
        let cy = ids.iter().filter(|(_, y)| *y < oy).count();
        // Inside entries of one key are a prefix (ids grow with k).
        assert!(ids.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
        assert!(
            cy <= cx && cx <= cy + 1,
            "{ctx}: writer {t}: {cx} X and {cy} Y entries inside (offsets {offsets:?}): not a consistent cut"
        );
        assert!(
            (cx + cy) as u64 >= snapshot[t],
            "{ctx}: writer {t} had {} appends returned before create_checkpoint, only {} inside",
            snapshot[t],
            cx + cy
        );
    }
    for (b, batches) in results.batches.iter().enumerate() {
        let t = PAIR_WRITERS + b;
        let mut inside_count = 0u64;
        for (j, batch) in batches.iter().enumerate() {
            let inside: Vec<bool> = batch
                .iter()
                .map(|&(s, id)| id < offsets[s as usize])
                .collect();
            assert!(
                inside.iter().all(|&i| i) || inside.iter().all(|&i| !i),
                "{ctx}: batch {j} of writer {t} is half inside: {inside:?} ({batch:?}, offsets {offsets:?})"
            );
            if inside[0] {
                assert_eq!(
                    inside_count, j as u64,
                    "{ctx}: writer {t}: batch {j} inside, an earlier one not"
                );
                inside_count += 1;
            }
        }
        assert!(
            inside_count >= snapshot[t],
            "{ctx}: writer {t} had {} batches returned before create_checkpoint, only {inside_count} inside",
            snapshot[t]
        );
    }
}

/// The content of every retained entry is what its writer wrote, and every id of every
/// shard belongs to exactly one acknowledged append.
fn check_contents(wal: &ShardedWal, results: &Results, keys: &[PairKeys]) {
    let mut expected: HashMap<(u16, u64), Vec<u8>> = HashMap::new();
    for (t, ids) in results.pairs.iter().enumerate() {
        for (k, &(x, y)) in ids.iter().enumerate() {
            let a = expected.insert((keys[t].x_shard, x), format!("{t}|x|{k}").into_bytes());
            let b = expected.insert((keys[t].y_shard, y), format!("{t}|y|{k}").into_bytes());
            assert!(a.is_none() && b.is_none(), "an id was returned twice");
        }
    }
    for (b, batches) in results.batches.iter().enumerate() {
        let t = PAIR_WRITERS + b;
        for (j, batch) in batches.iter().enumerate() {
            for ((_, value), &(s, id)) in batch_entries(t, j as u64).iter().zip(batch) {
                assert!(
                    expected.insert((s, id), value.clone()).is_none(),
                    "an id was returned twice"
                );
            }
        }
    }
    for s in 0..SHARDS {
        let b = bounds(wal, s);
        let count = expected.keys().filter(|(sh, _)| *sh == s).count() as u64;
        assert_eq!(
            b.end, count,
            "shard {s}: ids are not dense over acknowledged appends"
        );
        let got = read_shard_ids(wal, s, b.start);
        assert_eq!(got.len() as u64, b.end - b.start);
        for (id, value) in got {
            assert_eq!(
                Some(&value),
                expected.get(&(s, id)),
                "shard {s} entry {id} has the wrong content"
            );
        }
    }
}

fn run(mode: SyncMode, pairs_per_writer: u64, batches_per_writer: u64) {
    let dir = tempfile::tempdir().unwrap();
    let wal = Arc::new(open_with(dir.path(), SHARDS, mode, 32));
    let keys: Arc<Vec<PairKeys>> = Arc::new((0..PAIR_WRITERS).map(pair_keys).collect());
    let progress: Arc<Vec<AtomicU64>> = Arc::new(
        (0..PAIR_WRITERS + BATCH_WRITERS)
            .map(|_| AtomicU64::new(0))
            .collect(),
    );
    let writers_done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    let mut pair_handles = Vec::new();
    for t in 0..PAIR_WRITERS {
        let (wal, keys, progress, done) = (
            wal.clone(),
            keys.clone(),
            progress.clone(),
            writers_done.clone(),
        );
        pair_handles.push(std::thread::spawn(move || {
            let k = &keys[t];
            let mut ids = Vec::new();
            for i in 0..pairs_per_writer {
                let (sx, x) = wal.append(&k.x, format!("{t}|x|{i}").as_bytes()).unwrap();
                progress[t].store(2 * i + 1, Ordering::SeqCst);
                let (sy, y) = wal.append(&k.y, format!("{t}|y|{i}").as_bytes()).unwrap();
                progress[t].store(2 * i + 2, Ordering::SeqCst);
                assert_eq!((sx, sy), (k.x_shard, k.y_shard));
                ids.push((x, y));
            }
            done.fetch_add(1, Ordering::SeqCst);
            ids
        }));
    }
    let mut batch_handles = Vec::new();
    for b in 0..BATCH_WRITERS {
        let t = PAIR_WRITERS + b;
        let (wal, progress, done) = (wal.clone(), progress.clone(), writers_done.clone());
        batch_handles.push(std::thread::spawn(move || {
            let mut all = Vec::new();
            for j in 0..batches_per_writer {
                let entries = batch_entries(t, j);
                let out = wal.append_batch(&entries).unwrap();
                for ((key, _), &(s, _)) in entries.iter().zip(&out) {
                    assert_eq!(s, shard_for_key(key, SHARDS));
                }
                progress[t].store(j + 1, Ordering::SeqCst);
                all.push(out);
            }
            done.fetch_add(1, Ordering::SeqCst);
            all
        }));
    }

    // A second compactor, racing with checkpoint creation.
    let compactor = {
        let (wal, stop) = (wal.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut runs = 0;
            while !stop.load(Ordering::SeqCst) {
                let stats = wal.compact_checkpoints(3).unwrap();
                assert!(stats.checkpoints_after <= 3.max(stats.checkpoints_before));
                runs += 1;
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            runs
        })
    };
    // A reader: the latest checkpoint never goes back, and reads from it work while
    // pruning deletes segments.
    let reader = {
        let (wal, stop) = (wal.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut last: Option<Vec<u64>> = None;
            let mut reads = 0;
            while !stop.load(Ordering::SeqCst) {
                match wal.load_latest_checkpoint() {
                    Ok((_, cp)) => {
                        if let Some(prev) = &last {
                            assert!(
                                prev.iter().zip(&cp.offsets).all(|(a, b)| a <= b),
                                "latest checkpoint went back: {prev:?} -> {:?}",
                                cp.offsets
                            );
                        }
                        for s in 0..SHARDS {
                            let from = cp.offsets[s as usize];
                            let iter = wal.iter_shard_with_ids(s, from).unwrap();
                            for (i, entry) in iter.take(50).enumerate() {
                                match entry {
                                    Ok((id, value)) => {
                                        // Contiguous from the offset unless pruned meanwhile.
                                        assert!(id >= from);
                                        assert!(
                                            id == from + i as u64 || bounds(&wal, s).start > from
                                        );
                                        assert!(
                                            value.contains(&b'|'),
                                            "shard {s} entry {id}: {value:?}"
                                        );
                                    }
                                    // A newer checkpoint may have been pruned under this
                                    // (now stale) one while reading.
                                    Err(e) => {
                                        assert!(bounds(&wal, s).start > from, "read error: {e:?}");
                                        break;
                                    }
                                }
                            }
                        }
                        last = Some(cp.offsets);
                        reads += 1;
                    }
                    Err(Error::NoCheckpoints) => assert!(last.is_none(), "checkpoints vanished"),
                    Err(e) => panic!("load_latest_checkpoint: {e:?}"),
                }
                std::thread::yield_now();
            }
            reads
        })
    };

    // The checkpointer: create, compact, prune, until the writers are done.
    // Every checkpoint created: (id, offsets, appends returned before the call).
    let created: Arc<Mutex<Vec<Created>>> = Arc::default();
    let checkpointer = {
        let (wal, progress, done, created) = (
            wal.clone(),
            progress.clone(),
            writers_done.clone(),
            created.clone(),
        );
        std::thread::spawn(move || {
            let mut n = 0u64;
            let mut previous: Option<Vec<u8>> = None;
            let mut pruned = 0;
            loop {
                let finished = done.load(Ordering::SeqCst) == (PAIR_WRITERS + BATCH_WRITERS) as u64;
                n += 1;
                // Sometimes re-use an id (never twice in a row).
                let name = if n % 7 == 0 {
                    b"hot".to_vec()
                } else {
                    format!("ck{n}").into_bytes()
                };
                let snapshot: Vec<u64> =
                    progress.iter().map(|p| p.load(Ordering::SeqCst)).collect();
                wal.create_checkpoint(&name).unwrap();
                let cp = wal.load_checkpoint(&name).unwrap();
                created
                    .lock()
                    .unwrap()
                    .push((name.clone(), cp.offsets.clone(), snapshot));
                let (latest, _) = wal.load_latest_checkpoint().unwrap();
                assert_eq!(
                    latest, name,
                    "the checkpoint just created is not the latest"
                );
                assert_eq!(cp.shard_count, SHARDS);
                if n % 5 == 0 {
                    let stats = wal.compact_checkpoints(4).unwrap();
                    assert!(stats.checkpoints_after <= 4);
                    assert_eq!(
                        wal.load_latest_checkpoint().unwrap().0,
                        name,
                        "compaction dropped the latest"
                    );
                }
                if n % 3 == 0 {
                    // The second newest always survives compaction to 3 or 4.
                    if let Some(prev) = &previous {
                        let stats = wal.prune_before_checkpoint(prev).unwrap();
                        pruned += stats.segments_deleted;
                    }
                }
                previous = Some(name);
                if finished {
                    break;
                }
            }
            (n, pruned)
        })
    };

    let results = Results {
        pairs: pair_handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect(),
        batches: batch_handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect(),
    };
    let (checkpoints_made, segments_pruned) = checkpointer.join().unwrap();
    stop.store(true, Ordering::SeqCst);
    let compactions = compactor.join().unwrap();
    let reads = reader.join().unwrap();
    println!(
        "{mode:?}: {checkpoints_made} checkpoints, {segments_pruned} segments pruned, \
         {compactions} racing compactions, {reads} latest reads"
    );
    assert!(
        checkpoints_made >= 3,
        "too few checkpoints to test anything"
    );

    // Every checkpoint ever created (most were compacted away since) was a
    // consistent cut, and they never go back.
    let created = created.lock().unwrap().clone();
    assert_eq!(created.len() as u64, checkpoints_made);
    let mut previous: Option<&Vec<u64>> = None;
    for (i, (name, offsets, snapshot)) in created.iter().enumerate() {
        let ctx = format!("{mode:?} checkpoint #{i} {}", String::from_utf8_lossy(name));
        check_checkpoint(&ctx, offsets, snapshot, &results, &keys);
        if let Some(prev) = previous {
            assert!(
                prev.iter().zip(offsets).all(|(a, b)| a <= b),
                "{ctx}: went back"
            );
        }
        previous = Some(offsets);
    }
    // The surviving ones are stored with those offsets.
    let last_created: BTreeMap<&Vec<u8>, &Vec<u64>> =
        created.iter().map(|(n, o, _)| (n, o)).collect();
    let check_all = |wal: &ShardedWal, when: &str| {
        let list = wal.list_checkpoints();
        assert!(!list.is_empty());
        for (name, _) in &list {
            let cp = wal.load_checkpoint(name).unwrap();
            let ctx = format!(
                "{when}: {mode:?} checkpoint {}",
                String::from_utf8_lossy(name)
            );
            for s in 0..SHARDS {
                assert!(
                    cp.offsets[s as usize] <= bounds(wal, s).end,
                    "{ctx}: beyond shard {s}"
                );
            }
            assert_eq!(
                &&cp.offsets,
                last_created.get(name).expect("never created"),
                "{ctx}"
            );
        }
        // The last checkpoint was created after all writers finished: it covers all.
        let (_, latest) = wal.load_latest_checkpoint().unwrap();
        assert_eq!(
            latest.offsets,
            next_ids(wal),
            "{when}: final checkpoint misses entries"
        );
        check_contents(wal, &results, &keys);
    };
    check_all(&wal, "live");
    let wal = Arc::try_unwrap(wal).expect("all threads joined");
    drop(wal);
    let wal = open_with(dir.path(), SHARDS, mode, 32);
    check_all(&wal, "after reopen");
}

#[test]
fn checkpoints_are_consistent_cuts_under_concurrent_appends_async() {
    run(SyncMode::Async, 1500, 400);
}

#[test]
fn checkpoints_are_consistent_cuts_under_concurrent_appends_strict() {
    run(SyncMode::Strict, 250, 80);
}

/// Many threads creating checkpoints (and compacting) at once: none is lost, ids
/// replace, and the log reloads to the same state.
#[test]
fn concurrent_create_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let wal = Arc::new(open_with(dir.path(), 3, SyncMode::Async, 64));
    let mut handles = Vec::new();
    for t in 0..4 {
        let wal = wal.clone();
        handles.push(std::thread::spawn(move || {
            for i in 0..40 {
                wal.append(format!("t{t}-{i}").as_bytes(), b"v").unwrap();
                wal.create_checkpoint(format!("t{t}-c{i}").as_bytes())
                    .unwrap();
                wal.create_checkpoint(format!("shared{}", i % 3).as_bytes())
                    .unwrap();
            }
        }));
    }
    let compactor = {
        let wal = wal.clone();
        std::thread::spawn(move || {
            for _ in 0..50 {
                let stats = wal.compact_checkpoints(10).unwrap();
                assert!(stats.checkpoints_after <= 10);
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        })
    };
    for h in handles {
        h.join().unwrap();
    }
    compactor.join().unwrap();
    let before_compact = wal.list_checkpoints();
    let count = wal.checkpoint_count();
    assert_eq!(before_compact.len(), count);
    // Ids are unique in the list.
    let mut names: Vec<_> = before_compact.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), count);
    let latest = wal.load_latest_checkpoint().unwrap();
    assert_eq!(Some(&latest.0), before_compact.last().map(|(n, _)| n));
    let data: Vec<_> = before_compact
        .iter()
        .map(|(n, _)| wal.load_checkpoint(n).unwrap())
        .collect();
    drop(Arc::try_unwrap(wal).ok().unwrap());
    let wal = open_with(dir.path(), 3, SyncMode::Async, 64);
    assert_eq!(wal.list_checkpoints(), before_compact);
    assert_eq!(wal.load_latest_checkpoint().unwrap(), latest);
    for ((n, _), d) in before_compact.iter().zip(&data) {
        assert_eq!(&wal.load_checkpoint(n).unwrap(), d);
    }
    let stats = wal.compact_checkpoints(2).unwrap();
    assert_eq!(
        (stats.checkpoints_before, stats.checkpoints_after),
        (count, 2)
    );
    assert_eq!(wal.load_latest_checkpoint().unwrap(), latest);
}
