//! Finding outputs: the task list a pipeline pages through over the API and an admin through
//! `/admin/tasks`, with filters that compose: words in the summary or document (PostgreSQL text
//! search over `task_search`, ranked), status, routing reason, model and version, the pipeline's
//! external id, a confidence range, a window of arrival times, and what reviews and end users
//! said (reviewer, verdict, comment, correction, error tag, end-user feedback). Sorted newest
//! first by default (by relevance when searching) and paged by cursor: `after` is the last task
//! of the page before, and the next page starts past that task's own sort key, so a page costs
//! the same deep in the list as at its head.
//!
//! Bad filter values are refused naming the field, never ignored: a typo in `status` must not
//! answer "nothing matches". The statement is built from the filters given (values always bound,
//! never spliced), so each combination gets a plan fitted to it.
//!
//! At a million tasks each page reads about what it shows (see bench/README.md, "Finding tasks
//! at a million", and `migrations/0033_task_find_at_scale.sql`):
//! - Relevance ranks among the newest [`RANKED`] tasks that match (words and every other
//!   filter), read in arrival order from `task_search`, so a word in every tenth document costs
//!   what a rare one does. Older matches are still found sorted by time.
//! - Sorted by time with a condition on reviews, the list walks the reviews that meet it in
//!   their task's arrival order (each review keeps its task's `created_at`), so a rare reviewer,
//!   verdict or tag costs its own reviews, not a walk over the tasks.
//! - Confidence, as a range or a sort, has its own index.

use super::TaskStatus;
use super::list::{Params, TaskPage, TaskRow};
use crate::domain::{Reason, Verdict};
use crate::error::AppError;
use crate::stamp::stamp;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

/// The order of the list.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest first (the default without `q`).
    #[default]
    Newest,
    Oldest,
    /// Least confident first, the queue's own order of doubt.
    LeastConfident,
    MostConfident,
    /// Best match first (the default with `q`; only with `q`).
    Relevance,
}

impl Sort {
    const NAMES: [(&'static str, Sort); 5] = [
        ("newest", Sort::Newest),
        ("oldest", Sort::Oldest),
        ("least_confident", Sort::LeastConfident),
        ("most_confident", Sort::MostConfident),
        ("relevance", Sort::Relevance),
    ];
}

/// The filters of one request, checked.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Filter {
    /// Words to find (PostgreSQL `websearch_to_tsquery`: `"a phrase"`, `or`, `-word` work).
    pub q: Option<String>,
    pub status: Option<TaskStatus>,
    pub reason: Option<Reason>,
    pub model: Option<String>,
    pub model_version: Option<String>,
    pub external_id: Option<String>,
    /// In the project with this slug.
    pub project: Option<String>,
    /// In one of these projects: the caller's own, when its token is limited to projects (set
    /// by the caller, never from the request's parameters).
    pub within: Option<Vec<i64>>,
    pub confidence_min: Option<f64>,
    pub confidence_max: Option<f64>,
    /// Arrived at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Arrived before this time.
    pub to: Option<DateTime<Utc>>,
    /// Reviewed by this username.
    pub reviewer: Option<String>,
    /// Has a review with this verdict.
    pub verdict: Option<Verdict>,
    /// Has (or has no) review with a comment.
    pub has_comment: Option<bool>,
    /// Has (or has no) review with a corrected summary.
    pub has_correction: Option<bool>,
    /// Has a review with this error tag.
    pub error_tag: Option<String>,
    /// Has (or has no) feedback from end users.
    pub end_user_feedback: Option<bool>,
    pub sort: Sort,
    /// Continue after this task (the last of the page before).
    pub after: Option<Uuid>,
}

/// How many of the newest matching tasks relevance ranks: the best match among them comes
/// first, and paging by cursor goes through them in rank order. Enough for a person looking for
/// an output; bounded, so ranking a common word costs the same as a rare one.
pub const RANKED: i64 = 1_000;

