#![cfg(feature = "cli")]
//! The `ironwal` tool, run as a process on real roots built with the public API and then
//! damaged on disk: outputs and exit statuses of every command, repair leaving a root
//! that verifies clean with the data before the damage readable through `Wal`, and
//! repair refusing while another handle holds the root.

mod common;

use common::*;
use ironwal::{Wal, WalOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the tool; returns (exit status, stdout, stderr).
fn ironwal(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_ironwal"))
        .args(args)
        .output()
        .expect("run ironwal");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    (
        status.code().expect("exit status"),
        text(stdout),
        text(stderr),
    )
}

fn run_on(command: &str, root: &Path, extra: &[&str]) -> (i32, String, String) {
    let root = root.to_str().unwrap();
    let mut args = vec![command, root];
    args.extend_from_slice(extra);
    ironwal(&args)
}

const EVENTS: &str = "events";
const EVENT_COUNT: u64 = 35;

/// Stream `events` holds `payload(events, id)` for ids 0..35, one frame each, 10 per
/// segment (segments 0, 10, 20 sealed, 30 active; `Async` mode, so no preallocated
/// space). Returns the offset of each id's frame.
fn events_root(root: &Path) -> Vec<u64> {
    let mut options = opts(root);
    options.max_entries_per_segment = 10;
    let wal = open(&options);
    // docs/FORMAT.md: the header is 32 bytes and the stream name, padded to 8.
    let header_len = (32 + EVENTS.len() as u64).div_ceil(8) * 8;
    let mut frame_offsets = Vec::new();
    for id in 0..EVENT_COUNT {
        frame_offsets.push(match id % 10 {
            0 => header_len,
            _ => file_len(&segment(root, id / 10 * 10)),
        });
        assert_eq!(wal.append(EVENTS, &payload(EVENTS, id)).unwrap(), id);
    }
    frame_offsets
}

fn segment(root: &Path, start: u64) -> PathBuf {
    root.join(EVENTS).join(seg_file(start))
}

fn index(root: &Path, start: u64) -> PathBuf {
    root.join(EVENTS).join(idx_file(start))
}

/// Every file under `root` with its bytes, to show a command changed nothing.
fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    tree(root)
        .into_iter()
        .filter(|p| root.join(p).is_file())
        .map(|p| (p.clone(), read_all(&root.join(p))))
        .collect()
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn usage_errors_and_help() {
    let (status, help, _) = ironwal(&["--help"]);
    assert_eq!(status, 0);
    for text in [
        "Exit status:",
        "0  success",
        "2  usage error",
        "3  the root is locked",
    ] {
        assert!(help.contains(text), "--help lacks {text:?}:\n{help}");
    }
    assert!(help.contains("do not take the root's lock"), "{help}");
    let (status, repair_help, _) = ironwal(&["repair", "--help"]);
    assert_eq!(status, 0);
    assert!(
        repair_help.contains("--truncate-at-damage"),
        "{repair_help}"
    );
    assert_eq!(ironwal(&[]).0, 2, "no command");
    assert_eq!(ironwal(&["fsck", "/"]).0, 2, "unknown command");
    assert_eq!(ironwal(&["dump", "/tmp", "s", "--hex", "--text"]).0, 2);
    let (status, _, stderr) = ironwal(&["stat", "/nonexistent/ironwal-root"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("does not exist"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    events_root(dir.path());
    let (status, _, stderr) = run_on("dump", dir.path(), &["nosuch"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("Stream not found: nosuch"), "{stderr}");
    let (status, _, stderr) = run_on("checkpoints", dir.path(), &[]);
    assert_eq!(status, 2);
    assert!(stderr.contains("is not a sharded WAL root"), "{stderr}");
}

#[test]
fn stat_lists_streams_ids_segments_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    events_root(root);
    let wal = open(&opts(root));
    wal.append_batch("a/b ü", &[b"x", b"y", b"z"]).unwrap();
    drop(wal);
    let total: u64 = snapshot(root).iter().map(|(_, b)| b.len() as u64).sum();
    let segment_bytes: u64 = (0..4).map(|k| file_len(&segment(root, k * 10))).sum();
    let index_bytes: u64 = (0..3).map(|k| file_len(&index(root, k * 10))).sum();

    let (status, out, _) = run_on("stat", root, &[]);
    assert_eq!(status, 0, "{out}");
    let expected = vec![
        format!("root {}", root.display()),
        "stream \"a/b ü\" (directory a%2Fb%20%C3%BC): ids 0..=2 (3 entries), 1 segments \
         (0 sealed + 1 active), "
            .to_string(),
        format!(
            "stream \"events\" (directory events): ids 0..=34 (35 entries), 4 segments \
             (3 sealed + 1 active), {segment_bytes} segment bytes ({} in the active one), \
             {index_bytes} index bytes",
            file_len(&segment(root, 30))
        ),
        format!("total: 2 streams, 5 segments, {total} bytes"),
    ];
    let got = lines(&out);
    assert_eq!(got.len(), expected.len(), "{out}");
    for (got, expected) in got.iter().zip(&expected) {
        assert!(
            got.starts_with(expected.as_str()),
            "got {got:?}, expected {expected:?}"
        );
    }
}

#[test]
fn dump_prints_text_or_hex_and_honours_from_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let wal = open(&opts(dir.path()));
    let entries: [&[u8]; 4] = [
        b"hello\n\"world\"",
        &[0xff, 0x00, 0x41],
        b"",
        "tab\tü".as_bytes(),
    ];
    wal.append_batch("mixed", &entries).unwrap();
    drop(wal);

    let (status, out, _) = run_on("dump", dir.path(), &["mixed"]);
    assert_eq!(status, 0);
    assert_eq!(
        lines(&out),
        vec![
            r#"0 "hello\n\"world\"""#,
            "1 ff0041",
            r#"2 """#,
            "3 \"tab\\tü\""
        ]
    );
    let (_, out, _) = run_on("dump", dir.path(), &["mixed", "--hex"]);
    assert_eq!(
        lines(&out),
        vec![
            "0 68656c6c6f0a22776f726c6422",
            "1 ff0041",
            "2 ",
            "3 74616209c3bc"
        ]
    );
    let (_, out, _) = run_on(
        "dump",
        dir.path(),
        &["mixed", "--text", "--from", "1", "--limit", "2"],
    );
    assert_eq!(lines(&out), vec![r#"1 "\xff\0A""#, r#"2 """#]);
    let (status, out, _) = run_on("dump", dir.path(), &["mixed", "--from", "4"]);
    assert_eq!((status, out.as_str()), (0, ""));
}

#[test]
fn torn_tail_is_reported_read_only_then_cut_by_repair() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let offsets = events_root(root);
    let (status, out, _) = run_on("verify", root, &[]);
    assert_eq!(
        (status, lines(&out)),
        (
            0,
            vec![format!("ok: no problem found in {}", root.display()).as_str()]
        )
    );

    let active = segment(root, 30);
    let full = file_len(&active);
    set_len(&active, full - 5);
    let before = snapshot(root);
    let (status, out, _) = run_on("verify", root, &[]);
    assert_eq!(status, 1, "{out}");
    let torn = format!(
        "{} at offset {}: torn tail of {} bytes (cut on open) [fixed on open or by repair]",
        active.display(),
        offsets[34],
        full - 5 - offsets[34]
    );
    assert_eq!(
        lines(&out),
        vec![
            torn.as_str(),
            "1 problems found (`ironwal repair DIR` fixes those it can)"
        ]
    );
    let (status, out, _) = run_on("stat", root, &[]);
    assert_eq!(status, 0);
    assert!(
        out.contains("ids 0..=33 (34 entries)"),
        "stat shows the root as opening it would: {out}"
    );
    assert_eq!(
        snapshot(root),
        before,
        "verify and stat must not change the root"
    );

    let (status, out, _) = run_on("repair", root, &[]);
    assert_eq!(status, 0, "{out}");
    let cut = format!(
        "{} at offset {}: torn tail of {} bytes cut",
        active.display(),
        offsets[34],
        full - 5 - offsets[34]
    );
    assert_eq!(
        lines(&out),
        vec![
            cut.as_str(),
            format!("repaired: {} verifies clean", root.display()).as_str()
        ]
    );
    assert_eq!(file_len(&active), offsets[34]);
    assert_eq!(run_on("verify", root, &[]).0, 0);
    assert_eq!(
        lines(&run_on("repair", root, &[]).1),
        vec!["nothing to repair"]
    );
    let wal = open(&opts(root));
    assert_stream(&wal, EVENTS, 0..34);
}

#[test]
fn damage_followed_by_valid_frames_is_cut_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let offsets = events_root(root);
    let sealed = segment(root, 10);
    flip_bit(&sealed, offsets[12] + 40, 3);
    let before = snapshot(root);

    let (status, out, _) = run_on("verify", root, &[]);
    assert_eq!(status, 1, "{out}");
    let damage = format!(
        "{} at offset {}: damaged frame(s): ids 12..13 are unreadable, valid frames follow \
         [repair --truncate-at-damage cuts stream \"events\" at id 12, dropping 23 entries]",
        sealed.display(),
        offsets[12]
    );
    assert_eq!(lines(&out)[0], damage, "{out}");
    assert_eq!(lines(&out).len(), 2, "{out}");

    let (status, out, stderr) = run_on("dump", root, &[EVENTS, "--hex"]);
    assert_eq!(status, 1, "{stderr}");
    let ids: Vec<u64> = lines(&out)
        .iter()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    let readable: Vec<u64> = (0..EVENT_COUNT).filter(|&id| id != 12).collect();
    assert_eq!(ids, readable, "dump goes on past the damaged entry");
    let hex: String = payload(EVENTS, 13)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(lines(&out).contains(&format!("13 {hex}").as_str()));
    assert!(
        stderr.contains("ironwal: id 12: CRC32 Checksum Mismatch"),
        "{stderr}"
    );

    let (status, out, _) = run_on("repair", root, &[]);
    assert_eq!(status, 1, "{out}");
    assert!(out.contains(&damage), "{out}");
    assert!(out.contains("repair refused, nothing was changed"), "{out}");
    assert_eq!(snapshot(root), before, "a refused repair changes nothing");

    let (status, out, _) = run_on("repair", root, &["--truncate-at-damage"]);
    assert_eq!(status, 0, "{out}");
    let cut = format!(
        "{} at offset {}: stream \"events\" cut at id 12 (damaged frame(s): ids 12..13 are \
         unreadable, valid frames follow): 23 entries dropped, 2 later segments deleted",
        sealed.display(),
        offsets[12]
    );
    assert_eq!(
        lines(&out),
        vec![
            cut.as_str(),
            format!("repaired: {} verifies clean", root.display()).as_str()
        ]
    );
    assert_eq!(segments(&root.join(EVENTS)), vec![0, 10]);
    assert_eq!(run_on("verify", root, &[]).0, 0);
    let wal = open(&opts(root));
    assert_stream(&wal, EVENTS, 0..12);
    assert_eq!(
        wal.append(EVENTS, &payload(EVENTS, 12)).unwrap(),
        12,
        "ids go on from the cut"
    );
}

#[test]
fn missing_and_damaged_indexes_are_rebuilt_as_the_engine_wrote_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    events_root(root);
    let written: Vec<Vec<u8>> = (0..3).map(|k| read_all(&index(root, k * 10))).collect();
    std::fs::remove_file(index(root, 0)).unwrap();
    flip_bit(&index(root, 10), 60, 0);
    std::fs::write(index(root, 20), b"garbage").unwrap();

    let (status, out, _) = run_on("verify", root, &[]);
    assert_eq!(status, 1, "{out}");
    let expected = [
        format!(
            "{}: frame index is missing [repair rewrites it]",
            index(root, 0).display()
        ),
        format!(
            "{}: Data Corruption: frame index of segment 10: CRC mismatch [repair rewrites it]",
            index(root, 10).display()
        ),
        format!(
            "{}: Data Corruption: frame index of segment 20: no index magic [repair rewrites it]",
            index(root, 20).display()
        ),
        "3 problems found (`ironwal repair DIR` fixes those it can)".to_string(),
    ];
    assert_eq!(
        lines(&out),
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );

    let (status, out, _) = run_on("repair", root, &[]);
    assert_eq!(status, 0, "{out}");
    assert_eq!(lines(&out).len(), 4, "{out}");
    for k in 0..3 {
        let rebuilt = format!("{}: frame index rebuilt", index(root, k * 10).display());
        assert!(out.contains(&rebuilt), "{out}");
        assert_eq!(
            read_all(&index(root, k * 10)),
            written[k as usize],
            "index {k}"
        );
    }
    assert_eq!(run_on("verify", root, &[]).0, 0);
    assert_stream(&open(&opts(root)), EVENTS, 0..EVENT_COUNT);
}

#[test]
fn repair_refuses_while_another_handle_holds_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    events_root(root);
    let wal = Wal::new(WalOptions::new(root)).unwrap();
    let (status, out, stderr) = run_on("repair", root, &[]);
    assert_eq!((status, out.as_str()), (3, ""));
    assert!(
        stderr.contains("is held by a running Wal: close it before repairing"),
        "{stderr}"
    );
    let (status, out, _) = run_on("verify", root, &[]);
    assert_eq!(status, 0, "reading needs no lock: {out}");
    assert_eq!(run_on("stat", root, &[]).0, 0);
    drop(wal);
    let (status, out, _) = run_on("repair", root, &[]);
    assert_eq!((status, lines(&out)), (0, vec!["nothing to repair"]));
}

#[test]
fn leftovers_and_misplaced_segments_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    events_root(root);
    let temp = root.join(EVENTS).join("00000000000000000040.wal.tmp");
    std::fs::write(&temp, b"half a segment").unwrap();
    let orphan = root.join(EVENTS).join(idx_file(90));
    std::fs::write(&orphan, b"").unwrap();
    let ghost = root.join("ghost");
    std::fs::create_dir(&ghost).unwrap();

    let (status, out, _) = run_on("verify", root, &[]);
    assert_eq!(status, 1, "{out}");
    let expected = [
        format!(
            "{}: stale frame index (removed on open) [fixed on open or by repair]",
            orphan.display()
        ),
        format!(
            "{}: leftover temporary file (removed on open) [fixed on open or by repair]",
            temp.display()
        ),
        format!(
            "{}: stream directory without segments (removed on open) [fixed on open or by repair]",
            ghost.display()
        ),
    ];
    for line in &expected {
        assert!(
            lines(&out).contains(&line.as_str()),
            "{line:?} not in:\n{out}"
        );
    }
    assert_eq!(lines(&out).len(), 4, "{out}");
    let (status, out, _) = run_on("repair", root, &[]);
    assert_eq!(status, 0, "{out}");
    assert_eq!(lines(&out).len(), 4, "{out}");
    assert!(!temp.exists() && !orphan.exists() && !ghost.exists());
    assert_eq!(run_on("verify", root, &[]).0, 0);

    // Segments of one stream moved under another stream's directory.
    std::fs::rename(root.join(EVENTS), root.join("moved")).unwrap();
    let (status, out, _) = run_on("verify", root, &[]);
    assert_eq!(status, 1, "{out}");
    let misplaced = format!(
        "{} at offset 0: header says stream \"events\" from id 0, which does not match the \
         file's path [repair --truncate-at-damage cuts stream \"moved\" at id 0, dropping 35 \
         entries]",
        root.join("moved").join(seg_file(0)).display()
    );
    assert_eq!(lines(&out)[0], misplaced, "{out}");
    assert!(
        out.contains(": opening the WAL fails: Data Corruption: "),
        "{out}"
    );
    assert_eq!(
        run_on("stat", root, &[]).0,
        1,
        "the engine refuses this root"
    );
}

