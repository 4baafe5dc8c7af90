//! A private PostgreSQL cluster in Loupe's data folder, run from the machine's PostgreSQL binaries.
//!
//! Created on first start (`initdb`), started with `pg_ctl`, listening on a Unix socket only (no
//! TCP port, socket readable by its owner alone), stopped cleanly on exit; the data stays for the
//! next start. PostgreSQL refuses to run as root, so when Loupe runs as root the cluster runs as
//! the `postgres` OS user, which owns the cluster's folders.
//!
//! Layout under the data folder: `pg/` the cluster, `pg-run/` its socket and log, `loupe.lock`
//! the lock that keeps one server per folder (see `folder_lock`).
//!
//! Migrations run as the cluster's `postgres` superuser; the server's own pool connects as
//! `loupe_app`, a login role with no superuser, createdb, createrole or replication rights that
//! may read and write the tables and use their sequences and nothing else. A hole in a query then
//! cannot read server files, run programs (`COPY … PROGRAM`) or change the schema.

use anyhow::{Context, Result, bail};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::Command;

/// Name of the database Loupe keeps its data in.
pub const DATABASE: &str = "loupe";
const SUPERUSER: &str = "postgres";
/// The role the server's pool connects as.
pub const APP_ROLE: &str = "loupe_app";

/// The embedded cluster's buffer cache, in MB: `LOUPE_PG_SHARED_BUFFERS_MB` (16 to 65536) when
/// set, else an eighth of the machine's memory between 128 MB (PostgreSQL's default) and 1 GB.
///
/// Why not the default: at a million tasks the task list's probes of `tasks` and the review loop's
/// index pages no longer fit in 128 MB, and each miss is a read from the OS cache (issue 16's
/// search benchmark, bench/README.md). An eighth leaves the rest of the machine to Loupe, the OS
/// cache and anything else that runs there; the cap keeps a large machine's cluster modest.
fn shared_buffers_mb() -> Result<u64> {
    const VAR: &str = "LOUPE_PG_SHARED_BUFFERS_MB";
    if let Ok(raw) = std::env::var(VAR) {
        return match raw.trim().parse::<u64>() {
            Ok(mb) if (16..=65_536).contains(&mb) => Ok(mb),
            _ => bail!("{VAR} must be a whole number of MB from 16 to 65536"),
        };
    }
    let total_kb = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    });
    Ok(total_kb.map_or(128, |kb| (kb / 1024 / 8).clamp(128, 1024)))
}

/// A running (or adopted) private cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    cluster_dir: PathBuf,
    run_dir: PathBuf,
    bin_dir: PathBuf,
    run_as_postgres: bool,
    /// Whether this process started the server (and so may be expected to stop it).
    pub started_here: bool,
}

impl Cluster {
    /// Initialises the cluster if the folder has none, starts it unless it is already running,
    /// and makes sure the `loupe` database exists.
    pub async fn start(data_dir: &Path) -> Result<Cluster> {
        let cluster = Self::at(data_dir)?;
        cluster.prepare_dirs()?;
        if !cluster.cluster_dir.join("PG_VERSION").exists() {
            cluster.initdb().await?;
        }
        let mut cluster = cluster;
        if !cluster.is_running().await? {
            cluster.pg_ctl_start().await?;
            cluster.started_here = true;
        }
        cluster.ensure_database().await?;
        Ok(cluster)
    }

    /// The cluster a running server keeps in `data_dir`, for a command-line task beside it:
    /// never started or stopped here. Waits (up to a minute) while the server is still starting
    /// it or restarting it after a crash.
    pub async fn attach(data_dir: &Path) -> Result<Cluster> {
        let cluster = Self::at(data_dir)?;
        let started = std::time::Instant::now();
        loop {
            if cluster.is_running().await?
                && let Ok(conn) = cluster.connect_options().connect().await
            {
                conn.close().await.ok();
                return Ok(cluster);
            }
            if started.elapsed() > std::time::Duration::from_secs(60) {
                bail!(
                    "the Loupe server using {} has no PostgreSQL running after a minute; see {}",
                    data_dir.display(),
                    cluster.run_dir.join("postgres.log").display()
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    fn at(data_dir: &Path) -> Result<Cluster> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data folder {}", data_dir.display()))?;
        let data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("cannot resolve data folder {}", data_dir.display()))?;
        Ok(Cluster {
            cluster_dir: data_dir.join("pg"),
            run_dir: data_dir.join("pg-run"),
            bin_dir: find_bin_dir()?,
            run_as_postgres: is_root(),
            started_here: false,
        })
    }

    /// Connection options for the `loupe` database over the private socket, as the superuser
    /// (migrations and command-line tasks).
    pub fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.run_dir)
            .username(SUPERUSER)
            .database(DATABASE)
    }

