//! Makes each stored task searchable, in the background, right after ingest.
//!
//! Ingest only records that a task awaits parsing (a statement-level trigger, see
//! `migrations/0030_task_search.sql`); this worker turns the pending tasks' summary and document
//! into a `tsvector` in `task_search`, a batch per statement, inside PostgreSQL
//! (`task_search_fill`). So a pipeline's request never pays for parsing, and the review loop's
//! updates of `tasks` never touch a text-search index. Replicas share the work (`skip locked`).
//!
//! Searching (`app::task::find`) sees a task once its batch commits: within about one
//! [`Settings::poll`] of ingest when idle, and at the parse rate when a large backlog (a fresh
//! migration over an existing database) is being worked through.

use sqlx::PgPool;
use std::time::Duration;

/// How the worker looks for work.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long to wait when nothing was pending.
    pub poll: Duration,
    /// Tasks parsed per statement: large enough to amortise the round trip, small enough that a
    /// batch of the largest documents (100,000 characters each are read) is a short statement.
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

/// Parses one batch of pending tasks; returns how many were parsed.
pub async fn fill_once(pool: &PgPool, batch: i32) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar!(r#"select task_search_fill($1) as "parsed!""#, batch)
        .fetch_one(pool)
        .await
}

/// Parses everything pending now; returns how many were parsed. Tests call this to make what
/// they ingested searchable at a moment of their choosing.
pub async fn fill_all(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let batch = Settings::default().batch;
    let mut total = 0i64;
    loop {
        let parsed = fill_once(pool, batch).await?;
        if parsed == 0 {
            return Ok(total);
        }
        total += i64::from(parsed);
    }
}

/// Works through what is pending, then looks again every `poll`, until the task is aborted. A
/// database error is logged and retried at the next look.
pub async fn run(pool: PgPool, settings: Settings) {
    loop {
        match fill_once(&pool, settings.batch).await {
            // A full batch: there is likely more; go on at once.
            Ok(n) if n >= settings.batch => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "search worker: database error; retrying shortly"),
        }
        tokio::time::sleep(settings.poll).await;
    }
}
