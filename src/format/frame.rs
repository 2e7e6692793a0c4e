//! Frame layouts: one frame per append or batch, so a batch is all-or-nothing.
//!
//! A frame of entries, any number of them, possibly LZ4-compressed:
//! ```text
//! 0  u32 magic "IWF1"        16 u32 entry count (>= 1)
//! 4  u32 crc32               20 u32 stored payload length
//! 8  u64 first id            24 u32 raw payload length (before compression)
//!                            28 u8 flags (bit 0: LZ4), 3 zero bytes
//! 32 payload (stored length bytes), zero padding to a multiple of 8
//! ```
//! Its raw payload is the entries back to back, each as `u32` length + bytes.
//!
//! A single-entry frame (segment format version 3), what an append of one entry
//! writes unless it is compressed:
//! ```text
//! 0  u32 magic "IWS1"        16 u32 entry length
//! 4  u32 crc32               20 u32 zero
//! 8  u64 id
//! 24 the entry's bytes, zero padding to a multiple of 8
//! ```
//! In both, the CRC32 covers the header from byte 8 on, followed by the payload.

use super::{align8, crc_hasher, le_u32, le_u64};
use crate::{CompressionType, Error, Result};
use std::borrow::Cow;

pub(crate) const ENTRIES_MAGIC: u32 = u32::from_le_bytes(*b"IWF1");
pub(crate) const SINGLE_MAGIC: u32 = u32::from_le_bytes(*b"IWS1");
/// Header of a frame of entries: the longest frame header.
pub(crate) const ENTRIES_HEADER_LEN: usize = 32;
/// Header of a single-entry frame: the shortest frame header, and the shortest frame.
pub(crate) const SINGLE_HEADER_LEN: usize = 24;

const FLAG_LZ4: u8 = 1;
/// LZ4 cannot expand data more than 255x; a larger claim is corruption, not a reason
/// to allocate.
const MAX_LZ4_RATIO: u64 = 255;
/// Largest stored or raw payload a frame can describe.
pub(crate) const MAX_PAYLOAD_LEN: u64 = u32::MAX as u64 - 64;

/// Whether a frame of either layout may start with these four bytes.
pub(crate) fn is_frame_magic(magic: u32) -> bool {
    magic == ENTRIES_MAGIC || magic == SINGLE_MAGIC
}

/// Where the payload starts in a single-entry frame or a frame of entries.
const fn header_len(single: bool) -> usize {
    if single {
        SINGLE_HEADER_LEN
    } else {
        ENTRIES_HEADER_LEN
    }
}

/// The decoded, validated header of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub first_id: u64,
    pub count: u32,
    pub stored_len: u32,
    /// Raw payload length; for a single-entry frame, the entry's length.
    pub raw_len: u32,
    pub lz4: bool,
    /// A single-entry frame: the payload is the entry itself, with no length prefix.
    pub single: bool,
}

impl FrameHeader {
    /// Where the payload starts.
    pub fn header_len(&self) -> usize {
        header_len(self.single)
    }

    /// Bytes the whole frame occupies on disk, padding included.
    pub fn frame_len(&self) -> u64 {
        align8(self.header_len() as u64 + self.stored_len as u64)
    }

    /// One past the last id in the frame.
    pub fn end_id(&self) -> u64 {
        self.first_id + self.count as u64
    }
}

/// Why bytes at an offset are not a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameDefect {
    /// Fewer bytes remain than the header or the payload it announces.
    Incomplete,
    /// Magic, flags or lengths are impossible.
    BadHeader,
    /// Header plausible, CRC wrong.
    BadCrc { expected: u32, actual: u32 },
}

/// A frame ready to be written except for its first id, which is assigned under the
/// stream's write lock; encoding and CRC of the payload happen before it.
pub(crate) struct EncodedFrame {
    /// Header placeholder followed by payload and padding.
    bytes: Vec<u8>,
    /// A single-entry frame, else a frame of entries.
    single: bool,
    payload_crc: crc32fast::Hasher,
    count: u32,
}

