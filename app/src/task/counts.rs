//! How many tasks are where: what is waiting (the review page's header, the queue page) and the
//! admin overview by status and reason. "Waiting" is the SQL `task_waiting`, as the claim uses.
//!
//! Counts come from `task_tally` (`migrations/0017_task_tally.sql`), which triggers keep exact as
//! tasks are written: reading them costs the same at ten tasks or a million. Each database
//! connection writes rows of its own (no writer waits on another), so readers sum them. The one thing a
//! tally cannot know is time: a lease that has run out is still `in_review` in it, so the few
//! lapsed leases are counted from the tasks themselves (an index holds only tasks in review).

use super::TaskStatus;
#[cfg(feature = "ssr")]
use crate::error::AppError;
#[cfg(feature = "ssr")]
use sqlx::PgExecutor;

/// Tasks waiting in the projects this reviewer takes work from (SQL `picked_projects`).
#[cfg(feature = "ssr")]
pub async fn waiting(db: impl PgExecutor<'_>, reviewer: i64) -> Result<i64, AppError> {
    let n = sqlx::query_scalar!(
        r#"select (select coalesce(sum(n), 0) from task_tally
                   where status = 'queued' and project_id in (select picked_projects($1)))::int8
                + (select count(*) from tasks
                   where status = 'in_review' and lease_expires_at <= now()
                     and project_id in (select picked_projects($1))) as "n!""#,
        reviewer
    )
    .fetch_one(db)
    .await?;
    Ok(n)
}

/// [`waiting`], by routing reason (reasons with none left out).
#[cfg(feature = "ssr")]
pub async fn waiting_by_reason(
    db: impl PgExecutor<'_>,
    reviewer: i64,
) -> Result<Vec<(String, i64)>, AppError> {
    let rows = sqlx::query!(
        r#"select reason as "reason!", sum(n)::int8 as "n!" from (
               select reason, n from task_tally
               where status = 'queued' and project_id in (select picked_projects($1))
               union all
               select reason, 1 from tasks
               where status = 'in_review' and lease_expires_at <= now()
                 and project_id in (select picked_projects($1))) w
           group by reason
           having sum(n) > 0"#,
        reviewer
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.reason, r.n)).collect())
}

/// Task counts for the admin overview.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Overview {
    /// Every status that has tasks, with its count.
    pub by_status: Vec<(TaskStatus, i64)>,
    /// (reason, count) over all tasks.
    pub by_reason: Vec<(String, i64)>,
    pub reviews: i64,
    pub external_feedback: i64,
}

#[cfg(feature = "ssr")]
pub async fn overview(db: impl PgExecutor<'_> + Copy) -> Result<Overview, AppError> {
    // Both breakdowns in one round trip: (kind, key, count) rows.
    let rows = sqlx::query!(
        r#"select 'status' as "kind!", status as "key!", sum(n)::int8 as "n!"
           from task_tally group by status having sum(n) <> 0
           union all
           select 'reason', reason, sum(n)::int8 from task_tally group by reason having sum(n) <> 0
           order by 1, 2"#
    )
    .fetch_all(db)
    .await?;
    let (mut by_status, mut by_reason) = (Vec::new(), Vec::new());
    for row in rows {
        if row.kind == "status" {
            by_status.push((TaskStatus::stored(&row.key)?, row.n));
        } else {
            by_reason.push((row.key, row.n));
        }
    }
    // From the per-day rollups the triggers keep (migrations 0019 and 0025): a few rows a day,
    // where counting `reviews` and `external_feedback` read the whole history on every view.
    let counts = sqlx::query!(
        r#"select (select coalesce(sum(n), 0) from review_volume)::int8 as "reviews!",
                  (select coalesce(sum(n), 0) from end_user_volume)::int8 as "feedback!""#
    )
    .fetch_one(db)
    .await?;
    Ok(Overview {
        by_status,
        by_reason,
        reviews: counts.reviews,
        external_feedback: counts.feedback,
    })
}
