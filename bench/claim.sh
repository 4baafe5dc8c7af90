#!/usr/bin/env bash
# The claim statement alone, before and after a change to it (issue 14's loop, issue 16's
# projects): pgbench runs the claim of `app/src/task/lease.rs` as it is at BEFORE (a git
# revision, with the migrations of that revision) and as it is in the working tree, one client,
# each run on a fresh queue of 10,000 waiting tasks, alternating, and prints the median latency.
#
#   bench/claim.sh [BEFORE] [RUNS]        # defaults: 37367e3 (before projects), 7
#
# A private cluster is started under /tmp and removed afterwards; no Loupe process is involved,
# so the figure is the statement's own cost in PostgreSQL (its triggers included).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
before="${1:-37367e3}"
runs="${2:-7}"
pgbin="${LOUPE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}"
work="$(mktemp -d /tmp/loupe-claim.XXXXXX)"
chmod 755 "$work"
trap '"$root/scripts/pg-test-cluster.sh" stop "$work/pg" >/dev/null; rm -rf "$work"' EXIT
url="$("$root/scripts/pg-test-cluster.sh" "$work/pg")"
db() { echo "${url/\/postgres\?/\/$1?}"; }

mkdir "$work/before" "$work/after"
git -C "$root" archive "$before" migrations app/src/task/lease.rs | tar -x -C "$work/before"
cp -r "$root/migrations" "$work/after/"
mkdir -p "$work/after/app/src/task" && cp "$root/app/src/task/lease.rs" "$work/after/app/src/task/"

for side in before after; do
    psql -q "$url" -c "create database $side"
    for m in "$work/$side"/migrations/*.sql; do
        psql -q -v ON_ERROR_STOP=1 -1 "$(db $side)" -f "$m" >/dev/null
    done
    psql -q "$(db $side)" \
        -c "insert into users (username, password_hash, role)
            select 'r' || i, '!', 'reviewer' from generate_series(1, 32) i"
    # The claim statement of that side's lease.rs, its binds as pgbench variables.
    python3 - "$work/$side/app/src/task/lease.rs" "$work/$side.sql" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
m = re.search(r'let row = sqlx::query!\(\s*r#"(with held as.*?)"#,\s*reviewer,\s*terms.lease_secs', src, re.S)
s = re.sub(r'as "(\w+)[!?]"', r'as \1', m.group(1))
for k, v in [("$1", ":r"), ("$2", "300"), ("$3", "30"), ("$4", "false"), ("$5", "true")]:
    s = s.replace(k, v)
open(sys.argv[2], "w").write("\\set r random(1, 32)\n" + " ".join(s.split()) + ";\n")
PY
done

fill() {
    psql -q "$(db "$1")" -c "delete from tasks" -c "delete from task_tally" \
        -c "insert into tasks (id, document, summary, confidence, model, model_version, threshold,
                               reason, status, created_at)
            select gen_random_uuid(), repeat('word ', 600), 'summary', random() * 0.79, 'm', '1',
                   0.8, 'low_confidence', 'queued', now() - random() * interval '7 days'
            from generate_series(1, 10000)" -c "vacuum analyze tasks" -c "checkpoint"
}
for i in $(seq 1 "$runs"); do
    for side in before after; do
        fill "$side"
        ms=$("$pgbin/pgbench" -n -M prepared -c 1 -T 3 -f "$work/$side.sql" "$(db $side)" 2>&1 \
            | awk '/latency average/ {print $4}')
        echo "$side $ms"
    done
done | tee "$work/results"
python3 - "$work/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for side in ("before", "after"):
    v = [float(ms) for s, ms in rows if s == side]
    print(f"{side}: median {statistics.median(v):.3f} ms per claim over {len(v)} runs")
PY
