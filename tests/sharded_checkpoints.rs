#![cfg(feature = "sharded")]
//! Checkpoints of the sharded WAL: offsets, latest/list semantics, id rules, durability,
//! recovery of `checkpoints.log` and `HEAD`, pruning and compaction.

mod sharded_common;

use ironwal::sharded::{shard_for_key, CheckpointData, CompactionStats, PruneStats, ShardedWal};
use ironwal::{CorruptionPolicy, Error, SyncMode};
use sharded_common::*;
use std::path::Path;

/// What was appended to each shard, in id order.
struct Model {
    shards: Vec<Vec<Vec<u8>>>,
    counter: u64,
}

impl Model {
    fn new(n: u16) -> Model {
        Model {
            shards: vec![Vec::new(); n as usize],
            counter: 0,
        }
    }

    fn next_ids(&self) -> Vec<u64> {
        self.shards.iter().map(|s| s.len() as u64).collect()
    }

    /// `n` appends mixing single appends, multi-shard batches and per-key batches.
    fn write(&mut self, wal: &ShardedWal, n: usize) {
        let count = wal.shard_count();
        let mut done = 0;
        while done < n {
            self.counter += 1;
            let c = self.counter;
            match c % 3 {
                0 => {
                    let key = format!("key{}", c % 11);
                    let value = format!("single-{c}").into_bytes();
                    let (s, id) = wal.append(key.as_bytes(), &value).unwrap();
                    assert_eq!(s, shard_for_key(key.as_bytes(), count));
                    assert_eq!(id, self.shards[s as usize].len() as u64);
                    self.shards[s as usize].push(value);
                    done += 1;
                }
                1 => {
                    let batch: Vec<(Vec<u8>, Vec<u8>)> = (0..5)
                        .map(|j| {
                            (
                                format!("bk{}", (c + j) % 13).into_bytes(),
                                format!("batch-{c}-{j}").into_bytes(),
                            )
                        })
                        .collect();
                    for ((_, v), (s, id)) in batch.iter().zip(wal.append_batch(&batch).unwrap()) {
                        assert_eq!(id, self.shards[s as usize].len() as u64);
                        self.shards[s as usize].push(v.clone());
                    }
                    done += 5;
                }
                _ => {
                    let key = format!("pk{}", c % 5);
                    let values: Vec<Vec<u8>> = (0..3)
                        .map(|j| format!("forkey-{c}-{j}").into_bytes())
                        .collect();
                    let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
                    for (v, (s, id)) in values
                        .iter()
                        .zip(wal.append_batch_for_key(key.as_bytes(), &refs).unwrap())
                    {
                        assert_eq!(id, self.shards[s as usize].len() as u64);
                        self.shards[s as usize].push(v.clone());
                    }
                    done += 3;
                }
            }
        }
    }

    /// Checks that `iter_shard(s, offsets[s])` yields exactly what the model holds from
    /// there on, and that every entry below the offsets is present.
    fn check_cut(&self, wal: &ShardedWal, offsets: &[u64]) {
        assert_eq!(offsets.len(), self.shards.len());
        for (s, m) in self.shards.iter().enumerate() {
            let s16 = s as u16;
            let after = read_shard(wal, s16, offsets[s]);
            assert_eq!(
                after,
                m[offsets[s] as usize..].to_vec(),
                "shard {s} after cut"
            );
            let first = bounds(wal, s16).start;
            let before = read_shard(wal, s16, first);
            assert_eq!(
                before,
                m[first as usize..].to_vec(),
                "shard {s} from {first}"
            );
        }
    }
}

fn ids(wal: &ShardedWal) -> Vec<Vec<u8>> {
    wal.list_checkpoints()
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

fn byte_ids(names: &[&str]) -> Vec<Vec<u8>> {
    names.iter().map(|n| n.as_bytes().to_vec()).collect()
}

#[test]
fn offsets_are_next_ids_and_iter_from_offsets_yields_what_came_after() {
    let dir = tempfile::tempdir().unwrap();
    let wal = open_with(dir.path(), 4, SyncMode::Async, 8);
    let mut model = Model::new(4);
    let mut checkpoints: Vec<(String, Vec<u64>)> = Vec::new();
    for round in 0..6 {
        model.write(&wal, 10 + round * 7);
        let name = format!("cp{round}");
        let before = now_ns();
        wal.create_checkpoint(name.as_bytes()).unwrap();
        let after = now_ns();
        let cp = wal.load_checkpoint(name.as_bytes()).unwrap();
        assert_eq!(cp.offsets, model.next_ids(), "{name}");
        assert_eq!(cp.offsets, next_ids(&wal));
        assert_eq!(cp.shard_count, 4);
        assert!(
            (before..=after).contains(&cp.timestamp),
            "timestamp {} not in {before}..={after} (ns since epoch)",
            cp.timestamp
        );
        checkpoints.push((name, cp.offsets));
    }
    model.write(&wal, 30);
    // Every checkpoint's cut reads back exactly, now and after a reopen.
    for (name, offsets) in &checkpoints {
        model.check_cut(&wal, offsets);
        assert_eq!(
            &wal.load_checkpoint(name.as_bytes()).unwrap().offsets,
            offsets
        );
    }
    drop(wal);
    let wal = open_with(dir.path(), 4, SyncMode::Async, 8);
    for (name, offsets) in &checkpoints {
        model.check_cut(&wal, offsets);
        assert_eq!(
            &wal.load_checkpoint(name.as_bytes()).unwrap().offsets,
            offsets
        );
    }
    assert_eq!(wal.checkpoint_count(), 6);
}

#[test]
fn checkpoint_of_an_empty_wal_has_zero_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let wal = open(dir.path(), 3);
    wal.create_checkpoint(b"empty").unwrap();
    let cp = wal.load_checkpoint(b"empty").unwrap();
    assert_eq!(cp.offsets, vec![0, 0, 0]);
    assert_eq!(cp.shard_count, 3);
    // One shard written, the others still 0.
    let key = key_for_shard("k", 1, 3);
    wal.append(&key, b"x").unwrap();
    wal.append(&key, b"y").unwrap();
    wal.create_checkpoint(b"one").unwrap();
    assert_eq!(wal.load_checkpoint(b"one").unwrap().offsets, vec![0, 2, 0]);
    drop(wal);
    let wal = open(dir.path(), 3);
    assert_eq!(
        wal.load_checkpoint(b"empty").unwrap().offsets,
        vec![0, 0, 0]
    );
    assert_eq!(read_shard(&wal, 1, 0), vec![b"x".to_vec(), b"y".to_vec()]);
}

