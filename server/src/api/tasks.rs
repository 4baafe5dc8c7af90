//! `POST /api/v1/tasks` (one output or a batch), `GET /api/v1/tasks` (the list, filtered, newest
//! first; `app::task::find`) and `GET /api/v1/tasks/{id}` (status and reviews, for a pipeline that
//! polls, by Loupe's id or the pipeline's own external id).

use super::auth::{ProjectPipeline, need};
use super::body_bytes;
use super::error::ApiError;
use crate::ingest::{self, Ingested};
use app::metrics::Ingest;
use app::state::AppState;
use app::task_doc::TaskDoc;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One task's routing outcome, as the API reports it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskReceipt {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub needs_review: bool,
    /// low_confidence, flagged, audit_sample or auto_accepted; a known task's end users may
    /// since have sent it to review (user_feedback).
    #[schema(value_type = app::domain::Reason)]
    pub reason: &'static str,
    pub status: &'static str,
    /// False when the external_id was known and the existing task is returned.
    pub created: bool,
}

/// A batch's receipts, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchReceipts {
    #[serde(serialize_with = "keys_sorted")]
    pub tasks: Vec<TaskReceipt>,
}

/// One receipt (a known external_id) or a batch's receipts.
// The body of a 200.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ReceiptBody {
    One(TaskReceipt),
    Batch(BatchReceipts),
}

/// A batch's receipts with each one's keys in alphabetical order, as batches have always been
/// answered (the answer was built as a `serde_json::Value`, whose objects sort their keys); a
/// receipt alone keeps its declared order.
fn keys_sorted<S: serde::Serializer>(receipts: &[TaskReceipt], s: S) -> Result<S::Ok, S::Error> {
    let sorted = receipts
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(serde::ser::Error::custom)?;
    sorted.serialize(s)
}

impl From<Ingested> for TaskReceipt {
    fn from(i: Ingested) -> Self {
        TaskReceipt {
            id: i.id,
            external_id: i.external_id,
            needs_review: i.reason.needs_review(),
            reason: i.reason.as_str(),
            status: i.status.as_str(),
            created: i.created,
        }
    }
}

/// Takes one task object (answering 201, or 200 for a known external_id) or an array of up to
/// 1,000 (answering 200 with `{"tasks": [...]}` in the same order).
#[utoipa::path(post, path = "/api/v1/tasks", operation_id = "create_tasks", tag = "tasks",
    security(("token" = ["ingest"])),
    request_body = ingest::TaskBody,
    responses(
        (status = 201, description = "One new task", body = TaskReceipt),
        (status = 200, description = "A known external_id (one task), or a batch", body = ReceiptBody),
        super::openapi::Errors))]
pub async fn create(
    State(state): State<AppState>,
    caller: ProjectPipeline<need::Ingest>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let answer = ingest_body(&state, caller.projects.as_deref(), body).await;
    if let Err(
        ApiError::Malformed(_)
        | ApiError::Invalid(_)
        | ApiError::ProjectRefused(_)
        | ApiError::PayloadTooLarge,
    ) = &answer
    {
        state.metrics.ingest_rejected();
    }
    answer
}

/// `create` after the caller is known: the body parsed, checked and stored.
async fn ingest_body(
    state: &AppState,
    within: Option<&[i64]>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_bytes(body)?;
    let (mut tasks, batch) = ingest::parse_body_bytes(&body, state.settings.max_document_bytes)
        .map_err(|e| match e {
            ingest::BodyError::Malformed(message) => ApiError::Malformed(message),
            ingest::BodyError::Invalid(e) => ApiError::Invalid(e),
        })?;
    drop(body);
    ingest::check_summaries(&tasks, batch, state.settings.max_summary_bytes)?;
    match ingest::place(&state.pool, &mut tasks, within, ingest::batch_field(batch)).await? {
        Ok(()) => {}
        Err(app::project::Refused::Invalid(e)) => return Err(ApiError::Invalid(e)),
        Err(app::project::Refused::Forbidden(e)) => return Err(ApiError::ProjectRefused(e)),
    }
    let stored = ingest::store(&state.pool, tasks).await?;
    let created = stored.iter().filter(|t| t.created).count();
    tracing::info!(received = stored.len(), created, "tasks ingested");
    let metrics = &state.metrics;
    metrics.ingested(Ingest::Created, created as u64);
    metrics.ingested(Ingest::Deduplicated, (stored.len() - created) as u64);
    let receipts: Vec<TaskReceipt> = stored.into_iter().map(TaskReceipt::from).collect();
    if batch {
        let body = ReceiptBody::Batch(BatchReceipts { tasks: receipts });
        Ok((StatusCode::OK, Json(body)).into_response())
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

/// A task's status, routing, outcome (`verdict`, `corrected_summary`), reviews and end-user
/// feedback. Enough for a pipeline that polls: wait until `status` is `reviewed`, the final verdict
/// (`escalated` waits for an admin's ruling, which completes the task with the admin's verdict).
#[utoipa::path(get, path = "/api/v1/tasks/{id}", operation_id = "show_task", tag = "tasks",
    security(("token" = ["read"])),
    params(("id" = String, Path, description = "The task id Loupe returned, or the external_id \
        the pipeline sent (Loupe's id is tried first)"), ShowQuery),
    responses((status = 200, body = TaskDoc), super::openapi::Errors))]
