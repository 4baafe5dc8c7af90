//! Finding outputs over the API (issue 16, its first part): `GET /api/v1/tasks` with filters
//! that compose, newest first, paged by cursor; `GET /api/v1/tasks/{id}` by the pipeline's own
//! external id too; bad filters refused naming the field; the read scope required.

use crate::helpers::{TestApp, task};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::api::auth::Scope;
use sqlx::PgPool;

/// The external ids of a page of the list, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["external_id"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_list_pages_newest_first_and_its_filters_compose(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, _) = app
        .call("PUT", "/api/v1/routing/%2A", Some(json!({"audit_rate": 0})))
        .await;
    assert_eq!(status, 200);
    for (external_id, confidence, model) in [
        ("a-low", 0.3, "alpha"),
        ("a-high", 0.95, "alpha"),
        ("b-low", 0.2, "beta"),
        ("b-high", 0.99, "beta"),
        ("b-low-2", 0.1, "beta"),
    ] {
        let mut t = task(external_id, confidence);
        t["model"] = json!(model);
        app.submit(t).await;
    }

    // Every task once, newest first, two per page.
    let mut seen = Vec::new();
    let mut after = String::new();
    for _ in 0..5 {
        let (status, page) = app
            .get_json(&format!("/api/v1/tasks?limit=2&after={after}"))
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(page["tasks"].as_array().unwrap().len() <= 2);
        seen.extend(ids(&page));
        match page["next_after"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["b-low-2", "b-high", "b-low", "a-high", "a-low"]);

    let (_, page) = app.get_json("/api/v1/tasks?model=beta&status=queued").await;
    assert_eq!(ids(&page), ["b-low-2", "b-low"]);
    assert_eq!(page["next_after"], Value::Null);
    let (_, page) = app
        .get_json("/api/v1/tasks?reason=auto_accepted&model=alpha")
        .await;
    assert_eq!(ids(&page), ["a-high"]);
    assert_eq!(page["tasks"][0]["status"], "auto_accepted");
    let (_, page) = app.get_json("/api/v1/tasks?external_id=b-high").await;
    assert_eq!(ids(&page), ["b-high"]);
    let (_, page) = app.get_json("/api/v1/tasks?from=2999-01-01").await;
    assert_eq!(ids(&page), Vec::<String>::new());
    let (_, page) = app.get_json("/api/v1/tasks?to=2000-01-01").await;
    assert_eq!(ids(&page), Vec::<String>::new());

    for (query, field) in [
        ("status=done", "status"),
        ("reason=because", "reason"),
        ("limit=0", "limit"),
        ("from=yesterday", "from"),
        ("after=page-2", "after"),
        ("from=2026-12-02&to=2026-12-01", "to"),
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/tasks?{query}")).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_task_is_found_by_the_pipelines_external_id_and_the_list_needs_the_read_scope(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let receipt = app.submit(task("doc-123", 0.3)).await;
    let id = receipt["id"].as_str().unwrap();
    let (status, by_id) = app.get_json(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(status, 200);
    let (status, by_external) = app.get_json("/api/v1/tasks/doc-123").await;
    assert_eq!(status, 200, "{by_external}");
    assert_eq!(by_external, by_id);
    let (status, body) = app.get_json("/api/v1/tasks/doc-999").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // An ingest-only token may send outputs but not read them back.
    let ingest_only = server::cli::create_token(&app.pool, "ingest", &[Scope::Ingest], &[])
        .await
        .unwrap();
    let res = app
        .http
        .get(app.url("/api/v1/tasks"))
        .bearer_auth(&ingest_only)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.http.get(app.url("/api/v1/tasks")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// Submits the task the reviewer is shown with these extra fields; answers its external id.
async fn review_current(
    pool: &PgPool,
    reviewer: &crate::helpers::Session,
    fields: &[(&str, &str)],
) -> String {
    let t = reviewer.current_task().await.expect("a task to review");
    let id = t["id"].as_str().unwrap().to_owned();
    let mut form = vec![("task_id", id.as_str()), ("rating", "3")];
    form.extend_from_slice(fields);
    reviewer
        .call::<Value>("review/submit", &form)
        .await
        .unwrap();
    let id = uuid::Uuid::parse_str(&id).unwrap();
    sqlx::query_scalar("select external_id from tasks where id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn words_are_found_ranked_and_what_reviewers_said_filters_the_list(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (status, _) = app
        .call("PUT", "/api/v1/routing/%2A", Some(json!({"audit_rate": 0})))
        .await;
    assert_eq!(status, 200);
    for (external_id, document, summary, confidence) in [
        (
            "refund-both",
            "Customers asked for a refund. The refund policy changed in March.",
            "Refunds are now paid within 14 days.",
            0.10,
        ),
        (
            "refund-doc",
            "The refund desk moved to the second floor of the building.",
            "The desk moved upstairs.",
            0.20,
        ),
        (
            "weather",
            "Storms closed the harbour for two days; ferries were cancelled.",
            "The harbour shut for two days.",
            0.30,
        ),
        (
            "hostile",
            "<script>alert(1)</script> ' or 1=1; -- a refund's worth of trouble",
            "Nothing to see.",
            0.95,
        ),
    ] {
        app.submit(json!({
            "document": document, "summary": summary, "confidence": confidence,
            "model": "summarizer", "model_version": "1.0", "external_id": external_id,
        }))
        .await;
    }
    // Not yet parsed: ingest never does the work, the worker does.
    let (_, page) = app.get_json("/api/v1/tasks?q=refund").await;
    assert_eq!(ids(&page), Vec::<String>::new());
    assert_eq!(server::search_worker::fill_all(&pool).await.unwrap(), 4);

    // Stemmed ("refunds" finds "refund"), and the summary's words weigh more than the
    // document's: the task whose summary says it comes first.
    let (status, page) = app.get_json("/api/v1/tasks?q=refunds").await;
    assert_eq!(status, 200, "{page}");
    let found = ids(&page);
    assert_eq!(found[0], "refund-both");
    assert_eq!(found.len(), 3, "{found:?}");
    // Paged by cursor in relevance order: one at a time gives the same order.
    let mut seen = Vec::new();
    let mut after = String::new();
    for _ in 0..4 {
        let (_, page) = app
            .get_json(&format!("/api/v1/tasks?q=refunds&limit=1&after={after}"))
            .await;
        seen.extend(ids(&page));
        match page["next_after"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, found);
    // Phrases, exclusions and other orders.
    let (_, page) = app.get_json("/api/v1/tasks?q=%22refund%20policy%22").await;
    assert_eq!(ids(&page), ["refund-both"]);
    let (_, page) = app.get_json("/api/v1/tasks?q=refund%20-desk").await;
    assert_eq!(ids(&page).len(), 2);
    assert!(!ids(&page).contains(&"refund-doc".to_owned()));
    let (_, page) = app
        .get_json("/api/v1/tasks?q=refund&sort=least_confident")
        .await;
    assert_eq!(ids(&page), ["refund-both", "refund-doc", "hostile"]);
    let (_, page) = app
        .get_json("/api/v1/tasks?q=refund&confidence_min=0.15&confidence_max=0.5")
        .await;
    assert_eq!(ids(&page), ["refund-doc"]);
    // Markup and SQL in a search are only words.
    let (status, page) = app
        .get_json("/api/v1/tasks?q=%3Cscript%3E%27%20or%201%3D1%3B--")
        .await;
    assert_eq!(status, 200, "{page}");
    let (status, page) = app.get_json("/api/v1/tasks?q=the%20a%20of").await;
    assert_eq!((status, ids(&page)), (StatusCode::OK, Vec::<String>::new()));

    // Reviews: ann rejects one with a comment and a tag, bob corrects another.
    let ann = app.reviewer("ann").await;
    let bob = app.reviewer("bob").await;
    let rejected = review_current(
        &pool,
        &ann,
        &[
            ("verdict", "reject"),
            ("comment", "invents a deadline"),
            ("error_tags", "hallucination"),
        ],
    )
    .await;
    let corrected = review_current(
        &pool,
        &bob,
        &[
            ("verdict", "accept"),
            ("corrected_summary", "The refund desk moved upstairs."),
        ],
    )
    .await;
    assert_ne!(rejected, corrected);
    for (query, expected) in [
        ("reviewer=ann", vec![rejected.as_str()]),
        ("reviewer=ann&verdict=reject", vec![rejected.as_str()]),
        // Conditions on reviews hold of one review: ann accepted nothing.
        ("reviewer=ann&verdict=accept", vec![]),
        (
            "verdict=accept&has_correction=true",
            vec![corrected.as_str()],
        ),
        ("has_comment=true", vec![rejected.as_str()]),
        ("error_tag=hallucination", vec![rejected.as_str()]),
        ("reviewer=nobody", vec![]),
    ] {
        let (status, page) = app.get_json(&format!("/api/v1/tasks?{query}")).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(ids(&page), expected, "{query}");
    }
    let (_, page) = app
        .get_json("/api/v1/tasks?status=queued&has_comment=false&sort=oldest")
        .await;
    assert!(!ids(&page).contains(&rejected));
    // End users' feedback.
    let res = app
        .post_json(
            "/feedback",
            &json!({"task_id": "weather", "user_id": "u1", "feedback_type": "thumbs", "value": 0}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, page) = app.get_json("/api/v1/tasks?end_user_feedback=true").await;
    assert_eq!(ids(&page), ["weather"]);
    let (_, page) = app.get_json("/api/v1/tasks?end_user_feedback=false").await;
    assert_eq!(ids(&page).len(), 3);

    for (query, field) in [
        ("sort=relevance", "sort"),
        ("sort=random", "sort"),
        ("verdict=maybe", "verdict"),
        ("has_comment=yes", "has_comment"),
        ("confidence_min=2", "confidence_min"),
        ("confidence_min=0.9&confidence_max=0.1", "confidence_max"),
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/tasks?{query}")).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
    let long = "w".repeat(300);
    let (status, body) = app.get_json(&format!("/api/v1/tasks?q={long}")).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("\"q\""), "{body}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_search_worker_parses_tasks_ingested_behind_its_place(pool: PgPool) {
    use server::search_worker::{Cursor, fill_once};
    let app = TestApp::spawn(pool.clone()).await;
    for i in 0..3 {
        app.submit(task(&format!("first-{i}"), 0.5)).await;
    }
    let mut cursor = Cursor::default();
    assert_eq!(fill_once(&pool, 2, &mut cursor).await.unwrap(), 2);
    // Random ids: some of these sort before where the worker is.
    for i in 0..6 {
        app.submit(task(&format!("later-{i}"), 0.5)).await;
    }
    let mut rounds = 0;
    while fill_once(&pool, 2, &mut cursor).await.unwrap() > 0 {
        rounds += 1;
        assert!(rounds < 20, "the worker never finishes");
    }
    assert_eq!(app.count("task_search").await, 9);
    assert_eq!(app.count("task_search_pending").await, 0);
    let (_, page) = app.get_json("/api/v1/tasks?q=later&limit=500").await;
    assert_eq!(ids(&page).len(), 6);
}
