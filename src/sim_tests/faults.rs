//! Fault injection through the simulated disk: each operation of the write path fails
//! in turn (EIO, ENOSPC, short writes, a write cut short by ENOSPC). Expected: the step
//! that hit the fault fails with `Error::Io` (or succeeds when the engine could work
//! around it), later writes to a stream whose fsync failed are refused with
//! `Error::Poisoned` until reopen while its reads keep working, every other later step
//! succeeds (no reopen needed), no acknowledged entry is lost and no read returns wrong
//! bytes, in process, after a restart, and in crash states taken right after the fault.

use super::harness::{
    base_seed, check_crash_state, explore_at, scale, Config, CrashPlan, CrashState, Runner, Step,
};
use super::workloads;
use crate::storage::sim_fs::{FaultEffect, OpKind};
use crate::SyncMode;
use std::collections::HashMap;

type Fault = (OpKind, u64, FaultEffect);

const EIO: i32 = libc::EIO;
const ENOSPC: i32 = libc::ENOSPC;

/// The outcome of every fault case of one workload.
#[derive(Default)]
struct Totals {
    cases: usize,
    injected: usize,
    states: usize,
    violations: Vec<String>,
    /// Fault cases with violations, by kind and effect.
    by_kind: std::collections::BTreeMap<String, usize>,
    /// Faults injected, by kind.
    injected_by_kind: std::collections::BTreeMap<String, usize>,
}

impl Totals {
    fn print(&self, name: &str) {
        println!(
            "{name}: {} faults injected in {} runs, {} crash states explored after them, {} \
             violations",
            self.injected,
            self.cases,
            self.states,
            self.violations.len()
        );
        let per_kind: Vec<String> = self
            .injected_by_kind
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        println!("  injected: {}", per_kind.join(", "));
        for (kind, n) in &self.by_kind {
            println!("  {n} failing runs with {kind}");
        }
        for (summary, n) in super::harness::summarize(&self.violations) {
            println!("  {n} x {summary}");
        }
        for v in self.violations.iter().take(3) {
            println!("{v}");
        }
    }

    fn assert_clean(&self, name: &str) {
        self.print(name);
        assert!(
            self.violations.is_empty(),
            "{} violations in {name}; first:\n{}",
            self.violations.len(),
            self.violations[0]
        );
    }
}

/// Steps that write to every stream once (a plain `Wal`) or to every shard and take a
/// checkpoint (sharded): after a fault they show whether writes work again.
fn probes(config: &Config) -> Vec<Step> {
    match config.shards {
        None => (0..config.streams.len())
            .map(|stream| Step::Append { stream, len: 24 })
            .collect(),
        Some(_) => vec![
            Step::MultiBatch {
                keys: (0..8).collect(),
                len: 24,
            },
            Step::Checkpoint,
        ],
    }
}

/// Runs `steps` (then probes, a reopen, probes) with `faults` armed. `None` when no
/// fault fired.
fn run_case(
    config: &Config,
    steps: &[Step],
    faults: &[Fault],
    plan: &CrashPlan,
    seed: u64,
    totals: &mut Totals,
) {
    let mut runner = Runner::new(config.clone(), seed);
    runner.fs.record();
    runner.verify_each_step = true;
    // Faults start after the WAL was created (see `bugs::sim_bug_root_*`).
    runner.open();
    for &(kind, nth, effect) in faults {
        runner.fs.inject(kind, nth, effect);
    }
    let mut all: Vec<Step> = steps.to_vec();
    all.extend(probes(config));
    runner.run(&all);
    let fired = runner.fs.fired();
    if fired.is_empty() {
        return;
    }
    runner.fs.clear_faults();
    let before_reopen = runner.fs.op_count();
    runner.step(&Step::Reopen);
    runner.run(&probes(config));
    runner.verify_in_process();
    runner.close();
    totals.cases += 1;
    totals.injected += fired.len();
    for fault in &fired {
        *totals
            .injected_by_kind
            .entry(format!("{:?}", fault.kind))
            .or_default() += 1;
    }
    let describe = |message: &str| {
        format!(
            "FAULT VIOLATION [{}] faults {faults:?} fired {:?}: {message}\n  steps: {steps:?}\n  \
             operations around the first fault:\n{}",
            config.name,
            fired
                .iter()
                .map(|f| format!("#{} {:?} {} {:?}", f.op, f.kind, f.path.display(), f.effect))
                .collect::<Vec<_>>(),
            around(&runner, fired[0].op)
        )
    };
    for problem in &runner.problems {
        totals.violations.push(describe(problem));
    }
    // Power losses right after the fault and at the end of the workload (before the
    // reopen: after it, appends may land behind pages a failed fsync dropped, which no
    // engine can see).
    let mut boundaries = vec![fired[0].op + 1];
    if before_reopen > fired[0].op + 1 {
        boundaries.push(before_reopen);
    }
    let report = explore_at(&runner, &all, plan, &boundaries, seed);
    totals.states += report.states;
    totals
        .violations
        .extend(report.violations.iter().map(|v| describe(v)));
    // A restart (kill -9) at the very end.
    let history = runner.fs.history();
    let end = history.len() - 1;
    let killed = CrashState {
        desc: "process crash at the end".to_owned(),
        state: history[end].process_crash(),
        process_crash: true,
        keep_pending: false,
    };
    totals.states += 1;
    if let Err(message) = check_crash_state(&runner.config, &runner.model, end, &killed) {
        totals
            .violations
            .push(describe(&format!("after a restart: {message}")));
    }
}

