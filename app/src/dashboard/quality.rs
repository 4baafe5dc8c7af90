//! The dashboard's quality figures from the database: reviewers' throughput, and agreement
//! between reviewers of the same task. Whole UTC days come from rollups that triggers keep as
//! reviews are written and amended (`reviewer_volume`, `review_agreement`,
//! `reviewer_agreement`, migration 0019); only the span's partial edge days, and tasks whose
//! reviews straddle an edge, are read from `reviews` (see [`super::span`]).

use super::seconds;
use super::shape::{PairCounts, rating_index};
use super::span::{Span, over_span};
use super::{Agreement, ReviewerRow};
use crate::error::AppError;
use crate::stats::krippendorff_alpha_ordinal;
use sqlx::PgPool;

/// Per reviewer in the span: reviews, median time, mean rating (agreement is added from the
/// agreement query's pairs). The median comes from a histogram of seconds and is exact only to
/// the width of its spans (see [`super::seconds`]); the counts and the mean are exact.
pub async fn reviewers(pool: &PgPool, s: &Span) -> Result<Vec<(i64, ReviewerRow)>, AppError> {
    let rows = over_span!(
        s,
        r#"with facts as (
               select reviewer_id, n, rating_sum, s00, s01, s02, s03, s04, s05, s06, s07, s08, s09,
                      s10, s11, s12, s13, s14, s15, s16, s17, s18, s19
               from reviewer_volume
               where day >= $5 and day < $6
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
               union all
               select reviewer_id, 1, rating,
                      (b = 0)::int, (b = 1)::int, (b = 2)::int, (b = 3)::int, (b = 4)::int,
                      (b = 5)::int, (b = 6)::int, (b = 7)::int, (b = 8)::int, (b = 9)::int,
                      (b = 10)::int, (b = 11)::int, (b = 12)::int, (b = 13)::int, (b = 14)::int,
                      (b = 15)::int, (b = 16)::int, (b = 17)::int, (b = 18)::int, (b = 19)::int
               from reviews, lateral (select review_seconds_bin(seconds_spent) as b) k
               where ((created_at >= $1 and created_at < $7)
                          or (created_at >= $8 and created_at < $2))
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
           ), totals as (
               select reviewer_id, sum(n) as n, sum(rating_sum) as rating_sum,
                      array[sum(s00), sum(s01), sum(s02), sum(s03), sum(s04), sum(s05), sum(s06),
                            sum(s07), sum(s08), sum(s09), sum(s10), sum(s11), sum(s12), sum(s13),
                            sum(s14), sum(s15), sum(s16), sum(s17), sum(s18), sum(s19)]::int8[]
                          as seconds
               from facts
               group by reviewer_id
               having sum(n) > 0
           )
           select t.reviewer_id as "reviewer_id!", u.username, t.n::int8 as "reviews!",
                  t.seconds as "seconds!",
                  -- As `avg(rating)` computes it: numeric sum over count.
                  (t.rating_sum::numeric / t.n)::float8 as "mean_rating!"
           from totals t
           join users u on u.id = t.reviewer_id
           order by 3 desc, 2"#,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let row = ReviewerRow {
                username: r.username,
                reviews: r.reviews,
                median_seconds: seconds::median(&r.seconds).unwrap_or(0.0),
                mean_rating: r.mean_rating,
                agreement: None,
                compared: 0,
            };
            (r.reviewer_id, row)
        })
        .collect())
}

