//! Turning pipeline outputs into tasks: parse every field (naming it when it is wrong), route,
//! and store — idempotently on the caller's `external_id`.
//!
//! Used by `POST /api/v1/tasks`, `loupe import` and the demo loader. A batch is parsed completely
//! before anything is written, then stored in one transaction: a rejected batch changes nothing.

/// Reading request bodies and records into checked tasks.
mod parse;

pub use parse::{
    BodyError, MAX_BATCH, TaskBody, TaskInput, check_summaries, parse_body, parse_body_bytes,
    parse_task, parse_task_json,
};

use app::domain::Reason;
use app::routing::RoutingSetting;
use app::routing::decide::{audit_draw, route};
use app::task::TaskStatus;
use serde_json::{Map, Value};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

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

/// What became of one submitted output.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub reason: Reason,
    pub status: TaskStatus,
    /// False when the `external_id` was already known and the existing task was returned.
    pub created: bool,
}

/// Routes and stores the tasks in one transaction, returning each one's outcome in order.
pub async fn store(pool: &PgPool, tasks: Vec<NewTask>) -> Result<Vec<Ingested>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut settings: HashMap<String, RoutingSetting> = HashMap::new();
    let mut out = Vec::with_capacity(tasks.len());
    let mut versions: HashSet<(String, String)> = HashSet::new();
    for task in tasks {
        if let Some(existing) = find_existing(&mut *tx, task.external_id.as_deref()).await? {
            out.push(existing);
            continue;
        }
        let model_settings = match settings.get(&task.model) {
            Some(s) => s.clone(),
            None => {
                let s = app::routing::store::in_force(&mut *tx, &task.model).await?;
                settings.insert(task.model.clone(), s.clone());
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
            TaskStatus::Queued
        } else {
            TaskStatus::AutoAccepted
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
            status.as_str(),
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
                status,
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
    if out
        .iter()
        .any(|t| t.created && t.status == TaskStatus::Queued)
    {
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
        status: TaskStatus::from_db(&r.status).unwrap_or(TaskStatus::Queued),
        created: false,
    }))
}
