#!/usr/bin/env bash
# Where the review loop's database time goes (issue 14): the loop of bench/loop.sh (32 reviewers,
# `review/next` then `review/submit`, 10k queued) against a release Loupe on a PostgreSQL cluster
# of its own started with pg_stat_statements and `track_functions = all`; after a 3 s warm-up,
# 10 s are measured, then the statements by total time and the functions (triggers) are printed.
#
#   CARGO_TARGET_DIR=… bench/loop-profile.sh /path/to/release/loupe [REVIEWERS]
#   QUEUED=200000 bench/loop-profile.sh …   # another queue size (default 10000)
#
# The cluster's buffer cache is the embedded cluster's on this machine unless
# LOUPE_PG_SHARED_BUFFERS_MB says otherwise (an eighth of memory, 128 MB to 1 GB). The WAL the
# measured run wrote is printed too (records, full-page images, bytes).
#
# Loupe connects as the superuser here (`DATABASE_URL`), so the client's "PG backends" CPU reads
# 0; the "PG all" figure is the cluster's. Times under load are wall times: compare shares.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$1"
reviewers="${2:-32}"
queued="${QUEUED:-10000}"
mem_mb="$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)"
buffers_mb="${LOUPE_PG_SHARED_BUFFERS_MB:-$(( mem_mb / 8 < 128 ? 128 : (mem_mb / 8 > 1024 ? 1024 : mem_mb / 8) ))}"
port="${LOUPE_BENCH_PORT:-3291}"
(cd "$root/bench/loop" && cargo build --release --quiet)
client="${CARGO_TARGET_DIR:-$root/bench/loop/target}/release/loop-bench"
pgbin="${LOUPE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}"
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi

work="$(mktemp -d /tmp/loupe-loop-profile.XXXXXX)"
chmod 755 "$work"
pg="$work/pg"
mkdir -m 700 "$pg"
if [ "$(id -u)" = 0 ]; then chown postgres: "$pg"; fi
"${as_pg[@]}" "$pgbin/initdb" -D "$pg/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" start -D "$pg/data" -l "$pg/log" -w -s -o "-c listen_addresses='' \
    -k $pg -c shared_preload_libraries=pg_stat_statements -c track_functions=all \
    -c pg_stat_statements.track=all -c max_connections=200 -c shared_buffers=${buffers_mb}MB"
psql -X -q -h "$pg" -U postgres -c "create database loupe"
db="postgres://postgres@localhost/loupe?host=$pg"
url="http://127.0.0.1:$port"
DATABASE_URL="$db" LOUPE_DATA_DIR="$work/data" LOUPE_ADDR="127.0.0.1:$port" \
    LOUPE_ADMIN_PASSWORD=bench-admin-password RUST_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; "${as_pg[@]}" "$pgbin/pg_ctl" stop -D "$pg/data" -m fast -s; rm -rf "$work"' EXIT
until curl -sf "$url/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
done
sql() { psql -X -q -t -A -h "$pg" -U postgres loupe -c "$1"; }
for i in $(seq 1 "$reviewers"); do
    printf bench-reviewer-password | DATABASE_URL="$db" RUST_LOG=warn LOUPE_DATA_DIR="$work/data" \
        "$bin" user add "bench-r$i" --role reviewer --password-stdin >/dev/null
done
token="$(DATABASE_URL="$db" LOUPE_DATA_DIR="$work/data" "$bin" token create bench 2>/dev/null)"
# The same 50 seeded outputs as bench/loop.sh (its seeding step, run as it is).
sed -n '/^python3 - "\$url" "\$token" <<.PY.$/,/^PY$/p' "$root/bench/loop.sh" >"$work/seed.sh"
# shellcheck disable=SC1091
source "$work/seed.sh"
until [ "$(sql "select count(*) from tasks where support is not null")" = 50 ]; do sleep 0.5; done
sql "create table bench_seed as select row_number() over (order by external_id) - 1 as k,
         document, summary, model, model_version, threshold, support from tasks"
sql "update tasks set status = 'reviewed', completed_at = now() where external_id like 'seed-%'"
sql "insert into tasks (id, document, summary, confidence, model, model_version, threshold, reason,
                        status, support, created_at)
     select gen_random_uuid(), s.document, s.summary, random() * 0.79, s.model, s.model_version,
            s.threshold, 'low_confidence', 'queued', s.support, now() - random() * interval '7 days'
     from generate_series(1, $queued) g join bench_seed s on s.k = g % 50"
# The search worker's parsing of the new tasks is ingest's work: done before the timed run.
until [ "$(sql "select count(*) from task_search_pending")" = 0 ]; do sleep 1; done
sql "vacuum analyze tasks"
sql "checkpoint"
postmaster="$(head -n 1 "$pg/data/postmaster.pid")"
"$client" "$url" bench-reviewer-password "$reviewers" 3 "$pid" "$postmaster" >/dev/null
sql "create extension if not exists pg_stat_statements"
sql "select pg_stat_statements_reset()" >/dev/null
sql "select pg_stat_reset()" >/dev/null
sql "select pg_stat_reset_shared('wal')" >/dev/null
"$client" "$url" bench-reviewer-password "$reviewers" 10 "$pid" "$postmaster"
echo "== WAL of the measured run (records | full-page images | bytes)"
psql -X -q -t -A -F ' | ' -h "$pg" -U postgres loupe -c "
    select wal_records, wal_fpi, pg_size_pretty(wal_bytes) from pg_stat_wal"
echo "== statements (calls | mean ms | total ms | rows | query)"
psql -X -q -t -A -F ' | ' -h "$pg" -U postgres loupe -c "
    select calls, round(mean_exec_time::numeric, 3), round(total_exec_time::numeric), rows,
           left(regexp_replace(query, '\s+', ' ', 'g'), 140)
    from pg_stat_statements order by total_exec_time desc limit 25"
echo "== functions (name | calls | total ms | self ms | ms per call)"
psql -X -q -t -A -F ' | ' -h "$pg" -U postgres loupe -c "
    select funcname, calls, round(total_time::numeric), round(self_time::numeric),
           round((total_time / calls)::numeric, 3)
    from pg_stat_user_functions where calls > 0 order by total_time desc"
echo "== tasks' indexes (name | scans in the measured run | size)"
psql -X -q -t -A -F ' | ' -h "$pg" -U postgres loupe -c "
    select indexrelname, idx_scan, pg_size_pretty(pg_relation_size(indexrelid))
    from pg_stat_user_indexes where relname = 'tasks' order by idx_scan desc, indexrelname"
echo "== tasks' row writes (updates | of them HOT)"
psql -X -q -t -A -F ' | ' -h "$pg" -U postgres loupe -c "
    select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relname = 'tasks'"
