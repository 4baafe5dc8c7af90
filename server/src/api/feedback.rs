//! External feedback from end users of the AI product, sent by the product's backend:
//! `POST /feedback` (the contract existing integrations use) and `POST /api/v1/feedback`.
//!
//! Body: `task_id` (Loupe's id, or the pipeline's external_id), `user_id`, `feedback_type`
//! (`thumbs`, `rating` or `comment`), `value` (thumbs: "up" / "down" or 1 / -1; rating: 1–5;
//! comment: unused), `comments`. Answers `{"status": "received"}`.

use super::auth::{Pipeline, need};
use super::error::ApiError;
use super::json_body;
use app::domain::Rating;
use app::error::FieldError;
use app::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

const MAX_COMMENTS_CHARS: usize = 10_000;
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
    /// thumbs, rating or comment.
    #[schema(value_type = String, required = true, pattern = "^(thumbs|rating|comment)$")]
    feedback_type: Option<String>,
    /// thumbs: "up" / "down" or 1 / -1; rating: 1-5; comment: leave out.
    value: Option<Value>,
    comments: Option<String>,
}

// The answer to stored feedback.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Received {
    /// Always "received".
    status: &'static str,
}

/// One piece of feedback, checked.
#[derive(Debug, PartialEq)]
struct Feedback {
    task_key: String,
    user_id: String,
    feedback_type: &'static str,
    value: Option<Value>,
    comments: Option<String>,
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
    let comments = raw
        .comments
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comments
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENTS_CHARS)
    {
        return Err(FieldError::new(
            "comments",
            format!("must be at most {MAX_COMMENTS_CHARS} characters"),
        ));
    }
    let (feedback_type, value) = match raw.feedback_type.as_deref().map(str::trim) {
        Some("thumbs") => {
            let up = match &raw.value {
                Some(Value::String(s)) if s == "up" => true,
                Some(Value::String(s)) if s == "down" => false,
                Some(Value::Number(n)) if n.as_i64() == Some(1) => true,
                Some(Value::Number(n)) if n.as_i64() == Some(-1) => false,
                Some(Value::Bool(b)) => *b,
                _ => {
                    return Err(FieldError::new(
                        "value",
                        "for thumbs must be \"up\" or \"down\" (or 1 / -1)",
                    ));
                }
            };
            ("thumbs", Some(json!(if up { "up" } else { "down" })))
        }
        Some("rating") => {
            let n = raw.value.as_ref().and_then(Value::as_i64).ok_or_else(|| {
                FieldError::new("value", "for a rating must be a whole number from 1 to 5")
            })?;
            let rating = Rating::from_int(n).map_err(|_| {
                FieldError::new("value", "for a rating must be a whole number from 1 to 5")
            })?;
            ("rating", Some(json!(rating.get())))
        }
        Some("comment") => {
            if comments.is_none() {
                return Err(FieldError::new("comments", "is required for a comment"));
            }
            ("comment", None)
        }
        None => return Err(FieldError::new("feedback_type", "is required")),
        Some(_) => {
            return Err(FieldError::new(
                "feedback_type",
                "must be one of thumbs, rating, comment",
            ));
        }
    };
    Ok(Feedback {
        task_key,
        user_id,
        feedback_type,
        value,
        comments,
    })
}

/// Stores one piece of end-user feedback against its task (also served at `POST /feedback`).
#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback",
    security(("token" = ["ingest"])),
    request_body = EndUserFeedbackInput,
    responses((status = 200, body = Received), super::openapi::Errors))]
pub async fn receive(
    State(state): State<AppState>,
    caller: Pipeline<need::Ingest>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Received>, ApiError> {
    let feedback = parse(json_body(body)?)?;
    // The task may be named by Loupe's id or by the pipeline's own external_id.
    let as_uuid = Uuid::parse_str(&feedback.task_key).ok();
    let task_id = sqlx::query_scalar!(
        "select id from tasks where id = $1 or external_id = $2
         order by (id = $1) desc nulls last limit 1",
        as_uuid,
        feedback.task_key
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| ApiError::Unknown(FieldError::new("task_id", "does not name a known task")))?;
    sqlx::query!(
        "insert into external_feedback (task_id, user_id, feedback_type, value, comments, token_id)
         values ($1, $2, $3, $4, $5, $6)",
        task_id,
        feedback.user_id,
        feedback.feedback_type,
        feedback.value,
        feedback.comments,
        caller.token_id,
    )
    .execute(&state.pool)
    .await?;
    Ok(Json(Received { status: "received" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(extra: Value) -> Value {
        let mut b =
            json!({"task_id": "t-1", "user_id": "u-1", "feedback_type": "thumbs", "value": "up"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    }

    #[test]
    fn thumbs_accept_words_numbers_and_booleans() {
        assert_eq!(parse(body(json!({}))).unwrap().value, Some(json!("up")));
        assert_eq!(
            parse(body(json!({"value": -1}))).unwrap().value,
            Some(json!("down"))
        );
        assert_eq!(
            parse(body(json!({"value": "sideways"}))).unwrap_err().field,
            "value"
        );
    }

    #[test]
    fn ratings_must_be_one_to_five() {
        let ok = parse(body(json!({"feedback_type": "rating", "value": 4}))).unwrap();
        assert_eq!(ok.value, Some(json!(4)));
        assert_eq!(
            parse(body(json!({"feedback_type": "rating", "value": 9})))
                .unwrap_err()
                .field,
            "value"
        );
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        assert_eq!(
            parse(json!({"user_id": "u", "feedback_type": "thumbs", "value": 1}))
                .unwrap_err()
                .field,
            "task_id"
        );
        assert_eq!(
            parse(body(json!({"feedback_type": "emoji"})))
                .unwrap_err()
                .field,
            "feedback_type"
        );
        assert_eq!(
            parse(body(json!({"feedback_type": "comment"})))
                .unwrap_err()
                .field,
            "comments"
        );
    }
}
