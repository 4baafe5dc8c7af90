#!/usr/bin/env bash
# Runs every Loupe test on a fresh machine: installs missing tools, then
#   0. the dependency audit (scripts/audit.sh: RustSec advisories, offline);
#   1. unit and integration tests (cargo test) against a private PostgreSQL cluster, where
#      `#[sqlx::test]` gives each test a fresh database; then, on their own, the two-replica tests
#      behind HAProxy (ignored in the main run);
#   2. browser tests (Playwright in Debian's Chromium) against a real Loupe built by cargo-leptos,
#      with its own embedded PostgreSQL and the demo data;
#   3. against that same Loupe: the Python client's tests (examples/python); the Airflow DAG and
#      the Prefect flow run for real (examples/airflow, examples/prefect: Airflow's dag.test() and
#      a local Prefect API, each in the pinned virtualenv scripts/pipeline-venvs.sh made) while a
#      reviewer and the admin act on their tasks; and Schemathesis over the OpenAPI document (no
#      5xx, no response outside the schema).
# Ends with one line "tests: N passed, M failed".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
export PATH="$root/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

work="$(mktemp -d /tmp/loupe-test.XXXXXX)"
chmod 755 "$work"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; fi
    "$root/scripts/pg-test-cluster.sh" stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT

echo "== dependency audit (RustSec, offline)"
set +e
"$root/scripts/audit.sh" 2>&1 | tee "$work/audit.log"
audit_status=${PIPESTATUS[0]}
set -e

echo "== unit and integration tests"
DATABASE_URL="$("$root/scripts/pg-test-cluster.sh" "$work/pg")"
export DATABASE_URL
set +e
cargo test -p app -p server 2>&1 | tee "$work/cargo.log"
cargo_status=${PIPESTATUS[0]}
# The scale-out tests (two replicas behind HAProxy, server/tests/integration/replicas.rs) run
# alone: they load the machine, and the suite has tests of staying responsive under load.
cargo test -p server --test integration -- --ignored 2>&1 | tee -a "$work/cargo.log"
[ "${PIPESTATUS[0]}" = 0 ] || cargo_status=1
set -e
unset DATABASE_URL

echo "== browser tests"
"$root/scripts/build.sh"
bin="${CARGO_TARGET_DIR:-$root/target}/debug/loupe"
port="${LOUPE_TEST_PORT:-3100}"
export LOUPE_URL="http://127.0.0.1:$port"
export LOUPE_DATA_DIR="$work/data"
export LOUPE_E2E_REVIEWER_PASSWORD="reviewer-password-e2e"
export LOUPE_E2E_ADMIN_PASSWORD="admin-password-e2e"
# The webhook receivers of the browser and Python tests listen on 127.0.0.1, which the outbound
# policy refuses unless allow-listed.
LOUPE_ADDR="127.0.0.1:$port" LOUPE_ADMIN_PASSWORD="$LOUPE_E2E_ADMIN_PASSWORD" \
    LOUPE_WEBHOOK_ALLOW=127.0.0.1/32 "$bin" serve --demo >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
    curl -sf "$LOUPE_URL/healthz" >/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
done
# Accounts and a token through the CLI, against the same data folder the server is using.
printf '%s' "$LOUPE_E2E_REVIEWER_PASSWORD" | "$bin" user add rita --role reviewer --password-stdin
# A reviewer of its own for the hostile-text suite (end2end/tests/xss.spec.ts): no lease another
# suite left behind stands between it and the tasks it sends.
printf '%s' "$LOUPE_E2E_REVIEWER_PASSWORD" | "$bin" user add hostile-rev --role reviewer --password-stdin
# A reviewer whose password end2end/tests/account.spec.ts changes (and puts back).
printf '%s' "$LOUPE_E2E_REVIEWER_PASSWORD" | "$bin" user add pw-rev --role reviewer --password-stdin
# A project with a hostile name and its one member (end2end/tests/projects.spec.ts).
"$bin" project add e2e-legal --name '<img src=x onerror=alert(1)> Legal' >/dev/null
printf '%s' "$LOUPE_E2E_REVIEWER_PASSWORD" | "$bin" user add proj-rev --role reviewer --password-stdin
"$bin" project member e2e-legal proj-rev >/dev/null
# Its project admin (end2end/tests/projects.spec.ts).
printf '%s' "$LOUPE_E2E_REVIEWER_PASSWORD" | "$bin" user add proj-admin --role reviewer --password-stdin
"$bin" project member e2e-legal proj-admin --admin >/dev/null
# Every scope: Playwright sends and reads tasks and routing, the Python client tests register
# webhooks, and Schemathesis calls every route.
LOUPE_TOKEN="$("$bin" token create e2e --scope ingest,read,admin 2>/dev/null)"
export LOUPE_TOKEN
# The widget spec serves a product page on this port; the publishable key lists its origin.
export LOUPE_WIDGET_PORT=$((port + 50))
LOUPE_WIDGET_KEY="$("$bin" key add e2e-widget --origin "http://127.0.0.1:$LOUPE_WIDGET_PORT" 2>/dev/null)"
export LOUPE_WIDGET_KEY
set +e
(cd "$root/end2end" && npx playwright test) 2>&1 | tee "$work/playwright.log"
e2e_status=${PIPESTATUS[0]}
set -e

