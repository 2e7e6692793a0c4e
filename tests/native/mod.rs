//! Helpers for the tests that build and run programs against the C library (C, C++,
//! Go, Zig, the installed library): where the repository and the freshly built
//! `libironwal.{so,a}` are, the C and C++ compilers, the documented static link line,
//! running a program with a timeout, and checks that name `scripts/install-test-deps.sh`
//! when a tool is missing. Each test uses a subset; [`programs`] builds and runs the C
//! and C++ test programs and examples.
#![allow(dead_code)]

pub mod programs;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const INSTALL_HINT: &str =
    "install the test tools with `scripts/install-test-deps.sh` (Debian, as root)";

pub const SANITIZE_FLAGS: &[&str] = &["-fsanitize=address,undefined", "-fno-omit-frame-pointer"];

pub const ASAN_OPTIONS: &str = "detect_leaks=1";

pub const UBSAN_OPTIONS: &str = "halt_on_error=1:print_stacktrace=1";

pub const VALGRIND_ARGS: &[&str] = &[
    "--leak-check=full",
    "--errors-for-leak-kinds=definite",
    "--error-exitcode=1",
];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory with `libironwal.so` and `libironwal.a`: the test binary runs from
/// `<target>/debug/deps`, the libraries are in `<target>/debug`. `cargo test` builds the
/// crate only as the rlib the tests link, so the C libraries are built here, once, with
/// the features this test was compiled with (a no-op when they are current).
pub fn lib_dir() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("the test binary's path");
            let dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("the test binary is in <target>/<profile>/deps")
                .to_path_buf();
            let mut cargo = Command::new(env!("CARGO"));
            cargo
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args(["build", "--lib", "--target-dir"])
                .arg(dir.parent().expect("<target>"));
            if cfg!(feature = "sharded") {
                cargo.args(["--features", "sharded"]);
            }
            if dir.file_name().is_some_and(|profile| profile == "release") {
                cargo.arg("--release");
            }
            let status = cargo.status().expect("run cargo build");
            assert!(status.success(), "cargo build --lib failed: {status}");
            for lib in ["libironwal.so", "libironwal.a"] {
                assert!(
                    dir.join(lib).is_file(),
                    "{} is missing after cargo build",
                    dir.join(lib).display()
                );
            }
            dir
        })
        .clone()
}

pub fn include_dir() -> PathBuf {
    repo().join("include")
}

/// Writes a line to the real stderr, bypassing the test harness's capture, so that
/// the counts show in `cargo test` output.
pub fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether the library under test was built with a Cargo feature (the tests are built
/// with the same features as the library).
pub fn feature_enabled(feature: &str) -> Option<bool> {
    match feature {
        "compression" => Some(cfg!(feature = "compression")),
        "sharded" => Some(cfg!(feature = "sharded")),
        _ => None,
    }
}

/// The C compiler cc would use for this target, with `-O0 -g`.
pub fn compiler() -> Command {
    cc_compiler(false)
}

/// The C++ compiler cc would use for this target, with `-O0 -g`.
pub fn cxx_compiler() -> Command {
    cc_compiler(true)
}

fn cc_compiler(cpp: bool) -> Command {
    cc::Build::new()
        .cpp(cpp)
        .target(env!("IRONWAL_TARGET"))
        .host(env!("IRONWAL_TARGET"))
        .opt_level(0)
        .debug(true)
        .cargo_metadata(false)
        .get_compiler()
        .to_command()
}

pub struct Outcome {
    pub success: bool,
    pub status: String,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs a command with stdout/stderr to files, killing it after `timeout`.
pub fn run(mut cmd: Command, log_dir: &Path, tag: &str, timeout: Duration) -> Outcome {
    let out_path = log_dir.join(format!("{tag}.stdout"));
    let err_path = log_dir.join(format!("{tag}.stderr"));
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    Outcome {
        success: status.is_some_and(|s| s.success()),
        status: match status {
            Some(s) => s.to_string(),
            None => format!("killed after {timeout:?} (hung?)"),
        },
        stdout: read(&out_path),
        stderr: read(&err_path),
        elapsed,
    }
}

/// The last `max` bytes of a text, on a char boundary.
pub fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut at = text.len() - max;
    while !text.is_char_boundary(at) {
        at += 1;
    }
    &text[at..]
}

/// Runs `f` over `items` on as many threads as there are cores; results in order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, items.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= items.len() {
                    break;
                }
                let result = f(&items[i]);
                results.lock().unwrap()[i] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item was processed"))
        .collect()
}

