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
    /// -9 to 9; higher is offered first.
    pub priority: i16,
    pub metadata: Map<String, Value>,
    /// The project the output names (`project`), if any.
    pub project: Option<String>,
    /// The project it is stored in: the default until [`place`] places it.
    pub project_id: i64,
    /// Who the output names as its assignee (a username, or `group:<slug>`), if anyone.
    pub assignee: Option<String>,
    /// That assignee, resolved by [`place`].
    pub assigned: Option<app::task::reserve::Assignee>,
}

/// Places each task in its project ([`app::project::place`]): the one it names, else the
/// token's own, else the default; and resolves its assignee ([`app::task::reserve::resolve`]).
/// `limit`: the projects the caller's token is limited to. `field(name, i)` names field `name`
/// of task `i` in errors ([`batch_field`] for the API).
pub async fn place(
    pool: &PgPool,
    tasks: &mut [NewTask],
    limit: Option<&[i64]>,
    field: impl Fn(&str, usize) -> String,
) -> Result<Result<(), app::project::Refused>, app::error::AppError> {
    let slugs: Vec<Option<&str>> = tasks.iter().map(|t| t.project.as_deref()).collect();
    let placed = match app::project::place(pool, &slugs, limit, |i| field("project", i)).await? {
        Ok(placed) => placed,
        Err(refused) => return Ok(Err(refused)),
    };
    let names: Vec<Option<&str>> = tasks.iter().map(|t| t.assignee.as_deref()).collect();
    let assigned =
        match app::task::reserve::resolve(pool, &names, &placed, |i| field("assignee", i)).await? {
            Ok(assigned) => assigned,
            Err(e) => return Ok(Err(app::project::Refused::Invalid(e))),
        };
    for ((task, id), assignee) in tasks.iter_mut().zip(placed).zip(assigned) {
        task.project_id = id;
        task.assigned = assignee;
    }
    Ok(Ok(()))
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

/// How the API names field `name` of task `i`: `name` alone for one task, `tasks[i].name` in a
/// batch.
pub fn batch_field(batch: bool) -> impl Fn(&str, usize) -> String {
    move |name, i| {
        if batch {
            format!("tasks[{i}].{name}")
        } else {
            name.to_owned()
        }
    }
}

/// Routes and stores the tasks in one transaction, returning each one's outcome in order.
///
/// A batch costs a fixed number of round trips whatever its size: one look-up of the known
/// `external_id`s, one routing read per project and model, one insert of every new row (arrays
/// unnested on the server, close to `COPY`), one for the models list. Per-row statements made
/// ingest round-trip bound (one insert per task: ~2k tasks/s).
///
/// Rows are inserted in the batch's order: tasks of one batch share their `created_at`, and the
/// queue breaks that tie by insertion order, so the pipeline's order is the review order. Two
/// batches carrying the same new `external_id`s in opposite orders at the same moment can
/// therefore deadlock on the unique index; PostgreSQL ends one of them, and that one is stored
/// again from the start (up to [`ATTEMPTS`] times), when the other has committed: its outputs
/// then answer as the other's tasks, as any retried batch would. (The models list is inserted
/// sorted, so it cannot deadlock.)
pub async fn store(pool: &PgPool, tasks: Vec<NewTask>) -> Result<Vec<Ingested>, sqlx::Error> {
    // Only a batch with two or more external ids can take part in a deadlock: only such a batch
    // keeps a copy for another attempt.
    if tasks.iter().filter(|t| t.external_id.is_some()).count() >= 2 {
        for attempt in 1..ATTEMPTS {
            match store_once(pool, tasks.clone()).await {
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(DEADLOCK) => {
                    tracing::warn!(
                        attempt,
                        "an ingest batch deadlocked with another; storing it again"
                    );
                }
                answer => return answer,
            }
        }
    }
    store_once(pool, tasks).await
}

/// How many times a batch is tried when it deadlocks with another.
pub const ATTEMPTS: u32 = 3;

/// PostgreSQL's `deadlock_detected`.
const DEADLOCK: &str = "40P01";

async fn store_once(pool: &PgPool, tasks: Vec<NewTask>) -> Result<Vec<Ingested>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let known: Vec<Known> = tasks
        .iter()
        .filter_map(|t| t.external_id.clone().map(|e| (e, t.project_id)))
        .collect();
    let mut existing = find_existing(&mut tx, &known).await?;
    // The routing in force for each project and model of the batch.
    let mut settings: HashMap<(i64, String), RoutingSetting> = HashMap::new();
    for task in &tasks {
        let key = (task.project_id, task.model.clone());
        if !settings.contains_key(&key) {
            let s = app::routing::store::in_force(&mut *tx, task.project_id, &task.model).await?;
            settings.insert(key, s);
        }
    }

    // What each submitted output becomes: an existing task, or a new row (the first of the same
    // `external_id` in this batch; later ones answer as duplicates of it).
    enum Slot {
        Existing(Known),
        New(usize),
        Again(usize),
    }
    let mut slots = Vec::with_capacity(tasks.len());
    let mut rows = Rows::default();
    let mut planned: HashMap<Known, usize> = HashMap::new();
    let mut outcomes: Vec<(Reason, TaskStatus)> = Vec::new();
    for task in tasks {
        if let Some(external_id) = &task.external_id {
            let key = (external_id.clone(), task.project_id);
            if existing.contains_key(&key) {
                slots.push(Slot::Existing(key));
                continue;
            }
            if let Some(&first) = planned.get(&key) {
                slots.push(Slot::Again(first));
                continue;
            }
            planned.insert(key, rows.id.len());
        }
        let setting = &settings[&(task.project_id, task.model.clone())];
        let id = Uuid::new_v4();
        let draw_key = task.external_id.clone().unwrap_or_else(|| id.to_string());
        let reason = route(
            task.confidence,
            task.flagged,
            setting,
            audit_draw(&draw_key),
        );
        let status = if reason.needs_review() {
            TaskStatus::Queued
        } else {
            TaskStatus::AutoAccepted
        };
        slots.push(Slot::New(rows.id.len()));
        outcomes.push((reason, status));
        rows.push(task, id, setting, reason, status);
    }

    let inserted: HashSet<Uuid> = sqlx::query_scalar!(
        "insert into tasks (id, external_id, document, summary, confidence, model, model_version,
                            flagged, threshold, metadata, reason, status, reviews_required,
                            completed_at, support_check, project_id, assignee_user,
                            assignee_group, reserved_until, priority)
         select id, nullif(external_id, ''), document, summary, confidence, model, model_version,
                flagged, threshold, metadata::jsonb, reason, status, reviews_required,
                case when status = 'auto_accepted' then now() end, support_check, project_id,
                assignee_user, assignee_group,
                -- Kept for the assignee for the project's wait; a wait of null is for ever.
                case when coalesce(assignee_user, assignee_group) is not null then
                    coalesce(now() + make_interval(secs => (select p.assign_wait_secs
                                                            from projects p
                                                            where p.id = t.project_id)),
                             'infinity')
                end,
                priority
         from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[],
                     $7::text[], $8::bool[], $9::float8[], $10::text[], $11::text[], $12::text[],
                     $13::int4[], $14::bool[], $15::int8[], $16::int8[], $17::int8[], $18::int2[])
              as t (id, external_id, document, summary, confidence, model, model_version,
                    flagged, threshold, metadata, reason, status, reviews_required,
                    support_check, project_id, assignee_user, assignee_group, priority)
         on conflict (external_id, project_id) do nothing
         returning id",
        &rows.id,
        &rows.external_id,
        &rows.document,
        &rows.summary,
        &rows.confidence,
        &rows.model,
        &rows.model_version,
        &rows.flagged,
        &rows.threshold,
        &rows.metadata,
        &rows.reason,
        &rows.status,
        &rows.reviews_required,
        &rows.support_check,
        &rows.project_id,
        &rows.assignee_user as &[Option<i64>],
        &rows.assignee_group as &[Option<i64>],
        &rows.priority,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();

    // Rows another request stored first (the same `external_id`, between our look-up and our
    // insert) answer as that request's tasks.
    let lost: Vec<Known> = (0..rows.id.len())
        .filter(|&i| !inserted.contains(&rows.id[i]) && !rows.external_id[i].is_empty())
        .map(|i| (rows.external_id[i].clone(), rows.project_id[i]))
        .collect();
    if !lost.is_empty() {
        existing.extend(find_existing(&mut tx, &lost).await?);
    }
    // The task made from new row `i`: `created` only for the output that made it.
    let made = |i: usize, created: bool| Ingested {
        id: rows.id[i],
        external_id: non_empty(&rows.external_id[i]),
        reason: outcomes[i].0,
        status: outcomes[i].1,
        created,
    };
    let mut out = Vec::with_capacity(slots.len());
    for slot in slots {
        match slot {
            Slot::New(i) if inserted.contains(&rows.id[i]) => out.push(made(i, true)),
            // A later output with the `external_id` of one earlier in this batch.
            Slot::Again(i) if inserted.contains(&rows.id[i]) => out.push(made(i, false)),
            Slot::New(i) | Slot::Again(i) => out.extend(
                existing
                    .get(&(rows.external_id[i].clone(), rows.project_id[i]))
                    .cloned(),
            ),
            Slot::Existing(key) => out.extend(existing.get(&key).cloned()),
        }
    }

    // The dashboard's list of models and versions.
    let versions: HashSet<(&str, &str)> = (0..rows.id.len())
        .filter(|&i| inserted.contains(&rows.id[i]))
        .map(|i| (rows.model[i].as_str(), rows.model_version[i].as_str()))
        .collect();
    if !versions.is_empty() {
        let mut versions: Vec<(&str, &str)> = versions.into_iter().collect();
        versions.sort_unstable();
        let (models, model_versions): (Vec<&str>, Vec<&str>) = versions.into_iter().unzip();
        sqlx::query!(
            "insert into model_versions (model, model_version)
             select * from unnest($1::text[], $2::text[])
             on conflict do nothing",
            &models as &[&str],
            &model_versions as &[&str],
        )
        .execute(&mut *tx)
        .await?;
    }
    // Wakes the support workers (in every process on this database) once this commits, so the
    // new tasks' hints are computed before a reviewer opens them, and confident outputs under a
    // `weak_support_review` rule are checked at once.
    if out
        .iter()
        .any(|t| t.created && t.status == TaskStatus::Queued)
        || rows.support_check.iter().any(|&c| c)
    {
        sqlx::query("select pg_notify($1, '')")
            .bind(crate::support_worker::CHANNEL)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// The new rows of a batch, column by column, as the insert unnests them. A task without an
/// `external_id` has `""` here (never a valid one: ingest refuses empty ids), stored as null.
#[derive(Default)]
struct Rows {
    id: Vec<Uuid>,
    external_id: Vec<String>,
    document: Vec<String>,
    summary: Vec<String>,
    confidence: Vec<f64>,
    model: Vec<String>,
    model_version: Vec<String>,
    flagged: Vec<bool>,
    threshold: Vec<f64>,
    metadata: Vec<String>,
    reason: Vec<String>,
    status: Vec<String>,
    reviews_required: Vec<i32>,
    /// Auto-accepted under a model whose `weak_support_review` rule is on: the support worker
    /// checks it and queues it as `weak_support` if its summary is marked.
    support_check: Vec<bool>,
    project_id: Vec<i64>,
    assignee_user: Vec<Option<i64>>,
    assignee_group: Vec<Option<i64>>,
    priority: Vec<i16>,
}

impl Rows {
    fn push(
        &mut self,
        task: NewTask,
        id: Uuid,
        setting: &RoutingSetting,
        reason: Reason,
        status: TaskStatus,
    ) {
        self.id.push(id);
        self.external_id.push(task.external_id.unwrap_or_default());
        self.project_id.push(task.project_id);
        self.assignee_user
            .push(task.assigned.and_then(|a| a.user()));
        self.assignee_group
            .push(task.assigned.and_then(|a| a.group()));
        self.document.push(task.document);
        self.summary.push(task.summary);
        self.confidence.push(task.confidence);
        self.model.push(task.model);
        self.model_version.push(task.model_version);
        self.flagged.push(task.flagged);
        self.priority.push(task.priority);
        self.threshold.push(setting.threshold);
        self.metadata.push(Value::Object(task.metadata).to_string());
        self.reason.push(reason.as_str().to_owned());
        self.status.push(status.as_str().to_owned());
        self.reviews_required.push(setting.reviews_per_task);
        self.support_check
            .push(status == TaskStatus::AutoAccepted && setting.weak_support_review);
    }
}

fn non_empty(external_id: &str) -> Option<String> {
    (!external_id.is_empty()).then(|| external_id.to_owned())
}

/// An `external_id` and its project: unique among tasks.
type Known = (String, i64);

/// The tasks already stored under these `external_id`s in these projects, by key.
async fn find_existing(
    db: &mut sqlx::PgConnection,
    known: &[Known],
) -> Result<HashMap<Known, Ingested>, sqlx::Error> {
    if known.is_empty() {
        return Ok(HashMap::new());
    }
    let (external_ids, projects): (Vec<String>, Vec<i64>) = known.iter().cloned().unzip();
    let rows = sqlx::query!(
        r#"select id, t.external_id as "external_id!", t.project_id, reason, status
           from tasks t
           join unnest($1::text[], $2::int8[]) k (external_id, project_id)
             on t.external_id = k.external_id and t.project_id = k.project_id"#,
        &external_ids,
        &projects
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let ingested = Ingested {
                id: r.id,
                external_id: Some(r.external_id.clone()),
                reason: Reason::from_db(&r.reason).unwrap_or(Reason::AutoAccepted),
                status: TaskStatus::from_db(&r.status).unwrap_or(TaskStatus::Queued),
                created: false,
            };
            ((r.external_id, r.project_id), ingested)
        })
        .collect())
}
