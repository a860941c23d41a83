#!/usr/bin/env bash
# Full release build of native/: the Node addon (yilian-native.linux-x64-gnu.node, loaded by the
# committed index.js) and the staticlib + header for the C++ precompiles. Idempotent: cargo only
# rebuilds what changed.
#
#   native/build.sh          build
#   native/build.sh --dts    also regenerate index.js / index.d.ts with @napi-rs/cli (only needed
#                            after changing the #[napi] API; it builds in its own target triple
#                            directory, i.e. a second cold build)
set -euo pipefail
cd "$(dirname "$0")"

# Same target directory as `cargo test --release`, so the cold build of winterfell and blst is
# shared; `napi build` would pass --target and compile everything again in another directory.
echo "native: cargo build --release (staticlib for C++, Node addon)"
cargo build --release --locked --workspace
cp target/release/libyilian_native_node.so yilian-native.linux-x64-gnu.node.tmp
mv yilian-native.linux-x64-gnu.node.tmp yilian-native.linux-x64-gnu.node

if [[ "${1:-}" == "--dts" ]]; then
  echo "native: napi build (regenerating index.js and index.d.ts)"
  npx napi build --release --platform --esm --manifest-path node/Cargo.toml \
    --package-json-path package.json --output-dir . --js index.js --dts index.d.ts
fi

if command -v cbindgen >/dev/null; then
  cbindgen --quiet --config cbindgen.toml --output include/yilian_native.h src/ffi.rs
fi
echo "native: done (target/release/libyilian_native.a, include/yilian_native.h, yilian-native.linux-x64-gnu.node)"
