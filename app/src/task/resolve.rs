//! An admin's ruling: settles tasks with a final verdict (`accept` or `reject`) and an optional
//! note, whatever reviewers said or would say. The one statement that writes a resolution, used
//! for an escalation (`crate::escalations`) and for rulings from the task list
//! (`super::bulk::resolve`). The caller writes the `task.reviewed` event and the audit entry in
//! the same transaction.
//!
//! A task a reviewer holds (`in_review`) is never resolved under them: it is left alone, and an
//! admin rules on it once the review is in or the lease lapses.

use sqlx::PgConnection;
use uuid::Uuid;

/// The statuses a ruling from the task list settles: waiting (not held), escalated,
/// auto-accepted, or already reviewed (the ruling then overrides the reviewers' verdict).
pub const RULABLE: [&str; 4] = ["queued", "escalated", "auto_accepted", "reviewed"];

/// A task ruled on, and its status before.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub id: Uuid,
    pub status: String,
}

/// Settles each of `ids` whose status is one of `from` with `verdict` by `by` (a user's id;
/// `None` for an API token, which the audit entry names).
pub async fn resolve(
    conn: &mut PgConnection,
    ids: &[Uuid],
    from: &[&str],
    verdict: &str,
    by: Option<i64>,
    note: Option<&str>,
) -> Result<Vec<Resolved>, sqlx::Error> {
    let from: Vec<String> = from.iter().map(|s| (*s).to_owned()).collect();
    let rows = sqlx::query!(
        r#"with open as (
               select id, status from tasks
               where id = any($1) and status = any($2)
               order by id
               for update)
           update tasks t set status = 'reviewed', resolved_verdict = $3, resolved_by = $4,
                  resolution_note = $5, resolved_at = now(), completed_at = now(),
                  escalation_note = null, escalated_by = null
           from open o where t.id = o.id
           returning t.id, o.status"#,
        ids,
        &from,
        verdict,
        by,
        note,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Resolved {
            id: r.id,
            status: r.status,
        })
        .collect())
}