pub async fn show(
    State(state): State<AppState>,
    caller: ProjectPipeline<need::Read>,
    Path(id): Path<String>,
    query: Result<Query<ShowQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|_| super::bad_query())?;
    let within = caller.projects.as_deref();
    // An external id is looked up in the project named, else the token's one project, else
    // the default project (`project::place`'s rule for ingest).
    let slug = q
        .project
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let project =
        match app::project::place(&state.pool, &[slug], within, |_| "project".into()).await? {
            Ok(placed) => placed[0],
            Err(app::project::Refused::Invalid(e)) => return Err(ApiError::Invalid(e)),
            Err(app::project::Refused::Forbidden(e)) => return Err(ApiError::ProjectRefused(e)),
        };
    let mut task = match Uuid::parse_str(&id) {
        Ok(uuid) => app::task::find::in_projects(&state.pool, uuid, within).await?,
        Err(_) => None,
    };
    // A pipeline's own ids may look like anything, a UUID included: Loupe's id wins a clash.
    if task.is_none() {
        task = app::task::find::by_external_id(&state.pool, &id, project).await?;
    }
    let Some(uuid) = task else {
        return Err(ApiError::not_found("task"));
    };
    let mut conn = state.pool.acquire().await?;
    let doc = app::task_doc::load(&mut conn, uuid).await?;
    Ok(Json(doc.ok_or(ApiError::not_found("task"))?).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShowQuery {
    /// The project an external id is looked up in (default: the token's one project, else the
    /// default project). External ids are unique within a project.
    project: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Words to find in the summary or the document (PostgreSQL web-search syntax: `"a phrase"`,
    /// `or`, `-word`; English stemming), at most 256 bytes. Ranked best first unless `sort` says
    /// otherwise: ranking covers the newest 1,000 tasks that match (words and every other
    /// filter), so a common word answers as fast as a rare one; older matches are listed by the
    /// other sorts (`sort=newest` pages through every match). A task is searchable about a
    /// second after ingest.
    q: Option<String>,
    /// auto_accepted, queued, in_review, reviewed or escalated.
    status: Option<String>,
    /// The routing reason: low_confidence, flagged, audit_sample, auto_accepted, user_feedback,
    /// weak_support or requeued.
    reason: Option<String>,
    model: Option<String>,
    model_version: Option<String>,
    external_id: Option<String>,
    /// A project's slug. A token limited to projects sees only theirs, whatever this says.
    project: Option<String>,
    /// Confidence at least this (0-1).
    confidence_min: Option<String>,
    /// Confidence at most this (0-1).
    confidence_max: Option<String>,
    /// Arrived at or after: a date (`2026-11-30`, UTC) or an RFC 3339 time.
    from: Option<String>,
    /// Arrived before: an RFC 3339 time, or a date (that whole day included).
    to: Option<String>,
    /// Reviewed by this username. With `verdict`, `has_comment=true`, `has_correction=true` or
    /// `error_tag`, all hold of one review.
    reviewer: Option<String>,
    /// Has a review with this verdict: accept, reject or escalate.
    verdict: Option<String>,
    /// true: has a review with a comment; false: none has one.
    has_comment: Option<String>,
    /// true: has a review with a corrected summary; false: none has one.
    has_correction: Option<String>,
    /// Has a review with this error tag.
    error_tag: Option<String>,
    /// true: end users sent feedback on it; false: none did.
    end_user_feedback: Option<String>,
    /// newest (default), oldest, least_confident, most_confident, or relevance (the default
    /// with `q`, and only with it: the newest 1,000 matches, best first).
    sort: Option<String>,
    /// Tasks per page, 1-500 (default 50).
    limit: Option<String>,
    /// `next_after` from the page before (with the same filters and sort).
    after: Option<String>,
}

/// Tasks with filters that compose, newest first (best match first when searching, among the
/// newest 1,000 matches); paged by cursor (`next_after`). Without their texts: `GET /api/v1/tasks/{id}` has those.
#[utoipa::path(get, path = "/api/v1/tasks", operation_id = "list_tasks", tag = "tasks",
    security(("token" = ["read"])),
    params(ListQuery),
    responses((status = 200, body = app::task::list::TaskPage), super::openapi::Errors))]
pub async fn list(
    State(state): State<AppState>,
    caller: ProjectPipeline<need::Read>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<app::task::list::TaskPage>, ApiError> {
    use app::task::find::{Filter, page};
    let Query(q) = query.map_err(|_| super::bad_query())?;
    let limit = super::limit(q.limit.as_deref(), 50, 500)?;
    let mut filter = Filter::parse(&app::task::list::Params {
        q: q.q,
        status: q.status,
        reason: q.reason,
        model: q.model,
        model_version: q.model_version,
        external_id: q.external_id,
        project: q.project,
        confidence_min: q.confidence_min,
        confidence_max: q.confidence_max,
        from: q.from,
        to: q.to,
        reviewer: q.reviewer,
        verdict: q.verdict,
        has_comment: q.has_comment,
        has_correction: q.has_correction,
        error_tag: q.error_tag,
        end_user_feedback: q.end_user_feedback,
        sort: q.sort,
        after: q.after,
    })?;
    filter.within = caller.projects;
    Ok(Json(page(&state.pool, &filter, limit).await?))
}
