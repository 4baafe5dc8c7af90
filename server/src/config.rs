//! Command-line and environment settings, parsed once at start.
//!
//! Every flag can also be set through the environment variable named beside it, which is how a
//! container or a service manager configures Loupe.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Loupe: human review of production AI outputs.
#[derive(Debug, Parser)]
#[command(name = "loupe", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Folder for Loupe's own PostgreSQL cluster, used when no database URL is given.
    #[arg(long, env = "LOUPE_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Use this PostgreSQL server instead of the embedded cluster.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// With DATABASE_URL: run migrations over this URL instead (a role that owns the schema), so
    /// DATABASE_URL can name a role that only reads and writes rows.
    #[arg(
        long,
        env = "LOUPE_MIGRATE_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub migrate_database_url: Option<String>,
    /// Connections this process opens to PostgreSQL at most (its pool); default four per CPU
    /// core of this machine, 8 to 64. Budget this plus one per replica against the server's
    /// `max_connections` (the embedded cluster allows 100).
    #[arg(long, env = "LOUPE_DB_POOL_SIZE", global = true,
          value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub db_pool_size: Option<u32>,
}

impl DbArgs {
    /// The pool's size: as set, or four connections per core, 8 to 64. More connections than
    /// the cores can serve do not add throughput: on 2 cores, 32 reviewers ran at about the same
    /// rate with 8 connections as with 32, at a lower p99, and with 32 the pool hands requests to
    /// each connection in turn (it keeps idle ones first in, first out), so after a burst even a
    /// lone request meets a backend whose caches went cold (bench/README.md, session 12).
    pub fn pool_size(&self) -> u32 {
        self.db_pool_size.unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            u32::try_from(cores * 4).unwrap_or(u32::MAX).clamp(8, 64)
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and the API (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage reviewer and admin accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens for pipelines.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage projects: each owns its queue and its reviewers; outputs name theirs on ingest.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Manage groups of reviewers, which outputs can be assigned to (`"assignee": "group:legal"`).
    #[command(subcommand)]
    Group(GroupCommand),
    /// Manage publishable feedback keys for the browser widget (they can only send end-user
    /// feedback, from the origins they list).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Load the demo data set (safe to run twice).
    Demo,
    /// Load synthetic review history (for trying the dashboard, and for the benchmarks).
    Generate(GenerateArgs),
    /// Send model outputs from a JSON Lines file (one task object per line, each with an
    /// external_id). Safe to run again: outputs already stored are skipped, so an interrupted
    /// import resumes where it stopped.
    Import(ImportArgs),
    /// Write feedback or training data (the same formats as GET /api/v1/export).
    Export(ExportArgs),
    /// Empty the dashboard's figures (its rollups) and count them again from the stored tasks,
    /// reviews and end-user signals. Writers wait while it runs (about 10 s at a million tasks).
    RebuildRollups,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The .jsonl file.
    pub file: PathBuf,
    /// Lines stored per transaction.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub batch: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// jsonl, csv, sft or dpo.
    #[arg(long, default_value = "jsonl")]
    pub format: String,
    /// First day, YYYY-MM-DD (UTC); default 30 days before --to.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC); default today.
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long)]
    pub model: Option<String>,
    /// Needs --model.
    #[arg(long)]
    pub version: Option<String>,
    /// Whose corrections sft and dpo learn from: reviewers (default), end_users or all.
    #[arg(long)]
    pub corrections: Option<String>,
    /// Only this project's feedback (its slug); default every project.
    #[arg(long)]
    pub project: Option<String>,
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Tasks to create.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(i64).range(1..=100_000_000))]
    pub tasks: i64,
    /// Reviews to create, spread over the tasks that need review; by default every such task
    /// gets its reviews.
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..))]
    pub reviews: Option<i64>,
    /// Spread the tasks over this many days before now.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i32).range(1..=3650))]
    pub days: i32,
    /// Number of reviewer accounts (`reviewer-01`, …) doing the reviews.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(i32).range(2..=99))]
    pub reviewers: i32,
    /// External-id prefix of the generated tasks; loading the same prefix twice does nothing.
    #[arg(long, default_value = "gen-")]
    pub prefix: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LOUPE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Folder with the built site (the WASM, JS and CSS cargo-leptos produced).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Load the demo data set at start.
    #[arg(long, env = "LOUPE_DEMO")]
    pub demo: bool,
    /// Password for the first admin account (never printed). Without it a random one is made up
    /// and shown once: on the terminal when standard error is one, else written to
    /// `<data dir>/initial-admin-password` (readable by its owner only); the account must choose
    /// its own after signing in.
    #[arg(long, env = "LOUPE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Minutes a reviewer holds a claimed task before it returns to the queue.
    #[arg(long, env = "LOUPE_LEASE_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub lease_minutes: u64,
    /// Hours a browser session lasts at most, however busy (default: a working day).
    #[arg(long, env = "LOUPE_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub session_hours: u64,
    /// Minutes a browser session may go unused before it ends.
    #[arg(long, env = "LOUPE_SESSION_IDLE_MINUTES", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=525_600))]
    pub session_idle_minutes: u64,
    /// Largest document a pipeline may send, in bytes.
    #[arg(long, env = "LOUPE_MAX_DOCUMENT_BYTES", default_value_t = 1_000_000)]
    pub max_document_bytes: usize,
    /// Largest summary a pipeline may send, in bytes. A summary is far shorter than its
    /// document; this bounds the work its source-support hints and diffs can cost.
    #[arg(long, env = "LOUPE_MAX_SUMMARY_BYTES", default_value_t = app::support::DEFAULT_MAX_SUMMARY_BYTES)]
    pub max_summary_bytes: usize,
    /// Support score (0–1, the share of a summary sentence's content found in the source) under
    /// which the review page marks the sentence as weakly supported.
    #[arg(long, env = "LOUPE_WEAK_SUPPORT", default_value_t = app::support::DEFAULT_WEAK_BELOW, value_parser = parse_share)]
    pub weak_support: f64,
    /// The address people open Loupe at (`https://loupe.example.com`), as their browsers see
    /// it behind any proxy. Decides which pages may post to Loupe (CSRF), whether cookies are
    /// `Secure` and whether HSTS is sent. Without it, Loupe's own origin is whatever host a
    /// request was sent to.
    #[arg(long, env = "LOUPE_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Mark the session cookie `Secure` (and name it `__Host-loupe_session`). Default: on,
    /// unless the public URL (or, without one, the listening address) is plain HTTP on loopback.
    /// A browser does not send a `Secure` cookie over plain HTTP to any other host, so set this
    /// to false only to serve plain HTTP on a trusted network.
    #[arg(long, env = "LOUPE_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,
    /// Seconds a webhook endpoint has to answer one delivery attempt.
    #[arg(long, env = "LOUPE_WEBHOOK_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub webhook_timeout_seconds: u64,
    /// Seconds before the first retry of a failed delivery; each further retry waits twice as
    /// long (at most an hour), for up to 24 hours.
    #[arg(long, env = "LOUPE_WEBHOOK_RETRY_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub webhook_retry_seconds: u64,
    /// Webhook targets admitted although internal: networks (CIDR or one address), host names,
    /// or `*.domain`, comma-separated. Default: none, so webhooks reach only public addresses
    /// (no loopback, private, link-local or metadata targets).
    #[arg(long, env = "LOUPE_WEBHOOK_ALLOW", default_value = "")]
    pub webhook_allow: app::outbound::AllowList,
    /// Seconds the requests still running at Ctrl+C or SIGTERM get to finish before Loupe stops
    /// anyway (and stops its private PostgreSQL cleanly).
    #[arg(long, env = "LOUPE_SHUTDOWN_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_seconds: u64,
    /// Reverse proxies (IP addresses or CIDR networks, comma-separated) whose X-Forwarded-For
    /// header names the client, for login throttling and logs. Default: none, so the header is
    /// ignored and the connection's peer is the client.
    #[arg(long, env = "LOUPE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<app::client_addr::IpNet>,
    /// Seconds a client has to send a whole request head; also the longest a kept-alive
    /// connection may sit idle between requests.
    #[arg(long, env = "LOUPE_HEADER_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout_seconds: u64,
    /// Seconds a request has to produce its answer, reading its body included (503 after that).
    /// Streamed answers (exports) are not cut; they end when the client stops reading instead.
    #[arg(long, env = "LOUPE_REQUEST_TIMEOUT_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_seconds: u64,
    /// Requests one publishable feedback key may carry per minute, from all its pages' visitors
    /// together (POST /api/v1/public/feedback; 429 with Retry-After over it).
    #[arg(long, env = "LOUPE_KEY_RATE_PER_KEY", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub key_rate_per_key: u32,
    /// Requests one client address (an IPv6 /64 counts as one) may send per minute with
    /// publishable feedback keys.
    #[arg(long, env = "LOUPE_KEY_RATE_PER_ADDRESS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub key_rate_per_address: u32,
    /// Seconds a connection may go without the client reading anything before it is closed
    /// (this ends a stalled export and frees its database connection).
    #[arg(long, env = "LOUPE_WRITE_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub write_timeout_seconds: u64,
    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, env = "LOUPE_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Exports streamed at once (each holds a database connection); more get 503 with
    /// Retry-After.
    #[arg(long, env = "LOUPE_MAX_EXPORTS", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub max_exports: u64,
}

