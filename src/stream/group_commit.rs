//! Group commit: writers hand their frames to the kernel under the stream's write
//! lock, then wait here for durability. The first waiter becomes the leader, takes the
//! current end of the log and fdatasyncs once for everyone written so far; waiters
//! whose bytes that covered return without an fsync of their own. Writes go on while
//! a leader syncs, so the next group forms during the current fsync.
//!
//! Gathering: the writers an fsync released are about to write again. Rather than
//! sync a part of that group at once, the next leader waits, for at most half an
//! fsync's time, until as many waiters need the next fsync as the last one covered.
//! The waiter that completes the group takes the lead and syncs at once, so no
//! wake-up stands between the group and its fsync; the waiting leader returns with
//! the rest once covered. A lone writer never waits (its group is one).
//!
//! Waking: a leader that ends an fsync bumps the wake epoch, which releases every
//! waiter at once; those it did not cover wait again, or lead. While fsyncs are short
//! (a fast device) and cover three writers or more, waiters yield the CPU in a loop,
//! watching the epoch, for up to twice the last fsync's time before they sleep: on few
//! cores, and worst in virtual machines, waking sleeping threads one by one took longer
//! than half the fsync. (With two writers yielding gained nothing and cost the CPU.)
//!
//! Positions are log sequence numbers: bytes written to the stream since it was
//! opened. Invariant: `durable <= written`, and every byte below `durable` is on
//! stable storage.

