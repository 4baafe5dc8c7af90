//! The review queue as server functions: claim the next task by lease, submit a review, skip,
//! and the queue counts admins see.
//!
//! Claiming is `update … where id = (select … for update skip locked)`: concurrent claims never
//! wait on each other and never take the same row, on one server or many. A lease that expires
//! counts as free, so an abandoned tab cannot strand a task.

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
    /// The error tags a reviewer may mark, in key order.
    pub error_tags: Vec<String>,
    /// How well the source supports each summary sentence; `None` until the server's support
    /// worker has computed it (a view never computes it: pipeline text can be made expensive).
    pub support: Option<crate::support::Support>,
    /// Sentences scoring under this are marked as weakly supported.
    pub weak_below: f64,
}

impl TaskView {
    /// Whether the confidence is below the routing threshold (the page's low / high cue).
    pub fn is_low_confidence(&self) -> bool {
        self.confidence < self.threshold
    }
}

/// Task counts for the admin overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueOverview {
    /// (status, count) for every status that has tasks.
    pub by_status: Vec<(String, i64)>,
    /// (reason, count) over all tasks.
    pub by_reason: Vec<(String, i64)>,
    pub reviews: i64,
    pub external_feedback: i64,
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
    let id = server::held_or_claim(&state, user.id).await?;
    server::view_of(&state, id).await
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

/// What a reviewer said about a task, parsed from the review form (or an amendment of it).
pub struct Judgement {
    pub rating: crate::domain::Rating,
    pub verdict: crate::domain::Verdict,
    pub comment: Option<String>,
    pub corrected: Option<String>,
    pub tags: Vec<String>,
}

impl Judgement {
    /// Parses the form's fields against the configured error tags; each error names its field.
    /// The page runs this too, before it moves on, so the server and the page apply one rule.
    pub fn from_fields(
        rating: Option<&str>,
        verdict: Option<&str>,
        comment: Option<&str>,
        corrected_summary: Option<&str>,
        error_tags: Option<&str>,
        allowed_tags: &[String],
    ) -> Result<Self, AppError> {
        use crate::domain::{Rating, Verdict, parse_review_text};
        let rating = Rating::parse(rating)?;
        let verdict = Verdict::parse(verdict)?;
        let comment = parse_review_text("comment", comment)?;
        let corrected = parse_review_text("corrected_summary", corrected_summary)?;
        let tags = crate::error_tags::parse_chosen(error_tags, allowed_tags)?;
        Ok(Judgement {
            rating,
            verdict,
            comment,
            corrected,
            tags,
        })
    }

    /// [`Judgement::from_fields`] with the tag list read from the database.
    #[cfg(feature = "ssr")]
    pub async fn parse(
        pool: &sqlx::PgPool,
        rating: Option<&str>,
        verdict: Option<&str>,
        comment: Option<&str>,
        corrected_summary: Option<&str>,
        error_tags: Option<&str>,
    ) -> Result<Self, AppError> {
        let allowed = crate::error_tags::store::list(pool).await?;
        Self::from_fields(
            rating,
            verdict,
            comment,
            corrected_summary,
            error_tags,
            &allowed,
        )
    }

    /// [`Judgement::correction_of`] on the blocking pool: the edit distance is bounded CPU work
    /// (see [`crate::stats::MAX_EDIT_CELLS`]) that must not hold up an async worker. Callers run
    /// it before they open a transaction that locks rows, never inside one.
    #[cfg(feature = "ssr")]
    pub async fn measure_correction(
        corrected: Option<String>,
        summary: String,
    ) -> Result<(Option<String>, Option<f64>), AppError> {
        tokio::task::spawn_blocking(move || Self::correction_of(corrected, &summary))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "measuring a correction failed");
                AppError::Internal
            })
    }

    /// The correction measured against the task's `summary`: `(None, None)` when there is none
    /// or it only repeats the summary (an unchanged summary is not a correction), else the text
    /// and its word edit distance.
    #[cfg(feature = "ssr")]
    pub fn correction_of(
        corrected: Option<String>,
        summary: &str,
    ) -> (Option<String>, Option<f64>) {
        let corrected = corrected.filter(|c| c.trim() != summary.trim());
        let distance = corrected
            .as_deref()
            .map(|c| crate::stats::word_edit_distance(summary, c));
        (corrected, distance)
    }
}

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
    let judgement = Judgement::parse(
        &state.pool,
        rating.as_deref(),
        verdict.as_deref(),
        comment.as_deref(),
        corrected_summary.as_deref(),
        error_tags.as_deref(),
    )
    .await?;
    server::store_review(&state.pool, user.id, task_id, judgement).await?;
    server::upcoming(&state, user.id, prefetch.as_deref() == Some("1")).await
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
    server::skip(&state.pool, user.id, task_id).await?;
    server::upcoming(&state, user.id, prefetch.as_deref() == Some("1")).await
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
    let id = server::prefetch(&state, user.id).await?;
    server::view_of(&state, id).await
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
    server::renew(
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
    server::release_prefetched(&expect_state().pool, user.id).await
}

