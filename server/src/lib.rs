//! The Loupe server as a library: the router, the REST API, the embedded PostgreSQL cluster and
//! the command-line tasks. `main.rs` only parses arguments and calls in here, so the integration
//! tests drive exactly the router users get.

/// `/api/v1` and `/feedback`: the JSON API for pipelines.
pub mod api;
/// Command-line tasks: users, tokens, demo data.
pub mod cli;
/// What the `loupe` subcommands print.
pub mod commands;
/// Command-line and environment settings.
pub mod config;
/// Cross-site request forgery: unsafe requests must come from Loupe's own pages.
pub mod csrf;
/// Connecting to PostgreSQL: the embedded cluster or `DATABASE_URL`.
pub mod db;
/// Sending webhook deliveries from the outbox, in the background.
pub mod delivery_worker;
/// The demo data set.
pub mod demo;
/// A private PostgreSQL cluster in Loupe's data folder.
pub mod embedded;
/// Exports of feedback and training data, streamed (`GET /api/v1/export`, `loupe export`).
pub mod export;
/// Publishable feedback keys (`lpk_…`): the browser's one credential, and its origins.
pub mod feedback_keys;
/// Signing the error a form posted without scripts is sent back with.
pub mod fn_status;
/// One server per data folder: the folder's lock.
pub mod folder_lock;
pub mod form_errors;
/// Synthetic review history for the demo and the benchmarks.
pub mod generate;
/// Security headers on every answer: CSP with a per-request nonce, framing, caching.
pub mod headers;
/// `loupe import`: outputs from a JSON Lines file.
pub mod import;
/// Turning pipeline outputs into tasks, routed and stored.
pub mod ingest;
/// `loupe serve`: from the command line to a running server, and back down.
pub mod launch;
/// Building Loupe (state, router, background work) for `loupe serve` and the tests. (Not
/// `app`: that name is the isomorphic crate's.)
pub mod loupe;
/// `GET /metrics` (Prometheus text format) and the timing of every request by route.
pub mod metrics;
/// The login guard in front of the browser pages.
pub mod page_guard;
/// Progress lines for long CLI tasks.
pub mod progress;
/// The request id: the client's sane `x-request-id` or a new one, in the log span and the answer.
pub mod request_id;
/// Checks every request gets first: storable text in URLs and server-function forms.
pub mod requests;
/// Text search after ingest: each task's words parsed once, in the background.
pub mod search_worker;
/// Serving the router with time and size limits at the edge.
pub mod serve;
/// Stopping on a signal, with a deadline for requests in progress.
pub mod shutdown;
/// Restarting the private PostgreSQL when it dies.
pub mod supervise;
/// Computing source-support hints in the background, once per task.
pub mod support_worker;
/// Sweeping lapsed sessions and login-throttle rows, periodically.
pub mod sweep;
/// `GET /widget.js`: the embeddable feedback widget.
pub mod widget;

use app::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use http::StatusCode;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The database schema, applied at start and by `#[sqlx::test]`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The page routes, generated once per process. Generating them renders the app with resource
/// loading suppressed through a process-wide flag (leptos_server's `SuppressResourceLoad`): a
/// resource another router's render first polls during that window waits forever. Building a
/// second router (the tests build one per test, in parallel) must not reopen that window.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// The whole HTTP surface: pages, server functions, the JSON API, health and static files.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let leptos_options = state.leptos_options.clone();

    // The Leptos pages, and the server functions they call (leptos_routes mounts both).
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || {
                    provide_context(state.clone());
                    headers::provide_nonce_to_leptos();
                }
            },
            {
                let options = leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            page_guard::guard,
        ))
        // A server function's refusal answers with its own status, not Leptos's 500.
        .route_layer(axum::middleware::from_fn(fn_status::statuses));

    // The built assets, with the .br / .gz copies scripts/build.sh writes beside them: a browser
    // gets the smallest encoding it accepts, compressed once at build time.
    let pkg = std::path::Path::new(&*leptos_options.site_root).join(&*leptos_options.site_pkg_dir);
    let assets = ServeDir::new(pkg).precompressed_br().precompressed_gzip();

    Router::new()
        .route("/", get(|| async { Redirect::to("/review") }))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::scrape))
        .route(widget::PATH, get(widget::script))
        .merge(api::router(&state))
        .merge(pages)
        .nest_service(&format!("/{}", leptos_options.site_pkg_dir), assets)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(headers::provide_nonce_to_leptos, app::shell))
        // NUL in a URL or a server function's form is a 422 naming the field, before any handler.
        .layer(axum::middleware::from_fn(requests::check))
        // A page shows only form errors this server signed; refusals it sends back are signed.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            form_errors::check,
        ))
        // Unsafe requests a browser sends with Loupe's cookie must come from Loupe's own pages;
        // JSON routes take only JSON. Checked before any body is read.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::check,
        ))
        // Pages and JSON are compressed as they go out, at a fast setting; responses that are
        // already encoded (the assets above) pass through untouched.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        // Inside the trace, request-id and security-header layers, so a timed-out request is
        // logged, answered with its id and carries the same headers as every other answer.
        .layer(axum::middleware::from_fn_with_state(
            state.settings.request_timeout,
            serve::request_timeout,
        ))
        // One line per request at info (method, path, status, latency); never headers or bodies,
        // which carry tokens, cookies and documents. The span carries the request id, so every
        // line logged while serving the request does.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &http::Request<axum::body::Body>| {
                    let id = req.headers().get(request_id::HEADER);
                    tracing::info_span!("request",
                        method = %req.method(),
                        uri = %req.uri(),
                        version = ?req.version(),
                        request_id = id.and_then(|v| v.to_str().ok()).unwrap_or_default())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        // Outside the trace layer, which reads the id it settles.
        .layer(axum::middleware::from_fn(request_id::assign))
        // Every answer timed by route pattern, refusals included.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        // Outermost, so every answer (refusals and errors included) carries them.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::add,
        ))
        .with_state(state)
}

/// 200 once the database answers; 503 otherwise. For load balancers and start-up scripts.
async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar!("select 1 as \"one!\"")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok"})),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "database unavailable"})),
            )
                .into_response()
        }
    }
}
