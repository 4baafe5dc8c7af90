//! The one way a time leaves Loupe in its JSON and pages: RFC 3339 in UTC with milliseconds
//! (`2026-11-30T12:00:00.000Z`), so every list and document compares and sorts alike.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