#[test]
fn latest_is_the_most_recently_created() {
    let dir = tempfile::tempdir().unwrap();
    let wal = open(dir.path(), 2);
    wal.append(b"k", b"1").unwrap();
    wal.create_checkpoint(b"b").unwrap();
    wal.append(b"k", b"2").unwrap();
    wal.create_checkpoint(b"a").unwrap();
    let (id, cp) = wal.load_latest_checkpoint().unwrap();
    assert_eq!(id, b"a");
    assert_eq!(cp, wal.load_checkpoint(b"a").unwrap());
    assert_eq!(ids(&wal), byte_ids(&["b", "a"]));

    // Re-creating "b" makes it the latest (and moves it to the end of the list).
    wal.append(b"k", b"3").unwrap();
    wal.create_checkpoint(b"b").unwrap();
    let (id, cp) = wal.load_latest_checkpoint().unwrap();
    assert_eq!(id, b"b");
    let s = shard_for_key(b"k", 2) as usize;
    assert_eq!(cp.offsets[s], 3);
    assert_eq!(ids(&wal), byte_ids(&["a", "b"]));
    assert_eq!(wal.checkpoint_count(), 2);

    // Lexicographically smallest, created last: still the latest; also after reopen.
    wal.create_checkpoint(b"0").unwrap();
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"0");
    drop(wal);
    let wal = open(dir.path(), 2);
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"0");
    assert_eq!(ids(&wal), byte_ids(&["a", "b", "0"]));
    wal.create_checkpoint(b"a").unwrap();
    drop(wal);
    let wal = open(dir.path(), 2);
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"a");
    assert_eq!(ids(&wal), byte_ids(&["b", "0", "a"]));
}

#[test]
fn checkpoint_id_must_be_1_to_65535_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let wal = open(dir.path(), 3);
    wal.append(b"x", b"y").unwrap();
    match wal.create_checkpoint(b"") {
        Err(Error::InvalidCheckpointId(_)) => {}
        other => panic!("empty id: {other:?}"),
    }
    match wal.create_checkpoint(&vec![b'z'; 65536]) {
        Err(Error::InvalidCheckpointId(_)) => {}
        other => panic!("65536-byte id: {other:?}"),
    }
    match wal.create_checkpoint(&vec![b'z'; 200_000]) {
        Err(Error::InvalidCheckpointId(_)) => {}
        other => panic!("200000-byte id: {other:?}"),
    }
    assert_eq!(wal.checkpoint_count(), 0);
    assert!(matches!(
        wal.load_latest_checkpoint(),
        Err(Error::NoCheckpoints)
    ));

    let max: Vec<u8> = (0..65535u32).map(|i| (i * 7 + 3) as u8).collect();
    wal.create_checkpoint(&max).unwrap();
    wal.create_checkpoint(&[0u8]).unwrap();
    let binary = [0xffu8, 0, 0x80, b'\n', 0];
    wal.create_checkpoint(&binary).unwrap();
    assert_eq!(wal.checkpoint_count(), 3);
    let expect = vec![max.clone(), vec![0u8], binary.to_vec()];
    assert_eq!(ids(&wal), expect);
    drop(wal);
    let wal = open(dir.path(), 3);
    assert_eq!(ids(&wal), expect);
    assert_eq!(wal.load_checkpoint(&max).unwrap().offsets, next_ids(&wal));
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, binary.to_vec());
    // Not a prefix match, not a truncated match.
    assert!(matches!(
        wal.load_checkpoint(&max[..65534]),
        Err(Error::CheckpointNotFound(_))
    ));
    assert!(matches!(
        wal.load_checkpoint(&binary[..4]),
        Err(Error::CheckpointNotFound(_))
    ));
}