impl EncodedFrame {
    /// Lays out `entries` as one frame, compressing when it is configured and pays. One
    /// entry that is not compressed gets a single-entry frame.
    pub fn new(
        entries: &[&[u8]],
        compression: CompressionType,
        min_compression_size: usize,
    ) -> Result<Self> {
        let count = u32::try_from(entries.len()).map_err(|_| {
            Error::InvalidArgument("more than 4294967295 entries in one batch".into())
        })?;
        let raw_len: u64 = entries.iter().map(|e| 4 + e.len() as u64).sum();
        if raw_len > MAX_PAYLOAD_LEN || entries.iter().any(|e| e.len() as u64 > MAX_PAYLOAD_LEN) {
            return Err(Error::InvalidArgument(format!(
                "batch of {raw_len} bytes exceeds the frame limit of {MAX_PAYLOAD_LEN} bytes"
            )));
        }
        // The threshold is on what the caller wrote: entry bytes, not length prefixes.
        let entry_bytes = raw_len - 4 * entries.len() as u64;
        let try_lz4 =
            compression == CompressionType::Lz4 && entry_bytes >= min_compression_size as u64;
        if entries.len() == 1 && !try_lz4 {
            return Ok(Self::single(entries[0]));
        }
        let mut bytes = entries_layout(entries, raw_len);
        if try_lz4 {
            match compress(&bytes[ENTRIES_HEADER_LEN..]) {
                Some(compressed) if compressed.len() < raw_len as usize => {
                    bytes.truncate(ENTRIES_HEADER_LEN);
                    bytes.extend_from_slice(&compressed);
                    bytes[28] = FLAG_LZ4;
                }
                _ if count == 1 => return Ok(Self::single(entries[0])),
                _ => {}
            }
        }
        Ok(Self::finish(bytes, false, count))
    }

    fn single(entry: &[u8]) -> Self {
        let mut bytes =
            Vec::with_capacity(align8((SINGLE_HEADER_LEN + entry.len()) as u64) as usize);
        bytes.resize(SINGLE_HEADER_LEN, 0);
        bytes.extend_from_slice(entry);
        Self::finish(bytes, true, 1)
    }

    /// Stamps the payload length (at 16 in a single-entry frame, at 20 in a frame of
    /// entries), computes the payload's CRC and pads to a multiple of 8.
    fn finish(mut bytes: Vec<u8>, single: bool, count: u32) -> Self {
        let payload_len = (bytes.len() - header_len(single)) as u32;
        let at = if single { 16 } else { 20 };
        bytes[at..at + 4].copy_from_slice(&payload_len.to_le_bytes());
        let mut payload_crc = crc_hasher();
        payload_crc.update(&bytes[header_len(single)..]);
        bytes.resize(align8(bytes.len() as u64) as usize, 0);
        EncodedFrame {
            bytes,
            single,
            payload_crc,
            count,
        }
    }

    /// Lays a single-entry frame out again as a frame of entries, for an active segment
    /// of format version 1 or 2 (written before single-entry frames existed), which
    /// must not hold one: a reader of that version would take it for a torn tail.
    pub fn use_entries_layout(&mut self) {
        if !self.single {
            return;
        }
        let len = le_u32(&self.bytes, 16) as usize;
        let entry = &self.bytes[SINGLE_HEADER_LEN..SINGLE_HEADER_LEN + len];
        let bytes = entries_layout(&[entry], 4 + entry.len() as u64);
        *self = Self::finish(bytes, false, 1);
    }

