//! The escalation queue: a reviewer escalates, an admin settles it with a final verdict, the task
//! completes with that verdict and the pipeline hears of it.

use crate::helpers::{TestApp, task};
use crate::receiver::Receiver;
use app::domain::Role;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_admin_resolves_an_escalation_and_the_task_completes_with_that_verdict(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let receiver = Receiver::start(&[]).await;
    let (status, _) = app
        .call("POST", "/api/v1/webhooks", Some(json!({"url": receiver.url(), "events": ["task.reviewed", "task.escalated"], "secret": "escalation-secret-0123"})))
        .await;
    assert_eq!(status, 201);
    let receipt = app.submit(task("esc-1", 0.2)).await;
    let id = receipt["id"].as_str().unwrap().to_owned();
    let rita = app.reviewer("rita").await;
    assert_eq!(rita.current_task().await.unwrap()["id"], id.as_str());
    rita.call::<Value>(
        "review/submit",
        &[
            ("task_id", &id),
            ("rating", "2"),
            ("verdict", "escalate"),
            ("comment", "legal must look"),
        ],
    )
    .await
    .unwrap();

    let admin = app.user("ada", Role::Admin).await;
    let queue: Value = admin.call("admin/escalations", &[]).await.unwrap();
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(queue[0]["task_id"], id.as_str());
    assert_eq!(queue[0]["reviewer"], "rita");
    assert_eq!(queue[0]["comment"], "legal must look");

    // No verdict, or one that is not accept/reject: named, nothing changes.
    for verdict in ["", "escalate"] {
        let err = admin
            .call::<()>(
                "admin/escalations/resolve",
                &[("task_id", &id), ("verdict", verdict)],
            )
            .await
            .unwrap_err();
        assert_eq!(err["Validation"]["field"], "verdict");
    }
    // Reviewers may not resolve.
    let err = rita
        .call::<()>(
            "admin/escalations/resolve",
            &[("task_id", &id), ("verdict", "accept")],
        )
        .await
        .unwrap_err();
    assert_eq!(err, json!("Forbidden"));
    let (_, still) = app.get_json(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(
        (still["status"].as_str(), still["verdict"].as_str()),
        (Some("escalated"), Some("escalate"))
    );

    admin
        .call::<()>(
            "admin/escalations/resolve",
            &[
                ("task_id", &id),
                ("verdict", "reject"),
                ("note", "the figures are wrong"),
            ],
        )
        .await
        .unwrap();
    let (_, done) = app.get_json(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(done["status"], "reviewed");
    assert_eq!(done["verdict"], "reject");
    assert_eq!(done["resolution"]["by"], "ada");
    assert_eq!(done["resolution"]["note"], "the figures are wrong");
    assert!(done["completed_at"].is_string());
    let queue: Value = admin.call("admin/escalations", &[]).await.unwrap();
    assert_eq!(queue, json!([]));
    // A second resolution is refused: the task moved on.
    let err = admin
        .call::<()>(
            "admin/escalations/resolve",
            &[("task_id", &id), ("verdict", "accept")],
        )
        .await
        .unwrap_err();
    assert!(err.get("Conflict").is_some(), "{err}");

    // The pipeline heard both: the escalation, then the final verdict.
    let got = receiver.wait_for(2, Duration::from_secs(15)).await;
    let mut events: Vec<(String, Value)> =
        got.iter().map(|r| (r.event.clone(), r.json())).collect();
    events.sort_by_key(|(e, _)| e.clone());
    assert_eq!(events[0].0, "task.escalated");
    assert_eq!(events[1].0, "task.reviewed");
    assert_eq!(events[1].1["task"]["verdict"], "reject");
    assert_eq!(events[1].1["task"]["resolution"]["verdict"], "reject");
}
