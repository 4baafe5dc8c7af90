//! The admin dashboard's data: wire types, and the server functions that fill them.
//!
//! Every figure is aggregated by PostgreSQL, over per-day rollups kept as tasks and reviews are
//! written ([`queries`]); the server only turns a few dozen aggregated numbers into rates,
//! intervals and alphas ([`crate::stats`]).

/// End users' signals and satisfaction, from their rollups.
#[cfg(feature = "ssr")]
pub mod end_users;
/// The date range and model filter shared by the dashboard and the export API.
#[cfg(feature = "ssr")]
pub mod filter;
#[cfg(feature = "ssr")]
mod lists;
/// Reviewers and agreement, from the review rollups.
#[cfg(feature = "ssr")]
pub mod quality;
#[cfg(feature = "ssr")]
mod queries;
/// Review counts per day, confidence and tag, from the review rollups.
#[cfg(feature = "ssr")]
pub mod review_volume;
/// Reviewers' median seconds from a histogram.
#[cfg(feature = "ssr")]
pub mod seconds;
/// Outputs sent to review by a rule after auto-accept, and their verdicts.
#[cfg(feature = "ssr")]
pub mod sent_back;
/// Turning aggregated rows into the page's series.
#[cfg(feature = "ssr")]
pub mod shape;
/// A span of time, split between rollup days and raw edges.
#[cfg(feature = "ssr")]
pub mod span;
/// Tasks per day, reason and confidence from the rollup kept as tasks are written.
#[cfg(feature = "ssr")]
pub mod volume;

use crate::error::AppError;
use crate::stats::CalibrationBin;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The routing reasons in the order the volume chart stacks them. A task sent back to review by
/// its end users counts under `user_feedback` on the day it arrived, no longer as auto-accepted.
pub const REASONS: [&str; 7] = [
    "low_confidence",
    "flagged",
    "audit_sample",
    "auto_accepted",
    "user_feedback",
    "weak_support",
    "requeued",
];

/// The thresholds the what-if table tries.
pub const WHAT_IF_THRESHOLDS: [f64; 10] =
    [0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95];

/// Everything the dashboard page shows for one filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// The filter as applied (defaults filled in), for the form.
    pub filter: FilterView,
    /// The projects the filter may choose: every project for an admin, their own for a project
    /// admin.
    pub projects: Vec<crate::project::Project>,
    /// Drawn for a project admin: the figures keep to their projects, and links to what only
    /// admins may open are left out.
    pub limited: bool,
    /// Every (model, version) pair seen, for the filter's choices.
    pub models: Vec<(String, String)>,
    /// First day of each chart bucket.
    pub buckets: Vec<String>,
    /// Days per bucket (1 or 7).
    pub bucket_days: i32,
    /// Tasks per bucket for each reason in [`REASONS`] order.
    pub volume: Vec<Vec<i64>>,
    pub queue: QueueFigures,
    /// Reviews per bucket.
    pub reviews_per_bucket: Vec<i64>,
    pub reviews: ReviewFigures,
    /// Mean rating and acceptance per bucket, one series per model version.
    pub versions: Vec<VersionSeries>,
    pub calibration: Calibration,
    pub what_if: WhatIf,
    pub reviewers: Vec<ReviewerRow>,
    pub agreement: Agreement,
    pub routing: Vec<crate::routing::RoutingSetting>,
    pub comments: Vec<CommentRow>,
    pub escalations: Vec<EscalationRow>,
    /// Reviews per error tag in the range, most frequent first.
    pub error_tags: Vec<(String, i64)>,
    pub end_users: EndUserFigures,
    /// Confident outputs sent to review because the source-support marks flagged their summary
    /// (reason `weak_support`), and what reviewers said about them.
    pub weak_support: CameBack,
}

