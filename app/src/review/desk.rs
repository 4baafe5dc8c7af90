//! What the desk's server functions do with the database: which task a reviewer sees, storing a
//! review with the task's completion, skipping, and the task as the review page shows it.

use super::{Judgement, TaskView, Upcoming};
use crate::domain::Reason;
use crate::error::AppError;
use crate::state::AppState;
use crate::support::Support;
use crate::task::TaskStatus;
use crate::task::lease::{self, ClaimTerms, Release, ReviewRow, Settled};
use sqlx::PgPool;
use uuid::Uuid;

fn terms(state: &AppState, prefetched: bool) -> ClaimTerms {
    let lease = if prefetched {
        state.settings.prefetch_lease
    } else {
        state.settings.lease
    };
    ClaimTerms {
        lease_secs: lease.as_secs_f64(),
        skip_cooldown_secs: state.settings.skip_cooldown.as_secs_f64(),
        prefetched,
    }
}

/// The reviewer's current task: the one on screen if they hold it, else the one claimed
/// in the background (promoted: it is on screen from now on), else a fresh claim.
pub async fn held_or_claim(state: &AppState, reviewer: i64) -> Result<Option<Uuid>, AppError> {
    let pool = &state.pool;
    let terms = terms(state, false);
    match lease::held(pool, reviewer).await? {
        Some(held) if !held.prefetched => return Ok(Some(held.id)),
        Some(held) => {
            let promoted = lease::promote(pool, reviewer, held.id, terms.lease_secs).await?;
            if promoted.is_some() {
                return Ok(promoted);
            }
        }
        None => {}
    }
    state
        .metrics
        .count_claim(lease::claim(pool, reviewer, terms).await)
}

/// The reviewer's background claim: the one they already hold, or a new one.
pub async fn prefetch(state: &AppState, reviewer: i64) -> Result<Option<Uuid>, AppError> {
    if let Some(held) = lease::held_prefetched(&state.pool, reviewer).await? {
        return Ok(Some(held));
    }
    let claimed = lease::claim(&state.pool, reviewer, terms(state, true)).await;
    state.metrics.count_claim(claimed)
}

/// After a submit or skip, for the page that asked (`with_next`): the current task and the
/// one behind it. A form posted without scripts asks for nothing and claims nothing here;
/// its page load that follows does.
/// `tags` are the error tags the caller has already read in this request (a submit has), so
/// one request reads them once.
pub async fn upcoming(
    state: &AppState,
    reviewer: i64,
    with_next: bool,
    tags: Option<Vec<String>>,
) -> Result<Upcoming, AppError> {
    if !with_next {
        return Ok(Upcoming {
            current: None,
            next: None,
        });
    }
    let Some(current) = held_or_claim(state, reviewer).await? else {
        return Ok(Upcoming {
            current: None,
            next: None,
        });
    };
    let tags = match tags {
        Some(tags) => tags,
        None => crate::error_tags::store::list(&state.pool).await?,
    };
    let waiting = crate::task::counts::waiting(&state.pool).await?;
    let current = Some(task_view(state, current, tags.clone(), waiting).await?);
    let next = match prefetch(state, reviewer).await? {
        Some(id) => {
            let waiting = crate::task::counts::waiting(&state.pool).await?;
            Some(task_view(state, id, tags, waiting).await?)
        }
        None => None,
    };
    Ok(Upcoming { current, next })
}

/// The task as the review page shows it, for a claim that may have come back empty.
pub async fn view_of(state: &AppState, id: Option<Uuid>) -> Result<Option<TaskView>, AppError> {
    let Some(id) = id else { return Ok(None) };
    let tags = crate::error_tags::store::list(&state.pool).await?;
    let waiting = crate::task::counts::waiting(&state.pool).await?;
    task_view(state, id, tags, waiting).await.map(Some)
}

