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

/// The reviewer's current task as the page shows it: the one on screen if they hold it, else
/// the one claimed in the background (promoted: it is on screen from now on), else a fresh
/// claim.
pub async fn current_view(state: &AppState, reviewer: i64) -> Result<Option<TaskView>, AppError> {
    let pool = &state.pool;
    let terms = terms(state, false);
    match lease::held(pool, reviewer).await? {
        Some(held) if !held.prefetched => {
            return view_of(state, reviewer, Some(held.id)).await;
        }
        Some(held) => {
            let promoted = lease::promote(pool, reviewer, held.id, terms.lease_secs).await?;
            if promoted.is_some() {
                return view_of(state, reviewer, promoted).await;
            }
        }
        None => {}
    }
    claimed_view(state, lease::claim(pool, reviewer, terms).await).await
}

/// The reviewer's background claim as the page shows it (`review/next`): the one they already
/// hold, or a new one. In one statement when they hold one or the first claim attempt takes a
/// task, as nearly always; else the long way, the held look-up and [`lease::claim`] with its
/// retries.
pub async fn prefetch_view(state: &AppState, reviewer: i64) -> Result<Option<TaskView>, AppError> {
    let pool = &state.pool;
    let terms = terms(state, true);
    if let Some(shown) = lease::prefetch_shown(pool, reviewer, terms).await? {
        if shown.claimed {
            state.metrics.count_claim(Ok::<_, AppError>(Some(())))?;
        }
        return view_from_row(state, shown).await.map(Some);
    }
    if let Some(held) = lease::held_prefetched(pool, reviewer).await? {
        return view_of(state, reviewer, Some(held)).await;
    }
    claimed_view(state, lease::claim(pool, reviewer, terms).await).await
}

/// A claim's task as the page shows it, counted as a claim.
async fn claimed_view(
    state: &AppState,
    claimed: Result<Option<lease::Shown>, AppError>,
) -> Result<Option<TaskView>, AppError> {
    match state.metrics.count_claim(claimed)? {
        Some(shown) => view_from_row(state, shown).await.map(Some),
        None => Ok(None),
    }
}

/// After a submit or skip, for the page that asked (`with_next`): the current task and the
/// one behind it. A form posted without scripts asks for nothing and claims nothing here;
/// its page load that follows does.
pub async fn upcoming(
    state: &AppState,
    reviewer: i64,
    with_next: bool,
) -> Result<Upcoming, AppError> {
    if !with_next {
        return Ok(Upcoming {
            current: None,
            next: None,
        });
    }
    let Some(current) = current_view(state, reviewer).await? else {
        return Ok(Upcoming {
            current: None,
            next: None,
        });
    };
    let next = prefetch_view(state, reviewer).await?;
    Ok(Upcoming {
        current: Some(current),
        next,
    })
}

/// The task as the review page shows it, for a look-up that may have come back empty.
pub async fn view_of(
    state: &AppState,
    reviewer: i64,
    id: Option<Uuid>,
) -> Result<Option<TaskView>, AppError> {
    let Some(id) = id else { return Ok(None) };
    let waiting = crate::task::counts::waiting(&state.pool, reviewer).await?;
    task_view(state, id, waiting).await.map(Some)
}

async fn task_view(state: &AppState, id: Uuid, waiting: i64) -> Result<TaskView, AppError> {
    let row = sqlx::query!(
        r#"select t.id, t.document, t.summary, t.confidence, t.threshold, t.model,
                  t.model_version, t.reason, t.metadata, t.support, p.slug as project,
                  project_error_tags(t.project_id) as "error_tags!",
                  exists (select 1 from external_feedback f where f.task_id = t.id)
                      as "has_end_user_feedback!"
           from tasks t join projects p on p.id = t.project_id
           where t.id = $1"#,
        id
    )
    .fetch_one(&state.pool)
    .await?;
    let row = lease::Shown {
        id: row.id,
        document: row.document,
        summary: row.summary,
        confidence: row.confidence,
        threshold: row.threshold,
        model: row.model,
        model_version: row.model_version,
        reason: row.reason,
        metadata: row.metadata,
        support: row.support,
        has_end_user_feedback: row.has_end_user_feedback,
        waiting,
        project: row.project,
        error_tags: row.error_tags,
        claimed: false,
    };
    view_from_row(state, row).await
}

/// The page's view of a task's stored row, with what the row's statement read beside it.
async fn view_from_row(state: &AppState, row: lease::Shown) -> Result<TaskView, AppError> {
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
    // Most tasks have no end-user feedback: the row's statement answers that from the index, and
    // only a task with some pays for the summary's query.
    let end_users = if row.has_end_user_feedback {
        crate::end_users::store::summary(&state.pool, row.id).await?
    } else {
        None
    };
    // Likewise only a task an admin sent back has a note, and reads it.
    let requeue_note = if reason == Reason::Requeued {
        sqlx::query_scalar!("select requeue_note from tasks where id = $1", row.id)
            .fetch_optional(&state.pool)
            .await?
            .flatten()
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
        waiting: row.waiting,
        project: row.project,
        error_tags: row.error_tags,
        support: stored_support(row.support, state.settings.weak_support),
        weak_below: state.settings.weak_support,
        end_users,
        requeue_note,
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
    let review = ReviewRow {
        rating: i16::from(rating.get()),
        verdict: verdict.as_str(),
        comment: comment.as_deref(),
        corrected: corrected.as_deref(),
        edit_distance,
        tags: &tags,
    };
    // Most moves raise no event any endpoint takes: the settle is then its own transaction, one
    // round trip. When one does, the outbox row must commit with the review, so the settle is
    // made again inside a transaction that writes it.
    let settled = lease::settle_with_review(
        &mut *pool.acquire().await?,
        reviewer,
        task_id,
        &review,
        true,
    )
    .await?;
    if !matches!(settled, Settled::Subscribed) {
        return settled_answer(settled).map(|_| ());
    }
    let mut tx = pool.begin().await?;
    let settled = lease::settle_with_review(&mut tx, reviewer, task_id, &review, false).await?;
    let (status, subscribed) = settled_answer(settled)?;
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

/// A settle's outcome as the submit answers it: the task's new status and whether an endpoint
/// takes its event, or the error the reviewer sees.
fn settled_answer(settled: Settled) -> Result<(TaskStatus, bool), AppError> {
    match settled {
        Settled::Stored { status, subscribed } => Ok((status, subscribed)),
        Settled::Missing => Err(AppError::NotFound("task".into())),
        Settled::NotHeld => Err(AppError::Conflict(
            "this task is no longer assigned to you (its lease ran out and it went back \
             to the queue); your review was not saved"
                .into(),
        )),
        // Only a settle asked to stay alone answers this, and it is handled before.
        Settled::Subscribed => {
            tracing::error!("a settle inside a transaction answered `Subscribed`");
            Err(AppError::Internal)
        }
    }
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
