#!/usr/bin/env bash
# The review page in real Chromium, against a release build with the demo data, three runs:
#   - zero wait: from the reviewer's Enter to the next task laid out on screen, median / p90 / max
#     over 20 submits (end2end/bench/zero-wait.bench.ts); report the median of the medians;
#   - cold transfer: every file the page fetches with an empty cache until the desk answers keys,
#     compressed as sent (end2end/bench/transfer.bench.ts).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" --release
export PATH="$root/end2end/node_modules/.bin:$PATH"

work="$(mktemp -d /tmp/loupe-bench.XXXXXX)"
chmod 755 "$work"
bin="${CARGO_TARGET_DIR:-$root/target}/release/loupe"
port=3201
export LOUPE_URL="http://127.0.0.1:$port" LOUPE_DATA_DIR="$work/data"
export LOUPE_E2E_REVIEWER_PASSWORD="bench-reviewer-password"
LOUPE_ADDR="127.0.0.1:$port" LOUPE_ADMIN_PASSWORD=bench-admin-password "$bin" serve --demo >"$work/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "$LOUPE_URL/healthz" >/dev/null; do sleep 0.5; done
printf '%s' "$LOUPE_E2E_REVIEWER_PASSWORD" | "$bin" user add rita --role reviewer --password-stdin >/dev/null
LOUPE_TOKEN="$("$bin" token create bench --scope ingest,read,admin 2>/dev/null)"
export LOUPE_TOKEN
for run in 1 2 3; do
    (cd "$root/end2end" && npx playwright test --config bench.config.ts --reporter line) | grep -E '^(zero-wait|transfer):'
done
