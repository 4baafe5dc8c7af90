//! Attacks on the edge (issue 12, findings 3–6), each against the real server over real HTTP:
//! half-sent headers (slowloris), a flood of idle connections past the cap, exports to clients
//! that never read, oversized bodies and batches, and NUL bytes in every kind of field.

use crate::helpers::{TestApp, task};
use app::state::Settings;
use serde_json::{Value, json};
use server::serve::Limits;
use sqlx::PgPool;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Limits with short timeouts, so a test sees them act within seconds.
fn quick() -> Limits {
    Limits {
        header_read_timeout: Duration::from_secs(1),
        write_timeout: Duration::from_secs(1),
        max_connections: 1024,
    }
}

/// Waits (at most `limit`) until the server closes `stream`, draining what it sent; answers
/// everything read, or `None` if the connection was still open at the limit.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn half_sent_headers_are_closed_after_the_header_timeout_while_others_are_served(
    pool: PgPool,
) {
    let app = TestApp::spawn_limited(pool, Settings::default(), quick()).await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: loupe\r\nX-Slow: ")
            .await
            .unwrap();
        idle.push(stream);
    }
    let res = tokio::time::timeout(
        Duration::from_secs(5),
        app.http.get(app.url("/healthz")).send(),
    )
    .await
    .expect("/healthz answers while 200 connections idle")
    .unwrap();
    assert_eq!(res.status(), 200);
    for stream in &mut idle {
        let got = closed_within(stream, Duration::from_secs(15)).await;
        assert!(
            got.is_some(),
            "an idle half-sent request was still open after 15 s"
        );
    }
}