async fn task_view(
    state: &AppState,
    id: Uuid,
    error_tags: Vec<String>,
    waiting: i64,
) -> Result<TaskView, AppError> {
    let db = &state.pool;
    let row = sqlx::query!(
        r#"select id, document, summary, confidence, threshold, model, model_version,
                  reason, metadata, support,
                  exists (select 1 from external_feedback f where f.task_id = tasks.id)
                      as "has_end_user_feedback!"
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
    // Most tasks have no end-user feedback: the probe above answers that from the index, and
    // only a task with some pays for the summary's query.
    let end_users = if row.has_end_user_feedback {
        crate::end_users::store::summary(db, row.id).await?
    } else {
        None
    };
    Ok(TaskView {
        id: row.id,
        confidence: row.confidence,
        threshold: row.threshold,
        model: row.model,
        model_version: row.model_version,
        reason,
        metadata,
        waiting,
        error_tags,
        support: stored_support(row.support, state.settings.weak_support),
        weak_below: state.settings.weak_support,
        end_users,
        document: row.document,
        summary: row.summary,
    })
}

/// The stored hints of the current version, judged by the server's weak-support setting;
/// `None` while the support worker has not computed them yet (the page then says so). Never
/// computed here: a page view must cost the same whatever text a pipeline sent.
fn stored_support(stored: Option<serde_json::Value>, weak_below: f64) -> Option<Support> {
    stored
        .and_then(|v| serde_json::from_value::<Support>(v).ok())
        .filter(|s| s.version == crate::support::VERSION)
        .map(|s| s.judge(weak_below))
}

/// Records a review and completes the task in one transaction. The reviewer must still hold
/// the task: if their lease lapsed and someone else claimed it, nothing is written.
pub async fn store_review(
    pool: &PgPool,
    reviewer: i64,
    task_id: Uuid,
    judgement: Judgement,
) -> Result<(), AppError> {
    let Judgement {
        rating,
        verdict,
        comment,
        corrected,
        tags,
    } = judgement;
    // A correction is measured first, off the async workers and before any row is locked.
    // A task's summary never changes once stored, so reading it ahead of the lock is safe.
    let (corrected, edit_distance) = match corrected {
        Some(corrected) => {
            let summary = sqlx::query_scalar!("select summary from tasks where id = $1", task_id)
                .fetch_optional(pool)
                .await?
                .ok_or_else(|| AppError::NotFound("task".into()))?;
            Judgement::measure_correction(Some(corrected), summary).await?
        }
        None => (None, None),
    };
    let mut tx = pool.begin().await?;
    let settled = lease::settle_with_review(
        &mut tx,
        reviewer,
        task_id,
        ReviewRow {
            rating: i16::from(rating.get()),
            verdict: verdict.as_str(),
            comment: comment.as_deref(),
            corrected: corrected.as_deref(),
            edit_distance,
            tags: &tags,
        },
    )
    .await?;
    let (status, subscribed) = match settled {
        Settled::Stored { status, subscribed } => (status, subscribed),
        Settled::Missing => return Err(AppError::NotFound("task".into())),
        Settled::NotHeld => {
            return Err(AppError::Conflict(
                "this task is no longer assigned to you (its lease ran out and it went back \
                 to the queue); your review was not saved"
                    .into(),
            ));
        }
    };
    // The pipeline hears of it through the outbox, committed with the review or not at all.
    let event = match status {
        TaskStatus::Reviewed => Some(crate::outbox::TASK_REVIEWED),
        TaskStatus::Escalated => Some(crate::outbox::TASK_ESCALATED),
        _ => None,
    };
    if let (Some(event), true) = (event, subscribed) {
        crate::outbox::enqueue_subscribed(&mut tx, event, task_id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Gives the task back to the queue and keeps it from this reviewer for the skip cooldown.
pub async fn skip(pool: &PgPool, reviewer: i64, task_id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    if lease::release(&mut *tx, reviewer, Release::Task(task_id)).await? == 0 {
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
