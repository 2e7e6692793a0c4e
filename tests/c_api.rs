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
//! Tools: gcc's sanitizer runtimes (libasan, libubsan), valgrind and make. A missing
//! tool fails its test with a message naming `scripts/install-test-deps.sh`, which
//! installs them on Debian; nothing is skipped silently.

mod native;

use native::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Every C file in ctests/ and examples-c/ compiles cleanly with these.
const C_FLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"];
/// How long one C program may run before it is killed (a hang is a failure).
const TIMEOUT: Duration = Duration::from_secs(180);
const VALGRIND_TIMEOUT: Duration = Duration::from_secs(900);

// ---------------------------------------------------------------------------------
// C programs

#[derive(Debug, Clone)]
struct CProgram {
    name: String,
    source: PathBuf,
}

/// The `.c` files of a directory, sorted, without the ones whose required feature is
/// off (those are reported).
fn c_programs(dir: &Path) -> Vec<CProgram> {
    let mut programs = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("c") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        let mut wanted = true;
        for line in source.lines() {
            if let Some(at) = line.find("ironwal-ctest: requires-feature ") {
                let feature = line[at + "ironwal-ctest: requires-feature ".len()..]
                    .split(|c: char| c.is_whitespace() || c == '*')
                    .next()
                    .unwrap_or_default();
                match feature_enabled(feature) {
                    Some(true) => {}
                    Some(false) => {
                        report(&format!(
                            "c_api: note: {} left out: the library is built without feature \
                             `{feature}` (run with --features {feature} or --all-features)",
                            path.display()
                        ));
                        wanted = false;
                    }
                    None => panic!("{}: unknown feature `{feature}`", path.display()),
                }
            }
        }
        if wanted {
            programs.push(CProgram { name, source: path });
        }
    }
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!programs.is_empty(), "no C programs in {}", dir.display());
    programs
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Linking {
    /// `-L<target> -lironwal -Wl,-rpath,<target>`.
    Dynamic,
    /// The documented static link line.
    Static,
}

#[derive(Debug, Clone, Copy)]
struct Build {
    linking: Linking,
    sanitize: bool,
}

