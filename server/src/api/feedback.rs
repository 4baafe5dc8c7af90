//! External feedback from end users of the AI product, sent by the product's backend:
//! `POST /feedback` (the contract existing integrations use) and `POST /api/v1/feedback`.
//!
//! Body, as the guide types it: `task_id` (Loupe's id, or the pipeline's external_id), `user_id`,
//! `feedback_type` (free text; the types Loupe knows and their values are in
//! [`app::end_users::signal`]), `value` (a number), `comments`. Answers `{"status": "received"}`,
//! the seed's answer, whatever the signal did: a pipeline that wants to know whether it sent the
//! output back to review (the model's rule, [`app::routing::decide::dissatisfied`]) reads the
//! task's `status` and `reason`.

use super::auth::{ProjectPipeline, need};
use super::error::ApiError;
use app::end_users::signal::{self, Signal};
use app::end_users::store::{self, Outcome, Sender};
use app::error::FieldError;
use app::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

const MAX_USER_ID_CHARS: usize = 200;

/// End-user feedback from the AI product's backend.
// The body before checking, and its schema in the OpenAPI document: fields are optional or loose
// here so that each mistake is reported by name, while the schema states what a valid body holds.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct EndUserFeedbackInput {
    /// Loupe's task id or the pipeline's external_id.
    #[schema(value_type = String, required = true, min_length = 1, pattern = r"\S")]
    task_id: Option<Value>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, pattern = r"\S")]
    user_id: Option<Value>,
    /// Free text, trimmed and lower-cased, up to 64 characters. Known types: thumbs, rating,
    /// comment, correction, copy, regenerate, edit, dwell_seconds, abandon; any other is stored,
    /// counted and exported as sent.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 64)]
    feedback_type: Option<String>,
    /// A number. thumbs: 1 up, 0 down (-1, "up" and "down" are also read); rating: 1 to 5,
    /// fractions allowed; dwell_seconds: 0 or more (required); others: optional.
    #[schema(value_type = Option<f64>)]
    value: Option<Value>,
    /// Up to 10,000 characters. Required for comment, and for correction, where it is the end
    /// user's corrected text.
    #[schema(max_length = 10000)]
    comments: Option<String>,
    /// The project whose `external_id` `task_id` is (default: the default project). Not needed
    /// with Loupe's own task id.
    #[schema(max_length = 64)]
    project: Option<String>,
}

// The answer to stored feedback.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Received {
    /// Always "received".
    pub(super) status: &'static str,
}

/// One piece of feedback, checked.
#[derive(Debug, PartialEq)]
struct Feedback {
    task_key: String,
    /// The project an external id is looked up in, when the body names one.
    project: Option<String>,
    user_id: String,
    signal: Signal,
}

fn parse(body: Value) -> Result<Feedback, FieldError> {
    let raw: EndUserFeedbackInput = FieldError::read_object(body, "body")?;
    let task_key = match raw.task_id {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        None | Some(Value::Null) => return Err(FieldError::new("task_id", "is required")),
        Some(_) => {
            return Err(FieldError::new(
                "task_id",
                "must be a task id or external_id string",
            ));
        }
    };
    let user_id = match raw.user_id {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        None | Some(Value::Null) => return Err(FieldError::new("user_id", "is required")),
        Some(_) => return Err(FieldError::new("user_id", "must be a non-empty string")),
    };
    if user_id.chars().count() > MAX_USER_ID_CHARS {
        return Err(FieldError::new(
            "user_id",
            format!("must be at most {MAX_USER_ID_CHARS} characters"),
        ));
    }
    let project = match raw.project.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(slug) => {
            app::project::check_slug("project", slug)?;
            Some(slug.to_owned())
        }
    };
    let signal = signal::check(
        raw.feedback_type.as_deref(),
        raw.value.as_ref(),
        raw.comments.as_deref(),
    )?;
    Ok(Feedback {
        task_key,
        project,
        user_id,
        signal,
    })
}

/// The body as JSON. A number too large for a float (`1e400`, how a client's infinity reaches
/// JSON) makes the whole body unreadable to the parser; the only number this body is meant to
/// carry is `value`, so that is the field named.
fn body_json(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = super::body_bytes(body)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Err(e) if e.to_string().starts_with("number out of range") => Err(ApiError::Invalid(
            FieldError::new("value", "must be a finite number"),
        )),
        _ => super::json_body(Ok(bytes)),
    }
}

