//! The API's one error type and its JSON body ([`ErrorBody`], also the OpenAPI document's
//! schema). Each variant is an outcome the caller can act on; database and other unexpected
//! failures are logged here and leave as an opaque 500.

use app::error::{AppError, FieldError};
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;

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
    /// 403: the token is limited to projects, and this route serves every project.
    ProjectLimited,
    /// 403: the field names a project the token may not use.
    ProjectRefused(FieldError),
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
    /// 401 on the browser's feedback route: no publishable key, or an unknown or revoked one.
    KeyRefused,
    /// 403 on the browser's feedback route: the request's origin (`Origin`, or a preflight's
    /// `Access-Control-Request-*`, named by the field) is not allowed.
    OriginRefused {
        field: &'static str,
        rule: &'static str,
    },
    /// 429 with `Retry-After`: a publishable key, or a client address, sent more than its limit.
    RateLimited {
        field: &'static str,
        rule: String,
        retry_after_secs: u64,
    },
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
            app::error::AppError::Validation(e) => ApiError::Invalid(e),
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

impl From<app::project::Refused> for ApiError {
    fn from(refused: app::project::Refused) -> Self {
        match refused {
            app::project::Refused::Invalid(e) => ApiError::Invalid(e),
            app::project::Refused::Forbidden(e) => ApiError::ProjectRefused(e),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error in API request");
        ApiError::Internal
    }
}

/// A refusal sent before any handler runs, in the caller's error shape: on the JSON API's paths
/// (`api`) the API's JSON for `for_api`; elsewhere (pages, server functions) `for_page`, the
/// `AppError` a page decodes, with `status`.
pub fn refuse(api: bool, for_api: ApiError, status: StatusCode, for_page: AppError) -> Response {
    if api {
        for_api.into_response()
    } else {
        (status, Json(for_page)).into_response()
    }
}

/// Every error body: `{"error", "message", "field"?, "rule"?, "scope"?}`.
// Fields in alphabetical order, the order the API has always sent them in (the body used to be
// a `serde_json::Value`, whose objects sort their keys).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// unauthorized, forbidden, cross_site, not_found, invalid, malformed_json, payload_too_large,
    /// unsupported_media_type, busy, internal; on the browser's feedback route also
    /// origin_refused and rate_limited.
    pub error: &'static str,
    /// The offending field's path in the body or query (for invalid input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a person to read.
    pub message: String,
    /// The rule that field broke.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The scope the token lacks (a 403 for a token without the route's scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'static str>,
}

impl ErrorBody {
    fn new(error: &'static str, message: impl Into<String>) -> Self {
        ErrorBody {
            error,
            field: None,
            message: message.into(),
            rule: None,
            scope: None,
        }
    }

    /// The body names the field and the rule it broke.
    fn about(mut self, field: impl Into<String>, rule: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self.rule = Some(rule.into());
        self
    }

    /// A field error's body: the message is the field and its rule as one sentence.
    fn field_error(error: &'static str, e: FieldError) -> Self {
        ErrorBody::new(error, format!("{} {}", e.field, e.rule)).about(e.field, e.rule)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let bearer_challenge = matches!(self, ApiError::Unauthorized);
        let mut retry_after = None;
        let (status, body) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::new(
                    "unauthorized",
                    "send a valid API token as `Authorization: Bearer <token>`",
                ),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                ErrorBody::new("forbidden", "this needs an admin account or an API token"),
            ),
            ApiError::CrossSite => (
                StatusCode::FORBIDDEN,
                ErrorBody::new(
                    "cross_site",
                    "requests signed in with a browser session must come from Loupe's own pages \
                     (Origin / Sec-Fetch-Site)",
                )
                .about("Origin", "must be this server's origin"),
            ),
            ApiError::NotJson => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorBody::new(
                    "unsupported_media_type",
                    "send the body as application/json",
                )
                .about("Content-Type", "must be application/json"),
            ),
            ApiError::MissingScope(scope) => (
                StatusCode::FORBIDDEN,
                ErrorBody {
                    scope: Some(scope),
                    ..ErrorBody::new(
                        "forbidden",
                        format!(
                            "this token lacks the `{scope}` scope; create one with \
                             `loupe token create NAME --scope {scope}`"
                        ),
                    )
                },
            ),
            ApiError::ProjectLimited => (
                StatusCode::FORBIDDEN,
                ErrorBody::new(
                    "forbidden",
                    "this token is limited to projects, and this route serves every project; \
                     use a token without a project limit",
                ),
            ),
            ApiError::ProjectRefused(e) => (
                StatusCode::FORBIDDEN,
                ErrorBody::field_error("forbidden", e),
            ),
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                ErrorBody::new("not_found", format!("{what} not found")),
            ),
            ApiError::Unknown(e) => (
                StatusCode::NOT_FOUND,
                ErrorBody::field_error("not_found", e),
            ),
            ApiError::Invalid(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody::field_error("invalid", e),
            ),
            ApiError::Malformed(message) => (
                StatusCode::BAD_REQUEST,
                ErrorBody::new("malformed_json", message).about("body", "must be valid JSON"),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorBody::new(
                    "payload_too_large",
                    "the request body is larger than this server accepts",
                )
                .about("body", "too large"),
            ),
            ApiError::KeyRefused => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::new(
                    "unauthorized",
                    "send an active publishable feedback key as `X-Loupe-Key: lpk_…`",
                )
                .about(
                    "X-Loupe-Key",
                    "must be an active publishable feedback key (lpk_…)",
                ),
            ),
            ApiError::OriginRefused { field, rule } => (
                StatusCode::FORBIDDEN,
                ErrorBody::new("origin_refused", format!("{field} {rule}")).about(field, rule),
            ),
            ApiError::RateLimited {
                field,
                rule,
                retry_after_secs,
            } => {
                retry_after = Some(retry_after_secs);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorBody::new(
                        "rate_limited",
                        format!("too many requests: {rule}; try again in {retry_after_secs} s"),
                    )
                    .about(field, rule),
                )
            }
            ApiError::Busy(message) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorBody::new("busy", message),
            ),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorBody::new(
                    "internal",
                    "something went wrong on the server; it has been logged",
                ),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("10"),
            );
        }
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        if bearer_challenge {
            response.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer realm=\"loupe\""),
            );
        }
        response
    }
}
