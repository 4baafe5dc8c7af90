//! Scoped API tokens (issue 13, finding 3): a token does only what its scopes say, a call outside
//! them is 403 naming the missing scope and changes nothing, the OpenAPI document states each
//! route's scope truthfully, and tokens made before scopes existed keep full access.

use crate::helpers::{TestApp, task};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::api::auth::Scope;
use sqlx::PgPool;

/// A token holding exactly `scopes`.
async fn token(app: &TestApp, scopes: &[Scope]) -> String {
    server::cli::create_token(&app.pool, "scoped", scopes, &[])
        .await
        .unwrap()
}

/// Calls `path` with `token` and an optional JSON body; the status and JSON (`null` if empty).
async fn call(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let bytes = res.bytes().await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json)
}

fn assert_missing(scope: &str, what: &str, (status, body): (StatusCode, Value)) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
    assert_eq!(body["error"], "forbidden", "{what}: {body}");
    assert_eq!(body["scope"], scope, "{what}: {body}");
    assert!(
        body["message"].as_str().unwrap().contains(scope),
        "{what}: {body}"
    );
}

async fn threshold(app: &TestApp) -> f64 {
    sqlx::query_scalar("select threshold from routing_settings where model = '*'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_ingest_only_token_sends_outputs_and_feedback_and_is_refused_everything_else(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let ingest = token(&app, &[Scope::Ingest]).await;
    let (status, receipt) = call(
        &app,
        &ingest,
        "POST",
        "/api/v1/tasks",
        Some(task("s-1", 0.9)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let id = receipt["id"].as_str().unwrap().to_owned();
    let feedback =
        json!({"task_id": id, "user_id": "u1", "feedback_type": "thumbs", "value": "up"});
    for path in ["/feedback", "/api/v1/feedback"] {
        let (status, body) = call(&app, &ingest, "POST", path, Some(feedback.clone())).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }

    let before = threshold(&app).await;
    let refused = [
        ("read", "GET", format!("/api/v1/tasks/{id}"), None),
        ("read", "GET", "/api/v1/feedback".to_owned(), None),
        (
            "read",
            "GET",
            "/api/v1/export?format=jsonl".to_owned(),
            None,
        ),
        ("admin", "GET", "/api/v1/routing".to_owned(), None),
        ("admin", "GET", "/api/v1/routing/*".to_owned(), None),
        (
            "admin",
            "PUT",
            "/api/v1/routing/*".to_owned(),
            Some(json!({"threshold": 0, "audit_rate": 0})),
        ),
        (
            "admin",
            "DELETE",
            "/api/v1/routing/summarizer".to_owned(),
            None,
        ),
        ("admin", "GET", "/api/v1/webhooks".to_owned(), None),
        (
            "admin",
            "POST",
            "/api/v1/webhooks".to_owned(),
            Some(json!({"url": "https://hooks.example.com/x", "events": ["task.reviewed"]})),
        ),
        ("admin", "DELETE", "/api/v1/webhooks/1".to_owned(), None),
        (
            "admin",
            "GET",
            "/api/v1/webhooks/1/deliveries".to_owned(),
            None,
        ),
        (
            "admin",
            "POST",
            "/api/v1/webhooks/deliveries/00000000-0000-0000-0000-000000000000/resend".to_owned(),
            None,
        ),
    ];
    for (scope, method, path, body) in refused {
        let what = format!("{method} {path}");
        assert_missing(scope, &what, call(&app, &ingest, method, &path, body).await);
    }
    // Human review is still on, and no endpoint was registered.
    assert_eq!(threshold(&app).await, before);
    assert_eq!(app.count("webhook_endpoints").await, 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_read_token_reads_but_cannot_send_outputs_feedback_or_change_settings(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let receipt = app.submit(task("r-1", 0.9)).await;
    let id = receipt["id"].as_str().unwrap();
    let read = token(&app, &[Scope::Read]).await;
    for path in [
        format!("/api/v1/tasks/{id}"),
        "/api/v1/feedback".to_owned(),
        "/api/v1/export?format=jsonl".to_owned(),
    ] {
        let res = app
            .http
            .get(app.url(&path))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let tasks_before = app.count("tasks").await;
    assert_missing(
        "ingest",
        "POST /api/v1/tasks",
        call(&app, &read, "POST", "/api/v1/tasks", Some(task("r-2", 0.1))).await,
    );
    let feedback =
        json!({"task_id": id, "user_id": "u1", "feedback_type": "thumbs", "value": "up"});
    assert_missing(
        "ingest",
        "POST /feedback",
        call(&app, &read, "POST", "/feedback", Some(feedback)).await,
    );
    assert_missing(
        "admin",
        "PUT /api/v1/routing/*",
        call(
            &app,
            &read,
            "PUT",
            "/api/v1/routing/*",
            Some(json!({"threshold": 0})),
        )
        .await,
    );
    assert_eq!(app.count("tasks").await, tasks_before);
    assert_eq!(app.count("external_feedback").await, 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_admin_token_manages_routing_and_webhooks_and_nothing_more(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = token(&app, &[Scope::Admin]).await;
    let (status, body) = call(
        &app,
        &admin,
        "PUT",
        "/api/v1/routing/summarizer",
        Some(json!({"threshold": 0.5})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(&app, &admin, "GET", "/api/v1/routing", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, created) = call(
        &app,
        &admin,
        "POST",
        "/api/v1/webhooks",
        Some(json!({"url": "https://hooks.example.com/x", "events": ["task.reviewed"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let hook = created["id"].as_i64().unwrap();
    let (status, _) = call(
        &app,
        &admin,
        "GET",
        &format!("/api/v1/webhooks/{hook}/deliveries"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &app,
        &admin,
        "DELETE",
        &format!("/api/v1/webhooks/{hook}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Scopes are independent: admin does not include ingest or read.
    assert_missing(
        "ingest",
        "POST /api/v1/tasks",
        call(
            &app,
            &admin,
            "POST",
            "/api/v1/tasks",
            Some(task("a-1", 0.1)),
        )
        .await,
    );
    assert_missing(
        "read",
        "GET /api/v1/export",
        call(&app, &admin, "GET", "/api/v1/export", None).await,
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_route_in_the_openapi_document_demands_exactly_the_scope_it_states(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, spec) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let single: Vec<(Scope, String)> = {
        let mut v = Vec::new();
        for scope in Scope::ALL {
            v.push((scope, token(&app, &[scope]).await));
        }
        v
    };
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let stated: Vec<&str> = op["security"][0]["token"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path} states no scope"))
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            assert_eq!(stated.len(), 1, "{method} {path}: {stated:?}");
            let description = op["description"].as_str().unwrap_or("");
            assert!(
                description.contains(&format!("Scope: `{}`", stated[0])),
                "{method} {path}: {description}"
            );
            let concrete = path
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{model}", "scope-check");
            let body = matches!(method.as_str(), "post" | "put").then(|| json!({}));
            for (scope, token) in &single {
                let answer =
                    call(&app, token, &method.to_uppercase(), &concrete, body.clone()).await;
                if scope.as_str() == stated[0] {
                    assert_ne!(
                        answer.0,
                        StatusCode::FORBIDDEN,
                        "{method} {path} with {scope:?}: {}",
                        answer.1
                    );
                    assert_ne!(
                        answer.0,
                        StatusCode::UNAUTHORIZED,
                        "{method} {path} with {scope:?}"
                    );
                } else {
                    assert_missing(
                        stated[0],
                        &format!("{method} {path} with {scope:?}"),
                        answer,
                    );
                }
                checked += 1;
            }
        }
    }
    // 26 operations (the legacy /feedback, the audit log, feedback keys, the task list,
    // requeue, resolve, assign, priority, escalate and /metrics included), three tokens each.
    assert_eq!(checked, 78);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_token_limited_to_a_project_is_refused_by_every_route_that_serves_every_project(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool.clone()).await;
    server::cli::add_project(&pool, "legal", None, false)
        .await
        .unwrap();
    let limited = server::cli::create_token(&pool, "legal", &Scope::ALL, &["legal".to_owned()])
        .await
        .unwrap();
    let (_, spec) = app.get_json("/api/v1/openapi.json").await;
    // The routes that keep to a token's projects.
    let kept = [
        "post /api/v1/tasks",
        "get /api/v1/tasks",
        "get /api/v1/tasks/{id}",
        "get /api/v1/feedback",
        "post /api/v1/feedback",
        "post /feedback",
        "get /api/v1/export",
        "get /api/v1/routing",
        "get /api/v1/routing/{model}",
        "put /api/v1/routing/{model}",
        "delete /api/v1/routing/{model}",
        "post /api/v1/requeue",
        "post /api/v1/resolve",
        "post /api/v1/assign",
        "post /api/v1/priority",
        "post /api/v1/escalate",
    ];
    let mut refused = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            let concrete = path
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{model}", "scope-check");
            let body = matches!(method.as_str(), "post" | "put").then(|| json!({}));
            let (status, answer) =
                call(&app, &limited, &method.to_uppercase(), &concrete, body).await;
            let limited_message = answer["message"]
                .as_str()
                .is_some_and(|m| m.contains("limited to projects"));
            if kept.contains(&format!("{method} {path}").as_str()) {
                assert!(!limited_message, "{method} {path}: {answer}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
                assert!(limited_message, "{method} {path}: {answer}");
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 10);
}

#[sqlx::test(migrations = false)]
async fn a_token_made_before_scopes_existed_keeps_every_right_after_the_upgrade(pool: PgPool) {
    // The schema as it was before migration 0012, with a token stored the way old code did.
    let old = std::env::temp_dir().join(format!("loupe-migrations-0011-{}", std::process::id()));
    std::fs::create_dir_all(&old).unwrap();
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "0012" {
            std::fs::copy(&path, old.join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    std::fs::remove_dir_all(&old).unwrap();
    let legacy = "loupe_legacy0123456789abcdef0123456789abcdef0123456789abcdef01234567";
    sqlx::query("insert into api_tokens (name, prefix, token_hash) values ($1, $2, $3)")
        .bind("old pipeline")
        .bind(&legacy[..14])
        .bind(app::auth::sha256(legacy))
        .execute(&pool)
        .await
        .unwrap();
    server::MIGRATOR.run(&pool).await.unwrap();

    let listed = server::cli::list_tokens(&pool).await.unwrap();
    let row = listed.iter().find(|r| r[1] == "old pipeline").unwrap();
    assert_eq!(row[3], "ingest,read,admin", "{row:?}");
    let app = TestApp::spawn(pool).await;
    let (status, receipt) = call(
        &app,
        legacy,
        "POST",
        "/api/v1/tasks",
        Some(task("l-1", 0.9)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let id = receipt["id"].as_str().unwrap();
    for (method, path) in [
        ("GET", format!("/api/v1/tasks/{id}")),
        ("GET", "/api/v1/export".to_owned()),
        ("GET", "/api/v1/routing".to_owned()),
        ("GET", "/api/v1/webhooks".to_owned()),
    ] {
        let (status, body) = call(&app, legacy, method, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {body}");
    }
    // New rows must say what they may do: the migration's default does not outlive it.
    let err =
        sqlx::query("insert into api_tokens (name, prefix, token_hash) values ('x', 'x', 'x')")
            .execute(&app.pool)
            .await
            .unwrap_err();
    assert!(err.to_string().contains("scopes"), "{err}");
    let err = sqlx::query(
        "insert into api_tokens (name, prefix, token_hash, scopes) values ('x', 'x', 'y', array['write'])",
    )
    .execute(&app.pool)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("api_tokens_scopes_known"), "{err}");
}

#[test]
fn token_create_takes_repeated_or_comma_separated_scopes_and_names_the_valid_ones() {
    use clap::Parser;
    use server::config::{Cli, Command, TokenCommand};
    let scopes = |args: &[&str]| match Cli::try_parse_from(args).unwrap().command {
        Some(Command::Token(TokenCommand::Create { scopes, .. })) => scopes,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        scopes(&[
            "loupe", "token", "create", "n", "--scope", "ingest", "--scope", "read"
        ]),
        [Scope::Ingest, Scope::Read]
    );
    assert_eq!(
        scopes(&["loupe", "token", "create", "n", "--scope", "read,admin"]),
        [Scope::Read, Scope::Admin]
    );
    // None given: `loupe token create` then grants the default, ingest only.
    assert!(scopes(&["loupe", "token", "create", "n"]).is_empty());
    assert_eq!(server::cli::DEFAULT_SCOPES, [Scope::Ingest]);
    let err = Cli::try_parse_from(["loupe", "token", "create", "n", "--scope", "write"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("write")
            && err.contains("ingest")
            && err.contains("read")
            && err.contains("admin"),
        "{err}"
    );
}
