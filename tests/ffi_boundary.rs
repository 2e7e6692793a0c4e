//! Every function `src/ffi` exports to C runs its body inside `ffi_boundary!`, so no
//! panic can unwind into C. This reads the sources: an exported function whose body
//! does not start with the macro fails the test.

use std::path::Path;

#[test]
fn every_exported_function_is_inside_the_panic_boundary() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ffi");
    let mut exported = 0;
    let mut unguarded = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        let attributes = source
            .match_indices('\n')
            .map(|(at, _)| at + 1)
            .filter(|&at| {
                matches!(
                    source[at..].lines().next().map(str::trim),
                    Some("#[unsafe(no_mangle)]" | "#[no_mangle]")
                )
            });
        for at in attributes {
            let rest = &source[at..];
            let signature_start = rest.find("fn ").expect("an exported item is a function");
            let name: String = rest[signature_start + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let body_start = rest.find('{').expect("function body");
            let body = rest[body_start + 1..].trim_start();
            exported += 1;
            if !body.starts_with("ffi_boundary!(") {
                unguarded.push(format!("{}: {name}", path.display()));
            }
        }
    }
    assert!(
        exported >= 30,
        "found only {exported} exported functions: is the scan broken?"
    );
    assert!(
        unguarded.is_empty(),
        "exported without ffi_boundary!: {unguarded:#?}"
    );
}
