//! Projects: what a pipeline's outputs belong to, and who reviews them
//! (`migrations/0032_projects.sql`). A project owns its queue; a reviewer takes work from the
//! projects open to everyone and from those they are a member of. Outputs that name no project,
//! and everything stored before projects, belong to the default project, which is open to every
//! reviewer: a Loupe with one pipeline works as it did.
//!
//! This module owns the slug rule, the reads of who may review what, and placing ingested outputs
//! in projects (with a token's limit); the CLI (`loupe project`) and `/queue` call it.

use crate::error::{AppError, FieldError};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use {sqlx::PgExecutor, std::collections::HashMap};

/// The default project's id: the first row 0032 inserts.
pub const DEFAULT: i64 = 1;
/// The default project's slug.
pub const DEFAULT_SLUG: &str = "default";

/// The rule a slug must meet, as the table's check states it.
pub const SLUG_RULE: &str =
    "must be 1 to 64 lower-case letters, digits and inner hyphens (like `legal-contracts`)";

/// Checks a project slug, naming `field` when it breaks the rule.
pub fn check_slug(field: &str, slug: &str) -> Result<(), FieldError> {
    let b = slug.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = !b.is_empty()
        && b.len() <= 64
        && b.iter().all(inner)
        && edge(&b[0])
        && edge(&b[b.len() - 1]);
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(field, SLUG_RULE))
    }
}

/// A project as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// Open to every reviewer (otherwise members only).
    pub everyone: bool,
}

