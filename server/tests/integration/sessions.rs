//! Sessions and passwords: the idle timeout and the absolute lifetime, the periodic sweep,
//! changing one's own password (other sessions end, this one stays), an admin's reset from the
//! CLI, and the first admin's password, never printed when given and otherwise shown once.

use crate::helpers::{Session, TestApp};
use app::state::Settings;
use serde_json::Value;
use sqlx::PgPool;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The settings under test: a 30-minute idle timeout and a 12-hour lifetime.
fn settings() -> Settings {
    Settings {
        session_idle: Duration::from_secs(30 * 60),
        session_ttl: Duration::from_secs(12 * 3600),
        ..Settings::default()
    }
}

/// Moves every session of `user` back in time (last seen, created and expiry alike).
async fn backdate(pool: &PgPool, user: &str, seen: &str, expires: &str) {
    sqlx::query(
        "update sessions set last_seen_at = now() - $2::interval, expires_at = now() + $3::interval
         where user_id = (select id from users where username = $1)",
    )
    .bind(user)
    .bind(seen)
    .bind(expires)
    .execute(pool)
    .await
    .unwrap();
}

async fn signed_in(session: &Session) -> bool {
    let res = session.get_page("/review").await;
    match res.status().as_u16() {
        200 => true,
        303 => false,
        other => panic!(
            "unexpected status {other}: {}",
            res.text().await.unwrap_or_default()
        ),
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_session_idle_longer_than_the_timeout_ends(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), settings()).await;
    let rita = app.reviewer("rita").await;
    // Idle for 29 minutes: still signed in, and the use restarts the idle clock.
    backdate(&pool, "rita", "29 minutes", "11 hours").await;
    assert!(signed_in(&rita).await);
    let seen_ago: f64 =
        sqlx::query_scalar("select extract(epoch from now() - last_seen_at)::float8 from sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        seen_ago < 60.0,
        "last_seen_at was not touched: {seen_ago} s ago"
    );
    // Idle for 31 minutes: refused, from pages and server functions alike.
    backdate(&pool, "rita", "31 minutes", "11 hours").await;
    assert!(!signed_in(&rita).await);
    assert_eq!(
        rita.call::<Value>("whoami", &[]).await.unwrap(),
        Value::Null
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_busy_session_still_ends_at_its_absolute_lifetime(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), settings()).await;
    let rita = app.reviewer("rita").await;
    let lifetime: f64 = sqlx::query_scalar(
        "select extract(epoch from expires_at - created_at)::float8 from sessions",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        (lifetime - 12.0 * 3600.0).abs() < 5.0,
        "lifetime {lifetime} s"
    );
    backdate(&pool, "rita", "0 minutes", "-1 second").await;
    assert!(
        !signed_in(&rita).await,
        "a session past its lifetime still works"
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn last_seen_is_written_at_most_once_a_minute(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), settings()).await;
    let rita = app.reviewer("rita").await;
    backdate(&pool, "rita", "30 seconds", "11 hours").await;
    let before: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("select last_seen_at from sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
    for _ in 0..3 {
        assert!(signed_in(&rita).await);
    }
    let after: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("select last_seen_at from sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(before, after, "a session seen 30 s ago was written again");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_sweep_deletes_expired_and_idle_sessions_and_keeps_live_ones(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), settings()).await;
    let live = app.reviewer("live").await;
    app.reviewer("idle").await;
    app.reviewer("old").await;
    backdate(&pool, "idle", "31 minutes", "11 hours").await;
    backdate(&pool, "old", "1 minute", "-1 minute").await;
    let swept = server::sweep::once(&pool, settings().session_idle)
        .await
        .unwrap();
    assert_eq!(swept.sessions, 2);
    let left: Vec<String> =
        sqlx::query_scalar("select u.username from sessions s join users u on u.id = s.user_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(left, ["live"]);
    assert!(signed_in(&live).await);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn changing_my_password_ends_every_session_and_signs_this_browser_in_afresh(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let here = app.reviewer("rita").await;
    let elsewhere = app.login("rita", "rita-password-123").await.unwrap();
    let other_user = app.reviewer("sam").await;

    let res = app
        .http
        .post(app.url("/api/account/password"))
        .header("origin", app.url(""))
        .header("cookie", &here.cookie)
        .form(&[
            ("current_password", "rita-password-123"),
            ("new_password", "a brand new passphrase"),
            ("repeat_password", "a brand new passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/account?changed")
    );

    // This browser gets a fresh session; the secret it had (perhaps also a thief's) is dead.
    let fresh = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("loupe_session=") && !v.starts_with("loupe_session=;"))
        .expect("a fresh session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(fresh, here.cookie);
    assert!(!signed_in(&here).await, "the old secret still works");
    let mut here = here.clone();
    here.cookie = fresh;
    assert!(signed_in(&here).await, "the fresh session does not work");
    assert!(
        !signed_in(&elsewhere).await,
        "another session survived the change"
    );
    assert!(signed_in(&other_user).await, "another user's session ended");
    assert!(app.login("rita", "rita-password-123").await.is_err());
    app.login("rita", "a brand new passphrase").await.unwrap();

    let entry: (String, String, Value) = sqlx::query_as(
        "select actor_name, target, after from audit_log where action = 'user.password_change'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((entry.0.as_str(), entry.1.as_str()), ("rita", "rita"));
    assert_eq!(entry.2["sessions_ended"], 2, "this one and the other");
    let page = here
        .get_page("/account?changed")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Password changed"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_bad_password_change_is_refused_beside_its_field_and_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let rita = app.reviewer("rita").await;
    let elsewhere = app.login("rita", "rita-password-123").await.unwrap();
    let cases = [
        (
            (
                "wrong password 123",
                "a brand new passphrase",
                "a brand new passphrase",
            ),
            "current_password",
            422,
        ),
        (
            ("", "a brand new passphrase", "a brand new passphrase"),
            "current_password",
            422,
        ),
        (("rita-password-123", "short", "short"), "new_password", 422),
        (
            (
                "rita-password-123",
                "a brand new passphrase",
                "a brand new passphrasf",
            ),
            "repeat_password",
            422,
        ),
        (
            (
                "rita-password-123",
                "rita-password-123",
                "rita-password-123",
            ),
            "new_password",
            422,
        ),
    ];
    for ((current, new, repeat), field, status) in cases {
        let res = app
            .http
            .post(app.url("/api/account/password"))
            .header("origin", app.url(""))
            .header("cookie", &rita.cookie)
            .form(&[
                ("current_password", current),
                ("new_password", new),
                ("repeat_password", repeat),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), status, "{field}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Validation"]["field"], field, "{body}");
    }
    assert!(signed_in(&elsewhere).await);
    app.login("rita", "rita-password-123").await.unwrap();
    assert_eq!(
        app.count("audit_log where action = 'user.password_change'")
            .await,
        0
    );

    // Anonymous callers are refused before anything is read.
    let res = app
        .http
        .post(app.url("/api/account/password"))
        .header("origin", app.url(""))
        .form(&[
            ("current_password", "x"),
            ("new_password", "y"),
            ("repeat_password", "y"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        Value::String("Unauthorized".into())
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn guessing_the_current_password_is_throttled_like_signing_in(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let rita = app.reviewer("rita").await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let res = app
            .http
            .post(app.url("/api/account/password"))
            .header("origin", app.url(""))
            .header("cookie", &rita.cookie)
            .form(&[
                ("current_password", "guess-guess-guess"),
                ("new_password", "a brand new passphrase"),
                ("repeat_password", "a brand new passphrase"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert!(statuses.contains(&429), "never throttled: {statuses:?}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_admin_reset_from_the_cli_ends_every_session_and_asks_for_a_new_password(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let rita = app.reviewer("rita").await;
    let again = app.login("rita", "rita-password-123").await.unwrap();
    let password = server::cli::set_password(&pool, "rita", None)
        .await
        .unwrap();
    assert!(!signed_in(&rita).await && !signed_in(&again).await);
    let fresh = app.login("rita", &password).await.unwrap();
    let page = fresh.get_page("/review").await.text().await.unwrap();
    assert!(
        page.contains("Your password was generated for you"),
        "no reminder"
    );
    // Choosing one's own clears the reminder.
    fresh
        .call::<Value>(
            "account/password",
            &[
                ("current_password", &password),
                ("new_password", "my own passphrase"),
                ("repeat_password", "my own passphrase"),
            ],
        )
        .await
        .unwrap();
    // The change ended every session (this browser got a fresh cookie, which `call` drops).
    assert!(!signed_in(&fresh).await);
    let fresh = app.login("rita", "my own passphrase").await.unwrap();
    let page = fresh.get_page("/review").await.text().await.unwrap();
    assert!(!page.contains("Your password was generated for you"));
    assert!(
        page.contains("href=\"/account\""),
        "the header links the account page"
    );

    // A given password is not one to replace.
    server::cli::set_password(&pool, "rita", Some("chosen-by-admin-1".into()))
        .await
        .unwrap();
    let chosen = app.login("rita", "chosen-by-admin-1").await.unwrap();
    let page = chosen.get_page("/review").await.text().await.unwrap();
    assert!(!page.contains("Your password was generated for you"));
}

/// `loupe serve` on the test database with `data_dir` and the given environment; returns
/// everything it printed (standard output and error) after a clean stop.
async fn first_start(
    pool: &PgPool,
    data_dir: &std::path::Path,
    admin_password: Option<&str>,
) -> String {
    let port = crate::process::free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loupe"));
    cmd.args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", crate::process::url_of(pool).await)
        .env("LOUPE_DATA_DIR", data_dir)
        .env("RUST_LOG", "info")
        .env_remove("LOUPE_ADMIN_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = admin_password {
        cmd.env("LOUPE_ADMIN_PASSWORD", p);
    }
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    while reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("loupe did not become healthy");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // SAFETY: kill only sends a signal to the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_given_first_admin_password_is_never_printed(pool: PgPool) {
    let data = std::env::temp_dir().join(format!("loupe-first-{}", uuid::Uuid::new_v4()));
    let printed = first_start(&pool, &data, Some("given-admin-password-42")).await;
    assert!(printed.contains("Loupe is running at"), "{printed}");
    assert!(!printed.contains("given-admin-password-42"), "{printed}");
    assert!(!data.join("initial-admin-password").exists());
    let must_change: bool =
        sqlx::query_scalar("select must_change_password from users where username = 'admin'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!must_change);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_generated_first_admin_password_goes_to_an_owner_only_file_not_the_log(pool: PgPool) {
    use std::os::unix::fs::PermissionsExt;
    let data = std::env::temp_dir().join(format!("loupe-first-{}", uuid::Uuid::new_v4()));
    let printed = first_start(&pool, &data, None).await;
    let file = data.join("initial-admin-password");
    let shown = std::fs::read_to_string(&file).unwrap();
    let password = shown
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned();
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!printed.contains(&password), "{printed}");
    assert!(
        printed.contains("initial-admin-password"),
        "the log names the file: {printed}"
    );
    let must_change: bool =
        sqlx::query_scalar("select must_change_password from users where username = 'admin'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(must_change);
    let _ = std::fs::remove_dir_all(&data);
}
