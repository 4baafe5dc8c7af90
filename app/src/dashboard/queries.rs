//! The SQL behind the dashboard. Each query is one indexed scan of `tasks` or `reviews` within
//! the date range (reviews carry their task's model, version, confidence and reason, so no query
//! joins the two large tables), returning aggregates only.
//!
//! Parameters are the same in every query: `$1`/`$2` the range's first instant and the instant
//! after it, `$3`/`$4` the optional model and version.

use super::filter::{Filter, in_range};
use super::shape::{
    BucketRow, calibration, slot, spread_reviews, spread_volume, version_series, what_if,
    with_agreement,
};
use super::*;
use super::{lists, quality, volume};
use sqlx::PgPool;

pub async fn dashboard(pool: &PgPool, f: &Filter) -> Result<Dashboard, AppError> {
    // The queries are independent: run them side by side on the pool, so the page takes about
    // as long as the slowest one per core rather than the sum.
    let (
        models,
        (volume, what_if_tasks),
        queue,
        reviews,
        per_bucket,
        edits,
        confidence,
        reviewers,
        (agreement, pairs),
        routing,
        current,
        comments,
        escalations,
        error_tags,
    ) = tokio::try_join!(
        models(pool),
        task_counts(pool, f),
        queue(pool, f),
        review_totals(pool, f),
        reviews_per_bucket(pool, f),
        edit_histogram(pool, f),
        quality::confidence_bins(pool, f),
        quality::reviewers(pool, f),
        quality::agreement(pool, f),
        crate::routing::store::list(pool),
        in_force(pool, f),
        lists::comments(pool, f),
        lists::escalations(pool, f),
        error_tags(pool, f),
    )?;
    let reviewers = with_agreement(reviewers, &pairs);

    let buckets = f.bucket_labels();
    let slots = buckets.len();
    let mut reviews = reviews;
    reviews.edit_histogram = edits;

    Ok(Dashboard {
        filter: FilterView {
            from: f.from.format("%Y-%m-%d").to_string(),
            to: f.to.format("%Y-%m-%d").to_string(),
            model: f.model.clone(),
            version: f.version.clone(),
        },
        models,
        bucket_days: f.bucket_days(),
        volume: spread_volume(volume, slots),
        queue,
        reviews_per_bucket: spread_reviews(&per_bucket, slots),
        versions: version_series(&per_bucket, slots),
        reviews,
        calibration: calibration(&confidence),
        what_if: what_if(current.threshold, &what_if_tasks, &confidence),
        reviewers,
        agreement,
        routing,
        comments,
        escalations,
        error_tags,
        buckets,
    })
}

/// Reviews in the range per error tag, most frequent first.
async fn error_tags(pool: &PgPool, f: &Filter) -> Result<Vec<(String, i64)>, AppError> {
    let rows = in_range!(
        f,
        r#"select tag as "tag!", count(*) as "n!"
           from reviews r, unnest(r.error_tags) as tag
           where r.created_at >= $1 and r.created_at < $2 and cardinality(r.error_tags) > 0
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           group by tag order by count(*) desc, tag"#,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.tag, r.n)).collect())
}

async fn models(pool: &PgPool) -> Result<Vec<(String, String)>, AppError> {
    let rows = sqlx::query!(
        "select model, model_version from model_versions order by model, first_seen, model_version"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.model, r.model_version))
        .collect())
}

/// Tasks in the range per (bucket, reason) and per (confidence twentieth, flagged), from the
/// per-day rollup (see [`super::volume`]).
async fn task_counts(pool: &PgPool, f: &Filter) -> Result<volume::TaskCounts, AppError> {
    volume::task_counts(
        pool,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
        f.from,
        f.bucket_days(),
    )
    .await
}

