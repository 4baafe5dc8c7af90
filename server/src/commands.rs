//! What the `loupe` subcommands other than `serve` print: each calls its task (in [`crate::cli`],
//! [`crate::import`], [`crate::generate`]) and reports the outcome to the person at the terminal.

use crate::config::{
    GenerateArgs, GroupCommand, ImportArgs, KeyCommand, ProjectCommand, RoleArg, TokenCommand,
    UserCommand,
};
use crate::{cli, generate, import};
use anyhow::Result;
use app::domain::Role;
use app::state::Settings;
use sqlx::PgPool;

/// `loupe user …`; `password` is the one read from standard input, if asked for.
pub async fn user(pool: &PgPool, command: UserCommand, password: Option<String>) -> Result<()> {
    match command {
        UserCommand::Add { username, role, .. } => {
            let role = role_of(role);
            let given = password.is_some();
            let password = cli::add_user(pool, &username, role, password).await?;
            println!("added {} {}", role.as_str(), username.trim().to_lowercase());
            if !given {
                println!("password: {password}");
            }
        }
        UserCommand::List => cli::print_table(
            &["username", "role", "state", "created"],
            &cli::list_users(pool).await?,
        ),
        UserCommand::Disable { username } => {
            cli::set_disabled(pool, &username, true).await?;
            println!("disabled {username}; its sessions have ended");
        }
        UserCommand::Enable { username } => {
            cli::set_disabled(pool, &username, false).await?;
            println!("enabled {username}");
        }
        UserCommand::Role { username, role } => {
            let role = role_of(role);
            cli::set_role(pool, &username, role).await?;
            println!(
                "{} is now {}",
                username.trim().to_lowercase(),
                role.as_str()
            );
        }
        UserCommand::Passwd { username, .. } => {
            let given = password.is_some();
            let password = cli::set_password(pool, &username, password).await?;
            println!(
                "password of {} reset; its sessions have ended",
                username.trim().to_lowercase()
            );
            if !given {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}

/// `loupe token …`.
pub async fn token(pool: &PgPool, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            name,
            scopes,
            projects,
        } => {
            let scopes = if scopes.is_empty() {
                cli::DEFAULT_SCOPES.to_vec()
            } else {
                scopes
            };
            let token = cli::create_token(pool, &name, &scopes, &projects).await?;
            let within = if projects.is_empty() {
                String::new()
            } else {
                format!(" in project(s) {}", projects.join(", "))
            };
            eprintln!(
                "created token {name:?} with scopes {}{within}; it is shown only now, store it \
                 safely:",
                cli::scope_names(&scopes).join(", ")
            );
            println!("{token}");
        }
        TokenCommand::List => cli::print_table(
            &[
                "id",
                "name",
                "prefix",
                "scopes",
                "created",
                "last used",
                "state",
            ],
            &cli::list_tokens(pool).await?,
        ),
        TokenCommand::Revoke { token } => {
            let name = cli::revoke_token(pool, &token).await?;
            println!("revoked token {name:?}");
        }
    }
    Ok(())
}

/// `loupe project …`.
pub async fn project(pool: &PgPool, command: ProjectCommand) -> Result<()> {
    match command {
        ProjectCommand::Add {
            slug,
            name,
            everyone,
            assign_wait,
        } => {
            let project = cli::add_project(pool, &slug, name.as_deref(), everyone).await?;
            cli::set_assign_wait(pool, &project.slug, assign_wait.0).await?;
            println!("created project {} ({})", project.slug, project.name);
        }
        ProjectCommand::AssignWait { slug, wait } => {
            cli::set_assign_wait(pool, &slug, wait.0).await?;
            match wait.0 {
                Some(secs) => {
                    println!("assigned outputs in {slug} open to everyone after {secs} s")
                }
                None => println!("assigned outputs in {slug} wait for their assignee for ever"),
            }
        }
        ProjectCommand::List => cli::print_table(
            &["id", "slug", "name", "open to", "assign wait", "members"],
            &cli::list_projects(pool).await?,
        ),
        ProjectCommand::Member {
            slug,
            username,
            remove,
            admin,
        } => {
            let changed =
                cli::set_project_membership(pool, &slug, &username, !remove, admin).await?;
            let what = match (remove, admin, changed) {
                (false, false, true) => "is now a member of",
                (false, false, false) => "was already a member of",
                (false, true, true) => "is now an admin of",
                (false, true, false) => "was already an admin of",
                (true, _, true) => "is no longer a member of",
                (true, _, false) => "was not a member of",
            };
            println!("{username} {what} {slug}");
        }
    }
    Ok(())
}

/// `loupe group …`.
pub async fn group(pool: &PgPool, command: GroupCommand) -> Result<()> {
    match command {
        GroupCommand::Add { slug, name } => {
            cli::add_group(pool, &slug, name.as_deref()).await?;
            println!("created group {slug}; assign outputs to it as \"group:{slug}\"");
        }
        GroupCommand::List => {
            cli::print_table(&["slug", "name", "members"], &cli::list_groups(pool).await?)
        }
        GroupCommand::Member {
            slug,
            username,
            remove,
        } => {
            let changed = cli::set_group_member(pool, &slug, &username, !remove).await?;
            let what = match (remove, changed) {
                (false, true) => "is now in",
                (false, false) => "was already in",
                (true, true) => "is no longer in",
                (true, false) => "was not in",
            };
            println!("{username} {what} group {slug}");
        }
    }
    Ok(())
}

/// `loupe key …`.
pub async fn key(pool: &PgPool, command: KeyCommand) -> Result<()> {
    use crate::feedback_keys::{self, Revoked};
    let actor = app::audit::Actor::cli();
    match command {
        KeyCommand::Add { name, origins } => {
            let made = feedback_keys::create(pool, &actor, &name, &origins).await?;
            eprintln!(
                "created publishable feedback key {name:?} for {}; it is shown only now \
                 (it is not secret: put it in the page's widget snippet):",
                made.info.origins.join(", ")
            );
            println!("{}", made.key);
        }
        KeyCommand::List => {
            let rows = feedback_keys::all(pool)
                .await?
                .into_iter()
                .map(|k| {
                    vec![
                        k.id.to_string(),
                        k.name,
                        format!("{}…", k.prefix),
                        k.origins.join(" "),
                        cli::day(Some(k.created_at)),
                        cli::day(k.last_used_at),
                        k.revoked_at.map_or_else(
                            || "active".into(),
                            |t| format!("revoked {}", cli::day(Some(t))),
                        ),
                    ]
                })
                .collect::<Vec<_>>();
            cli::print_table(
                &[
                    "id",
                    "name",
                    "prefix",
                    "origins",
                    "created",
                    "last used",
                    "state",
                ],
                &rows,
            )
        }
        KeyCommand::Revoke { key } => match feedback_keys::revoke(pool, &actor, &key).await {
            Ok(Revoked::Now(name)) => println!("revoked key {name:?}"),
            Ok(Revoked::Already(name)) => anyhow::bail!("key {name:?} is already revoked"),
            Err(app::error::AppError::NotFound(_)) => {
                anyhow::bail!("no key with id or prefix {key:?} (see `loupe key list`)")
            }
            Err(e) => return Err(e.into()),
        },
    }
    Ok(())
}

/// `loupe import`: outputs from a JSON Lines file.
pub async fn import(pool: &PgPool, args: ImportArgs) -> Result<()> {
    let report = import::run(
        pool,
        &args.file,
        args.batch as usize,
        Settings::default().max_document_bytes,
    )
    .await?;
    println!(
        "imported {} lines: {} new, {} already stored",
        report.lines, report.created, report.existing
    );
    Ok(())
}

/// `loupe generate`: synthetic review history.
pub async fn generate(pool: &PgPool, args: GenerateArgs) -> Result<()> {
    let spec = generate::Spec {
        prefix: args.prefix,
        tasks: args.tasks,
        reviews: args.reviews,
        days: args.days,
        reviewers: args.reviewers,
    };
    let started = std::time::Instant::now();
    let made = generate::load(pool, &spec).await?;
    if made.tasks == 0 {
        println!(
            "tasks with prefix {:?} exist already; nothing generated",
            spec.prefix
        );
    } else {
        println!(
            "generated {} tasks and {} reviews in {:.1} s",
            made.tasks,
            made.reviews,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn role_of(role: RoleArg) -> Role {
    match role {
        RoleArg::Reviewer => Role::Reviewer,
        RoleArg::Admin => Role::Admin,
    }
}
