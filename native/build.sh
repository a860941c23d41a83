#!/usr/bin/env bash
# Full release build of native/: the Node addon (yilian-native.linux-x64-gnu.node, loaded by
# index.js, which like index.d.ts is written by hand and checked against the addon by
# native.test.ts) and the staticlib for the C++ precompiles (target/release/libyilian_native.a; its
# header include/yilian_native.h is checked against src/ffi.rs by tests/header.rs, and
# `YILIAN_WRITE_HEADER=1 cargo test --release --test header` rewrites it). Idempotent: cargo only
# rebuilds what changed.
#
#   native/build.sh              build
#   native/build.sh --save-deps  only add this clone's compiled registry crates to the per-user
#                                cache (ops/test runs it after `cargo test`, for the test-only ones)
#   native/build.sh --wasm OUT   the browser's trace-id module (wasm/, crate yilian-trace-id-wasm)
#                                for wasm32-unknown-unknown, copied to OUT (ops/bootstrap's web phase)
#
# The wasm build uses Debian's toolchain (rustc-web, cargo-web, rust-web-src, lld-19: rustup here
# has no wasm32 target), rebuilding std from its sources (-Z build-std, hence RUSTC_BOOTSTRAP), in
# its own target dir (native/target/wasm, so it runs beside the native build without waiting for its
# lock). Its output is cached per user in ${XDG_CACHE_HOME:-$HOME/.cache}/yilian/wasm/<key>/, the key
# a sha256 of wasm/ and trace-id/ (the Rust sources), Cargo.toml, Cargo.lock, this script and the
# toolchain's versions: a clone whose key is cached copies the file and compiles nothing.
#
# The target dir is always this clone's native/target. Compiled registry crates (winterfell,
# blst, napi, ...: about half of a cold build) are shared between clones through a per-user cache,
# ${XDG_CACHE_HOME:-$HOME/.cache}/yilian/cargo-deps/<rustc version>-<host>/: a fresh clone's
# target dir is seeded from it, and each build adds what it compiled. The workspace's own crates
# are never cached nor shared: cargo names their outputs the same in every clone and judges them
# fresh by file times, so a shared target dir (or a copied one) can hand one clone another
# clone's build of yilian-native, silently. Registry crates are keyed by version, not file times.
set -euo pipefail
wasm_out=''
if [[ "${1:-}" == "--wasm" ]]; then
  wasm_out=$(realpath -m "${2:?usage: native/build.sh --wasm OUT}")   # before the cd: OUT is the caller's path
fi
cd "$(dirname "$0")"
native=$PWD

cache=${XDG_CACHE_HOME:-$HOME/.cache}/yilian
if [ -n "$wasm_out" ]; then
  for tool in /usr/bin/rustc /usr/bin/cargo /usr/bin/wasm-ld-19 /usr/lib/rustlib/src/rust/library/Cargo.lock; do
    [ -e "$tool" ] || { echo "native: $tool is missing: apt-get install rustc-web cargo-web rust-web-src rust-web-llvm lld-19" >&2; exit 1; }
  done
  # rustup's cargo comes first on PATH; this build is Debian's throughout
  export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/bin/wasm-ld-19
  # a panic traps at once, with no formatting or unwinding code: 11 KB instead of 28 (nothing in the
  # module panics on any input; a trap would reach the page as a RuntimeError)
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS='-Zunstable-options -Cpanic=immediate-abort'
  cargo() { /usr/bin/cargo "$@"; }
  rustc() { /usr/bin/rustc "$@"; }
  export CARGO_TARGET_DIR=$native/target/wasm
  # host (build scripts) and target halves of a cross build, each a folder of registry crates
  profile_dirs=(wasm wasm32-unknown-unknown/wasm)
else
  # Same target directory as `cargo test --release` in ops/test, so the build is shared.
  export CARGO_TARGET_DIR=$native/target
  profile_dirs=(release)
fi
release=$CARGO_TARGET_DIR/release

toolchain=$(rustc -vV | awk '/^release:/ {r=$2} /^commit-hash:/ {c=substr($2,1,9)} /^host:/ {h=$2} END {print r "-" c "-" h}')
deps_cache=$cache/cargo-deps/$toolchain

# Names of the workspace's packages and targets (both spellings): their entries in
# target/release/{deps,build,.fingerprint} are never put in, nor taken from, the cache.
mapfile -t own < <(cargo metadata --no-deps --format-version 1 --offline | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const names = new Set();
    for (const p of JSON.parse(s).packages) for (const n of [p.name, ...p.targets.map((t) => t.name)]) names.add(n);
    for (const n of names) console.log(n + "\n" + n.replace(/-/g, "_"));
  });')
