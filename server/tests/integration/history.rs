//! A reviewer's history: the last reviews, amending one within ten minutes, the earlier version
//! kept, and the pipeline told again when a completed task's verdict changed.

use crate::helpers::{TestApp, task};
use crate::receiver::Receiver;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_review_is_amended_within_ten_minutes_and_the_earlier_version_is_kept(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let receiver = Receiver::start(&[]).await;
    let (status, _) = app
        .call("POST", "/api/v1/webhooks", Some(json!({"url": receiver.url(), "events": ["task.reviewed"], "secret": "history-secret-0123456"})))
        .await;
    assert_eq!(status, 201);
    for i in 0..2 {
        app.submit(task(&format!("hist-{i}"), 0.1)).await;
    }
    let rita = app.reviewer("rita").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = rita.current_task().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        rita.review(&id, "4", "accept").await.unwrap();
        ids.push(id);
    }
    let mine: Value = rita.call("history", &[]).await.unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 2);
    assert_eq!(mine[0]["task_id"], ids[1].as_str(), "newest first");
    assert!(mine[0]["amendable_until"].is_string());
    let review_id = mine[1]["id"].to_string();

    // Escalating is not an amendment; a bad rating is named; nothing changes.
    let err = rita
        .call::<()>(
            "history/amend",
            &[
                ("review_id", &review_id),
                ("rating", "4"),
                ("verdict", "escalate"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "verdict");
    let err = rita
        .call::<()>(
            "history/amend",
            &[
                ("review_id", &review_id),
                ("rating", "7"),
                ("verdict", "reject"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "rating");
    // Someone else's review is not found.
    let omar = app.reviewer("omar").await;
    let err = omar
        .call::<()>(
            "history/amend",
            &[
                ("review_id", &review_id),
                ("rating", "1"),
                ("verdict", "reject"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(err, json!({"NotFound": "review"}));

    rita.call::<()>(
        "history/amend",
        &[
            ("review_id", &review_id),
            ("rating", "2"),
            ("verdict", "reject"),
            ("comment", "missed a figure"),
            ("error_tags", "omission"),
        ],
    )
    .await
    .unwrap();
    let (_, t) = app.get_json(&format!("/api/v1/tasks/{}", ids[0])).await;
    assert_eq!(t["verdict"], "reject");
    assert_eq!(t["reviews"][0]["rating"], 2);
    assert_eq!(t["reviews"][0]["error_tags"], json!(["omission"]));
    assert!(t["reviews"][0]["amended_at"].is_string());
    let kept: (i16, String, Option<String>) =
        sqlx::query_as("select rating, verdict, comment from review_revisions")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(kept, (4, "accept".to_owned(), Some("checked".to_owned())));
    let mine: Value = rita.call("history", &[]).await.unwrap();
    assert_eq!(mine[1]["revisions"], 1);

    // The pipeline heard the first verdict, then the amended one.
    let got = receiver.wait_for(3, Duration::from_secs(15)).await;
    let verdicts: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            let e = r.json();
            (
                e["task"]["id"].as_str().unwrap().to_owned(),
                e["task"]["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(id, _)| id == &ids[0])
        .map(|(_, v)| (ids[0].clone(), v))
        .collect();
    assert_eq!(
        verdicts.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
        ["accept", "reject"]
    );

    // Ten minutes later it is too late.
    sqlx::query("update reviews set created_at = now() - interval '11 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let err = rita
        .call::<()>(
            "history/amend",
            &[
                ("review_id", &review_id),
                ("rating", "5"),
                ("verdict", "accept"),
            ],
        )
        .await
        .unwrap_err();
    assert!(err.get("Conflict").is_some(), "{err}");
    let mine: Value = rita.call("history", &[]).await.unwrap();
    assert_eq!(mine[0]["amendable_until"], Value::Null);
}
