//! The read path of a stream: `get` finds its frame through the frame index (binary
//! search, no scan) and reads just that frame; `FrameCursor` streams frames in id
//! order across segments, a chunk at a time. Sealed segments are opened (and their
//! index loaded or rebuilt) on first read and cached in the shared LRU.

use super::{index_path, Stream, View};
use crate::error::io_context;
use crate::format::frame::{
    check_frame, entries, only_entry, parse_header, raw_payload, single_entry, verify_crc,
    DecodedFrame, FrameDefect, FrameHeader, ENTRIES_HEADER_LEN,
};
use crate::format::frame_index::{FrameIndex, FrameSpan};
use crate::format::segment_header::{SegmentHeader, MAX_HEADER_LEN};
use crate::storage::chunk_reader::{ChunkReader, FileRef};
use crate::storage::open_segments::{OpenSegment, SealedSegment};
use crate::storage::scan::scan_segment;
use crate::storage::segment_map::SegmentMap;
use crate::storage::vfs::{read_exact_at, read_file, OpenMode, VfsFile};
use crate::{Error, ReadStrategy, Result};
use std::collections::VecDeque;
use std::sync::Arc;

/// The most of an active segment mapped ahead of its end (address space, not memory).
const MAX_ACTIVE_MAP_LEN: u64 = 1 << 30;

/// The largest frame `get_mapped` reads under the view's read lock: checking it takes
/// a few microseconds at most, the longest it makes a writer's publish wait.
const MAX_LOCKED_FRAME_LEN: u64 = 64 << 10;

/// Where the frame holding an id is.
enum Located {
    /// In the active segment; `map` is the view's mapping of it if that reaches the frame.
    Active {
        start_id: u64,
        span: FrameSpan,
        map: Option<Arc<SegmentMap>>,
    },
    /// In a sealed segment; `open` is the segment if the view's weak reference holds.
    Sealed {
        start_id: u64,
        open: Option<Arc<SealedSegment>>,
    },
}

impl Stream {
    pub fn get(&self, id: u64) -> Result<Option<Vec<u8>>> {
        match self.get_mapped(id) {
            Some(entry) => Ok(Some(entry)),
            None => self.get_unmapped(id),
        }
    }

    /// `get` when `get_mapped` did not take it.
    pub fn get_unmapped(&self, id: u64) -> Result<Option<Vec<u8>>> {
        match self.read_entry(id) {
            // A concurrent truncate deleted the segment between finding and reading it.
            Err(_) if self.truncated(id) => Ok(None),
            outcome => outcome,
        }
    }

    /// `get` of an entry alone in its uncompressed frame, which is mapped: in the active
    /// segment under the view's read lock (no reference counting), in a sealed segment
    /// already open through the view's weak reference, with no lock of the stream's
    /// held. The common case with `ReadStrategy::Mmap`, with no system call and bounded
    /// work (`Wal::get` runs it under the stream map's read lock). `None` when the
    /// general path must take it (not mapped or open yet, a large active frame, several
    /// entries or LZ4 in the frame, any defect, a block cache to consult, or an id the
    /// stream does not hold).
    pub fn get_mapped(&self, id: u64) -> Option<Vec<u8>> {
        if self.shared.block_cache.is_some() {
            return None;
        }
        let view = self.view.read();
        let active = view.active.as_ref()?;
        if id < active.start_id {
            let segment = view.sealed_holding(id)?.open.upgrade();
            drop(view);
            let segment = segment?;
            segment.mark_referenced();
            let (_, span) = segment.index.find(id)?;
            let map = segment.map.as_ref()?;
            let bytes = map.range(span.offset, span.offset + span.len)?;
            let (entry, _) = single_entry(bytes, id)?;
            return Some(entry.to_vec());
        }
        let (_, span) = active.find(id)?;
        if span.len > MAX_LOCKED_FRAME_LEN {
            return None;
        }
        let map = view.active_map.as_ref()?;
        let bytes = map.range(span.offset, span.offset + span.len)?;
        let (entry, _) = single_entry(bytes, id)?;
        Some(entry.to_vec())
    }

