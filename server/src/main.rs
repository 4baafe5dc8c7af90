//! The `loupe` binary: parse the command line, start logging, run the subcommand.

use anyhow::{Context, Result};
use app::domain::Role;
use app::state::{AppState, Settings};
use clap::Parser;
use leptos::config::LeptosOptions;
use server::config::{Cli, Command, DbArgs, RoleArg, ServeArgs, TokenCommand, UserCommand};
use server::{cli, db, demo, generate, import};
use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Cli) -> Result<()> {
    let command = args
        .command
        .unwrap_or_else(|| Command::Serve(ServeArgs::from_env()));
    if let Command::Serve(serve_args) = command {
        return serve(&args.db, serve_args).await;
    }
    // Read a password before touching the database, so a mistake costs no cluster start.
    let password = match &command {
        Command::User(
            UserCommand::Add {
                password_stdin: true,
                ..
            }
            | UserCommand::Passwd {
                password_stdin: true,
                ..
            },
        ) => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("cannot read the password")?;
            Some(input.trim_end_matches(['\n', '\r']).to_owned())
        }
        _ => None,
    };
    let database = db::open(&args.db).await?;
    let result = run_task(&database.pool, command, password).await;
    // A task stops the private cluster only if it started it (a running server keeps it).
    database.close().await;
    result
}

