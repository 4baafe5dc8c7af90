//! Who may do what: login, logout, sessions, page guards, server-function guards, health.

use crate::helpers::{TestApp, task};
use app::domain::Role;
use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn health_answers_once_the_database_is_reachable(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_anonymous_visitor_is_sent_to_the_login_page(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in ["/review", "/admin"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert!(res.status().is_redirection(), "{path}: {}", res.status());
        let location = res.headers()["location"].to_str().unwrap();
        assert_eq!(location, format!("/login?next={path}"));
    }
    let login = app.http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    assert!(login.text().await.unwrap().contains("Sign in to Loupe"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn anonymous_server_function_calls_are_unauthorized(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for endpoint in [
        "review/current",
        "review/submit",
        "review/skip",
        "review/next",
        "review/renew",
        "review/release",
        "admin/overview",
        "queue/summary",
        "admin/routing",
        "admin/webhooks",
        "admin/webhooks/add",
        "admin/webhooks/remove",
        "admin/webhooks/resend",
        "admin/escalations",
        "admin/escalations/resolve",
        "admin/error-tags",
        "guidelines",
        "admin/guidelines",
        "history",
        "history/amend",
        "admin/audit",
        "account/password",
    ] {
        let res = app
            .http
            .post(app.url(&format!("/api/{endpoint}")))
            // Every field any of them needs, so each gets past reading its form to its guard.
            .form(&[
                ("task_id", "x"),
                ("model", "m"),
                ("url", "http://x.test"),
                ("id", "1"),
                ("tags", "t"),
                ("text", "t"),
                ("review_id", "1"),
                ("current_password", "p"),
                ("new_password", "p"),
                ("repeat_password", "p"),
            ])
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, Value::String("Unauthorized".into()), "{endpoint}");
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_reviewer_is_refused_the_admin_area(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let reviewer = app.reviewer("rita").await;
    let page = reviewer.get_page("/admin").await;
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("Not allowed"));
    assert_eq!(
        reviewer.call::<Value>("admin/overview", &[]).await,
        Err(Value::String("Forbidden".into()))
    );

    let admin = app.user("ada", Role::Admin).await;
    assert_eq!(admin.get_page("/admin").await.status(), 200);
    let overview: Value = admin.call("admin/overview", &[]).await.unwrap();
    assert!(overview["by_status"].is_array());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_wrong_password_is_refused_beside_the_password_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.reviewer("bob").await;
    let err = app.login("bob", "not-the-password").await.err().unwrap();
    assert_eq!(err["Validation"]["field"], "password");
    let unknown = app
        .login("nobody", "whatever-password")
        .await
        .err()
        .unwrap();
    assert_eq!(
        unknown, err,
        "unknown users and wrong passwords must look the same"
    );
    let disabled = app.reviewer("carl").await;
    sqlx::query("update users set disabled = true where username = 'carl'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(disabled.get_page("/review").await.status(), 303);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn sessions_are_http_only_and_logout_ends_them(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.reviewer("dana").await;
    let res = app
        .http
        .post(app.url("/api/login"))
        .form(&[("username", "dana"), ("password", "dana-password-123")])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // A browser-session cookie: the server enforces the idle timeout and the lifetime.
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "{cookie}"
    );
    // Only a hash of the secret is stored.
    let secret = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("loupe_session=")
        .to_owned();
    let stored: i64 =
        sqlx::query_scalar("select count(*) from sessions where encode(token_hash, 'hex') = $1")
            .bind(&secret)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, 0);

    let session = app.login("dana", "dana-password-123").await.unwrap();
    assert_eq!(session.get_page("/review").await.status(), 200);
    session.call::<()>("logout", &[]).await.unwrap();
    assert_eq!(session.get_page("/review").await.status(), 303);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_review_page_renders_the_claimed_task_on_the_server(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(task("page-1", 0.33)).await;
    let reviewer = app.reviewer("erin").await;
    let html = reviewer.get_page("/review").await.text().await.unwrap();
    assert!(
        html.contains("Summary of page-1."),
        "SSR did not render the task"
    );
    assert!(html.contains("Low confidence"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_first_admin_is_created_once(pool: PgPool) {
    let password = server::cli::ensure_admin(&pool, None).await.unwrap();
    assert!(password.is_some_and(|p| p.len() >= 10));
    assert_eq!(server::cli::ensure_admin(&pool, None).await.unwrap(), None);
    let admins: i64 = sqlx::query_scalar("select count(*) from users where role = 'admin'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(admins, 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn expired_sessions_do_not_work_and_are_swept_at_the_next_login(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let session = app.reviewer("fred").await;
    sqlx::query("update sessions set expires_at = now() - interval '1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        session.get_page("/review").await.status(),
        303,
        "an expired session still works"
    );
    app.login("fred", "fred-password-123").await.unwrap();
    let expired: i64 =
        sqlx::query_scalar("select count(*) from sessions where expires_at <= now()")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(expired, 0);
}
