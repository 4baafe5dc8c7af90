//! Security headers on every answer: the Content Security Policy (with a fresh nonce for each
//! page), framing, sniffing, referrers, HSTS and caching.
//!
//! The policy is what makes a missed escape harmless: Loupe shows attacker-influenced text on
//! every page, and under this CSP a `<script>` that slipped through does not run, because only
//! scripts from Loupe's own origin and inline scripts carrying this answer's nonce do. The nonce
//! is made here and handed to Leptos (see [`CspNonce`]), which puts it on the hydration script
//! and on the inline scripts that carry resource data.
//!
//! Signed-in pages and the API's answers carry documents, so nothing is cached (`no-store`):
//! after signing out, Back shows no document from the browser's cache. Only the built assets
//! under `/pkg/` (names that change with their content) and static files may be cached.

use app::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};
use std::sync::Arc;

/// This request's CSP nonce, in the request's extensions for the page renderer.
#[derive(Debug, Clone)]
pub struct CspNonce(pub Arc<str>);

/// The policy of every HTML page, for a page whose inline scripts carry `nonce`.
///
/// - `script-src`: Loupe's own files, inline scripts with this answer's nonce, and compiling
///   WebAssembly (`'wasm-unsafe-eval'`, which allows no JavaScript `eval`).
/// - `style-src 'self'` and the nonce: the stylesheet, and the API docs page's one `<style>`;
///   no `style` attributes (Loupe writes none).
/// - `img-src 'self' data:`: the favicon and inline SVG data.
/// - `connect-src 'self'`: server functions and the WASM fetch.
/// - `frame-ancestors 'none'`: no page of Loupe's may be framed (clickjacking).
/// - `form-action 'self'`: a form can only post to Loupe, even if markup were injected.
/// - `base-uri 'none'`, `object-src 'none'`: no `<base>` hijack, no plugins.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// The policy of everything that is not an HTML page (JSON, CSV, files): nothing may run or
/// load, and nothing may frame it.
pub const DATA_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The middleware: gives the request a nonce, then sets the headers on the answer. A handler
/// that set its own `Content-Security-Policy` keeps it (none does today: the API docs page
/// carries the nonce on its one `<style>` instead).
pub async fn add(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // 128 random bits, hex (valid in a CSP nonce).
    let nonce: Arc<str> = app::auth::random_secret()[..32].into();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let cacheable = req.uri().path().starts_with("/pkg/");
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if is_html(headers) {
            HeaderValue::from_str(&page_policy(&nonce)).ok()
        } else {
            Some(HeaderValue::from_static(DATA_POLICY))
        };
        if let Some(policy) = policy {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Older browsers' form of `frame-ancestors 'none'`.
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    // Same-origin requests keep their Referer (a form posted without scripts is answered with a
    // redirect back to it); nothing about a page leaks to other sites.
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, "cross-origin-opener-policy", "same-origin");
    if state.settings.hsts {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000",
        );
    }
    if !cacheable && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Sets a header unless the handler already did.
fn set(headers: &mut HeaderMap, name: impl header::IntoHeaderName, value: &'static str) {
    headers
        .entry(name)
        .or_insert_with(|| HeaderValue::from_static(value));
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// Hands this request's nonce to Leptos while a page renders, in place of the one Leptos would
/// make up (which the CSP header would not know). Called from the page renderer's context.
pub fn provide_nonce_to_leptos() {
    use leptos::prelude::{provide_context, use_context};
    if let Some(nonce) = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_only_own_and_nonced_scripts() {
        let p = page_policy("abc");
        assert!(p.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(!p.contains("unsafe-inline") && !p.contains("'unsafe-eval'"));
        for directive in [
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(p.contains(directive), "{directive}");
        }
    }
}
