//! Reading pipeline outputs: a request body (one task or a batch) or one JSON Lines record
//! becomes checked [`NewTask`]s, or a [`FieldError`] naming the field and the rule it broke.

use super::NewTask;
use app::error::FieldError;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Largest batch `POST /api/v1/tasks` accepts.
pub const MAX_BATCH: usize = 1000;
/// Longest model version or external id, in characters (a model name follows
/// [`app::domain::ModelName`]).
const MAX_LABEL_CHARS: usize = 200;
/// Largest metadata object, in bytes of JSON.
const MAX_METADATA_BYTES: usize = 64 * 1024;

/// One model output for review. Unknown fields are refused.
// The wire shape before checking, and the request body's schema in the OpenAPI document: every
// field is optional here so that a missing one is reported by name (`is required`), while the
// schema states what a valid task needs. Unknown fields are refused so a misspelt `confidance`
// is an error, not a silently missing value.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    /// The source document (at most the server's document limit, 1 MB by default).
    #[schema(value_type = String, required = true, min_length = 1, pattern = r"\S")]
    document: Option<String>,
    /// The AI summary to review.
    #[schema(value_type = String, required = true, min_length = 1, pattern = r"\S")]
    summary: Option<String>,
    /// The model's confidence, 0 to 1.
    #[schema(value_type = f64, required = true, minimum = 0.0, maximum = 1.0)]
    confidence: Option<f64>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, pattern = r"\S")]
    model: Option<String>,
    #[schema(max_length = 200)]
    model_version: Option<String>,
    /// The pipeline's own id: sending it again returns the stored task instead of a new one.
    external_id: Option<String>,
    /// The pipeline asks for a human, whatever the confidence.
    flagged: Option<bool>,
    /// -9 to 9 (default 0): a higher priority is offered to reviewers first, before the flag
    /// and the confidence.
    #[schema(minimum = -9, maximum = 9)]
    priority: Option<i64>,
    /// The project's slug. Without it: the token's project if it is limited to one, else the
    /// default project. `external_id` is unique within a project.
    #[schema(max_length = 64, pattern = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]
    project: Option<String>,
    /// Keep the output for one reviewer (a username) or a group (`group:<slug>`): they are
    /// offered it first, and anyone in the project after the project's wait (or never).
    #[schema(max_length = 200)]
    assignee: Option<String>,
    /// Any JSON object up to 64 KB, kept with the task.
    // Kept as raw text until its size is checked: parsed first, a small body of tiny values
    // (`[0,0,0,…]`) would become a `Value` some sixteen times its size.
    #[schema(value_type = Option<serde_json::Map<String, Value>>)]
    metadata: Option<Box<RawValue>>,
}

/// One task, or a batch of 1-1,000.
// The body of `POST /api/v1/tasks`, for the OpenAPI document only: `parse_body_bytes` reads the
// two forms itself, so that a batch stops at element `MAX_BATCH + 1` and each task's errors
// carry its index. Its variants are the real `TaskInput`, so the schema cannot drift from what
// is parsed.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum TaskBody {
    One(TaskInput),
    Batch(Vec<TaskInput>),
}

/// Parses one task object, checking every rule.
pub fn parse_task(value: Value, max_document_bytes: usize) -> Result<NewTask, FieldError> {
    parse_task_json(&value.to_string(), max_document_bytes)
}

