//! Priority (issue 16): set on ingest or by an admin over ids or a filter, it puts waiting work
//! ahead of the flag and the confidence in every reviewer's queue; out-of-range values are named
//! and change nothing; settled tasks are left alone; each change is audited.

use crate::helpers::{TestApp, task};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn order_handed(app: &TestApp) -> Vec<String> {
    let rita = app.reviewer("rita").await;
    let mut seen = Vec::new();
    while let Some(t) = rita.current_task().await {
        let id = t["id"].as_str().unwrap().to_owned();
        let (_, doc) = app.get_json(&format!("/api/v1/tasks/{id}")).await;
        seen.push(doc["external_id"].as_str().unwrap().to_owned());
        rita.review(&id, "4", "accept").await.unwrap();
        assert!(seen.len() <= 10, "handed more than was sent");
    }
    seen
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn priority_goes_before_the_flag_and_the_confidence(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let mut urgent = task("p-3", 0.3);
    urgent["priority"] = json!(5);
    let mut flagged = task("p-5", 0.9);
    flagged["flagged"] = json!(true);
    let receipts = app
        .submit(json!([
            task("p-1", 0.1),
            task("p-2", 0.2),
            urgent,
            task("p-4", 0.4),
            flagged
        ]))
        .await;
    let id_of = |external: &str| {
        receipts
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["external_id"] == external)
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (_, doc) = app
        .get_json(&format!("/api/v1/tasks/{}", id_of("p-3")))
        .await;
    assert_eq!(doc["priority"], 5);

    // Out of range, or missing, or on ingest: named, and nothing changes.
    for (body, field) in [
        (json!({"priority": 10, "ids": [id_of("p-4")]}), "priority"),
        (json!({"ids": [id_of("p-4")]}), "priority"),
        (json!({"priority": 1}), "ids"),
    ] {
        let (status, answer) = app.call("POST", "/api/v1/priority", Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["field"], field);
    }
    let mut too_high = task("p-6", 0.5);
    too_high["priority"] = json!(12);
    let res = app.post_json("/api/v1/tasks", &too_high).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "priority");
    let raised: i64 = sqlx::query_scalar("select count(*) from tasks where priority <> 0")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(raised, 1);

    // p-4 to the top by id; p-1 below everything over a filter.
    let (status, outcome) = app
        .call(
            "POST",
            "/api/v1/priority",
            Some(json!({"priority": 9, "ids": [id_of("p-4")]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(
        (outcome["changed"].as_u64(), outcome["skipped"].as_u64()),
        (Some(1), Some(0))
    );
    let (_, outcome) = app
        .call(
            "POST",
            "/api/v1/priority",
            Some(json!({"priority": -1, "matching": {"external_id": "p-1"}})),
        )
        .await;
    assert_eq!(outcome["changed"], 1);
    // The list shows each task's priority and project.
    let (_, listed) = app.get_json("/api/v1/tasks?external_id=p-4").await;
    assert_eq!(listed["tasks"][0]["priority"], 9);
    assert_eq!(listed["tasks"][0]["project"], "default");

    assert_eq!(
        order_handed(&app).await,
        ["p-4", "p-3", "p-5", "p-2", "p-1"]
    );

    // Reviewed now: left alone.
    let (_, outcome) = app
        .call(
            "POST",
            "/api/v1/priority",
            Some(json!({"priority": 3, "ids": [id_of("p-2")]})),
        )
        .await;
    assert_eq!(
        (outcome["changed"].as_u64(), outcome["skipped"].as_u64()),
        (Some(0), Some(1))
    );
    let audited: Vec<(String, Value, Value)> = sqlx::query_as(
        "select target, before, after from audit_log where action = 'task.prioritize' order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            (id_of("p-4"), json!({"priority": 0}), json!({"priority": 9})),
            (
                id_of("p-1"),
                json!({"priority": 0}),
                json!({"priority": -1})
            ),
        ]
    );
}
