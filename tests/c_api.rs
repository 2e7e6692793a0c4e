//! The C API from C: builds every C test program in `ctests/` and every example in
//! `examples-c/` against the C library and runs them,
//!
//! - linked dynamically against `libironwal.so` (rpath to the target directory),
//! - linked statically against `libironwal.a` with the documented static link line
//!   (README.md's once it has one, else the one at the top of `examples-c/Makefile`),
//!   whose system libraries must include every one `rustc --print native-static-libs`
//!   reports for this crate,
//! - built with `-fsanitize=address,undefined` and run with leak detection,
//! - run under valgrind (definite leaks and memory errors fail).
//!
//! Each C program takes an empty scratch directory (a fresh temp dir here), prints one
//! line per failed check and `ctest <name>: N checks, M failed`, and exits non-zero on
//! any failure. A new program is picked up by dropping `ctests/<name>.c` in. A program
//! that needs a Cargo feature says so in a line `ironwal-ctest: requires-feature NAME`
//! and is left out (with a note in the output) when the library is built without it.
//!
//! The number of C checks each configuration ran is written to stderr (not captured
//! by the test harness), e.g. `c_api dynamic: 8 C programs, 7378 C checks passed, ...`.
//!
//! The building, running and counting is shared with tests/cpp_api.rs in
//! tests/native/programs.rs; this file has the C compiler's flags and the tests.
//!
//! Tools: gcc's sanitizer runtimes (libasan, libubsan), valgrind and make. A missing
//! tool fails its test with a message naming `scripts/install-test-deps.sh`, which
//! installs them on Debian; nothing is skipped silently.

mod native;

use native::programs::*;
use native::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const C: Language = Language {
    test: "c_api",
    name: "C",
    extension: "c",
    summary_prefix: "ctest",
};

/// Every C file in ctests/ and examples-c/ compiles cleanly with these.
const C_FLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"];

/// Compiles and links one C file into `out`. The static build links only what the
/// documented static link line names; the dynamic one adds `-pthread`.
fn compile_c(source: &Path, out: &Path, build: Build) -> Result<(), String> {
    let mut cmd = compiler();
    cmd.args(C_FLAGS);
    let after_link: &[&str] = match build.linking {
        Linking::Dynamic => &["-pthread"],
        Linking::Static => &[],
    };
    compile(&C, cmd, source, out, build, after_link)
}

/// Builds every program in ctests/ as `build` says and runs each under `runner`.
fn run_ctests(config: &str, build: Build, runner: Runner) {
    let programs = discover_programs(&C, &repo().join("ctests"));
    run_programs(
        &C,
        config,
        &programs,
        |source, exe| compile_c(source, exe, build),
        runner,
    );
}

// ---------------------------------------------------------------------------------
// The documented static link line

