//! The time span a dashboard figure covers, and where each part of it is read: whole UTC days
//! from the per-day rollups that triggers keep (migrations 0018 and 0019), the partial days at
//! either edge from the raw tables. The dashboard's own ranges start and end at midnight, so its
//! edges are empty; the split keeps any span exact (the export and the tests use others).

use super::filter::Filter;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// What a review figure is asked for: `[start, end)`, optionally one model and version, some
/// projects (`None`: all), in buckets `bucket_days` UTC days wide counted from `origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub model: Option<String>,
    pub version: Option<String>,
    pub projects: Option<Vec<i64>>,
    pub origin: NaiveDate,
    pub bucket_days: i32,
}

impl Span {
    /// The dashboard filter's range, model and buckets.
    pub fn of(f: &Filter) -> Self {
        Span {
            start: f.start(),
            end: f.end(),
            model: f.model.clone(),
            version: f.version.clone(),
            projects: f.projects.clone(),
            origin: f.from,
            bucket_days: f.bucket_days(),
        }
    }

    pub fn split(&self) -> Split {
        split(self.start, self.end)
    }
}

/// `sqlx::query!` with a [`Span`] bound as every rollup query expects it: `$1`/`$2` the span,
/// `$3`/`$4` the optional model and version, `$5`/`$6` the whole days the rollup answers (from,
/// and up to but not including), `$7` the end of the head (read raw from `$1`) and `$8` the start
/// of the tail (read raw up to `$2`), `$9` the projects (`null`: every project); further
/// arguments follow as `$10`, `$11`, … (the buckets' origin and width in days, where asked for).
macro_rules! over_span {
    ($s:expr, $sql:tt $(, $arg:expr)* $(,)?) => {{
        let split = $s.split();
        sqlx::query!(
            $sql,
            $s.start,
            $s.end,
            $s.model.as_deref(),
            $s.version.as_deref(),
            split.days.0,
            split.days.1,
            split.head_end,
            split.tail_start,
            $s.projects.as_deref()
            $(, $arg)*
        )
    }};
}
pub(crate) use over_span;

/// Which part of a span the rollup answers and which parts the raw table must.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Whole days in the rollup: `days.0` up to, not including, `days.1` (possibly none).
    pub days: (NaiveDate, NaiveDate),
    /// The span's start up to here is read raw: the partial day before the whole ones.
    pub head_end: DateTime<Utc>,
    /// From here to the span's end is read raw: the partial day after the whole ones.
    pub tail_start: DateTime<Utc>,
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// Splits `[start, end)` into a head, whole UTC days and a tail. Head and tail are empty when the
/// span starts and ends at midnight; when it holds no whole day, the head is the whole span.
pub fn split(start: DateTime<Utc>, end: DateTime<Utc>) -> Split {
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
