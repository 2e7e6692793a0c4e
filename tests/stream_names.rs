//! Stream names: any non-empty UTF-8 name up to 255 bytes works, maps to its own
//! directory inside root_path, survives reopen; bad names are rejected and create
//! nothing.

mod common;

use common::*;
use ironwal::*;
use std::path::Path;
use tempfile::TempDir;

fn odd_names() -> Vec<String> {
    let mut v: Vec<String> = [
        "a/b",
        "a_b",
        "a%2Fb",
        "a%2fb",
        "a~b",
        "~",
        "%",
        "%%",
        "100%",
        "~user",
        "..",
        ".",
        "...",
        ".hidden",
        "../x",
        "../../escape",
        "/etc",
        "/",
        "//",
        "a\\b",
        "héllo wörld",
        "日本語のストリーム",
        "emoji 🦀🚀",
        " leading and trailing ",
        "tab\there",
        "new\nline",
        "nul\0byte",
        "CON",
        "logs",
        "Logs",
        "00000000000000000000.wal",
        "x.idx",
        "a:b*c?d\"e<f>g|h",
        "-dash",
        "_",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("/".repeat(255));
    v.push("a".repeat(255));
    v.push(".".repeat(255));
    v.push("%".repeat(255));
    // 127 two-byte characters + one byte = 255 bytes.
    v.push(format!("{}z", "é".repeat(127)));
    // 63 four-byte characters + 3 bytes = 255 bytes.
    v.push(format!("{}abc", "🦀".repeat(63)));
    for n in &v {
        assert!(!n.is_empty() && n.len() <= 255, "{n:?}");
    }
    v
}

fn assert_only_root_in_parent(parent: &Path) {
    assert_eq!(
        dir_names(parent),
        vec!["root".to_string()],
        "something was created outside root_path"
    );
}

#[test]
fn odd_names_round_trip_and_survive_reopen() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let o = opts(&root);
    let names = odd_names();
    {
        let wal = open(&o);
        for (i, name) in names.iter().enumerate() {
            // Different numbers of entries per stream so that mix-ups show.
            let n = 1 + (i as u64 % 3);
            append_n(&wal, name, n);
            assert_eq!(wal.current_segment_start_id(name), Some(0), "{name:?}");
        }
        for (i, name) in names.iter().enumerate() {
            assert_stream(&wal, name, 0..1 + (i as u64 % 3));
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(wal.streams(), sorted);
        wal.sync_all().unwrap();
        for name in &names {
            wal.sync(name).unwrap();
        }
    }
    assert_only_root_in_parent(tmp.path());
    assert!(!Path::new("/etc").join(seg_file(0)).exists());
    for _ in 0..2 {
        let wal = open(&o);
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(wal.streams(), sorted, "streams() after reopen");
        for (i, name) in names.iter().enumerate() {
            assert_stream(&wal, name, 0..1 + (i as u64 % 3));
        }
    }
    // Append after reopen continues each stream independently.
    let wal = open(&o);
    for (i, name) in names.iter().enumerate() {
        let next = 1 + (i as u64 % 3);
        assert_eq!(
            wal.append(name, &payload(name, next)).unwrap(),
            next,
            "{name:?}"
        );
    }
    for (i, name) in names.iter().enumerate() {
        assert_stream(&wal, name, 0..2 + (i as u64 % 3));
    }
    drop(wal);
    assert_only_root_in_parent(tmp.path());
}

#[test]
fn slash_and_underscore_are_different_streams() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let o = opts(&root);
    {
        let wal = open(&o);
        assert_eq!(wal.append("a/b", b"slash").unwrap(), 0);
        assert_eq!(wal.append("a_b", b"underscore").unwrap(), 0);
        assert_eq!(wal.append("a/b", b"slash 2").unwrap(), 1);
        assert_eq!(wal.get("a/b", 0).unwrap(), Some(b"slash".to_vec()));
        assert_eq!(wal.get("a_b", 0).unwrap(), Some(b"underscore".to_vec()));
        assert_eq!(wal.get("a_b", 1).unwrap(), None);
        assert_eq!(wal.streams(), vec!["a/b".to_string(), "a_b".to_string()]);
    }
    let wal = open(&o);
    assert_eq!(wal.streams(), vec!["a/b".to_string(), "a_b".to_string()]);
    assert_eq!(wal.get("a/b", 0).unwrap(), Some(b"slash".to_vec()));
    assert_eq!(wal.get("a/b", 1).unwrap(), Some(b"slash 2".to_vec()));
    assert_eq!(wal.get("a_b", 0).unwrap(), Some(b"underscore".to_vec()));
    assert_eq!(wal.bounds("a/b").unwrap(), Some(0..2));
    assert_eq!(wal.bounds("a_b").unwrap(), Some(0..1));
    assert_eq!(wal.append("a_b", b"u2").unwrap(), 1);
    assert_eq!(wal.append("a/b", b"s3").unwrap(), 2);
    assert_only_root_in_parent(tmp.path());
}

