//! The review queue: order, leases, skips, reviews, and 32 reviewers at once.

use crate::helpers::{Session, TestApp, task};
use app::state::Settings;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

fn id_of(task: &Value) -> String {
    task["id"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_queue_serves_flagged_first_then_lowest_confidence_then_oldest(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut flagged = task("flagged", 0.9);
    flagged["flagged"] = json!(true);
    app.submit(json!([
        task("older-0.5", 0.5),
        task("lowest", 0.1),
        task("newer-0.5", 0.5),
        flagged
    ]))
    .await;
    let reviewer = app.reviewer("ann").await;
    let mut order = Vec::new();
    while let Some(t) = reviewer.current_task().await {
        order.push(t["summary"].as_str().unwrap().to_owned());
        reviewer.review(&id_of(&t), "4", "accept").await.unwrap();
    }
    assert_eq!(
        order,
        [
            "Summary of flagged.",
            "Summary of lowest.",
            "Summary of older-0.5.",
            "Summary of newer-0.5."
        ]
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_review_is_stored_with_the_task_completed_in_one_step(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(task("r1", 0.2)).await;
    let reviewer = app.reviewer("ben").await;
    let t = reviewer.current_task().await.unwrap();
    assert_eq!(t["reason"], "low_confidence");
    // Holding a task: asking again returns the same one, not a second claim.
    assert_eq!(reviewer.current_task().await.unwrap()["id"], t["id"]);
    reviewer
        .call::<Value>(
            "review/submit",
            &[
                ("task_id", &id_of(&t)),
                ("rating", "2"),
                ("verdict", "reject"),
                ("comment", "  misses the date  "),
                ("corrected_summary", "Summary of r1, with the date."),
            ],
        )
        .await
        .unwrap();
    let row: (i16, String, Option<String>, Option<String>) =
        sqlx::query_as("select rating, verdict, comment, corrected_summary from reviews")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        row,
        (
            2,
            "reject".into(),
            Some("misses the date".into()),
            Some("Summary of r1, with the date.".into())
        )
    );
    let (status, lease): (String, Option<i64>) =
        sqlx::query_as("select status, lease_owner from tasks")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), lease), ("reviewed", None));
    assert_eq!(reviewer.current_task().await, None);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_unchanged_summary_is_not_stored_as_a_correction(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(task("same-summary", 0.2)).await;
    let reviewer = app.reviewer("cy").await;
    let t = reviewer.current_task().await.unwrap();
    let fields = [
        ("task_id", id_of(&t)),
        ("rating", "5".into()),
        ("corrected_summary", "Summary of same-summary.\n".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    reviewer
        .call::<Value>("review/submit", &fields)
        .await
        .unwrap();
    let (corrected, verdict): (Option<String>, String) =
        sqlx::query_as("select corrected_summary, verdict from reviews")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((corrected, verdict.as_str()), (None, "accept"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_rating_of_9_or_none_is_refused_naming_the_field_and_nothing_is_stored(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(task("bad-rating", 0.2)).await;
    let reviewer = app.reviewer("dee").await;
    let t = reviewer.current_task().await.unwrap();
    let err = reviewer
        .review(&id_of(&t), "9", "accept")
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "rating");
    let err = reviewer
        .call::<Value>("review/submit", &[("task_id", &id_of(&t))])
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "rating");
    let err = reviewer.review(&id_of(&t), "3", "maybe").await.unwrap_err();
    assert_eq!(err["Validation"]["field"], "verdict");
    assert_eq!(app.count("reviews").await, 0);
    // The reviewer still holds the task and can fix the form.
    assert_eq!(reviewer.current_task().await.unwrap()["id"], t["id"]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn escalating_marks_the_task_escalated(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let receipt = app.submit(task("esc", 0.2)).await;
    let reviewer = app.reviewer("eve").await;
    let t = reviewer.current_task().await.unwrap();
    reviewer.review(&id_of(&t), "1", "escalate").await.unwrap();
    let (_, shown) = app
        .get_json(&format!("/api/v1/tasks/{}", id_of(&receipt)))
        .await;
    assert_eq!(shown["status"], "escalated");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_skip_releases_the_task_to_others_but_not_back_to_the_skipper(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(task("skipped", 0.2)).await;
    let (fay, gus) = (app.reviewer("fay").await, app.reviewer("gus").await);
    let t = fay.current_task().await.unwrap();
    assert_eq!(
        gus.current_task().await,
        None,
        "a held task must not be offered to anyone else"
    );
    fay.call::<Value>("review/skip", &[("task_id", &id_of(&t))])
        .await
        .unwrap();
    assert_eq!(fay.current_task().await, None);
    assert_eq!(gus.current_task().await.unwrap()["id"], t["id"]);
    // Fay no longer holds it, so she cannot review it.
    let err = fay.review(&id_of(&t), "4", "accept").await.unwrap_err();
    assert!(err.get("Conflict").is_some(), "{err}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_expired_lease_puts_the_task_back_in_the_queue(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(task("lapsed", 0.2)).await;
    let (hal, ida) = (app.reviewer("hal").await, app.reviewer("ida").await);
    let t = hal.current_task().await.unwrap();
    sqlx::query("update tasks set lease_expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(ida.current_task().await.unwrap()["id"], t["id"]);
    let err = hal.review(&id_of(&t), "4", "accept").await.unwrap_err();
    assert!(err.get("Conflict").is_some(), "{err}");
    ida.review(&id_of(&t), "4", "accept").await.unwrap();
    assert_eq!(app.count("reviews").await, 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_task_wanting_two_reviews_goes_to_two_different_reviewers(pool: PgPool) {
    sqlx::query("update routing_settings set reviews_per_task = 2")
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::spawn(pool).await;
    app.submit(task("twice", 0.2)).await;
    let (jo, kim) = (app.reviewer("jo").await, app.reviewer("kim").await);
    let t = jo.current_task().await.unwrap();
    jo.review(&id_of(&t), "4", "accept").await.unwrap();
    assert_eq!(
        jo.current_task().await,
        None,
        "a reviewer never sees a task twice"
    );
    let again = kim.current_task().await.unwrap();
    assert_eq!(again["id"], t["id"]);
    kim.review(&id_of(&t), "3", "accept").await.unwrap();
    let status: String = sqlx::query_scalar("select status from tasks")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "reviewed");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn thirty_two_reviewers_drain_two_hundred_tasks_without_ever_sharing_one(pool: PgPool) {
    let app = TestApp::spawn_with(pool, Settings::default()).await;
    let body: Vec<Value> = (0..200)
        .map(|i| task(&format!("c-{i}"), 0.05 + (i % 70) as f64 / 100.0))
        .collect();
    app.submit(Value::Array(body)).await;
    let mut reviewers: Vec<Session> = Vec::new();
    for i in 0..32 {
        reviewers.push(app.reviewer(&format!("rev{i:02}")).await);
    }
    // Every claim ever handed out, with who got it: with one review per task and no skips or
    // expiries, a second claim of any task would mean two reviewers held it.
    let claims: Arc<Mutex<HashMap<Uuid, usize>>> = Arc::default();
    let mut workers = tokio::task::JoinSet::new();
    for (n, reviewer) in reviewers.into_iter().enumerate() {
        let claims = claims.clone();
        workers.spawn(async move {
            let mut done = 0;
            while let Some(t) = reviewer.current_task().await {
                let id = Uuid::parse_str(t["id"].as_str().unwrap()).unwrap();
                if let Some(other) = claims.lock().unwrap().insert(id, n) {
                    panic!("task {id} was handed to reviewer {n} while reviewer {other} had it");
                }
                reviewer
                    .review(&id.to_string(), "4", "accept")
                    .await
                    .unwrap();
                done += 1;
            }
            done
        });
    }
    let mut total = 0;
    while let Some(done) = workers.join_next().await {
        total += done.unwrap();
    }
    assert_eq!(total, 200);
    assert_eq!(claims.lock().unwrap().len(), 200);
    let per_task: Vec<i64> = sqlx::query_scalar(
        "select count(r.id) from tasks t left join reviews r on r.task_id = t.id group by t.id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(per_task.len(), 200);
    assert!(
        per_task.iter().all(|&n| n == 1),
        "every task must end with exactly one review"
    );
    let open: i64 = sqlx::query_scalar("select count(*) from tasks where status <> 'reviewed'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(open, 0);
}