#[test]
fn preallocated_space_is_not_damage_but_a_torn_frame_in_it_is() {
    let live = tempfile::tempdir().unwrap();
    let mut options = WalOptions::new(live.path());
    options.sync_mode = ironwal::SyncMode::Strict;
    let wal = Wal::new(options).unwrap();
    let entries: Vec<Vec<u8>> = (0..5).map(|id| payload(EVENTS, id)).collect();
    for entry in &entries {
        wal.append(EVENTS, entry).unwrap();
    }
    // What a crash leaves: the zeros a clean close trims are still there.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(live.path(), root);
    drop(wal);
    let (status, out, _) = run_on("verify", root, &[]);
    assert_eq!(
        status, 0,
        "zeros after the last frame are free space: {out}"
    );

    // docs/FORMAT.md: a 32-byte header and the name padded to 8, then single-entry
    // frames (a 24-byte header and the entry) padded to 8.
    let padded = |n: u64| n.div_ceil(8) * 8;
    let last = padded(32 + EVENTS.len() as u64)
        + entries[..4]
            .iter()
            .map(|e| padded(24 + e.len() as u64))
            .sum::<u64>();
    let active = segment(root, 0);
    let len = file_len(&active);
    assert!(len > last + 64, "the segment is preallocated ({len} bytes)");
    flip_bit(&active, last + 24, 0);
    let (status, out, _) = run_on("verify", root, &[]);
    assert_eq!(status, 1, "{out}");
    let torn = format!(
        "{} at offset {last}: torn tail of {} bytes (cut on open)",
        active.display(),
        len - last
    );
    assert!(out.starts_with(&torn), "{out}");
    assert_eq!(run_on("repair", root, &[]).0, 0);
    assert_eq!(run_on("verify", root, &[]).0, 0);
    assert_stream(&open(&opts(root)), EVENTS, 0..4);
}

