//! Finding outputs over the API (issue 16, its first part): `GET /api/v1/tasks` with filters
//! that compose, newest first, paged by cursor; `GET /api/v1/tasks/{id}` by the pipeline's own
//! external id too; bad filters refused naming the field; the read scope required.

use crate::helpers::{TestApp, task};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::api::auth::Scope;
use sqlx::PgPool;

fn ids(page: &Value) -> Vec<String> {
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
    let ingest_only = server::cli::create_token(&app.pool, "ingest", &[Scope::Ingest])
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
