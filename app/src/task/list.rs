//! What a request for the task list says and what it gets back, shared by the API
//! (`GET /api/v1/tasks`) and the admin's list page (`/admin/tasks`), whose URL carries the same
//! parameters. The checks and the query live in [`super::find`] (server only).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The list's parameters as a URL gives them: every one optional text, checked by
/// `find::Filter::parse`, which names the field of a bad value.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    /// Words to find in the summary or the document (ranked; see `sort`).
    pub q: Option<String>,
    pub status: Option<String>,
    pub reason: Option<String>,
    pub model: Option<String>,
    pub model_version: Option<String>,
    pub external_id: Option<String>,
    pub confidence_min: Option<String>,
    pub confidence_max: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// A reviewer's username: tasks they reviewed.
    pub reviewer: Option<String>,
    /// Tasks with a review of this verdict.
    pub verdict: Option<String>,
    pub has_comment: Option<String>,
    pub has_correction: Option<String>,
    pub error_tag: Option<String>,
    pub end_user_feedback: Option<String>,
    pub sort: Option<String>,
    pub after: Option<String>,
}

impl Params {
    /// The parameters as `(name, value)` pairs, the empty ones left out, in a fixed order: for a
    /// URL (`/admin/tasks?…`), so the page's links and form agree.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("q", &self.q),
            ("status", &self.status),
            ("reason", &self.reason),
            ("model", &self.model),
            ("model_version", &self.model_version),
            ("external_id", &self.external_id),
            ("confidence_min", &self.confidence_min),
            ("confidence_max", &self.confidence_max),
            ("from", &self.from),
            ("to", &self.to),
            ("reviewer", &self.reviewer),
            ("verdict", &self.verdict),
            ("has_comment", &self.has_comment),
            ("has_correction", &self.has_correction),
            ("error_tag", &self.error_tag),
            ("end_user_feedback", &self.end_user_feedback),
            ("sort", &self.sort),
            ("after", &self.after),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| (k, v))
        })
        .collect()
    }
}

/// One task in the list: what it is and where it stands, without its texts (fetch
/// `GET /api/v1/tasks/{id}` for those).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskRow {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub status: String,
    pub reason: String,
    pub model: String,
    pub model_version: String,
    pub confidence: f64,
    pub flagged: bool,
    pub created_at: String,
    pub completed_at: Option<String>,
}

/// A page of tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskPage {
    pub tasks: Vec<TaskRow>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<Uuid>,
}