use crate::error::io_error_in;
use crate::storage::vfs::VfsFile;
use crate::{Error, Result};
use parking_lot::{Mutex, MutexGuard};
use parking_lot_core::{DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// The longest a leader waits for its group to gather.
const MAX_GATHER: Duration = Duration::from_micros(200);
/// Waiters yield instead of sleeping only while the last fsync took at most this long
/// (on slower devices a wake-up is small next to the fsync)...
const MAX_SPIN_SYNC: Duration = Duration::from_micros(250);
/// ...and covered at least this many writers: waking one waiter costs little, waking
/// many one after another is what yielding saves.
const MIN_SPIN_GROUP: usize = 3;

pub(crate) struct GroupCommit {
    state: Mutex<SyncState>,
    /// `state.durable`, published before each wake-up: a released waiter that sees
    /// its position covered returns without the lock.
    durable: AtomicU64,
    /// Whether `state.failure` is set (checked by every write without the lock).
    failed: AtomicBool,
    /// Bumped, under the lock, by every wake-up; waiters wait for it to move.
    wake_epoch: AtomicU32,
}

struct SyncState {
    durable: u64,
    /// A leader is gathering its group or syncing.
    leader_active: bool,
    /// The leader while it gathers (waiting, and in `waiting`): a waiter that
    /// completes the group clears this and syncs in its place.
    gatherer: Option<ThreadId>,
    /// How many waiters the last fsync covered, its leader included: the group the
    /// next leader gathers.
    last_group: usize,
    /// How long the last fsync took.
    last_sync: Duration,
    /// The positions waiters wait for; emptied by each wake-up, which releases them.
    waiting: Vec<u64>,
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

impl GroupCommit {
    pub fn new() -> Self {
        GroupCommit {
            state: Mutex::new(SyncState {
                durable: 0,
                leader_active: false,
                gatherer: None,
                last_group: 1,
                last_sync: Duration::ZERO,
                waiting: Vec::new(),
                failure: None,
            }),
            durable: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            wake_epoch: AtomicU32::new(0),
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
        self.wake_all(state);
    }

    /// Records a failed fsync: the stream is poisoned from now on.
    pub fn poison(&self, message: String) {
        let mut state = self.state.lock();
        state.failure.get_or_insert(message);
        self.wake_all(state);
    }

    /// Publishes `durable` and `failure` to lock-free readers and releases every
    /// waiter (those not covered wait again, or lead).
    fn wake_all(&self, mut state: MutexGuard<'_, SyncState>) {
        self.durable.store(state.durable, Ordering::Release);
        self.failed
            .store(state.failure.is_some(), Ordering::Release);
        if state.waiting.is_empty() {
            return;
        }
        state.waiting.clear();
        self.wake_epoch.fetch_add(1, Ordering::Release);
        drop(state);
        // SAFETY: the key is this object's address, parked on only by `sleep`.
        unsafe { parking_lot_core::unpark_all(self.epoch_key(), DEFAULT_UNPARK_TOKEN) };
    }

    /// Returns once every byte below `position` is durable. `target` is called (without
    /// any lock of ours held) by the thread that syncs.
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
            let completes_group = state.waiting.len() + 1 >= state.last_group;
            if !state.leader_active {
                state.leader_active = true;
                state = if completes_group {
                    self.sync(state, &target)?
                } else {
                    self.gather(state, position, &target)?
                };
                continue;
            }
            if state.gatherer.is_some() && completes_group {
                state.gatherer = None;
                state = self.sync(state, &target)?;
                continue;
            }
            self.wait(state, position, None);
            if self.durable.load(Ordering::Acquire) >= position
                && !self.failed.load(Ordering::Acquire)
            {
                return Ok(());
            }
            state = self.state.lock();
        }
    }

    /// The new leader waits until its group is complete, for at most half the last
    /// fsync's time, then syncs, unless a waiter took the lead meanwhile.
    fn gather<'a, 't>(
        &'a self,
        mut state: MutexGuard<'a, SyncState>,
        position: u64,
        target: impl Fn() -> Result<SyncTarget<'t>>,
    ) -> Result<MutexGuard<'a, SyncState>> {
        let me = thread::current().id();
        let deadline = Instant::now() + (state.last_sync / 2).min(MAX_GATHER);
        state.gatherer = Some(me);
        self.wait(state, position, Some(deadline));
        let mut state = self.state.lock();
        // Once a waiter took the lead, a later leader may be gathering: not ours to clear.
        if state.gatherer != Some(me) {
            return Ok(state);
        }
        state.gatherer = None;
        self.sync(state, target)
    }

    /// Adds `position` to `waiting`, releases the lock and waits for the next wake-up,
    /// or until `deadline` (then `position` is no longer waiting).
    fn wait(&self, mut state: MutexGuard<'_, SyncState>, position: u64, deadline: Option<Instant>) {
        let epoch = self.wake_epoch.load(Ordering::Relaxed);
        state.waiting.push(position);
        let spin = if state.last_sync <= MAX_SPIN_SYNC && state.last_group >= MIN_SPIN_GROUP {
            state.last_sync * 2
        } else {
            Duration::ZERO
        };
        drop(state);
        if self.sleep(epoch, Instant::now() + spin, deadline) {
            return;
        }
        let mut state = self.state.lock();
        // Still listed unless a wake-up came since (the list counts positions, so any
        // entry equal to ours will do).
        if self.wake_epoch.load(Ordering::Relaxed) == epoch {
            if let Some(at) = state.waiting.iter().position(|&p| p == position) {
                state.waiting.swap_remove(at);
            }
        }
    }

    /// Waits until the wake epoch moves from `epoch` (true) or `deadline` passes
    /// (false): yielding the CPU in a loop until `spin_until`, then asleep.
    fn sleep(&self, epoch: u32, spin_until: Instant, deadline: Option<Instant>) -> bool {
        let woken = || self.wake_epoch.load(Ordering::Acquire) != epoch;
        let spin_until = deadline.map_or(spin_until, |d| d.min(spin_until));
        while Instant::now() < spin_until {
            if woken() {
                return true;
            }
            thread::yield_now();
        }
        loop {
            if woken() {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            // SAFETY: the key is this object's address, used only here and in
            // `wake_all`; the callbacks call no parking functions.
            unsafe {
                parking_lot_core::park(
                    self.epoch_key(),
                    || !woken(),
                    || {},
                    |_, _| {},
                    DEFAULT_PARK_TOKEN,
                    deadline,
                )
            };
        }
    }

    /// The address waiters park on.
    fn epoch_key(&self) -> usize {
        &self.wake_epoch as *const AtomicU32 as usize
    }

    /// Fsyncs the log end for everyone written so far and releases the waiters (the
    /// caller holds the lead, and gives it up here).
    fn sync<'a, 't>(
        &'a self,
        mut state: MutexGuard<'a, SyncState>,
        target: impl Fn() -> Result<SyncTarget<'t>>,
    ) -> Result<MutexGuard<'a, SyncState>> {
        let outcome = if state.failure.is_some() {
            Ok(()) // poisoned while gathering: the caller's loop reports it
        } else {
            self.fsync(&mut state, target)
        };
        state.leader_active = false;
        self.wake_all(state);
        outcome.map(|()| self.state.lock())
    }

    /// Fsyncs the log end (without the lock) and records the outcome.
    fn fsync<'t>(
        &self,
        state: &mut MutexGuard<'_, SyncState>,
        target: impl Fn() -> Result<SyncTarget<'t>>,
    ) -> Result<()> {
        let started = Instant::now();
        let synced = MutexGuard::unlocked(state, || {
            target().map(|t| (t.file.sync_data(), t.written, t.what))
        });
        state.last_sync = started.elapsed();
        match synced {
            Ok((Ok(()), written, _)) => {
                state.durable = state.durable.max(written);
                let covered = state.waiting.iter().filter(|&&p| p <= written).count();
                state.last_group = covered + 1;
                Ok(())
            }
            Ok((Err(e), _, what)) => {
                let context = format!("fdatasync of {} failed", what());
                state.failure.get_or_insert(format!("{context}: {e}"));
                Err(Error::Io(io_error_in(context, e)))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A file whose fdatasync takes `delay`, makes durable what the last sync target
    /// reported written, or fails.
    #[derive(Default)]
    struct SlowSync {
        delay: Duration,
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
            std::thread::sleep(self.delay);
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
    /// for the log) and waiting for durability; returns each wait's outcome: the
    /// position waited for and how much was synced when the wait returned.
    fn run(file: &Arc<SlowSync>, threads: usize, rounds: usize) -> Vec<Result<(u64, u64)>> {
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
                                commit
                                    .wait_durable(position, target)
                                    .map(|()| (position, file.synced.load(Ordering::SeqCst)))
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

    /// With short fsyncs the waiters yield while they wait, with long ones they sleep.
    #[test]
    fn waiters_return_once_durable_and_share_fsyncs() {
        for delay in [Duration::from_micros(20), MAX_SPIN_SYNC * 2] {
            let file = Arc::new(SlowSync {
                delay,
                ..SlowSync::default()
            });
            let (threads, rounds) = (8, 100);
            for outcome in run(&file, threads, rounds) {
                let (position, synced) = outcome.unwrap();
                assert!(synced >= position, "returned at {synced} before {position}");
            }
            let syncs = file.syncs.load(Ordering::SeqCst);
            assert!(
                syncs <= threads * rounds / 2,
                "{delay:?} fsyncs: {syncs} of them for {} waits, no grouping",
                threads * rounds
            );
        }
    }

    #[test]
    fn a_failed_fsync_releases_every_waiter_with_an_error() {
        let file = Arc::new(SlowSync {
            delay: Duration::from_micros(300),
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
