//! `make install` (the top-level Makefile) installs the C library the way C libraries
//! are installed. Each test installs into a temporary directory of its own; the release
//! build that `make` runs happens once, in `<target>/capi` of the test's target
//! directory, and later runs only re-check it. The tests check
//!
//! - the installed files and nothing else: `libironwal.so.X.Y.Z` with the SONAME
//!   `libironwal.so.<soversion>` (cargo-c's rule, documented in the Makefile), the
//!   soname and `libironwal.so` symlinks to it, `libironwal.a`, the headers (equal to
//!   `include/`), `lib/pkgconfig/ironwal.pc`; and that `make uninstall` removes them;
//! - the shared library exports exactly the functions `include/ironwal.h` declares, all
//!   named `ironwal_*`;
//! - `ironwal.pc`: version, flags, and `Libs.private` equal to the documented static
//!   link line's system libraries (README.md's, else examples-c/Makefile's);
//! - `examples-c/quickstart.c` built with pkg-config as the README says, linked
//!   dynamically (it needs the soname, which resolves to the installed file) and
//!   statically (it needs no libironwal, and runs after `make uninstall`);
//! - `DESTDIR`, `LIBDIR` and `INCLUDEDIR` are honoured, `ironwal.pc` names the final
//!   paths;
//! - the in-tree `cargo build` library has no SONAME (the in-tree C tests load it from
//!   target/ through an rpath, where no soname symlink exists).
//!
//! Tools: make, pkg-config, nm, readelf (binutils), ldd and a C compiler. A missing
//! tool fails the test with a message naming `scripts/install-test-deps.sh`.

mod native;

use native::*;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The first `make install` builds the release library: minutes on a busy machine.
const MAKE_TIMEOUT: Duration = Duration::from_secs(1800);
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// The two link lines README.md gives for an installed library (`$CC` is `cc` there).
const DYNAMIC_LINK: &str = r#""$CC" "$SRC" $(pkg-config --cflags --libs ironwal) -o "$OUT""#;
const STATIC_LINK: &str = r#""$CC" "$SRC" $(pkg-config --cflags ironwal) $(pkg-config --static --libs ironwal | sed 's/-lironwal/-l:libironwal.a/') -o "$OUT""#;

fn require_tools() {
    require_tool("make", &["--version"], "make is not installed");
    require_tool("pkg-config", &["--version"], "pkg-config is not installed");
    require_tool("nm", &["--version"], "nm (binutils) is not installed");
    require_tool(
        "readelf",
        &["--version"],
        "readelf (binutils) is not installed",
    );
    require_tool("ldd", &["--version"], "ldd (libc-bin) is not installed");
}

// ---------------------------------------------------------------------------------
// Names

/// cargo-c's soversion rule, as the Makefile implements it: 0.0.z -> 0.0.z,
/// 0.y.z -> 0.y, x.y.z -> x.
fn soversion() -> String {
    match (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
    ) {
        ("0", "0") => format!("0.0.{}", env!("CARGO_PKG_VERSION_PATCH")),
        ("0", minor) => format!("0.{minor}"),
        (major, _) => major.to_string(),
    }
}

fn soname() -> String {
    format!("libironwal.so.{}", soversion())
}

/// The installed file; the other library names are symlinks to it.
fn real_name() -> String {
    format!(
        "libironwal.so.{}.{}.{}",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH")
    )
}

/// The headers `make install` copies: ironwal.h, and ironwal.hpp when it exists.
fn repo_headers() -> Vec<String> {
    ["ironwal.h", "ironwal.hpp"]
        .into_iter()
        .filter(|h| include_dir().join(h).is_file())
        .map(String::from)
        .collect()
}

/// Every path `make install` creates, relative to the install root, for the given
/// library, header and pkg-config directories (relative too).
fn expected_files(lib: &str, include: &str, pkgconfig: &str) -> BTreeSet<String> {
    let libraries = [
        real_name(),
        soname(),
        "libironwal.so".into(),
        "libironwal.a".into(),
    ];
    let mut files: BTreeSet<String> = libraries
        .iter()
        .map(|name| format!("{lib}/{name}"))
        .collect();
    files.extend(repo_headers().iter().map(|h| format!("{include}/{h}")));
    files.insert(format!("{pkgconfig}/ironwal.pc"));
    files
}

// ---------------------------------------------------------------------------------
// Running make and tools

/// The test's target directory: the binary runs from `<target>/<profile>/deps`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors()
        .nth(3)
        .expect("the test binary is in <target>/<profile>/deps")
        .to_path_buf()
}