/// An http(s) URL with a host and nothing but an optional `/` after it: Loupe's origin.
fn parse_public_url(raw: &str) -> Result<String, String> {
    let uri: http::Uri = raw
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?} is not a URL"))?;
    let bare = uri.path_and_query().is_none_or(|p| p.as_str() == "/");
    match crate::csrf::origin_of(raw) {
        Some(origin) if bare => Ok(origin),
        Some(_) => Err(format!(
            "{raw:?} must be only a scheme and host (Loupe is served at the root of its origin)"
        )),
        None => Err(format!(
            "{raw:?} must be an http:// or https:// URL with a host"
        )),
    }
}

impl ServeArgs {
    /// Whether session cookies are `Secure`: as set, or on unless Loupe is plain HTTP on
    /// loopback (the public URL's host, else the listening address).
    pub fn cookies_secure(&self) -> bool {
        if let Some(set) = self.secure_cookies {
            return set;
        }
        match &self.public_url {
            Some(origin) => {
                let Some(host) = origin.strip_prefix("http://") else {
                    return true;
                };
                let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
                let host = host.trim_start_matches('[').trim_end_matches(']');
                !(host == "localhost"
                    || host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback()))
            }
            None => !self.addr.ip().is_loopback(),
        }
    }
}

/// A number from 0 to 1.
fn parse_share(raw: &str) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{raw:?} is not a number from 0 to 1")),
    }
}

