//! Error tags: the configurable list of mistake kinds a reviewer can mark on a summary (default
//! hallucination, omission, wrong emphasis, style, harmful), its parsing and its storage.

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

    /// The list in key order.
    pub async fn list(db: impl sqlx::PgExecutor<'_>) -> Result<Vec<String>, AppError> {
        Ok(
            sqlx::query_scalar!("select tag from error_tags order by position")
                .fetch_all(db)
                .await?,
        )
    }
}

/// Replaces the list (admins). Past reviews keep the tags they were given.
#[server(prefix = "/api", endpoint = "admin/error-tags")]
pub async fn set_error_tags(tags: String) -> Result<Vec<String>, AppError> {
    let (pool, actor) = crate::audit::admin().await?;
    let tags = parse_list(&tags)?;
    let mut tx = pool.begin().await?;
    // Locks the list, so two admins saving at once are recorded in the order they applied.
    sqlx::query!("lock table error_tags in share row exclusive mode")
        .execute(&mut *tx)
        .await?;
    let before = store::list(&mut *tx).await?;
    sqlx::query!("delete from error_tags")
        .execute(&mut *tx)
        .await?;
    for (i, tag) in tags.iter().enumerate() {
        sqlx::query!(
            "insert into error_tags (position, tag) values ($1, $2)",
            i as i32 + 1,
            tag
        )
        .execute(&mut *tx)
        .await?;
    }
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Action::ErrorTagsUpdate,
        "error tags",
        Some(serde_json::json!({ "tags": before })),
        Some(serde_json::json!({ "tags": tags })),
    )
    .await?;
    tx.commit().await?;
    Ok(tags)
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
