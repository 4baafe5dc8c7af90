//! Computes each task's source-support hints once, in the background, right after ingest.
//!
//! The review page, the review server functions and the API only read `tasks.support`; until it
//! is filled they show the task without hints. Each Loupe process runs one [`run`] loop: it is
//! woken by a PostgreSQL `NOTIFY` on [`CHANNEL`] (sent by ingest in the transaction that stores
//! queued tasks, so it arrives once they are committed, in every process sharing the database)
//! and looks again every [`Settings::poll`] in case a notification was missed.
//!
//! A round claims a few tasks with `for update skip locked` in a short transaction (marking
//! `support_claimed_until`), then computes each one on the blocking pool, one at a time, outside
//! any transaction, and writes the result. So the async workers never run the scoring, no row
//! lock is held while it runs, and one process never uses more than one core for it, whatever
//! the pipelines send.
//!
//! Only tasks waiting for a reviewer (`queued`, `in_review`) are computed: they are the ones a
//! page shows. An auto-accepted task that comes back to the queue is computed then. The one
//! exception is an auto-accepted task stored with `support_check` (its model's
//! `weak_support_review` rule is on): it is computed too, and if the page would mark any sentence
//! of its summary it goes to the queue with reason `weak_support`, in the transaction that
//! stores the hints.

use app::support::Support;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::time::Duration;
use uuid::Uuid;

/// The notification channel ingest wakes the worker on.
pub const CHANNEL: &str = "loupe_support";

/// How the worker looks for work.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often to look when no notification came.
    pub poll: Duration,
    /// Tasks claimed at once (each with its document and summary in memory).
    pub batch: i64,
    /// How long a claim keeps other workers off a task; far longer than one computation.
    pub claim: Duration,
    /// The server's weak-support setting, which the `weak_support` rule judges marks by.
    pub weak_below: f64,
    /// Where each computation's time is counted (`/metrics`).
    pub metrics: app::metrics::Metrics,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            poll: Duration::from_secs(5),
            batch: 4,
            claim: Duration::from_secs(300),
            weak_below: app::support::DEFAULT_WEAK_BELOW,
            metrics: app::metrics::Metrics::default(),
        }
    }
}

/// Computes hints for one claimed batch of waiting tasks; returns how many were stored.
pub async fn compute_pending(pool: &PgPool, settings: &Settings) -> Result<usize, sqlx::Error> {
    let claimed = sqlx::query!(
        r#"with pending as (
               select id from tasks
               where support is null and (status in ('queued', 'in_review') or support_check)
                 and (support_claimed_until is null or support_claimed_until < now())
               order by created_at
               limit $1
               for update skip locked
           )
           update tasks t set support_claimed_until = now() + make_interval(secs => $2)
           from pending where t.id = pending.id
           returning t.id, t.document, t.summary, t.support_check"#,
        settings.batch,
        settings.claim.as_secs_f64(),
    )
    .fetch_all(pool)
    .await?;
    let mut stored = 0;
    for task in claimed {
        let Some((json, marked)) = compute(task.id, task.document, task.summary, settings).await
        else {
            continue;
        };
        let mut tx = pool.begin().await?;
        sqlx::query!(
            "update tasks set support = $2, support_claimed_until = null where id = $1",
            task.id,
            json
        )
        .execute(&mut *tx)
        .await?;
        if task.support_check {
            let queued = marked && app::task::reopen::for_weak_support(&mut tx, task.id).await?;
            if queued {
                tracing::info!(task = %task.id, "confident output with marked support sent to review");
            } else {
                sqlx::query!(
                    "update tasks set support_check = false where id = $1",
                    task.id
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        stored += 1;
    }
    Ok(stored)
}

/// Computes until no waiting task lacks hints; returns how many were stored. For tests and
/// tools that need the hints now rather than in a moment.
pub async fn compute_all_pending(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let settings = Settings::default();
    let mut total = 0;
    loop {
        match compute_pending(pool, &settings).await? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

/// The hints as stored JSON, and whether the page would mark any sentence under `weak_below`;
/// computed on the blocking pool. `None` (logged) if the computation failed, which would be a
/// bug: the claim then expires and the task is tried again later.
async fn compute(
    id: Uuid,
    document: String,
    summary: String,
    settings: &Settings,
) -> Option<(serde_json::Value, bool)> {
    let started = std::time::Instant::now();
    let weak_below = settings.weak_below;
    let result = tokio::task::spawn_blocking(move || {
        let began = std::time::Instant::now();
        let support = Support::compute(&document, &summary);
        let took = began.elapsed();
        let partial = support.is_partial();
        serde_json::to_value(&support).map(|json| {
            let marked = support.judge(weak_below).marks_anything();
            (json, partial, marked, took)
        })
    })
    .await;
    match result {
        Ok(Ok((json, partial, marked, took))) => {
            settings.metrics.support_computed(partial, took);
            let millis = started.elapsed().as_millis() as u64;
            if partial || millis > 100 {
                // Texts past the caps or slow to score are worth knowing about.
                tracing::info!(task = %id, millis, partial, "support hints computed");
            }
            Some((json, marked))
        }
        Ok(Err(e)) => {
            tracing::error!(task = %id, error = %e, "support hints did not serialise");
            None
        }
        Err(e) => {
            tracing::error!(task = %id, error = %e, "computing support hints failed");
            None
        }
    }
}

/// Computes waiting tasks' hints until the process ends; spawn it. Database errors are logged
/// and retried after a pause, so a restarting database does not stop the worker for good.
pub async fn run(pool: PgPool, settings: Settings) {
    let mut listener = listen(&pool).await;
    loop {
        // Everything waiting now, a batch at a time.
        loop {
            match compute_pending(&pool, &settings).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "support worker: database error; retrying shortly");
                    break;
                }
            }
        }
        // Then sleep until ingest says there is more, or the next look.
        match listener.as_mut() {
            Some(l) => {
                tokio::select! {
                    got = l.recv() => if let Err(e) = got {
                        tracing::warn!(error = %e, "support worker: notifications lost; polling");
                        listener = None;
                        tokio::time::sleep(settings.poll).await;
                    },
                    () = tokio::time::sleep(settings.poll) => {}
                }
            }
            None => {
                tokio::time::sleep(settings.poll).await;
                listener = listen(&pool).await;
            }
        }
    }
}

/// A listener on [`CHANNEL`], or `None` (the worker then only polls) if it cannot connect.
async fn listen(pool: &PgPool) -> Option<PgListener> {
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "support worker: cannot listen for notifications");
            return None;
        }
    };
    match listener.listen(CHANNEL).await {
        Ok(()) => Some(listener),
        Err(e) => {
            tracing::warn!(error = %e, "support worker: cannot listen for notifications");
            None
        }
    }
}