#[test]
fn dot_dot_names_stay_inside_root() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let wal = open(&opts(&root));
    for name in ["..", "../x", "../../x", "/etc", "../root/x", "./.."] {
        append_n(&wal, name, 2);
    }
    assert_only_root_in_parent(tmp.path());
    assert!(!tmp.path().join("x").exists());
    // Every stream directory is a direct child of root.
    for name in dir_names(&root) {
        let p = root.join(&name);
        assert!(p.parent() == Some(root.as_path()));
    }
    for name in ["..", "../x", "../../x", "/etc", "../root/x", "./.."] {
        assert_stream(&wal, name, 0..2);
    }
}

#[test]
fn plain_name_directory_layout() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let wal = open(&opts(&root));
    for name in ["logs", "user_123_ledger", "a-b.c", "X9"] {
        append_n(&wal, name, 1);
        let dir = root.join(name);
        assert!(dir.is_dir(), "stream {name:?} lives in root/{name}");
        assert_eq!(segments(&dir), vec![0]);
        assert!(dir.join("00000000000000000000.wal").is_file());
    }
    assert!(
        root.join(LOCK_FILE).is_file(),
        "root/{LOCK_FILE} exists: {:?}",
        dir_names(&root)
    );
}

fn invalid_names() -> Vec<String> {
    vec![
        String::new(),
        "a".repeat(256),
        "/".repeat(256),
        "é".repeat(128), // 256 bytes
        "a".repeat(1000),
    ]
}

fn expect_invalid<T: std::fmt::Debug>(what: &str, name: &str, r: Result<T>) {
    match r {
        Err(Error::InvalidStreamName(_)) => {}
        other => panic!(
            "{what} with a {}-byte name: expected InvalidStreamName, got {other:?}",
            name.len()
        ),
    }
}

#[test]
fn invalid_names_are_rejected_and_create_nothing() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let wal = open(&opts(&root));
    let before = tree(&root);
    for name in invalid_names() {
        expect_invalid("append", &name, wal.append(&name, b"x"));
        expect_invalid(
            "append_batch",
            &name,
            wal.append_batch(&name, &[b"x", b"y"]),
        );
        expect_invalid("get", &name, wal.get(&name, 0));
        expect_invalid("get_batch", &name, wal.get_batch(&name, &[0, 1]));
        match wal.iter(&name, 0) {
            Err(Error::InvalidStreamName(_)) => {}
            Err(e) => panic!("iter: expected InvalidStreamName, got {e:?}"),
            Ok(_) => panic!("iter with a {}-byte name succeeded", name.len()),
        }
        expect_invalid("truncate", &name, wal.truncate(&name, 10));
        expect_invalid("bounds", &name, wal.bounds(&name));
        expect_invalid("sync", &name, wal.sync(&name));
        let mut w = wal.writer(&name);
        w.add(b"x".to_vec());
        expect_invalid("commit", &name, w.commit());
        assert_eq!(wal.current_segment_start_id(&name), None);
    }
    assert_eq!(wal.streams(), Vec::<String>::new());
    assert_eq!(
        tree(&root),
        before,
        "a rejected name created something on disk"
    );
    // The WAL still works.
    append_n(&wal, "ok", 2);
    assert_stream(&wal, "ok", 0..2);
    wal.sync_all().unwrap();
}

