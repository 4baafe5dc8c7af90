//! Assignment: an output can be kept for one reviewer or for a group of reviewers ("legal").
//! While it is reserved (`tasks.reserved_until`, `migrations/0032_projects.sql`) only its
//! assignee claims it, ahead of their other work (the claim in [`super::lease`]); once the
//! project's wait has passed, [`open_lapsed`] clears the reservation and the task waits in the
//! project's queue for anyone, in queue order. A project whose wait is "never" keeps assigned
//! work for its assignee for ever.
//!
//! Assignees are named as a username, or as `group:<slug>` for a group: the two never clash.
//! [`resolve`] turns names into ids for ingest, checking that a reviewer reviews the project.

use crate::error::{AppError, FieldError};
use sqlx::{PgExecutor, PgPool};
use std::collections::HashMap;

/// How often reservations whose wait has passed are opened to everyone.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Reservations opened per statement: short transactions, however many lapse at once.
const BATCH: i64 = 1_000;

/// Who an output is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    User(i64),
    Group(i64),
}

impl Assignee {
    /// The reviewer's id, if one reviewer.
    pub fn user(self) -> Option<i64> {
        match self {
            Assignee::User(id) => Some(id),
            Assignee::Group(_) => None,
        }
    }

    /// The group's id, if a group.
    pub fn group(self) -> Option<i64> {
        match self {
            Assignee::Group(id) => Some(id),
            Assignee::User(_) => None,
        }
    }
}

/// The prefix that names a group as an assignee.
pub const GROUP_PREFIX: &str = "group:";

/// Resolves each output's assignee name (`names[i]`, for an output in project `projects[i]`):
/// an active reviewer who reviews that project, or an existing group. `field(i)` names the
/// output's field in the error. Two round trips at most, whatever the batch's size.
pub async fn resolve(
    pool: &PgPool,
    names: &[Option<&str>],
    projects: &[i64],
    field: impl Fn(usize) -> String,
) -> Result<Result<Vec<Option<Assignee>>, FieldError>, AppError> {
    let mut users: Vec<String> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for name in names.iter().flatten() {
        match name.strip_prefix(GROUP_PREFIX) {
            Some(slug) => groups.push(slug.to_owned()),
            None => users.push(name.to_lowercase()),
        }
    }
    if users.is_empty() && groups.is_empty() {
        return Ok(Ok(vec![None; names.len()]));
    }
    // Each user with the projects they review.
    let known_users: HashMap<String, (i64, Vec<i64>)> = if users.is_empty() {
        HashMap::new()
    } else {
        sqlx::query!(
            r#"select u.id, u.username,
                      array(select reviewable_projects(u.id)) as "projects!"
               from users u where u.username = any($1) and not u.disabled"#,
            &users
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.username, (r.id, r.projects)))
        .collect()
    };
    let known_groups: HashMap<String, i64> = if groups.is_empty() {
        HashMap::new()
    } else {
        sqlx::query!(
            "select id, slug from reviewer_groups where slug = any($1)",
            &groups
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.slug, r.id))
        .collect()
    };
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let Some(name) = name else {
            out.push(None);
            continue;
        };
        let assignee = match name.strip_prefix(GROUP_PREFIX) {
            Some(slug) => match known_groups.get(slug) {
                Some(&id) => Assignee::Group(id),
                None => return Ok(Err(FieldError::new(field(i), "names no group"))),
            },
            // One answer for a name that does not exist and for a reviewer of other projects:
            // a pipeline limited to a project does not learn which usernames exist.
            None => match known_users.get(&name.to_lowercase()) {
                Some((id, reviews)) if reviews.contains(&projects[i]) => Assignee::User(*id),
                _ => {
                    return Ok(Err(FieldError::new(
                        field(i),
                        "names no active reviewer of this project",
                    )));
                }
            },
        };
        out.push(Some(assignee));
    }
    Ok(Ok(out))
}

