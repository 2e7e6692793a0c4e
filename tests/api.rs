//! The public Rust API: appends, reads, batches, transactions, bounds, streams,
//! missing-stream behaviour, clones, reopen, option defaults and the usage guide.

mod common;

use common::*;
use ironwal::*;
use std::path::PathBuf;
use tempfile::TempDir;

fn assert_send_sync<T: Send + Sync + 'static>() {}
fn assert_clone<T: Clone>() {}

#[test]
fn public_types_are_send_sync_clone() {
    assert_send_sync::<Wal>();
    assert_clone::<Wal>();
    assert_send_sync::<Error>();
    assert_send_sync::<WalOptions>();
    assert_clone::<WalOptions>();
    // Error is a std error with a Display message.
    fn is_std_error<E: std::error::Error>() {}
    is_std_error::<Error>();
}

#[test]
fn handles_are_debug_so_results_unwrap_err() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    wal.append("s", b"a").unwrap();
    let shown = format!("{wal:?}");
    assert!(
        shown.starts_with("Wal {") && shown.contains("streams: 1"),
        "{shown}"
    );
    assert!(matches!(
        Wal::new(opts(tmp.path())).unwrap_err(),
        Error::Locked(_)
    ));

    let mut entries = wal.iter("s", 0).unwrap();
    assert!(format!("{entries:?}").contains("next_id: Some(0)"));
    entries.next().unwrap().unwrap();
    assert!(format!("{entries:?}").contains("next_id: Some(1)"));
    assert!(format!("{:?}", wal.iter_with_ids("s", 0).unwrap()).contains("\"s\""));

    let mut txn = wal.writer("s");
    txn.add(b"b".to_vec());
    assert!(format!("{txn:?}").contains("TxnWriter"));
}

#[test]
fn a_huge_max_open_segments_is_a_bound_not_an_allocation() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.max_open_segments = usize::MAX;
    o.max_entries_per_segment = 2;
    let wal = open(&o);
    for id in 0..10u64 {
        assert_eq!(wal.append("s", &id.to_le_bytes()).unwrap(), id);
    }
    drop(wal);
    let wal = open(&o);
    for id in 0..10u64 {
        assert_eq!(wal.get("s", id).unwrap(), Some(id.to_le_bytes().to_vec()));
    }
}

#[test]
fn options_default_values() {
    let o = WalOptions::default();
    assert_eq!(o.root_path, PathBuf::from("./wal_data"));
    assert_eq!(o.max_segment_size, 64 * 1024 * 1024);
    assert_eq!(o.max_entries_per_segment, u64::MAX);
    assert_eq!(o.max_open_segments, 50);
    assert_eq!(o.write_buffer_size, 64 * 1024);
    assert_eq!(o.read_buffer_size, 128 * 1024);
    assert_eq!(o.block_cache_size, None);
    assert!(matches!(o.sync_mode, SyncMode::Strict));
    assert!(matches!(o.compression, CompressionType::None));
    assert!(matches!(o.read_strategy, ReadStrategy::StandardIo));
    assert!(matches!(o.on_corruption, CorruptionPolicy::Truncate));
    assert_eq!(o.min_compression_size, 1024);
}

#[test]
fn options_new_sets_root_and_keeps_defaults() {
    let o = WalOptions::new("/some/where");
    assert_eq!(o.root_path, PathBuf::from("/some/where"));
    let d = WalOptions::default();
    assert_eq!(o.max_segment_size, d.max_segment_size);
    assert_eq!(o.max_entries_per_segment, d.max_entries_per_segment);
    assert_eq!(o.max_open_segments, d.max_open_segments);
    assert_eq!(o.write_buffer_size, d.write_buffer_size);
    assert_eq!(o.read_buffer_size, d.read_buffer_size);
    assert_eq!(o.block_cache_size, d.block_cache_size);
    assert!(matches!(o.sync_mode, SyncMode::Strict));
    assert!(matches!(o.compression, CompressionType::None));
    assert!(matches!(o.read_strategy, ReadStrategy::StandardIo));
    assert!(matches!(o.on_corruption, CorruptionPolicy::Truncate));
    assert_eq!(o.min_compression_size, d.min_compression_size);
    // PathBuf and String are accepted too.
    let _ = WalOptions::new(PathBuf::from("x"));
    let _ = WalOptions::new(String::from("x"));
}

