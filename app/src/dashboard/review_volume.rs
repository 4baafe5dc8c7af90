//! Reviews in a span counted for the dashboard: totals, verdicts, ratings, corrections and the
//! edit-distance histogram, per bucket and model version; reviews per twentieth of confidence
//! (calibration, what-if); and reviews per error tag. Whole UTC days come from the rollups that
//! triggers keep as reviews are written and amended (`review_volume`, `review_confidence`,
//! `review_tags`, migration 0019); only the partial days at the span's edges are read from
//! `reviews` (see [`super::span`]). The counts are those a scan of `reviews` gives; the sums of
//! confidence and edit distance are kept exactly in `numeric` and may differ from a float scan
//! in the last bits only.

use super::ReviewFigures;
use super::shape::{BucketRow, CONFIDENCE_BINS, ConfidenceBin, slot};
use super::span::{Span, over_span};
use crate::error::AppError;
use sqlx::PgPool;

/// The review totals (with the edit histogram) and the per-bucket rows of each model version,
/// ordered by version label.
pub async fn review_counts(
    pool: &PgPool,
    s: &Span,
) -> Result<(ReviewFigures, Vec<BucketRow>), AppError> {
    // Grouping sets: (bucket, label) for the chart, () for the totals. The edge rows are one
    // review each, shaped like rollup rows.
    let rows = over_span!(
        s,
        r#"with edge as (
               select * from reviews
               where ((created_at >= $1 and created_at < $7)
                          or (created_at >= $8 and created_at < $2))
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
           ), facts as (
               select ((day - $10::date) / $11)::int as bucket,
                      model || ' ' || model_version as label, n, accepted, rejected, escalated,
                      corrected,
                      r1, r2, r3, r4, r5, edited, edit_sum, e0, e1, e2, e3, e4, e5, e6, e7, e8, e9
               from review_volume
               where day >= $5 and day < $6
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
               union all
               select (((created_at at time zone 'UTC')::date - $10::date) / $11)::int,
                      model || ' ' || model_version, 1,
                      (verdict = 'accept')::int, (verdict = 'reject')::int,
                      (verdict = 'escalate')::int, (corrected_summary is not null)::int,
                      (rating = 1)::int, (rating = 2)::int, (rating = 3)::int, (rating = 4)::int,
                      (rating = 5)::int, (edit_distance is not null)::int,
                      coalesce(edit_distance::numeric, 0),
                      (e is not distinct from 0)::int, (e is not distinct from 1)::int,
                      (e is not distinct from 2)::int, (e is not distinct from 3)::int,
                      (e is not distinct from 4)::int, (e is not distinct from 5)::int,
                      (e is not distinct from 6)::int, (e is not distinct from 7)::int,
                      (e is not distinct from 8)::int, (e is not distinct from 9)::int
               from edge, lateral (
                   -- `least` skips nulls: a review without a distance has no bin.
                   select case when edit_distance is not null
                               then least(floor(edit_distance * 10), 9)::int end as e) b
           )
           select bucket as "bucket?", label as "label?",
                  coalesce(sum(n), 0)::int8 as "n!",
                  coalesce(sum(accepted), 0)::int8 as "accepted!",
                  coalesce(sum(rejected), 0)::int8 as "rejected!",
                  coalesce(sum(escalated), 0)::int8 as "escalated!",
                  coalesce(sum(corrected), 0)::int8 as "corrected!",
                  array[coalesce(sum(r1), 0), coalesce(sum(r2), 0), coalesce(sum(r3), 0),
                        coalesce(sum(r4), 0), coalesce(sum(r5), 0)]::int8[] as "ratings!",
                  (sum(edit_sum) / nullif(sum(edited), 0))::float8 as mean_edit,
                  array[coalesce(sum(e0), 0), coalesce(sum(e1), 0), coalesce(sum(e2), 0),
                        coalesce(sum(e3), 0), coalesce(sum(e4), 0), coalesce(sum(e5), 0),
                        coalesce(sum(e6), 0), coalesce(sum(e7), 0), coalesce(sum(e8), 0),
                        coalesce(sum(e9), 0)]::int8[] as "edits!"
           from facts
           group by grouping sets ((bucket, label), ())
           -- A key whose reviews were all deleted leaves rows of zeros: no series for it.
           having grouping(bucket, label) = 3 or sum(n) <> 0
           order by label nulls first, bucket"#,
        s.origin,
        s.bucket_days,
    )
    .fetch_all(pool)
    .await?;
    let mut figures = ReviewFigures::default();
    let mut buckets = Vec::new();
    for r in rows {
        let ratings: [i64; 5] = r.ratings.try_into().unwrap_or_default();
        match (r.bucket, r.label) {
            (Some(bucket), Some(label)) => buckets.push(BucketRow {
                bucket,
                label,
                count: r.n,
                rating_sum: ratings.iter().zip(1..).map(|(n, k)| n * k).sum(),
                accepted: r.accepted,
            }),
            _ => {
                figures = ReviewFigures {
                    total: r.n,
                    accepted: r.accepted,
                    rejected: r.rejected,
                    escalated: r.escalated,
                    corrected: r.corrected,
                    ratings,
                    edit_histogram: r.edits.try_into().unwrap_or_default(),
                    mean_edit_distance: r.mean_edit,
                }
            }
        }
    }
    Ok((figures, buckets))
}

