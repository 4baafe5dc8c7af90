#!/usr/bin/env bash
# The admin dashboard and the export at scale. Loads 1,000,000 tasks and 300,000 reviews over the
# last 365 days into a fresh embedded PostgreSQL (`loupe generate`), starts the release server on
# it, and runs bench/dashboard.py: the dashboard page's server time per view and each export's
# rows per second and peak server memory. Figures are kept in bench/README.md.
#
#   bench/dashboard.sh [--runs N]       # arguments go to bench/dashboard.py
#   LOUPE_BIN=/path/to/release/loupe bench/dashboard.sh   # skip the release build
#
# The data folder is kept (LOUPE_BENCH_DIR, default /var/tmp/loupe-bench-1m) so a rerun skips
# the load; delete it to start over.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. "$root/bench/one-million.sh"
du -sh "$LOUPE_DATA_DIR/pg" | sed 's/^/database size: /'

port=3300
password=bench-admin-password
LOUPE_ADDR="127.0.0.1:$port" LOUPE_ADMIN_PASSWORD="$password" RUST_LOG=warn \
    "$bin" serve >"$data/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.5; done
python3 "$root/bench/dashboard.py" --url "http://127.0.0.1:$port" --password "$password" --pid "$pid" "$@"
