//! `loupe import FILE.jsonl`: model outputs from a file, one task object per line (the body of
//! `POST /api/v1/tasks`), stored in batches through the same ingest path as the API.
//!
//! Every line must carry an `external_id`: a line already stored is skipped, so running the same
//! import again after an interruption resumes it without duplicates. A bad line stops the import
//! with its line number before its batch is stored; batches before it stay stored.

use crate::ingest::{self, NewTask};
use crate::progress::Progress;
use anyhow::{Context, Result, bail};
use serde_json::value::RawValue;
use sqlx::PgPool;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub lines: u64,
    pub created: u64,
    pub existing: u64,
}

pub async fn run(
    pool: &PgPool,
    path: &Path,
    batch: usize,
    max_document_bytes: usize,
) -> Result<Report> {
    let open =
        || std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()));
    // A first pass counts the lines, so the progress bar knows its end.
    let total = BufReader::new(open()?)
        .lines()
        .map(|l| l.map(|l| !l.trim().is_empty()))
        .filter(|l| !matches!(l, Ok(false)))
        .count() as u64;
    let mut progress = Progress::new("import", Some(total));
    let mut report = Report::default();
    let mut pending: Vec<NewTask> = Vec::with_capacity(batch);
    // The line each pending task came from, to name it when its project is refused.
    let mut lines: Vec<usize> = Vec::with_capacity(batch);
    for (index, line) in BufReader::new(open()?).lines().enumerate() {
        let number = index + 1;
        let line = line.with_context(|| format!("cannot read line {number}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: &RawValue = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("line {number}: not valid JSON ({e})"))?;
        let task = ingest::parse_task_json(value.get(), max_document_bytes)
            .and_then(|t| {
                ingest::check_summaries(
                    std::slice::from_ref(&t),
                    false,
                    app::support::DEFAULT_MAX_SUMMARY_BYTES,
                )
                .map(|()| t)
            })
            .map_err(|e| anyhow::anyhow!("line {number}: {} {}", e.field, e.rule))?;
        if task.external_id.is_none() {
            bail!(
                "line {number}: external_id is required for import (it is what lets a second run \
                 skip outputs already stored)"
            );
        }
        pending.push(task);
        lines.push(number);
        report.lines += 1;
        if pending.len() == batch {
            store(pool, &mut pending, &mut lines, &mut report).await?;
            progress.update(report.lines, "lines");
        }
    }
    store(pool, &mut pending, &mut lines, &mut report).await?;
    progress.finish(report.lines, "lines");
    Ok(report)
}

async fn store(
    pool: &PgPool,
    pending: &mut Vec<NewTask>,
    lines: &mut Vec<usize>,
    report: &mut Report,
) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    // Each output in the project it names (the command line's user may write to every
    // project), with its assignee.
    let field = |name: &str, i: usize| format!("line {}: {name}", lines[i]);
    match ingest::place(pool, pending, None, field)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the projects: {e}"))?
    {
        Ok(()) => {}
        Err(app::project::Refused::Invalid(e) | app::project::Refused::Forbidden(e)) => {
            bail!("{} {}", e.field, e.rule)
        }
    }
    lines.clear();
    let stored = ingest::store(pool, std::mem::take(pending))
        .await
        .context("cannot store a batch")?;
    let created = stored.iter().filter(|t| t.created).count() as u64;
    report.created += created;
    report.existing += stored.len() as u64 - created;
    Ok(())
}