/// Runs `make -C <repo> <goal> VAR=value...` with the cargo running this test and the
/// test's target directory; panics with make's output on failure.
fn make(goal: &str, vars: &[(&str, &str)], logs: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    let mut cmd = Command::new("make");
    cmd.arg("-C").arg(repo()).arg(goal);
    cmd.arg(format!("CARGO={cargo}"))
        .arg(format!("CARGO_TARGET_DIR={}", target_dir().display()));
    for (name, value) in vars {
        cmd.arg(format!("{name}={value}"));
    }
    // Only the variables given here: none from the caller's environment.
    for name in [
        "DESTDIR",
        "PREFIX",
        "LIBDIR",
        "INCLUDEDIR",
        "PKGCONFIGDIR",
        "FEATURES",
        "CARGOFLAGS",
        "MAKEFLAGS",
    ] {
        cmd.env_remove(name);
    }
    let started = Instant::now();
    let outcome = run(cmd, logs, &format!("make-{goal}"), MAKE_TIMEOUT);
    assert!(
        outcome.success,
        "make {goal} {vars:?}: {}\n--- stdout (tail) ---\n{}\n--- stderr (tail) ---\n{}",
        outcome.status,
        tail(&outcome.stdout, 4000),
        tail(&outcome.stderr, 8000)
    );
    report(&format!(
        "install: make {goal} took {:.1}s",
        started.elapsed().as_secs_f64()
    ));
}

/// Builds the library for installation once, before any test installs it: the
/// tests' `make install`s then find it current and only copy it, so none of them
/// copies a file that another one's cargo is rewriting.
fn build_once() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let logs = tempfile::Builder::new()
            .prefix("ironwal-install-build-")
            .tempdir()
            .unwrap();
        make("build", &[], logs.path());
    });
}

/// A command's stdout; panics with its stderr when it fails.
fn output_of(cmd: &mut Command) -> String {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        output.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The DT_NEEDED entries and the SONAME (if any) of an ELF file.
fn dynamic_section(elf: &Path) -> (Vec<String>, Option<String>) {
    let text = output_of(Command::new("readelf").arg("-d").arg(elf));
    let bracketed = |line: &str| {
        let start = line.find('[')? + 1;
        let end = line.rfind(']')?;
        Some(line[start..end].to_string())
    };
    let needed = text
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(bracketed)
        .collect();
    let soname = text
        .lines()
        .find(|l| l.contains("(SONAME)"))
        .and_then(bracketed);
    (needed, soname)
}

/// Every file and symlink below `root`, as paths relative to it.
fn files_below(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.symlink_metadata().unwrap().is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                found.insert(relative.to_string_lossy().into_owned());
            }
        }
    }
    found
}

/// The functions a C header declares: `ironwal_*` names followed by `(` on the lines
/// that start a declaration (not comments, macros or continuation lines).
fn header_functions(header: &str) -> BTreeSet<String> {
    header
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|l| {
            let before_paren = &l[..l.find('(')?];
            let name = before_paren
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()?;
            name.starts_with("ironwal_").then(|| name.to_string())
        })
        .collect()
}

/// `pkg-config <args> ironwal` against the `.pc` files of `pc_dir` only, as
/// whitespace-separated words.
fn pkg_config(pc_dir: &Path, args: &[&str]) -> Vec<String> {
    output_of(
        Command::new("pkg-config")
            .args(args)
            .arg("ironwal")
            .env("PKG_CONFIG_PATH", pc_dir)
            .env("PKG_CONFIG_LIBDIR", pc_dir),
    )
    .split_whitespace()
    .map(String::from)
    .collect()
}

/// Compiles quickstart.c with one of the documented link lines.
fn build_quickstart(line: &str, pc_dir: &Path, out: &Path) {
    let cc = compiler();
    output_of(
        Command::new("sh")
            .arg("-c")
            .arg(line)
            .env("CC", cc.get_program())
            .env("SRC", repo().join("examples-c/quickstart.c"))
            .env("OUT", out)
            .env("PKG_CONFIG_PATH", pc_dir)
            .env("PKG_CONFIG_LIBDIR", pc_dir),
    );
}

/// Runs a quickstart binary in a fresh directory: it must succeed and print the
/// version and the entry it read back.
fn run_quickstart(exe: &Path, lib_path: Option<&Path>, work: &Path) {
    let data = tempfile::tempdir_in(work).unwrap();
    let mut cmd = Command::new(exe);
    cmd.arg(data.path().join("data"))
        .current_dir(data.path())
        .env_remove("LD_LIBRARY_PATH");
    if let Some(dir) = lib_path {
        cmd.env("LD_LIBRARY_PATH", dir);
    }
    let tag = exe.file_name().unwrap().to_string_lossy().into_owned();
    let outcome = run(cmd, work, &tag, RUN_TIMEOUT);
    let expected = [
        format!("IronWal {}", env!("CARGO_PKG_VERSION")),
        "Read: \"Hello, IronWal!\"".to_string(),
    ];
    assert!(
        outcome.success && expected.iter().all(|e| outcome.stdout.contains(e.as_str())),
        "{}: {} (expected {expected:?} in stdout)\n--- stdout ---\n{}\n--- stderr ---\n{}",
        exe.display(),
        outcome.status,
        tail(&outcome.stdout, 4000),
        tail(&outcome.stderr, 4000)
    );
}

