//! Deleting whole sealed segments below a safe id.
//!
//! Crash safety: readers stop seeing the segments first, then the files are deleted
//! oldest first with a directory fsync after each, so whatever a crash leaves is a
//! contiguous run of segments ending at the active one (which is never deleted).

use super::{index_path, Stream};
use crate::error::io_context;
use crate::Result;

impl Stream {
    /// Deletes every sealed segment whose ids are all below `safe_id`; returns how many.
    pub fn truncate(&self, safe_id: u64) -> Result<usize> {
        let _one_truncate_at_a_time = self.truncating.lock();
        let doomed: Vec<u64> = {
            let mut view = self.view.write();
            let Some(active) = &view.active else {
                return Ok(0);
            };
            let active_start = active.start_id;
            let sealed = &view.sealed;
            let count = (0..sealed.len())
                .take_while(|&i| sealed.get(i + 1).map_or(active_start, |s| s.start_id) <= safe_id)
                .count();
            view.sealed.drain(..count).map(|s| s.start_id).collect()
        };
        let vfs = &self.shared.vfs;
        for &start_id in &doomed {
            self.shared.open_segments.remove((self.uid, start_id));
            for path in [index_path(&self.dir, start_id), self.segment_path(start_id)] {
                match vfs.remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(io_context(
                            e,
                            &format!("stream {:?}: delete", self.name),
                            &path,
                        ));
                    }
                    _ => {}
                }
            }
            vfs.sync_dir(&self.dir)
                .map_err(|e| io_context(e, "fsync directory", &self.dir))?;
        }
        Ok(doomed.len())
    }
}
