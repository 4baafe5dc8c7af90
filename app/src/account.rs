//! Signing in and out, and who the page is talking to: the account server functions.

use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in person, as the page needs them (for the header and cosmetic links).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    pub role: Role,
}

/// Where to go after login: only a path on this site, so a crafted link cannot bounce a reviewer
/// to another origin.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/review".to_owned(),
    }
}

/// Checks a username and password, starts a session and redirects to `next`.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::auth::{create_session, session_cookie, verify_password};
    use crate::state::expect_state;

    let username = username.trim().to_lowercase();
    if username.is_empty() {
        return Err(AppError::invalid("username", "enter your username"));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "enter your password"));
    }
    let state = expect_state();
    let row = sqlx::query!(
        "select id, password_hash from users where username = $1 and not disabled",
        username
    )
    .fetch_optional(&state.pool)
    .await?;
    // Verify even for an unknown name, so timing does not tell which usernames exist.
    let (user_id, stored) = match row {
        Some(r) => (Some(r.id), Some(r.password_hash)),
        None => (None, None),
    };
    let verified = verify_password(password, stored).await;
    let Some(user_id) = user_id.filter(|_| verified) else {
        return Err(AppError::invalid("password", "wrong username or password"));
    };
    let secret = create_session(&state.pool, user_id, state.settings.session_ttl).await?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.append_header(
        http::header::SET_COOKIE,
        session_cookie(
            Some(&secret),
            state.settings.session_ttl,
            state.settings.secure_cookies,
        )
        .parse()
        .map_err(|_| AppError::Internal)?,
    );
    tracing::info!(%username, "signed in");
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Ends the current session and returns to the login page.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::auth::{delete_session, session_cookie, session_secret};
    use crate::state::expect_state;

    let state = expect_state();
    if let Some(parts) = use_context::<http::request::Parts>()
        && let Some(secret) = session_secret(&parts.headers)
    {
        delete_session(&state.pool, &secret).await?;
    }
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.append_header(
        http::header::SET_COOKIE,
        session_cookie(
            None,
            state.settings.session_ttl,
            state.settings.secure_cookies,
        )
        .parse()
        .map_err(|_| AppError::Internal)?,
    );
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in person, or `None` for an anonymous visitor.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    match crate::auth::current_user().await {
        Ok(user) => Ok(Some(Me {
            username: user.username,
            role: user.role,
        })),
        Err(AppError::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/admin")), "/admin");
        assert_eq!(safe_next(Some("//evil.example")), "/review");
        assert_eq!(safe_next(Some("https://evil.example")), "/review");
        assert_eq!(safe_next(Some("/\\evil.example")), "/review");
        assert_eq!(safe_next(None), "/review");
    }
}
