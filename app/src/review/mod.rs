//! The review desk's server functions: the task a reviewer holds, the one claimed behind it,
//! submitting a judgement, skipping, and keeping leases alive while the page is open. The lease
//! itself (claim, renew, release) belongs to [`crate::task::lease`]; this module decides which
//! of those a page's request needs.

#[cfg(feature = "ssr")]
mod desk;
mod judgement;

pub use judgement::Judgement;

use crate::domain::Reason;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One task as the review page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: Uuid,
    pub document: String,
    pub summary: String,
    pub confidence: f64,
    /// The threshold that routed the task: confidence under it counts as low.
    pub threshold: f64,
    pub model: String,
    pub model_version: String,
    pub reason: Reason,
    /// Metadata as key / value text, in key order.
    pub metadata: Vec<(String, String)>,
    /// Tasks still waiting after this one, for the page header.
    pub waiting: i64,
    /// The slug of the task's project (its guidelines and error tags are the project's).
    pub project: String,
    /// The error tags a reviewer may mark, in key order: the task's project's.
    pub error_tags: Vec<String>,
    /// How well the source supports each summary sentence; `None` until the server's support
    /// worker has computed it (a view never computes it: pipeline text can be made expensive).
    pub support: Option<crate::support::Support>,
    /// Sentences scoring under this are marked as weakly supported.
    pub weak_below: f64,
    /// What the product's end users said about this output, shown beside the summary; `None`
    /// when they said nothing.
    pub end_users: Option<crate::end_users::EndUserSummary>,
    /// The admin's note when the task was sent back to review (reason `requeued`).
    pub requeue_note: Option<String>,
}

impl TaskView {
    /// Whether the confidence is below the routing threshold (the page's low / high cue).
    pub fn is_low_confidence(&self) -> bool {
        self.confidence < self.threshold
    }
}

/// The task the signed-in reviewer holds, claiming the next one if they hold none; `None` when
/// nothing is left for them.
#[server(prefix = "/api", endpoint = "review/current")]
pub async fn current_task() -> Result<Option<TaskView>, AppError> {
    use crate::auth::require_role;
    use crate::domain::Role;
    use crate::state::expect_state;

    let user = require_role(Role::Reviewer).await?;
    let state = expect_state();
    desk::current_view(&state, user.id).await
}

/// The tasks a reviewer has after moving on (submit or skip) when the page asked with
/// `prefetch=1`: the one now current, and the one claimed behind it (both `None` otherwise). The page has usually shown `current`
/// already (it was the prefetched `next`); the server's answer confirms or corrects it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upcoming {
    pub current: Option<TaskView>,
    pub next: Option<TaskView>,
}

/// How often the open review page renews its leases; well inside the prefetch lease.
pub const RENEW_EVERY_SECS: u32 = 30;

/// Stores the reviewer's judgement of the task they hold and completes it when it has all the
/// reviews it wants; with `prefetch=1`, answers with the reviewer's current task and the one
/// behind it. Fields arrive as form text and are parsed here so each error names its field.
#[server(prefix = "/api", endpoint = "review/submit")]
pub async fn submit_review(
    task_id: String,
    rating: Option<String>,
    verdict: Option<String>,
    comment: Option<String>,
    corrected_summary: Option<String>,
    error_tags: Option<String>,
    prefetch: Option<String>,
) -> Result<Upcoming, AppError> {
    use crate::auth::require_role;
    use crate::domain::Role;
    use crate::state::expect_state;

    let user = require_role(Role::Reviewer).await?;
    let task_id = parse_task_id(&task_id)?;
    let state = expect_state();
    // The task's project's tags are needed only to check tags the reviewer marked; most
    // reviews mark none, and then the list is not read.
    let marked = error_tags
        .as_deref()
        .is_some_and(|t| t.split(',').any(|t| !t.trim().is_empty()));
    let allowed = if marked {
        crate::error_tags::store::for_task(&state.pool, task_id, user.id).await?
    } else {
        Vec::new()
    };
    let judgement = Judgement::from_fields(
        rating.as_deref(),
        verdict.as_deref(),
        comment.as_deref(),
        corrected_summary.as_deref(),
        error_tags.as_deref(),
        &allowed,
    )?;
    let verdict = judgement.verdict;
    desk::store_review(&state.pool, user.id, task_id, judgement).await?;
    state.metrics.review_stored(verdict);
    desk::upcoming(&state, user.id, prefetch.as_deref() == Some("1")).await
}

/// Gives the task back to the queue; the reviewer who skipped it will not be offered it again
/// for a while. Answers like [`submit_review`].
#[server(prefix = "/api", endpoint = "review/skip")]
pub async fn skip_task(task_id: String, prefetch: Option<String>) -> Result<Upcoming, AppError> {
    use crate::auth::require_role;
    use crate::domain::Role;
    use crate::state::expect_state;

    let user = require_role(Role::Reviewer).await?;
    let task_id = parse_task_id(&task_id)?;
    let state = expect_state();
    desk::skip(&state.pool, user.id, task_id).await?;
    state.metrics.skipped();
    desk::upcoming(&state, user.id, prefetch.as_deref() == Some("1")).await
}

/// Claims the task after the current one in the background, with a short lease the page renews;
/// returns the one already claimed if there is one. `None` when nothing else is waiting.
#[server(prefix = "/api", endpoint = "review/next")]
pub async fn claim_next() -> Result<Option<TaskView>, AppError> {
    use crate::auth::require_role;
    use crate::domain::Role;
    use crate::state::expect_state;

    let user = require_role(Role::Reviewer).await?;
    let state = expect_state();
    desk::prefetch_view(&state, user.id).await
}

/// Keeps the reviewer's leases alive while the review page is open; answers with the tasks
/// still held, so the page can drop a prefetched task whose lease lapsed (a sleeping laptop).
#[server(prefix = "/api", endpoint = "review/renew")]
pub async fn renew_leases() -> Result<Vec<Uuid>, AppError> {
    use crate::auth::require_role;
    use crate::domain::Role;
    use crate::state::expect_state;

    let user = require_role(Role::Reviewer).await?;
    let state = expect_state();
    crate::task::lease::renew(
        &state.pool,
        user.id,
        state.settings.prefetch_lease.as_secs_f64(),
    )
    .await
}

/// Gives back the task claimed in the background: the page sends this (as a beacon) when it is
/// left, so the task goes to someone else at once rather than when its lease runs out.
#[server(prefix = "/api", endpoint = "review/release")]
pub async fn release_next() -> Result<(), AppError> {
    use crate::auth::require_role;
    use crate::domain::Role;
    use crate::state::expect_state;

    let user = require_role(Role::Reviewer).await?;
    crate::task::lease::release(
        &expect_state().pool,
        user.id,
        crate::task::lease::Release::Prefetched,
    )
    .await?;
    Ok(())
}

/// Counts for the admin overview. Admins only.
#[server(prefix = "/api", endpoint = "admin/overview")]
pub async fn admin_overview() -> Result<crate::task::counts::Overview, AppError> {
    use crate::auth::require_role;
    use crate::domain::Role;
    use crate::state::expect_state;

    require_role(Role::Admin).await?;
    crate::task::counts::overview(&expect_state().pool).await
}

#[cfg(feature = "ssr")]
fn parse_task_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound("task".into()))
}