/// Opens the reservations whose wait has passed to everyone in their project; answers how many.
/// Several processes may run it at once: each takes rows the others have not locked.
pub async fn open_lapsed(db: impl PgExecutor<'_> + Copy) -> Result<u64, AppError> {
    let mut opened = 0;
    loop {
        let n = sqlx::query!(
            "update tasks set reserved_until = null
             where id in (select id from tasks
                          where status = 'queued' and reserved_until <= now()
                          order by reserved_until
                          limit $1
                          for update skip locked)",
            BATCH
        )
        .execute(db)
        .await?
        .rows_affected();
        opened += n;
        if n < BATCH as u64 {
            return Ok(opened);
        }
    }
}

/// One task's assignment as it was before [`assign`] changed it.
pub struct Reassigned {
    pub id: uuid::Uuid,
    pub assignee_user: Option<i64>,
    pub assignee_group: Option<i64>,
}

/// Assigns the queued tasks among `ids` to `assignee` (`None`: no one, open to the project),
/// kept for them for their project's wait; a reviewer is only given tasks of projects they
/// review. Others are left alone. Answers the tasks changed, with their assignment before.
pub async fn assign(
    conn: &mut sqlx::PgConnection,
    ids: &[uuid::Uuid],
    assignee: Option<Assignee>,
) -> Result<Vec<Reassigned>, AppError> {
    let user = assignee.and_then(Assignee::user);
    let group = assignee.and_then(Assignee::group);
    let rows = sqlx::query_as!(
        Reassigned,
        r#"with old as (
               select t.id, t.assignee_user, t.assignee_group from tasks t
               where t.id = any($1) and t.status = 'queued'
                 and ($2::int8 is null or t.project_id in (select reviewable_projects($2)))
               order by t.id
               for update)
           update tasks t
           set assignee_user = $2, assignee_group = $3,
               reserved_until = case when coalesce($2, $3) is not null then
                   coalesce(now() + make_interval(secs => p.assign_wait_secs), 'infinity')
               end
           from old, projects p
           where t.id = old.id and p.id = t.project_id
           returning t.id as "id!", old.assignee_user, old.assignee_group"#,
        ids,
        user,
        group
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows)
}

/// An assignee's name as an action gives it: a username, `group:<slug>`, or empty for no one.
/// Checked for existence (not per task's project: [`assign`] leaves a reviewer's tasks of
/// projects they do not review alone). A caller limited to projects (`within`) may name only a
/// member of one of them, or a group with such a member (membership, not a project's being open
/// to everyone: every account reviews such a project, and naming any account would then tell
/// that it exists), and hears the same of any other name as of one that does not exist.
pub async fn parse_name(
    pool: &PgPool,
    raw: Option<&str>,
    within: Option<&[i64]>,
) -> Result<Option<Assignee>, AppError> {
    let name = raw.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Ok(None);
    }
    if let Some(slug) = name.strip_prefix(GROUP_PREFIX) {
        // Groups are shared by every project; a limited caller may name only one with a member
        // in their projects, and hears the same of any other slug as of one that does not exist.
        let id = sqlx::query_scalar!(
            "select g.id from reviewer_groups g
             where g.slug = $1
               and ($2::bigint[] is null
                    or exists (select from reviewer_group_members gm
                               join project_members m on m.user_id = gm.user_id
                               where gm.group_id = g.id and m.project_id = any($2)))",
            slug,
            within
        )
        .fetch_optional(pool)
        .await?;
        let rule = if within.is_some() {
            "names no group with members in your projects"
        } else {
            "names no group"
        };
        return id
            .map(|id| Some(Assignee::Group(id)))
            .ok_or_else(|| AppError::invalid("assignee", rule));
    }
    let id = sqlx::query_scalar!(
        "select id from users u
         where username = $1 and not disabled
           and ($2::bigint[] is null
                or exists (select from project_members m
                           where m.user_id = u.id and m.project_id = any($2)))",
        name.to_lowercase(),
        within
    )
    .fetch_optional(pool)
    .await?;
    let rule = if within.is_some() {
        "names no active member of your projects"
    } else {
        "names no active reviewer"
    };
    id.map(|id| Some(Assignee::User(id)))
        .ok_or_else(|| AppError::invalid("assignee", rule))
}
