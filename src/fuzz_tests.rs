//! Property tests of everything that parses bytes from disk.
//!
//! Every parser of on-disk bytes gets: arbitrary bytes never panic and never make it
//! allocate more than a small multiple of its input; valid encodings round-trip; any
//! single-bit flip or cut of a valid encoding is rejected (or, where the flipped byte is
//! padding no check covers, decodes to exactly the same value). `scan_segment` is
//! checked against a straightforward reference implementation of the decision table in
//! docs/FORMAT.md and against the frames that were really written, and a whole `Wal` is
//! opened over randomly damaged segment files.
//!
//! Run: `cargo test --lib --all-features fuzz_tests -- --nocapture` (prints the cases
//! run per property). `IRONWAL_FUZZ_CASES=<factor>` multiplies every property's case
//! count (default 1; `10` for a long run, `0.1` for a smoke run).
//!
//! Engine bugs found here are kept at the end of the file as `#[ignore]`d tests with a
//! minimal reproduction (`-- --include-ignored` runs them).

use crate::format::align8;
use crate::format::checkpoint_record::CheckpointRecord;
use crate::format::frame::{
    check_frame, entry_bounds, parse_header, raw_payload, DecodedFrame, EncodedFrame, FrameDefect,
    FrameHeader, ENTRIES_HEADER_LEN, ENTRIES_MAGIC, SINGLE_HEADER_LEN, SINGLE_MAGIC,
};
use crate::format::frame_index::{FrameIndex, FrameLoc};
use crate::format::segment_header::{is_unfinished, SegmentHeader, MAX_HEADER_LEN};
use crate::format::sharded_meta::{decode_manifest, encode_manifest, Head};
use crate::format::stream_name;
use crate::storage::scan::{scan_segment, Damage, ScanOutcome};
use crate::storage::vfs::VfsFile;
use crate::{CompressionType, CorruptionPolicy, ReadStrategy, SyncMode, Wal, WalOptions};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::fmt::Debug;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

// ---------------------------------------------------------------------------------
// Harness: case counts, the runner, an allocation meter
// ---------------------------------------------------------------------------------

/// Cases run by all properties of this module so far (they run on parallel threads).
static TOTAL_CASES: AtomicU64 = AtomicU64::new(0);

/// `base` scaled by `IRONWAL_FUZZ_CASES` (a factor, default 1), at least 1.
fn scaled(base: u32) -> u32 {
    let factor = std::env::var("IRONWAL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f > 0.0)
        .unwrap_or(1.0);
    ((base as f64 * factor).round() as u32).max(1)
}

/// Runs `test` over `base` (scaled) values of `strategy`, prints how many cases ran,
/// and panics with the minimal failing input if one fails.
fn check<S>(
    name: &str,
    base: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let mut config = Config::with_cases(scaled(base));
    config.failure_persistence = None;
    config.max_global_rejects = config.cases.max(1024);
    config.max_shrink_iters = 4096;
    let mut runner = TestRunner::new(config);
    let ran = AtomicU64::new(0);
    let started = Instant::now();
    let outcome = runner.run(&strategy, |value| {
        ran.fetch_add(1, Ordering::Relaxed);
        test(value)
    });
    let ran = ran.load(Ordering::Relaxed);
    let total = TOTAL_CASES.fetch_add(ran, Ordering::Relaxed) + ran;
    println!(
        "fuzz_tests::{name}: {ran} cases in {:.2?} (all fuzz_tests so far: {total} cases)",
        started.elapsed()
    );
    if let Err(e) = outcome {
        panic!("fuzz_tests::{name} failed: {e}");
    }
}

/// Measures the largest single allocation (or reallocation) requested by the current
/// thread while a closure runs. Other threads are not affected beyond one thread-local
/// read per allocation.
mod alloc_meter {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    struct Meter;

    thread_local! {
        static ARMED: Cell<bool> = const { Cell::new(false) };
        static PEAK: Cell<usize> = const { Cell::new(0) };
    }

    fn note(size: usize) {
        let _ = ARMED.try_with(|armed| {
            if armed.get() {
                let _ = PEAK.try_with(|peak| peak.set(peak.get().max(size)));
            }
        });
    }

    // SAFETY: every call is forwarded unchanged to the system allocator.
    unsafe impl GlobalAlloc for Meter {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            System.alloc(layout)
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            System.alloc_zeroed(layout)
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            System.dealloc(ptr, layout)
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            note(new_size);
            System.realloc(ptr, layout, new_size)
        }
    }

    #[global_allocator]
    static METER: Meter = Meter;

    /// `f()` and the largest single allocation it requested on this thread.
    pub fn peak<R>(f: impl FnOnce() -> R) -> (R, usize) {
        PEAK.with(|p| p.set(0));
        ARMED.with(|a| a.set(true));
        let result = f();
        ARMED.with(|a| a.set(false));
        (result, PEAK.with(|p| p.get()))
    }
}
use alloc_meter::peak;

/// The allocation budget of a parser given `input` bytes: a small multiple of the
/// input plus a constant (the chunk reader's minimum chunk, error messages).
fn small_multiple(input: usize) -> usize {
    8 * input + 8192
}

/// A read-only in-memory segment file.
struct MemFile(Vec<u8>);

impl VfsFile for MemFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let Some(rest) = self.0.get(offset.min(usize::MAX as u64) as usize..) else {
            return Ok(0);
        };
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }

    fn write_at(&self, _buf: &[u8], _offset: u64) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "read-only MemFile",
        ))
    }

    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }

    fn set_len(&self, _len: u64) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "read-only MemFile",
        ))
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.0.len() as u64)
    }

    fn map(&self, _len: u64) -> io::Result<Option<memmap2::Mmap>> {
        Ok(None)
    }
}

/// A temp directory, on tmpfs when there is one (fsync is then nearly free).
fn temp_dir() -> tempfile::TempDir {
    match Path::new("/dev/shm") {
        shm if shm.is_dir() => tempfile::Builder::new()
            .prefix("ironwal-fuzz-")
            .tempdir_in(shm)
            .or_else(|_| tempfile::tempdir())
            .expect("temp dir"),
        _ => tempfile::tempdir().expect("temp dir"),
    }
}

// ---------------------------------------------------------------------------------
// Strategies and helpers shared by the frame and segment properties
// ---------------------------------------------------------------------------------

/// Entry payloads: mostly small random ones, some long and compressible.
fn entry() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => vec(any::<u8>(), 0..48),
        1 => (any::<u8>(), 0..2500usize).prop_map(|(b, n)| vec![b; n]),
        1 => (vec(any::<u8>(), 1..8), 0..300usize).prop_map(|(p, reps)| p.repeat(reps)),
    ]
}

fn entries() -> impl Strategy<Value = Vec<Vec<u8>>> {
    vec(entry(), 1..6)
}

fn compression() -> impl Strategy<Value = CompressionType> {
    prop_oneof![Just(CompressionType::None), Just(CompressionType::Lz4)]
}

/// The bytes of one frame holding `entries` with ids from `first_id`.
fn encode_frame(entries: &[Vec<u8>], compression: CompressionType, first_id: u64) -> Vec<u8> {
    encode_frame_as(entries, compression, first_id, false)
}

/// `encode_frame`, or with `entries_layout` a frame of entries even for one entry (as
/// format versions 1 and 2 write it).
fn encode_frame_as(
    entries: &[Vec<u8>],
    compression: CompressionType,
    first_id: u64,
    entries_layout: bool,
) -> Vec<u8> {
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let mut frame = EncodedFrame::new(&refs, compression, 0).expect("small frame");
    if entries_layout {
        frame.use_entries_layout();
    }
    frame.seal(first_id).to_vec()
}

/// Entries of a frame that `check_frame` accepted, through `DecodedFrame`.
fn decoded_entries(bytes: &[u8], header: &FrameHeader) -> crate::Result<Vec<Vec<u8>>> {
    let frame = DecodedFrame::decode(bytes, header, 0)?;
    Ok((0..header.count as usize)
        .map(|i| frame.entry(i).to_vec())
        .collect())
}

/// A valid segment: header, then frames with contiguous ids from `start_id`.
#[derive(Debug, Clone)]
struct Segment {
    bytes: Vec<u8>,
    start_id: u64,
    data_start: u64,
    /// Every entry by `id - start_id`.
    entries: Vec<Vec<u8>>,
    /// `(first id, count, offset, length incl. padding, length of header + payload)`.
    frames: Vec<(u64, u64, u64, u64, u64)>,
}

impl Segment {
    fn end_id(&self) -> u64 {
        self.start_id + self.entries.len() as u64
    }

    fn entry(&self, id: u64) -> Option<&[u8]> {
        let i = id.checked_sub(self.start_id)?;
        self.entries.get(i as usize).map(Vec::as_slice)
    }
}

fn build_segment(
    stream: &str,
    start_id: u64,
    frames: &[(Vec<Vec<u8>>, CompressionType)],
) -> Segment {
    let header = SegmentHeader {
        start_id,
        stream: stream.to_owned(),
        preallocated: false,
        single_entry_frames: true,
    };
    let mut bytes = header.encode();
    let data_start = bytes.len() as u64;
    let mut all = Vec::new();
    let mut locs = Vec::new();
    let mut next = start_id;
    for (batch, compression) in frames {
        let frame = encode_frame(batch, *compression, next);
        let parsed = check_frame(&frame).expect("fresh frame is valid");
        locs.push((
            next,
            batch.len() as u64,
            bytes.len() as u64,
            frame.len() as u64,
            (parsed.header_len() + parsed.stored_len as usize) as u64,
        ));
        bytes.extend_from_slice(&frame);
        all.extend(batch.iter().cloned());
        next += batch.len() as u64;
    }
    Segment {
        bytes,
        start_id,
        data_start,
        entries: all,
        frames: locs,
    }
}