    /// The length `use_entries_layout` would give it.
    pub fn entries_layout_len(&self) -> u64 {
        if !self.single {
            return self.len();
        }
        let entry_len = le_u32(&self.bytes, 16) as u64;
        align8(ENTRIES_HEADER_LEN as u64 + 4 + entry_len)
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Stamps the magic, the first id and the CRC; returns the bytes to write.
    pub fn seal(&mut self, first_id: u64) -> &[u8] {
        let magic = if self.single {
            SINGLE_MAGIC
        } else {
            ENTRIES_MAGIC
        };
        self.bytes[0..4].copy_from_slice(&magic.to_le_bytes());
        self.bytes[8..16].copy_from_slice(&first_id.to_le_bytes());
        let mut crc = crc_hasher();
        crc.update(&self.bytes[8..header_len(self.single)]);
        crc.combine(&self.payload_crc);
        self.bytes[4..8].copy_from_slice(&crc.finalize().to_le_bytes());
        &self.bytes
    }
}

/// The header of a frame of entries with its entry count and raw payload length
/// (`raw_len`, which the caller has checked), followed by that raw payload.
fn entries_layout(entries: &[&[u8]], raw_len: u64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(align8(ENTRIES_HEADER_LEN as u64 + raw_len) as usize);
    bytes.resize(ENTRIES_HEADER_LEN, 0);
    bytes[16..20].copy_from_slice(&(entries.len() as u32).to_le_bytes());
    bytes[24..28].copy_from_slice(&(raw_len as u32).to_le_bytes());
    for entry in entries {
        bytes.extend_from_slice(&(entry.len() as u32).to_le_bytes());
        bytes.extend_from_slice(entry);
    }
    bytes
}

#[cfg(feature = "compression")]
fn compress(raw: &[u8]) -> Option<Vec<u8>> {
    Some(lz4_flex::block::compress(raw))
}

#[cfg(not(feature = "compression"))]
fn compress(_raw: &[u8]) -> Option<Vec<u8>> {
    None
}

/// Parses the header at the start of `bytes`; `available` is how many bytes of the
/// file remain from the frame's offset (the frame must fit in them).
#[inline]
pub(crate) fn parse_header(
    bytes: &[u8],
    available: u64,
) -> std::result::Result<FrameHeader, FrameDefect> {
    let incomplete = |len: usize| bytes.len() < len || available < len as u64;
    if incomplete(SINGLE_HEADER_LEN) {
        return Err(FrameDefect::Incomplete);
    }
    let header = match le_u32(bytes, 0) {
        SINGLE_MAGIC => single_header(bytes)?,
        ENTRIES_MAGIC if incomplete(ENTRIES_HEADER_LEN) => return Err(FrameDefect::Incomplete),
        ENTRIES_MAGIC => entries_header(bytes)?,
        _ => return Err(FrameDefect::BadHeader),
    };
    if header.frame_len() > available {
        return Err(FrameDefect::Incomplete);
    }
    Ok(header)
}

/// The header of a single-entry frame (`bytes` holds at least `SINGLE_HEADER_LEN`).
fn single_header(bytes: &[u8]) -> std::result::Result<FrameHeader, FrameDefect> {
    let (first_id, len) = (le_u64(bytes, 8), le_u32(bytes, 16));
    if le_u32(bytes, 20) != 0 || first_id == u64::MAX || len as u64 > MAX_PAYLOAD_LEN {
        return Err(FrameDefect::BadHeader);
    }
    Ok(FrameHeader {
        first_id,
        count: 1,
        stored_len: len,
        raw_len: len,
        lz4: false,
        single: true,
    })
}

/// The header of a frame of entries (`bytes` holds at least `ENTRIES_HEADER_LEN`).
fn entries_header(bytes: &[u8]) -> std::result::Result<FrameHeader, FrameDefect> {
    if bytes[29..32] != [0, 0, 0] || bytes[28] & !FLAG_LZ4 != 0 {
        return Err(FrameDefect::BadHeader);
    }
    let header = FrameHeader {
        first_id: le_u64(bytes, 8),
        count: le_u32(bytes, 16),
        stored_len: le_u32(bytes, 20),
        raw_len: le_u32(bytes, 24),
        lz4: bytes[28] & FLAG_LZ4 != 0,
        single: false,
    };
    let plausible = header.count > 0
        && header.first_id.checked_add(header.count as u64).is_some()
        && header.raw_len as u64 >= 4 * header.count as u64
        && header.raw_len as u64 <= MAX_PAYLOAD_LEN
        && if header.lz4 {
            header.raw_len as u64 <= header.stored_len as u64 * MAX_LZ4_RATIO + 16
        } else {
            header.raw_len == header.stored_len
        };
    if !plausible {
        return Err(FrameDefect::BadHeader);
    }
    Ok(header)
}

/// Checks the CRC of a whole frame (`bytes` holds at least header + stored payload).
pub(crate) fn verify_crc(
    bytes: &[u8],
    header: &FrameHeader,
) -> std::result::Result<(), FrameDefect> {
    let end = header.header_len() + header.stored_len as usize;
    if bytes.len() < end {
        return Err(FrameDefect::Incomplete);
    }
    let (expected, actual) = (le_u32(bytes, 4), frame_crc(bytes, end));
    if expected != actual {
        return Err(FrameDefect::BadCrc { expected, actual });
    }
    Ok(())
}

/// Parses and CRC-checks the frame at the start of `bytes` (which must hold it whole).
pub(crate) fn check_frame(bytes: &[u8]) -> std::result::Result<FrameHeader, FrameDefect> {
    let header = parse_header(bytes, bytes.len() as u64)?;
    verify_crc(bytes, &header)?;
    Ok(header)
}

/// The entries of a frame, decompressed; entry `i` is `raw[offsets[i]..offsets[i+1]]`.
#[derive(Debug)]
pub(crate) struct DecodedFrame {
    pub first_id: u64,
    raw: Vec<u8>,
    /// `(start, end)` of each entry's bytes in `raw` (length prefixes skipped).
    bounds: Vec<(u32, u32)>,
}

impl DecodedFrame {
    /// Decodes a frame that `check_frame` accepted. `offset` is for error messages.
    pub fn decode(bytes: &[u8], header: &FrameHeader, offset: u64) -> Result<DecodedFrame> {
        let (raw, bounds) = match only_entry(bytes, header) {
            Some(entry) => (entry.to_vec(), vec![(0, entry.len() as u32)]),
            None => {
                let raw = raw_payload(bytes, header, offset)?.into_owned();
                let bounds = entry_bounds(&raw, header.count, offset)?;
                (raw, bounds)
            }
        };
        Ok(DecodedFrame {
            first_id: header.first_id,
            raw,
            bounds,
        })
    }

