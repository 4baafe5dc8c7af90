#!/usr/bin/env bash
# Runs every Loupe test on a fresh machine: installs missing tools, then
#   1. unit and integration tests (cargo test) against a private PostgreSQL cluster, where
#      `#[sqlx::test]` gives each test a fresh database;
#   2. browser tests (Playwright in Debian's Chromium) against a real Loupe built by cargo-leptos,
#      with its own embedded PostgreSQL and the demo data.
# Ends with one line "tests: N passed, M failed".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
export PATH="$root/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

work="$(mktemp -d /tmp/loupe-test.XXXXXX)"
chmod 755 "$work"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; fi
    "$root/scripts/pg-test-cluster.sh" stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT

echo "== unit and integration tests"
DATABASE_URL="$("$root/scripts/pg-test-cluster.sh" "$work/pg")"
export DATABASE_URL
set +e
cargo test -p app -p server 2>&1 | tee "$work/cargo.log"
cargo_status=${PIPESTATUS[0]}
set -e
unset DATABASE_URL

echo "== browser tests"
"$root/scripts/build.sh"
bin="${CARGO_TARGET_DIR:-$root/target}/debug/loupe"
port="${LOUPE_TEST_PORT:-3100}"
export LOUPE_URL="http://127.0.0.1:$port"
export LOUPE_DATA_DIR="$work/data"
export LOUPE_E2E_REVIEWER_PASSWORD="reviewer-password-e2e"
export LOUPE_E2E_ADMIN_PASSWORD="admin-password-e2e"
LOUPE_ADDR="127.0.0.1:$port" LOUPE_ADMIN_PASSWORD="$LOUPE_E2E_ADMIN_PASSWORD" \
    "$bin" serve --demo >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
    curl -sf "$LOUPE_URL/healthz" >/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
done
# Accounts and a token through the CLI, against the same data folder the server is using.
printf '%s' "$LOUPE_E2E_REVIEWER_PASSWORD" | "$bin" user add rita --role reviewer --password-stdin
LOUPE_TOKEN="$("$bin" token create e2e 2>/dev/null)"
export LOUPE_TOKEN
set +e
(cd "$root/end2end" && npx playwright test) 2>&1 | tee "$work/playwright.log"
e2e_status=${PIPESTATUS[0]}
set -e

# One closing line for the whole run (grep finds nothing when a runner printed no count).
count() { { grep -hoE "$1" "$2" || true; } | { grep -oE '[0-9]+' || true; } | awk '{s+=$1} END {print s+0}'; }
passed=$(( $(count 'test result: [a-zA-Z]+\. [0-9]+ passed' "$work/cargo.log") + $(count '^ +[0-9]+ passed' "$work/playwright.log") ))
failed=$(( $(count '[0-9]+ failed;' "$work/cargo.log") + $(count '^ +[0-9]+ failed' "$work/playwright.log") ))
echo "tests: $passed passed, $failed failed"
[ "$cargo_status" = 0 ] && [ "$e2e_status" = 0 ]
