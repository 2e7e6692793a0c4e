//! A read-only mapping of a segment file, sealed or active. The active segment is
//! mapped ahead of its end (up to the segment size limit) and appended to while mapped,
//! so the mapping as a whole is never borrowed as one slice: only ranges the caller
//! knows to be complete frames (below the stream view's end) are, and those bytes
//! never change. Pages past the end of the file are never touched (that would fault).

pub(crate) struct SegmentMap {
    map: memmap2::Mmap,
}

impl SegmentMap {
    pub fn new(map: memmap2::Mmap) -> Self {
        SegmentMap { map }
    }

    /// How many bytes are mapped (possibly past the end of the file).
    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }

    /// The bytes `offset..end`, or `None` if they are not all mapped. The caller
    /// guarantees they are written and will not change while borrowed.
    pub fn range(&self, offset: u64, end: u64) -> Option<&[u8]> {
        if offset > end || end > self.len() {
            return None;
        }
        // SAFETY: in bounds of the mapping (checked above), which lives as long as
        // `self`; the caller guarantees the bytes are not written while borrowed.
        Some(unsafe {
            std::slice::from_raw_parts(
                self.map.as_ptr().add(offset as usize),
                (end - offset) as usize,
            )
        })
    }
}
