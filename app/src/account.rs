//! Signing in and out, changing one's own password, and who the page is talking to: the account
//! server functions.

use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Shortest password accepted, from the CLI and from the account page.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The signed-in person, as the page needs them (for the header and cosmetic links).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    pub role: Role,
    /// Their password was generated for them: the header asks them to choose their own.
    pub must_change_password: bool,
    /// They run at least one project (a project admin): the header links to their part of the
    /// admin area.
    #[serde(default)]
    pub project_admin: bool,
}

/// Where to go after login: only a path on this site, so a crafted link cannot bounce a reviewer
/// to another origin. Anything else, or anything odd, goes to `/review`.
///
/// Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` would
/// become `//evil.example` (another host); and a control character cannot go into a `Location`
/// header at all. So the path must be printable ASCII without `\`, start with exactly one `/`,
/// and parse as a URL path.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path
                    .bytes()
                    .all(|b| (0x21..=0x7e).contains(&b) && b != b'\\')
                && path.parse::<http::uri::PathAndQuery>().is_ok()
                && !carries_form_error(path) =>
        {
            path.to_owned()
        }
        _ => "/review".to_owned(),
    }
}

/// Whether a path's query could hold one of the parameters a refused form's error travels in
/// (`__path`, `__err`, `__sig`, however percent-encoded): a `next` with them would make the
/// redirect after login look like a refused form of another page. Loupe's own links never put
/// `__` in a query, so any is refused.
fn carries_form_error(path: &str) -> bool {
    path.split_once('?').is_some_and(|(_, query)| {
        query
            .to_ascii_lowercase()
            .replace("%5f", "_")
            .contains("__")
    })
}

/// Checks a username and password, starts a session and redirects to `next`.
///
/// Guessing is throttled per username and per client address (see [`crate::throttle`]): a
/// throttled attempt is refused before any hashing, with `429` and `Retry-After`, and the form
/// shows when to try again beside the password field. Every refusal is logged at warn with the
/// (escaped) username and the client address, never the password.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::auth::{create_session, loggable, session_cookie, valid_username, verify_password};
    use crate::state::expect_state;
    use crate::throttle;
    use http::StatusCode;

    let username = username.trim().to_lowercase();
    if username.is_empty() {
        return Err(AppError::invalid("username", "enter your username"));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "enter your password"));
    }
    let state = expect_state();
    let client = client_address(&state);
    let shown_client = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    if !valid_username(&username) {
        // No account can have this name: refused before any query or hash, counted nowhere.
        tracing::warn!(username = %loggable(&username), client = %shown_client,
            "sign-in refused: not a valid username");
        refuse(StatusCode::UNPROCESSABLE_ENTITY, None);
        return Err(AppError::invalid(
            "username",
            "no account has this name (usernames are 2-63 lowercase letters, digits, '.', '_' or '-')",
        ));
    }
    let address = client.map(crate::client_addr::throttle_key);
    let throttled = |t: throttle::Throttled| {
        tracing::warn!(%username, client = %shown_client, rule = %t.scope.as_str(),
            retry_after_secs = t.retry_after_secs, "sign-in throttled");
        refuse(StatusCode::TOO_MANY_REQUESTS, Some(t.retry_after_secs));
        AppError::invalid("password", t.message())
    };
    if let Some(t) = throttle::check(&state.pool, &username, address.as_deref()).await? {
        return Err(throttled(t));
    }
    let row = sqlx::query!(
        "select id, password_hash from users where username = $1 and not disabled",
        username
    )
    .fetch_optional(&state.pool)
    .await?;
    let slot = match state.settings.password_hashing.acquire().await {
        Ok(slot) => slot,
        Err(busy) => {
            tracing::warn!(%username, client = %shown_client,
                "sign-in refused: every password hashing slot is busy");
            refuse(StatusCode::SERVICE_UNAVAILABLE, Some(busy.retry_after_secs));
            return Err(AppError::invalid(
                "password",
                "Loupe is checking too many sign-ins at once; try again in a few seconds",
            ));
        }
    };
    // Again, now that a slot is ours: during a flood, many attempts pass the first check while
    // the first few failures are still being hashed; they must not all get a guess.
    if let Some(t) = throttle::check(&state.pool, &username, address.as_deref()).await? {
        return Err(throttled(t));
    }
    // Verify even for an unknown name, so timing does not tell which usernames exist.
    let (user_id, stored) = match row {
        Some(r) => (Some(r.id), Some(r.password_hash)),
        None => (None, None),
    };
    // The slot is held until the outcome is counted (see `verify_password`).
    let (verified, _slot) = verify_password(slot, password, stored).await;
    let Some(user_id) = user_id.filter(|_| verified) else {
        throttle::record_failure(
            &state.pool,
            &state.settings.login_throttle,
            &username,
            address.as_deref(),
        )
        .await?;
        tracing::warn!(%username, client = %shown_client,
            "sign-in refused: wrong username or password");
        refuse(StatusCode::UNAUTHORIZED, None);
        return Err(AppError::invalid("password", "wrong username or password"));
    };
    throttle::record_success(&state.pool, &username).await?;
    let secret = create_session(&state.pool, user_id, state.settings.session_ttl).await?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.append_header(
        http::header::SET_COOKIE,
        session_cookie(Some(&secret), state.settings.secure_cookies)
            .parse()
            .map_err(|_| AppError::Internal)?,
    );
    tracing::info!(%username, client = %shown_client, "signed in");
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// The address of the client this server function is answering (see [`crate::client_addr`]).
/// `None` only when the server was started without connection info, which is logged.
#[cfg(feature = "ssr")]
fn client_address(state: &crate::state::AppState) -> Option<std::net::IpAddr> {
    let parts = use_context::<http::request::Parts>()?;
    let Some(peer) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
    else {
        tracing::warn!(
            "no peer address on the request (serve with connect info); login is throttled per username only"
        );
        return None;
    };
    Some(crate::client_addr::client_ip(
        peer.0.ip(),
        &parts.headers,
        &state.settings.trusted_proxies,
    ))
}