    /// Connection options for the server's pool: the same database as [`APP_ROLE`].
    pub fn app_connect_options(&self) -> PgConnectOptions {
        self.connect_options().username(APP_ROLE)
    }

    /// The folder holding the cluster's socket (and its log).
    pub fn socket_dir(&self) -> &Path {
        &self.run_dir
    }

    /// Creates [`APP_ROLE`] if missing and gives it exactly the rights the server needs: read and
    /// write the tables, use their sequences, now and for tables later migrations create.
    /// Run as the superuser after migrations, on every start (idempotent).
    pub async fn grant_app_role(&self, owner: &sqlx::PgPool) -> Result<()> {
        let statements = [
            "do $$ begin
               if not exists (select from pg_roles where rolname = 'loupe_app') then
                 create role loupe_app login;
               end if;
             end $$",
            // Also strips any right someone gave the role by hand.
            "alter role loupe_app login nosuperuser nocreatedb nocreaterole noreplication nobypassrls",
            // PostgreSQL before 15 lets every role create tables in `public`.
            "revoke create on schema public from public",
            "grant usage on schema public to loupe_app",
            "grant select, insert, update, delete on all tables in schema public to loupe_app",
            "grant usage, select, update on all sequences in schema public to loupe_app",
            "alter default privileges for role postgres in schema public
               grant select, insert, update, delete on tables to loupe_app",
            "alter default privileges for role postgres in schema public
               grant usage, select, update on sequences to loupe_app",
            // The record of applied migrations is the migrator's alone.
            "revoke insert, update, delete on _sqlx_migrations from loupe_app",
        ];
        let context = || format!("cannot set up the {APP_ROLE} role");
        // A task beside a starting server runs this too; concurrent grants on the same catalog
        // rows fail ("tuple concurrently updated"), so they take turns.
        let mut tx = owner.begin().await.with_context(context)?;
        sqlx::query("select pg_advisory_xact_lock(hashtext('loupe: app role grants'))")
            .execute(&mut *tx)
            .await
            .with_context(context)?;
        for sql in statements {
            sqlx::raw_sql(sql)
                .execute(&mut *tx)
                .await
                .with_context(context)?;
        }
        tx.commit().await.with_context(context)
    }

    /// Stops the server (fast shutdown: open sessions are ended, data is flushed).
    pub async fn stop(&self) -> Result<()> {
        let status = self
            .command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(&self.cluster_dir)
            .args(["-m", "fast", "-w", "-s"])
            .status()
            .await
            .context("cannot run pg_ctl stop")?;
        if !status.success() {
            bail!("pg_ctl stop failed ({status})");
        }
        Ok(())
    }