fn segment_strategy() -> impl Strategy<Value = Segment> {
    (
        stream_name_strategy(),
        0..u64::MAX / 2,
        vec((entries(), compression()), 1..8),
    )
        .prop_map(|(name, start, frames)| build_segment(&name, start, &frames))
}

fn scan(
    bytes: &[u8],
    start_id: u64,
    data_start: u64,
    chunk: usize,
    preallocated: bool,
) -> ScanOutcome {
    scan_segment(
        Arc::new(MemFile(bytes.to_vec())),
        start_id,
        data_start,
        bytes.len() as u64,
        chunk,
        preallocated,
    )
    .expect("in-memory reads do not fail")
}

/// What the scan should find, computed the obvious way over the whole file in memory
/// (the decision table of docs/FORMAT.md).
fn reference_scan(
    bytes: &[u8],
    start_id: u64,
    data_start: u64,
    preallocated: bool,
) -> (FrameIndex, Vec<Damage>, Option<u64>) {
    let valid_at =
        |pos: u64| -> Option<FrameHeader> { check_frame(bytes.get(pos as usize..)?).ok() };
    let mut index = FrameIndex::empty(start_id, data_start);
    let mut damage = Vec::new();
    let len = bytes.len() as u64;
    let mut pos = data_start;
    while pos < len {
        let expected = index.end_id;
        match valid_at(pos) {
            Some(h) if h.first_id == expected => {
                index.push(h.first_id, h.count as u64, h.frame_len());
                pos += h.frame_len();
            }
            _ if preallocated && bytes[pos as usize..].iter().all(|&b| b == 0) => break,
            _ => {
                // A damaged frame whose header looks intact says where the next one is:
                // a valid frame continuing its ids there resumes the scan.
                let intact = parse_header(bytes.get(pos as usize..).unwrap_or(&[]), len - pos)
                    .ok()
                    .filter(|h| h.first_id == expected);
                if let Some(h) = intact {
                    let next_pos = pos + h.frame_len();
                    if let Some(n) = valid_at(next_pos).filter(|n| n.first_id == h.end_id()) {
                        damage.push(Damage {
                            offset: pos,
                            ids: expected..n.first_id,
                        });
                        index.push(expected, n.first_id - expected, next_pos - pos);
                        pos = next_pos;
                        continue;
                    }
                }
                let mut next = pos + 8;
                let mut found = None;
                while next + SINGLE_HEADER_LEN as u64 <= len {
                    if let Some(h) = valid_at(next).filter(|h| h.first_id > expected) {
                        found = Some((next, h));
                        break;
                    }
                    next += 8;
                }
                match found {
                    Some((next_pos, h)) => {
                        damage.push(Damage {
                            offset: pos,
                            ids: expected..h.first_id,
                        });
                        index.push(expected, h.first_id - expected, next_pos - pos);
                        pos = next_pos;
                    }
                    None => return (index, damage, Some(pos)),
                }
            }
        }
    }
    (index, damage, None)
}

/// Every frame the scan's index points at either fails its checks (damage) or holds
/// exactly the entries `original` has for its ids. Returns the number of ids readable.
fn assert_index_never_lies(
    bytes: &[u8],
    outcome: &ScanOutcome,
    original: &Segment,
) -> Result<u64, TestCaseError> {
    let index = &outcome.index;
    prop_assert!(index.data_end <= bytes.len() as u64 || index.len() == 0);
    prop_assert!(
        index.end_id <= original.end_id(),
        "scan found ids up to {} but only {} were written",
        index.end_id,
        original.end_id()
    );
    let mut readable = 0;
    for i in 0..index.len() {
        let span = index.span(i);
        let end_id = index.frame_end_id(i);
        let frame = &bytes[span.offset as usize..(span.offset + span.len) as usize];
        let Ok(header) = check_frame(frame) else {
            continue;
        };
        if header.first_id != span.first_id {
            continue; // the reader reports this as corruption
        }
        prop_assert!(header.end_id() <= end_id.max(header.first_id + 1));
        let Ok(got) = decoded_entries(frame, &header) else {
            continue;
        };
        for (k, entry) in got.iter().enumerate() {
            let id = header.first_id + k as u64;
            prop_assert_eq!(
                Some(entry.as_slice()),
                original.entry(id),
                "frame at {} returns wrong bytes for id {}",
                span.offset,
                id
            );
            readable += 1;
        }
    }
    Ok(readable)
}

// ---------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------

/// Headers that pass the magic check with arbitrary, sometimes extreme, fields and a
/// correct CRC over arbitrary payload bytes: what a decoder meets after bit rot that
/// happens to keep the CRC right, or a hostile file. Both layouts.
fn forged_frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![forged_entries_frame(), forged_single_entry_frame()]
}

fn forged_single_entry_frame() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u64>(),
        vec(any::<u8>(), 0..96),
        prop_oneof![Just(None), any::<u32>().prop_map(Some)],
        prop_oneof![Just(0u32), any::<u32>()],
    )
        .prop_map(|(id, payload, len, reserved)| {
            let len = len.unwrap_or(payload.len() as u32);
            let mut bytes = vec![0u8; SINGLE_HEADER_LEN];
            bytes[0..4].copy_from_slice(&SINGLE_MAGIC.to_le_bytes());
            bytes[8..16].copy_from_slice(&id.to_le_bytes());
            bytes[16..20].copy_from_slice(&len.to_le_bytes());
            bytes[20..24].copy_from_slice(&reserved.to_le_bytes());
            bytes.extend_from_slice(&payload);
            let crc = crc32fast::hash(&bytes[8..]);
            bytes[4..8].copy_from_slice(&crc.to_le_bytes());
            bytes.resize(align8(bytes.len() as u64) as usize, 0);
            bytes
        })
}

fn forged_entries_frame() -> impl Strategy<Value = Vec<u8>> {
    let len_field = prop_oneof![0..64u32, Just(u32::MAX), Just(u32::MAX - 64), any::<u32>(),];
    (
        any::<u64>(),
        prop_oneof![1..4u32, any::<u32>()],
        vec(any::<u8>(), 0..96),
        len_field,
        0..5u8,
        prop_oneof![Just(0u8), Just(1u8), any::<u8>()],
    )
        .prop_map(|(first_id, count, payload, raw_len, choice, flags)| {
            let stored_len = payload.len() as u32;
            // Often exactly at (or just past) the largest plausible LZ4 claim.
            let raw_len = match choice {
                0 => stored_len * 255 + 16,
                1 => stored_len * 255 + 17,
                2 => stored_len,
                _ => raw_len,
            };
            let mut bytes = vec![0u8; ENTRIES_HEADER_LEN];
            bytes[0..4].copy_from_slice(&ENTRIES_MAGIC.to_le_bytes());
            bytes[8..16].copy_from_slice(&first_id.to_le_bytes());
            bytes[16..20].copy_from_slice(&count.to_le_bytes());
            bytes[20..24].copy_from_slice(&stored_len.to_le_bytes());
            bytes[24..28].copy_from_slice(&raw_len.to_le_bytes());
            bytes[28] = flags;
            bytes.extend_from_slice(&payload);
            let crc = crc32fast::hash(&bytes[8..]);
            bytes[4..8].copy_from_slice(&crc.to_le_bytes());
            bytes.resize(align8(bytes.len() as u64) as usize, 0);
            bytes
        })
}

/// Runs every frame parser over `bytes`: no panic, bounded allocation, and whatever
/// is accepted is self-consistent.
fn exercise_frame_parsers(bytes: &[u8], available: u64) -> Result<(), TestCaseError> {
    let (outcome, peak_alloc) = peak(|| {
        let _ = parse_header(bytes, available);
        let checked = check_frame(bytes);
        let decoded = checked.as_ref().ok().map(|h| {
            (
                (!h.single).then(|| raw_payload(bytes, h, 0).map(|r| r.len())),
                decoded_entries(bytes, h),
            )
        });
        (checked, decoded)
    });
    let (checked, decoded) = outcome;
    let Ok(header) = checked else {
        prop_assert!(
            peak_alloc <= small_multiple(bytes.len()),
            "{peak_alloc} bytes"
        );
        return Ok(());
    };
    // Accepted: the claims are within what the stored bytes can describe.
    let stored = header.stored_len as usize;
    prop_assert!(header.header_len() + stored <= bytes.len());
    prop_assert!(header.count >= 1);
    if header.lz4 {
        prop_assert!(header.raw_len as u64 <= 255 * header.stored_len as u64 + 16);
    } else {
        prop_assert_eq!(header.raw_len, header.stored_len);
    }
    prop_assert!(
        peak_alloc <= 2 * (255 * stored + 16) + small_multiple(bytes.len()),
        "decoding a {}-byte frame allocated {peak_alloc} bytes at once",
        bytes.len()
    );
    let (raw, entries) = decoded.expect("decoded when accepted");
    if let Some(Ok(raw_len)) = raw {
        prop_assert_eq!(raw_len, header.raw_len as usize);
    }
    if let Ok(entries) = entries {
        prop_assert_eq!(entries.len(), header.count as usize);
        // A single-entry frame's raw length is its entry's; others add length prefixes.
        let prefix = if header.single { 0 } else { 4 };
        let total: usize = entries.iter().map(|e| prefix + e.len()).sum();
        prop_assert_eq!(total, header.raw_len as usize);
    }
    Ok(())
}

#[test]
fn frame_parsers_survive_arbitrary_bytes() {
    let bytes = prop_oneof![
        vec(any::<u8>(), 0..160),
        // Arbitrary bytes behind a correct magic get past the first check.
        (vec(any::<u8>(), 20..160), any::<bool>()).prop_map(|(mut b, single)| {
            let magic = if single { SINGLE_MAGIC } else { ENTRIES_MAGIC };
            b[0..4].copy_from_slice(&magic.to_le_bytes());
            b
        }),
    ];
    check(
        "frame_parsers_survive_arbitrary_bytes",
        3000,
        (bytes, prop_oneof![Just(None), any::<u64>().prop_map(Some)]),
        |(bytes, available)| {
            let available = available.unwrap_or(bytes.len() as u64);
            exercise_frame_parsers(&bytes, available)
        },
    );
}

