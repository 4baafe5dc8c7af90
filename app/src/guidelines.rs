//! Review guidelines: one text admins edit and reviewers open beside the task (key `g`).
//!
//! Plain text with a little formatting: a line starting `# ` is a heading, lines starting `- `
//! make a list, blank lines separate paragraphs, `**bold**` is bold. The server turns it into HTML,
//! escaping everything else, so no markup a writer types reaches the page.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Longest guidelines text accepted.
pub const MAX_CHARS: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guidelines {
    pub text: String,
    /// The text as HTML (see the module header for the formatting).
    pub html: String,
    pub updated_at: String,
}

/// Escapes a line, then turns `**…**` pairs into bold.
fn inline(line: &str) -> String {
    let escaped = crate::html::escape(line);
    let mut out = String::new();
    let mut parts = escaped.split("**").peekable();
    let mut bold = false;
    while let Some(part) = parts.next() {
        out.push_str(part);
        if parts.peek().is_some() {
            // An unpaired ** at the end stays as typed.
            let rest_has_pair = bold || parts.clone().count() >= 2;
            if rest_has_pair {
                out.push_str(if bold { "</strong>" } else { "<strong>" });
                bold = !bold;
            } else {
                out.push_str("**");
            }
        }
    }
    out
}

/// The formatted HTML for `text`.
pub fn to_html(text: &str) -> String {
    let mut html = String::new();
    let mut paragraph: Vec<String> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let flush = |html: &mut String, paragraph: &mut Vec<String>, list: &mut Vec<String>| {
        if !paragraph.is_empty() {
            html.push_str(&format!("<p>{}</p>", paragraph.join(" ")));
            paragraph.clear();
        }
        if !list.is_empty() {
            html.push_str("<ul>");
            for item in list.drain(..) {
                html.push_str(&format!("<li>{item}</li>"));
            }
            html.push_str("</ul>");
        }
    };
    for line in text.lines().map(str::trim_end) {
        if let Some(heading) = line.strip_prefix("# ") {
            flush(&mut html, &mut paragraph, &mut list);
            html.push_str(&format!("<h3>{}</h3>", inline(heading.trim())));
        } else if let Some(item) = line.trim_start().strip_prefix("- ") {
            if !paragraph.is_empty() {
                let mut none = Vec::new();
                flush(&mut html, &mut paragraph, &mut none);
            }
            list.push(inline(item.trim()));
        } else if line.trim().is_empty() {
            flush(&mut html, &mut paragraph, &mut list);
        } else {
            if !list.is_empty() {
                let mut none = Vec::new();
                flush(&mut html, &mut none, &mut list);
            }
            paragraph.push(inline(line.trim()));
        }
    }
    flush(&mut html, &mut paragraph, &mut list);
    html
}

#[cfg(feature = "ssr")]
async fn load(pool: &sqlx::PgPool) -> Result<Guidelines, AppError> {
    let row = sqlx::query!("select body, updated_at from guidelines")
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some(r) => Guidelines {
            html: to_html(&r.body),
            text: r.body,
            updated_at: r.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        },
        None => Guidelines {
            text: String::new(),
            html: String::new(),
            updated_at: String::new(),
        },
    })
}

/// For anyone signed in.
#[server(prefix = "/api", endpoint = "guidelines")]
pub async fn load_guidelines() -> Result<Guidelines, AppError> {
    crate::auth::current_user().await?;
    load(&crate::state::expect_state().pool).await
}

/// Replaces the guidelines (admins).
#[server(prefix = "/api", endpoint = "admin/guidelines")]
pub async fn save_guidelines(text: String) -> Result<Guidelines, AppError> {
    let (pool, actor) = crate::audit::admin().await?;
    let text = text.replace("\r\n", "\n");
    if text.chars().count() > MAX_CHARS {
        return Err(AppError::invalid(
            "text",
            format!("must be at most {MAX_CHARS} characters"),
        ));
    }
    let mut tx = pool.begin().await?;
    let before = sqlx::query_scalar!("select body from guidelines where id for update")
        .fetch_optional(&mut *tx)
        .await?;
    sqlx::query!(
        "insert into guidelines (id, body, updated_by, updated_at) values (true, $1, $2, now())
         on conflict (id) do update set body = excluded.body, updated_by = excluded.updated_by,
                                        updated_at = now()",
        text.trim(),
        actor.id()
    )
    .execute(&mut *tx)
    .await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Action::GuidelinesUpdate,
        "guidelines",
        before.map(|body| serde_json::json!({ "text": body })),
        Some(serde_json::json!({ "text": text.trim() })),
    )
    .await?;
    tx.commit().await?;
    load(&pool).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_lists_paragraphs_and_bold_are_formatted_and_everything_else_escaped() {
        let html = to_html(
            "# Rules\n\nKeep **numbers** exact.\nAlways.\n- one <b>\n- two\n\nEnd & done **open",
        );
        assert_eq!(
            html,
            "<h3>Rules</h3><p>Keep <strong>numbers</strong> exact. Always.</p>\
             <ul><li>one &lt;b&gt;</li><li>two</li></ul><p>End &amp; done **open</p>"
        );
        assert_eq!(to_html(""), "");
    }
}
