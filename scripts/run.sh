#!/usr/bin/env bash
# Builds Loupe (release) and serves it at http://127.0.0.1:3000 with the demo data loaded.
# Without DATABASE_URL, Loupe keeps its own PostgreSQL cluster in ./data (or LOUPE_DATA_DIR).
# On the first start it creates the account `admin` and prints its password once
# (set LOUPE_ADMIN_PASSWORD beforehand to choose it). Stop with Ctrl+C.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" --release
cd "$root"
exec "${CARGO_TARGET_DIR:-$root/target}/release/loupe" serve --demo --site-root "$root/target/site" "$@"
