#!/usr/bin/env bash
# Builds Loupe in release mode and measures, on this machine:
#   - the browser bundle: .wasm / .js / .css sizes, raw, gzip -9 and brotli as served;
#   - ingest throughput (bench/ingest.py) against a fresh embedded PostgreSQL, and COPY of the
#     same rows into the same table for comparison.
# Figures and how they were obtained are kept in bench/README.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/build.sh" --release

echo "== bundle (release, after wasm-opt and the lazy islands' split)"
# The main WASM and its JS are what every page loads; each lazy island's WASM (split_*) and the
# shared pieces (chunk_*) are fetched only by a page that shows that island.
cd target/site/pkg
for f in loupe.wasm loupe.js __wasm_split*.js loupe.css split_*.wasm; do
    printf '%-56s %9d bytes raw  %9d bytes gzip  %9d bytes brotli\n' "$f" "$(stat -c %s "$f")" \
        "$(gzip -9c "$f" | wc -c)" "$(stat -c %s "$f.br")"
done
cd "$root"

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
# The same rows through PostgreSQL's COPY into the same table, for the ratio (issue 14's goal: 0.75).
python3 "$root/bench/ingest.py" --url "http://127.0.0.1:$port" --token "$token" \
    --copy "psql -h $work/data/pg-run -U postgres loupe" "$@"

# The review page's cold transfer is measured in the browser: bench/browser.sh.
