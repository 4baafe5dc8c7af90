//! The `loupe` binary: parse the command line, start logging, run the subcommand.

use anyhow::{Context, Result};
use clap::Parser;
use server::config::{Cli, Command, ServeArgs, UserCommand};
use server::{commands, db, demo, export, launch};
use std::io::Read;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    return_large_allocations_to_the_os();
    let args = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr);
    // One JSON object per line for a log shipper, each with the fields of the spans it was
    // logged in (the request's id, method and URI); text for people otherwise.
    if std::env::var("LOUPE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().with_current_span(false).init();
    } else {
        logs.init();
    }
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
        return launch::run(&args.db, serve_args).await;
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
        Command::User(command) => commands::user(pool, command, password).await?,
        Command::Token(command) => commands::token(pool, command).await?,
        Command::Project(command) => commands::project(pool, command).await?,
        Command::Group(command) => commands::group(pool, command).await?,
        Command::Key(command) => commands::key(pool, command).await?,
        Command::Import(args) => commands::import(pool, args).await?,
        Command::Export(args) => export::to_file::run(pool, args).await?,
        Command::Demo => {
            let added = demo::load(pool).await?;
            println!("demo data loaded ({added} new tasks)");
        }
        Command::Generate(args) => commands::generate(pool, args).await?,
        Command::RebuildRollups => {
            let started = std::time::Instant::now();
            let read = server::cli::rebuild_rollups(pool).await?;
            println!(
                "dashboard rollups rebuilt from {read} stored rows in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// Large allocations (argon2's 19 MiB per password hash, large request bodies) are mapped on their
/// own and given back to the OS when freed. Left to itself, glibc raises its mmap threshold after
/// the first such free and serves the next ones from per-thread arenas, which keep the memory:
/// after 32 reviewers signed in, Loupe held ~125 MiB instead of ~27 (bench/loop.sh, bench/README).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_allocations_to_the_os() {
    // SAFETY: mallopt only sets an allocator parameter; it takes glibc's own locks.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_allocations_to_the_os() {}
