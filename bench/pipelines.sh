#!/usr/bin/env bash
# Pipeline-side figures (bench/pipelines.py): webhook delivery throughput with one and with two
# Loupe processes on one database, reading the feedback feed, and `loupe import`.
# Uses a release build and a fresh embedded PostgreSQL loaded with 20,000 generated tasks.
# Usage: bench/pipelines.sh [--runs N]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/build.sh" --release >/dev/null
bin="${CARGO_TARGET_DIR:-$root/target}/release/loupe"
work="$(mktemp -d /tmp/loupe-bench-pipelines.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# The embedded cluster is what is measured, whatever the caller's environment names.
unset DATABASE_URL
export LOUPE_DATA_DIR="$work/data" LOUPE_ADMIN_PASSWORD=bench-admin-password RUST_LOG=warn
start() {
    LOUPE_ADDR="127.0.0.1:$1" LOUPE_WEBHOOK_ALLOW=127.0.0.1/32 "$bin" serve >>"$work/server.log" 2>&1 &
    pids+=($!)
    until curl -sf "http://127.0.0.1:$1/healthz" >/dev/null; do
        kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/server.log"; exit 1; }
        sleep 0.3
    done
}
start 3201
"$bin" generate --tasks 20000 --days 30 --prefix bench- >/dev/null
token="$("$bin" token create bench --scope ingest,read,admin 2>/dev/null)"
db="postgres://postgres@localhost/loupe?host=$LOUPE_DATA_DIR/pg-run"
args=(--url http://127.0.0.1:3201 --token "$token" --db "$db" --bin "$bin" --data-dir "$LOUPE_DATA_DIR")
python3 "$root/bench/pipelines.py" "${args[@]}" --label " (one process)" "$@"
# The second process is a replica on the first one's cluster (DATABASE_URL): a second `serve` on
# the same data folder is refused, since the folder belongs to one server.
DATABASE_URL="$db" start 3202
python3 "$root/bench/pipelines.py" "${args[@]}" --label " (two processes)" --only webhooks "$@"
