//! Command-line tasks that work on the same data folder whether or not Loupe is serving:
//! adding users, creating API tokens, creating the first admin, loading demo data.

use crate::api::auth::{Scope, TOKEN_PREFIX};
use anyhow::{Context, Result, bail};
use app::audit::{self, Action, Actor};
use app::auth::{
    HashSlots, MIN_PASSWORD_CHARS, hash_password, random_secret, sha256, valid_username,
};
use app::domain::Role;
use sqlx::PgPool;

/// Adds an account and returns the password it was given (generated when `password` is `None`:
/// the account is then asked to choose its own after signing in). Audited as `user.add`.
pub async fn add_user(
    pool: &PgPool,
    username: &str,
    role: Role,
    password: Option<String>,
) -> Result<String> {
    let username = username.trim().to_lowercase();
    if !valid_username(&username) {
        bail!(
            "username must be 2-63 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"
        );
    }
    let generated = password.is_none();
    let (password, hash) = new_password(password).await?;
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query_scalar!(
        "insert into users (username, password_hash, role, must_change_password)
         values ($1, $2, $3, $4)
         on conflict (username) do nothing returning id",
        username,
        hash,
        role.as_str(),
        generated,
    )
    .fetch_optional(&mut *tx)
    .await
    .context("cannot store the user")?;
    if inserted.is_none() {
        bail!("a user named {username} already exists");
    }
    let after = serde_json::json!({ "role": role.as_str(), "disabled": false });
    audited(tx, Action::UserAdd, &username, None, Some(after)).await?;
    Ok(password)
}

