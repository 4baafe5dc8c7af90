//! The dashboard's filter — a date range, optionally one model and version, and the projects it
//! keeps to — parsed from the URL's query values. The export API reads the same range and model,
//! so a download matches the view (and keeps to projects by its own `project`).

use crate::error::AppError;
use chrono::{DateTime, Days, NaiveDate, Utc};

/// `sqlx::query!` with the filter bound as every dashboard query expects it: `$1`/`$2` the
/// range's first instant and the instant after it, `$3`/`$4` the optional model and version, `$5`
/// the projects (`null`: every project); further arguments follow as `$6`, `$7`, ….
macro_rules! in_range {
    ($f:expr, $sql:tt $(, $arg:expr)* $(,)?) => {
        sqlx::query!(
            $sql,
            $f.start(),
            $f.end(),
            $f.model.as_deref(),
            $f.version.as_deref(),
            $f.projects.as_deref()
            $(, $arg)*
        )
    };
}
pub(crate) use in_range;

/// Days the dashboard shows when the URL names no range.
pub const DEFAULT_DAYS: u64 = 30;
/// Widest range one view may cover.
pub const MAX_DAYS: i64 = 731;
/// Ranges longer than this are drawn by week rather than by day.
const DAILY_UP_TO: i64 = 92;

/// A parsed filter. Days are UTC calendar days, `from` and `to` both included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub model: Option<String>,
    pub version: Option<String>,
    /// The projects the figures keep to; `None` for every project. Not a query value: the
    /// caller sets it once it has resolved the URL's `project` for whoever asks
    /// ([`crate::project::administered_one`]).
    pub projects: Option<Vec<i64>>,
}

impl Filter {
    /// Parses the query values; empty values count as absent. `today` is passed in so tests can
    /// pin it.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        model: Option<&str>,
        version: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, AppError> {
        let date = |field: &str, raw: &str| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| AppError::invalid(field, "must be a date written as YYYY-MM-DD"))
        };
        let to = match present(to) {
            Some(raw) => date("to", raw)?,
            None => today,
        };
        let from = match present(from) {
            Some(raw) => date("from", raw)?,
            None => to
                .checked_sub_days(Days::new(DEFAULT_DAYS - 1))
                .unwrap_or(NaiveDate::MIN),
        };
        if from > to {
            return Err(AppError::invalid("from", "must not be after the end date"));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(AppError::invalid(
                "from",
                format!("the range may cover at most {MAX_DAYS} days"),
            ));
        }
        let model = present(model).map(str::to_owned);
        let version = present(version).map(str::to_owned);
        if version.is_some() && model.is_none() {
            return Err(AppError::invalid("version", "choose a model first"));
        }
        Ok(Filter {
            from,
            to,
            model,
            version,
            projects: None,
        })
    }

    /// The first instant in the range.
    pub fn start(&self) -> DateTime<Utc> {
        self.from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    /// The first instant after the range.
    pub fn end(&self) -> DateTime<Utc> {
        self.to
            .succ_opt()
            .unwrap_or(self.to)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
    }

    /// Days covered, both ends included.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// Width of one chart bucket in days: 1, or 7 for long ranges.
    pub fn bucket_days(&self) -> i32 {
        if self.days() > DAILY_UP_TO { 7 } else { 1 }
    }

    /// The first day of every bucket, as chart labels.
    pub fn bucket_labels(&self) -> Vec<String> {
        let step = self.bucket_days() as u64;
        let count = (self.days() as u64).div_ceil(step);
        (0..count)
            .filter_map(|i| self.from.checked_add_days(Days::new(i * step)))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect()
    }
}

/// A query value with surrounding space removed; empty counts as absent.
fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_empty_filter_means_the_last_thirty_days_of_every_model() {
        let f = Filter::parse(None, Some(""), None, None, day("2026-11-26")).unwrap();
        assert_eq!((f.from, f.to), (day("2026-10-28"), day("2026-11-26")));
        assert_eq!(f.days(), 30);
        assert_eq!(f.bucket_days(), 1);
        assert_eq!(f.bucket_labels().len(), 30);
        assert_eq!(f.end().to_rfc3339(), "2026-11-27T00:00:00+00:00");
    }

    #[test]
    fn long_ranges_are_bucketed_by_week() {
        let f = Filter::parse(
            Some("2026-01-01"),
            Some("2026-12-31"),
            None,
            None,
            day("2026-11-26"),
        )
        .unwrap();
        assert_eq!(f.bucket_days(), 7);
        assert_eq!(f.bucket_labels().len(), 53);
        assert_eq!(f.bucket_labels()[1], "2026-01-08");
    }

    #[test]
    fn each_bad_value_names_its_field() {
        let today = day("2026-11-26");
        let field = |r: Result<Filter, AppError>| match r {
            Err(AppError::Validation(e)) => e.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(Filter::parse(Some("26/11/2026"), None, None, None, today)),
            "from"
        );
        assert_eq!(
            field(Filter::parse(None, Some("2026-13-01"), None, None, today)),
            "to"
        );
        assert_eq!(
            field(Filter::parse(
                Some("2026-11-27"),
                Some("2026-11-26"),
                None,
                None,
                today
            )),
            "from"
        );
        assert_eq!(
            field(Filter::parse(Some("2020-01-01"), None, None, None, today)),
            "from"
        );
        assert_eq!(
            field(Filter::parse(None, None, None, Some("2.4"), today)),
            "version"
        );
    }
}
