//! Build script. The C header `include/ironwal.h` is generated from `src/ffi` by
//! cbindgen (see `cbindgen.toml`) once the C API lands; until then there is nothing to
//! generate.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