#[test]
fn reusing_an_id_replaces_the_older_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let wal = open(dir.path(), 2);
    let key = key_for_shard("k", 0, 2);
    wal.append(&key, b"1").unwrap();
    wal.create_checkpoint(b"x").unwrap();
    wal.create_checkpoint(b"other").unwrap();
    wal.append(&key, b"2").unwrap();
    wal.append(&key, b"3").unwrap();
    wal.create_checkpoint(b"x").unwrap();
    assert_eq!(wal.checkpoint_count(), 2);
    assert_eq!(wal.load_checkpoint(b"x").unwrap().offsets, vec![3, 0]);
    assert_eq!(wal.load_checkpoint(b"other").unwrap().offsets, vec![1, 0]);
    assert_eq!(ids(&wal), byte_ids(&["other", "x"]));
    for _ in 0..5 {
        wal.create_checkpoint(b"x").unwrap();
    }
    assert_eq!(wal.checkpoint_count(), 2);
    drop(wal);
    let wal = open(dir.path(), 2);
    assert_eq!(wal.checkpoint_count(), 2);
    assert_eq!(ids(&wal), byte_ids(&["other", "x"]));
    assert_eq!(wal.load_checkpoint(b"x").unwrap().offsets, vec![3, 0]);
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"x");
}

#[test]
fn missing_checkpoints_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let wal = open(dir.path(), 2);
    assert!(matches!(
        wal.load_latest_checkpoint(),
        Err(Error::NoCheckpoints)
    ));
    assert!(matches!(
        wal.load_checkpoint(b"nope"),
        Err(Error::CheckpointNotFound(_))
    ));
    assert!(matches!(
        wal.prune_before_checkpoint(b"nope"),
        Err(Error::CheckpointNotFound(_))
    ));
    assert_eq!(wal.list_checkpoints(), vec![]);
    assert_eq!(wal.checkpoint_count(), 0);
    wal.create_checkpoint(b"yes").unwrap();
    assert!(matches!(
        wal.load_checkpoint(b"nope"),
        Err(Error::CheckpointNotFound(_))
    ));
    drop(wal);
    let wal = open(dir.path(), 2);
    assert!(matches!(
        wal.load_checkpoint(b"nope"),
        Err(Error::CheckpointNotFound(_))
    ));
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"yes");
}

#[test]
fn list_is_oldest_first_with_creation_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let wal = open(dir.path(), 2);
    let names = ["m", "c", "z", "a", "q"];
    let mut stamps = Vec::new();
    for n in names {
        let before = now_ns();
        wal.create_checkpoint(n.as_bytes()).unwrap();
        let after = now_ns();
        let ts = wal.load_checkpoint(n.as_bytes()).unwrap().timestamp;
        assert!((before..=after).contains(&ts));
        stamps.push(ts);
    }
    let expected: Vec<(Vec<u8>, u64)> = names
        .iter()
        .map(|n| n.as_bytes().to_vec())
        .zip(stamps.iter().copied())
        .collect();
    assert_eq!(wal.list_checkpoints(), expected);
    drop(wal);
    let wal = open(dir.path(), 2);
    assert_eq!(wal.list_checkpoints(), expected);
}

/// Covered entries are there after a reopen, in every sync mode.
#[test]
fn checkpoint_covers_every_entry_in_every_sync_mode() {
    for mode in [SyncMode::Strict, SyncMode::BatchOnly, SyncMode::Async] {
        let dir = tempfile::tempdir().unwrap();
        let mut model = Model::new(4);
        {
            let wal = open_with(dir.path(), 4, mode, 16);
            model.write(&wal, 60);
            wal.create_checkpoint(b"one").unwrap();
            model.write(&wal, 25);
            wal.create_checkpoint(b"two").unwrap();
            // Dropped without sync.
        }
        let wal = open_with(dir.path(), 4, mode, 16);
        let two = wal.load_checkpoint(b"two").unwrap();
        assert_eq!(two.offsets, model.next_ids(), "{mode:?}");
        model.check_cut(&wal, &two.offsets);
        let one = wal.load_checkpoint(b"one").unwrap();
        model.check_cut(&wal, &one.offsets);
        assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"two");
    }
}

// ---------------------------------------------------------------------------------
// Recovery of checkpoints.log and HEAD
// ---------------------------------------------------------------------------------

/// A 3-shard WAL with checkpoints c1, c2 and a third one (`third`), plus what the log
/// and HEAD looked like after c2 and after the third.
struct LogFixture {
    dir: tempfile::TempDir,
    model: Model,
    c1: CheckpointData,
    c2: CheckpointData,
    len_after_c2: u64,
    len_after_third: u64,
    head_after_c1: Vec<u8>,
    head_after_c2: Vec<u8>,
}

fn log_fixture(third: &[u8]) -> LogFixture {
    let dir = tempfile::tempdir().unwrap();
    let mut model = Model::new(3);
    let wal = open_with(dir.path(), 3, SyncMode::Async, 8);
    model.write(&wal, 20);
    wal.create_checkpoint(b"c1").unwrap();
    let head_after_c1 = std::fs::read(head_path(dir.path())).unwrap();
    model.write(&wal, 20);
    wal.create_checkpoint(b"c2").unwrap();
    let head_after_c2 = std::fs::read(head_path(dir.path())).unwrap();
    let len_after_c2 = file_len(&log_path(dir.path()));
    let c1 = wal.load_checkpoint(b"c1").unwrap();
    let c2 = wal.load_checkpoint(b"c2").unwrap();
    model.write(&wal, 20);
    wal.create_checkpoint(third).unwrap();
    let len_after_third = file_len(&log_path(dir.path()));
    drop(wal);
    assert_eq!(head_after_c2.len(), 40);
    assert_eq!(len_after_c2 % 8, 0);
    assert!(len_after_third > len_after_c2);
    LogFixture {
        dir,
        model,
        c1,
        c2,
        len_after_c2,
        len_after_third,
        head_after_c1,
        head_after_c2,
    }
}

