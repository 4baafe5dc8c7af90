//! Server-side request forgery through webhooks (issue 13, finding 2): internal targets refused
//! at registration (API and admin page) and again at connect time, the allow-list admitting the
//! tests' own receiver, and a delivery log too coarse to scan ports with.

use crate::helpers::{TestApp, receiver_allowed, task};
use crate::receiver::Receiver;
use app::domain::Role;
use app::state::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::net::IpAddr;
use std::time::Duration;

/// A name that is not spelled `localhost` yet resolves only to loopback on this machine (its own
/// host name, as /etc/hosts or nss-myhostname answer it; Debian's `localhost.localdomain` or
/// `ip6-localhost` otherwise), so only the resolved-address rule can refuse it.
async fn loopback_name() -> String {
    let own = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    for name in [
        own.trim(),
        "localhost.localdomain",
        "ip6-localhost",
        "ip6-loopback",
    ] {
        if name.is_empty() || app::outbound::is_localhost(name) {
            continue;
        }
        if let Ok(addrs) = tokio::net::lookup_host((name, 0)).await {
            let ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
            if !ips.is_empty() && ips.iter().all(|ip| ip.to_canonical().is_loopback()) {
                return name.to_owned();
            }
        }
    }
    panic!("no name on this machine resolves to loopback only (needed to test the DNS rule)");
}

