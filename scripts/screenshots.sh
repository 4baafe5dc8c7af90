#!/usr/bin/env bash
# Refreshes the README's screenshots in docs/ (review-light.png, review-dark.png, dashboard.png):
# builds Loupe, serves it with the demo data, and runs the two Playwright specs that take them with
# LOUPE_SCREENSHOTS pointing at docs/. An ordinary test run saves the same pictures under
# end2end/test-results/screenshots instead, so it never rewrites tracked files.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
export PATH="$root/end2end/node_modules/.bin:$PATH"

work="$(mktemp -d /tmp/loupe-screenshots.XXXXXX)"
chmod 755 "$work"
bin="${CARGO_TARGET_DIR:-$root/target}/debug/loupe"
port="${LOUPE_SCREENSHOTS_PORT:-3102}"
export LOUPE_URL="http://127.0.0.1:$port" LOUPE_DATA_DIR="$work/data"
export LOUPE_E2E_REVIEWER_PASSWORD="screenshots-reviewer" LOUPE_E2E_ADMIN_PASSWORD="screenshots-admin"
LOUPE_ADDR="127.0.0.1:$port" LOUPE_ADMIN_PASSWORD="$LOUPE_E2E_ADMIN_PASSWORD" "$bin" serve --demo >"$work/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "$LOUPE_URL/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
done
printf '%s' "$LOUPE_E2E_REVIEWER_PASSWORD" | "$bin" user add rita --role reviewer --password-stdin >/dev/null
cd "$root/end2end"
LOUPE_SCREENSHOTS="$root/docs" npx playwright test appearance.spec.ts dashboard.spec.ts
echo "screenshots: docs/review-light.png docs/review-dark.png docs/dashboard.png"
