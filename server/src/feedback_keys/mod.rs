//! Publishable feedback keys: the one credential Loupe lets a product ship to its visitors'
//! browsers. A key (`lpk_…`) can do exactly one thing, send end-user feedback through
//! `POST /api/v1/public/feedback` (`crate::api::public_feedback`), and only from the origins
//! listed on it ([`origin`]). Every other route takes API tokens (`loupe_…`) or sessions and
//! never looks at a key, so a key copied out of a page reads nothing and ingests nothing.
//!
//! Keys are stored as SHA-256 hashes like API tokens; `loupe key add|list|revoke` manages them
//! (this module's [`create`], [`list`], [`revoke`], each audited). Origins are checked against the
//! browser's `Origin` header, which protects the key from other web pages (a browser always sends
//! the page's true origin); a script outside a browser can claim any origin, which is why a key's
//! power is this narrow and its use is rate limited ([`app::key_rate`]).

pub mod origin;

use crate::cli::{audited, day};
use anyhow::{Context, Result, bail};
use app::audit::Action;
use app::auth::{random_secret, sha256};
use sqlx::PgPool;

/// Prefix of every publishable key: distinct from API tokens' `loupe_`, so a key seen in a page
/// is never mistaken for a secret token (and a secret scanner can tell them apart).
pub const KEY_PREFIX: &str = "lpk_";

/// The request header a key travels in.
pub const HEADER: &str = "x-loupe-key";

/// Creates a key that may send feedback from `origins` (normalised; see [`origin::normalise`]);
/// returns the key (shown once, only its hash is stored) and the origins as stored. Audited as
/// `key.create`.
pub async fn create(
    pool: &PgPool,
    name: &str,
    origins: &[String],
) -> Result<(String, Vec<String>)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("key name must be 1-100 characters");
    }
    let origins = origin::normalise_all(origins).map_err(anyhow::Error::msg)?;
    let key = format!("{KEY_PREFIX}{}", random_secret());
    let prefix = &key[..KEY_PREFIX.len() + 8];
    let mut tx = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "insert into feedback_keys (name, prefix, key_hash, origins) values ($1, $2, $3, $4)
         returning id",
        name,
        prefix,
        sha256(&key),
        &origins
    )
    .fetch_one(&mut *tx)
    .await
    .context("cannot store the key")?;
    let after = serde_json::json!({ "name": name, "prefix": prefix, "origins": origins });
    audited(tx, Action::KeyCreate, &id.to_string(), None, Some(after)).await?;
    Ok((key, origins))
}

/// Every key: id, name, prefix, origins, created, last used, state.
pub async fn list(pool: &PgPool) -> Result<Vec<Vec<String>>> {
    let rows = sqlx::query!(
        "select id, name, prefix, origins, created_at, last_used_at, revoked_at
         from feedback_keys order by id"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.name,
                format!("{}…", r.prefix),
                r.origins.join(" "),
                day(Some(r.created_at)),
                day(r.last_used_at),
                r.revoked_at
                    .map_or_else(|| "active".into(), |t| format!("revoked {}", day(Some(t)))),
            ]
        })
        .collect())
}

/// Revokes a key named by its id or its shown prefix; returns its name. Pages still carrying it
/// are refused from the next request on. Audited as `key.revoke`.
pub async fn revoke(pool: &PgPool, key: &str) -> Result<String> {
    let key = key.trim().trim_end_matches('…');
    let id: Option<i64> = key.parse().ok();
    let mut tx = pool.begin().await?;
    let found = sqlx::query!(
        "select id, name, revoked_at from feedback_keys where id = $1 or prefix = $2 for update",
        id,
        key
    )
    .fetch_all(&mut *tx)
    .await?;
    let row = match found.as_slice() {
        [one] => one,
        [] => bail!("no key with id or prefix {key:?} (see `loupe key list`)"),
        _ => bail!("{key:?} matches several keys; use the id"),
    };
    if row.revoked_at.is_some() {
        bail!("key {} ({}) is already revoked", row.id, row.name);
    }
    sqlx::query!(
        "update feedback_keys set revoked_at = now() where id = $1",
        row.id
    )
    .execute(&mut *tx)
    .await?;
    let name = row.name.clone();
    audited(
        tx,
        Action::KeyRevoke,
        &row.id.to_string(),
        Some(serde_json::json!({ "name": name, "revoked": false })),
        Some(serde_json::json!({ "name": name, "revoked": true })),
    )
    .await?;
    Ok(name)
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
