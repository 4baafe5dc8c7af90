//! Who may call the API, and with which scope.
//!
//! Pipelines send `Authorization: Bearer loupe_…` (looked up by SHA-256). Every token carries
//! scopes ([`Scope`]: `ingest`, `read`, `admin`); a route names the one it needs in the type of
//! its caller argument, so the check cannot be forgotten and reads at a glance:
//!
//! - [`Pipeline<S>`]: a token holding scope `S` (`need::Ingest`, `need::Read`, `need::Admin`,
//!   or `need::Any` for any valid token);
//! - [`Operator<S>`]: the same, or a signed-in admin (a browser session counts as holding every
//!   scope): the routes an admin also uses from the browser (export, webhooks, routing, audit).
//!   `Operator` alone means `Operator<need::Admin>`.
//!
//! A token without the scope gets 403 with `"scope": "<name>"` in the error JSON.
//!
//! A token may be limited to projects (`api_tokens.projects`). Only the routes that keep to a
//! caller's projects take such a token: they ask for [`ProjectPipeline<S>`] or
//! [`ProjectOperator<S>`], which hand the route the limit. Every other route's [`Pipeline`] and
//! [`Operator`] refuse it (403), so a route that serves every project cannot forget the limit.

use super::error::ApiError;
use app::audit::Actor;
use app::auth::{sha256, user_from_headers};
use app::state::AppState;
use axum::extract::FromRequestParts;
use http::request::Parts;
use std::marker::PhantomData;

/// Prefix of every token, so a leaked one is easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "loupe_";

/// What a token may do. Scopes are independent: `admin` does not include `read` or `ingest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Scope {
    /// Send model outputs and end-user feedback.
    Ingest,
    /// Read tasks, the feedback feed and exports.
    Read,
    /// Change routing settings, manage webhooks, read the audit log.
    Admin,
}

impl Scope {
    /// Every scope, in the order they are shown.
    pub const ALL: [Scope; 3] = [Scope::Ingest, Scope::Read, Scope::Admin];

    /// The name stored in `api_tokens.scopes` and shown to people.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    /// The scope named `name`, if any.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The scope a route needs, as a type (see [`Pipeline`] and [`Operator`]).
pub trait Need: Send + Sync + 'static {
    /// `None`: any valid token will do.
    const SCOPE: Option<Scope>;
}

/// The scope markers for [`Pipeline`] and [`Operator`].
pub mod need {
    use super::{Need, Scope};

    /// The `ingest` scope.
    pub struct Ingest;
    /// The `read` scope.
    pub struct Read;
    /// The `admin` scope.
    pub struct Admin;
    /// Any valid token, whatever its scopes.
    pub struct Any;

    impl Need for Ingest {
        const SCOPE: Option<Scope> = Some(Scope::Ingest);
    }
    impl Need for Read {
        const SCOPE: Option<Scope> = Some(Scope::Read);
    }
    impl Need for Admin {
        const SCOPE: Option<Scope> = Some(Scope::Admin);
    }
    impl Need for Any {
        const SCOPE: Option<Scope> = None;
    }
}

/// An API caller holding a token with the scope `S` needs, not limited to projects.
#[derive(Debug)]
pub struct Pipeline<S: Need = need::Any> {
    pub token_id: i64,
    /// The token's name, for the audit trail.
    pub name: String,
    /// Every scope the token holds.
    pub scopes: Vec<Scope>,
    need: PhantomData<S>,
}

impl<S: Need> FromRequestParts<AppState> for Pipeline<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = ProjectPipeline::<S>::from_request_parts(parts, state).await?;
        if caller.projects.is_some() {
            return Err(ApiError::ProjectLimited);
        }
        Ok(caller.token)
    }
}

/// An API caller holding a token with the scope `S` needs, which may be limited to projects:
/// for the routes that keep to them.
#[derive(Debug)]
pub struct ProjectPipeline<S: Need = need::Any> {
    pub token: Pipeline<S>,
    /// The projects the token is limited to; `None`: every project.
    pub projects: Option<Vec<i64>>,
}

impl<S: Need> FromRequestParts<AppState> for ProjectPipeline<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| t.starts_with(TOKEN_PREFIX))
            .ok_or(ApiError::Unauthorized)?;
        // Touch last_used_at at most once a minute per token, not on every request.
        let row = sqlx::query!(
            "with t as (
                 select id, name, scopes, projects, last_used_at from api_tokens
                 where token_hash = $1 and revoked_at is null
             ), touched as (
                 update api_tokens set last_used_at = now()
                 where id in (select id from t
                              where last_used_at is null
                                 or last_used_at < now() - interval '1 minute')
             )
             select id, name, scopes, projects from t",
            sha256(token)
        )
        .fetch_optional(&state.pool)
        .await?
        .ok_or(ApiError::Unauthorized)?;
        // The table's check admits only known names.
        let scopes: Vec<Scope> = row.scopes.iter().filter_map(|s| Scope::parse(s)).collect();
        if let Some(needed) = S::SCOPE
            && !scopes.contains(&needed)
        {
            return Err(ApiError::MissingScope(needed.as_str()));
        }
        Ok(ProjectPipeline {
            token: Pipeline {
                token_id: row.id,
                name: row.name,
                scopes,
                need: PhantomData,
            },
            projects: row.projects,
        })
    }
}

/// A token with the scope `S` needs, not limited to projects, or a signed-in admin (reviewers
/// and project admins get 403, anonymous callers 401), and who that is for the audit trail.
/// `Operator` alone needs the `admin` scope.
pub struct Operator<S: Need = need::Admin> {
    pub actor: Actor,
    need: PhantomData<S>,
}

impl<S: Need> FromRequestParts<AppState> for Operator<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = ProjectOperator::<S>::from_request_parts(parts, state).await?;
        // A route that serves every project: neither a token limited to projects nor a project
        // admin (signed in, so a plain 403) may use it.
        if caller.projects.is_some() {
            return Err(if parts.headers.contains_key(http::header::AUTHORIZATION) {
                ApiError::ProjectLimited
            } else {
                ApiError::Forbidden
            });
        }
        Ok(Operator {
            actor: caller.actor,
            need: PhantomData,
        })
    }
}

/// [`Operator`] for a route that keeps to the caller's projects: a token that may be limited to
/// projects, a signed-in admin (every project), or a signed-in project admin (their projects).
pub struct ProjectOperator<S: Need = need::Admin> {
    pub actor: Actor,
    /// The projects the token is limited to; `None`: every project.
    pub projects: Option<Vec<i64>>,
    need: PhantomData<S>,
}

impl<S: Need> FromRequestParts<AppState> for ProjectOperator<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts.headers.contains_key(http::header::AUTHORIZATION) {
            let token = ProjectPipeline::<S>::from_request_parts(parts, state).await?;
            return Ok(ProjectOperator {
                actor: Actor::token(token.token.token_id, &token.token.name),
                projects: token.projects,
                need: PhantomData,
            });
        }
        let Some(user) = user_from_headers(state, &parts.headers).await? else {
            return Err(ApiError::Unauthorized);
        };
        // An admin: every project. A project admin: theirs. Anyone else: nothing here.
        match app::project::administered(&state.pool, &user).await? {
            Some(projects) if projects.is_empty() => Err(ApiError::Forbidden),
            projects => Ok(ProjectOperator {
                actor: Actor::user(&user),
                projects,
                need: PhantomData,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_round_trip_and_unknown_names_are_none() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("Admin"), None);
        assert_eq!(Scope::parse("write"), None);
    }
}
