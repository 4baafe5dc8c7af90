//! Who is calling: password hashing, browser sessions and the guards server functions start with.
//!
//! Sessions are random 256-bit secrets in an HttpOnly, SameSite=Lax cookie; the database keeps
//! only their SHA-256, so neither a database dump nor a log line can be replayed as a login.
//! Passwords are argon2id, hashed on the blocking pool because hashing takes tens of milliseconds
//! of CPU on purpose. API tokens (in the server crate) reuse [`random_secret`] and [`sha256`].

use crate::domain::Role;
use crate::error::AppError;
use crate::state::{AppState, expect_state};
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use sqlx::PgExecutor;
use std::sync::OnceLock;
use std::time::Duration;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "loupe_session";

/// Shortest password the CLI accepts for a new account.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A signed-in person, as server functions see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
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
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest stored in place of a session or token secret.
pub fn sha256(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Hashes a password with argon2id and a fresh salt.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        AppError::Internal
    })?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

/// Checks a password against a stored hash. `None` (unknown user) still costs one verification,
/// so response time does not reveal which usernames exist.
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    // A hash of a random password nobody knows, made once per process.
    static DECOY: OnceLock<String> = OnceLock::new();
    let known = stored.is_some();
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| {
            DECOY
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut OsRng);
                    Argon2::default()
                        .hash_password(random_secret().as_bytes(), &salt)
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let ok = PasswordHash::new(&stored)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && known
    })
    .await
    .unwrap_or(false)
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

/// The user behind a live session secret: unknown, expired and disabled all give `None`.
pub async fn user_for_session(
    db: impl PgExecutor<'_>,
    secret: &str,
) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query!(
        "select u.id, u.username, u.role
         from sessions s join users u on u.id = s.user_id
         where s.token_hash = $1 and s.expires_at > now() and not u.disabled",
        sha256(secret),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|r| {
        Role::parse(&r.role).map(|role| User {
            id: r.id,
            username: r.username,
            role,
        })
    }))
}

/// The session secret in a request's `Cookie` header.
pub fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value that stores `secret` (or, with `None`, clears the cookie).
pub fn session_cookie(secret: Option<&str>, ttl: Duration, secure: bool) -> String {
    let (value, max_age) = match secret {
        Some(s) => (s, ttl.as_secs()),
        None => ("", 0),
    };
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The user behind the request a request handler is serving, if signed in.
pub async fn user_from_headers(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<User>, AppError> {
    match session_secret(headers) {
        Some(secret) => Ok(user_for_session(&state.pool, &secret).await?),
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
        assert_eq!(session_secret(&headers).as_deref(), Some("abc"));
        headers.insert(http::header::COOKIE, "loupe_session=".parse().unwrap());
        assert_eq!(session_secret(&headers), None);
    }

    #[test]
    fn session_cookie_is_http_only_and_same_site() {
        let c = session_cookie(Some("s"), Duration::from_secs(60), true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(session_cookie(None, Duration::from_secs(60), false).contains("Max-Age=0"));
    }

    #[test]
    fn reviewers_are_refused_admin_rights_and_admins_may_review() {
        let reviewer = User {
            id: 1,
            username: "r".into(),
            role: Role::Reviewer,
        };
        let admin = User {
            id: 2,
            username: "a".into(),
            role: Role::Admin,
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
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(verify_password("correct horse".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse".into(), Some(hash)).await);
        assert!(!verify_password("anything".into(), None).await);
    }
}