/// After damage to the log's tail: the log was cut back to `len_after_c2`, c1 and c2
/// load, HEAD names c2 again, and a checkpoint created now survives another reopen.
fn check_recovered_to_c2(fx: &LogFixture, root: &Path, third: &[u8], what: &str) {
    let wal = open_with(root, 3, SyncMode::Async, 8);
    assert_eq!(
        file_len(&log_path(root)),
        fx.len_after_c2,
        "{what}: log not cut back"
    );
    assert_eq!(wal.load_checkpoint(b"c1").unwrap(), fx.c1, "{what}");
    assert_eq!(wal.load_checkpoint(b"c2").unwrap(), fx.c2, "{what}");
    let (latest, data) = wal.load_latest_checkpoint().unwrap();
    assert_eq!(latest, b"c2", "{what}");
    assert_eq!(data, fx.c2);
    if third != b"c1" {
        assert!(
            matches!(
                wal.load_checkpoint(third),
                Err(Error::CheckpointNotFound(_))
            ),
            "{what}: torn checkpoint still loads"
        );
    }
    assert_eq!(ids(&wal), byte_ids(&["c1", "c2"]), "{what}");
    assert_eq!(
        std::fs::read(head_path(root)).unwrap(),
        fx.head_after_c2,
        "{what}: HEAD"
    );
    // Data is untouched by the log's damage.
    fx.model.check_cut(&wal, &fx.c2.offsets);
    wal.create_checkpoint(b"after").unwrap();
    let after = wal.load_checkpoint(b"after").unwrap();
    assert_eq!(after.offsets, fx.model.next_ids());
    drop(wal);
    let wal = open_with(root, 3, SyncMode::Async, 8);
    assert_eq!(
        ids(&wal),
        byte_ids(&["c1", "c2", "after"]),
        "{what}: after reopen"
    );
    assert_eq!(wal.load_checkpoint(b"after").unwrap(), after, "{what}");
    assert_eq!(wal.load_checkpoint(b"c1").unwrap(), fx.c1, "{what}");
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"after", "{what}");
}

fn torn_tail_at_every_cut(third: &[u8]) {
    let fx = log_fixture(third);
    let mut cuts = 0;
    for cut in fx.len_after_c2..fx.len_after_third {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(fx.dir.path(), copy.path());
        set_len(&log_path(copy.path()), cut);
        check_recovered_to_c2(&fx, copy.path(), third, &format!("cut at {cut}"));
        cuts += 1;
    }
    assert!(cuts >= 64, "record of {cuts} bytes");
    // The intact log keeps the third checkpoint.
    let wal = open_with(fx.dir.path(), 3, SyncMode::Async, 8);
    assert_eq!(file_len(&log_path(fx.dir.path())), fx.len_after_third);
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, third.to_vec());
}

#[test]
fn torn_log_tail_is_cut_at_every_length_of_the_last_record() {
    torn_tail_at_every_cut(b"c3");
}

#[test]
fn torn_record_that_reuses_an_id_leaves_the_older_checkpoint() {
    // The last record re-creates "c1": torn, the original c1 must still load.
    torn_tail_at_every_cut(b"c1");
}

#[test]
fn garbage_or_zeros_after_the_last_record_are_cut() {
    let fx = log_fixture(b"c3");
    let log_after_c2 = {
        let mut bytes = std::fs::read(log_path(fx.dir.path())).unwrap();
        bytes.truncate(fx.len_after_c2 as usize);
        bytes
    };
    let first_record = log_after_c2[16..].to_vec();
    let mut rng = Rng::new(99);
    let mut tails: Vec<(String, Vec<u8>)> = Vec::new();
    for n in [1usize, 7, 8, 9, 40, 64, 100, 4096] {
        tails.push((format!("{n} zeros"), vec![0; n]));
        tails.push((
            format!("{n} random bytes"),
            (0..n).map(|_| rng.next_u64() as u8).collect(),
        ));
    }
    // A record magic followed by junk.
    let mut magic = b"IWCK".to_vec();
    magic.extend((0..60).map(|_| rng.next_u64() as u8));
    tails.push(("magic then junk".into(), magic));
    // A copy of the log's first records (old sequence numbers): not new checkpoints.
    tails.push(("copy of old records".into(), first_record.clone()));
    // The torn third record followed by zeros.
    let third =
        std::fs::read(log_path(fx.dir.path())).unwrap()[fx.len_after_c2 as usize..].to_vec();
    let mut torn_then_zeros = third[..third.len() / 2].to_vec();
    torn_then_zeros.extend(vec![0; 128]);
    tails.push(("half record then zeros".into(), torn_then_zeros));
    for (what, tail) in tails {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(fx.dir.path(), copy.path());
        let log = log_path(copy.path());
        set_len(&log, fx.len_after_c2);
        append_bytes(&log, &tail);
        check_recovered_to_c2(&fx, copy.path(), b"c3", &what);
    }
}