#[test]
fn frame_forged_headers_with_valid_crc_stay_bounded() {
    check(
        "frame_forged_headers_with_valid_crc_stay_bounded",
        3000,
        forged_frame(),
        |bytes| {
            exercise_frame_parsers(&bytes, bytes.len() as u64)?;
            // A raw length beyond what LZ4 can expand to is refused before anything
            // is allocated for it.
            if let Ok(h) = parse_header(&bytes, bytes.len() as u64) {
                if h.lz4 {
                    prop_assert!(h.raw_len as u64 <= 255 * h.stored_len as u64 + 16);
                }
            }
            Ok(())
        },
    );
}

#[test]
fn frame_huge_raw_len_claims_are_rejected() {
    // Exhaustive over the boundary rather than random: a valid-CRC LZ4 frame claiming
    // more than 255x its stored bytes (+16) is a bad header, never an allocation.
    for stored in [0u32, 1, 7, 8, 100] {
        for raw_len in [
            255 * stored + 16,
            255 * stored + 17,
            u32::MAX - 64,
            u32::MAX,
        ] {
            let mut bytes = vec![0u8; ENTRIES_HEADER_LEN];
            bytes[0..4].copy_from_slice(&ENTRIES_MAGIC.to_le_bytes());
            bytes[16..20].copy_from_slice(&1u32.to_le_bytes());
            bytes[20..24].copy_from_slice(&stored.to_le_bytes());
            bytes[24..28].copy_from_slice(&raw_len.to_le_bytes());
            bytes[28] = 1;
            bytes.extend(std::iter::repeat_n(0xAB, stored as usize));
            let crc = crc32fast::hash(&bytes[8..]);
            bytes[4..8].copy_from_slice(&crc.to_le_bytes());
            bytes.resize(align8(bytes.len() as u64) as usize, 0);
            let (outcome, peak_alloc) = peak(|| {
                check_frame(&bytes).map(|h| DecodedFrame::decode(&bytes, &h, 0).map(|_| ()))
            });
            if raw_len as u64 > 255 * stored as u64 + 16 {
                assert_eq!(
                    outcome.unwrap_err(),
                    FrameDefect::BadHeader,
                    "{stored} {raw_len}"
                );
            }
            assert!(
                peak_alloc <= 255 * stored as usize + 16 + 8192,
                "{peak_alloc}"
            );
        }
    }
}

#[test]
fn frame_round_trips() {
    check(
        "frame_round_trips",
        1500,
        (entries(), compression(), any::<u64>(), 0..2048usize),
        |(entries, compression, first_id, min_size)| {
            let first_id = first_id % (u64::MAX - 8);
            let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            let mut frame = EncodedFrame::new(&refs, compression, min_size).unwrap();
            let len = frame.len();
            let bytes = frame.seal(first_id).to_vec();
            prop_assert_eq!(bytes.len() as u64, len);
            prop_assert_eq!(bytes.len() % 8, 0);
            let header = check_frame(&bytes).map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
            prop_assert_eq!(parse_header(&bytes, bytes.len() as u64), Ok(header));
            prop_assert_eq!(header.first_id, first_id);
            prop_assert_eq!(header.count as usize, entries.len());
            prop_assert_eq!(header.frame_len(), bytes.len() as u64);
            let raw: usize = entries.iter().map(|e| 4 + e.len()).sum();
            if header.lz4 {
                prop_assert!(compression == CompressionType::Lz4);
                prop_assert!((header.stored_len as usize) < raw);
            }
            // One entry not compressed: a single-entry frame, its raw length the entry's.
            prop_assert_eq!(header.single, entries.len() == 1 && !header.lz4);
            prop_assert_eq!(&decoded_entries(&bytes, &header).unwrap(), &entries);
            if header.single {
                prop_assert_eq!(header.raw_len as usize, entries[0].len());
                return Ok(());
            }
            prop_assert_eq!(header.raw_len as usize, raw);
            let raw_bytes = raw_payload(&bytes, &header, 0).unwrap();
            let bounds = entry_bounds(&raw_bytes, header.count, 0).unwrap();
            let via_bounds: Vec<Vec<u8>> = bounds
                .iter()
                .map(|&(s, e)| raw_bytes[s as usize..e as usize].to_vec())
                .collect();
            prop_assert_eq!(&via_bounds, &entries);
            // Trailing bytes after the frame do not change it.
            let mut longer = bytes.clone();
            longer.extend_from_slice(&[0x5A; 40]);
            prop_assert_eq!(check_frame(&longer), Ok(header));
            Ok(())
        },
    );
}

#[test]
fn frame_bit_flips_are_rejected() {
    check(
        "frame_bit_flips_are_rejected",
        3000,
        (
            entries(),
            compression(),
            any::<u64>(),
            any::<Index>(),
            0..8u8,
        ),
        |(entries, compression, first_id, at, bit)| {
            let first_id = first_id % (u64::MAX - 8);
            let bytes = encode_frame(&entries, compression, first_id);
            let header = check_frame(&bytes).unwrap();
            let covered = header.header_len() + header.stored_len as usize;
            let at = at.index(bytes.len());
            let mut damaged = bytes.clone();
            damaged[at] ^= 1 << bit;
            match check_frame(&damaged) {
                Err(_) => {}
                // Only the zero padding after the payload is outside every check; a
                // flip there must not change what the frame holds.
                Ok(h) => {
                    prop_assert!(
                        at >= covered,
                        "flip at {at} of {covered} covered bytes accepted"
                    );
                    prop_assert_eq!(h, header);
                    prop_assert_eq!(&decoded_entries(&damaged, &h).unwrap(), &entries);
                }
            }
            exercise_frame_parsers(&damaged, damaged.len() as u64)
        },
    );
}

#[test]
fn frame_cuts_are_incomplete() {
    check(
        "frame_cuts_are_incomplete",
        1000,
        (entries(), compression(), any::<Index>()),
        |(entries, compression, cut)| {
            let bytes = encode_frame(&entries, compression, 3);
            let cut = cut.index(bytes.len());
            prop_assert_eq!(check_frame(&bytes[..cut]), Err(FrameDefect::Incomplete));
            prop_assert_eq!(
                parse_header(&bytes, cut as u64).err(),
                Some(FrameDefect::Incomplete)
            );
            Ok(())
        },
    );
}

