//! The rows of each export format, read from PostgreSQL as a stream (a cursor), in the order they
//! were written. Every query filters by the same day range, model and version (`$1`–`$4`) and
//! projects (`$5`).

use app::dashboard::filter::Filter;
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// Streams the rows of `$sql` as `$line`, with the filter bound as `$1`–`$4`: from (inclusive),
/// to (exclusive), model and version (each `null` for any); the projects as `$5` (`null` for
/// every project); then any further arguments.
macro_rules! filtered {
    ($line:ty, $pool:expr, $f:expr, $projects:expr, $sql:tt $(, $arg:expr)*) => {
        sqlx::query_as!(
            $line,
            $sql,
            $f.start(),
            $f.end(),
            $f.model.as_deref(),
            $f.version.as_deref(),
            $projects,
            $($arg,)*
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
    /// The slug of the task's project.
    pub project: String,
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
    /// The slug of the task's project.
    pub project: String,
    pub confidence: f64,
    pub reason: String,
    pub user_id: String,
    pub feedback_type: String,
    pub value: Option<Value>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A supervised fine-tuning example: the document and the summary a reviewer (`source`
/// "review") or an end user ("end_user") wrote for it.
#[derive(Debug, Serialize)]
pub struct SftLine {
    pub source: String,
    pub prompt: String,
    pub completion: String,
    pub task_id: Uuid,
    pub model: String,
    pub model_version: String,
}

/// A preference pair for DPO-style training, from a reviewer's rejection (`source` "review") or
/// an end user's correction ("end_user").
#[derive(Debug, Serialize)]
pub struct DpoLine {
    pub source: String,
    pub prompt: String,
    pub chosen: String,
    pub rejected: String,
    pub task_id: Uuid,
    pub model: String,
    pub model_version: String,
}

/// Every review in the filter, with its task.
pub fn reviews<'a>(
    pool: &'a PgPool,
    f: &'a Filter,
    projects: Option<&'a [i64]>,
) -> impl Stream<Item = Result<ReviewLine, sqlx::Error>> + Unpin {
    filtered!(
        ReviewLine,
        pool,
        f,
        projects,
        r#"select 'review' as "source!", r.id as feedback_id, r.task_id, t.external_id, r.model,
                  r.model_version, p.slug as project, r.confidence, r.reason,
                  u.username as reviewer, r.rating, r.verdict, r.comment, r.corrected_summary, r.edit_distance, r.seconds_spent,
                  r.created_at, t.summary, t.document
           from reviews r
           join tasks t on t.id = r.task_id
           join users u on u.id = r.reviewer_id
           join projects p on p.id = r.project_id
           where r.created_at >= $1 and r.created_at < $2
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
             and ($5::bigint[] is null or r.project_id = any($5))
           order by r.id"#
    )
}

/// Every end-user feedback in the filter, with its task.
pub fn end_user<'a>(
    pool: &'a PgPool,
    f: &'a Filter,
    projects: Option<&'a [i64]>,
) -> impl Stream<Item = Result<EndUserLine, sqlx::Error>> + Unpin {
    filtered!(
        EndUserLine,
        pool,
        f,
        projects,
        r#"select 'end_user' as "source!", e.id as feedback_id, e.task_id, t.external_id,
                  t.model, t.model_version, p.slug as project, t.confidence, t.reason, e.user_id,
                  e.feedback_type,
                  feedback_value_doc(e.feedback_type, e.value) as value, e.comments as comment,
                  e.created_at
           from external_feedback e
           join tasks t on t.id = e.task_id
           join projects p on p.id = e.project_id
           where e.created_at >= $1 and e.created_at < $2
             and ($3::text is null or t.model = $3) and ($4::text is null or t.model_version = $4)
             and ($5::bigint[] is null or e.project_id = any($5))
           order by e.id"#
    )
}

/// One example per corrected review and, as `corrections` asks, per end user's correction
/// (feedback type `correction`, its text the corrected summary): reviews first, then end users,
/// each in the order written.
pub fn sft<'a>(
    pool: &'a PgPool,
    f: &'a Filter,
    projects: Option<&'a [i64]>,
    corrections: Corrections,
) -> impl Stream<Item = Result<SftLine, sqlx::Error>> + Unpin {
    filtered!(
        SftLine,
        pool,
        f,
        projects,
        r#"select source as "source!", prompt as "prompt!", completion as "completion!",
                  task_id as "task_id!", model as "model!", model_version as "model_version!"
           from (
               select 'review' as source, r.id, t.document as prompt,
                      r.corrected_summary as completion, r.task_id, r.model, r.model_version
               from reviews r join tasks t on t.id = r.task_id
               where $6 and r.corrected_summary is not null
                 and r.created_at >= $1 and r.created_at < $2
                 and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
                 and ($5::bigint[] is null or r.project_id = any($5))
               union all
               select 'end_user', e.id, t.document, e.comments, e.task_id, t.model, t.model_version
               from external_feedback e join tasks t on t.id = e.task_id
               where $7 and e.feedback_type = 'correction' and e.comments is not null
                 and e.created_at >= $1 and e.created_at < $2
                 and ($3::text is null or t.model = $3) and ($4::text is null or t.model_version = $4)
                 and ($5::bigint[] is null or e.project_id = any($5))
           ) x
           order by source = 'end_user', id"#,
        corrections.reviewers(),
        corrections.end_users()
    )
}

/// One pair per rejecting review: chosen is the reviewer's correction, or failing that the newest
/// accepted summary of the same document in the same project (found through the document-hash
/// index; never another project's, which the caller may not be allowed to read). And, as
/// `corrections` asks, one per end user's correction that differs from the summary: chosen is
/// the correction, rejected the summary.
pub fn dpo<'a>(
    pool: &'a PgPool,
    f: &'a Filter,
    projects: Option<&'a [i64]>,
    corrections: Corrections,
) -> impl Stream<Item = Result<DpoLine, sqlx::Error>> + Unpin {
    filtered!(
        DpoLine,
        pool,
        f,
        projects,
        r#"select source as "source!", prompt as "prompt!", chosen as "chosen!",
                  rejected as "rejected!", task_id as "task_id!", model as "model!",
                  model_version as "model_version!"
           from (
               select 'review' as source, r.id, t.document as prompt,
                      coalesce(r.corrected_summary, sibling.summary) as chosen,
                      t.summary as rejected, r.task_id, r.model, r.model_version
               from reviews r
               join tasks t on t.id = r.task_id
               left join lateral (
                   select s.summary from tasks s
                   where r.corrected_summary is null
                     and md5(s.document) = md5(t.document) and s.id <> t.id
                     and s.project_id = t.project_id
                     and exists (select 1 from reviews a where a.task_id = s.id and a.verdict = 'accept')
                   order by s.created_at desc
                   limit 1
               ) sibling on true
               where $6 and r.verdict = 'reject'
                 and (r.corrected_summary is not null or sibling.summary is not null)
                 and r.created_at >= $1 and r.created_at < $2
                 and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
                 and ($5::bigint[] is null or r.project_id = any($5))
               union all
               select 'end_user', e.id, t.document, e.comments, t.summary, e.task_id, t.model,
                      t.model_version
               from external_feedback e join tasks t on t.id = e.task_id
               where $7 and e.feedback_type = 'correction' and e.comments is not null
                 and btrim(e.comments) <> btrim(t.summary)
                 and e.created_at >= $1 and e.created_at < $2
                 and ($3::text is null or t.model = $3) and ($4::text is null or t.model_version = $4)
                 and ($5::bigint[] is null or e.project_id = any($5))
           ) x
           order by source = 'end_user', id"#,
        corrections.reviewers(),
        corrections.end_users()
    )
}

/// Whose corrections `sft` and `dpo` learn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corrections {
    /// Reviewers' only (the default: a person paid to check the source wrote them).
    Reviewers,
    /// End users' only.
    EndUsers,
    /// Both.
    All,
}

impl Corrections {
    pub fn parse(raw: Option<&str>) -> Result<Self, app::error::FieldError> {
        match raw.map(str::trim).unwrap_or("reviewers") {
            "reviewers" => Ok(Corrections::Reviewers),
            "end_users" => Ok(Corrections::EndUsers),
            "all" => Ok(Corrections::All),
            _ => Err(app::error::FieldError::new(
                "corrections",
                "must be one of reviewers, end_users, all",
            )),
        }
    }

    pub fn reviewers(self) -> bool {
        self != Corrections::EndUsers
    }

    pub fn end_users(self) -> bool {
        self != Corrections::Reviewers
    }
}