fn around(runner: &Runner, op: usize) -> String {
    runner
        .fs
        .log()
        .iter()
        .enumerate()
        .skip(op.saturating_sub(8))
        .take(14)
        .map(|(i, record)| format!("    #{i}: {record}\n"))
        .collect()
}

/// The faults tried on each operation of a kind.
fn effects(kind: OpKind) -> Vec<Vec<(u64, FaultEffect)>> {
    use FaultEffect::*;
    match kind {
        OpKind::Write => vec![
            vec![(0, Errno(EIO))],
            vec![(0, Errno(ENOSPC))],
            // A short write: the rest is written by the next call.
            vec![(0, ShortWrite(20))],
            // ENOSPC mid-frame: part of the frame lands, then the write fails...
            vec![(0, PartialThenErrno(1000, ENOSPC))],
            // ...or the write comes back short and the next call fails.
            vec![(0, ShortWrite(36)), (1, Errno(ENOSPC))],
            // The cleanup after a failed write fails too (garbage stays behind).
            vec![(0, PartialThenErrno(40, EIO)), (u64::MAX, Errno(EIO))],
        ],
        OpKind::Create | OpKind::Mkdir => vec![vec![(0, Errno(EIO))], vec![(0, Errno(ENOSPC))]],
        _ => vec![vec![(0, Errno(EIO))]],
    }
}

/// Every fault of `kinds` on every operation of that kind the workload performs (at most
/// `cap` per kind, spread evenly), each in its own run.
fn sweep(
    config: &Config,
    steps: &[Step],
    kinds: &[OpKind],
    cap: usize,
    plan: &CrashPlan,
) -> Totals {
    // A dry run counts the operations of each kind.
    let mut dry = Runner::new(config.clone(), base_seed());
    let mut all = steps.to_vec();
    all.extend(probes(config));
    dry.open();
    let at_open = dry.fs.counts();
    dry.run(&all);
    assert!(dry.problems.is_empty(), "dry run: {:?}", dry.problems);
    let counts: HashMap<OpKind, u64> = dry
        .fs
        .counts()
        .into_iter()
        .map(|(kind, n)| (kind, n - at_open.get(&kind).copied().unwrap_or(0)))
        .collect();
    drop(dry);
    let mut totals = Totals::default();
    for &kind in kinds {
        let count = counts.get(&kind).copied().unwrap_or(0);
        let picks: Vec<u64> = if count as usize <= cap {
            (1..=count).collect()
        } else {
            (0..cap as u64)
                .map(|i| 1 + i * count / cap as u64)
                .collect()
        };
        for nth in picks {
            for effect in effects(kind) {
                let before = totals.violations.len();
                let faults: Vec<Fault> = effect
                    .iter()
                    .map(|&(offset, e)| match offset {
                        // The next set_len after the failed write (its cleanup).
                        u64::MAX => (OpKind::SetLen, 1, e),
                        _ => (kind, nth + offset, e),
                    })
                    .collect();
                let seed = base_seed() ^ nth ^ (kind as u64) << 32;
                run_case(config, steps, &faults, plan, seed, &mut totals);
                if totals.violations.len() > before {
                    *totals
                        .by_kind
                        .entry(format!("{kind:?} {effect:?}"))
                        .or_default() += 1;
                }
            }
        }
    }
    totals
}

/// Every kind of write-path operation but `sync_dir` (see
/// `sim_fault_sync_dir_each_operation`).
const WRITE_PATH: &[OpKind] = &[
    OpKind::Write,
    OpKind::SyncData,
    OpKind::Rename,
    OpKind::SetLen,
    OpKind::Create,
    OpKind::Remove,
    OpKind::Mkdir,
];

fn plan() -> CrashPlan {
    CrashPlan {
        per_boundary: 10 * scale(),
        reorder: false,
        kill_keeps_pending: false,
    }
}

/// Strict appends and batches that rotate segments of 3 entries, and a truncate.
fn plain_workload() -> Vec<Step> {
    vec![
        Step::Append { stream: 0, len: 10 },
        Step::Append {
            stream: 0,
            len: 700,
        },
        Step::Batch {
            stream: 0,
            lens: vec![5, 6],
        },
        Step::Append { stream: 1, len: 20 },
        Step::Append { stream: 0, len: 30 },
        Step::Batch {
            stream: 0,
            lens: vec![1, 2, 3],
        },
        Step::Append {
            stream: 0,
            len: 5000,
        },
        Step::Truncate { stream: 0, keep: 1 },
        Step::Txn {
            stream: 1,
            lens: vec![7, 8],
        },
    ]
}

