#!/usr/bin/env bash
# The dependency audit: checks Cargo.lock against a RustSec advisory database, offline, and fails
# on any crate with a known vulnerability, and on any unmaintained or unsound notice not accepted
# (with its reason) in .cargo/audit.toml.
# The database is a snapshot folder: LOUPE_ADVISORY_DB, else the team's shared copy beside the
# repository. scripts/setup.sh installs cargo-audit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
db="${LOUPE_ADVISORY_DB:-}"
if [ -z "$db" ]; then
    for candidate in "$root/../shared/rustsec-advisory-db" /work/shared/rustsec-advisory-db; do
        if [ -d "$candidate/crates" ]; then db="$candidate"; break; fi
    done
fi
if [ -z "$db" ] || [ ! -d "$db/crates" ]; then
    echo "audit: no RustSec advisory database found; set LOUPE_ADVISORY_DB to a snapshot folder" >&2
    exit 1
fi
[ -f "$db/SNAPSHOT" ] && echo "audit: advisories as of $(sed -n 2p "$db/SNAPSHOT")"
exec "$root/.tools/venv/bin/cargo-audit" audit --db "$db" --no-fetch --stale --deny warnings --file Cargo.lock