#[test]
fn append_and_get_basic() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    assert_eq!(wal.append("logs", b"first").unwrap(), 0);
    assert_eq!(wal.append("logs", b"second").unwrap(), 1);
    assert_eq!(wal.append("other", b"x").unwrap(), 0, "ids are per stream");
    assert_eq!(wal.append("logs", b"third").unwrap(), 2);
    assert_eq!(wal.get("logs", 0).unwrap().as_deref(), Some(&b"first"[..]));
    assert_eq!(wal.get("logs", 1).unwrap().as_deref(), Some(&b"second"[..]));
    assert_eq!(wal.get("logs", 2).unwrap().as_deref(), Some(&b"third"[..]));
    assert_eq!(wal.get("other", 0).unwrap().as_deref(), Some(&b"x"[..]));
    assert_eq!(wal.get("logs", 3).unwrap(), None);
    assert_eq!(wal.get("logs", u64::MAX).unwrap(), None);
    assert_eq!(wal.get("other", 1).unwrap(), None);
}

#[test]
fn empty_entry_is_stored_and_distinct_from_missing() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    assert_eq!(wal.append("s", b"").unwrap(), 0);
    assert_eq!(wal.append_batch("s", &[b"", b"a", b""]).unwrap(), 1..4);
    assert_eq!(wal.get("s", 0).unwrap(), Some(vec![]));
    assert_eq!(wal.get("s", 1).unwrap(), Some(vec![]));
    assert_eq!(wal.get("s", 2).unwrap(), Some(b"a".to_vec()));
    assert_eq!(wal.get("s", 3).unwrap(), Some(vec![]));
    assert_eq!(wal.get("s", 4).unwrap(), None);
    assert_eq!(
        collect(&wal, "s", 0),
        vec![vec![], vec![], b"a".to_vec(), vec![]]
    );
    drop(wal);
    let wal = open(&opts(tmp.path()));
    assert_eq!(
        collect(&wal, "s", 0),
        vec![vec![], vec![], b"a".to_vec(), vec![]]
    );
    assert_eq!(wal.bounds("s").unwrap(), Some(0..4));
}

#[test]
fn many_appends_many_sizes() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    append_n(&wal, "s", 500);
    assert_stream(&wal, "s", 0..500);
    // A large entry.
    let big = payload_sized("s", 500, 1 << 20);
    assert_eq!(wal.append("s", &big).unwrap(), 500);
    assert_eq!(wal.get("s", 500).unwrap().as_deref(), Some(&big[..]));
    assert_eq!(wal.get("s", 499).unwrap(), Some(payload("s", 499)));
}

#[test]
fn append_batch_assigns_contiguous_ids() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    append_n(&wal, "s", 2);
    let e: Vec<Vec<u8>> = (2..5).map(|id| payload("s", id)).collect();
    let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
    assert_eq!(wal.append_batch("s", &refs).unwrap(), 2..5);
    assert_eq!(wal.append("s", &payload("s", 5)).unwrap(), 5);
    let one = payload("s", 6);
    assert_eq!(wal.append_batch("s", &[one.as_slice()]).unwrap(), 6..7);
    // A large batch.
    let e: Vec<Vec<u8>> = (7..1007).map(|id| payload("s", id)).collect();
    let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
    assert_eq!(wal.append_batch("s", &refs).unwrap(), 7..1007);
    assert_stream(&wal, "s", 0..1007);
}

