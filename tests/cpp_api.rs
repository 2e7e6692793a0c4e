//! The C++ wrapper (`include/ironwal.hpp`) from C++: builds every test program in
//! `cpptests/` and every example in `examples-cpp/` with the C++ compiler the cc crate
//! picks for this target, and runs them
//!
//! - linked dynamically against `libironwal.so` (rpath to the target directory), C++17,
//! - linked statically against `libironwal.a` with the documented static link line
//!   (README.md's, else `examples-c/Makefile`'s; the C++ driver adds libstdc++), C++17,
//! - built with `-fsanitize=address,undefined` and run with leak detection, C++20,
//! - run under valgrind (definite leaks and memory errors fail), C++17.
//!
//! Every file compiles with `-Wall -Wextra -Werror -pedantic` plus the conversion,
//! shadowing and old-style-cast warnings a strict user project turns on, so the
//! header stays clean in both standards.
//!
//! Each test program takes an empty scratch directory (a fresh temp dir here), prints
//! one line per failed check and `cpptest <name>: N checks, M failed`, and exits
//! non-zero on any failure (see `cpptests/check.hpp`). A new program is picked up by
//! dropping `cpptests/<name>.cpp` in; one that needs a Cargo feature says so in a line
//! `ironwal-cpptest: requires-feature NAME` and is left out (with a note in the output)
//! when the library is built without it. The number of checks each configuration ran is
//! written to stderr (not captured by the test harness), e.g.
//! `cpp_api dynamic (c++17): 5 C++ programs, 11438 C++ checks passed, ...`.
//!
//! The building, running and counting is shared with tests/c_api.rs in
//! tests/native/programs.rs; this file has the C++ compiler's flags and the tests.
//!
//! Tools: g++ (or the compiler in `CXX`) with the sanitizer runtimes, and valgrind. A
//! missing tool fails its test with a message naming `scripts/install-test-deps.sh`.

mod native;

use native::programs::*;
use native::*;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

const CPP: Language = Language {
    test: "cpp_api",
    name: "C++",
    extension: "cpp",
    summary_prefix: "cpptest",
};

/// Every C++ file compiles cleanly with these (and `-std=c++17` or `-std=c++20`).
const CXX_FLAGS: &[&str] = &[
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-Wconversion",
    "-Wsign-conversion",
    "-Wshadow",
    "-Wold-style-cast",
];

/// The C++ compiler builds and runs a program using the standard library; fails the
/// test (naming the install script) otherwise. Checked once.
fn require_cxx_compiler() {
    static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
    let checked = CHECKED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("probe.cpp");
        std::fs::write(
            &source,
            "#include <string>\nint main() { std::string s(\"ok\"); return s.size() == 2 ? 0 : 1; }\n",
        )
        .unwrap();
        let exe = dir.path().join("probe");
        let mut cmd = cxx_compiler();
        cmd.arg("-std=c++17").arg(&source).arg("-o").arg(&exe);
        let output = cmd
            .output()
            .map_err(|e| format!("cannot run the C++ compiler {cmd:?}: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "the C++ compiler cannot build a C++17 program ({cmd:?}):\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        match Command::new(&exe).status() {
            Ok(status) if status.success() => Ok(()),
            other => Err(format!("a C++ probe program does not run: {other:?}")),
        }
    });
    if let Err(message) = checked {
        panic!("{message}\n{INSTALL_HINT}");
    }
}

/// Compiles and links one C++ file in `standard` (`c++17` or `c++20`) into `out`, with
/// `-pthread` for std::thread (the C++ driver links the C++ standard library itself).
fn compile_cpp(source: &Path, out: &Path, standard: &str, build: Build) -> Result<(), String> {
    let mut cmd = cxx_compiler();
    cmd.arg(format!("-std={standard}")).args(CXX_FLAGS);
    compile(&CPP, cmd, source, out, build, &["-pthread"])
}

/// Builds every program in cpptests/ in `standard` as `build` says and runs each under
/// `runner`; the configuration is reported as `<name> (<standard>)`.
fn run_cpptests(name: &str, standard: &str, build: Build, runner: Runner) {
    require_cxx_compiler();
    let programs = discover_programs(&CPP, &repo().join("cpptests"));
    run_programs(
        &CPP,
        &format!("{name} ({standard})"),
        &programs,
        |source, exe| compile_cpp(source, exe, standard, build),
        runner,
    );
}

// ---------------------------------------------------------------------------------
// The tests

#[test]
fn cpptests_linked_dynamically() {
    run_cpptests("dynamic", "c++17", Build::DYNAMIC, Runner::Direct);
}

#[test]
fn cpptests_linked_statically_with_the_documented_link_line() {
    let line = documented_static_link_line();
    report(&format!(
        "cpp_api static: linking with the libraries of the line documented in {}: {}",
        line.source,
        line.libs.join(" ")
    ));
    run_cpptests("static", "c++17", Build::STATIC, Runner::Direct);
}

#[test]
fn cpptests_under_address_and_undefined_sanitizers() {
    require_sanitizers();
    run_cpptests("asan+ubsan", "c++20", Build::SANITIZED, Runner::Sanitizers);
}

#[test]
fn cpptests_under_valgrind() {
    require_tool("valgrind", &["--version"], "valgrind is not installed");
    run_cpptests("valgrind", "c++17", Build::DYNAMIC, Runner::Valgrind);
}

/// Every example compiles in C++17 and C++20 and runs in a fresh directory, twice (the
/// second run reopens what the first wrote); the quickstart prints what it did.
#[test]
fn cpp_examples_build_and_run() {
    require_cxx_compiler();
    let examples = discover_programs(&CPP, &repo().join("examples-cpp"));
    let work = tempfile::Builder::new()
        .prefix("ironwal-cpp_api-examples-")
        .tempdir()
        .unwrap();
    let builds: Vec<(&Program, &str)> = examples
        .iter()
        .flat_map(|example| [(example, "c++17"), (example, "c++20")])
        .collect();
    let results = parallel_map(&builds, |&(example, standard)| -> Result<(), String> {
        let tag = format!("{}-{standard}", example.name);
        let exe = work.path().join(format!("{tag}.bin"));
        compile_cpp(&example.source, &exe, standard, Build::DYNAMIC)?;
        let expected: &[(&str, &str)] = if example.name == "quickstart" {
            &[
                ("Written entry at ID: 0", "Written entry at ID: 1"),
                ("Read: \"Hello, IronWal!\"", "Read: \"Hello, IronWal!\""),
                ("Batch written to IDs 0 to 3", "Batch written to IDs 3 to 6"),
                ("  2: Update B", "  5: Update B"),
                (
                    "Appending to an empty stream name: IRONWAL_ERR_INVALID_ARGUMENT",
                    "Appending to an empty stream name: IRONWAL_ERR_INVALID_ARGUMENT",
                ),
            ]
        } else {
            &[]
        };
        let what = format!("{} ({standard})", example.path());
        run_example_twice(&exe, work.path(), &tag, &what, expected)
    });
    report_examples(
        &CPP,
        examples.len(),
        "built in C++17 and C++20 and run twice each",
        results,
    );
}
