//! The lease: claiming a task for one reviewer, keeping it, and giving it back, the last with
//! the holder's review ([`settle_with_review`]). Every statement that writes the lease columns
//! (`lease_owner`, `leased_at`, `lease_expires_at`, `lease_prefetched`) for the review loop is
//! here.
//!
//! Claiming is `update … where id = (select … for update skip locked)`: concurrent claims never
//! wait on each other and never take the same row, on one server or many. "Waiting" is queued,
//! or in review with the lease run out (the SQL `task_waiting`); the claim looks for each kind
//! through its own index. A reviewer holds at
//! most two tasks: the one on screen and one claimed in the background (`lease_prefetched`), so
//! the next task shows without a round trip.

use super::TaskStatus;
use crate::error::AppError;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// A claim can come back empty while rows are merely being re-locked by other claims (the
/// `skip locked` subquery re-checks a row that changed under it and then yields nothing);
/// a few retries tell that apart from a queue that is really empty.
const CLAIM_ATTEMPTS: usize = 5;

/// A task the reviewer holds.
pub struct Held {
    pub id: Uuid,
    /// Claimed in the background, not yet on screen.
    pub prefetched: bool,
}

/// How long a claim lasts and who may not take a task.
#[derive(Debug, Clone, Copy)]
pub struct ClaimTerms {
    /// Length of the lease, in seconds.
    pub lease_secs: f64,
    /// A reviewer is not offered a task they skipped this many seconds ago or less.
    pub skip_cooldown_secs: f64,
    /// Claimed in the background (the page shows it after the current one).
    pub prefetched: bool,
}

/// The reviewer's live lease, the task on screen before the one claimed in the background.
pub async fn held(pool: &PgPool, reviewer: i64) -> Result<Option<Held>, AppError> {
    let held = sqlx::query!(
        "select id, lease_prefetched from tasks
         where lease_owner = $1 and task_held(status, lease_expires_at)
         order by lease_prefetched, leased_at limit 1",
        reviewer
    )
    .fetch_optional(pool)
    .await?;
    Ok(held.map(|h| Held {
        id: h.id,
        prefetched: h.lease_prefetched,
    }))
}

/// The task the reviewer claimed in the background, if its lease is still running.
pub async fn held_prefetched(pool: &PgPool, reviewer: i64) -> Result<Option<Uuid>, AppError> {
    let held = sqlx::query_scalar!(
        "select id from tasks
         where lease_owner = $1 and lease_prefetched and task_held(status, lease_expires_at)
         limit 1",
        reviewer
    )
    .fetch_optional(pool)
    .await?;
    Ok(held)
}

/// Puts a task claimed in the background on screen: its lease becomes a full one, counted from
/// now (time spent on a task counts from when it is shown, not from when it was fetched).
/// `None` when the reviewer no longer holds it.
pub async fn promote(
    pool: &PgPool,
    reviewer: i64,
    id: Uuid,
    lease_secs: f64,
) -> Result<Option<Uuid>, AppError> {
    let promoted = sqlx::query_scalar!(
        "update tasks set lease_prefetched = false, leased_at = now(),
                lease_expires_at = now() + make_interval(secs => $3)
         where id = $1 and lease_owner = $2 and status = 'in_review'
         returning id",
        id,
        reviewer,
        lease_secs,
    )
    .fetch_optional(pool)
    .await?;
    Ok(promoted)
}

/// A task as a claim hands it over: the row's columns the review page shows, and what the
/// page's header and form need beside it, read in the claim's own statement.
pub struct Shown {
    pub id: Uuid,
    pub document: String,
    pub summary: String,
    pub confidence: f64,
    pub threshold: f64,
    pub model: String,
    pub model_version: String,
    pub reason: String,
    pub metadata: serde_json::Value,
    pub support: Option<serde_json::Value>,
    pub has_end_user_feedback: bool,
    /// Tasks still waiting after this claim (the `task_tally` sum, less the task just claimed).
    pub waiting: i64,
    /// The slug of the task's project.
    pub project: String,
    /// The error tags in force for the task's project, in key order.
    pub error_tags: Vec<String>,
    /// Claimed by this statement (not one the reviewer already held).
    pub claimed: bool,
}