#[test]
fn empty_batch_returns_next_id_and_writes_nothing() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let wal = open(&opts(&root));
    // On a stream that does not exist.
    assert_eq!(wal.append_batch("fresh", &[]).unwrap(), 0..0);
    assert_eq!(
        wal.streams(),
        Vec::<String>::new(),
        "an empty batch creates no stream"
    );
    assert_eq!(wal.bounds("fresh").unwrap(), None);
    assert!(
        !root.join("fresh").exists(),
        "an empty batch creates no directory"
    );
    // On an existing stream.
    append_n(&wal, "s", 5);
    let seg = root.join("s").join(seg_file(0));
    let len = file_len(&seg);
    assert_eq!(wal.append_batch("s", &[]).unwrap(), 5..5);
    assert_eq!(file_len(&seg), len, "an empty batch writes no bytes");
    assert_eq!(wal.bounds("s").unwrap(), Some(0..5));
    assert_eq!(wal.append("s", &payload("s", 5)).unwrap(), 5);
    assert_stream(&wal, "s", 0..6);
}

#[test]
fn txn_writer_commits_atomically() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    append_n(&wal, "s", 3);
    let mut w = wal.writer("s");
    w.add(payload("s", 3)); // Vec<u8>
    w.add(payload("s", 4).as_slice()); // &[u8]
    w.add(String::from_utf8(b"s#5|".to_vec()).unwrap()); // String
                                                         // Nothing is visible before commit.
    assert_eq!(wal.get("s", 3).unwrap(), None);
    assert_eq!(wal.bounds("s").unwrap(), Some(0..3));
    assert_eq!(w.commit().unwrap(), 3..6);
    assert_eq!(wal.get("s", 3).unwrap(), Some(payload("s", 3)));
    assert_eq!(wal.get("s", 4).unwrap(), Some(payload("s", 4)));
    assert_eq!(wal.get("s", 5).unwrap(), Some(b"s#5|".to_vec()));
    let mut w = wal.writer("s");
    w.add("a str");
    assert_eq!(w.commit().unwrap(), 6..7);
    assert_eq!(wal.get("s", 6).unwrap(), Some(b"a str".to_vec()));
}

#[test]
fn txn_writer_empty_commit_and_dropped_writer() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let wal = open(&opts(&root));
    assert_eq!(wal.writer("t").commit().unwrap(), 0..0);
    assert_eq!(wal.streams(), Vec::<String>::new());
    append_n(&wal, "t", 4);
    assert_eq!(wal.writer("t").commit().unwrap(), 4..4);
    // A writer dropped without commit writes nothing.
    {
        let mut w = wal.writer("t");
        w.add(b"never".to_vec());
        w.add(b"written".to_vec());
    }
    assert_eq!(wal.bounds("t").unwrap(), Some(0..4));
    assert_eq!(wal.append("t", &payload("t", 4)).unwrap(), 4);
    drop(wal);
    let wal = open(&opts(&root));
    assert_stream(&wal, "t", 0..5);
}

#[test]
fn concurrent_writers_interleave_with_txn() {
    // A TxnWriter accumulates in memory: appends made between add() and commit()
    // get earlier ids and the txn's entries stay contiguous.
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    let mut w = wal.writer("s");
    w.add(b"t0".to_vec());
    assert_eq!(wal.append("s", b"a0").unwrap(), 0);
    w.add(b"t1".to_vec());
    assert_eq!(wal.append("s", b"a1").unwrap(), 1);
    assert_eq!(w.commit().unwrap(), 2..4);
    assert_eq!(
        collect(&wal, "s", 0),
        vec![
            b"a0".to_vec(),
            b"a1".to_vec(),
            b"t0".to_vec(),
            b"t1".to_vec()
        ]
    );
}

