//! What the numbers were measured on.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

pub struct Machine {
    pub cpus: String,
    pub cpu_model: String,
    pub memory: String,
    pub filesystem: String,
    pub kernel: String,
    pub rustc: String,
    /// Median latency of an overwrite of 128 B in place + fdatasync (no size change).
    pub fdatasync_us: f64,
    /// Median latency of an append of 136 B + fdatasync (the file grows).
    pub append_fdatasync_us: f64,
    /// The same two, measured again at the end of the run (other load on the machine
    /// shows up as a difference).
    pub end_fdatasync_us: Option<(f64, f64)>,
}

fn run(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub fn describe(dir: &Path, samples: usize) -> Machine {
    let cpus = run("nproc", &[]).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into())
    });
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = run("lscpu", &[])
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Model name:"))
                .map(|l| l["Model name:".len()..].trim().to_string())
        })
        .or_else(|| {
            cpuinfo
                .lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let dir_s = dir.to_string_lossy().to_string();
    let filesystem = run(
        "findmnt",
        &["-n", "-o", "FSTYPE,SOURCE,OPTIONS", "-T", &dir_s],
    )
    .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
    .or_else(|| run("df", &["-T", &dir_s]).and_then(|s| s.lines().nth(1).map(|l| l.to_string())))
    .unwrap_or_else(|| "unknown".into());
    let kernel = run("uname", &["-srm"]).unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string()
    });
    let rustc = run("rustc", &["--version"]).unwrap_or_else(|| "unknown".into());
    let (fdatasync_us, append_fdatasync_us) = fdatasync_latency(dir, samples);
    Machine {
        cpus,
        cpu_model,
        memory,
        filesystem,
        kernel,
        rustc,
        fdatasync_us,
        append_fdatasync_us,
        end_fdatasync_us: None,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (overwrite + fdatasync, append + fdatasync) median latencies in µs, on `dir`'s
/// file system.
pub fn fdatasync_latency(dir: &Path, samples: usize) -> (f64, f64) {
    std::fs::create_dir_all(dir).expect("the data directory");
    let path = dir.join("fdatasync-probe");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .expect("probe file");
    file.write_all_at(&[0u8; 4096], 0).expect("write");
    file.sync_all().expect("fsync");
    let block = [7u8; 136];
    let sync = || {
        // SAFETY: a valid descriptor.
        assert_eq!(unsafe { libc::fdatasync(file.as_raw_fd()) }, 0, "fdatasync");
    };
    // Interleaved, so that both see the same background load.
    let (mut overwrite, mut append) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    for i in 0..samples {
        let t = Instant::now();
        file.write_all_at(&block, (i % 16 * 136) as u64)
            .expect("write");
        sync();
        overwrite.push(t.elapsed().as_secs_f64() * 1e6);
        let t = Instant::now();
        file.write_all_at(&block, 4096 + (i * 136) as u64)
            .expect("write");
        sync();
        append.push(t.elapsed().as_secs_f64() * 1e6);
    }
    drop(file);
    let _ = std::fs::remove_file(&path);
    (median(overwrite), median(append))
}
