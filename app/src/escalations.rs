//! The admin's escalation queue: tasks a reviewer escalated, with what they said (or an admin
//! escalated from the task list or the API, with their note), settled by an
//! admin's final verdict. Resolving completes the task and writes its `task.reviewed` event to the
//! webhook outbox in the same transaction.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One escalated task waiting for an admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    pub task_id: String,
    pub external_id: Option<String>,
    pub model: String,
    pub model_version: String,
    pub confidence: f64,
    pub summary: String,
    /// The reviewer who escalated, their rating and comment.
    pub reviewer: Option<String>,
    pub rating: Option<i16>,
    pub comment: Option<String>,
    pub escalated_at: Option<String>,
}

/// Escalated tasks, oldest first (the longest waiting at the top).
#[server(prefix = "/api", endpoint = "admin/escalations")]
pub async fn load_escalations() -> Result<Vec<Escalation>, AppError> {
    let pool = crate::auth::admin_pool().await?;
    let rows = sqlx::query!(
        r#"select t.id, t.external_id, t.model, t.model_version, t.confidence, t.summary,
                  t.completed_at,
                  coalesce(t.escalated_by, e.username) as "username?",
                  case when t.escalated_by is null then e.rating end as "rating?",
                  coalesce(t.escalation_note, e.comment) as "comment?"
           from tasks t
           left join lateral (
               select u.username, r.rating, r.comment from reviews r
               join users u on u.id = r.reviewer_id
               where r.task_id = t.id and r.verdict = 'escalate'
               order by r.created_at desc limit 1
           ) e on true
           where t.status = 'escalated'
           order by t.completed_at nulls first, t.id
           limit 200"#
    )
    .fetch_all(&pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Escalation {
            task_id: r.id.to_string(),
            external_id: r.external_id,
            model: r.model,
            model_version: r.model_version,
            confidence: r.confidence,
            summary: r.summary,
            reviewer: r.username,
            rating: r.rating,
            comment: r.comment,
            escalated_at: r
                .completed_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        })
        .collect())
}

/// Settles an escalated task with a final verdict (`accept` or `reject`) and an optional note.
#[server(prefix = "/api", endpoint = "admin/escalations/resolve")]
pub async fn resolve_escalation(
    task_id: String,
    verdict: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    let (pool, actor) = crate::audit::admin().await?;
    let id =
        uuid::Uuid::parse_str(task_id.trim()).map_err(|_| AppError::NotFound("task".into()))?;
    let verdict = match verdict.as_deref().map(str::trim) {
        Some(v @ ("accept" | "reject")) => v.to_owned(),
        _ => return Err(AppError::invalid("verdict", "choose accept or reject")),
    };
    let note = crate::domain::parse_review_text("note", note.as_deref())?;
    let mut tx = pool.begin().await?;
    let exists = sqlx::query_scalar!("select status from tasks where id = $1", id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !exists {
        return Err(AppError::NotFound("task".into()));
    }
    let status = "escalated";
    let ruled = crate::task::resolve::resolve(
        &mut tx,
        &[id],
        &[status],
        &verdict,
        actor.id(),
        note.as_deref(),
    )
    .await?;
    if ruled.is_empty() {
        return Err(AppError::Conflict(
            "this task is no longer escalated (another admin may have resolved it)".into(),
        ));
    }
    crate::outbox::enqueue(&mut tx, crate::outbox::TASK_REVIEWED, id).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Action::EscalationResolve,
        &id.to_string(),
        Some(serde_json::json!({ "status": status })),
        Some(serde_json::json!({ "status": "reviewed", "verdict": verdict, "note": note })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