/// Marks the answer to a refused sign-in: `status` for callers that read it (the page's script,
/// other programs), and `Retry-After` when trying again later will help. A plain HTML form post
/// keeps the redirect back to the form instead, which is how it shows the message without
/// scripts. (Without a status, a refusal would go out as a 500, which the request log reports
/// as a server failure on every wrong password.)
#[cfg(feature = "ssr")]
fn refuse(status: http::StatusCode, retry_after_secs: Option<u64>) {
    let response = expect_context::<leptos_axum::ResponseOptions>();
    if let Some(secs) = retry_after_secs {
        response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
    }
    // The same test leptos_axum uses to decide on that redirect.
    let plain_form = use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if !plain_form {
        response.set_status(status);
    }
}

/// Ends the current session and returns to the login page.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::auth::{delete_session, session_cookie, session_secret};
    use crate::state::expect_state;

    let state = expect_state();
    if let Some(parts) = use_context::<http::request::Parts>()
        && let Some(secret) = session_secret(&parts.headers, state.settings.secure_cookies)
    {
        delete_session(&state.pool, &secret).await?;
    }
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.append_header(
        http::header::SET_COOKIE,
        session_cookie(None, state.settings.secure_cookies)
            .parse()
            .map_err(|_| AppError::Internal)?,
    );
    leptos_axum::redirect("/login");
    Ok(())
}