    /// Whether `id` lies below the first retained id.
    fn truncated(&self, id: u64) -> bool {
        self.bounds().is_some_and(|b| id < b.start)
    }

    fn read_entry(&self, id: u64) -> Result<Option<Vec<u8>>> {
        let Some(located) = self.locate(id)? else {
            return Ok(None);
        };
        let (start_id, span, active_map, sealed) = match located {
            Located::Active {
                start_id,
                span,
                map,
            } => (start_id, span, map, None),
            Located::Sealed { start_id, open } => {
                let segment = self.sealed_segment(start_id, open)?;
                let span = self.span_in_sealed(&segment, id)?;
                (start_id, span, None, Some(segment))
            }
        };
        // The cache is consulted before any I/O: a hit reads nothing from disk.
        if let Some(cache) = &self.shared.block_cache {
            if let Some(frame) = cache.get((self.uid, start_id, span.offset)) {
                return Ok(Some(frame.entry((id - frame.first_id) as usize).to_vec()));
            }
        }
        let span_end = span.offset + span.len;
        let entry = match sealed.as_deref() {
            None => match self.active_mapping(active_map, start_id, span_end)? {
                Some(map) => {
                    let bytes = map.range(span.offset, span_end).expect("mapped that far");
                    self.entry_from_frame(start_id, bytes, span, id)?
                }
                None => {
                    let bytes = self.read_span(&*self.segment_file(start_id)?, start_id, span)?;
                    self.entry_from_frame(start_id, &bytes, span, id)?
                }
            },
            Some(SealedSegment { map: Some(map), .. }) => {
                let bytes = map
                    .range(span.offset, span_end)
                    .ok_or_else(|| self.beyond_file(start_id, span))?;
                self.entry_from_frame(start_id, bytes, span, id)?
            }
            Some(segment) => {
                let bytes = self.read_span(&*segment.file, start_id, span)?;
                self.entry_from_frame(start_id, &bytes, span, id)?
            }
        };
        Ok(Some(entry))
    }

    /// With `ReadStrategy::Mmap`, a mapping of active segment `start_id` reaching `end`:
    /// `in_view` (the view's, from `View::mapping_to`) or else a new one, mapped ahead
    /// up to the segment size limit so appends rarely need another, and kept in the
    /// view while that segment is active. `None` means: read with `pread` (also when
    /// the mapping cannot be made).
    fn active_mapping(
        &self,
        in_view: Option<Arc<SegmentMap>>,
        start_id: u64,
        end: u64,
    ) -> Result<Option<Arc<SegmentMap>>> {
        if in_view.is_some() || self.shared.options.read_strategy != ReadStrategy::Mmap {
            return Ok(in_view);
        }
        let ahead = self.shared.options.max_segment_size.min(MAX_ACTIVE_MAP_LEN);
        let file = self.segment_file(start_id)?;
        let Ok(Some(map)) = file.map(end.max(ahead)) else {
            return Ok(None);
        };
        let map = Arc::new(SegmentMap::new(map));
        let mut view = self.view.write();
        if view.active.as_ref().is_some_and(|a| a.start_id == start_id) {
            view.active_map = Some(map.clone());
        }
        Ok(Some(map))
    }

    /// The bytes of the frame at `span` of segment `start_id`.
    fn read_span(&self, file: &dyn VfsFile, start_id: u64, span: FrameSpan) -> Result<Vec<u8>> {
        let mut bytes = vec![0u8; span.len as usize];
        read_exact_at(file, &mut bytes, span.offset).map_err(|e| {
            io_context(
                e,
                &format!("stream {:?}: read", self.name),
                &self.segment_path(start_id),
            )
        })?;
        Ok(bytes)
    }

