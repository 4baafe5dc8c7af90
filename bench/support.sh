#!/usr/bin/env bash
# Source-support hints, word edit distance and word diff: new code against the code before
# issue 12, on 1 KB / 10 KB / 100 KB / 1 MB documents with summaries at the summary cap.
# Builds bench/support/ in release (it compiles only those modules and serde) and runs it.
# Arguments go to the bench (the number of runs per figure, default 5).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/support"
cargo build --release --quiet
exec "${CARGO_TARGET_DIR:-target}/release/support-bench" "$@"
