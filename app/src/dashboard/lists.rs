//! The dashboard's lists and the admin's task page: the latest comments, the escalations still
//! open, and one task with its whole review history.

use super::filter::{Filter, in_range};
use super::{CommentRow, EscalationRow, HistoryFeedback, HistoryReview, TaskHistory};
use crate::error::AppError;
use sqlx::PgPool;
use uuid::Uuid;

pub async fn comments(pool: &PgPool, f: &Filter) -> Result<Vec<CommentRow>, AppError> {
    let rows = in_range!(
        f,
        r#"select r.task_id, u.username, r.rating, r.verdict, r.comment as "comment!", r.created_at
           from reviews r join users u on u.id = r.reviewer_id
           where r.created_at >= $1 and r.created_at < $2 and r.comment is not null
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
             and ($5::bigint[] is null or r.project_id = any($5))
           order by r.created_at desc
           limit 10"#,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CommentRow {
            task_id: r.task_id,
            reviewer: r.username,
            rating: r.rating,
            verdict: r.verdict,
            comment: r.comment,
            at: r.created_at.to_rfc3339(),
        })
        .collect())
}

/// Escalations waiting now, newest first (not limited to the date range: they are still open).
pub async fn escalations(pool: &PgPool, f: &Filter) -> Result<Vec<EscalationRow>, AppError> {
    let rows = sqlx::query!(
        r#"select t.id, t.model, t.model_version, t.completed_at, e.username as "username?",
                  e.comment as "comment?"
           from tasks t
           left join lateral (
               select u.username, r.comment from reviews r join users u on u.id = r.reviewer_id
               where r.task_id = t.id and r.verdict = 'escalate'
               order by r.created_at desc limit 1
           ) e on true
           where t.status = 'escalated'
             and ($1::text is null or t.model = $1) and ($2::text is null or t.model_version = $2)
             and ($3::bigint[] is null or t.project_id = any($3))
           order by t.completed_at desc nulls last
           limit 10"#,
        f.model.as_deref(),
        f.version.as_deref(),
        f.projects.as_deref(),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| EscalationRow {
            task_id: r.id,
            model: r.model,
            model_version: r.model_version,
            reviewer: r.username,
            comment: r.comment,
            at: r.completed_at.map(|t| t.to_rfc3339()),
        })
        .collect())
}

pub async fn task_history(
    pool: &PgPool,
    id: Uuid,
    within: Option<&[i64]>,
) -> Result<TaskHistory, AppError> {
    // Another project's task reads as no task at all.
    let task = sqlx::query!(
        "select id, external_id, document, summary, confidence, threshold, model, model_version,
                reason, status, created_at
         from tasks where id = $1 and ($2::bigint[] is null or project_id = any($2))",
        id,
        within
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound("task".into()))?;
    let reviews = sqlx::query!(
        "select u.username, r.rating, r.verdict, r.comment, r.corrected_summary, r.edit_distance,
                r.seconds_spent, r.created_at
         from reviews r join users u on u.id = r.reviewer_id
         where r.task_id = $1 order by r.created_at, r.id",
        id
    )
    .fetch_all(pool)
    .await?;
    let feedback = sqlx::query!(
        "select user_id, feedback_type, feedback_value_doc(feedback_type, value) as value,
                comments, created_at
         from external_feedback where task_id = $1 order by created_at, id",
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(TaskHistory {
        id: task.id,
        external_id: task.external_id,
        document: task.document,
        summary: task.summary,
        confidence: task.confidence,
        threshold: task.threshold,
        model: task.model,
        model_version: task.model_version,
        reason: task.reason,
        status: task.status,
        created_at: task.created_at.to_rfc3339(),
        reviews: reviews
            .into_iter()
            .map(|r| HistoryReview {
                reviewer: r.username,
                rating: r.rating,
                verdict: r.verdict,
                comment: r.comment,
                corrected_summary: r.corrected_summary,
                edit_distance: r.edit_distance,
                seconds_spent: r.seconds_spent,
                at: r.created_at.to_rfc3339(),
            })
            .collect(),
        end_user: feedback
            .into_iter()
            .map(|f| HistoryFeedback {
                user_id: f.user_id,
                feedback_type: f.feedback_type,
                value: f.value.map(|v| v.to_string()),
                comments: f.comments,
                at: f.created_at.to_rfc3339(),
            })
            .collect(),
    })
}
