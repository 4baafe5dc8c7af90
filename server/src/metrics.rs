//! `GET /metrics`: Loupe's figures in the Prometheus text format, for a token with the `read`
//! scope; and the middleware that times every HTTP request by its route pattern.
//!
//! The counters and histograms live in `app::metrics` (handlers and workers add to them); the
//! figures that are a query away are read here at scrape time: the queue's depth and oldest age
//! by reason and model (`app::task::depth`), the webhook outbox, and the connection pool.

use crate::api::auth::{Pipeline, need};
use crate::api::error::ApiError;
use app::metrics::{Sample, write_gauge};
use app::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, header};
use std::time::Instant;

/// The media type of the text format Prometheus reads.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The route label of a request no route matched (any path a client makes up lands here, so it
/// cannot add series).
pub const UNMATCHED: &str = "unmatched";

/// Every metric, in the Prometheus text format (version 0.0.4).
#[utoipa::path(get, path = "/metrics", tag = "monitoring",
    security(("token" = ["read"])),
    responses(
        (status = 200, description = "The metrics in the Prometheus text format (0.0.4)",
         body = String, content_type = "text/plain"),
        crate::api::openapi::Errors))]
pub async fn scrape(
    State(state): State<AppState>,
    _caller: Pipeline<need::Read>,
) -> Result<Response, ApiError> {
    let mut out = String::with_capacity(16 * 1024);
    queue(&state, &mut out).await?;
    outbox(&state, &mut out).await?;
    pool(&state, &mut out);
    state.metrics.render(&mut out);
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], out).into_response())
}

async fn queue(state: &AppState, out: &mut String) -> Result<(), ApiError> {
    let depth = app::task::depth::queue_depth(&state.pool).await?;
    let labels = ["reason", "model"];
    let by = |f: fn(&app::task::depth::QueueDepth) -> f64| -> Vec<Sample> {
        depth
            .iter()
            .map(|d| (vec![d.reason.clone(), d.model.clone()], f(d)))
            .collect()
    };
    write_gauge(
        out,
        "loupe_queue_waiting_tasks",
        "Tasks waiting for a reviewer, by routing reason and model.",
        &labels,
        &by(|d| d.waiting as f64),
    );
    write_gauge(
        out,
        "loupe_queue_oldest_task_age_seconds",
        "Age of the oldest waiting task (since it was ingested), by routing reason and model.",
        &labels,
        &by(|d| d.oldest_age_secs),
    );
    Ok(())
}

async fn outbox(state: &AppState, out: &mut String) -> Result<(), ApiError> {
    let row = sqlx::query!(
        r#"select count(*) filter (where status = 'pending') as "pending!",
                  count(*) filter (where status = 'failed') as "failed!"
           from webhook_deliveries where status in ('pending', 'failed')"#
    )
    .fetch_one(&state.pool)
    .await?;
    let one = |n: i64| vec![(Vec::new(), n as f64)];
    write_gauge(
        out,
        "loupe_webhook_deliveries_pending",
        "Webhook deliveries waiting to be sent or retried.",
        &[],
        &one(row.pending),
    );
    write_gauge(
        out,
        "loupe_webhook_deliveries_failed",
        "Webhook deliveries that gave up after their retry window (until resent).",
        &[],
        &one(row.failed),
    );
    Ok(())
}

fn pool(state: &AppState, out: &mut String) {
    let size = state.pool.size();
    let idle = u32::try_from(state.pool.num_idle()).unwrap_or(u32::MAX);
    let max = state.pool.options().get_max_connections();
    let gauges = [
        (
            "loupe_db_pool_connections_in_use",
            "Database connections checked out of the pool.",
            size.saturating_sub(idle),
        ),
        (
            "loupe_db_pool_connections_idle",
            "Open database connections idle in the pool.",
            idle,
        ),
        (
            "loupe_db_pool_connections_max",
            "The most connections the pool opens.",
            max,
        ),
    ];
    for (name, help, n) in gauges {
        write_gauge(out, name, help, &[], &[(Vec::new(), f64::from(n))]);
    }
}

/// The middleware: times each request and records it by method, route pattern (`MatchedPath`,
/// never the path itself) and status.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let res = next.run(req).await;
    let route = route.as_deref().unwrap_or(UNMATCHED);
    state
        .metrics
        .http_request(method, route, res.status().as_u16(), started.elapsed());
    res
}

/// The method as a label: the standard ones, else "other" (a client may send any token).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