#[derive(Debug, Clone)]
pub struct LinkLine {
    /// Where it is documented.
    pub source: String,
    /// The line as written.
    pub line: String,
    /// Its system libraries (`-l...` after the archive), in order.
    pub libs: Vec<String>,
}

/// Static link lines in a text: a command line (backslash continuations joined) that
/// names `libironwal.a` and system libraries with `-l`.
pub fn find_link_lines(text: &str, source: &str) -> Vec<LinkLine> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for raw in text.lines() {
        let line = raw.trim().trim_start_matches('#').trim();
        let line = line.strip_prefix("$ ").unwrap_or(line);
        if let Some(start) = line.strip_suffix('\\') {
            current.push_str(start);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        joined.push(std::mem::take(&mut current));
    }
    joined
        .into_iter()
        .filter(|line| {
            line.split_whitespace()
                .any(|t| t.trim_matches('`').ends_with("libironwal.a") && !t.contains("$("))
        })
        .filter_map(|line| {
            let libs: Vec<String> = line
                .split_whitespace()
                .map(|t| t.trim_matches('`').to_string())
                .filter(|t| t.starts_with("-l") && t != "-lironwal" && t != "-l:libironwal.a")
                .collect();
            (!libs.is_empty()).then(|| LinkLine {
                source: source.to_string(),
                line: line.trim().to_string(),
                libs,
            })
        })
        .collect()
}

/// README.md's static link line if it has one, else examples-c/Makefile's. When both
/// document one, they must list the same libraries.
pub fn documented_static_link_line() -> LinkLine {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap_or_default();
    let makefile = std::fs::read_to_string(repo().join("examples-c/Makefile"))
        .expect("examples-c/Makefile documents the static link line");
    let from_makefile = find_link_lines(&makefile, "examples-c/Makefile");
    assert!(
        !from_makefile.is_empty(),
        "examples-c/Makefile has no static link line (a `cc ... libironwal.a -l...` comment)"
    );
    for other in &from_makefile[1..] {
        assert_eq!(
            other.libs, from_makefile[0].libs,
            "examples-c/Makefile documents two different static link lines"
        );
    }
    // The variable the Makefile's `static` target links with.
    let variable = makefile
        .lines()
        .find_map(|l| l.strip_prefix("IRONWAL_STATIC_LIBS :="))
        .expect("examples-c/Makefile defines IRONWAL_STATIC_LIBS");
    let variable: Vec<String> = variable.split_whitespace().map(String::from).collect();
    assert_eq!(
        variable, from_makefile[0].libs,
        "examples-c/Makefile: IRONWAL_STATIC_LIBS differs from its documented link line"
    );
    match find_link_lines(&readme, "README.md").into_iter().next() {
        Some(documented) => {
            assert_eq!(
                documented.libs, from_makefile[0].libs,
                "README.md's static link line `{}` and examples-c/Makefile's `{}` list \
                 different system libraries",
                documented.line, from_makefile[0].line
            );
            documented
        }
        None => from_makefile[0].clone(),
    }
}

pub fn require_tool(program: &str, args: &[&str], what: &str) {
    match Command::new(program).args(args).output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "{what}: `{program} {}` failed ({}): {}\n{INSTALL_HINT}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(e) => panic!("{what}: cannot run `{program}`: {e}\n{INSTALL_HINT}"),
    }
}

/// The compiler can build and run a sanitized program.
pub fn require_sanitizers() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("probe.c");
    std::fs::write(&source, "int main(void) { return 0; }\n").unwrap();
    let exe = dir.path().join("probe");
    let output = compiler()
        .args(SANITIZE_FLAGS)
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("the C compiler runs");
    assert!(
        output.status.success(),
        "the C compiler cannot build with {SANITIZE_FLAGS:?} (libasan / libubsan missing?):\n{}\n{INSTALL_HINT}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ran = Command::new(&exe)
        .env("ASAN_OPTIONS", ASAN_OPTIONS)
        .output()
        .expect("the probe runs");
    assert!(
        ran.status.success(),
        "a sanitized empty program fails to run ({}):\n{}\n(LeakSanitizer needs ptrace; \
         under a debugger or a restrictive sandbox it cannot work)\n{INSTALL_HINT}",
        ran.status,
        String::from_utf8_lossy(&ran.stderr)
    );
}
