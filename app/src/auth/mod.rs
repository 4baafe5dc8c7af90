//! Who is calling: password hashing, browser sessions and the guards server functions start with.
//!
//! Sessions are random 256-bit secrets in an HttpOnly, SameSite=Lax cookie; the database keeps
//! only their SHA-256, so neither a database dump nor a log line can be replayed as a login.
//! A session ends at whichever comes first: its absolute lifetime (`expires_at`, set at login)
//! or an idle stretch longer than the idle timeout (`last_seen_at`, touched at most once a
//! minute so that browsing is not a database write per request). The cookie itself has no
//! Max-Age: it lasts until the browser closes, and the server enforces both limits.
//! Passwords (`password.rs`) are argon2id, hashed on the blocking pool because hashing takes
//! tens of milliseconds of CPU (and 19 MiB of memory) on purpose. Every hash and check needs a [`HashSlot`] from
//! [`HashSlots`], which bounds how many run at once: without it a login flood would grow the
//! blocking pool to hundreds of threads, each holding its own 19 MiB. API tokens (in the server
//! crate) reuse [`random_secret`] and [`sha256`].

mod password;

use crate::domain::Role;
use crate::error::AppError;
use crate::state::{AppState, expect_state};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use http::HeaderMap;
pub use password::{Busy, HashSlot, HashSlots, hash_password, verify_password};
use sha2::{Digest, Sha256};
use sqlx::PgExecutor;
use std::sync::Arc;
use std::time::Duration;

/// Name of the session cookie over plain HTTP (development on loopback).
pub const SESSION_COOKIE: &str = "loupe_session";
/// Name of the session cookie when it is `Secure`. Browsers accept a `__Host-` cookie only from
/// a secure origin, with `Path=/` and no `Domain`, so a sibling subdomain or a plain-HTTP page
/// cannot plant one (session fixation by cookie tossing).
pub const SECURE_SESSION_COOKIE: &str = "__Host-loupe_session";

/// The session cookie's name: `__Host-` prefixed when the cookie is `Secure`.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Shortest password accepted (defined beside the account pages, which show it too).
pub use crate::account::MIN_PASSWORD_CHARS;

/// A signed-in person, as server functions see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// The password was generated for this account (the first admin, an admin's reset): every
    /// page asks its owner to choose their own.
    pub must_change_password: bool,
}

impl User {
    /// Fails with `Forbidden` unless the user holds `role` (admins hold every role).
    pub fn require(self, role: Role) -> Result<User, AppError> {
        match (role, self.role) {
            (Role::Reviewer, _) | (Role::Admin, Role::Admin) => Ok(self),
            (Role::Admin, Role::Reviewer) => Err(AppError::Forbidden),
        }
    }
}

/// 32 random bytes from the OS, hex-encoded: session cookies and API tokens.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    crate::hex::encode(&bytes)
}

/// A key the server signs with. Never printed (its `Debug` shows nothing) or serialized.
#[derive(Clone)]
pub struct SigningKey(Arc<[u8]>);

impl SigningKey {
    /// A key from stored bytes.
    pub fn new(bytes: &[u8]) -> Self {
        SigningKey(bytes.into())
    }

    /// The key's bytes, for the MAC.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Default for SigningKey {
    /// A fresh random key (tests; the server loads its shared one from the database).
    fn default() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        SigningKey::new(&bytes)
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(…)")
    }
}

