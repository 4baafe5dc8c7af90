//! Requeue (issue 16): an admin sends settled outputs back to the queue with a note the next
//! reviewer sees, by id or over a list filter; earlier reviews stay; exactly the matching settled
//! tasks move; each is in the audit trail; bad requests change nothing.

use crate::helpers::{Session, TestApp, task};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

async fn review_all(reviewer: &Session, verdict_for: impl Fn(&str) -> &'static str) {
    while let Some(t) = reviewer.current_task().await {
        let id = t["id"].as_str().unwrap().to_owned();
        let summary = t["summary"].as_str().unwrap().to_owned();
        reviewer
            .review(&id, "3", verdict_for(&summary))
            .await
            .unwrap();
    }
}

async fn state(pool: &PgPool, external_id: &str) -> (String, String, i32, i32) {
    sqlx::query_as(
        "select status, reason, reviews_required, reviews_done from tasks where external_id = $1",
    )
    .bind(external_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn id_of(pool: &PgPool, external_id: &str) -> Uuid {
    sqlx::query_scalar("select id from tasks where external_id = $1")
        .bind(external_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_requeued_task_goes_to_another_reviewer_with_the_note_and_keeps_its_reviews(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool.clone()).await;
    for name in ["one", "two", "three"] {
        app.submit(task(name, 0.2)).await;
    }
    let ann = app.reviewer("ann").await;
    review_all(&ann, |summary| {
        if summary.contains("two") {
            "reject"
        } else {
            "accept"
        }
    })
    .await;
    assert_eq!(state(&pool, "one").await.0, "reviewed");

    let one = id_of(&pool, "one").await;
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/requeue",
            Some(json!({"ids": [one.to_string()], "note": "Check the <b>dates</b> again"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"changed": 1, "skipped": 0, "more": false}));
    assert_eq!(
        state(&pool, "one").await,
        ("queued".into(), "requeued".into(), 2, 1)
    );
    // The pipeline sees it waiting again, with its first review kept.
    let (_, doc) = app.get_json("/api/v1/tasks/one").await;
    assert_eq!(doc["status"], "queued");
    assert_eq!(doc["reason"], "requeued");
    assert_eq!(doc["reviews"].as_array().unwrap().len(), 1, "{doc}");

    // Ann reviewed it already: it goes to someone else, who reads the note.
    assert_eq!(ann.current_task().await, None);
    let bob = app.reviewer("bob").await;
    let t = bob.current_task().await.unwrap();
    assert_eq!(t["id"], one.to_string());
    assert_eq!(t["requeue_note"], "Check the <b>dates</b> again");
    bob.review(&one.to_string(), "4", "accept").await.unwrap();
    assert_eq!(
        state(&pool, "one").await,
        ("reviewed".into(), "requeued".into(), 2, 2)
    );
    let (_, doc) = app.get_json("/api/v1/tasks/one").await;
    assert_eq!(doc["reviews"].as_array().unwrap().len(), 2);

    let audited: Vec<(String, Value, Value)> =
        sqlx::query_as("select target, before, after from audit_log where action = 'task.requeue'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].0, one.to_string());
    assert_eq!(
        audited[0].1,
        json!({"status": "reviewed", "reason": "low_confidence"})
    );
    assert_eq!(audited[0].2["note"], "Check the <b>dates</b> again");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn requeue_over_a_filter_moves_exactly_the_matching_settled_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for name in ["a", "b", "c", "d"] {
        app.submit(task(name, 0.2)).await;
    }
    app.submit(task("waiting", 0.3)).await;
    let ann = app.reviewer("ann").await;
    // Ann reviews four (rejecting b and d); "waiting" stays in the queue.
    for _ in 0..4 {
        let t = ann.current_task().await.unwrap();
        let summary = t["summary"].as_str().unwrap();
        let verdict = if summary.contains(" b.") || summary.contains(" d.") {
            "reject"
        } else {
            "accept"
        };
        ann.review(t["id"].as_str().unwrap(), "2", verdict)
            .await
            .unwrap();
    }
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/requeue",
            Some(json!({"matching": {"verdict": "reject"}, "note": "second opinion"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["changed"], 2);
    for (name, expected) in [
        ("a", "reviewed"),
        ("b", "queued"),
        ("c", "reviewed"),
        ("d", "queued"),
        ("waiting", "queued"),
    ] {
        assert_eq!(state(&pool, name).await.0, expected, "{name}");
    }
    assert_eq!(state(&pool, "waiting").await.1, "low_confidence");
    // Asking for waiting tasks by id leaves them alone and says so.
    let waiting = id_of(&pool, "waiting").await;
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/requeue",
            Some(json!({"ids": [waiting.to_string()], "note": "x"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"changed": 0, "skipped": 1, "more": false}));

    // Bad requests name the field and change nothing.
    let before: i64 = sqlx::query_scalar("select count(*) from audit_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    for (body, field) in [
        (json!({"ids": [waiting.to_string()]}), "note"),
        (json!({"ids": [waiting.to_string()], "note": "  "}), "note"),
        (json!({"matching": {}, "note": "all"}), "matching"),
        (
            json!({"matching": {"sort": "oldest"}, "note": "all"}),
            "matching",
        ),
        (
            json!({"matching": {"status": "done"}, "note": "n"}),
            "matching.status",
        ),
        (
            json!({"matching": {"colour": "red"}, "note": "n"}),
            "matching.colour",
        ),
        (json!({"ids": ["nope"], "note": "n"}), "ids"),
        (json!({"ids": [], "note": "n"}), "ids"),
        (json!({"note": "n"}), "ids"),
        (
            json!({"ids": [waiting.to_string()], "matching": {"status": "reviewed"}, "note": "n"}),
            "ids",
        ),
        (
            json!({"ids": [waiting.to_string()], "note": "a\u{0}b"}),
            "note",
        ),
    ] {
        let (status, answer) = app
            .call("POST", "/api/v1/requeue", Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
    }
    let after: i64 = sqlx::query_scalar("select count(*) from audit_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, after);

    // Reviewers may not requeue; a read-only token may not either.
    let res = app
        .http
        .post(app.url("/api/v1/requeue"))
        .header("cookie", &ann.cookie)
        .header("origin", app.url(""))
        .json(&json!({"matching": {"status": "reviewed"}, "note": "n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let read_only =
        server::cli::create_token(&app.pool, "reader", &[server::api::auth::Scope::Read], &[])
            .await
            .unwrap();
    let res = app
        .http
        .post(app.url("/api/v1/requeue"))
        .bearer_auth(&read_only)
        .json(&json!({"matching": {"status": "reviewed"}, "note": "n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(state(&pool, "a").await.0, "reviewed");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_admin_rules_on_matching_tasks_but_never_on_one_a_reviewer_holds(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for name in ["r1", "r2", "held"] {
        let mut t = task(name, 0.2);
        t["model_version"] = json!("broken-2");
        app.submit(t).await;
    }
    app.submit(task("other", 0.2)).await;
    // A reviewer holds one of the broken version's tasks.
    let ann = app.reviewer("ann").await;
    let held = ann.current_task().await.unwrap();
    let held_id = held["id"].as_str().unwrap().to_owned();
    let held_external: String = sqlx::query_scalar("select external_id from tasks where id = $1")
        .bind(Uuid::parse_str(&held_id).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();

    let (status, body) = app
        .call(
            "POST",
            "/api/v1/resolve",
            Some(
                json!({"matching": {"model_version": "broken-2"}, "verdict": "reject",
                        "note": "version 2 truncates every summary"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["changed"], 2, "{body}");
    for name in ["r1", "r2", "held", "other"] {
        let (_, doc) = app.get_json(&format!("/api/v1/tasks/{name}")).await;
        if name == held_external {
            assert_eq!(doc["status"], "in_review", "{name}");
        } else if name == "other" {
            assert_eq!(doc["status"], "queued");
        } else {
            assert_eq!(doc["status"], "reviewed", "{name}");
            assert_eq!(doc["verdict"], "reject");
            assert_eq!(
                doc["resolution"]["note"],
                "version 2 truncates every summary"
            );
        }
    }
    // The holder's review still lands.
    ann.review(&held_id, "2", "accept").await.unwrap();
    let audited: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'task.resolve'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 2);
    for (body, field) in [
        (
            json!({"ids": [held_id.clone()], "verdict": "escalate"}),
            "verdict",
        ),
        (json!({"ids": [held_id.clone()]}), "verdict"),
        (json!({"matching": {}, "verdict": "accept"}), "matching"),
    ] {
        let (status, answer) = app
            .call("POST", "/api/v1/resolve", Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
    }
}
