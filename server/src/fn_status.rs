//! Server functions' refusals answered with the HTTP status they mean. Leptos sends every error a
//! server function returns as a 500 (with its body, the error as JSON, and the `serverfnerror`
//! header); so a reviewer's out-of-range rating or a reviewer calling an admin's function looked,
//! to logs, proxies and monitoring, like the server failing. This middleware reads such an
//! answer's error and sets its status: 401 without a session, 403 refused, 404 not found, 409 for
//! a state that moved on, 422 for a field that broke a rule; only a real failure stays a 500.
//! The body is untouched, and the browser's client decodes any 4xx or 5xx as the error.

use app::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;

/// The header Leptos puts on a server function's error answer.
const ERROR_HEADER: &str = "serverfnerror";

/// The largest error body read (errors are a few hundred bytes; this only bounds the read).
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// The status an error means.
pub fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Internal | AppError::Transport => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub async fn statuses(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = status_of(&error);
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_a_4xx_and_only_a_failure_a_500() {
        assert_eq!(
            status_of(&AppError::invalid("rating", "must be 1 to 5")),
            422
        );
        assert_eq!(status_of(&AppError::Forbidden), 403);
        assert_eq!(status_of(&AppError::Unauthorized), 401);
        assert_eq!(status_of(&AppError::NotFound("task".into())), 404);
        assert_eq!(status_of(&AppError::Conflict("lease ended".into())), 409);
        assert_eq!(status_of(&AppError::Internal), 500);
    }
}