/// Krippendorff's alpha from the ratings' coincidence matrix, pairwise verdict agreement overall
/// and per reviewer, over tasks with two or more reviews in the span. Ordered pairs (a, b) of
/// one task's reviews in the span, a task with m of them weighing each pair 1 / (m − 1).
///
/// Tasks whose reviews all fall in the span's whole days come from the rollups, filed under the
/// days of their first and last review. The rest are paired from `reviews`: those with a review
/// on either side of a whole-day edge (found in `review_spans`), and those with a later review
/// (`nth >= 2`, migration 0018) in a partial edge day. Every task with two reviews in the span is
/// in exactly one of the two parts, so the figures are those of a scan.
pub async fn agreement(pool: &PgPool, s: &Span) -> Result<(Agreement, PairCounts), AppError> {
    // Three kinds of row: 0 per (rating, rating) with its weight, 1 per m with the pairs of
    // tasks with m reviews (a task has m(m − 1)), 2 per reviewer with pairs and agreements.
    let rows = over_span!(
        s,
        r#"with edge as (
               select task_id from review_spans
               where span @> daterange($5::date - 1, $5::date, '[]')
                  or span @> daterange($6::date - 1, $6::date, '[]')
               union
               select task_id from reviews
               where nth >= 2
                 and ((created_at >= $1 and created_at < $7)
                          or (created_at >= $8 and created_at < $2))
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
           ), r as (
               select v.id, v.task_id, v.reviewer_id, v.rating, v.verdict,
                      count(*) over (partition by v.task_id) as m
               from edge e join reviews v on v.task_id = e.task_id
               where v.created_at >= $1 and v.created_at < $2
                 and ($3::text is null or v.model = $3)
                 and ($4::text is null or v.model_version = $4)
                 and ($9::bigint[] is null or v.project_id = any($9))
           ), p as (
               select a.rating as rating_a, b.rating as rating_b, a.reviewer_id, a.m::int as m,
                      (a.verdict = b.verdict)::int as agree
               from r a join r b on b.task_id = a.task_id and b.id <> a.id
               where a.m >= 2
           ), matrix as (
               select rating_a, rating_b, m, pairs from review_agreement
               where first_day >= $5 and last_day < $6
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
               union all
               select rating_a, rating_b, m, 1 from p
           ), per_reviewer as (
               select reviewer_id, pairs, agree from reviewer_agreement
               where first_day >= $5 and last_day < $6
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
               union all
               select reviewer_id, 1, agree from p
           ), cells as (
               -- Integer sums first: the weight is applied once per cell, not once per row.
               select rating_a, rating_b, m, sum(pairs) as pairs
               from matrix
               group by rating_a, rating_b, m
           )
           select 0 as "kind!", rating_a as "c?", rating_b as "k?", null::int4 as "m?",
                  null::int8 as "reviewer?",
                  -- The weights as a scan adds them, 1.0 / (m − 1) in numeric, pairs times over.
                  sum(pairs * (1.0 / (m - 1)))::float8 as "weight?",
                  sum(pairs)::int8 as "pairs!", 0::int8 as "agree!"
           from cells group by rating_a, rating_b having sum(pairs) <> 0
           union all
           select 1, null, null, m, null, null, sum(pairs)::int8, 0
           from cells group by m having sum(pairs) <> 0
           union all
           select 2, null, null, null, reviewer_id, null, sum(pairs)::int8, sum(agree)::int8
           from per_reviewer group by reviewer_id having sum(pairs) <> 0"#,
    )
    .fetch_all(pool)
    .await?;
    let mut matrix = [[0.0; 5]; 5];
    let mut out = Agreement::default();
    let mut per_reviewer = PairCounts::new();
    let (mut agree, mut pairs) = (0, 0);
    for r in rows {
        match (
            r.kind,
            r.c.and_then(rating_index),
            r.k.and_then(rating_index),
        ) {
            (0, Some(c), Some(k)) => matrix[c][k] += r.weight.unwrap_or(0.0),
            (1, ..) => {
                let m = i64::from(r.m.unwrap_or(0));
                if m >= 2 {
                    out.tasks += r.pairs / (m * (m - 1));
                }
            }
            (2, ..) => {
                if let Some(reviewer) = r.reviewer {
                    per_reviewer.insert(reviewer, (r.agree, r.pairs));
                    agree += r.agree;
                    pairs += r.pairs;
                }
            }
            _ => {}
        }
    }
    out.verdict_agreement = (pairs > 0).then(|| agree as f64 / pairs as f64);
    out.alpha = krippendorff_alpha_ordinal(&matrix);
    Ok((out, per_reviewer))
}
