//! Cross-site request forgery: which state-changing requests may proceed.
//!
//! A browser attaches Loupe's session cookie to a request whatever page made it, and
//! `SameSite=Lax` counts another port on the same host, or a sibling subdomain, as the same
//! site. So every unsafe request (POST, PUT, PATCH, DELETE) that a browser could send on a
//! person's behalf must show it comes from one of Loupe's own pages:
//!
//! - `Sec-Fetch-Site`, when the browser sends it, must be `same-origin`;
//! - otherwise `Origin` (or, failing that, `Referer`) must be Loupe's own origin: the configured
//!   public URL (`LOUPE_PUBLIC_URL`), or without one, the `Host` the request was sent to;
//! - a request that carries a session cookie but none of those headers is refused too, because
//!   every current browser sends them on unsafe requests (OWASP's advice: block when absent).
//!
//! Exempt: requests to the JSON API authenticated by an API token (`Authorization: Bearer …`). A page on another
//! origin cannot set that header without a CORS preflight, which Loupe never approves, and a
//! token is not sent by the browser on its own. A request with neither a cookie nor browser
//! headers (a script signing in with curl) is not a browser acting for someone, so it passes;
//! login CSRF needs a browser, and the browser sends `Origin`.
//!
//! Exempt too: `POST /api/v1/public/feedback`, the one route meant for other origins. It reads no
//! cookie and authenticates by a publishable key and that key's allowed origins
//! (`crate::api::public_feedback`); a forged request there can do no more than the key itself,
//! store end-user feedback, and the JSON rule below still forces a preflight.
//!
//! The JSON routes (`/api/v1/…`, `/feedback`) also take bodies only as `application/json`: a
//! `text/plain` body is what a cross-site page can send without a preflight.

use crate::api::error::ApiError;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, header};

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 403: the request came from another origin (or could not show where it came from).
    CrossSite,
    /// 415: a JSON route was sent a body that is not `application/json`.
    NotJson,
}

/// The middleware: refuses cross-site unsafe requests (403) and non-JSON bodies on JSON routes
/// (415), each in the caller's error shape.
pub async fn check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let api = crate::api::is_json_api(path);
    match decide(
        req.method(),
        path,
        req.headers(),
        state.settings.public_origin.as_deref(),
        &state.settings.session_cookie_name(),
    ) {
        Ok(()) => next.run(req).await,
        Err(refusal) => {
            tracing::warn!(method = %req.method(), path = %path, ?refusal,
                origin = ?req.headers().get(header::ORIGIN),
                sec_fetch_site = ?req.headers().get("sec-fetch-site"),
                "request refused: cross-site or wrong content type");
            refuse(api, refusal)
        }
    }
}

/// The decision, apart from the HTTP plumbing. `public_origin` is the normalized configured
/// origin (`https://loupe.example.com`), if any; `cookie` the session cookie's name.
pub fn decide(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    public_origin: Option<&str>,
    cookie: &str,
) -> Result<(), Refusal> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let api = crate::api::is_json_api(path);
    if api && has_body(headers) && !is_json(headers) {
        return Err(Refusal::NotJson);
    }
    // Only the JSON API takes tokens; a server function authenticates by cookie alone, so a
    // bearer header there exempts nothing.
    if api && bearer(headers) {
        return Ok(());
    }
    // The browser's feedback route is meant to be called from other origins: it authenticates
    // by its publishable key and the key's origins, reads no cookie, and can only store feedback.
    if path == crate::api::public_feedback::PATH {
        return Ok(());
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return if site.as_bytes().eq_ignore_ascii_case(b"same-origin") {
            Ok(())
        } else {
            Err(Refusal::CrossSite)
        };
    }
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match claimed {
        Some(claimed) => {
            if is_own_origin(claimed, headers, public_origin) {
                Ok(())
            } else {
                Err(Refusal::CrossSite)
            }
        }
        None if has_cookie(headers, cookie) => Err(Refusal::CrossSite),
        None => Ok(()),
    }
}

/// Whether `claimed` (an `Origin`, or a `Referer` URL) is Loupe's own origin.
fn is_own_origin(claimed: &str, headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let Some(claimed) = origin_of(claimed) else {
        // `Origin: null` (a sandboxed frame, a file) and anything unparsable are foreign.
        return false;
    };
    match public_origin {
        Some(own) => claimed == own,
        // Without a configured public URL, "own" is the host the browser sent the request to.
        // The scheme is not known here (a TLS proxy may sit in front), so either is accepted:
        // the host and port must match exactly.
        None => headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|host| {
                let authority = claimed.split_once("://").map_or("", |(_, a)| a);
                let scheme = claimed.split_once("://").map_or("", |(s, _)| s);
                authority == normalize_authority(scheme, &host.to_ascii_lowercase())
            }),
    }
}

/// The normalized origin (`scheme://host[:port]`, lowercase, default port dropped) of a URL or
/// an origin, or `None` when it has no http(s) scheme and host.
pub fn origin_of(url: &str) -> Option<String> {
    let uri: http::Uri = url.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    let authority = normalize_authority(&scheme, &authority.as_str().to_ascii_lowercase());
    Some(format!("{scheme}://{authority}"))
}

/// `host:port` without the scheme's default port.
fn normalize_authority(scheme: &str, authority: &str) -> String {
    let default = match scheme {
        "https" => ":443",
        _ => ":80",
    };
    authority
        .strip_suffix(default)
        .unwrap_or(authority)
        .to_owned()
}

fn bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "))
}