#[test]
fn sim_fault_each_write_path_operation_strict() {
    let config = Config::plain("faults strict", SyncMode::Strict).entries_per_segment(3);
    let totals = sweep(
        &config,
        &plain_workload(),
        WRITE_PATH,
        12 * scale(),
        &plan(),
    );
    totals.assert_clean("sim_fault_each_write_path_operation_strict");
}

#[test]
fn sim_fault_each_write_path_operation_async() {
    let config = Config::plain("faults async", SyncMode::Async).entries_per_segment(4);
    let totals = sweep(
        &config,
        &workloads::async_with_syncs(),
        WRITE_PATH,
        10 * scale(),
        &plan(),
    );
    totals.assert_clean("sim_fault_each_write_path_operation_async");
}

#[test]
fn sim_fault_sharded_checkpoints_and_compaction() {
    let config = Config::sharded("faults sharded", SyncMode::BatchOnly, 2).entries_per_segment(3);
    let mut steps = workloads::sharded_compaction();
    steps.push(Step::Prune);
    let totals = sweep(&config, &steps, WRITE_PATH, 10 * scale(), &plan());
    totals.assert_clean("sim_fault_sharded_checkpoints_and_compaction");
}

/// EIO from each directory fsync in turn, in all three workloads.
#[test]
fn sim_fault_sync_dir_each_operation() {
    let mut totals = Totals::default();
    for (config, steps) in [
        (
            Config::plain("sync_dir faults strict", SyncMode::Strict).entries_per_segment(3),
            plain_workload(),
        ),
        (
            Config::plain("sync_dir faults async", SyncMode::Async).entries_per_segment(4),
            workloads::async_with_syncs(),
        ),
        (
            Config::sharded("sync_dir faults sharded", SyncMode::BatchOnly, 2)
                .entries_per_segment(3),
            workloads::sharded_compaction(),
        ),
    ] {
        let one = sweep(&config, &steps, &[OpKind::SyncDir], 12 * scale(), &plan());
        totals.cases += one.cases;
        totals.injected += one.injected;
        totals.states += one.states;
        totals.violations.extend(one.violations);
        for (kind, n) in one.injected_by_kind {
            *totals.injected_by_kind.entry(kind).or_default() += n;
        }
        for (kind, n) in one.by_kind {
            *totals.by_kind.entry(kind).or_default() += n;
        }
    }
    totals.assert_clean("sim_fault_sync_dir_each_operation");
}

/// EIO on each mutating operation of recovery in turn (cutting a torn tail, removing
/// leftovers, rewriting `HEAD`, ...), on crash states of a rotating and a sharded
/// workload: open fails with `Error::Io` or works around it; a retry and an open after a
/// power loss right after the failed one recover cleanly.
#[test]
fn sim_fault_during_recovery() {
    use super::harness::{check_recovery_fault, crash_states};
    use crate::storage::sim_fs::{SimFs, XorShift};
    use std::sync::Arc;
    let kinds = [
        OpKind::Write,
        OpKind::SyncData,
        OpKind::SetLen,
        OpKind::Create,
        OpKind::Rename,
        OpKind::Remove,
        OpKind::SyncDir,
    ];
    let mut totals = Totals::default();
    for (config, steps) in [
        (
            Config::plain("recovery faults", SyncMode::Async).entries_per_segment(3),
            workloads::rotation(),
        ),
        (
            Config::sharded("recovery faults sharded", SyncMode::Async, 2).entries_per_segment(2),
            workloads::sharded_checkpoints(),
        ),
    ] {
        let mut runner = Runner::new(config.clone(), base_seed());
        runner.fs.record();
        runner.run(&steps);
        runner.close();
        let history = runner.fs.history();
        let mut rng = XorShift::new(base_seed());
        let crash_plan = CrashPlan {
            per_boundary: 6 * scale(),
            reorder: false,
            kill_keeps_pending: false,
        };
        for k in (0..history.len()).step_by(3) {
            for crash in crash_states(&history[k], &crash_plan, &mut rng) {
                // What does recovery of this state write?
                let dry = Arc::new(SimFs::from_state(crash.state.clone()));
                if super::harness::open(&config, dry.clone()).is_err() {
                    continue;
                }
                let counts = dry.counts();
                for kind in kinds {
                    for nth in 1..=counts.get(&kind).copied().unwrap_or(0) {
                        match check_recovery_fault(&config, &runner.model, k, &crash, kind, nth) {
                            Ok(true) => {
                                totals.cases += 1;
                                totals.injected += 1;
                                totals.states += 1;
                                *totals
                                    .injected_by_kind
                                    .entry(format!("{kind:?}"))
                                    .or_default() += 1;
                            }
                            Ok(false) => {}
                            Err(message) => totals.violations.push(format!(
                                "FAULT VIOLATION [{}] crash after operation #{k} ({}) fired [recovery]: {message}",
                                config.name, crash.desc
                            )),
                        }
                    }
                }
            }
        }
    }
    totals.assert_clean("sim_fault_during_recovery");
}
