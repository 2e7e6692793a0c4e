//! The published `okaywal` 0.3.1 with its default configuration (1 MiB preallocated
//! segment files, checkpoint after 768 KiB). One log per directory with no streams: an
//! entry is one `begin_entry` / `write_chunk` / `commit` (every commit is fsynced, with
//! fsyncs shared between threads); a batch is one entry of many chunks. Durable
//! workloads only: okaywal has no non-durable write and no read by sequence id.

use super::{other, Impl, Layout, Mode, Reader, Strategy, Writer};
use okaywal::{Entry, EntryId, LogManager, SegmentReader, WriteAheadLog};
use std::io;
use std::path::Path;

/// A log manager that keeps nothing: checkpointing just lets okaywal recycle files.
#[derive(Debug)]
struct Discard;

impl LogManager for Discard {
    fn recover(&mut self, _entry: &mut Entry<'_>) -> io::Result<()> {
        Ok(())
    }

    fn checkpoint_to(
        &mut self,
        _last: EntryId,
        _entries: &mut SegmentReader,
        _wal: &WriteAheadLog,
    ) -> io::Result<()> {
        Ok(())
    }
}

pub struct OkayWal;

impl Impl for OkayWal {
    fn name(&self) -> String {
        "okaywal".into()
    }

    fn writer(
        &self,
        dir: &Path,
        mode: Mode,
        _layout: Layout,
        streams: &[&str],
    ) -> io::Result<Box<dyn Writer>> {
        if mode == Mode::Async || streams.len() != 1 {
            return Err(other("okaywal: durable single-log workloads only"));
        }
        Ok(Box::new(OkayWriter {
            log: Some(WriteAheadLog::recover(dir, Discard)?),
        }))
    }

    fn reader(&self, _: &Path, _: Strategy, _: Layout, _: &str) -> io::Result<Box<dyn Reader>> {
        Err(other("okaywal: not in read workloads"))
    }

    fn reopen(
        &self,
        _: &Path,
        _: Strategy,
        _: Layout,
        _: &[&str],
        _: u64,
    ) -> io::Result<(f64, u64)> {
        Err(other("okaywal: not in reopen workloads"))
    }
}

struct OkayWriter {
    log: Option<WriteAheadLog>,
}

impl OkayWriter {
    fn log(&self) -> &WriteAheadLog {
        self.log.as_ref().expect("open until dropped")
    }
}

impl Writer for OkayWriter {
    fn append(&self, _stream: usize, entry: &[u8]) -> io::Result<()> {
        let mut writer = self.log().begin_entry()?;
        writer.write_chunk(entry)?;
        writer.commit().map(drop)
    }

    fn append_batch(&self, _stream: usize, entries: &[&[u8]]) -> io::Result<()> {
        let mut writer = self.log().begin_entry()?;
        for entry in entries {
            writer.write_chunk(entry)?;
        }
        writer.commit().map(drop)
    }
}

impl Drop for OkayWriter {
    fn drop(&mut self) {
        // Stops the checkpointing thread; errors are not part of any measurement.
        if let Some(log) = self.log.take() {
            let _ = log.shutdown();
        }
    }
}
