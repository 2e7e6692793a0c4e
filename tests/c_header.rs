//! The checked-in C header is exactly what cbindgen generates from `src/ffi`, and its
//! version macros equal Cargo's version. Run with `IRONWAL_BLESS=1` to refresh it.

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
