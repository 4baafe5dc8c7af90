//! Command-line tasks that work on the same data folder whether or not Loupe is serving:
//! adding users, creating API tokens, creating the first admin, loading demo data.

use crate::api::auth::TOKEN_PREFIX;
use anyhow::{Context, Result, bail};
use app::auth::{MIN_PASSWORD_CHARS, hash_password, random_secret, sha256};
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
    let valid_name = (2..=63).contains(&username.len())
        && username
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if !valid_name {
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
    let hash = hash_password(password.clone())
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

/// Creates an API token and returns it; only its hash is stored.
pub async fn create_token(pool: &PgPool, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("token name must be 1-100 characters");
    }
    let token = format!("{TOKEN_PREFIX}{}", random_secret());
    sqlx::query!(
        "insert into api_tokens (name, prefix, token_hash) values ($1, $2, $3)",
        name,
        &token[..TOKEN_PREFIX.len() + 8],
        sha256(&token)
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
