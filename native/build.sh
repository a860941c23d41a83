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
#
# The target dir is always this clone's native/target. Compiled registry crates (winterfell,
# blst, napi, ...: about half of a cold build) are shared between clones through a per-user cache,
# ${XDG_CACHE_HOME:-$HOME/.cache}/yilian/cargo-deps/<rustc version>-<host>/: a fresh clone's
# target dir is seeded from it, and each build adds what it compiled. The workspace's own crates
# are never cached nor shared: cargo names their outputs the same in every clone and judges them
# fresh by file times, so a shared target dir (or a copied one) can hand one clone another
# clone's build of yilian-native, silently. Registry crates are keyed by version, not file times.
set -euo pipefail
cd "$(dirname "$0")"
native=$PWD

# Same target directory as `cargo test --release` in ops/test, so the build is shared.
export CARGO_TARGET_DIR=$native/target
release=$CARGO_TARGET_DIR/release

toolchain=$(rustc -vV | awk '/^release:/ {r=$2} /^commit-hash:/ {c=substr($2,1,9)} /^host:/ {h=$2} END {print r "-" c "-" h}')
deps_cache=${XDG_CACHE_HOME:-$HOME/.cache}/yilian/cargo-deps/$toolchain/release

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
  local added
  exec 9>"$deps_cache.lock"
  flock 9   # one clone at a time adds to the cache; readers need no lock (entries appear whole)
  added=$(copy_missing "$release" "$deps_cache")
  exec 9>&-
  echo "native: cached $added new registry-crate entries in $deps_cache"
}

if [[ "${1:-}" == "--save-deps" ]]; then
  save_deps
  exit 0
fi

if [ -d "$deps_cache" ]; then
  echo "native: seeded $(copy_missing "$deps_cache" "$release") registry-crate entries from $deps_cache"
fi

echo "native: cargo build --release (staticlib for C++, Node addon)"
# wasm/ is the browser's module: built for wasm32 only, by ops/bootstrap's web phase
cargo build --release --locked --workspace --exclude yilian-trace-id-wasm
cp "$release/libyilian_native_node.so" yilian-native.linux-x64-gnu.node.tmp
mv yilian-native.linux-x64-gnu.node.tmp yilian-native.linux-x64-gnu.node
save_deps

echo "native: done (target/release/libyilian_native.a, yilian-native.linux-x64-gnu.node)"
