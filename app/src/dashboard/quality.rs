//! The dashboard's quality figures from the database: reviews per twentieth of confidence (for
//! calibration and the what-if), reviewers' throughput, and agreement between reviewers of the
//! same task. Parameters as in [`super::queries`].

use super::filter::{Filter, in_range};
use super::shape::{CONFIDENCE_BINS, ConfidenceBin, PairCounts, rating_index, slot};
use super::{Agreement, ReviewerRow};
use crate::error::AppError;
use crate::stats::krippendorff_alpha_ordinal;
use sqlx::PgPool;

pub async fn confidence_bins(
    pool: &PgPool,
    f: &Filter,
) -> Result<[ConfidenceBin; CONFIDENCE_BINS], AppError> {
    let rows = in_range!(
        f,
        r#"select least(floor(confidence * 20 + 1e-9), 19)::int as "bin!",
                  count(*) as "count!",
                  sum(confidence) as "confidence_sum!",
                  count(*) filter (where verdict = 'accept') as "accepted!",
                  count(*) filter (where reason = 'audit_sample') as "audit_count!",
                  coalesce(sum(confidence) filter (where reason = 'audit_sample'), 0)
                      as "audit_confidence_sum!",
                  count(*) filter (where reason = 'audit_sample' and verdict = 'accept')
                      as "audit_accepted!",
                  count(*) filter (where reason = 'audit_sample' and verdict = 'reject')
                      as "audit_rejected!"
           from reviews
           where created_at >= $1 and created_at < $2
             and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           group by 1"#,
    )
    .fetch_all(pool)
    .await?;
    let mut out = [ConfidenceBin::default(); CONFIDENCE_BINS];
    for r in rows {
        if let Some(s) = slot(r.bin, CONFIDENCE_BINS) {
            out[s] = ConfidenceBin {
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

/// Per reviewer in the range: reviews, median time, mean rating (agreement is added from the
/// agreement query's pairs).
pub async fn reviewers(pool: &PgPool, f: &Filter) -> Result<Vec<(i64, ReviewerRow)>, AppError> {
    let rows = in_range!(
        f,
        r#"select r.reviewer_id, u.username,
                  count(*) as "reviews!",
                  percentile_cont(0.5) within group (order by r.seconds_spent) as "median_seconds!",
                  avg(r.rating)::float8 as "mean_rating!"
           from reviews r
           join users u on u.id = r.reviewer_id
           where r.created_at >= $1 and r.created_at < $2
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           group by r.reviewer_id, u.username
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
                median_seconds: r.median_seconds,
                mean_rating: r.mean_rating,
                agreement: None,
                compared: 0,
            };
            (r.reviewer_id, row)
        })
        .collect())
}

/// Krippendorff's alpha from the ratings' coincidence matrix, pairwise verdict agreement overall
/// and per reviewer, over tasks with two or more reviews in the range. One query, three grouping
/// sets: (rating, rating) for the matrix, (reviewer) for the reviewer table, () for the totals.
///
/// Only tasks with a later review (`nth >= 2`, migration 0018) in the range can have two reviews
/// in it, so those are found in their partial index and their reviews fetched by task; the
/// reviews of single-review tasks, most of them, are never read.
pub async fn agreement(pool: &PgPool, f: &Filter) -> Result<(Agreement, PairCounts), AppError> {
    let rows = in_range!(
        f,
        r#"with paired as (
               select distinct task_id from reviews
               where nth >= 2 and created_at >= $1 and created_at < $2
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           ), r as (
               select v.id, v.task_id, v.reviewer_id, v.rating, v.verdict,
                      count(*) over (partition by v.task_id) as m
               from paired p join reviews v on v.task_id = p.task_id
               where v.created_at >= $1 and v.created_at < $2
                 and ($3::text is null or v.model = $3)
                 and ($4::text is null or v.model_version = $4)
           )
           select grouping(a.rating, b.rating, a.reviewer_id) as "set!",
                  a.rating as "c?", b.rating as "k?", a.reviewer_id as "reviewer?",
                  coalesce(sum(1.0 / (a.m - 1)), 0)::float8 as "weight!",
                  count(*) as "pairs!",
                  count(*) filter (where a.verdict = b.verdict) as "agree!",
                  count(distinct a.task_id) as "tasks!"
           from r a join r b on b.task_id = a.task_id and b.id <> a.id
           where a.m >= 2
           group by grouping sets ((a.rating, b.rating), (a.reviewer_id), ())"#,
    )
    .fetch_all(pool)
    .await?;
    let mut matrix = [[0.0; 5]; 5];
    let mut out = Agreement::default();
    let mut per_reviewer = PairCounts::new();
    for r in rows {
        // grouping(): a bit is set for each column *not* grouped in the row's set.
        match (
            r.set,
            r.c.and_then(rating_index),
            r.k.and_then(rating_index),
            r.reviewer,
        ) {
            (0b001, Some(c), Some(k), _) => matrix[c][k] += r.weight,
            (0b110, _, _, Some(reviewer)) => {
                per_reviewer.insert(reviewer, (r.agree, r.pairs));
            }
            (0b111, ..) => {
                out.tasks = r.tasks;
                out.verdict_agreement = (r.pairs > 0).then(|| r.agree as f64 / r.pairs as f64);
            }
            _ => {}
        }
    }
    out.alpha = krippendorff_alpha_ordinal(&matrix);
    Ok((out, per_reviewer))
}
