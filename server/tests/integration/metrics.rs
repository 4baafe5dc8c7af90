//! `GET /metrics` over real HTTP: the token it needs, the figures after real ingest, review and
//! webhook traffic, made-up paths adding no series, the output accepted by Prometheus's own
//! checker (`promtool check metrics`); and the request id every answer carries.

use crate::helpers::{TestApp, task};
use crate::receiver::Receiver;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::api::auth::Scope;
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// `GET /metrics` with `token`, if any.
async fn get_metrics(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(app.url("/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

/// The scrape's text.
async fn scrape(app: &TestApp) -> String {
    let res = get_metrics(app, Some(&app.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    res.text().await.unwrap()
}

/// Every sample line as `series -> value` (the series is the name with its labels, as written).
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {l}"));
            let value = match value {
                "+Inf" => f64::INFINITY,
                v => v.parse().unwrap_or_else(|_| panic!("bad value in {l}")),
            };
            (series.to_owned(), value)
        })
        .collect()
}

fn value(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("no {series} in the scrape: {samples:#?}"))
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn metrics_need_a_token_with_the_read_scope(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = get_metrics(&app, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized", "{body}");

    let ingest_only = server::cli::create_token(&app.pool, "ingest only", &[Scope::Ingest], &[])
        .await
        .unwrap();
    let res = get_metrics(&app, Some(&ingest_only)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "read", "{body}");

    let read_only = server::cli::create_token(&app.pool, "prometheus", &[Scope::Read], &[])
        .await
        .unwrap();
    let res = get_metrics(&app, Some(&read_only)).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The answer parses: every line is a comment or a sample with a number.
    let all = samples(&res.text().await.unwrap());
    assert!(value(&all, "loupe_db_pool_connections_max") >= 1.0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_scrape_shows_the_queue_ingest_and_the_review_that_happened(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // m-3 is claimed last (the queue serves the lowest confidence first).
    for (id, confidence) in [("m-1", 0.2), ("m-2", 0.2), ("m-3", 0.3)] {
        app.submit(task(id, confidence)).await;
    }
    // A known external_id, and a body refused for a field.
    app.submit(task("m-1", 0.2)).await;
    let refused = app
        .post_json("/api/v1/tasks", &json!({"document": "d", "summary": "s"}))
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The oldest waiting task is a known age: it went in ten minutes ago.
    sqlx::query(
        "update tasks set created_at = now() - interval '10 minutes' where external_id = 'm-3'",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let rita = app.reviewer("rita").await;
    let current = rita.current_task().await.unwrap();
    let id = current["id"].as_str().unwrap().to_owned();
    rita.review(&id, "4", "accept").await.unwrap();

    let all = samples(&scrape(&app).await);
    let queue = "{reason=\"low_confidence\",model=\"summarizer\"}";
    assert_eq!(
        value(&all, &format!("loupe_queue_waiting_tasks{queue}")),
        2.0
    );
    let oldest = value(&all, &format!("loupe_queue_oldest_task_age_seconds{queue}"));
    assert!((590.0..900.0).contains(&oldest), "{oldest}");
    assert_eq!(
        value(&all, "loupe_ingest_tasks_total{outcome=\"created\"}"),
        3.0
    );
    assert_eq!(
        value(&all, "loupe_ingest_tasks_total{outcome=\"deduplicated\"}"),
        1.0
    );
    assert_eq!(value(&all, "loupe_ingest_rejected_requests_total"), 1.0);
    assert_eq!(value(&all, "loupe_review_claims_total"), 1.0);
    assert_eq!(value(&all, "loupe_reviews_total{verdict=\"accept\"}"), 1.0);
    assert_eq!(value(&all, "loupe_reviews_total{verdict=\"reject\"}"), 0.0);
    assert_eq!(value(&all, "loupe_review_skips_total"), 0.0);
    // Requests by route pattern and status: the three new tasks, and the review loop.
    let http = "loupe_http_request_duration_seconds";
    assert_eq!(
        value(
            &all,
            &format!("{http}_count{{method=\"POST\",route=\"/api/v1/tasks\",status=\"201\"}}")
        ),
        3.0
    );
    assert_eq!(
        value(
            &all,
            &format!("{http}_count{{method=\"POST\",route=\"/api/review/submit\",status=\"200\"}}")
        ),
        1.0
    );
    assert_eq!(
        value(
            &all,
            &format!(
                "{http}_bucket{{method=\"POST\",route=\"/api/review/current\",status=\"200\",le=\"+Inf\"}}"
            )
        ),
        1.0
    );
    assert_eq!(value(&all, "loupe_webhook_deliveries_pending"), 0.0);
    assert_eq!(value(&all, "loupe_webhook_deliveries_failed"), 0.0);
    // This scrape holds a connection while it reads the pool.
    assert!(value(&all, "loupe_db_pool_connections_in_use") >= 0.0);

    // The scrape itself shows up in the next one, by its route.
    let again = samples(&scrape(&app).await);
    assert_eq!(
        value(
            &again,
            &format!("{http}_count{{method=\"GET\",route=\"/metrics\",status=\"200\"}}")
        ),
        1.0
    );
}

/// The series of a scrape (name and labels), without their values.
fn series(text: &str) -> BTreeSet<String> {
    samples(text).into_keys().collect()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn made_up_paths_add_no_series(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let hostile = |n: u32| {
        let marker = format!("zz{}x{n}", uuid::Uuid::new_v4().simple());
        [
            format!("/{marker}"),
            format!("/api/v1/{marker}"),
            format!("/api/v1/tasks/{marker}"),
            format!("/pkg/{marker}.js"),
            format!("/api/{marker}"),
        ]
        .map(|p| (marker.clone(), p))
    };
    let send = |paths: [(String, String); 5]| {
        let app = &app;
        async move {
            for (_, path) in &paths {
                for method in [reqwest::Method::GET, reqwest::Method::POST] {
                    app.http
                        .request(method, app.url(path))
                        .bearer_auth(&app.token)
                        .send()
                        .await
                        .unwrap();
                }
            }
            paths[0].0.clone()
        }
    };
    // Once, so every route the hostile requests reach and the scrape itself have a series.
    send(hostile(0)).await;
    scrape(&app).await;
    let first_marker = send(hostile(1)).await;
    let before = scrape(&app).await;
    let second_marker = send(hostile(2)).await;
    let after = scrape(&app).await;
    assert!(!before.contains(&first_marker), "{before}");
    assert!(!after.contains(&second_marker), "{after}");
    assert_eq!(series(&before), series(&after), "new paths made new series");
    assert!(
        after.contains("route=\"unmatched\""),
        "an unmatched request is counted under a fixed label: {after}"
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn promtool_accepts_a_real_scrape(pool: PgPool) {
    let promtool = std::path::Path::new("/usr/bin/promtool");
    assert!(
        promtool.exists(),
        "promtool is missing: install Debian's prometheus package (scripts/setup.sh does)"
    );
    let app = TestApp::spawn(pool).await;
    // Traffic enough for every kind of series: ingest, a review, its webhook, a refusal.
    let receiver = Receiver::start(&[]).await;
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": receiver.url(), "events": ["task.reviewed"],
                        "secret": "test-secret-0123456789"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.submit(task("p-1", 0.2)).await;
    app.submit(task("p-2", 0.2)).await;
    let rita = app.reviewer("rita").await;
    let id = rita.current_task().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    rita.review(&id, "5", "accept").await.unwrap();
    receiver.wait_for(1, Duration::from_secs(20)).await;
    app.http.get(app.url("/no-such-page")).send().await.unwrap();
    // The attempt is recorded once the worker has written its outcome.
    let mut text = scrape(&app).await;
    for _ in 0..100 {
        if text.contains("loupe_webhook_delivery_duration_seconds_count{outcome=\"delivered\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        text = scrape(&app).await;
    }
    assert!(
        text.contains("loupe_webhook_delivery_duration_seconds_count{outcome=\"delivered\"} 1"),
        "{text}"
    );

    let mut child = tokio::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(text.as_bytes()).await.unwrap();
    }
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Lint findings are printed even when promtool exits 0.
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The request id an answer to `GET /healthz` carries when the request sent `sent`.
async fn request_id(app: &TestApp, sent: Option<&[u8]>) -> String {
    let mut req = app.http.get(app.url("/healthz"));
    if let Some(sent) = sent {
        req = req.header(
            "x-request-id",
            reqwest::header::HeaderValue::from_bytes(sent).unwrap(),
        );
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.headers()["x-request-id"].to_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_answer_carries_a_request_id_and_a_sane_one_from_the_client_is_kept(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let fresh = request_id(&app, None).await;
    assert!(uuid::Uuid::parse_str(&fresh).is_ok(), "{fresh}");
    assert_ne!(fresh, request_id(&app, None).await, "ids are not reused");
    assert_eq!(
        request_id(&app, Some(b"trace-42.abc_DEF")).await,
        "trace-42.abc_DEF"
    );
    let long = [b'a'; 65];
    for hostile in [
        &long[..],
        b"two words",
        b"tab\there",
        "caf\u{e9}".as_bytes(),
    ] {
        let answered = request_id(&app, Some(hostile)).await;
        assert!(
            uuid::Uuid::parse_str(&answered).is_ok(),
            "{:?} was answered with {answered}",
            String::from_utf8_lossy(hostile)
        );
    }
    // Refusals carry one too.
    let res = get_metrics(&app, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("x-request-id"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn json_logs_carry_the_request_id_on_every_line_of_a_request(pool: PgPool) {
    let url = crate::process::url_of(&pool).await;
    let port = crate::process::free_port();
    let log_path = std::env::temp_dir().join(format!("loupe-json-log-{}", uuid::Uuid::new_v4()));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loupe"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &url)
        .env("LOUPE_ADMIN_PASSWORD", "admin-password-123")
        .env("LOUPE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,sqlx=warn")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut healthy = false;
    for _ in 0..600 {
        if let Ok(res) = http.get(format!("{base}/healthz")).send().await
            && res.status() == StatusCode::OK
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answered = if healthy {
        let res = http
            .get(format!("{base}/metrics"))
            .header("x-request-id", "json-log-check-1")
            .send()
            .await
            .unwrap();
        Some((res.status(), res.headers().get("x-request-id").cloned()))
    } else {
        None
    };
    // SAFETY: kill only sends a signal to the child this test spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait().unwrap();
    let text = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    let (status, id) = answered.unwrap_or_else(|| panic!("loupe did not become healthy: {text}"));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(id.unwrap(), "json-log-check-1");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let of_request: Vec<&Value> = lines
        .iter()
        .filter(|l| l["spans"][0]["request_id"] == "json-log-check-1")
        .collect();
    assert!(
        of_request
            .iter()
            .any(|l| l["fields"]["status"] == 401 && l["spans"][0]["uri"] == "/metrics"),
        "no line of the request carries its id: {text}"
    );
}
