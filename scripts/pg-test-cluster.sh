#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for tests in the folder given as $1 (Unix socket only,
# fsync off: nothing here must survive a crash) and prints its DATABASE_URL. Stop it with
# `scripts/pg-test-cluster.sh stop DIR`. PostgreSQL refuses to run as root, so as root the cluster
# runs as the `postgres` OS user.
set -euo pipefail

bin="${LOUPE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi

if [ "${1:-}" = stop ]; then
    "${as_pg[@]}" "$bin/pg_ctl" stop -D "$2/data" -m immediate -s >/dev/null 2>&1 || true
    exit 0
fi

dir="$1"
mkdir -p "$dir"
chmod 700 "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
"${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" start -D "$dir/data" -l "$dir/postgres.log" -w -s \
    -o "-c listen_addresses='' -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
echo "postgres://postgres@localhost/postgres?host=$dir"
