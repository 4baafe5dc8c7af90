//! `GET /api/v1/export`: feedback and training data, filtered like the dashboard and streamed.
//!
//! Formats: `jsonl` and `csv` (every review, then every end-user feedback), `sft` (document →
//! corrected summary) and `dpo` (document, chosen = the correction or an accepted summary of the
//! same document, rejected = the rejected summary). Rows flow from a PostgreSQL cursor through a
//! small bounded channel into the response, so memory stays flat however large the export: when
//! the client reads slowly, the query waits.
//!
//! Callers: an API token, or a signed-in admin (the dashboard's download links).

use super::auth::{Operator, need};
use super::error::ApiError;
use crate::ingest::FieldError;
use app::dashboard::filter::Filter;
use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use http::{HeaderValue, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use uuid::Uuid;

/// Bytes gathered before a chunk is handed to the response.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks that may wait in the channel: with `CHUNK_BYTES`, at most about half a megabyte of an
/// export is in server memory at any time.
const CHANNEL_CHUNKS: usize = 8;

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

/// The bound on exports streaming at once over HTTP: each holds a database connection (its
/// cursor) for as long as the client takes to read, so without a bound a few slow readers would
/// hold the whole pool.
#[derive(Clone)]
pub struct ExportSlots(pub Arc<Semaphore>);

/// How an HTTP export is held to its limits: the slot it occupies (freed when it ends) and how
/// long it waits for a reader that reads nothing.
pub struct Limits {
    pub slot: Option<OwnedSemaphorePermit>,
    pub stall: Option<std::time::Duration>,
}

/// The format and filter a query asks for; each bad value names its field.
fn parse(query: &ExportQuery) -> Result<(Format, Filter), FieldError> {
    let format = Format::parse(query.format.as_deref())?;
    let filter = Filter::parse(
        query.from.as_deref(),
        query.to.as_deref(),
        query.model.as_deref(),
        query.version.as_deref(),
        Utc::now().date_naive(),
    )
    .map_err(|e| match e {
        app::error::AppError::Validation { field, message } => FieldError::new(field, message),
        _ => FieldError::new("query", "could not be read"),
    })?;
    Ok((format, filter))
}

/// About how many rows the export will have, for a progress bar: exact for jsonl, csv and sft, an
/// upper bound for dpo (a rejection without a correction or an accepted sibling yields no pair).
/// `None` when the query is invalid (`start` reports why) or the count fails.
pub async fn estimate(pool: &PgPool, query: &ExportQuery) -> Option<u64> {
    let (format, f) = parse(query).ok()?;
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
                                 when 'dpo' then r.verdict = 'reject' else true end)
                + case when $5 = 'all' then
                      (select count(*) from external_feedback e join tasks t on t.id = e.task_id
                       where e.created_at >= $1 and e.created_at < $2
                         and ($3::text is null or t.model = $3) and ($4::text is null or t.model_version = $4))
                  else 0 end as "n!""#,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
        kind,
    )
    .fetch_one(pool)
    .await
    .ok()?;
    u64::try_from(n).ok()
}

