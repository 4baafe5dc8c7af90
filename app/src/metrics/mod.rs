//! What Loupe counts as it runs, for `GET /metrics` (the Prometheus text format): the counters
//! and histograms request handlers and workers add to. Figures that are a query away (queue
//! depth, the webhook outbox, the pool) are read at scrape time by the server instead.
//!
//! One [`Metrics`] per running Loupe, carried in `AppState` (not a global: the integration tests
//! run many Loupes in one process, each with its own figures). Every label value is either a
//! fixed word from this module or a route pattern, never text a client sent, so no request can
//! add a series.

mod text;

pub use text::{CounterVec, HistogramVec, Sample, write_gauge};

use crate::domain::Verdict;
use std::sync::Arc;
use std::time::Duration;

/// Request durations: from a few milliseconds (a claim) to the ten seconds of a slow export.
const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Webhook attempts: a receiver's answer, up to the worker's ten-second timeout.
const DELIVERY_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Source-support hints of one task: milliseconds for ordinary text, up to about a second at
/// the work bound.
const SUPPORT_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Loupe's counters and histograms. Cheap to clone (one shared set).
#[derive(Clone, Debug)]
pub struct Metrics(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    http: HistogramVec,
    claims: CounterVec,
    reviews: CounterVec,
    skips: CounterVec,
    ingested: CounterVec,
    ingest_rejected: CounterVec,
    deliveries: HistogramVec,
    support: HistogramVec,
}

/// How an ingested task was taken.
#[derive(Debug, Clone, Copy)]
pub enum Ingest {
    /// A new task.
    Created,
    /// A known `external_id`: the existing task was returned.
    Deduplicated,
}

impl Default for Metrics {
    fn default() -> Self {
        let metrics = Metrics(Arc::new(Inner {
            http: HistogramVec::new(
                "loupe_http_request_duration_seconds",
                "Time to answer an HTTP request, by method, route pattern and status.",
                &["method", "route", "status"],
                HTTP_BUCKETS,
            ),
            claims: CounterVec::new(
                "loupe_review_claims_total",
                "Tasks claimed by reviewers (on screen or in the background).",
                &[],
            ),
            reviews: CounterVec::new(
                "loupe_reviews_total",
                "Reviews stored, by verdict.",
                &["verdict"],
            ),
            skips: CounterVec::new("loupe_review_skips_total", "Tasks a reviewer skipped.", &[]),
            ingested: CounterVec::new(
                "loupe_ingest_tasks_total",
                "Tasks received from pipelines, by outcome (created, or deduplicated by external_id).",
                &["outcome"],
            ),
            ingest_rejected: CounterVec::new(
                "loupe_ingest_rejected_requests_total",
                "POST /api/v1/tasks requests refused for their body (malformed, invalid, too large).",
                &[],
            ),
            deliveries: HistogramVec::new(
                "loupe_webhook_delivery_duration_seconds",
                "Time of one webhook delivery attempt, by outcome (delivered, or error).",
                &["outcome"],
                DELIVERY_BUCKETS,
            ),
            support: HistogramVec::new(
                "loupe_support_compute_seconds",
                "Time to compute one task's source-support hints in the background worker, by \
                 outcome (complete, or partial when a cap left text unchecked).",
                &["outcome"],
                SUPPORT_BUCKETS,
            ),
        }));
        // Series a dashboard expects from the start, so a rate over them is defined at zero.
        let m = &metrics.0;
        m.claims.add(&[], 0);
        m.skips.add(&[], 0);
        m.ingest_rejected.add(&[], 0);
        for verdict in Verdict::ALL {
            m.reviews.add(&[verdict.as_str()], 0);
        }
        for outcome in ["created", "deduplicated"] {
            m.ingested.add(&[outcome], 0);
        }
        metrics
    }
}

impl Metrics {
    /// One HTTP request answered. `route` is the matched route pattern (or a fixed word).
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.0
            .http
            .observe(&[method, route, &status.to_string()], took.as_secs_f64());
    }

    /// Passes a claim's result through, counting a task claimed.
    pub fn count_claim<T, E>(&self, claimed: Result<Option<T>, E>) -> Result<Option<T>, E> {
        if let Ok(Some(_)) = &claimed {
            self.0.claims.add(&[], 1);
        }
        claimed
    }

    /// A review stored.
    pub fn review_stored(&self, verdict: Verdict) {
        self.0.reviews.add(&[verdict.as_str()], 1);
    }

    /// A task skipped.
    pub fn skipped(&self) {
        self.0.skips.add(&[], 1);
    }

    /// Tasks taken from a pipeline.
    pub fn ingested(&self, how: Ingest, n: u64) {
        let outcome = match how {
            Ingest::Created => "created",
            Ingest::Deduplicated => "deduplicated",
        };
        self.0.ingested.add(&[outcome], n);
    }

    /// A `POST /api/v1/tasks` refused for its body.
    pub fn ingest_rejected(&self) {
        self.0.ingest_rejected.add(&[], 1);
    }

    /// One webhook delivery attempt, delivered (a 2xx) or not.
    pub fn delivery_attempt(&self, delivered: bool, took: Duration) {
        let outcome = if delivered { "delivered" } else { "error" };
        self.0.deliveries.observe(&[outcome], took.as_secs_f64());
    }

    /// One task's source-support hints computed, complete or cut by a cap.
    pub fn support_computed(&self, partial: bool, took: Duration) {
        let outcome = if partial { "partial" } else { "complete" };
        self.0.support.observe(&[outcome], took.as_secs_f64());
    }

    /// Every counter and histogram in the text format.
    pub fn render(&self, out: &mut String) {
        let m = &self.0;
        m.http.render(out);
        m.claims.render(out);
        m.reviews.render(out);
        m.skips.render(out);
        m.ingested.render(out);
        m.ingest_rejected.render(out);
        m.deliveries.render(out);
        m.support.render(out);
    }
}
