//! The headers every answer carries, read off the real server: a CSP whose nonce is the one on
//! the page's inline scripts, no framing, no sniffing, no caching of signed-in pages or
//! documents, HSTS when the public URL is HTTPS.

use crate::helpers::TestApp;
use app::domain::Role;
use app::state::Settings;
use sqlx::PgPool;

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} on {}", res.url()))
        .to_str()
        .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_page_runs_under_a_strict_csp_whose_nonce_is_on_its_scripts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.user("ada", Role::Admin).await;
    let mut nonces = Vec::new();
    for path in [
        "/review",
        "/queue",
        "/history",
        "/admin",
        "/admin/webhooks",
        "/admin/escalations",
        "/admin/audit",
        "/account",
        "/no-such-page",
    ] {
        let res = admin.get_page(path).await;
        let csp = header(&res, "content-security-policy").to_owned();
        assert_eq!(header(&res, "cache-control"), "no-store", "{path}");
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        assert_eq!(header(&res, "x-frame-options"), "DENY");
        assert_eq!(header(&res, "referrer-policy"), "same-origin");
        assert!(
            res.headers().get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
        for directive in [
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "'wasm-unsafe-eval'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: {directive} missing from {csp}"
            );
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains(" 'unsafe-eval'"),
            "{csp}"
        );
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap()
            .to_owned();
        let html = res.text().await.unwrap();
        // Every inline script carries this answer's nonce, and none carries another.
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path} has no scripts?");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            html.matches(" nonce=").count(),
            "{path}"
        );
        assert!(
            html.matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count()
                == 1,
            "{path}: hydration script"
        );
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 9, "a fresh nonce for every answer");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn api_answers_and_the_login_page_are_not_cached_or_framed(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app
        .http
        .get(app.url("/api/v1/routing"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "cache-control"), "no-store");
    assert!(header(&res, "content-security-policy").starts_with("default-src 'none'"));
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    let res = app.http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(header(&res, "cache-control"), "no-store");
    assert!(header(&res, "content-security-policy").contains("frame-ancestors 'none'"));
    // The API docs page keeps its one inline style under the nonce.
    let res = app
        .http
        .get(app.url("/api/docs"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    let csp = header(&res, "content-security-policy").to_owned();
    let html = res.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(html.contains(&format!("<style nonce=\"{nonce}\">")));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn hsts_is_sent_when_loupe_is_served_over_https(pool: PgPool) {
    let settings = Settings {
        hsts: true,
        public_origin: Some("https://loupe.example.com".into()),
        ..Settings::default()
    };
    let app = TestApp::spawn_with(pool, settings).await;
    let res = app.http.get(app.url("/login")).send().await.unwrap();
    assert!(header(&res, "strict-transport-security").starts_with("max-age="));
}