/// Parses one task from its JSON text (already known to be well-formed JSON), checking every
/// rule; strings are read straight into the task, never through a `serde_json::Value`.
pub fn parse_task_json(json: &str, max_document_bytes: usize) -> Result<NewTask, FieldError> {
    if !json.trim_start().starts_with('{') {
        return Err(FieldError::new("task", "must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let raw: TaskInput =
        serde_path_to_error::deserialize(&mut de).map_err(|e| FieldError::from_serde(e, "task"))?;
    let document = text(raw.document, "document", max_document_bytes)?;
    let summary = text(raw.summary, "summary", max_document_bytes)?;
    let confidence = raw
        .confidence
        .ok_or_else(|| FieldError::new("confidence", "is required"))?;
    if !(0.0..=1.0).contains(&confidence) {
        return Err(FieldError::new(
            "confidence",
            "must be a number from 0 to 1",
        ));
    }
    let model = match raw.model {
        None => return Err(FieldError::new("model", "is required")),
        Some(model) => {
            storable("model", &model)?;
            app::domain::ModelName::parse("model", &model)?.into_string()
        }
    };
    let model_version = label(raw.model_version, "model_version")?.unwrap_or_default();
    let external_id = label(raw.external_id, "external_id")?;
    if let Some(project) = &raw.project {
        app::project::check_slug("project", project)?;
    }
    let assignee = label(raw.assignee, "assignee")?;
    let priority = match raw.priority {
        None => 0,
        Some(p) => app::task::priority::check("priority", p)?,
    };
    let metadata = match raw.metadata {
        None => Map::new(),
        Some(raw) if raw.get().len() > MAX_METADATA_BYTES => {
            return Err(FieldError::new(
                "metadata",
                format!("must be at most {MAX_METADATA_BYTES} bytes of JSON"),
            ));
        }
        Some(raw) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Null) => Map::new(),
            Ok(Value::Object(map)) => map,
            _ => return Err(FieldError::new("metadata", "must be a JSON object")),
        },
    };
    if let Some(path) =
        app::domain::unstorable_json_path("metadata", &Value::Object(metadata.clone()))
    {
        return Err(FieldError::new(path, app::domain::STORABLE_TEXT_RULE));
    }
    Ok(NewTask {
        document,
        summary,
        confidence,
        model,
        model_version,
        external_id,
        flagged: raw.flagged.unwrap_or(false),
        priority,
        metadata,
        project: raw.project,
        project_id: app::project::DEFAULT,
        assignee,
        assigned: None,
    })
}

/// Why a request body could not become tasks.
#[derive(Debug)]
pub enum BodyError {
    /// Not JSON at all (400).
    Malformed(String),
    /// A field broke a rule (422).
    Invalid(FieldError),
}

impl From<FieldError> for BodyError {
    fn from(e: FieldError) -> Self {
        BodyError::Invalid(e)
    }
}

/// Parses a request body straight from its bytes: one task object, or an array of 1 to
/// [`MAX_BATCH`] of them. The array is split into its elements' raw JSON text without building
/// any `Value`, and the split stops at element `MAX_BATCH + 1`, so an oversized batch is refused
/// before the rest is even read; each task's strings are then read once, into the task.
/// Returns the tasks and whether the body was a batch.
pub fn parse_body_bytes(
    body: &[u8],
    max_document_bytes: usize,
) -> Result<(Vec<NewTask>, bool), BodyError> {
    let malformed =
        |e: serde_json::Error| BodyError::Malformed(format!("the body is not valid JSON: {e}"));
    let start = body.iter().find(|b| !b.is_ascii_whitespace());
    if start != Some(&b'[') {
        let raw: &RawValue = serde_json::from_slice(body).map_err(malformed)?;
        return Ok((vec![parse_task_json(raw.get(), max_document_bytes)?], false));
    }
    let items = match serde_json::from_slice::<Items<'_>>(body) {
        Ok(Items(items)) => items,
        Err(e) if e.is_data() && e.to_string().starts_with(TOO_MANY) => {
            return Err(FieldError::new(
                "tasks",
                format!("a batch must hold 1 to {MAX_BATCH} tasks (got more than {MAX_BATCH})"),
            )
            .into());
        }
        Err(e) => return Err(malformed(e)),
    };
    if items.is_empty() {
        return Err(FieldError::new(
            "tasks",
            format!("a batch must hold 1 to {MAX_BATCH} tasks (got 0)"),
        )
        .into());
    }
    let tasks = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| parse_task_json(item.get(), max_document_bytes).map_err(|e| e.in_batch(i)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((tasks, true))
}

/// The start of the error [`Items`] stops with at element `MAX_BATCH + 1`.
const TOO_MANY: &str = "too many tasks";

/// A batch's elements as raw JSON text borrowed from the body, at most [`MAX_BATCH`] of them.
struct Items<'a>(Vec<&'a RawValue>);

