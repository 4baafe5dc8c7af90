//! `GET /api/v1/feedback?after=CURSOR&limit=N&project=SLUG`: every piece of feedback (reviews
//! and end-user feedback) in one stable order, for jobs that retrain on it; of one project, or of
//! the projects a token is limited to.
//!
//! Rows are ordered by (writing transaction, kind, id). The feed returns only rows whose
//! transaction is older than every transaction still running, so a row that commits later always
//! sorts after the cursor a reader already holds: following `next_cursor` never skips a row and
//! never repeats one. The price is that a row appears only once every transaction that started
//! before it has ended (normally milliseconds).

use super::auth::{ProjectPipeline, need};
use super::error::ApiError;
use app::error::FieldError;
use app::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// `next_cursor` from the previous page; leave out to start at the beginning.
    after: Option<String>,
    /// Items per page, 1-1000 (default 100).
    limit: Option<String>,
    /// A project's slug: only its feedback. A token limited to projects reads only theirs.
    project: Option<String>,
}

/// A position in the feed: (transaction, kind: 0 review / 1 end-user feedback, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    xact: i64,
    kind: i16,
    id: i64,
}

impl Cursor {
    const START: Cursor = Cursor {
        xact: -1,
        kind: 1,
        id: i64::MAX,
    };

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("after", "must be a next_cursor value returned by this feed");
        let mut parts = raw.trim().split('.');
        let mut next = || {
            parts
                .next()
                .and_then(|p| p.parse::<i64>().ok())
                .ok_or_else(bad)
        };
        let (xact, kind, id) = (next()?, next()?, next()?);
        if parts.next().is_some() || xact < 0 || !(0..=1).contains(&kind) || id < 0 {
            return Err(bad());
        }
        Ok(Cursor {
            xact,
            kind: kind as i16,
            id,
        })
    }

    /// The last (transaction, id) already read among reviews and among end-user feedback.
    /// Reviews sort before end-user feedback of the same transaction.
    fn bounds(self) -> ((i64, i64), (i64, i64)) {
        match self.kind {
            0 => ((self.xact, self.id), (self.xact, -1)),
            _ => ((self.xact, i64::MAX), (self.xact, self.id)),
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.xact, self.kind, self.id)
    }
}

/// One piece of feedback. Review fields are set for `kind: "review"`, end-user fields for
/// `kind: "end_user"`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedItem {
    /// Pass as `after` to continue after this item.
    pub cursor: String,
    /// `review` or `end_user`.
    pub kind: &'static str,
    pub task_id: Uuid,
    pub external_id: Option<String>,
    pub model: String,
    pub model_version: String,
    /// The slug of the task's project.
    pub project: String,
    pub created_at: DateTime<Utc>,
    pub reviewer: Option<String>,
    pub rating: Option<i16>,
    pub verdict: Option<String>,
    pub comment: Option<String>,
    pub corrected_summary: Option<String>,
    pub user_id: Option<String>,
    pub feedback_type: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub value: Option<Value>,
    pub comments: Option<String>,
}

/// A page of the feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    /// Where the next page starts (the `after` given, when this page is empty).
    pub next_cursor: Option<String>,
    /// True when more items were ready at the time of reading.
    pub has_more: bool,
}

/// One row of the feed's statement.
struct FeedRow {
    xact: i64,
    kind: i16,
    id: i64,
    task_id: Uuid,
    external_id: Option<String>,
    model: String,
    model_version: String,
    project: String,
    created_at: DateTime<Utc>,
    reviewer: Option<String>,
    rating: Option<i16>,
    verdict: Option<String>,
    comment: Option<String>,
    corrected_summary: Option<String>,
    user_id: Option<String>,
    feedback_type: Option<String>,
    value: Option<Value>,
    comments: Option<String>,
}