    /// Finds the segment (and, for the active one, the frame) holding `id`; `None`
    /// when the stream never held it or it was truncated.
    fn locate(&self, id: u64) -> Result<Option<Located>> {
        let view = self.view.read();
        let Some(active) = &view.active else {
            return Ok(None);
        };
        if id >= active.end_id {
            return Ok(None);
        }
        if id >= active.start_id {
            let (_, span) = active
                .find(id)
                .ok_or_else(|| self.missing(active.start_id, id))?;
            return Ok(Some(Located::Active {
                start_id: active.start_id,
                span,
                map: view.mapping_to(span.offset + span.len),
            }));
        }
        Ok(view.sealed_holding(id).map(|sealed| Located::Sealed {
            start_id: sealed.start_id,
            open: sealed.open.upgrade(),
        }))
    }

    fn span_in_sealed(&self, segment: &SealedSegment, id: u64) -> Result<FrameSpan> {
        segment
            .index
            .find(id)
            .map(|(_, span)| span)
            .ok_or_else(|| self.missing(segment.index.start_id, id))
    }

    /// Sealed segment `start_id`: `open` (what the view's weak reference gave), else
    /// from the LRU, else opened with its frame index loaded (rebuilt from the segment
    /// when the index file is missing, stale or damaged). When it did not come from the
    /// view, the view's weak reference is set to it for later reads.
    fn sealed_segment(
        &self,
        start_id: u64,
        open: Option<Arc<SealedSegment>>,
    ) -> Result<Arc<SealedSegment>> {
        if let Some(segment) = open {
            segment.mark_referenced();
            return Ok(segment);
        }
        let segment = match self.shared.open_segments.get((self.uid, start_id)) {
            Some(OpenSegment::Sealed(segment)) => segment,
            _ => self.open_sealed(start_id)?,
        };
        let known = |view: &View| {
            view.sealed_holding(start_id)
                .filter(|sealed| sealed.start_id == start_id)
                .map(|sealed| sealed.open.as_ptr() == Arc::as_ptr(&segment))
        };
        // Only a segment still in the view (not truncated meanwhile) is referenced.
        let stale = known(&self.view.read()) == Some(false);
        if stale {
            let mut view = self.view.write();
            if known(&view) == Some(false) {
                let k = view.sealed.partition_point(|s| s.start_id < start_id);
                view.sealed[k].open = Arc::downgrade(&segment);
            }
        }
        Ok(segment)
    }

    fn open_sealed(&self, start_id: u64) -> Result<Arc<SealedSegment>> {
        let key = (self.uid, start_id);
        let path = self.segment_path(start_id);
        let context =
            |e, action: &str| io_context(e, &format!("stream {:?}: {action}", self.name), &path);
        let vfs = &self.shared.vfs;
        let file = vfs
            .open(&path, OpenMode::Read)
            .map_err(|e| context(e, "open"))?;
        let file_len = file.len().map_err(|e| context(e, "stat"))?;
        let mut head = vec![0u8; (MAX_HEADER_LEN as u64).min(file_len) as usize];
        read_exact_at(&*file, &mut head, 0).map_err(|e| context(e, "read header of"))?;
        let (header, data_start) = SegmentHeader::decode(&head, &self.describe(&path))?;
        if header.start_id != start_id || header.stream != self.name {
            return Err(Error::Corruption(format!(
                "{}: header names stream {:?} segment {}",
                self.describe(&path),
                header.stream,
                header.start_id
            )));
        }
        let stored = read_file(&**vfs, &index_path(&self.dir, start_id))
            .ok()
            .and_then(|bytes| FrameIndex::decode(&bytes, start_id, file_len).ok());
        let index = match stored {
            Some(index) => index,
            None => {
                let chunk = self.shared.options.read_buffer_size;
                let scanned = scan_segment(
                    file.clone(),
                    start_id,
                    data_start,
                    file_len,
                    chunk,
                    header.preallocated,
                )
                .map_err(|e| context(e, "scan"))?;
                let mut index = scanned.index;
                if scanned.torn_at.is_none() {
                    self.persist_index(&index);
                } else {
                    index.data_end = index.data_end.min(file_len);
                }
                index
            }
        };
        let map = match self.shared.options.read_strategy {
            ReadStrategy::Mmap => file
                .map(file_len)
                .map_err(|e| context(e, "map"))?
                .map(|map| Arc::new(SegmentMap::new(map))),
            ReadStrategy::StandardIo => None,
        };
        let segment = Arc::new(SealedSegment::new(file, map, index));
        Ok(self.shared.open_segments.insert_sealed(key, segment))
    }

