//! Actions on many tasks at once, from the admin's list or the API: on the tasks picked by id,
//! or on every task a list filter matches. The actions: requeue (`reopen::requeue`), an
//! admin's ruling (`resolve::resolve`), escalation (`escalate::escalate`), assignment
//! (`reserve::assign`) and priority (`priority::set`).
//!
//! Work is bounded: at most [`MAX_IDS`] ids per request, and at most [`MAX_PER_CALL`] tasks per
//! call over a filter (the answer says `more`, and calling again goes on: tasks already changed
//! no longer match the statuses the action takes). Each chunk of [`CHUNK`] tasks is one
//! transaction holding the change, its audit entries and its webhook events, so a failure part
//! way leaves every chunk before it done and recorded, and none half done.

use super::find::Filter;
pub use super::list::Outcome;
use super::{escalate, priority, reopen, reserve, resolve};
use crate::audit::{Action, Actor};
use crate::error::AppError;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

/// Most ids one request may name.
pub const MAX_IDS: usize = 1_000;
/// Tasks per transaction.
pub const CHUNK: usize = 500;
/// Most tasks one call over a filter changes.
pub const MAX_PER_CALL: usize = 10_000;

/// What an action is applied to.
#[derive(Debug, Clone)]
pub enum Target {
    Ids(Vec<Uuid>),
    Matching(Filter),
}

/// The requeue note: required, so the next reviewer knows what to look at.
pub fn parse_note(raw: Option<&str>) -> Result<String, AppError> {
    required_note(
        raw,
        "is required: say what the next reviewer should look at",
    )
}

/// A note an action requires (`note`, checked as review text), refused with `rule` when absent.
fn required_note(raw: Option<&str>, rule: &str) -> Result<String, AppError> {
    crate::domain::parse_review_text("note", raw)?.ok_or_else(|| AppError::invalid("note", rule))
}

/// What a request acts on: the tasks `ids` names, or every task `matching` (a task-list filter
/// with at least one condition) matches; one of the two. A filter's bad field is named inside
/// `matching` (`matching.status`).
pub fn target<S: AsRef<str>>(
    ids: Option<&[S]>,
    matching: Option<&super::list::Params>,
) -> Result<Target, AppError> {
    match (ids, matching) {
        (Some(ids), None) => Ok(Target::Ids(parse_ids(ids)?)),
        (None, Some(params)) => {
            if !params.filters_anything() {
                return Err(AppError::invalid(
                    "matching",
                    "must hold at least one filter",
                ));
            }
            Filter::parse(params)
                .map(Target::Matching)
                .map_err(|e| match e {
                    AppError::Validation(f) => {
                        AppError::invalid(&format!("matching.{}", f.field), f.rule)
                    }
                    other => other,
                })
        }
        _ => Err(AppError::invalid(
            "ids",
            "give ids or matching (one of the two)",
        )),
    }
}

