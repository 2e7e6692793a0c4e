//! Power losses while several threads append in Strict mode: their appends share
//! fsyncs (group commit), and each must be durable by the time it returns.

use super::harness::scale;
use crate::storage::sim_fs::SimFs;
use crate::{SyncMode, Wal, WalOptions};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WRITERS: usize = 8;
const STREAM: &str = "shared";

/// While eight threads append, the disk is cut to what was made durable, again and
/// again; the WAL recovered from each cut holds every append acknowledged before it.
#[test]
fn sim_crash_concurrent_strict_appends() {
    let losses = 150 * scale();
    let fs = Arc::new(SimFs::new());
    // Long enough for the writers to form groups behind each fsync.
    fs.set_sync_latency(Duration::from_micros(50));
    let mut options = WalOptions::new("/wal");
    options.sync_mode = SyncMode::Strict;
    // Small segments: rotations (which sync on their own) happen under the writers.
    options.max_segment_size = 16 * 1024;
    let wal = Wal::with_vfs(options.clone(), fs.clone()).unwrap();
    // Every acknowledged append: its id and entry, in the order the appends returned.
    let acked = Mutex::new(Vec::<(u64, String)>::new());
    let stop = AtomicBool::new(false);
    let mut verified = 0;
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let (wal, acked, stop) = (&wal, &acked, &stop);
            scope.spawn(move || {
                for seq in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let entry = format!("writer {writer} append {seq}");
                    let id = wal.append(STREAM, entry.as_bytes()).unwrap();
                    acked.lock().push((id, entry));
                }
            });
        }
        // Stops the writers however this thread leaves the scope (a failed check too).
        let _stop = StopOnDrop(&stop);
        for loss in 0..losses {
            // Cut while the writers are busy: once a few dozen more appends returned.
            let deadline = Instant::now() + Duration::from_secs(10);
            while acked.lock().len() < verified + 32 {
                assert!(Instant::now() < deadline, "the writers stalled");
                std::thread::yield_now();
            }
            let before = acked.lock().len();
            let disk = fs.state().durable_only();
            let after = Wal::with_vfs(options.clone(), Arc::new(SimFs::from_state(disk)))
                .unwrap_or_else(|e| panic!("power loss {loss}: reopen failed: {e:?}"));
            // Appends that returned before the cut; those checked at earlier cuts stay
            // durable, the newest are the ones a missed fsync would lose.
            let newest = acked.lock()[verified..before].to_vec();
            for (id, entry) in newest {
                assert_eq!(
                    after.get(STREAM, id).unwrap().as_deref(),
                    Some(entry.as_bytes()),
                    "power loss {loss}: acknowledged entry {id} ({entry}) is lost"
                );
            }
            verified = before;
        }
    });
    println!(
        "sim_crash_concurrent_strict_appends: {losses} power losses, {verified} acknowledged appends verified"
    );
    assert!(verified > 0, "the writers never acknowledged anything");
}

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
