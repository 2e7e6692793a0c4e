//! The Go binding (`bindings/go`, cgo) against the freshly built `libironwal.so`:
//!
//! - `gofmt -l` lists nothing and `go vet ./...` is clean,
//! - `go test -race -count=1 -v ./...` passes: every `func Test...` in the binding's
//!   `_test.go` files must report `--- PASS`, and the count is reported, e.g.
//!   `go_bindings: 28/28 Go tests passed under -race (9.1 s)`,
//! - `go run ./example <dir>` runs twice on one directory (the second run reopens what
//!   the first wrote); its output is checked, and the WAL is read back with the crate.
//!
//! The C library exports the sharded API whatever the crate's features (src/lib.rs), so
//! the sharded Go tests run in every configuration.
//!
//! Go (Debian's golang-go, 1.19, with cgo) must be installed; a missing `go` fails with
//! a message naming `scripts/install-test-deps.sh`. Nothing is downloaded
//! (GOPROXY=off; the binding has no dependencies). Go's build cache, GOPATH and module
//! cache are under the cargo target directory (`<target>/go-bindings/`), not $HOME; the
//! first run compiles the race-enabled runtime into that cache, later runs reuse it.

mod native;

use native::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// How long one `go` command may take, a cold build cache included.
const TIMEOUT: Duration = Duration::from_secs(600);

fn binding_dir() -> PathBuf {
    repo().join("bindings/go")
}

/// `<target>/go-bindings`: Go's caches and the logs of the commands run here.
fn work_dir() -> PathBuf {
    let dir = lib_dir()
        .parent()
        .expect("<target>/<profile> has a parent")
        .join("go-bindings");
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    dir
}

fn require_go() {
    require_tool(
        "go",
        &["version"],
        "the Go binding's tests need Go with cgo (Debian's golang-go)",
    );
}

/// `go <args>` in bindings/go, linked against the library under test, with Go's
/// caches under the target directory and no network. Panics with its output if it
/// fails.
fn go(tag: &str, args: &[&str]) -> Outcome {
    require_go();
    let lib = lib_dir();
    let work = work_dir();
    let mut cmd = Command::new("go");
    cmd.current_dir(binding_dir())
        .args(args)
        .env("CGO_ENABLED", "1")
        .env(
            "CGO_LDFLAGS",
            format!("-L{0} -Wl,-rpath,{0}", lib.display()),
        )
        .env("GOCACHE", work.join("cache"))
        .env("GOPATH", work.join("gopath"))
        .env("GOMODCACHE", work.join("gopath/pkg/mod"))
        .env("GOFLAGS", "-buildvcs=false")
        .env("GO111MODULE", "on")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOWORK", "off")
        .env("GOENV", "off");
    let outcome = run(cmd, &work.join("logs"), tag, TIMEOUT);
    assert!(
        outcome.success,
        "`go {}` in bindings/go failed ({}):\n{}\n{}",
        args.join(" "),
        outcome.status,
        tail(&outcome.stdout, 16000),
        tail(&outcome.stderr, 8000)
    );
    outcome
}

/// The names of the `func TestXxx(t *testing.T)` in the binding's `_test.go` files.
fn test_functions() -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(binding_dir()).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with("_test.go") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        names.extend(text.lines().filter_map(|line| {
            let rest = line.strip_prefix("func Test")?;
            let name = rest.split('(').next()?;
            rest.contains("*testing.T)").then(|| format!("Test{name}"))
        }));
    }
    names.sort();
    names
}

/// The top-level tests `go test -v` reported with `--- <verdict>: Name (...)`.
fn reported(stdout: &str, verdict: &str) -> Vec<String> {
    let prefix = format!("--- {verdict}: ");
    let mut names: Vec<String> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter_map(|rest| rest.split_whitespace().next().map(String::from))
        .collect();
    names.sort();
    names
}

