//! Each project's error tags and guidelines (issue 16): a reviewer is offered, and held to, the
//! tags of the task's project, and reads its guidelines; a project without its own uses the
//! default project's, and goes back to them when an admin clears its own; only a project's
//! reviewers (and admins) read its guidelines.

use crate::helpers::{Session, TestApp, in_project, task};
use app::domain::Role;
use serde_json::{Value, json};

const DEFAULT_TAGS: [&str; 5] = [
    "hallucination",
    "omission",
    "wrong emphasis",
    "style",
    "harmful",
];

async fn submit_with_tags(reviewer: &Session, task_id: &str, tags: &str) -> Result<Value, Value> {
    reviewer
        .call::<Value>(
            "review/submit",
            &[
                ("task_id", task_id),
                ("rating", "2"),
                ("verdict", "reject"),
                ("error_tags", tags),
            ],
        )
        .await
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_task_is_judged_with_its_projects_tags_and_guidelines(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = app.user("ada", Role::Admin).await;
    let ana = app.reviewer("ana").await;
    let bob = app.reviewer("bob").await;
    server::cli::add_project(&pool, "legal", None, false)
        .await
        .unwrap();
    server::cli::set_project_member(&pool, "legal", "ana", true)
        .await
        .unwrap();

    // Until it has its own, legal shows the default project's.
    let tags: Value = ada
        .call("admin/error-tags/load", &[("project", "legal")])
        .await
        .unwrap();
    assert_eq!(tags["tags"], json!(DEFAULT_TAGS));
    assert_eq!(tags["own"], false);
    let read: Value = ana
        .call("guidelines", &[("project", "legal")])
        .await
        .unwrap();
    assert!(
        read["text"]
            .as_str()
            .unwrap()
            .starts_with("# What a good summary does")
    );
    assert_eq!(read["own"], false);

    // Legal's own list and guidelines; the default project's stay as they were.
    let saved: Value = ada
        .call(
            "admin/error-tags",
            &[
                ("tags", "missing clause, wrong party"),
                ("project", "legal"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(saved, json!(["missing clause", "wrong party"]));
    let saved: Value = ada
        .call(
            "admin/guidelines",
            &[
                ("text", "# Contracts\n\nCheck **every** clause <b>."),
                ("project", "legal"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(saved["own"], true);
    let default_guidelines: Value = ana.call("guidelines", &[]).await.unwrap();
    assert!(
        default_guidelines["text"]
            .as_str()
            .unwrap()
            .starts_with("# What a good summary does")
    );

    // The legal task comes first (least confident): offered legal's tags, held to them.
    app.submit(json!([in_project("l-1", 0.1, "legal"), task("d-1", 0.2)]))
        .await;
    let first = ana.current_task().await.unwrap();
    assert_eq!(first["project"], "legal");
    assert_eq!(
        first["error_tags"],
        json!(["missing clause", "wrong party"])
    );
    let id = first["id"].as_str().unwrap().to_owned();
    // Bob holds no legal task: probing one with a made-up tag does not tell him legal's list.
    let probe = submit_with_tags(&bob, &id, "made-up").await.unwrap_err();
    assert!(!probe.to_string().contains("missing clause"), "{probe}");
    let refused = submit_with_tags(&ana, &id, "hallucination")
        .await
        .unwrap_err();
    assert_eq!(refused["Validation"]["field"], "error_tags");
    assert_eq!(app.count("reviews").await, 0);
    submit_with_tags(&ana, &id, "wrong party").await.unwrap();
    let guidelines: Value = ana
        .call("guidelines", &[("project", "legal")])
        .await
        .unwrap();
    assert_eq!(
        guidelines["html"],
        "<h3>Contracts</h3><p>Check <strong>every</strong> clause &lt;b&gt;.</p>"
    );

    // The default task: the default list again.
    let second = ana.current_task().await.unwrap();
    assert_eq!(second["project"], "default");
    assert_eq!(second["error_tags"], json!(DEFAULT_TAGS));
    let id = second["id"].as_str().unwrap().to_owned();
    let refused = submit_with_tags(&ana, &id, "wrong party")
        .await
        .unwrap_err();
    assert_eq!(refused["Validation"]["field"], "error_tags");
    submit_with_tags(&ana, &id, "omission").await.unwrap();
    let stored: Vec<Vec<String>> = sqlx::query_scalar("select error_tags from reviews order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(stored, [vec!["wrong party"], vec!["omission"]]);

    // Bob does not review legal: its guidelines are not his to read.
    assert_eq!(
        bob.call::<Value>("guidelines", &[("project", "legal")])
            .await
            .unwrap_err(),
        Value::String("Forbidden".into())
    );
    // An unknown project is named.
    let err = ada
        .call::<Value>("admin/error-tags", &[("tags", "x"), ("project", "nowhere")])
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "project");

    // Clearing legal's own brings the default project's back; the default's cannot be cleared.
    let now: Value = ada
        .call("admin/error-tags", &[("tags", " "), ("project", "legal")])
        .await
        .unwrap();
    assert_eq!(now, json!(DEFAULT_TAGS));
    let err = ada
        .call::<Value>("admin/error-tags", &[("tags", " ")])
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "tags");
    let back: Value = ada
        .call("admin/guidelines", &[("text", ""), ("project", "legal")])
        .await
        .unwrap();
    assert_eq!(back["own"], false);
    assert!(
        back["text"]
            .as_str()
            .unwrap()
            .starts_with("# What a good summary does")
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log
         where target = 'legal' and action in ('error_tags.update', 'guidelines.update')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 4);
}
