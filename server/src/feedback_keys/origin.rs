//! The origins a publishable feedback key lists: each an exact `scheme://host[:port]`, checked
//! and normalised when the key is made, so the request-time check is a string comparison with the
//! browser's `Origin` header (which browsers send in this same form).
//!
//! No wildcards: `*` or `https://*.shop.example` would let any page (or any subdomain, including
//! one a third party hosts user content on) send feedback as the product. A product with several
//! sites lists each; a key holds up to [`MAX_ORIGINS`].

use app::error::FieldError;

/// The most origins one key may list.
pub const MAX_ORIGINS: usize = 50;

/// `raw` as the origin a browser would send for it: scheme and host lower-cased, the scheme's
/// default port dropped, a trailing `/` removed. Anything else (a path, a query, credentials, a
/// wildcard, another scheme, `null`) is refused with the rule it broke.
pub fn normalise(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.contains('*') {
        return Err(format!(
            "{raw:?}: wildcards are not accepted; list each origin (scheme://host[:port])"
        ));
    }
    let uri: http::Uri = raw
        .parse()
        .map_err(|_| format!("{raw:?} is not an origin (scheme://host[:port])"))?;
    let scheme = uri
        .scheme_str()
        .map(str::to_ascii_lowercase)
        .filter(|s| s == "http" || s == "https")
        .ok_or_else(|| format!("{raw:?}: the scheme must be http or https"))?;
    let authority = uri
        .authority()
        .filter(|a| !a.host().is_empty())
        .ok_or_else(|| format!("{raw:?}: an origin needs a host"))?;
    if authority.as_str().contains('@') {
        return Err(format!("{raw:?}: an origin has no user name or password"));
    }
    let tail = uri.path_and_query().map_or("", |p| p.as_str());
    if !(tail.is_empty() || tail == "/") || raw.ends_with('?') || raw.contains('#') {
        return Err(format!(
            "{raw:?}: an origin has no path, query or fragment (scheme://host[:port])"
        ));
    }
    let host = authority.host().to_ascii_lowercase();
    let default_port = if scheme == "https" { 443 } else { 80 };
    Ok(match authority.port_u16() {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// Every origin of `raw` normalised, without repeats, in the order given; at least one and at
/// most [`MAX_ORIGINS`]. A refusal names the field (`origins`, or `origins[i]` for one origin).
pub fn normalise_all(raw: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for (i, one) in raw.iter().enumerate() {
        let origin =
            normalise(one).map_err(|rule| FieldError::new(format!("origins[{i}]"), rule))?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    if out.is_empty() {
        return Err(FieldError::new(
            "origins",
            "must list at least one origin (scheme://host[:port])",
        ));
    }
    if out.len() > MAX_ORIGINS {
        return Err(FieldError::new(
            "origins",
            format!("may list at most {MAX_ORIGINS} origins"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_as_browsers_send_them() {
        for (raw, want) in [
            ("https://Shop.Example", "https://shop.example"),
            ("https://shop.example/", "https://shop.example"),
            ("https://shop.example:443", "https://shop.example"),
            ("http://shop.example:80/", "http://shop.example"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("HTTPS://shop.example:8443", "https://shop.example:8443"),
            ("http://[::1]:3000", "http://[::1]:3000"),
        ] {
            assert_eq!(normalise(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn anything_but_an_exact_origin_is_refused() {
        for raw in [
            "*",
            "https://*.shop.example",
            "shop.example",
            "ftp://shop.example",
            "https://shop.example/page",
            "https://shop.example/?a=1",
            "https://user:pw@shop.example",
            "null",
            "",
            "https://",
        ] {
            assert!(normalise(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn a_list_is_deduplicated_and_bounded() {
        let list = normalise_all(&[
            "https://a.example".into(),
            "https://A.example/".into(),
            "https://b.example".into(),
        ])
        .unwrap();
        assert_eq!(list, ["https://a.example", "https://b.example"]);
        assert!(normalise_all(&[]).is_err());
        let many: Vec<String> = (0..=MAX_ORIGINS)
            .map(|i| format!("https://s{i}.example"))
            .collect();
        assert!(normalise_all(&many).is_err());
    }
}
