//! The guard in front of every browser page: anonymous visitors are sent to the login page,
//! reviewers get a 403 for the admin area (but for a project admin's part of it: `/admin` and
//! `/admin/tasks…`). Server functions check again on their own (this guard
//! only covers full page loads), so the page's data never depends on it.

use app::auth::user_from_headers;
use app::domain::Role;
use app::state::AppState;
use app::url::encode_query_value;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;

/// Pages anyone may open.
const PUBLIC: &[&str] = &["/login"];

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    // leptos_routes also mounts the server functions (under /api); they check their caller
    // themselves and answer with errors, not redirects.
    if PUBLIC.contains(&path.as_str()) || path.starts_with("/api/") {
        return next.run(request).await;
    }
    let user = match user_from_headers(&state, request.headers()).await {
        Ok(user) => user,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    match user {
        None => {
            let next_path = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/review");
            Redirect::to(&format!(
                "/login?next={}",
                encode_query_value(next_path, true)
            ))
            .into_response()
        }
        Some(user) if path.starts_with("/admin") && user.role != Role::Admin => {
            // A project admin's part of the admin area: the settings on /admin and the task
            // list with its tasks (each server function keeps them to their projects).
            let theirs =
                path == "/admin" || path == "/admin/tasks" || path.starts_with("/admin/tasks/");
            if theirs {
                match app::project::administered(&state.pool, &user).await {
                    Ok(Some(projects)) if !projects.is_empty() => return next.run(request).await,
                    Ok(_) => {}
                    Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
                }
            }
            // Render the page (it explains the refusal) but answer 403.
            let mut response = next.run(request).await;
            *response.status_mut() = StatusCode::FORBIDDEN;
            response
        }
        Some(_) => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_is_encoded_as_one_query_value() {
        assert_eq!(
            super::encode_query_value("/admin?x=1&y=2", true),
            "/admin%3Fx%3D1%26y%3D2"
        );
    }
}