    fn prepare_dirs(&self) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        for dir in [&self.cluster_dir, &self.run_dir] {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            // initdb insists on an owner-only data folder; the socket folder is kept as private.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot restrict {}", dir.display()))?;
            if self.run_as_postgres {
                let (uid, gid) = postgres_ids()?;
                std::os::unix::fs::chown(dir, Some(uid), Some(gid)).with_context(|| {
                    format!("cannot hand {} to the postgres user", dir.display())
                })?;
            }
        }
        Ok(())
    }

    async fn initdb(&self) -> Result<()> {
        tracing::info!(dir = %self.cluster_dir.display(), "creating a private PostgreSQL cluster");
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(&self.cluster_dir)
            .args([
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .output()
            .await
            .context("cannot run initdb")?;
        if !output.status.success() {
            bail!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&output.stderr).trim(),
                self.access_hint()
            );
        }
        Ok(())
    }

    /// Whether `pg_ctl` finds the cluster running.
    pub async fn is_running(&self) -> Result<bool> {
        let status = self
            .command("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&self.cluster_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .context("cannot run pg_ctl status")?;
        Ok(status.success())
    }

    /// Starts the cluster's postmaster and waits until it accepts connections.
    pub async fn pg_ctl_start(&self) -> Result<()> {
        // Socket only, readable by the cluster's owner alone; `trust` auth is safe behind that.
        let server_options = format!(
            "-c listen_addresses='' -k '{}' -c unix_socket_permissions=0700 \
             -c shared_buffers={}MB",
            self.run_dir.display(),
            shared_buffers_mb()?
        );
        let output = self
            .command("pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(&self.cluster_dir)
            .arg("-l")
            .arg(self.run_dir.join("postgres.log"))
            .args(["-w", "-s", "-o", &server_options])
            .output()
            .await
            .context("cannot run pg_ctl start")?;
        if !output.status.success() {
            let log =
                std::fs::read_to_string(self.run_dir.join("postgres.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            bail!(
                "PostgreSQL did not start: {} {}",
                String::from_utf8_lossy(&output.stderr).trim(),
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            );
        }
        tracing::info!(socket = %self.run_dir.display(), "private PostgreSQL started");
        Ok(())
    }

    async fn ensure_database(&self) -> Result<()> {
        let mut conn = self
            .connect_options()
            .database("postgres")
            .connect()
            .await
            .context("cannot connect to the private PostgreSQL")?;
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(DATABASE)
                .fetch_one(&mut conn)
                .await
                .context("cannot list databases")?;
        if !exists {
            sqlx::query("create database loupe")
                .execute(&mut conn)
                .await
                .context("cannot create the loupe database")?;
        }
        conn.close().await.ok();
        Ok(())
    }

    /// Whether the postmaster named in `postmaster.pid` is alive: a signal-0 probe, no child
    /// process, cheap enough to run every second. A zombie counts as dead.
    pub fn postmaster_alive(&self) -> bool {
        let Ok(text) = std::fs::read_to_string(self.cluster_dir.join("postmaster.pid")) else {
            return false;
        };
        let Some(pid) = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse::<i32>().ok())
        else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists.
        let exists = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !exists {
            return false;
        }
        // A killed postmaster whose parent has not reaped it yet still answers signal 0.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => stat
                .rsplit_once(')')
                .is_none_or(|(_, rest)| !rest.trim_start().starts_with('Z')),
            Err(_) => true,
        }
    }

    /// A PostgreSQL program, run as the postgres user when we are root.
    pub fn command(&self, program: &str) -> Command {
        let path = self.bin_dir.join(program);
        let mut cmd = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        // The child must not outlive a failed start-up in a confusing half state, and must not
        // inherit our stdin (pg_ctl would keep a terminal busy).
        cmd.stdin(Stdio::null()).kill_on_drop(false);
        cmd
    }

    fn access_hint(&self) -> String {
        if self.run_as_postgres {
            format!(
                " (as root, the cluster runs as the postgres user, which must be able to reach {}; \
                 choose a data folder outside /root with --data-dir or LOUPE_DATA_DIR)",
                self.cluster_dir.display()
            )
        } else {
            String::new()
        }
    }
}

/// The folder with `initdb` and `pg_ctl`: `LOUPE_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin`, else `pg_config --bindir`.
fn find_bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("LOUPE_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let out = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())),
        _ => bail!(
            "no PostgreSQL binaries found: install PostgreSQL (initdb, pg_ctl), set LOUPE_PG_BIN to \
             their folder, or give a DATABASE_URL"
        ),
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn postgres_ids() -> Result<(u32, u32)> {
    let id = |flag: &str| -> Result<u32> {
        let out = std::process::Command::new("id")
            .args([flag, "postgres"])
            .output()
            .context("cannot run id")?;
        if !out.status.success() {
            bail!(
                "running as root needs a `postgres` OS user to own the private cluster \
                 (PostgreSQL refuses to run as root)"
            );
        }
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .context("cannot read id output")
    };
    Ok((id("-u")?, id("-g")?))
}
