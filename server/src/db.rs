//! Opening Loupe's database: the server named by `DATABASE_URL`, or the private cluster in the
//! data folder. Migrations run on every open, so a new version upgrades the schema at start.

use crate::config::DbArgs;
use crate::embedded::Cluster;
use anyhow::{Context, Result};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

/// An open database, with the embedded cluster behind it when there is one.
pub struct Database {
    pub pool: PgPool,
    pub cluster: Option<Cluster>,
}

/// Connects (starting the private cluster if no URL is given) and applies migrations.
pub async fn open(args: &DbArgs) -> Result<Database> {
    let (options, cluster) = match &args.database_url {
        Some(url) => {
            let options: PgConnectOptions = url
                .parse()
                .context("DATABASE_URL is not a valid PostgreSQL URL")?;
            (options, None)
        }
        None => {
            let cluster = Cluster::start(&args.data_dir).await?;
            (cluster.connect_options(), Some(cluster))
        }
    };
    let pool = PgPoolOptions::new()
        .max_connections(32)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .context("cannot connect to PostgreSQL")?;
    crate::MIGRATOR
        .run(&pool)
        .await
        .context("cannot apply database migrations")?;
    Ok(Database { pool, cluster })
}

impl Database {
    /// Closes the pool and stops the private cluster if `stop` says this process owns it.
    pub async fn close(self, stop: impl FnOnce(&Cluster) -> bool) {
        self.pool.close().await;
        if let Some(cluster) = &self.cluster
            && stop(cluster)
        {
            match cluster.stop().await {
                Ok(()) => tracing::info!("private PostgreSQL stopped"),
                Err(e) => tracing::error!(error = %e, "could not stop the private PostgreSQL"),
            }
        }
    }
}
