#!/usr/bin/env bash
# Builds the HAPI FHIR JPA server host in ops/fhir-server (R4, H2, embedded Jetty) with Maven into
# the per-user tools cache, outside the clone, and prints the launcher's path on stdout:
#
#   ${YILIAN_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/yilian/tools}/hapi-fhir-<HAPI>-<sources>/
#     hapi-fhir        the launcher: hapi-fhir --port N --data DIR [--host 127.0.0.1]
#     fhir-server.jar  ops/fhir-server's classes
#     lib/             the dependencies' jars, hard links into Maven's own cache (~/.m2) when it is
#                      on the same file system
#     app.jsa          a class data sharing archive of a start-up, which halves the next ones
#
# <HAPI> is ops/tools.json's hapi-fhir version, <sources> a hash of pom.xml, build.sh and src/:
# a changed source is a new folder, so a stale build is never used. With the folder there this
# takes well under a second; else Maven downloads what ~/.m2 lacks (about 300 MB the first time),
# compiles, and the new server is started once (which records app.jsa) and must answer
# /fhir/metadata before the build counts. Needs Java 17+ and Maven.
#
# usage: ops/fhir-server/build.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
say() { printf '[hapi-fhir] %s\n' "$*" >&2; }
fail() { printf '[hapi-fhir] error: %s\n' "$*" >&2; exit 1; }

version=$(node -p 'require(process.argv[1])["hapi-fhir"].version' "$root/ops/tools.json") \
  || fail "cannot read the hapi-fhir version from ops/tools.json"
# ops/tools.ts (hapiFhirSourcesHash) computes the same: keep the two in step
sources=$(cd "$here" && find pom.xml build.sh src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
tools=$(realpath -m "${YILIAN_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/yilian/tools}")
dir=$tools/hapi-fhir-$version-$sources

if [ -x "$dir/hapi-fhir" ]; then
  echo "$dir/hapi-fhir"
  exit 0
fi

command -v java >/dev/null || fail "Java 17+ is needed to build the FHIR test server (apt-get install openjdk-17-jdk-headless)"
command -v mvn >/dev/null || fail "Maven is needed to build the FHIR test server (apt-get install maven)"
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
[ "${java_major:-0}" -ge 17 ] || fail "Java 17+ is needed to build the FHIR test server, $(command -v java) is ${java_major:-unknown}"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { local ms=$(( $(now_ms) - $1 )); echo "$(( ms / 1000 )).$(( ms % 1000 / 100 ))s"; }
started=$(now_ms)
mkdir -p "$tools"
stage=$(mktemp -d "$tools/.hapi-fhir-$version-$sources.XXXXXX")
server_pid=''
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$stage"
}
trap cleanup EXIT

# --- compile, and the classpath Maven resolves -------------------------------------------------
mkdir "$stage/build"
cp -r "$here/pom.xml" "$here/src" "$stage/build/"
say "building HAPI FHIR $version with Maven (first run downloads about 300 MB; log: $stage/maven.log)..."
if ! mvn -B -f "$stage/build/pom.xml" -Dhapi.version="$version" package > "$stage/maven.log" 2>&1; then
  grep -v '^\[INFO\] Download' "$stage/maven.log" | tail -n 40 | sed 's/^/    /' >&2
  fail "mvn package failed (the end of its log is above)"
fi
# what Maven fetched into its own cache (~/.m2) this time, from its "Downloaded from" lines
downloaded=$(sed -n 's/^\[INFO\] Downloaded from .* (\([0-9.]*\) \([kMG]\{0,1\}B\) at .*/\1 \2/p' "$stage/maven.log" |
  awk '{ s += $1 * ($2 == "kB" ? 1e3 : $2 == "MB" ? 1e6 : $2 == "GB" ? 1e9 : 1) } END { printf "%.0f", s / 1e6 }')