/// The digest stored in place of a session or token secret.
pub fn sha256(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Whether `name` could be a username: 2-63 lowercase letters, digits, '.', '_' or '-', starting
/// with a letter or digit (the `users.username` check). A name that is not cannot have an
/// account, so login refuses it before any database query or hash.
pub fn valid_username(name: &str) -> bool {
    (2..=63).contains(&name.len())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

/// Attacker-typed text made safe for one log field: at most 64 characters, control characters
/// and quotes escaped, so a crafted username cannot forge log lines or flood the log.
pub fn loggable(text: &str) -> String {
    let mut out: String = text.chars().take(64).flat_map(char::escape_debug).collect();
    if text.chars().nth(64).is_some() {
        out.push('…');
    }
    out
}

/// Starts a session for `user_id` and returns the secret for the cookie.
pub async fn create_session(
    db: impl PgExecutor<'_> + Copy,
    user_id: i64,
    ttl: Duration,
) -> Result<String, sqlx::Error> {
    // Sweep this user's expired sessions as a new one starts, so the table does not grow forever.
    sqlx::query!(
        "delete from sessions where user_id = $1 and expires_at <= now()",
        user_id
    )
    .execute(db)
    .await?;
    let secret = random_secret();
    let ttl_secs = ttl.as_secs_f64();
    sqlx::query!(
        "insert into sessions (token_hash, user_id, expires_at)
         values ($1, $2, now() + make_interval(secs => $3))",
        sha256(&secret),
        user_id,
        ttl_secs,
    )
    .execute(db)
    .await?;
    Ok(secret)
}

/// Ends the session whose secret is `secret`, if any.
pub async fn delete_session(db: impl PgExecutor<'_>, secret: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("delete from sessions where token_hash = $1", sha256(secret))
        .execute(db)
        .await?;
    Ok(())
}

/// The user behind a live session secret: unknown, expired, idle longer than `idle` and disabled
/// all give `None`. A live session's `last_seen_at` is moved to now when it is more than a minute
/// old, so the idle clock restarts with use at the cost of one write per session per minute.
pub async fn user_for_session(
    db: impl PgExecutor<'_>,
    secret: &str,
    idle: Duration,
) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query!(
        "with live as (
             select s.token_hash, s.last_seen_at, u.id, u.username, u.role, u.must_change_password
             from sessions s join users u on u.id = s.user_id
             where s.token_hash = $1 and s.expires_at > now()
               and s.last_seen_at > now() - make_interval(secs => $2)
               and not u.disabled
         ), touched as (
             update sessions set last_seen_at = now()
             where token_hash in (select token_hash from live
                                  where last_seen_at < now() - interval '1 minute')
         )
         select id, username, role, must_change_password from live",
        sha256(secret),
        idle.as_secs_f64(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|r| {
        Role::parse(&r.role).map(|role| User {
            id: r.id,
            username: r.username,
            role,
            must_change_password: r.must_change_password,
        })
    }))
}

/// Deletes every session past its lifetime or idle longer than `idle`; returns how many. Run
/// periodically by the server (a session is refused the moment it lapses whether or not it has
/// been swept; sweeping only keeps the table small).
pub async fn sweep_sessions(db: impl PgExecutor<'_>, idle: Duration) -> Result<u64, sqlx::Error> {
    let swept = sqlx::query!(
        "delete from sessions
         where expires_at <= now() or last_seen_at <= now() - make_interval(secs => $1)",
        idle.as_secs_f64(),
    )
    .execute(db)
    .await?;
    Ok(swept.rows_affected())
}

