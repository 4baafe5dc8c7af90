//! A task as pipelines see it, and the webhook outbox.
//!
//! [`task_json`] is the body of `GET /api/v1/tasks/{id}` and the `task` of every webhook event, so
//! a pipeline reads one shape whether it polls or listens. [`enqueue`] writes an event's deliveries
//! inside the caller's transaction: an event exists exactly when the review that caused it was
//! committed, and the server's webhook workers send it from there.

use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

pub use crate::webhooks::{TASK_ESCALATED, TASK_REVIEWED};

/// The task's status, routing decision, outcome, reviews and end-user feedback; `None` when there
/// is no such task.
///
/// `verdict` is the human verdict once the task is complete: an admin's resolution of an
/// escalation when there is one, `escalate` for a task still escalated, `reject` when any reviewer
/// rejected it, else `accept`; `null` while it waits or when it was auto-accepted. `corrected_summary` is the latest correction, if any reviewer made one.
pub async fn task_json(conn: &mut PgConnection, id: Uuid) -> Result<Option<Value>, sqlx::Error> {
    let Some(task) = sqlx::query!(
        r#"select t.id, t.external_id, t.status, t.reason, t.confidence, t.threshold, t.model,
                  t.model_version, t.flagged, t.metadata, t.reviews_required, t.reviews_done,
                  t.created_at, t.completed_at, t.resolved_verdict, t.resolution_note,
                  t.resolved_at, u.username as "resolved_by?"
           from tasks t left join users u on u.id = t.resolved_by
           where t.id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let reviews = sqlx::query!(
        "select u.username as reviewer, r.rating, r.verdict, r.comment, r.corrected_summary,
                r.seconds_spent, r.created_at, r.error_tags, r.amended_at
         from reviews r join users u on u.id = r.reviewer_id
         where r.task_id = $1 order by r.created_at, r.id",
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let feedback = sqlx::query!(
        "select user_id, feedback_type, value, comments, created_at
         from external_feedback where task_id = $1 order by created_at, id",
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let verdict = match task.status.as_str() {
        _ if task.resolved_verdict.is_some() => task.resolved_verdict.as_deref(),
        "escalated" => Some("escalate"),
        "reviewed" if reviews.iter().any(|r| r.verdict == "reject") => Some("reject"),
        "reviewed" => Some("accept"),
        _ => None,
    };
    let corrected_summary = reviews
        .iter()
        .rev()
        .find_map(|r| r.corrected_summary.clone());
    let reviews: Vec<Value> = reviews
        .into_iter()
        .map(|r| {
            json!({
                "reviewer": r.reviewer,
                "rating": r.rating,
                "verdict": r.verdict,
                "comment": r.comment,
                "corrected_summary": r.corrected_summary,
                "error_tags": r.error_tags,
                "seconds_spent": r.seconds_spent,
                "created_at": r.created_at,
                "amended_at": r.amended_at,
            })
        })
        .collect();
    let feedback: Vec<Value> = feedback
        .into_iter()
        .map(|f| {
            json!({
                "user_id": f.user_id,
                "feedback_type": f.feedback_type,
                "value": f.value,
                "comments": f.comments,
                "created_at": f.created_at,
            })
        })
        .collect();
    Ok(Some(json!({
        "id": task.id,
        "external_id": task.external_id,
        "status": task.status,
        "needs_review": task.reason != "auto_accepted",
        "reason": task.reason,
        "confidence": task.confidence,
        "threshold": task.threshold,
        "model": task.model,
        "model_version": task.model_version,
        "flagged": task.flagged,
        "metadata": task.metadata,
        "reviews_required": task.reviews_required,
        "reviews_done": task.reviews_done,
        "verdict": verdict,
        "corrected_summary": corrected_summary,
        "resolution": task.resolved_verdict.as_ref().map(|v| json!({
            "verdict": v,
            "by": task.resolved_by,
            "note": task.resolution_note,
            "at": task.resolved_at,
        })),
        "created_at": task.created_at,
        "completed_at": task.completed_at,
        "reviews": reviews,
        "feedback": feedback,
    })))
}

/// Writes one delivery of `event` about `task_id` for every active endpoint subscribed to it.
/// Call inside the transaction that caused the event. Returns the number of deliveries.
pub async fn enqueue(
    conn: &mut PgConnection,
    event: &str,
    task_id: Uuid,
) -> Result<u64, sqlx::Error> {
    let subscribed = sqlx::query_scalar!(
        r#"select exists (select 1 from webhook_endpoints where active and $1 = any(events)) as "exists!""#,
        event
    )
    .fetch_one(&mut *conn)
    .await?;
    if !subscribed {
        return Ok(0);
    }
    let task = task_json(conn, task_id).await?;
    let payload = json!({
        "event": event,
        "occurred_at": chrono::Utc::now(),
        "task": task,
    });
    let inserted = sqlx::query!(
        "insert into webhook_deliveries (id, endpoint_id, event, task_id, payload)
         select gen_random_uuid(), id, $1, $2, $3 from webhook_endpoints
         where active and $1 = any(events)",
        event,
        task_id,
        payload
    )
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected())
}
