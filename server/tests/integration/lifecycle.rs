//! The task lifecycle has one definition: the statuses the code knows are the ones the database
//! allows, and a lapsed lease counts as waiting on every page that counts waiting work.

use crate::helpers::{TestApp, task};
use app::domain::Role;
use app::task::TaskStatus;
use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_code_knows_exactly_the_statuses_the_database_allows(pool: PgPool) {
    let definition: String = sqlx::query_scalar(
        "select pg_get_constraintdef(oid) from pg_constraint where conname = 'tasks_status_check'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // `CHECK ((status = ANY (ARRAY['auto_accepted'::text, …])))`: the quoted words.
    let mut allowed: Vec<&str> = definition.split('\'').skip(1).step_by(2).collect();
    allowed.sort_unstable();
    let mut known: Vec<&str> = TaskStatus::ALL.iter().map(|s| s.as_str()).collect();
    known.sort_unstable();
    assert_eq!(allowed, known, "constraint: {definition}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_lapsed_lease_is_waiting_on_every_page_and_claimable(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for (i, confidence) in [0.1, 0.2, 0.3].iter().enumerate() {
        app.submit(task(&format!("t-{i}"), *confidence)).await;
    }
    let rita = app.reviewer("rita").await;
    let admin = app.user("ada", Role::Admin).await;
    let waiting = || async {
        let queue: Value = rita.call("queue/summary", &[]).await.unwrap();
        let dashboard: Value = admin.call("admin/dashboard", &[]).await.unwrap();
        (
            queue["summary"]["waiting"].as_i64().unwrap(),
            dashboard["queue"]["waiting"].as_i64().unwrap(),
            dashboard["queue"]["in_review"].as_i64().unwrap(),
        )
    };

    // Rita holds two: the one on screen and the one claimed behind it.
    let shown = rita.current_task().await.unwrap();
    assert_eq!(shown["waiting"], 2);
    let behind: Option<Value> = rita.call("review/next", &[]).await.unwrap();
    assert!(behind.is_some());
    assert_eq!(waiting().await, (1, 1, 2));

    // Both leases run out (a laptop closed over lunch): both tasks are waiting again.
    sqlx::query("update tasks set lease_expires_at = now() - interval '1 second' where status = 'in_review'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(waiting().await, (3, 3, 0));

    // Another reviewer is offered the first of them, and the page's header counts the rest,
    // the other lapsed one included.
    let omar = app.reviewer("omar").await;
    let offered = omar.current_task().await.unwrap();
    assert_eq!(offered["id"], shown["id"]);
    assert_eq!(offered["waiting"], 2);
    // Rita's lapsed lease is gone: her review of it is refused.
    let refused = rita
        .review(shown["id"].as_str().unwrap(), "4", "accept")
        .await;
    assert!(refused.is_err());
}

/// The maintained tallies (`task_tally`, kept by triggers) against a count of the tasks
/// themselves, by status, reason, model and version.
pub async fn tallies_match(pool: &PgPool, after: &str) {
    let drift: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "with counted as (
             select status, reason, count(*) as n from tasks group by status, reason),
         tallied as (
             select status, reason, sum(n)::int8 as n from task_tally
             group by status, reason having sum(n) <> 0)
         select coalesce(c.status, t.status), coalesce(c.reason, t.reason),
                coalesce(c.n, 0), coalesce(t.n, 0)
         from counted c full join tallied t using (status, reason)
         where c.n is distinct from t.n",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        drift.is_empty(),
        "after {after}: (status, reason, counted, tallied) {drift:?}"
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_tallies_stay_exact_through_every_move_a_task_makes(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let mut batch: Vec<Value> = (0..6)
        .map(|i| task(&format!("t-{i}"), 0.1 * i as f64 + 0.05))
        .collect();
    batch.push(task("confident", 0.95));
    // The same output twice in one batch, and again in a later one: stored once.
    batch.push(task("t-0", 0.05));
    app.submit(Value::Array(batch)).await;
    app.submit(task("t-1", 0.15)).await;
    tallies_match(&pool, "ingest").await;
    // A batch refused for one bad task stores nothing and counts nothing.
    let res = app
        .post_json(
            "/api/v1/tasks",
            &serde_json::json!([task("fresh", 0.1), {"document": "x"}]),
        )
        .await;
    assert_eq!(res.status(), 422);
    tallies_match(&pool, "a refused batch").await;

    let rita = app.reviewer("rita").await;
    let shown = rita.current_task().await.unwrap();
    let behind: Value = rita.call("review/next", &[]).await.unwrap();
    tallies_match(&pool, "two claims").await;
    let shown_id = shown["id"].as_str().unwrap();
    rita.review(shown_id, "4", "accept").await.unwrap();
    tallies_match(&pool, "a review").await;
    let behind_id = behind["id"].as_str().unwrap();
    rita.review(behind_id, "2", "escalate").await.unwrap();
    tallies_match(&pool, "an escalation").await;
    let third = rita.current_task().await.unwrap();
    let _: Value = rita
        .call("review/skip", &[("task_id", third["id"].as_str().unwrap())])
        .await
        .unwrap();
    tallies_match(&pool, "a skip").await;
    let _: Option<Value> = rita.call("review/next", &[]).await.unwrap();
    assert!(rita.beacon("review/release").await.is_success());
    tallies_match(&pool, "a release").await;

    // A lapsed lease is still `in_review` in the tallies and in the table; the waiting count
    // adds it back, and another reviewer's claim moves it for real.
    let _ = rita.current_task().await.unwrap();
    sqlx::query("update tasks set lease_expires_at = now() - interval '1 second' where status = 'in_review'")
        .execute(&pool)
        .await
        .unwrap();
    let omar = app.reviewer("omar").await;
    let waiting_before: Value = omar.call("queue/summary", &[]).await.unwrap();
    let queued: i64 = sqlx::query_scalar(
        "select count(*) from tasks where task_waiting(status, lease_expires_at)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(waiting_before["summary"]["waiting"], queued);
    let _ = omar.current_task().await.unwrap();
    tallies_match(&pool, "a claim of a lapsed lease").await;
}

/// Each connection keeps its own tally rows (so concurrent writers never wait on each other);
/// the sweep folds the rows of connections that have ended into one, and the totals stay exact.
#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_sweep_folds_the_tally_rows_of_ended_connections(pool: PgPool) {
    use sqlx::Connection;
    let app = TestApp::spawn(pool.clone()).await;
    let batch: Vec<Value> = (0..4).map(|i| task(&format!("f-{i}"), 0.1)).collect();
    app.submit(Value::Array(batch)).await;

    // A connection of its own moves two tasks, then ends.
    let mut own = sqlx::PgConnection::connect_with(&pool.connect_options())
        .await
        .unwrap();
    let pid: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&mut own)
        .await
        .unwrap();
    sqlx::query(
        "update tasks set status = 'reviewed', completed_at = now()
         where id in (select id from tasks where status = 'queued' limit 2)",
    )
    .execute(&mut own)
    .await
    .unwrap();
    // And a review of one of them, counted in the dashboard's rollups on rows of its own.
    app.reviewer("rita").await;
    sqlx::query(
        "insert into reviews (task_id, reviewer_id, rating, verdict, seconds_spent, model,
                              model_version, confidence, reason, error_tags, project_id)
         select t.id, u.id, 4, 'accept', 12, t.model, t.model_version, t.confidence, t.reason,
                array['hallucination'], t.project_id
         from tasks t, users u where t.status = 'reviewed' and u.username = 'rita' limit 1",
    )
    .execute(&mut own)
    .await
    .unwrap();
    own.close().await.unwrap();
    let rows_of = |pid: i32| {
        sqlx::query_scalar::<_, i64>(
            "select (select count(*) from task_tally where shard = $1)
                  + (select count(*) from review_volume where shard = $1)
                  + (select count(*) from review_tags where shard = $1)",
        )
        .bind(pid)
        .fetch_one(&pool)
    };
    let review_totals = || {
        sqlx::query_scalar::<_, i64>(
            "select ((select coalesce(sum(n), 0) from review_volume)
                   + (select coalesce(sum(n), 0) from review_tags)
                   + (select coalesce(sum(n), 0) from review_confidence))::int8",
        )
        .fetch_one(&pool)
    };
    assert_eq!(
        review_totals().await.unwrap(),
        3,
        "one review, in three rollups"
    );
    assert!(
        rows_of(pid).await.unwrap() >= 3,
        "the connection wrote its own rows"
    );
    // The server notices the end of a connection a moment after the client closes it.
    for _ in 0..100 {
        let live: bool =
            sqlx::query_scalar("select exists (select 1 from pg_stat_activity where pid = $1)")
                .bind(pid)
                .fetch_one(&pool)
                .await
                .unwrap();
        if !live {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let live_shards: i64 = sqlx::query_scalar(
        "select count(*) from task_tally t join pg_stat_activity a on a.pid = t.shard",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    let swept = server::sweep::once(&pool, std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(swept.tally_rows > 0, "{swept:?}");
    assert_eq!(
        rows_of(pid).await.unwrap(),
        0,
        "the ended connection's rows were folded"
    );
    let live_after: i64 = sqlx::query_scalar(
        "select count(*) from task_tally t join pg_stat_activity a on a.pid = t.shard",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(live_shards, live_after, "rows of open connections stay");
    tallies_match(&pool, "the fold").await;
    assert_eq!(
        review_totals().await.unwrap(),
        3,
        "the fold keeps the rollups' totals"
    );
    assert_eq!(
        queued_in_tally(&pool).await,
        2,
        "four queued, two moved by the ended connection"
    );
}

async fn queued_in_tally(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select coalesce(sum(n), 0)::int8 from task_tally where status = 'queued'")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Queued tasks and lapsed leases are found through different indexes; the claim still takes
/// whichever comes first in queue order.
#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_claim_takes_queued_and_lapsed_tasks_in_one_queue_order(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.submit(task("middle", 0.3)).await;
    let rita = app.reviewer("rita").await;
    let held = rita.current_task().await.unwrap();
    sqlx::query("update tasks set lease_expires_at = now() - interval '1 second' where status = 'in_review'")
        .execute(&pool)
        .await
        .unwrap();
    // One queued ahead of the lapsed one, one behind it.
    app.submit(task("first", 0.1)).await;
    app.submit(task("last", 0.5)).await;
    let omar = app.reviewer("omar").await;
    let mut order = Vec::new();
    for _ in 0..3 {
        let t = omar.current_task().await.unwrap();
        order.push(t["summary"].as_str().unwrap().to_string());
        let id = t["id"].as_str().unwrap();
        if id == held["id"].as_str().unwrap() {
            order.last_mut().unwrap().push_str(" (lapsed)");
        }
        omar.review(id, "4", "accept").await.unwrap();
    }
    let expected: Vec<String> = ["first", "middle", "last"]
        .iter()
        .map(|e| {
            let summary = task(e, 0.0)["summary"].as_str().unwrap().to_string();
            if *e == "middle" {
                format!("{summary} (lapsed)")
            } else {
                summary
            }
        })
        .collect();
    assert_eq!(order, expected);
}