#[test]
fn name_length_boundary() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let o = opts(&root);
    let ok = "n".repeat(255);
    let bad = "n".repeat(256);
    {
        let wal = open(&o);
        assert_eq!(wal.append(&ok, b"v").unwrap(), 0);
        expect_invalid("append", &bad, wal.append(&bad, b"v"));
        assert_eq!(wal.get(&ok, 0).unwrap(), Some(b"v".to_vec()));
        assert_eq!(wal.streams(), vec![ok.clone()]);
    }
    let wal = open(&o);
    assert_eq!(wal.streams(), vec![ok.clone()]);
    assert_eq!(wal.get(&ok, 0).unwrap(), Some(b"v".to_vec()));
    assert_only_root_in_parent(tmp.path());
}

#[test]
fn names_with_rotation_and_truncate() {
    // Encoded names work with multiple segments, truncate and reopen.
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_entries_per_segment = 3;
    let names = ["a/b", "../x", "héllo wörld", &"/".repeat(255)].map(|s| s.to_string());
    {
        let wal = open(&o);
        for name in &names {
            append_n(&wal, name, 10);
            assert_eq!(wal.current_segment_start_id(name), Some(9));
            assert_eq!(wal.truncate(name, 6).unwrap(), 2, "{name:?}");
            assert_stream(&wal, name, 6..10);
        }
    }
    let wal = open(&o);
    for name in &names {
        assert_stream(&wal, name, 6..10);
        assert_eq!(wal.current_segment_start_id(name), Some(9));
        assert_eq!(wal.append(name, &payload(name, 10)).unwrap(), 10);
    }
    assert_only_root_in_parent(tmp.path());
}

#[test]
fn stream_named_lock_does_not_collide_with_lock_file() {
    // "LOCK" is a plain name, and root/LOCK is the lock file: both must work. (The
    // same for ".lock", which is not a plain name.)
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let o = opts(&root);
    {
        let wal = open(&o);
        append_n(&wal, "LOCK", 3);
        append_n(&wal, "lock", 2);
        append_n(&wal, ".lock", 1);
        assert_stream(&wal, "LOCK", 0..3);
        assert!(matches!(open_err(&o), Error::Locked(_)), "still locked");
    }
    let wal = open(&o);
    assert_eq!(
        wal.streams(),
        vec![".lock".to_string(), "LOCK".into(), "lock".into()]
    );
    assert_stream(&wal, "LOCK", 0..3);
    assert_stream(&wal, ".lock", 0..1);
    assert_stream(&wal, "lock", 0..2);
    assert!(
        matches!(open_err(&o), Error::Locked(_)),
        "still locked after reopen"
    );
}

#[test]
fn foreign_entries_in_root_are_not_streams() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("lost+found")).unwrap();
    std::fs::create_dir_all(root.join("emptydir")).unwrap();
    std::fs::write(root.join("notes.txt"), b"not a stream").unwrap();
    let o = opts(&root);
    let wal = open(&o);
    assert_eq!(wal.streams(), Vec::<String>::new());
    assert_eq!(wal.bounds("emptydir").unwrap(), None);
    assert_eq!(wal.append("emptydir", &payload("emptydir", 0)).unwrap(), 0);
    append_n(&wal, "lost+found", 2);
    drop(wal);
    let wal = open(&o);
    assert_eq!(
        wal.streams(),
        vec!["emptydir".to_string(), "lost+found".into()]
    );
    assert_stream(&wal, "emptydir", 0..1);
    assert_stream(&wal, "lost+found", 0..2);
    assert_eq!(
        std::fs::read(root.join("notes.txt")).unwrap(),
        b"not a stream"
    );
}
