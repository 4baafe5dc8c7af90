//! Escaping text for HTML written as strings (server-rendered charts, guidelines, the API docs).

/// Escapes text for HTML / SVG element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The content of a `<textarea>`, for use as its only child in `view!`.
///
/// Leptos's server renderer writes a textarea's children into the HTML *unescaped* (tachys marks
/// `textarea` like `script` and `style`, whose content is not entity-decoded), so pipeline text
/// holding `</textarea><script>…` would close the box and run in the reviewer's page. On the
/// server the text is escaped here; the browser's parser decodes the entities back inside the
/// textarea, so the reviewer sees exactly the text sent. In the browser (an island rendering a
/// new task) the same view builds a DOM text node, which is never parsed as HTML, so the text is
/// left as it is there: escaping it would show `&lt;` to the reviewer.
pub fn textarea_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        escape(text)
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_tags_and_entities_cannot_leave_the_element() {
        let hostile = "</textarea><script>alert(1)</script> & \"q\" 'a'";
        let out = escape(hostile);
        assert!(!out.contains('<') && !out.contains('>') && !out.contains('"'));
        assert_eq!(out.matches("&amp;").count(), 1);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn textarea_text_is_escaped_when_rendered_on_the_server() {
        use leptos::prelude::*;
        use leptos::tachys::view::RenderHtml;
        let summary = "</textarea><script>alert(1)</script>";
        let html = view! { <textarea>{textarea_text(summary)}</textarea> }.to_html();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;/textarea&gt;&lt;script&gt;"), "{html}");
        // Without it, Leptos writes the text raw: this is what the helper is for.
        let raw = view! { <textarea>{summary.to_owned()}</textarea> }.to_html();
        assert!(
            raw.contains("<script>"),
            "leptos now escapes textarea content itself: {raw}"
        );
    }
}
