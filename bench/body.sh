#!/usr/bin/env bash
# Peak server memory while Loupe receives 64 MB request bodies on POST /api/v1/tasks (issue 12,
# finding 5). Starts a built `loupe` on a fresh embedded PostgreSQL in a temporary folder, then for
# each body kind resets the server's peak-RSS counter (`echo 5 > /proc/PID/clear_refs`), posts the
# body with curl (once, then 4 at once) and reads VmHWM from /proc/PID/status. Neither body stores
# anything (both end in a 422), so every run starts from the same database. Prints each run and
# the median per case. Figures are kept in bench/README.md.
#
#   bench/body.sh [RUNS]           # default 5 runs per case
#   LOUPE_BIN=path/to/loupe bench/body.sh   # default: $CARGO_TARGET_DIR/debug/loupe
#
# Body kinds, each 64 MiB (the ingest route's limit):
#   numbers  one task whose metadata is an array of 32 million zeros: tiny JSON values, which a
#            serde_json::Value holds at 32+ bytes each
#   batch    1,000 tasks of 64 KiB documents, the last one invalid (confidence 2)
set -euo pipefail

runs="${1:-5}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${LOUPE_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/loupe}"
[ -x "$bin" ] || { echo "no loupe binary at $bin (build it, or set LOUPE_BIN)" >&2; exit 1; }

work="$(mktemp -d /var/tmp/loupe-body-XXXXXX)"
chmod 755 "$work"
export LOUPE_DATA_DIR="$work/data"
port="${LOUPE_BENCH_PORT:-3310}"

python3 - "$work" <<'EOF'
import json, sys
work = sys.argv[1]
limit = 64 * 1024 * 1024
head = '[{"document": "d", "summary": "s", "confidence": 0.5, "model": "m", "metadata": {"n": ['
tail = ']}}]'
count = (limit - len(head) - len(tail) - 16) // 2
with open(f"{work}/numbers.json", "w") as f:
    f.write(head)
    f.write("0," * (count - 1))
    f.write("0")
    f.write(tail)
doc = "lorem ipsum " * (64 * 1024 // 12)
tasks = [{"document": doc, "summary": "s", "confidence": 0.5, "model": "m"} for _ in range(999)]
tasks.append({"document": doc, "summary": "s", "confidence": 2, "model": "m"})
with open(f"{work}/batch.json", "w") as f:
    json.dump(tasks, f)
EOF
ls -l "$work"/*.json | awk '{print "body " $NF ": " $5 " bytes"}'

token="$("$bin" token create body-bench 2>/dev/null)"
LOUPE_ADDR="127.0.0.1:$port" LOUPE_ADMIN_PASSWORD=bench-admin-password RUST_LOG=warn \
    "$bin" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.5; done

kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }
post() {
    curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/v1/tasks" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data-binary "@$work/$1.json"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "idle server: VmRSS $(kb VmRSS) kB"
for body in numbers batch; do
    for parallel in 1 4; do
        peaks=()
        for run in $(seq "$runs"); do
            echo 5 > "/proc/$pid/clear_refs"
            base=$(kb VmRSS)
            codes=""
            posts=()
            for i in $(seq "$parallel"); do
                post "$body" > "$work/code.$i" &
                posts+=($!)
            done
            wait "${posts[@]}"
            for i in $(seq "$parallel"); do codes="$codes $(cat "$work/code.$i")"; done
            peak=$(kb VmHWM)
            peaks+=("$peak")
            echo "$body x$parallel run $run: statuses$codes, RSS before $base kB, peak $peak kB"
        done
        echo "== $body x$parallel: median peak $(printf '%s\n' "${peaks[@]}" | median) kB"
    done
done