#[test]
fn a_damaged_record_followed_by_valid_ones_does_not_lose_the_later_ones() {
    let fx = log_fixture(b"c3");
    let root = fx.dir.path();
    let log = log_path(root);
    let original = std::fs::read(&log).unwrap();
    // Flip a byte inside c1's offsets (the first record).
    let mut damaged = original.clone();
    damaged[16 + 44] ^= 0x40;
    std::fs::write(&log, &damaged).unwrap();
    // Refused under CorruptionPolicy::Error, file untouched.
    let mut o = opts(root, SyncMode::Async, 8);
    o.on_corruption = CorruptionPolicy::Error;
    match ShardedWal::new(o, 3) {
        Err(Error::CheckpointCorrupted { offset, .. }) => assert_eq!(offset, 16),
        other => panic!("expected CheckpointCorrupted, got {:?}", other.err()),
    }
    assert_eq!(std::fs::read(&log).unwrap(), damaged);
    // Under Truncate the later records stay: c2 and c3 load, latest is c3.
    let wal = open_with(root, 3, SyncMode::Async, 8);
    assert_eq!(wal.load_checkpoint(b"c2").unwrap(), fx.c2);
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"c3");
    assert_eq!(file_len(&log), fx.len_after_third, "valid records were cut");
    // c1 is never returned with wrong offsets.
    if let Ok(cp) = wal.load_checkpoint(b"c1") {
        assert_eq!(cp, fx.c1);
    }
    wal.create_checkpoint(b"c4").unwrap();
    drop(wal);
    let wal = open_with(root, 3, SyncMode::Async, 8);
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"c4");
    assert_eq!(wal.load_checkpoint(b"c2").unwrap(), fx.c2);
}

fn forged_head(sequence: u64, offset: u64) -> Vec<u8> {
    let mut bytes = b"IWHEAD\0\0".to_vec();
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes.extend_from_slice(&sequence.to_le_bytes());
    bytes.extend_from_slice(&offset.to_le_bytes());
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes
}

#[test]
fn a_damaged_deleted_or_stale_head_is_rebuilt_from_the_log() {
    // The fixture's latest is "c2" (its third checkpoint re-creates c2).
    let fx = log_fixture(b"c2");
    let good_head = std::fs::read(head_path(fx.dir.path())).unwrap();
    assert_eq!(good_head.len(), 40);
    // The documented HEAD format, checked against the real file.
    assert_eq!(&good_head[..8], b"IWHEAD\0\0");
    let seq = u64::from_le_bytes(good_head[16..24].try_into().unwrap());
    let off = u64::from_le_bytes(good_head[24..32].try_into().unwrap());
    assert_eq!(forged_head(seq, off), good_head);
    assert_eq!(off, fx.len_after_c2);

    let mut garbage = good_head.clone();
    garbage[20] ^= 1;
    let cases: Vec<(&str, Option<Vec<u8>>)> = vec![
        (
            "garbage",
            Some(b"this is not a HEAD file at all, no sir.".to_vec()),
        ),
        ("bit flip", Some(garbage)),
        ("deleted", None),
        ("empty", Some(Vec::new())),
        ("truncated", Some(good_head[..20].to_vec())),
        (
            "stale (older HEAD written back)",
            Some(fx.head_after_c1.clone()),
        ),
        (
            "stale (HEAD of the replaced c2)",
            Some(fx.head_after_c2.clone()),
        ),
        ("forged: future sequence", Some(forged_head(seq + 5, off))),
        ("forged: beyond the log", Some(forged_head(seq, off + 4096))),
        ("forged: first record", Some(forged_head(1, 16))),
    ];
    for (what, content) in cases {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(fx.dir.path(), copy.path());
        let head = head_path(copy.path());
        match &content {
            Some(bytes) => std::fs::write(&head, bytes).unwrap(),
            None => std::fs::remove_file(&head).unwrap(),
        }
        let wal = open_with(copy.path(), 3, SyncMode::Async, 8);
        let (latest, data) = wal.load_latest_checkpoint().unwrap();
        assert_eq!(latest, b"c2", "{what}");
        assert_eq!(data.offsets, fx.model.next_ids(), "{what}");
        assert_eq!(ids(&wal), byte_ids(&["c1", "c2"]), "{what}");
        assert_eq!(
            std::fs::read(&head).unwrap(),
            good_head,
            "{what}: HEAD not rewritten"
        );
        wal.create_checkpoint(b"c9").unwrap();
        drop(wal);
        let wal = open_with(copy.path(), 3, SyncMode::Async, 8);
        assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"c9", "{what}");
    }
}

#[test]
fn corruption_policy_error_refuses_a_torn_log() {
    let fx = log_fixture(b"c3");
    let mut rng = Rng::new(5);
    for i in 0..12 {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(fx.dir.path(), copy.path());
        let log = log_path(copy.path());
        let what = if i < 8 {
            let cut = rng.range(fx.len_after_c2 + 1, fx.len_after_third);
            set_len(&log, cut);
            format!("cut at {cut}")
        } else {
            append_bytes(&log, &vec![0; 8 * i]);
            format!("{} zeros appended", 8 * i)
        };
        let before = std::fs::read(&log).unwrap();
        let mut o = opts(copy.path(), SyncMode::Async, 8);
        o.on_corruption = CorruptionPolicy::Error;
        match ShardedWal::new(o, 3) {
            Err(Error::CheckpointCorrupted { .. }) => {}
            Err(e) => panic!("{what}: wrong error {e:?}"),
            Ok(_) => panic!("{what}: opened under CorruptionPolicy::Error"),
        }
        assert_eq!(std::fs::read(&log).unwrap(), before, "{what}: log changed");
    }
}

