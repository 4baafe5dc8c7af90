//! `/api/v1/routing`: the routing settings per project and model, read and changed
//! (`app::routing`). `?project=` names the project (blank: the token's only project, else the
//! default project); a token limited to projects may read and change only theirs.

use super::auth::{ProjectOperator, need};
use super::error::ApiError;
use super::json_body;
use app::error::FieldError;
use app::project::Project;
use app::routing::{RoutingChange, RoutingSetting, store};
use app::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::Deserialize;

/// Which project's settings a request is about.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// The project's slug; blank: the token's only project, else the default project.
    project: Option<String>,
}

/// The project a request names, within the caller's projects.
async fn project(
    state: &AppState,
    caller: &ProjectOperator<need::Admin>,
    query: Result<Query<ProjectQuery>, QueryRejection>,
) -> Result<Project, ApiError> {
    let Query(query) = query.map_err(|_| super::bad_query())?;
    Ok(app::project::chosen(
        &state.pool,
        query.project.as_deref(),
        caller.projects.as_deref(),
    )
    .await??)
}

/// The settings in force for each model of a project: its defaults (model `*`) and every model
/// with settings of its own, and the default project's where it has none (`project` says whose
/// row each is).
#[utoipa::path(get, path = "/api/v1/routing", tag = "routing", operation_id = "list_routing",
    security(("token" = ["admin"])),
    params(ProjectQuery),
    responses((status = 200, body = Vec<RoutingSetting>), super::openapi::Errors))]
pub async fn list(
    State(state): State<AppState>,
    caller: ProjectOperator<need::Admin>,
    query: Result<Query<ProjectQuery>, QueryRejection>,
) -> Result<Json<Vec<RoutingSetting>>, ApiError> {
    let project = project(&state, &caller, query).await?;
    Ok(Json(store::list(&state.pool, &project).await?))
}

/// The settings in force for one model of a project.
#[utoipa::path(get, path = "/api/v1/routing/{model}", operation_id = "show_routing", tag = "routing",
    security(("token" = ["admin"])),
    params(("model" = String, Path, description = "Model name, or `*` for the defaults"), ProjectQuery),
    responses((status = 200, body = RoutingSetting), super::openapi::Errors))]
pub async fn show(
    State(state): State<AppState>,
    caller: ProjectOperator<need::Admin>,
    Path(model): Path<String>,
    query: Result<Query<ProjectQuery>, QueryRejection>,
) -> Result<Json<RoutingSetting>, ApiError> {
    let project = project(&state, &caller, query).await?;
    Ok(Json(store::get(&state.pool, &project, &model).await?))
}

/// Changes one model's settings in a project; fields left out keep their value (a project's
/// first row for a model starts from the settings in force). Applies to outputs that arrive
/// afterwards.
#[utoipa::path(put, path = "/api/v1/routing/{model}", tag = "routing",
    security(("token" = ["admin"])),
    params(("model" = String, Path, description = "Model name, or `*` for the defaults"), ProjectQuery),
    request_body = RoutingChange,
    responses((status = 200, body = RoutingSetting), super::openapi::Errors))]
pub async fn put(
    State(state): State<AppState>,
    caller: ProjectOperator<need::Admin>,
    Path(model): Path<String>,
    query: Result<Query<ProjectQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RoutingSetting>, ApiError> {
    let project = project(&state, &caller, query).await?;
    let change: RoutingChange = FieldError::read_object(json_body(body)?, "body")?;
    let setting = store::put(&state.pool, &caller.actor, &project, &model, &change).await?;
    tracing::info!(project = %project.slug, model = %setting.model, "routing settings changed");
    Ok(Json(setting))
}

/// Drops a project's own settings for a model, so it follows the next in line again (the
/// project's defaults, then the default project's).
#[utoipa::path(delete, path = "/api/v1/routing/{model}", tag = "routing",
    security(("token" = ["admin"])),
    params(("model" = String, Path, description = "Model name, or `*` for a project's defaults"), ProjectQuery),
    responses((status = 204, description = "The model follows the next settings in line"), super::openapi::Errors))]
pub async fn reset(
    State(state): State<AppState>,
    caller: ProjectOperator<need::Admin>,
    Path(model): Path<String>,
    query: Result<Query<ProjectQuery>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let project = project(&state, &caller, query).await?;
    store::reset(&state.pool, &caller.actor, &project, &model).await?;
    Ok(StatusCode::NO_CONTENT)
}
