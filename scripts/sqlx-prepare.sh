#!/usr/bin/env bash
# Regenerates .sqlx/, the offline query data that lets every build check Loupe's SQL without a
# database. Run it after changing a query or a migration, and commit the result.
# It starts a throwaway cluster, applies the migrations, and recompiles the crates with queries
# while the sqlx macros write their data (what `cargo sqlx prepare` does, without the extra tool).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
work="$(mktemp -d /tmp/loupe-prepare.XXXXXX)"
chmod 755 "$work"
trap '"$root/scripts/pg-test-cluster.sh" stop "$work/pg"; rm -rf "$work"' EXIT

url="$("$root/scripts/pg-test-cluster.sh" "$work/pg")"
psql -q "$url" -c 'create database prepare'
db_url="${url/\/postgres\?/\/prepare?}"
for migration in migrations/*.sql; do
    # One transaction per file, as the server's migrator applies them (some take table locks).
    psql -q -v ON_ERROR_STOP=1 -1 "$db_url" -f "$migration"
done

rm -rf .sqlx
mkdir .sqlx
# Touching the crate roots makes cargo re-expand every query macro in them.
touch app/src/lib.rs server/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$root/.sqlx" DATABASE_URL="$db_url" cargo check -q -p server --tests
echo "wrote $(ls .sqlx | wc -l) query files to .sqlx/"
