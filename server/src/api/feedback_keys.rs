//! `/api/v1/feedback-keys`: publishable feedback keys for the browser widget, managed by an admin
//! (token with scope `admin`, or a signed-in admin): list, create (the key is in the answer, only
//! then), revoke. The same operations as `loupe key add|list|revoke` (`crate::feedback_keys`).

use super::auth::{Operator, need};
use super::error::ApiError;
use super::json_body;
use crate::feedback_keys::{self, CreatedKey, KeyInfo};
use app::error::{AppError, FieldError};
use app::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use http::StatusCode;
use serde::Deserialize;

/// The body of `POST /api/v1/feedback-keys`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// What the key is for (shown in lists and the audit log), 1-100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// The pages' origins allowed to send feedback with the key, 1-50 of them: each exactly
    /// `scheme://host[:port]` with scheme http or https, no path, query, credentials or wildcard
    /// (normalised: lower case, default port and trailing `/` dropped).
    #[schema(min_items = 1, max_items = 50)]
    pub origins: Vec<String>,
}

/// Every publishable feedback key, oldest first (never the keys themselves).
#[utoipa::path(get, path = "/api/v1/feedback-keys", tag = "feedback", operation_id = "list_feedback_keys",
    security(("token" = ["admin"])),
    responses((status = 200, body = Vec<KeyInfo>), super::openapi::Errors))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Operator<need::Admin>,
) -> Result<Json<Vec<KeyInfo>>, ApiError> {
    Ok(Json(feedback_keys::all(&state.pool).await?))
}

/// Creates a publishable feedback key for the given origins. The answer holds the key, shown
/// only this once; it is not secret (it goes into pages) but can only send end-user feedback.
#[utoipa::path(post, path = "/api/v1/feedback-keys", tag = "feedback", operation_id = "create_feedback_key",
    security(("token" = ["admin"])),
    request_body = NewKey,
    responses((status = 201, body = CreatedKey), super::openapi::Errors))]
pub async fn create(
    State(state): State<AppState>,
    caller: Operator<need::Admin>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let new: NewKey = FieldError::read_object(json_body(body)?, "body")?;
    let made = feedback_keys::create(&state.pool, &caller.actor, &new.name, &new.origins).await?;
    tracing::info!(key = made.info.id, "publishable feedback key created");
    Ok((StatusCode::CREATED, Json(made)))
}

/// Revokes a key: pages carrying it are refused from the next request on. Revoking a revoked key
/// changes nothing and answers the same.
#[utoipa::path(delete, path = "/api/v1/feedback-keys/{id}", tag = "feedback", operation_id = "revoke_feedback_key",
    security(("token" = ["admin"])),
    params(("id" = i64, Path, description = "Key id")),
    responses((status = 204, description = "Revoked"), super::openapi::Errors))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Operator<need::Admin>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found("feedback key"))?;
    match feedback_keys::revoke(&state.pool, &caller.actor, &id.to_string()).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(AppError::NotFound(_)) => Err(ApiError::not_found("feedback key")),
        Err(e) => Err(e.into()),
    }
}
