//! `GET /widget.js`: the embeddable end-user feedback widget (`server/static/widget.js`, compiled
//! into the binary). A product page includes it with its publishable key, and it renders thumbs,
//! a rating, a comment and a correction box beside each `[data-loupe-output]` element, sending to
//! `POST /api/v1/public/feedback` (`crate::api::public_feedback`).
//!
//! Served to any page (it is public, like the key it carries): cacheable for an hour, with
//! `Cross-Origin-Resource-Policy: cross-origin` so pages that isolate themselves (COEP) can load
//! it, and `nosniff` (set for every answer by `crate::headers`) with the right content type.

use axum::response::IntoResponse;
use http::{HeaderValue, header};

/// The script's path.
pub const PATH: &str = "/widget.js";

/// The script as served.
pub const SCRIPT: &str = include_str!("../static/widget.js");

pub async fn script() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                HeaderValue::from_static("cross-origin"),
            ),
        ],
        SCRIPT,
    )
}
