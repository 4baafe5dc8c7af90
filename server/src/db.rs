//! Opening Loupe's database: the server named by `DATABASE_URL`, or the private cluster in the
//! data folder. Migrations run on every open, so a new version upgrades the schema at start.
//!
//! Who connects as whom:
//! - private cluster: migrations run as the `postgres` superuser; `loupe serve`'s pool connects
//!   as the unprivileged `loupe_app` role (see `embedded`); command-line tasks, run by someone
//!   who can reach the cluster's socket anyway, keep the superuser (`generate` vacuums tables).
//! - `DATABASE_URL`: that URL as given, for everything; migrations use
//!   `LOUPE_MIGRATE_DATABASE_URL` instead when it is set, so the serving role can be one that
//!   only reads and writes rows.
//!
//! The data folder is locked first (see `folder_lock`): a server takes it for itself; a task
//! beside a running server uses that server's cluster and never starts or stops it.
//!
//! Replicas sharing one database may start at the same moment. Migrations are serialized by
//! sqlx's migrator (a PostgreSQL advisory lock per database: one replica applies, the others
//! wait and then find nothing to do); the seeding a server does after that (the first admin,
//! the demo data) is serialized by [`StartupLock`].

use crate::config::DbArgs;
use crate::embedded::Cluster;
use crate::folder_lock::{self, FolderLock, TaskAccess};
use anyhow::{Context, Result};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

/// An open database, with the embedded cluster behind it when there is one.
pub struct Database {
    pub pool: PgPool,
    pub cluster: Option<Cluster>,
    /// Whether this process stops `cluster` when it closes: a server always (it holds the folder),
    /// a task only if it started the cluster itself.
    owns_cluster: bool,
    /// Held until the cluster is stopped.
    _lock: Option<FolderLock>,
}

/// What the database is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `loupe serve`: takes the data folder for itself, connects as the application role.
    Serve,
    /// A command-line task: shares the folder with a running server if there is one.
    Task,
}

/// Opens the database for a command-line task (see [`open_for`]).
pub async fn open(args: &DbArgs) -> Result<Database> {
    open_for(args, Purpose::Task).await
}

/// Connects (starting the private cluster if no URL is given and no server runs it) and applies
/// migrations.
pub async fn open_for(args: &DbArgs, purpose: Purpose) -> Result<Database> {
    let mut lock = None;
    let mut owns_cluster = false;
    let (owner, app, cluster) = match &args.database_url {
        Some(url) => {
            let app: PgConnectOptions = url
                .parse()
                .context("DATABASE_URL is not a valid PostgreSQL URL")?;
            let owner = match &args.migrate_database_url {
                Some(url) => url
                    .parse()
                    .context("LOUPE_MIGRATE_DATABASE_URL is not a valid PostgreSQL URL")?,
                None => app.clone(),
            };
            (owner, app, None)
        }
        None => {
            let cluster = match purpose {
                Purpose::Serve => {
                    lock = Some(folder_lock::lock_for_server(&args.data_dir).await?);
                    owns_cluster = true;
                    Cluster::start(&args.data_dir).await?
                }
                Purpose::Task => match folder_lock::lock_for_task(&args.data_dir).await? {
                    TaskAccess::Owner(held) => {
                        lock = Some(held);
                        let cluster = Cluster::start(&args.data_dir).await?;
                        owns_cluster = cluster.started_here;
                        cluster
                    }
                    TaskAccess::Guest { server_pid } => {
                        tracing::debug!(server_pid, "using the running server's PostgreSQL");
                        Cluster::attach(&args.data_dir).await?
                    }
                },
            };
            let app = match purpose {
                Purpose::Serve => cluster.app_connect_options(),
                Purpose::Task => cluster.connect_options(),
            };
            (cluster.connect_options(), app, Some(cluster))
        }
    };
    let owner_pool = connect(owner, 2).await?;
    crate::MIGRATOR
        .run(&owner_pool)
        .await
        .context("cannot apply database migrations")?;
    if let Some(cluster) = &cluster {
        cluster.grant_app_role(&owner_pool).await?;
    }
    backfill_edit_distances(&owner_pool)
        .await
        .context("cannot compute edit distances of earlier corrections")?;
    owner_pool.close().await;
    let pool = connect(app, args.pool_size()).await?;
    if cluster.is_none() && purpose == Purpose::Serve && is_superuser(&pool).await {
        tracing::warn!(
            "DATABASE_URL connects as a superuser; give Loupe a role that can only read and write \
             its tables, and LOUPE_MIGRATE_DATABASE_URL for migrations (see the README)"
        );
    }
    Ok(Database {
        pool,
        cluster,
        owns_cluster,
        _lock: lock,
    })
}

/// How long a connection may wait in the pool and still be handed out without a ping.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

