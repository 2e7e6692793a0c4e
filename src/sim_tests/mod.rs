//! Crash-state enumeration and fault injection over the simulated disk.
//!
//! - `harness`: workloads run against the real engine over a recording
//!   [`SimFs`](crate::storage::sim_fs::SimFs), the model of what they acknowledged, the
//!   crash states of a disk and the invariant checks after recovery.
//! - `workloads`: fixed and seeded random workloads.
//! - `crash`: crash states after every operation boundary (`sim_crash_*`).
//! - `faults`: injected I/O errors, ENOSPC and short writes (`sim_fault_*`), also during
//!   recovery.
//! - `concurrent`: power losses while threads append in Strict mode, sharing fsyncs
//!   (`sim_crash_concurrent_*`).
//! - `checker`: the checks catch states no crash can produce (`sim_checker_*`).
//! - `bugs`: minimal reproductions of engine bugs found here (`sim_bug_*`, ignored until
//!   fixed; `cargo test --lib --all-features sim_ -- --ignored` runs them and the
//!   explorations ignored for the same bugs).
//!
//! Everything is deterministic. `IRONWAL_SIM_STATES=<n>` scales the sampling up (crash
//! states per boundary, boundaries, random workloads, faults) for long runs;
//! `IRONWAL_SIM_SEED=<u64>` picks other random workloads. Each test prints the number of
//! crash states explored (or faults injected) and of violations. Run them with
//! `cargo test --lib --all-features sim_ -- --nocapture`.

mod bugs;
mod checker;
mod concurrent;
mod crash;
mod faults;
mod harness;
mod workloads;