/// Longest model, version, external id, username or tag a filter takes: longer ones match
/// nothing stored.
const MAX_TEXT: usize = 512;
/// Longest search text: enough for any phrase a person types, short enough that parsing it is
/// nothing.
pub const MAX_QUERY: usize = 256;

fn present(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

fn text(raw: Option<&str>, field: &str, max: usize) -> Result<Option<String>, AppError> {
    match present(raw) {
        Some(s) if s.len() > max => Err(AppError::invalid(
            field,
            format!("must be at most {max} bytes"),
        )),
        s => Ok(s.map(str::to_owned)),
    }
}

fn flag(raw: Option<&str>, field: &str) -> Result<Option<bool>, AppError> {
    match present(raw) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(AppError::invalid(field, "must be true or false")),
    }
}

fn confidence(raw: Option<&str>, field: &str) -> Result<Option<f64>, AppError> {
    present(raw)
        .map(|s| {
            s.parse::<f64>()
                .ok()
                .filter(|c| (0.0..=1.0).contains(c))
                .ok_or_else(|| AppError::invalid(field, "must be a number from 0 to 1"))
        })
        .transpose()
}

/// A time: RFC 3339 (`2026-11-30T12:00:00Z`), or a UTC day (`2026-11-30`, its start; for `to`,
/// the start of the day after, so a day given as `to` is included).
fn time(raw: Option<&str>, field: &str, end: bool) -> Result<Option<DateTime<Utc>>, AppError> {
    let Some(s) = present(raw) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "must be a date (2026-11-30) or an RFC 3339 time"))?;
    let day = if end { day.succ_opt() } else { Some(day) };
    Ok(day
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc()))
}