async fn run_task(pool: &sqlx::PgPool, command: Command, password: Option<String>) -> Result<()> {
    match command {
        Command::Serve(_) => unreachable!("handled by run"),
        Command::Migrate => println!("migrations applied"),
        Command::User(UserCommand::Add { username, role, .. }) => {
            let role = role_of(role);
            let given = password.is_some();
            let password = cli::add_user(pool, &username, role, password).await?;
            println!("added {} {}", role.as_str(), username.trim().to_lowercase());
            if !given {
                println!("password: {password}");
            }
        }
        Command::User(UserCommand::List) => cli::print_table(
            &["username", "role", "state", "created"],
            &cli::list_users(pool).await?,
        ),
        Command::User(UserCommand::Disable { username }) => {
            cli::set_disabled(pool, &username, true).await?;
            println!("disabled {username}; its sessions have ended");
        }
        Command::User(UserCommand::Enable { username }) => {
            cli::set_disabled(pool, &username, false).await?;
            println!("enabled {username}");
        }
        Command::User(UserCommand::Role { username, role }) => {
            let role = role_of(role);
            cli::set_role(pool, &username, role).await?;
            println!(
                "{} is now {}",
                username.trim().to_lowercase(),
                role.as_str()
            );
        }
        Command::User(UserCommand::Passwd { username, .. }) => {
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
        Command::Token(TokenCommand::Create { name, scopes }) => {
            let scopes = if scopes.is_empty() {
                cli::DEFAULT_SCOPES.to_vec()
            } else {
                scopes
            };
            let token = cli::create_token(pool, &name, &scopes).await?;
            eprintln!(
                "created token {name:?} with scopes {}; it is shown only now, store it safely:",
                cli::scope_names(&scopes).join(", ")
            );
            println!("{token}");
        }
        Command::Token(TokenCommand::List) => cli::print_table(
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
        Command::Token(TokenCommand::Revoke { token }) => {
            let name = cli::revoke_token(pool, &token).await?;
            println!("revoked token {name:?}");
        }
        Command::Import(args) => {
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
        }
        Command::Export(args) => export_to(pool, args).await?,
        Command::Demo => {
            let added = demo::load(pool).await?;
            println!("demo data loaded ({added} new tasks)");
        }
        Command::Generate(args) => {
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
        }
    }
    Ok(())
}

fn role_of(role: RoleArg) -> Role {
    match role {
        RoleArg::Reviewer => Role::Reviewer,
        RoleArg::Admin => Role::Admin,
    }
}

/// `loupe export`: the API's export, written to a file or standard output.
async fn export_to(pool: &sqlx::PgPool, args: server::config::ExportArgs) -> Result<()> {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    let query = server::api::export::ExportQuery {
        format: Some(args.format),
        from: args.from,
        to: args.to,
        model: args.model,
        version: args.version,
    };
    let total = server::api::export::estimate(pool, &query).await;
    let mut export = server::api::export::start(pool.clone(), &query)
        .map_err(|e| anyhow::anyhow!("--{} {}", e.field, e.rule))?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut progress = server::progress::Progress::new("export", total);
    while let Some(chunk) = export.chunks.recv().await {
        let chunk = chunk.context("the export failed part-way; the output is incomplete")?;
        out.write_all(&chunk).context("cannot write the export")?;
        progress.update(export.rows.load(Ordering::Relaxed), "rows");
    }
    out.flush().context("cannot write the export")?;
    progress.finish(export.rows.load(Ordering::Relaxed), "rows");
    if let Some(path) = &args.output {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

async fn serve(db_args: &DbArgs, args: ServeArgs) -> Result<()> {
    // Bind before touching the database: a second instance on the same port fails here, without
    // adopting (and later stopping) the first one's private cluster.
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    // Takes the data folder for this server: a second server on it stops here.
    let database = db::open_for(db_args, db::Purpose::Serve).await?;
    let shutdown = server::shutdown::Shutdown::on_signals();
    // The private cluster is restarted when it dies; if it cannot be, Loupe stops (non-zero).
    let supervisor = database.cluster.clone().map(|cluster| {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let gave_up = server::supervise::watch(cluster, Default::default()).await;
            shutdown.fail(&gave_up);
        })
    });
    let result = serve_on(&database.pool, &db_args.data_dir, listener, args, &shutdown).await;
    if let Some(supervisor) = supervisor {
        supervisor.abort();
    }
    // The server owns the private cluster: it stops it on the way out.
    database.close().await;
    result?;
    match shutdown.failure() {
        Some(reason) => Err(anyhow::anyhow!(reason)),
        None => Ok(()),
    }
}

async fn serve_on(
    pool: &sqlx::PgPool,
    data_dir: &std::path::Path,
    listener: tokio::net::TcpListener,
    args: ServeArgs,
    shutdown: &server::shutdown::Shutdown,
) -> Result<()> {
    // A given password is never printed; a generated one is shown once, not into service logs.
    if let Some(password) = cli::ensure_admin(pool, args.admin_password.clone()).await? {
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        if let Some(path) = cli::show_initial_password(&password, data_dir, terminal)? {
            tracing::warn!(file = %path.display(),
                "created the first admin account; its generated password is in this file \
                 (readable by its owner only): sign in, choose a new password, delete the file");
        }
    }
    if args.demo {
        let added = demo::load(pool).await.context("cannot load demo data")?;
        tracing::info!(added, "demo data loaded");
    }
    if args.cookies_secure()
        && !args
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    {
        tracing::warn!(
            "session cookies are Secure, which browsers only send over HTTPS (or to localhost): \
             serve Loupe behind HTTPS and set LOUPE_PUBLIC_URL=https://…, or set \
             LOUPE_SECURE_COOKIES=false to sign in over plain HTTP on a trusted network"
        );
    }
    let leptos_options = LeptosOptions::builder()
        .output_name("loupe")
        .site_root(args.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build();
    let state = AppState {
        leptos_options,
        pool: pool.clone(),
        settings: Arc::new(Settings {
            lease: Duration::from_secs(args.lease_minutes * 60),
            session_ttl: Duration::from_secs(args.session_hours * 3600),
            session_idle: Duration::from_secs(args.session_idle_minutes * 60),
            secure_cookies: args.cookies_secure(),
            public_origin: args.public_url.clone(),
            hsts: args
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            form_error_key: server::form_errors::load_key(pool).await?,
            max_document_bytes: args.max_document_bytes,
            weak_support: args.weak_support,
            trusted_proxies: app::client_addr::TrustedProxies::new(args.trusted_proxies.clone()),
            max_summary_bytes: args.max_summary_bytes,
            max_exports: args.max_exports as usize,
            export_stall: Duration::from_secs(args.write_timeout_seconds),
            outbound: app::outbound::Policy::new(args.webhook_allow.0.clone()),
            ..Settings::default()
        }),
    };
    // Deliveries left pending by an earlier run (or another process) are picked up from the outbox.
    let worker = server::delivery_worker::Worker::new(
        pool.clone(),
        server::delivery_worker::WorkerSettings {
            timeout: Duration::from_secs(args.webhook_timeout_seconds),
            first_retry: Duration::from_secs(args.webhook_retry_seconds),
            outbound: state.settings.outbound.clone(),
            ..Default::default()
        },
    )?;
    let worker = tokio::spawn(worker.run());
    // Source-support hints, computed once per waiting task right after ingest (and for tasks
    // left without them by an earlier run), never while a page is served.
    let support_worker = tokio::spawn(server::support_worker::run(
        pool.clone(),
        server::support_worker::Settings::default(),
    ));
    let sweeper = tokio::spawn(server::sweep::run(
        pool.clone(),
        Duration::from_secs(args.session_idle_minutes * 60),
        server::sweep::EVERY,
    ));
    println!("Loupe is running at http://{}", args.addr);
    let limits = server::serve::Limits {
        header_read_timeout: Duration::from_secs(args.header_timeout_seconds),
        request_timeout: Duration::from_secs(args.request_timeout_seconds),
        write_timeout: Duration::from_secs(args.write_timeout_seconds),
        max_connections: args.max_connections as usize,
    };
    // The edge (time and size limits) serves the router; it also hands every request its peer
    // address (login throttling's client address).
    let served = server::serve::serve(
        listener,
        server::router(state),
        limits,
        shutdown.requested(),
    );
    shutdown
        .serve_until_deadline(served, Duration::from_secs(args.shutdown_seconds))
        .await
        .context("server error")?;
    // A send cut short here is retried by the next run: its claim simply expires.
    worker.abort();
    // A computation cut short here is redone by the next run: its claim simply expires.
    support_worker.abort();
    sweeper.abort();
    tracing::info!("shutting down");
    Ok(())
}
