//! `POST /api/v1/tasks` (one output or a batch) and `GET /api/v1/tasks/{id}` (status and reviews,
//! for a pipeline that polls).

use super::auth::Pipeline;
use super::error::ApiError;
use super::json_body;
use crate::ingest::{self, Ingested};
use app::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// One task's routing outcome, as the API reports it.
#[derive(Debug, Serialize)]
pub struct TaskReceipt {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub needs_review: bool,
    pub reason: &'static str,
    pub status: String,
    /// False when the external_id was known and the existing task is returned.
    pub created: bool,
}

impl From<Ingested> for TaskReceipt {
    fn from(i: Ingested) -> Self {
        TaskReceipt {
            id: i.id,
            external_id: i.external_id,
            needs_review: i.reason.needs_review(),
            reason: i.reason.as_str(),
            status: i.status,
            created: i.created,
        }
    }
}

/// Takes one task object (answering 201, or 200 for a known external_id) or an array of up to
/// 1,000 (answering 200 with `{"tasks": [...]}` in the same order).
pub async fn create(
    State(state): State<AppState>,
    _caller: Pipeline,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    let (tasks, batch) = ingest::parse_body(body, state.settings.max_document_bytes)?;
    let stored = ingest::store(&state.pool, tasks).await?;
    let created = stored.iter().filter(|t| t.created).count();
    tracing::info!(received = stored.len(), created, "tasks ingested");
    let receipts: Vec<TaskReceipt> = stored.into_iter().map(TaskReceipt::from).collect();
    if batch {
        Ok((StatusCode::OK, Json(json!({ "tasks": receipts }))).into_response())
    } else {
        let receipt = receipts.into_iter().next().ok_or(ApiError::Internal)?;
        let status = if receipt.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((status, Json(receipt)).into_response())
    }
}

#[derive(Debug, Serialize)]
struct ReviewOut {
    reviewer: String,
    rating: i16,
    verdict: String,
    comment: Option<String>,
    corrected_summary: Option<String>,
    seconds_spent: i32,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
struct FeedbackOut {
    user_id: String,
    feedback_type: String,
    value: Option<Value>,
    comments: Option<String>,
    created_at: DateTime<Utc>,
}

/// A task's status, routing and every review and end-user feedback so far.
pub async fn show(
    State(state): State<AppState>,
    _caller: Pipeline,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound("task"))?;
    let task = sqlx::query!(
        "select id, external_id, status, reason, confidence, threshold, model, model_version,
                flagged, metadata, reviews_required, reviews_done, created_at, completed_at
         from tasks where id = $1",
        id
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or(ApiError::NotFound("task"))?;
    let reviews = sqlx::query_as!(
        ReviewOut,
        "select u.username as reviewer, r.rating, r.verdict, r.comment, r.corrected_summary,
                r.seconds_spent, r.created_at
         from reviews r join users u on u.id = r.reviewer_id
         where r.task_id = $1 order by r.created_at, r.id",
        id
    )
    .fetch_all(&state.pool)
    .await?;
    let feedback = sqlx::query_as!(
        FeedbackOut,
        "select user_id, feedback_type, value, comments, created_at
         from external_feedback where task_id = $1 order by created_at, id",
        id
    )
    .fetch_all(&state.pool)
    .await?;
    let needs_review = task.reason != "auto_accepted";
    Ok(Json(json!({
        "id": task.id,
        "external_id": task.external_id,
        "status": task.status,
        "needs_review": needs_review,
        "reason": task.reason,
        "confidence": task.confidence,
        "threshold": task.threshold,
        "model": task.model,
        "model_version": task.model_version,
        "flagged": task.flagged,
        "metadata": task.metadata,
        "reviews_required": task.reviews_required,
        "reviews_done": task.reviews_done,
        "created_at": task.created_at,
        "completed_at": task.completed_at,
        "reviews": reviews,
        "feedback": feedback,
    }))
    .into_response())
}
