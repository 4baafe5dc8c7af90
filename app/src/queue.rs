//! The reviewer's queue page's data (`/queue`): what is waiting, by routing reason, in the
//! projects the reviewer takes work from; those projects and the pick among them; my reviews
//! today and my median time per review. `pages::queue` draws it.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The figures on the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueSummary {
    /// Tasks waiting for a reviewer, by routing reason (reasons with none left out).
    pub by_reason: Vec<(String, i64)>,
    pub waiting: i64,
    /// The caller's reviews since midnight UTC, and their median seconds.
    pub my_reviews_today: i64,
    pub my_median_seconds: Option<f64>,
    /// The projects the reviewer reviews, with what waits in each.
    pub projects: Vec<crate::project::Open>,
    /// The one they take work from (`None`: all of them).
    pub picked: Option<String>,
}

/// What `queue/summary` answers: the figures, under `summary` (the shape its callers know).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuePageData {
    pub summary: QueueSummary,
}

/// For any signed-in reviewer or admin.
#[server(prefix = "/api", endpoint = "queue/summary")]
pub async fn load_queue_page() -> Result<QueuePageData, AppError> {
    let user = crate::auth::current_user().await?;
    let pool = crate::state::expect_state().pool;
    let waiting = crate::task::counts::waiting_by_reason(&pool, user.id).await?;
    let (projects, picked) = crate::project::open_to(&pool, user.id).await?;
    let mine = sqlx::query!(
        r#"select count(*) as "n!",
                  percentile_cont(0.5) within group (order by seconds_spent) as median
           from reviews
           where reviewer_id = $1 and created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'"#,
        user.id
    )
    .fetch_one(&pool)
    .await?;
    // In the dashboard's order of reasons; a reason with nothing waiting has no row.
    let by_reason: Vec<(String, i64)> = crate::dashboard::REASONS
        .iter()
        .filter_map(|r| {
            waiting
                .iter()
                .find(|(reason, _)| reason == r)
                .map(|(_, n)| ((*r).to_owned(), *n))
        })
        .collect();
    let summary = QueueSummary {
        waiting: by_reason.iter().map(|(_, n)| n).sum(),
        by_reason,
        my_reviews_today: mine.n,
        my_median_seconds: mine.median,
        projects,
        picked,
    };
    Ok(QueuePageData { summary })
}

/// Picks the project the reviewer takes work from (`project`: a slug; empty: all of theirs).
/// A project they do not review is refused, naming the field. Posted by `/queue`'s form.
#[server(prefix = "/api", endpoint = "queue/pick")]
pub async fn pick_project(project: String) -> Result<(), AppError> {
    let user = crate::auth::current_user().await?;
    let pool = crate::state::expect_state().pool;
    let slug = Some(project.trim()).filter(|s| !s.is_empty());
    crate::project::pick(&pool, user.id, slug, "project").await
}
