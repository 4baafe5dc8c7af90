//! A task's lifecycle: the statuses it moves through ([`TaskStatus`]) and the lease that holds
//! it while a reviewer works on it ([`lease`]: every statement that writes the lease columns).
//! "Waiting" and "held" are defined once, in SQL (`migrations/0016_task_lifecycle.sql`), and
//! called by every query that asks: the claim, the queue page, the dashboard, the review page.
//!
//! ```text
//! ingest ──► auto_accepted      (nobody needs to look, until end users are dissatisfied:
//!        │      │                reopen, reason user_feedback)
//!        │      ▼
//!        └─► queued ──claim──► in_review ──review──► reviewed
//!              ▲                 │  │  └──escalate──► escalated ──admin rules──► reviewed
//!              └── skip, release, lease runs out, or more reviews wanted
//! ```
//!
//! A task `in_review` whose lease has run out is *waiting* again: any reviewer may claim it, so
//! an abandoned tab never strands a task. No sweep is needed to make that true.

/// Actions on many tasks at once (requeue), by id or over a list filter.
#[cfg(feature = "ssr")]
pub mod bulk;
pub mod counts;
#[cfg(feature = "ssr")]
pub mod depth;
/// The task list: filters, search and sort, paged by cursor.
/// An admin's escalation of outputs to the escalation queue.
#[cfg(feature = "ssr")]
pub mod escalate;
#[cfg(feature = "ssr")]
pub mod find;
#[cfg(feature = "ssr")]
pub mod lease;
/// The task list's parameters and answer, shared with the list page.
pub mod list;
/// Priority: how far ahead of the queue an output goes.
pub mod priority;
#[cfg(feature = "ssr")]
pub mod reopen;
/// Assignment: work kept for a reviewer or a group until it opens to the whole project.
#[cfg(feature = "ssr")]
pub mod reserve;
/// An admin's ruling: the one statement that writes a resolution.
#[cfg(feature = "ssr")]
pub mod resolve;

use serde::{Deserialize, Serialize};

/// Where a task is in its life; the database's `tasks_status_check` allows exactly these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Routed past review: the pipeline's output stands.
    AutoAccepted,
    /// Waiting for a reviewer.
    Queued,
    /// Leased to a reviewer (waiting again once the lease runs out).
    InReview,
    /// Has every review it wanted, or an admin ruled on its escalation.
    Reviewed,
    /// A reviewer asked an admin to decide.
    Escalated,
}

impl TaskStatus {
    /// Every status, in the order the lifecycle reaches them.
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::AutoAccepted,
        TaskStatus::Queued,
        TaskStatus::InReview,
        TaskStatus::Reviewed,
        TaskStatus::Escalated,
    ];

    /// The value stored in `tasks.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::AutoAccepted => "auto_accepted",
            TaskStatus::Queued => "queued",
            TaskStatus::InReview => "in_review",
            TaskStatus::Reviewed => "reviewed",
            TaskStatus::Escalated => "escalated",
        }
    }

    /// Reads the value stored in `tasks.status`.
    pub fn from_db(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Reads a stored status; the check constraint makes anything else a broken database,
    /// logged and answered as an internal error.
    #[cfg(feature = "ssr")]
    pub fn stored(raw: &str) -> Result<Self, crate::error::AppError> {
        Self::from_db(raw).ok_or_else(|| {
            tracing::error!(status = %raw, "unknown task status in database");
            crate::error::AppError::Internal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::TaskStatus;

    #[test]
    fn every_status_reads_back_from_its_stored_value() {
        for status in TaskStatus::ALL {
            assert_eq!(TaskStatus::from_db(status.as_str()), Some(status));
        }
        assert_eq!(TaskStatus::from_db("done"), None);
        assert_eq!(TaskStatus::from_db("Queued"), None);
    }
}
