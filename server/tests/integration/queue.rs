//! The queue page: waiting tasks by reason, my reviews today with their median time, and a plain
//! message when nothing waits.

use crate::helpers::{TestApp, task};
use serde_json::{Value, json};
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_queue_page_counts_waiting_tasks_by_reason_and_my_day(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let rita = app.reviewer("rita").await;
    let page: Value = rita.call("queue/summary", &[]).await.unwrap();
    assert_eq!(page["summary"]["waiting"], 0);
    assert_eq!(page["summary"]["my_reviews_today"], 0);
    assert_eq!(page["summary"]["my_median_seconds"], Value::Null);
    let html = rita.get_page("/queue").await.text().await.unwrap();
    assert!(
        html.contains("Nothing is waiting for review"),
        "no plain empty message"
    );
    assert!(!html.contains("Start reviewing"));

    for (i, confidence) in [0.1, 0.2, 0.3].iter().enumerate() {
        app.submit(task(&format!("low-{i}"), *confidence)).await;
    }
    let mut flagged = task("flag-1", 0.95);
    flagged["flagged"] = json!(true);
    app.submit(flagged).await;
    let page: Value = rita.call("queue/summary", &[]).await.unwrap();
    assert_eq!(page["summary"]["waiting"], 4);
    assert_eq!(
        page["summary"]["by_reason"],
        json!([["low_confidence", 3], ["flagged", 1]])
    );

    // Two reviews, with their seconds set by hand: the median is their mean.
    for _ in 0..2 {
        let id = rita.current_task().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        rita.review(&id, "4", "accept").await.unwrap();
    }
    sqlx::query("update reviews set seconds_spent = case when id = (select min(id) from reviews) then 20 else 40 end")
        .execute(&pool)
        .await
        .unwrap();
    let page: Value = rita.call("queue/summary", &[]).await.unwrap();
    assert_eq!(page["summary"]["waiting"], 2);
    assert_eq!(page["summary"]["my_reviews_today"], 2);
    assert_eq!(page["summary"]["my_median_seconds"], 30.0);
    let html = rita.get_page("/queue").await.text().await.unwrap();
    assert!(html.contains("Start reviewing") && html.contains("30 s"));
    // Another reviewer's day is their own.
    let omar = app.reviewer("omar").await;
    let page: Value = omar.call("queue/summary", &[]).await.unwrap();
    assert_eq!(page["summary"]["my_reviews_today"], 0);
}
