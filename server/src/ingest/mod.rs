//! Turning pipeline outputs into tasks: parse every field (naming it when it is wrong), route,
//! and store — idempotently on the caller's `external_id`.
//!
//! Used by `POST /api/v1/tasks` and by the demo loader. A batch is parsed completely before
//! anything is written, then stored in one transaction: a rejected batch changes nothing.

use crate::routing::{RoutingSettings, audit_draw, route};
use app::domain::Reason;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Largest batch `POST /api/v1/tasks` accepts.
pub const MAX_BATCH: usize = 1000;
/// Longest model name, model version or external id, in characters.
const MAX_LABEL_CHARS: usize = 200;
/// Largest metadata object, in bytes of JSON.
const MAX_METADATA_BYTES: usize = 64 * 1024;

/// One output, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub document: String,
    pub summary: String,
    pub confidence: f64,
    pub model: String,
    pub model_version: String,
    pub external_id: Option<String>,
    pub flagged: bool,
    pub metadata: Map<String, Value>,
}

/// What was wrong with one field of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the request body, such as `confidence` or `tasks[3].document`.
    pub field: String,
    /// The rule it broke, for a person to read.
    pub rule: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// The same error for the task at `index` of a batch.
    pub fn in_batch(self, index: usize) -> Self {
        FieldError {
            field: format!("tasks[{index}].{}", self.field),
            rule: self.rule,
        }
    }
}

/// The wire shape, before checking. Unknown fields are refused so a misspelt `confidance` is an
/// error, not a silently missing value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    document: Option<String>,
    summary: Option<String>,
    confidence: Option<f64>,
    model: Option<String>,
    model_version: Option<String>,
    external_id: Option<String>,
    flagged: Option<bool>,
    /// Kept as raw text until its size is checked: parsed first, a small body of tiny values
    /// (`[0,0,0,…]`) would become a `Value` some sixteen times its size.
    metadata: Option<Box<RawValue>>,
}

/// Reads a JSON object into `T`, naming the offending field (`what` when the value is not an
/// object at all).
pub fn from_object<T: serde::de::DeserializeOwned>(
    value: Value,
    what: &str,
) -> Result<T, FieldError> {
    if !value.is_object() {
        return Err(FieldError::new(what, "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| named(e, what))
}

/// The field a deserialization error is about, and its message without serde_json's position.
fn named(e: serde_path_to_error::Error<serde_json::Error>, what: &str) -> FieldError {
    let path = e.path().to_string();
    let message = e.into_inner().to_string();
    // "… at line 1 column 20" says nothing more to a caller who is told the field.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    let field = if path.is_empty() || path == "." {
        // Serde reports an unknown field at the object itself; name the field instead.
        message.split('`').nth(1).unwrap_or(what).to_owned()
    } else {
        path
    };
    FieldError::new(field, message)
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
    let raw: RawTask = serde_path_to_error::deserialize(&mut de).map_err(|e| named(e, "task"))?;
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
    let model =
        label(raw.model, "model")?.ok_or_else(|| FieldError::new("model", "is required"))?;
    let model_version = label(raw.model_version, "model_version")?.unwrap_or_default();
    let external_id = label(raw.external_id, "external_id")?;
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
        metadata,
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
pub fn storable(field: &str, value: &str) -> Result<(), FieldError> {
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

/// What became of one submitted output.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub reason: Reason,
    pub status: String,
    /// False when the `external_id` was already known and the existing task was returned.
    pub created: bool,
}

/// Routes and stores the tasks in one transaction, returning each one's outcome in order.
pub async fn store(pool: &PgPool, tasks: Vec<NewTask>) -> Result<Vec<Ingested>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut settings: HashMap<String, RoutingSettings> = HashMap::new();
    let mut out = Vec::with_capacity(tasks.len());
    let mut versions: HashSet<(String, String)> = HashSet::new();
    for task in tasks {
        if let Some(existing) = find_existing(&mut *tx, task.external_id.as_deref()).await? {
            out.push(existing);
            continue;
        }
        let model_settings = match settings.get(&task.model) {
            Some(s) => *s,
            None => {
                let s = RoutingSettings::for_model(&mut *tx, &task.model).await?;
                settings.insert(task.model.clone(), s);
                s
            }
        };
        let id = Uuid::new_v4();
        let draw_key = task.external_id.clone().unwrap_or_else(|| id.to_string());
        let reason = route(
            task.confidence,
            task.flagged,
            &model_settings,
            audit_draw(&draw_key),
        );
        let status = if reason.needs_review() {
            "queued"
        } else {
            "auto_accepted"
        };
        let inserted = sqlx::query_scalar!(
            "insert into tasks (id, external_id, document, summary, confidence, model,
                                model_version, flagged, threshold, metadata, reason, status,
                                reviews_required, completed_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                     case when $12 = 'auto_accepted' then now() end)
             on conflict (external_id) do nothing
             returning id",
            id,
            task.external_id,
            task.document,
            task.summary,
            task.confidence,
            task.model,
            task.model_version,
            task.flagged,
            model_settings.threshold,
            Value::Object(task.metadata),
            reason.as_str(),
            status,
            model_settings.reviews_per_task,
        )
        .fetch_optional(&mut *tx)
        .await?;
        if inserted.is_some() {
            versions.insert((task.model, task.model_version));
        }
        match inserted {
            Some(id) => out.push(Ingested {
                id,
                external_id: task.external_id,
                reason,
                status: status.to_owned(),
                created: true,
            }),
            // Another request stored the same external_id between our look-up and insert.
            None => out.extend(find_existing(&mut *tx, task.external_id.as_deref()).await?),
        }
    }
    // The dashboard's list of models and versions.
    for (model, version) in versions {
        sqlx::query!(
            "insert into model_versions (model, model_version) values ($1, $2)
             on conflict do nothing",
            model,
            version,
        )
        .execute(&mut *tx)
        .await?;
    }
    // Wakes the support workers (in every process on this database) once this commits, so the
    // new tasks' hints are computed before a reviewer opens them.
    if out.iter().any(|t| t.created && t.status == "queued") {
        sqlx::query("select pg_notify($1, '')")
            .bind(crate::support_worker::CHANNEL)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(out)
}

async fn find_existing(
    db: &mut sqlx::PgConnection,
    external_id: Option<&str>,
) -> Result<Option<Ingested>, sqlx::Error> {
    let Some(external_id) = external_id else {
        return Ok(None);
    };
    let row = sqlx::query!(
        "select id, reason, status from tasks where external_id = $1",
        external_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Ingested {
        id: r.id,
        external_id: Some(external_id.to_owned()),
        reason: Reason::from_db(&r.reason).unwrap_or(Reason::AutoAccepted),
        status: r.status,
        created: false,
    }))
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
