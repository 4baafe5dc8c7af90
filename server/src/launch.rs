//! `loupe serve`: from the command line's settings to a running Loupe, and back down. Binds the
//! port, opens (and watches) the database, creates the first admin, builds Loupe
//! ([`crate::loupe::Loupe`]) and serves it until a signal, within a deadline.

use crate::config::{DbArgs, ServeArgs};
use crate::loupe::{Loupe, Workers};
use crate::{cli, db, demo};
use anyhow::{Context, Result};
use app::state::Settings;
use leptos::config::LeptosOptions;
use std::time::Duration;

/// Serves until a signal; an error when serving failed or the private cluster could not be
/// kept running.
pub async fn run(db_args: &DbArgs, args: ServeArgs) -> Result<()> {
    // Bind before touching the database: a second instance on the same port fails here, without
    // adopting (and later stopping) the first one's private cluster.
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    // Takes the data folder for this server: a second server on it stops here.
    let database = db::open_for(db_args, db::Purpose::Serve).await?;
    let shutdown = crate::shutdown::Shutdown::on_signals();
    // The private cluster is restarted when it dies; if it cannot be, Loupe stops (non-zero).
    let supervisor = database.cluster.clone().map(|cluster| {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let gave_up = crate::supervise::watch(cluster, Default::default()).await;
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

/// Serves on `pool`'s database, which `run` opened and will close.
async fn serve_on(
    pool: &sqlx::PgPool,
    data_dir: &std::path::Path,
    listener: tokio::net::TcpListener,
    args: ServeArgs,
    shutdown: &crate::shutdown::Shutdown,
) -> Result<()> {
    // Replicas starting together take turns at seeding: the first creates the admin (and loads
    // the demo), the others then find them there.
    let lock = db::StartupLock::acquire(pool).await?;
    seed(pool, data_dir, &args).await?;
    lock.release().await;
    if args.cookies_secure() && !https(&args) {
        tracing::warn!(
            "session cookies are Secure, which browsers only send over HTTPS (or to localhost): \
             serve Loupe behind HTTPS and set LOUPE_PUBLIC_URL=https://…, or set \
             LOUPE_SECURE_COOKIES=false to sign in over plain HTTP on a trusted network"
        );
    }
    let settings = settings(pool, &args).await?;
    let loupe = Loupe::build(
        leptos_options(&args),
        pool.clone(),
        settings,
        workers(&args),
    )?;
    println!("Loupe is running at http://{}", args.addr);
    // The edge (time and size limits) serves the router; it also hands every request its peer
    // address (login throttling's client address).
    let served = crate::serve::serve(listener, loupe.router, limits(&args), shutdown.requested());
    shutdown
        .serve_until_deadline(served, Duration::from_secs(args.shutdown_seconds))
        .await
        .context("server error")?;
    loupe.background.stop();
    tracing::info!("shutting down");
    Ok(())
}

/// What a fresh database gets at a server's first start: the first admin account (a given
/// password is never printed; a generated one is shown once, not into service logs) and, when
/// asked for, the demo data. The caller holds the start-up lock.
async fn seed(pool: &sqlx::PgPool, data_dir: &std::path::Path, args: &ServeArgs) -> Result<()> {
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
    Ok(())
}

/// Whether browsers reach Loupe over HTTPS (its public URL says so).
fn https(args: &ServeArgs) -> bool {
    args.public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
}

/// Where the built site is, for the pages and the static files.
fn leptos_options(args: &ServeArgs) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("loupe")
        .site_root(args.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build()
}

/// The request handlers' settings, from the flags (and the form-error key the database keeps).
async fn settings(pool: &sqlx::PgPool, args: &ServeArgs) -> Result<Settings> {
    Ok(Settings {
        lease: Duration::from_secs(args.lease_minutes * 60),
        session_ttl: Duration::from_secs(args.session_hours * 3600),
        session_idle: Duration::from_secs(args.session_idle_minutes * 60),
        secure_cookies: args.cookies_secure(),
        public_origin: args.public_url.clone(),
        hsts: https(args),
        form_error_key: crate::form_errors::load_key(pool).await?,
        max_document_bytes: args.max_document_bytes,
        weak_support: args.weak_support,
        trusted_proxies: app::client_addr::TrustedProxies::new(args.trusted_proxies.clone()),
        max_summary_bytes: args.max_summary_bytes,
        max_exports: args.max_exports as usize,
        export_stall: Duration::from_secs(args.write_timeout_seconds),
        outbound: app::outbound::Policy::new(args.webhook_allow.0.clone()),
        request_timeout: Duration::from_secs(args.request_timeout_seconds),
        key_rate: app::key_rate::KeyRate {
            per_key: args.key_rate_per_key,
            per_address: args.key_rate_per_address,
            window: Duration::from_secs(60),
        },
        ..Settings::default()
    })
}

/// Every background worker, webhook timing from the flags.
fn workers(args: &ServeArgs) -> Workers {
    Workers::serving(crate::delivery_worker::WorkerSettings {
        timeout: Duration::from_secs(args.webhook_timeout_seconds),
        first_retry: Duration::from_secs(args.webhook_retry_seconds),
        ..Default::default()
    })
}

/// The edge's limits, from the flags.
fn limits(args: &ServeArgs) -> crate::serve::Limits {
    crate::serve::Limits {
        header_read_timeout: Duration::from_secs(args.header_timeout_seconds),
        write_timeout: Duration::from_secs(args.write_timeout_seconds),
        max_connections: args.max_connections as usize,
    }
}
