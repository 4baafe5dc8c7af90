//! Sending a settled output back to the review queue: an auto-accepted one because its end users
//! were dissatisfied (the rule: [`crate::routing::decide::dissatisfied`]) or because the
//! source-support marks flag its summary (the model's `weak_support_review` rule, applied by the
//! support worker); any settled one because an admin asks for another look ([`requeue`]).
//!
//! The only moves back out of a settled status in the lifecycle. The task becomes `queued` with
//! the routing reason `user_feedback`, `weak_support` or `requeued`, waits in the usual queue
//! order, and is no longer complete.
//! The tally (migration 0017) and the volume rollup (0018) follow the change of status and reason
//! through their update triggers.

use sqlx::PgConnection;
use uuid::Uuid;

/// Queues the task as `user_feedback` if it is still auto-accepted; `false` when it was not (a
/// concurrent signal moved it first, or it was never auto-accepted). Call inside the transaction
/// that stores the feedback.
pub async fn for_user_feedback(
    conn: &mut PgConnection,
    task_id: Uuid,
) -> Result<bool, sqlx::Error> {
    // The status condition is re-checked on the locked row: of two thumbs-down sent at once,
    // one moves the task and the other finds it queued and leaves it.
    let moved = sqlx::query!(
        "update tasks set status = 'queued', reason = 'user_feedback', completed_at = null
         where id = $1 and status = 'auto_accepted'",
        task_id
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// Queues the task as `weak_support` if it is still auto-accepted and awaiting the support
/// check, clearing the check; `false` when it was not (end users sent it back first, say).
pub async fn for_weak_support(conn: &mut PgConnection, task_id: Uuid) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query!(
        "update tasks set status = 'queued', reason = 'weak_support', completed_at = null,
                          support_check = false
         where id = $1 and status = 'auto_accepted' and support_check",
        task_id
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// A task an admin sent back, and where it stood before (for the audit trail).
#[derive(Debug, Clone, PartialEq)]
pub struct Requeued {
    pub id: Uuid,
    pub status: String,
    pub reason: String,
}

/// Queues each of `ids` that is settled (`reviewed`, `escalated` or `auto_accepted`) again with
/// reason `requeued` and `note` for the next reviewer; the others (already waiting or held) are
/// left alone. Earlier reviews stay: the task asks for one more than it has, so the next review
/// (by someone who has not reviewed it: one review per reviewer per task) settles it again. An
/// admin's earlier ruling on an escalation is cleared (the audit entry keeps it), and the hints
/// are recomputed by the support worker, as for any task newly waiting.
pub async fn requeue(
    conn: &mut PgConnection,
    ids: &[Uuid],
    note: &str,
) -> Result<Vec<Requeued>, sqlx::Error> {
    // The before-state is read under the row lock the update takes, in the same statement.
    let rows = sqlx::query!(
        r#"with settled as (
               select id, status, reason from tasks
               where id = any($1) and status in ('reviewed', 'escalated', 'auto_accepted')
               order by id
               for update)
           update tasks t set status = 'queued', reason = 'requeued', completed_at = null,
                  requeue_note = $2, reviews_required = greatest(t.reviews_required,
                                                                 t.reviews_done + 1),
                  resolved_verdict = null, resolved_by = null, resolution_note = null,
                  resolved_at = null, support = null, support_claimed_until = null,
                  support_check = false, escalation_note = null, escalated_by = null
           from settled s where t.id = s.id
           returning t.id, s.status, s.reason"#,
        ids,
        note,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Requeued {
            id: r.id,
            status: r.status,
            reason: r.reason,
        })
        .collect())
}
