//! Error tags: marked with a review, checked against the configured list, counted on the
//! dashboard, and the list changed by an admin without touching past reviews.

use crate::helpers::{TestApp, task};
use app::domain::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn error_tags_are_stored_checked_counted_and_configurable(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for i in 0..3 {
        app.submit(task(&format!("tag-{i}"), 0.1)).await;
    }
    let rita = app.reviewer("rita").await;
    let first = rita.current_task().await.unwrap();
    assert_eq!(
        first["error_tags"],
        json!([
            "hallucination",
            "omission",
            "wrong emphasis",
            "style",
            "harmful"
        ])
    );
    let id = first["id"].as_str().unwrap().to_owned();
    // An unknown tag is named and nothing is stored.
    let err = rita
        .call::<Value>(
            "review/submit",
            &[
                ("task_id", &id),
                ("rating", "2"),
                ("verdict", "reject"),
                ("error_tags", "hallucination,typo"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "error_tags");
    assert_eq!(app.count("reviews").await, 0);
    rita.call::<Value>(
        "review/submit",
        &[
            ("task_id", &id),
            ("rating", "2"),
            ("verdict", "reject"),
            ("error_tags", "style,hallucination"),
        ],
    )
    .await
    .unwrap();
    let (_, stored) = app.get_json(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(
        stored["reviews"][0]["error_tags"],
        json!(["hallucination", "style"])
    );

    // The admin replaces the list: the review page offers the new one, old tags are refused,
    // and the earlier review keeps its tags.
    let admin = app.user("ada", Role::Admin).await;
    let saved: Value = admin
        .call("admin/error-tags", &[("tags", "Made-up number, tone")])
        .await
        .unwrap();
    assert_eq!(saved, json!(["made-up number", "tone"]));
    let err = admin
        .call::<Value>("admin/error-tags", &[("tags", "ok, 9lives")])
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "tags");
    assert!(
        rita.call::<Value>("admin/error-tags", &[("tags", "x")])
            .await
            .is_err()
    );
    let next = rita.current_task().await.unwrap();
    assert_eq!(next["error_tags"], json!(["made-up number", "tone"]));
    let next_id = next["id"].as_str().unwrap().to_owned();
    let err = rita
        .call::<Value>(
            "review/submit",
            &[
                ("task_id", &next_id),
                ("rating", "3"),
                ("verdict", "accept"),
                ("error_tags", "hallucination"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "error_tags");
    rita.call::<Value>(
        "review/submit",
        &[
            ("task_id", &next_id),
            ("rating", "3"),
            ("verdict", "accept"),
            ("error_tags", "tone"),
        ],
    )
    .await
    .unwrap();
    let (_, stored) = app.get_json(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(
        stored["reviews"][0]["error_tags"],
        json!(["hallucination", "style"])
    );

    // The dashboard counts reviews per tag over the range.
    let dash: Value = admin.call("admin/dashboard", &[]).await.unwrap();
    assert_eq!(
        dash["error_tags"],
        json!([["hallucination", 1], ["style", 1], ["tone", 1]])
    );
}
