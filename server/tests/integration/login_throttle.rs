//! Password guessing against the real server: floods get 429s with `Retry-After` before any
//! hashing, other people keep signing in, the client address is the peer unless a trusted proxy
//! says otherwise, refusals are logged without the password, and the page without scripts says
//! when to try again.

use crate::helpers::TestApp;
use app::auth::HashSlots;
use app::client_addr::TrustedProxies;
use app::domain::Role;
use app::state::Settings;
use app::throttle::{Policy, Rule};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Settings with a throttle quick enough for a test: `user_free` and `address_free` free
/// failures, then a `wait_secs` wait (doubling, capped at twice that).
fn throttled(user_free: u32, address_free: u32, wait_secs: u64) -> Settings {
    Settings {
        login_throttle: Policy {
            per_username: Rule {
                free: user_free,
                forgive_every: Duration::from_secs(3600),
            },
            per_address: Rule {
                free: address_free,
                forgive_every: Duration::from_secs(3600),
            },
            first_wait: Duration::from_secs(wait_secs),
            max_wait: Duration::from_secs(2 * wait_secs),
        },
        ..Settings::default()
    }
}

/// One sign-in attempt as a program (or the page's script) makes it.
struct Attempt {
    status: StatusCode,
    retry_after: Option<u64>,
    signed_in: bool,
    body: Value,
}

impl Attempt {
    fn message(&self) -> &str {
        self.body["Validation"]["message"]
            .as_str()
            .unwrap_or_default()
    }
}