#[test]
fn get_batch_mixed_ids() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    append_n(&wal, "s", 10);
    let ids = [7, 0, 10, 3, 3, u64::MAX, 9, 100];
    let got = wal.get_batch("s", &ids).unwrap();
    let want: Vec<Option<Vec<u8>>> = ids
        .iter()
        .map(|&id| {
            if id < 10 {
                Some(payload("s", id))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        wal.get_batch("s", &[]).unwrap(),
        Vec::<Option<Vec<u8>>>::new()
    );
    assert_eq!(wal.get_batch("missing", &[0, 1]).unwrap(), vec![None, None]);
}

#[test]
fn iter_from_various_starts() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    append_n(&wal, "s", 4);
    let e: Vec<Vec<u8>> = (4..9).map(|id| payload("s", id)).collect();
    let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
    assert_eq!(wal.append_batch("s", &refs).unwrap(), 4..9);
    append_n(&wal, "s", 3);
    for start in 0..=12u64 {
        let got = collect(&wal, "s", start);
        let want: Vec<Vec<u8>> = (start..12).map(|id| payload("s", id)).collect();
        assert_eq!(got, want, "iter from {start}");
    }
    assert!(collect(&wal, "s", 13).is_empty());
    assert!(collect(&wal, "s", u64::MAX).is_empty());
    // An iterator is an ordinary Iterator: take / skip work.
    let it = wal.iter("s", 5).unwrap();
    let three: Vec<Vec<u8>> = it.take(3).map(|r| r.unwrap()).collect();
    assert_eq!(
        three,
        vec![payload("s", 5), payload("s", 6), payload("s", 7)]
    );
}

#[test]
fn bounds_streams_and_current_segment() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    assert_eq!(wal.streams(), Vec::<String>::new());
    assert_eq!(wal.bounds("b").unwrap(), None);
    append_n(&wal, "b", 3);
    append_n(&wal, "a", 1);
    append_n(&wal, "c", 2);
    assert_eq!(wal.bounds("b").unwrap(), Some(0..3));
    assert_eq!(wal.bounds("a").unwrap(), Some(0..1));
    assert_eq!(wal.bounds("c").unwrap(), Some(0..2));
    assert_eq!(wal.streams(), vec!["a".to_string(), "b".into(), "c".into()]);
    assert_eq!(wal.current_segment_start_id("a"), Some(0));
    assert_eq!(wal.current_segment_start_id("zzz"), None);
}

#[test]
fn sync_and_sync_all() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    wal.sync_all().unwrap(); // no streams: fine
    append_n(&wal, "s", 3);
    append_n(&wal, "t", 3);
    wal.sync("s").unwrap();
    wal.sync("t").unwrap();
    wal.sync_all().unwrap();
    match wal.sync("missing") {
        Err(Error::StreamNotFound(name)) => assert!(name.contains("missing"), "{name}"),
        other => panic!("sync of a missing stream: {other:?}"),
    }
    let e = wal.sync("missing").unwrap_err();
    assert!(
        e.to_string().contains("missing"),
        "message names the stream: {e}"
    );
    assert_stream(&wal, "s", 0..3);
}

#[test]
fn missing_stream_behaviour() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let wal = open(&opts(&root));
    append_n(&wal, "exists", 2);
    let before = tree(&root);
    assert_eq!(wal.get("nope", 0).unwrap(), None);
    assert!(wal.iter("nope", 0).unwrap().next().is_none());
    assert!(wal.iter("nope", 5).unwrap().next().is_none());
    assert_eq!(wal.bounds("nope").unwrap(), None);
    assert_eq!(wal.truncate("nope", 100).unwrap(), 0);
    assert_eq!(wal.current_segment_start_id("nope"), None);
    assert!(matches!(wal.sync("nope"), Err(Error::StreamNotFound(_))));
    assert_eq!(wal.get_batch("nope", &[0]).unwrap(), vec![None]);
    assert_eq!(wal.streams(), vec!["exists".to_string()]);
    assert_eq!(
        tree(&root),
        before,
        "reads of a missing stream create nothing"
    );
}