[ ${#own[@]} -gt 0 ] || { echo "native: cannot list the workspace's crates (cargo metadata)" >&2; exit 1; }
is_own() { # entry name: lib<name>-<hash>.rlib, <name>-<hash>.d, lib<name>.so, <name>-<hash>/, ...
  local entry=$1 bare=${1#lib} n
  for n in "${own[@]}"; do
    case "$entry" in "$n" | "$n"-* | "$n".*) return 0 ;; esac
    case "$bare" in "$n" | "$n"-* | "$n".*) return 0 ;; esac
  done
  return 1
}

# Copies each entry of $1/{deps,build,.fingerprint} missing from $2, through a temporary name and a
# rename, so an interrupted copy never leaves a half entry that cargo would take for built.
copy_missing() { # from to
  local from=$1 to=$2 sub entry name count=0
  for sub in deps build .fingerprint; do
    [ -d "$from/$sub" ] || continue
    mkdir -p "$to/$sub"
    for entry in "$from/$sub"/*; do
      name=${entry##*/}
      [ -e "$entry" ] && ! is_own "$name" && [ ! -e "$to/$sub/$name" ] || continue
      rm -rf "$to/$sub/.partial.$name"
      cp -a "$entry" "$to/$sub/.partial.$name"
      mv -T "$to/$sub/.partial.$name" "$to/$sub/$name" 2>/dev/null || rm -rf "$to/$sub/.partial.$name"
      count=$((count + 1))
    done
  done
  echo "$count"
}

save_deps() {
  mkdir -p "$deps_cache"
  local added=0 dir
  exec 9>"$deps_cache.lock"
  flock 9   # one clone at a time adds to the cache; readers need no lock (entries appear whole)
  for dir in "${profile_dirs[@]}"; do
    added=$((added + $(copy_missing "$CARGO_TARGET_DIR/$dir" "$deps_cache/$dir")))
  done
  exec 9>&-
  echo "native: cached $added new registry-crate entries in $deps_cache"
}

seed_deps() {
  local seeded=0 dir
  for dir in "${profile_dirs[@]}"; do
    [ -d "$deps_cache/$dir" ] && seeded=$((seeded + $(copy_missing "$deps_cache/$dir" "$CARGO_TARGET_DIR/$dir")))
  done
  echo "native: seeded $seeded registry-crate entries from $deps_cache"
}

if [[ "${1:-}" == "--save-deps" ]]; then
  save_deps
  exit 0
fi

if [ -n "$wasm_out" ]; then
  key=$( { rustc -vV; /usr/bin/wasm-ld-19 --version; sha256sum build.sh Cargo.toml Cargo.lock;
    find trace-id wasm -type f | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-64)
  cached=$cache/wasm/$key/trace-id.wasm
  if [ ! -f "$cached" ]; then
    seed_deps
    echo "native: cargo build --profile wasm --target wasm32-unknown-unknown (yilian-trace-id-wasm, $toolchain)"
    cargo build --locked --profile wasm --target wasm32-unknown-unknown -Z build-std=std,panic_abort -p yilian-trace-id-wasm
    save_deps
    mkdir -p "$cache/wasm"
    stage=$(mktemp -d "$cache/wasm/.$key.XXXXXX"); chmod 755 "$stage"
    cp "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/yilian_trace_id_wasm.wasm" "$stage/trace-id.wasm"
    # renamed into place whole, so another clone never finds half a module
    mv -T "$stage" "$cache/wasm/$key" 2>/dev/null || rm -rf "$stage"
    echo "native: built $cached"
  else
    echo "native: $cached is built from these sources"
  fi
  mkdir -p "$(dirname "$wasm_out")"
  cmp -s "$cached" "$wasm_out" || cp "$cached" "$wasm_out"
  echo "native: $wasm_out ($(stat -c %s "$wasm_out") bytes)"
  exit 0
fi

seed_deps

echo "native: cargo build --release (staticlib for C++, Node addon)"
# wasm/ is the browser's module: built for wasm32 only, by ops/bootstrap's web phase
cargo build --release --locked --workspace --exclude yilian-trace-id-wasm
cp "$release/libyilian_native_node.so" yilian-native.linux-x64-gnu.node.tmp
mv yilian-native.linux-x64-gnu.node.tmp yilian-native.linux-x64-gnu.node
save_deps

echo "native: done (target/release/libyilian_native.a, yilian-native.linux-x64-gnu.node)"
