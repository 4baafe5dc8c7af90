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
        qb.push(" from tasks t");
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
        if self.on_reviews() {
            qb.push(" and exists (select 1 from reviews r where r.task_id = t.id");
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
                qb.push(" and ")
                    .push_bind(tag.clone())
                    .push(" = any(r.error_tags)");
            }
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
}

/// One page of the tasks matching `f`, in its order (ties by arrival, then id). Reads
/// `limit + 1` rows to know whether another page follows. A cursor naming a task that no longer
/// exists ends the list.
pub async fn page(pool: &PgPool, f: &Filter, limit: i64) -> Result<TaskPage, AppError> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "select t.id, t.external_id, t.status, t.reason, t.model, t.model_version, t.confidence, \
                t.flagged, t.created_at, t.completed_at",
    );
    f.push_from_where(&mut qb);
    // The sort key's columns, the same of the `after` task, and the direction: a page continues
    // strictly past its cursor's key, compared as a row.
    let (key, after_key, descending): (&[&str], &[&str], bool) = match f.sort {
        Sort::Newest => (&["t.created_at", "t.id"], &["a.created_at", "a.id"], true),
        Sort::Oldest => (&["t.created_at", "t.id"], &["a.created_at", "a.id"], false),
        Sort::LeastConfident => (
            &["t.confidence", "t.created_at", "t.id"],
            &["a.confidence", "a.created_at", "a.id"],
            false,
        ),
        Sort::MostConfident => (
            &["t.confidence", "t.created_at", "t.id"],
            &["a.confidence", "a.created_at", "a.id"],
            true,
        ),
        Sort::Relevance => (
            &["ts_rank(s.terms, query)", "t.created_at", "t.id"],
            &["ts_rank(sa.terms, query)", "a.created_at", "a.id"],
            true,
        ),
    };
    if let Some(after) = f.after {
        qb.push(format_args!(
            " and ({}) {} (select {} from tasks a",
            key.join(", "),
            if descending { "<" } else { ">" },
            after_key.join(", "),
        ));
        if f.sort == Sort::Relevance {
            qb.push(" join task_search sa on sa.task_id = a.id");
        }
        qb.push(" where a.id = ").push_bind(after).push(")");
    }
    let dir = if descending { "desc" } else { "asc" };
    let order = key
        .iter()
        .map(|c| format!("{c} {dir}"))
        .collect::<Vec<_>>()
        .join(", ");
    qb.push(format_args!(" order by {order} limit "));
    qb.push_bind(limit + 1);
    let rows = qb.build().fetch_all(pool).await?;
    let more = rows.len() as i64 > limit;
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
