//! Command-line tasks that work on the same data folder whether or not Loupe is serving:
//! adding users, creating API tokens, creating the first admin, loading demo data.

use crate::api::auth::{Scope, TOKEN_PREFIX};
use anyhow::{Context, Result, bail};
use app::auth::{
    HashSlots, MIN_PASSWORD_CHARS, hash_password, random_secret, sha256, valid_username,
};
use app::domain::Role;
use sqlx::PgPool;

/// Adds an account and returns the password it was given (generated when `password` is `None`).
pub async fn add_user(
    pool: &PgPool,
    username: &str,
    role: Role,
    password: Option<String>,
) -> Result<String> {
    let username = username.trim().to_lowercase();
    if !valid_username(&username) {
        bail!(
            "username must be 2-63 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"
        );
    }
    let password = match password {
        Some(p) if p.chars().count() < MIN_PASSWORD_CHARS => {
            bail!("password must be at least {MIN_PASSWORD_CHARS} characters")
        }
        Some(p) => p,
        None => random_secret()[..20].to_owned(),
    };
    // The CLI hashes one password; it takes a slot like every other hash, from its own set.
    let slot = HashSlots::for_this_machine()
        .acquire()
        .await
        .map_err(|_| anyhow::anyhow!("cannot hash the password: busy"))?;
    let hash = hash_password(slot, password.clone())
        .await
        .map_err(|_| anyhow::anyhow!("cannot hash the password"))?;
    let inserted = sqlx::query!(
        "insert into users (username, password_hash, role) values ($1, $2, $3)
         on conflict (username) do nothing",
        username,
        hash,
        role.as_str()
    )
    .execute(pool)
    .await
    .context("cannot store the user")?;
    if inserted.rows_affected() == 0 {
        bail!("a user named {username} already exists");
    }
    Ok(password)
}

/// The scopes a token gets when `loupe token create` is given none: the least a pipeline
/// needs to send outputs and feedback.
pub const DEFAULT_SCOPES: [Scope; 1] = [Scope::Ingest];

/// Creates an API token holding `scopes` (at least one) and returns it; only its hash is stored.
pub async fn create_token(pool: &PgPool, name: &str, scopes: &[Scope]) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("token name must be 1-100 characters");
    }
    let scopes = scope_names(scopes);
    if scopes.is_empty() {
        bail!("a token needs at least one scope: ingest, read or admin");
    }
    let token = format!("{TOKEN_PREFIX}{}", random_secret());
    sqlx::query!(
        "insert into api_tokens (name, prefix, token_hash, scopes) values ($1, $2, $3, $4)",
        name,
        &token[..TOKEN_PREFIX.len() + 8],
        sha256(&token),
        &scopes
    )
    .execute(pool)
    .await
    .context("cannot store the token")?;
    Ok(token)
}

/// Creates the first admin when there is none. Returns the generated password when one was made
/// up (it is shown once), `None` when an admin existed or the password was given.
pub async fn ensure_admin(pool: &PgPool, password: Option<String>) -> Result<Option<String>> {
    let has_admin = sqlx::query_scalar!(
        r#"select exists (select 1 from users where role = 'admin') as "exists!""#
    )
    .fetch_one(pool)
    .await?;
    if has_admin {
        return Ok(None);
    }
    let given = password.is_some();
    let password = add_user(pool, "admin", Role::Admin, password).await?;
    Ok((!given).then_some(password))
}

/// Prints rows as aligned columns under a header.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn day(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Every account: name, role, state, creation time.
pub async fn list_users(pool: &PgPool) -> Result<Vec<Vec<String>>> {
    let rows =
        sqlx::query!("select username, role, disabled, created_at from users order by username")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            vec![
                r.username,
                r.role,
                if r.disabled { "disabled" } else { "active" }.into(),
                day(Some(r.created_at)),
            ]
        })
        .collect())
}

/// Disables or re-enables an account. Disabling ends its sessions at once, and refuses to leave
/// Loupe without an active admin.
pub async fn set_disabled(pool: &PgPool, username: &str, disabled: bool) -> Result<()> {
    let username = username.trim().to_lowercase();
    let mut tx = pool.begin().await?;
    let user = sqlx::query!(
        "select id, role, disabled from users where username = $1 for update",
        username
    )
    .fetch_optional(&mut *tx)
    .await?
    .with_context(|| format!("no user named {username}"))?;
    if disabled && user.role == "admin" {
        let other_admins = sqlx::query_scalar!(
            r#"select count(*) as "n!" from users where role = 'admin' and not disabled and id <> $1"#,
            user.id
        )
        .fetch_one(&mut *tx)
        .await?;
        if other_admins == 0 {
            bail!("{username} is the last active admin; add another admin first");
        }
    }
    sqlx::query!(
        "update users set disabled = $2 where id = $1",
        user.id,
        disabled
    )
    .execute(&mut *tx)
    .await?;
    if disabled {
        sqlx::query!("delete from sessions where user_id = $1", user.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `scopes` without repeats, in the order of [`Scope::ALL`], as stored.
pub fn scope_names(scopes: &[Scope]) -> Vec<String> {
    Scope::ALL
        .into_iter()
        .filter(|s| scopes.contains(s))
        .map(|s| s.as_str().to_owned())
        .collect()
}

/// Every token: id, name, prefix, scopes, created, last used, revoked.
pub async fn list_tokens(pool: &PgPool) -> Result<Vec<Vec<String>>> {
    let rows = sqlx::query!(
        "select id, name, prefix, scopes, created_at, last_used_at, revoked_at
         from api_tokens order by id"
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
                r.scopes.join(","),
                day(Some(r.created_at)),
                day(r.last_used_at),
                r.revoked_at
                    .map_or_else(|| "active".into(), |t| format!("revoked {}", day(Some(t)))),
            ]
        })
        .collect())
}

/// Revokes a token named by its id or by its shown prefix; returns its name.
pub async fn revoke_token(pool: &PgPool, key: &str) -> Result<String> {
    let key = key.trim().trim_end_matches('…');
    let id: Option<i64> = key.parse().ok();
    let found = sqlx::query!(
        "select id, name, revoked_at from api_tokens where id = $1 or prefix = $2",
        id,
        key
    )
    .fetch_all(pool)
    .await?;
    let token = match found.as_slice() {
        [one] => one,
        [] => bail!("no token with id or prefix {key:?} (see `loupe token list`)"),
        _ => bail!("{key:?} matches several tokens; use the id"),
    };
    if token.revoked_at.is_some() {
        bail!("token {} ({}) is already revoked", token.id, token.name);
    }
    sqlx::query!(
        "update api_tokens set revoked_at = now() where id = $1",
        token.id
    )
    .execute(pool)
    .await?;
    Ok(token.name.clone())
}
