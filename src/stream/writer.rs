//! The append path of a stream: frames are assigned ids and written under the write
//! lock, one `pwrite` each, then made visible to readers; durability is awaited
//! outside the lock through group commit. Also creates the stream on disk and rotates
//! (seals) segments.

use super::group_commit::SyncTarget;
use super::{index_path, SealedRef, Stream, View};
use crate::error::{io_context, io_error_in};
use crate::format::frame::EncodedFrame;
use crate::format::frame_index::FrameIndex;
use crate::format::segment_header::SegmentHeader;
use crate::storage::open_segments::{OpenSegment, SealedSegment};
use crate::storage::segment_map::SegmentMap;
use crate::storage::vfs::{replace_file, write_all_at, OpenMode, ReplaceStage, VfsFile};
use crate::{Error, ReadStrategy, Result, SyncMode};
use std::ops::Range;
use std::sync::Arc;

/// State only the writer touches (under `Stream::writer`).
pub(crate) struct Writer {
    /// The segment appends go to; `None` until the stream exists on disk.
    active: Option<ActiveSegment>,
    /// Bytes written since open: the log position group commit waits for.
    written: u64,
    /// Whether the stream's directory entries are known durable (true once created or
    /// synced by this `Wal`).
    dirs_durable: bool,
    /// Offset in the active segment below which writeback was started.
    writeback_started: u64,
}

pub(crate) struct ActiveSegment {
    pub start_id: u64,
    /// Bytes in use: header plus complete frames. Appends go here.
    pub len: u64,
    pub next_id: u64,
    /// The file's length. Invariant: every byte in `len..allocated` is zero.
    pub allocated: u64,
    /// Whether the header says so: the file is zero-filled ahead of its frames.
    pub preallocated: bool,
    /// Whether the header's version allows single-entry frames (always, unless the
    /// segment was created before they existed).
    pub single_entry_frames: bool,
}

/// How far ahead of its frames a preallocated segment is zero-filled: as far as the
/// segment already reaches (so a quiet stream holds little free space), at least
/// `ZEROS.len()`, at most this and an eighth of the segment size limit. Strict appends
/// then fdatasync with no file size to update; one in a step's worth of bytes pays.
const MAX_PREALLOCATION_STEP: u64 = 1 << 20;
/// Zeros written when preallocating; also the smallest step.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

/// Shrinks the active segment's file to its last frame: the zeros after it are
/// preallocated free space.
fn trim_free_space(file: &dyn VfsFile, active: &mut ActiveSegment) -> std::io::Result<()> {
    if active.allocated > active.len {
        file.set_len(active.len)?;
        active.allocated = active.len;
    }
    Ok(())
}

/// Outside `Strict` mode (where every append leaves nothing dirty) the kernel is asked
/// to start writing back each this many bytes of frames once written, so the
/// fdatasync that seals a segment (or a `sync`) finds little left to write instead of
/// stalling one append for most of a segment (RocksDB's `wal_bytes_per_sync`).
const WRITEBACK_STEP: u64 = 1 << 20;
/// Writeback is started for whole blocks of this size (a multiple of any page size),
/// so the page the next frame goes to is never under writeback.
const WRITEBACK_ALIGN: u64 = 64 << 10;

impl Writer {
    pub fn not_created() -> Self {
        Writer {
            active: None,
            written: 0,
            dirs_durable: true,
            writeback_started: 0,
        }
    }

    /// A writer for a recovered stream. What the active segment already holds may not
    /// be durable yet (appended in `Async` mode before a clean close, by this process
    /// or another), so it counts as one unsynced byte: the first `sync` fsyncs.
    pub fn recovered(active: ActiveSegment) -> Self {
        Writer {
            active: Some(active),
            written: 1,
            dirs_durable: false,
            writeback_started: 0,
        }
    }
}

impl Stream {
    /// Appends `entries` as one frame (all or nothing) and, if `durable`, returns only
    /// once the frame is on stable storage.
    pub fn append(&self, entries: &[&[u8]], durable: bool) -> Result<Range<u64>> {
        if entries.is_empty() {
            let next = self.bounds().map_or(0, |b| b.end);
            return Ok(next..next);
        }
        let options = &self.shared.options;
        let mut frame =
            EncodedFrame::new(entries, options.compression, options.min_compression_size)?;
        let (ids, position) = self.write_frame(&mut frame)?;
        if durable {
            self.group_commit
                .wait_durable(position, || self.sync_target())?;
        }
        Ok(ids)
    }

