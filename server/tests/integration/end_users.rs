//! End users in the loop (issue 15): the guide's feedback contract as written (fractional
//! ratings, free-text types, every signal exported), the 422s that name their field, and the
//! per-model rule that sends an auto-accepted output its end users disliked back to review.

use crate::helpers::{TestApp, task};
use crate::lifecycle::tallies_match;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn send(app: &TestApp, body: Value) -> (u16, Value) {
    let res = app.post_json("/feedback", &body).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn signal(app: &TestApp, task: &str, kind: &str, value: Value, comments: Option<&str>) {
    let (status, answer) = send(
        app,
        json!({"task_id": task, "user_id": "end-user-1", "feedback_type": kind,
               "value": value, "comments": comments}),
    )
    .await;
    assert_eq!(
        (status, answer),
        (200, json!({"status": "received"})),
        "{kind} on {task}"
    );
}

/// The task's document as pipelines read it.
pub(crate) async fn doc(app: &TestApp, external_id: &str) -> Value {
    let id = sqlx::query_scalar::<_, uuid::Uuid>("select id from tasks where external_id = $1")
        .bind(external_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (status, doc) = app.get_json(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(status, 200);
    doc
}

/// Confident outputs are auto-accepted, none audit-sampled: the tests decide which are queued.
pub(crate) async fn no_audit_sample(app: &TestApp) {
    let (status, _) = app
        .call("PUT", "/api/v1/routing/%2A", Some(json!({"audit_rate": 0})))
        .await;
    assert_eq!(status, 200);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_signal_of_the_guides_contract_is_stored_and_exported(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(task("out-1", 0.3)).await;
    signal(&app, "out-1", "rating", json!(3.5), None).await;
    signal(&app, "out-1", "rating", json!(4.0), None).await;
    signal(
        &app,
        "out-1",
        "Share_Link ",
        json!(2),
        Some("sent to a colleague"),
    )
    .await;
    signal(&app, "out-1", "dwell_seconds", json!(12.25), None).await;
    signal(&app, "out-1", "copy", Value::Null, None).await;
    signal(&app, "out-1", "thumbs", json!(0), None).await;
    signal(
        &app,
        "out-1",
        "correction",
        Value::Null,
        Some("The corrected summary."),
    )
    .await;

    let fb = doc(&app, "out-1").await["feedback"].clone();
    let seen: Vec<(Value, Value, Value)> = fb
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["feedback_type"].clone(),
                f["value"].clone(),
                f["comments"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (json!("rating"), json!(3.5), Value::Null),
            (json!("rating"), json!(4), Value::Null),
            (json!("share_link"), json!(2), json!("sent to a colleague")),
            (json!("dwell_seconds"), json!(12.25), Value::Null),
            (json!("copy"), Value::Null, Value::Null),
            (json!("thumbs"), json!("down"), Value::Null),
            (
                json!("correction"),
                Value::Null,
                json!("The corrected summary.")
            ),
        ]
    );
    let stored: f64 = sqlx::query_scalar(
        "select value from external_feedback where feedback_type = 'rating' order by id limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, 3.5);

    let res = app
        .http
        .get(app.url("/api/v1/export?format=jsonl"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    let rows: Vec<Value> = res
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let exported: Vec<(Value, Value, Value)> = rows
        .iter()
        .filter(|r| r["source"] == "end_user")
        .map(|r| {
            (
                r["feedback_type"].clone(),
                r["value"].clone(),
                r["comment"].clone(),
            )
        })
        .collect();
    assert_eq!(
        exported, seen,
        "every signal, with its type, value and text"
    );

    let csv = app
        .http
        .get(app.url("/api/v1/export?format=csv"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("share_link") && csv.contains("3.5") && csv.contains("12.25"),
        "{csv}"
    );

    // The feed of all feedback carries them too. It only returns rows below the oldest running
    // transaction of the whole cluster, and other tests run beside this one: ask until it has
    // caught up.
    let mut types = Vec::new();
    for _ in 0..100 {
        let (_, feed) = app.get_json("/api/v1/feedback?limit=100").await;
        types = feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["feedback_type"].as_str().map(str::to_owned))
            .collect();
        if types.len() == 7 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(types.len(), 7, "{types:?}");
    assert!(types.iter().any(|t| t == "share_link"));
}

async fn assert_refused(app: &TestApp, body: Value, field: &str) {
    let before = app.count("external_feedback").await;
    let (status, answer) = send(app, body.clone()).await;
    assert_eq!(
        (status, answer["field"].as_str()),
        (422, Some(field)),
        "{body} → {answer}"
    );
    assert!(
        answer["rule"].as_str().is_some_and(|r| !r.is_empty()),
        "{answer}"
    );
    assert_eq!(app.count("external_feedback").await, before);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn each_bad_signal_is_a_422_naming_its_field_and_stores_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(task("t", 0.95)).await;
    let with = |kind: &str, value: Value| json!({"task_id": "t", "user_id": "u", "feedback_type": kind, "value": value});
    assert_refused(&app, with("rating", json!("NaN")), "value").await;
    assert_refused(&app, with("copy", json!("Infinity")), "value").await;
    assert_refused(&app, with("rating", json!(5.5)), "value").await;
    assert_refused(&app, with("rating", json!(0)), "value").await;
    assert_refused(&app, with("rating", Value::Null), "value").await;
    assert_refused(&app, with("thumbs", json!(0.5)), "value").await;
    assert_refused(&app, with("dwell_seconds", json!(-1)), "value").await;
    assert_refused(&app, with("edit", json!({"n": 1})), "value").await;
    assert_refused(&app, with(&"x".repeat(65), json!(1)), "feedback_type").await;
    assert_refused(&app, with("  ", json!(1)), "feedback_type").await;
    let mut long = with("comment", Value::Null);
    long["comments"] = json!("y".repeat(10_001));
    assert_refused(&app, long, "comments").await;
    assert_refused(&app, with("correction", Value::Null), "comments").await;

    // JSON has no infinity: a number too large for a float is how one arrives.
    let before = app.count("external_feedback").await;
    let res = app
        .post_raw(
            "/feedback",
            r#"{"task_id": "t", "user_id": "u", "feedback_type": "rating", "value": 1e400}"#,
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "value");
    assert_eq!(app.count("external_feedback").await, before);

    let (status, answer) = send(
        &app,
        json!({"task_id": "nope", "user_id": "u",
        "feedback_type": "thumbs", "value": 1}),
    )
    .await;
    assert_eq!((status, answer["field"].as_str()), (404, Some("task_id")));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn dissatisfaction_sends_an_auto_accepted_output_back_to_review_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    no_audit_sample(&app).await;
    for (id, confidence) in [
        ("liked", 0.95),
        ("down", 0.96),
        ("low-rated", 0.97),
        ("fair", 0.98),
        ("corrected", 0.99),
        ("waiting", 0.3),
    ] {
        app.submit(task(id, confidence)).await;
    }
    tallies_match(&pool, "ingest").await;
    assert_eq!(doc(&app, "down").await["status"], "auto_accepted");

    signal(&app, "liked", "thumbs", json!(1), None).await;
    signal(&app, "liked", "rating", json!(4.5), None).await;
    signal(&app, "liked", "regenerate", json!(1), None).await;
    signal(
        &app,
        "down",
        "thumbs",
        json!(-1),
        Some("<script>alert(1)</script> wrong"),
    )
    .await;
    signal(&app, "low-rated", "rating", json!(2.0), None).await;
    signal(&app, "fair", "rating", json!(2.5), None).await;
    signal(
        &app,
        "corrected",
        "correction",
        Value::Null,
        Some("The right summary."),
    )
    .await;
    signal(&app, "waiting", "thumbs", json!(0), None).await;
    tallies_match(&pool, "feedback").await;

    for (id, status, reason) in [
        ("liked", "auto_accepted", "auto_accepted"),
        ("down", "queued", "user_feedback"),
        ("low-rated", "queued", "user_feedback"),
        ("fair", "auto_accepted", "auto_accepted"),
        ("corrected", "queued", "user_feedback"),
        ("waiting", "queued", "low_confidence"),
    ] {
        let d = doc(&app, id).await;
        assert_eq!(
            (d["status"].as_str(), d["reason"].as_str()),
            (Some(status), Some(reason)),
            "{id}"
        );
        if reason == "user_feedback" {
            assert_eq!(d["needs_review"], true);
            assert_eq!(d["completed_at"], Value::Null, "{id} is no longer complete");
        }
    }

    // The queue page counts the new reason.
    let rita = app.reviewer("rita").await;
    let summary: Value = rita.call("queue/summary", &[]).await.unwrap();
    assert!(
        summary["summary"]["by_reason"]
            .as_array()
            .unwrap()
            .contains(&json!(["user_feedback", 3])),
        "{summary}"
    );

    // A reviewer works through the queue; the re-queued outputs carry their end users' words.
    let mut reviewed = 0;
    while let Some(t) = rita.current_task().await {
        if t["summary"] == "Summary of down." {
            assert_eq!(t["reason"], "user_feedback");
            let said = &t["end_users"];
            assert_eq!(
                said["counts"],
                json!([{"feedback_type": "thumbs", "n": 1, "positive": 0, "mean": 0.0}])
            );
            assert_eq!(said["notes"][0]["text"], "<script>alert(1)</script> wrong");
        }
        rita.review(t["id"].as_str().unwrap(), "3", "accept")
            .await
            .unwrap();
        reviewed += 1;
        tallies_match(&pool, "a review").await;
    }
    assert_eq!(reviewed, 4);

    // Reviewed: more dissatisfaction is stored and shown, but the task is not queued twice.
    signal(&app, "down", "thumbs", json!(0), Some("still wrong")).await;
    signal(&app, "waiting", "correction", Value::Null, Some("fixed")).await;
    let d = doc(&app, "down").await;
    assert_eq!(
        (d["status"].as_str(), d["reason"].as_str()),
        (Some("reviewed"), Some("user_feedback"))
    );
    assert_eq!(d["feedback"].as_array().unwrap().len(), 2);
    assert_eq!(doc(&app, "waiting").await["reason"], "low_confidence");
    tallies_match(&pool, "feedback on reviewed tasks").await;
    assert!(rita.current_task().await.is_none());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn two_thumbs_down_at_once_queue_the_output_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    no_audit_sample(&app).await;
    app.submit(task("both", 0.95)).await;
    let body = json!({"task_id": "both", "user_id": "u", "feedback_type": "thumbs", "value": 0});
    let (a, b) = tokio::join!(
        app.post_json("/feedback", &body),
        app.post_json("/feedback", &body)
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    assert_eq!(doc(&app, "both").await["status"], "queued");
    assert_eq!(app.count("external_feedback").await, 2);
    tallies_match(&pool, "two concurrent thumbs-down").await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_rule_is_a_routing_setting_per_model_and_can_be_turned_off(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    no_audit_sample(&app).await;
    let (_, defaults) = app.get_json("/api/v1/routing/%2A").await;
    assert_eq!(
        (
            &defaults["user_feedback_review"],
            &defaults["user_feedback_rating_at_most"]
        ),
        (&json!(true), &json!(2.0))
    );
    let (status, quiet) = app
        .call(
            "PUT",
            "/api/v1/routing/quiet",
            Some(json!({"user_feedback_review": false})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &quiet["user_feedback_review"]),
        (200, &json!(false))
    );
    let (status, strict) = app
        .call(
            "PUT",
            "/api/v1/routing/strict",
            Some(json!({"user_feedback_rating_at_most": 3.5})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &strict["user_feedback_rating_at_most"]),
        (200, &json!(3.5))
    );
    let (status, refused) = app
        .call(
            "PUT",
            "/api/v1/routing/strict",
            Some(json!({"user_feedback_rating_at_most": 7})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), refused["field"].as_str()),
        (422, Some("user_feedback_rating_at_most"))
    );

    for (id, model) in [("q", "quiet"), ("s", "strict")] {
        let mut t = task(id, 0.95);
        t["model"] = json!(model);
        app.submit(t).await;
    }
    signal(&app, "q", "thumbs", json!(0), None).await;
    signal(&app, "q", "correction", Value::Null, Some("better")).await;
    signal(&app, "s", "rating", json!(3.5), None).await;
    assert_eq!(
        doc(&app, "q").await["status"],
        "auto_accepted",
        "the rule is off for quiet"
    );
    assert_eq!(
        doc(&app, "s").await["reason"],
        "user_feedback",
        "3.5 is dissatisfied for strict"
    );
    tallies_match(&pool, "per-model rules").await;

    // The API's documents name the new reason and the rule's settings.
    let (_, spec) = app.get_json("/api/v1/openapi.json").await;
    let schemas = &spec["components"]["schemas"];
    assert!(
        schemas["Reason"]["enum"]
            .as_array()
            .is_some_and(|e| e.contains(&json!("user_feedback"))),
        "{}",
        schemas["Reason"]
    );
    assert!(schemas["RoutingSetting"]["properties"]["user_feedback_review"].is_object());
    assert!(schemas["RoutingChange"]["properties"]["user_feedback_rating_at_most"].is_object());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_review_page_shows_end_users_words_as_text(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    no_audit_sample(&app).await;
    app.submit(task("hostile", 0.95)).await;
    signal(
        &app,
        "hostile",
        "thumbs",
        json!(0),
        Some("<img src=x onerror=alert(1)>"),
    )
    .await;
    signal(&app, "hostile", "copy", Value::Null, None).await;
    let rita = app.reviewer("rita").await;
    let html = rita.get_page("/review").await.text().await.unwrap();
    assert!(html.contains("End users said"), "{html}");
    assert!(html.contains("thumbs: 0 up, 1 down") && html.contains("copy: 1"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<img src=x"));
}
