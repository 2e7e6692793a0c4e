//! Building and running the test programs and examples of a language that uses the C
//! library's header directly (C in `ctests/`, C++ in `cpptests/`): finding them,
//! compiling and linking one dynamically or statically (optionally sanitized), running
//! each directly, under the sanitizers or under valgrind with a scratch directory of its
//! own, and reading its summary line `<prefix> <name>: N checks, M failed`.
//!
//! The test file of a language keeps its compiler, flags and `#[test]` functions.

use super::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long one program may run before it is killed (a hang is a failure).
pub const TIMEOUT: Duration = Duration::from_secs(180);
pub const VALGRIND_TIMEOUT: Duration = Duration::from_secs(900);

/// A language whose programs are built and run, and how its test names them.
pub struct Language {
    /// The test file's name, which starts every reported line: `c_api`.
    pub test: &'static str,
    /// The language in reports and messages: `C`, `C++`.
    pub name: &'static str,
    /// The extension of its source files: `c`, `cpp`.
    pub extension: &'static str,
    /// The first word of a program's summary line (`ctest` in
    /// `ctest <name>: N checks, M failed`). A program that needs a Cargo feature says
    /// so in a line `ironwal-<prefix>: requires-feature NAME`.
    pub summary_prefix: &'static str,
}

#[derive(Debug, Clone)]
pub struct Program {
    pub name: String,
    pub source: PathBuf,
}

impl Program {
    /// The source's path relative to the repository, as messages name it.
    pub fn path(&self) -> String {
        self.source
            .strip_prefix(repo())
            .unwrap_or(&self.source)
            .display()
            .to_string()
    }
}

/// The language's source files in a directory, sorted by name, without the ones whose
/// required feature is off (those are reported).
pub fn discover_programs(language: &Language, dir: &Path) -> Vec<Program> {
    let marker = format!("ironwal-{}: requires-feature ", language.summary_prefix);
    let mut programs = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some(language.extension) {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        let mut wanted = true;
        for line in source.lines() {
            if let Some(at) = line.find(&marker) {
                let feature = line[at + marker.len()..]
                    .split(|c: char| c.is_whitespace() || c == '*')
                    .next()
                    .unwrap_or_default();
                match feature_enabled(feature) {
                    Some(true) => {}
                    Some(false) => {
                        report(&format!(
                            "{}: note: {} left out: the library is built without feature \
                             `{feature}` (run with --features {feature} or --all-features)",
                            language.test,
                            path.display()
                        ));
                        wanted = false;
                    }
                    None => panic!("{}: unknown feature `{feature}`", path.display()),
                }
            }
        }
        if wanted {
            programs.push(Program { name, source: path });
        }
    }
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        !programs.is_empty(),
        "no {} programs in {}",
        language.name,
        dir.display()
    );
    programs
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Linking {
    /// `-L<target> -lironwal -Wl,-rpath,<target>`.
    Dynamic,
    /// `<target>/libironwal.a` and the system libraries of the documented static link
    /// line.
    Static,
}

#[derive(Debug, Clone, Copy)]
pub struct Build {
    pub linking: Linking,
    pub sanitize: bool,
}

impl Build {
    pub const DYNAMIC: Build = Build {
        linking: Linking::Dynamic,
        sanitize: false,
    };
    pub const STATIC: Build = Build {
        linking: Linking::Static,
        sanitize: false,
    };
    pub const SANITIZED: Build = Build {
        linking: Linking::Dynamic,
        sanitize: true,
    };
}

/// Compiles and links one source file into `out` with `cmd` (the language's compiler
/// and flags), the header directories, the library as `build` says and then
/// `after_link`. `Err` holds the compiler's output.
pub fn compile(
    language: &Language,
    mut cmd: Command,
    source: &Path,
    out: &Path,
    build: Build,
    after_link: &[&str],
) -> Result<(), String> {
    let lib_dir = lib_dir();
    cmd.arg("-I")
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
                .arg(format!("-Wl,-rpath,{}", lib_dir.display()));
        }
        Linking::Static => {
            cmd.arg(lib_dir.join("libironwal.a"))
                .args(&documented_static_link_line().libs);
        }
    }
    cmd.args(after_link).arg("-o").arg(out);
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run the {} compiler {cmd:?}: {e}", language.name))?;
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

/// `<prefix> <name>: N checks, M failed` (the last such line) -> (N, M).
pub fn parse_summary(stdout: &str, summary_prefix: &str, name: &str) -> Option<(u64, u64)> {
    let prefix = format!("{summary_prefix} {name}: ");
    let line = stdout.lines().rev().find(|l| l.starts_with(&prefix))?;
    let (checks, rest) = line[prefix.len()..].split_once(" checks, ")?;
    let failed = rest.strip_suffix(" failed")?;
    Some((checks.trim().parse().ok()?, failed.trim().parse().ok()?))
}