    /// Makes everything appended so far durable.
    pub fn sync(&self) -> Result<()> {
        let position = self.writer.lock().written;
        self.group_commit
            .wait_durable(position, || self.sync_target())
    }

    fn write_frame(&self, frame: &mut EncodedFrame) -> Result<(Range<u64>, u64)> {
        let mut writer = self.writer.lock();
        if let Some(failure) = self.group_commit.failure() {
            return Err(Error::Poisoned(failure));
        }
        if writer.active.is_none() {
            self.create_on_disk(&mut writer, 0)?;
        }
        let count = frame.count() as u64;
        let options = &self.shared.options;
        let active = writer.active.as_ref().expect("created above");
        // Its length in this segment, which may not hold single-entry frames.
        let frame_len = match active.single_entry_frames {
            true => frame.len(),
            false => frame.entries_layout_len(),
        };
        let in_segment = active.next_id - active.start_id;
        if in_segment > 0
            && (active.len + frame_len > options.max_segment_size
                || in_segment + count > options.max_entries_per_segment)
        {
            let next_id = active.next_id;
            self.rotate(&mut writer, next_id)?;
        }
        let active = writer.active.as_mut().expect("created above");
        if !active.single_entry_frames {
            frame.use_entries_layout();
        }
        let file = self.segment_file(active.start_id)?;
        let first_id = active.next_id;
        let written = self
            .preallocate(&*file, active, frame.len())
            .and_then(|()| write_all_at(&*file, frame.seal(first_id), active.len));
        if let Err(e) = written {
            // Drop any partial frame so no garbage is left behind the next one.
            let _ = file.set_len(active.len);
            active.allocated = active.len;
            return Err(io_context(
                e,
                &format!("stream {:?}: write at offset {} of", self.name, active.len),
                &self.segment_path(active.start_id),
            ));
        }
        active.len += frame.len();
        active.next_id += count;
        let written_blocks = active.len & !(WRITEBACK_ALIGN - 1);
        writer.written += frame.len();
        if self.shared.options.sync_mode != SyncMode::Strict
            && written_blocks >= writer.writeback_started + WRITEBACK_STEP
        {
            let from = writer.writeback_started;
            file.start_writeback(from, written_blocks - from);
            writer.writeback_started = written_blocks;
        }
        let mut view = self.view.write();
        view.active
            .as_mut()
            .expect("view follows writer")
            .push(first_id, count, frame.len());
        Ok((first_id..first_id + count, writer.written))
    }

    /// Zero-fills a preallocated active segment so that a frame of `frame_len` bytes
    /// fits below `allocated`, a whole step ahead (within the segment size limit).
    fn preallocate(
        &self,
        file: &dyn VfsFile,
        active: &mut ActiveSegment,
        frame_len: u64,
    ) -> std::io::Result<()> {
        let needed = active.len + frame_len;
        if !active.preallocated || needed <= active.allocated {
            return Ok(());
        }
        let max_len = self.shared.options.max_segment_size;
        let step = active
            .len
            .max(ZEROS.len() as u64)
            .min(MAX_PREALLOCATION_STEP)
            .min(max_len / 8);
        let target = needed.max((active.len + step).min(max_len));
        while active.allocated < target {
            let n = (target - active.allocated).min(ZEROS.len() as u64) as usize;
            write_all_at(file, &ZEROS[..n], active.allocated)?;
            active.allocated += n as u64;
        }
        Ok(())
    }

    /// At a clean close (the root still locked): trims the active segment's preallocated
    /// zeros, so the file ends at its last frame. Best effort: zeros left in place are
    /// free space, which recovery trims.
    pub(crate) fn trim_at_close(&self) {
        let mut writer = self.writer.lock();
        if let Some(active) = writer.active.as_mut().filter(|a| a.allocated > a.len) {
            if let Ok(file) = self.segment_file(active.start_id) {
                let _ = trim_free_space(&*file, active);
            }
        }
    }

    /// Makes `floor` the next id if the stream ends below it, in a new segment starting
    /// there: the ids in between are never handed out, and read as `Corruption` (as the
    /// ids of a missing segment do). For entries lost to damage that a durable record (a
    /// checkpoint) still counts.
    pub fn skip_to(&self, floor: u64) -> Result<()> {
        let mut writer = self.writer.lock();
        match &writer.active {
            None => self.create_on_disk(&mut writer, floor),
            Some(active) if active.next_id < floor => self.rotate(&mut writer, floor),
            Some(_) => Ok(()),
        }
    }