#[test]
fn an_iterator_made_before_the_first_append_follows_the_stream() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    let mut from_start = wal.iter_with_ids("new", 0).unwrap();
    let mut from_two = wal.iter("new", 2).unwrap();
    assert!(from_start.next().is_none());
    assert!(from_two.next().is_none());
    assert_eq!(
        wal.streams(),
        Vec::<String>::new(),
        "an iterator alone makes no stream"
    );
    wal.sync_all().unwrap();
    append_n(&wal, "new", 4);
    assert_eq!(from_start.next().unwrap().unwrap(), (0, payload("new", 0)));
    assert_eq!(from_two.next().unwrap().unwrap(), payload("new", 2));
    assert_eq!(from_two.next().unwrap().unwrap(), payload("new", 3));
    assert!(from_two.next().is_none());

    // A consumer on another thread tails a stream its producer has not started yet.
    let mut tail = wal.iter("tail", 0).unwrap();
    let consumer = std::thread::spawn(move || {
        let mut got = Vec::new();
        while got.len() < 50 {
            match tail.next() {
                Some(entry) => got.push(entry.unwrap()),
                None => std::thread::yield_now(),
            }
        }
        got
    });
    append_n(&wal, "tail", 50);
    let got = consumer.join().unwrap();
    assert_eq!(
        got,
        (0..50).map(|id| payload("tail", id)).collect::<Vec<_>>()
    );
}

#[test]
fn clones_share_state() {
    let tmp = TempDir::new().unwrap();
    let wal = open(&opts(tmp.path()));
    let c1 = wal.clone();
    let c2 = c1.clone();
    assert_eq!(wal.append("s", &payload("s", 0)).unwrap(), 0);
    assert_eq!(c1.get("s", 0).unwrap(), Some(payload("s", 0)));
    assert_eq!(c1.append("s", &payload("s", 1)).unwrap(), 1);
    assert_eq!(c2.append("s", &payload("s", 2)).unwrap(), 2);
    assert_eq!(wal.bounds("s").unwrap(), Some(0..3));
    let t = std::thread::spawn(move || {
        assert_stream(&c2, "s", 0..3);
        assert_eq!(c2.append("s", &payload("s", 3)).unwrap(), 3);
    });
    t.join().unwrap();
    assert_stream(&wal, "s", 0..4);
    assert_stream(&c1, "s", 0..4);
    assert_eq!(c1.streams(), vec!["s".to_string()]);
    // Dropping clones does not close the others.
    drop(c1);
    assert_eq!(wal.append("s", &payload("s", 4)).unwrap(), 4);
    assert_stream(&wal, "s", 0..5);
}

#[test]
fn reopen_persists_everything() {
    let tmp = TempDir::new().unwrap();
    let o = opts(tmp.path());
    {
        let wal = open(&o);
        append_n(&wal, "alpha", 50);
        append_n(&wal, "beta", 7);
        let e: Vec<Vec<u8>> = (7..20).map(|id| payload("beta", id)).collect();
        let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
        assert_eq!(wal.append_batch("beta", &refs).unwrap(), 7..20);
        let mut w = wal.writer("gamma");
        for id in 0..4 {
            w.add(payload("gamma", id));
        }
        assert_eq!(w.commit().unwrap(), 0..4);
    }
    for round in 0..3u64 {
        let wal = open(&o);
        assert_eq!(
            wal.streams(),
            vec!["alpha".to_string(), "beta".into(), "gamma".into()]
        );
        assert_stream(&wal, "alpha", 0..50 + round);
        assert_stream(&wal, "beta", 0..20);
        assert_stream(&wal, "gamma", 0..4);
        assert_eq!(wal.current_segment_start_id("alpha"), Some(0));
        // The next id continues after reopen.
        assert_eq!(
            wal.append("alpha", &payload("alpha", 50 + round)).unwrap(),
            50 + round
        );
    }
}

