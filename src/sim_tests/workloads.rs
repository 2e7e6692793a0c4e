//! Workloads: fixed ones that exercise one feature each, and seeded random mixes.

use super::harness::Step;
use crate::storage::sim_fs::XorShift;

/// Entry sizes: mostly small, some empty, some spanning 512-byte sectors and 4 KiB
/// pages so torn writes have interior boundaries.
pub(crate) fn random_len(rng: &mut XorShift) -> usize {
    match rng.below(10) {
        0 => 0,
        1..=6 => 1 + rng.below(120) as usize,
        7 | 8 => 200 + rng.below(900) as usize,
        _ => 1500 + rng.below(4000) as usize,
    }
}

fn lens(rng: &mut XorShift, max: u64) -> Vec<usize> {
    (0..1 + rng.below(max)).map(|_| random_len(rng)).collect()
}

/// A random mix for a plain `Wal` with two streams.
pub(crate) fn random_plain(rng: &mut XorShift, steps: usize, reopen: bool) -> Vec<Step> {
    let mut out = Vec::new();
    for _ in 0..steps {
        let stream = rng.below(2) as usize;
        out.push(match rng.below(20) {
            0..=7 => Step::Append {
                stream,
                len: random_len(rng),
            },
            8..=10 => Step::Batch {
                stream,
                lens: lens(rng, 4),
            },
            11 | 12 => Step::Txn {
                stream,
                lens: lens(rng, 3),
            },
            13 => Step::Sync { stream },
            14 => Step::SyncAll,
            15 | 16 => Step::Truncate {
                stream,
                keep: rng.below(6),
            },
            17 if reopen => Step::Reopen,
            _ => Step::Append { stream, len: 8 },
        });
    }
    out
}

/// A random mix for a `ShardedWal`.
pub(crate) fn random_sharded(rng: &mut XorShift, steps: usize, reopen: bool) -> Vec<Step> {
    let mut out = Vec::new();
    let mut checkpoints = 0;
    for _ in 0..steps {
        let key = rng.below(16);
        out.push(match rng.below(20) {
            0..=7 => Step::Key {
                key,
                len: random_len(rng),
            },
            8 | 9 => Step::KeyBatch {
                key,
                lens: lens(rng, 3),
            },
            10 | 11 => Step::MultiBatch {
                keys: (0..2 + rng.below(3)).map(|_| rng.below(16)).collect(),
                len: random_len(rng),
            },
            12..=14 => {
                checkpoints += 1;
                Step::Checkpoint
            }
            15 if checkpoints > 1 => Step::Compact {
                keep: 1 + rng.below(2) as usize,
            },
            16 if checkpoints > 0 => Step::Prune,
            17 => Step::SyncAll,
            18 if reopen => Step::Reopen,
            _ => Step::Key { key, len: 16 },
        });
    }
    out
}

/// Single appends of assorted sizes to both streams.
pub(crate) fn appends() -> Vec<Step> {
    [0usize, 1, 100, 700, 5000, 3, 4096, 20, 513, 9000]
        .iter()
        .enumerate()
        .map(|(i, &len)| Step::Append { stream: i % 2, len })
        .collect()
}

/// Single appends, batches and transactions mixed (for `BatchOnly`).
pub(crate) fn batches_and_commits() -> Vec<Step> {
    vec![
        Step::Append { stream: 0, len: 10 },
        Step::Append {
            stream: 0,
            len: 600,
        },
        Step::Batch {
            stream: 0,
            lens: vec![5, 6, 7],
        },
        Step::Append { stream: 1, len: 30 },
        Step::Txn {
            stream: 1,
            lens: vec![100, 4200],
        },
        Step::Append {
            stream: 0,
            len: 1000,
        },
        Step::Append { stream: 0, len: 12 },
        Step::Batch {
            stream: 0,
            lens: vec![600, 700, 800],
        },
        Step::Txn {
            stream: 0,
            lens: vec![],
        },
        Step::Batch {
            stream: 1,
            lens: vec![0, 1],
        },
        Step::Append {
            stream: 1,
            len: 3000,
        },
    ]
}

/// Async appends with `sync` and `sync_all` in between.
pub(crate) fn async_with_syncs() -> Vec<Step> {
    vec![
        Step::Append { stream: 0, len: 10 },
        Step::Append {
            stream: 0,
            len: 700,
        },
        Step::Append { stream: 1, len: 50 },
        Step::Sync { stream: 0 },
        Step::Append {
            stream: 0,
            len: 5000,
        },
        Step::Batch {
            stream: 1,
            lens: vec![300, 300],
        },
        Step::Append { stream: 0, len: 40 },
        Step::SyncAll,
        Step::Append { stream: 0, len: 1 },
        Step::Append { stream: 1, len: 2 },
        Step::Sync { stream: 1 },
        Step::Append {
            stream: 0,
            len: 4000,
        },
    ]
}

/// Appends and batches that rotate segments of 3 entries, including a batch that does
/// not fit the current segment.
pub(crate) fn rotation() -> Vec<Step> {
    vec![
        Step::Append { stream: 0, len: 10 },
        Step::Append { stream: 0, len: 20 },
        Step::Append { stream: 0, len: 30 },
        Step::Append { stream: 0, len: 40 },
        Step::Batch {
            stream: 0,
            lens: vec![1, 2, 3],
        },
        Step::Append {
            stream: 1,
            len: 700,
        },
        Step::Append {
            stream: 0,
            len: 900,
        },
        Step::Batch {
            stream: 0,
            lens: vec![5, 5],
        },
        Step::Append { stream: 0, len: 60 },
        Step::Sync { stream: 0 },
        Step::Append { stream: 0, len: 70 },
    ]
}

/// Rotation (2 entries a segment) and truncates, also one keeping nothing sealed.
pub(crate) fn truncation() -> Vec<Step> {
    let mut steps = Vec::new();
    for i in 0..7 {
        steps.push(Step::Append {
            stream: 0,
            len: 20 + i * 100,
        });
    }
    steps.push(Step::Truncate { stream: 0, keep: 3 });
    steps.push(Step::Append { stream: 0, len: 10 });
    steps.push(Step::Append { stream: 0, len: 10 });
    steps.push(Step::Truncate { stream: 0, keep: 0 });
    steps.push(Step::Append { stream: 0, len: 10 });
    steps.push(Step::Truncate { stream: 1, keep: 0 });
    steps
}

/// Sharded appends, checkpoints and a prune.
pub(crate) fn sharded_checkpoints() -> Vec<Step> {
    vec![
        Step::Key { key: 1, len: 10 },
        Step::Key { key: 2, len: 700 },
        Step::Checkpoint,
        Step::MultiBatch {
            keys: vec![1, 2, 3, 4],
            len: 30,
        },
        Step::Key { key: 5, len: 5000 },
        Step::Checkpoint,
        Step::KeyBatch {
            key: 3,
            lens: vec![1, 2, 3],
        },
        Step::Checkpoint,
        Step::Prune,
        Step::Key { key: 1, len: 8 },
    ]
}

/// Sharded checkpoints and compactions.
pub(crate) fn sharded_compaction() -> Vec<Step> {
    vec![
        Step::Key { key: 1, len: 10 },
        Step::Checkpoint,
        Step::Key { key: 2, len: 20 },
        Step::Checkpoint,
        Step::Checkpoint,
        Step::Key { key: 3, len: 30 },
        Step::Checkpoint,
        Step::Compact { keep: 2 },
        Step::Key { key: 4, len: 40 },
        Step::Checkpoint,
        Step::Compact { keep: 1 },
        Step::Checkpoint,
    ]
}