impl<'de> Deserialize<'de> for Items<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Items<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of task objects")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Items<'de>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<&'de RawValue>()? {
                    if items.len() == MAX_BATCH {
                        return Err(serde::de::Error::custom(TOO_MANY));
                    }
                    items.push(item);
                }
                Ok(Items(items))
            }
        }
        de.deserialize_seq(Visit)
    }
}

/// Parses a request body: one task object, or an array of 1 to [`MAX_BATCH`] of them.
/// Returns the tasks and whether the body was a batch.
pub fn parse_body(
    body: Value,
    max_document_bytes: usize,
) -> Result<(Vec<NewTask>, bool), FieldError> {
    match body {
        Value::Array(items) => {
            if items.is_empty() || items.len() > MAX_BATCH {
                return Err(FieldError::new(
                    "tasks",
                    format!(
                        "a batch must hold 1 to {MAX_BATCH} tasks (got {})",
                        items.len()
                    ),
                ));
            }
            let tasks = items
                .into_iter()
                .enumerate()
                .map(|(i, item)| parse_task(item, max_document_bytes).map_err(|e| e.in_batch(i)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((tasks, true))
        }
        other => Ok((vec![parse_task(other, max_document_bytes)?], false)),
    }
}

/// Checks the summaries of parsed tasks against the summary limit (a separate, smaller limit
/// than the document's: it bounds the work a summary's hints and diffs can cost). Naming the
/// field as [`parse_body`] does: `summary`, or `tasks[i].summary` in a batch.
pub fn check_summaries(
    tasks: &[NewTask],
    batch: bool,
    max_summary_bytes: usize,
) -> Result<(), FieldError> {
    for (i, task) in tasks.iter().enumerate() {
        if task.summary.len() > max_summary_bytes {
            let e = FieldError::new(
                "summary",
                format!(
                    "must be at most {max_summary_bytes} bytes (got {})",
                    task.summary.len()
                ),
            );
            return Err(if batch { e.in_batch(i) } else { e });
        }
    }
    Ok(())
}

fn text(value: Option<String>, field: &str, max_bytes: usize) -> Result<String, FieldError> {
    let value = value.ok_or_else(|| FieldError::new(field, "is required"))?;
    storable(field, &value)?;
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.len() > max_bytes {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_bytes} bytes (got {})", value.len()),
        ));
    }
    Ok(value)
}

/// The storable-text rule (`app::domain::check_storable`) as a field error.
fn storable(field: &str, value: &str) -> Result<(), FieldError> {
    app::domain::check_storable(field, value)
        .map_err(|_| FieldError::new(field, app::domain::STORABLE_TEXT_RULE))
}

