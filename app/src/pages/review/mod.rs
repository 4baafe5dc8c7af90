//! `/review`: one task at a time — source, summary, confidence, why it was routed — and the
//! feedback form, driven by the keyboard.
//!
//! The form is a plain HTML form posting to the submit server function, so it works before the
//! WASM loads. The desk ([`DeskView`]) is the page's one island, the only part that runs in the
//! browser: it keeps the next task claimed in the background ([`desk::Desk`], [`lease`]), checks
//! a submit with the server's own rules and swaps the next task in at once, and a window key
//! handler adds the shortcuts ([`keyboard`], whose table also labels the keys on screen).
//! Correcting the summary shows a live word diff against the AI's.

/// What the desk shows, and the moves that change it.
mod desk;
/// What the product's end users said about the output, beside the summary.
mod end_users;
/// The task on screen and its feedback form.
mod form;
/// The review guidelines beside the task.
mod guidelines;
/// The shortcuts: one table for the key handler, the on-screen hints and the `?` dialog.
pub(crate) mod keyboard;
/// The background claim's lifecycle in the browser, and the performance marks.
mod lease;
/// The task's source, summary and facts above the form.
mod task;

use crate::error::AppError;
use crate::pages::{ErrorNotice, Header};
use crate::review::{SkipTask, SubmitReview, TaskView, current_task};
use desk::{Desk, Shown};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

#[component]
pub fn ReviewPage() -> impl IntoView {
    // Read once, on the server for the first paint; from then on the desk owns what is shown.
    let first = Resource::new(|| (), |_| current_task());
    // Read on the server: the island cannot see the request's context in the browser.
    let url_error = crate::pages::refused_post(&[SubmitReview::PATH, SkipTask::PATH]);
    view! {
        <Title text="Review" />
        <Header />
        <main class="review">
            <Transition fallback=|| view! { <p class="loading">"Loading the next task…"</p> }>
                {move || {
                    let url_error = url_error.clone();
                    Suspend::new(async move {
                        match first.await {
                            Ok(task) => view! { <DeskView first=task url_error /> }.into_any(),
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </main>
    }
}

/// The desk as an island: everything it needs arrives in its props, which the server serializes
/// into the page, because in the browser it sees no context from the page around it. Nothing in
/// it may call a server function while the server renders (the guidelines panel loads only once
/// opened): the island sits in the page's `Suspend`, whose owner, and with it the server's state,
/// can be gone by the time such a call runs (see `pages::admin`'s guidelines).
#[island]
fn DeskView(
    first: Option<TaskView>,
    /// The error of the first form's post without scripts, if the server refused it.
    url_error: Option<AppError>,
) -> impl IntoView {
    let desk = Desk::new(first);
    // Only the first task's form can be the one that was posted.
    let url_error = StoredValue::new(url_error);
    lease::keep(desk.shown, desk.next);

    let Desk {
        shown,
        next,
        notice,
        ..
    } = desk;
    view! {
        <div class="late-notice" role="alert" hidden=move || notice.with(Option::is_none)>
            <span>{move || notice.get()}</span>
            " "
            <button type="button" class="link" on:click=move |_| notice.set(None)>"Dismiss"</button>
        </div>
        <div class="desk" data-next=move || next.with(|n| n.as_ref().map(|t| t.id.to_string()))>
            {move || match shown.get() {
                Shown::Task(t) => {
                    let error = url_error.try_update_value(Option::take).flatten();
                    view! { <task::TaskReview task=t desk error /> }.into_any()
                }
                Shown::Loading => view! { <p class="loading">"Loading the next task…"</p> }.into_any(),
                Shown::Empty => view! { <EmptyQueue /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn EmptyQueue() -> impl IntoView {
    view! {
        <section class="empty" aria-live="polite">
            <h1>"The queue is empty"</h1>
            <p>"Nothing is waiting for your review. New tasks appear here as pipelines send them."</p>
            <a class="button" href="/review">"Check again"</a>
        </section>
    }
}