    /// What a group-commit leader syncs: the active segment as of now.
    fn sync_target(&self) -> Result<SyncTarget<'_>> {
        let mut writer = self.writer.lock();
        if !writer.dirs_durable {
            self.sync_dirs()?;
            writer.dirs_durable = true;
        }
        let Some(active) = &writer.active else {
            return Err(Error::StreamNotFound(self.name.clone()));
        };
        let start_id = active.start_id;
        Ok(SyncTarget {
            file: self.segment_file(start_id)?,
            written: writer.written,
            what: Box::new(move || self.describe(&self.segment_path(start_id))),
        })
    }

    /// Makes the stream's directory entries durable: a previous process may have died
    /// between creating a segment (or the stream) and fsyncing its directory.
    fn sync_dirs(&self) -> Result<()> {
        self.shared.vfs.sync_dir(&self.dir).map_err(|e| {
            self.fsync_failed(format!("fsync of directory {}", self.dir.display()), e)
        })?;
        self.shared
            .ensure_root_durable()
            .map_err(|e| self.fsync_failed(e.to_string(), e))
    }

    /// Removes `path` (if it exists) and fsyncs the stream directory.
    fn remove_durably(&self, path: &std::path::Path) -> std::io::Result<()> {
        match self.shared.vfs.remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        self.shared.vfs.sync_dir(&self.dir)
    }

    /// Poisons the stream after a failed fsync (or an operation that may have left
    /// something not durable) and returns the error.
    fn fsync_failed(&self, what: String, e: std::io::Error) -> Error {
        let context = format!("stream {:?}: {what} failed", self.name);
        self.group_commit.poison(format!("{context}: {e}"));
        Error::Io(io_error_in(context, e))
    }

    /// The read-write handle of a segment, from the LRU or freshly opened.
    pub(super) fn segment_file(&self, start_id: u64) -> Result<Arc<dyn VfsFile>> {
        self.cached_segment_file(start_id).map_err(|e| {
            let path = self.segment_path(start_id);
            io_context(e, &format!("stream {:?}: open", self.name), &path)
        })
    }

    /// `segment_file` without the error's context.
    pub(super) fn cached_segment_file(&self, start_id: u64) -> std::io::Result<Arc<dyn VfsFile>> {
        let key = (self.uid, start_id);
        match self.shared.open_segments.get(key) {
            Some(OpenSegment::Active(file)) => return Ok(file),
            Some(OpenSegment::Sealed(sealed)) => return Ok(sealed.file.clone()),
            None => {}
        }
        let path = self.segment_path(start_id);
        let file = self.shared.vfs.open(&path, OpenMode::ReadWrite)?;
        Ok(
            match self
                .shared
                .open_segments
                .insert(key, OpenSegment::Active(file))
            {
                OpenSegment::Active(file) => file,
                OpenSegment::Sealed(sealed) => sealed.file.clone(),
            },
        )
    }

    /// First append: the stream directory and its first segment, whose ids start at
    /// `start_id`, made durable.
    fn create_on_disk(&self, writer: &mut Writer, start_id: u64) -> Result<()> {
        let vfs = &self.shared.vfs;
        let root = &self.shared.options.root_path;
        vfs.create_dir_all(&self.dir).map_err(|e| {
            io_context(
                e,
                &format!("stream {:?}: create directory", self.name),
                &self.dir,
            )
        })?;
        let (header_len, preallocated) = self.create_segment(start_id)?;
        vfs.sync_dir(root)
            .map_err(|e| self.fsync_failed(format!("fsync of directory {}", root.display()), e))?;
        self.shared
            .ensure_root_durable()
            .map_err(|e| self.fsync_failed(e.to_string(), e))?;
        writer.active = Some(ActiveSegment {
            start_id,
            len: header_len,
            next_id: start_id,
            allocated: header_len,
            preallocated,
            single_entry_frames: true,
        });
        self.view.write().active = Some(FrameIndex::empty(start_id, header_len));
        Ok(())
    }

    /// Creates segment `start_id` atomically (temp file, fsync, rename, directory
    /// fsync) and caches its handle. Returns the header length and whether the segment
    /// is preallocated (in `Strict` mode, where every append fdatasyncs).
    fn create_segment(&self, start_id: u64) -> Result<(u64, bool)> {
        let path = self.segment_path(start_id);
        let preallocated = self.shared.options.sync_mode == SyncMode::Strict;
        let header = SegmentHeader {
            start_id,
            stream: self.name.clone(),
            preallocated,
            single_entry_frames: true,
        }
        .encode();
        let file = replace_file(&*self.shared.vfs, &path, &header).map_err(|failed| {
            let context = format!("stream {:?}: create", self.name);
            match failed.stage {
                ReplaceStage::BeforeRename => io_context(failed.error, &context, &path),
                // The new segment holds no frame yet: take it back out, durably.
                ReplaceStage::Rename => match self.remove_durably(&path) {
                    Ok(()) => io_context(failed.error, &context, &path),
                    Err(e) => {
                        self.fsync_failed(format!("undoing creation of {}", path.display()), e)
                    }
                },
                ReplaceStage::DirSync => self.fsync_failed(
                    format!("fsync of directory {}", self.dir.display()),
                    failed.error,
                ),
            }
        })?;
        // Replaces any handle cached for an earlier attempt (its file was renamed over).
        self.shared
            .open_segments
            .replace((self.uid, start_id), OpenSegment::Active(file));
        Ok((header.len() as u64, preallocated))
    }

    /// Seals the active segment (fsync, persisted frame index) and starts the next at
    /// `next_id` (the sealed one's end, unless ids are skipped). Sealing fsyncs in every
    /// sync mode: a sealed segment never has a torn tail, so ids stay dense across
    /// segments after any crash.
    fn rotate(&self, writer: &mut Writer, next_id: u64) -> Result<()> {
        let old = writer
            .active
            .as_ref()
            .expect("rotate needs an active segment");
        let (old_start, old_len) = (old.start_id, old.len);
        let old_path = self.segment_path(old_start);
        let file = self.segment_file(old_start)?;
        // A sealed segment ends with its last frame: no preallocated zeros.
        trim_free_space(&*file, writer.active.as_mut().expect("checked above"))
            .map_err(|e| io_context(e, "trim preallocated space of", &old_path))?;
        file.sync_data()
            .map_err(|e| self.fsync_failed(format!("fdatasync of {}", old_path.display()), e))?;
        self.group_commit.mark_durable(writer.written);
        let sealed_index = self
            .view
            .read()
            .active
            .clone()
            .expect("view follows writer");
        self.persist_index(&sealed_index);
        let (header_len, preallocated) = self.create_segment(next_id)?;
        let map = match self.shared.options.read_strategy {
            ReadStrategy::Mmap => file
                .map(old_len)
                .map_err(|e| io_context(e, "map", &old_path))?
                .map(|map| Arc::new(SegmentMap::new(map))),
            ReadStrategy::StandardIo => None,
        };
        let sealed_segment = Arc::new(SealedSegment::new(file, map, sealed_index));
        let open = Arc::downgrade(&sealed_segment);
        // Readers that still see the old view find the sealed handle under the same key.
        self.shared
            .open_segments
            .replace((self.uid, old_start), OpenSegment::Sealed(sealed_segment));
        {
            let mut view = self.view.write();
            let View {
                sealed,
                active,
                active_map,
            } = &mut *view;
            sealed.push(SealedRef {
                start_id: old_start,
                open,
            });
            *active = Some(FrameIndex::empty(next_id, header_len));
            *active_map = None;
        }
        writer.active = Some(ActiveSegment {
            start_id: next_id,
            len: header_len,
            next_id,
            allocated: header_len,
            preallocated,
            single_entry_frames: true,
        });
        writer.writeback_started = 0;
        Ok(())
    }

    /// Writes a sealed segment's frame index next to it. Best effort and not fsynced:
    /// the index is rebuilt from the segment whenever it is missing, stale or damaged.
    pub(super) fn persist_index(&self, index: &FrameIndex) {
        let vfs = &self.shared.vfs;
        let path = index_path(&self.dir, index.start_id);
        let tmp = path.with_extension("idx.tmp");
        let _ = vfs.remove_file(&tmp);
        let written = vfs
            .open(&tmp, OpenMode::CreateNew)
            .and_then(|file| write_all_at(&*file, &index.encode(), 0))
            .and_then(|()| vfs.rename(&tmp, &path));
        if written.is_err() {
            let _ = vfs.remove_file(&tmp);
        }
    }
}
