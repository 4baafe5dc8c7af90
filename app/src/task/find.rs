//! Finding outputs: the list of tasks a pipeline (or, later, an admin's page) pages through,
//! newest first, with filters that compose: status, routing reason, model and version, the
//! pipeline's external id, and a window of arrival times. Paged by cursor: `after` is the last
//! task of the page before, so a page costs the same deep in the list as at its head.
//!
//! Bad filter values are refused naming the field, never ignored: a typo in `status` must not
//! answer "nothing matches".

use super::TaskStatus;
use crate::domain::Reason;
use crate::error::AppError;
use crate::stamp::stamp;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// The filters of one request, checked.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Filter {
    pub status: Option<TaskStatus>,
    pub reason: Option<Reason>,
    pub model: Option<String>,
    pub model_version: Option<String>,
    pub external_id: Option<String>,
    /// Arrived at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Arrived before this time.
    pub to: Option<DateTime<Utc>>,
    /// Continue after this task (the last of the page before).
    pub after: Option<Uuid>,
}

/// The raw query values, as a request gives them.
#[derive(Debug, Default)]
pub struct Raw<'a> {
    pub status: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub model: Option<&'a str>,
    pub model_version: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// Longest model, version or external id a filter takes: longer ones match nothing stored.
const MAX_TEXT: usize = 512;

fn present(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

fn text(raw: Option<&str>, field: &str) -> Result<Option<String>, AppError> {
    match present(raw) {
        Some(s) if s.len() > MAX_TEXT => Err(AppError::invalid(
            field,
            format!("must be at most {MAX_TEXT} bytes"),
        )),
        s => Ok(s.map(str::to_owned)),
    }
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
    pub fn parse(raw: &Raw<'_>) -> Result<Filter, AppError> {
        let status = present(raw.status)
            .map(|s| {
                TaskStatus::from_db(s).ok_or_else(|| {
                    AppError::invalid(
                        "status",
                        "must be auto_accepted, queued, in_review, reviewed or escalated",
                    )
                })
            })
            .transpose()?;
        let reason = present(raw.reason)
            .map(|s| {
                Reason::from_db(s).ok_or_else(|| {
                    AppError::invalid(
                        "reason",
                        "must be low_confidence, flagged, audit_sample, auto_accepted, \
                         user_feedback or weak_support",
                    )
                })
            })
            .transpose()?;
        let after = present(raw.after)
            .map(|s| {
                Uuid::parse_str(s).map_err(|_| {
                    AppError::invalid("after", "must be next_after from the page before")
                })
            })
            .transpose()?;
        let filter = Filter {
            status,
            reason,
            model: text(raw.model, "model")?,
            model_version: text(raw.model_version, "model_version")?,
            external_id: text(raw.external_id, "external_id")?,
            from: time(raw.from, "from", false)?,
            to: time(raw.to, "to", true)?,
            after,
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            if from >= to {
                return Err(AppError::invalid("to", "must be after from"));
            }
        }
        Ok(filter)
    }
}

/// One task in the list: what it is and where it stands, without its texts (fetch
/// `GET /api/v1/tasks/{id}` for those).
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// A page of tasks, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskPage {
    pub tasks: Vec<TaskRow>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<Uuid>,
}

/// One page of the tasks matching `f`, newest first (ties by id). Reads `limit + 1` rows to know
/// whether another page follows. A cursor naming a task that no longer exists ends the list.
pub async fn page(pool: &PgPool, f: &Filter, limit: i64) -> Result<TaskPage, AppError> {
    let rows = sqlx::query!(
        r#"select id, external_id, status, reason, model, model_version, confidence, flagged,
                  created_at, completed_at
           from tasks
           where ($1::text is null or status = $1)
             and ($2::text is null or reason = $2)
             and ($3::text is null or model = $3)
             and ($4::text is null or model_version = $4)
             and ($5::text is null or external_id = $5)
             and ($6::timestamptz is null or created_at >= $6)
             and ($7::timestamptz is null or created_at < $7)
             and ($8::uuid is null
                  or (created_at, id) < (select created_at, id from tasks where id = $8))
           order by created_at desc, id desc
           limit $9"#,
        f.status.map(TaskStatus::as_str),
        f.reason.map(Reason::as_str),
        f.model.as_deref(),
        f.model_version.as_deref(),
        f.external_id.as_deref(),
        f.from,
        f.to,
        f.after,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let more = rows.len() as i64 > limit;
    let tasks: Vec<TaskRow> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| TaskRow {
            id: r.id,
            external_id: r.external_id,
            status: r.status,
            reason: r.reason,
            model: r.model,
            model_version: r.model_version,
            confidence: r.confidence,
            flagged: r.flagged,
            created_at: stamp(r.created_at),
            completed_at: r.completed_at.map(stamp),
        })
        .collect();
    let next_after = if more {
        tasks.last().map(|t| t.id)
    } else {
        None
    };
    Ok(TaskPage { tasks, next_after })
}

/// The id of the task a pipeline knows by its external id, if any.
pub async fn by_external_id(pool: &PgPool, external_id: &str) -> Result<Option<Uuid>, AppError> {
    if external_id.is_empty() || external_id.len() > MAX_TEXT {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar!("select id from tasks where external_id = $1", external_id)
            .fetch_optional(pool)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_and_a_day_given_as_to_is_included() {
        let f = Filter::parse(&Raw {
            status: Some("queued"),
            reason: Some(" weak_support "),
            from: Some("2026-11-30"),
            to: Some("2026-11-30"),
            ..Raw::default()
        })
        .unwrap();
        assert_eq!(f.status, Some(TaskStatus::Queued));
        assert_eq!(f.reason, Some(Reason::WeakSupport));
        assert_eq!(f.to.unwrap() - f.from.unwrap(), chrono::Duration::days(1));
        for (raw, field) in [
            (
                Raw {
                    status: Some("done"),
                    ..Raw::default()
                },
                "status",
            ),
            (
                Raw {
                    reason: Some("because"),
                    ..Raw::default()
                },
                "reason",
            ),
            (
                Raw {
                    from: Some("yesterday"),
                    ..Raw::default()
                },
                "from",
            ),
            (
                Raw {
                    after: Some("page-2"),
                    ..Raw::default()
                },
                "after",
            ),
            (
                Raw {
                    from: Some("2026-12-01"),
                    to: Some("2026-11-30"),
                    ..Raw::default()
                },
                "to",
            ),
        ] {
            match Filter::parse(&raw) {
                Err(AppError::Validation(e)) => assert_eq!(e.field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