/// Every project, default first.
#[cfg(feature = "ssr")]
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<Project>, AppError> {
    let rows = sqlx::query_as!(
        Project,
        "select id, slug, name, everyone from projects order by id"
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// The projects the caller administers, default first, for the admin pages' choices: every
/// project for an admin, their own for a project admin.
#[server(prefix = "/api", endpoint = "admin/projects")]
pub async fn admin_projects() -> Result<Vec<Project>, AppError> {
    let (pool, _, within) = administrator().await?;
    list_within(&pool, within.as_deref()).await
}

/// [`list`], kept to `within` (`None`: every project), as [`administrator`] gives it.
#[cfg(feature = "ssr")]
pub async fn list_within(
    db: impl PgExecutor<'_>,
    within: Option<&[i64]>,
) -> Result<Vec<Project>, AppError> {
    let mut projects = list(db).await?;
    if let Some(within) = within {
        projects.retain(|p| within.contains(&p.id));
    }
    Ok(projects)
}

/// The projects `user` administers: `None` (every project) for an admin, else those they are a
/// project admin of (perhaps none).
#[cfg(feature = "ssr")]
pub async fn administered(
    db: impl PgExecutor<'_>,
    user: &crate::auth::User,
) -> Result<Option<Vec<i64>>, AppError> {
    if user.role == crate::domain::Role::Admin {
        return Ok(None);
    }
    // Never the default project: its routing, tags and guidelines are every other project's
    // fallback, so only admins run it (the CLI refuses to make anyone its project admin).
    let ids = sqlx::query_scalar!(
        "select project_id from project_members
         where user_id = $1 and admin and project_id <> $2
         order by project_id",
        user.id,
        DEFAULT
    )
    .fetch_all(db)
    .await?;
    Ok(Some(ids))
}

/// In a server function of the admin area that keeps to projects (the task list and its
/// actions, one project's routing, error tags and guidelines): the database, the caller as the
/// audit trail names them, and the projects they administer (`None`: every project, an admin).
/// `Forbidden` for a reviewer who administers none; `Unauthorized` without a session.
#[cfg(feature = "ssr")]
pub async fn administrator()
-> Result<(sqlx::PgPool, crate::audit::Actor, Option<Vec<i64>>), AppError> {
    let user = crate::auth::current_user().await?;
    let pool = crate::state::expect_state().pool;
    let within = administered(&pool, &user).await?;
    if within.as_ref().is_some_and(Vec::is_empty) {
        return Err(AppError::Forbidden);
    }
    Ok((pool, crate::audit::Actor::user(&user), within))
}

/// The project an admin-area form names (`slug`; blank: the default project, or a project
/// admin's first), which the caller must administer (`within`, as [`administrator`] gives it).
/// The field in errors is `project`.
#[cfg(feature = "ssr")]
pub async fn administered_one(
    db: impl PgExecutor<'_>,
    slug: Option<&str>,
    within: Option<&[i64]>,
) -> Result<Project, AppError> {
    let slug = slug.map(str::trim).filter(|s| !s.is_empty());
    let project = match (slug, within) {
        // `administered` lists a project admin's projects by id: the first is the lowest.
        (None, Some(within)) => match within.first() {
            Some(&id) => by_id(db, id).await?,
            None => None,
        },
        _ => by_slug(db, slug.unwrap_or(DEFAULT_SLUG)).await?,
    };
    // A project admin is told the same of a project they do not run and of one that does not
    // exist: the answer does not say which slugs exist.
    match (project, within) {
        (Some(p), None) => Ok(p),
        (Some(p), Some(within)) if within.contains(&p.id) => Ok(p),
        (None, None) => Err(AppError::invalid("project", "names no project")),
        _ => Err(AppError::invalid(
            "project",
            "is not a project you administer",
        )),
    }
}

/// Creates a project; `None` when the slug is taken.
#[cfg(feature = "ssr")]
pub async fn add(
    db: impl PgExecutor<'_>,
    slug: &str,
    name: &str,
    everyone: bool,
) -> Result<Option<Project>, AppError> {
    check_slug("slug", slug)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(FieldError::new("name", "must be 1 to 200 characters").into());
    }
    crate::domain::check_storable("name", name)?;
    let row = sqlx::query_as!(
        Project,
        "insert into projects (slug, name, everyone) values ($1, $2, $3)
         on conflict (slug) do nothing
         returning id, slug, name, everyone",
        slug,
        name,
        everyone
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// The project with this slug.
#[cfg(feature = "ssr")]
pub async fn by_slug(db: impl PgExecutor<'_>, slug: &str) -> Result<Option<Project>, AppError> {
    let row = sqlx::query_as!(
        Project,
        "select id, slug, name, everyone from projects where slug = $1",
        slug
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// The project with this id.
#[cfg(feature = "ssr")]
pub async fn by_id(db: impl PgExecutor<'_>, id: i64) -> Result<Option<Project>, AppError> {
    let row = sqlx::query_as!(
        Project,
        "select id, slug, name, everyone from projects where id = $1",
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// The project a form's `project` field names (blank: the default project); one that names no
/// project is refused, naming the field.
#[cfg(feature = "ssr")]
pub async fn named(db: impl PgExecutor<'_>, slug: Option<&str>) -> Result<Project, AppError> {
    let slug = slug
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_SLUG);
    by_slug(db, slug)
        .await?
        .ok_or_else(|| AppError::invalid("project", "names no project"))
}

/// Whether `user` may review `project` (it is open to everyone, or they are a member).
#[cfg(feature = "ssr")]
pub async fn may_review(
    db: impl PgExecutor<'_>,
    user: i64,
    project: i64,
) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from reviewable_projects($1) id where id = $2) as "may!""#,
        user,
        project
    )
    .fetch_one(db)
    .await?)
}

/// Makes a user a member of a project (a project admin when `admin`), or no longer one (`member`
/// false); answers whether anything changed.
#[cfg(feature = "ssr")]
pub async fn set_member(
    db: impl PgExecutor<'_>,
    project: i64,
    user: i64,
    member: bool,
    admin: bool,
) -> Result<bool, AppError> {
    let changed = if member {
        sqlx::query!(
            "insert into project_members (project_id, user_id, admin) values ($1, $2, $3)
             on conflict (project_id, user_id) do update set admin = excluded.admin
                 where project_members.admin <> excluded.admin",
            project,
            user,
            admin
        )
        .execute(db)
        .await?
    } else {
        sqlx::query!(
            "delete from project_members where project_id = $1 and user_id = $2",
            project,
            user
        )
        .execute(db)
        .await?
    };
    Ok(changed.rows_affected() == 1)
}

/// The usernames of a project's members, in order; a project admin's marked ` (admin)`.
#[cfg(feature = "ssr")]
pub async fn members(db: impl PgExecutor<'_>, project: i64) -> Result<Vec<String>, AppError> {
    let rows = sqlx::query_scalar!(
        r#"select u.username || case when m.admin then ' (admin)' else '' end as "name!"
           from project_members m join users u on u.id = m.user_id
           where m.project_id = $1 order by u.username"#,
        project
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// A project a reviewer may take work from, with what waits in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Open {
    pub slug: String,
    pub name: String,
    pub waiting: i64,
}

/// The projects this user reviews (open to everyone, or a member of), with their waiting
/// counts, and the one they picked on `/queue` (`None`: all of them).
#[cfg(feature = "ssr")]
pub async fn open_to(
    db: impl PgExecutor<'_>,
    user: i64,
) -> Result<(Vec<Open>, Option<String>), AppError> {
    let rows = sqlx::query!(
        r#"select p.slug, p.name, coalesce(p.id = u.queue_project, false) as "picked!",
                  (select coalesce(sum(n), 0) from task_tally t
                   where t.project_id = p.id and t.status = 'queued')::int8
                  + (select count(*) from tasks c
                     where c.status = 'in_review' and c.lease_expires_at <= now()
                       and c.project_id = p.id) as "waiting!"
           from projects p, users u
           where u.id = $1 and p.id in (select reviewable_projects($1))
           order by p.id"#,
        user
    )
    .fetch_all(db)
    .await?;
    let picked = rows.iter().find(|r| r.picked).map(|r| r.slug.clone());
    let open = rows
        .into_iter()
        .map(|r| Open {
            slug: r.slug,
            name: r.name,
            waiting: r.waiting,
        })
        .collect();
    Ok((open, picked))
}

/// Sets the project a reviewer takes work from (`None`: all of theirs). Refuses a project they
/// may not review, naming `field`.
#[cfg(feature = "ssr")]
pub async fn pick(
    db: impl PgExecutor<'_>,
    user: i64,
    slug: Option<&str>,
    field: &str,
) -> Result<(), AppError> {
    if let Some(slug) = slug {
        check_slug(field, slug)?;
    }
    let done = sqlx::query!(
        "update users u set queue_project = p.id
         from (select (select id from projects p
                       where p.slug = $2 and p.id in (select reviewable_projects($1)))
                      as id) p
         where u.id = $1 and ($2::text is null or p.id is not null)",
        user,
        slug
    )
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(FieldError::new(field, "is not a project you review").into());
    }
    Ok(())
}

/// Why outputs could not be placed in their projects.
#[derive(Debug, PartialEq)]
pub enum Refused {
    /// 422: the field names no project, or a limited token must name one.
    Invalid(FieldError),
    /// 403: the token may not write to the project the field names.
    Forbidden(FieldError),
}

/// What a caller limited to projects hears of any other slug, existing or not.
const NOT_YOURS: &str = "is not one of the projects you may use";

/// Places each output in a project: the one it names (`slugs[i]`), else the token's one project
/// if it is limited to one, else the default project. `limit`: the projects a token is limited
/// to (`None`: every project). `field(i)` names output `i`'s field in errors. One round trip.
#[cfg(feature = "ssr")]
pub async fn place(
    db: impl PgExecutor<'_>,
    slugs: &[Option<&str>],
    limit: Option<&[i64]>,
    field: impl Fn(usize) -> String,
) -> Result<Result<Vec<i64>, Refused>, AppError> {
    let mut named: Vec<String> = slugs.iter().flatten().map(|s| (*s).to_owned()).collect();
    named.sort_unstable();
    named.dedup();
    let ids: HashMap<String, i64> = if named.is_empty() {
        HashMap::new()
    } else {
        sqlx::query!("select id, slug from projects where slug = any($1)", &named)
            .fetch_all(db)
            .await?
            .into_iter()
            .map(|r| (r.slug, r.id))
            .collect()
    };
    let fallback = match limit {
        None => Some(DEFAULT),
        Some([only]) => Some(*only),
        Some(many) if many.contains(&DEFAULT) => Some(DEFAULT),
        Some(_) => None,
    };
    let mut placed = Vec::with_capacity(slugs.len());
    for (i, slug) in slugs.iter().enumerate() {
        let id = match slug {
            None => match fallback {
                Some(id) => id,
                None => {
                    return Ok(Err(Refused::Invalid(FieldError::new(
                        field(i),
                        "is required: this token is limited to several projects",
                    ))));
                }
            },
            Some(slug) => match ids.get(*slug) {
                Some(&id) => id,
                // A caller limited to projects is told the same of a project that does not
                // exist as of one it may not use: its answers do not say which slugs exist.
                None if limit.is_some() => {
                    return Ok(Err(Refused::Forbidden(FieldError::new(
                        field(i),
                        NOT_YOURS,
                    ))));
                }
                None => {
                    return Ok(Err(Refused::Invalid(FieldError::new(
                        field(i),
                        "names no project",
                    ))));
                }
            },
        };
        if limit.is_some_and(|l| !l.contains(&id)) {
            return Ok(Err(Refused::Forbidden(FieldError::new(
                field(i),
                NOT_YOURS,
            ))));
        }
        placed.push(id);
    }
    Ok(Ok(placed))
}

/// The one project a request about one project's settings (its routing) names: `slug` (blank:
/// the token's only project, else the default project), which a limited token (`limit`) must be
/// allowed. The field in errors is `project`.
#[cfg(feature = "ssr")]
pub async fn chosen(
    pool: &sqlx::PgPool,
    slug: Option<&str>,
    limit: Option<&[i64]>,
) -> Result<Result<Project, Refused>, AppError> {
    let slug = slug.map(str::trim).filter(|s| !s.is_empty());
    let id = match place(pool, &[slug], limit, |_| "project".into()).await? {
        Ok(placed) => placed[0],
        Err(refused) => return Ok(Err(refused)),
    };
    // `place` answered with this id only if the project exists.
    let project = by_id(pool, id).await?.ok_or(AppError::Internal)?;
    Ok(Ok(project))
}

/// The projects a read (the feedback feed, an export) keeps to: the one `slug` names (blank: none
/// named), which a limited token must be allowed; else the token's projects (`limit`); `None`:
/// every project. The field in errors is `project`.
#[cfg(feature = "ssr")]
pub async fn confine(
    db: impl PgExecutor<'_>,
    slug: Option<&str>,
    limit: Option<&[i64]>,
) -> Result<Result<Option<Vec<i64>>, Refused>, AppError> {
    match slug.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Ok(limit.map(<[i64]>::to_vec))),
        Some(slug) => Ok(place(db, &[Some(slug)], limit, |_| "project".into())
            .await?
            .map(Some)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_inner_hyphens() {
        for good in [
            "default",
            "legal",
            "legal-contracts",
            "a",
            "x9",
            &"a".repeat(64),
        ] {
            assert!(check_slug("project", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Legal",
            "-legal",
            "legal-",
            "le gal",
            "légal",
            "legal_x",
            "<script>",
            &"a".repeat(65),
        ] {
            assert_eq!(
                check_slug("project", bad).unwrap_err().field,
                "project",
                "{bad}"
            );
        }
    }
}
