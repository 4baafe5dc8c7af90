//! `/api/v1/routing`: the routing settings per model, read and changed (`app::routing`).

use super::auth::{Operator, need};
use super::error::ApiError;
use super::json_body;
use app::error::FieldError;
use app::routing::{RoutingChange, RoutingSetting, store};
use app::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use http::StatusCode;

/// The defaults (model `*`) and every model with settings of its own.
#[utoipa::path(get, path = "/api/v1/routing", tag = "routing", operation_id = "list_routing",
    security(("token" = ["admin"])),
    responses((status = 200, body = Vec<RoutingSetting>), super::openapi::Errors))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Operator<need::Admin>,
) -> Result<Json<Vec<RoutingSetting>>, ApiError> {
    Ok(Json(store::list(&state.pool).await?))
}

/// The settings in force for one model (its own, or the defaults).
#[utoipa::path(get, path = "/api/v1/routing/{model}", operation_id = "show_routing", tag = "routing",
    security(("token" = ["admin"])),
    params(("model" = String, Path, description = "Model name, or `*` for the defaults")),
    responses((status = 200, body = RoutingSetting), super::openapi::Errors))]
pub async fn show(
    State(state): State<AppState>,
    _caller: Operator<need::Admin>,
    Path(model): Path<String>,
) -> Result<Json<RoutingSetting>, ApiError> {
    Ok(Json(store::get(&state.pool, &model).await?))
}

/// Changes one model's settings; fields left out keep their value. Applies to outputs that
/// arrive afterwards.
#[utoipa::path(put, path = "/api/v1/routing/{model}", tag = "routing",
    security(("token" = ["admin"])),
    params(("model" = String, Path, description = "Model name, or `*` for the defaults")),
    request_body = RoutingChange,
    responses((status = 200, body = RoutingSetting), super::openapi::Errors))]
pub async fn put(
    State(state): State<AppState>,
    caller: Operator<need::Admin>,
    Path(model): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RoutingSetting>, ApiError> {
    let change: RoutingChange = FieldError::read_object(json_body(body)?, "body")?;
    let setting = store::put(&state.pool, &caller.actor, &model, &change).await?;
    tracing::info!(model = %setting.model, "routing settings changed");
    Ok(Json(setting))
}

/// Drops a model's own settings, so it follows the defaults again.
#[utoipa::path(delete, path = "/api/v1/routing/{model}", tag = "routing",
    security(("token" = ["admin"])),
    params(("model" = String, Path, description = "Model name")),
    responses((status = 204, description = "The model follows the defaults"), super::openapi::Errors))]
pub async fn reset(
    State(state): State<AppState>,
    caller: Operator<need::Admin>,
    Path(model): Path<String>,
) -> Result<StatusCode, ApiError> {
    store::reset(&state.pool, &caller.actor, &model).await?;
    Ok(StatusCode::NO_CONTENT)
}