#[test]
fn entry_bounds_survive_arbitrary_payloads() {
    let raw = prop_oneof![
        vec(any::<u8>(), 0..64),
        // Well-formed payloads, sometimes with a wrong count.
        vec(vec(any::<u8>(), 0..12), 0..6).prop_map(|entries| {
            let mut raw = Vec::new();
            for e in entries {
                raw.extend_from_slice(&(e.len() as u32).to_le_bytes());
                raw.extend_from_slice(&e);
            }
            raw
        }),
    ];
    check(
        "entry_bounds_survive_arbitrary_payloads",
        3000,
        (raw, prop_oneof![0..8u32, any::<u32>()]),
        |(raw, count)| {
            let (bounds, peak_alloc) = peak(|| entry_bounds(&raw, count, 0));
            prop_assert!(
                peak_alloc <= small_multiple(raw.len()),
                "{peak_alloc} bytes"
            );
            if let Ok(bounds) = bounds {
                prop_assert_eq!(bounds.len(), count as usize);
                let mut at = 0u32;
                for &(start, end) in &bounds {
                    prop_assert_eq!(start, at + 4);
                    prop_assert!(start <= end && end as usize <= raw.len());
                    prop_assert_eq!(end - start, crate::format::le_u32(&raw, at as usize));
                    at = end;
                }
                prop_assert_eq!(at as usize, raw.len());
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------
// Segment header
// ---------------------------------------------------------------------------------

/// Stream names, biased toward what needs escaping and toward the length limits.
fn stream_name_strategy() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        6 => prop::sample::select(vec![
            'a', 'Z', '0', '9', '_', '-', '.', '/', '%', '~', ' ', '\\', '\0', ':', '*', 'é',
            '日', '😀', '\u{7f}', '\n',
        ]),
        1 => any::<char>(),
    ];
    prop_oneof![
        8 => vec(ch, 1..40).prop_map(|cs| cs.into_iter().collect::<String>()),
        1 => (prop::sample::select(vec!["/", "a", ".", "é", "%"]), 60..=255usize)
            .prop_map(|(s, n)| s.repeat(n)),
        1 => prop::sample::select(vec![".", "..", "../x", "/etc", ".lock", "~", "%2F", "a/b", "a_b"])
            .prop_map(str::to_owned),
    ]
    .prop_map(|s| {
        // At most 255 bytes, cut on a char boundary.
        let mut end = s.len().min(255);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_owned()
    })
    .prop_filter("non-empty", |s| !s.is_empty())
}

#[test]
fn segment_header_round_trips() {
    check(
        "segment_header_round_trips",
        1000,
        (
            stream_name_strategy(),
            any::<u64>(),
            vec(any::<u8>(), 0..300),
            any::<bool>(),
            any::<bool>(),
        ),
        |(stream, start_id, trailing, preallocated, single_entry_frames)| {
            let header = SegmentHeader {
                start_id,
                stream,
                preallocated,
                single_entry_frames,
            };
            let bytes = header.encode();
            prop_assert_eq!(bytes.len() as u64, header.encoded_len());
            prop_assert_eq!(bytes.len() % 8, 0);
            prop_assert!(bytes.len() <= MAX_HEADER_LEN);
            let decoded = SegmentHeader::decode(&bytes, "f").unwrap();
            prop_assert_eq!(&decoded, &(header.clone(), bytes.len() as u64));
            // Recovery hands decode the first MAX_HEADER_LEN bytes of the file.
            let mut file = bytes.clone();
            file.extend_from_slice(&trailing);
            let head = &file[..file.len().min(MAX_HEADER_LEN)];
            prop_assert_eq!(&SegmentHeader::decode(head, "f").unwrap(), &decoded);
            prop_assert!(!is_unfinished(head, file.len() as u64));
            Ok(())
        },
    );
}

#[test]
fn segment_header_bit_flips_and_cuts_are_rejected() {
    check(
        "segment_header_bit_flips_and_cuts_are_rejected",
        2000,
        (
            stream_name_strategy(),
            any::<u64>(),
            any::<Index>(),
            0..8u8,
            any::<Index>(),
            any::<bool>(),
            any::<bool>(),
        ),
        |(stream, start_id, at, bit, cut, preallocated, single_entry_frames)| {
            let header = SegmentHeader {
                start_id,
                stream,
                preallocated,
                single_entry_frames,
            };
            let bytes = header.encode();
            let covered = 32 + header.stream.len();
            let at = at.index(bytes.len());
            let mut damaged = bytes.clone();
            damaged[at] ^= 1 << bit;
            match SegmentHeader::decode(&damaged, "f") {
                Err(_) => {}
                Ok(decoded) => {
                    prop_assert!(
                        at >= covered,
                        "flip at {at} of {covered} covered bytes accepted"
                    );
                    prop_assert_eq!(decoded, (header.clone(), bytes.len() as u64));
                }
            }
            // A cut anywhere before the end of the name is rejected and, as the whole
            // file, recognised as an unfinished creation.
            let cut = cut.index(covered);
            prop_assert!(SegmentHeader::decode(&bytes[..cut], "f").is_err());
            prop_assert!(is_unfinished(&bytes[..cut], cut as u64));
            // Any cut short of the declared header length is unfinished.
            for cut in covered..bytes.len() {
                prop_assert!(is_unfinished(&bytes[..cut], cut as u64));
            }
            Ok(())
        },
    );
}

#[test]
fn segment_header_parsers_survive_arbitrary_bytes() {
    let bytes = prop_oneof![
        vec(any::<u8>(), 0..320),
        vec(any::<u8>(), 16..320).prop_map(|mut b| {
            b[..8].copy_from_slice(b"IRONWAL\0");
            let version = 1 + b[8] as u16 % 3;
            b[8..10].copy_from_slice(&version.to_le_bytes());
            b
        }),
        vec(Just(0u8), 0..400),
    ];
    check(
        "segment_header_parsers_survive_arbitrary_bytes",
        3000,
        (bytes, 0..4096u64),
        |(file, extra_len)| {
            let (result, peak_alloc) = peak(|| {
                let decoded = SegmentHeader::decode(&file, "f");
                // As recovery calls it: the first bytes of a file of at least that length.
                let head = &file[..file.len().min(MAX_HEADER_LEN)];
                let unfinished = is_unfinished(head, file.len() as u64);
                if head.len() == MAX_HEADER_LEN {
                    // The same head as the start of a longer file.
                    let _ = is_unfinished(head, file.len() as u64 + extra_len);
                }
                (decoded, unfinished)
            });
            prop_assert!(
                peak_alloc <= small_multiple(file.len()),
                "{peak_alloc} bytes"
            );
            let (decoded, unfinished) = result;
            if let Ok((header, data_start)) = decoded {
                prop_assert_eq!(data_start, header.encoded_len());
                prop_assert!(header.stream.len() <= 255);
                prop_assert_eq!(
                    &header.encode()[..32 + header.stream.len()],
                    &file[..32 + header.stream.len()]
                );
                if (data_start as usize) <= file.len() {
                    prop_assert!(!unfinished, "a complete, valid header is not unfinished");
                }
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------
// Frame index
// ---------------------------------------------------------------------------------

fn frame_index_strategy() -> impl Strategy<Value = FrameIndex> {
    (
        0..u64::MAX / 4,
        32..300u64,
        vec((1..10u64, 40..2000u64), 0..40),
    )
        .prop_map(|(start, header_len, frames)| {
            let mut index = FrameIndex::empty(start, header_len);
            let mut next = start;
            for (count, len) in frames {
                index.push(next, count, align8(len));
                next += count;
            }
            index
        })
}

#[test]
fn frame_index_round_trips_and_rejects_damage() {
    check(
        "frame_index_round_trips_and_rejects_damage",
        1000,
        (
            frame_index_strategy(),
            any::<Index>(),
            0..8u8,
            any::<Index>(),
            1..9u64,
        ),
        |(index, at, bit, cut, off)| {
            let bytes = index.encode();
            let (start, end) = (index.start_id, index.data_end);
            prop_assert_eq!(&FrameIndex::decode(&bytes, start, end).unwrap(), &index);
            // Stale: another segment or another file length.
            prop_assert!(FrameIndex::decode(&bytes, start.wrapping_add(off), end).is_err());
            prop_assert!(FrameIndex::decode(&bytes, start, end + off).is_err());
            let at = at.index(bytes.len());
            let mut damaged = bytes.clone();
            damaged[at] ^= 1 << bit;
            match FrameIndex::decode(&damaged, start, end) {
                Err(_) => {}
                Ok(decoded) => {
                    prop_assert!(at >= bytes.len() - 4, "flip at {at} accepted");
                    prop_assert_eq!(&decoded, &index);
                }
            }
            let cut = cut.index(bytes.len());
            prop_assert!(FrameIndex::decode(&bytes[..cut], start, end).is_err());
            let mut longer = bytes.clone();
            longer.extend_from_slice(&[0; 16]);
            prop_assert!(FrameIndex::decode(&longer, start, end).is_err());
            Ok(())
        },
    );
}

#[test]
fn frame_index_decode_survives_arbitrary_bytes() {
    // Arbitrary bytes, and forged files with the right magic, length and CRC around
    // arbitrary fields: whatever decodes satisfies the index's invariants.
    let forged = (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        vec((any::<u64>(), any::<u64>()), 0..8),
        any::<bool>(),
        prop_oneof![Just(None), any::<u64>().prop_map(Some)],
    )
        .prop_map(|(start, data_end, end_id, mut frames, sorted, count)| {
            if sorted {
                frames.sort_unstable();
                if let Some(first) = frames.first_mut() {
                    first.0 = start;
                }
            }
            let mut bytes = b"IWALIDX\0".to_vec();
            bytes.extend_from_slice(&1u32.to_le_bytes());
            bytes.extend_from_slice(&[0; 4]);
            let n = count.unwrap_or(frames.len() as u64);
            for word in [start, data_end, end_id, n] {
                bytes.extend_from_slice(&word.to_le_bytes());
            }
            for (id, offset) in frames {
                bytes.extend_from_slice(&id.to_le_bytes());
                bytes.extend_from_slice(&offset.to_le_bytes());
            }
            let crc = crc32fast::hash(&bytes);
            bytes.extend_from_slice(&crc.to_le_bytes());
            bytes.extend_from_slice(&[0; 4]);
            bytes
        });
    let bytes = prop_oneof![vec(any::<u8>(), 0..200), forged];
    check(
        "frame_index_decode_survives_arbitrary_bytes",
        3000,
        (bytes, any::<u64>(), any::<u64>(), any::<bool>()),
        |(bytes, start, data_end, use_fields)| {
            let (start, data_end) = if use_fields && bytes.len() >= 32 {
                (
                    crate::format::le_u64(&bytes, 16),
                    crate::format::le_u64(&bytes, 24),
                )
            } else {
                (start, data_end)
            };
            let (decoded, peak_alloc) = peak(|| FrameIndex::decode(&bytes, start, data_end));
            prop_assert!(
                peak_alloc <= small_multiple(bytes.len()),
                "{peak_alloc} bytes"
            );
            if let Ok(index) = decoded {
                prop_assert_eq!(index.start_id, start);
                prop_assert_eq!(index.data_end, data_end);
                // Everything but the unchecked trailing zero field is what was decoded.
                let n = bytes.len() - 4;
                prop_assert_eq!(&index.encode()[..n], &bytes[..n]);
                let frames: Vec<FrameLoc> = index.frames().collect();
                for w in frames.windows(2) {
                    prop_assert!(w[0].first_id < w[1].first_id && w[0].offset < w[1].offset);
                }
                match (frames.first(), frames.last()) {
                    (Some(first), Some(last)) => {
                        prop_assert_eq!(first.first_id, start);
                        prop_assert!(last.first_id < index.end_id && last.offset < data_end);
                    }
                    _ => prop_assert_eq!(index.end_id, start),
                }
                // Lookups on a decoded index never panic.
                for probe in [
                    start,
                    index.end_id.saturating_sub(1),
                    index.end_id,
                    u64::MAX,
                ] {
                    if let Some((i, span)) = index.find(probe) {
                        prop_assert_eq!(
                            index.frame(i),
                            FrameLoc {
                                first_id: span.first_id,
                                offset: span.offset
                            }
                        );
                    }
                }
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------
// Checkpoint records, HEAD, MANIFEST
// ---------------------------------------------------------------------------------

fn checkpoint_record_strategy() -> impl Strategy<Value = CheckpointRecord> {
    (
        any::<u64>(),
        any::<u64>(),
        prop_oneof![
            8 => vec(any::<u8>(), 1..40),
            1 => (any::<u8>(), 65_000..=65_535usize).prop_map(|(b, n)| vec![b; n]),
        ],
        vec(any::<u64>(), 0..40),
    )
        .prop_map(|(sequence, timestamp, id, offsets)| CheckpointRecord {
            sequence,
            timestamp,
            id,
            offsets,
        })
}

#[test]
fn checkpoint_record_round_trips_and_rejects_damage() {
    check(
        "checkpoint_record_round_trips_and_rejects_damage",
        800,
        (
            checkpoint_record_strategy(),
            vec(any::<u8>(), 0..64),
            any::<Index>(),
            0..8u8,
            any::<Index>(),
        ),
        |(record, trailing, at, bit, cut)| {
            let bytes = record.encode();
            prop_assert_eq!(bytes.len() % 8, 0);
            prop_assert_eq!(
                CheckpointRecord::decode(&bytes),
                Some((record.clone(), bytes.len()))
            );
            prop_assert!(CheckpointRecord::starts_here(&bytes));
            let mut followed = bytes.clone();
            followed.extend_from_slice(&trailing);
            prop_assert_eq!(
                CheckpointRecord::decode(&followed),
                Some((record.clone(), bytes.len()))
            );
            // The CRC covers everything after itself, padding included.
            let at = at.index(bytes.len());
            let mut damaged = bytes.clone();
            damaged[at] ^= 1 << bit;
            prop_assert_eq!(CheckpointRecord::decode(&damaged), None, "flip at {}", at);
            let cut = cut.index(bytes.len());
            prop_assert_eq!(
                CheckpointRecord::decode(&bytes[..cut]),
                None,
                "cut at {}",
                cut
            );
            Ok(())
        },
    );
}

#[test]
fn checkpoint_record_decode_survives_arbitrary_bytes() {
    // Forged records: right magic and CRC, arbitrary length fields.
    let forged = (
        prop_oneof![0..70_000u32, any::<u32>()],
        any::<u16>(),
        prop_oneof![0..70_000u32, any::<u32>()],
        vec(any::<u8>(), 0..400),
    )
        .prop_map(|(len, shards, id_len, body)| {
            let mut bytes = b"IWCK".to_vec();
            bytes.extend_from_slice(&[0; 4]);
            bytes.extend_from_slice(&len.to_le_bytes());
            bytes.extend_from_slice(&shards.to_le_bytes());
            bytes.extend_from_slice(&[0; 2]);
            bytes.extend_from_slice(&[7; 16]);
            bytes.extend_from_slice(&id_len.to_le_bytes());
            bytes.extend_from_slice(&[0; 4]);
            bytes.extend_from_slice(&body);
            let end = (len as usize).clamp(8, bytes.len());
            let crc = crc32fast::hash(&bytes[8..end]);
            bytes[4..8].copy_from_slice(&crc.to_le_bytes());
            bytes
        });
    let bytes = prop_oneof![vec(any::<u8>(), 0..200), forged];
    check(
        "checkpoint_record_decode_survives_arbitrary_bytes",
        3000,
        bytes,
        |bytes| {
            let (decoded, peak_alloc) = peak(|| CheckpointRecord::decode(&bytes));
            prop_assert!(
                peak_alloc <= small_multiple(bytes.len()),
                "{peak_alloc} bytes"
            );
            if let Some((record, len)) = decoded {
                prop_assert!(len <= bytes.len() && len % 8 == 0);
                prop_assert!(!record.id.is_empty() && record.id.len() <= 65_535);
                prop_assert_eq!(&record.encode()[..], &bytes[..len]);
            }
            Ok(())
        },
    );
}

/// A sealed fixed-size file (`HEAD`, `MANIFEST`): `decode` re-encodes what it accepts.
fn assert_sealed_file_rejects_damage(
    bytes: &[u8],
    decode: impl Fn(&[u8]) -> Option<Vec<u8>>,
    at: Index,
    bit: u8,
    cut: Index,
) -> Result<(), TestCaseError> {
    let decoded = decode(bytes);
    prop_assert_eq!(decoded.as_deref(), Some(bytes));
    let at = at.index(bytes.len());
    let mut damaged = bytes.to_vec();
    damaged[at] ^= 1 << bit;
    match decode(&damaged) {
        None => {}
        // The trailing four zero bytes are outside the CRC: a flip there is harmless.
        Some(value) => {
            prop_assert!(at >= bytes.len() - 4, "flip at {at} accepted");
            prop_assert_eq!(&value[..], bytes);
        }
    }
    let cut = cut.index(bytes.len());
    prop_assert_eq!(decode(&bytes[..cut]), None, "cut at {} accepted", cut);
    let mut longer = bytes.to_vec();
    longer.push(0);
    prop_assert_eq!(decode(&longer), None, "longer file accepted");
    Ok(())
}

#[test]
fn head_and_manifest_round_trip_and_reject_damage() {
    check(
        "head_and_manifest_round_trip_and_reject_damage",
        1500,
        (
            any::<u64>(),
            any::<u64>(),
            any::<u16>(),
            any::<Index>(),
            0..8u8,
            any::<Index>(),
        ),
        |(sequence, offset, shards, at, bit, cut)| {
            let head = Head { sequence, offset };
            assert_sealed_file_rejects_damage(
                &head.encode(),
                |b| Head::decode(b).map(|h| h.encode()),
                at,
                bit,
                cut,
            )?;
            assert_sealed_file_rejects_damage(
                &encode_manifest(shards),
                |b| decode_manifest(b).map(encode_manifest),
                at,
                bit,
                cut,
            )?;
            // Neither is mistaken for the other.
            prop_assert_eq!(decode_manifest(&head.encode()), None);
            prop_assert_eq!(Head::decode(&encode_manifest(shards)), None);
            Ok(())
        },
    );
}

#[test]
fn head_and_manifest_decode_survive_arbitrary_bytes() {
    let bytes = prop_oneof![
        vec(any::<u8>(), 0..64),
        (
            prop::sample::select(vec![&b"IWHEAD\0\0"[..], &b"IWSHARD\0"[..]]),
            vec(any::<u8>(), 0..40)
        )
            .prop_map(|(magic, rest)| {
                let mut b = magic.to_vec();
                b.extend_from_slice(&1u32.to_le_bytes());
                b.extend_from_slice(&rest);
                b
            }),
    ];
    check(
        "head_and_manifest_decode_survive_arbitrary_bytes",
        3000,
        bytes,
        |bytes| {
            let ((head, manifest), peak_alloc) =
                peak(|| (Head::decode(&bytes), decode_manifest(&bytes)));
            prop_assert!(peak_alloc <= small_multiple(bytes.len()));
            if let Some(head) = head {
                prop_assert_eq!(&head.encode()[..36], &bytes[..36]);
            }
            if let Some(shards) = manifest {
                prop_assert_eq!(&encode_manifest(shards)[..20], &bytes[..20]);
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------
// Stream names
// ---------------------------------------------------------------------------------

/// The properties of one directory name produced by `encode`.
fn assert_safe_dir(name: &str, dir: &str) -> Result<(), TestCaseError> {
    prop_assert!(!dir.is_empty());
    prop_assert!(dir.len() <= 255, "{} bytes", dir.len());
    prop_assert!(!dir.contains('/') && !dir.contains('\0'), "{dir:?}");
    prop_assert!(
        dir != "." && dir != ".." && !dir.starts_with('.'),
        "{dir:?}"
    );
    if stream_name::is_hashed(dir) {
        prop_assert_eq!(stream_name::decode(dir), None);
    } else {
        let decoded = stream_name::decode(dir);
        prop_assert_eq!(decoded.as_deref(), Some(name), "dir {:?}", dir);
    }
    Ok(())
}

#[test]
fn stream_name_encoding_is_safe_and_reversible() {
    check(
        "stream_name_encoding_is_safe_and_reversible",
        3000,
        stream_name_strategy(),
        |name| {
            prop_assert!(stream_name::validate(&name).is_ok());
            let dir = stream_name::encode(&name);
            assert_safe_dir(&name, &dir)?;
            if name.len() <= 80 {
                prop_assert!(!stream_name::is_hashed(&dir), "short names are not hashed");
            }
            Ok(())
        },
    );
}

#[test]
fn stream_name_encoding_is_injective() {
    // Independent pairs, and pairs that differ by one likely-aliasing edit.
    let edited = (
        stream_name_strategy(),
        any::<Index>(),
        prop::sample::select(vec!["_", "%2F", "/", "%", ".", "%25", "~", "%2E", ""]),
    )
        .prop_map(|(a, at, with)| {
            let chars: Vec<char> = a.chars().collect();
            let i = at.index(chars.len());
            let mut b: String = chars[..i].iter().collect();
            b.push_str(with);
            b.extend(&chars[i + 1..]);
            (a, b)
        });
    let pairs = prop_oneof![(stream_name_strategy(), stream_name_strategy()), edited];
    check(
        "stream_name_encoding_is_injective",
        3000,
        pairs,
        |(a, b)| {
            prop_assume!(a != b && !b.is_empty() && b.len() <= 255);
            let (da, db) = (stream_name::encode(&a), stream_name::encode(&b));
            prop_assert_ne!(&da, &db, "{:?} and {:?} share a directory", a, b);
            assert_safe_dir(&a, &da)?;
            assert_safe_dir(&b, &db)
        },
    );
}

#[test]
fn stream_name_decode_accepts_only_canonical_names() {
    let dir_char = prop_oneof![
        6 => prop::sample::select(vec!['%', '2', 'F', 'f', 'a', '0', '.', '~', '/', '_', '+', '-', 'E']),
        1 => any::<char>(),
    ];
    check(
        "stream_name_decode_accepts_only_canonical_names",
        3000,
        vec(dir_char, 0..40).prop_map(|cs| cs.into_iter().collect::<String>()),
        |dir| {
            let (decoded, peak_alloc) = peak(|| stream_name::decode(&dir));
            prop_assert!(peak_alloc <= small_multiple(dir.len()));
            if let Some(name) = decoded {
                prop_assert_eq!(
                    &stream_name::encode(&name),
                    &dir,
                    "non-canonical dir accepted"
                );
                assert_safe_dir(&name, &dir)?;
            }
            let _ = stream_name::is_hashed(&dir);
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------
// Segment scan
// ---------------------------------------------------------------------------------

#[test]
fn scan_finds_every_frame_of_a_valid_segment() {
    check(
        "scan_finds_every_frame_of_a_valid_segment",
        800,
        (segment_strategy(), 0..9000usize),
        |(segment, chunk)| {
            let outcome = scan(
                &segment.bytes,
                segment.start_id,
                segment.data_start,
                chunk,
                false,
            );
            prop_assert_eq!(outcome.torn_at, None);
            prop_assert!(outcome.damage.is_empty());
            prop_assert_eq!(outcome.index.end_id, segment.end_id());
            prop_assert_eq!(outcome.index.data_end, segment.bytes.len() as u64);
            let expected: Vec<FrameLoc> = segment
                .frames
                .iter()
                .map(|&(first_id, _, offset, _, _)| FrameLoc { first_id, offset })
                .collect();
            prop_assert_eq!(outcome.index.frames().collect::<Vec<_>>(), expected);
            let readable = assert_index_never_lies(&segment.bytes, &outcome, &segment)?;
            prop_assert_eq!(readable, segment.entries.len() as u64);
            Ok(())
        },
    );
}

#[test]
fn scan_bit_flip_is_damage_or_torn_tail() {
    check(
        "scan_bit_flip_is_damage_or_torn_tail",
        1500,
        (segment_strategy(), any::<Index>(), 0..8u8, 0..9000usize),
        |(segment, at, bit, chunk)| {
            let data = segment.bytes.len() - segment.data_start as usize;
            let at = segment.data_start as usize + at.index(data);
            let mut bytes = segment.bytes.clone();
            bytes[at] ^= 1 << bit;
            let outcome = scan(&bytes, segment.start_id, segment.data_start, chunk, false);
            assert_index_never_lies(&bytes, &outcome, &segment)?;
            let k = segment
                .frames
                .iter()
                .rposition(|f| f.2 as usize <= at)
                .expect("flip is in a frame");
            let (first, _, offset, _, covered) = segment.frames[k];
            if at as u64 >= offset + covered {
                // Padding: nothing any check covers, nothing a reader returns.
                prop_assert_eq!(outcome.torn_at, None);
                prop_assert!(outcome.damage.is_empty());
                prop_assert_eq!(outcome.index.end_id, segment.end_id());
            } else if k + 1 == segment.frames.len() {
                // A damaged last frame is a torn tail.
                prop_assert_eq!(outcome.torn_at, Some(offset));
                prop_assert!(outcome.damage.is_empty());
                prop_assert_eq!(outcome.index.end_id, first);
            } else {
                // Damage followed by valid frames: reported, the rest kept.
                prop_assert_eq!(outcome.torn_at, None);
                prop_assert_eq!(
                    &outcome.damage,
                    &vec![Damage {
                        offset,
                        ids: first..segment.frames[k + 1].0
                    }]
                );
                prop_assert_eq!(outcome.index.end_id, segment.end_id());
            }
            Ok(())
        },
    );
}

#[test]
fn scan_cut_keeps_exactly_the_whole_frames() {
    check(
        "scan_cut_keeps_exactly_the_whole_frames",
        1000,
        (segment_strategy(), any::<Index>(), 0..9000usize),
        |(segment, cut, chunk)| {
            let data = segment.bytes.len() - segment.data_start as usize;
            let cut = segment.data_start as usize + cut.index(data + 1);
            let bytes = &segment.bytes[..cut];
            let outcome = scan(bytes, segment.start_id, segment.data_start, chunk, false);
            let whole: Vec<_> = segment
                .frames
                .iter()
                .filter(|f| f.2 + f.3 <= cut as u64)
                .collect();
            let end = whole.last().map_or(segment.data_start, |f| f.2 + f.3);
            prop_assert_eq!(outcome.torn_at, (end < cut as u64).then_some(end));
            prop_assert!(outcome.damage.is_empty());
            prop_assert_eq!(outcome.index.len(), whole.len());
            prop_assert_eq!(outcome.index.data_end, end);
            let readable = assert_index_never_lies(bytes, &outcome, &segment)?;
            prop_assert_eq!(readable, whole.iter().map(|f| f.1).sum::<u64>());
            Ok(())
        },
    );
}

/// A change to a file's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(Index, u8),
    Overwrite(Index, Vec<u8>),
    Zero(Index, usize),
    Cut(Index),
    AppendGarbage(Vec<u8>),
    AppendZeros(usize),
    /// Copies `len` bytes from one place to another (a misdirected write).
    Copy(Index, Index, usize),
    /// Replaces everything.
    AllRandom(Vec<u8>),
}

impl Mutation {
    fn apply(&self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        match self {
            Mutation::FlipBit(at, bit) if len > 0 => bytes[at.index(len)] ^= 1 << bit,
            Mutation::Overwrite(at, with) if len > 0 => {
                let at = at.index(len);
                let n = with.len().min(len - at);
                bytes[at..at + n].copy_from_slice(&with[..n]);
            }
            Mutation::Zero(at, n) if len > 0 => {
                let at = at.index(len);
                let end = (at + n).min(len);
                bytes[at..end].fill(0);
            }
            Mutation::Cut(at) => bytes.truncate(at.index(len + 1)),
            Mutation::AppendGarbage(garbage) => bytes.extend_from_slice(garbage),
            Mutation::AppendZeros(n) => bytes.resize(len + n, 0),
            Mutation::Copy(from, to, n) if len > 0 => {
                let (from, to) = (from.index(len), to.index(len));
                let n = (*n).min(len - from).min(len - to);
                bytes.copy_within(from..from + n, to);
            }
            Mutation::AllRandom(random) => *bytes = random.clone(),
            _ => {}
        }
    }

    /// Whether it only shortens the file or adds bytes after its end.
    fn is_tail_only(&self) -> bool {
        matches!(
            self,
            Mutation::Cut(_) | Mutation::AppendGarbage(_) | Mutation::AppendZeros(_)
        )
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 0..8u8).prop_map(|(at, bit)| Mutation::FlipBit(at, bit)),
        2 => (any::<Index>(), vec(any::<u8>(), 1..16)).prop_map(|(at, w)| Mutation::Overwrite(at, w)),
        1 => (any::<Index>(), 1..600usize).prop_map(|(at, n)| Mutation::Zero(at, n)),
        3 => any::<Index>().prop_map(Mutation::Cut),
        1 => vec(any::<u8>(), 0..200).prop_map(Mutation::AppendGarbage),
        1 => (0..5000usize).prop_map(Mutation::AppendZeros),
        1 => (any::<Index>(), any::<Index>(), 1..600usize).prop_map(|(f, t, n)| Mutation::Copy(f, t, n)),
        1 => vec(any::<u8>(), 0..600).prop_map(Mutation::AllRandom),
    ]
}

#[test]
fn scan_of_mutated_segment_never_yields_wrong_bytes() {
    check(
        "scan_of_mutated_segment_never_yields_wrong_bytes",
        2000,
        (segment_strategy(), vec(mutation(), 1..4), 0..9000usize),
        |(segment, mutations, chunk)| {
            let mut bytes = segment.bytes.clone();
            for m in &mutations {
                m.apply(&mut bytes);
            }
            let data_start = segment.data_start.min(bytes.len() as u64);
            let (outcome, peak_alloc) =
                peak(|| scan(&bytes, segment.start_id, data_start, chunk, false));
            prop_assert!(
                peak_alloc <= small_multiple(bytes.len()),
                "scan of {} bytes allocated {peak_alloc} at once",
                bytes.len()
            );
            assert_index_never_lies(&bytes, &outcome, &segment)?;
            let (index, damage, torn) = reference_scan(&bytes, segment.start_id, data_start, false);
            prop_assert_eq!(&outcome.index, &index);
            prop_assert_eq!(&outcome.damage, &damage);
            prop_assert_eq!(outcome.torn_at, torn);
            Ok(())
        },
    );
}

/// A piece of a hand-made segment body.
#[derive(Debug, Clone)]
enum Piece {
    /// A valid frame whose first id is the expected one plus `skew` (0 most of the time),
    /// a frame of entries even for one entry if the flag is set.
    Frame(Vec<Vec<u8>>, CompressionType, i8, bool),
    Garbage(Vec<u8>),
    Zeros(usize),
    Forged(Vec<u8>),
}

#[test]
fn scan_matches_reference_on_structured_garbage() {
    let piece = prop_oneof![
        6 => (
            entries(),
            compression(),
            prop_oneof![8 => Just(0i8), 1 => -3..4i8],
            any::<bool>()
        )
            .prop_map(|(e, c, skew, entries_layout)| Piece::Frame(e, c, skew, entries_layout)),
        1 => vec(any::<u8>(), 0..100).prop_map(Piece::Garbage),
        1 => (0..300usize).prop_map(Piece::Zeros),
        1 => forged_frame().prop_map(Piece::Forged),
    ];
    check(
        "scan_matches_reference_on_structured_garbage",
        2000,
        (
            0..1000u64,
            vec(piece, 0..12),
            0..9000usize,
            0..3u64,
            any::<bool>(),
        ),
        |(start_id, pieces, chunk, misalign, preallocated)| {
            let mut bytes = SegmentHeader {
                start_id,
                stream: "s".into(),
                preallocated,
                single_entry_frames: true,
            }
            .encode();
            let data_start = bytes.len() as u64;
            let mut next = start_id;
            for piece in &pieces {
                match piece {
                    Piece::Frame(entries, compression, skew, entries_layout) => {
                        let first = next.saturating_add_signed(*skew as i64);
                        let frame = encode_frame_as(entries, *compression, first, *entries_layout);
                        bytes.extend_from_slice(&frame);
                        next = first + entries.len() as u64;
                    }
                    Piece::Garbage(g) => bytes.extend_from_slice(g),
                    Piece::Zeros(n) => bytes.resize(bytes.len() + n, 0),
                    Piece::Forged(f) => bytes.extend_from_slice(f),
                }
            }
            // Occasionally scan from a misaligned start.
            let data_start = (data_start + misalign).min(bytes.len() as u64);
            let (outcome, peak_alloc) =
                peak(|| scan(&bytes, start_id, data_start, chunk, preallocated));
            prop_assert!(
                peak_alloc <= small_multiple(bytes.len()),
                "{peak_alloc} bytes"
            );
            let (index, damage, torn) = reference_scan(&bytes, start_id, data_start, preallocated);
            prop_assert_eq!(&outcome.index, &index);
            prop_assert_eq!(&outcome.damage, &damage);
            prop_assert_eq!(outcome.torn_at, torn);
            if let Some(torn) = torn {
                prop_assert!(torn < bytes.len() as u64);
            }
            Ok(())
        },
    );
}

#[test]
fn scan_survives_arbitrary_bytes() {
    check(
        "scan_survives_arbitrary_bytes",
        3000,
        (
            vec(any::<u8>(), 0..400),
            any::<u64>(),
            any::<Index>(),
            0..9000usize,
        ),
        |(bytes, start_id, data_start, chunk)| {
            let data_start = data_start.index(bytes.len() + 1) as u64;
            let (outcome, peak_alloc) = peak(|| scan(&bytes, start_id, data_start, chunk, false));
            prop_assert!(
                peak_alloc <= small_multiple(bytes.len()),
                "{peak_alloc} bytes"
            );
            let (index, damage, torn) = reference_scan(&bytes, start_id, data_start, false);
            prop_assert_eq!(&outcome.index, &index);
            prop_assert_eq!(&outcome.damage, &damage);
            prop_assert_eq!(outcome.torn_at, torn);
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------
// Recovery of an arbitrary segment file, through the public API
// ---------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Write {
    One(Vec<u8>),
    Batch(Vec<Vec<u8>>),
}

/// Which file of the stream the mutations hit.
#[derive(Debug, Clone, Copy)]
enum Target {
    Active,
    Sealed(Index),
    FrameIndexFile(Index),
}

#[derive(Debug, Clone)]
struct RecoveryCase {
    writes: Vec<Write>,
    max_entries: u64,
    compression: CompressionType,
    read_strategy: ReadStrategy,
    block_cache: Option<u64>,
    policy: CorruptionPolicy,
    target: Target,
    mutations: Vec<Mutation>,
    probe_start: Index,
}

fn small_entry() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => vec(any::<u8>(), 0..40),
        1 => (any::<u8>(), 0..1500usize).prop_map(|(b, n)| vec![b; n]),
    ]
}

fn recovery_case() -> impl Strategy<Value = RecoveryCase> {
    let write = prop_oneof![
        3 => small_entry().prop_map(Write::One),
        1 => vec(small_entry(), 0..5).prop_map(Write::Batch),
    ];
    (
        vec(write, 1..30),
        1..6u64,
        compression(),
        prop_oneof![Just(ReadStrategy::StandardIo), Just(ReadStrategy::Mmap)],
        prop_oneof![Just(None), (0..20_000u64).prop_map(Some)],
        prop_oneof![4 => Just(CorruptionPolicy::Truncate), 1 => Just(CorruptionPolicy::Error)],
        prop_oneof![
            6 => Just(Target::Active),
            1 => any::<Index>().prop_map(Target::Sealed),
            1 => any::<Index>().prop_map(Target::FrameIndexFile),
        ],
        vec(mutation(), 1..4),
        any::<Index>(),
    )
        .prop_map(
            |(
                writes,
                max_entries,
                compression,
                read_strategy,
                block_cache,
                policy,
                target,
                mutations,
                probe_start,
            )| {
                RecoveryCase {
                    writes,
                    max_entries,
                    compression,
                    read_strategy,
                    block_cache,
                    policy,
                    target,
                    mutations,
                    probe_start,
                }
            },
        )
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == ext))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Start id of a segment or index file from its name.
fn start_of(path: &Path) -> u64 {
    path.file_stem().unwrap().to_str().unwrap().parse().unwrap()
}

/// What reads of the reopened stream return, checked against what was written:
/// every id in bounds is the original bytes or an error, never other bytes.
/// Returns the ids that read back exactly.
fn assert_reads_are_original_or_errors(
    wal: &Wal,
    original: &[Vec<u8>],
    probe_start: Index,
) -> Result<Vec<u64>, TestCaseError> {
    let bounds = wal
        .bounds("s")
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let Some(bounds) = bounds else {
        return Ok(Vec::new());
    };
    prop_assert!(
        bounds.end <= original.len() as u64,
        "bounds {bounds:?} claim more ids than the {} written",
        original.len()
    );
    prop_assert_eq!(bounds.start, 0, "nothing was truncated");
    let mut exact = Vec::new();
    for id in 0..original.len() as u64 + 3 {
        match wal.get("s", id) {
            Ok(Some(bytes)) => {
                prop_assert!(
                    bounds.contains(&id),
                    "id {id} outside {bounds:?} returned bytes"
                );
                prop_assert_eq!(
                    &bytes,
                    &original[id as usize],
                    "get({}) returned wrong bytes",
                    id
                );
                exact.push(id);
            }
            Ok(None) => prop_assert!(!bounds.contains(&id), "id {id} in {bounds:?} returned None"),
            Err(_) => prop_assert!(bounds.contains(&id), "id {id} outside {bounds:?} failed"),
        }
    }
    for start in [0, probe_start.index(original.len() + 2) as u64] {
        let iter = wal
            .iter_with_ids("s", start)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let first = start.max(bounds.start);
        let mut end = first;
        let mut failed = false;
        for (expected_id, item) in (first..).zip(iter) {
            let Ok((id, bytes)) = item else {
                failed = true; // an error ends the iteration
                break;
            };
            prop_assert_eq!(id, expected_id, "iter skipped or repeated ids");
            prop_assert!(bounds.contains(&id));
            prop_assert_eq!(
                &bytes,
                &original[id as usize],
                "iter returned wrong bytes for id {}",
                id
            );
            end = id + 1;
        }
        if !failed {
            prop_assert_eq!(
                end,
                bounds.end.max(first),
                "iter from {} ended early without an error",
                start
            );
        }
    }
    Ok(exact)
}

/// What the recovery cases ran into: refused opens, opens, ids read back exactly, ids
/// that failed with an error (so the property is known not to be vacuous).
static RECOVERY_STATS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

fn run_recovery_case(case: RecoveryCase) -> Result<(), TestCaseError> {
    let dir = temp_dir();
    let root = dir.path().join("wal");
    let mut opts = WalOptions::new(&root);
    opts.sync_mode = SyncMode::Async;
    opts.max_entries_per_segment = case.max_entries;
    opts.compression = match case.compression {
        CompressionType::Lz4 if !cfg!(feature = "compression") => CompressionType::None,
        c => c,
    };
    opts.min_compression_size = 64;
    opts.read_strategy = case.read_strategy;
    opts.block_cache_size = case.block_cache;
    opts.on_corruption = case.policy;

    // 1. A valid stream, written through the public API.
    let mut original: Vec<Vec<u8>> = Vec::new();
    {
        let wal = Wal::new(opts.clone()).unwrap();
        for w in &case.writes {
            match w {
                Write::One(e) => {
                    prop_assert_eq!(wal.append("s", e).unwrap(), original.len() as u64);
                    original.push(e.clone());
                }
                Write::Batch(es) => {
                    let refs: Vec<&[u8]> = es.iter().map(Vec::as_slice).collect();
                    let ids = wal.append_batch("s", &refs).unwrap();
                    prop_assert_eq!(ids.start, original.len() as u64);
                    original.extend(es.iter().cloned());
                }
            }
        }
    }
    let stream_dir = root.join("s");
    let segments = files_with_ext(&stream_dir, "wal");
    let indexes = files_with_ext(&stream_dir, "idx");
    if segments.is_empty() {
        return Ok(()); // only empty batches
    }
    let active = segments.last().unwrap().clone();
    let sealed = &segments[..segments.len() - 1];
    let (target, target_is_active) = match case.target {
        Target::Sealed(i) if !sealed.is_empty() => (sealed[i.index(sealed.len())].clone(), false),
        Target::FrameIndexFile(i) if !indexes.is_empty() => {
            (indexes[i.index(indexes.len())].clone(), false)
        }
        _ => (active.clone(), true),
    };
    // Ids the mutation cannot touch: everything outside the target's segment, and
    // everything at all when only a (rebuildable) index file is damaged.
    let target_start = start_of(&target);
    let target_end = segments
        .iter()
        .map(|p| start_of(p))
        .find(|&s| s > target_start)
        .unwrap_or(u64::MAX);
    let untouchable = |id: u64| -> bool {
        target.extension().is_some_and(|x| x == "idx") || id < target_start || id >= target_end
    };

    // 2. Damage it.
    let before = std::fs::read(&target).unwrap();
    let mut after = before.clone();
    for m in &case.mutations {
        m.apply(&mut after);
    }
    std::fs::write(&target, &after).unwrap();
    // Whole frames before the first damaged byte of the active segment.
    let first_change = before
        .iter()
        .zip(&after)
        .position(|(a, b)| a != b)
        .unwrap_or(before.len().min(after.len()));
    // Damage a crash can leave: the file cut short (the header included: a segment is
    // created by rename, so a short header is an unfinished creation) or extended past
    // its end, with the header intact.
    let header_len = SegmentHeader::decode(&before, "f").map_or(0, |(_, d)| d as usize);
    // Copies can place a valid frame where the scan resynchronises first (legitimately
    // making the frames between unreadable); random content has no header to keep.
    let forges_frames = case
        .mutations
        .iter()
        .any(|m| matches!(m, Mutation::Copy(..) | Mutation::AllRandom(_)));
    let tail_only = target_is_active
        && case.mutations.iter().all(Mutation::is_tail_only)
        && (first_change >= header_len || before.starts_with(&after));

    // 3. Reopen.
    let disk_bytes: usize = segments
        .iter()
        .chain(&indexes)
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len() as usize))
        .sum();
    let (opened, peak_alloc) = peak(|| Wal::new(opts.clone()));
    prop_assert!(
        peak_alloc <= 16 * disk_bytes + (1 << 20),
        "open of {disk_bytes} bytes allocated {peak_alloc} at once"
    );
    let wal = match opened {
        Ok(wal) => wal,
        Err(e) => {
            RECOVERY_STATS[0].fetch_add(1, Ordering::Relaxed);
            prop_assert!(
                !(case.policy == CorruptionPolicy::Truncate && (!target_is_active || tail_only)),
                "Truncate refused to open after damage only to {} (tail only: {tail_only}): {e}",
                target.display()
            );
            return Ok(());
        }
    };
    let exact = assert_reads_are_original_or_errors(&wal, &original, case.probe_start)?;
    let in_bounds = wal.bounds("s").unwrap().map_or(0, |b| b.end - b.start);
    RECOVERY_STATS[1].fetch_add(1, Ordering::Relaxed);
    RECOVERY_STATS[2].fetch_add(exact.len() as u64, Ordering::Relaxed);
    RECOVERY_STATS[3].fetch_add(in_bounds - exact.len() as u64, Ordering::Relaxed);
    for id in 0..original.len() as u64 {
        if untouchable(id) {
            prop_assert!(
                exact.contains(&id),
                "id {id} outside the damaged file is not readable"
            );
        }
    }
    if tail_only {
        // Every whole frame before the first changed byte must survive the cut.
        let kept = &before[..first_change.max(header_len)];
        let (index, _, _) = reference_scan(kept, target_start, header_len as u64, false);
        for id in target_start..index.end_id {
            prop_assert!(
                exact.contains(&id),
                "valid id {id} before the damage was lost"
            );
        }
    }
    let is_segment = target.extension().is_some_and(|x| x == "wal");
    let header_intact = after.get(..header_len) == before.get(..header_len);
    let check_intact_frames = is_segment
        && !forges_frames
        && if target_is_active {
            case.policy == CorruptionPolicy::Truncate
        } else {
            header_intact // a sealed segment with a damaged header reads as errors
        };
    if check_intact_frames {
        // Damage is never a reason to drop a complete, valid frame: every frame of the
        // damaged segment whose bytes are still all there, unchanged, reads back exactly
        // (or, for the active segment, the open is refused, which it was not).
        let (index, _, _) = reference_scan(&before, target_start, header_len as u64, false);
        for i in 0..index.len() {
            let span = index.span(i);
            let (from, to) = (span.offset as usize, (span.offset + span.len) as usize);
            if after.get(from..to) != Some(&before[from..to]) {
                continue;
            }
            let end_id = index.frame_end_id(i);
            for id in span.first_id..end_id {
                prop_assert!(
                    exact.contains(&id),
                    "id {id}: its frame at offset {from} is intact, yet it does not read back"
                );
            }
        }
    }

    // 4. Appending works, and survives another reopen with everything read before.
    let next = wal.bounds("s").unwrap().map_or(0, |b| b.end);
    let id = wal.append("s", b"after recovery");
    let id = id.map_err(|e| TestCaseError::fail(format!("append after recovery failed: {e}")))?;
    prop_assert_eq!(id, next);
    let got = wal.get("s", id).unwrap();
    prop_assert_eq!(got.as_deref(), Some(&b"after recovery"[..]));
    drop(wal);
    let wal = Wal::new(opts.clone())
        .map_err(|e| TestCaseError::fail(format!("reopen after append failed: {e}")))?;
    let got = wal.get("s", id).unwrap();
    prop_assert_eq!(got.as_deref(), Some(&b"after recovery"[..]));
    prop_assert_eq!(wal.bounds("s").unwrap().map(|b| b.end), Some(id + 1));
    original.truncate(id as usize);
    original.push(b"after recovery".to_vec());
    let exact_again = assert_reads_are_original_or_errors(&wal, &original, case.probe_start)?;
    for old in exact {
        prop_assert!(
            exact_again.contains(&old),
            "id {old} read back before the append, not after"
        );
    }
    Ok(())
}

#[test]
fn recovery_of_arbitrary_segment_file() {
    check(
        "recovery_of_arbitrary_segment_file",
        1500,
        recovery_case(),
        run_recovery_case,
    );
    let [refused, opened, exact, failed] =
        RECOVERY_STATS.each_ref().map(|a| a.load(Ordering::Relaxed));
    println!(
        "fuzz_tests::recovery_of_arbitrary_segment_file: {refused} opens refused, {opened} opened; \
         {exact} ids read back exactly, {failed} ids in bounds failed with an error"
    );
}

// ---------------------------------------------------------------------------------
// Engine bugs found by the properties above, kept as failing tests
// ---------------------------------------------------------------------------------

/// A frame whose payload holds the bytes of another valid frame (an application that
/// stores WAL frames as entries, or a hostile writer) at an 8-byte aligned position.
/// When one bit of the outer frame rots, recovery resynchronises on the embedded frame:
/// it returns the embedded bytes for a real id and cuts the real frames after it.
#[test]
fn embedded_frame_in_damaged_payload_is_not_mistaken_for_a_real_one() {
    let dir = temp_dir();
    let opts = WalOptions::new(dir.path().join("wal"));
    {
        let wal = Wal::new(opts.clone()).unwrap();
        assert_eq!(wal.append("s", b"zero").unwrap(), 0);
        // Entry 1: 8 bytes so that the embedded frame starts 8-byte aligned (frame
        // header 24 + these 8), then a valid frame for id 2.
        let mut entry = vec![0u8; 8];
        entry.extend_from_slice(&encode_frame(&[b"EVIL".to_vec()], CompressionType::None, 2));
        assert_eq!(wal.append("s", &entry).unwrap(), 1);
        assert_eq!(wal.append("s", b"two").unwrap(), 2);
        assert_eq!(wal.append("s", b"three").unwrap(), 3);
    }
    // One bit of rot in entry 1's first (filler) byte.
    let segment = dir.path().join("wal/s/00000000000000000000.wal");
    let mut bytes = std::fs::read(&segment).unwrap();
    let (_, data_start) = SegmentHeader::decode(&bytes, "f").unwrap();
    let frame1 = data_start as usize
        + check_frame(&bytes[data_start as usize..])
            .unwrap()
            .frame_len() as usize;
    assert_eq!(frame1 % 8, 0);
    bytes[frame1 + SINGLE_HEADER_LEN] ^= 1;
    std::fs::write(&segment, &bytes).unwrap();

    let wal = Wal::new(opts).unwrap();
    assert_eq!(wal.get("s", 0).unwrap().as_deref(), Some(&b"zero"[..]));
    assert!(wal.get("s", 1).is_err(), "id 1 is damaged");
    let two = wal.get("s", 2);
    assert!(
        matches!(&two, Ok(Some(b)) if b == b"two"),
        "id 2 must read back as written, got {two:?}"
    );
    let three = wal.get("s", 3);
    assert!(
        matches!(&three, Ok(Some(b)) if b == b"three"),
        "id 3 is a complete valid frame after the damage and must not be dropped, got {three:?}"
    );
    // Today: get(2) returns b"EVIL", bounds are 0..3 and the file is cut from 248 to
    // 160 bytes, destroying the real frames 2 and 3 (and the next append reuses id 3).
    assert_eq!(
        std::fs::metadata(&segment).unwrap().len(),
        bytes.len() as u64
    );
    assert_eq!(wal.bounds("s").unwrap(), Some(0..4));
}

/// One flipped bit in the header-length field (bytes 12..16) of the active segment
/// makes `is_unfinished` see "a header longer than the file" (the magic is intact), so
/// recovery under `Truncate` deletes the whole active segment with every valid frame in
/// it, and the next append reuses their ids. The field is covered by the header CRC;
/// a header that fails its CRC while complete frames follow is damage to report, not
/// an interrupted creation. (Found by `recovery_of_arbitrary_segment_file`.)
#[test]
fn header_length_rot_does_not_delete_the_active_segment() {
    let dir = temp_dir();
    let mut opts = WalOptions::new(dir.path().join("wal"));
    // Not preallocated: the file ends with its last frame.
    opts.sync_mode = SyncMode::Async;
    {
        let wal = Wal::new(opts.clone()).unwrap();
        wal.append("s", b"zero").unwrap();
        wal.append("s", b"one").unwrap();
    }
    let segment = dir.path().join("wal/s/00000000000000000000.wal");
    let mut bytes = std::fs::read(&segment).unwrap();
    assert_eq!(
        bytes.len(),
        40 + 32 + 32,
        "header + two single-entry frames"
    );
    bytes[12] ^= 0x80; // header length 40 -> 168, longer than the 104-byte file
    std::fs::write(&segment, &bytes).unwrap();

    match Wal::new(opts) {
        // Refusing to open (Corruption naming the file) is acceptable...
        Err(e) => assert!(matches!(e, crate::Error::Corruption(_)), "{e}"),
        // ...silently dropping both valid frames is not. Today: the segment file is
        // deleted, bounds are None, and the next append gets id 0 again.
        Ok(wal) => {
            assert!(segment.exists(), "the active segment was deleted");
            assert_eq!(wal.get("s", 0).unwrap().as_deref(), Some(&b"zero"[..]));
            assert_eq!(wal.get("s", 1).unwrap().as_deref(), Some(&b"one"[..]));
        }
    }
}