    /// Checks the frame in `bytes` (read at `span`) and copies out entry `id`, caching
    /// the decoded frame when the block cache is on.
    fn entry_from_frame(
        &self,
        start_id: u64,
        bytes: &[u8],
        span: FrameSpan,
        id: u64,
    ) -> Result<Vec<u8>> {
        let header = self.check(start_id, bytes, span)?;
        if id < header.first_id || id >= header.end_id() {
            return Err(self.missing(start_id, id));
        }
        let index = (id - header.first_id) as usize;
        match &self.shared.block_cache {
            Some(cache) => {
                let frame = Arc::new(DecodedFrame::decode(bytes, &header, span.offset)?);
                let entry = frame.entry(index).to_vec();
                cache.insert((self.uid, start_id, span.offset), frame);
                Ok(entry)
            }
            None => {
                if let Some(entry) = only_entry(bytes, &header) {
                    return Ok(entry.to_vec());
                }
                let raw = raw_payload(bytes, &header, span.offset)?;
                let entry = entries(&raw, header.count, span.offset)?.nth(index);
                Ok(entry.expect("index < count").to_vec())
            }
        }
    }

    /// Validates the frame at `span`: its CRC and that it starts where the index says.
    fn check(&self, start_id: u64, bytes: &[u8], span: FrameSpan) -> Result<FrameHeader> {
        let header =
            check_frame(bytes).map_err(|defect| self.frame_error(start_id, span.offset, defect))?;
        if header.first_id != span.first_id {
            return Err(Error::Corruption(format!(
                "{}: frame at offset {} holds id {}, the index expects {}",
                self.describe(&self.segment_path(start_id)),
                span.offset,
                header.first_id,
                span.first_id
            )));
        }
        Ok(header)
    }

    fn frame_error(&self, start_id: u64, offset: u64, defect: FrameDefect) -> Error {
        let file = self.describe(&self.segment_path(start_id));
        match defect {
            FrameDefect::BadCrc { expected, actual } => Error::CrcMismatch {
                expected,
                actual,
                offset,
            },
            FrameDefect::Incomplete => {
                Error::Corruption(format!("{file}: frame at offset {offset} is cut short"))
            }
            FrameDefect::BadHeader => {
                Error::Corruption(format!("{file}: no valid frame header at offset {offset}"))
            }
        }
    }

    fn missing(&self, start_id: u64, id: u64) -> Error {
        Error::Corruption(format!(
            "{}: id {id} should be in this segment but no valid frame holds it",
            self.describe(&self.segment_path(start_id))
        ))
    }

    fn beyond_file(&self, start_id: u64, span: FrameSpan) -> Error {
        Error::Corruption(format!(
            "{}: frame at offset {} runs past the end of the file",
            self.describe(&self.segment_path(start_id)),
            span.offset
        ))
    }
}

/// A cursor's way to a segment's file: looked up in the LRU (or reopened) for each
/// refill of its chunk, so an iterator keeps no descriptor open between refills.
fn fetched_file(stream: &Arc<Stream>, start_id: u64) -> FileRef {
    let stream = stream.clone();
    FileRef::Fetched(Box::new(move || stream.cached_segment_file(start_id)))
}

/// Bytes of the segment a cursor is walking.
enum SegmentBytes {
    Mapped(Arc<SegmentMap>),
    Read(ChunkReader),
}

