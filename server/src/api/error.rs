//! The API's one error type. Each variant is an outcome the caller can act on; database and
//! other unexpected failures are logged here and leave as an opaque 500.

use crate::ingest::FieldError;
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;

/// An error the API reports to its caller.
#[derive(Debug)]
pub enum ApiError {
    /// 401: no token, or one that is unknown or revoked.
    Unauthorized,
    /// 403: signed in, but the role does not allow this.
    Forbidden,
    /// 403: an unsafe request from another origin, authenticated by the browser's cookie.
    CrossSite,
    /// 415: a body that is not `application/json` on a JSON route.
    NotJson,
    /// 403: the token lacks this scope (named in the answer's `scope` field).
    MissingScope(&'static str),
    /// 404: the named thing does not exist.
    NotFound(std::borrow::Cow<'static, str>),
    /// 404: a field names something that does not exist (an unknown `task_id`).
    Unknown(FieldError),
    /// 422: one field broke a rule.
    Invalid(FieldError),
    /// 400: the body is not JSON.
    Malformed(String),
    /// 413: the body is larger than the server accepts.
    PayloadTooLarge,
    /// 503 with `Retry-After`: a bounded resource (such as export slots) is fully in use.
    Busy(&'static str),
    /// 500: logged on the server; the caller learns nothing more.
    Internal,
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::Invalid(e)
    }
}

impl From<app::error::AppError> for ApiError {
    /// Only field errors carry over; everything else a shared helper reports is opaque here.
    fn from(e: app::error::AppError) -> Self {
        match e {
            app::error::AppError::Validation { field, message } => {
                ApiError::Invalid(FieldError::new(field, message))
            }
            app::error::AppError::Unauthorized => ApiError::Unauthorized,
            app::error::AppError::Forbidden => ApiError::Forbidden,
            app::error::AppError::NotFound(what) => ApiError::NotFound(what.into()),
            _ => ApiError::Internal,
        }
    }
}

impl ApiError {
    /// 404 for a named kind of thing.
    pub fn not_found(what: &'static str) -> Self {
        ApiError::NotFound(what.into())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error in API request");
        ApiError::Internal
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "unauthorized", "message": "send a valid API token as `Authorization: Bearer <token>`"}),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                json!({"error": "forbidden", "message": "this needs an admin account or an API token"}),
            ),
            ApiError::CrossSite => (
                StatusCode::FORBIDDEN,
                json!({"error": "cross_site", "message": "requests signed in with a browser session must come from Loupe's own pages (Origin / Sec-Fetch-Site)", "field": "Origin", "rule": "must be this server's origin"}),
            ),
            ApiError::NotJson => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({"error": "unsupported_media_type", "message": "send the body as application/json", "field": "Content-Type", "rule": "must be application/json"}),
            ),
            ApiError::MissingScope(scope) => (
                StatusCode::FORBIDDEN,
                json!({"error": "forbidden", "message": format!("this token lacks the `{scope}` scope; create one with `loupe token create NAME --scope {scope}`"), "scope": scope}),
            ),
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "message": format!("{what} not found")}),
            ),
            ApiError::Unknown(FieldError { field, rule }) => (
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "message": format!("{field} {rule}"), "field": field, "rule": rule}),
            ),
            ApiError::Invalid(FieldError { field, rule }) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "invalid", "message": format!("{field} {rule}"), "field": field, "rule": rule}),
            ),
            ApiError::Malformed(message) => (
                StatusCode::BAD_REQUEST,
                json!({"error": "malformed_json", "message": message, "field": "body", "rule": "must be valid JSON"}),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "payload_too_large", "message": "the request body is larger than this server accepts", "field": "body", "rule": "too large"}),
            ),
            ApiError::Busy(message) => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "busy", "message": message}),
            ),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "internal", "message": "something went wrong on the server; it has been logged"}),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("10"),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer realm=\"loupe\""),
            );
        }
        response
    }
}
