//! Tasks in a time span counted two ways: per (bucket, reason) for the volume chart, and per
//! (twentieth of confidence, flagged) for the what-if. Whole UTC days come from the `task_volume`
//! rollup, which triggers keep as tasks are written (migration 0018); only the parts of days at
//! the span's edges are read from `tasks`. A year at a million tasks is then a few thousand
//! rollup rows rather than a million index entries, and the figures are the same as a scan of
//! `tasks` for any span, midnight-aligned or not.

use super::shape::{CONFIDENCE_BINS, slot};
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::PgPool;

/// Task counts per (bucket, reason), and per confidence twentieth as (not flagged, flagged).
pub type TaskCounts = (Vec<(i32, String, i64)>, [(i64, i64); CONFIDENCE_BINS]);

/// Which part of a span the rollup answers and which parts `tasks` must.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Split {
    /// Whole days in the rollup: `days.0` up to, not including, `days.1` (possibly none).
    days: (NaiveDate, NaiveDate),
    /// The span's start up to here is read from `tasks`: the partial day before the whole ones.
    head_end: DateTime<Utc>,
    /// From here to the span's end is read from `tasks`: the partial day after the whole ones.
    tail_start: DateTime<Utc>,
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// Splits `[start, end)` into a head, whole UTC days and a tail. Head and tail are empty when the
/// span starts and ends at midnight; when it holds no whole day, the head is the whole span.
fn split(start: DateTime<Utc>, end: DateTime<Utc>) -> Split {
    let end = end.max(start);
    let first = start.date_naive();
    let first = if start == midnight(first) {
        first
    } else {
        first.succ_opt().unwrap_or(first)
    };
    let last = end.date_naive().max(first);
    let head_end = midnight(first).max(start).min(end);
    let tail_start = midnight(last).max(head_end).min(end);
    Split {
        days: (first, last),
        head_end,
        tail_start,
    }
}

/// Counts the tasks created in `[start, end)`, optionally of one model and version. Buckets are
/// `bucket_days` UTC days wide, counted from `origin`.
pub async fn task_counts(
    pool: &PgPool,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    model: Option<&str>,
    version: Option<&str>,
    origin: NaiveDate,
    bucket_days: i32,
) -> Result<TaskCounts, AppError> {
    let s = split(start, end);
    // Three branches, each one index range: the rollup's days, then the head and the tail of
    // `tasks` (empty ranges cost one index probe).
    let rows = sqlx::query!(
        r#"select bucket as "bucket?", reason as "reason?", bin as "bin?", flagged as "flagged?",
                  sum(n)::int8 as "count!"
           from (
               select ((day - $5::date) / $6)::int as bucket, reason, bin::int as bin, flagged, n
               from task_volume
               where day >= $7 and day < $8
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
               union all
               select (((created_at at time zone 'UTC')::date - $5::date) / $6)::int, reason,
                      least(floor(confidence * 20 + 1e-9), 19)::int, flagged, 1
               from tasks
               where created_at >= $1 and created_at < $9
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
               union all
               select (((created_at at time zone 'UTC')::date - $5::date) / $6)::int, reason,
                      least(floor(confidence * 20 + 1e-9), 19)::int, flagged, 1
               from tasks
               where created_at >= $10 and created_at < $2
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           ) t
           group by grouping sets ((bucket, reason), (bin, flagged))"#,
        start,
        end,
        model,
        version,
        origin,
        bucket_days,
        s.days.0,
        s.days.1,
        s.head_end,
        s.tail_start,
    )
    .fetch_all(pool)
    .await?;
    let mut volume = Vec::new();
    let mut confidence = [(0, 0); CONFIDENCE_BINS];
    for r in rows {
        match (r.bucket, r.reason, r.bin, r.flagged) {
            (Some(bucket), Some(reason), _, _) => volume.push((bucket, reason, r.count)),
            (_, _, Some(bin), Some(flagged)) => {
                if let Some(s) = slot(bin, CONFIDENCE_BINS) {
                    if flagged {
                        confidence[s].1 += r.count;
                    } else {
                        confidence[s].0 += r.count;
                    }
                }
            }
            _ => {}
        }
    }
    Ok((volume, confidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_midnight_span_is_whole_days_only() {
        let s = split(at("2026-03-01T00:00:00Z"), at("2026-03-08T00:00:00Z"));
        assert_eq!(s.days, (day("2026-03-01"), day("2026-03-08")));
        assert_eq!(s.head_end, at("2026-03-01T00:00:00Z"));
        assert_eq!(s.tail_start, at("2026-03-08T00:00:00Z"));
    }

    #[test]
    fn partial_days_at_the_edges_go_to_the_head_and_the_tail() {
        let s = split(at("2026-03-01T10:30:00Z"), at("2026-03-04T05:00:00Z"));
        assert_eq!(s.days, (day("2026-03-02"), day("2026-03-04")));
        assert_eq!(s.head_end, at("2026-03-02T00:00:00Z"));
        assert_eq!(s.tail_start, at("2026-03-04T00:00:00Z"));
    }

    #[test]
    fn a_span_within_one_day_is_all_head() {
        let (start, end) = (at("2026-03-01T10:00:00Z"), at("2026-03-01T12:00:00Z"));
        let s = split(start, end);
        assert!(s.days.0 >= s.days.1);
        assert_eq!((s.head_end, s.tail_start), (end, end));
        // Across one midnight but with no whole day between: head and tail meet at midnight.
        let s = split(at("2026-03-01T22:00:00Z"), at("2026-03-02T03:00:00Z"));
        assert!(s.days.0 >= s.days.1);
        assert_eq!(s.head_end, at("2026-03-02T00:00:00Z"));
        assert_eq!(s.tail_start, at("2026-03-02T00:00:00Z"));
    }
}