async fn connect(options: PgConnectOptions, max: u32) -> Result<PgPool> {
    // JIT compilation costs PostgreSQL a few hundred milliseconds on the dashboard's larger
    // aggregates and gains nothing on queries this size, so Loupe's sessions turn it off.
    // The application name lets an operator (and the tests) tell Loupe's sessions apart.
    let options = options.options([("jit", "off")]).application_name("loupe");
    // A connection idle for a while is pinged before it is handed out, so connections broken
    // by a PostgreSQL restart are replaced, not handed to a request. sqlx's own
    // `test_before_acquire` pings on every acquire, which is one more round trip per statement
    // on the review loop's path (sqlx also pings each connection as it comes back, which tells
    // a broken one as well); a connection back in the pool for less than [`PING_IDLE_AFTER`]
    // answered that ping, and a restart (the supervisor's two checks a second apart, then
    // `pg_ctl start`) leaves every connection idle for longer than that.
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IDLE_AFTER {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .context("cannot connect to PostgreSQL")
}

async fn is_superuser(pool: &PgPool) -> bool {
    sqlx::query_scalar::<_, bool>("select rolsuper from pg_roles where rolname = current_user")
        .fetch_one(pool)
        .await
        .unwrap_or(false)
}

/// Corrections stored before reviews had an `edit_distance` get theirs now, a batch at a time.
/// After the first start on the new schema the check is one probe of an empty partial index.
async fn backfill_edit_distances(pool: &PgPool) -> Result<(), sqlx::Error> {
    loop {
        let rows = sqlx::query!(
            r#"select r.id, t.summary, r.corrected_summary as "corrected!"
               from reviews r join tasks t on t.id = r.task_id
               where r.corrected_summary is not null and r.edit_distance is null
               limit 1000"#
        )
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let distances: Vec<f64> = rows
            .iter()
            .map(|r| app::stats::word_edit_distance(&r.summary, &r.corrected))
            .collect();
        sqlx::query!(
            "update reviews r set edit_distance = d.distance
             from unnest($1::int8[], $2::float8[]) as d(id, distance)
             where r.id = d.id",
            &ids,
            &distances,
        )
        .execute(pool)
        .await?;
    }
}

/// The deployment-wide start-up lock: held while a starting server checks for and creates the
/// rows a fresh database needs (the first admin, the demo data), so two replicas starting at
/// once do not both find "no admin yet" and collide on creating it.
///
/// A session-level advisory lock on a connection taken out of the pool for the purpose: closing
/// that connection (or the process dying) ends the session, and PostgreSQL drops the lock with
/// it, so a replica killed mid-start never leaves the others waiting.
pub struct StartupLock(sqlx::PgConnection);

/// The lock's key, in the advisory-lock space of Loupe's database (advisory locks are per
/// database). Any fixed number works; this one is "loupe" in ASCII, apart from sqlx's
/// migration lock, whose key is derived from the database name.
const STARTUP_LOCK_KEY: i64 = 0x006c_6f75_7065;

/// How long a starting replica waits for another to finish seeding. Seeding takes seconds; the
/// demo data a little more.
pub const STARTUP_LOCK_WAIT: Duration = Duration::from_secs(10 * 60);

impl StartupLock {
    /// Waits for the lock (another replica may hold it while it seeds), at most
    /// [`STARTUP_LOCK_WAIT`]: a replica stuck while holding it must not keep every other one
    /// from starting without a word.
    pub async fn acquire(pool: &PgPool) -> Result<StartupLock> {
        let mut conn = pool
            .acquire()
            .await
            .context("cannot connect to PostgreSQL")?
            .detach();
        let take = sqlx::query("select pg_advisory_lock($1)")
            .bind(STARTUP_LOCK_KEY)
            .execute(&mut conn);
        match tokio::time::timeout(STARTUP_LOCK_WAIT, take).await {
            Ok(taken) => {
                taken.context("cannot take the start-up lock")?;
            }
            Err(_) => anyhow::bail!(
                "another Loupe has held the start-up lock for over {} minutes (it seeds the \
                 database while holding it); check that process, or find the session holding \
                 the advisory lock in pg_locks",
                STARTUP_LOCK_WAIT.as_secs() / 60
            ),
        }
        Ok(StartupLock(conn))
    }

    /// Lets the next replica in, by ending the lock's session.
    pub async fn release(self) {
        use sqlx::Connection;
        if let Err(e) = self.0.close().await {
            // The socket is dropped anyway, which ends the session and its lock.
            tracing::debug!(error = %e, "closing the start-up lock's connection");
        }
    }
}

impl Database {
    /// Closes the pool (waiting at most a few seconds for connections still in use) and stops
    /// the private cluster if this process owns it; then releases the data folder.
    pub async fn close(self) {
        if tokio::time::timeout(Duration::from_secs(5), self.pool.close())
            .await
            .is_err()
        {
            tracing::warn!("connections still in use at exit; PostgreSQL ends them");
        }
        if let Some(cluster) = &self.cluster
            && self.owns_cluster
        {
            match cluster.stop().await {
                Ok(()) => tracing::info!("private PostgreSQL stopped"),
                Err(e) => tracing::error!(error = %e, "could not stop the private PostgreSQL"),
            }
        }
    }
}