/// Claims the first task in queue order this reviewer may take: waiting, never one they
/// reviewed or recently skipped, nor one someone else holds; answers with the task as the page
/// shows it. The statement in [`claim_once`] is the one definition of "claimable".
pub async fn claim(
    pool: &PgPool,
    reviewer: i64,
    terms: ClaimTerms,
) -> Result<Option<Shown>, AppError> {
    for _ in 0..CLAIM_ATTEMPTS {
        if let Some(claimed) = claim_once(pool, reviewer, terms, false).await? {
            return Ok(Some(claimed));
        }
        // Nothing waiting in the reviewer's projects: their queue is empty, not merely busy, so
        // stop. (When tasks wait but none is open to this reviewer, the attempts run out
        // instead; that costs up to five claim scans rather than two, on the path that ends with
        // "nothing left for you".)
        let waiting = sqlx::query_scalar!(
            r#"select exists (select 1 from tasks
                              where task_waiting(status, lease_expires_at)
                                and project_id in (select picked_projects($1)))
                   as "exists!""#,
            reviewer
        )
        .fetch_one(pool)
        .await?;
        if !waiting {
            return Ok(None);
        }
    }
    Ok(None)
}

/// The reviewer's background claim, in one statement: the task they already hold claimed in the
/// background, or else one attempt of [`claim`] (`terms.prefetched` set). `None` when neither
/// came of it: the caller then goes the long way (the held look-up, then [`claim`] with its
/// retries, which tell a busy queue from an empty one).
///
/// One round trip where the review page's `review/next` made six (the held look-up, the claim,
/// the task's row, the waiting count, the error tags, and the end-user probe).
pub async fn prefetch_shown(
    pool: &PgPool,
    reviewer: i64,
    terms: ClaimTerms,
) -> Result<Option<Shown>, AppError> {
    claim_once(pool, reviewer, terms, true).await
}

