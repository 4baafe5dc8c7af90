//! The pages and the small pieces they share: the header and how an error is shown.

/// `/account`: changing one's own password.
pub mod account;
/// `/admin`: the feedback dashboard.
pub mod admin;
/// `/admin/audit`: the audit trail of admin actions.
pub mod audit;
/// SVG charts for the dashboard.
pub mod charts;
/// The dashboard's body.
pub mod dashboard_view;
/// `/admin/escalations`: escalated tasks for an admin's final verdict.
pub mod escalations;
/// `/history`: my last reviews, amendable for a while.
pub mod history;
/// `/login`.
pub mod login;
/// `/queue`: what is waiting, and my day.
pub mod queue;
/// `/review`: the reviewer's page.
pub mod review;
/// The review page's source-support hints.
pub mod support_view;
/// `/admin/tasks/:id`: one task's full history.
pub mod task;
/// `/admin/tasks`: find any output; requeue from the list.
pub mod tasks;
/// `/admin/webhooks`: endpoints and the delivery log.
pub mod webhook_admin;

use crate::account::{Logout, whoami};
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// The top bar: where you are, who you are, and the way out.
#[component]
pub fn Header() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="topbar">
            <a class="brand" href="/review">"Loupe"</a>
            <nav aria-label="Main">
                <a href="/queue">"Queue"</a>
                <a href="/review">"Review"</a>
                <a href="/history">"History"</a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        me.await.ok().flatten().map(|me| {
                            let admin = if me.role == Role::Admin {
                                Some(view! { <a href="/admin">"Admin"</a> }.into_any())
                            } else if me.project_admin {
                                Some(view! {
                                    <a href="/admin/tasks">"Tasks"</a>
                                    <a href="/admin">"Project dashboard"</a>
                                }.into_any())
                            } else {
                                None
                            };
                            // Shown on every page until the owner of a generated password
                            // chooses their own.
                            let must_change = me.must_change_password.then(|| view! {
                                <p class="notice must-change" role="status">
                                    "Your password was generated for you. "
                                    <a href="/account">"Choose your own"</a>
                                </p>
                            });
                            view! {
                                {admin}
                                <span class="who"><a href="/account" title="Your account">{me.username}</a>" · "{me.role.as_str()}</span>
                                <ActionForm action=logout attr:class="inline">
                                    <button type="submit" class="link">"Sign out"</button>
                                </ActionForm>
                                {must_change}
                            }
                        })
                    })}
                </Transition>
            </nav>
        </header>
    }
}

/// Shows an error from a server function: anonymous visitors go to the login page, everything
/// else is a message a person can act on.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthorized => {
            to_login();
            ().into_any()
        }
        AppError::Forbidden => view! {
            <section class="notice forbidden" role="alert">
                <h1>"Not allowed"</h1>
                <p>"Your account does not have access to this page. Ask an admin if you need it."</p>
            </section>
        }
        .into_any(),
        other => view! {
            <section class="notice" role="alert">
                <p>{other.to_string()}</p>
            </section>
        }
        .into_any(),
    }
}

/// A form posted without scripts that the server refused comes back as the page's URL
/// (`?__path=…&__err=…`); this is that error when it came from one of `paths`, for the form to
/// show beside its field. Read on the server, and handed to the form's island as a prop.
pub fn refused_post(paths: &[&str]) -> Option<AppError> {
    let error = use_context::<leptos::server::ServerActionError>()?;
    paths
        .contains(&error.path())
        .then(|| leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(error.err()))
}

/// Adds `name` to the page's `data-live` list once this island runs in the browser. Until then
/// its forms post as plain HTML (which works, but reloads the page), so scripts and the browser
/// tests wait for it.
pub fn mark_live(name: &'static str) {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let live = body.get_attribute("data-live").unwrap_or_default();
            let _ = body.set_attribute("data-live", format!("{live} {name}").trim_start());
        }
    });
}

/// Where a key was pressed: the element it went to, that element's tag, and whether the person
/// is typing there (a text box, a select, or an input other than a radio button or checkbox),
/// where letter keys are text and never shortcuts. Shared by every page's keys.
pub struct KeyPlace {
    pub element: Option<web_sys::HtmlElement>,
    pub tag: String,
    pub typing: bool,
}

impl KeyPlace {
    pub fn of(ev: &web_sys::KeyboardEvent) -> KeyPlace {
        use wasm_bindgen::JsCast;
        let element = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
        let tag = element.as_ref().map(|el| el.tag_name()).unwrap_or_default();
        let typing = matches!(tag.as_str(), "TEXTAREA" | "SELECT")
            || (tag == "INPUT"
                && element
                    .as_ref()
                    .and_then(|el| el.get_attribute("type"))
                    .is_none_or(|ty| !matches!(ty.as_str(), "radio" | "checkbox")));
        KeyPlace {
            element,
            tag,
            typing,
        }
    }
}

/// Sends an anonymous visitor to the login page: a redirect while the server renders, a new
/// page load in an island (the browser has no router to navigate with).
fn to_login() {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect("/login");
    #[cfg(not(feature = "ssr"))]
    let _ = window().location().set_href("/login");
}

/// Bumps `counter` each time `value` (an action's result) turns into a success, so a list
/// resource keyed on the counter reloads after one of its per-item forms succeeds.
pub fn bump_on_success(
    value: impl Get<Value = Option<Result<(), AppError>>> + Send + Sync + 'static,
    counter: RwSignal<u32>,
) {
    Effect::new(move |_| {
        if matches!(value.get(), Some(Ok(()))) {
            counter.update(|n| *n += 1);
        }
    });
}

/// A word diff as text with its removals struck through and its additions marked, each also
/// named for screen readers.
#[component]
pub fn DiffText(parts: Vec<crate::diff::Part>) -> impl IntoView {
    use crate::diff::Change;
    view! {
        <p class="diff">
            {parts
                .into_iter()
                .map(|p| match p.change {
                    Change::Same => view! { <span>{p.text}" "</span> }.into_any(),
                    Change::Removed => view! {
                        <del><span class="sr-only">"removed: "</span>{p.text}</del>" "
                    }
                    .into_any(),
                    Change::Added => view! {
                        <ins><span class="sr-only">"added: "</span>{p.text}</ins>" "
                    }
                    .into_any(),
                })
                .collect_view()}
        </p>
    }
}

/// The page for any unknown path.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="narrow">
            <h1>"Not found"</h1>
            <p>"There is no page here. " <a href="/review">"Go to the review queue"</a></p>
        </main>
    }
}