#[test]
fn corruption_policy_error_opens_an_intact_wal() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path(), SyncMode::Async, 8);
    o.on_corruption = CorruptionPolicy::Error;
    // A new WAL, then a reopen of the intact one, both under Error.
    let wal = ShardedWal::new(o.clone(), 3).expect("create a new sharded WAL with Error policy");
    wal.append(b"k", b"v").unwrap();
    wal.create_checkpoint(b"c").unwrap();
    drop(wal);
    let wal = ShardedWal::new(o, 3).expect("reopen an intact sharded WAL with Error policy");
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"c");
}

// ---------------------------------------------------------------------------------
// Pruning
// ---------------------------------------------------------------------------------

/// Appends `n` single entries to `shard`; values `"{shard}:{id}"`.
fn fill(wal: &ShardedWal, shard: u16, n: u64) {
    let key = key_for_shard("prune", shard, wal.shard_count());
    for _ in 0..n {
        let next = bounds(wal, shard).end;
        let (s, id) = wal
            .append(&key, format!("{shard}:{next}").as_bytes())
            .unwrap();
        assert_eq!((s, id), (shard, next));
    }
}

fn check_shard_from(wal: &ShardedWal, shard: u16, start: u64, end: u64) {
    let got = read_shard_ids(wal, shard, start);
    let want: Vec<(u64, Vec<u8>)> = (start..end)
        .map(|id| (id, format!("{shard}:{id}").into_bytes()))
        .collect();
    assert_eq!(got, want, "shard {shard} from {start}");
}

#[test]
fn prune_deletes_only_sealed_segments_wholly_below_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    // 10 entries per segment; shard 3 is never written.
    let wal = open_with(dir.path(), 4, SyncMode::Async, 10);
    for (shard, n) in [(0u16, 35u64), (1, 9), (2, 20)] {
        fill(&wal, shard, n);
    }
    wal.create_checkpoint(b"p").unwrap();
    assert_eq!(
        wal.load_checkpoint(b"p").unwrap().offsets,
        vec![35, 9, 20, 0]
    );
    for shard in 0..3 {
        fill(&wal, shard, 12);
    }
    wal.create_checkpoint(b"q").unwrap();
    let q = wal.load_checkpoint(b"q").unwrap();
    assert_eq!(q.offsets, vec![47, 21, 32, 0]);

    // Shard 0: [0,10) [10,20) [20,30) go, [30,40) holds 35.. stays. Shard 1: nothing is
    // wholly below 9. Shard 2: [0,10) [10,20) go, [20,30) starts at the offset.
    let stats = wal.prune_before_checkpoint(b"p").unwrap();
    assert_eq!(
        stats,
        PruneStats {
            shards_pruned: 2,
            segments_deleted: 5
        }
    );
    let expect_bounds = [30..47, 0..21, 20..32, 0..0];
    for s in 0..4u16 {
        assert_eq!(bounds(&wal, s), expect_bounds[s as usize], "shard {s}");
    }
    for (s, end) in [(0u16, 47u64), (1, 21), (2, 32)] {
        // What came after the checkpoint, exactly; and everything retained.
        let p = wal.load_checkpoint(b"p").unwrap();
        check_shard_from(&wal, s, p.offsets[s as usize], end);
        check_shard_from(&wal, s, expect_bounds[s as usize].start, end);
        // Pruned entries are gone, not wrong.
        if expect_bounds[s as usize].start > 0 {
            assert_eq!(wal.inner().get(&shard_stream(s), 0).unwrap(), None);
        }
    }
    // Pruning again at the same checkpoint deletes nothing.
    assert_eq!(
        wal.prune_before_checkpoint(b"p").unwrap(),
        PruneStats::default()
    );

    // q's offsets are the shards' ends: the active segments hold entries all below
    // them, yet are never deleted.
    let stats = wal.prune_before_checkpoint(b"q").unwrap();
    assert_eq!(
        stats,
        PruneStats {
            shards_pruned: 3,
            segments_deleted: 4
        }
    );
    let expect_bounds = [40..47, 20..21, 30..32, 0..0];
    for s in 0..4u16 {
        assert_eq!(
            bounds(&wal, s),
            expect_bounds[s as usize],
            "shard {s} after q"
        );
        assert_eq!(
            read_shard(&wal, s, q.offsets[s as usize]),
            Vec::<Vec<u8>>::new()
        );
    }
    check_shard_from(&wal, 0, 40, 47);
    check_shard_from(&wal, 1, 20, 21);
    check_shard_from(&wal, 2, 30, 32);
    // Checkpoints are kept; ids continue; all of it across a reopen.
    assert_eq!(wal.checkpoint_count(), 2);
    drop(wal);
    let wal = open_with(dir.path(), 4, SyncMode::Async, 10);
    for s in 0..4u16 {
        assert_eq!(
            bounds(&wal, s),
            expect_bounds[s as usize],
            "shard {s} after reopen"
        );
    }
    check_shard_from(&wal, 0, 40, 47);
    assert_eq!(wal.load_checkpoint(b"q").unwrap(), q);
    fill(&wal, 0, 5);
    check_shard_from(&wal, 0, 40, 52);
    assert_eq!(
        wal.prune_before_checkpoint(b"q").unwrap(),
        PruneStats::default()
    );
}