/// What `rustc --print native-static-libs` reports for this crate's staticlib, built
/// with the features of this test build into a target directory of its own (kept, so
/// later runs are quick: cargo replays the note).
fn native_static_libs() -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    let target_dir = lib_dir().join("c_api-native-static-libs");
    let features: Vec<&str> = ["compression", "sharded"]
        .into_iter()
        .filter(|f| feature_enabled(f) == Some(true))
        .collect();
    let mut cmd = Command::new(&cargo);
    cmd.arg("rustc")
        .arg("--manifest-path")
        .arg(repo().join("Cargo.toml"))
        .args([
            "--lib",
            "--crate-type",
            "staticlib",
            "--no-default-features",
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    cmd.args(["--", "--print", "native-static-libs"])
        .env_remove("CARGO_TARGET_DIR");
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{cmd:?} failed:\n{stderr}");
    let line = stderr
        .lines()
        .chain(stdout.lines())
        .find_map(|l| {
            l.split_once("native-static-libs:")
                .map(|(_, libs)| libs.to_string())
        })
        .unwrap_or_else(|| {
            panic!("{cmd:?} printed no `native-static-libs:` note:\n{stdout}\n{stderr}")
        });
    line.split_whitespace().map(String::from).collect()
}

// ---------------------------------------------------------------------------------
// The tests

#[test]
fn ctests_linked_dynamically() {
    run_ctests("dynamic", Build::DYNAMIC, Runner::Direct);
}

#[test]
fn ctests_linked_statically_with_the_documented_link_line() {
    let line = documented_static_link_line();
    report(&format!(
        "c_api static: linking with the line documented in {}: {}",
        line.source, line.line
    ));
    run_ctests("static", Build::STATIC, Runner::Direct);
}

#[test]
fn documented_static_link_line_has_every_native_static_lib() {
    let documented = documented_static_link_line();
    let reported = native_static_libs();
    let have: BTreeSet<&String> = documented.libs.iter().collect();
    let missing: Vec<&String> = reported.iter().filter(|l| !have.contains(l)).collect();
    assert!(
        missing.is_empty(),
        "the static link line documented in {} lacks {missing:?}.\n  documented: {}\n  \
         rustc --print native-static-libs: {}\nAdd them (in rustc's order) to the README, \
         and to examples-c/Makefile (the comment and IRONWAL_STATIC_LIBS).",
        documented.source,
        documented.line,
        reported.join(" ")
    );
    let wanted: BTreeSet<&String> = reported.iter().collect();
    let extra: Vec<&String> = documented
        .libs
        .iter()
        .filter(|l| !wanted.contains(l))
        .collect();
    if !extra.is_empty() {
        report(&format!(
            "c_api: note: the documented static link line also names {extra:?}, which rustc \
             does not ask for"
        ));
    }
    if documented.libs != reported {
        report(&format!(
            "c_api: note: documented order `{}` differs from rustc's `{}`",
            documented.libs.join(" "),
            reported.join(" ")
        ));
    }
}

#[test]
fn ctests_under_address_and_undefined_sanitizers() {
    require_sanitizers();
    run_ctests("asan+ubsan", Build::SANITIZED, Runner::Sanitizers);
}

#[test]
fn ctests_under_valgrind() {
    require_tool("valgrind", &["--version"], "valgrind is not installed");
    run_ctests("valgrind", Build::DYNAMIC, Runner::Valgrind);
}

/// Every example compiles with the strict flags and runs in a fresh directory, twice
/// (the second run reopens what the first wrote).
#[test]
fn c_examples_build_and_run() {
    let examples = discover_programs(&C, &repo().join("examples-c"));
    let work = tempfile::Builder::new()
        .prefix("ironwal-c_api-examples-")
        .tempdir()
        .unwrap();
    let results = parallel_map(&examples, |example| -> Result<(), String> {
        let exe = work.path().join(format!("{}.bin", example.name));
        compile_c(&example.source, &exe, Build::DYNAMIC)?;
        let expected: &[(&str, &str)] = if example.name == "quickstart" {
            &[
                ("Written entry at ID: 0", "Written entry at ID: 1"),
                ("Read: \"Hello, IronWal!\"", "Read: \"Hello, IronWal!\""),
                ("Batch written to IDs 0 to 3", "Batch written to IDs 3 to 6"),
            ]
        } else {
            &[]
        };
        run_example_twice(&exe, work.path(), &example.name, &example.path(), expected)
    });
    report_examples(&C, examples.len(), "built and run twice", results);
}

/// `make -C examples-c all static run-all run-static` works, with the library already
/// built by cargo for this test run (no `cargo build --release` from inside a test).
#[test]
fn c_examples_makefile() {
    require_tool("make", &["--version"], "make is not installed");
    let work = tempfile::Builder::new()
        .prefix("ironwal-c_api-make-")
        .tempdir()
        .unwrap();
    let mut cmd = Command::new("make");
    cmd.arg("-C")
        .arg(repo().join("examples-c"))
        .arg("BUILD_LIB=0")
        .arg(format!("LIBDIR={}", lib_dir().display()))
        .arg(format!("OUT={}", work.path().join("build").display()))
        .args(["all", "static", "run-all", "run-static"])
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    let outcome = run(cmd, work.path(), "make", TIMEOUT);
    assert!(
        outcome.success,
        "make failed ({}):\n{}\n{}",
        outcome.status, outcome.stdout, outcome.stderr
    );
    assert_eq!(
        outcome.stdout.matches("Read: \"Hello, IronWal!\"").count(),
        2,
        "quickstart (dynamic and static) prints what it read:\n{}",
        outcome.stdout
    );
    let static_exe = work.path().join("build/quickstart-static");
    let ldd = Command::new("ldd").arg(&static_exe).output();
    if let Ok(ldd) = ldd {
        let libs = String::from_utf8_lossy(&ldd.stdout);
        assert!(
            !libs.contains("libironwal"),
            "quickstart-static still loads libironwal dynamically:\n{libs}"
        );
    }
    report("c_api make: make -C examples-c all static run-all run-static passed");
}
