#!/usr/bin/env bash
# The review loop at growing queue sizes (issue 14): signed-in reviewers call the review page's own
# server functions, `review/next` then `review/submit`, against a release Loupe on its embedded
# PostgreSQL. For each queue size, 1 and 32 reviewers, several runs each; prints one JSON line per
# run and the medians. See bench/README.md for the figures.
#
#   bench/loop.sh                                   # sizes 10000 200000 1000000, 3 runs of 10 s
#   SIZES="10000 200000" RUNS=5 SECONDS_PER_RUN=15 bench/loop.sh
#   LOUPE_BIN=/path/to/release/loupe bench/loop.sh  # skip the release build
#
# The queue is filled by SQL, not through the API (a million tasks through the API would time
# ingest, not the loop): 50 distinct outputs are ingested and given hints by the support worker,
# then cloned with fresh ids, confidences and ages up to the size. Before each run the queue is
# topped up again, so every run starts at its size; reviews pile up across runs, as they would.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
SIZES="${SIZES:-10000 200000 1000000}"
RUNS="${RUNS:-3}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
REVIEWERS="${REVIEWERS:-1 32}"
port="${LOUPE_BENCH_PORT:-3201}"
target="${CARGO_TARGET_DIR:-$root/target}"

bin="${LOUPE_BIN:-}"
if [ -z "$bin" ]; then
    "$root/scripts/build.sh" --release
    bin="$target/release/loupe"
fi
(cd bench/loop && cargo build --release --quiet)
client="${CARGO_TARGET_DIR:-$root/bench/loop/target}/release/loop-bench"

work="$(mktemp -d /tmp/loupe-loop.XXXXXX)"
chmod 755 "$work"
data="$work/data"
url="http://127.0.0.1:$port"
LOUPE_DATA_DIR="$data" LOUPE_ADDR="127.0.0.1:$port" LOUPE_ADMIN_PASSWORD=bench-admin-password \
    RUST_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "$url/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
done
sql() { psql -X -q -t -A -h "$data/pg-run" -U postgres loupe -c "$1"; }
postmaster="$(head -n 1 "$data/pg/postmaster.pid")"

password=bench-reviewer-password
for i in $(seq 1 32); do
    printf '%s' "$password" | RUST_LOG=warn LOUPE_DATA_DIR="$data" "$bin" user add "bench-r$i" --role reviewer \
        --password-stdin >/dev/null
done
token="$(LOUPE_DATA_DIR="$data" "$bin" token create bench 2>/dev/null)"

echo "== seeding 50 distinct outputs (3 KB documents) and waiting for their hints"
python3 - "$url" "$token" <<'PY'
import json, sys, urllib.request
url, token = sys.argv[1], sys.argv[2]
topics = ["council", "hospital", "river", "school", "factory", "museum", "airport", "library"]
tasks = []
for i in range(50):
    t = topics[i % len(topics)]
    sentences = [
        f"The {t} board met on day {d} of the review and approved {d * 3 + i} new measures."
        f" Officials said the {t} budget would rise by {d + i} percent next year."
        for d in range(1, 16)
    ]
    tasks.append({
        "external_id": f"seed-{i}",
        "document": " ".join(sentences),
        "summary": f"The {t} board approved new measures. The budget will rise by {i + 1} percent."
                   f" Officials welcomed the plan.",
        "confidence": 0.1,
        "model": "bench",
        "model_version": "1",
    })
req = urllib.request.Request(f"{url}/api/v1/tasks", data=json.dumps(tasks).encode(),
    headers={"Authorization": f"Bearer {token}", "content-type": "application/json"}, method="POST")
urllib.request.urlopen(req, timeout=60).read()
PY
until [ "$(sql "select count(*) from tasks where support is not null")" = 50 ]; do sleep 0.5; done
sql "create table bench_seed as select row_number() over (order by external_id) - 1 as k,
         document, summary, model, model_version, threshold, support from tasks"
sql "update tasks set status = 'reviewed', completed_at = now() where external_id like 'seed-%'"

# Tops the queue up to $1 waiting tasks.
fill() {
    local have
    have="$(sql "select count(*) from tasks where status = 'queued'")"
    if [ "$have" -lt "$1" ]; then
        sql "insert into tasks (id, document, summary, confidence, model, model_version, threshold,
                                reason, status, support, created_at)
             select gen_random_uuid(), s.document, s.summary, random() * 0.79, s.model,
                    s.model_version, s.threshold, 'low_confidence', 'queued', s.support,
                    now() - random() * interval '7 days'
             from generate_series(1, $1 - $have) g join bench_seed s on s.k = g % 50"
        # The search worker parses every new task's words once (migration 0030); that is ingest's
        # work, so it is done before the timed run rather than during it.
        if [ "$(sql "select to_regclass('task_search_pending') is not null")" = t ]; then
            until [ "$(sql "select count(*) from task_search_pending")" = 0 ]; do sleep 1; done
        fi
        sql "vacuum analyze tasks"
        # The fill's own writes are flushed now, not during the timed run.
        sql "checkpoint"
    fi
}

results="$work/results.jsonl"
for size in $SIZES; do
    for reviewers in $REVIEWERS; do
        for run in $(seq 1 "$RUNS"); do
            fill "$size"
            line="$("$client" "$url" "$password" "$reviewers" "$SECONDS_PER_RUN" "$pid" "$postmaster")"
            echo "{\"queued\": $size, \"run\": $run, \"result\": $line}" | tee -a "$results"
        done
    done
done
echo "== medians"
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = sorted({(r["queued"], r["result"]["reviewers"]) for r in rows})
print(f"{'queued':>9} {'reviewers':>9} {'reviews/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
      f"{'CPU ms/review: Loupe':>21} {'PG backends':>12} {'PG all':>7} {'handed twice':>13}")
for q, n in keys:
    rs = [r["result"] for r in rows if r["queued"] == q and r["result"]["reviewers"] == n]
    med = lambda k: statistics.median(x[k] for x in rs)
    print(f"{q:>9} {n:>9} {med('reviews_per_s'):>10.0f} {med('p50_ms'):>8.2f} {med('p99_ms'):>8.2f} "
          f"{med('cpu_ms_per_review_loupe'):>21.2f} {med('cpu_ms_per_review_pg_backends'):>12.2f} "
          f"{med('cpu_ms_per_review_pg'):>7.2f} "
          f"{sum(x['handed_twice'] for x in rs):>13}")
PY
echo "RSS of Loupe after the runs: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
