//! Publishable feedback keys: the one credential Loupe lets a product ship to its visitors'
//! browsers. A key (`lpk_…`) can do exactly one thing, send end-user feedback through
//! `POST /api/v1/public/feedback` (`crate::api::public_feedback`), and only from the origins
//! listed on it ([`origin`]). Every other route takes API tokens (`loupe_…`) or sessions and
//! never looks at a key, so a key copied out of a page reads nothing and ingests nothing.
//!
//! Keys are stored as SHA-256 hashes like API tokens; `loupe key add|list|revoke` and the admin
//! API (`/api/v1/feedback-keys`) manage them through this module's [`create`], [`all`] and
//! [`revoke`], each change audited. Origins are checked against the
//! browser's `Origin` header, which protects the key from other web pages (a browser always sends
//! the page's true origin); a script outside a browser can claim any origin, which is why a key's
//! power is this narrow and its use is rate limited ([`app::key_rate`]).

pub mod origin;

use app::audit::{self, Action, Actor};
use app::auth::{random_secret, sha256};
use app::error::{AppError, FieldError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// Prefix of every publishable key: distinct from API tokens' `loupe_`, so a key seen in a page
/// is never mistaken for a secret token (and a secret scanner can tell them apart).
pub const KEY_PREFIX: &str = "lpk_";

/// The request header a key travels in.
pub const HEADER: &str = "x-loupe-key";

/// A key as listed: never the key itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyInfo {
    pub id: i64,
    pub name: String,
    /// The key's first characters (`lpk_` and 8 more), to tell keys apart.
    pub prefix: String,
    /// The origins allowed to send feedback with it, normalised (`scheme://host[:port]`).
    pub origins: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set once revoked; a revoked key is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key just made: the only time the key itself is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub info: KeyInfo,
    /// The publishable key (`lpk_…`), for the page's widget snippet. Shown only now.
    pub key: String,
}

/// Creates a key that may send feedback from `origins` (normalised; see [`origin::normalise`]).
/// Only its hash is stored. Audited as `key.create` by `actor`.
pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    origins: &[String],
) -> Result<CreatedKey, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(FieldError::new("name", "must be 1-100 characters").into());
    }
    let origins = origin::normalise_all(origins)?;
    let key = format!("{KEY_PREFIX}{}", random_secret());
    let prefix = key[..KEY_PREFIX.len() + 8].to_owned();
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        "insert into feedback_keys (name, prefix, key_hash, origins) values ($1, $2, $3, $4)
         returning id, created_at",
        name,
        prefix,
        sha256(&key),
        &origins
    )
    .fetch_one(&mut *tx)
    .await?;
    let after = serde_json::json!({ "name": name, "prefix": prefix, "origins": origins });
    audit::record(
        &mut tx,
        actor,
        Action::KeyCreate,
        &row.id.to_string(),
        None,
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedKey {
        info: KeyInfo {
            id: row.id,
            name: name.to_owned(),
            prefix,
            origins,
            created_at: row.created_at,
            last_used_at: None,
            revoked_at: None,
        },
        key,
    })
}

/// Every key, oldest first.
pub async fn all(pool: &PgPool) -> Result<Vec<KeyInfo>, sqlx::Error> {
    sqlx::query_as!(
        KeyInfo,
        "select id, name, prefix, origins, created_at, last_used_at, revoked_at
         from feedback_keys order by id"
    )
    .fetch_all(pool)
    .await
}

/// What [`revoke`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now; its name.
    Now(String),
    /// It was revoked already (nothing changed, nothing audited); its name.
    Already(String),
}

/// Revokes a key named by its id or its shown prefix (`lpk_1234abcd`, with or without the `…`
/// `key list` adds). Pages still carrying it are refused from the next request on. Audited as
/// `key.revoke` by `actor`.
pub async fn revoke(pool: &PgPool, actor: &Actor, which: &str) -> Result<Revoked, AppError> {
    let which = which.trim().trim_end_matches('…');
    let id: Option<i64> = which.parse().ok();
    let mut tx = pool.begin().await?;
    let found = sqlx::query!(
        "select id, name, revoked_at from feedback_keys where id = $1 or prefix = $2 for update",
        id,
        which
    )
    .fetch_all(&mut *tx)
    .await?;
    let row = match found.as_slice() {
        [one] => one,
        [] => return Err(AppError::NotFound("feedback key".into())),
        _ => {
            return Err(FieldError::new("key", "matches several keys; use the id").into());
        }
    };
    if row.revoked_at.is_some() {
        return Ok(Revoked::Already(row.name.clone()));
    }
    sqlx::query!(
        "update feedback_keys set revoked_at = now() where id = $1",
        row.id
    )
    .execute(&mut *tx)
    .await?;
    let name = row.name.clone();
    audit::record(
        &mut tx,
        actor,
        Action::KeyRevoke,
        &row.id.to_string(),
        Some(serde_json::json!({ "name": name, "revoked": false })),
        Some(serde_json::json!({ "name": name, "revoked": true })),
    )
    .await?;
    tx.commit().await?;
    Ok(Revoked::Now(name))
}

/// An active key, as a request presented it.
#[derive(Debug, Clone)]
pub struct ActiveKey {
    pub id: i64,
    /// Its normalised allowed origins.
    pub origins: Vec<String>,
}

impl ActiveKey {
    /// Whether `origin` (the request's `Origin` header, as sent) is one of this key's.
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }
}

/// The active key `presented` is, if any (touching its `last_used_at` at most once a minute).
pub async fn find(pool: &PgPool, presented: &str) -> Result<Option<ActiveKey>, sqlx::Error> {
    if !presented.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let row = sqlx::query!(
        "with k as (
             select id, origins, last_used_at from feedback_keys
             where key_hash = $1 and revoked_at is null
         ), touched as (
             update feedback_keys set last_used_at = now()
             where id in (select id from k
                          where last_used_at is null
                             or last_used_at < now() - interval '1 minute')
         )
         select id, origins from k",
        sha256(presented)
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| ActiveKey {
        id: r.id,
        origins: r.origins,
    }))
}

/// Whether any active key lists `origin`: all a preflight, which carries no key, can ask.
pub async fn origin_listed(pool: &PgPool, origin: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from feedback_keys
                          where revoked_at is null and origins @> array[$1]::text[]) as "listed!""#,
        origin
    )
    .fetch_one(pool)
    .await
}