echo "== Python client, Airflow DAG and Prefect flow"
printf '%s' "python-reviewer-pw" | "$bin" user add py-reviewer --role reviewer --password-stdin
# The reviewer who reviews the tasks the DAG and the flow send (pipeline_cases.py).
printf '%s' "pipeline-reviewer-pw" | "$bin" user add pipeline-reviewer --role reviewer --password-stdin
eval "$("$root/scripts/pipeline-venvs.sh" env)"
set +e
LOUPE_PY_REVIEWER=py-reviewer LOUPE_PY_REVIEWER_PASSWORD=python-reviewer-pw \
    python3 -m unittest -v examples/python/test_loupe_client.py 2>&1 | tee "$work/python.log"
py_status=${PIPESTATUS[0]}
LOUPE_PIPELINE_REVIEWER=pipeline-reviewer LOUPE_PIPELINE_REVIEWER_PASSWORD=pipeline-reviewer-pw \
    python3 -m unittest -v examples/airflow/test_dag.py examples/prefect/test_flow.py 2>&1 | tee -a "$work/python.log"
[ "${PIPESTATUS[0]}" = 0 ] || py_status=1
set -e

echo "== Schemathesis against the OpenAPI document"
# One worker: with two, Hypothesis's source inspection (Python 3.11's ast) can race and abort a
# run with an internal error that says nothing about the API.
set +e
"$root/.tools/venv/bin/schemathesis" run "$LOUPE_URL/api/v1/openapi.json" \
    --header "Authorization: Bearer $LOUPE_TOKEN" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --phases examples,coverage,fuzzing --max-examples 40 --workers 1 --seed 1 \
    --no-color 2>&1 | tee "$work/schemathesis.log"
st_status=${PIPESTATUS[0]}
set -e

# One closing line for the whole run (grep finds nothing when a runner printed no count).
count() { { grep -hoE "$1" "$2" || true; } | { grep -oE '[0-9]+' || true; } | awk '{s+=$1} END {print s+0}'; }
# unittest prints "Ran N tests" and, on failure, "FAILED (failures=F, errors=E, skipped=S)";
# a skipped test counts as not passed (the pipeline examples' tests skip without their
# virtualenvs). Schemathesis and the dependency audit count as one test each.
py_ran=$(count '^Ran [0-9]+ test' "$work/python.log")
py_bad=$(count '(failures|errors|skipped)=[0-9]+' "$work/python.log")
others_passed=$(( (st_status == 0) + (audit_status == 0) ))
others_failed=$(( (st_status != 0) + (audit_status != 0) ))
passed=$(( $(count 'test result: [a-zA-Z]+\. [0-9]+ passed' "$work/cargo.log") + $(count '^ +[0-9]+ passed' "$work/playwright.log") + py_ran - py_bad + others_passed ))
failed=$(( $(count '[0-9]+ failed;' "$work/cargo.log") + $(count '^ +[0-9]+ failed' "$work/playwright.log") + py_bad + others_failed ))
echo "tests: $passed passed, $failed failed"
[ "$audit_status" = 0 ] && [ "$cargo_status" = 0 ] && [ "$e2e_status" = 0 ] && [ "$py_status" = 0 ] && [ "$st_status" = 0 ]