/// Checks a list of ids as a request names them: 1 to [`MAX_IDS`], each a task id.
pub fn parse_ids<S: AsRef<str>>(raw: &[S]) -> Result<Vec<Uuid>, AppError> {
    if raw.is_empty() {
        return Err(AppError::invalid("ids", "must name at least one task"));
    }
    if raw.len() > MAX_IDS {
        return Err(AppError::invalid(
            "ids",
            format!("must name at most {MAX_IDS} tasks; act on a filter for more"),
        ));
    }
    let mut ids = raw
        .iter()
        .map(|s| {
            Uuid::parse_str(s.as_ref().trim())
                .map_err(|_| AppError::invalid("ids", "must be task ids"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// What to do to each task.
#[derive(Debug, Clone)]
pub enum Act {
    /// Back to the queue with this note (checked by [`parse_note`]).
    Requeue { note: String },
    /// Settled with this verdict (`accept` or `reject`, checked by [`parse_verdict`]) and note.
    Resolve {
        verdict: String,
        note: Option<String>,
    },
    /// Kept for this assignee (checked by [`reserve::parse_name`]); `None`: open to everyone.
    Assign { assignee: Option<reserve::Assignee> },
    /// Offered at this priority (checked by [`priority::check`]).
    Prioritize { priority: i16 },
    /// To the escalation queue with this note (required, checked by [`parse_escalation_note`]).
    Escalate { note: String },
}

/// The escalation note: required, so whoever settles the task knows what to decide.
pub fn parse_escalation_note(raw: Option<&str>) -> Result<String, AppError> {
    required_note(
        raw,
        "is required: say what whoever settles it should decide",
    )
}

impl Act {
    /// The statuses the action takes; other tasks are left alone.
    fn statuses(&self) -> &'static [&'static str] {
        match self {
            Act::Requeue { .. } => &["reviewed", "escalated", "auto_accepted"],
            Act::Resolve { .. } => &resolve::RULABLE,
            Act::Assign { .. } => &["queued"],
            Act::Prioritize { .. } => &["queued", "in_review"],
            Act::Escalate { .. } => &escalate::ESCALATABLE,
        }
    }
}

/// An admin's verdict: `accept` or `reject`.
pub fn parse_verdict(raw: Option<&str>) -> Result<String, AppError> {
    match raw.map(str::trim) {
        Some(v @ ("accept" | "reject")) => Ok(v.to_owned()),
        _ => Err(AppError::invalid("verdict", "must be accept or reject")),
    }
}

/// Applies `act` to the target's tasks in the statuses it takes, within the projects the caller
/// may act on (`within`; `None`: every project). A named task of another project is skipped,
/// as an unknown id is.
pub async fn run(
    pool: &PgPool,
    actor: &Actor,
    target: &Target,
    act: &Act,
    within: Option<&[i64]>,
) -> Result<Outcome, AppError> {
    let mut outcome = Outcome {
        changed: 0,
        skipped: 0,
        more: false,
    };
    match target {
        Target::Ids(ids) => {
            let mine = match within {
                None => ids.clone(),
                Some(within) => {
                    sqlx::query_scalar!(
                        "select id from tasks where id = any($1) and project_id = any($2)",
                        ids,
                        within
                    )
                    .fetch_all(pool)
                    .await?
                }
            };
            outcome.skipped += (ids.len() - mine.len()) as u64;
            for chunk in mine.chunks(CHUNK) {
                let done = apply(pool, actor, chunk, act).await?;
                outcome.changed += done;
                outcome.skipped += chunk.len() as u64 - done;
            }
        }
        Target::Matching(filter) => {
            // The cursor and the sort of a list page have no meaning for "everything matching".
            let filter = Filter {
                after: None,
                within: narrowed(filter.within.as_deref(), within),
                ..filter.clone()
            };
            let mut last: Option<Uuid> = None;
            let mut seen = 0usize;
            loop {
                let chunk = matching(pool, &filter, act.statuses(), last, CHUNK).await?;
                let Some(&tail) = chunk.last() else { break };
                last = Some(tail);
                seen += chunk.len();
                let done = apply(pool, actor, &chunk, act).await?;
                outcome.changed += done;
                // A task can move between the read and the lock (a reviewer's claim, an end
                // user's signal, another admin).
                outcome.skipped += chunk.len() as u64 - done;
                if chunk.len() < CHUNK {
                    break;
                }
                if seen >= MAX_PER_CALL {
                    outcome.more = true;
                    break;
                }
            }
        }
    }
    Ok(outcome)
}

/// The projects both limits allow (`None`: no limit).
fn narrowed(a: Option<&[i64]>, b: Option<&[i64]>) -> Option<Vec<i64>> {
    match (a, b) {
        (None, None) => None,
        (Some(only), None) | (None, Some(only)) => Some(only.to_vec()),
        (Some(a), Some(b)) => Some(a.iter().copied().filter(|p| b.contains(p)).collect()),
    }
}

/// The next `limit` tasks matching `filter` in one of `statuses` after `last`, in id order.
async fn matching(
    pool: &PgPool,
    filter: &Filter,
    statuses: &[&str],
    last: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Uuid>, AppError> {
    let mut qb = QueryBuilder::<Postgres>::new("select t.id");
    filter.push_from_where(&mut qb);
    let statuses: Vec<String> = statuses.iter().map(|s| (*s).to_owned()).collect();
    qb.push(" and t.status = any(")
        .push_bind(statuses)
        .push(")");
    if let Some(last) = last {
        qb.push(" and t.id > ").push_bind(last);
    }
    qb.push(" order by t.id limit ").push_bind(limit as i64);
    let rows = qb.build().fetch_all(pool).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?)
}

/// One chunk: the change, its audit entries and (for a ruling) its webhook events, in one
/// transaction; how many tasks changed.
async fn apply(pool: &PgPool, actor: &Actor, ids: &[Uuid], act: &Act) -> Result<u64, AppError> {
    let mut tx = pool.begin().await?;
    let entries: Vec<_> = match act {
        Act::Requeue { note } => reopen::requeue(&mut tx, ids, note)
            .await?
            .into_iter()
            .map(|m| {
                (
                    m.id.to_string(),
                    serde_json::json!({ "status": m.status, "reason": m.reason }),
                    serde_json::json!({ "status": "queued", "reason": "requeued", "note": note }),
                )
            })
            .collect(),
        Act::Resolve { verdict, note } => {
            // `resolved_by` names a person; a token's ruling is named by its audit entry.
            let by = (actor.kind() == "user").then(|| actor.id()).flatten();
            let ruled = resolve::resolve(
                &mut tx,
                ids,
                &resolve::RULABLE,
                verdict,
                by,
                note.as_deref(),
            )
            .await?;
            for r in &ruled {
                crate::outbox::enqueue(&mut tx, crate::outbox::TASK_REVIEWED, r.id).await?;
            }
            ruled
                .into_iter()
                .map(|r| {
                    (
                        r.id.to_string(),
                        serde_json::json!({ "status": r.status }),
                        serde_json::json!({ "status": "reviewed", "verdict": verdict, "note": note }),
                    )
                })
                .collect()
        }
        Act::Assign { assignee } => {
            let ids_of = |a: Option<reserve::Assignee>| {
                serde_json::json!({
                    "assignee_user": a.and_then(reserve::Assignee::user),
                    "assignee_group": a.and_then(reserve::Assignee::group),
                })
            };
            reserve::assign(&mut tx, ids, *assignee)
                .await?
                .into_iter()
                .map(|r| {
                    let before = serde_json::json!({
                        "assignee_user": r.assignee_user,
                        "assignee_group": r.assignee_group,
                    });
                    (r.id.to_string(), before, ids_of(*assignee))
                })
                .collect()
        }
        Act::Escalate { note } => {
            let escalated = escalate::escalate(&mut tx, ids, actor.name(), note).await?;
            for e in &escalated {
                crate::outbox::enqueue(&mut tx, crate::outbox::TASK_ESCALATED, e.id).await?;
            }
            escalated
                .into_iter()
                .map(|e| {
                    (
                        e.id.to_string(),
                        serde_json::json!({
                            "status": e.status,
                            "resolved_verdict": e.resolved_verdict,
                            "resolution_note": e.resolution_note,
                        }),
                        serde_json::json!({ "status": "escalated", "note": note }),
                    )
                })
                .collect()
        }
        Act::Prioritize { priority } => priority::set(&mut tx, ids, *priority)
            .await?
            .into_iter()
            .map(|c| {
                (
                    c.id.to_string(),
                    serde_json::json!({ "priority": c.before }),
                    serde_json::json!({ "priority": priority }),
                )
            })
            .collect(),
    };
    let action = match act {
        Act::Requeue { .. } => Action::TaskRequeue,
        Act::Resolve { .. } => Action::TaskResolve,
        Act::Assign { .. } => Action::TaskAssign,
        Act::Prioritize { .. } => Action::TaskPrioritize,
        Act::Escalate { .. } => Action::TaskEscalate,
    };
    crate::audit::record_each(&mut tx, actor, action, &entries).await?;
    tx.commit().await?;
    Ok(entries.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_project_limits_narrow_to_what_both_allow() {
        assert_eq!(narrowed(None, None), None);
        assert_eq!(narrowed(Some(&[1, 2]), None), Some(vec![1, 2]));
        assert_eq!(narrowed(None, Some(&[3])), Some(vec![3]));
        assert_eq!(
            narrowed(Some(&[1, 2, 3]), Some(&[3, 2, 9])),
            Some(vec![2, 3])
        );
        assert_eq!(narrowed(Some(&[1]), Some(&[2])), Some(vec![]));
    }

    #[test]
    fn a_ruling_is_accept_or_reject() {
        assert_eq!(parse_verdict(Some(" reject ")).unwrap(), "reject");
        assert!(parse_verdict(Some("escalate")).is_err());
        assert!(parse_verdict(None).is_err());
    }

    #[test]
    fn a_note_is_required_and_ids_are_checked() {
        assert!(parse_note(Some("  ")).is_err());
        assert_eq!(parse_note(Some(" look again ")).unwrap(), "look again");
        assert!(parse_ids::<&str>(&[]).is_err());
        assert!(parse_ids(&["not-a-task"]).is_err());
        let too_many: Vec<String> = (0..=MAX_IDS).map(|_| Uuid::new_v4().to_string()).collect();
        assert!(parse_ids(&too_many).is_err());
        let id = Uuid::new_v4().to_string();
        assert_eq!(parse_ids(&[id.as_str(), id.as_str()]).unwrap().len(), 1);
    }
}
