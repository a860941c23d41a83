//! The committed C header is what cbindgen makes of `src/ffi.rs` today: a changed constant or
//! signature that was not regenerated would compile the C++ precompiles against a stale ABI.
//! `YILIAN_WRITE_HEADER=1 cargo test --release --test header` rewrites the file.

use std::path::Path;

#[test]
fn committed_header_matches_ffi_rs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi.rs"))
        .generate()
        .expect("cbindgen reads src/ffi.rs");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let fresh = String::from_utf8(fresh).expect("the header is UTF-8");
    let path = root.join("include/yilian_native.h");
    if std::env::var_os("YILIAN_WRITE_HEADER").is_some() {
        std::fs::write(&path, &fresh).expect("write the header");
    }
    let committed = std::fs::read_to_string(&path).expect("include/yilian_native.h");
    assert!(
        committed == fresh,
        "include/yilian_native.h is stale: run `YILIAN_WRITE_HEADER=1 cargo test --release --test header` in native/ and commit it"
    );
}
