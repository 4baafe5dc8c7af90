//! When `loupe serve` stops, and how long it waits for requests still running.
//!
//! Ctrl+C or SIGTERM asks the HTTP server to stop taking connections and finish the requests it
//! has; after the deadline (`--shutdown-seconds`, 10 by default) Loupe stops anyway, so a slow
//! export or a stalled client can never keep the private cluster from its clean `pg_ctl stop`
//! (a service manager kills a process that overstays, which is the unclean stop to avoid).
//! The same path serves an internal fatal error (the supervisor giving up on PostgreSQL): it
//! stops the server the same way and makes Loupe exit non-zero.

use std::future::{Future, IntoFuture};
use std::time::Duration;
use tokio::sync::watch;

/// Why the server is stopping.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reason {
    Running,
    Signal,
    Failed(String),
}

/// The shutdown switch of one server run. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: watch::Sender<Reason>,
}

impl Shutdown {
    /// A switch that Ctrl+C or SIGTERM throws.
    pub fn on_signals() -> Shutdown {
        let (tx, _) = watch::channel(Reason::Running);
        let shutdown = Shutdown { tx };
        let on_signal = shutdown.clone();
        // Installed now, not when the task first runs: a SIGTERM arriving in between would
        // otherwise kill Loupe without any cleanup.
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).ok();
        let mut int = signal(SignalKind::interrupt()).ok();
        tokio::spawn(async move {
            tokio::select! {
                () = next(&mut term) => {},
                () = next(&mut int) => {},
            }
            tracing::info!("stop requested; finishing the requests in progress");
            on_signal.tx.send_if_modified(|r| {
                let first = *r == Reason::Running;
                if first {
                    *r = Reason::Signal;
                }
                first
            });
        });
        shutdown
    }

    /// Stops the server because something it depends on failed; Loupe then exits non-zero.
    pub fn fail(&self, error: &anyhow::Error) {
        tracing::error!(error = %format!("{error:#}"), "stopping Loupe");
        let message = format!("{error:#}");
        self.tx.send_if_modified(|r| {
            if matches!(r, Reason::Failed(_)) {
                return false;
            }
            *r = Reason::Failed(message);
            true
        });
    }

    /// Resolves once a stop is asked for (for `axum::serve(..).with_graceful_shutdown`).
    pub fn requested(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
        async move {
            let _ = rx.wait_for(|r| *r != Reason::Running).await;
        }
    }

    /// Runs `serve` (a server that stops gracefully on [`Self::requested`]) until it ends, or
    /// until `deadline` after the stop was asked for, whichever comes first. Connections still
    /// open then are dropped with the runtime.
    pub async fn serve_until_deadline<E>(
        &self,
        serve: impl IntoFuture<Output = Result<(), E>>,
        deadline: Duration,
    ) -> Result<(), E> {
        let overdue = async {
            self.requested().await;
            tokio::time::sleep(deadline).await;
        };
        tokio::select! {
            result = serve.into_future() => result,
            () = overdue => {
                tracing::warn!(seconds = deadline.as_secs_f64(), "requests still running at the shutdown deadline; stopping anyway");
                Ok(())
            }
        }
    }

    /// The failure that stopped the server, if one did.
    pub fn failure(&self) -> Option<String> {
        match &*self.tx.borrow() {
            Reason::Failed(message) => Some(message.clone()),
            _ => None,
        }
    }
}

/// A signal stream, or one that never yields when the handler cannot be installed.
async fn next(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
