//! Group commit: writers hand their frames to the kernel under the stream's write
//! lock, then wait here for durability. The first waiter becomes the leader, takes the
//! current end of the log and fdatasyncs once for everyone written so far; waiters
//! whose bytes that covered return without an fsync of their own. Writes go on while
//! a leader syncs, so the next group forms during the current fsync.
//!
//! Gathering: the writers an fsync released are about to write again. Rather than
//! sync a part of that group at once, the next leader waits, for at most half an
//! fsync's time, until as many waiters need the next fsync as the last one covered.
//! A lone writer never waits (its group is one).
//!
//! Waking: waiters park, and the leader unparks exactly the ones its fsync covered
//! (plus one that still waits, to lead the next fsync), all at once. A condition
//! variable would hand its mutex from one woken thread to the next, and on few cores
//! that serial chain of wake-ups took as long as the fsync.
//!
//! Positions are log sequence numbers: bytes written to the stream since it was
//! opened. Invariant: `durable <= written`, and every byte below `durable` is on
//! stable storage.

use crate::storage::vfs::VfsFile;
use crate::{Error, Result};
use parking_lot::{Condvar, Mutex, MutexGuard};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// The longest a leader waits for its group to gather.
const MAX_GATHER: Duration = Duration::from_micros(200);

pub(crate) struct GroupCommit {
    state: Mutex<SyncState>,
    /// `state.durable`, stored once the waiters it covers are off the parked list: a
    /// woken waiter that sees its position covered returns without the lock.
    durable: AtomicU64,
    /// Whether `state.failure` is set (checked by every write without the lock).
    failed: AtomicBool,
    /// Signalled when the group a leader gathers is complete.
    joined: Condvar,
}

struct SyncState {
    durable: u64,
    leader_active: bool,
    /// How many waiters the last fsync covered, its leader included: the group the
    /// next leader gathers.
    last_group: usize,
    /// How long the last fsync took.
    last_sync: Duration,
    /// Waiters asleep until their bytes are durable (or they are to lead), with the
    /// position they wait for. None of them is covered by `durable`.
    parked: Vec<(u64, Thread)>,
    /// Set by the first failed fsync; the stream never accepts writes again.
    failure: Option<String>,
}

/// What a leader must sync: the active file and the log position its end stands for.
pub(crate) struct SyncTarget<'a> {
    pub file: Arc<dyn VfsFile>,
    pub written: u64,
    /// Names the file in an error message; called only if the fsync fails.
    pub what: Box<dyn FnOnce() -> String + 'a>,
}

impl SyncState {
    /// Takes the parked waiters whose bytes are durable (all of them after a failure)
    /// and, when no leader is active, one more to lead the next fsync.
    fn take_wakeable(&mut self) -> Vec<Thread> {
        let (durable, everyone) = (self.durable, self.failure.is_some());
        let mut woken = Vec::new();
        self.parked.retain(|(position, thread)| {
            let wake = everyone || *position <= durable;
            if wake {
                woken.push(thread.clone());
            }
            !wake
        });
        if !self.leader_active {
            woken.extend(self.parked.pop().map(|(_, thread)| thread));
        }
        woken
    }
}

impl GroupCommit {
    pub fn new() -> Self {
        GroupCommit {
            state: Mutex::new(SyncState {
                durable: 0,
                leader_active: false,
                last_group: 1,
                last_sync: Duration::ZERO,
                parked: Vec::new(),
                failure: None,
            }),
            durable: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            joined: Condvar::new(),
        }
    }

    /// Returns the poison message if an fsync of this stream ever failed.
    pub fn failure(&self) -> Option<String> {
        if !self.failed.load(Ordering::Acquire) {
            return None;
        }
        self.state.lock().failure.clone()
    }

    /// Records that everything below `position` is durable (a writer synced it itself,
    /// e.g. when sealing a segment).
    pub fn mark_durable(&self, position: u64) {
        let mut state = self.state.lock();
        state.durable = state.durable.max(position);
        self.wake(state);
    }

    /// Records a failed fsync: the stream is poisoned from now on.
    pub fn poison(&self, message: String) {
        let mut state = self.state.lock();
        state.failure.get_or_insert(message);
        self.wake(state);
    }

    /// Unparks the waiters `take_wakeable` picks, after releasing the lock.
    fn wake(&self, mut state: MutexGuard<'_, SyncState>) {
        let woken = self.take_wakeable(&mut state);
        drop(state);
        woken.iter().for_each(Thread::unpark);
    }

    /// `SyncState::take_wakeable`, then publishes `durable` and `failure` to lock-free
    /// readers (only now: the waiters they cover are off the list).
    fn take_wakeable(&self, state: &mut SyncState) -> Vec<Thread> {
        let woken = state.take_wakeable();
        self.durable.store(state.durable, Ordering::Release);
        self.failed
            .store(state.failure.is_some(), Ordering::Release);
        woken
    }

