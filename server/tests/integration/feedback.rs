//! End-user feedback through `POST /feedback` (the existing contract) and `/api/v1/feedback`.

use crate::helpers::{TestApp, task};
use serde_json::{Value, json};
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn feedback_is_received_on_both_paths_by_id_or_external_id(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let receipt = app.submit(task("fb-1", 0.95)).await;
    let id = receipt["id"].as_str().unwrap();

    let res = app
        .post_json(
            "/feedback",
            &json!({"task_id": id, "user_id": "user-7", "feedback_type": "thumbs", "value": "down", "comments": "misses the point"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"status": "received"})
    );

    let res = app
        .post_json(
            "/api/v1/feedback",
            &json!({"task_id": "fb-1", "user_id": "user-8", "feedback_type": "rating", "value": 4}),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"status": "received"})
    );

    let (_, shown) = app.get_json(&format!("/api/v1/tasks/{id}")).await;
    let feedback = shown["feedback"].as_array().unwrap();
    assert_eq!(feedback.len(), 2);
    assert_eq!(
        (
            feedback[0]["value"].as_str(),
            feedback[0]["comments"].as_str()
        ),
        (Some("down"), Some("misses the point"))
    );
    assert_eq!(feedback[1]["value"], 4);
}

async fn assert_refused(app: &TestApp, body: Value, status: u16, field: &str) {
    let before = app.count("external_feedback").await;
    let res = app.post_json("/feedback", &body).await;
    assert_eq!(res.status().as_u16(), status);
    let json: Value = res.json().await.unwrap();
    assert_eq!(json["field"], field, "{json}");
    assert_eq!(app.count("external_feedback").await, before);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_rating_of_9_is_refused_naming_the_value(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(task("r9", 0.95)).await;
    assert_refused(
        &app,
        json!({"task_id": "r9", "user_id": "u", "feedback_type": "rating", "value": 9}),
        422,
        "value",
    )
    .await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn feedback_for_an_unknown_task_is_a_404_naming_the_task(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_refused(
        &app,
        json!({"task_id": "nope", "user_id": "u", "feedback_type": "thumbs", "value": "up"}),
        404,
        "task_id",
    )
    .await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn feedback_without_a_token_is_401(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app
        .http
        .post(app.url("/feedback"))
        .json(&json!({"task_id": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
