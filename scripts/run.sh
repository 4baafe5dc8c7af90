#!/usr/bin/env bash
# Builds Loupe (release) and serves it at http://127.0.0.1:3000 with the demo data loaded.
# Without DATABASE_URL, Loupe keeps its own PostgreSQL cluster in ./data (or LOUPE_DATA_DIR).
# On the first start it creates the account `admin` and prints its password once
# (set LOUPE_ADMIN_PASSWORD beforehand to choose it). Stop with Ctrl+C.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
export PATH="$root/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cargo leptos build --release
exec "${CARGO_TARGET_DIR:-$root/target}/release/server" serve --demo --site-root "$root/target/site" "$@"