#[cfg(feature = "sharded")]
mod sharded {
    use super::*;
    use ironwal::sharded::ShardedWal;

    const SHARDS: u16 = 4;
    /// Each record: 40 fixed bytes, 4 offsets, a 4-byte id (docs/SHARDED_WAL.md).
    const RECORD_LEN: u64 = 80;
    const LOG_HEADER_LEN: u64 = 16;

    fn open_sharded(root: &Path) -> ShardedWal {
        ShardedWal::new(opts(root), SHARDS).unwrap()
    }

    /// Checkpoints cp-1, cp-2, cp-3 with appends between them; returns their offsets.
    fn sharded_root(root: &Path) -> Vec<Vec<u64>> {
        let wal = open_sharded(root);
        let mut offsets = Vec::new();
        for round in 1..=3 {
            for i in 0..10 {
                wal.append(
                    format!("key{i}").as_bytes(),
                    format!("value {round}.{i}").as_bytes(),
                )
                .unwrap();
            }
            let id = format!("cp-{round}");
            wal.create_checkpoint(id.as_bytes()).unwrap();
            offsets.push(wal.load_checkpoint(id.as_bytes()).unwrap().offsets);
        }
        offsets
    }

    fn offsets_text(offsets: &[u64]) -> String {
        let parts: Vec<String> = offsets.iter().map(u64::to_string).collect();
        format!("[{}]", parts.join(", "))
    }

