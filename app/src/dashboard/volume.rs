//! Tasks in a time span counted two ways: per (bucket, reason) for the volume chart, and per
//! (twentieth of confidence, flagged) for the what-if. Whole UTC days come from the `task_volume`
//! rollup, which triggers keep as tasks are written (migration 0018); only the parts of days at
//! the span's edges are read from `tasks`. A year at a million tasks is then a few thousand
//! rollup rows rather than a million index entries, and the figures are the same as a scan of
//! `tasks` for any span, midnight-aligned or not.

use super::shape::{CONFIDENCE_BINS, slot};
use super::span::{Span, over_span};
use crate::error::AppError;
use sqlx::PgPool;

/// Task counts per (bucket, reason), and per confidence twentieth as (not flagged, flagged).
pub type TaskCounts = (Vec<(i32, String, i64)>, [(i64, i64); CONFIDENCE_BINS]);

/// Counts the tasks created in the span (`[start, end)`, optionally of one model and version and
/// of some projects), in buckets `bucket_days` UTC days wide counted from `origin`.
pub async fn task_counts(pool: &PgPool, s: &Span) -> Result<TaskCounts, AppError> {
    // Three branches, each one index range: the rollup's days, then the head and the tail of
    // `tasks` (empty ranges cost one index probe).
    let rows = over_span!(
        s,
        r#"select bucket as "bucket?", reason as "reason?", bin as "bin?", flagged as "flagged?",
                  sum(n)::int8 as "count!"
           from (
               select ((day - $10::date) / $11)::int as bucket, reason, bin::int as bin, flagged, n
               from task_volume
               where day >= $5 and day < $6
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
               union all
               select (((created_at at time zone 'UTC')::date - $10::date) / $11)::int, reason,
                      least(floor(confidence * 20 + 1e-9), 19)::int, flagged, 1
               from tasks
               where created_at >= $1 and created_at < $7
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
               union all
               select (((created_at at time zone 'UTC')::date - $10::date) / $11)::int, reason,
                      least(floor(confidence * 20 + 1e-9), 19)::int, flagged, 1
               from tasks
               where created_at >= $8 and created_at < $2
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
           ) t
           group by grouping sets ((bucket, reason), (bin, flagged))"#,
        s.origin,
        s.bucket_days,
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
