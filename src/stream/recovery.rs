//! Opening an existing stream directory after a clean shutdown or a crash: leftovers
//! of interrupted operations are removed, the active segment's frames are CRC-checked
//! and its torn tail cut (or the open refused, per `CorruptionPolicy`). Sealed
//! segments are not read: their frame index is loaded on first read.

use super::writer::{ActiveSegment, Writer};
use super::{index_path, parse_numbered, segment_path, SealedRef, Shared, Stream, View};
use crate::error::io_context;
use crate::format::segment_header::{is_unfinished, SegmentHeader, MAX_HEADER_LEN};
use crate::format::stream_name;
use crate::storage::open_segments::OpenSegment;
use crate::storage::scan::scan_segment;
use crate::storage::vfs::{read_exact_at, replace_file, OpenMode};
use crate::{CorruptionPolicy, Error, ReadStrategy, Result, SyncMode};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Recovers the stream in `root/dir_name`; `None` if the directory holds no segment
/// (a stream whose creation a crash interrupted: it is removed).
pub(crate) fn recover_stream(shared: &Arc<Shared>, dir_name: &str) -> Result<Option<Stream>> {
    let vfs = &shared.vfs;
    let dir = shared.options.root_path.join(dir_name);
    let entries = vfs
        .list_dir(&dir)
        .map_err(|e| io_context(e, "list", &dir))?;
    let mut segments = Vec::new();
    let mut indexes = Vec::new();
    for entry in entries.iter().filter(|e| !e.is_dir) {
        if let Some(start) = parse_numbered(&entry.name, "wal") {
            segments.push(start);
        } else if let Some(start) = parse_numbered(&entry.name, "idx") {
            indexes.push(start);
        } else if entry.name.ends_with(".tmp") {
            remove(shared, dir.join(&entry.name))?;
        }
    }
    segments.sort_unstable();
    // The active segment, its handle and header. A last segment whose header was never
    // completely written holds no frame (segments are created complete, by rename, so
    // this is damage, or a file from an older release). Another segment before it ends
    // where it starts: it goes. As the only one, its name is all that says where the
    // stream's ids continue (after a truncate, past 0): it gets a fresh header.
    let (active_start, file, file_len, header, data_start) = loop {
        let Some(&start) = segments.last() else {
            for start in indexes {
                remove(shared, index_path(&dir, start))?;
            }
            // Fails harmlessly if someone else's files are in it; the directory is skipped.
            let _ = vfs.remove_dir(&dir);
            return Ok(None);
        };
        let path = segment_path(&dir, start);
        let context = |e, action: &str| io_context(e, action, &path);
        let file = vfs
            .open(&path, OpenMode::ReadWrite)
            .map_err(|e| context(e, "open"))?;
        let file_len = file.len().map_err(|e| context(e, "stat"))?;
        let mut head = vec![0u8; (MAX_HEADER_LEN as u64).min(file_len) as usize];
        read_exact_at(&*file, &mut head, 0).map_err(|e| context(e, "read header of"))?;
        if is_unfinished(&head, file_len) {
            if shared.options.on_corruption == CorruptionPolicy::Error {
                return Err(Error::Corruption(format!(
                    "{}: segment header was never completely written ({file_len} bytes)",
                    path.display()
                )));
            }
            match (segments.len(), stream_name::decode(dir_name)) {
                (1, Some(name)) => rewrite_header(shared, &path, start, name)?,
                _ => {
                    remove(shared, path)?;
                    vfs.sync_dir(&dir)
                        .map_err(|e| io_context(e, "fsync directory", &dir))?;
                    segments.pop();
                }
            }
            continue;
        }
        let (header, data_start) = SegmentHeader::decode(&head, &path.display().to_string())?;
        break (start, file, file_len, header, data_start);
    };
    // An index of the active segment is stale by definition; one without its segment
    // is left over from a truncate.
    for start in indexes
        .into_iter()
        .filter(|s| *s == active_start || segments.binary_search(s).is_err())
    {
        remove(shared, index_path(&dir, start))?;
    }
    let path = segment_path(&dir, active_start);
    let context = |e, action: &str| io_context(e, action, &path);
    if header.start_id != active_start || stream_name::encode(&header.stream) != dir_name {
        return Err(Error::Corruption(format!(
            "{}: header says stream {:?} segment {}, which does not match its path",
            path.display(),
            header.stream,
            header.start_id
        )));
    }
    let name = header.stream;
    let policy = shared.options.on_corruption;
    let scanned = scan_segment(
        file.clone(),
        active_start,
        data_start,
        file_len,
        shared.options.read_buffer_size,
        header.preallocated,
    )
    .map_err(|e| context(e, "scan"))?;
    if let (Some(damage), CorruptionPolicy::Error) = (scanned.damage.first(), policy) {
        return Err(Error::Corruption(format!(
            "stream {name:?}, {}: damaged frame at offset {} (ids {:?}) followed by valid frames",
            path.display(),
            damage.offset,
            damage.ids
        )));
    }
    let mut allocated = file_len;
    if let Some(torn_at) = scanned.torn_at {
        if policy == CorruptionPolicy::Error {
            return Err(Error::Corruption(format!(
                "stream {name:?}, {}: torn or damaged tail at offset {torn_at} ({} bytes)",
                path.display(),
                file_len - torn_at
            )));
        }
        // Shrink only: the tail holds no complete frame. Durable before new frames land.
        file.set_len(torn_at)
            .map_err(|e| context(e, "cut torn tail of"))?;
        file.sync_data().map_err(|e| context(e, "fsync"))?;
        allocated = torn_at;
    } else if scanned.index.data_end < file_len && policy == CorruptionPolicy::Truncate {
        // Zeros after the last frame of a preallocated segment (left by a crash, or
        // appended from outside): trimmed, so the file ends at its last frame as after
        // a clean close (`Error` changes no file). Not fsynced: zeros that come back
        // are free space again.
        file.set_len(scanned.index.data_end)
            .map_err(|e| context(e, "trim zeros after the last frame of"))?;
        allocated = scanned.index.data_end;
    }
    let index = scanned.index;
    // Reads of the active segment go through the scan's mapping until they reach past
    // it: replay after open finds its pages mapped, and the open does not unmap them.
    let active_map = match shared.options.read_strategy {
        ReadStrategy::Mmap => scanned.mapping.map(Arc::new),
        ReadStrategy::StandardIo => None,
    };
    let active = ActiveSegment {
        start_id: active_start,
        len: index.data_end,
        next_id: index.end_id,
        allocated,
        preallocated: header.preallocated,
        single_entry_frames: header.single_entry_frames,
    };
    let view = View {
        sealed: segments[..segments.len() - 1]
            .iter()
            .map(|&start_id| SealedRef::closed(start_id))
            .collect(),
        active: Some(index),
        active_map,
    };
    let stream = Stream::with_state(shared.clone(), name, dir, Writer::recovered(active), view);
    shared
        .open_segments
        .insert((stream.uid, active_start), OpenSegment::Active(file));
    Ok(Some(stream))
}

/// Replaces segment `start_id` of stream `name` with one holding only its header
/// (temp file, fsync, rename, directory fsync).
fn rewrite_header(shared: &Shared, path: &Path, start_id: u64, name: String) -> Result<()> {
    let header = SegmentHeader {
        start_id,
        stream: name,
        preallocated: shared.options.sync_mode == SyncMode::Strict,
        single_entry_frames: true,
    };
    replace_file(&*shared.vfs, path, &header.encode())
        .map(drop)
        .map_err(|failed| io_context(failed.error, "rewrite the header of", path))
}

fn remove(shared: &Shared, path: PathBuf) -> Result<()> {
    match shared.vfs.remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(io_context(e, "remove leftover", &path))
        }
        _ => Ok(()),
    }
}
