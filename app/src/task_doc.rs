//! A task as pipelines see it: the body of `GET /api/v1/tasks/{id}` and the `task` of every
//! webhook event, so a pipeline reads one shape whether it polls or listens. These types are also
//! the OpenAPI document's schemas (`TaskDoc`, `ReviewDoc`, …): what is documented is what is sent.
//!
//! Fields are declared in alphabetical order on purpose: the document used to be built as a
//! `serde_json::Value`, whose objects sort their keys, and pipelines keep receiving the keys in
//! that order.

use crate::task::TaskStatus;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// A task as pipelines see it: `GET /api/v1/tasks/{id}`, and the `task` of every webhook event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskDoc {
    pub completed_at: Option<DateTime<Utc>>,
    pub confidence: f64,
    /// The latest correction a reviewer made, if any.
    pub corrected_summary: Option<String>,
    pub created_at: DateTime<Utc>,
    pub external_id: Option<String>,
    pub feedback: Vec<EndUserFeedbackDoc>,
    pub flagged: bool,
    pub id: Uuid,
    // The object the pipeline sent with the task (`{}` when it sent none).
    #[schema(value_type = serde_json::Map<String, Value>)]
    pub metadata: Value,
    pub model: String,
    pub model_version: String,
    pub needs_review: bool,
    /// -9 to 9: a higher priority is offered to reviewers first.
    pub priority: i16,
    /// The slug of the project the output belongs to (`default` unless it named one).
    pub project: String,
    /// low_confidence, flagged, audit_sample, auto_accepted, or user_feedback (auto-accepted,
    /// then sent to review because its end users were dissatisfied).
    #[schema(value_type = crate::domain::Reason)]
    pub reason: String,
    /// An admin's settlement of an escalation; its verdict is the task's.
    pub resolution: Option<ResolutionDoc>,
    pub reviews: Vec<ReviewDoc>,
    pub reviews_done: i32,
    pub reviews_required: i32,
    /// auto_accepted, queued, in_review, reviewed or escalated.
    pub status: String,
    /// The threshold in force when the task was routed.
    pub threshold: f64,
    /// Once complete: an admin's resolution verdict, else escalate (still escalated), reject (any
    /// reviewer rejected) or accept; null before, and for auto-accepted tasks.
    pub verdict: Option<String>,
}

/// A reviewer's judgement, as pipelines see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewDoc {
    /// Set when the reviewer amended the review (the earlier version is kept by Loupe).
    pub amended_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub corrected_summary: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The kinds of mistake the reviewer marked (hallucination, omission, …).
    pub error_tags: Vec<String>,
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i16,
    pub reviewer: String,
    pub seconds_spent: i32,
    /// accept, reject or escalate.
    pub verdict: String,
}

/// End-user feedback as stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndUserFeedbackDoc {
    pub comments: Option<String>,
    pub created_at: DateTime<Utc>,
    /// thumbs, rating, comment, correction, copy, regenerate, edit, dwell_seconds, abandon, or
    /// any other type the product sent (lower case).
    pub feedback_type: String,
    pub user_id: String,
    /// thumbs: "up" or "down"; every other type: the number sent (a rating may be fractional),
    /// or null.
    #[schema(value_type = Option<Value>)]
    pub value: Option<Value>,
}

/// How an admin settled an escalated task.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResolutionDoc {
    pub at: Option<DateTime<Utc>>,
    /// The admin's username.
    pub by: Option<String>,
    pub note: Option<String>,
    /// accept or reject.
    pub verdict: String,
}

/// The task's status, routing decision, outcome, reviews and end-user feedback; `None` when there
/// is no such task.
///
/// `verdict` is the human verdict once the task is complete: an admin's resolution of an
/// escalation when there is one, `escalate` for a task still escalated, `reject` when any reviewer
/// rejected it, else `accept`; `null` while it waits or when it was auto-accepted.
/// `corrected_summary` is the latest correction, if any reviewer made one.
pub async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<TaskDoc>, sqlx::Error> {
    let Some(task) = sqlx::query!(
        r#"select t.id, t.external_id, t.status, t.reason, t.confidence, t.threshold, t.model,
                  t.model_version, t.flagged, t.metadata, t.reviews_required, t.reviews_done,
                  t.created_at, t.completed_at, t.resolved_verdict, t.resolution_note,
                  t.resolved_at, u.username as "resolved_by?", p.slug as project, t.priority
           from tasks t join projects p on p.id = t.project_id
           left join users u on u.id = t.resolved_by
           where t.id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let reviews = sqlx::query_as!(
        ReviewDoc,
        "select u.username as reviewer, r.rating, r.verdict, r.comment, r.corrected_summary,
                r.seconds_spent, r.created_at, r.error_tags, r.amended_at
         from reviews r join users u on u.id = r.reviewer_id
         where r.task_id = $1 order by r.created_at, r.id",
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let feedback = sqlx::query_as!(
        EndUserFeedbackDoc,
        "select user_id, feedback_type, feedback_value_doc(feedback_type, value) as value,
                comments, created_at
         from external_feedback where task_id = $1 order by created_at, id",
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let verdict = match TaskStatus::from_db(&task.status) {
        _ if task.resolved_verdict.is_some() => task.resolved_verdict.clone(),
        Some(TaskStatus::Escalated) => Some("escalate".to_owned()),
        Some(TaskStatus::Reviewed) if reviews.iter().any(|r| r.verdict == "reject") => {
            Some("reject".to_owned())
        }
        Some(TaskStatus::Reviewed) => Some("accept".to_owned()),
        _ => None,
    };
    let corrected_summary = reviews
        .iter()
        .rev()
        .find_map(|r| r.corrected_summary.clone());
    Ok(Some(TaskDoc {
        completed_at: task.completed_at,
        confidence: task.confidence,
        corrected_summary,
        created_at: task.created_at,
        external_id: task.external_id,
        feedback,
        flagged: task.flagged,
        id: task.id,
        metadata: task.metadata,
        model: task.model,
        model_version: task.model_version,
        needs_review: task.reason != "auto_accepted",
        priority: task.priority,
        project: task.project,
        reason: task.reason,
        resolution: task.resolved_verdict.map(|verdict| ResolutionDoc {
            at: task.resolved_at,
            by: task.resolved_by,
            note: task.resolution_note,
            verdict,
        }),
        reviews,
        reviews_done: task.reviews_done,
        reviews_required: task.reviews_required,
        status: task.status,
        threshold: task.threshold,
        verdict,
    }))
}