fn label(value: Option<String>, field: &str) -> Result<Option<String>, FieldError> {
    if let Some(v) = &value {
        storable(field, v)?;
    }
    match value.map(|v| v.trim().to_owned()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Err(FieldError::new(field, "must not be empty when given")),
        Some(v) if v.chars().count() > MAX_LABEL_CHARS => Err(FieldError::new(
            field,
            format!("must be at most {MAX_LABEL_CHARS} characters"),
        )),
        Some(v) => Ok(Some(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({"document": "A long text.", "summary": "Short.", "confidence": 0.5, "model": "m"})
    }

    fn field_of(body: Value) -> String {
        parse_body(body, 100).unwrap_err().field
    }

    #[test]
    fn a_minimal_task_parses_with_defaults() {
        let (tasks, batch) = parse_body(valid(), 100).unwrap();
        assert!(!batch);
        assert_eq!(tasks[0].model_version, "");
        assert!(
            !tasks[0].flagged && tasks[0].metadata.is_empty() && tasks[0].external_id.is_none()
        );
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let with = |k: &str, v: Value| {
            let mut t = valid();
            t[k] = v;
            t
        };
        let without = |k: &str| {
            let mut t = valid();
            t.as_object_mut().unwrap().remove(k);
            t
        };
        assert_eq!(field_of(with("confidence", json!(1.7))), "confidence");
        assert_eq!(field_of(with("confidence", json!("high"))), "confidence");
        assert_eq!(field_of(without("document")), "document");
        assert_eq!(
            field_of(with("document", json!("x".repeat(101)))),
            "document"
        );
        assert_eq!(field_of(with("summary", json!("  "))), "summary");
        assert_eq!(field_of(with("metadata", json!([1]))), "metadata");
        assert_eq!(field_of(with("confidance", json!(0.5))), "confidance");
        assert_eq!(
            field_of(json!([valid(), with("model", json!(""))])),
            "tasks[1].model"
        );
        assert_eq!(field_of(json!([])), "tasks");
        assert_eq!(
            field_of(Value::Array(vec![valid(); MAX_BATCH + 1])),
            "tasks"
        );
        assert!(parse_body(Value::Array(vec![valid(); MAX_BATCH]), 100).is_ok());
    }

    fn bytes_field_of(body: &str) -> String {
        match parse_body_bytes(body.as_bytes(), 100) {
            Err(BodyError::Invalid(e)) => e.field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn the_byte_parser_names_the_same_fields_and_stops_at_the_batch_limit() {
        let one = valid().to_string();
        assert!(!parse_body_bytes(one.as_bytes(), 100).unwrap().1);
        assert_eq!(
            parse_body_bytes(format!("[{one},{one}]").as_bytes(), 100)
                .unwrap()
                .0
                .len(),
            2
        );
        assert_eq!(
            bytes_field_of(
                r#"{"document": "d", "summary": "s", "confidence": "high", "model": "m"}"#
            ),
            "confidence"
        );
        assert_eq!(
            bytes_field_of(r#"{"document": "d", "summary": "s", "confidance": 1, "model": "m"}"#),
            "confidance"
        );
        assert_eq!(
            bytes_field_of(&format!(
                r#"[{one}, {{"document": "d", "summary": "s", "confidence": 0.5, "model": ""}}]"#
            )),
            "tasks[1].model"
        );
        assert_eq!(bytes_field_of("[]"), "tasks");
        assert_eq!(bytes_field_of("[1]"), "tasks[0].task");
        // The element after the limit is never parsed: here it is not even valid JSON.
        let over = format!("[{}, !!!", vec![one.as_str(); MAX_BATCH + 1].join(","));
        assert_eq!(bytes_field_of(&over), "tasks");
        assert!(matches!(
            parse_body_bytes(b"{\"document\": ", 100),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            parse_body_bytes(b"[{}, ", 100),
            Err(BodyError::Malformed(_))
        ));
    }

    #[test]
    fn nul_characters_are_refused_naming_the_field() {
        let with = |k: &str, v: Value| {
            let mut t = valid();
            t[k] = v;
            t.to_string()
        };
        assert_eq!(
            bytes_field_of(&with("document", json!("a\u{0}b"))),
            "document"
        );
        assert_eq!(bytes_field_of(&with("summary", json!("\u{0}"))), "summary");
        assert_eq!(bytes_field_of(&with("model", json!("m\u{0}"))), "model");
        assert_eq!(
            bytes_field_of(&with("model_version", json!("1\u{0}"))),
            "model_version"
        );
        assert_eq!(
            bytes_field_of(&with("external_id", json!("x\u{0}"))),
            "external_id"
        );
        assert_eq!(
            bytes_field_of(&with("metadata", json!({"k": {"deep": ["\u{0}"]}}))),
            "metadata.k.deep[0]"
        );
        assert_eq!(
            bytes_field_of(&with("metadata", json!({"k\u{0}": 1}))),
            "metadata"
        );
    }
}
