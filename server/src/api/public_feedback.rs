//! `POST /api/v1/public/feedback`: end-user feedback sent straight from a browser (the widget,
//! `crate::widget`), authenticated by a publishable feedback key (`crate::feedback_keys`) instead
//! of a pipeline's secret token, and answered with CORS for the key's origins only.
//!
//! **Why a route of its own** rather than a key on `POST /feedback`: the token routes never look
//! at a key and this one never looks at a token or a cookie, so no mistake in one check can let a
//! key reach another route; and the CSRF layer can exempt this one path by name (it carries no
//! cookie-borne authority for a forged request to borrow). The body, its checks and its storing
//! are those of `POST /feedback` ([`super::feedback::accept`]), so the model's dissatisfaction
//! rule applies identically.
//!
//! **How the key travels:** in the `X-Loupe-Key` header, not the body, so the body stays exactly
//! the pipeline contract, and because a custom header (like `application/json`) makes every
//! cross-origin request preflighted: a plain `<form>` on another site cannot send it at all.
//!
//! **What the preflight checks:** a preflight (`OPTIONS`) carries no key, only `Origin` and the
//! method and headers the real request will use. It is approved (204 with
//! `Access-Control-Allow-Origin: <that origin>` and `Vary: Origin`) when the method is `POST`, the
//! headers are at most `Content-Type` and `X-Loupe-Key`, and some active key lists the origin;
//! otherwise it is a 403 without CORS headers, so the browser never sends the request. The real
//! request is then checked against its own key: its `Origin` must be on that key's list (a 403
//! naming the rule, nothing stored, no CORS headers otherwise). No credentials are allowed
//! (`Access-Control-Allow-Credentials` is never sent; the widget sends none).
//!
//! **Limits:** the body is at most [`BODY_BYTES`]; each key and each client address (see
//! `app::client_addr`; an IPv6 /64 counts as one) may send `Settings::key_rate` requests per
//! window (`app::key_rate`; 429 with `Retry-After` over it). Errors are the API's JSON; those sent
//! to an allowed origin carry the CORS headers, so the page can read and show them.

use super::error::ApiError;
use super::feedback::{Received, accept};
use crate::feedback_keys::{self, HEADER};
use app::client_addr::{client_ip, throttle_key};
use app::end_users::store::Sender;
use app::key_rate::{self, Limited};
use app::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use std::net::SocketAddr;

/// The route's path.
pub const PATH: &str = "/api/v1/public/feedback";

/// Largest body accepted: a comment of 10,000 characters (the rule of `POST /feedback`) fits
/// even as four-byte characters, as a browser's `JSON.stringify` writes them.
pub const BODY_BYTES: usize = 64 * 1024;

/// The request headers a page may send (besides those every request may carry).
const ALLOWED_HEADERS: [&str; 2] = ["content-type", HEADER];

/// How long a browser may reuse an approved preflight, in seconds: a revoked key's origin is
/// still preflighted for at most this long, and its requests are refused all the same.
const PREFLIGHT_MAX_AGE: &str = "600";

const ORIGIN_RULE: &str = "must be one of the feedback key's allowed origins";

/// `OPTIONS`: the browser asks whether the page at `Origin` may send feedback.
pub async fn preflight(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(origin) = origin(&headers) else {
        return refused("Origin", ORIGIN_RULE);
    };
    let method = headers
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok());
    if method != Some("POST") {
        return refused("Access-Control-Request-Method", "must be POST");
    }
    let asked = headers
        .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty());
    for name in asked {
        if !ALLOWED_HEADERS.contains(&name.as_str()) {
            return refused(
                "Access-Control-Request-Headers",
                "may name only Content-Type and X-Loupe-Key",
            );
        }
    }
    match feedback_keys::origin_listed(&state.pool, origin).await {
        Ok(true) => {}
        Ok(false) => {
            return refused(
                "Origin",
                "must be an allowed origin of an active feedback key",
            );
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    allow(h, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, x-loupe-key"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    res
}

/// `POST`: one piece of end-user feedback, the body of `POST /feedback`.
pub async fn receive(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(origin) = origin(&headers) else {
        return refused("Origin", ORIGIN_RULE);
    };
    let presented = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    let key = match feedback_keys::find(&state.pool, presented).await {
        Ok(Some(key)) => key,
        // The page cannot read the refusal unless its origin was approved at all: the same test
        // as the preflight's.
        Ok(None) => {
            let readable = feedback_keys::origin_listed(&state.pool, origin)
                .await
                .unwrap_or(false);
            let mut res = ApiError::KeyRefused.into_response();
            if readable {
                allow(res.headers_mut(), origin);
            }
            return res;
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    if !key.allows(origin) {
        return refused("Origin", ORIGIN_RULE);
    }
    let address = throttle_key(client_ip(
        peer.ip(),
        &headers,
        &state.settings.trusted_proxies,
    ));
    let rate = state.settings.key_rate;
    let mut answer = match key_rate::hit(&state.pool, &rate, key.id, &address).await {
        Ok(Ok(())) => match accept(&state, body, Sender::Key(key.id), None).await {
            // A publishable key is in every visitor's hands: it does not answer whether an
            // output exists (pipelines' external ids are often guessable). Nothing is stored.
            Err(ApiError::Unknown(e)) if e.field == "task_id" => {
                tracing::info!(key = key.id, "feedback through a key named no known output");
                Json(Received { status: "received" }).into_response()
            }
            answer => answer.into_response(),
        },
        Ok(Err(limited)) => over_limit(&rate, limited).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    };
    allow(answer.headers_mut(), origin);
    answer
}

/// The request's `Origin`, when it sent a usable one (`null`, from a sandboxed frame or a file,
/// is none).
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| !o.is_empty() && *o != "null")
}

/// The CORS answer for an approved `origin`. Only ever called with an origin a key lists.
fn allow(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    // So the widget can read how long a 429 asks it to wait.
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Retry-After"),
    );
}

/// 403 naming the rule, without CORS headers (the browser keeps the page from reading it).
fn refused(field: &'static str, rule: &'static str) -> Response {
    let mut res = ApiError::OriginRefused { field, rule }.into_response();
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Origin"));
    res
}

fn over_limit(rate: &key_rate::KeyRate, limited: Limited) -> ApiError {
    let secs = rate.window.as_secs().max(1);
    let (field, limit, per) = match limited.bucket {
        "key" => ("X-Loupe-Key", rate.per_key, "key"),
        _ => ("client address", rate.per_address, "client address"),
    };
    ApiError::RateLimited {
        field,
        rule: format!("at most {limit} requests per {secs} s per {per}"),
        retry_after_secs: limited.retry_after_secs,
    }
}