/// The queue right now, from the maintained tallies (see `app::task::counts`): the same cost
/// at any queue size. Only the lapsed leases and the oldest open task are read from `tasks`,
/// each through an index that holds open tasks alone.
async fn queue(pool: &PgPool, f: &Filter) -> Result<QueueFigures, AppError> {
    let row = sqlx::query!(
        r#"with tally as (
               select status, sum(n)::int8 as n from task_tally
               where ($1::text is null or model = $1) and ($2::text is null or model_version = $2)
               group by status),
           lapsed as (
               select count(*) as n from tasks
               where status = 'in_review' and lease_expires_at <= now()
                 and ($1::text is null or model = $1) and ($2::text is null or model_version = $2))
           select
             coalesce((select n from tally where status = 'queued'), 0)
               + (select n from lapsed) as "waiting!",
             coalesce((select n from tally where status = 'in_review'), 0)
               - (select n from lapsed) as "in_review!",
             coalesce((select n from tally where status = 'escalated'), 0) as "escalated!",
             extract(epoch from now() - (
                 select min(o.created_at)
                 from (select distinct reason, model, model_version from task_tally
                       where status in ('queued', 'in_review')
                         and ($1::text is null or model = $1)
                         and ($2::text is null or model_version = $2)) k
                 cross join lateral (
                     select t.created_at from tasks t
                     where t.status in ('queued', 'in_review') and t.model = k.model
                       and t.model_version = k.model_version and t.reason = k.reason
                     order by t.created_at limit 1) o))::float8 as oldest_seconds"#,
        f.model.as_deref(),
        f.version.as_deref(),
    )
    .fetch_one(pool)
    .await?;
    Ok(QueueFigures {
        waiting: row.waiting,
        oldest_seconds: row.oldest_seconds,
        in_review: row.in_review,
        escalated: row.escalated,
    })
}

async fn review_totals(pool: &PgPool, f: &Filter) -> Result<ReviewFigures, AppError> {
    let r = in_range!(
        f,
        r#"select count(*) as "total!",
                  count(*) filter (where verdict = 'accept') as "accepted!",
                  count(*) filter (where verdict = 'reject') as "rejected!",
                  count(*) filter (where verdict = 'escalate') as "escalated!",
                  count(corrected_summary) as "corrected!",
                  count(*) filter (where rating = 1) as "r1!",
                  count(*) filter (where rating = 2) as "r2!",
                  count(*) filter (where rating = 3) as "r3!",
                  count(*) filter (where rating = 4) as "r4!",
                  count(*) filter (where rating = 5) as "r5!",
                  avg(edit_distance) as mean_edit
           from reviews
           where created_at >= $1 and created_at < $2
             and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)"#,
    )
    .fetch_one(pool)
    .await?;
    Ok(ReviewFigures {
        total: r.total,
        accepted: r.accepted,
        rejected: r.rejected,
        escalated: r.escalated,
        corrected: r.corrected,
        ratings: [r.r1, r.r2, r.r3, r.r4, r.r5],
        edit_histogram: [0; 10],
        mean_edit_distance: r.mean_edit,
    })
}

async fn reviews_per_bucket(pool: &PgPool, f: &Filter) -> Result<Vec<BucketRow>, AppError> {
    let rows = in_range!(
        f,
        r#"select (((created_at at time zone 'UTC')::date - $5::date) / $6)::int as "bucket!",
                  model || ' ' || model_version as "label!",
                  count(*) as "count!",
                  sum(rating)::int8 as "rating_sum!",
                  count(*) filter (where verdict = 'accept') as "accepted!"
           from reviews
           where created_at >= $1 and created_at < $2
             and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           group by 1, 2
           order by 2"#,
        f.from,
        f.bucket_days(),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| BucketRow {
            bucket: r.bucket,
            label: r.label,
            count: r.count,
            rating_sum: r.rating_sum,
            accepted: r.accepted,
        })
        .collect())
}

async fn edit_histogram(pool: &PgPool, f: &Filter) -> Result<[i64; 10], AppError> {
    let rows = in_range!(
        f,
        r#"select least(floor(edit_distance * 10), 9)::int as "bin!", count(*) as "count!"
           from reviews
           where created_at >= $1 and created_at < $2 and edit_distance is not null
             and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           group by 1"#,
    )
    .fetch_all(pool)
    .await?;
    let mut out = [0; 10];
    for r in rows {
        if let Some(s) = slot(r.bin, 10) {
            out[s] = r.count;
        }
    }
    Ok(out)
}

/// The routing in force for the filtered model (the defaults when none is chosen), by the one
/// fallback rule routing itself uses.
async fn in_force(pool: &PgPool, f: &Filter) -> Result<crate::routing::RoutingSetting, AppError> {
    let model = f.model.as_deref().unwrap_or(crate::routing::DEFAULTS);
    Ok(crate::routing::store::in_force(pool, model).await?)
}
