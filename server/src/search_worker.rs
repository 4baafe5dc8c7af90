//! Makes each stored task searchable, in the background, right after ingest.
//!
//! Ingest only records that a task awaits parsing (a statement-level trigger, see
//! `migrations/0030_task_search.sql`); this worker turns the pending tasks' summary and document
//! into a `tsvector` in `task_search`, a batch per transaction, inside PostgreSQL. So a
//! pipeline's request never pays for parsing, and the review loop's updates of `tasks` never
//! touch a text-search index. Replicas share the work (`skip locked`).
//!
//! Searching (`app::task::find`) sees a task once its batch commits: within about one
//! [`Settings::poll`] of ingest when idle, and at the parse rate when a large backlog (a fresh
//! migration over an existing database) is being worked through.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// How the worker looks for work.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long to wait when nothing was pending.
    pub poll: Duration,
    /// Tasks parsed per transaction: large enough to amortise the round trips, small enough that
    /// a batch of the largest documents (100,000 characters each are read) is a short one.
    pub batch: i32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            poll: Duration::from_secs(1),
            batch: 64,
        }
    }
}

/// Where a worker is in the pending tasks: it takes them oldest first (by arrival, then id) from
/// here, so it never scans the deleted rows before its place again (a queue table's dead rows
/// would otherwise make every batch slower than the last), and starts over from the oldest when
/// it reaches the end. Oldest first also writes `task_search` in arrival order, which keeps
/// "the newest tasks holding these words" (`app::task::find`) a read of neighbouring pages.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cursor(Option<(DateTime<Utc>, Uuid)>);

/// The longest text parsed of a document and of a summary, in characters: generous for search,
/// and small enough that no vector can reach PostgreSQL's 1 MB limit, which would refuse the
/// batch on every retry.
const DOCUMENT_CHARS: i32 = 100_000;
const SUMMARY_CHARS: i32 = 20_000;

/// Parses one batch of pending tasks, in one transaction of plain statements (each plan a short
/// index walk whatever the backlog); returns how many were parsed.
pub async fn fill_once(
    pool: &PgPool,
    batch: i32,
    cursor: &mut Cursor,
) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut taken = take(&mut tx, cursor.0, batch).await?;
    if taken.is_empty() && cursor.0.is_some() {
        // The end: tasks stored since may sort before where this worker was (a pipeline may
        // send them late, or a clock step back).
        taken = take(&mut tx, None, batch).await?;
    }
    cursor.0 = taken.last().copied();
    if taken.is_empty() {
        return Ok(0);
    }
    let (times, ids): (Vec<DateTime<Utc>>, Vec<Uuid>) = taken.into_iter().unzip();
    sqlx::query!(
        "insert into task_search (task_id, created_at, terms)
         select t.id, t.created_at,
                setweight(to_tsvector('english', left(t.summary, $3)), 'A')
                || setweight(to_tsvector('english', left(t.document, $2)), 'B')
         from tasks t where t.id = any($1)
         order by t.created_at, t.id
         on conflict (task_id) do nothing",
        &ids,
        DOCUMENT_CHARS,
        SUMMARY_CHARS,
    )
    .execute(&mut *tx)
    .await?;
    // Only the rows taken: a task id is pending once, so matching ids within these times is
    // matching the pairs.
    sqlx::query!(
        "delete from task_search_pending where created_at = any($1) and task_id = any($2)",
        &times,
        &ids
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// Up to `batch` pending tasks after `after` (from the oldest without one), oldest first,
/// locked (`skip locked`: replicas share).
async fn take(
    tx: &mut sqlx::PgConnection,
    after: Option<(DateTime<Utc>, Uuid)>,
    batch: i32,
) -> Result<Vec<(DateTime<Utc>, Uuid)>, sqlx::Error> {
    let (time, id) = after.map_or((None, Uuid::nil()), |(t, id)| (Some(t), id));
    let rows = sqlx::query!(
        "select created_at, task_id from task_search_pending
         where (created_at, task_id) > (coalesce($1, '-infinity'::timestamptz), $2)
         order by created_at, task_id limit $3 for update skip locked",
        time,
        id,
        i64::from(batch),
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.created_at, r.task_id))
        .collect())
}

/// Parses everything pending now; returns how many were parsed. Tests call this to make what
/// they ingested searchable at a moment of their choosing.
pub async fn fill_all(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let batch = Settings::default().batch;
    let mut cursor = Cursor::default();
    let mut total = 0i64;
    loop {
        let parsed = fill_once(pool, batch, &mut cursor).await?;
        if parsed == 0 {
            return Ok(total);
        }
        total += parsed as i64;
    }
}

/// Works through what is pending, then looks again every `poll`, until the task is aborted. A
/// database error is logged and retried at the next look.
pub async fn run(pool: PgPool, settings: Settings) {
    let mut cursor = Cursor::default();
    loop {
        match fill_once(&pool, settings.batch, &mut cursor).await {
            // A full batch: there is likely more; go on at once.
            Ok(n) if n >= settings.batch as usize => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "search worker: database error; retrying shortly"),
        }
        tokio::time::sleep(settings.poll).await;
    }
}