/// A request whose body stops arriving is answered 503 at the request timeout, and that answer
/// carries the security headers and the request id every other answer carries.
#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_timed_out_request_gets_503_json_with_the_usual_headers(pool: PgPool) {
    let settings = Settings {
        request_timeout: Duration::from_secs(1),
        ..Settings::default()
    };
    let app = TestApp::spawn_limited(pool, settings, quick()).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/tasks HTTP/1.1\r\nHost: loupe\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n[{{",
        app.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let got = closed_within(&mut stream, Duration::from_secs(10))
        .await
        .expect("answered and closed within the timeout");
    let text = String::from_utf8_lossy(&got).to_lowercase();
    assert!(text.starts_with("http/1.1 503"), "{text}");
    for header in [
        "content-security-policy:",
        "x-content-type-options: nosniff",
        "x-frame-options: deny",
        "x-request-id:",
        "retry-after: 5",
    ] {
        assert!(text.contains(header), "{header} missing: {text}");
    }
    assert!(text.contains(r#""error":"timeout""#), "{text}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn connections_past_the_cap_wait_until_one_frees(pool: PgPool) {
    let limits = Limits {
        max_connections: 3,
        header_read_timeout: Duration::from_secs(2),
        ..quick()
    };
    let app = TestApp::spawn_limited(pool, Settings::default(), limits).await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // Give the server a moment to accept the three.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let http = app.http.clone();
    let url = app.url("/healthz");
    let mut fourth = tokio::spawn(async move { http.get(url).send().await.map(|r| r.status()) });
    assert!(
        tokio::time::timeout(Duration::from_millis(700), &mut fourth)
            .await
            .is_err(),
        "a fourth connection was served while three held the cap"
    );
    // The idle three hit the header timeout; then the fourth is accepted and answered.
    let status = tokio::time::timeout(Duration::from_secs(15), fourth)
        .await
        .expect("the fourth connection is served once the idle ones are closed")
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
}

/// Sends an export request on a socket with a tiny receive buffer, and reads only its head.
async fn start_export(app: &TestApp) -> (u16, TcpStream) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(app.addr).await.unwrap();
    let request = format!(
        "GET /api/v1/export?format=jsonl HTTP/1.1\r\nHost: loupe\r\nAuthorization: Bearer {}\r\n\r\n",
        app.token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut head))
        .await
        .expect("the export answers with a status")
        .unwrap();
    let status = std::str::from_utf8(&head[9..12]).unwrap().parse().unwrap();
    (status, stream)
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn exports_to_readers_that_never_read_are_bounded_and_ended(pool: PgPool) {
    // Stall limits long enough that no slot frees while the 32 requests go out.
    // (Under a loaded CI machine a refused request can take half a second; 32 of them must
    // still go out well inside the stall limit.)
    let settings = Settings {
        max_exports: 2,
        export_stall: Duration::from_secs(8),
        ..Settings::default()
    };
    let limits = Limits {
        write_timeout: Duration::from_secs(8),
        ..quick()
    };
    let app = TestApp::spawn_limited(pool.clone(), settings, limits).await;
    // About 14 MB of export: far more than the socket buffers hold.
    for i in 0..16 {
        let mut body = task(&format!("big-{i}"), 0.1);
        body["document"] = json!("lorem ipsum ".repeat(75_000));
        app.submit(body).await;
    }
    app.reviewer("reader").await;
    sqlx::query(
        "insert into reviews (task_id, reviewer_id, rating, verdict, seconds_spent, model,
                              model_version, confidence, reason, project_id)
         select t.id, (select id from users where username = 'reader'), 4, 'accept', 10,
                t.model, t.model_version, t.confidence, t.reason, t.project_id
         from tasks t",
    )
    .execute(&pool)
    .await
    .unwrap();

    let mut streams = Vec::new();
    let mut statuses = Vec::new();
    for _ in 0..32 {
        let (status, stream) = start_export(&app).await;
        statuses.push(status);
        streams.push((status, stream));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        2,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );

    // Ingest and health still answer while the two exports stall.
    let res = tokio::time::timeout(
        Duration::from_secs(5),
        app.post_json("/api/v1/tasks", &task("while-stalled", 0.9)),
    )
    .await
    .expect("ingest answers while exports stall");
    assert_eq!(res.status(), 201);

    // Read nothing for twice the stall limit; then the stalled exports must have been ended by
    // the server, and their transfer must not look complete.
    tokio::time::sleep(Duration::from_secs(16)).await;
    for (status, stream) in &mut streams {
        if *status != 200 {
            continue;
        }
        let got = closed_within(stream, Duration::from_secs(30))
            .await
            .expect("a stalled export is ended by the server");
        assert!(
            !got.ends_with(b"\r\n0\r\n\r\n"),
            "a stalled export ended like a complete one"
        );
    }
    // Their slots are free again: a reader that reads gets the whole export.
    let res = app
        .http
        .get(app.url("/api/v1/export?format=jsonl"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert_eq!(text.lines().count(), 16);
}

async fn post_sized(app: &TestApp, path: &str, bytes: usize, content_type: &str) -> (u16, Value) {
    let res = app
        .http
        .post(app.url(path))
        .bearer_auth(&app.token)
        .header("content-type", content_type)
        .body(" ".repeat(bytes))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn bodies_past_each_routes_limit_are_refused_unparsed(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // Whitespace is not JSON: parsed, each of these would be a 400, not a 413.
    for (path, bytes) in [
        ("/api/v1/feedback", 300 * 1024),
        ("/feedback", 300 * 1024),
        ("/api/v1/webhooks", 100 * 1024),
    ] {
        let (status, body) = post_sized(&app, path, bytes, "application/json").await;
        assert_eq!(status, 413, "{path}: {body}");
        assert_eq!(body["field"], "body", "{path}");
    }
    // A server function: its form is refused before the function runs.
    let (status, body) = post_sized(
        &app,
        "/api/login",
        100 * 1024,
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["Validation"]["field"], "form");
    // Within the limits the same routes still parse and answer.
    let (status, _) = post_sized(&app, "/api/v1/feedback", 1024, "application/json").await;
    assert_eq!(status, 400);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_batch_past_the_maximum_is_refused_before_the_rest_is_read(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let one = task("t", 0.5).to_string();
    // Element 1,002 onwards is not even JSON: a parser that read the whole body would answer 400.
    let body = format!(
        "[{}, {{\"document\": ]]] not json",
        vec![one.as_str(); 1001].join(",")
    );
    let res = app.post_raw("/api/v1/tasks", body).await;
    assert_eq!(res.status(), 422);
    let json: Value = res.json().await.unwrap();
    assert_eq!(json["field"], "tasks");
    assert_eq!(app.count("tasks").await, 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn nul_in_any_pipeline_field_is_a_422_naming_it_and_stores_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let nul = "before\u{0}after";
    let cases: Vec<(Value, &str)> = vec![
        (json!({"document": nul}), "document"),
        (json!({"summary": nul}), "summary"),
        (json!({"model": nul}), "model"),
        (json!({"model_version": nul}), "model_version"),
        (json!({"external_id": nul}), "external_id"),
        (
            json!({"metadata": {"source": {"pages": [1, nul]}}}),
            "metadata.source.pages[1]",
        ),
        (json!({"metadata": {"k\u{0}": 1}}), "metadata"),
    ];
    for (change, field) in cases {
        let mut body = task("nul", 0.5);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app.post_json("/api/v1/tasks", &body).await;
        assert_eq!(res.status(), 422, "{field}");
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["field"], field, "{json}");
        // In a batch, the index is named too.
        let res = app
            .post_json("/api/v1/tasks", &json!([task("ok", 0.5), body]))
            .await;
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["field"], format!("tasks[1].{field}"), "{json}");
    }
    assert_eq!(app.count("tasks").await, 0);

    app.submit(task("known", 0.5)).await;
    for (change, field) in [
        (
            json!({"comments": nul, "feedback_type": "comment"}),
            "comments",
        ),
        (json!({"user_id": nul}), "user_id"),
        (json!({"task_id": nul}), "task_id"),
    ] {
        let mut body =
            json!({"task_id": "known", "user_id": "u", "feedback_type": "thumbs", "value": "up"});
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        for path in ["/api/v1/feedback", "/feedback"] {
            let res = app.post_json(path, &body).await;
            assert_eq!(res.status(), 422, "{path} {field}");
            let json: Value = res.json().await.unwrap();
            assert_eq!(json["field"], field, "{json}");
        }
    }
    assert_eq!(app.count("external_feedback").await, 0);

    let (status, json) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": format!("https://example.com/{nul}")})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), json["field"].as_str()),
        (422, Some("url")),
        "{json}"
    );
    // In a URL: a query parameter and a path segment.
    let (status, json) = app.get_json("/api/v1/export?model=a%00b").await;
    assert_eq!(
        (status.as_u16(), json["field"].as_str()),
        (422, Some("model")),
        "{json}"
    );
    let (status, json) = app.call("GET", "/api/v1/routing/a%00b", None).await;
    assert_eq!(
        (status.as_u16(), json["field"].as_str()),
        (422, Some("path")),
        "{json}"
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn nul_in_a_form_field_is_a_422_naming_it_and_stores_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(task("to-review", 0.1)).await;
    let reviewer = app.reviewer("ann").await;
    let current = reviewer.current_task().await.expect("a task to review");
    let task_id = current["id"].as_str().unwrap().to_owned();
    for field in ["comment", "corrected_summary", "error_tags"] {
        let err = reviewer
            .call::<Value>(
                "review/submit",
                &[
                    ("task_id", &task_id),
                    ("rating", "4"),
                    ("verdict", "reject"),
                    (field, "x\u{0}y"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(err["Validation"]["field"], field, "{err}");
    }
    assert_eq!(app.count("reviews").await, 0);

    let admin = app.user("boss", app::domain::Role::Admin).await;
    let guidelines: String =
        sqlx::query_scalar("select coalesce(string_agg(body, ''), '') from guidelines")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let err = admin
        .call::<Value>("admin/guidelines", &[("text", "# Rules\u{0}")])
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "text", "{err}");
    let after: String =
        sqlx::query_scalar("select coalesce(string_agg(body, ''), '') from guidelines")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(after, guidelines, "the guidelines changed");
    let err = admin
        .call::<Value>(
            "admin/webhooks/add",
            &[("url", "https://example.com/\u{0}")],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "url", "{err}");
    // Signing in with a NUL in the name is a field error, not a server error.
    let err = app
        .login("ann\u{0}", "whatever-password")
        .await
        .err()
        .unwrap();
    assert_eq!(err["Validation"]["field"], "username", "{err}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn nul_in_an_imported_line_stops_the_import_naming_line_and_field(pool: PgPool) {
    let dir = std::env::temp_dir().join(format!("loupe-nul-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("in.jsonl");
    let mut bad = task("line-2", 0.5);
    bad["summary"] = json!("S\u{0}");
    std::fs::write(&file, format!("{}\n{}\n", task("line-1", 0.5), bad)).unwrap();
    let err = server::import::run(&pool, &file, 10, 1_000_000)
        .await
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("line 2") && message.contains("summary"),
        "{message}"
    );
    let stored: i64 = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn server_functions_answer_a_refusal_with_its_status_and_only_a_failure_with_500(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool.clone()).await;
    let rita = app.reviewer("rita").await;
    let ada = app.user("ada", app::domain::Role::Admin).await;
    let post = |cookie: Option<String>,
                endpoint: &'static str,
                form: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let mut req = app
                .http
                .post(app.url(&format!("/api/{endpoint}")))
                .header("origin", app.url(""))
                .form(&form);
            if let Some(cookie) = cookie {
                req = req.header("cookie", cookie);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    // A field that breaks its rule: 422, naming it.
    let (status, body) = post(
        Some(ada.cookie.clone()),
        "admin/routing",
        vec![("model", "*"), ("threshold", "2")],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Validation"]["field"], "threshold");
    // A reviewer at an admin's function: 403; nobody signed in: 401; an unknown task: 404.
    let (status, body) = post(
        Some(rita.cookie.clone()),
        "admin/routing",
        vec![("model", "*"), ("threshold", "0.1")],
    )
    .await;
    assert_eq!((status, body), (403, json!("Forbidden")));
    let (status, _) = post(None, "admin/routing", vec![("model", "*")]).await;
    assert_eq!(status, 401);
    let (status, body) = post(
        Some(ada.cookie.clone()),
        "admin/task",
        vec![("id", "00000000-0000-0000-0000-000000000000")],
    )
    .await;
    assert_eq!(status, 404, "{body}");
    // Nothing was changed by any of them.
    let threshold: f64 =
        sqlx::query_scalar("select threshold from routing_settings where model = '*'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(threshold, 0.8);
}
