//! The producing side of an export: rows are written into a buffer, handed to the reader in
//! chunks of about [`CHUNK_BYTES`], and the export stops when the reader goes away or stalls.

use super::Format;
use super::csv::{CSV_HEADER, Cell, csv_row};
use super::rows;
use app::dashboard::filter::Filter;
use axum::body::Bytes;
use futures::{Stream, StreamExt};
use serde::Serialize;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Bytes gathered before a chunk is handed to the reader.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// Why an export ended early.
pub enum Stop {
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
pub struct Writer {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
    rows: Arc<AtomicU64>,
    stall: Option<std::time::Duration>,
}

impl Writer {
    pub fn new(
        tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
        rows: Arc<AtomicU64>,
        stall: Option<std::time::Duration>,
    ) -> Self {
        Writer {
            tx,
            buf: Vec::with_capacity(CHUNK_BYTES * 2),
            rows,
            stall,
        }
    }

    /// Ends the chunks with an error, so the reader sees a broken transfer rather than a file
    /// that merely looks complete.
    pub async fn fail(&mut self) {
        let _ = self
            .tx
            .send(Err(std::io::Error::other("export failed")))
            .await;
    }

    async fn row_done(&mut self) -> Result<(), Stop> {
        self.rows.fetch_add(1, Ordering::Relaxed);
        if self.buf.len() >= CHUNK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    pub async fn flush(&mut self) -> Result<(), Stop> {
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
pub async fn produce(
    pool: &PgPool,
    format: Format,
    corrections: super::rows::Corrections,
    f: &Filter,
    projects: Option<&[i64]>,
    out: &mut Writer,
) -> Result<(), Stop> {
    match format {
        Format::Jsonl | Format::Csv => {
            if format == Format::Csv {
                csv_row(&mut out.buf, &CSV_HEADER.map(Cell::Text));
            }
            let reviews = rows::reviews(pool, f, projects);
            pump(reviews, out, |out, r| match format {
                Format::Csv => csv_row(&mut out.buf, &r.csv()),
                _ => out.json_line(&r),
            })
            .await?;
            let end_user = rows::end_user(pool, f, projects);
            pump(end_user, out, |out, r| match format {
                Format::Csv => csv_row(&mut out.buf, &r.csv()),
                _ => out.json_line(&r),
            })
            .await
        }
        Format::Sft => {
            pump(rows::sft(pool, f, projects, corrections), out, |out, r| {
                out.json_line(&r)
            })
            .await
        }
        Format::Dpo => {
            pump(rows::dpo(pool, f, projects, corrections), out, |out, r| {
                out.json_line(&r)
            })
            .await
        }
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
