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