    pub fn entry(&self, index: usize) -> &[u8] {
        let (start, end) = self.bounds[index];
        &self.raw[start as usize..end as usize]
    }

    /// Memory this decoded frame holds, for the block cache's budget.
    pub fn footprint(&self) -> u64 {
        (self.raw.capacity() + self.bounds.capacity() * 8 + 64) as u64
    }
}

/// The raw payload of a CRC-checked frame of entries: borrowed, or decompressed. Not
/// for a single-entry frame, whose payload has no length prefix: `only_entry` reads it.
#[inline]
pub(crate) fn raw_payload<'a>(
    bytes: &'a [u8],
    header: &FrameHeader,
    offset: u64,
) -> Result<Cow<'a, [u8]>> {
    debug_assert!(!header.single, "a single-entry frame has no raw payload");
    let stored = &bytes[ENTRIES_HEADER_LEN..ENTRIES_HEADER_LEN + header.stored_len as usize];
    if header.lz4 {
        Ok(Cow::Owned(decompress(
            stored,
            header.raw_len as usize,
            offset,
        )?))
    } else {
        Ok(Cow::Borrowed(stored))
    }
}

/// The entry of a single-entry frame, or of an uncompressed frame of one entry whose
/// length prefix is consistent (read without the general entry walk); `None` otherwise.
#[inline]
pub(crate) fn only_entry<'a>(bytes: &'a [u8], header: &FrameHeader) -> Option<&'a [u8]> {
    let stored =
        bytes.get(header.header_len()..header.header_len() + header.stored_len as usize)?;
    if header.single {
        return Some(stored);
    }
    if header.count != 1 || header.lz4 {
        return None;
    }
    let len = le_u32(stored.get(..4)?, 0) as usize;
    (4 + len == stored.len()).then(|| &stored[4..])
}

/// Entry `id` and the frame's length, when `bytes` starts with a valid single-entry
/// frame of that id: the common case, read without the general path. `None` for
/// anything else (the general path then reads it and reports any defect). Accepts
/// exactly the single-entry frames `parse_header` and `verify_crc` together accept
/// for that id, in fewer steps. Always inlined: a `get` calls it from two places,
/// and a call (saved registers, the result through memory) costs a get ~18
/// instructions.
#[inline(always)]
pub(crate) fn single_entry(bytes: &[u8], id: u64) -> Option<(&[u8], u64)> {
    let head: &[u8; SINGLE_HEADER_LEN] = bytes.first_chunk()?;
    let len = le_u32(head, 16);
    // Magic; the id (with room for one more); zero reserved bytes; a possible length.
    let plain = le_u32(head, 0) == SINGLE_MAGIC
        && le_u64(head, 8) == id
        && id < u64::MAX
        && le_u32(head, 20) == 0
        && len as u64 <= MAX_PAYLOAD_LEN;
    let end = SINGLE_HEADER_LEN + len as usize;
    let frame_len = align8(end as u64);
    if !plain || frame_len > bytes.len() as u64 {
        return None;
    }
    (frame_crc(bytes, end) == le_u32(head, 4)).then(|| (&bytes[SINGLE_HEADER_LEN..end], frame_len))
}

