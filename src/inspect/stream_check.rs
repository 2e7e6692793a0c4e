//! The full check of a root's streams: every segment header, every frame's CRC and ids
//! (by the engine's own scan), id continuity from segment to segment, each sealed
//! segment's frame index against what the scan finds, and leftovers.

use super::layout::StreamDir;
use super::{Fix, Problem, Progress, Remedy};
use crate::error::io_context;
use crate::format::frame_index::FrameIndex;
use crate::format::segment_header::{is_unfinished, SegmentHeader, MAX_HEADER_LEN};
use crate::format::stream_name;
use crate::storage::scan::{scan_segment, ScanOutcome};
use crate::storage::vfs::{read_exact_at, read_file, OpenMode, Vfs};
use crate::stream::{index_path, segment_path};
use crate::{Result, WalOptions};
use std::path::{Path, PathBuf};

/// Checks every stream; `progress` hears of every segment's bytes.
pub(crate) fn check_streams(
    vfs: &dyn Vfs,
    streams: &[StreamDir],
    progress: Progress<'_>,
) -> Result<Vec<Problem>> {
    let mut sizes = Vec::new();
    for stream in streams {
        for &start in &stream.segments {
            let path = segment_path(&stream.path, start);
            let len = vfs
                .open(&path, OpenMode::Read)
                .and_then(|file| file.len())
                .map_err(|e| io_context(e, "stat", &path))?;
            sizes.push(len);
        }
    }
    let total: u64 = sizes.iter().sum();
    let mut sizes = sizes.into_iter();
    let mut done = 0;
    progress(0, total);
    let mut problems = Vec::new();
    for stream in streams {
        let mut check = StreamCheck::new(stream);
        for (k, &start) in stream.segments.iter().enumerate() {
            check.segment(vfs, start, k + 1 == stream.segments.len())?;
            done += sizes.next().unwrap_or(0);
            progress(done, total);
        }
        check.leftovers();
        problems.extend(check.finish());
    }
    Ok(problems)
}

/// A segment file as read.
enum Segment {
    /// Its header was never completely written (an interrupted creation).
    Unfinished,
    BadHeader(String),
    Scanned {
        header: SegmentHeader,
        scan: ScanOutcome,
        len: u64,
    },
}

fn read_segment(vfs: &dyn Vfs, path: &Path, start: u64) -> Result<Segment> {
    let context = |e, action: &str| io_context(e, action, path);
    let file = vfs
        .open(path, OpenMode::Read)
        .map_err(|e| context(e, "open"))?;
    let len = file.len().map_err(|e| context(e, "stat"))?;
    let mut head = vec![0u8; (MAX_HEADER_LEN as u64).min(len) as usize];
    read_exact_at(&*file, &mut head, 0).map_err(|e| context(e, "read header of"))?;
    if is_unfinished(&head, len) {
        return Ok(Segment::Unfinished);
    }
    let (header, data_start) = match SegmentHeader::decode(&head, &path.display().to_string()) {
        Ok(decoded) => decoded,
        Err(e) => return Ok(Segment::BadHeader(e.to_string())),
    };
    let chunk = WalOptions::default().read_buffer_size;
    let scan = scan_segment(file, start, data_start, len, chunk, header.preallocated)
        .map_err(|e| context(e, "scan"))?;
    Ok(Segment::Scanned { header, scan, len })
}

/// Damage that only cutting the stream fixes; its size is known once the stream's
/// end is.
struct Damage {
    path: PathBuf,
    offset: u64,
    what: String,
    cut_id: u64,
    segment: u64,
}

struct StreamCheck<'a> {
    dir: &'a StreamDir,
    /// The stream's name, from the directory or the first readable header.
    name: Option<String>,
    problems: Vec<Problem>,
    damage: Vec<Damage>,
    /// One past the last id of the last segment scanned whole, when the next segment
    /// must start there.
    expected_start: Option<u64>,
    /// One past the last id found so far.
    end_id: u64,
}

impl<'a> StreamCheck<'a> {
    fn new(dir: &'a StreamDir) -> Self {
        StreamCheck {
            name: dir.name.clone(),
            dir,
            problems: Vec::new(),
            damage: Vec::new(),
            expected_start: None,
            end_id: 0,
        }
    }

    fn recovery(&mut self, path: PathBuf, offset: Option<u64>, what: String) {
        self.problems.push(Problem {
            path,
            offset,
            what,
            remedy: Remedy::Recovery,
            fix: None,
        });
    }

    fn damaged(&mut self, segment: u64, offset: u64, cut_id: u64, what: String) {
        self.damage.push(Damage {
            path: segment_path(&self.dir.path, segment),
            offset,
            what,
            cut_id,
            segment,
        });
    }