#[test]
fn reopen_in_strict_mode_default_options() {
    let tmp = TempDir::new().unwrap();
    let o = WalOptions::new(tmp.path()); // all defaults: Strict
    {
        let wal = open(&o);
        append_n(&wal, "s", 5);
        let e: Vec<Vec<u8>> = (5..8).map(|id| payload("s", id)).collect();
        let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
        assert_eq!(wal.append_batch("s", &refs).unwrap(), 5..8);
    }
    let wal = open(&o);
    assert_stream(&wal, "s", 0..8);
}

#[test]
fn root_path_is_created_with_lock_file() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("a").join("b").join("root");
    let wal = open(&opts(&root));
    assert!(root.is_dir());
    assert!(
        root.join(LOCK_FILE).is_file(),
        "root/{LOCK_FILE} exists: {:?}",
        dir_names(&root)
    );
    append_n(&wal, "logs", 1);
    assert!(root.join("logs").join(seg_file(0)).is_file());
}

#[test]
fn second_open_in_same_process_is_locked() {
    let tmp = TempDir::new().unwrap();
    let o = opts(tmp.path());
    let wal = open(&o);
    append_n(&wal, "s", 2);
    let clone = wal.clone();
    assert!(matches!(open_err(&o), Error::Locked(_)));
    drop(wal);
    // A clone is still alive: still locked.
    assert!(matches!(open_err(&o), Error::Locked(_)));
    drop(clone);
    let wal = open(&o);
    assert_stream(&wal, "s", 0..2);
    // Locked again while this one lives.
    assert!(matches!(open_err(&o), Error::Locked(_)));
}

#[test]
fn options_the_engine_cannot_honour_are_config_errors_and_create_nothing() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    type BreakIt = fn(&mut WalOptions);
    let cases: [(&str, BreakIt); 4] = [
        ("max_segment_size", |o| o.max_segment_size = 0),
        ("max_entries_per_segment", |o| o.max_entries_per_segment = 0),
        ("max_open_segments", |o| o.max_open_segments = 0),
        ("root_path", |o| o.root_path = PathBuf::new()),
    ];
    for (field, break_it) in cases {
        let mut o = opts(&root);
        break_it(&mut o);
        match open_err(&o) {
            Error::Config(why) => assert!(why.contains(field), "{field}: {why}"),
            other => panic!("{field}: expected Config, got {other:?}"),
        }
        assert!(!root.exists(), "{field}: nothing is created");
    }
}

#[test]
fn a_zero_read_buffer_size_reads_in_the_smallest_chunk_as_0_6_accepted_it() {
    let tmp = TempDir::new().unwrap();
    let mut o = opts(tmp.path());
    o.read_buffer_size = 0;
    o.max_entries_per_segment = 100;
    {
        let wal = open(&o);
        append_n(&wal, "s", 250);
        assert_stream(&wal, "s", 0..250);
    }
    // Recovery scans the active segment with the same chunk size.
    assert_stream(&open(&o), "s", 0..250);
}