// ---------------------------------------------------------------------------------
// The tests

#[test]
fn make_install_puts_the_library_headers_and_pc_file_in_prefix_and_uninstall_removes_them() {
    require_tools();
    build_once();
    let work = tempfile::Builder::new()
        .prefix("ironwal-install-layout-")
        .tempdir()
        .unwrap();
    let prefix = work.path().join("prefix");
    let prefix_str = prefix.to_str().unwrap();
    make("install", &[("PREFIX", prefix_str)], work.path());

    assert_eq!(
        files_below(&prefix),
        expected_files("lib", "include", "lib/pkgconfig"),
        "the files `make install` put in PREFIX"
    );
    let lib = prefix.join("lib");
    let real = lib.join(real_name());
    let meta = real.symlink_metadata().unwrap();
    assert!(meta.is_file(), "{} is not a regular file", real.display());
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o755,
        "{}",
        real.display()
    );
    for link in [soname(), "libironwal.so".to_string()] {
        if link == real_name() {
            continue; // 0.0.z: the soname is the file itself
        }
        assert_eq!(
            std::fs::read_link(lib.join(&link)).ok(),
            Some(PathBuf::from(real_name())),
            "{link} must be a symlink to {}",
            real_name()
        );
    }
    for file in [
        lib.join("libironwal.a"),
        prefix.join("lib/pkgconfig/ironwal.pc"),
    ] {
        let mode = file.symlink_metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "{}", file.display());
    }
    for header in repo_headers() {
        assert!(
            std::fs::read(prefix.join("include").join(&header)).unwrap()
                == std::fs::read(include_dir().join(&header)).unwrap(),
            "the installed {header} differs from include/{header}"
        );
    }

    let (_, installed_soname) = dynamic_section(&real);
    assert_eq!(
        installed_soname,
        Some(soname()),
        "SONAME of {}",
        real.display()
    );

    let exported: BTreeSet<String> =
        output_of(Command::new("nm").args(["-D", "--defined-only"]).arg(&real))
            .lines()
            .filter_map(|l| l.split_whitespace().nth(2).map(String::from))
            .collect();
    let strays: Vec<&String> = exported
        .iter()
        .filter(|s| !s.starts_with("ironwal_"))
        .collect();
    assert!(
        strays.is_empty(),
        "the shared library exports symbols outside the ironwal_ namespace: {strays:?}"
    );
    let declared =
        header_functions(&std::fs::read_to_string(include_dir().join("ironwal.h")).unwrap());
    assert!(
        declared.len() >= 40,
        "too few functions parsed from ironwal.h: {declared:?}"
    );
    let missing: Vec<&String> = declared.difference(&exported).collect();
    let undeclared: Vec<&String> = exported.difference(&declared).collect();
    assert!(
        missing.is_empty() && undeclared.is_empty(),
        "exports and include/ironwal.h differ: declared but not exported {missing:?}, \
         exported but not declared {undeclared:?}"
    );

    make("uninstall", &[("PREFIX", prefix_str)], work.path());
    let left = files_below(&prefix);
    assert!(left.is_empty(), "`make uninstall` left {left:?}");
    report(&format!(
        "install: {} files in PREFIX, SONAME {}, {} exported functions = the {} of \
         ironwal.h, all ironwal_*; uninstall left none",
        expected_files("lib", "include", "lib/pkgconfig").len(),
        soname(),
        exported.len(),
        declared.len()
    ));
}