impl ServeArgs {
    /// The serve settings from the environment alone, for `loupe` run without a subcommand.
    pub fn from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            args: ServeArgs,
        }
        Only::parse_from(["loupe"]).args
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Reviewer,
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account. The password is read from standard input with --password-stdin,
    /// otherwise a random one is generated and printed once.
    Add {
        username: String,
        #[arg(long, value_enum, default_value = "reviewer")]
        role: RoleArg,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Stop an account from signing in and end its sessions.
    Disable { username: String },
    /// Let a disabled account sign in again.
    Enable { username: String },
    /// Give an account another role (the last active admin cannot be demoted).
    Role {
        username: String,
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// Reset an account's password and end all its sessions. The password is read from standard
    /// input with --password-stdin, otherwise a random one is generated and printed once (the
    /// account is then asked to choose its own after signing in).
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a publishable feedback key for the pages at the given origins; it is printed
    /// once (it is not secret: it goes into the page) and stored only as a hash.
    Add {
        name: String,
        /// An origin allowed to send feedback with the key: scheme://host[:port], exactly (no
        /// path, no wildcards). Repeat for several.
        #[arg(long = "origin", required = true)]
        origins: Vec<String>,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by its id or its prefix as `key list` shows them.
    Revoke { key: String },
}

/// An assignment wait: seconds, or `None` for never.
#[derive(Debug, Clone, Copy)]
pub struct Wait(pub Option<i32>);

fn parse_wait(s: &str) -> Result<Wait, String> {
    if s == "never" {
        return Ok(Wait(None));
    }
    s.parse::<u32>()
        .ok()
        .and_then(|n| i32::try_from(n).ok())
        .map(|n| Wait(Some(n)))
        .ok_or_else(|| "must be a number of seconds or `never`".to_owned())
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group of reviewers.
    Add {
        /// Lower-case letters, digits and inner hyphens; assign to it as `group:<slug>`.
        slug: String,
        /// Its name for people (default: the slug).
        #[arg(long)]
        name: Option<String>,
    },
    /// List groups and their members.
    List,
    /// Put a reviewer in a group (`--remove`: take them out).
    Member {
        slug: String,
        username: String,
        #[arg(long)]
        remove: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project.
    Add {
        /// What pipelines and URLs name it by: lower-case letters, digits and inner hyphens.
        slug: String,
        /// Its name for people (default: the slug).
        #[arg(long)]
        name: Option<String>,
        /// Open to every reviewer, not only its members.
        #[arg(long)]
        everyone: bool,
        /// How long an assigned output waits for its assignee before anyone in the project may
        /// take it: seconds, or `never`.
        #[arg(long, default_value = "3600", value_parser = parse_wait)]
        assign_wait: Wait,
    },
    /// Set how long assigned outputs wait for their assignee: seconds, or `never`.
    AssignWait {
        slug: String,
        #[arg(value_parser = parse_wait)]
        wait: Wait,
    },
    /// List projects and their members.
    List,
    /// Make a user a member of a project (`--admin`: a project admin, who also finds and acts on
    /// its tasks and sets its routing, error tags and guidelines; `--remove`: no longer one).
    Member {
        slug: String,
        username: String,
        #[arg(long)]
        remove: bool,
        #[arg(long, conflicts_with = "remove")]
        admin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a pipeline; it is shown once and stored only as a hash.
    Create {
        name: String,
        /// What the token may do; repeat or comma-separate for several: ingest (send outputs
        /// and end-user feedback), read (tasks, feedback feed, exports), admin (routing,
        /// webhooks, audit log). Default: ingest only.
        #[arg(long = "scope", value_enum, value_delimiter = ',')]
        scopes: Vec<crate::api::auth::Scope>,
        /// Limit the token to a project (its slug); repeat or comma-separate for several. A
        /// limited token ingests and reads only there, and is refused by routes that serve every
        /// project (feed, export, webhooks, …). Default: every project.
        #[arg(long = "project", value_delimiter = ',')]
        projects: Vec<String>,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token by its id or its prefix as `token list` shows them.
    Revoke { token: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(size: Option<u32>) -> DbArgs {
        DbArgs {
            data_dir: PathBuf::from("data"),
            database_url: None,
            migrate_database_url: None,
            db_pool_size: size,
        }
    }

    #[test]
    fn the_pool_follows_the_cores_unless_set() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        assert_eq!(db(None).pool_size(), (cores * 4).clamp(8, 64));
        assert_eq!(db(Some(3)).pool_size(), 3);
        assert_eq!(db(Some(500)).pool_size(), 500);
    }
}