/// What end users of the AI product said in the range (`POST /feedback` and the widget).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EndUserFigures {
    /// Signals of every type.
    pub signals: i64,
    pub thumbs: i64,
    pub thumbs_up: i64,
    pub ratings: i64,
    pub mean_rating: Option<f64>,
    /// Signals per type, most frequent first; rare types summed under "other".
    pub types: Vec<SignalType>,
    /// Outputs sent in the range: what the types' rates are per.
    pub outputs: i64,
    /// Thumbs-up share and mean rating per bucket, one series per model version.
    pub versions: Vec<SatisfactionSeries>,
    /// Pairs of a reviewer's accept or reject in the range and an end user's thumbs or rating
    /// (up or 4+ is good, down or 2− is bad) on the same output.
    pub agreement_pairs: i64,
    /// Share of those pairs that agree.
    pub agreement: Option<f64>,
    pub came_back: CameBack,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalType {
    pub feedback_type: String,
    pub count: i64,
    pub per_100_outputs: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionSeries {
    /// `model version`.
    pub label: String,
    pub thumbs_up_share: Vec<Option<f64>>,
    pub mean_rating: Vec<Option<f64>>,
}

/// Outputs a rule sent to review after routing would have auto-accepted them (end users'
/// dissatisfaction, or marked support), and what reviewers found in them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CameBack {
    /// Outputs sent in the range that are now under the rule's reason.
    pub outputs: i64,
    /// Reviews in the range of such outputs, by verdict.
    pub reviews: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub escalated: i64,
    pub mean_rating: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FilterView {
    pub from: String,
    pub to: String,
    pub model: Option<String>,
    pub version: Option<String>,
    /// The chosen project's slug; none: every project the caller may see.
    pub project: Option<String>,
}

impl FilterView {
    /// The filter as a query string (without `?`), for links that keep the view.
    pub fn query(&self) -> String {
        let mut parts = vec![format!("from={}", self.from), format!("to={}", self.to)];
        if let Some(m) = &self.model {
            parts.push(format!(
                "model={}",
                crate::url::encode_query_value(m, false)
            ));
        }
        if let Some(v) = &self.version {
            parts.push(format!(
                "version={}",
                crate::url::encode_query_value(v, false)
            ));
        }
        if let Some(p) = &self.project {
            parts.push(format!(
                "project={}",
                crate::url::encode_query_value(p, false)
            ));
        }
        parts.join("&")
    }
}

/// The queue right now (not limited to the date range).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct QueueFigures {
    /// Tasks waiting for a reviewer.
    pub waiting: i64,
    /// Age of the oldest waiting or leased task.
    pub oldest_seconds: Option<f64>,
    /// Tasks a reviewer holds now.
    pub in_review: i64,
    /// Escalated tasks waiting for an admin.
    pub escalated: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ReviewFigures {
    pub total: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub escalated: i64,
    /// Reviews with a corrected summary.
    pub corrected: i64,
    /// Reviews per rating 1–5.
    pub ratings: [i64; 5],
    /// Corrections per tenth of normalized edit distance (0–0.1, …, 0.9–1).
    pub edit_histogram: [i64; 10],
    pub mean_edit_distance: Option<f64>,
}

impl ReviewFigures {
    /// `part` as a share of all reviews.
    pub fn share(&self, part: i64) -> Option<f64> {
        (self.total > 0).then(|| part as f64 / self.total as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionSeries {
    /// `model version`.
    pub label: String,
    pub mean_rating: Vec<Option<f64>>,
    pub acceptance: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Calibration {
    /// Ten confidence deciles over every reviewed task.
    pub all: Vec<CalibrationBin>,
    /// The same over audit-sample reviews only: the part chosen without looking at confidence
    /// or flags, and so the unbiased one.
    pub audit: Vec<CalibrationBin>,
    pub ece_all: Option<f64>,
    pub ece_audit: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct WhatIf {
    /// The threshold in force for the filtered model (or the default).
    pub current: f64,
    pub rows: Vec<WhatIfRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatIfRow {
    pub threshold: f64,
    /// Share of outputs that would go to review: flagged, or confidence under the threshold.
    pub review_share: Option<f64>,
    /// Audit-sample reviews with confidence at or above the threshold, and how many rejected.
    pub audit_reviews: i64,
    pub audit_rejects: i64,
    /// Estimated share of auto-accepted outputs reviewers would reject, with its 95% interval.
    pub reject_share: Option<f64>,
    pub interval: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewerRow {
    pub username: String,
    pub reviews: i64,
    pub median_seconds: f64,
    pub mean_rating: f64,
    /// Share of this reviewer's verdicts that match another reviewer's on the same task.
    pub agreement: Option<f64>,
    /// How many such comparisons there were.
    pub compared: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Agreement {
    /// Tasks with two or more reviews in the range.
    pub tasks: i64,
    /// Krippendorff's alpha (ordinal) on their ratings.
    pub alpha: Option<f64>,
    /// Share of reviewer pairs on a task that gave the same verdict.
    pub verdict_agreement: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentRow {
    pub task_id: Uuid,
    pub reviewer: String,
    pub rating: i16,
    pub verdict: String,
    pub comment: String,
    /// RFC 3339.
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationRow {
    pub task_id: Uuid,
    pub model: String,
    pub model_version: String,
    pub reviewer: Option<String>,
    pub comment: Option<String>,
    pub at: Option<String>,
}

/// One task with everything said about it, for the admin's task page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskHistory {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub document: String,
    pub summary: String,
    pub confidence: f64,
    pub threshold: f64,
    pub model: String,
    pub model_version: String,
    pub reason: String,
    pub status: String,
    pub created_at: String,
    pub reviews: Vec<HistoryReview>,
    pub end_user: Vec<HistoryFeedback>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryReview {
    pub reviewer: String,
    pub rating: i16,
    pub verdict: String,
    pub comment: Option<String>,
    pub corrected_summary: Option<String>,
    pub edit_distance: Option<f64>,
    pub seconds_spent: i32,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryFeedback {
    pub user_id: String,
    pub feedback_type: String,
    pub value: Option<String>,
    pub comments: Option<String>,
    pub at: String,
}

/// The dashboard for a filter given as the URL's query values: for admins, and for a project
/// admin over their own projects. `project` (a slug) keeps the figures to one project, which a
/// project admin must run; without it an admin sees every project and a project admin all of
/// theirs.
#[server(prefix = "/api", endpoint = "admin/dashboard")]
pub async fn load_dashboard(
    from: Option<String>,
    to: Option<String>,
    model: Option<String>,
    version: Option<String>,
    project: Option<String>,
) -> Result<Dashboard, AppError> {
    let (pool, _, within) = crate::project::administrator().await?;
    let mut filter = filter::Filter::parse(
        from.as_deref(),
        to.as_deref(),
        model.as_deref(),
        version.as_deref(),
        chrono::Utc::now().date_naive(),
    )?;
    let chosen = match project.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => {
            Some(crate::project::administered_one(&pool, Some(slug), within.as_deref()).await?)
        }
        None => None,
    };
    filter.projects = chosen.as_ref().map(|p| vec![p.id]).or(within.clone());
    // The what-if starts from the threshold in force in the project the figures cover: the one
    // chosen, else a project admin's first (what their own routing form shows), else the
    // default project's.
    let routing = filter
        .projects
        .as_deref()
        .and_then(|p| p.first().copied())
        .unwrap_or(crate::project::DEFAULT);
    let choices = crate::project::list_within(&pool, within.as_deref()).await?;
    let scope = queries::Scope {
        chosen,
        routing,
        choices,
        limited: within.is_some(),
    };
    queries::dashboard(&pool, &filter, scope).await
}

/// A task and its full review history: for admins, and for a project admin of its project.
#[server(prefix = "/api", endpoint = "admin/task")]
pub async fn load_task_history(id: String) -> Result<TaskHistory, AppError> {
    let (pool, _, within) = crate::project::administrator().await?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("task".into()))?;
    lists::task_history(&pool, id, within.as_deref()).await
}
