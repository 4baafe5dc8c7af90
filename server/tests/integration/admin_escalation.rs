//! An admin's escalation (issue 16): waiting, auto-accepted and reviewed outputs go to the
//! escalation queue with the admin's note, by id or over a filter; a task a reviewer holds is
//! left alone; each fires `task.escalated` and is audited; a requeue clears the note.

use crate::helpers::{TestApp, task};
use app::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_admin_escalates_settled_and_waiting_outputs_but_not_held_ones(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": "http://127.0.0.1:9/hook", "events": ["task.escalated"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let receipts = app
        .submit(json!([
            task("a-1", 0.1),
            task("a-2", 0.99),
            task("a-3", 0.2),
            task("a-4", 0.3)
        ]))
        .await;
    let ids: Vec<String> = receipts
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(receipts[1]["status"], "auto_accepted");
    // a-1 reviewed; a-3 held by ana; a-4 waiting.
    let ana = app.reviewer("ana").await;
    let first = ana.current_task().await.unwrap();
    assert_eq!(first["id"], ids[0].as_str());
    ana.review(&ids[0], "4", "accept").await.unwrap();
    let held = ana.current_task().await.unwrap();
    assert_eq!(held["id"], ids[2].as_str());

    // Without a note: named, and nothing changes.
    let (status, body) = app
        .call("POST", "/api/v1/escalate", Some(json!({"ids": ids})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "note");
    assert_eq!(
        sqlx::query_scalar::<_, i64>("select count(*) from tasks where status = 'escalated'")
            .fetch_one(&pool)
            .await
            .unwrap(),
        0
    );

    let (status, outcome) = app
        .call(
            "POST",
            "/api/v1/escalate",
            Some(json!({"ids": ids, "note": "Legal must read these <b>first</b>."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(
        (outcome["changed"].as_u64(), outcome["skipped"].as_u64()),
        (Some(3), Some(1))
    );
    let statuses: Vec<String> = sqlx::query_scalar("select status from tasks order by external_id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        statuses,
        ["escalated", "escalated", "in_review", "escalated"]
    );

    // The queue shows who escalated and why; the pipeline hears it; the trail has each.
    let ada = app.user("ada", Role::Admin).await;
    let queue: Vec<Value> = ada.call("admin/escalations", &[]).await.unwrap();
    assert_eq!(queue.len(), 3);
    for e in &queue {
        assert_eq!(e["reviewer"], "test pipeline");
        assert_eq!(e["comment"], "Legal must read these <b>first</b>.");
        assert_eq!(e["rating"], Value::Null);
    }
    let events: i64 = sqlx::query_scalar(
        "select count(*) from webhook_deliveries where event = 'task.escalated'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(events, 3);
    let audited: Vec<Value> = sqlx::query_scalar(
        "select before from audit_log where action = 'task.escalate' order by target",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut before: Vec<&str> = audited
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    before.sort_unstable();
    assert_eq!(before, ["auto_accepted", "queued", "reviewed"]);

    // Sent back to review, the task forgets the escalation's note.
    let (_, outcome) = app
        .call(
            "POST",
            "/api/v1/requeue",
            Some(json!({"ids": [ids[3]], "note": "Look again."})),
        )
        .await;
    assert_eq!(outcome["changed"], 1);
    let left: (Option<String>, Option<String>) =
        sqlx::query_as("select escalation_note, escalated_by from tasks where id = $1::uuid")
            .bind(&ids[3])
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(left, (None, None));
}
