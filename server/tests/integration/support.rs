//! Source-support hints: computed on a task's first view, stored with the task, rendered into
//! the review page by the server.

use crate::helpers::TestApp;
use serde_json::{Value, json};
use sqlx::PgPool;

const DOCUMENT: &str = "Acme Corp reported results on Tuesday. Revenue at the Rotterdam plant fell \
    12 percent in the third quarter. The weather in the region was mild. Management blamed a strike \
    at the port for the drop.";
const SUMMARY: &str = "Rotterdam revenue fell 12 percent, blamed on a port strike. Acme hired Jane \
    Porter as chief executive in 2025.";

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn hints_are_computed_on_first_view_stored_and_rendered(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(json!({
        "document": DOCUMENT, "summary": SUMMARY, "confidence": 0.3,
        "model": "summarizer", "model_version": "1", "external_id": "hints"
    }))
    .await;
    let stored: Option<Value> = sqlx::query_scalar("select support from tasks")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, None, "nothing is computed at ingest");

    let rita = app.reviewer("rita").await;
    let task = rita.current_task().await.unwrap();
    let sentences = task["support"]["summary"].as_array().unwrap();
    assert_eq!(sentences.len(), 2);
    assert_eq!(sentences[0]["sources"], json!([1, 3]));
    assert!(sentences[0]["score"].as_f64().unwrap() > 0.9);
    assert!(sentences[1]["score"].as_f64().unwrap() < 0.5);
    assert_eq!(task["weak_below"], 0.5);
    let stored: Value = sqlx::query_scalar("select support from tasks")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, task["support"], "kept with the task");

    let html = rita.get_page("/review").await.text().await.unwrap();
    assert!(html.contains(r#"class="sum-sent weak""#), "the invented sentence is marked weak");
    assert!(html.contains(r#"class="unsupported">Jane Porter</mark>"#));
    assert!(html.contains(r#"class="unsupported">2025</mark>"#));
    assert!(html.contains(r#"id="src-3""#));
    assert!(html.contains("1 of 2 sentences weakly supported"));
}
