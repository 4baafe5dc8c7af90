//! Source-support hints: computed once per task by the background worker right after ingest,
//! stored with the task, rendered into the review page by the server; never computed by a view.
//! And the attack of issue 12: pathological text opened by several reviewers at once leaves the
//! server answering everyone else.

use crate::helpers::TestApp;
use app::state::Settings;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DOCUMENT: &str = "Acme Corp reported results on Tuesday. Revenue at the Rotterdam plant fell \
    12 percent in the third quarter. The weather in the region was mild. Management blamed a strike \
    at the port for the drop.";
const SUMMARY: &str = "Rotterdam revenue fell 12 percent, blamed on a port strike. Acme hired Jane \
    Porter as chief executive in 2025.";

/// Runs the worker's computation now, as the running worker would a moment after ingest.
async fn compute_hints(app: &TestApp) -> usize {
    server::support_worker::compute_all_pending(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn hints_are_computed_by_the_worker_after_ingest_stored_and_rendered(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(json!({
        "document": DOCUMENT, "summary": SUMMARY, "confidence": 0.3,
        "model": "summarizer", "model_version": "1", "external_id": "hints"
    }))
    .await;
    let stored: Option<Value> = sqlx::query_scalar("select support from tasks")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, None, "nothing is computed at ingest");
    assert_eq!(compute_hints(&app).await, 1);
    assert_eq!(compute_hints(&app).await, 0, "each task is computed once");

    let rita = app.reviewer("rita").await;
    let task = rita.current_task().await.unwrap();
    let sentences = task["support"]["summary"].as_array().unwrap();
    assert_eq!(sentences.len(), 2);
    assert_eq!(sentences[0]["sources"], json!([1, 3]));
    assert!(sentences[0]["score"].as_f64().unwrap() > 0.9);
    assert!(sentences[1]["score"].as_f64().unwrap() < 0.5);
    assert_eq!(task["weak_below"], 0.5);
    let stored: Value = sqlx::query_scalar("select support from tasks")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, task["support"], "kept with the task");

    let html = rita.get_page("/review").await.text().await.unwrap();
    assert!(
        html.contains(r#"class="sum-sent weak""#),
        "the invented sentence is marked weak"
    );
    assert!(html.contains(r#"class="unsupported">Jane Porter</mark>"#));
    assert!(html.contains(r#"class="unsupported">2025</mark>"#));
    assert!(html.contains(r#"id="src-3""#));
    assert!(html.contains("1 of 2 sentences marked"));
    assert!(!html.contains("too long to check"), "nothing was cut");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_view_never_computes_hints_it_shows_the_task_plain_and_says_they_are_coming(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    app.submit(json!({
        "document": DOCUMENT, "summary": SUMMARY, "confidence": 0.3,
        "model": "summarizer", "external_id": "plain"
    }))
    .await;
    let rita = app.reviewer("rita").await;
    let task = rita.current_task().await.unwrap();
    assert_eq!(task["support"], Value::Null);
    let html = rita.get_page("/review").await.text().await.unwrap();
    assert!(html.contains("Source-support hints are being computed"));
    assert!(
        html.contains("Acme hired Jane"),
        "the summary is shown whole, plain"
    );
    assert!(!html.contains("sum-sent"));
    let stored: Option<Value> = sqlx::query_scalar("select support from tasks")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        stored, None,
        "two views later, still nothing computed by them"
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_running_worker_is_woken_by_ingest_not_by_its_poll(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // A poll far longer than the test: only the notification can wake it in time.
    let settings = server::support_worker::Settings {
        poll: Duration::from_secs(600),
        ..Default::default()
    };
    tokio::spawn(server::support_worker::run(app.pool.clone(), settings));
    wait_until(
        &app.pool,
        "select exists (select 1 from pg_stat_activity where query like 'LISTEN %loupe_support%')",
    )
    .await;
    app.submit(json!({
        "document": DOCUMENT, "summary": SUMMARY, "confidence": 0.3,
        "model": "summarizer", "external_id": "woken"
    }))
    .await;
    wait_until(
        &app.pool,
        "select support is not null from tasks where external_id = 'woken'",
    )
    .await;
}

/// Waits (up to 30 s) until `sql` answers true.
async fn wait_until(pool: &PgPool, sql: &'static str) {
    let started = Instant::now();
    loop {
        let done: bool = sqlx::query_scalar(sql).fetch_one(pool).await.unwrap();
        if done {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for: {sql}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_summary_over_the_summary_limit_is_refused_naming_it_and_nothing_is_stored(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        Settings {
            max_summary_bytes: 1_000,
            ..Settings::default()
        },
    )
    .await;
    let long = "Ab. ".repeat(300);
    let one = json!({"document": long, "summary": long, "confidence": 0.5, "model": "m"});
    let res = app.post_json("/api/v1/tasks", &one).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "summary", "{body}");
    let ok = json!({"document": long, "summary": "Short.", "confidence": 0.5, "model": "m"});
    let res = app.post_json("/api/v1/tasks", &json!([ok, one])).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "tasks[1].summary", "{body}");
    assert_eq!(app.count("tasks").await, 0);
    // The document keeps its own, larger limit.
    assert_eq!(app.post_json("/api/v1/tasks", &ok).await.status(), 201);
}

const BIN: &str = env!("CARGO_BIN_EXE_loupe");

/// The test's database as a URL for another process: `DATABASE_URL` with its database name.
fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let options = pool.connect_options();
    let name = options.get_database().expect("a database name");
    let (head, query) = base
        .split_once('?')
        .map_or((base.as_str(), None), |(h, q)| (h, Some(q)));
    let server = head.rsplit_once('/').map_or(head, |(s, _)| s);
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// `loupe serve` on the test's database, with its own runtime and worker threads as users run
/// it; killed when dropped.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn serve(pool: &PgPool, extra: &[&str]) -> (Served, std::net::SocketAddr) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(BIN)
        .args(["serve", "--addr", &addr.to_string()])
        .args(extra)
        .env("DATABASE_URL", database_url(pool))
        .env("LOUPE_ADMIN_PASSWORD", "not-used-here-123")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let served = Served(child);
    let started = Instant::now();
    loop {
        if let Ok(res) = reqwest::get(format!("http://{addr}/healthz")).await
            && res.status() == 200
        {
            return (served, addr);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "loupe did not become healthy"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_pathological_summary_opened_by_several_reviewers_leaves_healthz_answering(pool: PgPool) {
    // Issue 12's input: 32 KB of "Ab. " as both summary and document (8,192 one-word sentences
    // each; the all-pairs scoring took 4.6 s per view in release). The summary limit is raised
    // past it, so what is tested is the bounded scoring itself, not the limit in front of it.
    const REVIEWERS: usize = 4;
    let (_server, addr) = serve(&pool, &["--max-summary-bytes", "1000000"]).await;
    let app = TestApp::attach(pool.clone(), addr).await;
    let text = "Ab. ".repeat(8 * 1024);
    for i in 0..REVIEWERS {
        app.submit(json!({
            "document": text, "summary": text, "confidence": 0.0, "flagged": true,
            "model": "summarizer", "external_id": format!("attack-{i}")
        }))
        .await;
    }
    let mut sessions = Vec::new();
    for i in 0..REVIEWERS {
        sessions.push(app.reviewer(&format!("reviewer{i}")).await);
    }

    // /healthz, asked every 20 ms while the reviewers work; each answer must come within 2.5 s.
    // (A blocked async worker would hold it for the scoring's seconds — 4.6 s per view in
    // release before issue 12, far longer in this debug build; the margin is for a CI machine
    // whose two cores are shared with the rest of the suite.)
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (stop, url, http) = (stop.clone(), app.url("/healthz"), app.http.clone());
        tokio::spawn(async move {
            let mut checks = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let asked = Instant::now();
                let answer =
                    tokio::time::timeout(Duration::from_millis(2500), http.get(&url).send()).await;
                let status = answer
                    .unwrap_or_else(|_| {
                        panic!("/healthz gave no answer within 2.5 s (check {checks})")
                    })
                    .unwrap()
                    .status();
                assert_eq!(status, 200, "check {checks} after {:?}", asked.elapsed());
                checks += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            checks
        })
    };
    let views = sessions.iter().map(|s| async move {
        let mut seen = Vec::new();
        for _ in 0..3 {
            let task = s
                .current_task()
                .await
                .expect("each reviewer holds an attack task");
            seen.push(task["id"].as_str().unwrap().to_owned());
            let page = s.get_page("/review").await;
            assert_eq!(page.status(), 200);
            page.text().await.unwrap();
        }
        seen
    });
    let seen = futures::future::join_all(views).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let checks = watcher
        .await
        .expect("/healthz answered within 1 s throughout");
    assert!(checks > 0);
    let mut held: Vec<&String> = seen.iter().map(|s| &s[0]).collect();
    held.sort();
    held.dedup();
    assert_eq!(
        held.len(),
        REVIEWERS,
        "every reviewer opened an attack task of their own"
    );

    // The server's worker computes each one once, within the caps, and the page says what it
    // left unchecked.
    wait_until(
        &pool,
        "select count(*) = 0 from tasks where support is null",
    )
    .await;
    let support: Value = sqlx::query_scalar("select support from tasks limit 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        support["summary"].as_array().unwrap().len(),
        app::support::MAX_SUMMARY_SENTENCES
    );
    assert_eq!(
        support["unchecked_sentences"],
        8 * 1024 - app::support::MAX_SUMMARY_SENTENCES
    );
    let html = sessions[0].get_page("/review").await.text().await.unwrap();
    assert!(
        html.contains("Text too long to check in full: the last 7992 summary sentences"),
        "the page says what was not checked"
    );
}