/// One claim attempt, with the task's row and what the page shows beside it. `held_first`: a
/// task the reviewer holds claimed in the background is answered instead, and nothing claimed.
async fn claim_once(
    pool: &PgPool,
    reviewer: i64,
    terms: ClaimTerms,
    held_first: bool,
) -> Result<Option<Shown>, AppError> {
    // A claim does not wait for its commit to reach the disk (`synchronous_commit` off for this
    // one statement's transaction, set by the InitPlan below): after a database crash the last
    // instants' claims may be undone, which only puts those tasks back in the queue (their
    // reviewers' submits are then refused, as for a lapsed lease). Reviews themselves are
    // committed durably, as always. This spares the review loop one WAL flush per task.
    // The queued candidate and the lapsed one are found apart, each by its own index
    // (`migrations/0022_claim_order_queued.sql`: one index over both made every claim walk past
    // every held task), and the first of the two in queue order is taken. The other stays
    // locked only until this statement ends.
    // `mine`: the projects the reviewer takes work from (SQL `picked_projects`, 0032). The open
    // queued candidate is looked for in each of them through `tasks_claim_project`, one probe
    // per project, so a project's queue costs its reviewers nothing however much another
    // project holds. Work reserved for the reviewer, or for a group of theirs, is looked for
    // through its own indexes and comes first (`app::task::reserve`); reserved work is in no
    // one else's index, so nobody walks past it.
    // `held` and the claim read one snapshot, so the claim runs only when nothing is held. The
    // statement's own reads do not see the row it claims move, so the waiting count takes the
    // claimed task away itself (it was counted as waiting, queued or lapsed).
    let row = sqlx::query!(
        r#"with held as (
               select id from tasks
               where $5 and lease_owner = $1 and lease_prefetched
                 and task_held(status, lease_expires_at)
               limit 1),
           mine as (select id from picked_projects($1) id),
           my_groups as (select group_id from reviewer_group_members where user_id = $1),
           kept_for_me as (
               select c.id, c.priority, c.flagged, c.confidence, c.created_at from tasks c
               where c.status = 'queued' and c.reserved_until is not null
                 and c.assignee_user = $1 and c.project_id in (select id from mine)
                 and not exists (select 1 from reviews r
                                 where r.task_id = c.id and r.reviewer_id = $1)
                 and not exists (select 1 from task_skips s
                                 where s.task_id = c.id and s.reviewer_id = $1
                                   and s.skipped_at > now() - make_interval(secs => $3))
               order by c.priority desc, c.flagged desc, c.confidence, c.created_at
               limit 1
               for update skip locked),
           kept_for_group as (
               select q.* from my_groups g cross join lateral (
                   select c.id, c.priority, c.flagged, c.confidence, c.created_at from tasks c
                   where c.status = 'queued' and c.reserved_until is not null
                     and c.assignee_group = g.group_id and c.project_id in (select id from mine)
                     and not exists (select 1 from reviews r
                                     where r.task_id = c.id and r.reviewer_id = $1)
                     and not exists (select 1 from task_skips s
                                     where s.task_id = c.id and s.reviewer_id = $1
                                       and s.skipped_at > now() - make_interval(secs => $3))
                   order by c.priority desc, c.flagged desc, c.confidence, c.created_at
                   limit 1
                   for update skip locked) q),
           queued as (
               select q.* from mine cross join lateral (
                   select c.id, c.priority, c.flagged, c.confidence, c.created_at from tasks c
                   where c.status = 'queued' and c.reserved_until is null
                     and c.project_id = mine.id
                     and not exists (select 1 from reviews r
                                     where r.task_id = c.id and r.reviewer_id = $1)
                     and not exists (select 1 from task_skips s
                                     where s.task_id = c.id and s.reviewer_id = $1
                                       and s.skipped_at > now() - make_interval(secs => $3))
                   order by c.priority desc, c.flagged desc, c.confidence, c.created_at
                   limit 1
                   for update skip locked) q),
           lapsed as (
               select c.id, c.priority, c.flagged, c.confidence, c.created_at from tasks c
               where c.status = 'in_review' and c.lease_expires_at <= now()
                 and c.project_id in (select id from mine)
                 and (c.reserved_until is null or c.reserved_until <= now()
                      or c.assignee_user = $1
                      or c.assignee_group in (select group_id from my_groups))
                 and not exists (select 1 from reviews r
                                 where r.task_id = c.id and r.reviewer_id = $1)
                 and not exists (select 1 from task_skips s
                                 where s.task_id = c.id and s.reviewer_id = $1
                                   and s.skipped_at > now() - make_interval(secs => $3))
               order by c.priority desc, c.flagged desc, c.confidence, c.created_at
               limit 1
               for update skip locked),
           claimed as (
               update tasks set status = 'in_review', lease_owner = $1, leased_at = now(),
                      lease_expires_at = now() + make_interval(secs => $2),
                      lease_prefetched = $4
               where not exists (select 1 from held)
                 and (select set_config('synchronous_commit', 'off', true)) = 'off'
                 and id = (
                   select id from (select *, 1 as kept from kept_for_me
                                   union all select *, 1 from kept_for_group
                                   union all select *, 0 from queued
                                   union all select *, 0 from lapsed) w
                   order by w.kept desc, w.priority desc, w.flagged desc, w.confidence, w.created_at
                   limit 1)
               returning id, document, summary, confidence, threshold, model, model_version,
                         reason, metadata, support, project_id),
           shown as (
               select c.*, true as claimed from claimed c
               union all
               select t.id, t.document, t.summary, t.confidence, t.threshold, t.model,
                      t.model_version, t.reason, t.metadata, t.support, t.project_id, false
               from tasks t where t.id = (select id from held))
           select s.id as "id!", s.document as "document!", s.summary as "summary!",
                  s.confidence as "confidence!", s.threshold as "threshold!", s.model as "model!",
                  s.model_version as "model_version!", s.reason as "reason!",
                  s.metadata as "metadata!", s.support, s.claimed as "claimed!",
                  exists (select 1 from external_feedback f where f.task_id = s.id)
                      as "has_end_user_feedback!",
                  ((select coalesce(sum(n), 0) from task_tally
                    where status = 'queued' and project_id in (select id from mine))::int8
                   + (select count(*) from tasks
                      where status = 'in_review' and lease_expires_at <= now()
                        and project_id in (select id from mine))
                   - s.claimed::int) as "waiting!",
                  p.slug as project, project_error_tags(s.project_id) as "error_tags!"
           from shown s join projects p on p.id = s.project_id"#,
        reviewer,
        terms.lease_secs,
        terms.skip_cooldown_secs,
        terms.prefetched,
        held_first,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Shown {
        id: r.id,
        document: r.document,
        summary: r.summary,
        confidence: r.confidence,
        threshold: r.threshold,
        model: r.model,
        model_version: r.model_version,
        reason: r.reason,
        metadata: r.metadata,
        support: r.support,
        has_end_user_feedback: r.has_end_user_feedback,
        waiting: r.waiting,
        project: r.project,
        error_tags: r.error_tags,
        claimed: r.claimed,
    }))
}

