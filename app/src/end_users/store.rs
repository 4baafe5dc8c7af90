//! The `external_feedback` table: storing a signal (and, in the same transaction, sending its
//! output back to review when the end user was dissatisfied), and the review page's summary.

use super::signal::Signal;
use super::{EndUserSummary, NOTE_CHARS, SHOWN_NOTES, SHOWN_TYPES};
use crate::routing::decide::dissatisfied;
use crate::task::TaskStatus;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// What storing a signal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored; the task stays where it was.
    Stored,
    /// Stored, and the auto-accepted output went back to the review queue as `user_feedback`.
    Requeued,
}

/// Who sent a signal: a pipeline's API token, or a browser carrying a publishable feedback key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// `api_tokens.id`.
    Token(i64),
    /// `feedback_keys.id`.
    Key(i64),
}

/// Stores one signal about `task_id` and applies the model's dissatisfaction rule, in one
/// transaction: the feedback and the move to the queue commit together or not at all.
///
/// Only an auto-accepted task moves. One waiting, held, reviewed or escalated is already in a
/// person's hands (or has been), so it is not queued twice; its feedback is stored all the same
/// and shows on the review page and in the task's document. No webhook event is sent for the
/// move: pipelines hear `task.reviewed` when the reviewer is done, as for any queued task.
pub async fn record(
    pool: &PgPool,
    task_id: Uuid,
    user_id: &str,
    signal: &Signal,
    sender: Sender,
) -> Result<Outcome, sqlx::Error> {
    let (token_id, key_id) = match sender {
        Sender::Token(id) => (Some(id), None),
        Sender::Key(id) => (None, Some(id)),
    };
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "insert into external_feedback
             (task_id, user_id, feedback_type, value, comments, token_id, feedback_key_id,
              project_id)
         select $1, $2, $3, $4, $5, $6, $7, project_id from tasks where id = $1",
        task_id,
        user_id,
        signal.feedback_type,
        signal.value,
        signal.comments,
        token_id,
        key_id,
    )
    .execute(&mut *tx)
    .await?;
    let mut outcome = Outcome::Stored;
    // Most signals (thumbs-up, copies, dwell time) can never move a task: no further query.
    if signal.is_thumbs_down() || signal.rating().is_some() || signal.is_correction() {
        let task = sqlx::query!(
            "select status, model, project_id from tasks where id = $1",
            task_id
        )
        .fetch_one(&mut *tx)
        .await?;
        if TaskStatus::from_db(&task.status) == Some(TaskStatus::AutoAccepted) {
            let rule =
                crate::routing::store::in_force(&mut *tx, task.project_id, &task.model).await?;
            if dissatisfied(signal, &rule)
                && crate::task::reopen::for_user_feedback(&mut tx, task_id).await?
            {
                outcome = Outcome::Requeued;
            }
        }
    }
    tx.commit().await?;
    Ok(outcome)
}

/// What end users said about one task, bounded: one indexed query (by `task_id`) however much
/// feedback the task has had.
pub async fn summary(
    db: impl PgExecutor<'_>,
    task_id: Uuid,
) -> Result<Option<EndUserSummary>, sqlx::Error> {
    let row = sqlx::query!(
        r#"select
             (select coalesce(jsonb_agg(c order by c.n desc, c.feedback_type), '[]') from (
                  select feedback_type, count(*) as n, count(*) filter (where value > 0) as positive,
                         avg(value) as mean
                  from external_feedback where task_id = $1
                  group by feedback_type
                  order by count(*) desc, feedback_type
                  limit $2) c) as "counts!",
             (select coalesce(jsonb_agg(l order by l.created_at desc, l.id desc), '[]') from (
                  select id, created_at, feedback_type, left(comments, $3) as text, char_length(comments) > $3 as cut
                  from external_feedback where task_id = $1 and comments is not null
                  order by created_at desc, id desc
                  limit $4) l) as "notes!""#,
        task_id,
        SHOWN_TYPES,
        NOTE_CHARS,
        SHOWN_NOTES,
    )
    .fetch_one(db)
    .await?;
    let summary = EndUserSummary {
        counts: serde_json::from_value(row.counts).map_err(|e| sqlx::Error::Decode(e.into()))?,
        notes: serde_json::from_value(row.notes).map_err(|e| sqlx::Error::Decode(e.into()))?,
    };
    Ok((!summary.counts.is_empty()).then_some(summary))
}
