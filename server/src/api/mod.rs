//! The JSON API for pipelines: `/api/v1/...` and the legacy `POST /feedback`.
//!
//! Every route takes `Authorization: Bearer <token>` (see [`auth`]). Every error is JSON of the
//! shape `{"error": code, "message": text, "field": path?, "rule": text?}` (see [`error`]).

/// Bearer-token authentication.
pub mod auth;
/// The API's error type and its JSON form.
pub mod error;
/// `GET /api/v1/export`: feedback and training data, streamed.
pub mod export;
/// `POST /feedback` and `POST /api/v1/feedback`.
pub mod feedback;
/// `POST /api/v1/tasks` and `GET /api/v1/tasks/{id}`.
pub mod tasks;

use app::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::routing::{get, post};
use error::ApiError;
use serde_json::Value;

/// Body size the API accepts: room for a full batch, and for one document at the configured
/// limit with JSON escaping, so an oversized document gets a field error rather than a bare 413.
fn body_limit(state: &AppState) -> usize {
    (64 * 1024 * 1024).max(state.settings.max_document_bytes * 3)
}

/// The API routes, ready to merge into the app router.
pub fn router(state: &AppState) -> Router<AppState> {
    let v1 = Router::new()
        .route("/tasks", post(tasks::create))
        .route("/tasks/{id}", get(tasks::show))
        .route("/feedback", post(feedback::receive))
        .route("/export", get(export::export))
        .fallback(|| async { ApiError::NotFound("route") });
    Router::new()
        .nest("/api/v1", v1)
        .route("/feedback", post(feedback::receive))
        .layer(DefaultBodyLimit::max(body_limit(state)))
}

/// Reads a request body as JSON, with errors a caller can act on.
pub fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let body = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) => ApiError::PayloadTooLarge,
        other => {
            tracing::warn!(error = %other, "could not read request body");
            ApiError::Malformed("the request body could not be read".into())
        }
    })?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))
}