#[test]
fn error_messages_read_as_ironwal_0_6s() {
    let cases = [
        (Error::Io(std::io::Error::other("gone")), "I/O Error: gone"),
        (Error::Corruption("bad".into()), "Data Corruption: bad"),
        (
            Error::CrcMismatch {
                expected: 0xdead,
                actual: 0xbeef,
                offset: 42,
            },
            "CRC32 Checksum Mismatch: expected 0xdead, got 0xbeef at offset 42",
        ),
        (Error::Config("cfg".into()), "Configuration Error: cfg"),
        (Error::SegmentNotFound(7), "Segment not found for ID: 7"),
        (Error::StreamNotFound("s".into()), "Stream not found: s"),
        (
            Error::InvalidFilename("f".into()),
            "Invalid filename format in WAL directory: f",
        ),
        (Error::Serialization("x".into()), "Serialization Error: x"),
        (
            Error::CheckpointNotFound("c".into()),
            "Checkpoint not found: c",
        ),
        (
            Error::CheckpointCorrupted {
                offset: 3,
                reason: "r".into(),
            },
            "Checkpoint corrupted at offset 3: r",
        ),
        (
            Error::ShardCountMismatch {
                expected: 4,
                found: 8,
            },
            "Shard count mismatch: expected 4, found 8",
        ),
        (
            Error::InvalidCheckpointId("i".into()),
            "Invalid checkpoint ID: i",
        ),
        (Error::NoCheckpoints, "No checkpoints available"),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn an_io_error_names_its_file_and_keeps_the_os_error_as_its_source() {
    let tmp = TempDir::new().unwrap();
    let file = tmp.path().join("file");
    std::fs::write(&file, b"not a directory").unwrap();
    let Error::Io(e) = open_err(&opts(&file.join("root"))) else {
        panic!("expected Error::Io");
    };
    assert_eq!(e.kind(), std::io::ErrorKind::NotADirectory);
    assert!(e.to_string().contains(&file.display().to_string()), "{e}");
    let os = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .expect("the OS error is the source");
    assert_eq!(os.raw_os_error(), Some(libc::ENOTDIR));
}

// ---------------------------------------------------------------------------------
// The usage guide's examples, unchanged.
// ---------------------------------------------------------------------------------

mod guide_quick_start {
    use ironwal::{SyncMode, Wal, WalOptions};

    pub fn main() -> ironwal::Result<()> {
        // 1. Configure the WAL
        let mut opts = WalOptions::new("./my_wal_data");
        opts.sync_mode = SyncMode::Strict; // Ensure durability

        // 2. Open the WAL
        let wal = Wal::new(opts)?;

        // 3. Append data to a stream named "logs"
        let id = wal.append("logs", b"Hello, IronWal!")?;
        println!("Written entry at ID: {}", id);

        // 4. Read the data back
        if let Some(data) = wal.get("logs", id)? {
            println!("Read: {:?}", String::from_utf8_lossy(&data));
        }

        Ok(())
    }
}

mod guide_batch {
    use ironwal::Wal;

    pub fn batch_example(wal: &Wal) -> ironwal::Result<()> {
        let batch = vec![
            b"Transaction Start".as_slice(),
            b"Update A".as_slice(),
            b"Update B".as_slice(),
        ];

        // These writes are atomic; either all exist or none do.
        let range = wal.append_batch("transactions", &batch)?;

        println!("Batch written to IDs {} to {}", range.start, range.end);
        Ok(())
    }
}

#[test]
fn usage_guide_examples() {
    // The quick start uses a relative path; run it inside a temporary directory.
    // (Every other test in this binary uses absolute paths.)
    let tmp = TempDir::new().unwrap();
    let old = std::env::current_dir().unwrap();
    std::env::set_current_dir(tmp.path()).unwrap();
    let r = guide_quick_start::main();
    std::env::set_current_dir(&old).unwrap();
    r.unwrap();
    let root = tmp.path().join("my_wal_data");
    let wal = open(&WalOptions::new(&root));
    assert_eq!(
        wal.get("logs", 0).unwrap(),
        Some(b"Hello, IronWal!".to_vec())
    );
    assert_eq!(wal.bounds("logs").unwrap(), Some(0..1));

    guide_batch::batch_example(&wal).unwrap();
    assert_eq!(
        collect(&wal, "transactions", 0),
        vec![
            b"Transaction Start".to_vec(),
            b"Update A".to_vec(),
            b"Update B".to_vec()
        ]
    );
    guide_batch::batch_example(&wal).unwrap();
    assert_eq!(wal.bounds("transactions").unwrap(), Some(0..6));
    assert_eq!(
        wal.streams(),
        vec!["logs".to_string(), "transactions".into()]
    );
}
