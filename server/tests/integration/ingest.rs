//! `POST /api/v1/tasks` and `GET /api/v1/tasks/{id}`: routing, idempotency, and bad input.

use crate::helpers::{TestApp, task};
use serde_json::{Value, json};
use sqlx::PgPool;

/// An external id whose audit draw lands inside (or outside) the default 5% sample.
fn external_id_with_audit(inside: bool) -> String {
    (0..)
        .map(|i| format!("audit-{i}"))
        .find(|id| (app::routing::decide::audit_draw(id) < 0.05) == inside)
        .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn each_output_is_routed_by_confidence_flag_and_audit_sample(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let low = app.submit(task("low", 0.42)).await;
    assert_eq!(
        (low["needs_review"].as_bool(), low["reason"].as_str()),
        (Some(true), Some("low_confidence"))
    );
    assert_eq!(low["status"], "queued");

    let mut flagged = task("flagged", 0.99);
    flagged["flagged"] = json!(true);
    let flagged = app.submit(flagged).await;
    assert_eq!(flagged["reason"], "flagged");

    let audited = app.submit(task(&external_id_with_audit(true), 0.95)).await;
    assert_eq!(
        (
            audited["needs_review"].as_bool(),
            audited["reason"].as_str()
        ),
        (Some(true), Some("audit_sample"))
    );

    let auto = app.submit(task(&external_id_with_audit(false), 0.95)).await;
    assert_eq!(
        (auto["needs_review"].as_bool(), auto["reason"].as_str()),
        (Some(false), Some("auto_accepted"))
    );
    assert_eq!(auto["status"], "auto_accepted");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_model_threshold_overrides_the_default(pool: PgPool) {
    sqlx::query("insert into routing_settings (model, threshold, audit_rate, reviews_per_task) values ('strict', 0.95, 0, 2)")
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::spawn(pool).await;
    let mut t = task("strict-1", 0.9);
    t["model"] = json!("strict");
    let receipt = app.submit(t).await;
    assert_eq!(receipt["reason"], "low_confidence");
    let (_, shown) = app
        .get_json(&format!(
            "/api/v1/tasks/{}",
            receipt["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (
            shown["threshold"].as_f64(),
            shown["reviews_required"].as_i64()
        ),
        (Some(0.95), Some(2))
    );
    // The default model still uses 0.8.
    assert_eq!(
        app.submit(task("default-1", 0.9)).await["reason"]
            .as_str()
            .map(|r| r != "low_confidence"),
        Some(true)
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_same_external_id_returns_the_existing_task_and_stores_it_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let first = app.post_json("/api/v1/tasks", &task("same", 0.3)).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = app.post_json("/api/v1/tasks", &task("same", 0.99)).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(
        (again["created"].as_bool(), again["reason"].as_str()),
        (Some(false), Some("low_confidence"))
    );
    // Inside one batch too.
    let batch = app
        .submit(json!([
            task("same", 0.5),
            task("other", 0.5),
            task("other", 0.5)
        ]))
        .await;
    assert_eq!(batch[0]["id"], first["id"]);
    assert_eq!(batch[1]["id"], batch[2]["id"]);
    assert_eq!(app.count("tasks").await, 2);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn batches_with_the_same_new_ids_in_opposite_orders_are_both_stored(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // Each round, two pipelines send the same 300 new outputs at once, one in reverse order: on
    // the unique index of external ids they take their locks in opposite orders, which
    // PostgreSQL ends as a deadlock; the loser is stored again and answers with the winner's
    // tasks.
    for round in 0..6 {
        let body: Vec<Value> = (0..300)
            .map(|i| task(&format!("r{round}-{i}"), 0.3))
            .collect();
        let reversed = Value::Array(body.iter().rev().cloned().collect());
        let body = Value::Array(body);
        let (a, b) = tokio::join!(
            app.post_json("/api/v1/tasks", &body),
            app.post_json("/api/v1/tasks", &reversed),
        );
        let (sa, sb) = (a.status().as_u16(), b.status().as_u16());
        assert!(
            [200, 201].contains(&sa) && [200, 201].contains(&sb),
            "round {round}: {sa} and {sb}"
        );
        let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
        let ids = |v: &Value| -> Vec<String> {
            v["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let (ia, mut ib) = (ids(&a), ids(&b));
        ib.reverse();
        assert_eq!(
            ia, ib,
            "round {round}: both name the same task for each output"
        );
    }
    assert_eq!(app.count("tasks").await, 6 * 300);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_batch_answers_one_receipt_per_task_in_order(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body: Vec<Value> = (0..1000)
        .map(|i| task(&format!("b-{i}"), if i % 2 == 0 { 0.1 } else { 0.9 }))
        .collect();
    let receipts = app.submit(Value::Array(body)).await;
    let receipts = receipts.as_array().unwrap();
    assert_eq!(receipts.len(), 1000);
    assert_eq!(receipts[7]["external_id"], "b-7");
    assert_eq!(receipts[0]["reason"], "low_confidence");
    assert_eq!(app.count("tasks").await, 1000);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn polling_a_task_shows_its_status_and_reviews(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let receipt = app.submit(task("poll", 0.2)).await;
    let id = receipt["id"].as_str().unwrap();
    let (status, before) = app.get_json(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            before["status"].as_str(),
            before["reviews"].as_array().map(Vec::len)
        ),
        (Some("queued"), Some(0))
    );

    let alice = app.reviewer("alice").await;
    alice.current_task().await.unwrap();
    alice.review(id, "2", "reject").await.unwrap();
    let (_, after) = app.get_json(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(after["status"], "reviewed");
    assert_eq!(after["reviews"][0]["reviewer"], "alice");
    assert_eq!(
        (
            after["reviews"][0]["rating"].as_i64(),
            after["reviews"][0]["verdict"].as_str()
        ),
        (Some(2), Some("reject"))
    );
    assert!(after["completed_at"].is_string());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn requests_without_a_valid_token_get_401_and_change_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let url = app.url("/api/v1/tasks");
    let none = app
        .http
        .post(&url)
        .json(&task("x", 0.5))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let bad = app
        .http
        .post(&url)
        .bearer_auth("loupe_not-a-real-token")
        .json(&task("x", 0.5))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    sqlx::query("update api_tokens set revoked_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        app.post_json("/api/v1/tasks", &task("x", 0.5))
            .await
            .status(),
        401
    );
    let get = app
        .http
        .get(app.url("/api/v1/tasks/00000000-0000-0000-0000-000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 401);
    assert_eq!(app.count("tasks").await, 0);
}

/// Sends `body` and checks the status, the named field, and that no task was stored.
async fn assert_refused(app: &TestApp, body: impl Into<reqwest::Body>, status: u16, field: &str) {
    let before = app.count("tasks").await;
    let res = app.post_raw("/api/v1/tasks", body).await;
    assert_eq!(res.status().as_u16(), status);
    let json: Value = res.json().await.unwrap();
    assert_eq!(json["field"], field, "{json}");
    assert!(
        json["rule"].as_str().is_some_and(|r| !r.is_empty()),
        "{json}"
    );
    assert_eq!(
        app.count("tasks").await,
        before,
        "a refused request stored something"
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_confidence_of_1_7_is_refused_naming_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_refused(&app, task("c", 1.7).to_string(), 422, "confidence").await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_missing_document_is_refused_naming_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut t = task("d", 0.5);
    t.as_object_mut().unwrap().remove("document");
    assert_refused(&app, t.to_string(), 422, "document").await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_document_over_the_size_limit_is_refused_naming_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut t = task("big", 0.5);
    t["document"] = json!("x".repeat(1_000_001));
    assert_refused(&app, t.to_string(), 422, "document").await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn malformed_json_is_refused_naming_the_body(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_refused(&app, "{\"document\": \"unterminated", 400, "body").await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_batch_of_1001_is_refused_and_stores_none_of_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body: Vec<Value> = (0..1001).map(|i| task(&format!("t{i}"), 0.5)).collect();
    assert_refused(&app, Value::Array(body).to_string(), 422, "tasks").await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn one_bad_task_in_a_batch_stores_none_of_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body = json!([task("ok-1", 0.5), task("ok-2", 0.5), task("bad", -0.1)]);
    assert_refused(&app, body.to_string(), 422, "tasks[2].confidence").await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_unknown_task_is_a_json_404(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, body) = app
        .get_json("/api/v1/tasks/5f0c6a4e-8a47-4c41-9a53-1b9f3f1f0a11")
        .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (404, Some("not_found"))
    );
    let (status, _) = app.get_json("/api/v1/tasks/not-a-uuid").await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn no_internal_error_text_reaches_the_client(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    // Break the database under the server: the client must get an opaque 500.
    sqlx::query("alter table tasks rename to tasks_gone")
        .execute(&pool)
        .await
        .unwrap();
    let res = app.post_json("/api/v1/tasks", &task("x", 0.5)).await;
    assert_eq!(res.status(), 500);
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("tasks") && !text.contains("relation"),
        "leaked: {text}"
    );
}
