//! `GET /api/v1/export`: an export (see [`crate::export`]) streamed as a download, one of a
//! bounded number at once.
//!
//! Callers: an API token, or a signed-in admin (the dashboard's download links). A token limited
//! to projects exports only their feedback.

use super::auth::{ProjectOperator, need};
use super::error::ApiError;
use crate::export::{ExportQuery, Limits, start_within};
use app::state::AppState;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http::{HeaderValue, header};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::Semaphore;

/// The bound on exports streaming at once over HTTP: each holds a database connection (its
/// cursor) for as long as the client takes to read, so without a bound a few slow readers would
/// hold the whole pool.
#[derive(Clone)]
pub struct ExportSlots(pub Arc<Semaphore>);

/// Streams reviews and end-user feedback (jsonl, csv) or training pairs (sft, dpo) as a download.
#[utoipa::path(get, path = "/api/v1/export", tag = "feedback",
    security(("token" = ["read"])),
    params(ExportQuery),
    responses(
        (status = 200, description = "The export, streamed",
         content((String = "application/x-ndjson"), (String = "text/csv"))),
        super::openapi::Errors))]
pub async fn export(
    caller: ProjectOperator<need::Read>,
    State(state): State<AppState>,
    Extension(ExportSlots(slots)): Extension<ExportSlots>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|_| super::bad_query())?;
    let projects = app::project::confine(
        &state.pool,
        query.project.as_deref(),
        caller.projects.as_deref(),
    )
    .await??;
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
    let export = start_within(state.pool.clone(), &query, projects, limits)?;
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
