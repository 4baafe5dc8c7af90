//! The rows of each export format, read from PostgreSQL as a stream (a cursor), in the order they
//! were written. Every query filters by the same day range, model and version (`$1`–`$4`).

use app::dashboard::filter::Filter;
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// Streams the rows of `$sql` as `$line`, with the filter bound as `$1`–`$4`: from (inclusive),
/// to (exclusive), model and version (each `null` for any).
macro_rules! filtered {
    ($line:ty, $pool:expr, $f:expr, $sql:tt) => {
        sqlx::query_as!(
            $line,
            $sql,
            $f.start(),
            $f.end(),
            $f.model.as_deref(),
            $f.version.as_deref(),
        )
        .fetch($pool)
    };
}

/// One human review, as exported.
#[derive(Debug, Serialize)]
pub struct ReviewLine {
    pub source: String,
    pub feedback_id: i64,
    pub task_id: Uuid,
    pub external_id: Option<String>,
    pub model: String,
    pub model_version: String,
    pub confidence: f64,
    pub reason: String,
    pub reviewer: String,
    pub rating: i16,
    pub verdict: String,
    pub comment: Option<String>,
    pub corrected_summary: Option<String>,
    pub edit_distance: Option<f64>,
    pub seconds_spent: i32,
    pub created_at: DateTime<Utc>,
    pub summary: String,
    pub document: String,
}

/// One end-user signal of any type (thumbs, rating, correction, implicit events, types Loupe
/// does not know), as exported.
#[derive(Debug, Serialize)]
pub struct EndUserLine {
    pub source: String,
    pub feedback_id: i64,
    pub task_id: Uuid,
    pub external_id: Option<String>,
    pub model: String,
    pub model_version: String,
    pub confidence: f64,
    pub reason: String,
    pub user_id: String,
    pub feedback_type: String,
    pub value: Option<Value>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A supervised fine-tuning example: the document and the summary a reviewer wrote for it.
#[derive(Debug, Serialize)]
pub struct SftLine {
    pub prompt: String,
    pub completion: String,
    pub task_id: Uuid,
    pub model: String,
    pub model_version: String,
}

/// A preference pair for DPO-style training.
#[derive(Debug, Serialize)]
pub struct DpoLine {
    pub prompt: String,
    pub chosen: String,
    pub rejected: String,
    pub task_id: Uuid,
    pub model: String,
    pub model_version: String,
}

/// Every review in the filter, with its task.
pub fn reviews(
    pool: &PgPool,
    f: &Filter,
) -> impl Stream<Item = Result<ReviewLine, sqlx::Error>> + Unpin {
    filtered!(
        ReviewLine,
        pool,
        f,
        r#"select 'review' as "source!", r.id as feedback_id, r.task_id, t.external_id, r.model,
                  r.model_version, r.confidence, r.reason, u.username as reviewer, r.rating,
                  r.verdict, r.comment, r.corrected_summary, r.edit_distance, r.seconds_spent,
                  r.created_at, t.summary, t.document
           from reviews r
           join tasks t on t.id = r.task_id
           join users u on u.id = r.reviewer_id
           where r.created_at >= $1 and r.created_at < $2
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           order by r.id"#
    )
}

/// Every end-user feedback in the filter, with its task.
pub fn end_user(
    pool: &PgPool,
    f: &Filter,
) -> impl Stream<Item = Result<EndUserLine, sqlx::Error>> + Unpin {
    filtered!(
        EndUserLine,
        pool,
        f,
        r#"select 'end_user' as "source!", e.id as feedback_id, e.task_id, t.external_id,
                  t.model, t.model_version, t.confidence, t.reason, e.user_id, e.feedback_type,
                  feedback_value_doc(e.feedback_type, e.value) as value, e.comments as comment,
                  e.created_at
           from external_feedback e
           join tasks t on t.id = e.task_id
           where e.created_at >= $1 and e.created_at < $2
             and ($3::text is null or t.model = $3) and ($4::text is null or t.model_version = $4)
           order by e.id"#
    )
}

/// One example per corrected review.
pub fn sft(pool: &PgPool, f: &Filter) -> impl Stream<Item = Result<SftLine, sqlx::Error>> + Unpin {
    filtered!(
        SftLine,
        pool,
        f,
        r#"select t.document as prompt, r.corrected_summary as "completion!", r.task_id,
                  r.model, r.model_version
           from reviews r join tasks t on t.id = r.task_id
           where r.corrected_summary is not null
             and r.created_at >= $1 and r.created_at < $2
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           order by r.id"#
    )
}

/// One pair per rejecting review: chosen is the reviewer's correction, or failing that the newest
/// accepted summary of the same document (found through the document-hash index).
pub fn dpo(pool: &PgPool, f: &Filter) -> impl Stream<Item = Result<DpoLine, sqlx::Error>> + Unpin {
    filtered!(
        DpoLine,
        pool,
        f,
        r#"select t.document as prompt,
                  coalesce(r.corrected_summary, sibling.summary) as "chosen!",
                  t.summary as rejected, r.task_id, r.model, r.model_version
           from reviews r
           join tasks t on t.id = r.task_id
           left join lateral (
               select s.summary from tasks s
               where r.corrected_summary is null
                 and md5(s.document) = md5(t.document) and s.id <> t.id
                 and exists (select 1 from reviews a where a.task_id = s.id and a.verdict = 'accept')
               order by s.created_at desc
               limit 1
           ) sibling on true
           where r.verdict = 'reject'
             and (r.corrected_summary is not null or sibling.summary is not null)
             and r.created_at >= $1 and r.created_at < $2
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           order by r.id"#
    )
}
