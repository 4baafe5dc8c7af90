//! The webhook outbox: the event body Loupe sends ([`WebhookEvent`]), and [`enqueue`], which
//! writes an event's deliveries inside the caller's transaction: an event exists exactly when the
//! review that caused it was committed, and the server's webhook workers send it from there.

use crate::task_doc::TaskDoc;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

pub use crate::webhooks::{TASK_ESCALATED, TASK_REVIEWED};

/// The body Loupe POSTs to a webhook endpoint. Headers: `Loupe-Event`, `Loupe-Delivery` (the
/// same on every retry of one delivery) and `Loupe-Signature: t=<unix seconds>,v1=<hex
/// HMAC-SHA256 of "<t>.<body>" under the endpoint's secret>`.
// Stored as `jsonb` and sent from there, so the keys leave in alphabetical order whatever the
// order here; it is alphabetical anyway.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookEvent {
    /// task.reviewed or task.escalated.
    pub event: String,
    pub occurred_at: DateTime<Utc>,
    pub task: TaskDoc,
}

/// Writes one delivery of `event` about `task_id` for every endpoint that hears it (SQL
/// `endpoint_hears`: active, subscribed, and not limited to other projects). Call inside the
/// transaction that caused the event. Returns the number of deliveries. The task is loaded only
/// when some endpoint hears it.
pub async fn enqueue(
    conn: &mut PgConnection,
    event: &str,
    task_id: Uuid,
) -> Result<u64, sqlx::Error> {
    let subscribed = sqlx::query_scalar!(
        r#"select exists (select 1 from webhook_endpoints e join tasks t on t.id = $2
                          where endpoint_hears(e, $1, t.project_id)) as "exists!""#,
        event,
        task_id
    )
    .fetch_one(&mut *conn)
    .await?;
    if !subscribed {
        return Ok(0);
    }
    enqueue_subscribed(conn, event, task_id).await
}

/// [`enqueue`] for a caller that has just learnt, in its own transaction, that some endpoint
/// hears `event` about the task (the review desk's settle does, in the statement that stores
/// the review): the task is loaded and the deliveries written without asking again.
pub async fn enqueue_subscribed(
    conn: &mut PgConnection,
    event: &str,
    task_id: Uuid,
) -> Result<u64, sqlx::Error> {
    // The task exists: the caller's transaction has just changed it. Were it gone, there would
    // be no task to tell anyone about.
    let Some(task) = crate::task_doc::load(conn, task_id).await? else {
        return Ok(0);
    };
    let payload = serde_json::to_value(WebhookEvent {
        event: event.to_owned(),
        occurred_at: Utc::now(),
        task,
    })
    .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let inserted = sqlx::query!(
        "insert into webhook_deliveries (id, endpoint_id, event, task_id, payload)
         select gen_random_uuid(), e.id, $1, t.id, $3
         from webhook_endpoints e join tasks t on t.id = $2
         where endpoint_hears(e, $1, t.project_id)",
        event,
        task_id,
        payload
    )
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected())
}
