//! Attacks from other origins on the real server: forged form posts to the admin server
//! functions and to login, "simple" cross-site JSON posts, hostile `next` redirects and forged
//! form errors in a link. Each is refused while the same request from Loupe's own page works.

use crate::helpers::{Session, TestApp};
use app::domain::Role;
use app::state::Settings;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

/// A page on another port of the same host: same-site for the browser, another origin for Loupe.
const EVIL: &str = "http://127.0.0.1:8080";

/// Posts a server function's form with the session cookie, as a page at `origin` would.
async fn post_form(
    app: &TestApp,
    session: &Session,
    endpoint: &str,
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .http
        .post(app.url(&format!("/api/{endpoint}")))
        .header("cookie", &session.cookie)
        .form(form);
    if let Some(origin) = origin {
        req = req.header("origin", origin);
    }
    if let Some(site) = sec_fetch_site {
        req = req.header("sec-fetch-site", site);
    }
    req.send().await.unwrap()
}

async fn threshold(app: &TestApp, model: &str) -> Option<f64> {
    sqlx::query_scalar::<_, f64>("select threshold from routing_settings where model = $1")
        .bind(model)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_cross_site_form_cannot_turn_review_off_but_the_dashboard_can_change_routing(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let admin = app.user("ada", Role::Admin).await;
    let off = [
        ("model", "summarizer"),
        ("threshold", "0"),
        ("audit_rate", "0"),
    ];
    // Another port (same site), another host, a sandboxed frame, a browser that says cross-site,
    // and a cookie with no browser headers at all.
    let attacks: [(Option<&str>, Option<&str>); 6] = [
        (Some(EVIL), None),
        (Some("http://evil.example"), None),
        (Some("null"), None),
        (Some(EVIL), Some("same-site")),
        (Some(&app.url("")), Some("cross-site")),
        (None, None),
    ];
    for (origin, site) in attacks {
        let res = post_form(&app, &admin, "admin/routing", origin, site, &off).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{origin:?} {site:?}");
    }
    assert_eq!(
        threshold(&app, "summarizer").await,
        None,
        "nothing was stored"
    );

    let own = app.url("");
    let res = post_form(&app, &admin, "admin/routing", Some(&own), None, &off).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(threshold(&app, "summarizer").await, Some(0.0));
    let res = post_form(
        &app,
        &admin,
        "admin/routing",
        None,
        Some("same-origin"),
        &[("model", "summarizer"), ("threshold", "0.8")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_admin_form_refuses_a_post_from_another_origin(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.user("ada", Role::Admin).await;
    let forms: [(&str, &[(&str, &str)]); 7] = [
        (
            "admin/webhooks/add",
            &[("url", "https://hooks.example.com/x"), ("reviewed", "on")],
        ),
        ("admin/webhooks/remove", &[("id", "1")]),
        (
            "admin/webhooks/resend",
            &[("id", "00000000-0000-0000-0000-000000000000")],
        ),
        (
            "admin/escalations/resolve",
            &[
                ("task_id", "00000000-0000-0000-0000-000000000000"),
                ("verdict", "accept"),
            ],
        ),
        ("admin/guidelines", &[("text", "# Forged guidelines")]),
        ("admin/error-tags", &[("tags", "forged")]),
        ("logout", &[]),
    ];
    for (endpoint, form) in forms {
        let res = post_form(&app, &admin, endpoint, Some(EVIL), None, form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{endpoint}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(
            body.to_string().contains("another site"),
            "{endpoint}: {body}"
        );
    }
    assert_eq!(app.count("webhook_endpoints").await, 0);
    assert!(!guidelines(&app).await.contains("Forged"));
    assert_eq!(app.count("error_tags where tag = 'forged'").await, 0);
    // The session survived the forged sign-out.
    assert_eq!(admin.get_page("/admin").await.status(), StatusCode::OK);

    // The same posts from Loupe's own page go through.
    let own = app.url("");
    let res = post_form(
        &app,
        &admin,
        "admin/webhooks/add",
        Some(&own),
        None,
        forms[0].1,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let res = post_form(
        &app,
        &admin,
        "admin/guidelines",
        Some(&own),
        None,
        forms[4].1,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.count("webhook_endpoints").await, 1);
    assert!(guidelines(&app).await.contains("Forged"));
}

async fn guidelines(app: &TestApp) -> String {
    sqlx::query_scalar::<_, String>("select body from guidelines")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn login_from_another_origin_is_refused_and_sets_no_cookie(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    server::cli::add_user(
        &app.pool,
        "mallory",
        Role::Reviewer,
        Some("mallory-password-1".into()),
    )
    .await
    .unwrap();
    let res = app
        .http
        .post(app.url("/api/login"))
        .header("origin", EVIL)
        .form(&[("username", "mallory"), ("password", "mallory-password-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("set-cookie").is_none());
    assert!(app.login("mallory", "mallory-password-1").await.is_ok());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn cookie_json_routes_refuse_simple_cross_site_posts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.user("ada", Role::Admin).await;
    let body =
        json!({"url": "https://hooks.example.com/in", "events": ["task.reviewed"]}).to_string();
    let send = |origin: &str, content_type: &str| {
        app.http
            .post(app.url("/api/v1/webhooks"))
            .header("cookie", &admin.cookie)
            .header("origin", origin.to_owned())
            .header("content-type", content_type.to_owned())
            .body(body.clone())
            .send()
    };
    // What a cross-site page can send without a preflight: text/plain.
    let res = send(EVIL, "text/plain").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let err: serde_json::Value = res.json().await.unwrap();
    assert_eq!(err["field"], "Content-Type");
    // JSON from another origin (it would need a preflight, but refuse it anyway).
    let res = send(EVIL, "application/json").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "cross_site"
    );
    // text/plain is refused from Loupe's own origin too: JSON routes take JSON.
    assert_eq!(
        send(&app.url(""), "text/plain").await.unwrap().status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(app.count("webhook_endpoints").await, 0);
    let res = send(&app.url(""), "application/json").await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // A pipeline's token is not sent by a browser on its own: no origin check, JSON still required.
    let res = app
        .http
        .post(app.url("/api/v1/tasks"))
        .bearer_auth(&app.token)
        .header("content-type", "text/plain")
        .body(crate::helpers::task("plain", 0.1).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn login_never_redirects_off_the_site_and_never_panics(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    server::cli::add_user(
        &app.pool,
        "rita",
        Role::Reviewer,
        Some("rita-password-123".into()),
    )
    .await
    .unwrap();
    let hostile = [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example",
        "http:/evil.example",
        "/\u{1}",
        "/\u{7f}",
        " /evil",
        "",
        // Another form's error riding on the redirect, to be signed on its way out.
        "/account?__path=%2Fapi%2Faccount%2Fpassword&__err=Zm9yZ2Vk",
    ];
    for next in hostile {
        let res = app
            .http
            .post(app.url("/api/login"))
            .header("origin", app.url(""))
            .header("accept", "text/html")
            .form(&[
                ("username", "rita"),
                ("password", "rita-password-123"),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{next:?}: {}", res.status());
        let location = res.headers()["location"].to_str().unwrap();
        assert_eq!(location, "/review", "{next:?}");
    }
    // A good one is kept.
    let res = app
        .http
        .post(app.url("/api/login"))
        .header("origin", app.url(""))
        .header("accept", "text/html")
        .form(&[
            ("username", "rita"),
            ("password", "rita-password-123"),
            ("next", "/history?x=1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/history?x=1");
}

/// `__err` as Leptos writes it: URL-safe base64 of the error's JSON.
fn encoded_error(message: &str) -> String {
    let json = serde_json::to_string(&app::error::AppError::invalid("password", message)).unwrap();
    base64_url(json.as_bytes())
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_link_cannot_put_its_own_text_in_the_login_form(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let spoof = "Your session expired. Call 555-0100 to restore access";
    let link = format!(
        "/login?__path=%2Fapi%2Flogin&__err={}",
        encoded_error(spoof)
    );
    let page = app
        .http
        .get(app.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign in to Loupe"));
    assert!(!page.contains("555-0100"), "the forged message is shown");
    // A forged signature, and a real one copied onto another message, are no better.
    for sig in ["1.00", "9999999999.abc"] {
        let page = app
            .http
            .get(app.url(&format!("{link}&__sig={sig}")))
            .send()
            .await
            .unwrap();
        assert!(!page.text().await.unwrap().contains("555-0100"));
    }

    // A real refusal of a plain form post comes back signed, and its message is shown.
    let res = app
        .http
        .post(app.url("/api/login"))
        .header("origin", app.url(""))
        .header("referer", app.url(&link))
        .header("accept", "text/html")
        .form(&[("username", "nobody"), ("password", "wrong-password-1")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("__sig="), "{location}");
    assert_eq!(
        location.matches("__err=").count(),
        1,
        "the forged error is dropped: {location}"
    );
    let page = app
        .http
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("wrong username or password"),
        "the real message is shown"
    );
    assert!(!page.contains("555-0100"));
    // The signed error cannot be moved onto other text.
    let (signed_query, _) = (location.split_once("__sig=").unwrap().1, ());
    let moved = format!("{link}&__sig={signed_query}");
    let page = app
        .http
        .get(app.url(&moved))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("555-0100"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn secure_cookies_are_host_prefixed_and_a_planted_plain_cookie_is_ignored(pool: PgPool) {
    let settings = Settings {
        secure_cookies: true,
        ..Settings::default()
    };
    let app = TestApp::spawn_with(pool, settings).await;
    server::cli::add_user(
        &app.pool,
        "rita",
        Role::Reviewer,
        Some("rita-password-123".into()),
    )
    .await
    .unwrap();
    let res = app
        .http
        .post(app.url("/api/login"))
        .header("origin", app.url(""))
        .form(&[("username", "rita"), ("password", "rita-password-123")])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-loupe_session="), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
    let secret = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let page = |cookie: String| {
        app.http
            .get(app.url("/history"))
            .header("cookie", cookie)
            .send()
    };
    assert_eq!(
        page(format!("__Host-loupe_session={secret}"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // The same secret under the plain name (what a sibling subdomain could set) is not a session.
    let res = page(format!("loupe_session={secret}")).await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_signed_form_error_shows_only_in_the_browser_that_posted_the_form(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let rita = app.reviewer("rita").await;
    let sam = app.reviewer("sam").await;
    let form = [
        ("current_password", "rita-password-123"),
        ("new_password", "a long enough passphrase"),
        ("repeat_password", "another long passphrase"),
    ];
    let err = rita
        .call::<serde_json::Value>("account/password", &form)
        .await
        .unwrap_err();
    let message = err["Validation"]["message"].as_str().unwrap().to_owned();
    // The same refusal of a plain HTML post comes back as a signed link.
    let res = app
        .http
        .post(app.url("/api/account/password"))
        .header("cookie", &rita.cookie)
        .header("origin", app.url(""))
        .header("referer", app.url("/account"))
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("__sig="), "{location}");
    let path = location
        .strip_prefix(&app.url(""))
        .unwrap_or(&location)
        .to_owned();
    let mine = rita.get_page(&path).await.text().await.unwrap();
    assert!(mine.contains(&message), "the poster sees the message");
    let theirs = sam.get_page(&path).await.text().await.unwrap();
    assert!(
        !theirs.contains(&message),
        "a copied link shows another person nothing"
    );
}
