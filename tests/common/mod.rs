//! Helpers shared by the integration tests: deterministic payloads derivable from
//! (stream, id), file-damage helpers, a tiny PRNG and small assertion helpers.
#![allow(dead_code)]

use ironwal::{Error, SyncMode, Wal, WalOptions};
use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------
// PRNG and hashing
// ---------------------------------------------------------------------------------

/// xorshift64* : tiny, deterministic, good enough for test data and choices.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(splitmix(seed) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `lo..hi` (hi exclusive, hi > lo).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(hi > lo);
        lo + self.next_u64() % (hi - lo)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        self.fill(&mut v);
        v
    }
}

pub fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a string, mixed.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    splitmix(h)
}

/// A seed from the clock (overridable by the env var `name`), printed so a failing
/// run can be replayed.
pub fn seed_from_env_or_time(name: &str) -> u64 {
    let seed = match std::env::var(name) {
        Ok(v) => v.parse().expect("seed env var must be a u64"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    };
    eprintln!("{name}={seed}");
    seed
}

// ---------------------------------------------------------------------------------
// Payloads derivable from (stream, id)
// ---------------------------------------------------------------------------------

/// The content of entry `id` of `stream`: a readable tag followed by 0..64 bytes
/// derived from (stream, id). Any misplacement between ids or streams is detected.
pub fn payload(stream: &str, id: u64) -> Vec<u8> {
    let h = splitmix(hash_str(stream) ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let extra = (h % 64) as usize;
    payload_sized(stream, id, extra + tag(stream, id).len())
}

fn tag(stream: &str, id: u64) -> Vec<u8> {
    format!("{stream}#{id}|").into_bytes()
}

/// Entry content of exactly `len` bytes derived from (stream, id). When `len` allows,
/// it starts with the tag `stream#id|`.
pub fn payload_sized(stream: &str, id: u64, len: usize) -> Vec<u8> {
    let mut out = tag(stream, id);
    out.truncate(len);
    let mut rng = XorShift::new(hash_str(stream) ^ id.rotate_left(17) ^ (len as u64) << 40);
    let mut rest = vec![0u8; len - out.len()];
    rng.fill(&mut rest);
    out.extend_from_slice(&rest);
    out
}

/// Compressible content of `len` bytes derived from (stream, id).
pub fn payload_text(stream: &str, id: u64, len: usize) -> Vec<u8> {
    let line = format!("stream={stream} id={id} the quick brown fox jumps over the lazy dog\n");
    line.as_bytes().iter().copied().cycle().take(len).collect()
}

// ---------------------------------------------------------------------------------
// Options and opening
// ---------------------------------------------------------------------------------

/// Default options under `root` with `SyncMode::Async` (fast); tests that are about
/// sync modes set them explicitly.
pub fn opts(root: &Path) -> WalOptions {
    let mut o = WalOptions::new(root);
    o.sync_mode = SyncMode::Async;
    o
}

pub fn open(o: &WalOptions) -> Wal {
    match Wal::new(o.clone()) {
        Ok(w) => w,
        Err(e) => panic!("Wal::new({:?}) failed: {e:?}", o.root_path),
    }
}

/// The error of a `Wal::new` that must fail (`Wal` need not be `Debug`).
pub fn open_err(o: &WalOptions) -> Error {
    match Wal::new(o.clone()) {
        Ok(_) => panic!("Wal::new({:?}) succeeded but must fail", o.root_path),
        Err(e) => e,
    }
}

pub fn is_corruption(e: &Error) -> bool {
    matches!(e, Error::CrcMismatch { .. } | Error::Corruption(_))
}

// ---------------------------------------------------------------------------------
// Reading helpers
// ---------------------------------------------------------------------------------

/// All entries from `start`, panicking on any error.
pub fn collect(wal: &Wal, stream: &str, start: u64) -> Vec<Vec<u8>> {
    let it = match wal.iter(stream, start) {
        Ok(it) => it,
        Err(e) => panic!("iter({stream:?}, {start}) failed: {e:?}"),
    };
    it.enumerate()
        .map(|(i, r)| match r {
            Ok(v) => v,
            Err(e) => panic!("iter({stream:?}, {start}) item {i} failed: {e:?}"),
        })
        .collect()
}

/// Asserts that the stream holds exactly `payload(stream, id)` for ids in `range`
/// (via get, get_batch, iter and bounds).
pub fn assert_stream(wal: &Wal, stream: &str, range: std::ops::Range<u64>) {
    assert_stream_with(wal, stream, range, payload);
}

pub fn assert_stream_with(
    wal: &Wal,
    stream: &str,
    range: std::ops::Range<u64>,
    content: impl Fn(&str, u64) -> Vec<u8>,
) {
    let b = wal.bounds(stream).unwrap();
    if range.is_empty() && range.start == 0 {
        assert!(
            b.is_none() || b == Some(0..0),
            "bounds of empty stream {stream:?}: {b:?}"
        );
    } else {
        assert_eq!(b, Some(range.clone()), "bounds of {stream:?}");
    }
    for id in range.clone() {
        let got = wal.get(stream, id).unwrap();
        assert_eq!(
            got.as_deref(),
            Some(&content(stream, id)[..]),
            "get({stream:?}, {id})"
        );
    }
    assert_eq!(
        wal.get(stream, range.end).unwrap(),
        None,
        "get past the end"
    );
    let ids: Vec<u64> = range.clone().collect();
    let batch = wal.get_batch(stream, &ids).unwrap();
    assert_eq!(batch.len(), ids.len());
    for (id, got) in ids.iter().zip(batch) {
        assert_eq!(
            got,
            Some(content(stream, *id)),
            "get_batch({stream:?}) id {id}"
        );
    }
    let all = collect(wal, stream, range.start);
    assert_eq!(
        all.len() as u64,
        range.end - range.start,
        "iter length of {stream:?}"
    );
    for (i, got) in all.iter().enumerate() {
        let id = range.start + i as u64;
        assert_eq!(got, &content(stream, id), "iter({stream:?}) id {id}");
    }
}

// ---------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------

/// The lock file in root_path (the layout the engine's owner specified).
pub const LOCK_FILE: &str = ".lock";

pub fn seg_file(start: u64) -> String {
    format!("{start:020}.wal")
}

pub fn idx_file(start: u64) -> String {
    format!("{start:020}.idx")
}

/// Start ids of the files with extension `ext` in `dir`, sorted.
pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<u64> {
    let mut v: Vec<u64> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                let (stem, e2) = name.rsplit_once('.')?;
                if e2 == ext && stem.len() == 20 {
                    stem.parse().ok()
                } else {
                    None
                }
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Start ids of the segment files of a stream directory.
pub fn segments(dir: &Path) -> Vec<u64> {
    files_with_ext(dir, "wal")
}

pub fn file_len(p: &Path) -> u64 {
    fs::metadata(p)
        .unwrap_or_else(|e| panic!("metadata {p:?}: {e}"))
        .len()
}

pub fn read_all(p: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    fs::File::open(p).unwrap().read_to_end(&mut v).unwrap();
    v
}

/// Flips bit `bit` of the byte at `offset`.
pub fn flip_bit(p: &Path, offset: u64, bit: u8) {
    let mut f = OpenOptions::new().read(true).write(true).open(p).unwrap();
    let mut b = [0u8; 1];
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.read_exact(&mut b).unwrap();
    b[0] ^= 1 << bit;
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(&b).unwrap();
    f.sync_all().unwrap();
}

pub fn set_len(p: &Path, len: u64) {
    let f = OpenOptions::new().write(true).open(p).unwrap();
    f.set_len(len).unwrap();
}

pub fn append_bytes(p: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new().append(true).open(p).unwrap();
    f.write_all(bytes).unwrap();
}

/// Recursively copies a directory tree.
pub fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// Every path under `root` (files and dirs), relative, sorted.
pub fn tree(root: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(rd) = fs::read_dir(dir) {
            for e in rd {
                let e = e.unwrap();
                let p = e.path();
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
                if e.file_type().unwrap().is_dir() {
                    walk(base, &p, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Names in a directory, sorted.
pub fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Appends `payload(stream, id)` for the next `n` ids one at a time, recording the
/// active segment file length after each append. Returns the ids.
pub fn append_n(wal: &Wal, stream: &str, n: u64) -> std::ops::Range<u64> {
    let start = wal.bounds(stream).unwrap().map(|b| b.end).unwrap_or(0);
    for id in start..start + n {
        let got = wal.append(stream, &payload(stream, id)).unwrap();
        assert_eq!(got, id, "append to {stream:?} returned the wrong id");
    }
    start..start + n
}