/// The segment a cursor is in: frames from `pos` up to `limit` are readable.
struct SegmentCursor {
    start_id: u64,
    bytes: SegmentBytes,
    pos: u64,
    limit: u64,
}

/// Reads entries of one stream in id order from `next_id` on, crossing segments and
/// following appends made after it was created.
pub(crate) struct FrameCursor {
    stream: Arc<Stream>,
    next_id: u64,
    ready: VecDeque<Vec<u8>>,
    segment: Option<SegmentCursor>,
    /// Set once an entry was returned: from then on entries truncated under the cursor
    /// are an error, not skipped.
    started: bool,
}

impl FrameCursor {
    pub fn stream_name(&self) -> &str {
        self.stream.name()
    }

    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// The stream and segment file of the entry the cursor reads next.
    pub fn describe_next(&self) -> Option<String> {
        self.stream.describe_id(self.next_id)
    }

    pub fn new(stream: Arc<Stream>, start_id: u64) -> Self {
        FrameCursor {
            stream,
            next_id: start_id,
            ready: VecDeque::new(),
            segment: None,
            started: false,
        }
    }

    /// The next entry and its id when the cursor is at a valid frame, mapped or
    /// already read, holding just that entry, uncompressed: the common case, with no
    /// I/O and nothing to queue, skip or report. `None` otherwise: then
    /// `next_entry_general` takes it (and reports defects).
    #[inline(always)]
    pub fn next_at_hand(&mut self) -> Option<(u64, Vec<u8>)> {
        if !self.ready.is_empty() {
            return None;
        }
        let cursor = self.segment.as_mut()?;
        let bytes = match &cursor.bytes {
            SegmentBytes::Mapped(map) => map.range(cursor.pos, cursor.limit)?,
            SegmentBytes::Read(reader) => reader.buffered(cursor.pos),
        };
        let id = self.next_id;
        let (entry, frame_len) = single_entry(bytes, id)?;
        cursor.pos += frame_len;
        self.started = true;
        self.next_id = id + 1;
        Some((id, entry.to_vec()))
    }

    /// The next entry and its id, `Ok(None)` at the current end of the stream.
    pub fn next_entry_general(&mut self) -> Result<Option<(u64, Vec<u8>)>> {
        loop {
            if let Some(entry) = self.ready.pop_front() {
                self.started = true;
                self.next_id += 1;
                return Ok(Some((self.next_id - 1, entry)));
            }
            let readable = self.segment.as_ref().is_some_and(|s| s.pos < s.limit);
            if !readable && !self.position()? {
                return Ok(None);
            }
            match self.read_frame() {
                Ok(Some(entry)) => {
                    self.started = true;
                    self.next_id += 1;
                    return Ok(Some((self.next_id - 1, entry)));
                }
                Ok(None) => {}
                // A truncate deleted the segment's file before a refill could read it:
                // `position` skips or reports the truncated entries.
                Err(_) if self.stream.truncated(self.next_id) => self.segment = None,
                Err(e) => return Err(e),
            }
        }
    }

    /// Points the cursor at the frame holding `next_id`; false when there is none yet.
    /// Before the first entry, a truncated `next_id` moves to the first retained one;
    /// after it, truncated entries the caller has not seen are an error.
    fn position(&mut self) -> Result<bool> {
        loop {
            match self.try_position() {
                Err(_) if self.stream.truncated(self.next_id) && !self.started => continue,
                Err(_) if self.stream.truncated(self.next_id) => {
                    return Err(Error::SegmentNotFound(self.next_id))
                }
                outcome => return outcome,
            }
        }
    }

