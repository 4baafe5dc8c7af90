//! The error a form posted without scripts comes back with, signed so that a link cannot forge
//! one.
//!
//! When a server function refuses a plain HTML form post, Leptos redirects the browser back to
//! the form's page with `?__path=<function>&__err=<the error, base64>`, and the page shows that
//! error beside its field. Taken as given, that lets anyone craft a link that shows a reviewer
//! text of their choosing inside Loupe's login form ("your session expired, call …").
//!
//! So the redirect is signed here on its way out (`__sig`: a time and an HMAC-SHA256 of the time,
//! the function and the error under a key only the server knows), and on the way in, a page
//! request whose error is unsigned, wrongly signed, repeated or older than
//! [`MAX_AGE_SECS`] has the three parameters removed before Leptos reads the URL. A page
//! therefore only ever shows an error this server produced, for this function, minutes ago.

use crate::requests::form_decode;
use anyhow::{Context, Result};
use app::auth::SigningKey;
use app::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderValue, Method, Uri, header};
use sha2::Sha256;

/// How long a signed error stays showable: long enough for a slow redirect, short enough that an
/// old link to one shows nothing.
pub const MAX_AGE_SECS: i64 = 600;

const PARAMS: [&str; 3] = ["__path", "__err", "__sig"];

/// The deployment's key for these signatures, made at first start and shared by every replica.
pub async fn load_key(pool: &sqlx::PgPool) -> Result<SigningKey> {
    let fresh = SigningKey::default();
    sqlx::query!(
        "insert into server_keys (name, key) values ('form_errors', $1)
         on conflict (name) do nothing",
        fresh.bytes()
    )
    .execute(pool)
    .await
    .context("cannot store the form-error key")?;
    let key = sqlx::query_scalar!("select key from server_keys where name = 'form_errors'")
        .fetch_one(pool)
        .await
        .context("cannot read the form-error key")?;
    Ok(SigningKey::new(&key))
}

/// The middleware: strips unverifiable errors from incoming page URLs, signs outgoing ones.
pub async fn check(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let key = &state.settings.form_error_key;
    let now = chrono::Utc::now().timestamp();
    let browser = browser_binding(req.headers(), state.settings.secure_cookies);
    if let Some(query) = req.uri().query()
        && let Some(kept) = strip_unverified(query, key, &browser, now)
    {
        tracing::warn!(path = %req.uri().path(), "dropped an unsigned or stale form error from a URL");
        let path = req.uri().path();
        let rebuilt = if kept.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{kept}")
        };
        if let Ok(uri) = rebuilt.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    // Only the refusal of a form posted to this very function is signed: a redirect elsewhere
    // (login's `next`, say) that merely carries error parameters is not vouched for.
    let posted_to = (req.method() == Method::POST).then(|| req.uri().path().to_owned());
    let mut res = next.run(req).await;
    if let Some(posted_to) = posted_to
        && res.status().is_redirection()
        && let Some(location) = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
        && let Some(signed) = sign_location(location, &posted_to, key, &browser, now)
        && let Ok(value) = HeaderValue::from_str(&signed)
    {
        res.headers_mut().insert(header::LOCATION, value);
    }
    res
}

/// What ties a signed error to one browser: the digest of its session cookie (empty when signed
/// out). A signed link copied to someone else shows them nothing, so an error that quotes what
/// its sender typed cannot be passed on as a message from Loupe.
fn browser_binding(headers: &http::HeaderMap, secure_cookies: bool) -> Vec<u8> {
    app::auth::session_secret(headers, secure_cookies)
        .map(|secret| app::auth::sha256(&secret))
        .unwrap_or_default()
}

/// The MAC of one error: `time`, the browser, the function's path and the encoded error, decoded
/// from the URL.
fn mac(key: &SigningKey, time: i64, browser: &[u8], path: &[u8], err: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key.bytes()).expect("HMAC takes any key");
    mac.update(format!("loupe-form-error-v2\n{time}\n").as_bytes());
    mac.update(&(browser.len() as u64).to_be_bytes());
    mac.update(browser);
    mac.update(path);
    mac.update(b"\n");
    mac.update(err);
    app::hex::encode(&mac.finalize().into_bytes())
}

/// The pairs of a query string, raw (still encoded), with each name decoded.
fn pairs(query: &str) -> Vec<(String, &str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                String::from_utf8_lossy(&form_decode(name.as_bytes())).into_owned(),
                value,
                pair,
            )
        })
        .collect()
}

/// `None` when the query holds no form error or a valid one; otherwise the query without the
/// error's parameters.
fn strip_unverified(query: &str, key: &SigningKey, browser: &[u8], now: i64) -> Option<String> {
    let pairs = pairs(query);
    let ours: Vec<_> = pairs
        .iter()
        .filter(|(name, _, _)| PARAMS.contains(&name.as_str()))
        .collect();
    if ours.is_empty() {
        return None;
    }
    let one = |wanted: &str| {
        let mut found = ours.iter().filter(|(name, _, _)| name == wanted);
        match (found.next(), found.next()) {
            (Some((_, value, _)), None) => Some(form_decode(value.as_bytes())),
            _ => None,
        }
    };
    let valid = match (one("__path"), one("__err"), one("__sig")) {
        (Some(path), Some(err), Some(sig)) => {
            let sig = String::from_utf8_lossy(&sig).into_owned();
            sig.split_once('.').is_some_and(|(time, given)| {
                time.parse::<i64>().is_ok_and(|time| {
                    (0..=MAX_AGE_SECS).contains(&(now - time))
                        && constant_time_eq(
                            mac(key, time, browser, &path, &err).as_bytes(),
                            given.as_bytes(),
                        )
                })
            })
        }
        _ => false,
    };
    if valid {
        return None;
    }
    Some(
        pairs
            .iter()
            .filter(|(name, _, _)| !PARAMS.contains(&name.as_str()))
            .map(|(_, _, raw)| *raw)
            .collect::<Vec<_>>()
            .join("&"),
    )
}

