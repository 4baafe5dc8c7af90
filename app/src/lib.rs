//! Loupe's isomorphic crate: the pages, their server functions and the types both sides share.
//!
//! Compiled twice: with `ssr` into the server (server-function bodies, SQL, auth) and with
//! `hydrate` into the browser's WASM. Pages are rendered on the server; only the components marked
//! `#[island]` (the review desk, the forms that answer in place) are hydrated, so only they and the
//! server-function clients they call are in the WASM. Every link is a page load.

#![recursion_limit = "256"]

/// Signing in and out (server functions).
pub mod account;
/// The audit trail of admin actions: recording, reading, the `/admin/audit` page's data.
pub mod audit;
/// Passwords, sessions and the guards every server function starts with.
#[cfg(feature = "ssr")]
pub mod auth;
/// The client address behind a request, and which proxies may name it.
#[cfg(feature = "ssr")]
pub mod client_addr;
/// The admin dashboard's figures and the server functions behind them.
pub mod dashboard;
/// Word-level diff of a corrected summary against the AI's.
pub mod diff;
/// Ratings, verdicts, routing reasons and roles as parsed types.
pub mod domain;
/// End users of the AI product: their signals, the rule that sends an output back to review,
/// and what the review page shows of them.
pub mod end_users;
/// The error type server functions return.
pub mod error;
/// Error tags: the configurable list of mistake kinds.
pub mod error_tags;
/// The admin's escalation queue.
pub mod escalations;
/// Review guidelines, edited by admins, opened by reviewers.
pub mod guidelines;
/// Lowercase hex text of bytes (secrets, MACs, signatures).
#[cfg(feature = "ssr")]
pub mod hex;
/// A reviewer's own last reviews, and amending one.
pub mod history;
/// Escaping text for HTML written as strings.
pub mod html;
/// Rate limits of publishable feedback keys, per key and per client address.
#[cfg(feature = "ssr")]
pub mod key_rate;
/// Counters and histograms for `GET /metrics`, and the text format they are written in.
#[cfg(feature = "ssr")]
pub mod metrics;
/// Which hosts Loupe's own outbound requests (webhooks) may reach.
#[cfg(feature = "ssr")]
pub mod outbound;
/// A task as pipelines see it, and the webhook outbox.
#[cfg(feature = "ssr")]
pub mod outbox;
/// The pages.
pub mod pages;
/// Projects: what outputs belong to and who reviews them.
pub mod project;
/// The reviewer's queue page: what is waiting, and my day.
pub mod queue;
/// The review desk's server functions: claiming by lease, submitting a review, skipping.
pub mod review;
/// Which outputs a person must see, and the settings per model that decide it.
pub mod routing;
/// Times as they leave Loupe: RFC 3339, UTC, milliseconds.
#[cfg(feature = "ssr")]
pub mod stamp;
/// `AppState` and its settings.
#[cfg(feature = "ssr")]
pub mod state;
/// Calibration error, intervals, agreement and edit distance over aggregated counts.
pub mod stats;
/// How well the source supports each summary sentence (the review page's hints).
pub mod support;
/// A task's lifecycle: its statuses, the lease, and what counts as waiting.
pub mod task;
/// A task as pipelines see it: `GET /api/v1/tasks/{id}` and every webhook event's `task`.
#[cfg(feature = "ssr")]
pub mod task_doc;
/// Login throttling: failed sign-ins counted per username and per address.
#[cfg(feature = "ssr")]
pub mod throttle;
/// Percent-encoding for query values.
pub mod url;
/// Webhook endpoints and their delivery log.
pub mod webhooks;

use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The router: every page Loupe serves.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="loupe" href="/pkg/loupe.css" />
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Title formatter=|page: String| format!("{page} · Loupe") />
        <Router>
            // Pages wait for their data before the first byte (`Async`), so the HTML is complete
            // without JavaScript and a redirect or status code can still be set.
            <Routes fallback=pages::NotFound>
                <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async />
                <Route path=path!("/review") view=pages::review::ReviewPage ssr=SsrMode::Async />
                <Route path=path!("/queue") view=pages::queue::QueuePage ssr=SsrMode::Async />
                <Route path=path!("/history") view=pages::history::HistoryPage ssr=SsrMode::Async />
                <Route path=path!("/account") view=pages::account::AccountPage ssr=SsrMode::Async />
                <Route path=path!("/admin") view=pages::admin::AdminPage ssr=SsrMode::Async />
                <Route path=path!("/admin/tasks") view=pages::tasks::TasksPage ssr=SsrMode::Async />
                <Route path=path!("/admin/tasks/:id") view=pages::task::TaskPage ssr=SsrMode::Async />
                <Route path=path!("/admin/webhooks") view=pages::webhook_admin::WebhooksAdminPage ssr=SsrMode::Async />
                <Route path=path!("/admin/escalations") view=pages::escalations::EscalationsPage ssr=SsrMode::Async />
                <Route path=path!("/admin/audit") view=pages::audit::AuditPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
