//! Exports of feedback and training data, filtered like the dashboard and streamed: the logic
//! behind `GET /api/v1/export` and `loupe export`.
//!
//! Formats: `jsonl` and `csv` (every review, then every end-user feedback), `sft` (document →
//! corrected summary) and `dpo` (document, chosen = the correction or an accepted summary of the
//! same document, rejected = the rejected summary). Rows flow from a PostgreSQL cursor through a
//! small bounded channel to the reader, so memory stays flat however large the export: when the
//! reader is slow, the query waits.

/// The CSV form of the rows, safe to open in a spreadsheet.
mod csv;
/// The rows of each format and the queries that read them.
mod rows;
/// `loupe export`: an export written to a file or standard output.
pub mod to_file;
/// Gathering rows into chunks and handing them to the reader.
mod writer;

use app::dashboard::filter::Filter;
use app::error::{AppError, FieldError};
use axum::body::Bytes;
use chrono::Utc;
use rows::Corrections;
use serde::Deserialize;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use writer::{Stop, Writer};

/// Chunks that may wait in the channel: with [`writer::CHUNK_BYTES`], at most about half a
/// megabyte of an export is in server memory at any time.
const CHANNEL_CHUNKS: usize = 8;

/// What to export: the query parameters of `GET /api/v1/export`, and the options of
/// `loupe export`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// jsonl (default), csv, sft or dpo.
    pub format: Option<String>,
    /// First day (YYYY-MM-DD, UTC); default 30 days before `to`.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD, UTC); default today.
    pub to: Option<String>,
    pub model: Option<String>,
    /// Needs `model`.
    pub version: Option<String>,
    /// Whose corrections `sft` and `dpo` learn from: reviewers (default), end_users (feedback
    /// of type `correction`) or all. Each line's `source` says whose it is.
    pub corrections: Option<String>,
    /// A project's slug: only its feedback. A token limited to projects exports only theirs.
    pub project: Option<String>,
}

/// An export under way: its suggested file name and type, the chunks as they are produced, and
/// the number of rows written so far (for a progress display).
pub struct Export {
    pub file_name: String,
    pub content_type: &'static str,
    pub chunks: mpsc::Receiver<Result<Bytes, std::io::Error>>,
    pub rows: Arc<AtomicU64>,
    /// Set when the export gave up on a reader that stopped reading: the chunks end early, and
    /// the transfer must not look complete.
    pub stalled: Arc<AtomicBool>,
}

/// How an HTTP export is held to its limits: the slot it occupies (freed when it ends) and how
/// long it waits for a reader that reads nothing.
pub struct Limits {
    pub slot: Option<OwnedSemaphorePermit>,
    pub stall: Option<std::time::Duration>,
}

/// The format, corrections and filter a query asks for; each bad value names its field.
fn parse(query: &ExportQuery) -> Result<(Format, Corrections, Filter), FieldError> {
    let format = Format::parse(query.format.as_deref())?;
    let corrections = Corrections::parse(query.corrections.as_deref())?;
    let filter = Filter::parse(
        query.from.as_deref(),
        query.to.as_deref(),
        query.model.as_deref(),
        query.version.as_deref(),
        Utc::now().date_naive(),
    )
    .map_err(|e| match e {
        AppError::Validation(e) => e,
        _ => FieldError::new("query", "could not be read"),
    })?;
    Ok((format, corrections, filter))
}

