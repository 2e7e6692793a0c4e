//! The Zig binding (`bindings/zig`) against the freshly built static library
//! `libironwal.a`:
//!
//! - `zig build test` runs the binding's Zig tests; every `test` block must pass and
//!   the count is reported, e.g. `zig_bindings: 8/8 Zig tests passed (12.3 s)`,
//! - `zig build run -- <dir>` runs the example on an empty temporary directory; its
//!   output is checked, and the WAL it wrote is read back with the Rust crate.
//!
//! Zig 0.15.2 runs as `python3 -m ziglang`; a missing or other Zig fails the test with
//! a message naming `scripts/install-test-deps.sh`. Zig's caches and install prefix are
//! under the cargo target directory (`<target>/zig-bindings/`), so a run leaves nothing
//! in `bindings/zig`. The first run compiles Zig's build runner and runtime pieces into
//! that cache; later runs reuse it.

mod native;

use native::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The Zig version `bindings/zig/build.zig` is written for (its API changes between
/// releases); scripts/install-test-deps.sh pins the same.
const ZIG_VERSION: &str = "0.15.2";
/// How long one `zig build` may take, a cold cache included, before it is killed.
const TIMEOUT: Duration = Duration::from_secs(300);

fn binding_dir() -> PathBuf {
    repo().join("bindings/zig")
}

fn require_zig() {
    let what = format!("the Zig binding's tests need Zig {ZIG_VERSION}");
    require_tool("python3", &["-m", "ziglang", "version"], &what);
    let output = Command::new("python3")
        .args(["-m", "ziglang", "version"])
        .output()
        .expect("python3 runs");
    let found = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert_eq!(
        found, ZIG_VERSION,
        "{what}, found Zig {found}\n{INSTALL_HINT}"
    );
}

/// What `zig build` leaves in the source tree when run without our cache and prefix
/// options; those present before a run (a developer's own build) are not ours.
fn source_tree_outputs() -> Vec<PathBuf> {
    [".zig-cache", "zig-out"]
        .iter()
        .map(|name| binding_dir().join(name))
        .filter(|path| path.exists())
        .collect()
}

/// Runs `python3 -m ziglang build <step> -- <step_args>` in bindings/zig against the
/// library under test, with Zig's caches and install prefix under the target
/// directory. Panics with Zig's output if it fails.
fn zig_build(tag: &str, step: &str, step_args: &[&str]) -> Outcome {
    require_zig();
    let lib_dir = lib_dir();
    let work = lib_dir
        .parent()
        .expect("<target>/<profile> has a parent")
        .join("zig-bindings");
    let logs = work.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let before = source_tree_outputs();

    let mut cmd = Command::new("python3");
    cmd.current_dir(binding_dir())
        .args(["-m", "ziglang", "build", step])
        .arg("--summary")
        .arg("all")
        .arg(format!("-Dironwal-lib-dir={}", lib_dir.display()))
        .arg(format!("-Dironwal-include-dir={}", include_dir().display()))
        .arg("--cache-dir")
        .arg(work.join("cache"))
        .arg("--global-cache-dir")
        .arg(work.join("global-cache"))
        .arg("--prefix")
        .arg(work.join("prefix"));
    if !step_args.is_empty() {
        cmd.arg("--").args(step_args);
    }
    let outcome = run(cmd, &logs, tag, TIMEOUT);
    assert!(
        outcome.success,
        "`zig build {step}` in bindings/zig failed ({}):\n{}\n{}",
        outcome.status,
        tail(&outcome.stdout, 4000),
        tail(&outcome.stderr, 16000)
    );
    let left = source_tree_outputs();
    let new: Vec<_> = left.iter().filter(|path| !before.contains(path)).collect();
    assert!(
        new.is_empty(),
        "`zig build {step}` wrote into the source tree: {new:?}"
    );
    outcome
}

/// `Build Summary: 3/3 steps succeeded; 8/8 tests passed` -> (8, 8).
fn tests_passed(summary: &str) -> Option<(u64, u64)> {
    let line = summary
        .lines()
        .find(|line| line.starts_with("Build Summary:"))?;
    let counts = line
        .split("; ")
        .find_map(|part| part.strip_suffix(" tests passed"))?;
    let (passed, total) = counts.split_once('/')?;
    Some((passed.parse().ok()?, total.parse().ok()?))
}

/// The `test "..."` blocks in the binding's sources: Zig must run every one.
fn test_blocks_in_sources() -> u64 {
    let src = binding_dir().join("src");
    let mut count = 0;
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "zig") {
            let text = std::fs::read_to_string(&path).unwrap();
            count += text
                .lines()
                .filter(|line| line.starts_with("test \""))
                .count() as u64;
        }
    }
    count
}

#[test]
fn zig_tests_pass() {
    let outcome = zig_build("zig-build-test", "test", &[]);
    let (passed, total) = tests_passed(&outcome.stderr).unwrap_or_else(|| {
        panic!(
            "no `N/M tests passed` in zig's build summary:\n{}",
            tail(&outcome.stderr, 4000)
        )
    });
    let expected = test_blocks_in_sources();
    assert!(expected > 0, "no `test \"...\"` blocks in bindings/zig/src");
    assert_eq!(
        (passed, total),
        (expected, expected),
        "bindings/zig/src has {expected} tests; zig ran {total} and {passed} passed"
    );
    report(&format!(
        "zig_bindings: {passed}/{total} Zig tests passed ({:.1} s)",
        outcome.elapsed.as_secs_f64()
    ));
}

#[test]
fn zig_example_writes_a_wal_rust_reads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("wal");
    let outcome = zig_build("zig-build-run", "run", &[root.to_str().unwrap()]);

    let orders = ["order-1001", "order-1002", "order-1003", "order-1004"];
    let mut expected = format!(
        "ironwal {}\nappend: id 0\nbatch: ids 1 to 3\nget 2: order-1003\nget 99: not found\n",
        env!("CARGO_PKG_VERSION")
    );
    for (id, order) in orders.iter().enumerate() {
        expected.push_str(&format!("  {id}: {order}\n"));
    }
    expected.push_str("reopened: ids 0 to 3\n");
    assert_eq!(outcome.stdout, expected, "the Zig example's output");

    // What the example wrote is a WAL like any other.
    let wal = ironwal::Wal::new(ironwal::WalOptions::new(&root)).expect("open the example's WAL");
    assert_eq!(wal.bounds("orders").unwrap(), Some(0..4));
    for (id, order) in orders.iter().enumerate() {
        assert_eq!(
            wal.get("orders", id as u64).unwrap().as_deref(),
            Some(order.as_bytes())
        );
    }
    report(&format!(
        "zig_bindings: example ran and its WAL reads back ({:.1} s)",
        outcome.elapsed.as_secs_f64()
    ));
}

/// build.zig.zon names the version of the crate it binds.
#[test]
fn zig_package_version_is_the_crate_version() {
    let zon = std::fs::read_to_string(binding_dir().join("build.zig.zon")).unwrap();
    let version = zon
        .lines()
        .find_map(|line| line.trim().strip_prefix(".version = \""))
        .and_then(|rest| rest.strip_suffix("\","))
        .expect("build.zig.zon has a `.version = \"...\",` line");
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
}
