#!/usr/bin/env bash
# Builds Loupe in release mode and measures, on this machine:
#   - the browser bundle: .wasm / .js / .css sizes, raw, gzip -9 and brotli as served;
#   - ingest throughput (bench/ingest.py) against a fresh embedded PostgreSQL;
#   - the review page's cold transfer: HTML + WASM + JS + CSS, compressed as the server sends them
#     to a browser that accepts brotli.
# Figures and how they were obtained are kept in bench/README.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/build.sh" --release

echo "== bundle (release, after wasm-opt)"
for f in target/site/pkg/loupe.wasm target/site/pkg/loupe.js target/site/pkg/loupe.css; do
    printf '%-28s %9d bytes raw  %9d bytes gzip  %9d bytes brotli\n' "$(basename "$f")" "$(stat -c %s "$f")" \
        "$(gzip -9c "$f" | wc -c)" "$(stat -c %s "$f.br")"
done

echo "== ingest"
work="$(mktemp -d /tmp/loupe-bench.XXXXXX)"
chmod 755 "$work"
bin="${CARGO_TARGET_DIR:-$root/target}/release/loupe"
port=3200
LOUPE_DATA_DIR="$work/data" LOUPE_ADDR="127.0.0.1:$port" LOUPE_ADMIN_PASSWORD=bench-admin-password \
    "$bin" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.5; done
token="$(LOUPE_DATA_DIR="$work/data" "$bin" token create bench 2>/dev/null)"
python3 "$root/bench/ingest.py" --url "http://127.0.0.1:$port" --token "$token" "$@"

echo "== review page, cold, as transferred (Accept-Encoding: br, gzip)"
base="http://127.0.0.1:$port"
cookie="$(curl -s -D - -o /dev/null --data 'username=admin&password=bench-admin-password' "$base/api/login" \
    | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(loupe_session=[^;]*\).*/\1/p')"
total=0
for path in /review /pkg/loupe.wasm /pkg/loupe.js /pkg/loupe.css; do
    read -r size encoding < <(curl -s -o /dev/null -H 'Accept-Encoding: br, gzip' -H "Cookie: $cookie" \
        -w '%{size_download} %header{content-encoding}\n' "$base$path")
    printf '%-16s %9d bytes (%s)\n' "$path" "$size" "${encoding:-identity}"
    total=$((total + size))
done
printf '%-16s %9d bytes\n' total "$total"
