//! Building Loupe: its state, its router and the background work it runs. `loupe serve` and the
//! integration tests build it here, the same way, so the tests drive what users get; only the
//! settings they pass differ (allow lists, short intervals).

use app::state::{AppState, Settings};
use axum::Router;
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use std::time::Duration;
use tokio::task::JoinHandle;

/// What runs beside the router; [`Workers::serving`] is what `loupe serve` runs.
#[derive(Debug, Clone)]
pub struct Workers {
    /// Webhook deliveries from the outbox, always run (its outbound policy is the settings').
    pub delivery: crate::delivery_worker::WorkerSettings,
    /// Source-support hints after ingest; `None` runs no worker (a test then computes them when
    /// it chooses).
    pub support: Option<crate::support_worker::Settings>,
    /// How often lapsed sessions and throttle rows are swept; `None` runs no sweep.
    pub sweep: Option<Duration>,
    /// Text search after ingest; `None` runs no worker (a test then calls
    /// `search_worker::fill_all` when it chooses).
    pub search: Option<crate::search_worker::Settings>,
}

impl Workers {
    /// Every worker, at `loupe serve`'s defaults, with these delivery settings.
    pub fn serving(delivery: crate::delivery_worker::WorkerSettings) -> Self {
        Workers {
            delivery,
            support: Some(Default::default()),
            sweep: Some(crate::sweep::EVERY),
            search: Some(Default::default()),
        }
    }
}

/// A built Loupe: the router to serve, and its background work, already running.
pub struct Loupe {
    /// The whole HTTP surface (see [`crate::router`]).
    pub router: Router,
    /// The background loops started with it.
    pub background: Background,
}

/// The background loops of one Loupe.
pub struct Background(Vec<JoinHandle<()>>);

impl Background {
    /// Stops every loop. Work cut short is redone by the next run: a delivery's or a
    /// computation's claim simply expires.
    pub fn stop(self) {
        for task in self.0 {
            task.abort();
        }
    }
}

impl Loupe {
    /// Builds Loupe over `pool` with `settings`, and starts its background work.
    pub fn build(
        leptos_options: LeptosOptions,
        pool: PgPool,
        settings: Settings,
        workers: Workers,
    ) -> anyhow::Result<Loupe> {
        // Deliveries left pending by an earlier run (or another process) are picked up from the
        // outbox; the worker reaches only the hosts the settings allow webhooks to point at.
        let metrics = app::metrics::Metrics::default();
        let delivery = crate::delivery_worker::Worker::new(
            pool.clone(),
            metrics.clone(),
            crate::delivery_worker::WorkerSettings {
                outbound: settings.outbound.clone(),
                ..workers.delivery
            },
        )?;
        let mut tasks = vec![
            tokio::spawn(delivery.run()),
            // Assigned work opens to the whole project once its wait has passed.
            tokio::spawn(crate::sweep::open_reservations(pool.clone())),
        ];
        // Source-support hints, computed once per waiting task right after ingest (and for tasks
        // left without them by an earlier run), never while a page is served.
        if let Some(support) = workers.support {
            tasks.push(tokio::spawn(crate::support_worker::run(
                pool.clone(),
                crate::support_worker::Settings {
                    weak_below: settings.weak_support,
                    metrics: metrics.clone(),
                    ..support
                },
            )));
        }
        if let Some(search) = workers.search {
            tasks.push(tokio::spawn(crate::search_worker::run(
                pool.clone(),
                search,
            )));
        }
        if let Some(every) = workers.sweep {
            tasks.push(tokio::spawn(crate::sweep::run(
                pool.clone(),
                settings.session_idle,
                every,
            )));
        }
        let state = AppState {
            leptos_options,
            pool,
            settings: std::sync::Arc::new(settings),
            metrics,
        };
        Ok(Loupe {
            router: crate::router(state),
            background: Background(tasks),
        })
    }
}