#[test]
fn quickstart_links_through_pkg_config_dynamically_and_statically() {
    require_tools();
    build_once();
    let work = tempfile::Builder::new()
        .prefix("ironwal-install-pkg-config-")
        .tempdir()
        .unwrap();
    let prefix = work.path().join("prefix");
    let prefix_str = prefix.to_str().unwrap();
    make("install", &[("PREFIX", prefix_str)], work.path());
    let lib = prefix.join("lib");
    let pc_dir = lib.join("pkgconfig");

    assert_eq!(
        pkg_config(&pc_dir, &["--modversion"]),
        [env!("CARGO_PKG_VERSION")]
    );
    assert_eq!(pkg_config(&pc_dir, &["--variable=prefix"]), [prefix_str]);
    assert_eq!(
        pkg_config(&pc_dir, &["--cflags"]),
        [format!("-I{}", prefix.join("include").display())]
    );
    let libs = [format!("-L{}", lib.display()), "-lironwal".to_string()];
    assert_eq!(pkg_config(&pc_dir, &["--libs"]), libs);
    let documented = documented_static_link_line();
    let static_libs: Vec<String> = libs.iter().chain(&documented.libs).cloned().collect();
    assert_eq!(
        pkg_config(&pc_dir, &["--static", "--libs"]),
        static_libs,
        "ironwal.pc's Libs.private must be the system libraries of the static link line \
         documented in {} (`{}`): change the Makefile's LIBS_PRIVATE with it",
        documented.source,
        documented.line
    );

    let dynamic = work.path().join("quickstart-dynamic");
    build_quickstart(DYNAMIC_LINK, &pc_dir, &dynamic);
    let (needed, _) = dynamic_section(&dynamic);
    assert!(
        needed.contains(&soname()),
        "the dynamically linked quickstart needs {needed:?}, not {}",
        soname()
    );
    let resolved = output_of(
        Command::new("ldd")
            .arg(&dynamic)
            .env("LD_LIBRARY_PATH", &lib),
    );
    let expected = format!("{} => {}", soname(), lib.join(soname()).display());
    assert!(
        resolved.lines().any(|l| l.trim().starts_with(&expected)),
        "ldd does not resolve {} to the installed file (`{expected}`):\n{resolved}",
        soname()
    );
    run_quickstart(&dynamic, Some(&lib), work.path());

    let statically_linked = work.path().join("quickstart-static");
    build_quickstart(STATIC_LINK, &pc_dir, &statically_linked);
    let (needed, _) = dynamic_section(&statically_linked);
    assert!(
        !needed.iter().any(|n| n.contains("ironwal")),
        "the statically linked quickstart needs {needed:?}"
    );
    run_quickstart(&statically_linked, None, work.path());

    // The static program does not need the installed files.
    make("uninstall", &[("PREFIX", prefix_str)], work.path());
    run_quickstart(&statically_linked, None, work.path());
    report(&format!(
        "install: quickstart built with pkg-config: dynamic (NEEDED {}, resolved in PREFIX) \
         and static (no libironwal; also after uninstall) ran; Libs.private = {}",
        soname(),
        documented.libs.join(" ")
    ));
}

#[test]
fn destdir_libdir_and_includedir_are_honoured() {
    require_tools();
    build_once();
    let work = tempfile::Builder::new()
        .prefix("ironwal-install-destdir-")
        .tempdir()
        .unwrap();
    let staging = work.path().join("staging");
    let staging_str = staging.to_str().unwrap();
    // LIBDIR below PREFIX (named relative to ${prefix} in ironwal.pc), INCLUDEDIR not.
    let vars = [
        ("DESTDIR", staging_str),
        ("PREFIX", "/opt/ironwal"),
        ("LIBDIR", "/opt/ironwal/lib64"),
        ("INCLUDEDIR", "/usr/local/include/ironwal-0"),
    ];
    make("install", &vars, work.path());

    assert_eq!(
        files_below(&staging),
        expected_files(
            "opt/ironwal/lib64",
            "usr/local/include/ironwal-0",
            "opt/ironwal/lib64/pkgconfig"
        ),
        "the files `make install` put in DESTDIR"
    );
    let pc_dir = staging.join("opt/ironwal/lib64/pkgconfig");
    let pc = std::fs::read_to_string(pc_dir.join("ironwal.pc")).unwrap();
    assert!(
        pc.contains("\nlibdir=${prefix}/lib64\n") && !pc.contains(staging_str),
        "ironwal.pc must name the final paths, libdir relative to the prefix:\n{pc}"
    );
    assert_eq!(
        pkg_config(&pc_dir, &["--variable=prefix"]),
        ["/opt/ironwal"]
    );
    assert_eq!(
        pkg_config(&pc_dir, &["--cflags", "--libs"]).join(" "),
        "-I/usr/local/include/ironwal-0 -L/opt/ironwal/lib64 -lironwal"
    );

    make("uninstall", &vars, work.path());
    let left = files_below(&staging);
    assert!(left.is_empty(), "`make uninstall` left {left:?}");
    report("install: DESTDIR, LIBDIR and INCLUDEDIR honoured; ironwal.pc names the final paths");
}

#[test]
fn in_tree_cargo_build_library_has_no_soname() {
    require_tools();
    let library = lib_dir().join("libironwal.so");
    let (_, in_tree_soname) = dynamic_section(&library);
    assert_eq!(
        in_tree_soname,
        None,
        "{} has a SONAME: the in-tree C tests link it from target/ with an rpath, where no \
         file of that name exists; give the SONAME to `make install`'s build only",
        library.display()
    );
}