/// Records what the command did in the audit trail, as done from the command line, and commits:
/// the change and its record stand or fall together.
async fn audited(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    action: Action,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    audit::record(&mut tx, &Actor::cli(), action, target, before, after).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks a given password (or makes one up) and hashes it: the password and its hash.
async fn new_password(password: Option<String>) -> Result<(String, String)> {
    let password = match password {
        Some(p) if p.chars().count() < MIN_PASSWORD_CHARS => {
            bail!("password must be at least {MIN_PASSWORD_CHARS} characters")
        }
        Some(p) => p,
        None => random_secret()[..20].to_owned(),
    };
    // The CLI hashes one password; it takes a slot like every other hash, from its own set.
    let slot = HashSlots::for_this_machine()
        .acquire()
        .await
        .map_err(|_| anyhow::anyhow!("cannot hash the password: busy"))?;
    let hash = hash_password(slot, password.clone())
        .await
        .map_err(|_| anyhow::anyhow!("cannot hash the password"))?;
    Ok((password, hash))
}

/// Sets a new password for `username` (an admin's reset) and ends all of that account's
/// sessions. Returns the password (generated when `password` is `None`; the account is then asked
/// to choose its own after signing in). Audited as `user.password_reset`.
pub async fn set_password(
    pool: &PgPool,
    username: &str,
    password: Option<String>,
) -> Result<String> {
    let username = username.trim().to_lowercase();
    let generated = password.is_none();
    let (password, hash) = new_password(password).await?;
    let mut tx = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "update users set password_hash = $2, must_change_password = $3
         where username = $1 returning id",
        username,
        hash,
        generated,
    )
    .fetch_optional(&mut *tx)
    .await?
    .with_context(|| format!("no user named {username}"))?;
    let ended = sqlx::query!("delete from sessions where user_id = $1", id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    // What changed, never the password or its hash.
    let after = serde_json::json!({ "sessions_ended": ended, "must_change_password": generated });
    audited(tx, Action::UserPasswordReset, &username, None, Some(after)).await?;
    Ok(password)
}

/// The scopes a token gets when `loupe token create` is given none: the least a pipeline
/// needs to send outputs and feedback.
pub const DEFAULT_SCOPES: [Scope; 1] = [Scope::Ingest];

/// Gives `username` another role. Refuses to leave Loupe without an active admin. Audited as
/// `user.role`.
pub async fn set_role(pool: &PgPool, username: &str, role: Role) -> Result<()> {
    let username = username.trim().to_lowercase();
    let mut tx = pool.begin().await?;
    let user = lock_user(&mut tx, &username).await?;
    if user.role == "admin" && role != Role::Admin && !user.disabled {
        ensure_another_admin(&mut tx, user.id, &username).await?;
    }
    sqlx::query!(
        "update users set role = $2 where id = $1",
        user.id,
        role.as_str()
    )
    .execute(&mut *tx)
    .await?;
    audited(
        tx,
        Action::UserRole,
        &username,
        Some(serde_json::json!({ "role": user.role })),
        Some(serde_json::json!({ "role": role.as_str() })),
    )
    .await?;
    Ok(())
}

/// An account as the role and disabled switches see it.
struct Account {
    id: i64,
    role: String,
    disabled: bool,
}

/// The account named `username`, locked for the rest of the transaction.
async fn lock_user(tx: &mut sqlx::PgConnection, username: &str) -> Result<Account> {
    sqlx::query_as!(
        Account,
        "select id, role, disabled from users where username = $1 for update",
        username
    )
    .fetch_optional(tx)
    .await?
    .with_context(|| format!("no user named {username}"))
}

/// Fails unless an active admin other than `user_id` exists (locking the admins, so two
/// demotions at once cannot both pass).
async fn ensure_another_admin(
    tx: &mut sqlx::PgConnection,
    user_id: i64,
    username: &str,
) -> Result<()> {
    let other_admins = sqlx::query_scalar!(
        "select id from users where role = 'admin' and not disabled and id <> $1 for update",
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    if other_admins.is_empty() {
        bail!("{username} is the last active admin; add another admin first");
    }
    Ok(())
}

/// Creates an API token holding `scopes` (at least one) and returns it; only its hash is stored.
/// Audited as `token.create`.
/// `projects`: the slugs of the projects it is limited to (none: every project).
pub async fn create_token(
    pool: &PgPool,
    name: &str,
    scopes: &[Scope],
    projects: &[String],
) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("token name must be 1-100 characters");
    }
    let scopes = scope_names(scopes);
    if scopes.is_empty() {
        bail!("a token needs at least one scope: ingest, read or admin");
    }
    let mut within = Vec::with_capacity(projects.len());
    for slug in projects {
        let project = app::project::by_slug(pool, slug.trim())
            .await?
            .with_context(|| format!("no project named {slug}"))?;
        within.push(project.id);
    }
    within.sort_unstable();
    within.dedup();
    let within = (!within.is_empty()).then_some(within);
    let token = format!("{TOKEN_PREFIX}{}", random_secret());
    let prefix = &token[..TOKEN_PREFIX.len() + 8];
    let mut tx = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "insert into api_tokens (name, prefix, token_hash, scopes, projects)
         values ($1, $2, $3, $4, $5)
         returning id",
        name,
        prefix,
        sha256(&token),
        &scopes,
        within.as_deref() as Option<&[i64]>,
    )
    .fetch_one(&mut *tx)
    .await
    .context("cannot store the token")?;
    // The prefix `token list` shows, never the token.
    let after = serde_json::json!({
        "name": name, "prefix": prefix, "scopes": scopes, "projects": within,
    });
    audited(tx, Action::TokenCreate, &id.to_string(), None, Some(after)).await?;
    Ok(token)
}

/// Creates a project (its name defaults to its slug). Audited as `project.add`.
pub async fn add_project(
    pool: &PgPool,
    slug: &str,
    name: Option<&str>,
    everyone: bool,
) -> Result<app::project::Project> {
    let slug = slug.trim();
    let mut tx = pool.begin().await?;
    let project = app::project::add(&mut *tx, slug, name.unwrap_or(slug), everyone)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_context(|| format!("a project named {slug} already exists"))?;
    let after = serde_json::json!({ "name": project.name, "everyone": everyone });
    audited(tx, Action::ProjectAdd, &project.slug, None, Some(after)).await?;
    Ok(project)
}

/// Every project: id, slug, name, who may review it, how long assigned work waits, members.
pub async fn list_projects(pool: &PgPool) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for p in app::project::list(pool).await? {
        let members = app::project::members(pool, p.id).await?;
        let wait = sqlx::query_scalar!("select assign_wait_secs from projects where id = $1", p.id)
            .fetch_one(pool)
            .await?;
        rows.push(vec![
            p.id.to_string(),
            p.slug,
            p.name,
            if p.everyone { "everyone" } else { "members" }.to_owned(),
            wait.map_or_else(|| "never".to_owned(), |s| format!("{s} s")),
            members.join(","),
        ]);
    }
    Ok(rows)
}