    #[test]
    fn checkpoints_and_stat_of_a_sharded_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let offsets = sharded_root(root);
        let (status, out, _) = run_on("checkpoints", root, &[]);
        assert_eq!(status, 0, "{out}");
        let got = lines(&out);
        assert_eq!(got.len(), 6, "{out}");
        assert_eq!(got[0], "3 checkpoints, 4 shards");
        for (line, (round, offsets)) in got[1..4].iter().zip((1..).zip(&offsets)) {
            let (head, tail) = line.split_once(" created ").expect(line);
            assert_eq!(head, format!("checkpoint \"cp-{round}\""));
            let (time, rest) = tail.split_once(' ').unwrap();
            assert!(
                time.len() == 30 && time.starts_with("20") && time.ends_with('Z'),
                "{time}"
            );
            assert_eq!(rest, format!("offsets {}", offsets_text(offsets)));
        }
        assert_eq!(
            got[4..],
            ["latest \"cp-3\"", "HEAD names the latest checkpoint"]
        );

        let (status, out, _) = run_on("stat", root, &[]);
        assert_eq!(status, 0);
        assert!(out.contains("sharded: 4 shards, 3 checkpoints"), "{out}");
        let entries: u64 = offsets[2].iter().sum();
        assert_eq!(entries, 30);
        assert_eq!(
            out.matches("stream \"shard_0").count() as u64,
            offsets[2].iter().filter(|&&o| o > 0).count() as u64
        );

