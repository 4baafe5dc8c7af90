//! The one carrier of server-side dependencies (`AppState`) and the settings server functions read.
//!
//! Built once by the server binary; REST handlers take it through axum's `State`, server
//! functions and SSR through Leptos context (`expect_state`). Nothing is global.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// Settings the request handlers need; parsed from the command line / environment by the server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a reviewer holds a claimed task before it goes back to the queue.
    pub lease: Duration,
    /// How long a browser session lasts after login, however busy (the absolute lifetime).
    pub session_ttl: Duration,
    /// How long a browser session may go unused before it ends (the idle timeout).
    pub session_idle: Duration,
    /// Mark the session cookie `Secure` and name it `__Host-loupe_session` (on unless Loupe is
    /// served over plain HTTP on loopback; see the server's `--secure-cookies`).
    pub secure_cookies: bool,
    /// Loupe's own origin as browsers see it (`https://loupe.example.com`), from the public URL;
    /// `None` means "the host a request was sent to". Decides which pages may post (CSRF).
    pub public_origin: Option<String>,
    /// Send `Strict-Transport-Security` (the public URL is HTTPS).
    pub hsts: bool,
    /// Signs the error a form posted without scripts is sent back with (`?__err=`), so a link
    /// cannot make a page show text of its author's choosing. Shared by replicas (stored in the
    /// database); random by default.
    pub form_error_key: crate::auth::SigningKey,
    /// Largest document a pipeline may send, in bytes.
    pub max_document_bytes: usize,
    /// How long a skipped task stays away from the reviewer who skipped it.
    pub skip_cooldown: Duration,
    /// The lease on a task claimed in the background (the next one up). Short, because the
    /// open page renews it every [`crate::review::RENEW_EVERY_SECS`]; a closed tab frees the task
    /// within this time even when the page could not say goodbye.
    pub prefetch_lease: Duration,
    /// Summary sentences whose source support scores under this are marked as weak.
    pub weak_support: f64,
    /// Proxies whose `X-Forwarded-For` names the client (none by default: the peer is the client).
    pub trusted_proxies: crate::client_addr::TrustedProxies,
    /// How failed sign-ins are throttled, per username and per client address.
    pub login_throttle: crate::throttle::Policy,
    /// The bound on concurrent password hashing (shared by every clone of these settings).
    pub password_hashing: crate::auth::HashSlots,
    /// Largest summary a pipeline may send, in bytes (the document has its own limit).
    pub max_summary_bytes: usize,
    /// Exports that may stream at once; each holds a database connection while it runs.
    pub max_exports: usize,
    /// How long an export waits for a client that reads nothing before it ends the export and
    /// releases its database connection.
    pub export_stall: Duration,
    /// Which hosts webhook endpoints may point at (public addresses, plus the allow-list).
    pub outbound: crate::outbound::Policy,
    /// A request whose response head is not ready within this (its body read included) is
    /// answered 503; a streamed body is not cut by it.
    pub request_timeout: Duration,
    /// How many requests a publishable feedback key, and one client address, may send.
    pub key_rate: crate::key_rate::KeyRate,
}

impl Settings {
    /// The session cookie's name under these settings.
    pub fn session_cookie_name(&self) -> &'static str {
        crate::auth::session_cookie_name(self.secure_cookies)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lease: Duration::from_secs(15 * 60),
            session_ttl: Duration::from_secs(12 * 3600),
            session_idle: Duration::from_secs(120 * 60),
            secure_cookies: false,
            public_origin: None,
            hsts: false,
            form_error_key: Default::default(),
            max_document_bytes: 1_000_000,
            skip_cooldown: Duration::from_secs(3600),
            prefetch_lease: Duration::from_secs(90),
            weak_support: crate::support::DEFAULT_WEAK_BELOW,
            trusted_proxies: Default::default(),
            login_throttle: Default::default(),
            password_hashing: Default::default(),
            max_summary_bytes: crate::support::DEFAULT_MAX_SUMMARY_BYTES,
            max_exports: 4,
            export_stall: Duration::from_secs(30),
            outbound: Default::default(),
            request_timeout: Duration::from_secs(60),
            key_rate: Default::default(),
        }
    }
}

/// Everything a handler may depend on. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    /// The counters and histograms `GET /metrics` reports.
    pub metrics: crate::metrics::Metrics,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

/// The state provided to server functions and SSR; its absence is a wiring bug, not a user error.
pub fn expect_state() -> AppState {
    leptos::prelude::expect_context::<AppState>()
}