    fn try_position(&mut self) -> Result<bool> {
        let stream = &self.stream;
        let view = stream.view.read();
        let Some(bounds) = view.bounds() else {
            return Ok(false);
        };
        if self.next_id < bounds.start {
            if self.started {
                return Err(Error::SegmentNotFound(self.next_id));
            }
            self.next_id = bounds.start;
        }
        if self.next_id >= bounds.end {
            return Ok(false);
        }
        let active = view.active.as_ref().expect("bounds exist");
        if self.next_id >= active.start_id {
            let (_, span) = active
                .find(self.next_id)
                .ok_or_else(|| stream.missing(active.start_id, self.next_id))?;
            let (start_id, limit) = (active.start_id, active.data_end);
            let in_view = view.mapping_to(limit);
            drop(view);
            let bytes = match stream.active_mapping(in_view, start_id, limit)? {
                Some(map) => SegmentBytes::Mapped(map),
                None => SegmentBytes::Read(ChunkReader::new(
                    fetched_file(stream, start_id),
                    limit,
                    stream.shared.options.read_buffer_size,
                )),
            };
            self.segment = Some(SegmentCursor {
                start_id,
                bytes,
                pos: span.offset,
                limit,
            });
            return Ok(true);
        }
        let sealed = view
            .sealed_holding(self.next_id)
            .expect("retained and below the active segment");
        let (start_id, open) = (sealed.start_id, sealed.open.upgrade());
        drop(view);
        let segment = stream.sealed_segment(start_id, open)?;
        let span = stream.span_in_sealed(&segment, self.next_id)?;
        let (limit, bytes) = match &segment.map {
            Some(map) => (
                segment.index.data_end.min(map.len()),
                SegmentBytes::Mapped(map.clone()),
            ),
            None => {
                let limit = segment.index.data_end;
                let chunk = stream.shared.options.read_buffer_size;
                let reader = ChunkReader::new(fetched_file(stream, start_id), limit, chunk);
                (limit, SegmentBytes::Read(reader))
            }
        };
        self.segment = Some(SegmentCursor {
            start_id,
            bytes,
            pos: span.offset,
            limit,
        });
        Ok(true)
    }

    /// Reads the frame at the cursor: returns entry `next_id` and queues the ones after
    /// it (`None` if the frame holds only earlier ids).
    fn read_frame(&mut self) -> Result<Option<Vec<u8>>> {
        let stream = &self.stream;
        let cursor = self.segment.as_mut().expect("positioned");
        let (start_id, pos, limit) = (cursor.start_id, cursor.pos, cursor.limit);
        let read_err = |e| {
            io_context(
                e,
                &format!("stream {:?}: read", stream.name),
                &stream.segment_path(start_id),
            )
        };
        let frame_error = |defect| stream.frame_error(start_id, pos, defect);
        let head = match &mut cursor.bytes {
            SegmentBytes::Mapped(map) => map.range(pos, limit).expect("limit is mapped"),
            SegmentBytes::Read(reader) => {
                reader.bytes(pos, ENTRIES_HEADER_LEN).map_err(read_err)?
            }
        };
        let header = parse_header(head, limit - pos).map_err(frame_error)?;
        let frame_len = header.frame_len();
        let bytes = match &mut cursor.bytes {
            SegmentBytes::Mapped(map) => map.range(pos, pos + frame_len).expect("below limit"),
            SegmentBytes::Read(reader) => {
                reader.bytes(pos, frame_len as usize).map_err(read_err)?
            }
        };
        verify_crc(bytes, &header).map_err(frame_error)?;
        cursor.pos += frame_len;
        if header.end_id() <= self.next_id {
            return Ok(None);
        }
        if header.first_id > self.next_id {
            return Err(stream.missing(start_id, self.next_id));
        }
        if let Some(entry) = only_entry(bytes, &header) {
            return Ok(Some(entry.to_vec()));
        }
        let raw = raw_payload(bytes, &header, pos)?;
        let skip = (self.next_id - header.first_id) as usize;
        let mut wanted = entries(&raw, header.count, pos)?.skip(skip);
        let first = wanted.next().map(<[u8]>::to_vec);
        self.ready.extend(wanted.map(<[u8]>::to_vec));
        Ok(first)
    }
}