#[test]
fn go_binding_is_gofmt_and_vet_clean() {
    // gofmt ships with Go, in GOROOT/bin.
    let goroot = go("go-env-goroot", &["env", "GOROOT"]);
    let gofmt = PathBuf::from(goroot.stdout.trim()).join("bin/gofmt");
    let listed = Command::new(&gofmt)
        .args(["-l", "."])
        .current_dir(binding_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}\n{INSTALL_HINT}", gofmt.display()));
    assert!(listed.status.success(), "gofmt -l failed: {listed:?}");
    let unformatted = String::from_utf8_lossy(&listed.stdout);
    assert!(
        unformatted.trim().is_empty(),
        "bindings/go: not gofmt-formatted:\n{unformatted}"
    );
    go("go-vet", &["vet", "./..."]);
    report("go_bindings: gofmt -l and go vet ./... clean");
}

#[test]
fn go_tests_pass_under_the_race_detector() {
    let outcome = go("go-test", &["test", "-race", "-count=1", "-v", "./..."]);
    let expected = test_functions();
    assert!(!expected.is_empty(), "no `func Test...` in bindings/go");
    let passed = reported(&outcome.stdout, "PASS");
    let failed = reported(&outcome.stdout, "FAIL");
    let skipped = reported(&outcome.stdout, "SKIP");
    assert!(
        failed.is_empty() && skipped.is_empty(),
        "Go tests failed {failed:?} or skipped {skipped:?}"
    );
    assert_eq!(
        passed, expected,
        "the Go tests that passed are not the tests in bindings/go/*_test.go"
    );
    assert!(
        !outcome.stdout.contains("WARNING: DATA RACE"),
        "the race detector reported a race:\n{}",
        tail(&outcome.stdout, 16000)
    );
    report(&format!(
        "go_bindings: {}/{} Go tests passed under -race ({:.1} s)",
        passed.len(),
        expected.len(),
        outcome.elapsed.as_secs_f64()
    ));
}

#[test]
fn go_example_writes_a_wal_rust_reads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("wal");
    let root_arg = root.to_str().expect("a UTF-8 temp path");
    let first = go("go-run-1", &["run", "./example", root_arg]);
    let second = go("go-run-2", &["run", "./example", root_arg]);

    let expected = |id: u64, batch: u64| {
        format!(
            "IronWal {version}\nWritten entry at ID: {id}\nRead: \"Hello, IronWal!\"\n\
             Batch written to IDs {batch} to {end}\n  {batch}: Transaction Start\n  \
             {b1}: Update A\n  {b2}: Update B\nAppending to an empty stream name: \
             ironwal: Append: IRONWAL_ERR_INVALID_ARGUMENT: Invalid stream name: stream \
             name is empty\n",
            version = env!("CARGO_PKG_VERSION"),
            end = batch + 3,
            b1 = batch + 1,
            b2 = batch + 2,
        )
    };
    assert_eq!(first.stdout, expected(0, 0), "the first run's output");
    assert_eq!(second.stdout, expected(1, 3), "the second run's output");

    // What the example wrote is a WAL like any other.
    let wal = ironwal::Wal::new(ironwal::WalOptions::new(&root)).expect("open the example's WAL");
    assert_eq!(wal.bounds("logs").unwrap(), Some(0..2));
    assert_eq!(wal.bounds("transactions").unwrap(), Some(0..6));
    for id in 0..2 {
        assert_eq!(
            wal.get("logs", id).unwrap().as_deref(),
            Some(&b"Hello, IronWal!"[..])
        );
    }
    for (id, entry) in ["Transaction Start", "Update A", "Update B"]
        .iter()
        .cycle()
        .take(6)
        .enumerate()
    {
        assert_eq!(
            wal.get("transactions", id as u64).unwrap().as_deref(),
            Some(entry.as_bytes())
        );
    }
    report(&format!(
        "go_bindings: example ran twice and its WAL reads back ({:.1} s)",
        (first.elapsed + second.elapsed).as_secs_f64()
    ));
}