/// Sets how long a project's assigned outputs wait for their assignee (`None`: for ever); for
/// outputs assigned from now on. Audited as `project.update`.
pub async fn set_assign_wait(pool: &PgPool, slug: &str, secs: Option<i32>) -> Result<()> {
    let mut tx = pool.begin().await?;
    let before = sqlx::query_scalar!(
        "select assign_wait_secs from projects where slug = $1 for update",
        slug.trim()
    )
    .fetch_optional(&mut *tx)
    .await?
    .with_context(|| format!("no project named {slug}"))?;
    sqlx::query!(
        "update projects set assign_wait_secs = $2 where slug = $1",
        slug.trim(),
        secs
    )
    .execute(&mut *tx)
    .await?;
    audited(
        tx,
        Action::ProjectUpdate,
        slug.trim(),
        Some(serde_json::json!({ "assign_wait_secs": before })),
        Some(serde_json::json!({ "assign_wait_secs": secs })),
    )
    .await
}

/// Empties the dashboard's rollups and fills them again from the stored rows (SQL
/// `rollups_rebuild`, `migrations/0040_project_rollups.sql`); answers how many rows it read.
pub async fn rebuild_rollups(pool: &PgPool) -> Result<i64> {
    let read = sqlx::query_scalar!(r#"select rollups_rebuild() as "read!""#)
        .fetch_one(pool)
        .await
        .context("cannot rebuild the rollups")?;
    Ok(read)
}

/// Creates a group of reviewers (its name defaults to its slug). Audited as `group.add`.
pub async fn add_group(pool: &PgPool, slug: &str, name: Option<&str>) -> Result<()> {
    let slug = slug.trim();
    app::project::check_slug("slug", slug)
        .map_err(|e| anyhow::anyhow!("{} {}", e.field, e.rule))?;
    let name = name.unwrap_or(slug).trim();
    if name.is_empty() || name.chars().count() > 200 || name.contains('\0') {
        bail!("name must be 1-200 characters");
    }
    let mut tx = pool.begin().await?;
    let made = sqlx::query_scalar!(
        "insert into reviewer_groups (slug, name) values ($1, $2)
         on conflict (slug) do nothing returning id",
        slug,
        name
    )
    .fetch_optional(&mut *tx)
    .await?;
    if made.is_none() {
        bail!("a group named {slug} already exists");
    }
    audited(
        tx,
        Action::GroupAdd,
        slug,
        None,
        Some(serde_json::json!({ "name": name })),
    )
    .await
}

/// Every group: slug, name, members.
pub async fn list_groups(pool: &PgPool) -> Result<Vec<Vec<String>>> {
    let rows = sqlx::query!(
        r#"select g.slug, g.name,
                  coalesce(string_agg(u.username, ',' order by u.username), '') as "members!"
           from reviewer_groups g
           left join reviewer_group_members m on m.group_id = g.id
           left join users u on u.id = m.user_id
           group by g.id order by g.slug"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| vec![r.slug, r.name, r.members])
        .collect())
}

/// Puts `username` in the group (or takes them out); answers whether that changed anything.
/// Audited as `group.member_add` / `group.member_remove` when it did.
pub async fn set_group_member(
    pool: &PgPool,
    slug: &str,
    username: &str,
    member: bool,
) -> Result<bool> {
    let username = username.trim().to_lowercase();
    let mut tx = pool.begin().await?;
    let group = sqlx::query_scalar!(
        "select id from reviewer_groups where slug = $1",
        slug.trim()
    )
    .fetch_optional(&mut *tx)
    .await?
    .with_context(|| format!("no group named {slug}"))?;
    let user = user_named(&mut tx, &username).await?;
    let changed = if member {
        sqlx::query!(
            "insert into reviewer_group_members (group_id, user_id) values ($1, $2)
             on conflict do nothing",
            group,
            user
        )
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query!(
            "delete from reviewer_group_members where group_id = $1 and user_id = $2",
            group,
            user
        )
        .execute(&mut *tx)
        .await?
    };
    let changed = changed.rows_affected() == 1;
    let actions = (Action::GroupMemberAdd, Action::GroupMemberRemove);
    let after = serde_json::json!({ "username": username });
    membership_changed(tx, changed, member, actions, slug.trim(), after).await
}

/// Makes `username` a member of the project (or no longer one); answers whether that changed
/// anything. Audited as `project.member_add` / `project.member_remove` when it did.
pub async fn set_project_member(
    pool: &PgPool,
    slug: &str,
    username: &str,
    member: bool,
) -> Result<bool> {
    set_project_membership(pool, slug, username, member, false).await
}

/// [`set_project_member`], as a project admin when `admin` (and as a plain member when not: a
/// project admin made a member again is one no longer). A change of role is audited as
/// `project.member_add` with `"admin"` in the entry.
pub async fn set_project_membership(
    pool: &PgPool,
    slug: &str,
    username: &str,
    member: bool,
    admin: bool,
) -> Result<bool> {
    let username = username.trim().to_lowercase();
    let project = app::project::by_slug(pool, slug.trim())
        .await?
        .with_context(|| format!("no project named {slug}"))?;
    if admin && project.id == app::project::DEFAULT {
        bail!(
            "the default project has no project admins: its routing, error tags and guidelines \
             are every other project's fallback, so only admins change them"
        );
    }
    let mut tx = pool.begin().await?;
    let user = user_named(&mut tx, &username).await?;
    let changed = app::project::set_member(&mut *tx, project.id, user, member, admin).await?;
    let actions = (Action::ProjectMemberAdd, Action::ProjectMemberRemove);
    let after = if member {
        serde_json::json!({ "username": username, "admin": admin })
    } else {
        serde_json::json!({ "username": username })
    };
    membership_changed(tx, changed, member, actions, &project.slug, after).await
}

/// The id of the user named `username` (already trimmed and lower-cased).
async fn user_named(conn: &mut sqlx::PgConnection, username: &str) -> Result<i64> {
    sqlx::query_scalar!("select id from users where username = $1", username)
        .fetch_optional(conn)
        .await?
        .with_context(|| format!("no user named {username}"))
}

/// Ends a membership change (of a project or a group): records it, with `after` as the entry's
/// new state, when it `changed` anything, as the first of `actions` when `member` was set, else
/// the second; answers `changed`.
async fn membership_changed(
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    changed: bool,
    member: bool,
    actions: (Action, Action),
    target: &str,
    after: serde_json::Value,
) -> Result<bool> {
    if !changed {
        return Ok(false);
    }
    let action = if member { actions.0 } else { actions.1 };
    audited(tx, action, target, None, Some(after)).await?;
    Ok(true)
}

/// Creates the first admin when there is none. Returns the generated password when one was made
/// up (to be shown once; the account must change it after signing in), `None` when an admin
/// existed or the password was given.
pub async fn ensure_admin(pool: &PgPool, password: Option<String>) -> Result<Option<String>> {
    let has_admin = sqlx::query_scalar!(
        r#"select exists (select 1 from users where role = 'admin') as "exists!""#
    )
    .fetch_one(pool)
    .await?;
    if has_admin {
        return Ok(None);
    }
    let given = password.is_some();
    let password = add_user(pool, "admin", Role::Admin, password).await?;
    Ok((!given).then_some(password))
}

/// The file a generated first-admin password is written to when no terminal is there to show it.
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password";

/// Shows a generated first-admin password once, and never where a service manager would keep it
/// in its logs: on standard error when that is a terminal (`terminal`), otherwise in
/// `<data_dir>/initial-admin-password`, readable by its owner only. Returns the file when one was
/// written; its path (never the password) is what gets logged.
pub fn show_initial_password(
    password: &str,
    data_dir: &std::path::Path,
    terminal: bool,
) -> Result<Option<std::path::PathBuf>> {
    if terminal {
        eprintln!(
            "Created the first admin account (shown once; it must be changed after signing in):"
        );
        eprintln!("  username: admin");
        eprintln!("  password: {password}");
        return Ok(None);
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let path = data_dir.join(INITIAL_PASSWORD_FILE);
    // A file left by an earlier first start is replaced, not reused: its mode is not ours to trust.
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("cannot replace {}", path.display()));
        }
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    use std::io::Write;
    writeln!(file, "username: admin\npassword: {password}")
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(path))
}

