//! The queue's depth for monitoring: how many tasks wait, and how long the oldest has waited,
//! by routing reason and model (`GET /metrics`). One grouped scan of the waiting tasks for now;
//! the one place to change if the figures come to be maintained as counters instead.

use crate::error::AppError;
use sqlx::PgExecutor;

/// Waiting tasks of one reason and model.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueDepth {
    pub reason: String,
    pub model: String,
    pub waiting: i64,
    /// Seconds since the oldest of them was ingested.
    pub oldest_age_secs: f64,
}

/// Every (reason, model) with tasks waiting ("waiting" as the claim means it), in that order.
pub async fn queue_depth(db: impl PgExecutor<'_>) -> Result<Vec<QueueDepth>, AppError> {
    let rows = sqlx::query_as!(
        QueueDepth,
        r#"select reason, model, count(*) as "waiting!",
                  greatest(0, extract(epoch from now() - min(created_at)))::float8
                      as "oldest_age_secs!"
           from tasks
           where task_waiting(status, lease_expires_at)
           group by reason, model
           order by reason, model"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}
