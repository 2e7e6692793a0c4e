//! `ironwal` (this crate) and `upstream` (the published ironwal 0.6.9): the same API,
//! so one macro writes both adapters. Options are set field by field on
//! `WalOptions::default()` (upstream has more fields), everything else at its default.

use super::{other, rss_kib, Impl, Layout, Mode, Reader, Strategy, Writer};
use std::io;
use std::path::Path;
use std::time::Instant;

macro_rules! wal_adapter {
    ($adapter:ident, $krate:ident, $label:literal) => {
        pub struct $adapter;

        impl $adapter {
            fn options(
                dir: &Path,
                mode: Mode,
                strategy: Strategy,
                layout: Layout,
            ) -> $krate::WalOptions {
                let mut o = $krate::WalOptions::default();
                o.root_path = dir.to_path_buf();
                o.sync_mode = match mode {
                    Mode::Strict => $krate::SyncMode::Strict,
                    Mode::BatchOnly => $krate::SyncMode::BatchOnly,
                    Mode::Async => $krate::SyncMode::Async,
                };
                o.read_strategy = match strategy {
                    Strategy::StandardIo => $krate::ReadStrategy::StandardIo,
                    Strategy::Mmap => $krate::ReadStrategy::Mmap,
                };
                if let Some(s) = layout.max_segment_size {
                    o.max_segment_size = s;
                }
                if let Some(n) = layout.max_entries_per_segment {
                    o.max_entries_per_segment = n;
                }
                o
            }
        }

        impl Impl for $adapter {
            fn name(&self) -> String {
                $label.to_string()
            }

            fn writer(
                &self,
                dir: &Path,
                mode: Mode,
                layout: Layout,
                streams: &[&str],
            ) -> io::Result<Box<dyn Writer>> {
                let wal = $krate::Wal::new(Self::options(dir, mode, Strategy::StandardIo, layout))
                    .map_err(other)?;
                Ok(Box::new(WalWriter {
                    wal,
                    streams: streams.iter().map(|s| s.to_string()).collect(),
                }))
            }

            fn reader(
                &self,
                dir: &Path,
                strategy: Strategy,
                layout: Layout,
                stream: &str,
            ) -> io::Result<Box<dyn Reader>> {
                let wal = $krate::Wal::new(Self::options(dir, Mode::Async, strategy, layout))
                    .map_err(other)?;
                Ok(Box::new(WalReader {
                    wal,
                    stream: stream.to_string(),
                }))
            }

            fn reopen(
                &self,
                dir: &Path,
                strategy: Strategy,
                layout: Layout,
                streams: &[&str],
                per_stream: u64,
            ) -> io::Result<(f64, u64)> {
                let options = Self::options(dir, Mode::Async, strategy, layout);
                let t = Instant::now();
                let wal = $krate::Wal::new(options).map_err(other)?;
                let secs = t.elapsed().as_secs_f64();
                let (hwm, _) = rss_kib();
                for s in streams {
                    let last = wal.get(s, per_stream - 1).map_err(other)?;
                    if last.map(|e| crate::adapters::stamped(&e)) != Some(per_stream - 1) {
                        return Err(other(format!(
                            "{}: stream {s} lacks entry {}",
                            $label,
                            per_stream - 1
                        )));
                    }
                }
                Ok((secs, hwm))
            }
        }

        struct WalWriter {
            wal: $krate::Wal,
            streams: Vec<String>,
        }

        impl Writer for WalWriter {
            #[inline]
            fn append(&self, stream: usize, entry: &[u8]) -> io::Result<()> {
                self.wal
                    .append(&self.streams[stream], entry)
                    .map(drop)
                    .map_err(other)
            }

            fn append_n(&self, entry: &mut [u8], n: u64) -> io::Result<()> {
                let stream = &self.streams[0];
                for i in 0..n {
                    crate::adapters::stamp(entry, i);
                    self.wal.append(stream, entry).map_err(other)?;
                }
                Ok(())
            }

            fn append_batch(&self, stream: usize, entries: &[&[u8]]) -> io::Result<()> {
                self.wal
                    .append_batch(&self.streams[stream], entries)
                    .map(drop)
                    .map_err(other)
            }
        }

        struct WalReader {
            wal: $krate::Wal,
            stream: String,
        }

        impl Reader for WalReader {
            #[inline]
            fn get(&self, id: u64) -> io::Result<Option<Vec<u8>>> {
                self.wal.get(&self.stream, id).map_err(other)
            }

            fn scan(&self, check: &mut dyn FnMut(u64, &[u8])) -> io::Result<(u64, u64)> {
                let (mut n, mut bytes) = (0u64, 0u64);
                for entry in self.wal.iter(&self.stream, 0).map_err(other)? {
                    let entry = entry.map_err(other)?;
                    check(n, &entry);
                    n += 1;
                    bytes += entry.len() as u64;
                }
                Ok((n, bytes))
            }
        }
    };
}

pub mod this {
    use super::*;
    wal_adapter!(ThisCrate, ironwal, "ironwal");
}

pub mod up {
    use super::*;
    wal_adapter!(Upstream, upstream, "upstream");
}

pub use this::ThisCrate;
pub use up::Upstream;
