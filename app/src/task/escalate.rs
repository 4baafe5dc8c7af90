//! An admin's escalation: sends outputs to the escalation queue (`crate::escalations`) with a
//! note, from the task list or `POST /api/v1/escalate` (`super::bulk`). The caller writes the
//! `task.escalated` event and the audit entry in the same transaction.
//!
//! A task a reviewer holds (`in_review`) is left alone, as for a ruling; one already escalated
//! stays as it is. A ruling it had is undone: the escalation asks for a new one.

use sqlx::PgConnection;
use uuid::Uuid;

/// The statuses an admin escalates from: waiting (not held), auto-accepted, or reviewed.
pub const ESCALATABLE: [&str; 3] = ["queued", "auto_accepted", "reviewed"];

/// A task escalated, and what it was before: its status, and the ruling the escalation undid.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalated {
    pub id: Uuid,
    pub status: String,
    pub resolved_verdict: Option<String>,
    pub resolution_note: Option<String>,
}

/// Escalates each of `ids` in one of [`ESCALATABLE`], by `by` (the actor's name) with `note`.
pub async fn escalate(
    conn: &mut PgConnection,
    ids: &[Uuid],
    by: &str,
    note: &str,
) -> Result<Vec<Escalated>, sqlx::Error> {
    let from: Vec<String> = ESCALATABLE.iter().map(|s| (*s).to_owned()).collect();
    let rows = sqlx::query!(
        r#"with open as (
               select id, status, resolved_verdict, resolution_note from tasks
               where id = any($1) and status = any($2)
               order by id
               for update)
           update tasks t set status = 'escalated', completed_at = now(), escalated_by = $3,
                  escalation_note = $4, resolved_verdict = null, resolved_by = null,
                  resolution_note = null, resolved_at = null
           from open o where t.id = o.id
           returning t.id, o.status, o.resolved_verdict, o.resolution_note"#,
        ids,
        &from,
        by,
        note,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Escalated {
            id: r.id,
            status: r.status,
            resolved_verdict: r.resolved_verdict,
            resolution_note: r.resolution_note,
        })
        .collect())
}