#[test]
fn prune_with_batches_keeps_everything_at_or_after_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let wal = open_with(dir.path(), 3, SyncMode::Async, 4);
    let mut model = Model::new(3);
    let mut names = Vec::new();
    for round in 0..8 {
        model.write(&wal, 25);
        let name = format!("r{round}");
        wal.create_checkpoint(name.as_bytes()).unwrap();
        names.push(name);
    }
    model.write(&wal, 10);
    let mut total = 0;
    for name in &names[..6] {
        let cp = wal.load_checkpoint(name.as_bytes()).unwrap();
        let before: Vec<_> = (0..3).map(|s| bounds(&wal, s)).collect();
        let stats = wal.prune_before_checkpoint(name.as_bytes()).unwrap();
        total += stats.segments_deleted;
        let mut pruned_shards = 0;
        for s in 0..3u16 {
            let b = bounds(&wal, s);
            assert_eq!(b.end, before[s as usize].end);
            assert!(
                b.start <= cp.offsets[s as usize],
                "{name}: shard {s} cut above offset"
            );
            assert!(b.start >= before[s as usize].start);
            pruned_shards += (b.start > before[s as usize].start) as u16;
        }
        assert_eq!(stats.shards_pruned, pruned_shards, "{name}");
        model.check_cut(&wal, &cp.offsets);
    }
    assert!(
        total > 10,
        "small segments: expected many deletions, got {total}"
    );
}

// ---------------------------------------------------------------------------------
// Compaction
// ---------------------------------------------------------------------------------

#[test]
fn compaction_keeps_the_latest_n_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let wal = open(root, 3);
    let mut model = Model::new(3);
    let mut made: Vec<(String, CheckpointData)> = Vec::new();
    for i in 0..10 {
        model.write(&wal, 6);
        let name = format!("c{i}");
        wal.create_checkpoint(name.as_bytes()).unwrap();
        made.push((name.clone(), wal.load_checkpoint(name.as_bytes()).unwrap()));
    }
    let len_before = file_len(&log_path(root));
    let stats = wal.compact_checkpoints(3).unwrap();
    let len_after = file_len(&log_path(root));
    assert_eq!(stats.checkpoints_before, 10);
    assert_eq!(stats.checkpoints_after, 3);
    assert_eq!(stats.bytes_reclaimed, len_before - len_after);
    assert!(stats.bytes_reclaimed > 0);
    // The 3 most recent survive with their data (offsets and timestamps) unchanged.
    let check = |wal: &ShardedWal| {
        assert_eq!(ids(wal), byte_ids(&["c7", "c8", "c9"]));
        assert_eq!(wal.checkpoint_count(), 3);
        for (name, _) in &made[..7] {
            assert!(
                matches!(
                    wal.load_checkpoint(name.as_bytes()),
                    Err(Error::CheckpointNotFound(_))
                ),
                "{name} survived compaction"
            );
        }
        for (name, data) in &made[7..] {
            assert_eq!(&wal.load_checkpoint(name.as_bytes()).unwrap(), data);
        }
        let (latest, data) = wal.load_latest_checkpoint().unwrap();
        assert_eq!(latest, b"c9");
        assert_eq!(data, made[9].1);
    };
    check(&wal);
    // No temp file left behind.
    let names: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("shard_"))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, vec![".lock", "HEAD", "MANIFEST", "checkpoints.log"]);
    drop(wal);
    let wal = open(root, 3);
    check(&wal);
    assert_eq!(file_len(&log_path(root)), len_after);

    // New checkpoints go after the kept ones and survive a reopen.
    model.write(&wal, 5);
    wal.create_checkpoint(b"c10").unwrap();
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"c10");
    drop(wal);
    let wal = open(root, 3);
    assert_eq!(ids(&wal), byte_ids(&["c7", "c8", "c9", "c10"]));
    assert_eq!(
        wal.load_checkpoint(b"c10").unwrap().offsets,
        model.next_ids()
    );

    // Keeping at least as many as exist changes nothing.
    let len = file_len(&log_path(root));
    let stats = wal.compact_checkpoints(4).unwrap();
    assert_eq!(
        stats,
        CompactionStats {
            checkpoints_before: 4,
            checkpoints_after: 4,
            bytes_reclaimed: 0
        }
    );
    assert_eq!(wal.compact_checkpoints(100).unwrap().checkpoints_after, 4);
    assert_eq!(file_len(&log_path(root)), len);

    // Keeping one keeps the latest.
    let stats = wal.compact_checkpoints(1).unwrap();
    assert_eq!((stats.checkpoints_before, stats.checkpoints_after), (4, 1));
    assert!(stats.bytes_reclaimed > 0);
    assert_eq!(ids(&wal), byte_ids(&["c10"]));
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"c10");
    drop(wal);
    let wal = open(root, 3);
    assert_eq!(ids(&wal), byte_ids(&["c10"]));
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"c10");
}

