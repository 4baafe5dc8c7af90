#!/usr/bin/env bash
# Finding outputs at scale (issue 16): the task list's filters and its text search at 1M tasks.
# Loads 1,000,000 tasks and 300,000 reviews into a fresh embedded PostgreSQL (`loupe generate`,
# the same data as bench/dashboard.sh, made searchable by the generator), starts the release
# server on it, and runs bench/search.py: the server's answer time for each filter, median of
# several runs. Figures are kept in bench/README.md.
#
#   bench/search.sh [--runs N]                  # arguments go to bench/search.py
#   LOUPE_BIN=/path/to/release/loupe bench/search.sh   # skip the release build
#
# The data folder is kept (LOUPE_BENCH_DIR, default /var/tmp/loupe-bench-1m, shared with
# bench/dashboard.sh) so a rerun skips the load; delete it to start over.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. "$root/bench/one-million.sh"

port=3301
LOUPE_ADDR="127.0.0.1:$port" LOUPE_ADMIN_PASSWORD=bench-admin-password RUST_LOG=warn \
    "$bin" serve >"$data/search-server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.5; done
token="$("$bin" token create "search-bench-$(date +%s)" --scope read 2>/dev/null)"
python3 "$root/bench/search.py" --url "http://127.0.0.1:$port" --token "$token" "$@"
