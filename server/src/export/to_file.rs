//! `loupe export`: the API's export, written to a file or standard output, with a progress line.

use super::ExportQuery;
use crate::config::ExportArgs;
use anyhow::{Context, Result};
use sqlx::PgPool;
use std::io::Write;
use std::sync::atomic::Ordering;

/// Writes the export `args` ask for; a bad option is named as the command line spells it.
pub async fn run(pool: &PgPool, args: ExportArgs) -> Result<()> {
    let query = ExportQuery {
        format: Some(args.format),
        from: args.from,
        to: args.to,
        model: args.model,
        version: args.version,
        corrections: args.corrections,
        project: args.project,
    };
    let projects = app::project::confine(pool, query.project.as_deref(), None)
        .await?
        .map_err(|_| anyhow::anyhow!("--project names no project"))?;
    let total = super::estimate(pool, &query, projects.as_deref()).await;
    let mut export = super::start(pool.clone(), &query, projects)
        .map_err(|e| anyhow::anyhow!("--{} {}", e.field, e.rule))?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut progress = crate::progress::Progress::new("export", total);
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