    /// Returns once every byte below `position` is durable. `target` is called (without
    /// any lock of ours held) by the thread that becomes leader.
    pub fn wait_durable<'t>(
        &self,
        position: u64,
        target: impl Fn() -> Result<SyncTarget<'t>>,
    ) -> Result<()> {
        let mut state = self.state.lock();
        loop {
            if let Some(failure) = &state.failure {
                return Err(Error::Poisoned(failure.clone()));
            }
            if state.durable >= position {
                return Ok(());
            }
            if !state.leader_active {
                state = self.lead(state, &target)?;
                continue;
            }
            state.parked.push((position, thread::current()));
            // Wake a gathering leader only when its group is complete.
            if state.parked.len() + 1 >= state.last_group {
                self.joined.notify_one();
            }
            drop(state);
            thread::park();
            if self.durable.load(Ordering::Acquire) >= position
                && !self.failed.load(Ordering::Acquire)
            {
                return Ok(());
            }
            state = self.state.lock();
            // Woken, or spuriously: off the list either way; it parks again if need be.
            let me = thread::current().id();
            state.parked.retain(|(_, thread)| thread.id() != me);
        }
    }

    /// Gathers the group, fsyncs the log end for it and wakes the waiters it covered.
    fn lead<'a, 't>(
        &'a self,
        mut state: MutexGuard<'a, SyncState>,
        target: impl Fn() -> Result<SyncTarget<'t>>,
    ) -> Result<MutexGuard<'a, SyncState>> {
        state.leader_active = true;
        self.gather(&mut state);
        let started = Instant::now();
        let synced = MutexGuard::unlocked(&mut state, || {
            target().map(|t| (t.file.sync_data(), t.written, t.what))
        });
        state.last_sync = started.elapsed();
        let outcome = match synced {
            Ok((Ok(()), written, _)) => {
                state.durable = state.durable.max(written);
                let covered = state.parked.iter().filter(|(p, _)| *p <= written).count();
                state.last_group = covered + 1;
                Ok(())
            }
            Ok((Err(e), _, what)) => {
                let message = format!("fdatasync of {} failed: {e}", what());
                state.failure.get_or_insert(message.clone());
                Err(Error::Io(std::io::Error::new(e.kind(), message)))
            }
            Err(e) => Err(e),
        };
        state.leader_active = false;
        let woken = self.take_wakeable(&mut state);
        MutexGuard::unlocked(&mut state, || woken.iter().for_each(Thread::unpark));
        outcome.map(|()| state)
    }

    /// Lets the group the last fsync released write again before this leader syncs.
    fn gather(&self, state: &mut MutexGuard<'_, SyncState>) {
        let deadline = Instant::now() + (state.last_sync / 2).min(MAX_GATHER);
        while state.parked.len() + 1 < state.last_group {
            if self.joined.wait_until(state, deadline).timed_out() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A file whose fdatasync takes a while, makes durable what the last sync target
    /// reported written, or fails.
    #[derive(Default)]
    struct SlowSync {
        target: AtomicU64,
        synced: AtomicU64,
        syncs: AtomicUsize,
        fail: bool,
    }

    impl VfsFile for SlowSync {
        fn read_at(&self, _: &mut [u8], _: u64) -> std::io::Result<usize> {
            unreachable!()
        }
        fn write_at(&self, _: &[u8], _: u64) -> std::io::Result<usize> {
            unreachable!()
        }
        fn sync_data(&self) -> std::io::Result<()> {
            std::thread::sleep(Duration::from_micros(300));
            self.syncs.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(std::io::Error::other("injected"));
            }
            let target = self.target.load(Ordering::SeqCst);
            self.synced.fetch_max(target, Ordering::SeqCst);
            Ok(())
        }
        fn set_len(&self, _: u64) -> std::io::Result<()> {
            unreachable!()
        }
        fn len(&self) -> std::io::Result<u64> {
            unreachable!()
        }
        fn map(&self, _: u64) -> std::io::Result<Option<memmap2::Mmap>> {
            unreachable!()
        }
    }

    /// Runs `threads` writers, each appending `rounds` times (a position counter stands
    /// for the log) and waiting for durability; returns each wait's outcome.
    fn run(file: &Arc<SlowSync>, threads: usize, rounds: usize) -> Vec<Result<u64>> {
        let commit = GroupCommit::new();
        let written = AtomicU64::new(0);
        let target = || {
            let end = written.load(Ordering::SeqCst);
            file.target.store(end, Ordering::SeqCst);
            Ok(SyncTarget {
                file: file.clone(),
                written: end,
                what: Box::new(|| "test log".into()),
            })
        };
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        (0..rounds)
                            .map(|_| {
                                let position = written.fetch_add(1, Ordering::SeqCst) + 1;
                                commit.wait_durable(position, target).map(|()| position)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        })
    }

    #[test]
    fn waiters_return_once_durable_and_share_fsyncs() {
        let file = Arc::new(SlowSync::default());
        let (threads, rounds) = (8, 100);
        for outcome in run(&file, threads, rounds) {
            let position = outcome.unwrap();
            // `synced` only grows, so it covered the position when the wait returned.
            assert!(file.synced.load(Ordering::SeqCst) >= position);
        }
        let syncs = file.syncs.load(Ordering::SeqCst);
        assert!(
            syncs <= threads * rounds / 2,
            "{syncs} fsyncs for {} waits: no grouping",
            threads * rounds
        );
    }

    #[test]
    fn a_failed_fsync_releases_every_waiter_with_an_error() {
        let file = Arc::new(SlowSync {
            fail: true,
            ..SlowSync::default()
        });
        let outcomes = run(&file, 8, 3);
        assert_eq!(outcomes.len(), 24);
        let io = outcomes
            .iter()
            .filter(|o| matches!(o, Err(Error::Io(_))))
            .count();
        let poisoned = outcomes
            .iter()
            .filter(|o| matches!(o, Err(Error::Poisoned(_))))
            .count();
        assert_eq!((io, poisoned), (1, 23), "{outcomes:?}");
        assert_eq!(file.syncs.load(Ordering::SeqCst), 1);
        // Every error names the file whose fsync failed, and why.
        for outcome in outcomes {
            let message = outcome.unwrap_err().to_string();
            assert!(
                message.contains("fdatasync of test log failed: injected"),
                "{message}"
            );
        }
    }
}