/// Changes the signed-in person's own password: the current one must be right (checked like a
/// sign-in, and throttled with sign-ins per username, so a session left open is not a free
/// password-guessing oracle), the new one long enough and typed twice alike. Every session of the
/// account ends, this one included, and this browser gets a fresh one: a thief holding any
/// session secret, even this one's, is out, and the person changing it stays signed in. Audited as
/// `user.password_change`. Answers with a redirect to `/account?changed` (the page says so), for
/// the island and a plain form post alike.
#[server(prefix = "/api", endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    repeat_password: String,
) -> Result<(), AppError> {
    use crate::auth::{
        MIN_PASSWORD_CHARS, create_session, current_user, hash_password, session_cookie,
        verify_password,
    };
    use crate::state::expect_state;
    use crate::throttle;
    use http::StatusCode;

    let user = current_user().await?;
    let state = expect_state();
    let invalid = |field: &str, message: &str| {
        refuse(StatusCode::UNPROCESSABLE_ENTITY, None);
        AppError::invalid(field, message)
    };
    if current_password.is_empty() {
        return Err(invalid("current_password", "enter your current password"));
    }
    if new_password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(invalid(
            "new_password",
            &format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if new_password != repeat_password {
        return Err(invalid(
            "repeat_password",
            "does not match the new password",
        ));
    }
    if new_password == current_password {
        return Err(invalid(
            "new_password",
            "must differ from the current password",
        ));
    }
    let throttled = |t: throttle::Throttled| {
        refuse(StatusCode::TOO_MANY_REQUESTS, Some(t.retry_after_secs));
        AppError::invalid("current_password", t.message())
    };
    if let Some(t) = throttle::check(&state.pool, &user.username, None).await? {
        return Err(throttled(t));
    }
    let stored = sqlx::query_scalar!("select password_hash from users where id = $1", user.id)
        .fetch_one(&state.pool)
        .await?;
    let slot = match state.settings.password_hashing.acquire().await {
        Ok(slot) => slot,
        Err(busy) => {
            refuse(StatusCode::SERVICE_UNAVAILABLE, Some(busy.retry_after_secs));
            return Err(AppError::invalid(
                "current_password",
                "Loupe is checking too many passwords at once; try again in a few seconds",
            ));
        }
    };
    let (verified, slot) = verify_password(slot, current_password, Some(stored)).await;
    if !verified {
        throttle::record_failure(
            &state.pool,
            &state.settings.login_throttle,
            &user.username,
            None,
        )
        .await?;
        tracing::warn!(username = %user.username, "password change refused: wrong current password");
        return Err(invalid("current_password", "wrong password"));
    }
    // The slot that checked the current password hashes the new one (a verified check always
    // hands it back).
    let hash = hash_password(slot.ok_or(AppError::Internal)?, new_password).await?;
    let mut tx = state.pool.begin().await?;
    sqlx::query!(
        "update users set password_hash = $2, must_change_password = false where id = $1",
        user.id,
        hash
    )
    .execute(&mut *tx)
    .await?;
    // This session included: it is replaced below (its secret may be what a thief holds).
    let ended = sqlx::query!("delete from sessions where user_id = $1", user.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    crate::audit::record(
        &mut tx,
        &crate::audit::Actor::user(&user),
        crate::audit::Action::UserPasswordChange,
        &user.username,
        None,
        Some(serde_json::json!({ "sessions_ended": ended })),
    )
    .await?;
    tx.commit().await?;
    let secret = create_session(&state.pool, user.id, state.settings.session_ttl).await?;
    expect_context::<leptos_axum::ResponseOptions>().append_header(
        http::header::SET_COOKIE,
        session_cookie(Some(&secret), state.settings.secure_cookies)
            .parse()
            .map_err(|_| AppError::Internal)?,
    );
    throttle::record_success(&state.pool, &user.username).await?;
    tracing::info!(username = %user.username, sessions_ended = ended, "password changed; this browser has a fresh session");
    leptos_axum::redirect("/account?changed");
    Ok(())
}

/// The signed-in person, or `None` for an anonymous visitor.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    match crate::auth::current_user().await {
        Ok(user) => {
            let pool = crate::state::expect_state().pool;
            let project_admin = crate::project::administered(&pool, &user)
                .await?
                .is_some_and(|p| !p.is_empty());
            Ok(Some(Me {
                username: user.username,
                role: user.role,
                must_change_password: user.must_change_password,
                project_admin,
            }))
        }
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
        assert_eq!(
            safe_next(Some("/admin/tasks/1?x=%2F")),
            "/admin/tasks/1?x=%2F"
        );
    }

    #[test]
    fn next_never_leaves_the_site_or_carries_control_characters() {
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/\u{1}",
            "/\u{7f}",
            "/\\/evil.example",
            "\\\\evil.example",
            "/é",
            "",
            "evil.example",
            "http:/evil.example",
            "/review\u{0}",
            "/account?__path=%2Fapi%2Faccount%2Fpassword&__err=Zm9yZ2Vk",
            "/review?x=1&%5F%5Ferr=Zm9yZ2Vk",
            "/review?x=1&_%5fsig=1",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/review", "{hostile:?}");
        }
    }
}
