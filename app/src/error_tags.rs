//! Error tags: the configurable list of mistake kinds a reviewer can mark on a summary (default
//! hallucination, omission, wrong emphasis, style, harmful), its parsing and its storage. Each
//! project may have its own list; one without uses the default project's (SQL
//! `project_error_tags`, migration 0035).

use crate::error::AppError;
use leptos::prelude::*;

/// At most this many tags in the list.
pub const MAX_TAGS: usize = 20;

/// Parses the review form's `error_tags` (comma-separated) against the configured list; repeats
/// are dropped, the list's order is kept.
pub fn parse_chosen(raw: Option<&str>, allowed: &[String]) -> Result<Vec<String>, AppError> {
    let mut chosen: Vec<String> = Vec::new();
    for tag in raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if !allowed.iter().any(|a| a == tag) {
            return Err(AppError::invalid(
                "error_tags",
                format!(
                    "{tag:?} is not one of the error tags ({})",
                    allowed.join(", ")
                ),
            ));
        }
        if !chosen.iter().any(|c| c == tag) {
            chosen.push(tag.to_owned());
        }
    }
    chosen.sort_by_key(|t| allowed.iter().position(|a| a == t));
    Ok(chosen)
}

/// Parses an admin's new list (comma-separated, in key order).
pub fn parse_list(raw: &str) -> Result<Vec<String>, AppError> {
    let tags: Vec<String> = raw
        .split(',')
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let valid = |t: &str| {
        (1..=40).contains(&t.chars().count())
            && t.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' ' || c == '-')
    };
    if tags.is_empty() || tags.len() > MAX_TAGS {
        return Err(AppError::invalid(
            "tags",
            format!("give 1 to {MAX_TAGS} tags, separated by commas"),
        ));
    }
    if let Some(bad) = tags.iter().find(|t| !valid(t)) {
        return Err(AppError::invalid(
            "tags",
            format!(
                "{bad:?}: a tag is 1-40 letters, digits, spaces or dashes, starting with a letter"
            ),
        ));
    }
    for (i, t) in tags.iter().enumerate() {
        if tags[..i].contains(t) {
            return Err(AppError::invalid("tags", format!("{t:?} is listed twice")));
        }
    }
    Ok(tags)
}

#[cfg(feature = "ssr")]
pub mod store {
    //! The `error_tags` table.

    use super::*;

    /// The list in force for `project`, in key order.
    pub async fn list(
        db: impl sqlx::PgExecutor<'_>,
        project: i64,
    ) -> Result<Vec<String>, AppError> {
        Ok(
            sqlx::query_scalar!(r#"select project_error_tags($1) as "tags!""#, project)
                .fetch_one(db)
                .await?,
        )
    }

    /// The project's own list, in key order (empty: it uses the default project's).
    pub async fn own(db: impl sqlx::PgExecutor<'_>, project: i64) -> Result<Vec<String>, AppError> {
        Ok(sqlx::query_scalar!(
            "select tag from error_tags where project_id = $1 order by position",
            project
        )
        .fetch_all(db)
        .await?)
    }

    /// The list in force for the project of the task `task`, which `reviewer` holds (empty
    /// otherwise: a project's list is read only by someone working on its tasks).
    pub async fn for_task(
        db: impl sqlx::PgExecutor<'_>,
        task: uuid::Uuid,
        reviewer: i64,
    ) -> Result<Vec<String>, AppError> {
        Ok(sqlx::query_scalar!(
            r#"select project_error_tags(project_id) as "tags!" from tasks
               where id = $1 and lease_owner = $2"#,
            task,
            reviewer
        )
        .fetch_optional(db)
        .await?
        .unwrap_or_default())
    }

    /// The list in force for the project of the review `review`'s task, when `reviewer` wrote
    /// it (empty otherwise).
    pub async fn for_review(
        db: impl sqlx::PgExecutor<'_>,
        review: i64,
        reviewer: i64,
    ) -> Result<Vec<String>, AppError> {
        Ok(sqlx::query_scalar!(
            r#"select project_error_tags(project_id) as "tags!" from reviews
               where id = $1 and reviewer_id = $2"#,
            review,
            reviewer
        )
        .fetch_optional(db)
        .await?
        .unwrap_or_default())
    }
}

/// A project's error tags as the admin page shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProjectTags {
    /// The project's slug.
    pub project: String,
    /// The list in force, in key order.
    pub tags: Vec<String>,
    /// Whether the project has its own list; if not, `tags` are the default project's.
    pub own: bool,
}