/// Compiles and links one C file into `out`. `Err` holds the compiler's output.
fn compile(source: &Path, out: &Path, build: Build) -> Result<(), String> {
    let lib_dir = lib_dir();
    let mut cmd = compiler();
    cmd.args(C_FLAGS)
        .arg("-I")
        .arg(include_dir())
        .arg("-I")
        .arg(source.parent().unwrap());
    if build.sanitize {
        cmd.args(SANITIZE_FLAGS);
    }
    cmd.arg(source);
    match build.linking {
        Linking::Dynamic => {
            cmd.arg(format!("-L{}", lib_dir.display()))
                .arg("-lironwal")
                .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
                .arg("-pthread");
        }
        Linking::Static => {
            cmd.arg(lib_dir.join("libironwal.a"))
                .args(&documented_static_link_line().libs);
        }
    }
    cmd.arg("-o").arg(out);
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run the C compiler {cmd:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// `ctest <name>: N checks, M failed` -> (N, M).
fn parse_summary(stdout: &str, name: &str) -> Option<(u64, u64)> {
    let prefix = format!("ctest {name}: ");
    let line = stdout.lines().rev().find(|l| l.starts_with(&prefix))?;
    let rest = &line[prefix.len()..];
    let (checks, rest) = rest.split_once(" checks, ")?;
    let failed = rest.strip_suffix(" failed")?;
    Some((checks.trim().parse().ok()?, failed.trim().parse().ok()?))
}

/// How the C programs are run.
#[derive(Clone, Copy, PartialEq)]
enum Runner {
    Direct,
    Sanitizers,
    Valgrind,
}

/// Builds every program in ctests/ as `build` says, runs each with a fresh scratch
/// directory, reports the checks and fails with every problem found.
fn run_ctests(config: &str, build: Build, runner: Runner) {
    let programs = c_programs(&repo().join("ctests"));
    let work = tempfile::Builder::new()
        .prefix(&format!("ironwal-c_api-{config}-"))
        .tempdir()
        .unwrap();
    let started = Instant::now();
    let results = parallel_map(&programs, |program| -> Result<(u64, Duration), String> {
        let exe = work.path().join(format!("{}.bin", program.name));
        compile(&program.source, &exe, build)?;
        let scratch = work.path().join(format!("{}.scratch", program.name));
        std::fs::create_dir(&scratch).unwrap();
        let (mut cmd, timeout) = match runner {
            Runner::Valgrind => {
                let mut cmd = Command::new("valgrind");
                cmd.args(VALGRIND_ARGS).arg(&exe);
                (cmd, VALGRIND_TIMEOUT)
            }
            _ => (Command::new(&exe), TIMEOUT),
        };
        cmd.arg(&scratch);
        if runner == Runner::Sanitizers {
            cmd.env("ASAN_OPTIONS", ASAN_OPTIONS)
                .env("UBSAN_OPTIONS", UBSAN_OPTIONS);
        }
        let outcome = run(cmd, work.path(), &program.name, timeout);
        let summary = parse_summary(&outcome.stdout, &program.name);
        match summary {
            Some((checks, 0)) if outcome.success => Ok((checks, outcome.elapsed)),
            _ => Err(format!(
                "ctests/{}.c [{config}]: {}, summary {:?}\n--- stdout (tail) ---\n{}\n--- stderr (tail) ---\n{}",
                program.name,
                outcome.status,
                summary,
                tail(&outcome.stdout, 6000),
                tail(&outcome.stderr, 12000),
            )),
        }
    });

    let mut total = 0;
    let mut per_program = Vec::new();
    let mut failures = Vec::new();
    for (program, result) in programs.iter().zip(results) {
        match result {
            Ok((checks, elapsed)) => {
                total += checks;
                per_program.push(format!(
                    "{} {checks} in {:.1}s",
                    program.name,
                    elapsed.as_secs_f64()
                ));
            }
            Err(message) => failures.push(message),
        }
    }
    report(&format!(
        "c_api {config}: {} C programs, {total} C checks passed, {} programs failed ({}) in {:.1}s",
        programs.len(),
        failures.len(),
        per_program.join(", "),
        started.elapsed().as_secs_f64()
    ));
    assert!(
        failures.is_empty(),
        "{} of {} C programs failed [{config}]:\n\n{}",
        failures.len(),
        programs.len(),
        failures.join("\n\n")
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
    run_ctests(
        "dynamic",
        Build {
            linking: Linking::Dynamic,
            sanitize: false,
        },
        Runner::Direct,
    );
}

#[test]
fn ctests_linked_statically_with_the_documented_link_line() {
    let line = documented_static_link_line();
    report(&format!(
        "c_api static: linking with the line documented in {}: {}",
        line.source, line.line
    ));
    run_ctests(
        "static",
        Build {
            linking: Linking::Static,
            sanitize: false,
        },
        Runner::Direct,
    );
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
    run_ctests(
        "asan+ubsan",
        Build {
            linking: Linking::Dynamic,
            sanitize: true,
        },
        Runner::Sanitizers,
    );
}

#[test]
fn ctests_under_valgrind() {
    require_tool("valgrind", &["--version"], "valgrind is not installed");
    run_ctests(
        "valgrind",
        Build {
            linking: Linking::Dynamic,
            sanitize: false,
        },
        Runner::Valgrind,
    );
}

/// Every example compiles with the strict flags and runs in a fresh directory, twice
/// (the second run reopens what the first wrote).
#[test]
fn c_examples_build_and_run() {
    let examples = c_programs(&repo().join("examples-c"));
    let work = tempfile::Builder::new()
        .prefix("ironwal-c_api-examples-")
        .tempdir()
        .unwrap();
    let build = Build {
        linking: Linking::Dynamic,
        sanitize: false,
    };
    let results = parallel_map(&examples, |example| -> Result<(), String> {
        let exe = work.path().join(format!("{}.bin", example.name));
        compile(&example.source, &exe, build)?;
        let data = work
            .path()
            .join(format!("{}.scratch", example.name))
            .join("data");
        let mut outputs = Vec::new();
        for round in 0..2 {
            let mut cmd = Command::new(&exe);
            cmd.arg(&data);
            let tag = format!("{}-{round}", example.name);
            let outcome = run(cmd, work.path(), &tag, TIMEOUT);
            if !outcome.success {
                return Err(format!(
                    "examples-c/{}.c run {round}: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    example.name,
                    outcome.status,
                    tail(&outcome.stdout, 6000),
                    tail(&outcome.stderr, 6000)
                ));
            }
            outputs.push(outcome.stdout);
        }
        if example.name == "quickstart" {
            let expected = [
                ("Written entry at ID: 0", "Written entry at ID: 1"),
                ("Read: \"Hello, IronWal!\"", "Read: \"Hello, IronWal!\""),
                ("Batch written to IDs 0 to 3", "Batch written to IDs 3 to 6"),
            ];
            for (first, second) in expected {
                if !outputs[0].contains(first) || !outputs[1].contains(second) {
                    return Err(format!(
                        "examples-c/quickstart.c: expected `{first}` then `{second}`, got:\n{}\n---\n{}",
                        outputs[0], outputs[1]
                    ));
                }
            }
        }
        Ok(())
    });
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    report(&format!(
        "c_api examples: {} C examples built and run twice, {} failed",
        examples.len(),
        failures.len()
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
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