/// Prints rows as aligned columns under a header.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

pub(crate) fn day(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Every account: name, role, state, creation time.
pub async fn list_users(pool: &PgPool) -> Result<Vec<Vec<String>>> {
    let rows =
        sqlx::query!("select username, role, disabled, created_at from users order by username")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            vec![
                r.username,
                r.role,
                if r.disabled { "disabled" } else { "active" }.into(),
                day(Some(r.created_at)),
            ]
        })
        .collect())
}

/// Disables or re-enables an account. Disabling ends its sessions at once, and refuses to leave
/// Loupe without an active admin. Audited as `user.disable` / `user.enable`.
pub async fn set_disabled(pool: &PgPool, username: &str, disabled: bool) -> Result<()> {
    let username = username.trim().to_lowercase();
    let mut tx = pool.begin().await?;
    let user = lock_user(&mut tx, &username).await?;
    if disabled && user.role == "admin" {
        ensure_another_admin(&mut tx, user.id, &username).await?;
    }
    sqlx::query!(
        "update users set disabled = $2 where id = $1",
        user.id,
        disabled
    )
    .execute(&mut *tx)
    .await?;
    if disabled {
        sqlx::query!("delete from sessions where user_id = $1", user.id)
            .execute(&mut *tx)
            .await?;
    }
    let action = if disabled {
        Action::UserDisable
    } else {
        Action::UserEnable
    };
    audited(
        tx,
        action,
        &username,
        Some(serde_json::json!({ "disabled": user.disabled })),
        Some(serde_json::json!({ "disabled": disabled })),
    )
    .await?;
    Ok(())
}