    fn segment(&mut self, vfs: &dyn Vfs, start: u64, last: bool) -> Result<()> {
        let path = segment_path(&self.dir.path, start);
        self.end_id = self.end_id.max(start);
        let expected_start = self.expected_start.take();
        let (header, scan, len) = match read_segment(vfs, &path, start)? {
            Segment::Unfinished if last => {
                let what = "segment header was never completely written (its creation was \
                            interrupted): the file holds no entry";
                self.recovery(path, None, what.into());
                return Ok(());
            }
            Segment::Unfinished => {
                let what = "segment header was never completely written, yet later segments exist";
                self.damaged(start, 0, start, what.into());
                return Ok(());
            }
            Segment::BadHeader(why) => {
                self.damaged(start, 0, start, why);
                return Ok(());
            }
            Segment::Scanned { header, scan, len } => (header, scan, len),
        };
        if header.start_id != start || stream_name::encode(&header.stream) != self.dir.dir_name {
            let what = format!(
                "header says stream {:?} from id {}, which does not match the file's path",
                header.stream, header.start_id
            );
            self.damaged(start, 0, start, what);
            self.end_id = scan.index.end_id;
            return Ok(());
        }
        self.name.get_or_insert(header.stream);
        if let Some(expected) = expected_start.filter(|&e| e != start) {
            let what = format!(
                "the previous segment ends at id {expected}, this one starts at id {start}"
            );
            self.damaged(start, 0, start, what);
        }
        for damage in &scan.damage {
            let what = format!(
                "damaged frame(s): ids {}..{} are unreadable, valid frames follow",
                damage.ids.start, damage.ids.end
            );
            self.damaged(start, damage.offset, damage.ids.start, what);
        }
        let end = scan.index.end_id;
        self.end_id = end;
        match scan.torn_at {
            Some(at) if last => {
                let what = format!(
                    "torn tail: {} bytes after the last complete frame (cut on open)",
                    len - at
                );
                self.recovery(path.clone(), Some(at), what);
            }
            Some(at) => {
                let what = format!(
                    "sealed segment has {} bytes after its last complete frame (id {}): \
                     the rest of its ids are unreadable",
                    len - at,
                    end.saturating_sub(1)
                );
                self.damaged(start, at, end, what);
            }
            None => self.expected_start = Some(end),
        }
        let has_index = self.dir.indexes.binary_search(&start).is_ok();
        if last && has_index {
            let what = "frame index of the active segment is stale (removed on open)";
            self.recovery(index_path(&self.dir.path, start), None, what.into());
        } else if !last && scan.damage.is_empty() && scan.torn_at.is_none() {
            self.problems
                .extend(check_index(vfs, &self.dir.path, start, len, scan.index));
        }
        Ok(())
    }

    /// Leftovers recovery removes: temporary files, indexes without a segment, a
    /// directory without segments.
    fn leftovers(&mut self) {
        let dir = self.dir;
        for temp in &dir.temps {
            let what = "leftover temporary file of an interrupted write (removed on open)";
            self.recovery(dir.path.join(temp), None, what.into());
        }
        for &start in &dir.indexes {
            if dir.segments.binary_search(&start).is_err() {
                let what = "frame index without its segment (removed on open)";
                self.recovery(index_path(&dir.path, start), None, what.into());
            }
        }
        if dir.segments.is_empty() {
            let what = "stream directory without segments: its creation was interrupted \
                        (removed on open)";
            self.recovery(dir.path.clone(), None, what.into());
        }
    }

    fn finish(mut self) -> Vec<Problem> {
        let stream = self
            .name
            .clone()
            .unwrap_or_else(|| self.dir.dir_name.clone());
        for damage in self.damage {
            self.problems.push(Problem {
                path: damage.path,
                offset: Some(damage.offset),
                what: damage.what,
                remedy: Remedy::Truncate {
                    stream: stream.clone(),
                    cut_id: damage.cut_id,
                    entries_cut: self.end_id.saturating_sub(damage.cut_id),
                },
                fix: Some(Fix::CutStream {
                    dir: self.dir.path.clone(),
                    stream: self.name.clone(),
                    segment: damage.segment,
                    offset: damage.offset,
                }),
            });
        }
        self.problems
    }
}

/// A problem with the index of a sealed segment of `len` bytes that scanned clean to
/// `scanned`: missing, unreadable, damaged, stale, or not what the segment holds.
fn check_index(
    vfs: &dyn Vfs,
    dir: &Path,
    start: u64,
    len: u64,
    scanned: FrameIndex,
) -> Option<Problem> {
    let path = index_path(dir, start);
    let what = match read_file(vfs, &path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "frame index is missing".into(),
        Err(e) => format!("frame index cannot be read: {e}"),
        Ok(bytes) => match FrameIndex::decode(&bytes, start, len) {
            Err(e) => e.to_string(),
            Ok(index) if index != scanned => "frame index does not match its segment".into(),
            Ok(_) => return None,
        },
    };
    Some(Problem {
        path: path.clone(),
        offset: None,
        what,
        remedy: Remedy::Rewrite,
        fix: Some(Fix::RebuildIndex {
            path,
            index: scanned,
        }),
    })
}
