//! Sending an auto-accepted output back to the review queue: because its end users were
//! dissatisfied (the rule: [`crate::routing::decide::dissatisfied`]), or because the
//! source-support marks flag its summary (the model's `weak_support_review` rule, applied by the
//! support worker).
//!
//! The only moves back out of `auto_accepted` in the lifecycle. The task becomes `queued` with
//! the routing reason `user_feedback` or `weak_support`, waits in the usual queue order, and is
//! no longer complete.
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
