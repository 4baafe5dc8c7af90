//! What a request for the task list says and what it gets back, shared by the API
//! (`GET /api/v1/tasks`) and the admin's list page (`/admin/tasks`), whose URL carries the same
//! parameters; and the page's server functions (the list, and requeue from it). The checks and
//! the query live in `super::find`, the bulk action in `super::bulk` (server only).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Rows per page of the admin's list.
pub const PAGE_ROWS: i64 = 50;

/// The list's parameters as a URL gives them: every one optional text, checked by
/// `find::Filter::parse`, which names the field of a bad value.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Words to find in the summary or the document (ranked among the newest
    /// `find::RANKED` matches; see `sort`).
    pub q: Option<String>,
    pub status: Option<String>,
    pub reason: Option<String>,
    pub model: Option<String>,
    pub model_version: Option<String>,
    pub external_id: Option<String>,
    /// A project's slug.
    pub project: Option<String>,
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
    /// Whether any filter is set (the cursor and the sort are not filters): an action over
    /// "everything matching" needs one, so an empty form never touches every task.
    pub fn filters_anything(&self) -> bool {
        self.pairs()
            .iter()
            .any(|(name, _)| !matches!(*name, "sort" | "after"))
    }

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
            ("project", &self.project),
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
    /// -9 to 9: a higher priority is offered to reviewers first.
    pub priority: i16,
    /// The slug of the project the output belongs to.
    pub project: String,
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

/// What a bulk action did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Outcome {
    /// Tasks changed (requeued, or ruled on).
    pub changed: u64,
    /// Named tasks left alone: not in a status the action takes (requeue takes settled tasks; a
    /// ruling anything not held by a reviewer), or unknown ids.
    pub skipped: u64,
    /// The filter matches more settled tasks than one call changes: call again.
    pub more: bool,
}

/// A page of the admin's list: every project's tasks for an admin, a project admin's projects'
/// for them.
#[server(prefix = "/api", endpoint = "admin/tasks")]
pub async fn load_tasks(params: Params) -> Result<TaskPage, AppError> {
    use super::find::{Filter, page};
    let (pool, _, within) = crate::project::administrator().await?;
    let mut filter = Filter::parse(&params)?;
    filter.within = within;
    page(&pool, &filter, PAGE_ROWS).await
}

/// An action from the list on the tasks picked (`ids`, comma-separated) or on every one the
/// list's filter matches (`matching`, with at least one condition): `requeue` with the note for
/// the next reviewer, `accept` / `reject` (an admin's ruling, the note optional), `assign` to
/// `assignee` (a username or `group:<slug>`; empty: no one), `priority` (-9 to 9), or `escalate`
/// with the note for whoever settles them.
#[server(prefix = "/api", endpoint = "admin/tasks/act")]
pub async fn act_on_tasks(
    action: String,
    note: Option<String>,
    assignee: Option<String>,
    priority: Option<String>,
    ids: Option<String>,
    matching: Option<Params>,
) -> Result<Outcome, AppError> {
    use super::bulk::{self, Act};
    let (pool, actor, within) = crate::project::administrator().await?;
    let act = match action.as_str() {
        "requeue" => Act::Requeue {
            note: bulk::parse_note(note.as_deref())?,
        },
        verdict @ ("accept" | "reject") => Act::Resolve {
            verdict: verdict.to_owned(),
            note: crate::domain::parse_review_text("note", note.as_deref())?,
        },
        "assign" => Act::Assign {
            assignee: super::reserve::parse_name(&pool, assignee.as_deref(), within.as_deref())
                .await?,
        },
        "priority" => Act::Prioritize {
            priority: super::priority::parse("priority", priority.as_deref())?,
        },
        "escalate" => Act::Escalate {
            note: bulk::parse_escalation_note(note.as_deref())?,
        },
        _ => {
            return Err(AppError::invalid(
                "action",
                "must be requeue, accept, reject, assign, priority or escalate",
            ));
        }
    };
    // The page sends the picked ids comma-separated, and `matching` only when none are picked.
    let ids: Vec<&str> = ids
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let target = bulk::target(
        (!ids.is_empty() || matching.is_none()).then_some(ids.as_slice()),
        matching.as_ref(),
    )?;
    bulk::run(&pool, &actor, &target, &act, within.as_deref()).await
}
