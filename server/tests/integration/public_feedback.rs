//! Feedback from the browser (issue 15): a publishable feedback key sends end-user feedback from
//! the origins it lists, with CORS for those only; it opens no other route; a revoked key, a
//! foreign origin, a bad value and too many requests are refused with JSON naming the rule; and
//! what it sends takes the same path as the pipeline's `POST /feedback`.

use crate::end_users::{doc, no_audit_sample};
use crate::helpers::{TestApp, task};
use app::audit::Actor;
use app::state::Settings;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use server::feedback_keys::Revoked;
use sqlx::PgPool;
use std::time::Duration;

const SHOP: &str = "https://shop.example";
const PATH: &str = "/api/v1/public/feedback";

async fn key(app: &TestApp, origins: &[&str]) -> String {
    let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
    server::feedback_keys::create(&app.pool, &Actor::cli(), "shop pages", &origins)
        .await
        .unwrap()
        .key
}

async fn preflight(app: &TestApp, origin: &str, headers: &str) -> Response {
    app.http
        .request(Method::OPTIONS, app.url(PATH))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", headers)
        .send()
        .await
        .unwrap()
}

/// POSTs `body` as a browser on `origin` would (no origin: as a script would).
async fn send(app: &TestApp, key: &str, origin: Option<&str>, body: &Value) -> Response {
    let mut req = app
        .http
        .post(app.url(PATH))
        .header("x-loupe-key", key)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(origin) = origin {
        req = req
            .header("origin", origin)
            .header("sec-fetch-site", "cross-site");
    }
    req.send().await.unwrap()
}

