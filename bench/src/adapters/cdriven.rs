//! This crate through its C ABI, driven from C (`c/w3_driver.c`): the W3 variant that
//! measures the FFI overhead (argument checks, UTF-8 check of the stream name, the
//! panic boundary, the out-param) against the Rust-driven run of the same engine.

use super::{other, Impl, Layout, Mode, Reader, Strategy, Writer};
use std::ffi::{c_char, c_void, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

extern "C" {
    fn bench_c_open(root: *const c_char, mode: i32, out: *mut *mut c_void) -> i32;
    fn bench_c_close(wal: *mut c_void);
    fn bench_c_append(wal: *mut c_void, stream: *const c_char, entry: *const u8, len: usize)
        -> i32;
    fn bench_c_append_loop(
        wal: *mut c_void,
        stream: *const c_char,
        entry: *mut u8,
        len: usize,
        n: u64,
    ) -> i32;
}

pub struct CDriven;

impl Impl for CDriven {
    fn name(&self) -> String {
        "ironwal C-driven".into()
    }

    fn writer(
        &self,
        dir: &Path,
        mode: Mode,
        layout: Layout,
        streams: &[&str],
    ) -> io::Result<Box<dyn Writer>> {
        if layout.max_segment_size.is_some()
            || layout.max_entries_per_segment.is_some()
            || streams.len() != 1
        {
            return Err(other("C-driven: one stream, default layout only"));
        }
        let root = CString::new(dir.as_os_str().as_bytes()).map_err(other)?;
        let mode = match mode {
            Mode::Strict => 0,
            Mode::BatchOnly => 1,
            Mode::Async => 2,
        };
        let mut wal = std::ptr::null_mut();
        // SAFETY: valid C string and out-pointer.
        let st = unsafe { bench_c_open(root.as_ptr(), mode, &mut wal) };
        if st != 0 {
            return Err(other(format!("ironwal_open failed: status {st}")));
        }
        Ok(Box::new(CWriter {
            wal,
            stream: CString::new(streams[0]).map_err(other)?,
        }))
    }

    fn reader(&self, _: &Path, _: Strategy, _: Layout, _: &str) -> io::Result<Box<dyn Reader>> {
        Err(other("C-driven: W3 only"))
    }

    fn reopen(
        &self,
        _: &Path,
        _: Strategy,
        _: Layout,
        _: &[&str],
        _: u64,
    ) -> io::Result<(f64, u64)> {
        Err(other("C-driven: W3 only"))
    }
}

struct CWriter {
    wal: *mut c_void,
    stream: CString,
}

// SAFETY: an `ironwal_wal` may be used by many threads at once (SPEC §4).
unsafe impl Send for CWriter {}
unsafe impl Sync for CWriter {}

fn status(st: i32) -> io::Result<()> {
    if st == 0 {
        Ok(())
    } else {
        Err(other(format!("ironwal C API: status {st}")))
    }
}

impl Writer for CWriter {
    fn append(&self, _stream: usize, entry: &[u8]) -> io::Result<()> {
        // SAFETY: a live handle, a C string, a buffer of `len` bytes.
        status(unsafe {
            bench_c_append(self.wal, self.stream.as_ptr(), entry.as_ptr(), entry.len())
        })
    }

    fn append_n(&self, entry: &mut [u8], n: u64) -> io::Result<()> {
        // SAFETY: as above; the C loop writes only the first 8 bytes of `entry`.
        status(unsafe {
            bench_c_append_loop(
                self.wal,
                self.stream.as_ptr(),
                entry.as_mut_ptr(),
                entry.len(),
                n,
            )
        })
    }

    fn append_batch(&self, _: usize, _: &[&[u8]]) -> io::Result<()> {
        Err(other("C-driven: W3 only"))
    }
}

impl Drop for CWriter {
    fn drop(&mut self) {
        // SAFETY: the handle came from ironwal_open and is closed once.
        unsafe { bench_c_close(self.wal) };
    }
}
