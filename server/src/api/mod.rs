//! The JSON API for pipelines: `/api/v1/...` and the legacy `POST /feedback`.
//!
//! Every route takes `Authorization: Bearer <token>` (see [`auth`]), except
//! `POST /api/v1/public/feedback`, which takes a publishable feedback key ([`public_feedback`]).
//! Every error is JSON of the shape `{"error": code, "message": text, "field": path?, "rule":
//! text?}` (see [`error`]).

/// `POST /api/v1/requeue` and `POST /api/v1/resolve`: actions on many tasks, by id or filter.
pub mod actions;
/// `GET /api/v1/audit`: the audit trail of admin actions.
pub mod audit;
/// Bearer-token authentication.
pub mod auth;
/// The API's error type and its JSON form.
pub mod error;
/// `GET /api/v1/export`: feedback and training data, streamed.
pub mod export;
/// `GET /api/v1/feedback`: the cursor-paginated feed of all feedback.
pub mod feed;
/// `POST /feedback` and `POST /api/v1/feedback`.
pub mod feedback;
/// `/api/v1/feedback-keys`: publishable feedback keys, for admins.
pub mod feedback_keys;
/// The OpenAPI document and the docs page made from it.
pub mod openapi;
/// `POST /api/v1/public/feedback`: feedback from browsers, with a publishable key and CORS.
pub mod public_feedback;
/// `/api/v1/routing`: routing settings per model.
pub mod routing;
/// `POST /api/v1/tasks` and `GET /api/v1/tasks/{id}`.
pub mod tasks;
/// `/api/v1/webhooks`: endpoints, delivery log, resend.
pub mod webhooks;

use app::error::FieldError;
use app::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::routing::{get, post};
use error::ApiError;
use serde_json::Value;

/// Whether `path` is one of this API's routes (`/api/v1/…` and the legacy `/feedback`): they
/// answer errors as this API's JSON and take bodies only as JSON. The pages' server functions,
/// also under `/api/`, are not.
pub fn is_json_api(path: &str) -> bool {
    path.starts_with("/api/v1/") || path == "/feedback"
}

/// Body size `POST /api/v1/tasks` accepts: 64 MB (a full batch of ordinary outputs; less than
/// the batch limit times the document limit, which would be a gigabyte), and at least one
/// document at the configured limit with JSON escaping, so an oversized document gets a field
/// error rather than a bare 413. The body is parsed without building a `serde_json::Value`.
pub fn ingest_body_limit(state: &AppState) -> usize {
    (64 * 1024 * 1024).max(state.settings.max_document_bytes * 3)
}

/// Body size of every other JSON route (webhooks, routing, resend): a few short fields.
pub const SMALL_BODY_BYTES: usize = 64 * 1024;
/// Body size of end-user feedback: a comment of up to 10,000 characters, each of which may take
/// 12 bytes as JSON escapes (`\uD83D\uDE00`), and the other fields.
pub const FEEDBACK_BODY_BYTES: usize = 256 * 1024;

/// The API routes, ready to merge into the app router.
pub fn router(state: &AppState) -> Router<AppState> {
    let v1 = Router::new()
        .route(
            "/tasks",
            post(tasks::create)
                .get(tasks::list)
                .layer(DefaultBodyLimit::max(ingest_body_limit(state))),
        )
        .route("/tasks/{id}", get(tasks::show))
        .route("/requeue", post(actions::requeue))
        .route("/resolve", post(actions::resolve))
        .route("/assign", post(actions::assign))
        .route("/priority", post(actions::prioritize))
        .route("/escalate", post(actions::escalate))
        .route(
            "/feedback",
            post(feedback::receive)
                .layer(DefaultBodyLimit::max(FEEDBACK_BODY_BYTES))
                .get(feed::feed),
        )
        .route(
            "/export",
            get(export::export).layer(axum::Extension(export::ExportSlots(std::sync::Arc::new(
                tokio::sync::Semaphore::new(state.settings.max_exports.max(1)),
            )))),
        )
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{id}", axum::routing::delete(webhooks::delete))
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/webhooks/deliveries/{id}/resend", post(webhooks::resend))
        .route("/routing", get(routing::list))
        .route(
            "/routing/{model}",
            get(routing::show).put(routing::put).delete(routing::reset),
        )
        .route("/audit", get(audit::list))
        .route(
            "/feedback-keys",
            get(feedback_keys::list).post(feedback_keys::create),
        )
        .route(
            "/feedback-keys/{id}",
            axum::routing::delete(feedback_keys::revoke),
        )
        .route(
            "/public/feedback",
            post(public_feedback::receive)
                .options(public_feedback::preflight)
                .layer(DefaultBodyLimit::max(public_feedback::BODY_BYTES)),
        )
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { ApiError::not_found("route") });
    Router::new()
        .nest("/api/v1", v1)
        .route("/api/docs", get(openapi::docs_page))
        .route(
            "/feedback",
            post(feedback::receive).layer(DefaultBodyLimit::max(FEEDBACK_BODY_BYTES)),
        )
        // Routes without a limit of their own; a route's own layer (inside this one) wins.
        .layer(DefaultBodyLimit::max(SMALL_BODY_BYTES))
}

/// A request body's bytes, or the error a caller can act on (413 when over the route's limit).
pub fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) => ApiError::PayloadTooLarge,
        other => {
            tracing::warn!(error = %other, "could not read request body");
            ApiError::Malformed("the request body could not be read".into())
        }
    })
}

/// Reads a (small) request body as JSON, with errors a caller can act on; a string or key
/// PostgreSQL cannot store, at any depth, is a 422 naming its path.
pub fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let body = body_bytes(body)?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
    if let Some(path) = app::domain::unstorable_json_path("", &value) {
        return Err(ApiError::Invalid(FieldError::new(
            path,
            app::domain::STORABLE_TEXT_RULE,
        )));
    }
    Ok(value)
}

/// 422 for a query string that does not parse at all.
pub fn bad_query() -> ApiError {
    ApiError::Invalid(FieldError::new(
        "query",
        "could not be read as query parameters",
    ))
}

/// A `limit` query parameter: `default` when absent, else a whole number from 1 to `max`.
pub fn limit(raw: Option<&str>, default: i64, max: i64) -> Result<i64, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::Invalid(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {max}"),
                ))
            }),
    }
}
