//! Who may call the API. Pipelines send `Authorization: Bearer loupe_…` (looked up by SHA-256);
//! a handler that takes [`Pipeline`] runs only for them. Routes an admin also uses from the
//! browser (export, webhooks, routing settings) take [`Operator`]: a token, or an admin session.

use super::error::ApiError;
use app::audit::Actor;
use app::auth::{sha256, user_from_headers};
use app::domain::Role;
use app::state::AppState;
use axum::extract::FromRequestParts;
use http::request::Parts;

/// Prefix of every token, so a leaked one is easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "loupe_";

/// An authenticated API caller.
#[derive(Debug, Clone, Copy)]
pub struct Pipeline {
    pub token_id: i64,
}

impl FromRequestParts<AppState> for Pipeline {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| t.starts_with(TOKEN_PREFIX))
            .ok_or(ApiError::Unauthorized)?;
        // Touch last_used_at at most once a minute per token, not on every request.
        let token_id = sqlx::query_scalar!(
            "with t as (
                 select id, last_used_at from api_tokens
                 where token_hash = $1 and revoked_at is null
             ), touched as (
                 update api_tokens set last_used_at = now()
                 where id in (select id from t
                              where last_used_at is null
                                 or last_used_at < now() - interval '1 minute')
             )
             select id from t",
            sha256(token)
        )
        .fetch_optional(&state.pool)
        .await?
        .ok_or(ApiError::Unauthorized)?;
        Ok(Pipeline { token_id })
    }
}

/// A pipeline token or a signed-in admin (reviewers get 403, anonymous callers 401), and who
/// that is for the audit trail.
pub struct Operator {
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts.headers.contains_key(http::header::AUTHORIZATION) {
            let token = Pipeline::from_request_parts(parts, state).await?;
            let name =
                sqlx::query_scalar!("select name from api_tokens where id = $1", token.token_id)
                    .fetch_one(&state.pool)
                    .await?;
            return Ok(Operator {
                actor: Actor::token(token.token_id, &name),
            });
        }
        match user_from_headers(state, &parts.headers).await? {
            Some(user) if user.role == Role::Admin => Ok(Operator {
                actor: Actor::user(&user),
            }),
            Some(_) => Err(ApiError::Forbidden),
            None => Err(ApiError::Unauthorized),
        }
    }
}
