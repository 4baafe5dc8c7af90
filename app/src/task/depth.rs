//! The queue's depth for monitoring: how many tasks wait, and how long the oldest has waited,
//! by routing reason and model (`GET /metrics`). The counts come from the maintained tallies
//! (see [`super::counts`]); the oldest task of each key the tally knows (project, model, version
//! and reason) is one probe of the `tasks_open_age` index, so a scrape costs the same at any queue
//! size.

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
        r#"with waiting as (
               select project_id, reason, model, model_version, sum(n) as n from (
                   select project_id, reason, model, model_version, n from task_tally
                   where status = 'queued'
                   union all
                   select project_id, reason, model, model_version, 1 from tasks
                   where status = 'in_review' and lease_expires_at <= now()) w
               group by project_id, reason, model, model_version
               having sum(n) > 0)
           select w.reason as "reason!", w.model as "model!", sum(w.n)::int8 as "waiting!",
                  greatest(0, extract(epoch from now() - min(o.created_at)))::float8
                      as "oldest_age_secs!"
           from waiting w
           cross join lateral (
               select t.created_at from tasks t
               where t.status in ('queued', 'in_review') and t.project_id = w.project_id
                 and t.model = w.model and t.model_version = w.model_version
                 and t.reason = w.reason
                 and task_waiting(t.status, t.lease_expires_at)
               order by t.created_at limit 1) o
           group by w.reason, w.model
           order by w.reason, w.model"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}