mkdir "$stage/lib"
cp "$stage/build/target/fhir-server.jar" "$stage/"
classpath="\$here/fhir-server.jar"
IFS=: read -r -a jars < "$stage/build/target/classpath.txt" || [ ${#jars[@]} -gt 0 ]   # no newline at its end
for jar in "${jars[@]}"; do
  name=$(basename "$jar")
  [ -e "$stage/lib/$name" ] && fail "two dependencies are both named $name"
  ln "$jar" "$stage/lib/$name" 2>/dev/null || cp "$jar" "$stage/lib/$name"
  classpath+=":\$here/lib/$name"
done
rm -rf "$stage/build" "$stage/maven.log"

# Serial GC and C1 only: on two shared cores the JIT and GC threads of the default setup slow the
# start-up they are meant to speed. HAPI_FHIR_JAVA_OPTS come last, so they override these.
cat > "$stage/hapi-fhir" <<LAUNCHER
#!/bin/sh
# HAPI FHIR $version JPA server (R4, H2) from ops/fhir-server at sources $sources; see its build.sh.
# usage: hapi-fhir --port N --data DIR [--host 127.0.0.1]
here=\$(dirname "\$(readlink -f "\$0")")
cds=''
[ -f "\$here/app.jsa" ] && cds="-XX:SharedArchiveFile=\$here/app.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"
# shellcheck disable=SC2086
exec java -Xmx1536m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \$cds \${HAPI_FHIR_JAVA_OPTS:-} \\
  -cp "$classpath" yilian.fhir.Main "\$@"
LAUNCHER
chmod 755 "$stage/hapi-fhir" "$stage"
mv -T "$stage" "$dir" 2>/dev/null || [ -x "$dir/hapi-fhir" ] || fail "cannot move $stage to $dir"
compiled=$(secs "$started")

# --- one start-up, in place (the archive is only valid for these paths) -----------------------
started=$(now_ms)
scratch=$(mktemp -d)
trap 'cleanup; rm -rf "$scratch"' EXIT
HAPI_FHIR_JAVA_OPTS="-XX:ArchiveClassesAtExit=$scratch/app.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
  "$dir/hapi-fhir" --port 0 --data "$scratch/data" > "$scratch/server.log" 2>&1 &
server_pid=$!
if ! node -e '
    const [log, pid] = process.argv.slice(1);
    const fs = require("node:fs");
    const deadline = Date.now() + 600_000;
    const alive = () => { try { process.kill(Number(pid), 0); return true; } catch { return false; } };
    (async () => {
      for (;;) {
        const port = /listening on http:\/\/[^:]+:(\d+)\//.exec(fs.readFileSync(log, "utf8"))?.[1];
        if (port && (await fetch(`http://127.0.0.1:${port}/fhir/metadata`).then((r) => r.status, () => 0)) === 200) return;
        if (!alive()) { console.error("the server exited before it answered /fhir/metadata"); process.exit(1); }
        if (Date.now() > deadline) { console.error("no answer from /fhir/metadata within 600 s"); process.exit(1); }
        await new Promise((r) => setTimeout(r, 250));
      }
    })();' "$scratch/server.log" "$server_pid"; then
  tail -n 40 "$scratch/server.log" | sed 's/^/    /' >&2
  rm -rf "$dir"
  fail "the built server did not start (the end of its log is above); removed $dir"
fi
ready_in=$(sed -n 's/.*ready in \([0-9]*\) ms.*/\1/p' "$scratch/server.log")
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true   # the JVM writes app.jsa as it exits
server_pid=''
[ -f "$scratch/app.jsa" ] && mv "$scratch/app.jsa" "$dir/app.jsa.$$" && mv -f "$dir/app.jsa.$$" "$dir/app.jsa"
say "built in $compiled (downloaded $downloaded MB), first start-up ${ready_in:-?} ms, class archive recorded in $(secs "$started"): $dir"
echo "$dir/hapi-fhir"
