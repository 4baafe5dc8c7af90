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
    // JIT compilation costs PostgreSQL a few hundred milliseconds on the dashboard's larger
    // aggregates and gains nothing on queries this size, so Loupe's sessions turn it off.
    let options = options.options([("jit", "off")]);
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
    backfill_edit_distances(&pool)
        .await
        .context("cannot compute edit distances of earlier corrections")?;
    Ok(Database { pool, cluster })
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