/// Stores one piece of end-user feedback against its task (also served at `POST /feedback`);
/// when the model's rule finds the end user dissatisfied with an auto-accepted output, the same
/// transaction puts the task in the review queue with reason `user_feedback`.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback",
    security(("token" = ["ingest"])),
    request_body = EndUserFeedbackInput,
    responses((status = 200, body = Received), super::openapi::Errors))]
pub async fn receive(
    State(state): State<AppState>,
    caller: ProjectPipeline<need::Ingest>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Received>, ApiError> {
    let sender = Sender::Token(caller.token.token_id);
    accept(&state, body, sender, caller.projects.as_deref()).await
}

/// Checks and stores one body of end-user feedback from `sender`: the one path both this route
/// and the browser's (`super::public_feedback`, with a publishable key) take, so the model's
/// dissatisfaction rule applies alike. `within`: the projects a token is limited to (`None`:
/// every project); feedback on any other project's output is refused.
pub async fn accept(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
    sender: Sender,
    within: Option<&[i64]>,
) -> Result<Json<Received>, ApiError> {
    let feedback = parse(body_json(body)?)?;
    let as_uuid = Uuid::parse_str(&feedback.task_key).ok();
    // An external id is looked up in the project named, else the token's one project, else the
    // default project: ingest's rule (`project::place`).
    let placed = app::project::place(&state.pool, &[feedback.project.as_deref()], within, |_| {
        "project".into()
    })
    .await?;
    let unknown = || ApiError::Unknown(FieldError::new("task_id", "does not name a known task"));
    let project = match placed {
        Ok(placed) => Some(placed[0]),
        // Loupe's own id needs no project (a token limited to several names none, or the one
        // named does not exist): the id alone is looked up.
        Err(app::project::Refused::Invalid(_)) if as_uuid.is_some() => None,
        // A browser's publishable key learns nothing about which projects exist.
        Err(app::project::Refused::Invalid(_)) if matches!(sender, Sender::Key(_)) => {
            return Err(unknown());
        }
        Err(refused) => return Err(refused.into()),
    };
    // The task may be named by Loupe's id (in a project the caller may use) or by the
    // pipeline's own external_id (unique within its project).
    let task_id = sqlx::query_scalar!(
        "select id from tasks
         where (id = $1 and ($4::bigint[] is null or project_id = any($4)))
            or (external_id = $2 and project_id = $3)
         order by (id = $1) desc nulls last limit 1",
        as_uuid,
        feedback.task_key,
        project,
        within
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(unknown)?;
    let outcome = store::record(
        &state.pool,
        task_id,
        &feedback.user_id,
        &feedback.signal,
        sender,
    )
    .await?;
    if outcome == Outcome::Requeued {
        tracing::info!(task = %task_id, kind = %feedback.signal.feedback_type, "end user's dissatisfaction sent an auto-accepted output to review");
    }
    Ok(Json(Received { status: "received" }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(extra: Value) -> Value {
        let mut b =
            json!({"task_id": "t-1", "user_id": "u-1", "feedback_type": "thumbs", "value": "up"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    }

    #[test]
    fn the_guides_contract_parses_with_a_float_value() {
        let f = parse(body(json!({"feedback_type": "rating", "value": 4.0}))).unwrap();
        assert_eq!(f.signal.value, Some(4.0));
        let f = parse(body(json!({"feedback_type": "thumbs", "value": -1}))).unwrap();
        assert_eq!(f.signal.value, Some(0.0));
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            parse(json!({"user_id": "u", "feedback_type": "thumbs", "value": 1}))
                .unwrap_err()
                .field,
            "task_id"
        );
        assert_eq!(
            parse(json!({"task_id": "t", "feedback_type": "thumbs", "value": 1}))
                .unwrap_err()
                .field,
            "user_id"
        );
        assert_eq!(
            parse(body(json!({"feedback_type": "comment", "value": null})))
                .unwrap_err()
                .field,
            "comments"
        );
    }
}
