//! The SQL behind the dashboard. Each query is one indexed scan of `tasks` or `reviews` within
//! the date range (reviews carry their task's model, version, confidence and reason, so no query
//! joins the two large tables), returning aggregates only.
//!
//! Parameters are the same in every query: `$1`/`$2` the range's first instant and the instant
//! after it, `$3`/`$4` the optional model and version.

use super::filter::Filter;
use super::*;
use crate::stats::{
    CalibrationBin, expected_calibration_error, krippendorff_alpha_ordinal, wilson_interval,
};
use sqlx::PgPool;

/// Confidence is counted in twentieths: pairs of them make the calibration deciles, and every
/// what-if threshold (0.50, 0.55, …) falls on a boundary. The bin is `floor(confidence × 20 + ε)`:
/// 0.85 × 20 is 16.999… in floating point, and routing counts 0.85 as "not under 0.85", so the
/// bins must too.
const CONFIDENCE_BINS: usize = 20;

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
        confidence_bins(pool, f),
        reviewers(pool, f),
        agreement(pool, f),
        routing(pool),
        comments(pool, f),
        escalations(pool, f),
        error_tags(pool, f),
    )?;
    let reviewers = with_agreement(reviewers, &pairs);

    let buckets = f.bucket_labels();
    let slots = buckets.len();
    let mut reviews = reviews;
    reviews.edit_histogram = edits;

    let current = current_threshold(&routing, f.model.as_deref());
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
        what_if: what_if(current, &what_if_tasks, &confidence),
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
    let rows = sqlx::query!(
        r#"select tag as "tag!", count(*) as "n!"
           from reviews r, unnest(r.error_tags) as tag
           where r.created_at >= $1 and r.created_at < $2 and cardinality(r.error_tags) > 0
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           group by tag order by count(*) desc, tag"#,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
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

/// One pass over the range's tasks, counted two ways: per (bucket, reason) for the volume chart,
/// and per (confidence twentieth, flagged) for the what-if. The covering index on `created_at`
/// holds every column read, so this is an index-only scan.
async fn task_counts(
    pool: &PgPool,
    f: &Filter,
) -> Result<(Vec<(i32, String, i64)>, [(i64, i64); CONFIDENCE_BINS]), AppError> {
    let rows = sqlx::query!(
        r#"select bucket as "bucket?", reason as "reason?", bin as "bin?", flagged as "flagged?",
                  count(*) as "count!"
           from (
               select (((created_at at time zone 'UTC')::date - $5::date) / $6)::int as bucket,
                      reason,
                      least(floor(confidence * 20 + 1e-9), 19)::int as bin,
                      flagged
               from tasks
               where created_at >= $1 and created_at < $2
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           ) t
           group by grouping sets ((bucket, reason), (bin, flagged))"#,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
        f.from,
        f.bucket_days(),
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

fn spread_volume(rows: Vec<(i32, String, i64)>, slots: usize) -> Vec<Vec<i64>> {
    let mut out = vec![vec![0; slots]; REASONS.len()];
    for (bucket, reason, count) in rows {
        let Some(series) = REASONS.iter().position(|r| *r == reason) else {
            continue;
        };
        if let Some(slot) = usize::try_from(bucket).ok().filter(|b| *b < slots) {
            out[series][slot] += count;
        }
    }
    out
}

async fn queue(pool: &PgPool, f: &Filter) -> Result<QueueFigures, AppError> {
    let row = sqlx::query!(
        r#"select
             count(*) filter (where status = 'queued'
                              or (status = 'in_review' and lease_expires_at <= now())) as "waiting!",
             extract(epoch from now() - min(created_at) filter
                       (where status in ('queued', 'in_review')))::float8 as oldest_seconds,
             count(*) filter (where status = 'in_review' and lease_expires_at > now()) as "in_review!",
             count(*) filter (where status = 'escalated') as "escalated!"
           from tasks
           where status in ('queued', 'in_review', 'escalated')
             and ($1::text is null or model = $1) and ($2::text is null or model_version = $2)"#,
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
    let r = sqlx::query!(
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
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
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

/// Reviews per bucket and model version: count, rating sum, acceptances.
struct BucketRow {
    bucket: i32,
    label: String,
    count: i64,
    rating_sum: i64,
    accepted: i64,
}

async fn reviews_per_bucket(pool: &PgPool, f: &Filter) -> Result<Vec<BucketRow>, AppError> {
    let rows = sqlx::query!(
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
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
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

fn slot(bucket: i32, slots: usize) -> Option<usize> {
    usize::try_from(bucket).ok().filter(|b| *b < slots)
}

fn spread_reviews(rows: &[BucketRow], slots: usize) -> Vec<i64> {
    let mut out = vec![0; slots];
    for r in rows {
        if let Some(s) = slot(r.bucket, slots) {
            out[s] += r.count;
        }
    }
    out
}

fn version_series(rows: &[BucketRow], slots: usize) -> Vec<VersionSeries> {
    let mut out: Vec<VersionSeries> = Vec::new();
    for r in rows {
        let Some(s) = slot(r.bucket, slots) else {
            continue;
        };
        let index = match out.iter().position(|v| v.label == r.label) {
            Some(i) => i,
            None => {
                out.push(VersionSeries {
                    label: r.label.clone(),
                    mean_rating: vec![None; slots],
                    acceptance: vec![None; slots],
                });
                out.len() - 1
            }
        };
        if r.count > 0 {
            out[index].mean_rating[s] = Some(r.rating_sum as f64 / r.count as f64);
            out[index].acceptance[s] = Some(r.accepted as f64 / r.count as f64);
        }
    }
    out
}

async fn edit_histogram(pool: &PgPool, f: &Filter) -> Result<[i64; 10], AppError> {
    let rows = sqlx::query!(
        r#"select least(floor(edit_distance * 10), 9)::int as "bin!", count(*) as "count!"
           from reviews
           where created_at >= $1 and created_at < $2 and edit_distance is not null
             and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           group by 1"#,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
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

/// Reviews per twentieth of confidence, all and audit sample only.
#[derive(Debug, Clone, Copy, Default)]
struct ConfidenceBin {
    count: i64,
    confidence_sum: f64,
    accepted: i64,
    audit_count: i64,
    audit_confidence_sum: f64,
    audit_accepted: i64,
    audit_rejected: i64,
}

async fn confidence_bins(
    pool: &PgPool,
    f: &Filter,
) -> Result<[ConfidenceBin; CONFIDENCE_BINS], AppError> {
    let rows = sqlx::query!(
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
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
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

fn calibration(bins: &[ConfidenceBin; CONFIDENCE_BINS]) -> Calibration {
    let decile = |pick: &dyn Fn(&ConfidenceBin) -> (i64, f64, i64)| -> Vec<CalibrationBin> {
        bins.chunks(2)
            .map(|pair| {
                let (count, conf, acc) = pair
                    .iter()
                    .map(pick)
                    .fold((0, 0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
                CalibrationBin {
                    count,
                    mean_confidence: if count > 0 { conf / count as f64 } else { 0.0 },
                    acceptance: if count > 0 {
                        acc as f64 / count as f64
                    } else {
                        0.0
                    },
                }
            })
            .collect()
    };
    let all = decile(&|b| (b.count, b.confidence_sum, b.accepted));
    let audit = decile(&|b| (b.audit_count, b.audit_confidence_sum, b.audit_accepted));
    Calibration {
        ece_all: expected_calibration_error(&all),
        ece_audit: expected_calibration_error(&audit),
        all,
        audit,
    }
}

/// For each candidate threshold t: the share of outputs that would be reviewed (flagged or
/// confidence < t), and the reject rate among audit-sample reviews with confidence ≥ t — the
/// random sample of what would be auto-accepted — with a Wilson interval.
fn what_if(
    current: f64,
    tasks: &[(i64, i64); CONFIDENCE_BINS],
    reviews: &[ConfidenceBin; CONFIDENCE_BINS],
) -> WhatIf {
    let total: i64 = tasks.iter().map(|(p, fl)| p + fl).sum();
    let flagged: i64 = tasks.iter().map(|(_, fl)| fl).sum();
    let rows = WHAT_IF_THRESHOLDS
        .iter()
        .map(|&threshold| {
            let cut = (threshold * CONFIDENCE_BINS as f64).round() as usize;
            let below: i64 = tasks[..cut].iter().map(|(p, _)| p).sum();
            let audit_reviews: i64 = reviews[cut..].iter().map(|b| b.audit_count).sum();
            let audit_rejects: i64 = reviews[cut..].iter().map(|b| b.audit_rejected).sum();
            WhatIfRow {
                threshold,
                review_share: (total > 0).then(|| (below + flagged) as f64 / total as f64),
                audit_reviews,
                audit_rejects,
                reject_share: (audit_reviews > 0)
                    .then(|| audit_rejects as f64 / audit_reviews as f64),
                interval: wilson_interval(audit_rejects, audit_reviews),
            }
        })
        .collect();
    WhatIf { current, rows }
}

/// Per reviewer in the range: reviews, median time, mean rating (agreement is added from the
/// agreement query's pairs).
async fn reviewers(pool: &PgPool, f: &Filter) -> Result<Vec<(i64, ReviewerRow)>, AppError> {
    let rows = sqlx::query!(
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
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
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

/// Reviewer id → (pairs with the same verdict, pairs compared).
type PairCounts = std::collections::HashMap<i64, (i64, i64)>;

fn with_agreement(rows: Vec<(i64, ReviewerRow)>, pairs: &PairCounts) -> Vec<ReviewerRow> {
    rows.into_iter()
        .map(|(id, mut row)| {
            if let Some(&(agree, compared)) = pairs.get(&id) {
                row.compared = compared;
                row.agreement = (compared > 0).then(|| agree as f64 / compared as f64);
            }
            row
        })
        .collect()
}

/// Krippendorff's alpha from the ratings' coincidence matrix, pairwise verdict agreement overall
/// and per reviewer, over tasks with two or more reviews in the range. One query, three grouping
/// sets: (rating, rating) for the matrix, (reviewer) for the reviewer table, () for the totals.
async fn agreement(pool: &PgPool, f: &Filter) -> Result<(Agreement, PairCounts), AppError> {
    let rows = sqlx::query!(
        r#"with r as (
               select id, task_id, reviewer_id, rating, verdict,
                      count(*) over (partition by task_id) as m
               from reviews
               where created_at >= $1 and created_at < $2
                 and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
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
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
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

fn rating_index(rating: i16) -> Option<usize> {
    usize::try_from(rating - 1).ok().filter(|i| *i < 5)
}

async fn routing(pool: &PgPool) -> Result<Vec<RoutingRow>, AppError> {
    let rows = sqlx::query_as!(
        RoutingRow,
        "select model, threshold, audit_rate, reviews_per_task from routing_settings
         order by model <> '*', model"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

fn current_threshold(routing: &[RoutingRow], model: Option<&str>) -> f64 {
    let find = |name: &str| {
        routing
            .iter()
            .find(|r| r.model == name)
            .map(|r| r.threshold)
    };
    model.and_then(find).or_else(|| find("*")).unwrap_or(0.8)
}

async fn comments(pool: &PgPool, f: &Filter) -> Result<Vec<CommentRow>, AppError> {
    let rows = sqlx::query!(
        r#"select r.task_id, u.username, r.rating, r.verdict, r.comment as "comment!", r.created_at
           from reviews r join users u on u.id = r.reviewer_id
           where r.created_at >= $1 and r.created_at < $2 and r.comment is not null
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           order by r.created_at desc
           limit 10"#,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CommentRow {
            task_id: r.task_id,
            reviewer: r.username,
            rating: r.rating,
            verdict: r.verdict,
            comment: r.comment,
            at: r.created_at.to_rfc3339(),
        })
        .collect())
}

/// Escalations waiting now, newest first (not limited to the date range: they are still open).
async fn escalations(pool: &PgPool, f: &Filter) -> Result<Vec<EscalationRow>, AppError> {
    let rows = sqlx::query!(
        r#"select t.id, t.model, t.model_version, t.completed_at, e.username as "username?",
                  e.comment as "comment?"
           from tasks t
           left join lateral (
               select u.username, r.comment from reviews r join users u on u.id = r.reviewer_id
               where r.task_id = t.id and r.verdict = 'escalate'
               order by r.created_at desc limit 1
           ) e on true
           where t.status = 'escalated'
             and ($1::text is null or t.model = $1) and ($2::text is null or t.model_version = $2)
           order by t.completed_at desc nulls last
           limit 10"#,
        f.model.as_deref(),
        f.version.as_deref(),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| EscalationRow {
            task_id: r.id,
            model: r.model,
            model_version: r.model_version,
            reviewer: r.username,
            comment: r.comment,
            at: r.completed_at.map(|t| t.to_rfc3339()),
        })
        .collect())
}

pub async fn task_history(pool: &PgPool, id: Uuid) -> Result<TaskHistory, AppError> {
    let task = sqlx::query!(
        "select id, external_id, document, summary, confidence, threshold, model, model_version,
                reason, status, created_at
         from tasks where id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound("task".into()))?;
    let reviews = sqlx::query!(
        "select u.username, r.rating, r.verdict, r.comment, r.corrected_summary, r.edit_distance,
                r.seconds_spent, r.created_at
         from reviews r join users u on u.id = r.reviewer_id
         where r.task_id = $1 order by r.created_at, r.id",
        id
    )
    .fetch_all(pool)
    .await?;
    let feedback = sqlx::query!(
        "select user_id, feedback_type, value, comments, created_at
         from external_feedback where task_id = $1 order by created_at, id",
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(TaskHistory {
        id: task.id,
        external_id: task.external_id,
        document: task.document,
        summary: task.summary,
        confidence: task.confidence,
        threshold: task.threshold,
        model: task.model,
        model_version: task.model_version,
        reason: task.reason,
        status: task.status,
        created_at: task.created_at.to_rfc3339(),
        reviews: reviews
            .into_iter()
            .map(|r| HistoryReview {
                reviewer: r.username,
                rating: r.rating,
                verdict: r.verdict,
                comment: r.comment,
                corrected_summary: r.corrected_summary,
                edit_distance: r.edit_distance,
                seconds_spent: r.seconds_spent,
                at: r.created_at.to_rfc3339(),
            })
            .collect(),
        end_user: feedback
            .into_iter()
            .map(|f| HistoryFeedback {
                user_id: f.user_id,
                feedback_type: f.feedback_type,
                value: f.value.map(|v| v.to_string()),
                comments: f.comments,
                at: f.created_at.to_rfc3339(),
            })
            .collect(),
    })
}