async fn attempt(app: &TestApp, name: &str, password: &str, forwarded: Option<&str>) -> Attempt {
    let mut req = app
        .http
        .post(app.url("/api/login"))
        .form(&[("username", name), ("password", password)]);
    if let Some(xff) = forwarded {
        req = req.header("x-forwarded-for", xff);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let signed_in = res.headers().get_all("set-cookie").iter().any(|v| {
        v.to_str().unwrap().starts_with("loupe_session=")
            && !v.to_str().unwrap().starts_with("loupe_session=;")
    });
    let bytes = res.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Attempt {
        status,
        retry_after,
        signed_in,
        body,
    }
}

async fn add_user(app: &TestApp, name: &str) -> String {
    let password = format!("{name}-password-123");
    server::cli::add_user(&app.pool, name, Role::Reviewer, Some(password.clone()))
        .await
        .unwrap();
    password
}

/// Whether `key` in `scope` is blocked right now.
async fn blocked(app: &TestApp, scope: &str, key: &str) -> bool {
    sqlx::query_scalar(
        "select exists (select 1 from login_failures
                        where scope = $1 and key = $2 and blocked_until > now())",
    )
    .bind(scope)
    .bind(key)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_login_flood_on_one_name_gets_429s_while_another_user_signs_in_and_health_answers(
    pool: PgPool,
) {
    let mut settings = throttled(3, 10_000, 60);
    // A known number of hashing slots, and a wait long enough that no attempt is refused as busy.
    settings.password_hashing = HashSlots::new(4, Duration::from_secs(30));
    let app = Arc::new(TestApp::spawn_with(pool, settings).await);
    add_user(&app, "alice").await;
    let bob = add_user(&app, "bob").await;

    // Twelve clients guess alice's password as fast as the server answers, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let flood: Vec<_> = (0..12)
        .map(|i| {
            let (app, stop) = (app.clone(), stop.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) || seen.len() < 5 {
                    n += 1;
                    let a = attempt(&app, "alice", &format!("guess-{i}-{n}"), None).await;
                    assert!(!a.signed_in);
                    seen.push(a);
                }
                seen
            })
        })
        .collect();

    // Once alice is blocked, bob signs in and the health check answers, while the flood goes on.
    while !blocked(&app, "username", "alice").await {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let health = tokio::time::timeout(
        Duration::from_secs(1),
        app.http.get(app.url("/healthz")).send(),
    )
    .await
    .expect("/healthz did not answer within 1 s during the flood")
    .unwrap();
    assert_eq!(health.status(), 200);
    let bob_signs_in = attempt(&app, "bob", &bob, None).await;
    assert!(
        bob_signs_in.signed_in,
        "bob was refused: {:?}",
        bob_signs_in.body
    );
    stop.store(true, Ordering::Relaxed);

    let mut attempts = Vec::new();
    for task in flood {
        attempts.extend(task.await.unwrap());
    }
    let (refused, evaluated): (Vec<_>, Vec<_>) = attempts
        .iter()
        .partition(|a| a.status == StatusCode::TOO_MANY_REQUESTS);
    assert!(!refused.is_empty(), "no attempt was throttled");
    for a in &refused {
        let wait = a.retry_after.expect("a 429 without Retry-After");
        assert!((1..=120).contains(&wait), "Retry-After {wait}");
        assert_eq!(a.body["Validation"]["field"], "password");
        assert!(
            a.message()
                .contains("too many failed sign-ins for this username"),
            "{}",
            a.message()
        );
    }
    // Only attempts that got past the throttle cost a hash: the free three, the one that set the
    // block, and at most the three others holding a hashing slot when it was set (a guess keeps
    // its slot until its failure is counted), plus slack for the moment between a failure's
    // count and its block. Without a throttle every attempt would have been hashed.
    assert!(
        evaluated.len() <= 12,
        "{} of {} attempts were hashed",
        evaluated.len(),
        attempts.len()
    );
    assert!(
        attempts.len() >= 3 * evaluated.len(),
        "the flood was too short to tell: {} attempts",
        attempts.len()
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_throttled_name_is_refused_even_with_the_right_password_until_the_wait_passes(
    pool: PgPool,
) {
    let app = TestApp::spawn_with(pool, throttled(3, 10_000, 2)).await;
    let password = add_user(&app, "carol").await;
    for n in 0..4 {
        let a = attempt(&app, "carol", &format!("wrong-{n}"), None).await;
        assert_eq!(a.message(), "wrong username or password", "attempt {n}");
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.retry_after, None);
    }
    // The fourth failure set a wait: the right password is not even looked at.
    let refused = attempt(&app, "carol", &password, None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!refused.signed_in);
    let wait = refused.retry_after.expect("Retry-After");
    assert!((1..=2).contains(&wait), "Retry-After {wait}");

    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(300)).await;
    let after = attempt(&app, "carol", &password, None).await;
    assert!(
        after.signed_in,
        "still refused after the wait: {:?}",
        after.body
    );
    // Success forgot carol's failures: a mistake now is an ordinary wrong password again.
    let count: i64 = sqlx::query_scalar(
        "select count(*) from login_failures where scope = 'username' and key = 'carol'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(count, 0);
    let slip = attempt(&app, "carol", "typo", None).await;
    assert_eq!(slip.message(), "wrong username or password");
    assert_ne!(slip.status, StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn one_address_spraying_many_usernames_is_throttled(pool: PgPool) {
    let app = TestApp::spawn_with(pool, throttled(100, 5, 60)).await;
    let password = add_user(&app, "dave").await;
    for n in 0..6 {
        let a = attempt(&app, &format!("user{n}"), "password-spray", None).await;
        assert_eq!(a.message(), "wrong username or password", "attempt {n}");
    }
    // Six names, one failure each: no username rule is near its limit, the address rule is.
    let refused = attempt(&app, "dave", &password, None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.retry_after.is_some());
    assert!(
        refused
            .message()
            .contains("too many failed sign-ins from your network address"),
        "{}",
        refused.message()
    );
    assert!(blocked(&app, "address", "127.0.0.1").await);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn forwarded_for_is_ignored_when_the_peer_is_not_a_trusted_proxy(pool: PgPool) {
    let app = TestApp::spawn_with(pool, throttled(100, 3, 60)).await;
    // Each guess claims a new address; none is believed, so all count against the real peer.
    for n in 0..4 {
        let xff = format!("198.51.100.{n}");
        attempt(&app, &format!("name{n}"), "guess", Some(&xff)).await;
    }
    let refused = attempt(&app, "name9", "guess", Some("198.51.100.99")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let keys: Vec<String> =
        sqlx::query_scalar("select key from login_failures where scope = 'address' order by key")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(keys, ["127.0.0.1"]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_trusted_proxy_s_forwarded_for_names_the_client(pool: PgPool) {
    let mut settings = throttled(100, 3, 60);
    settings.trusted_proxies = TrustedProxies::new(vec!["127.0.0.1".parse().unwrap()]);
    let app = TestApp::spawn_with(pool, settings).await;
    let password = add_user(&app, "erin").await;
    for n in 0..4 {
        attempt(&app, &format!("name{n}"), "guess", Some("203.0.113.1")).await;
    }
    assert!(blocked(&app, "address", "203.0.113.1").await);
    // A forged leftmost entry does not escape the block: the proxy appended the real address.
    let forged = attempt(&app, "name9", "guess", Some("203.0.113.2, 203.0.113.1")).await;
    assert_eq!(forged.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy signs in.
    let other = attempt(&app, "erin", &password, Some("203.0.113.2")).await;
    assert!(other.signed_in, "{:?}", other.body);
    assert!(!blocked(&app, "address", "127.0.0.1").await);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn when_every_hashing_slot_is_taken_a_login_gets_503_with_retry_after(pool: PgPool) {
    let mut settings = Settings::default();
    let slots = HashSlots::new(1, Duration::from_millis(200));
    settings.password_hashing = slots.clone();
    let app = TestApp::spawn_with(pool, settings).await;
    let password = add_user(&app, "fay").await;
    let held = slots.acquire().await.unwrap();
    let busy = attempt(&app, "fay", &password, None).await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(busy.retry_after.is_some_and(|s| s >= 1));
    assert!(!busy.signed_in);
    assert!(busy.message().contains("try again"), "{}", busy.message());
    drop(held);
    assert!(attempt(&app, "fay", &password, None).await.signed_in);
    // A busy refusal is the server's state, not a failed guess: nothing was counted.
    assert_eq!(app.count("login_failures").await, 0);
}

/// A log sink for one test: everything the server logs on this test's thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn refused_sign_ins_are_logged_with_name_and_address_but_never_the_password(pool: PgPool) {
    let log = Captured::default();
    // #[sqlx::test] runs the test and the server it spawns on one thread, so a subscriber set
    // for this thread sees the server's events.
    let sink = log.clone();
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish(),
    );
    let app = TestApp::spawn_with(pool, throttled(1, 10_000, 60)).await;
    add_user(&app, "gus").await;
    attempt(&app, "gus", "Secret-Guess-1", None).await;
    attempt(&app, "gus", "Secret-Guess-2", None).await;
    let throttled = attempt(&app, "gus", "Secret-Guess-3", None).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    // A name crafted to forge a log line.
    attempt(
        &app,
        "x\nWARN forged: admin signed in",
        "Secret-Guess-4",
        None,
    )
    .await;

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let refused: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("sign-in refused: wrong username or password"))
        .collect();
    assert_eq!(refused.len(), 2, "{text}");
    for line in &refused {
        assert!(
            line.contains("WARN") && line.contains("username=gus"),
            "{line}"
        );
        assert!(line.contains("client=127.0.0.1"), "{line}");
    }
    assert!(
        text.lines()
            .any(|l| l.contains("sign-in throttled") && l.contains("rule=username")),
        "{text}"
    );
    assert!(
        !text.contains("Secret-Guess"),
        "a password reached the log:\n{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.to_lowercase().starts_with("warn forged")),
        "a username forged a log line:\n{text}"
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_throttled_plain_form_post_shows_when_to_try_again_beside_the_password(pool: PgPool) {
    let app = TestApp::spawn_with(pool, throttled(1, 10_000, 120)).await;
    let password = add_user(&app, "hana").await;
    attempt(&app, "hana", "wrong-1", None).await;
    attempt(&app, "hana", "wrong-2", None).await;

    // The browser without scripts: an HTML form post from the login page.
    let form_page = app.url("/login?next=%2Fqueue");
    let res = app
        .http
        .post(app.url("/api/login"))
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", &form_page)
        .form(&[
            ("username", "hana"),
            ("password", password.as_str()),
            ("next", "/queue"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(res.headers().get("retry-after").is_some());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("__err="), "{location}");
    let back = if location.starts_with("http") {
        location
    } else {
        app.url(&location)
    };
    let html = app
        .http
        .get(back)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // 120 s from the second failure, rounded up to minutes.
    let message = "too many failed sign-ins for this username; try again in 2 minutes";
    // Beside the password field: in its error paragraph, after its input and before the button
    // (the island's props carry the message too, earlier in the page).
    let field = html.find("id=\"password\"").expect("password field");
    let button = field
        + html[field..]
            .find("type=\"submit\"")
            .expect("submit button");
    let beside = &html[field..button];
    let at = beside
        .find(message)
        .unwrap_or_else(|| panic!("no wait message beside the password field in:\n{html}"));
    assert!(beside[..at].contains("field-error"), "{beside}");
}

#[test]
fn trusted_proxies_are_read_from_the_command_line_and_checked() {
    use clap::Parser;
    use server::config::{Cli, Command};
    let cli = Cli::try_parse_from([
        "loupe",
        "serve",
        "--trusted-proxies",
        "10.0.0.0/8, 192.0.2.1",
    ])
    .unwrap();
    let Some(Command::Serve(args)) = cli.command else {
        panic!("not serve")
    };
    let proxies = TrustedProxies::new(args.trusted_proxies);
    assert!(proxies.contains("10.9.8.7".parse().unwrap()));
    assert!(proxies.contains("192.0.2.1".parse().unwrap()));
    assert!(!proxies.contains("192.0.2.2".parse().unwrap()));
    let err = Cli::try_parse_from(["loupe", "serve", "--trusted-proxies", "10.0.0.1/8"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("host bits"), "{err}");
}