/// Reviews per twentieth of confidence, all and audit sample only.
pub async fn confidence_bins(
    pool: &PgPool,
    s: &Span,
) -> Result<[ConfidenceBin; CONFIDENCE_BINS], AppError> {
    let rows = over_span!(
        s,
        r#"with edge as (
               select * from reviews
               where ((created_at >= $1 and created_at < $7)
                          or (created_at >= $8 and created_at < $2))
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
           ), facts as (
               select bin::int as bin, n, confidence_sum, accepted, audit_n, audit_confidence_sum,
                      audit_accepted, audit_rejected
               from review_confidence
               where day >= $5 and day < $6
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
               union all
               select least(floor(confidence * 20 + 1e-9), 19)::int, 1, confidence::numeric,
                      (verdict = 'accept')::int, (reason = 'audit_sample')::int,
                      case when reason = 'audit_sample' then confidence::numeric else 0 end,
                      (reason = 'audit_sample' and verdict = 'accept')::int,
                      (reason = 'audit_sample' and verdict = 'reject')::int
               from edge
           )
           select bin as "bin!", sum(n)::int8 as "count!",
                  sum(confidence_sum)::float8 as "confidence_sum!",
                  sum(accepted)::int8 as "accepted!", sum(audit_n)::int8 as "audit_count!",
                  sum(audit_confidence_sum)::float8 as "audit_confidence_sum!",
                  sum(audit_accepted)::int8 as "audit_accepted!",
                  sum(audit_rejected)::int8 as "audit_rejected!"
           from facts
           group by bin"#,
    )
    .fetch_all(pool)
    .await?;
    let mut out = [ConfidenceBin::default(); CONFIDENCE_BINS];
    for r in rows {
        if let Some(i) = slot(r.bin, CONFIDENCE_BINS) {
            out[i] = ConfidenceBin {
                count: r.count,
                confidence_sum: r.confidence_sum,
                accepted: r.accepted,
                audit_count: r.audit_count,
                audit_confidence_sum: r.audit_confidence_sum,
                audit_accepted: r.audit_accepted,
                audit_rejected: r.audit_rejected,
            };
        }
    }
    Ok(out)
}

/// Reviews in the span per error tag, most frequent first.
pub async fn error_tags(pool: &PgPool, s: &Span) -> Result<Vec<(String, i64)>, AppError> {
    let rows = over_span!(
        s,
        r#"select tag as "tag!", sum(n)::int8 as "n!"
           from (
               select tag, n from review_tags
               where day >= $5 and day < $6
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
               union all
               select tag, 1 from reviews r, unnest(r.error_tags) as tag
               where ((r.created_at >= $1 and r.created_at < $7)
                      or (r.created_at >= $8 and r.created_at < $2))
                 and ($3::text is null or r.model = $3)
                 and ($4::text is null or r.model_version = $4)
                 and ($9::bigint[] is null or r.project_id = any($9))
           ) t
           group by tag
           having sum(n) > 0
           order by sum(n) desc, tag"#,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.tag, r.n)).collect())
}