/// How the programs are run.
#[derive(Clone, Copy, PartialEq)]
pub enum Runner {
    Direct,
    /// With leak detection and UBSan halting on the first error (for `Build::SANITIZED`).
    Sanitizers,
    Valgrind,
}

/// Builds `programs` with `compile(source, exe)` in parallel, runs each with a fresh
/// scratch directory under `runner`, reports the checks and fails with every problem
/// found: a build failure, a non-zero exit, a missing summary or a failed check.
pub fn run_programs(
    language: &Language,
    config: &str,
    programs: &[Program],
    compile: impl Fn(&Path, &Path) -> Result<(), String> + Sync,
    runner: Runner,
) {
    let work = tempfile::Builder::new()
        .prefix(&format!("ironwal-{}-{config}-", language.test))
        .tempdir()
        .unwrap();
    let started = Instant::now();
    let results = parallel_map(programs, |program| -> Result<(u64, Duration), String> {
        let exe = work.path().join(format!("{}.bin", program.name));
        compile(&program.source, &exe)?;
        let scratch = work.path().join(format!("{}.scratch", program.name));
        std::fs::create_dir(&scratch).unwrap();
        let (mut cmd, timeout) = match runner {
            Runner::Valgrind => {
                let mut cmd = Command::new("valgrind");
                cmd.args(VALGRIND_ARGS).arg(&exe);
                (cmd, VALGRIND_TIMEOUT)
            }
            Runner::Direct | Runner::Sanitizers => (Command::new(&exe), TIMEOUT),
        };
        cmd.arg(&scratch);
        if runner == Runner::Sanitizers {
            cmd.env("ASAN_OPTIONS", ASAN_OPTIONS)
                .env("UBSAN_OPTIONS", UBSAN_OPTIONS);
        }
        let outcome = run(cmd, work.path(), &program.name, timeout);
        let summary = parse_summary(&outcome.stdout, language.summary_prefix, &program.name);
        match summary {
            Some((checks, 0)) if outcome.success => Ok((checks, outcome.elapsed)),
            _ => Err(format!(
                "{} [{config}]: {}, summary {summary:?}\n--- stdout (tail) ---\n{}\n--- stderr (tail) ---\n{}",
                program.path(),
                outcome.status,
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
    let language_name = language.name;
    report(&format!(
        "{} {config}: {} {language_name} programs, {total} {language_name} checks passed, \
         {} programs failed ({}) in {:.1}s",
        language.test,
        programs.len(),
        failures.len(),
        per_program.join(", "),
        started.elapsed().as_secs_f64()
    ));
    assert!(
        failures.is_empty(),
        "{} of {} {language_name} programs failed [{config}]:\n\n{}",
        failures.len(),
        programs.len(),
        failures.join("\n\n")
    );
}

/// Runs an example twice in the same fresh data directory (`<tag>.scratch/data` under
/// `work`; the second run reopens what the first wrote) and checks that the first run
/// prints each `.0` and the second each `.1` of `expected`. `what` names the example
/// in messages.
pub fn run_example_twice(
    exe: &Path,
    work: &Path,
    tag: &str,
    what: &str,
    expected: &[(&str, &str)],
) -> Result<(), String> {
    let data = work.join(format!("{tag}.scratch")).join("data");
    let mut outputs = Vec::new();
    for round in 0..2 {
        let mut cmd = Command::new(exe);
        cmd.arg(&data);
        let outcome = run(cmd, work, &format!("{tag}-{round}"), TIMEOUT);
        if !outcome.success {
            return Err(format!(
                "{what} run {round}: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                outcome.status,
                tail(&outcome.stdout, 6000),
                tail(&outcome.stderr, 6000)
            ));
        }
        outputs.push(outcome.stdout);
    }
    for (first, second) in expected {
        if !outputs[0].contains(first) || !outputs[1].contains(second) {
            return Err(format!(
                "{what}: expected `{first}` then `{second}`, got:\n{}\n---\n{}",
                outputs[0], outputs[1]
            ));
        }
    }
    Ok(())
}

/// Reports how many examples were built and run (`done` says how) and fails with every
/// failure among `results` (one a build of an example).
pub fn report_examples(
    language: &Language,
    examples: usize,
    done: &str,
    results: Vec<Result<(), String>>,
) {
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    report(&format!(
        "{} examples: {examples} {} examples {done}, {} failed",
        language.test,
        language.name,
        failures.len()
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