/// `location` with `__sig` added, when it carries the error of the function at `posted_to`.
/// Leptos appends the error to the URL of the page that posted, which may already hold (forged)
/// error parameters: only the last `__path` and `__err`, the ones Leptos added, are kept and
/// signed, and only if that `__path` is the function that was posted to.
fn sign_location(
    location: &str,
    posted_to: &str,
    key: &SigningKey,
    browser: &[u8],
    now: i64,
) -> Option<String> {
    if location.contains('#') {
        // Leptos never adds a fragment here; refuse to guess where the parameter would go.
        return None;
    }
    let (base, query) = location.split_once('?')?;
    let pairs = pairs(query);
    let last = |wanted: &str| {
        pairs
            .iter()
            .rev()
            .find(|(name, _, _)| name == wanted)
            .map(|(_, value, _)| *value)
    };
    let (path, err) = (last("__path")?, last("__err")?);
    if form_decode(path.as_bytes()) != posted_to.as_bytes() {
        return None;
    }
    let mut kept: Vec<&str> = pairs
        .iter()
        .filter(|(name, _, _)| !PARAMS.contains(&name.as_str()))
        .map(|(_, _, raw)| *raw)
        .collect();
    let signature = format!(
        "__sig={now}.{}",
        mac(
            key,
            now,
            browser,
            &form_decode(path.as_bytes()),
            &form_decode(err.as_bytes())
        )
    );
    let (path, err) = (format!("__path={path}"), format!("__err={err}"));
    kept.extend([path.as_str(), err.as_str(), signature.as_str()]);
    Some(format!("{base}?{}", kept.join("&")))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &[u8] = b"my session";

    #[test]
    fn a_signed_error_passes_and_a_forged_or_stale_one_is_removed() {
        let key = SigningKey::default();
        let location =
            "http://127.0.0.1:3000/login?next=%2Fadmin&__path=%2Fapi%2Flogin&__err=eyJ4IjoxfQ";
        let signed = sign_location(location, "/api/login", &key, ME, 1000).unwrap();
        let query = signed.split_once('?').unwrap().1;
        let strip = |query: &str, now| strip_unverified(query, &key, ME, now);
        assert_eq!(strip(query, 1000), None);
        assert_eq!(strip(query, 1000 + MAX_AGE_SECS), None);
        // Too old, or from the future.
        assert_eq!(
            strip(query, 1001 + MAX_AGE_SECS).as_deref(),
            Some("next=%2Fadmin")
        );
        assert_eq!(strip(query, 999).as_deref(), Some("next=%2Fadmin"));
        // Another key, another browser, an unsigned error, a changed error, a repeated parameter.
        assert!(strip_unverified(query, &SigningKey::default(), ME, 1000).is_some());
        assert!(strip_unverified(query, &key, b"", 1000).is_some());
        assert!(strip_unverified(query, &key, b"someone else", 1000).is_some());
        assert_eq!(
            strip("__path=%2Fapi%2Flogin&__err=eyJ4IjoxfQ", 1000).as_deref(),
            Some("")
        );
        let changed = query.replace("eyJ4IjoxfQ", "eyJ4IjoyfQ");
        assert!(strip(&changed, 1000).is_some());
        let repeated = format!("{query}&__err=eyJ4IjoyfQ");
        assert!(strip(&repeated, 1000).is_some());
        // Forged parameters already in the page's URL are dropped when the real error is signed.
        let forged = "http://h/login?__path=%2Fapi%2Flogin&__err=Zm9yZ2Vk&next=%2F&__path=%2Fapi%2Flogin&__err=cmVhbA";
        let signed = sign_location(forged, "/api/login", &key, ME, 1000).unwrap();
        assert!(
            signed.starts_with(
                "http://h/login?next=%2F&__path=%2Fapi%2Flogin&__err=cmVhbA&__sig=1000."
            ),
            "{signed}"
        );
        assert_eq!(strip(signed.split_once('?').unwrap().1, 1000), None);
        // A query without a form error is left alone.
        assert_eq!(strip("next=%2Fadmin", 1000), None);
    }

    #[test]
    fn only_the_error_of_the_function_posted_to_is_signed() {
        let key = SigningKey::default();
        // Login's redirect to a `next` that carries another function's error parameters.
        let smuggled = "/account?__path=%2Fapi%2Faccount%2Fpassword&__err=Zm9yZ2Vk";
        assert_eq!(sign_location(smuggled, "/api/login", &key, ME, 1000), None);
        assert!(sign_location(smuggled, "/api/account/password", &key, ME, 1000).is_some());
    }
}
