//! The checks must have teeth: states no crash can produce (bit rot, a lost durable
//! frame, a checkpointed entry that is gone, data claimed durable that was never synced) are reported as violations.

use super::harness::{check_crash_state, Config, CrashPlan, CrashState, Runner, Step};
use crate::storage::sim_fs::DiskState;
use crate::SyncMode;
use std::sync::Arc;

/// A Strict workload and the disk after it, everything durable.
fn strict_run(config: Config, steps: &[Step]) -> (Runner, usize, DiskState) {
    let mut runner = Runner::new(config, 7);
    runner.fs.record();
    runner.run(steps);
    runner.close();
    let end = runner.fs.op_count();
    let state = runner.fs.state().durable_only();
    (runner, end, state)
}

fn check(runner: &Runner, k: usize, state: DiskState) -> Result<bool, String> {
    let crash = CrashState {
        desc: "damaged on purpose".to_owned(),
        state,
        process_crash: false,
        keep_pending: false,
    };
    check_crash_state(&runner.config, &runner.model, k, &crash)
}

fn appends() -> Vec<Step> {
    (0..4)
        .map(|i| Step::Append {
            stream: 0,
            len: 50 + i * 10,
        })
        .collect()
}

#[test]
fn sim_checker_accepts_the_real_state() {
    let (runner, end, state) = strict_run(Config::plain("intact", SyncMode::Strict), &appends());
    assert_eq!(check(&runner, end, state), Ok(true));
}

#[test]
fn sim_checker_flags_bit_rot_in_a_durable_frame() {
    let (runner, end, mut state) =
        strict_run(Config::plain("bit rot", SyncMode::Strict), &appends());
    let file = state
        .file_mut("/wal/alpha/00000000000000000000.wal")
        .expect("segment");
    Arc::make_mut(&mut file.current)[60] ^= 0x40; // inside the first frame's payload
    file.durable = file.current.clone();
    let verdict = check(&runner, end, state);
    assert!(verdict.is_err(), "bit rot went unnoticed: {verdict:?}");
    println!(
        "sim_checker_flags_bit_rot_in_a_durable_frame: {}",
        verdict.unwrap_err()
    );
}

#[test]
fn sim_checker_flags_a_lost_durable_frame() {
    let (runner, end, mut state) =
        strict_run(Config::plain("lost frame", SyncMode::Strict), &appends());
    let file = state
        .file_mut("/wal/alpha/00000000000000000000.wal")
        .expect("segment");
    // The last frame is cut short (the segment is preallocated: zeros follow it).
    let frames_end = file.current.iter().rposition(|&b| b != 0).expect("frames");
    Arc::make_mut(&mut file.current).truncate(frames_end);
    file.durable = file.current.clone();
    let verdict = check(&runner, end, state);
    assert!(verdict.is_err(), "a lost acknowledged entry went unnoticed");
    println!(
        "sim_checker_flags_a_lost_durable_frame: {}",
        verdict.unwrap_err()
    );
}

#[test]
fn sim_checker_flags_a_lost_checkpointed_entry() {
    let steps = vec![Step::Key { key: 1, len: 40 }, Step::Checkpoint];
    let (runner, end, mut state) = strict_run(Config::sharded("ckpt", SyncMode::Strict, 1), &steps);
    // Drop the shard's only frame: the checkpoint now covers an entry that is gone.
    let file = state
        .file_mut("/wal/shard_00/00000000000000000000.wal")
        .expect("segment");
    Arc::make_mut(&mut file.current).truncate(40);
    file.durable = file.current.clone();
    let verdict = check(&runner, end, state);
    assert!(
        verdict.is_err(),
        "a checkpoint beyond the shard went unnoticed"
    );
    println!(
        "sim_checker_flags_a_lost_checkpointed_entry: {}",
        verdict.unwrap_err()
    );
}

/// A harness that never takes crash states before durability points would pass a WAL
/// that never fsyncs; this one must not: a workload whose "acknowledged" appends were
/// never synced (Async, but modelled as if durable) is caught.
#[test]
fn sim_checker_flags_unsynced_data_claimed_durable() {
    let mut config = Config::plain("claims", SyncMode::Async);
    // The runner models durability from the configured mode; run Async while the model
    // believes Strict by switching the option after opening.
    let mut runner = Runner::new(config.clone(), 3);
    runner.fs.record();
    runner.open();
    config.options.sync_mode = SyncMode::Strict;
    runner.config = config;
    runner.run(&appends());
    runner.close();
    let plan = CrashPlan {
        per_boundary: 8,
        reorder: false,
        kill_keeps_pending: false,
    };
    let report = super::harness::explore(&runner, &appends(), &plan, usize::MAX, 1);
    assert!(
        !report.violations.is_empty(),
        "an engine that does not fsync passed {} crash states",
        report.states
    );
    println!(
        "sim_checker_flags_unsynced_data_claimed_durable: {} of {} states flagged",
        report.violations.len(),
        report.states
    );
}
