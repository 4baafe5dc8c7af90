//! The periodic sweep of rows that have lapsed: sessions past their lifetime or idle timeout,
//! drained login-throttle buckets, feedback keys' rate counts of past windows, and the rows that connections which have ended left in the
//! task tally and the dashboard's rollups (each connection writes rows of its own; they are
//! folded into one, see `migrations/0021_tally_per_connection.sql`). Lapsed rows already do nothing (a lapsed session is refused by
//! `app::auth::user_for_session` whether swept or not); sweeping keeps the tables small. Each
//! Loupe process runs one [`run`] loop; with several replicas the sweeps simply overlap, which is
//! harmless (a delete of rows another sweep deleted finds nothing).

use sqlx::PgPool;
use std::time::Duration;

/// How often the server sweeps.
pub const EVERY: Duration = Duration::from_secs(10 * 60);

/// What one sweep removed.
#[derive(Debug, Clone, Copy)]
pub struct Swept {
    pub sessions: u64,
    /// Tally and rollup rows of ended connections folded into the compacted rows.
    pub tally_rows: i64,
}

/// One sweep.
pub async fn once(pool: &PgPool, session_idle: Duration) -> Result<Swept, sqlx::Error> {
    let sessions = app::auth::sweep_sessions(pool, session_idle).await?;
    app::throttle::prune(pool).await;
    app::key_rate::prune(pool).await;
    let tally_rows = sqlx::query_scalar!(r#"select rollups_compact() as "folded!""#)
        .fetch_one(pool)
        .await?;
    Ok(Swept {
        sessions,
        tally_rows,
    })
}

/// Sweeps every `every` (the first right away) until the task is aborted. A failed sweep is
/// logged and tried again at the next tick.
pub async fn run(pool: PgPool, session_idle: Duration, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match once(&pool, session_idle).await {
            Ok(Swept { sessions: 0, .. }) => {}
            Ok(Swept { sessions, .. }) => tracing::info!(sessions, "swept lapsed sessions"),
            Err(e) => tracing::warn!(error = %e, "could not sweep lapsed rows"),
        }
    }
}

/// Opens assigned work whose wait has passed to everyone in its project
/// (`app::task::reserve::open_lapsed`), every `reserve::EVERY`, until the task is aborted.
pub async fn open_reservations(pool: PgPool) {
    let mut ticks = tokio::time::interval(app::task::reserve::EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match app::task::reserve::open_lapsed(&pool).await {
            Ok(0) => {}
            Ok(opened) => tracing::info!(opened, "assigned tasks opened to their projects"),
            Err(e) => tracing::warn!(error = %e, "could not open lapsed reservations"),
        }
    }
}