/// The CRC32 a frame stores: over its header from byte 8 on and its stored payload,
/// which ends at `end` (padding excluded).
#[inline]
fn frame_crc(bytes: &[u8], end: usize) -> u32 {
    let mut crc = crc_hasher();
    crc.update(&bytes[8..end]);
    crc.finalize()
}

/// The `count` length-prefixed entries of a raw payload, checked up front to add up to
/// exactly its length.
#[inline]
pub(crate) fn entries(raw: &[u8], count: u32, offset: u64) -> Result<Entries<'_>> {
    let (mut at, mut seen) = (0usize, 0u32);
    while seen < count {
        match raw
            .get(at..at + 4)
            .map(|len| at + 4 + le_u32(len, 0) as usize)
        {
            Some(end) if end <= raw.len() => (at, seen) = (end, seen + 1),
            _ => break,
        }
    }
    if seen != count || at != raw.len() {
        return Err(Error::Corruption(format!(
            "frame at offset {offset}: entry lengths do not add up"
        )));
    }
    Ok(Entries { raw, at: 0 })
}

/// Iterator over the entries of a validated raw payload.
#[derive(Clone)]
pub(crate) struct Entries<'a> {
    raw: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let len = le_u32(self.raw.get(self.at..self.at + 4)?, 0) as usize;
        let entry = &self.raw[self.at + 4..self.at + 4 + len];
        self.at += 4 + len;
        Some(entry)
    }
}

/// `(start, end)` of each entry's bytes in `raw` (length prefixes skipped).
pub(crate) fn entry_bounds(raw: &[u8], count: u32, offset: u64) -> Result<Vec<(u32, u32)>> {
    let base = raw.as_ptr() as usize;
    Ok(entries(raw, count, offset)?
        .map(|entry| {
            let start = entry.as_ptr() as usize - base;
            (start as u32, (start + entry.len()) as u32)
        })
        .collect())
}

#[cfg(feature = "compression")]
fn decompress(stored: &[u8], raw_len: usize, offset: u64) -> Result<Vec<u8>> {
    let raw = lz4_flex::block::decompress(stored, raw_len).map_err(|e| {
        Error::Corruption(format!(
            "frame at offset {offset}: LZ4 payload does not decode: {e}"
        ))
    })?;
    if raw.len() != raw_len {
        return Err(Error::Corruption(format!(
            "frame at offset {offset}: LZ4 payload decodes to {} bytes, header says {raw_len}",
            raw.len()
        )));
    }
    Ok(raw)
}