impl Filter {
    pub fn parse(raw: &Params) -> Result<Filter, AppError> {
        let status = present(raw.status.as_deref())
            .map(|s| {
                TaskStatus::from_db(s).ok_or_else(|| {
                    AppError::invalid(
                        "status",
                        "must be auto_accepted, queued, in_review, reviewed or escalated",
                    )
                })
            })
            .transpose()?;
        let reason = present(raw.reason.as_deref())
            .map(|s| {
                Reason::from_db(s).ok_or_else(|| {
                    AppError::invalid(
                        "reason",
                        "must be low_confidence, flagged, audit_sample, auto_accepted, \
                         user_feedback, weak_support or requeued",
                    )
                })
            })
            .transpose()?;
        let verdict = present(raw.verdict.as_deref())
            .map(|s| {
                Verdict::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| {
                        AppError::invalid("verdict", "must be accept, reject or escalate")
                    })
            })
            .transpose()?;
        let after = present(raw.after.as_deref())
            .map(|s| {
                Uuid::parse_str(s).map_err(|_| {
                    AppError::invalid("after", "must be next_after from the page before")
                })
            })
            .transpose()?;
        let q = text(raw.q.as_deref(), "q", MAX_QUERY)?;
        let sort = match present(raw.sort.as_deref()) {
            None if q.is_some() => Sort::Relevance,
            None => Sort::Newest,
            Some(s) => Sort::NAMES
                .iter()
                .find(|(n, _)| *n == s)
                .map(|(_, sort)| *sort)
                .ok_or_else(|| {
                    AppError::invalid(
                        "sort",
                        "must be newest, oldest, least_confident, most_confident or relevance",
                    )
                })?,
        };
        if sort == Sort::Relevance && q.is_none() {
            return Err(AppError::invalid(
                "sort",
                "relevance needs words to search for (q)",
            ));
        }
        let filter = Filter {
            q,
            status,
            reason,
            model: text(raw.model.as_deref(), "model", MAX_TEXT)?,
            model_version: text(raw.model_version.as_deref(), "model_version", MAX_TEXT)?,
            external_id: text(raw.external_id.as_deref(), "external_id", MAX_TEXT)?,
            project: match present(raw.project.as_deref()) {
                Some(slug) => {
                    crate::project::check_slug("project", slug)?;
                    Some(slug.to_owned())
                }
                None => None,
            },
            within: None,
            confidence_min: confidence(raw.confidence_min.as_deref(), "confidence_min")?,
            confidence_max: confidence(raw.confidence_max.as_deref(), "confidence_max")?,
            from: time(raw.from.as_deref(), "from", false)?,
            to: time(raw.to.as_deref(), "to", true)?,
            reviewer: text(raw.reviewer.as_deref(), "reviewer", MAX_TEXT)?,
            verdict,
            has_comment: flag(raw.has_comment.as_deref(), "has_comment")?,
            has_correction: flag(raw.has_correction.as_deref(), "has_correction")?,
            error_tag: text(raw.error_tag.as_deref(), "error_tag", MAX_TEXT)?,
            end_user_feedback: flag(raw.end_user_feedback.as_deref(), "end_user_feedback")?,
            sort,
            after,
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            if from >= to {
                return Err(AppError::invalid("to", "must be after from"));
            }
        }
        if let (Some(lo), Some(hi)) = (filter.confidence_min, filter.confidence_max) {
            if lo > hi {
                return Err(AppError::invalid(
                    "confidence_max",
                    "must be at least confidence_min",
                ));
            }
        }
        Ok(filter)
    }

    /// Whether any condition on the task's reviews is set.
    fn on_reviews(&self) -> bool {
        self.reviewer.is_some()
            || self.verdict.is_some()
            || self.has_comment == Some(true)
            || self.has_correction == Some(true)
            || self.error_tag.is_some()
    }

    /// `from tasks t [join task_search …] where …`: the tasks this filter matches, for the list
    /// and for an action on everything matching (`select t.id` + this).
    pub fn push_from_where(&self, qb: &mut QueryBuilder<Postgres>) {
        self.push_from_where_by(qb, false);
    }

    /// The same, driven from the reviews when `by_reviews` (and a condition on reviews is set):
    /// `from reviews r join tasks t …`, one row per matching review, so the caller dedupes.
    fn push_from_where_by(&self, qb: &mut QueryBuilder<Postgres>, by_reviews: bool) {
        let by_reviews = by_reviews && self.on_reviews();
        if by_reviews {
            qb.push(" from reviews r join tasks t on t.id = r.task_id");
        } else {
            qb.push(" from tasks t");
        }
        if let Some(q) = &self.q {
            qb.push(" join task_search s on s.task_id = t.id cross join websearch_to_tsquery('english', ");
            qb.push_bind(q.clone());
            qb.push(") as query");
        }
        qb.push(" where true");
        if self.q.is_some() {
            qb.push(" and s.terms @@ query");
        }
        let eq = |qb: &mut QueryBuilder<Postgres>, column: &str, value: Option<String>| {
            if let Some(v) = value {
                qb.push(format_args!(" and t.{column} = "));
                qb.push_bind(v);
            }
        };
        eq(qb, "status", self.status.map(|s| s.as_str().to_owned()));
        eq(qb, "reason", self.reason.map(|r| r.as_str().to_owned()));
        eq(qb, "model", self.model.clone());
        eq(qb, "model_version", self.model_version.clone());
        eq(qb, "external_id", self.external_id.clone());
        if let Some(slug) = &self.project {
            qb.push(" and t.project_id = (select id from projects where slug = ")
                .push_bind(slug.clone())
                .push(")");
        }
        if let Some(ids) = &self.within {
            qb.push(" and t.project_id = any(")
                .push_bind(ids.clone())
                .push(")");
        }
        if let Some(lo) = self.confidence_min {
            qb.push(" and t.confidence >= ").push_bind(lo);
        }
        if let Some(hi) = self.confidence_max {
            qb.push(" and t.confidence <= ").push_bind(hi);
        }
        if let Some(from) = self.from {
            qb.push(" and t.created_at >= ").push_bind(from);
        }
        if let Some(to) = self.to {
            qb.push(" and t.created_at < ").push_bind(to);
        }
        // The conditions on reviews hold of one review together: "reviewed by ana, rejected"
        // is ana's rejection, not anyone's.
        if by_reviews {
            self.push_review_conditions(qb);
        } else if self.on_reviews() {
            qb.push(" and exists (select 1 from reviews r where r.task_id = t.id");
            self.push_review_conditions(qb);
            qb.push(")");
        }
        if self.has_comment == Some(false) {
            qb.push(
                " and not exists (select 1 from reviews r where r.task_id = t.id \
                   and coalesce(r.comment, '') <> '')",
            );
        }
        if self.has_correction == Some(false) {
            qb.push(
                " and not exists (select 1 from reviews r where r.task_id = t.id \
                   and r.corrected_summary is not null)",
            );
        }
        match self.end_user_feedback {
            Some(true) => {
                qb.push(" and exists (select 1 from external_feedback e where e.task_id = t.id)");
            }
            Some(false) => {
                qb.push(
                    " and not exists (select 1 from external_feedback e where e.task_id = t.id)",
                );
            }
            None => {}
        }
    }

    /// ` and r.… ` for each condition on reviews, of the review `r`.
    fn push_review_conditions(&self, qb: &mut QueryBuilder<Postgres>) {
        if let Some(name) = &self.reviewer {
            qb.push(" and r.reviewer_id = (select id from users where username = ")
                .push_bind(name.clone())
                .push(")");
        }
        if let Some(v) = self.verdict {
            qb.push(" and r.verdict = ").push_bind(v.as_str());
        }
        if self.has_comment == Some(true) {
            qb.push(" and coalesce(r.comment, '') <> ''");
        }
        if self.has_correction == Some(true) {
            qb.push(" and r.corrected_summary is not null");
        }
        if let Some(tag) = &self.error_tag {
            // Containment, so the inverted index on tags can answer; "has tags" is implied, but
            // said, so the index of tagged reviews in task order can answer too.
            qb.push(" and r.error_tags <> '{}' and r.error_tags @> array[")
                .push_bind(tag.clone())
                .push("::text]");
        }
    }
}

