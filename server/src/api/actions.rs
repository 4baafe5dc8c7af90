//! Actions on many tasks (`app::task::bulk`), by id or on every task a task-list filter matches:
//! `POST /api/v1/requeue` sends settled outputs back to the review queue with a note for the next
//! reviewer; `POST /api/v1/resolve` settles outputs with an admin's verdict; `POST
//! /api/v1/assign` keeps waiting outputs for a reviewer or a group; `POST /api/v1/priority` moves
//! waiting outputs ahead of the queue (or behind it); `POST /api/v1/escalate` sends outputs to the
//! escalation queue with a note. Admin scope: they
//! change what reviewers are given and what pipelines are told, and each task changed is in the
//! audit trail. A token limited to projects, and a project admin signed in, act only on their
//! projects' tasks (another project's named task is skipped, as an unknown id is).

use super::auth::{ProjectOperator, need};
use super::error::ApiError;
use super::json_body;
use app::error::FieldError;
use app::state::AppState;
use app::task::bulk::{self, Act, Outcome};
use app::task::list::Params;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::Deserialize;

/// Which tasks to send back, and why.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequeueBody {
    /// Shown to the next reviewer; required (at most 10,000 characters).
    note: Option<String>,
    /// Up to 1,000 task ids. Give `ids` or `matching`, not both.
    ids: Option<Vec<String>>,
    /// A task-list filter (the parameters of `GET /api/v1/tasks`), with at least one condition.
    /// Up to 10,000 tasks per call; `more` in the answer says to call again.
    matching: Option<Params>,
}

/// Which tasks to settle, and how.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// `accept` or `reject`: the task's final verdict.
    verdict: Option<String>,
    /// Optional; shown as the resolution's note (at most 10,000 characters).
    note: Option<String>,
    /// Up to 1,000 task ids. Give `ids` or `matching`, not both.
    ids: Option<Vec<String>>,
    /// A task-list filter, with at least one condition. Up to 10,000 tasks per call.
    matching: Option<Params>,
}

/// Who to keep waiting tasks for, and which.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// A reviewer's username, or `group:<slug>`; empty or absent: no one (open to the project).
    assignee: Option<String>,
    /// Up to 1,000 task ids. Give `ids` or `matching`, not both.
    ids: Option<Vec<String>>,
    /// A task-list filter, with at least one condition. Up to 10,000 tasks per call.
    matching: Option<Params>,
}

/// Which waiting tasks to move, and to what priority.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityBody {
    /// -9 to 9 (0 is how outputs arrive); a higher priority is offered first, before the flag
    /// and the confidence.
    #[schema(minimum = -9, maximum = 9)]
    priority: Option<i64>,
    /// Up to 1,000 task ids. Give `ids` or `matching`, not both.
    ids: Option<Vec<String>>,
    /// A task-list filter, with at least one condition. Up to 10,000 tasks per call.
    matching: Option<Params>,
}

/// Which tasks to escalate, and why.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    /// Shown in the escalation queue to whoever settles the tasks; required (at most 10,000
    /// characters).
    note: Option<String>,
    /// Up to 1,000 task ids. Give `ids` or `matching`, not both.
    ids: Option<Vec<String>>,
    /// A task-list filter, with at least one condition. Up to 10,000 tasks per call.
    matching: Option<Params>,
}

/// Requeues the named or matching tasks that are settled (reviewed, escalated or auto-accepted);
/// others are left alone and counted as `skipped`. Earlier reviews are kept and the task asks
/// for one more review, from someone who has not reviewed it.
#[utoipa::path(post, path = "/api/v1/requeue", operation_id = "requeue_tasks", tag = "tasks",
    security(("token" = ["admin"])),
    request_body = RequeueBody,
    responses((status = 200, body = Outcome), super::openapi::Errors))]
pub async fn requeue(
    State(state): State<AppState>,
    caller: ProjectOperator<need::Admin>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let body: RequeueBody = FieldError::read_object(json_body(body)?, "body")?;
    let act = Act::Requeue {
        note: bulk::parse_note(body.note.as_deref())?,
    };
    apply(
        &state,
        &caller,
        body.ids.as_deref(),
        body.matching.as_ref(),
        &act,
        "requeued",
    )
    .await
}