/// Counts for the admin overview. Admins only.
#[server(prefix = "/api", endpoint = "admin/overview")]
pub async fn admin_overview() -> Result<QueueOverview, AppError> {
    use crate::auth::require_role;
    use crate::domain::Role;
    use crate::state::expect_state;

    require_role(Role::Admin).await?;
    server::overview(&expect_state().pool).await
}

#[cfg(feature = "ssr")]
fn parse_task_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound("task".into()))
}

/// The SQL behind the server functions above.
#[cfg(feature = "ssr")]
mod server {
    use super::{QueueOverview, TaskView};
    use crate::domain::{Reason, Verdict};
    use crate::error::AppError;
    use crate::state::AppState;
    use crate::support::Support;
    use sqlx::{PgExecutor, PgPool};
    use uuid::Uuid;

    /// A claim can come back empty while rows are merely being re-locked by other claims (the
    /// `skip locked` subquery re-checks a row that changed under it and then yields nothing);
    /// a few retries tell that apart from a queue that is really empty.
    const CLAIM_ATTEMPTS: usize = 5;

    /// The reviewer's current task: the one on screen if they hold it, else the one claimed
    /// in the background (promoted: it is on screen from now on), else a fresh claim.
    pub async fn held_or_claim(state: &AppState, reviewer: i64) -> Result<Option<Uuid>, AppError> {
        let pool = &state.pool;
        let lease_secs = state.settings.lease.as_secs_f64();
        let held = sqlx::query!(
            "select id, lease_prefetched from tasks
             where lease_owner = $1 and status = 'in_review' and lease_expires_at > now()
             order by lease_prefetched, leased_at limit 1",
            reviewer
        )
        .fetch_optional(pool)
        .await?;
        match held {
            Some(held) if !held.lease_prefetched => return Ok(Some(held.id)),
            Some(held) => {
                // Time spent on a task counts from when it is shown, not from when it was fetched.
                let promoted = sqlx::query_scalar!(
                    "update tasks set lease_prefetched = false, leased_at = now(),
                            lease_expires_at = now() + make_interval(secs => $3)
                     where id = $1 and lease_owner = $2 and status = 'in_review'
                     returning id",
                    held.id,
                    reviewer,
                    lease_secs,
                )
                .fetch_optional(pool)
                .await?;
                if promoted.is_some() {
                    return Ok(promoted);
                }
            }
            None => {}
        }
        claim(state, reviewer, lease_secs, false).await
    }

    /// The reviewer's background claim: the one they already hold, or a new one.
    pub async fn prefetch(state: &AppState, reviewer: i64) -> Result<Option<Uuid>, AppError> {
        let held = sqlx::query_scalar!(
            "select id from tasks
             where lease_owner = $1 and status = 'in_review' and lease_prefetched
               and lease_expires_at > now()
             limit 1",
            reviewer
        )
        .fetch_optional(&state.pool)
        .await?;
        if held.is_some() {
            return Ok(held);
        }
        claim(
            state,
            reviewer,
            state.settings.prefetch_lease.as_secs_f64(),
            true,
        )
        .await
    }

    /// After a submit or skip, for the page that asked (`with_next`): the current task and the
    /// one behind it. A form posted without scripts asks for nothing and claims nothing here;
    /// its page load that follows does.
    pub async fn upcoming(
        state: &AppState,
        reviewer: i64,
        with_next: bool,
    ) -> Result<super::Upcoming, AppError> {
        if !with_next {
            return Ok(super::Upcoming {
                current: None,
                next: None,
            });
        }
        let current = view_of(state, held_or_claim(state, reviewer).await?).await?;
        let next = match current {
            Some(_) => view_of(state, prefetch(state, reviewer).await?).await?,
            None => None,
        };
        Ok(super::Upcoming { current, next })
    }

