//! The dashboard's queries, run side by side. The figures over the range come from per-day
//! rollups kept as tasks and reviews are written ([`super::volume`], [`super::review_volume`],
//! [`super::quality`]); the queue from the maintained tallies; the lists and the catalogue from
//! small indexed reads. Parameters of the queries here: `$1`/`$2` the optional model and version,
//! `$3` the projects (`null`: every project).

use super::filter::Filter;
use super::shape::{
    calibration, spread_reviews, spread_volume, version_series, what_if, with_agreement,
};
use super::span::Span;
use super::*;
use super::{end_users, lists, quality, review_volume, sent_back, volume};
use sqlx::PgPool;

/// Who the dashboard is for: the project the URL chose, if any, and the projects the caller may
/// see (every project's choices for an admin, their own for a project admin).
pub struct Scope {
    pub chosen: Option<crate::project::Project>,
    /// The project whose routing the what-if starts from.
    pub routing: i64,
    pub choices: Vec<crate::project::Project>,
    /// A project admin: the figures keep to their projects, and the page leaves out what only
    /// admins may open.
    pub limited: bool,
}

pub async fn dashboard(pool: &PgPool, f: &Filter, scope: Scope) -> Result<Dashboard, AppError> {
    // The queries are independent: run them side by side on the pool, so the page takes about
    // as long as the slowest one per core rather than the sum.
    let span = Span::of(f);
    let buckets = f.bucket_labels();
    let slots = buckets.len();
    let (
        models,
        (volume, what_if_tasks),
        queue,
        (reviews, per_bucket),
        confidence,
        reviewers,
        (agreement, pairs),
        routing,
        current,
        comments,
        escalations,
        error_tags,
        mut end_users,
        mut weak_support,
    ) = tokio::try_join!(
        models(pool, f),
        volume::task_counts(pool, &span),
        queue(pool, f),
        review_volume::review_counts(pool, &span),
        review_volume::confidence_bins(pool, &span),
        quality::reviewers(pool, &span),
        quality::agreement(pool, &span),
        crate::routing::store::list_all(pool, f.projects.as_deref()),
        in_force(pool, f, scope.routing),
        lists::comments(pool, f),
        lists::escalations(pool, f),
        review_volume::error_tags(pool, &span),
        end_users::figures(pool, &span, slots),
        sent_back::reviews(pool, &span, sent_back::Rule::WeakSupport),
    )?;
    let reviewers = with_agreement(reviewers, &pairs);

    let volume = spread_volume(volume, slots);
    let outputs = volume.iter().flatten().sum();
    let under = |reason: &str| {
        REASONS
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| volume[i].iter().sum())
    };
    let came_back = under("user_feedback");
    weak_support.outputs = under("weak_support");
    end_users::per_outputs(&mut end_users, outputs, came_back);

    Ok(Dashboard {
        filter: FilterView {
            from: f.from.format("%Y-%m-%d").to_string(),
            to: f.to.format("%Y-%m-%d").to_string(),
            model: f.model.clone(),
            version: f.version.clone(),
            project: scope.chosen.map(|p| p.slug),
        },
        projects: scope.choices,
        limited: scope.limited,
        models,
        bucket_days: f.bucket_days(),
        volume,
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
        end_users,
        weak_support,
        buckets,
    })
}

/// The (model, version) pairs of the filter's choices: every one seen, or those with tasks in
/// the filter's projects (from the tally, a row per project, model, version, status and reason),
/// so a project admin's choices name no other project's models.
async fn models(pool: &PgPool, f: &Filter) -> Result<Vec<(String, String)>, AppError> {
    let rows = sqlx::query!(
        "select model, model_version from model_versions m
         where $1::bigint[] is null
            or exists (select from task_tally t
                       where t.project_id = any($1) and t.model = m.model
                         and t.model_version = m.model_version and t.n <> 0)
         order by model, first_seen, model_version",
        f.projects.as_deref()
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.model, r.model_version))
        .collect())
}

/// The queue right now, from the maintained tallies (see `app::task::counts`): the same cost
/// at any queue size. Only the lapsed leases and the oldest open task are read from `tasks`,
/// each through an index that holds open tasks alone.
async fn queue(pool: &PgPool, f: &Filter) -> Result<QueueFigures, AppError> {
    let row = sqlx::query!(
        r#"with tally as (
               select status, sum(n)::int8 as n from task_tally
               where ($1::text is null or model = $1) and ($2::text is null or model_version = $2)
                 and ($3::bigint[] is null or project_id = any($3))
               group by status),
           lapsed as (
               select count(*) as n from tasks
               where status = 'in_review' and lease_expires_at <= now()
                 and ($1::text is null or model = $1) and ($2::text is null or model_version = $2)
                 and ($3::bigint[] is null or project_id = any($3)))
           select
             coalesce((select n from tally where status = 'queued'), 0)
               + (select n from lapsed) as "waiting!",
             coalesce((select n from tally where status = 'in_review'), 0)
               - (select n from lapsed) as "in_review!",
             coalesce((select n from tally where status = 'escalated'), 0) as "escalated!",
             extract(epoch from now() - (
                 select min(o.created_at)
                 from (select distinct project_id, reason, model, model_version from task_tally
                       where status in ('queued', 'in_review')
                         and ($1::text is null or model = $1)
                         and ($2::text is null or model_version = $2)
                         and ($3::bigint[] is null or project_id = any($3))) k
                 cross join lateral (
                     select t.created_at from tasks t
                     where t.status in ('queued', 'in_review') and t.project_id = k.project_id
                       and t.model = k.model and t.model_version = k.model_version
                       and t.reason = k.reason
                     order by t.created_at limit 1) o))::float8 as oldest_seconds"#,
        f.model.as_deref(),
        f.version.as_deref(),
        f.projects.as_deref(),
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

/// The routing in force for the filtered model (its defaults when none is chosen) in `project`,
/// by the one fallback rule routing itself uses.
async fn in_force(
    pool: &PgPool,
    f: &Filter,
    project: i64,
) -> Result<crate::routing::RoutingSetting, AppError> {
    let model = f.model.as_deref().unwrap_or(crate::routing::DEFAULTS);
    Ok(crate::routing::store::in_force(pool, project, model).await?)
}
