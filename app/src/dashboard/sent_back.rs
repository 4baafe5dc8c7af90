//! Outputs a rule sent to review after routing would have auto-accepted them, and what reviewers
//! then decided: end users' dissatisfaction (`user_feedback`) and summaries the source-support
//! marks flag (`weak_support`). Their reviews are few and each rule's are read through their own
//! partial index (migrations 0025 and 0026), so the query costs the same at any history size.

use super::CameBack;
use super::span::Span;
use crate::error::AppError;
use sqlx::PgPool;

/// Which rule sent the outputs.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    UserFeedback,
    WeakSupport,
}

/// One row of verdict counts.
struct Verdicts {
    reviews: i64,
    accepted: i64,
    rejected: i64,
    escalated: i64,
    mean_rating: Option<f64>,
}

/// Reviews in the span of outputs the rule sent, by verdict (`outputs` is left to the caller,
/// which counts them from the volume rollup). The reason is written into each query, not bound,
/// so PostgreSQL always sees that the partial index applies.
pub async fn reviews(pool: &PgPool, s: &Span, rule: Rule) -> Result<CameBack, AppError> {
    let (model, version) = (s.model.as_deref(), s.version.as_deref());
    let row = match rule {
        Rule::UserFeedback => {
            sqlx::query_as!(
                Verdicts,
                r#"select count(*) as "reviews!",
                          count(*) filter (where verdict = 'accept') as "accepted!",
                          count(*) filter (where verdict = 'reject') as "rejected!",
                          count(*) filter (where verdict = 'escalate') as "escalated!",
                          avg(rating)::float8 as mean_rating
                   from reviews
                   where reason = 'user_feedback' and created_at >= $1 and created_at < $2
                     and ($3::text is null or model = $3)
                     and ($4::text is null or model_version = $4)
                     and ($5::bigint[] is null or project_id = any($5))"#,
                s.start,
                s.end,
                model,
                version,
                s.projects.as_deref(),
            )
            .fetch_one(pool)
            .await?
        }
        Rule::WeakSupport => {
            sqlx::query_as!(
                Verdicts,
                r#"select count(*) as "reviews!",
                          count(*) filter (where verdict = 'accept') as "accepted!",
                          count(*) filter (where verdict = 'reject') as "rejected!",
                          count(*) filter (where verdict = 'escalate') as "escalated!",
                          avg(rating)::float8 as mean_rating
                   from reviews
                   where reason = 'weak_support' and created_at >= $1 and created_at < $2
                     and ($3::text is null or model = $3)
                     and ($4::text is null or model_version = $4)
                     and ($5::bigint[] is null or project_id = any($5))"#,
                s.start,
                s.end,
                model,
                version,
                s.projects.as_deref(),
            )
            .fetch_one(pool)
            .await?
        }
    };
    Ok(CameBack {
        outputs: 0,
        reviews: row.reviews,
        accepted: row.accepted,
        rejected: row.rejected,
        escalated: row.escalated,
        mean_rating: row.mean_rating,
    })
}
