//! Keeping the private PostgreSQL alive while `loupe serve` runs.
//!
//! Once a second the supervisor checks that the postmaster named in `postmaster.pid` is alive (a
//! signal-0 probe, no child process). When it finds it dead on two checks in a row, it starts it
//! again with `pg_ctl start` on the same folder; crash recovery replays the WAL, so every
//! committed transaction is there when it answers again. The pool then heals by itself: it
//! pings a connection idle for a second or more before handing it out (`db::connect`) and
//! replaces the ones the crash broke.
//!
//! Chosen: restart in place, a bounded number of times, then stop Loupe with a non-zero exit.
//! Restarting keeps the HTTP side up (requests fail for a second or two instead of every client
//! reconnecting) and works when nothing supervises Loupe, as when someone runs `loupe serve` by
//! hand; the usual cause, the kernel's OOM killer or a stray `kill`, is cured by a restart.
//! When restarts keep failing or the postmaster keeps dying (disk full, damaged data, missing
//! binaries), more attempts cannot help: Loupe exits non-zero so a service manager restarts it
//! or someone looks at `pg-run/postgres.log`.
//!
//! Two checks in a row, because an operator's `pg_ctl restart` leaves the postmaster down for a
//! moment: the supervisor must not race it with a start of its own.
//! With `DATABASE_URL` nothing is supervised here: that server is its operator's, and the pool's
//! reconnection is all Loupe does.

use crate::embedded::Cluster;
use std::time::{Duration, Instant};

/// How the supervisor paces itself.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Time between liveness checks.
    pub interval: Duration,
    /// Restarts allowed before giving up, counted since the cluster last stayed up `stable`.
    pub max_restarts: u32,
    /// Time up after which earlier restarts are forgotten.
    pub stable: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            interval: Duration::from_secs(1),
            max_restarts: 5,
            stable: Duration::from_secs(60),
        }
    }
}

/// Watches `cluster` until the task is aborted. Returns (ending the task) only when it gives
/// up, with the reason; the caller then shuts Loupe down with a failure.
pub async fn watch(cluster: Cluster, settings: Settings) -> anyhow::Error {
    let mut restarts = 0u32;
    let mut down_checks = 0u32;
    let mut up_since = Instant::now();
    loop {
        tokio::time::sleep(settings.interval).await;
        if cluster.postmaster_alive() {
            down_checks = 0;
            if restarts > 0 && up_since.elapsed() >= settings.stable {
                restarts = 0;
            }
            continue;
        }
        down_checks += 1;
        if down_checks < 2 {
            continue;
        }
        if restarts >= settings.max_restarts {
            return anyhow::anyhow!(
                "the private PostgreSQL stopped and {} restarts did not keep it running; see {}",
                settings.max_restarts,
                cluster.socket_dir().join("postgres.log").display()
            );
        }
        restarts += 1;
        tracing::error!(
            attempt = restarts,
            "the private PostgreSQL is not running; restarting it"
        );
        match cluster.pg_ctl_start().await {
            Ok(()) => {
                tracing::warn!("the private PostgreSQL is running again");
                down_checks = 0;
            }
            // Someone else (an operator's `pg_ctl restart`) may have started it meanwhile.
            Err(_) if cluster.postmaster_alive() => down_checks = 0,
            Err(e) => {
                tracing::error!(attempt = restarts, error = %e, "could not restart the private PostgreSQL");
                // Backends orphaned by a killed postmaster hold its shared memory for a moment and
                // make the next start fail; waiting longer each time lets them go.
                tokio::time::sleep(Duration::from_secs(1 << restarts.min(3))).await;
            }
        }
        up_since = Instant::now();
    }
}