/// `scopes` without repeats, in the order of [`Scope::ALL`], as stored.
pub fn scope_names(scopes: &[Scope]) -> Vec<String> {
    Scope::ALL
        .into_iter()
        .filter(|s| scopes.contains(s))
        .map(|s| s.as_str().to_owned())
        .collect()
}

/// Every token: id, name, prefix, scopes, created, last used, revoked.
pub async fn list_tokens(pool: &PgPool) -> Result<Vec<Vec<String>>> {
    let rows = sqlx::query!(
        "select id, name, prefix, scopes, created_at, last_used_at, revoked_at
         from api_tokens order by id"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.name,
                format!("{}…", r.prefix),
                r.scopes.join(","),
                day(Some(r.created_at)),
                day(r.last_used_at),
                r.revoked_at
                    .map_or_else(|| "active".into(), |t| format!("revoked {}", day(Some(t)))),
            ]
        })
        .collect())
}

/// Revokes a token named by its id or by its shown prefix; returns its name.
pub async fn revoke_token(pool: &PgPool, key: &str) -> Result<String> {
    let key = key.trim().trim_end_matches('…');
    let id: Option<i64> = key.parse().ok();
    let found = sqlx::query!(
        "select id, name, revoked_at from api_tokens where id = $1 or prefix = $2",
        id,
        key
    )
    .fetch_all(pool)
    .await?;
    let token = match found.as_slice() {
        [one] => one,
        [] => bail!("no token with id or prefix {key:?} (see `loupe token list`)"),
        _ => bail!("{key:?} matches several tokens; use the id"),
    };
    if token.revoked_at.is_some() {
        bail!("token {} ({}) is already revoked", token.id, token.name);
    }
    let mut tx = pool.begin().await?;
    let revoked = sqlx::query!(
        "update api_tokens set revoked_at = now() where id = $1 and revoked_at is null",
        token.id
    )
    .execute(&mut *tx)
    .await?;
    if revoked.rows_affected() == 0 {
        bail!("token {} ({}) is already revoked", token.id, token.name);
    }
    audited(
        tx,
        Action::TokenRevoke,
        &token.id.to_string(),
        Some(serde_json::json!({ "name": token.name, "revoked": false })),
        Some(serde_json::json!({ "name": token.name, "revoked": true })),
    )
    .await?;
    Ok(token.name.clone())
}
