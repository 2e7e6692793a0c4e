//! One stream: its segments, its writer and its readers' view. A stream lives in its
//! own directory; the highest-numbered segment is the active one, all others are
//! sealed and never change again.

mod group_commit;
mod reader;
mod recovery;
mod truncate;
mod writer;

pub(crate) use reader::FrameCursor;
pub(crate) use recovery::recover_stream;

use crate::format::frame_index::FrameIndex;
use crate::storage::block_cache::BlockCache;
use crate::storage::open_segments::{OpenSegments, SealedSegment};
use crate::storage::segment_map::SegmentMap;
use crate::storage::vfs::Vfs;
use crate::WalOptions;
use group_commit::GroupCommit;
use parking_lot::{Mutex, RwLock};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// What all streams of one `Wal` share.
pub(crate) struct Shared {
    pub options: WalOptions,
    pub vfs: Arc<dyn Vfs>,
    pub open_segments: OpenSegments,
    pub block_cache: Option<BlockCache>,
    next_stream_uid: AtomicU64,
    /// Whether the root's own entry and its stream entries are known durable.
    root_durable: AtomicBool,
}

impl Shared {
    pub fn new(options: WalOptions, vfs: Arc<dyn Vfs>) -> Self {
        Shared {
            open_segments: OpenSegments::new(options.max_open_segments),
            block_cache: options.block_cache_size.map(BlockCache::new),
            options,
            vfs,
            next_stream_uid: AtomicU64::new(1),
            root_durable: AtomicBool::new(false),
        }
    }

    /// Fsyncs the root and its parent once per `Wal`: a previous process may have died
    /// between creating them (or a stream directory) and fsyncing their directories.
    pub fn ensure_root_durable(&self) -> std::io::Result<()> {
        if self.root_durable.load(Ordering::Acquire) {
            return Ok(());
        }
        let root = &self.options.root_path;
        self.vfs.sync_dir(root)?;
        if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
            self.vfs.sync_dir(parent)?;
        }
        self.root_durable.store(true, Ordering::Release);
        Ok(())
    }

    fn stream_uid(&self) -> u64 {
        self.next_stream_uid.fetch_add(1, Ordering::Relaxed)
    }
}

/// What readers see of a stream. Updated by the writer after a frame is in the kernel,
/// so a reader never finds an id whose bytes are not readable.
pub(crate) struct View {
    /// The sealed segments, by ascending start id. Segment `i` holds ids
    /// `[sealed[i].start_id, sealed[i + 1].start_id)`, the last one up to the active
    /// segment's start.
    pub sealed: Vec<SealedRef>,
    /// The active segment's index; `None` until the stream exists on disk.
    pub active: Option<FrameIndex>,
    /// With `ReadStrategy::Mmap`: a mapping of the active segment, the one the open's
    /// scan read through or else made by the first read that needs it (and remade when
    /// reads reach past it); dropped on rotation.
    pub active_map: Option<Arc<SegmentMap>>,
}

/// A sealed segment of a stream, and a way to it while it is open.
pub(crate) struct SealedRef {
    pub start_id: u64,
    /// The segment while the shared LRU keeps it open (and any reader holds it): reads
    /// take it from here without the LRU's lock.
    pub open: Weak<SealedSegment>,
}

impl SealedRef {
    pub fn closed(start_id: u64) -> Self {
        SealedRef {
            start_id,
            open: Weak::new(),
        }
    }
}

impl View {
    /// `first retained id .. next id`, once the stream exists.
    pub fn bounds(&self) -> Option<std::ops::Range<u64>> {
        let active = self.active.as_ref()?;
        let first = self.sealed.first().map_or(active.start_id, |s| s.start_id);
        Some(first..active.end_id)
    }

    /// The sealed segment holding `id`, if `id` is below the active segment and not
    /// truncated.
    pub fn sealed_holding(&self, id: u64) -> Option<&SealedRef> {
        let k = self.sealed.partition_point(|s| s.start_id <= id);
        self.sealed[..k].last()
    }

    /// The active segment's mapping, if there is one reaching `end`.
    pub fn mapping_to(&self, end: u64) -> Option<Arc<SegmentMap>> {
        self.active_map
            .as_ref()
            .filter(|map| map.len() >= end)
            .cloned()
    }
}

pub(crate) struct Stream {
    /// Distinguishes this stream's entries in the shared caches.
    uid: u64,
    name: String,
    dir: PathBuf,
    shared: Arc<Shared>,
    writer: Mutex<writer::Writer>,
    view: RwLock<View>,
    group_commit: GroupCommit,
    /// Serializes truncates so their deletions stay in id order.
    truncating: Mutex<()>,
}

impl Stream {
    fn with_state(
        shared: Arc<Shared>,
        name: String,
        dir: PathBuf,
        writer: writer::Writer,
        view: View,
    ) -> Self {
        Stream {
            uid: shared.stream_uid(),
            name,
            dir,
            shared,
            writer: Mutex::new(writer),
            view: RwLock::new(view),
            group_commit: GroupCommit::new(),
            truncating: Mutex::new(()),
        }
    }

    /// A stream that does not exist on disk yet; its first append creates it.
    pub fn new_empty(shared: Arc<Shared>, name: String, dir: PathBuf) -> Self {
        Stream::with_state(
            shared,
            name,
            dir,
            writer::Writer::not_created(),
            View {
                sealed: Vec::new(),
                active: None,
                active_map: None,
            },
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `first retained id .. next id`, or `None` while the stream has no segment.
    pub fn bounds(&self) -> Option<std::ops::Range<u64>> {
        self.view.read().bounds()
    }

    pub fn current_segment_start_id(&self) -> Option<u64> {
        self.view.read().active.as_ref().map(|a| a.start_id)
    }

    fn segment_path(&self, start_id: u64) -> PathBuf {
        segment_path(&self.dir, start_id)
    }

    /// Names the stream and the segment file that holds `id`, for messages that
    /// cannot carry them otherwise (`Error::CrcMismatch` has fixed fields).
    pub fn describe_id(&self, id: u64) -> Option<String> {
        let view = self.view.read();
        let start_id = match &view.active {
            Some(active) if id >= active.start_id => active.start_id,
            _ => view.sealed_holding(id)?.start_id,
        };
        drop(view);
        Some(self.describe(&self.segment_path(start_id)))
    }

    /// Names the stream and a file in messages.
    fn describe(&self, path: &Path) -> String {
        format!("stream {:?}, {}", self.name, path.display())
    }
}

pub(crate) fn segment_path(dir: &Path, start_id: u64) -> PathBuf {
    dir.join(format!("{start_id:020}.wal"))
}

pub(crate) fn index_path(dir: &Path, start_id: u64) -> PathBuf {
    dir.join(format!("{start_id:020}.idx"))
}

/// The start id of a `<20 digits>.<ext>` file name.
pub(crate) fn parse_numbered(name: &str, ext: &str) -> Option<u64> {
    let digits = name.strip_suffix(ext)?.strip_suffix('.')?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())?
}