#[cfg(not(feature = "compression"))]
fn decompress(_stored: &[u8], _raw_len: usize, offset: u64) -> Result<Vec<u8>> {
    Err(Error::Config(format!(
        "frame at offset {offset} is LZ4-compressed; rebuild with the `compression` feature"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(entries: &[&[u8]], compression: CompressionType, first_id: u64) -> Vec<u8> {
        let mut encoded = EncodedFrame::new(entries, compression, 0).unwrap();
        encoded.seal(first_id).to_vec()
    }

    /// A frame of one entry as format versions 1 and 2 write it: a frame of entries.
    fn entries_frame_of_one(entry: &[u8], first_id: u64) -> Vec<u8> {
        let mut encoded = EncodedFrame::new(&[entry], CompressionType::None, 0).unwrap();
        encoded.use_entries_layout();
        encoded.seal(first_id).to_vec()
    }

    #[test]
    fn one_uncompressed_entry_gets_a_single_entry_frame() {
        let one = frame(&[b"payload"], CompressionType::None, 3);
        assert_eq!(le_u32(&one, 0), SINGLE_MAGIC);
        assert_eq!(one.len(), 32, "24-byte header, 7 bytes, 1 of padding");
        let header = check_frame(&one).unwrap();
        assert!(header.single && !header.lz4);
        assert_eq!(
            (header.first_id, header.count, header.stored_len),
            (3, 1, 7)
        );
        // LZ4 that pays makes a frame of entries; LZ4 that does not, or an entry under
        // the threshold, leaves a single-entry frame.
        let zeros = vec![0u8; 5000];
        let packed = check_frame(&frame(&[&zeros], CompressionType::Lz4, 0)).unwrap();
        assert!(packed.lz4 && !packed.single);
        let noise = noise(4096);
        assert!(
            check_frame(&frame(&[&noise], CompressionType::Lz4, 0))
                .unwrap()
                .single
        );
        let mut small = EncodedFrame::new(&[&zeros], CompressionType::Lz4, 6000).unwrap();
        assert!(check_frame(small.seal(0)).unwrap().single);
        let two = check_frame(&frame(&[b"a", b"b"], CompressionType::None, 0)).unwrap();
        assert!(!two.single);
    }

    #[test]
    fn use_entries_layout_keeps_the_entry_and_the_ids() {
        for entry in [&b""[..], b"payload", &[9u8; 300]] {
            let single = EncodedFrame::new(&[entry], CompressionType::None, 0).unwrap();
            let bytes = entries_frame_of_one(entry, 12);
            assert_eq!(single.entries_layout_len(), bytes.len() as u64);
            assert_eq!(le_u32(&bytes, 0), ENTRIES_MAGIC);
            assert_eq!(bytes.len() as u64, align8(32 + 4 + entry.len() as u64));
            let header = check_frame(&bytes).unwrap();
            assert!(!header.single);
            assert_eq!((header.first_id, header.count), (12, 1));
            assert_eq!(only_entry(&bytes, &header), Some(entry));
            let decoded = DecodedFrame::decode(&bytes, &header, 0).unwrap();
            assert_eq!(decoded.entry(0), entry);
        }
        // A frame of entries already is one.
        let mut two = EncodedFrame::new(&[b"a", b"b"], CompressionType::None, 0).unwrap();
        let before = two.seal(1).to_vec();
        two.use_entries_layout();
        assert_eq!(two.seal(1), &before[..]);
    }

    #[test]
    fn only_entry_takes_single_entry_frames_and_nothing_else() {
        let big = vec![b'x'; 5000];
        for one in [
            frame(&[b"payload"], CompressionType::None, 3),
            entries_frame_of_one(b"payload", 3),
        ] {
            let header = check_frame(&one).unwrap();
            assert_eq!(only_entry(&one, &header), Some(&b"payload"[..]));
        }
        for empty in [
            frame(&[b""], CompressionType::None, 3),
            entries_frame_of_one(b"", 3),
        ] {
            assert_eq!(
                only_entry(&empty, &check_frame(&empty).unwrap()),
                Some(&b""[..])
            );
        }
        let two = frame(&[b"a", b"b"], CompressionType::None, 3);
        assert_eq!(only_entry(&two, &check_frame(&two).unwrap()), None);
        let lz4 = frame(&[&big], CompressionType::Lz4, 3);
        let lz4_header = check_frame(&lz4).unwrap();
        assert!(lz4_header.lz4);
        assert_eq!(only_entry(&lz4, &lz4_header), None);
        // A length prefix that disagrees with the payload is left to the full walk,
        // which reports it.
        let mut bad = entries_frame_of_one(b"payload", 3);
        let header = check_frame(&bad).unwrap();
        bad[ENTRIES_HEADER_LEN] ^= 1;
        assert_eq!(only_entry(&bad, &header), None);
        assert!(entries(&bad[ENTRIES_HEADER_LEN..ENTRIES_HEADER_LEN + 11], 1, 0).is_err());
    }

    #[test]
    fn single_entry_is_only_a_valid_single_entry_frame_of_that_one_id() {
        let one = frame(&[b"payload"], CompressionType::None, 3);
        assert_eq!(
            single_entry(&one, 3),
            Some((&b"payload"[..], one.len() as u64))
        );
        // Bytes after the frame (the next frames) do not matter.
        let mut followed = one.clone();
        followed.extend_from_slice(&[0xAB; 64]);
        assert_eq!(
            single_entry(&followed, 3).map(|(e, _)| e),
            Some(&b"payload"[..])
        );
        assert_eq!(single_entry(&one, 4), None, "another id");
        assert_eq!(single_entry(&one[..one.len() - 8], 3), None, "cut short");
        assert_eq!(single_entry(&one[..one.len() - 1], 3), None, "padding cut");
        // Every byte but the padding after the payload is checked.
        for at in 0..SINGLE_HEADER_LEN + b"payload".len() {
            let mut flipped = one.clone();
            flipped[at] ^= 0x10;
            assert_eq!(single_entry(&flipped, 3), None, "byte {at} flipped");
        }
        // Frames of entries take the general path, even of one entry.
        assert_eq!(single_entry(&entries_frame_of_one(b"payload", 3), 3), None);
        let two = frame(&[b"a", b"b"], CompressionType::None, 3);
        assert_eq!(single_entry(&two, 3), None);
        let lz4 = frame(&[&vec![b'x'; 5000]], CompressionType::Lz4, 3);
        assert_eq!(single_entry(&lz4, 3), None);
    }

    #[test]
    fn single_entry_accepts_exactly_what_the_general_checks_accept() {
        let one = frame(&[b"payload"], CompressionType::None, 3);
        fn general(bytes: &[u8]) -> Option<(&[u8], u64)> {
            let header = parse_header(bytes, bytes.len() as u64).ok()?;
            verify_crc(bytes, &header).ok()?;
            let entry = only_entry(bytes, &header)?;
            (header.single && header.first_id == 3).then_some((entry, header.frame_len()))
        }
        // Every value in every header byte, CRC fixed up so the header checks
        // themselves decide.
        for at in (0..4).chain(8..SINGLE_HEADER_LEN) {
            for value in 0..=255u8 {
                let mut bytes = one.clone();
                bytes[at] = value;
                let crc = crc32fast::hash(&bytes[8..SINGLE_HEADER_LEN + 7]);
                bytes[4..8].copy_from_slice(&crc.to_le_bytes());
                assert_eq!(
                    single_entry(&bytes, 3),
                    general(&bytes),
                    "byte {at} = {value}"
                );
            }
        }
    }

    #[test]
    fn round_trips_entries_raw_and_compressed() {
        let big = vec![7u8; 5000];
        let entries: Vec<&[u8]> = vec![b"", b"a", &big, b"tail"];
        for compression in [CompressionType::None, CompressionType::Lz4] {
            let bytes = frame(&entries, compression, 41);
            assert_eq!(bytes.len() % 8, 0);
            let header = check_frame(&bytes).unwrap();
            assert_eq!(header.first_id, 41);
            assert_eq!(header.count, 4);
            assert_eq!(header.lz4, compression == CompressionType::Lz4);
            let decoded = DecodedFrame::decode(&bytes, &header, 0).unwrap();
            let got: Vec<&[u8]> = (0..header.count as usize)
                .map(|i| decoded.entry(i))
                .collect();
            assert_eq!(got, entries);
        }
    }

    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect()
    }

    #[test]
    fn incompressible_payload_stays_raw() {
        let noise = noise(4096);
        let bytes = frame(&[&noise, b"x"], CompressionType::Lz4, 0);
        assert!(!check_frame(&bytes).unwrap().lz4);
    }

    /// Frames of both layouts.
    fn samples() -> Vec<Vec<u8>> {
        vec![
            frame(&[b"hello", b"world"], CompressionType::None, 9),
            frame(&[b"some entry"], CompressionType::None, 9),
            entries_frame_of_one(b"some entry", 9),
        ]
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        for bytes in samples() {
            let header = check_frame(&bytes).unwrap();
            let payload_end = header.header_len() + header.stored_len as usize;
            for byte in 0..payload_end {
                for bit in 0..8 {
                    let mut damaged = bytes.clone();
                    damaged[byte] ^= 1 << bit;
                    assert!(
                        check_frame(&damaged).is_err(),
                        "flip at byte {byte} bit {bit} accepted"
                    );
                }
            }
        }
    }

    #[test]
    fn every_cut_is_incomplete() {
        for bytes in samples() {
            for cut in 0..bytes.len() {
                assert_eq!(
                    check_frame(&bytes[..cut]).unwrap_err(),
                    FrameDefect::Incomplete,
                    "cut {cut}"
                );
            }
        }
    }

    #[test]
    fn entries_must_add_up_exactly() {
        let raw = [2u32.to_le_bytes().as_slice(), b"ab", &0u32.to_le_bytes()].concat();
        let got: Vec<&[u8]> = entries(&raw, 2, 0).unwrap().collect();
        assert_eq!(got, vec![&b"ab"[..], &b""[..]]);
        assert!(entries(&raw, 1, 0).is_err(), "bytes left over");
        assert!(entries(&raw, 3, 0).is_err(), "an entry missing");
        assert!(entries(&raw[..5], 1, 0).is_err(), "an entry cut short");
        assert_eq!(entry_bounds(&raw, 2, 0).unwrap(), vec![(4, 6), (10, 10)]);
    }

    #[test]
    fn zeros_are_not_a_frame() {
        assert_eq!(check_frame(&[0u8; 64]).unwrap_err(), FrameDefect::BadHeader);
    }
}
