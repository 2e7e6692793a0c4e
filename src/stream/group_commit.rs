//! Group commit: writers hand their frames to the kernel under the stream's write
//! lock, then wait here for durability. The first waiter becomes the leader, takes the
//! current end of the log and fdatasyncs once for everyone written so far; waiters
//! whose bytes that covered return without an fsync of their own. Writes go on while
//! a leader syncs, so the next group forms during the current fsync.
//!
//! Gathering: when several threads waited for the last fsync, the writers it released
//! are about to write again. Rather than sync a half group at once, the next leader
//! waits, for at most half an fsync's time, until as many threads wait as did last
//! time. A lone writer never waits (its group is one).
//!
//! Positions are log sequence numbers: bytes written to the stream since it was
//! opened. Invariant: `durable <= written`, and every byte below `durable` is on
//! stable storage.

use crate::{Error, Result};
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::storage::vfs::VfsFile;

/// The longest a leader waits for its group to gather.
const MAX_GATHER: Duration = Duration::from_micros(200);

pub(crate) struct GroupCommit {
    state: Mutex<SyncState>,
    /// Signalled when `durable` or `failure` changes.
    synced: Condvar,
    /// Signalled when the group a leader gathers is complete.
    joined: Condvar,
}

struct SyncState {
    durable: u64,
    leader_active: bool,
    /// Threads inside `wait_durable` (the leader included).
    waiting: usize,
    /// How many threads waited when the last fsync ended: the group to gather.
    last_group: usize,
    /// How long the last fsync took.
    last_sync: Duration,
    /// Set by the first failed fsync; the stream never accepts writes again.
    failure: Option<String>,
}

/// What a leader must sync: the active file and the log position its end stands for.
pub(crate) struct SyncTarget {
    pub file: Arc<dyn VfsFile>,
    pub written: u64,
    pub what: String,
}

impl GroupCommit {
    pub fn new() -> Self {
        GroupCommit {
            state: Mutex::new(SyncState {
                durable: 0,
                leader_active: false,
                waiting: 0,
                last_group: 1,
                last_sync: Duration::ZERO,
                failure: None,
            }),
            synced: Condvar::new(),
            joined: Condvar::new(),
        }
    }

    /// Returns the poison message if an fsync of this stream ever failed.
    pub fn failure(&self) -> Option<String> {
        self.state.lock().failure.clone()
    }

    /// Records that everything below `position` is durable (a writer synced it itself,
    /// e.g. when sealing a segment).
    pub fn mark_durable(&self, position: u64) {
        let mut state = self.state.lock();
        state.durable = state.durable.max(position);
        self.synced.notify_all();
    }

    /// Records a failed fsync: the stream is poisoned from now on.
    pub fn poison(&self, message: String) {
        let mut state = self.state.lock();
        state.failure.get_or_insert(message);
        self.synced.notify_all();
    }

    /// Returns once every byte below `position` is durable. `target` is called (without
    /// any lock of ours held) by the thread that becomes leader.
    pub fn wait_durable(
        &self,
        position: u64,
        target: impl Fn() -> Result<SyncTarget>,
    ) -> Result<()> {
        let mut state = self.state.lock();
        if state.durable >= position && state.failure.is_none() {
            return Ok(());
        }
        state.waiting += 1;
        // Wake a gathering leader only when its group is complete.
        if state.leader_active && state.waiting >= state.last_group {
            self.joined.notify_one();
        }
        let outcome = self.wait_or_lead(&mut state, position, target);
        state.waiting -= 1;
        outcome
    }

    fn wait_or_lead(
        &self,
        state: &mut parking_lot::MutexGuard<'_, SyncState>,
        position: u64,
        target: impl Fn() -> Result<SyncTarget>,
    ) -> Result<()> {
        loop {
            if let Some(failure) = &state.failure {
                return Err(Error::Poisoned(failure.clone()));
            }
            if state.durable >= position {
                return Ok(());
            }
            if state.leader_active {
                self.synced.wait(state);
                continue;
            }
            state.leader_active = true;
            self.gather(state);
            let started = Instant::now();
            let synced = parking_lot::MutexGuard::unlocked(state, || {
                target().map(
                    |SyncTarget {
                         file,
                         written,
                         what,
                     }| (file.sync_data(), written, what),
                )
            });
            state.last_sync = started.elapsed();
            state.last_group = state.waiting;
            state.leader_active = false;
            let (outcome, written, what) = match synced {
                Ok(synced) => synced,
                Err(e) => {
                    self.synced.notify_all();
                    return Err(e);
                }
            };
            match outcome {
                Ok(()) => state.durable = state.durable.max(written),
                Err(e) => {
                    let message = format!("fdatasync of {what} failed: {e}");
                    state.failure.get_or_insert(message.clone());
                    self.synced.notify_all();
                    return Err(Error::Io(std::io::Error::new(e.kind(), message)));
                }
            }
            self.synced.notify_all();
        }
    }

    /// Lets the group the last fsync released write again before this leader syncs.
    fn gather(&self, state: &mut parking_lot::MutexGuard<'_, SyncState>) {
        let deadline = Instant::now() + (state.last_sync / 2).min(MAX_GATHER);
        while state.waiting < state.last_group {
            if self.joined.wait_until(state, deadline).timed_out() {
                break;
            }
        }
    }
}
