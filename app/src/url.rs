//! Percent-encoding of query values, shared by the page guard's `next=` redirect and the
//! dashboard's shareable filter links.

/// Percent-encodes everything but unreserved characters (and `/` when `keep_slash`), so the
/// result is one query value.
pub fn encode_query_value(raw: &str, keep_slash: bool) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b'/' if keep_slash => "/".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_characters_are_escaped_and_slashes_kept_only_on_request() {
        assert_eq!(
            super::encode_query_value("/admin?x=1&y=2", true),
            "/admin%3Fx%3D1%26y%3D2"
        );
        assert_eq!(super::encode_query_value("a b/c", false), "a%20b%2Fc");
    }
}