/// Settles the named or matching tasks with an admin's verdict: waiting (not held by a
/// reviewer), escalated, auto-accepted or already reviewed ones (the ruling then overrides the
/// reviewers' verdict). Each fires `task.reviewed`; the task's `verdict` and `resolution` say it.
#[utoipa::path(post, path = "/api/v1/resolve", operation_id = "resolve_tasks", tag = "tasks",
    security(("token" = ["admin"])),
    request_body = ResolveBody,
    responses((status = 200, body = Outcome), super::openapi::Errors))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: ProjectOperator<need::Admin>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let body: ResolveBody = FieldError::read_object(json_body(body)?, "body")?;
    let act = Act::Resolve {
        verdict: bulk::parse_verdict(body.verdict.as_deref())?,
        note: app::domain::parse_review_text("note", body.note.as_deref())?,
    };
    apply(
        &state,
        &caller,
        body.ids.as_deref(),
        body.matching.as_ref(),
        &act,
        "resolved",
    )
    .await
}

/// Keeps the named or matching waiting tasks for a reviewer (only tasks of projects they review)
/// or a group, for their project's wait; with no assignee, opens them to everyone now. Tasks
/// not waiting are left alone and counted as `skipped`.
#[utoipa::path(post, path = "/api/v1/assign", operation_id = "assign_tasks", tag = "tasks",
    security(("token" = ["admin"])),
    request_body = AssignBody,
    responses((status = 200, body = Outcome), super::openapi::Errors))]
pub async fn assign(
    State(state): State<AppState>,
    caller: ProjectOperator<need::Admin>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let body: AssignBody = FieldError::read_object(json_body(body)?, "body")?;
    let act = Act::Assign {
        assignee: app::task::reserve::parse_name(
            &state.pool,
            body.assignee.as_deref(),
            caller.projects.as_deref(),
        )
        .await?,
    };
    apply(
        &state,
        &caller,
        body.ids.as_deref(),
        body.matching.as_ref(),
        &act,
        "assigned",
    )
    .await
}

/// Sets the priority of the named or matching tasks that wait for a review (queued, or held by a
/// reviewer); others, and those already at that priority, are left alone and counted as
/// `skipped`. Audited as `task.prioritize`.
#[utoipa::path(post, path = "/api/v1/priority", operation_id = "prioritize_tasks", tag = "tasks",
    security(("token" = ["admin"])),
    request_body = PriorityBody,
    responses((status = 200, body = Outcome), super::openapi::Errors))]
pub async fn prioritize(
    State(state): State<AppState>,
    caller: ProjectOperator<need::Admin>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let body: PriorityBody = FieldError::read_object(json_body(body)?, "body")?;
    let priority = match body.priority {
        Some(p) => app::task::priority::check("priority", p)?,
        None => return Err(FieldError::new("priority", "is required").into()),
    };
    let act = Act::Prioritize { priority };
    apply(
        &state,
        &caller,
        body.ids.as_deref(),
        body.matching.as_ref(),
        &act,
        "reprioritised",
    )
    .await
}

/// Sends the named or matching tasks that are waiting (not held by a reviewer), auto-accepted or
/// reviewed to the escalation queue with the note; any ruling they had is undone. Each fires
/// `task.escalated`; others are left alone and counted as `skipped`. Audited as `task.escalate`.
#[utoipa::path(post, path = "/api/v1/escalate", operation_id = "escalate_tasks", tag = "tasks",
    security(("token" = ["admin"])),
    request_body = EscalateBody,
    responses((status = 200, body = Outcome), super::openapi::Errors))]
pub async fn escalate(
    State(state): State<AppState>,
    caller: ProjectOperator<need::Admin>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let body: EscalateBody = FieldError::read_object(json_body(body)?, "body")?;
    let act = Act::Escalate {
        note: bulk::parse_escalation_note(body.note.as_deref())?,
    };
    apply(
        &state,
        &caller,
        body.ids.as_deref(),
        body.matching.as_ref(),
        &act,
        "escalated",
    )
    .await
}

/// Runs `act` on the tasks `ids` names or `matching` matches, and logs what it did (`done`: the
/// past tense of the action, as the log names it).
async fn apply(
    state: &AppState,
    caller: &ProjectOperator<need::Admin>,
    ids: Option<&[String]>,
    matching: Option<&Params>,
    act: &Act,
    done: &'static str,
) -> Result<Json<Outcome>, ApiError> {
    let target = bulk::target(ids, matching)?;
    let outcome = bulk::run(
        &state.pool,
        &caller.actor,
        &target,
        act,
        caller.projects.as_deref(),
    )
    .await?;
    tracing::info!(
        changed = outcome.changed,
        skipped = outcome.skipped,
        "tasks {done}"
    );
    Ok(Json(outcome))
}