fn thumbs(task: &str, value: i64) -> Value {
    json!({"task_id": task, "user_id": "visitor-1", "feedback_type": "thumbs", "value": value})
}

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn stored(pool: &PgPool) -> i64 {
    sqlx::query_scalar::<_, i64>("select count(*) from external_feedback")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The status and JSON body of an answer, and whether it carried CORS headers.
async fn answer(res: Response) -> (u16, Option<String>, Value) {
    let status = res.status().as_u16();
    let cors = header(&res, "access-control-allow-origin").map(str::to_owned);
    (status, cors, res.json().await.unwrap())
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_allowed_origin_is_preflighted_and_its_feedback_stored_with_the_key(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.submit(task("out-1", 0.3)).await;
    // Given as a person would type it; stored as the browser sends it.
    let key = key(&app, &["HTTPS://Shop.Example/", "http://localhost:8080"]).await;
    assert!(key.starts_with("lpk_"));

    let res = preflight(&app, SHOP, "content-type,x-loupe-key").await;
    assert_eq!(res.status(), 204);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(SHOP));
    assert_eq!(header(&res, "vary"), Some("Origin"));
    assert_eq!(header(&res, "access-control-allow-methods"), Some("POST"));
    let allowed = header(&res, "access-control-allow-headers").unwrap();
    assert!(allowed.contains("x-loupe-key") && allowed.contains("content-type"));
    assert_eq!(header(&res, "access-control-allow-credentials"), None);

    let res = send(&app, &key, Some(SHOP), &thumbs("out-1", 1)).await;
    assert_eq!(header(&res, "vary"), Some("Origin"));
    assert_eq!(
        answer(res).await,
        (200, Some(SHOP.into()), json!({"status": "received"}))
    );
    let (token, by_key): (Option<i64>, Option<i64>) =
        sqlx::query_as("select token_id, feedback_key_id from external_feedback")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(token, None);
    assert!(by_key.is_some(), "the key that sent it is recorded");
    assert_eq!(doc(&app, "out-1").await["feedback"][0]["value"], "up");

    // The widget itself: a script any page may load and cache.
    let res = app.http.get(app.url("/widget.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        header(&res, "cross-origin-resource-policy"),
        Some("cross-origin")
    );
    assert_eq!(header(&res, "cache-control"), Some("public, max-age=3600"));
    let script = res.text().await.unwrap();
    assert!(script.contains(PATH) && !script.contains("innerHTML"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn another_origin_gets_no_cors_and_stores_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.submit(task("out-1", 0.3)).await;
    let key = key(&app, &[SHOP]).await;

    for origin in [
        "https://evil.example",
        "http://shop.example",
        "https://shop.example:8443",
        "null",
    ] {
        let res = preflight(&app, origin, "content-type, x-loupe-key").await;
        let (status, cors, body) = answer(res).await;
        assert_eq!((status, cors), (403, None), "preflight from {origin}");
        assert_eq!(body["field"], "Origin");

        let (status, cors, body) =
            answer(send(&app, &key, Some(origin), &thumbs("out-1", 0)).await).await;
        assert_eq!((status, cors), (403, None), "post from {origin}");
        assert_eq!(
            (
                body["error"].as_str(),
                body["field"].as_str(),
                body["rule"].as_str()
            ),
            (
                Some("origin_refused"),
                Some("Origin"),
                Some("must be one of the feedback key's allowed origins")
            )
        );
    }
    // Without an Origin (a script outside a browser that does not claim one).
    let (status, _, body) = answer(send(&app, &key, None, &thumbs("out-1", 0)).await).await;
    assert_eq!((status, body["field"].as_str()), (403, Some("Origin")));
    // A preflight for anything but POST with the key's headers is not approved either.
    let res = preflight(&app, SHOP, "content-type, authorization").await;
    let (status, cors, body) = answer(res).await;
    assert_eq!((status, cors), (403, None));
    assert_eq!(body["field"], "Access-Control-Request-Headers");
    let res = app
        .http
        .request(Method::OPTIONS, app.url(PATH))
        .header("origin", SHOP)
        .header("access-control-request-method", "DELETE")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(stored(&pool).await, 0, "nothing was stored");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_key_opens_no_other_route(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let id = app.submit(task("out-1", 0.3)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = key(&app, &[SHOP]).await;
    let routes = [
        (Method::GET, format!("/api/v1/tasks/{id}")),
        (Method::POST, "/api/v1/tasks".to_owned()),
        (Method::POST, "/feedback".to_owned()),
        (Method::POST, "/api/v1/feedback".to_owned()),
        (Method::GET, "/api/v1/feedback".to_owned()),
        (Method::GET, "/api/v1/export".to_owned()),
        (Method::GET, "/api/v1/webhooks".to_owned()),
        (Method::GET, "/metrics".to_owned()),
        (Method::GET, "/api/v1/openapi.json".to_owned()),
    ];
    for (method, path) in &routes {
        // As the widget sends it, and as someone who copied it would try it.
        let as_header = app
            .http
            .request(method.clone(), app.url(path))
            .header("x-loupe-key", &key)
            .header("origin", SHOP)
            .header("content-type", "application/json")
            .body(thumbs("out-1", 0).to_string())
            .send()
            .await
            .unwrap();
        let as_bearer = app
            .http
            .request(method.clone(), app.url(path))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(task("out-2", 0.3).to_string())
            .send()
            .await
            .unwrap();
        for res in [as_header, as_bearer] {
            assert!(
                [401, 403].contains(&res.status().as_u16()),
                "{method} {path} answered {}",
                res.status()
            );
            assert_eq!(header(&res, "access-control-allow-origin"), None, "{path}");
        }
        // No other route approves a preflight from the key's origin.
        let res = app
            .http
            .request(Method::OPTIONS, app.url(path))
            .header("origin", SHOP)
            .header("access-control-request-method", method.as_str())
            .header(
                "access-control-request-headers",
                "content-type, x-loupe-key",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(header(&res, "access-control-allow-origin"), None, "{path}");
    }
    // A page on another site cannot post a form (no preflight) to it: the body must be JSON.
    let res = app
        .http
        .post(app.url(PATH))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "text/plain")
        .body(thumbs("out-1", 0).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(stored(&pool).await, 0);
    let tasks: i64 = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tasks, 1, "the key ingested nothing");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_revoked_key_is_refused_and_the_change_audited(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.submit(task("out-1", 0.3)).await;
    let key = key(&app, &[SHOP]).await;
    let (status, ..) = answer(send(&app, &key, Some(SHOP), &thumbs("out-1", 1)).await).await;
    assert_eq!(status, 200);

    let prefix = &key[..12];
    let cli = Actor::cli();
    let revoke = || server::feedback_keys::revoke(&pool, &cli, prefix);
    assert_eq!(revoke().await.unwrap(), Revoked::Now("shop pages".into()));
    assert_eq!(
        revoke().await.unwrap(),
        Revoked::Already("shop pages".into())
    );
    let (status, _, body) = answer(send(&app, &key, Some(SHOP), &thumbs("out-1", 0)).await).await;
    assert_eq!((status, body["field"].as_str()), (401, Some("X-Loupe-Key")));
    // No active key lists the origin any more: the preflight is refused too.
    assert_eq!(preflight(&app, SHOP, "x-loupe-key").await.status(), 403);
    // A made-up key is the same 401.
    let fake = format!("lpk_{}", "0".repeat(64));
    let (status, ..) = answer(send(&app, &fake, Some(SHOP), &thumbs("out-1", 0)).await).await;
    assert_eq!(status, 401);
    assert_eq!(stored(&pool).await, 1);

    let actions: Vec<String> =
        sqlx::query_scalar("select action from audit_log where action like 'key.%' order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(actions, ["key.create", "key.revoke"]);
    // Origins that are not exact are refused when the key is made.
    for bad in [
        "*",
        "https://*.shop.example",
        "https://shop.example/page",
        "shop.example",
    ] {
        let made =
            server::feedback_keys::create(&pool, &Actor::cli(), "bad", &[bad.to_owned()]).await;
        assert!(made.is_err(), "{bad} was accepted");
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn over_the_limit_is_429_with_retry_after(pool: PgPool) {
    let settings = Settings {
        key_rate: app::key_rate::KeyRate {
            per_key: 5,
            per_address: 3,
            window: Duration::from_secs(60),
        },
        ..Settings::default()
    };
    let app = TestApp::spawn_with(pool.clone(), settings).await;
    app.submit(task("out-1", 0.3)).await;
    let first = key(&app, &[SHOP]).await;
    let second = key(&app, &[SHOP]).await;
    for _ in 0..3 {
        let (status, ..) = answer(send(&app, &first, Some(SHOP), &thumbs("out-1", 1)).await).await;
        assert_eq!(status, 200);
    }
    // The address is over its limit, whichever key it uses.
    for k in [&first, &second] {
        let res = send(&app, k, Some(SHOP), &thumbs("out-1", 1)).await;
        let wait: u64 = header(&res, "retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        let (status, cors, body) = answer(res).await;
        assert_eq!((status, cors.as_deref()), (429, Some(SHOP)));
        assert_eq!(
            (
                body["error"].as_str(),
                body["field"].as_str(),
                body["rule"].as_str()
            ),
            (
                Some("rate_limited"),
                Some("client address"),
                Some("at most 3 requests per 60 s per client address")
            )
        );
    }
    assert_eq!(stored(&pool).await, 3);
    // Requests refused for their address were not counted against the keys: one address cannot
    // spend a key's budget for its other visitors.
    let key_hits: i64 = sqlx::query_scalar(
        "select coalesce(sum(hits), 0)::int8 from feedback_key_hits where bucket like 'key:%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(key_hits, 3);
    // The widget may read how long to wait.
    let res = send(&app, &first, Some(SHOP), &thumbs("out-1", 1)).await;
    assert_eq!(
        header(&res, "access-control-expose-headers"),
        Some("Retry-After")
    );

    // The key's own limit, counted over every address.
    let settings = Settings {
        key_rate: app::key_rate::KeyRate {
            per_key: 2,
            per_address: 100,
            window: Duration::from_secs(60),
        },
        ..Settings::default()
    };
    let app = TestApp::spawn_with(pool.clone(), settings).await;
    let third = key(&app, &[SHOP]).await;
    for expected in [200, 200, 429] {
        let (status, _, body) =
            answer(send(&app, &third, Some(SHOP), &thumbs("out-1", 1)).await).await;
        assert_eq!(status, expected, "{body}");
        if status == 429 {
            assert_eq!(body["field"], "X-Loupe-Key");
        }
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn bad_bodies_are_refused_naming_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.submit(task("out-1", 0.3)).await;
    let key = key(&app, &[SHOP]).await;
    let cases = [
        (
            json!({"task_id": "out-1", "user_id": "v", "feedback_type": "rating", "value": 9}),
            422,
            "value",
        ),
        (
            json!({"task_id": "out-1", "user_id": "v", "feedback_type": "thumbs", "value": "sideways"}),
            422,
            "value",
        ),
        (
            json!({"task_id": "out-1", "feedback_type": "thumbs", "value": 1}),
            422,
            "user_id",
        ),
        (
            json!({"task_id": "out-1", "user_id": "v", "feedback_type": "comment", "value": null,
                "comments": "x".repeat(70_000)}),
            413,
            "body",
        ),
    ];
    for (body, status, field) in cases {
        let (got, cors, answer) = answer(send(&app, &key, Some(SHOP), &body).await).await;
        assert_eq!(
            (got, answer["field"].as_str(), cors.as_deref()),
            (status, Some(field), Some(SHOP)),
            "{answer}"
        );
        assert!(
            answer["rule"].is_string() && !answer["message"].as_str().unwrap().contains("sqlx")
        );
    }
    assert_eq!(stored(&pool).await, 0);
    // An output the key does not know gets the answer a stored signal gets: a publishable key
    // does not tell its holder which outputs exist. Nothing is stored.
    let unknown = json!({"task_id": "nope", "user_id": "v", "feedback_type": "thumbs", "value": 1});
    let (got, cors, answer) = answer(send(&app, &key, Some(SHOP), &unknown).await).await;
    assert_eq!(
        (got, cors.as_deref(), answer),
        (200, Some(SHOP), json!({"status": "received"}))
    );
    assert_eq!(stored(&pool).await, 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_thumbs_down_through_the_key_sends_an_auto_accepted_output_back_to_review(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    no_audit_sample(&app).await;
    app.submit(task("down", 0.96)).await;
    app.submit(task("liked", 0.97)).await;
    assert_eq!(doc(&app, "down").await["status"], "auto_accepted");
    let key = key(&app, &[SHOP]).await;
    let (status, ..) = answer(send(&app, &key, Some(SHOP), &thumbs("down", 0)).await).await;
    assert_eq!(status, 200);
    let (status, ..) = answer(send(&app, &key, Some(SHOP), &thumbs("liked", 1)).await).await;
    assert_eq!(status, 200);
    for (id, status, reason) in [
        ("down", "queued", "user_feedback"),
        ("liked", "auto_accepted", "auto_accepted"),
    ] {
        let d = doc(&app, id).await;
        assert_eq!(
            (d["status"].as_str(), d["reason"].as_str()),
            (Some(status), Some(reason)),
            "{id}"
        );
    }
    assert_eq!(doc(&app, "down").await["needs_review"], true);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_admin_manages_keys_through_the_api(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.submit(task("out-1", 0.3)).await;
    let (status, made) = app
        .call(
            "POST",
            "/api/v1/feedback-keys",
            Some(json!({"name": "shop", "origins": ["HTTPS://Shop.Example:443/", "https://shop.example"]})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["origins"], json!([SHOP]));
    let key = made["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with(made["prefix"].as_str().unwrap()));
    let (status, ..) = answer(send(&app, &key, Some(SHOP), &thumbs("out-1", 1)).await).await;
    assert_eq!(status, 200);

    for (body, field) in [
        (
            json!({"name": "x", "origins": [SHOP, "https://*.shop.example"]}),
            "origins[1]",
        ),
        (
            json!({"name": "x", "origins": ["https://shop.example/page"]}),
            "origins[0]",
        ),
        (json!({"name": "x", "origins": []}), "origins"),
        (json!({"name": " ", "origins": [SHOP]}), "name"),
    ] {
        let (status, answer) = app.call("POST", "/api/v1/feedback-keys", Some(body)).await;
        assert_eq!(
            (status.as_u16(), answer["field"].as_str()),
            (422, Some(field)),
            "{answer}"
        );
    }

    let (status, list) = app.get_json("/api/v1/feedback-keys").await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["key"], Value::Null, "a list never shows the key");
    assert!(list[0]["last_used_at"].is_string());

    let id = made["id"].as_i64().unwrap();
    for _ in 0..2 {
        let (status, _) = app
            .call("DELETE", &format!("/api/v1/feedback-keys/{id}"), None)
            .await;
        assert_eq!(status, 204);
    }
    let (status, _) = app.call("DELETE", "/api/v1/feedback-keys/999", None).await;
    assert_eq!(status, 404);
    let (status, ..) = answer(send(&app, &key, Some(SHOP), &thumbs("out-1", 1)).await).await;
    assert_eq!(status, 401);
    let actors: Vec<(String, String)> = sqlx::query_as(
        "select action, actor_kind from audit_log where action like 'key.%' order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        actors,
        [
            ("key.create".into(), "token".into()),
            ("key.revoke".into(), "token".into())
        ]
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_key_learns_nothing_about_which_projects_exist(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    server::cli::add_project(&pool, "legal", None, false)
        .await
        .unwrap();
    let receipt = app.submit(task("out-1", 0.3)).await;
    let key = key(&app, &[SHOP]).await;
    // An unknown project answers as an unknown output does (and as a known one does): received,
    // with nothing stored.
    for project in ["nowhere", "legal"] {
        let mut body = thumbs("out-1", 1);
        body["project"] = json!(project);
        let res = send(&app, &key, Some(SHOP), &body).await;
        assert_eq!(
            answer(res).await,
            (200, Some(SHOP.into()), json!({"status": "received"})),
            "{project}"
        );
    }
    assert_eq!(stored(&pool).await, 0);
    // Loupe's own id is found whatever project the body names.
    let mut body = thumbs(receipt["id"].as_str().unwrap(), 0);
    body["project"] = json!("nowhere");
    let res = send(&app, &key, Some(SHOP), &body).await;
    assert_eq!(answer(res).await.0, 200);
    assert_eq!(stored(&pool).await, 1);
}
