#!/usr/bin/env bash
# Installs missing tools (scripts/setup.sh) and builds Loupe with cargo-leptos: the server binary
# and the site (WASM, JS, CSS) in target/site. Arguments go to `cargo leptos build`, e.g. --release.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
# wasm-opt comes from npm binaryen (see setup.sh); cargo-leptos looks it up on PATH.
export PATH="$root/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# --split: the islands marked `#[island(lazy)]` (every one but the review desk) go into their own
# WASM files, fetched only by the pages that show them, so the review page loads the desk alone.
cargo leptos build --split "$@"
# Compressed copies of the WASM, JS and CSS, served as they are (see server/src/lib.rs).
node "$root/scripts/precompress.mjs" "${LEPTOS_SITE_ROOT:-$root/target/site}/pkg" >/dev/null