#[test]
fn compaction_drops_replaced_records_and_keeps_creation_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let wal = open(root, 2);
    for name in ["x", "y", "x", "z", "y", "x"] {
        wal.append(name.as_bytes(), b"v").unwrap();
        wal.create_checkpoint(name.as_bytes()).unwrap();
    }
    assert_eq!(ids(&wal), byte_ids(&["z", "y", "x"]));
    let data: Vec<_> = ["z", "y", "x"]
        .iter()
        .map(|n| wal.load_checkpoint(n.as_bytes()).unwrap())
        .collect();
    let len_before = file_len(&log_path(root));
    let stats = wal.compact_checkpoints(2).unwrap();
    assert_eq!((stats.checkpoints_before, stats.checkpoints_after), (3, 2));
    assert_eq!(
        stats.bytes_reclaimed,
        len_before - file_len(&log_path(root))
    );
    // 6 records of which 2 are kept.
    assert_eq!(file_len(&log_path(root)) - 16, (len_before - 16) / 3);
    assert_eq!(ids(&wal), byte_ids(&["y", "x"]));
    assert_eq!(wal.load_checkpoint(b"y").unwrap(), data[1]);
    assert_eq!(wal.load_checkpoint(b"x").unwrap(), data[2]);
    // Re-creating an id after compaction still replaces it.
    wal.create_checkpoint(b"y").unwrap();
    assert_eq!(ids(&wal), byte_ids(&["x", "y"]));
    drop(wal);
    let wal = open(root, 2);
    assert_eq!(ids(&wal), byte_ids(&["x", "y"]));
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"y");
}

#[test]
fn compaction_then_torn_tail_keeps_the_compacted_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let wal = open(root, 2);
    for i in 0..6 {
        wal.append(b"k", format!("{i}").as_bytes()).unwrap();
        wal.create_checkpoint(format!("c{i}").as_bytes()).unwrap();
    }
    wal.compact_checkpoints(2).unwrap();
    let len = file_len(&log_path(root));
    wal.create_checkpoint(b"c6").unwrap();
    let full = file_len(&log_path(root));
    drop(wal);
    for cut in len + 1..full {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(root, copy.path());
        set_len(&log_path(copy.path()), cut);
        let wal = open(copy.path(), 2);
        assert_eq!(file_len(&log_path(copy.path())), len, "cut {cut}");
        assert_eq!(ids(&wal), byte_ids(&["c4", "c5"]), "cut {cut}");
        assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"c5");
    }
}

#[test]
fn compacting_to_zero_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let wal = open(dir.path(), 2);
    wal.create_checkpoint(b"a").unwrap();
    wal.create_checkpoint(b"b").unwrap();
    let stats = wal.compact_checkpoints(0).unwrap();
    assert_eq!(stats.checkpoints_before, 2);
    assert_eq!(stats.checkpoints_after, wal.checkpoint_count());
    let listed = ids(&wal);
    assert_eq!(listed.len(), stats.checkpoints_after);
    drop(wal);
    let wal = open(dir.path(), 2);
    assert_eq!(ids(&wal), listed);
    wal.create_checkpoint(b"c").unwrap();
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"c");
    drop(wal);
    let wal = open(dir.path(), 2);
    assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"c");
}

/// Entries a checkpoint covers are durable, so only damage from outside can take them
/// away (here: the shard's segment cut at a frame boundary, which recovery cannot tell
/// from a clean end). The shard's ids then continue at the checkpoint's offset: none is
/// handed out twice, and replay from the checkpoint sees what comes after it.
#[test]
fn a_shard_cut_below_a_checkpoint_continues_at_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let segment = root.join(shard_stream(0)).join("00000000000000000000.wal");
    let mut frames_end = Vec::new();
    {
        let wal = open(root, 1);
        for i in 0..4u8 {
            wal.append(b"k", &[i; 16]).unwrap();
            frames_end.push(std::fs::metadata(&segment).unwrap().len());
        }
        wal.create_checkpoint(b"cp").unwrap();
    }
    let cut = || {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&segment)
            .unwrap();
        f.set_len(frames_end[1]).unwrap();
    };
    cut();

    let mut strict = opts(root, SyncMode::Async, u64::MAX);
    strict.on_corruption = CorruptionPolicy::Error;
    match ShardedWal::new(strict, 1) {
        Err(Error::Corruption(why)) => assert!(why.contains("below 4"), "{why}"),
        other => panic!("expected Corruption, got {:?}", other.map(|_| ())),
    }

    let wal = open(root, 1);
    assert_eq!(bounds(&wal, 0), 0..4);
    let mut from_start = wal.iter_shard_with_ids(0, 0).unwrap();
    assert_eq!(from_start.next().unwrap().unwrap(), (0, vec![0; 16]));
    assert_eq!(from_start.next().unwrap().unwrap(), (1, vec![1; 16]));
    assert!(
        matches!(from_start.next(), Some(Err(Error::Corruption(_)))),
        "ids 2, 3 are lost"
    );
    let lost = wal.inner().get(&shard_stream(0), 3);
    assert!(matches!(lost, Err(Error::Corruption(_))), "{lost:?}");
    assert_eq!(wal.append(b"k", b"after").unwrap(), (0, 4));
    let checkpoint = wal.load_checkpoint(b"cp").unwrap();
    assert_eq!(
        read_shard_ids(&wal, 0, checkpoint.offsets[0]),
        [(4, b"after".to_vec())]
    );
    drop(wal);
    let wal = open(root, 1);
    assert_eq!(wal.append(b"k", b"later").unwrap(), (0, 5));
    assert_eq!(
        read_shard(&wal, 0, 4),
        [b"after".to_vec(), b"later".to_vec()]
    );
}