/// Checks the query and starts producing the export in the background. Shared by the HTTP
/// route and `loupe export`.
pub fn start(pool: PgPool, query: &ExportQuery) -> Result<Export, FieldError> {
    start_within(
        pool,
        query,
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
    limits: Limits,
) -> Result<Export, FieldError> {
    let (format, filter) = parse(query)?;
    let (name, extension, content_type) = format.file();
    let file_name = format!("loupe-{name}-{}-{}.{extension}", filter.from, filter.to);
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(CHANNEL_CHUNKS);
    let rows = Arc::new(AtomicU64::new(0));
    let counter = rows.clone();
    let stalled = Arc::new(AtomicBool::new(false));
    let stalled_flag = stalled.clone();
    tokio::spawn(async move {
        let _slot = limits.slot;
        let mut out = Writer {
            tx,
            buf: Vec::with_capacity(CHUNK_BYTES * 2),
            rows: counter,
            stall: limits.stall,
        };
        match produce(&pool, format, &filter, &mut out).await {
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
                let _ = out
                    .tx
                    .send(Err(std::io::Error::other("export failed")))
                    .await;
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
enum Format {
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

/// Streams reviews and end-user feedback (jsonl, csv) or training pairs (sft, dpo) as a download.
#[utoipa::path(get, path = "/api/v1/export", tag = "feedback",
    security(("token" = ["read"])),
    params(ExportQuery),
    responses(
        (status = 200, description = "The export, streamed",
         content((String = "application/x-ndjson"), (String = "text/csv"))),
        super::openapi::Errors))]
pub async fn export(
    _caller: Operator<need::Read>,
    State(state): State<AppState>,
    Extension(ExportSlots(slots)): Extension<ExportSlots>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|_| super::bad_query())?;
    let Ok(slot) = slots.try_acquire_owned() else {
        tracing::warn!("export refused: all export slots are busy");
        return Err(ApiError::Busy(
            "exports are running at the limit; try again shortly",
        ));
    };
    let limits = Limits {
        slot: Some(slot),
        stall: Some(state.settings.export_stall),
    };
    let export = start_within(state.pool.clone(), &query, limits)?;
    let (file_name, content_type) = (export.file_name, export.content_type);
    let stalled = export.stalled;
    // Fused: a compressing body may poll once more after the end, which a bare unfold forbids.
    // An export that gave up on a stalled reader ends with an error, so the transfer breaks
    // instead of looking complete.
    let body = Body::from_stream(
        futures::stream::unfold(Some(export.chunks), move |rx| {
            let stalled = stalled.clone();
            async move {
                let mut rx = rx?;
                match rx.recv().await {
                    Some(item) => Some((item, Some(rx))),
                    None if stalled.load(Ordering::SeqCst) => Some((
                        Err(std::io::Error::other("export ended: the reader stalled")),
                        None,
                    )),
                    None => None,
                }
            }
        })
        .fuse(),
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

enum Stop {
    ClientGone,
    /// The reader took nothing for longer than the stall limit.
    Stalled,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Stop {
    fn from(e: sqlx::Error) -> Self {
        Stop::Database(e)
    }
}

/// Gathers rows into chunks and hands full chunks to the response.
struct Writer {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
    rows: Arc<AtomicU64>,
    stall: Option<std::time::Duration>,
}

impl Writer {
    async fn row_done(&mut self) -> Result<(), Stop> {
        self.rows.fetch_add(1, Ordering::Relaxed);
        if self.buf.len() >= CHUNK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK_BYTES * 2),
        ));
        let send = self.tx.send(Ok(chunk));
        match self.stall {
            None => send.await.map_err(|_| Stop::ClientGone),
            // The channel is full only while the reader takes nothing: past the limit, end the
            // export so its cursor and database connection go back to the pool.
            Some(limit) => match tokio::time::timeout(limit, send).await {
                Ok(sent) => sent.map_err(|_| Stop::ClientGone),
                Err(_) => Err(Stop::Stalled),
            },
        }
    }

    fn json_line(&mut self, value: &impl Serialize) {
        // Serializing plain structs of strings and numbers into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.buf, value);
        self.buf.push(b'\n');
    }
}

/// Runs the query for `format`, writing each row as it arrives.
async fn produce(pool: &PgPool, format: Format, f: &Filter, out: &mut Writer) -> Result<(), Stop> {
    match format {
        Format::Jsonl | Format::Csv => {
            if format == Format::Csv {
                csv_row(&mut out.buf, &CSV_HEADER.map(Cell::Text));
            }
            let reviews = review_rows(pool, f);
            pump(reviews, out, |out, r| match format {
                Format::Csv => csv_row(&mut out.buf, &r.csv()),
                _ => out.json_line(&r),
            })
            .await?;
            let end_user = end_user_rows(pool, f);
            pump(end_user, out, |out, r| match format {
                Format::Csv => csv_row(&mut out.buf, &r.csv()),
                _ => out.json_line(&r),
            })
            .await
        }
        Format::Sft => pump(sft_rows(pool, f), out, |out, r| out.json_line(&r)).await,
        Format::Dpo => pump(dpo_rows(pool, f), out, |out, r| out.json_line(&r)).await,
    }
}

async fn pump<T>(
    mut rows: impl Stream<Item = Result<T, sqlx::Error>> + Unpin,
    out: &mut Writer,
    mut write: impl FnMut(&mut Writer, T),
) -> Result<(), Stop> {
    while let Some(row) = rows.next().await {
        write(out, row?);
        out.row_done().await?;
    }
    Ok(())
}

/// One human review, as exported.
#[derive(Debug, Serialize)]
struct ReviewLine {
    source: &'static str,
    feedback_id: i64,
    task_id: Uuid,
    external_id: Option<String>,
    model: String,
    model_version: String,
    confidence: f64,
    reason: String,
    reviewer: String,
    rating: i16,
    verdict: String,
    comment: Option<String>,
    corrected_summary: Option<String>,
    edit_distance: Option<f64>,
    seconds_spent: i32,
    created_at: DateTime<Utc>,
    summary: String,
    document: String,
}

/// One end user's thumbs, rating or comment, as exported.
#[derive(Debug, Serialize)]
struct EndUserLine {
    source: &'static str,
    feedback_id: i64,
    task_id: Uuid,
    external_id: Option<String>,
    model: String,
    model_version: String,
    confidence: f64,
    reason: String,
    user_id: String,
    feedback_type: String,
    value: Option<Value>,
    comment: Option<String>,
    created_at: DateTime<Utc>,
}

fn review_rows(
    pool: &PgPool,
    f: &Filter,
) -> impl Stream<Item = Result<ReviewLine, sqlx::Error>> + Unpin {
    sqlx::query!(
        r#"select r.id, r.task_id, t.external_id, r.model, r.model_version, r.confidence,
                  r.reason, u.username, r.rating, r.verdict, r.comment, r.corrected_summary,
                  r.edit_distance, r.seconds_spent, r.created_at, t.summary, t.document
           from reviews r
           join tasks t on t.id = r.task_id
           join users u on u.id = r.reviewer_id
           where r.created_at >= $1 and r.created_at < $2
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           order by r.id"#,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
    )
    .fetch(pool)
    .map(|row| {
        row.map(|r| ReviewLine {
            source: "review",
            feedback_id: r.id,
            task_id: r.task_id,
            external_id: r.external_id,
            model: r.model,
            model_version: r.model_version,
            confidence: r.confidence,
            reason: r.reason,
            reviewer: r.username,
            rating: r.rating,
            verdict: r.verdict,
            comment: r.comment,
            corrected_summary: r.corrected_summary,
            edit_distance: r.edit_distance,
            seconds_spent: r.seconds_spent,
            created_at: r.created_at,
            summary: r.summary,
            document: r.document,
        })
    })
}

fn end_user_rows(
    pool: &PgPool,
    f: &Filter,
) -> impl Stream<Item = Result<EndUserLine, sqlx::Error>> + Unpin {
    sqlx::query!(
        r#"select e.id, e.task_id, t.external_id, t.model, t.model_version, t.confidence,
                  t.reason, e.user_id, e.feedback_type, e.value, e.comments, e.created_at
           from external_feedback e
           join tasks t on t.id = e.task_id
           where e.created_at >= $1 and e.created_at < $2
             and ($3::text is null or t.model = $3) and ($4::text is null or t.model_version = $4)
           order by e.id"#,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
    )
    .fetch(pool)
    .map(|row| {
        row.map(|r| EndUserLine {
            source: "end_user",
            feedback_id: r.id,
            task_id: r.task_id,
            external_id: r.external_id,
            model: r.model,
            model_version: r.model_version,
            confidence: r.confidence,
            reason: r.reason,
            user_id: r.user_id,
            feedback_type: r.feedback_type,
            value: r.value,
            comment: r.comments,
            created_at: r.created_at,
        })
    })
}

/// A supervised fine-tuning example: the document and the summary a reviewer wrote for it.
#[derive(Debug, Serialize)]
struct SftLine {
    prompt: String,
    completion: String,
    task_id: Uuid,
    model: String,
    model_version: String,
}

fn sft_rows(pool: &PgPool, f: &Filter) -> impl Stream<Item = Result<SftLine, sqlx::Error>> + Unpin {
    sqlx::query!(
        r#"select r.task_id, r.model, r.model_version, t.document,
                  r.corrected_summary as "corrected!"
           from reviews r join tasks t on t.id = r.task_id
           where r.corrected_summary is not null
             and r.created_at >= $1 and r.created_at < $2
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           order by r.id"#,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
    )
    .fetch(pool)
    .map(|row| {
        row.map(|r| SftLine {
            prompt: r.document,
            completion: r.corrected,
            task_id: r.task_id,
            model: r.model,
            model_version: r.model_version,
        })
    })
}

/// A preference pair for DPO-style training.
#[derive(Debug, Serialize)]
struct DpoLine {
    prompt: String,
    chosen: String,
    rejected: String,
    task_id: Uuid,
    model: String,
    model_version: String,
}

/// One pair per rejecting review: chosen is the reviewer's correction, or failing that the newest
/// accepted summary of the same document (found through the document-hash index).
fn dpo_rows(pool: &PgPool, f: &Filter) -> impl Stream<Item = Result<DpoLine, sqlx::Error>> + Unpin {
    sqlx::query!(
        r#"select r.task_id, r.model, r.model_version, t.document, t.summary as rejected,
                  coalesce(r.corrected_summary, sibling.summary) as "chosen!"
           from reviews r
           join tasks t on t.id = r.task_id
           left join lateral (
               select s.summary from tasks s
               where r.corrected_summary is null
                 and md5(s.document) = md5(t.document) and s.id <> t.id
                 and exists (select 1 from reviews a where a.task_id = s.id and a.verdict = 'accept')
               order by s.created_at desc
               limit 1
           ) sibling on true
           where r.verdict = 'reject'
             and (r.corrected_summary is not null or sibling.summary is not null)
             and r.created_at >= $1 and r.created_at < $2
             and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           order by r.id"#,
        f.start(),
        f.end(),
        f.model.as_deref(),
        f.version.as_deref(),
    )
    .fetch(pool)
    .map(|row| {
        row.map(|r| DpoLine {
            prompt: r.document,
            chosen: r.chosen,
            rejected: r.rejected,
            task_id: r.task_id,
            model: r.model,
            model_version: r.model_version,
        })
    })
}

/// The CSV columns; reviews fill rating / verdict, end-user feedback fills feedback_type / value.
const CSV_HEADER: [&str; 20] = [
    "source",
    "feedback_id",
    "task_id",
    "external_id",
    "model",
    "model_version",
    "confidence",
    "reason",
    "author",
    "rating",
    "verdict",
    "feedback_type",
    "value",
    "comment",
    "corrected_summary",
    "edit_distance",
    "seconds_spent",
    "created_at",
    "summary",
    "document",
];

/// A CSV cell: text that may come from a person or a model, or a number Loupe produced.
enum Cell<'a> {
    Text(&'a str),
    Number(String),
    Empty,
}

impl ReviewLine {
    fn csv(&self) -> [Cell<'_>; 20] {
        [
            Cell::Text(self.source),
            Cell::Number(self.feedback_id.to_string()),
            Cell::Number(self.task_id.to_string()),
            opt(&self.external_id),
            Cell::Text(&self.model),
            Cell::Text(&self.model_version),
            Cell::Number(self.confidence.to_string()),
            Cell::Text(&self.reason),
            Cell::Text(&self.reviewer),
            Cell::Number(self.rating.to_string()),
            Cell::Text(&self.verdict),
            Cell::Empty,
            Cell::Empty,
            opt(&self.comment),
            opt(&self.corrected_summary),
            self.edit_distance
                .map(|d| Cell::Number(format!("{d:.4}")))
                .unwrap_or(Cell::Empty),
            Cell::Number(self.seconds_spent.to_string()),
            Cell::Number(self.created_at.to_rfc3339()),
            Cell::Text(&self.summary),
            Cell::Text(&self.document),
        ]
    }
}

impl EndUserLine {
    fn csv(&self) -> [Cell<'_>; 20] {
        let value = match &self.value {
            None | Some(Value::Null) => Cell::Empty,
            Some(Value::String(s)) => Cell::Text(s),
            // Numbers and booleans from the API, written the way JSON writes them.
            Some(other) => Cell::Number(other.to_string()),
        };
        [
            Cell::Text(self.source),
            Cell::Number(self.feedback_id.to_string()),
            Cell::Number(self.task_id.to_string()),
            opt(&self.external_id),
            Cell::Text(&self.model),
            Cell::Text(&self.model_version),
            Cell::Number(self.confidence.to_string()),
            Cell::Text(&self.reason),
            Cell::Text(&self.user_id),
            Cell::Empty,
            Cell::Empty,
            Cell::Text(&self.feedback_type),
            value,
            opt(&self.comment),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Number(self.created_at.to_rfc3339()),
            Cell::Empty,
            Cell::Empty,
        ]
    }
}

fn opt(value: &Option<String>) -> Cell<'_> {
    value.as_deref().map(Cell::Text).unwrap_or(Cell::Empty)
}

/// Writes one CSV record (RFC 4180: quoted where needed, CRLF line ends).
fn csv_row(out: &mut Vec<u8>, cells: &[Cell<'_>]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match cell {
            Cell::Empty => {}
            Cell::Number(n) => out.extend_from_slice(n.as_bytes()),
            Cell::Text(t) => csv_text(out, t),
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// A text cell. Text starting with `=`, `+`, `-`, `@`, tab or carriage return would be read as a
/// formula by spreadsheet programs (CSV injection), so it gets a leading `'`, which they show as
/// text; the cell is then always quoted.
fn csv_text(out: &mut Vec<u8>, text: &str) {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let needs_quotes = formula
        || text.contains([',', '"', '\n', '\r'])
        || text.starts_with(' ')
        || text.ends_with(' ');
    if !needs_quotes {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    out.push(b'"');
    if formula {
        out.push(b'\'');
    }
    for b in text.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(cells: &[Cell<'_>]) -> String {
        let mut out = Vec::new();
        csv_row(&mut out, cells);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        assert_eq!(
            csv(&[
                Cell::Text("plain"),
                Cell::Text("a,b"),
                Cell::Text("say \"hi\""),
                Cell::Empty
            ]),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\r\n"
        );
        assert_eq!(
            csv(&[
                Cell::Text("=HYPERLINK(\"x\")"),
                Cell::Text("+1"),
                Cell::Text("-2"),
                Cell::Text("@SUM(A1)")
            ]),
            "\"'=HYPERLINK(\"\"x\"\")\",\"'+1\",\"'-2\",\"'@SUM(A1)\"\r\n"
        );
        assert_eq!(
            csv(&[Cell::Text("two\nlines"), Cell::Number("-1".into())]),
            "\"two\nlines\",-1\r\n"
        );
    }

    #[test]
    fn unknown_formats_name_the_field() {
        assert_eq!(Format::parse(None), Ok(Format::Jsonl));
        assert_eq!(Format::parse(Some("dpo")), Ok(Format::Dpo));
        assert_eq!(Format::parse(Some("xlsx")).unwrap_err().field, "format");
    }
}
