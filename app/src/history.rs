//! A reviewer's own history: their last 50 reviews, and amending one within
//! [`AMEND_MINUTES`] of submitting it. An amendment keeps the earlier version in
//! `review_revisions`; if it changes a completed task's verdict, the pipeline hears of it again
//! (`task.reviewed`).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How long after submitting a review its author may amend it.
pub const AMEND_MINUTES: i64 = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyReview {
    pub id: i64,
    pub task_id: String,
    pub task_label: String,
    pub summary: String,
    pub rating: i16,
    pub verdict: String,
    pub comment: Option<String>,
    pub corrected_summary: Option<String>,
    pub error_tags: Vec<String>,
    pub created_at: String,
    /// Earlier versions kept by amendments.
    pub revisions: i64,
    /// Whether it may still be amended (and until when).
    pub amendable_until: Option<String>,
}

/// The caller's last 50 reviews, newest first.
#[server(prefix = "/api", endpoint = "history")]
pub async fn my_reviews() -> Result<Vec<MyReview>, AppError> {
    let user = crate::auth::require_role(crate::domain::Role::Reviewer).await?;
    let pool = crate::state::expect_state().pool;
    let rows = sqlx::query!(
        r#"select r.id, r.task_id, coalesce(t.external_id, t.id::text) as "label!", t.summary,
                  r.rating, r.verdict, r.comment, r.corrected_summary, r.error_tags, r.created_at,
                  (select count(*) from review_revisions v where v.review_id = r.id) as "revisions!",
                  case when r.created_at > now() - make_interval(mins => $2)
                       then r.created_at + make_interval(mins => $2) end as until
           from reviews r join tasks t on t.id = r.task_id
           where r.reviewer_id = $1
           order by r.created_at desc, r.id desc limit 50"#,
        user.id,
        AMEND_MINUTES as i32
    )
    .fetch_all(&pool)
    .await?;
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    Ok(rows
        .into_iter()
        .map(|r| MyReview {
            id: r.id,
            task_id: r.task_id.to_string(),
            task_label: r.label,
            summary: r.summary,
            rating: r.rating,
            verdict: r.verdict,
            comment: r.comment,
            corrected_summary: r.corrected_summary,
            error_tags: r.error_tags,
            created_at: time(r.created_at),
            revisions: r.revisions,
            amendable_until: r.until.map(time),
        })
        .collect())
}

/// Replaces the caller's review `review_id` with a new judgement, keeping the old one. Only
/// within [`AMEND_MINUTES`] of submitting, and only between accept and reject: escalating, or
/// taking an escalation back, changes who must act and is not an amendment.
#[server(prefix = "/api", endpoint = "history/amend")]
pub async fn amend_review(
    review_id: String,
    rating: Option<String>,
    verdict: Option<String>,
    comment: Option<String>,
    corrected_summary: Option<String>,
    error_tags: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::{Role, Verdict};
    let user = crate::auth::require_role(Role::Reviewer).await?;
    let pool = crate::state::expect_state().pool;
    let review_id: i64 = review_id
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound("review".into()))?;
    let crate::review::Judgement {
        rating,
        verdict,
        comment,
        corrected,
        tags,
    } = crate::review::Judgement::parse(
        &pool,
        review_id,
        user.id,
        rating.as_deref(),
        verdict.as_deref(),
        comment.as_deref(),
        corrected_summary.as_deref(),
        error_tags.as_deref(),
    )
    .await?;
    if verdict == Verdict::Escalate {
        return Err(AppError::invalid(
            "verdict",
            "an amendment can accept or reject; to escalate, ask an admin",
        ));
    }

    // Measured before the transaction that locks the review and its task, off the async
    // workers; the task's summary never changes, so reading it first is safe.
    let summary = sqlx::query_scalar!(
        "select t.summary from reviews r join tasks t on t.id = r.task_id
         where r.id = $1 and r.reviewer_id = $2",
        review_id,
        user.id
    )
    .fetch_optional(&pool)
    .await?
    .ok_or_else(|| AppError::NotFound("review".into()))?;
    let (corrected, edit_distance) =
        crate::review::Judgement::measure_correction(corrected, summary).await?;

    let mut tx = pool.begin().await?;
    let old = sqlx::query!(
        r#"select r.task_id, r.rating, r.verdict, r.comment, r.corrected_summary, r.error_tags,
                  r.edit_distance, coalesce(r.amended_at, r.created_at) as "written_at!",
                  r.created_at > now() - make_interval(mins => $3) as "in_time!",
                  t.status
           from reviews r join tasks t on t.id = r.task_id
           where r.id = $1 and r.reviewer_id = $2
           for update of r, t"#,
        review_id,
        user.id,
        AMEND_MINUTES as i32
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound("review".into()))?;
    if !old.in_time {
        return Err(AppError::Conflict(format!(
            "a review can be amended for {AMEND_MINUTES} minutes after it was submitted"
        )));
    }
    if old.verdict == "escalate" {
        return Err(AppError::invalid(
            "verdict",
            "this review escalated the task; an admin settles it now",
        ));
    }
    sqlx::query!(
        "insert into review_revisions
             (review_id, rating, verdict, comment, corrected_summary, error_tags, edit_distance, written_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        review_id,
        old.rating,
        old.verdict,
        old.comment,
        old.corrected_summary,
        &old.error_tags,
        old.edit_distance,
        old.written_at
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update reviews set rating = $2, verdict = $3, comment = $4, corrected_summary = $5,
                error_tags = $6, edit_distance = $7, amended_at = now()
         where id = $1",
        review_id,
        i16::from(rating.get()),
        verdict.as_str(),
        comment,
        corrected,
        &tags,
        edit_distance
    )
    .execute(&mut *tx)
    .await?;
    // A completed task's outcome may have changed: tell the pipeline again.
    if crate::task::TaskStatus::stored(&old.status)? == crate::task::TaskStatus::Reviewed {
        crate::outbox::enqueue(&mut tx, crate::outbox::TASK_REVIEWED, old.task_id).await?;
    }
    tx.commit().await?;
    Ok(())
}