    /// Claims the first task this reviewer may take: never one they reviewed or recently
    /// skipped, nor one someone else holds.
    async fn claim(
        state: &AppState,
        reviewer: i64,
        lease_secs: f64,
        prefetched: bool,
    ) -> Result<Option<Uuid>, AppError> {
        let pool = &state.pool;
        let cooldown_secs = state.settings.skip_cooldown.as_secs_f64();
        for _ in 0..CLAIM_ATTEMPTS {
            let claimed = sqlx::query_scalar!(
                "update tasks set status = 'in_review', lease_owner = $1, leased_at = now(),
                        lease_expires_at = now() + make_interval(secs => $2),
                        lease_prefetched = $4
                 where id = (
                     select c.id from tasks c
                     where (c.status = 'queued'
                            or (c.status = 'in_review' and c.lease_expires_at <= now()))
                       and not exists (select 1 from reviews r
                                       where r.task_id = c.id and r.reviewer_id = $1)
                       and not exists (select 1 from task_skips s
                                       where s.task_id = c.id and s.reviewer_id = $1
                                         and s.skipped_at > now() - make_interval(secs => $3))
                     order by c.flagged desc, c.confidence, c.created_at
                     limit 1
                     for update skip locked)
                 returning id",
                reviewer,
                lease_secs,
                cooldown_secs,
                prefetched,
            )
            .fetch_optional(pool)
            .await?;
            if claimed.is_some() {
                return Ok(claimed);
            }
            if !claimable_exists(pool, reviewer, cooldown_secs).await? {
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// Extends every lease the reviewer holds to at least `secs` from now.
    pub async fn renew(pool: &PgPool, reviewer: i64, secs: f64) -> Result<Vec<Uuid>, AppError> {
        let held = sqlx::query_scalar!(
            "update tasks
             set lease_expires_at = greatest(lease_expires_at, now() + make_interval(secs => $2))
             where lease_owner = $1 and status = 'in_review' and lease_expires_at > now()
             returning id",
            reviewer,
            secs,
        )
        .fetch_all(pool)
        .await?;
        Ok(held)
    }

    pub async fn release_prefetched(pool: &PgPool, reviewer: i64) -> Result<(), AppError> {
        sqlx::query!(
            "update tasks set status = 'queued', lease_owner = null, leased_at = null,
                    lease_expires_at = null, lease_prefetched = false
             where lease_owner = $1 and status = 'in_review' and lease_prefetched",
            reviewer
        )
        .execute(pool)
        .await?;
        Ok(())
    }

    async fn claimable_exists(
        pool: &PgPool,
        reviewer: i64,
        cooldown_secs: f64,
    ) -> Result<bool, AppError> {
        let exists = sqlx::query_scalar!(
            r#"select exists (
                 select 1 from tasks c
                 where (c.status = 'queued'
                        or (c.status = 'in_review' and c.lease_expires_at <= now()))
                   and not exists (select 1 from reviews r
                                   where r.task_id = c.id and r.reviewer_id = $1)
                   and not exists (select 1 from task_skips s
                                   where s.task_id = c.id and s.reviewer_id = $1
                                     and s.skipped_at > now() - make_interval(secs => $2))
               ) as "exists!""#,
            reviewer,
            cooldown_secs,
        )
        .fetch_one(pool)
        .await?;
        Ok(exists)
    }

    /// The task as the review page shows it, for a claim that may have come back empty.
    pub async fn view_of(state: &AppState, id: Option<Uuid>) -> Result<Option<TaskView>, AppError> {
        match id {
            Some(id) => task_view(state, id).await.map(Some),
            None => Ok(None),
        }
    }

    async fn task_view(state: &AppState, id: Uuid) -> Result<TaskView, AppError> {
        let db = &state.pool;
        let row = sqlx::query!(
            r#"select id, document, summary, confidence, threshold, model, model_version,
                      reason, metadata, support,
                      (select count(*) from tasks w where w.status = 'queued') as "waiting!"
               from tasks where id = $1"#,
            id
        )
        .fetch_one(db)
        .await?;
        let reason = Reason::from_db(&row.reason).ok_or_else(|| {
            tracing::error!(reason = %row.reason, "unknown routing reason in database");
            AppError::Internal
        })?;
        let metadata = match row.metadata {
            serde_json::Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(TaskView {
            id: row.id,
            confidence: row.confidence,
            threshold: row.threshold,
            model: row.model,
            model_version: row.model_version,
            reason,
            metadata,
            waiting: row.waiting,
            error_tags: crate::error_tags::store::list(db).await?,
            support: stored_support(row.support),
            weak_below: state.settings.weak_support,
            document: row.document,
            summary: row.summary,
        })
    }

    /// The stored hints of the current version; `None` while the support worker has not
    /// computed them yet (the page then says so). Never computed here: a page view must cost
    /// the same whatever text a pipeline sent.
    fn stored_support(stored: Option<serde_json::Value>) -> Option<Support> {
        stored
            .and_then(|v| serde_json::from_value::<Support>(v).ok())
            .filter(|s| s.version == crate::support::VERSION)
    }

    /// Records a review and completes the task in one transaction. The reviewer must still hold
    /// the task: if their lease lapsed and someone else claimed it, nothing is written.
    pub async fn store_review(
        pool: &PgPool,
        reviewer: i64,
        task_id: Uuid,
        judgement: super::Judgement,
    ) -> Result<(), AppError> {
        let super::Judgement {
            rating,
            verdict,
            comment,
            corrected,
            tags,
        } = judgement;
        // The correction is measured first, off the async workers and before any row is locked.
        // A task's summary never changes once stored, so reading it ahead of the lock is safe.
        let summary = sqlx::query_scalar!("select summary from tasks where id = $1", task_id)
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| AppError::NotFound("task".into()))?;
        let (corrected, edit_distance) =
            super::Judgement::measure_correction(corrected, summary).await?;
        let mut tx = pool.begin().await?;
        let task = sqlx::query!(
            r#"select status, lease_owner, reviews_required, reviews_done,
                      model, model_version, confidence, reason,
                      greatest(0, extract(epoch from now() - coalesce(leased_at, now())))::int as "seconds!"
               from tasks where id = $1 for update"#,
            task_id
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("task".into()))?;
        if task.status != "in_review" || task.lease_owner != Some(reviewer) {
            return Err(AppError::Conflict(
                "this task is no longer assigned to you (its lease ran out and it went back to \
                 the queue); your review was not saved"
                    .into(),
            ));
        }
        // The task's model, version, confidence and reason are copied so the dashboard can
        // aggregate reviews without joining tasks.
        sqlx::query!(
            "insert into reviews
                 (task_id, reviewer_id, rating, verdict, comment, corrected_summary, seconds_spent,
                  edit_distance, model, model_version, confidence, reason, error_tags)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            task_id,
            reviewer,
            i16::from(rating.get()),
            verdict.as_str(),
            comment,
            corrected,
            task.seconds,
            edit_distance,
            task.model,
            task.model_version,
            task.confidence,
            task.reason,
            &tags,
        )
        .execute(&mut *tx)
        .await?;
        let done = task.reviews_done + 1;
        let status = if verdict == Verdict::Escalate {
            "escalated"
        } else if done >= task.reviews_required {
            "reviewed"
        } else {
            "queued"
        };
        sqlx::query!(
            "update tasks set status = $2, reviews_done = $3,
                    lease_owner = null, leased_at = null, lease_expires_at = null,
                    lease_prefetched = false,
                    completed_at = case when $2 in ('reviewed', 'escalated') then now() end
             where id = $1",
            task_id,
            status,
            done,
        )
        .execute(&mut *tx)
        .await?;
        // The pipeline hears of it through the outbox, committed with the review or not at all.
        match status {
            "reviewed" => {
                crate::outbox::enqueue(&mut tx, crate::outbox::TASK_REVIEWED, task_id).await?
            }
            "escalated" => {
                crate::outbox::enqueue(&mut tx, crate::outbox::TASK_ESCALATED, task_id).await?
            }
            _ => 0,
        };
        tx.commit().await?;
        Ok(())
    }

    pub async fn skip(pool: &PgPool, reviewer: i64, task_id: Uuid) -> Result<(), AppError> {
        let mut tx = pool.begin().await?;
        let released = sqlx::query!(
            "update tasks set status = 'queued', lease_owner = null, leased_at = null,
                    lease_expires_at = null, lease_prefetched = false
             where id = $1 and lease_owner = $2 and status = 'in_review'",
            task_id,
            reviewer
        )
        .execute(&mut *tx)
        .await?;
        if released.rows_affected() == 0 {
            return Err(AppError::Conflict(
                "this task is no longer assigned to you".into(),
            ));
        }
        sqlx::query!(
            "insert into task_skips (task_id, reviewer_id) values ($1, $2)
             on conflict (task_id, reviewer_id) do update set skipped_at = now()",
            task_id,
            reviewer
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn overview(db: impl PgExecutor<'_> + Copy) -> Result<QueueOverview, AppError> {
        // Both breakdowns in one round trip: (kind, key, count) rows.
        let rows = sqlx::query!(
            r#"select 'status' as "kind!", status as "key!", count(*) as "n!"
               from tasks group by status
               union all
               select 'reason', reason, count(*) from tasks group by reason
               order by 1, 2"#
        )
        .fetch_all(db)
        .await?;
        let (mut by_status, mut by_reason) = (Vec::new(), Vec::new());
        for row in rows {
            let list = if row.kind == "status" {
                &mut by_status
            } else {
                &mut by_reason
            };
            list.push((row.key, row.n));
        }
        let counts = sqlx::query!(
            r#"select (select count(*) from reviews) as "reviews!",
                      (select count(*) from external_feedback) as "feedback!""#
        )
        .fetch_one(db)
        .await?;
        Ok(QueueOverview {
            by_status,
            by_reason,
            reviews: counts.reviews,
            external_feedback: counts.feedback,
        })
    }
}