/// The session secret in a request's `Cookie` header, from the cookie of this name (only the
/// `__Host-` one when cookies are secure: a plain one could have been planted).
pub fn session_secret(headers: &HeaderMap, secure: bool) -> Option<String> {
    cookie_value(headers, session_cookie_name(secure))
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// The value of the first cookie called `name` in a request's `Cookie` headers, empty or not.
pub fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value that stores `secret` (or, with `None`, clears the cookie). A stored
/// session cookie has no Max-Age: it ends with the browser session, while the server enforces the
/// idle timeout and the absolute lifetime.
pub fn session_cookie(secret: Option<&str>, secure: bool) -> String {
    let (value, max_age) = match secret {
        Some(s) => (s, ""),
        None => ("", "; Max-Age=0"),
    };
    let name = session_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{max_age}{secure}")
}

/// The user behind the request a request handler is serving, if signed in.
pub async fn user_from_headers(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<User>, AppError> {
    match session_secret(headers, state.settings.secure_cookies) {
        Some(secret) => {
            Ok(user_for_session(&state.pool, &secret, state.settings.session_idle).await?)
        }
        None => Ok(None),
    }
}

/// In a server function or during SSR: the signed-in user, or `Unauthorized`.
pub async fn current_user() -> Result<User, AppError> {
    let parts = leptos::prelude::use_context::<http::request::Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from server function context");
        AppError::Internal
    })?;
    user_from_headers(&expect_state(), &parts.headers)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// In a server function: the signed-in user if they hold `role`; `Unauthorized` or `Forbidden`
/// otherwise. Every server function starts with this.
pub async fn require_role(role: Role) -> Result<User, AppError> {
    current_user().await?.require(role)
}

/// In a server function for admins only: the database, once the caller is known to be an admin.
pub async fn admin_pool() -> Result<sqlx::PgPool, AppError> {
    require_role(Role::Admin).await?;
    Ok(expect_state().pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_secret_is_found_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "a=1; loupe_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(session_secret(&headers, false).as_deref(), Some("abc"));
        assert_eq!(
            session_secret(&headers, true),
            None,
            "a plain cookie is not read when secure"
        );
        headers.insert(
            http::header::COOKIE,
            "loupe_session=planted; __Host-loupe_session=real"
                .parse()
                .unwrap(),
        );
        assert_eq!(session_secret(&headers, true).as_deref(), Some("real"));
        headers.insert(http::header::COOKIE, "loupe_session=".parse().unwrap());
        assert_eq!(session_secret(&headers, false), None);
    }

    #[test]
    fn session_cookie_is_http_only_and_same_site() {
        let c = session_cookie(Some("s"), true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(c.starts_with("__Host-loupe_session=s; Path=/;") && !c.contains("Domain"));
        assert!(session_cookie(Some("s"), false).starts_with("loupe_session=s;"));
        assert!(!c.contains("Max-Age"), "a browser-session cookie: {c}");
        assert!(session_cookie(None, false).contains("Max-Age=0"));
    }

    #[test]
    fn reviewers_are_refused_admin_rights_and_admins_may_review() {
        let reviewer = User {
            id: 1,
            username: "r".into(),
            role: Role::Reviewer,
            must_change_password: false,
        };
        let admin = User {
            id: 2,
            username: "a".into(),
            role: Role::Admin,
            must_change_password: false,
        };
        assert_eq!(
            reviewer.clone().require(Role::Admin),
            Err(AppError::Forbidden)
        );
        assert!(reviewer.require(Role::Reviewer).is_ok());
        assert!(admin.require(Role::Reviewer).is_ok());
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let slots = HashSlots::new(1, Duration::from_secs(5));
        let hash = hash_password(slots.acquire().await.unwrap(), "correct horse".into())
            .await
            .unwrap();
        let check = async |password: &str, stored: Option<String>| {
            verify_password(slots.acquire().await.unwrap(), password.into(), stored)
                .await
                .0
        };
        assert!(check("correct horse", Some(hash.clone())).await);
        assert!(!check("wrong horse", Some(hash)).await);
        assert!(!check("anything", None).await);
    }

    #[tokio::test]
    async fn a_full_set_of_hash_slots_answers_busy_after_its_wait() {
        let slots = HashSlots::new(1, Duration::from_millis(50));
        let held = slots.acquire().await.unwrap();
        assert_eq!(
            slots.acquire().await.err(),
            Some(Busy {
                retry_after_secs: 1
            })
        );
        drop(held);
        assert!(
            slots.acquire().await.is_ok(),
            "a freed slot is handed out again"
        );
    }

    #[test]
    fn usernames_follow_the_stored_rule() {
        assert!(valid_username("rita") && valid_username("a.b_c-9") && valid_username("0x"));
        for bad in ["", "a", "Rita", "-rita", "ri ta", "rita\0", &"a".repeat(64)] {
            assert!(!valid_username(bad), "{bad:?}");
        }
    }

    #[test]
    fn attacker_text_is_escaped_and_capped_for_the_log() {
        assert_eq!(loggable("bob\nINFO forged"), "bob\\nINFO forged");
        assert_eq!(loggable("a\u{0}b"), "a\\0b");
        let long = loggable(&"x".repeat(1000));
        assert_eq!(long.chars().count(), 65);
    }
}
