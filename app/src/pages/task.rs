//! `/admin/tasks/:id`: one task with everything said about it — the source, the AI summary, every
//! review (with its correction) and every end user's feedback. Linked from the dashboard's
//! comments and escalations. Read-only: the page holds no island, so it is rendered on the server
//! only and none of it reaches the WASM.

use crate::dashboard::{TaskHistory, load_task_history};
use crate::pages::{ErrorNotice, Header};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TaskPage() -> impl IntoView {
    let params = use_params_map();
    let task = Resource::new(
        move || params.get().get("id").unwrap_or_default(),
        load_task_history,
    );
    view! {
        <Title text="Task" />
        <Header />
        <main class="admin task-history">
            <p><a href="/admin">"← Dashboard"</a></p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match task.await {
                        Ok(t) => view! { <div><History t /></div> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

/// The task, its reviews and its end users' feedback.
#[component]
fn History(t: TaskHistory) -> impl IntoView {
    view! {
        <h1>"Task " <code>{t.external_id.clone().unwrap_or_else(|| t.id.to_string())}</code></h1>
        <p class="meta">
            {format!("{} {} · confidence {:.2} (threshold {:.2}) · {} · {} · received {}",
                t.model, t.model_version, t.confidence, t.threshold,
                t.reason.replace('_', " "), t.status.replace('_', " "), t.created_at)}
        </p>
        <div class="columns">
            <section><h2>"Source"</h2><div class="text">{t.document.clone()}</div></section>
            <section><h2>"AI summary"</h2><div class="text">{t.summary.clone()}</div></section>
        </div>
        <h2>{format!("Reviews ({})", t.reviews.len())}</h2>
        <ol class="history">
            {t.reviews.iter().map(|r| view! {
                <li>
                    <p><strong>{r.reviewer.clone()}</strong>
                        {format!(" · {} · rated {} · {} s · {}", r.verdict, r.rating, r.seconds_spent, r.at)}</p>
                    {r.comment.clone().map(|c| view! { <blockquote>{c}</blockquote> })}
                    {r.corrected_summary.clone().map(|c| view! {
                        <p class="note">{format!("Correction (edit distance {:.2}):", r.edit_distance.unwrap_or_default())}</p>
                        <crate::pages::DiffText parts=crate::diff::word_diff(&t.summary, &c) />
                    })}
                </li>
            }).collect_view()}
        </ol>
        {t.reviews.is_empty().then(|| view! { <p class="note">"Nobody has reviewed this task yet."</p> })}
        <h2>{format!("End-user feedback ({})", t.end_user.len())}</h2>
        <ul class="history">
            {t.end_user.iter().map(|f| view! {
                <li>{format!("{} · {} {} · {}", f.user_id, f.feedback_type, f.value.clone().unwrap_or_default(), f.at)}
                    {f.comments.clone().map(|c| view! { <blockquote>{c}</blockquote> })}
                </li>
            }).collect_view()}
        </ul>
    }
}
