//! What pipelines read and set besides tasks: the feedback feed, routing settings, and the
//! OpenAPI document with its docs page.

use crate::helpers::{TestApp, task};
use app::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Reads the whole feed from `after` in pages of `limit`; returns the items and the last cursor.
async fn read_feed(
    app: &TestApp,
    mut after: Option<String>,
    limit: usize,
) -> (Vec<Value>, Option<String>) {
    let mut items = Vec::new();
    loop {
        let path = match &after {
            Some(c) => format!("/api/v1/feedback?limit={limit}&after={c}"),
            None => format!("/api/v1/feedback?limit={limit}"),
        };
        let (status, page) = app.get_json(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let got = page["items"].as_array().unwrap().clone();
        assert!(got.len() <= limit);
        after = page["next_cursor"].as_str().map(str::to_owned);
        let more = page["has_more"].as_bool().unwrap();
        let empty = got.is_empty();
        items.extend(got);
        if !more || empty {
            return (items, after);
        }
    }
}

/// Reads the feed until it holds `n` items. Rows appear once every older transaction on the
/// database server has ended, and other tests' transactions share this server.
async fn feed_of(
    app: &TestApp,
    after: Option<String>,
    limit: usize,
    n: usize,
) -> (Vec<Value>, Option<String>) {
    for _ in 0..200 {
        let (items, cursor) = read_feed(app, after.clone(), limit).await;
        if items.len() >= n {
            return (items, cursor);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the feed never reached {n} items");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_feed_pages_through_reviews_and_end_user_feedback_in_a_stable_order(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for i in 0..3 {
        app.submit(task(&format!("feed-{i}"), 0.1)).await;
    }
    let rita = app.reviewer("rita").await;
    for verdict in ["accept", "reject", "accept"] {
        let id = rita.current_task().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        rita.review(&id, "3", verdict).await.unwrap();
    }
    for (i, kind) in ["thumbs", "rating"].iter().enumerate() {
        let value = if *kind == "thumbs" {
            json!("up")
        } else {
            json!(4)
        };
        let res = app
            .post_json("/api/v1/feedback", &json!({"task_id": format!("feed-{i}"), "user_id": "u1", "feedback_type": kind, "value": value}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    let (items, cursor) = feed_of(&app, None, 2, 5).await;
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["review", "review", "review", "end_user", "end_user"]
    );
    let verdicts: Vec<&Value> = items[..3].iter().map(|i| &i["verdict"]).collect();
    assert_eq!(
        verdicts,
        [&json!("accept"), &json!("reject"), &json!("accept")]
    );
    assert_eq!(items[3]["external_id"], "feed-0");
    assert_eq!(items[3]["value"], "up");
    assert_eq!(items[4]["feedback_type"], "rating");
    assert_eq!(items[0]["reviewer"], "rita");
    assert_eq!(items[0]["model"], "summarizer");
    // One page of everything gives the same order.
    let (whole, _) = read_feed(&app, None, 1000).await;
    assert_eq!(whole, items);
    // Nothing new: an empty page that keeps the cursor.
    let (status, page) = app
        .get_json(&format!(
            "/api/v1/feedback?after={}",
            cursor.clone().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["next_cursor"].as_str(), cursor.as_deref());
    assert_eq!(page["has_more"], false);

    // A review written by a transaction still open, then feedback committed after it: the feed
    // holds the later row back until the earlier transaction ends, so following the cursor
    // misses neither.
    let task_id: uuid::Uuid =
        sqlx::query_scalar("select id from tasks where external_id = 'feed-2'")
            .fetch_one(&pool)
            .await
            .unwrap();
    app.reviewer("omar").await;
    let omar: i64 = sqlx::query_scalar("select id from users where username = 'omar'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut open = pool.begin().await.unwrap();
    sqlx::query(
        "insert into reviews (task_id, reviewer_id, rating, verdict, seconds_spent, model, model_version, confidence, reason, project_id)
         values ($1, $2, 2, 'reject', 5, 'summarizer', '1.0', 0.1, 'low_confidence', 1)",
    )
    .bind(task_id)
    .bind(omar)
    .execute(&mut *open)
    .await
    .unwrap();
    let res = app
        .post_json("/api/v1/feedback", &json!({"task_id": "feed-2", "user_id": "u2", "feedback_type": "thumbs", "value": "down"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (held, cursor_held) = read_feed(&app, cursor.clone(), 10).await;
    assert!(
        held.is_empty(),
        "a row committed after an open transaction's row was served first: {held:?}"
    );
    assert_eq!(cursor_held, cursor);
    open.commit().await.unwrap();
    let (late, _) = feed_of(&app, cursor_held, 10, 2).await;
    let kinds: Vec<&str> = late.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["review", "end_user"]);
    assert_eq!(late[0]["reviewer"], "omar");
    assert_eq!(late[1]["value"], "down");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_feed_refuses_bad_cursors_and_limits_and_callers_without_a_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (query, field) in [
        ("after=abc", "after"),
        ("after=1.5.2", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=x", "limit"),
    ] {
        let (status, err) = app.get_json(&format!("/api/v1/feedback?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {err}");
        assert_eq!(err["field"], field, "{query}");
    }
    let res = app
        .http
        .get(app.url("/api/v1/feedback"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn routing_settings_are_read_and_set_per_model_and_steer_new_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, list) = app.get_json("/api/v1/routing").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["model"], "*");
    assert_eq!(list[0]["threshold"], 0.8);
    // A model without settings of its own reads the defaults under its name.
    let (_, summarizer) = app.get_json("/api/v1/routing/summarizer").await;
    assert_eq!(
        (
            summarizer["model"].as_str(),
            summarizer["threshold"].as_f64()
        ),
        (Some("summarizer"), Some(0.8))
    );

    // 0.85 is auto-accepted or sampled under the default 0.8, but low confidence under 0.9.
    let (status, set) = app
        .call(
            "PUT",
            "/api/v1/routing/summarizer",
            Some(json!({"threshold": 0.9})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["threshold"], 0.9);
    assert_eq!(set["audit_rate"], 0.05);
    assert_eq!(set["reviews_per_task"], 1);
    let receipt = app.submit(task("routed", 0.85)).await;
    assert_eq!(receipt["reason"], "low_confidence");

    for (body, field) in [
        (json!({"threshold": 1.5}), "threshold"),
        (json!({"audit_rate": -0.1}), "audit_rate"),
        (json!({"reviews_per_task": 0}), "reviews_per_task"),
        (json!({"reviews_per_task": "two"}), "reviews_per_task"),
        (json!({"treshold": 0.5}), "treshold"),
    ] {
        let (status, err) = app
            .call("PUT", "/api/v1/routing/summarizer", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(err["field"], field, "{body}: {err}");
    }
    let (_, unchanged) = app.get_json("/api/v1/routing/summarizer").await;
    assert_eq!(unchanged["threshold"], 0.9);

    let (status, _) = app.call("DELETE", "/api/v1/routing/summarizer", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, back) = app.get_json("/api/v1/routing/summarizer").await;
    assert_eq!(back["threshold"], 0.8);
    let (status, err) = app.call("DELETE", "/api/v1/routing/*", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "model");

    // The admin area's form sets the same row; a reviewer may do neither.
    let admin = app.user("ada", Role::Admin).await;
    let saved: Value = admin
        .call(
            "admin/routing",
            &[
                ("model", "summarizer"),
                ("audit_rate", "0.5"),
                ("threshold", ""),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        (saved["audit_rate"].as_f64(), saved["threshold"].as_f64()),
        (Some(0.5), Some(0.8))
    );
    let err = admin
        .call::<Value>(
            "admin/routing",
            &[("model", "summarizer"), ("audit_rate", "lots")],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "audit_rate");
    let rita = app.reviewer("rita").await;
    assert!(
        rita.call::<Value>(
            "admin/routing",
            &[("model", "summarizer"), ("threshold", "0.1")]
        )
        .await
        .is_err()
    );
    let res = app
        .http
        .put(app.url("/api/v1/routing/summarizer"))
        .header("cookie", &rita.cookie)
        .header("origin", app.url(""))
        .json(&json!({"threshold": 0.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, after) = app.get_json("/api/v1/routing/summarizer").await;
    assert_eq!(after["threshold"], 0.8);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_openapi_document_describes_every_route_and_the_docs_page_renders_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // Like every route, the document and its page need a token or an admin session.
    for path in ["/api/v1/openapi.json", "/api/docs"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let expected = [
        ("/api/v1/tasks", "post"),
        ("/api/v1/tasks", "get"),
        ("/api/v1/tasks/{id}", "get"),
        ("/api/v1/requeue", "post"),
        ("/api/v1/resolve", "post"),
        ("/api/v1/assign", "post"),
        ("/api/v1/priority", "post"),
        ("/api/v1/escalate", "post"),
        ("/api/v1/feedback", "post"),
        ("/api/v1/feedback", "get"),
        ("/feedback", "post"),
        ("/api/v1/export", "get"),
        ("/api/v1/webhooks", "get"),
        ("/api/v1/webhooks", "post"),
        ("/api/v1/webhooks/{id}", "delete"),
        ("/api/v1/webhooks/{id}/deliveries", "get"),
        ("/api/v1/webhooks/deliveries/{id}/resend", "post"),
        ("/api/v1/routing", "get"),
        ("/api/v1/routing/{model}", "get"),
        ("/api/v1/routing/{model}", "put"),
        ("/api/v1/routing/{model}", "delete"),
        ("/api/v1/audit", "get"),
        ("/api/v1/feedback-keys", "get"),
        ("/api/v1/feedback-keys", "post"),
        ("/api/v1/feedback-keys/{id}", "delete"),
        ("/metrics", "get"),
    ];
    for (path, method) in expected {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        assert!(
            op["responses"]["422"].is_object(),
            "{method} {path} lacks its error answers"
        );
    }
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(
        operations,
        expected.len(),
        "the document has routes the test does not know"
    );
    // Client generators name methods after operation ids: each must be unique.
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|p| p.as_object().unwrap().values())
        .map(|op| {
            op["operationId"]
                .as_str()
                .expect("every operation has an id")
        })
        .collect();
    ids.sort_unstable();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "operation ids repeat: {ids:?}");
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    // Every reference resolves.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("odd $ref {r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling $ref {r}"
        );
    }
    assert!(doc["components"]["schemas"]["WebhookEvent"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );

    let admin = app.user("ada", Role::Admin).await;
    let page = admin.get_page("/api/docs").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<code>/api/v1/tasks/{id}</code>"));
    assert!(html.contains("id=\"schema-TaskDoc\""));
    assert!(!html.contains("<script"), "the docs page loads no scripts");
    assert!(
        !html.contains("src=\"http"),
        "the docs page loads nothing from elsewhere"
    );
}