/// Extends every lease the reviewer holds to at least `secs` from now; answers with the tasks
/// still held.
pub async fn renew(pool: &PgPool, reviewer: i64, secs: f64) -> Result<Vec<Uuid>, AppError> {
    let held = sqlx::query_scalar!(
        "update tasks
         set lease_expires_at = greatest(lease_expires_at, now() + make_interval(secs => $2))
         where lease_owner = $1 and task_held(status, lease_expires_at)
         returning id",
        reviewer,
        secs,
    )
    .fetch_all(pool)
    .await?;
    Ok(held)
}

/// Which of a reviewer's leases to give back.
#[derive(Debug, Clone, Copy)]
pub enum Release {
    /// This task (a skip).
    Task(Uuid),
    /// The one claimed in the background (the page was left).
    Prefetched,
}

/// Gives leases back to the queue, waiting again at once; answers with how many were held.
/// Only the reviewer's own leases are touched, lapsed or not.
pub async fn release(
    db: impl PgExecutor<'_>,
    reviewer: i64,
    which: Release,
) -> Result<u64, AppError> {
    let task = match which {
        Release::Task(id) => Some(id),
        Release::Prefetched => None,
    };
    let released = sqlx::query!(
        "update tasks set status = 'queued', lease_owner = null, leased_at = null,
                lease_expires_at = null, lease_prefetched = false
         where lease_owner = $1 and status = 'in_review'
           and (id = $2 or ($2::uuid is null and lease_prefetched))",
        reviewer,
        task,
    )
    .execute(db)
    .await?;
    Ok(released.rows_affected())
}

/// A review as the holder's settle stores it.
pub struct ReviewRow<'a> {
    pub rating: i16,
    pub verdict: &'a str,
    pub comment: Option<&'a str>,
    pub corrected: Option<&'a str>,
    pub edit_distance: Option<f64>,
    pub tags: &'a [String],
}

/// How a settle ended.
pub enum Settled {
    /// Stored; the task moved to this status (`queued` when it wants more reviews, else
    /// `reviewed` or `escalated`). `subscribed`: some active webhook endpoint takes the event the
    /// move raises, so the caller writes it to the outbox in the same transaction.
    Stored {
        status: TaskStatus,
        subscribed: bool,
    },
    /// Nothing written: the settle was asked to store only a move no webhook endpoint hears of
    /// (`alone`), and some active endpoint takes this one's event. The caller settles again
    /// inside a transaction that also writes the outbox.
    Subscribed,
    /// The reviewer does not hold the task (its lease ran out and someone else claimed it, or it
    /// was released); nothing was written.
    NotHeld,
    /// No such task.
    Missing,
}