/// The URLs from the issue, and their cousins: every one must be refused.
async fn internal_urls() -> Vec<String> {
    let mut urls: Vec<String> = [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.5/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:5432/",
        "http://[::1]/hook",
        "http://[::]/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:169.254.169.254]/hook",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://0177.0.0.1/",
        "http://localhost/hook",
        "http://localhost./hook",
        "http://admin.localhost/hook",
        "http://user:password@hooks.example.com/hook",
    ]
    .map(str::to_owned)
    .to_vec();
    urls.push(format!("http://{}:8080/hook", loopback_name().await));
    urls
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_internal_webhook_url_is_refused_at_registration_by_the_api_and_the_admin_page(
    pool: PgPool,
) {
    let app = TestApp::spawn_strict(pool, Settings::default()).await;
    let admin = app.user("ada", Role::Admin).await;
    for url in internal_urls().await {
        let (status, body) = app
            .call(
                "POST",
                "/api/v1/webhooks",
                Some(json!({"url": url, "events": ["task.reviewed"]})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(body["field"], "url", "{url}: {body}");
        assert!(
            body["rule"].as_str().unwrap().starts_with("must "),
            "{url}: {body}"
        );
        let err = admin
            .call::<Value>(
                "admin/webhooks/add",
                &[("url", url.as_str()), ("reviewed", "on")],
            )
            .await
            .expect_err(&url);
        assert_eq!(err["Validation"]["field"], "url", "{url}: {err}");
    }
    assert_eq!(app.count("webhook_endpoints").await, 0);
    // The rule refuses targets, not webhooks: a public name is still accepted (here it does
    // not resolve at all; it is checked again whenever a delivery connects).
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": "https://hooks.example.com/loupe", "events": ["task.reviewed"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Polls the delivery log until the first delivery has an attempt; returns that delivery.
async fn first_attempted(app: &TestApp, endpoint: i64) -> Value {
    let path = format!("/api/v1/webhooks/{endpoint}/deliveries");
    for _ in 0..400 {
        let (status, log) = app.get_json(&path).await;
        assert_eq!(status, StatusCode::OK, "{log}");
        if let Some(d) = log.as_array().unwrap().first()
            && !d["log"].as_array().unwrap().is_empty()
        {
            return d.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no delivery attempt on endpoint {endpoint}");
}

/// Stores an endpoint as an earlier registration would have (when the name still resolved to
/// a public address, or before the policy existed), bypassing today's registration check.
async fn stored_endpoint(pool: &PgPool, url: &str) -> i64 {
    sqlx::query_scalar(
        "insert into webhook_endpoints (url, events, secret, description)
         values ($1, array['task.reviewed'], 'stored-secret-0123456789', '') returning id",
    )
    .bind(url)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Sends one output a reviewer accepts: a task.reviewed event for every endpoint.
async fn reviewed_event(app: &TestApp, external_id: &str) {
    app.submit(task(external_id, 0.1)).await;
    let rita = app.reviewer("rita").await;
    let id = rita.current_task().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    rita.review(&id, "4", "accept").await.unwrap();
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_stored_endpoint_that_now_resolves_to_loopback_is_refused_when_delivering(pool: PgPool) {
    let app = TestApp::spawn_strict(pool.clone(), Settings::default()).await;
    // A live receiver on 127.0.0.1: without the connect-time rule both deliveries would land.
    let receiver = Receiver::start(&[]).await;
    let port = receiver.addr.port();
    let by_name = stored_endpoint(
        &pool,
        &format!("http://{}:{port}/hook", loopback_name().await),
    )
    .await;
    let by_ip = stored_endpoint(&pool, &format!("http://2130706433:{port}/hook")).await;
    reviewed_event(&app, "rebind-1").await;

    for endpoint in [by_name, by_ip] {
        let d = first_attempted(&app, endpoint).await;
        let attempt = &d["log"][0];
        assert_eq!(attempt["error"], "refused by the outbound policy", "{d}");
        assert_eq!(attempt["status_code"], Value::Null, "{d}");
        assert_eq!(attempt["duration_ms"], 0, "{d}");
        assert_eq!(d["status"], "pending", "{d}");
    }
    // Give a wrongly allowed request every chance to arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        receiver.received().is_empty(),
        "a refused delivery reached the receiver"
    );

    // The resolver the webhook client uses refuses the name outright, before any connection.
    use reqwest::dns::Resolve;
    let strict = server::delivery_worker::PolicyResolver(Default::default());
    let name: reqwest::dns::Name = loopback_name().await.parse().unwrap();
    let err = match strict.resolve(name).await {
        Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
        Err(e) => e,
    };
    assert!(err.is::<app::outbound::Refused>(), "{err}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_allow_list_admits_the_local_receiver_by_address_and_by_a_name_resolving_to_it(
    pool: PgPool,
) {
    // TestApp::spawn allows 127.0.0.1/32, as scripts/test.sh does with LOUPE_WEBHOOK_ALLOW.
    let app = TestApp::spawn(pool).await;
    let receiver = Receiver::start(&[]).await;
    let port = receiver.addr.port();
    for url in [
        receiver.url(),
        format!("http://{}:{port}/hook", loopback_name().await),
    ] {
        let (status, body) = app
            .call(
                "POST",
                "/api/v1/webhooks",
                Some(json!({"url": url, "events": ["task.reviewed"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{url}: {body}");
    }
    // Other internal targets stay refused: the list admits what it names, nothing more.
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": "http://127.0.0.2/hook", "events": ["task.reviewed"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    reviewed_event(&app, "allowed-1").await;
    receiver.wait_for(2, Duration::from_secs(20)).await;
    assert!(receiver_allowed().allows_ip("127.0.0.1".parse().unwrap()));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_delivery_that_gets_no_answer_is_logged_without_saying_why_or_how_long(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // A port where nothing listens: the connection is refused at once. The log must look the
    // same as for a timeout or a reset, so it cannot map which ports are open.
    let closed = crate::process::free_port();
    let (status, endpoint) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": format!("http://127.0.0.1:{closed}/hook"), "events": ["task.reviewed"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{endpoint}");
    reviewed_event(&app, "closed-1").await;
    let d = first_attempted(&app, endpoint["id"].as_i64().unwrap()).await;
    assert_eq!(
        d["log"][0]["error"], "delivery failed (no HTTP answer)",
        "{d}"
    );
    assert_eq!(d["log"][0]["duration_ms"], 0, "{d}");
    assert_eq!(d["last_error"], "delivery failed (no HTTP answer)", "{d}");
}
