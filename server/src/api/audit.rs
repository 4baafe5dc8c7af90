//! `GET /api/v1/audit`: the audit trail of admin actions, newest first, paged by cursor
//! (`app::audit` owns the trail; this is its JSON door).

use super::auth::{Operator, need};
use super::error::ApiError;
use app::audit::{AuditPage, Filter, store};
use app::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries per page, 1-500 (default 100).
    limit: Option<String>,
    /// `next_after` from the previous page: continue with older entries.
    after: Option<String>,
    /// Only this action, such as `routing.update` or `user.disable`.
    action: Option<String>,
    /// Only this actor's entries, by the name shown in `actor_name`.
    actor: Option<String>,
}

/// Who changed routing, webhooks, tokens, users, guidelines or error tags, or resolved an
/// escalation: when, and the state before and after. Newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", operation_id = "list_audit",
    params(AuditQuery),
    security(("token" = ["admin"])),
    responses((status = 200, body = AuditPage), super::openapi::Errors))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Operator<need::Admin>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    let Query(query) = query.map_err(|_| super::bad_query())?;
    let limit = super::limit(query.limit.as_deref(), 100, 500)?;
    let filter = Filter::parse(
        query.action.as_deref(),
        query.actor.as_deref(),
        query.after.as_deref(),
    )?;
    Ok(Json(store::page(&state.pool, &filter, limit).await?))
}
