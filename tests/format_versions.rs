//! Segments of format versions 1 and 2 (written before single-entry frames existed,
//! every frame a frame of entries) are read as they are. Appends to such an active
//! segment stay frames of entries until it is sealed, so a reader of those versions
//! never meets a single-entry frame in a file whose version it accepts; the next
//! segment is version 3. Files are built by hand from docs/FORMAT.md.

mod common;

use common::*;
use ironwal::*;
use std::path::Path;

const STREAM: &str = "s";
const ENTRIES_MAGIC: &[u8; 4] = b"IWF1";
const SINGLE_MAGIC: &[u8; 4] = b"IWS1";

fn align8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// A segment header of `version` for `STREAM` (docs/FORMAT.md, "Segment file").
fn segment_header(start_id: u64, version: u16, flags: u32) -> Vec<u8> {
    let len = align8(32 + STREAM.len());
    let mut h = vec![0u8; len];
    h[0..8].copy_from_slice(b"IRONWAL\0");
    h[8..10].copy_from_slice(&version.to_le_bytes());
    h[10..12].copy_from_slice(&(STREAM.len() as u16).to_le_bytes());
    h[12..16].copy_from_slice(&(len as u32).to_le_bytes());
    h[16..24].copy_from_slice(&start_id.to_le_bytes());
    h[24..28].copy_from_slice(&flags.to_le_bytes());
    h[32..32 + STREAM.len()].copy_from_slice(STREAM.as_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(&h[0..28]);
    crc.update(STREAM.as_bytes());
    h[28..32].copy_from_slice(&crc.finalize().to_le_bytes());
    h
}

/// A frame of entries holding just `entry` (docs/FORMAT.md, "Frames").
fn entries_frame(id: u64, entry: &[u8]) -> Vec<u8> {
    let raw_len = (4 + entry.len()) as u32;
    let mut f = vec![0u8; 32];
    f[0..4].copy_from_slice(ENTRIES_MAGIC);
    f[8..16].copy_from_slice(&id.to_le_bytes());
    f[16..20].copy_from_slice(&1u32.to_le_bytes());
    f[20..24].copy_from_slice(&raw_len.to_le_bytes());
    f[24..28].copy_from_slice(&raw_len.to_le_bytes());
    f.extend_from_slice(&(entry.len() as u32).to_le_bytes());
    f.extend_from_slice(entry);
    let crc = crc32fast::hash(&f[8..]);
    f[4..8].copy_from_slice(&crc.to_le_bytes());
    f.resize(align8(f.len()), 0);
    f
}

/// The segment's format version and the magic of each of its frames, walked by the
/// lengths their headers give, up to the end or the first zeros.
fn version_and_frame_magics(segment: &Path) -> (u16, Vec<[u8; 4]>) {
    let bytes = read_all(segment);
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let mut pos = u32_at(12);
    let mut magics = Vec::new();
    while pos + 4 <= bytes.len() {
        let magic: [u8; 4] = bytes[pos..pos + 4].try_into().unwrap();
        pos += match &magic {
            ENTRIES_MAGIC => align8(32 + u32_at(pos + 20)),
            SINGLE_MAGIC => align8(24 + u32_at(pos + 16)),
            _ => break,
        };
        magics.push(magic);
    }
    (version, magics)
}

#[test]
fn old_active_segments_are_read_and_appended_to_with_frames_of_entries() {
    // (version, flags, sync mode): version 2 is a preallocated Strict segment.
    for (version, flags, sync_mode) in [(1u16, 0u32, SyncMode::Async), (2, 1, SyncMode::Strict)] {
        for read_strategy in [ReadStrategy::StandardIo, ReadStrategy::Mmap] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join(STREAM);
            std::fs::create_dir_all(&dir).unwrap();
            let mut file = segment_header(0, version, flags);
            for id in 0..3 {
                file.extend_from_slice(&entries_frame(id, &payload(STREAM, id)));
            }
            if flags == 1 {
                file.resize(file.len() + 4096, 0); // preallocated free space
            }
            let old = dir.join(seg_file(0));
            std::fs::write(&old, &file).unwrap();

            let mut o = opts(tmp.path());
            o.sync_mode = sync_mode;
            o.read_strategy = read_strategy;
            o.max_entries_per_segment = 5;
            o.on_corruption = CorruptionPolicy::Error;
            let wal = open(&o);
            assert_stream(&wal, STREAM, 0..3);
            append_n_from(&wal, 3..5);
            assert_stream(&wal, STREAM, 0..5);
            drop(wal);
            assert_eq!(
                version_and_frame_magics(&old),
                (version, vec![*ENTRIES_MAGIC; 5]),
                "version {version}: appends to the old segment are frames of entries"
            );

            // The sixth id starts segment 5, created at version 3.
            let wal = open(&o);
            append_n_from(&wal, 5..7);
            wal.append_batch(STREAM, &[b"a", b"b"]).unwrap();
            drop(wal);
            assert_eq!(segments(&dir), vec![0, 5]);
            assert_eq!(
                version_and_frame_magics(&dir.join(seg_file(5))),
                (3, vec![*SINGLE_MAGIC, *SINGLE_MAGIC, *ENTRIES_MAGIC])
            );
            let wal = open(&o);
            let mut expected: Vec<Vec<u8>> = (0..7).map(|id| payload(STREAM, id)).collect();
            expected.extend([b"a".to_vec(), b"b".to_vec()]);
            assert_eq!(collect(&wal, STREAM, 0), expected);
            for (id, entry) in expected.iter().enumerate() {
                assert_eq!(wal.get(STREAM, id as u64).unwrap().as_ref(), Some(entry));
            }
        }
    }
}

/// Appends `payload(STREAM, id)` for each id, checking the ids given.
fn append_n_from(wal: &Wal, ids: std::ops::Range<u64>) {
    for id in ids {
        assert_eq!(wal.append(STREAM, &payload(STREAM, id)).unwrap(), id);
    }
}

#[test]
fn a_reader_refuses_a_segment_version_it_does_not_know() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(STREAM);
    std::fs::create_dir_all(&dir).unwrap();
    let mut file = segment_header(0, 4, 0);
    file.extend_from_slice(&entries_frame(0, b"x"));
    std::fs::write(dir.join(seg_file(0)), &file).unwrap();
    match open_err(&opts(tmp.path())) {
        Error::Corruption(why) => assert!(why.contains("unsupported format version 4"), "{why}"),
        other => panic!("{other:?}"),
    }
}
