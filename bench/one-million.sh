# Sourced by the benchmarks that run on 1M tasks (bench/dashboard.sh, bench/search.sh): picks the
# release binary (building it unless LOUPE_BIN names one) and loads 1,000,000 tasks and 300,000
# reviews over the last 365 days into an embedded PostgreSQL in LOUPE_BENCH_DIR (default
# /var/tmp/loupe-bench-1m). The folder is kept, so a rerun skips the load; delete it to start
# over. Sets `bin`, `data` and LOUPE_DATA_DIR.

bin="${LOUPE_BIN:-}"
if [ -z "$bin" ]; then
    "$root/scripts/build.sh" --release
    bin="${CARGO_TARGET_DIR:-$root/target}/release/loupe"
fi

data="${LOUPE_BENCH_DIR:-/var/tmp/loupe-bench-1m}"
mkdir -p "$data"
chmod 755 "$data"
export LOUPE_DATA_DIR="$data/data"

echo "== loading 1,000,000 tasks and 300,000 reviews (skipped when already loaded)"
# RUST_LOG=error: each generating statement runs for seconds, and sqlx would log its whole text
# as a slow statement.
start=$(date +%s)
RUST_LOG=error "$bin" generate --tasks 1000000 --reviews 300000 --days 365 --reviewers 24 \
    --prefix bench-
echo "load took $(( $(date +%s) - start )) s (including starting and stopping PostgreSQL)"
