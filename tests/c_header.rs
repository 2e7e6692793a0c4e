//! The checked-in C header is exactly what cbindgen generates from `src/ffi`, and its
//! version macros equal Cargo's version. Run with `IRONWAL_BLESS=1` to refresh it.

mod native;

use std::path::Path;

const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/ironwal.h"));

#[test]
fn checked_in_header_is_current() {
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/ironwal.h");
    if std::env::var_os("IRONWAL_BLESS").is_some() {
        std::fs::write(&checked_in, GENERATED).unwrap();
    }
    let current = std::fs::read_to_string(&checked_in).unwrap_or_default();
    assert!(
        current == GENERATED,
        "include/ironwal.h is stale: run `IRONWAL_BLESS=1 cargo test --test c_header` and commit it"
    );
}

#[test]
fn header_version_macros_match_cargo() {
    // The checked-in header equals this one (test above).
    for (macro_name, value) in [
        ("IRONWAL_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("IRONWAL_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("IRONWAL_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define {macro_name} {value}\n");
        assert!(GENERATED.contains(&line), "header lacks `{}`", line.trim());
    }
}

/// Strict C compilers accept the header: C89 (no `//` comments) and C99, pedantic,
/// every warning an error. C++ is compiled by the C++ tests.
#[test]
fn header_compiles_as_strict_c89_and_c99() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("uses_header.c");
    std::fs::write(
        &source,
        "#include \"ironwal.h\"\nint main(void) { return ironwal_version() == 0; }\n",
    )
    .unwrap();
    for standard in ["-std=c89", "-std=c99"] {
        let output = native::compiler()
            .args([
                standard,
                "-pedantic",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-fsyntax-only",
            ])
            .arg("-I")
            .arg(native::include_dir())
            .arg(&source)
            .output()
            .expect("the C compiler runs");
        assert!(
            output.status.success(),
            "{standard}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
