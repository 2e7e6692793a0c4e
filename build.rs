//! Generates the C header from `src/ffi` with cbindgen into `$OUT_DIR/ironwal.h`.
//! `include/ironwal.h` is the checked-in copy; `tests/c_header.rs` fails when it is
//! stale and refreshes it when run with `IRONWAL_BLESS=1`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    // Tests that compile C programs with the cc crate need the target triple.
    println!(
        "cargo:rustc-env=IRONWAL_TARGET={}",
        std::env::var("TARGET").expect("set by cargo")
    );
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let version =
        |part: &str| std::env::var(format!("CARGO_PKG_VERSION_{part}")).expect("set by cargo");
    config.after_includes = Some(format!(
        "\n#define IRONWAL_VERSION_MAJOR {}\n#define IRONWAL_VERSION_MINOR {}\n#define IRONWAL_VERSION_PATCH {}",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH")
    ));
    let header = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("ironwal.h");
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the C header from src/ffi")
        .write_to_file(header);
}