/// The columns of a page's rows, of the task `t`.
const COLUMNS: &str = "t.id, t.external_id, t.status, t.reason, t.model, t.model_version, \
                       t.confidence, t.flagged, t.priority, t.project_id, t.created_at, \
                       t.completed_at";

/// One page of the tasks matching `f`, in its order (ties by arrival, then id). Reads
/// `limit + 1` rows to know whether another page follows. A cursor naming a task that no longer
/// exists ends the list.
pub async fn page(pool: &PgPool, f: &Filter, limit: i64) -> Result<TaskPage, AppError> {
    let mut qb = if f.sort == Sort::Relevance {
        ranked(f, limit)
    } else {
        sorted(f, limit)
    };
    // Planned for its values each time, never from a cached generic plan: how many tasks hold
    // these words, or have this status, decides between walking in arrival order and the
    // inverted index, and a generic plan guesses (measured: 1.4 s instead of 0.2 s for a common
    // word with a status, from the sixth request on).
    let rows = qb.build().persistent(false).fetch_all(pool).await?;
    let more = rows.len() as i64 > limit;
    // The projects' slugs in one look-up for the page, not a join in every candidate's row.
    let slugs: std::collections::HashMap<i64, String> = sqlx::query!(
        "select id, slug from projects where id = any($1)",
        &rows
            .iter()
            .map(|r| r.try_get::<i64, _>("project_id"))
            .collect::<Result<Vec<_>, _>>()?
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|p| (p.id, p.slug))
    .collect();
    let tasks = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| -> Result<TaskRow, sqlx::Error> {
            Ok(TaskRow {
                id: r.try_get("id")?,
                external_id: r.try_get("external_id")?,
                status: r.try_get("status")?,
                reason: r.try_get("reason")?,
                model: r.try_get("model")?,
                model_version: r.try_get("model_version")?,
                confidence: r.try_get("confidence")?,
                flagged: r.try_get("flagged")?,
                priority: r.try_get("priority")?,
                project: slugs
                    .get(&r.try_get::<i64, _>("project_id")?)
                    .cloned()
                    .unwrap_or_default(),
                created_at: stamp(r.try_get("created_at")?),
                completed_at: r
                    .try_get::<Option<DateTime<Utc>>, _>("completed_at")?
                    .map(stamp),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let next_after = if more {
        tasks.last().map(|t| t.id)
    } else {
        None
    };
    Ok(TaskPage { tasks, next_after })
}

/// The statement for a page in an order of the tasks' own columns (time or confidence).
fn sorted(f: &Filter, limit: i64) -> QueryBuilder<Postgres> {
    // By time with a condition on reviews: walk the matching reviews in their task's arrival
    // order (`reviews.task_created_at` is the task's `created_at`), one row per task.
    let by_reviews = f.on_reviews() && matches!(f.sort, Sort::Newest | Sort::Oldest);
    // Arrival as the walked table holds it: the same values, from the index the walk can use.
    let arrival: [&str; 2] = if by_reviews {
        ["r.task_created_at", "r.task_id"]
    } else if f.q.is_some() {
        ["s.created_at", "s.task_id"]
    } else {
        ["t.created_at", "t.id"]
    };
    let mut qb = QueryBuilder::<Postgres>::new("select ");
    if by_reviews {
        qb.push(format_args!("distinct on ({}) ", arrival.join(", ")));
    }
    qb.push(COLUMNS);
    f.push_from_where_by(&mut qb, by_reviews);
    // The sort key's columns, the same of the `after` task, and the direction: a page continues
    // strictly past its cursor's key, compared as a row.
    // Confidence ties by the task's own arrival: its index is `(confidence, created_at, id)`.
    let confidence = ["t.confidence", "t.created_at", "t.id"];
    let (key, after_key, descending): (&[&str], &[&str], bool) = match f.sort {
        Sort::Oldest => (&arrival, &["a.created_at", "a.id"], false),
        Sort::LeastConfident => (
            &confidence,
            &["a.confidence", "a.created_at", "a.id"],
            false,
        ),
        Sort::MostConfident => (&confidence, &["a.confidence", "a.created_at", "a.id"], true),
        Sort::Newest | Sort::Relevance => (&arrival, &["a.created_at", "a.id"], true),
    };
    if let Some(after) = f.after {
        qb.push(format_args!(
            " and ({}) {} (select {} from tasks a where a.id = ",
            key.join(", "),
            if descending { "<" } else { ">" },
            after_key.join(", "),
        ));
        qb.push_bind(after);
        // A cursor outside the caller's projects reads as no task: its time, confidence or
        // rank must not show through the page it would start.
        if let Some(within) = &f.within {
            qb.push(" and a.project_id = any(")
                .push_bind(within.clone())
                .push(")");
        }
        qb.push(")");
    }
    let dir = if descending { "desc" } else { "asc" };
    let order = key
        .iter()
        .map(|c| format!("{c} {dir}"))
        .collect::<Vec<_>>()
        .join(", ");
    qb.push(format_args!(" order by {order} limit "));
    qb.push_bind(limit + 1);
    qb
}

/// The statement for a page by relevance: the newest [`RANKED`] matches (read in arrival order
/// from `task_search`), ranked, ties by arrival then id; the cursor's task's rank is computed
/// the same way, so the next page continues strictly past it among the same candidates.
fn ranked(f: &Filter, limit: i64) -> QueryBuilder<Postgres> {
    let mut qb = QueryBuilder::<Postgres>::new("select c.* from (select ");
    qb.push(COLUMNS);
    qb.push(", ts_rank(s.terms, query) as rank");
    f.push_from_where(&mut qb);
    qb.push(" order by s.created_at desc, s.task_id desc limit ");
    qb.push_bind(RANKED);
    qb.push(") c");
    if let Some(after) = f.after {
        qb.push(
            " where (c.rank, c.created_at, c.id) < (select ts_rank(sa.terms, \
               websearch_to_tsquery('english', ",
        );
        qb.push_bind(f.q.clone().unwrap_or_default());
        qb.push(")), sa.created_at, sa.task_id from task_search sa where sa.task_id = ");
        qb.push_bind(after);
        if let Some(within) = &f.within {
            qb.push(" and exists (select 1 from tasks a where a.id = sa.task_id and a.project_id = any(")
                .push_bind(within.clone())
                .push("))");
        }
        qb.push(")");
    }
    qb.push(" order by c.rank desc, c.created_at desc, c.id desc limit ");
    qb.push_bind(limit + 1);
    qb
}

/// The id of the task a pipeline knows by its external id, if any.
pub async fn by_external_id(
    pool: &PgPool,
    external_id: &str,
    project: i64,
) -> Result<Option<Uuid>, AppError> {
    if external_id.is_empty() || external_id.len() > MAX_TEXT {
        return Ok(None);
    }
    Ok(sqlx::query_scalar!(
        "select id from tasks where external_id = $1 and project_id = $2",
        external_id,
        project
    )
    .fetch_optional(pool)
    .await?)
}

/// The task with this id, if it is in one of these projects (`None`: any project).
pub async fn in_projects(
    pool: &PgPool,
    id: Uuid,
    within: Option<&[i64]>,
) -> Result<Option<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        "select id from tasks where id = $1 and ($2::int8[] is null or project_id = any($2))",
        id,
        within as Option<&[i64]>
    )
    .fetch_optional(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_and_a_day_given_as_to_is_included() {
        let f = Filter::parse(&Params {
            status: Some("queued".into()),
            reason: Some(" weak_support ".into()),
            from: Some("2026-11-30".into()),
            to: Some("2026-11-30".into()),
            ..Params::default()
        })
        .unwrap();
        assert_eq!(f.status, Some(TaskStatus::Queued));
        assert_eq!(f.reason, Some(Reason::WeakSupport));
        assert_eq!(f.to.unwrap() - f.from.unwrap(), chrono::Duration::days(1));
        for (raw, field) in [
            (
                Params {
                    status: Some("done".into()),
                    ..Params::default()
                },
                "status",
            ),
            (
                Params {
                    reason: Some("because".into()),
                    ..Params::default()
                },
                "reason",
            ),
            (
                Params {
                    from: Some("yesterday".into()),
                    ..Params::default()
                },
                "from",
            ),
            (
                Params {
                    after: Some("page-2".into()),
                    ..Params::default()
                },
                "after",
            ),
            (
                Params {
                    from: Some("2026-12-01".into()),
                    to: Some("2026-11-30".into()),
                    ..Params::default()
                },
                "to",
            ),
            (
                Params {
                    confidence_min: Some("0.9".into()),
                    confidence_max: Some("0.2".into()),
                    ..Params::default()
                },
                "confidence_max",
            ),
            (
                Params {
                    confidence_min: Some("NaN".into()),
                    ..Params::default()
                },
                "confidence_min",
            ),
            (
                Params {
                    has_comment: Some("yes".into()),
                    ..Params::default()
                },
                "has_comment",
            ),
            (
                Params {
                    sort: Some("relevance".into()),
                    ..Params::default()
                },
                "sort",
            ),
            (
                Params {
                    verdict: Some("maybe".into()),
                    ..Params::default()
                },
                "verdict",
            ),
            (
                Params {
                    q: Some("x".repeat(MAX_QUERY + 1)),
                    ..Params::default()
                },
                "q",
            ),
        ] {
            match Filter::parse(&raw) {
                Err(AppError::Validation(e)) => assert_eq!(e.field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_documented_bound_of_ranking_is_the_one_applied() {
        // The list page's sort choice and the API's description of `q` and `sort` say 1,000.
        assert_eq!(RANKED, 1_000);
    }

    #[test]
    fn searching_sorts_by_relevance_unless_told_otherwise() {
        let searching = Params {
            q: Some("refund".into()),
            ..Params::default()
        };
        assert_eq!(Filter::parse(&searching).unwrap().sort, Sort::Relevance);
        let oldest = Params {
            sort: Some("oldest".into()),
            ..searching
        };
        assert_eq!(Filter::parse(&oldest).unwrap().sort, Sort::Oldest);
        assert_eq!(
            Filter::parse(&Params::default()).unwrap().sort,
            Sort::Newest
        );
    }
}