fn has_cookie(headers: &HeaderMap, name: &str) -> bool {
    app::auth::cookie_value(headers, name).is_some()
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// The refusal in the caller's error shape: the API's JSON, or the `AppError` a page decodes.
/// Only JSON routes are refused for their content type, so that refusal is always the API's.
fn refuse(api: bool, refusal: Refusal) -> Response {
    match refusal {
        Refusal::NotJson => ApiError::NotJson.into_response(),
        Refusal::CrossSite => crate::api::error::refuse(
            api,
            ApiError::CrossSite,
            StatusCode::FORBIDDEN,
            AppError::invalid(
                "form",
                "this form was sent from another site; open Loupe and try again",
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn post(
        path: &str,
        pairs: &[(&'static str, &str)],
        public: Option<&str>,
    ) -> Result<(), Refusal> {
        decide(
            &Method::POST,
            path,
            &headers(pairs),
            public,
            "loupe_session",
        )
    }

    #[test]
    fn same_origin_requests_pass_and_other_origins_do_not() {
        let host = ("host", "127.0.0.1:3000");
        assert_eq!(
            post(
                "/api/login",
                &[host, ("origin", "http://127.0.0.1:3000")],
                None
            ),
            Ok(())
        );
        assert_eq!(
            post(
                "/api/login",
                &[host, ("sec-fetch-site", "same-origin")],
                None
            ),
            Ok(())
        );
        for foreign in [
            "http://127.0.0.1:8080",
            "http://evil",
            "null",
            "http://127.0.0.1:3000.evil",
        ] {
            assert_eq!(
                post("/api/admin/routing", &[host, ("origin", foreign)], None),
                Err(Refusal::CrossSite),
                "{foreign}"
            );
        }
        for site in ["same-site", "cross-site", "none"] {
            assert_eq!(
                post(
                    "/api/admin/routing",
                    &[
                        host,
                        ("sec-fetch-site", site),
                        ("origin", "http://127.0.0.1:3000")
                    ],
                    None
                ),
                Err(Refusal::CrossSite),
                "{site}"
            );
        }
    }

    #[test]
    fn a_configured_public_url_decides_what_own_means() {
        let public = Some("https://loupe.example.com");
        let behind_proxy = ("host", "10.0.0.5:3000");
        assert_eq!(
            post(
                "/api/x",
                &[behind_proxy, ("origin", "https://loupe.example.com")],
                public
            ),
            Ok(())
        );
        assert_eq!(
            post(
                "/api/x",
                &[behind_proxy, ("origin", "https://loupe.example.com:443")],
                public
            ),
            Ok(())
        );
        assert_eq!(
            post(
                "/api/x",
                &[behind_proxy, ("origin", "http://loupe.example.com")],
                public
            ),
            Err(Refusal::CrossSite)
        );
        assert_eq!(
            post(
                "/api/x",
                &[behind_proxy, ("origin", "http://10.0.0.5:3000")],
                public
            ),
            Err(Refusal::CrossSite)
        );
    }

    #[test]
    fn a_cookie_without_browser_headers_is_refused_and_a_token_is_exempt() {
        let host = ("host", "127.0.0.1:3000");
        assert_eq!(
            post(
                "/api/review/submit",
                &[host, ("cookie", "loupe_session=abc")],
                None
            ),
            Err(Refusal::CrossSite)
        );
        assert_eq!(post("/api/login", &[host], None), Ok(()));
        assert_eq!(
            post(
                "/api/v1/webhooks",
                &[
                    host,
                    ("authorization", "Bearer loupe_x"),
                    ("origin", "http://evil"),
                    ("content-type", "application/json"),
                    ("content-length", "2")
                ],
                None
            ),
            Ok(())
        );
        // A bearer header exempts nothing on a server function, which reads only the cookie.
        assert_eq!(
            post(
                "/api/admin/routing",
                &[
                    host,
                    ("cookie", "loupe_session=abc"),
                    ("authorization", "Bearer loupe_x"),
                    ("origin", "http://evil")
                ],
                None
            ),
            Err(Refusal::CrossSite)
        );
        assert_eq!(
            post(
                "/api/x",
                &[host, ("referer", "http://127.0.0.1:3000/admin?x=1")],
                None
            ),
            Ok(())
        );
        assert_eq!(
            post("/api/x", &[host, ("referer", "http://evil/admin")], None),
            Err(Refusal::CrossSite)
        );
        assert_eq!(
            decide(
                &Method::GET,
                "/api/x",
                &headers(&[host, ("origin", "http://evil")]),
                None,
                "loupe_session"
            ),
            Ok(())
        );
    }

    #[test]
    fn json_routes_take_only_json_bodies() {
        let host = ("host", "127.0.0.1:3000");
        let cookie = ("cookie", "loupe_session=abc");
        let same = ("origin", "http://127.0.0.1:3000");
        assert_eq!(
            post(
                "/api/v1/webhooks",
                &[
                    host,
                    cookie,
                    same,
                    ("content-type", "text/plain"),
                    ("content-length", "9")
                ],
                None
            ),
            Err(Refusal::NotJson)
        );
        assert_eq!(
            post(
                "/api/v1/webhooks",
                &[
                    host,
                    cookie,
                    same,
                    ("content-type", "Application/JSON; charset=utf-8"),
                    ("content-length", "9")
                ],
                None
            ),
            Ok(())
        );
        // No body at all (a resend, a DELETE) needs no content type.
        assert_eq!(
            post(
                "/api/v1/webhooks/deliveries/1/resend",
                &[host, cookie, same],
                None
            ),
            Ok(())
        );
    }

    #[test]
    fn origins_are_normalized() {
        assert_eq!(
            origin_of("HTTPS://Loupe.Example.com:443/x?y").as_deref(),
            Some("https://loupe.example.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(origin_of("http://user@evil"), None);
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("javascript:alert(1)"), None);
    }
}
