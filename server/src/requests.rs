//! Checks every request gets before a handler sees it: text PostgreSQL cannot store in the URL,
//! and, for the server functions the pages call (`/api/<name>`, form-encoded), a body limit
//! sized to the function and the storable-text rule on every form field.
//!
//! The rule itself lives in `app::domain::check_storable`; the JSON API applies it to its typed
//! bodies (`api::json_body`, `ingest`), this module to what arrives as URL or form text, so every
//! field any caller sends meets it before anything reaches the database.

use crate::api::error::ApiError;
use app::domain::STORABLE_TEXT_RULE;
use app::error::{AppError, FieldError};
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

/// Body limit of an ordinary server function: a handful of short form fields.
pub const FORM_BYTES: usize = 64 * 1024;
/// Body limit of the server functions that take a reviewer's comment and corrected summary, or
/// the guidelines: each text may be 100,000 characters, and a character may take 12 bytes once
/// percent-encoded (4 UTF-8 bytes as `%XX`).
pub const LONG_FORM_BYTES: usize = 4 * 1024 * 1024;

/// The server functions that legitimately take long text.
const LONG_FORMS: [&str; 3] = [
    "/api/review/submit",
    "/api/history/amend",
    "/api/admin/guidelines",
];

/// Refuses a URL with an encoded NUL (422 naming the parameter), then, for server functions,
/// an oversized body (413) or a form field with a NUL (422 naming the field).
pub async fn check(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let api = crate::api::is_json_api(path);
    let server_fn = path.starts_with("/api/") && !api && path != "/api/docs";
    if path.contains("%00") {
        return refuse(api, "path", STORABLE_TEXT_RULE);
    }
    if let Some(query) = req.uri().query()
        && let Some(field) = field_with_nul(query.as_bytes())
    {
        return refuse(api, &field, STORABLE_TEXT_RULE);
    }
    if !server_fn {
        return next.run(req).await;
    }
    let limit = if LONG_FORMS.contains(&path) {
        LONG_FORM_BYTES
    } else {
        FORM_BYTES
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return too_large();
    };
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form && let Some(field) = field_with_nul(&bytes) {
        return refuse(false, &field, STORABLE_TEXT_RULE);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// 422 naming `field`, in the caller's error shape.
fn refuse(api: bool, field: &str, rule: &str) -> Response {
    let error = FieldError::new(field, rule);
    crate::api::error::refuse(
        api,
        ApiError::Invalid(error.clone()),
        StatusCode::UNPROCESSABLE_ENTITY,
        error.into(),
    )
}

fn too_large() -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        axum::Json(AppError::invalid(
            "form",
            "is larger than this server accepts",
        )),
    )
        .into_response()
}

/// The name of the first `name=value` pair of a form or query string whose decoded name or
/// value holds a NUL byte.
fn field_with_nul(encoded: &[u8]) -> Option<String> {
    encoded.split(|&b| b == b'&').find_map(|pair| {
        let mut halves = pair.splitn(2, |&b| b == b'=');
        let name = form_decode(halves.next().unwrap_or_default());
        let value = form_decode(halves.next().unwrap_or_default());
        (name.contains(&0) || value.contains(&0)).then(|| {
            let name = String::from_utf8_lossy(&name).replace('\0', "");
            if name.is_empty() {
                "form".to_owned()
            } else {
                name
            }
        })
    })
}

/// Percent-decoding as forms use it (`+` is a space); a malformed escape stays as it is.
pub fn form_decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_anywhere_in_a_form_names_its_field() {
        assert_eq!(
            field_with_nul(b"task_id=1&comment=a%00b"),
            Some("comment".into())
        );
        assert_eq!(field_with_nul(b"comment=fine+text%21&x=%0"), None);
        assert_eq!(field_with_nul(b"text%00=1"), Some("text".into()));
        assert_eq!(field_with_nul(b"%00"), Some("form".into()));
        assert_eq!(form_decode(b"a+b%41%4"), b"a bA%4".to_vec());
    }
}
