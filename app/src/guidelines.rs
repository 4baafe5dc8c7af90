//! Review guidelines: a text per project that admins edit and reviewers open beside the task
//! (key `g`). A project without its own shows the default project's.
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
    /// The project's slug.
    pub project: String,
    pub text: String,
    /// The text as HTML (see the module header for the formatting).
    pub html: String,
    pub updated_at: String,
    /// Whether the project has guidelines of its own; if not, these are the default project's.
    pub own: bool,
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

/// The guidelines in force for `project`: its own, else the default project's.
#[cfg(feature = "ssr")]
async fn load(
    pool: &sqlx::PgPool,
    project: &crate::project::Project,
) -> Result<Guidelines, AppError> {
    let row = sqlx::query!(
        r#"select body, updated_at, project_id = $1 as "own!" from guidelines
           where project_id in ($1, $2)
           order by project_id = $1 desc limit 1"#,
        project.id,
        crate::project::DEFAULT
    )
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        Some(r) => Guidelines {
            project: project.slug.clone(),
            html: to_html(&r.body),
            text: r.body,
            updated_at: r.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            own: r.own,
        },
        None => Guidelines {
            project: project.slug.clone(),
            text: String::new(),
            html: String::new(),
            updated_at: String::new(),
            own: false,
        },
    })
}

/// A project's guidelines (`project`: its slug; blank: the default project's), for anyone who
/// reviews that project, and for admins.
#[server(prefix = "/api", endpoint = "guidelines")]
pub async fn load_guidelines(project: Option<String>) -> Result<Guidelines, AppError> {
    let user = crate::auth::current_user().await?;
    let pool = crate::state::expect_state().pool;
    let project = crate::project::named(&pool, project.as_deref()).await?;
    if user.role != crate::domain::Role::Admin
        && !crate::project::may_review(&pool, user.id, project.id).await?
    {
        return Err(AppError::Forbidden);
    }
    load(&pool, &project).await
}

/// Replaces a project's guidelines (admins and the project's admins). For a project other than
/// the default, an empty text removes its own, and the default project's apply again.
#[server(prefix = "/api", endpoint = "admin/guidelines")]
pub async fn save_guidelines(
    text: String,
    project: Option<String>,
) -> Result<Guidelines, AppError> {
    let (pool, actor, within) = crate::project::administrator().await?;
    let project =
        crate::project::administered_one(&pool, project.as_deref(), within.as_deref()).await?;
    let text = text.replace("\r\n", "\n");
    if text.chars().count() > MAX_CHARS {
        return Err(AppError::invalid(
            "text",
            format!("must be at most {MAX_CHARS} characters"),
        ));
    }
    let text = text.trim();
    let mut tx = pool.begin().await?;
    let before = sqlx::query_scalar!(
        "select body from guidelines where project_id = $1 for update",
        project.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let inherit = text.is_empty() && project.id != crate::project::DEFAULT;
    if inherit {
        sqlx::query!("delete from guidelines where project_id = $1", project.id)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query!(
            "insert into guidelines (project_id, body, updated_by, updated_at)
             values ($1, $2, $3, now())
             on conflict (project_id) do update
                 set body = excluded.body, updated_by = excluded.updated_by, updated_at = now()",
            project.id,
            text,
            actor.id()
        )
        .execute(&mut *tx)
        .await?;
    }
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Action::GuidelinesUpdate,
        &project.slug,
        before.map(|body| serde_json::json!({ "text": body })),
        (!inherit).then(|| serde_json::json!({ "text": text })),
    )
    .await?;
    tx.commit().await?;
    load(&pool, &project).await
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