/// Stores the holder's review and ends their lease in one statement: the task row is locked
/// only if this reviewer still holds it, the review is inserted with the task's model, version,
/// confidence and reason copied (the dashboard aggregates reviews without joining tasks), and
/// the task moves on: `escalated` for an escalation, else `reviewed` once it has the reviews it
/// wants, else back to `queued`. One round trip where it was five (lock, insert, settle, and the
/// outbox check, inside `BEGIN`/`COMMIT`); the caller's transaction holds the outbox write.
///
/// `alone`: the statement is its own transaction (no `BEGIN` / `COMMIT` around it, two round
/// trips fewer), so it must not store a move that raises an event some endpoint takes, whose
/// outbox row has to be committed with it: it then writes nothing and answers
/// [`Settled::Subscribed`]. Whether some endpoint takes the event is read in the statement's
/// own snapshot, as the caller's transaction would read it.
pub async fn settle_with_review(
    conn: &mut sqlx::PgConnection,
    reviewer: i64,
    task: Uuid,
    review: &ReviewRow<'_>,
    alone: bool,
) -> Result<Settled, AppError> {
    let row = sqlx::query!(
        r#"with held as (
               select id, reviews_required, reviews_done, model, model_version, confidence, reason,
                      project_id,
                      greatest(0, extract(epoch from now() - coalesce(leased_at, now())))::int
                          as seconds,
                      case when $4 = 'escalate' then 'escalated'
                           when reviews_done + 1 >= reviews_required then 'reviewed'
                           else 'queued' end as status
               from tasks
               where id = $1 and status = 'in_review' and lease_owner = $2
               for update),
           heard as (
               select exists (select 1 from webhook_endpoints e, held h
                              where endpoint_hears(e, case h.status when 'reviewed' then $9
                                                                    when 'escalated' then $10 end,
                                                   h.project_id)) as subscribed),
           go as (
               select held.* from held, heard where not ($11 and heard.subscribed)),
           stored as (
               insert into reviews
                   (task_id, reviewer_id, rating, verdict, comment, corrected_summary,
                    seconds_spent, edit_distance, model, model_version, confidence, reason,
                    error_tags, project_id)
               select id, $2, $3, $4, $5, $6, seconds, $7, model, model_version, confidence,
                      reason, $8, project_id
               from go
               returning task_id),
           settled as (
               update tasks t set status = go.status, reviews_done = go.reviews_done + 1,
                      lease_owner = null, leased_at = null, lease_expires_at = null,
                      lease_prefetched = false,
                      completed_at = case when go.status in ('reviewed', 'escalated')
                                          then now() end
               from go
               where t.id = go.id
               returning t.status)
           select (select status from settled) as "status?",
                  (select count(*) from stored) as "stored!",
                  exists (select 1 from held) as "held!",
                  (select subscribed from heard) as "subscribed!""#,
        task,
        reviewer,
        review.rating,
        review.verdict,
        review.comment,
        review.corrected,
        review.edit_distance,
        review.tags,
        crate::outbox::TASK_REVIEWED,
        crate::outbox::TASK_ESCALATED,
        alone,
    )
    .fetch_one(&mut *conn)
    .await?;
    if alone && row.held && row.subscribed && row.status.is_none() {
        return Ok(Settled::Subscribed);
    }
    match row.status {
        Some(status) if row.stored == 1 => Ok(Settled::Stored {
            status: TaskStatus::stored(&status)?,
            subscribed: row.subscribed,
        }),
        _ => {
            // The rare path: tell a task that is gone from one held by someone else.
            let exists = sqlx::query_scalar!(
                r#"select exists (select 1 from tasks where id = $1) as "exists!""#,
                task
            )
            .fetch_one(&mut *conn)
            .await?;
            Ok(if exists {
                Settled::NotHeld
            } else {
                Settled::Missing
            })
        }
    }
}
