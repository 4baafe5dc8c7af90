//! `/api/v1/webhooks`: registering endpoints, reading their delivery log, resending a delivery.
//! The same operations as the admin area's webhooks page (`app::webhooks`).

use super::auth::{Operator, need};
use super::error::ApiError;
use super::json_body;
use app::error::FieldError;
use app::state::AppState;
use app::webhooks::{CreatedEndpoint, Delivery, Endpoint, store};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::Deserialize;

/// The body of `POST /api/v1/webhooks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where to POST events: an http:// or https:// URL without user name or password, whose
    /// host is a public address (no loopback, private, link-local, unique-local, multicast or
    /// reserved targets, in any spelling, nor a name resolving to one) unless the server's
    /// LOUPE_WEBHOOK_ALLOW admits it.
    #[schema(max_length = 2000, pattern = r"^https?://[^\s/?#]+[^\s]*$")]
    pub url: String,
    /// `task.reviewed`, `task.escalated`, or both.
    #[schema(min_items = 1, max_items = 2, value_type = Vec<EventName>)]
    pub events: Vec<String>,
    /// Signing secret, 16-200 ASCII characters; generated when left out.
    #[schema(min_length = 16, max_length = 200)]
    pub secret: Option<String>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// The slugs of the projects whose events it hears; leave out (or empty) for every project.
    #[schema(max_items = 100)]
    #[serde(default)]
    pub projects: Vec<String>,
}

/// The events an endpoint may subscribe to (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub enum EventName {
    #[schema(rename = "task.reviewed")]
    TaskReviewed,
    #[schema(rename = "task.escalated")]
    TaskEscalated,
}

/// Registers an endpoint. The answer holds its secret, shown only this once.
#[utoipa::path(post, path = "/api/v1/webhooks", operation_id = "create_webhook", tag = "webhooks",
    security(("token" = ["admin"])),
    request_body = NewEndpoint,
    responses((status = 201, body = CreatedEndpoint), super::openapi::Errors))]
pub async fn create(
    State(state): State<AppState>,
    caller: Operator<need::Admin>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedEndpoint>), ApiError> {
    let new: NewEndpoint = FieldError::read_object(json_body(body)?, "body")?;
    let created = store::create(
        &state.pool,
        &state.settings.outbound,
        &caller.actor,
        &new.url,
        &new.events,
        new.secret.as_deref(),
        new.description.as_deref(),
        &new.projects,
    )
    .await?;
    tracing::info!(
        endpoint = created.endpoint.id,
        "webhook endpoint registered"
    );
    Ok((StatusCode::CREATED, Json(created)))
}

/// Every endpoint, newest first, with its delivery counts.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", operation_id = "list_webhooks",
    security(("token" = ["admin"])),
    responses((status = 200, body = Vec<Endpoint>), super::openapi::Errors))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Operator<need::Admin>,
) -> Result<Json<Vec<Endpoint>>, ApiError> {
    Ok(Json(store::endpoints(&state.pool).await?))
}

/// Removes an endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    security(("token" = ["admin"])),
    params(("id" = i64, Path, description = "Endpoint id")),
    responses((status = 204, description = "Removed"), super::openapi::Errors))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Operator<need::Admin>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("webhook"))?;
    store::delete(&state.pool, &caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// How many of the newest deliveries, 1-500 (default 50).
    limit: Option<String>,
}

/// The endpoint's newest deliveries, each with every attempt (status code or error, duration).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    security(("token" = ["admin"])),
    params(("id" = i64, Path, description = "Endpoint id"), DeliveriesQuery),
    responses((status = 200, body = Vec<Delivery>), super::openapi::Errors))]
pub async fn deliveries(
    State(state): State<AppState>,
    _caller: Operator<need::Admin>,
    Path(id): Path<String>,
    query: Result<Query<DeliveriesQuery>, QueryRejection>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("webhook"))?;
    let Query(query) = query.map_err(|_| super::bad_query())?;
    let limit = super::limit(query.limit.as_deref(), 50, 500)?;
    store::endpoint(&state.pool, id).await?;
    Ok(Json(store::deliveries(&state.pool, Some(id), limit).await?))
}

/// Sends a delivery again now (same delivery id), with a fresh 24-hour retry window.
#[utoipa::path(post, path = "/api/v1/webhooks/deliveries/{id}/resend", tag = "webhooks",
    security(("token" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "Delivery id")),
    responses((status = 202, description = "Queued to be sent again"), super::openapi::Errors))]
pub async fn resend(
    State(state): State<AppState>,
    caller: Operator<need::Admin>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    store::resend(&state.pool, &caller.actor, &id).await?;
    Ok(StatusCode::ACCEPTED)
}
