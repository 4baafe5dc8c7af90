//! End users' satisfaction for the dashboard: their signals per type, the thumbs-up share and
//! mean rating per bucket and model version, how often they agree with reviewers on the same
//! outputs, and what reviewers found in the outputs end users sent back. Whole UTC days come
//! from the rollups kept as signals and reviews are written (`end_user_volume`,
//! `end_user_agreement`, migration 0025); the partial days at the span's edges from the raw
//! tables (see [`super::span`]).

use super::shape::slot;
use super::span::{Span, over_span};
use super::{EndUserFigures, SatisfactionSeries, SignalType};
use crate::error::AppError;
use sqlx::PgPool;

/// Signal types listed by name; rarer ones (types are free text) are summed under "other".
pub const LISTED_TYPES: usize = 12;

/// What end users said in the span; the rates per output are filled in by [`per_outputs`] once
/// the volume chart has counted the outputs.
pub async fn figures(pool: &PgPool, s: &Span, slots: usize) -> Result<EndUserFigures, AppError> {
    let (signals, agreement, found) = tokio::try_join!(
        signals(pool, s),
        agreement(pool, s),
        super::sent_back::reviews(pool, s, super::sent_back::Rule::UserFeedback)
    )?;
    let mut figures = EndUserFigures {
        agreement_pairs: agreement.0,
        agreement: (agreement.0 > 0).then(|| agreement.1 as f64 / agreement.0 as f64),
        came_back: found,
        ..EndUserFigures::default()
    };
    let mut other = 0;
    for r in signals {
        match (r.bucket, r.label, r.feedback_type) {
            (Some(bucket), Some(label), None) => {
                let Some(at) = slot(bucket, slots) else {
                    continue;
                };
                let index = match figures.versions.iter().position(|v| v.label == label) {
                    Some(i) => i,
                    None => {
                        figures.versions.push(SatisfactionSeries {
                            label,
                            thumbs_up_share: vec![None; slots],
                            mean_rating: vec![None; slots],
                        });
                        figures.versions.len() - 1
                    }
                };
                let series = &mut figures.versions[index];
                series.thumbs_up_share[at] = (r.thumbs > 0).then(|| r.thumbs_up / r.thumbs as f64);
                series.mean_rating[at] = (r.ratings > 0).then(|| r.rating_sum / r.ratings as f64);
            }
            (None, None, Some(feedback_type)) => {
                if figures.types.len() < LISTED_TYPES {
                    figures.types.push(SignalType {
                        feedback_type,
                        count: r.n,
                        per_100_outputs: None,
                    });
                } else {
                    other += r.n;
                }
            }
            _ => {
                figures.signals = r.n;
                figures.thumbs = r.thumbs;
                figures.thumbs_up = r.thumbs_up.round() as i64;
                figures.ratings = r.ratings;
                figures.mean_rating = (r.ratings > 0).then(|| r.rating_sum / r.ratings as f64);
            }
        }
    }
    if other > 0 {
        figures.types.push(SignalType {
            feedback_type: "other".into(),
            count: other,
            per_100_outputs: None,
        });
    }
    Ok(figures)
}

/// Fills in what needs the outputs sent in the span (`outputs`, from the volume chart) and those
/// of them now under `user_feedback` (`came_back`): each type's rate per 100 outputs.
pub fn per_outputs(figures: &mut EndUserFigures, outputs: i64, came_back: i64) {
    figures.outputs = outputs;
    figures.came_back.outputs = came_back;
    for t in &mut figures.types {
        t.per_100_outputs = (outputs > 0).then(|| 100.0 * t.count as f64 / outputs as f64);
    }
}

struct SignalRow {
    bucket: Option<i32>,
    label: Option<String>,
    feedback_type: Option<String>,
    n: i64,
    thumbs: i64,
    thumbs_up: f64,
    ratings: i64,
    rating_sum: f64,
}

/// Grouping sets: (bucket, label) for the series, (type) for the counts, () for the totals.
/// Types come most frequent first.
async fn signals(pool: &PgPool, s: &Span) -> Result<Vec<SignalRow>, AppError> {
    let rows = over_span!(
        s,
        r#"with facts as (
               select ((day - $10::date) / $11)::int as bucket,
                      model || ' ' || model_version as label, feedback_type, n, valued, value_sum
               from end_user_volume
               where day >= $5 and day < $6
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
               union all
               select (((f.created_at at time zone 'UTC')::date - $10::date) / $11)::int,
                      t.model || ' ' || t.model_version, f.feedback_type, 1,
                      (f.value is not null)::int, coalesce(f.value::numeric, 0)
               from external_feedback f
               join tasks t on t.id = f.task_id
               where ((f.created_at >= $1 and f.created_at < $7)
                      or (f.created_at >= $8 and f.created_at < $2))
                 and ($3::text is null or t.model = $3)
                 and ($4::text is null or t.model_version = $4)
                 and ($9::bigint[] is null or t.project_id = any($9))
           )
           select bucket as "bucket?", label as "label?", feedback_type as "feedback_type?",
                  coalesce(sum(n), 0)::int8 as "n!",
                  coalesce(sum(valued) filter (where feedback_type = 'thumbs'), 0)::int8
                      as "thumbs!",
                  coalesce(sum(value_sum) filter (where feedback_type = 'thumbs'), 0)::float8
                      as "thumbs_up!",
                  coalesce(sum(valued) filter (where feedback_type = 'rating'), 0)::int8
                      as "ratings!",
                  coalesce(sum(value_sum) filter (where feedback_type = 'rating'), 0)::float8
                      as "rating_sum!"
           from facts
           group by grouping sets ((bucket, label), (feedback_type), ())
           having sum(n) <> 0 or grouping(bucket, label, feedback_type) = 7
           order by grouping(bucket, label, feedback_type), sum(n) desc, feedback_type, label,
                    bucket"#,
        s.origin,
        s.bucket_days,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SignalRow {
            bucket: r.bucket,
            label: r.label,
            feedback_type: r.feedback_type,
            n: r.n,
            thumbs: r.thumbs,
            thumbs_up: r.thumbs_up,
            ratings: r.ratings,
            rating_sum: r.rating_sum,
        })
        .collect())
}

/// Pairs of a review in the span (accept or reject) and an end-user signal with a side on the
/// same output, and how many agree.
async fn agreement(pool: &PgPool, s: &Span) -> Result<(i64, i64), AppError> {
    let row = over_span!(
        s,
        r#"select coalesce(sum(pairs), 0)::int8 as "pairs!", coalesce(sum(agree), 0)::int8 as "agree!"
           from (
               select pairs, agree from end_user_agreement
               where day >= $5 and day < $6
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
                 and ($9::bigint[] is null or project_id = any($9))
               union all
               select 1, (end_user_polarity(f.feedback_type, f.value)
                          = case r.verdict when 'accept' then 1 else -1 end)::int
               from reviews r
               join external_feedback f on f.task_id = r.task_id
               where ((r.created_at >= $1 and r.created_at < $7)
                      or (r.created_at >= $8 and r.created_at < $2))
                 and ($3::text is null or r.model = $3)
                 and ($4::text is null or r.model_version = $4)
                 and ($9::bigint[] is null or r.project_id = any($9))
                 and r.verdict in ('accept', 'reject')
                 and end_user_polarity(f.feedback_type, f.value) is not null
           ) p"#,
    )
    .fetch_one(pool)
    .await?;
    Ok((row.pairs, row.agree))
}