/// About how many rows the export will have, for a progress bar: exact for jsonl, csv and sft, an
/// upper bound for dpo (a rejection without a correction or an accepted sibling yields no pair,
/// nor does an end user's correction that repeats the summary).
/// `None` when the query is invalid (`start` reports why) or the count fails.
/// `projects`: as for [`start`].
pub async fn estimate(pool: &PgPool, query: &ExportQuery, projects: Option<&[i64]>) -> Option<u64> {
    let (format, corrections, f) = parse(query).ok()?;
    let kind = match format {
        Format::Jsonl | Format::Csv => "all",
        Format::Sft => "sft",
        Format::Dpo => "dpo",
    };
    let n = sqlx::query_scalar!(
        r#"select (select count(*) from reviews r
                   where r.created_at >= $1 and r.created_at < $2
                     and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
                     and case $5 when 'sft' then r.corrected_summary is not null
                                 when 'dpo' then r.verdict = 'reject' else true end
                     and ($5 = 'all' or $6)
                     and ($8::bigint[] is null or r.project_id = any($8)))
                + case when $5 = 'all' or $7 then
                      (select count(*) from external_feedback e join tasks t on t.id = e.task_id
                       where e.created_at >= $1 and e.created_at < $2
                         and ($5 = 'all' or e.feedback_type = 'correction')
                         and ($3::text is null or t.model = $3) and ($4::text is null or t.model_version = $4)
                         and ($8::bigint[] is null or e.project_id = any($8)))
                  else 0 end as "n!""#,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
        kind,
        corrections.reviewers(),
        corrections.end_users(),
        projects,
    )
    .fetch_one(pool)
    .await
    .ok()?;
    u64::try_from(n).ok()
}

/// Checks the query and starts producing the export in the background. Shared by the HTTP
/// route and `loupe export`. `projects`: the projects the export keeps to (`None`: every
/// project), as [`app::project::confine`] resolved the query's `project` for the caller; the
/// query's slug itself is not read again here.
pub fn start(
    pool: PgPool,
    query: &ExportQuery,
    projects: Option<Vec<i64>>,
) -> Result<Export, FieldError> {
    start_within(
        pool,
        query,
        projects,
        Limits {
            slot: None,
            stall: None,
        },
    )
}

/// [`start`], held to `limits`: the slot is released and the cursor closed when the export
/// ends, including when its reader stalls for longer than `limits.stall`.
pub fn start_within(
    pool: PgPool,
    query: &ExportQuery,
    projects: Option<Vec<i64>>,
    limits: Limits,
) -> Result<Export, FieldError> {
    let (format, corrections, filter) = parse(query)?;
    let (name, extension, content_type) = format.file();
    let file_name = format!("loupe-{name}-{}-{}.{extension}", filter.from, filter.to);
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(CHANNEL_CHUNKS);
    let rows = Arc::new(AtomicU64::new(0));
    let counter = rows.clone();
    let stalled = Arc::new(AtomicBool::new(false));
    let stalled_flag = stalled.clone();
    tokio::spawn(async move {
        let _slot = limits.slot;
        let mut out = Writer::new(tx, counter, limits.stall);
        let projects = projects.as_deref();
        match writer::produce(&pool, format, corrections, &filter, projects, &mut out).await {
            Ok(()) => {
                let _ = out.flush().await;
            }
            Err(Stop::ClientGone) => tracing::info!("export stopped: the reader went away"),
            Err(Stop::Stalled) => {
                stalled_flag.store(true, Ordering::SeqCst);
                tracing::warn!("export ended: the reader stopped reading");
            }
            Err(Stop::Database(e)) => {
                tracing::error!(error = %e, "export failed part-way");
                // Ending the stream with an error makes the reader see a broken transfer rather
                // than a file that merely looks complete.
                out.fail().await;
            }
        }
    });
    Ok(Export {
        file_name,
        content_type,
        chunks: rx,
        rows,
        stalled,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Jsonl,
    Csv,
    Sft,
    Dpo,
}

impl Format {
    fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        match raw.map(str::trim).unwrap_or("jsonl") {
            "jsonl" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "sft" => Ok(Format::Sft),
            "dpo" => Ok(Format::Dpo),
            _ => Err(FieldError::new(
                "format",
                "must be one of jsonl, csv, sft, dpo",
            )),
        }
    }

    /// (file name part, extension, content type)
    fn file(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Format::Jsonl => ("feedback", "jsonl", "application/x-ndjson"),
            Format::Csv => ("feedback", "csv", "text/csv; charset=utf-8"),
            Format::Sft => ("sft", "jsonl", "application/x-ndjson"),
            Format::Dpo => ("dpo", "jsonl", "application/x-ndjson"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_formats_name_the_field() {
        assert_eq!(Format::parse(None), Ok(Format::Jsonl));
        assert_eq!(Format::parse(Some("dpo")), Ok(Format::Dpo));
        assert_eq!(Format::parse(Some("xlsx")).unwrap_err().field, "format");
    }
}
