//! Compiles `c/w3_driver.c` (the C-driven W3 loop) with the `cc` crate against the
//! checked-in header `../include/ironwal.h`.
//!
//! Linking: the C object calls `ironwal_*` functions, which are `#[no_mangle] extern "C"`
//! functions of the `ironwal` crate that this package already depends on (path
//! dependency, built as an rlib with the same profile). rustc puts this package's native
//! library before its dependencies' rlibs on the link line, so the linker resolves the C
//! code's calls from the very same object code the Rust-driven run uses: no second copy
//! of the engine, no `cargo build` of the root crate from here, no
//! `libironwal.a`/`libironwal.so` (which would bring a second Rust standard library).

fn main() {
    println!("cargo:rerun-if-changed=c/w3_driver.c");
    println!("cargo:rerun-if-changed=../include/ironwal.h");
    cc::Build::new()
        .file("c/w3_driver.c")
        .include("../include")
        .flag_if_supported("-std=c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .compile("ironwal_bench_c");
}
