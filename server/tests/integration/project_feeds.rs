//! What leaves Loupe, by project (issue 16): a webhook endpoint limited to projects hears only
//! their events; the feedback feed and exports keep to the project asked for and to a limited
//! token's projects, refusing any other; every event, feed item and export line names its
//! project.

use crate::helpers::{TestApp, in_project, task};
use crate::receiver::Receiver;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::api::auth::Scope;
use std::time::Duration;

/// GET with `token`: the status and the body (JSON, or the text as a JSON string).
async fn get_with(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// A token limited to the project `legal`, able to read.
async fn legal_reader(app: &TestApp) -> String {
    server::cli::create_token(
        &app.pool,
        "legal reader",
        &[Scope::Read],
        &["legal".to_owned()],
    )
    .await
    .unwrap()
}

/// One output in each of three projects (default, legal, medical), each reviewed by ana, with an
/// end user's thumbs-down on each.
async fn reviewed_in_three_projects(app: &TestApp) {
    let ana = app.reviewer("ana").await;
    for slug in ["legal", "medical"] {
        server::cli::add_project(&app.pool, slug, None, false)
            .await
            .unwrap();
        server::cli::set_project_member(&app.pool, slug, "ana", true)
            .await
            .unwrap();
    }
    app.submit(json!([
        task("d-1", 0.2),
        in_project("l-1", 0.1, "legal"),
        in_project("m-1", 0.3, "medical")
    ]))
    .await;
    let mut reviewed = 0;
    while let Some(t) = ana.current_task().await {
        ana.review(t["id"].as_str().unwrap(), "4", "accept")
            .await
            .unwrap();
        reviewed += 1;
        assert!(reviewed <= 3, "handed more than the three outputs");
    }
    assert_eq!(reviewed, 3);
    for (external_id, project) in [
        ("d-1", None),
        ("l-1", Some("legal")),
        ("m-1", Some("medical")),
    ] {
        let mut signal = json!({"task_id": external_id, "user_id": "u-1",
                                "feedback_type": "thumbs", "value": "down"});
        if let Some(p) = project {
            signal["project"] = json!(p);
        }
        let res = app.post_json("/api/v1/feedback", &signal).await;
        assert_eq!(res.status(), StatusCode::OK, "{external_id}");
    }
}

/// (kind, external id, project) of each feed item.
fn items(page: &Value) -> Vec<(String, String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap().to_owned();
            (s("kind"), s("external_id"), s("project"))
        })
        .collect()
}

fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_feed_keeps_to_the_project_asked_for_and_to_a_limited_tokens(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    reviewed_in_three_projects(&app).await;
    let legal_only = owned(&[("review", "l-1", "legal"), ("end_user", "l-1", "legal")]);

    // Every project's feedback, each item naming its project. Rows show once every older
    // transaction on the database server has ended, and other tests share the server: wait.
    let mut page = Value::Null;
    for _ in 0..200 {
        let (status, read) = app.get_json("/api/v1/feedback").await;
        assert_eq!(status, StatusCode::OK, "{read}");
        page = read;
        if items(&page).len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut all = items(&page);
    all.sort();
    assert_eq!(
        all,
        owned(&[
            ("end_user", "d-1", "default"),
            ("end_user", "l-1", "legal"),
            ("end_user", "m-1", "medical"),
            ("review", "d-1", "default"),
            ("review", "l-1", "legal"),
            ("review", "m-1", "medical"),
        ])
    );
    // One project's, for any token that may read it.
    let (_, page) = app.get_json("/api/v1/feedback?project=legal").await;
    assert_eq!(items(&page), legal_only);

    // A token limited to legal reads legal's without asking, page by page as in one page.
    let legal = legal_reader(&app).await;
    let (status, page) = get_with(&app, &legal, "/api/v1/feedback").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(items(&page), legal_only);
    let mut paged = Vec::new();
    let mut after = String::new();
    loop {
        let (_, page) = get_with(
            &app,
            &legal,
            &format!("/api/v1/feedback?limit=1&after={after}"),
        )
        .await;
        let got = items(&page);
        if got.is_empty() {
            break;
        }
        paged.extend(got);
        after = page["next_cursor"].as_str().unwrap().to_owned();
        assert!(paged.len() <= 2, "paging repeats items: {paged:?}");
    }
    assert_eq!(paged, legal_only);

    // Another project is refused, naming the field; an unknown one is a 422 for any token.
    let (status, body) = get_with(&app, &legal, "/api/v1/feedback?project=medical").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["field"], "project");
    let (status, body) = app.get_json("/api/v1/feedback?project=nowhere").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "project");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn exports_keep_to_the_project_and_name_it_on_every_line(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    reviewed_in_three_projects(&app).await;

    let legal = legal_reader(&app).await;
    let (status, body) = get_with(&app, &legal, "/api/v1/export?format=jsonl").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lines: Vec<Value> = body
        .as_str()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap(),
                l["external_id"].as_str().unwrap(),
                l["project"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [("review", "l-1", "legal"), ("end_user", "l-1", "legal")]
    );

    // CSV: the project is the last column, so older columns keep their places.
    let (status, body) = get_with(
        &app,
        &app.token,
        "/api/v1/export?format=csv&project=medical",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let body = body.as_str().unwrap().to_owned();
    let records: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(records[0].ends_with(",document,project"), "{}", records[0]);
    assert_eq!(records.len(), 3, "{body}");
    for r in &records[1..] {
        assert!(r.ends_with(",medical") && r.contains(",m-1,"), "{r}");
    }

    // Training pairs keep to the project too: the limited token sees no other project's. The
    // same document in two projects: legal's rejected summary finds no accepted sibling in
    // legal, and the default project's accepted one is not lent to it.
    let twin = |id: &str, confidence: f64, project: &str, summary: &str| {
        let mut t = in_project(id, confidence, project);
        t["document"] = json!("The twin contract runs for two years.");
        t["summary"] = json!(summary);
        t
    };
    app.submit(json!([
        twin("twin-l", 0.05, "legal", "Legal's wrong summary."),
        twin("twin-d", 0.06, "default", "Default's accepted summary."),
        twin("twin-d2", 0.07, "default", "Default's wrong summary.")
    ]))
    .await;
    let ana = app.login("ana", "ana-password-123").await.unwrap();
    for verdict in ["reject", "accept", "reject"] {
        let t = ana.current_task().await.unwrap();
        ana.review(t["id"].as_str().unwrap(), "3", verdict)
            .await
            .unwrap();
    }
    let sibling: i64 = sqlx::query_scalar(
        "select count(*) from reviews r join tasks t on t.id = r.task_id
         where t.external_id = 'twin-d' and r.verdict = 'accept'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(sibling, 1);
    for format in ["sft", "dpo"] {
        let (status, body) =
            get_with(&app, &legal, &format!("/api/v1/export?format={format}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, Value::String(String::new()), "{format}");
    }
    // Every project's pairs: only the default project's rejection found the accepted sibling.
    let body = app
        .http
        .get(app.url("/api/v1/export?format=dpo"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pairs: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert_eq!(pairs[0]["rejected"], "Default's wrong summary.");
    assert_eq!(pairs[0]["chosen"], "Default's accepted summary.");

    let (status, body) = get_with(&app, &legal, "/api/v1/export?project=default").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["field"], "project");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_endpoint_limited_to_a_project_hears_only_its_events(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    server::cli::add_project(&pool, "legal", None, false)
        .await
        .unwrap();
    let legal_hook = Receiver::start(&[]).await;
    let every_hook = Receiver::start(&[]).await;
    let register = |url: String, projects: Value| {
        let app = &app;
        async move {
            app.call(
                "POST",
                "/api/v1/webhooks",
                Some(json!({"url": url, "events": ["task.reviewed"], "projects": projects})),
            )
            .await
        }
    };
    // An unknown project is refused, naming the field; nothing is registered.
    let (status, body) = register(legal_hook.url(), json!(["legal", "nowhere"])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "projects");
    assert_eq!(app.count("webhook_endpoints").await, 0);

    let (status, legal_endpoint) = register(legal_hook.url(), json!(["legal", " legal "])).await;
    assert_eq!(status, StatusCode::CREATED, "{legal_endpoint}");
    assert_eq!(legal_endpoint["projects"], json!(["legal"]));
    let (status, every_endpoint) = register(every_hook.url(), json!([])).await;
    assert_eq!(status, StatusCode::CREATED, "{every_endpoint}");
    assert_eq!(every_endpoint["projects"], json!([]));

    // The legal project is open to its members only: ana is one.
    let ana = app.reviewer("ana").await;
    server::cli::set_project_member(&pool, "legal", "ana", true)
        .await
        .unwrap();
    app.submit(json!([
        task("d-1", 0.2),
        in_project("l-1", 0.1, "legal"),
        task("d-2", 0.3)
    ]))
    .await;
    while let Some(t) = ana.current_task().await {
        ana.review(t["id"].as_str().unwrap(), "4", "accept")
            .await
            .unwrap();
    }

    // The deliveries were written with the reviews: one for legal's endpoint, three for the
    // other.
    let per_endpoint = |id: &Value| {
        let pool = pool.clone();
        let id = id.as_i64().unwrap();
        async move {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from webhook_deliveries where endpoint_id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(per_endpoint(&legal_endpoint["id"]).await, 1);
    assert_eq!(per_endpoint(&every_endpoint["id"]).await, 3);

    let heard = legal_hook.wait_for(1, Duration::from_secs(20)).await;
    let event = heard[0].json();
    assert_eq!(event["task"]["external_id"], "l-1");
    assert_eq!(event["task"]["project"], "legal");
    let mut all: Vec<(String, String)> = every_hook
        .wait_for(3, Duration::from_secs(20))
        .await
        .iter()
        .map(|r| {
            let e = r.json();
            let s = |k: &str| e["task"][k].as_str().unwrap().to_owned();
            (s("external_id"), s("project"))
        })
        .collect();
    all.sort();
    assert_eq!(
        all,
        [("d-1", "default"), ("d-2", "default"), ("l-1", "legal")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(legal_hook.received().len(), 1);
}