/// The feed's statement: the page after the cursor (`$1`-`$4`, see [`Cursor::bounds`]), `$5`
/// rows at most. `$reviews` and `$end_users` keep each side to the projects asked for (`$6`), or
/// are empty for every project. Two statements rather than one with an `is null or` condition:
/// each is planned for its own index (the feed's, or a project's feed), where a shared cached
/// plan would serve one case with the other's.
macro_rules! feed_rows {
    ($reviews:tt, $end_users:tt $(, $arg:expr)*) => {
        sqlx::query_as!(
            FeedRow,
            r#"with horizon as (select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as h)
               select feed.xact as "xact!", feed.kind as "kind!", feed.id as "id!",
                      feed.task_id as "task_id!", feed.external_id, feed.model as "model!",
                      feed.model_version as "model_version!", p.slug as project,
                      feed.created_at as "created_at!", feed.reviewer, feed.rating, feed.verdict,
                      feed.comment, feed.corrected_summary, feed.user_id, feed.feedback_type,
                      feed.value, feed.comments
               from (
                   (select r.xact, 0::smallint as kind, r.id, r.task_id, t.external_id, r.model,
                           r.model_version, r.project_id, r.created_at, u.username as reviewer,
                           r.rating, r.verdict, r.comment, r.corrected_summary,
                           null::text as user_id, null::text as feedback_type,
                           null::jsonb as value, null::text as comments
                    from reviews r
                    join users u on u.id = r.reviewer_id
                    join tasks t on t.id = r.task_id
                    where (r.xact, r.id) > ($1, $2) and r.xact < (select h from horizon)"#
                + $reviews
                + r#"
                    order by r.xact, r.id limit $5)
                   union all
                   (select f.xact, 1::smallint, f.id, f.task_id, t.external_id, t.model,
                           t.model_version, f.project_id, f.created_at, null, null, null, null,
                           null, f.user_id, f.feedback_type,
                           feedback_value_doc(f.feedback_type, f.value), f.comments
                    from external_feedback f
                    join tasks t on t.id = f.task_id
                    where (f.xact, f.id) > ($3, $4) and f.xact < (select h from horizon)"#
                + $end_users
                + r#"
                    order by f.xact, f.id limit $5)
               ) feed
               join projects p on p.id = feed.project_id
               order by feed.xact, feed.kind, feed.id
               limit $5"#,
            $($arg),*
        )
    };
}

/// A stable, cursor-paginated feed of all feedback.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback",
    security(("token" = ["read"])),
    params(FeedQuery),
    responses((status = 200, body = FeedPage), super::openapi::Errors))]
pub async fn feed(
    State(state): State<AppState>,
    caller: ProjectPipeline<need::Read>,
    query: Result<Query<FeedQuery>, QueryRejection>,
) -> Result<Json<FeedPage>, ApiError> {
    let Query(query) = query.map_err(|_| super::bad_query())?;
    let within = app::project::confine(
        &state.pool,
        query.project.as_deref(),
        caller.projects.as_deref(),
    )
    .await??;
    let after = match query.after.as_deref().filter(|a| !a.trim().is_empty()) {
        Some(raw) => Some(Cursor::parse(raw)?),
        None => None,
    };
    let limit = super::limit(query.limit.as_deref(), 100, 1000)?;
    let ((rx, rid), (ex, eid)) = after.unwrap_or(Cursor::START).bounds();
    let rows = match within.as_deref() {
        None => {
            feed_rows!("", "", rx, rid, ex, eid, limit + 1)
                .fetch_all(&state.pool)
                .await?
        }
        Some(projects) => {
            feed_rows!(
                " and r.project_id = any($6)",
                " and f.project_id = any($6)",
                rx,
                rid,
                ex,
                eid,
                limit + 1,
                projects
            )
            .fetch_all(&state.pool)
            .await?
        }
    };
    let has_more = rows.len() as i64 > limit;
    let items: Vec<FeedItem> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| FeedItem {
            cursor: Cursor {
                xact: r.xact,
                kind: r.kind,
                id: r.id,
            }
            .to_string(),
            kind: if r.kind == 0 { "review" } else { "end_user" },
            task_id: r.task_id,
            external_id: r.external_id,
            model: r.model,
            model_version: r.model_version,
            project: r.project,
            created_at: r.created_at,
            reviewer: r.reviewer,
            rating: r.rating,
            verdict: r.verdict,
            comment: r.comment,
            corrected_summary: r.corrected_summary,
            user_id: r.user_id,
            feedback_type: r.feedback_type,
            value: r.value,
            comments: r.comments,
        })
        .collect();
    let next_cursor = items
        .last()
        .map(|i| i.cursor.clone())
        .or_else(|| after.map(|c| c.to_string()));
    Ok(Json(FeedPage {
        items,
        next_cursor,
        has_more,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_name_the_field() {
        let c = Cursor {
            xact: 812,
            kind: 1,
            id: 44,
        };
        assert_eq!(Cursor::parse(&c.to_string()).unwrap(), c);
        for bad in ["", "1.2", "1.2.3", "1.0.3.4", "-1.0.1", "a.0.1", "1.0.-5"] {
            let e = Cursor::parse(bad).unwrap_err();
            assert_eq!(e.field, "after", "{bad}");
        }
    }

    #[test]
    fn reviews_sort_before_end_user_feedback_of_the_same_transaction() {
        let review = Cursor {
            xact: 9,
            kind: 0,
            id: 5,
        };
        // After a review: later reviews of xact 9, and all end-user feedback of xact 9.
        assert_eq!(review.bounds(), ((9, 5), (9, -1)));
        let end_user = Cursor {
            xact: 9,
            kind: 1,
            id: 5,
        };
        // After end-user feedback: no more reviews of xact 9.
        assert_eq!(end_user.bounds(), ((9, i64::MAX), (9, 5)));
    }
}