/// A project's error tags (`project`: its slug; blank: the default project's, or a project
/// admin's first project's), for admins and the project's admins.
#[server(prefix = "/api", endpoint = "admin/error-tags/load")]
pub async fn load_error_tags(project: Option<String>) -> Result<ProjectTags, AppError> {
    let (pool, _, within) = crate::project::administrator().await?;
    let project =
        crate::project::administered_one(&pool, project.as_deref(), within.as_deref()).await?;
    let own = store::own(&pool, project.id).await?;
    let tags = if own.is_empty() {
        store::list(&pool, project.id).await?
    } else {
        own.clone()
    };
    Ok(ProjectTags {
        project: project.slug,
        tags,
        own: !own.is_empty(),
    })
}

/// Replaces a project's list (admins and the project's admins; `project`: its slug, blank for
/// the default project). For a project other than the default, an empty list removes its own,
/// and the default project's applies again. Past reviews keep the tags they were given. Answers the list now in force.
#[server(prefix = "/api", endpoint = "admin/error-tags")]
pub async fn set_error_tags(
    tags: String,
    project: Option<String>,
) -> Result<Vec<String>, AppError> {
    let (pool, actor, within) = crate::project::administrator().await?;
    let project =
        crate::project::administered_one(&pool, project.as_deref(), within.as_deref()).await?;
    let inherit = tags.trim().is_empty() && project.id != crate::project::DEFAULT;
    let tags = if inherit {
        Vec::new()
    } else {
        parse_list(&tags)?
    };
    let mut tx = pool.begin().await?;
    // Locks this project's list (through its project row), so two people saving it at once are
    // recorded in the order they applied; other projects' saves do not wait. `no key update`:
    // outputs arriving for the project (which take a key-share lock on the row) do not wait
    // either.
    sqlx::query!(
        "select 1 as one from projects where id = $1 for no key update",
        project.id
    )
    .fetch_one(&mut *tx)
    .await?;
    let before = store::own(&mut *tx, project.id).await?;
    sqlx::query!("delete from error_tags where project_id = $1", project.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "insert into error_tags (project_id, position, tag)
         select $1, position::int, tag
         from unnest($2::text[]) with ordinality as t(tag, position)",
        project.id,
        &tags
    )
    .execute(&mut *tx)
    .await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Action::ErrorTagsUpdate,
        &project.slug,
        (!before.is_empty()).then(|| serde_json::json!({ "tags": before })),
        (!inherit).then(|| serde_json::json!({ "tags": tags })),
    )
    .await?;
    let in_force = store::list(&mut *tx, project.id).await?;
    tx.commit().await?;
    Ok(in_force)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        [
            "hallucination",
            "omission",
            "wrong emphasis",
            "style",
            "harmful",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn chosen_tags_are_checked_deduplicated_and_kept_in_list_order() {
        let got = parse_chosen(Some("style, hallucination,style,"), &defaults()).unwrap();
        assert_eq!(got, ["hallucination", "style"]);
        assert!(parse_chosen(None, &defaults()).unwrap().is_empty());
        let err = parse_chosen(Some("hallucination,typo"), &defaults()).unwrap_err();
        assert_eq!(
            err.message_for("error_tags").unwrap(),
            "\"typo\" is not one of the error tags (hallucination, omission, wrong emphasis, style, harmful)"
        );
    }

    #[test]
    fn a_new_list_is_lowercased_and_each_bad_one_is_named() {
        assert_eq!(
            parse_list(" Made-up number , tone").unwrap(),
            ["made-up number", "tone"]
        );
        assert!(parse_list(" , ").unwrap_err().message_for("tags").is_some());
        assert!(
            parse_list("ok, 9lives")
                .unwrap_err()
                .message_for("tags")
                .unwrap()
                .contains("9lives")
        );
        assert!(
            parse_list("a, a")
                .unwrap_err()
                .message_for("tags")
                .unwrap()
                .contains("twice")
        );
    }
}
