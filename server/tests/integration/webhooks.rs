//! Webhooks end to end: registration through the API, an event written with the review that
//! causes it, signed delivery to a real receiver, retries, the delivery log and resend.

use crate::helpers::{TestApp, task};
use crate::receiver::Receiver;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;

const SECRET: &str = "test-secret-0123456789";

async fn register(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": url, "events": events, "secret": SECRET, "description": "test"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_signed_event_is_retried_after_a_500_and_logged(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let receiver = Receiver::start(&[500]).await;
    let endpoint = register(&app, &receiver.url(), &["task.reviewed"]).await;
    assert_eq!(endpoint["secret"], SECRET);
    let receipt = app.submit(task("hook-1", 0.2)).await;
    let rita = app.reviewer("rita").await;
    let id = rita.current_task().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(id, receipt["id"].as_str().unwrap());
    rita.review(&id, "4", "accept").await.unwrap();

    let got = receiver.wait_for(2, Duration::from_secs(20)).await;
    // The retry is the same delivery: same id, same body, a fresh valid signature.
    assert_eq!(got[0].delivery, got[1].delivery);
    assert!(!got[0].delivery.is_empty());
    assert_eq!(got[0].body, got[1].body);
    for r in &got {
        assert_eq!(r.event, "task.reviewed");
        assert!(r.signed_with(SECRET), "bad signature {}", r.signature);
        assert!(!r.signed_with("another-secret-0123456"));
    }
    let event = got[1].json();
    assert_eq!(event["event"], "task.reviewed");
    assert_eq!(event["task"]["id"], id.as_str());
    assert_eq!(event["task"]["external_id"], "hook-1");
    assert_eq!(event["task"]["verdict"], "accept");
    assert_eq!(event["task"]["reviews"][0]["rating"], 4);

    // The log shows both attempts; the delivery ends delivered.
    let path = format!("/api/v1/webhooks/{}/deliveries", endpoint["id"]);
    let deliveries = wait_delivered(&app, &path, 1).await;
    let d = &deliveries[0];
    assert_eq!(d["id"], got[0].delivery.as_str());
    assert_eq!(d["attempts"], 2);
    let codes: Vec<&Value> = d["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status_code"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(200)]);
    assert_eq!(d["log"][0]["error"], "HTTP 500");
    // Nothing more is sent once delivered.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.received().len(), 2);

    // Resend: the same delivery id once more.
    let (status, _) = app
        .call(
            "POST",
            &format!(
                "/api/v1/webhooks/deliveries/{}/resend",
                d["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(got[2].delivery, got[0].delivery);
    wait_delivered(&app, &path, 1).await;
}

/// Polls the delivery log until `n` deliveries are delivered; returns the log.
async fn wait_delivered(app: &TestApp, path: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let (status, log) = app.get_json(path).await;
        assert_eq!(status, StatusCode::OK, "{log}");
        let log = log.as_array().unwrap().clone();
        if log.iter().filter(|d| d["status"] == "delivered").count() >= n {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries not delivered in time");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn only_subscribed_events_are_sent_and_redirects_are_not_followed(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let reviewed = Receiver::start(&[]).await;
    // This receiver answers every request with a redirect, which must count as a failure.
    let escalated = Receiver::start(&[302, 302, 302, 302, 302, 302, 302, 302, 302, 302]).await;
    register(&app, &reviewed.url(), &["task.reviewed"]).await;
    let hook = register(&app, &escalated.url(), &["task.escalated"]).await;
    app.submit(task("esc-1", 0.1)).await;
    let rita = app.reviewer("rita").await;
    let id = rita.current_task().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    rita.review(&id, "2", "escalate").await.unwrap();

    let got = escalated.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].event, "task.escalated");
    assert_eq!(got[0].json()["task"]["status"], "escalated");
    assert_eq!(got[0].json()["task"]["verdict"], "escalate");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        reviewed.received().is_empty(),
        "task.reviewed sent for an escalation"
    );
    let (_, log) = app
        .get_json(&format!("/api/v1/webhooks/{}/deliveries", hook["id"]))
        .await;
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["last_status"], 302);
    assert_eq!(
        log[0]["last_error"],
        "HTTP 302 (redirects are not followed)"
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn no_event_is_written_when_the_review_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let receiver = Receiver::start(&[]).await;
    register(&app, &receiver.url(), &["task.reviewed", "task.escalated"]).await;
    app.submit(task("refused", 0.1)).await;
    let rita = app.reviewer("rita").await;
    let id = rita.current_task().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A rating of 9 is refused: no review, no event.
    assert!(rita.review(&id, "9", "accept").await.is_err());
    assert_eq!(app.count("webhook_deliveries").await, 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn bad_endpoints_are_refused_naming_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cases = [
        (
            json!({"url": "ftp://example.test/x", "events": ["task.reviewed"]}),
            "url",
        ),
        (
            json!({"url": "not a url", "events": ["task.reviewed"]}),
            "url",
        ),
        (
            json!({"url": "http://hooks.test/x", "events": []}),
            "events",
        ),
        (
            json!({"url": "http://hooks.test/x", "events": ["task.created"]}),
            "events",
        ),
        (
            json!({"url": "http://hooks.test/x", "events": ["task.reviewed"], "secret": "short"}),
            "secret",
        ),
        (
            json!({"url": "http://hooks.test/x", "events": ["task.reviewed"], "colour": "red"}),
            "colour",
        ),
        (json!({"events": ["task.reviewed"]}), "url"),
    ];
    for (body, field) in cases {
        let (status, err) = app
            .call("POST", "/api/v1/webhooks", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(err["field"], field, "{body}: {err}");
    }
    assert_eq!(app.count("webhook_endpoints").await, 0);

    // Without a secret one is generated; listing never shows it.
    let (status, created) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": "https://hooks.test/x", "events": ["task.reviewed"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let (_, list) = app.get_json("/api/v1/webhooks").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("secret").is_none());

    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/webhooks/{}", created["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, err) = app
        .call(
            "DELETE",
            &format!("/api/v1/webhooks/{}", created["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{err}");

    // Reviewers may not manage webhooks; anonymous callers are told to authenticate.
    let rita = app.reviewer("rita").await;
    let res = app
        .http
        .get(app.url("/api/v1/webhooks"))
        .header("cookie", &rita.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .http
        .get(app.url("/api/v1/webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
