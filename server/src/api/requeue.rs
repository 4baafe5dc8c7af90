//! `POST /api/v1/requeue`: sends settled outputs back to the review queue with a note for the
//! next reviewer, by id or every one a task-list filter matches (`app::task::bulk`). Admin scope:
//! it changes what reviewers are given, and each task requeued is in the audit trail.

use super::auth::{Operator, need};
use super::error::ApiError;
use super::json_body;
use app::error::FieldError;
use app::state::AppState;
use app::task::bulk::{self, Outcome, Target};
use app::task::find::Filter;
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

/// Requeues the named or matching tasks that are settled (reviewed, escalated or auto-accepted);
/// waiting and held ones are left alone and counted as `skipped`. Earlier reviews are kept and
/// the task asks for one more review, from someone who has not reviewed it.
#[utoipa::path(post, path = "/api/v1/requeue", operation_id = "requeue_tasks", tag = "tasks",
    security(("token" = ["admin"])),
    request_body = RequeueBody,
    responses((status = 200, body = Outcome), super::openapi::Errors))]
pub async fn requeue(
    State(state): State<AppState>,
    caller: Operator<need::Admin>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let body: RequeueBody = FieldError::read_object(json_body(body)?, "body")?;
    let note = bulk::parse_note(body.note.as_deref())?;
    let target = match (body.ids, body.matching) {
        (Some(ids), None) => Target::Ids(bulk::parse_ids(&ids)?),
        (None, Some(params)) => {
            if !params.filters_anything() {
                return Err(ApiError::Invalid(FieldError::new(
                    "matching",
                    "must hold at least one filter",
                )));
            }
            Target::Matching(Filter::parse(&params).map_err(|e| match e {
                // A filter's field is named inside `matching`.
                app::error::AppError::Validation(f) => {
                    ApiError::Invalid(FieldError::new(format!("matching.{}", f.field), f.rule))
                }
                other => other.into(),
            })?)
        }
        _ => {
            return Err(ApiError::Invalid(FieldError::new(
                "ids",
                "give ids or matching (one of the two)",
            )));
        }
    };
    let outcome = bulk::requeue(&state.pool, &caller.actor, &target, &note).await?;
    tracing::info!(
        requeued = outcome.requeued,
        skipped = outcome.skipped,
        "tasks requeued"
    );
    Ok(Json(outcome))
}