        std::fs::remove_file(root.join("HEAD")).unwrap();
        let (_, out, _) = run_on("checkpoints", root, &[]);
        assert!(
            out.ends_with("HEAD is missing, damaged or stale (rewritten on open)\n"),
            "{out}"
        );
        let (status, out, _) = run_on("verify", root, &[]);
        assert_eq!(status, 1);
        assert!(
            out.starts_with(&format!(
                "{}: missing, damaged or stale HEAD (rewritten on open)",
                root.join("HEAD").display()
            )),
            "{out}"
        );
        let (status, out, _) = run_on("repair", root, &[]);
        assert_eq!(status, 0, "{out}");
        assert!(
            out.contains("missing, damaged or stale HEAD rewritten"),
            "{out}"
        );
        assert_eq!(run_on("verify", root, &[]).0, 0);
    }

    #[test]
    fn damaged_checkpoint_log_is_rewritten_keeping_every_valid_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let offsets = sharded_root(root);
        let log = root.join("checkpoints.log");
        assert_eq!(file_len(&log), LOG_HEADER_LEN + 3 * RECORD_LEN);
        let second = LOG_HEADER_LEN + RECORD_LEN;
        flip_bit(&log, second + 20, 1);
        append_bytes(&log, &[0xAB; 13]);
        let before = snapshot(root);

        let (status, out, _) = run_on("verify", root, &[]);
        assert_eq!(status, 1, "{out}");
        let torn = format!(
            "{} at offset {}: torn tail of 13 bytes (cut on open) [fixed on open or by repair]",
            log.display(),
            LOG_HEADER_LEN + 3 * RECORD_LEN
        );
        let damaged = format!(
            "{} at offset {second}: {RECORD_LEN} bytes of damaged checkpoint records, valid \
             records follow (skipped on open; no valid checkpoint is lost by rewriting) \
             [repair rewrites it]",
            log.display()
        );
        assert_eq!(
            lines(&out),
            vec![
                torn.as_str(),
                damaged.as_str(),
                "2 problems found (`ironwal repair DIR` fixes those it can)"
            ]
        );
        let (status, out, _) = run_on("checkpoints", root, &[]);
        assert_eq!(status, 0);
        assert_eq!(out.matches("checkpoint \"").count(), 2, "{out}");
        assert!(!out.contains("cp-2"), "{out}");
        assert_eq!(snapshot(root), before, "reading changes nothing");

        let (status, out, _) = run_on("repair", root, &[]);
        assert_eq!(status, 0, "{out}");
        let expected = [
            format!(
                "{}: checkpoint log rewritten without its damaged bytes (2 records kept)",
                log.display()
            ),
            format!(
                "{}: missing, damaged or stale HEAD rewritten",
                root.join("HEAD").display()
            ),
            format!("repaired: {} verifies clean", root.display()),
        ];
        assert_eq!(
            lines(&out),
            expected.iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert_eq!(file_len(&log), LOG_HEADER_LEN + 2 * RECORD_LEN);
        assert_eq!(run_on("verify", root, &[]).0, 0);

        let wal = open_sharded(root);
        let ids: Vec<Vec<u8>> = wal
            .list_checkpoints()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, vec![b"cp-1".to_vec(), b"cp-3".to_vec()]);
        assert_eq!(wal.load_checkpoint(b"cp-3").unwrap().offsets, offsets[2]);
        assert_eq!(wal.load_latest_checkpoint().unwrap().0, b"cp-3");
        let entries: usize = (0..SHARDS)
            .map(|s| wal.iter_shard(s, 0).unwrap().count())
            .sum();
        assert_eq!(entries, 30);
    }
}
