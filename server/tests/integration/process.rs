//! The `loupe` binary as a person runs it: first start with its own PostgreSQL, the CLI beside a
//! running server, a clean stop on SIGTERM, and a restart that finds everything where it was.

use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_loupe");

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn loupe(data: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("LOUPE_DATA_DIR", data)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn");
    cmd
}

/// Starts `loupe serve` and waits for /healthz; returns the child and its base URL.
async fn serve(data: &Path, port: u16) -> (Child, String) {
    let child = loupe(data)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env_remove("LOUPE_ADMIN_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if let Ok(res) = reqwest::get(format!("{base}/healthz")).await
            && res.status() == 200
        {
            return (child, base);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "loupe did not become healthy"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// SIGTERM, then the exit status and everything the server printed.
fn stop(child: Child) -> (std::process::ExitStatus, String) {
    // SAFETY: kill only sends a signal to the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let output = child.wait_with_output().unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// Runs a CLI task on a data folder and returns what it printed; fails the test if it fails.
pub(crate) fn cli(data: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = loupe(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "loupe {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn loupe_starts_its_own_postgres_stops_it_on_sigterm_and_keeps_the_data() {
    let data = std::env::temp_dir().join(format!("loupe-process-{}", uuid::Uuid::new_v4()));
    let port = free_port();

    let (server, base) = serve(&data, port).await;
    // The CLI works on the same data folder while the server runs.
    let token = cli(
        &data,
        &["token", "create", "process-test", "--scope", "ingest,read"],
        None,
    )
    .trim()
    .to_owned();
    cli(
        &data,
        &["user", "add", "pat", "--password-stdin"],
        Some("pat-password-123"),
    );
    let http = reqwest::Client::new();
    let receipt: Value = http
        .post(format!("{base}/api/v1/tasks"))
        .bearer_auth(&token)
        .json(&json!({"document": "d", "summary": "s", "confidence": 0.1, "model": "m", "external_id": "kept"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (status, printed) = stop(server);
    assert!(status.success(), "exit status {status}");
    // The first start made the admin account; with no terminal to show its generated password
    // on, it went to a file only its owner can read, not to the output.
    let shown = std::fs::read_to_string(data.join("initial-admin-password")).unwrap();
    assert!(
        shown.contains("username: admin") && shown.contains("password: "),
        "{shown}"
    );
    assert!(!printed.contains("password"), "{printed}");
    assert!(printed.contains("Loupe is running at"), "{printed}");
    assert!(
        !data.join("pg/postmaster.pid").exists(),
        "PostgreSQL still running after Loupe exited"
    );

    // The CLI also works while nothing runs: it starts the cluster for itself and stops it again.
    cli(
        &data,
        &["user", "add", "quinn", "--password-stdin"],
        Some("quinn-password-123"),
    );
    assert!(!data.join("pg/postmaster.pid").exists());

    let (server, base) = serve(&data, port).await;
    let res = http
        .get(format!(
            "{base}/api/v1/tasks/{}",
            receipt["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the task did not survive the restart");
    let login = http
        .post(format!("{base}/api/login"))
        .form(&[("username", "quinn"), ("password", "quinn-password-123")])
        .send()
        .await
        .unwrap();
    assert!(
        login.headers().get("set-cookie").is_some(),
        "the user added offline cannot sign in"
    );
    let (status, printed) = stop(server);
    assert!(status.success());
    assert!(
        !printed.contains("password:"),
        "the admin password must be printed only on the first start"
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// The URL of the database `pool` works on (a `#[sqlx::test]` database on the test server).
pub(crate) async fn url_of(pool: &sqlx::PgPool) -> String {
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL names the test server");
    let (head, query) = server.split_once('?').unwrap_or((&server, ""));
    let base = &head[..head.rfind('/').unwrap()];
    format!("{base}/{name}?{query}")
}

/// `loupe serve` on an existing database, with quick webhook retries; waits for /healthz.
/// A server child that is killed if the test ends without stopping it (a failed assertion must
/// not leave a server holding the test database).
struct Served(Option<Child>);

impl Served {
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        stop(self.0.take().unwrap())
    }

    fn kill(mut self) {
        let mut child = self.0.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn serve_db(url: &str, port: u16) -> Served {
    let child = Command::new(BIN)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", url)
        .env("LOUPE_WEBHOOK_RETRY_SECONDS", "1")
        .env("LOUPE_WEBHOOK_TIMEOUT_SECONDS", "2")
        // The tests' receivers listen on 127.0.0.1, which the outbound policy refuses unless
        // allow-listed (as scripts/test.sh does).
        .env("LOUPE_WEBHOOK_ALLOW", "127.0.0.1/32")
        .env("LOUPE_ADMIN_PASSWORD", "admin-password-123")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Served(Some(child));
    let started = Instant::now();
    while reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .map(|r| r.status())
        .ok()
        != Some(reqwest::StatusCode::OK)
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "loupe did not become healthy"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child
}

async fn delivery_statuses(pool: &sqlx::PgPool) -> Vec<(String, i32)> {
    sqlx::query_as("select status, attempts from webhook_deliveries order by created_at, id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_delivery_pending_when_loupe_is_killed_is_sent_after_restart(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let port = free_port();
    let first = serve_db(&url, port).await;
    let app =
        crate::helpers::TestApp::attach(pool.clone(), format!("127.0.0.1:{port}").parse().unwrap())
            .await;
    // The receiver's port is chosen now but nothing listens there yet: attempts fail to connect.
    let hook_port = free_port();
    let hook_url = format!("http://127.0.0.1:{hook_port}/hook");
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": hook_url, "events": ["task.reviewed"], "secret": "restart-secret-0123456"})),
        )
        .await;
    assert_eq!(status, 201);
    app.submit(crate::helpers::task("restart-1", 0.1)).await;
    let rita = app.reviewer("rita").await;
    let id = rita.current_task().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    rita.review(&id, "5", "accept").await.unwrap();
    // Wait for a failed attempt, then kill the server without letting it clean up.
    let started = Instant::now();
    while delivery_statuses(&pool)
        .await
        .first()
        .is_none_or(|(_, attempts)| *attempts == 0)
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no delivery attempt"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill();
    assert_eq!(delivery_statuses(&pool).await[0].0, "pending");

    let receiver =
        crate::receiver::Receiver::start_on(&format!("127.0.0.1:{hook_port}"), &[], Duration::ZERO)
            .await;
    let second = serve_db(&url, port).await;
    let got = receiver.wait_for(1, Duration::from_secs(30)).await;
    assert!(got[0].signed_with("restart-secret-0123456"));
    assert_eq!(got[0].json()["task"]["id"], id.as_str());
    let started = Instant::now();
    while delivery_statuses(&pool).await[0].0 != "delivered" {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, _) = second.stop();
    assert!(status.success());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn two_loupe_processes_on_one_database_deliver_each_event_once(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let (port_a, port_b) = (free_port(), free_port());
    let a = serve_db(&url, port_a).await;
    let b = serve_db(&url, port_b).await;
    let app = crate::helpers::TestApp::attach(
        pool.clone(),
        format!("127.0.0.1:{port_a}").parse().unwrap(),
    )
    .await;
    // A slow receiver widens the window in which both workers look for due deliveries.
    let receiver =
        crate::receiver::Receiver::start_on("127.0.0.1:0", &[], Duration::from_millis(100)).await;
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": receiver.url(), "events": ["task.reviewed"], "secret": "shared-secret-0123456"})),
        )
        .await;
    assert_eq!(status, 201);
    let tasks: Vec<Value> = (0..200)
        .map(|i| json!({"document": "d", "summary": "s", "confidence": 0.9, "model": "m", "external_id": format!("once-{i}")}))
        .collect();
    let receipts = app.submit(Value::Array(tasks)).await;
    // 200 events at once, written by the same outbox code a review uses.
    let mut tx = pool.begin().await.unwrap();
    for r in receipts.as_array().unwrap() {
        let id = uuid::Uuid::parse_str(r["id"].as_str().unwrap()).unwrap();
        app::outbox::enqueue(&mut tx, app::outbox::TASK_REVIEWED, id)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let got = receiver.wait_for(200, Duration::from_secs(60)).await;
    let started = Instant::now();
    while delivery_statuses(&pool)
        .await
        .iter()
        .any(|(s, _)| s != "delivered")
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not all delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_after = receiver.received();
    assert_eq!(
        got_after.len(),
        got.len(),
        "requests arrived after every delivery was done"
    );
    let mut ids: Vec<&str> = got_after.iter().map(|r| r.delivery.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200, "some delivery was sent twice or never");
    assert_eq!(got_after.len(), 200);
    assert!(
        delivery_statuses(&pool)
            .await
            .iter()
            .all(|(_, attempts)| *attempts == 1)
    );
    // Both processes took part.
    let senders: i64 = sqlx::query_scalar("select count(distinct sender) from webhook_attempts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        senders, 2,
        "one process sent everything; the test proved nothing"
    );
    let (sa, _) = a.stop();
    let (sb, _) = b.stop();
    assert!(sa.success() && sb.success());
}

/// Runs a CLI command against an existing database; returns (success, stdout, stderr).
fn run_cli(url: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = stdin.unwrap_or("").to_owned();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_cli_lists_and_disables_users_and_lists_and_revokes_tokens(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let ok = |args: &[&str], stdin: Option<&str>| {
        let (success, out, err) = run_cli(&url, args, stdin);
        assert!(success, "loupe {args:?}: {err}");
        out
    };
    ok(
        &["user", "add", "ada", "--role", "admin", "--password-stdin"],
        Some("ada-password-123"),
    );
    ok(
        &["user", "add", "rita", "--password-stdin"],
        Some("rita-password-123"),
    );
    let list = ok(&["user", "list"], None);
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].starts_with("username"), "{list}");
    assert!(
        lines[1].starts_with("ada") && lines[1].contains("admin") && lines[1].contains("active"),
        "{list}"
    );
    assert!(
        lines[2].starts_with("rita") && lines[2].contains("reviewer"),
        "{list}"
    );

    // Disabling ends the sessions at once.
    let port = free_port();
    let server = serve_db(&url, port).await;
    let app =
        crate::helpers::TestApp::attach(pool.clone(), format!("127.0.0.1:{port}").parse().unwrap())
            .await;
    let rita = app.login("rita", "rita-password-123").await.unwrap();
    assert_eq!(rita.get_page("/review").await.status(), 200);
    ok(&["user", "disable", "rita"], None);
    assert!(
        ok(&["user", "list"], None)
            .lines()
            .any(|l| l.starts_with("rita") && l.contains("disabled"))
    );
    assert_ne!(
        rita.get_page("/review").await.status(),
        200,
        "a disabled user's session still works"
    );
    assert!(app.login("rita", "rita-password-123").await.is_err());
    // The last active admin cannot be disabled (ada is the only admin: the server made none).
    let (success, _, err) = run_cli(&url, &["user", "disable", "ada"], None);
    assert!(!success && err.contains("last active admin"), "{err}");
    let (success, _, err) = run_cli(&url, &["user", "disable", "nobody"], None);
    assert!(!success && err.contains("no user named nobody"), "{err}");
    ok(&["user", "enable", "rita"], None);
    assert!(app.login("rita", "rita-password-123").await.is_ok());

    // An admin's reset: a given password is not printed, a generated one is, once; either way
    // every session of the account ends.
    let rita = app.login("rita", "rita-password-123").await.unwrap();
    let out = ok(
        &["user", "passwd", "rita", "--password-stdin"],
        Some("rita-reset-password-1"),
    );
    assert!(!out.contains("rita-reset-password-1"), "{out}");
    assert_ne!(
        rita.get_page("/review").await.status(),
        200,
        "a session survived the reset"
    );
    let rita = app.login("rita", "rita-reset-password-1").await.unwrap();
    let out = ok(&["user", "passwd", "rita"], None);
    let generated = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap();
    assert_ne!(rita.get_page("/review").await.status(), 200);
    assert!(app.login("rita", generated).await.is_ok());
    // Roles: the last active admin cannot be demoted.
    ok(&["user", "role", "rita", "admin"], None);
    ok(&["user", "role", "ada", "reviewer"], None);
    let (success, _, err) = run_cli(&url, &["user", "role", "rita", "reviewer"], None);
    assert!(!success && err.contains("last active admin"), "{err}");
    ok(&["user", "role", "ada", "admin"], None);

    // Tokens: listed without their secret, revoked by id, refused afterwards.
    let token = ok(&["token", "create", "nightly", "--scope", "read"], None)
        .trim()
        .to_owned();
    let list = ok(&["token", "list"], None);
    assert!(!list.contains(&token), "token list shows a whole token");
    assert!(list.lines().next().unwrap().contains("scopes"), "{list}");
    let row = list.lines().find(|l| l.contains("nightly")).unwrap();
    let id = row.split_whitespace().next().unwrap();
    assert!(row.contains(&token[..14]), "{row}");
    assert!(row.split_whitespace().any(|cell| cell == "read"), "{row}");
    // Without --scope a token may only send outputs and feedback, and says so.
    let (success, _, err) = run_cli(&url, &["token", "create", "default"], None);
    assert!(success && err.contains("with scopes ingest;"), "{err}");
    assert!(
        ok(&["token", "list"], None)
            .lines()
            .any(|l| l.contains("default") && l.split_whitespace().any(|c| c == "ingest"))
    );
    let (success, _, err) = run_cli(&url, &["token", "create", "bad", "--scope", "write"], None);
    assert!(
        !success && err.contains("ingest") && err.contains("admin"),
        "{err}"
    );
    let authed = |t: String| {
        let http = app.http.clone();
        let url = app.url("/api/v1/feedback");
        async move { http.get(url).bearer_auth(t).send().await.unwrap().status() }
    };
    assert_eq!(authed(token.clone()).await, 200);
    ok(&["token", "revoke", id], None);
    assert_eq!(authed(token.clone()).await, 401);
    assert!(
        ok(&["token", "list"], None)
            .lines()
            .any(|l| l.contains("nightly") && l.contains("revoked"))
    );
    let (success, _, err) = run_cli(&url, &["token", "revoke", id], None);
    assert!(!success && err.contains("already revoked"), "{err}");
    let (success, _, err) = run_cli(&url, &["token", "revoke", "999999"], None);
    assert!(!success && err.contains("no token"), "{err}");
    let (status, _) = server.stop();
    assert!(status.success());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn import_is_batched_idempotent_and_names_the_bad_line_and_export_writes_a_file(
    pool: sqlx::PgPool,
) {
    let url = url_of(&pool).await;
    let dir = std::env::temp_dir().join(format!("loupe-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let line = |i: usize| {
        json!({"document": format!("Document {i}."), "summary": format!("Summary {i}."), "confidence": 0.5, "model": "m", "external_id": format!("imp-{i}")}).to_string()
    };
    // An interrupted import: the first 120 lines made it.
    let first: Vec<String> = (0..120).map(line).collect();
    let file = dir.join("part.jsonl");
    std::fs::write(&file, first.join("\n")).unwrap();
    let (success, out, err) = run_cli(
        &url,
        &["import", file.to_str().unwrap(), "--batch", "50"],
        None,
    );
    assert!(success, "{err}");
    assert!(
        out.contains("imported 120 lines: 120 new, 0 already stored"),
        "{out}"
    );
    assert!(err.contains("100%"), "no progress shown: {err}");
    // The whole file (with a blank line) then stores only the rest.
    let mut all: Vec<String> = (0..300).map(line).collect();
    all.insert(200, String::new());
    let file = dir.join("all.jsonl");
    std::fs::write(&file, all.join("\n")).unwrap();
    let (success, out, err) = run_cli(
        &url,
        &["import", file.to_str().unwrap(), "--batch", "50"],
        None,
    );
    assert!(success, "{err}");
    assert!(
        out.contains("imported 300 lines: 180 new, 120 already stored"),
        "{out}"
    );
    let count: i64 = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 300);

    // A bad line is named; the batch holding it is not stored.
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, format!("{}\n{}\n", line(1000), r#"{"document": "d", "summary": "s", "confidence": 2, "model": "m", "external_id": "x"}"#)).unwrap();
    let (success, _, err) = run_cli(&url, &["import", bad.to_str().unwrap()], None);
    assert!(!success);
    assert!(err.contains("line 2: confidence"), "{err}");
    std::fs::write(
        &bad,
        r#"{"document": "d", "summary": "s", "confidence": 0.5, "model": "m"}"#,
    )
    .unwrap();
    let (success, _, err) = run_cli(&url, &["import", bad.to_str().unwrap()], None);
    assert!(
        !success && err.contains("line 1: external_id is required"),
        "{err}"
    );
    let (success, _, err) = run_cli(
        &url,
        &["import", dir.join("missing.jsonl").to_str().unwrap()],
        None,
    );
    assert!(!success && err.contains("cannot open"), "{err}");
    let count: i64 = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 300);

    // Export: end-user feedback on two imported tasks, written to a file.
    for i in 0..2 {
        sqlx::query("insert into external_feedback (task_id, user_id, feedback_type, value, project_id) select id, 'u', 'thumbs', 1, project_id from tasks where external_id = $1")
            .bind(format!("imp-{i}"))
            .execute(&pool)
            .await
            .unwrap();
    }
    let out_file = dir.join("feedback.csv");
    let (success, _, err) = run_cli(
        &url,
        &[
            "export",
            "--format",
            "csv",
            "-o",
            out_file.to_str().unwrap(),
        ],
        None,
    );
    assert!(success, "{err}");
    assert!(err.contains("100% 2/2 rows"), "{err}");
    let csv = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.lines().nth(1).unwrap().contains("imp-0") || csv.contains("imp-0"),
        "{csv}"
    );
    let (success, _, err) = run_cli(&url, &["export", "--format", "xml"], None);
    assert!(!success && err.contains("--format must be one of"), "{err}");
    let (success, out, _) = run_cli(&url, &["import", "--help"], None);
    assert!(success && out.contains("external_id"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The pool's size is a setting with bounds: out of them is refused naming the flag.
#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_pool_size_is_set_by_flag_and_refused_out_of_bounds(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let (ok, _, err) = run_cli(&url, &["--db-pool-size", "1", "user", "list"], None);
    assert!(!ok);
    assert!(err.contains("--db-pool-size"), "{err}");
    let (ok, out, err) = run_cli(&url, &["--db-pool-size", "2", "user", "list"], None);
    assert!(ok, "{err}");
    assert!(out.starts_with("username"), "{out}");
}

/// `loupe rebuild-rollups` counts the dashboard's figures again from the stored rows: the
/// rollups come back as the triggers left them, and it says how many rows it read.
#[sqlx::test(migrator = "server::MIGRATOR")]
async fn rebuild_rollups_counts_the_figures_again_from_the_stored_rows(pool: sqlx::PgPool) {
    sqlx::query(
        "insert into tasks (id, document, summary, confidence, model, model_version, flagged,
                            threshold, reason, status, created_at)
         select gen_random_uuid(), 'A source document.', 'A summary.', i / 10.0, 'm', '1',
                false, 0.8, 'low_confidence', 'queued', now() - make_interval(hours => i)
         from generate_series(1, 9) i",
    )
    .execute(&pool)
    .await
    .unwrap();
    let rolled = |pool: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "select string_agg(format('%s %s %s %s', day, project_id, bin, n), ',' order by 1)
             from (select day, project_id, bin, sum(n) as n from task_volume
                   group by 1, 2, 3) t",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let before = rolled(pool.clone()).await;
    // A rollup gone wrong by hand: the rebuild puts it right.
    sqlx::query("update task_volume set n = n + 5")
        .execute(&pool)
        .await
        .unwrap();
    assert_ne!(rolled(pool.clone()).await, before);
    let url = url_of(&pool).await;
    let (ok, out, err) = run_cli(&url, &["rebuild-rollups"], None);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("dashboard rollups rebuilt from 9 stored rows"),
        "{out}"
    );
    assert_eq!(rolled(pool).await, before);
}
