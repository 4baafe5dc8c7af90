//! `/admin/escalations`: every escalated task with the reviewer's reason, and a form per task for
//! the admin's final verdict. Resolving one removes it from the list.

use crate::error::field_message;
use crate::escalations::{Escalation, ResolveEscalation, load_escalations};
use crate::pages::{ErrorNotice, Header};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn EscalationsPage() -> impl IntoView {
    view! {
        <Title text="Escalations" />
        <Header />
        <main class="admin">
            <h1>"Escalations"</h1>
            <p class="hint">"Tasks a reviewer could not settle. Your verdict completes the task and is sent to the pipeline."</p>
            <EscalationList />
        </main>
    }
}

/// The list and a form per task, an island: each task has its own form and action (so a message
/// shows beside the form it is about); a resolution anywhere reloads the list.
#[island(lazy)]
fn EscalationList() -> impl IntoView {
    crate::pages::mark_live("escalations");
    let resolved = RwSignal::new(0u32);
    let data = Resource::new(move || resolved.get(), |_| load_escalations());
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(list) if list.is_empty() => view! {
                        <section class="empty"><h2>"No escalations waiting"</h2>
                        <p>"When a reviewer escalates a task it appears here."</p></section>
                    }.into_any(),
                    Ok(list) => view! {
                        <ol class="escalations">
                            {list.into_iter().map(|e| view! { <Item e=e resolved=resolved /> }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Item(e: Escalation, resolved: RwSignal<u32>) -> impl IntoView {
    let resolve = ServerAction::<ResolveEscalation>::new();
    let result = resolve.value();
    crate::pages::bump_on_success(result, resolved);
    let id = e.task_id.clone();
    let error = move |field: &'static str| {
        move || {
            field_message(&result.get(), field)
                .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
        }
    };
    let other_error = move || {
        result.with(|v| match v {
            Some(Err(e))
                if e.message_for("verdict").is_none() && e.message_for("note").is_none() =>
            {
                Some(e.to_string())
            }
            _ => None,
        })
    };
    let name = e.external_id.clone().unwrap_or_else(|| e.task_id.clone());
    let label = format!("Resolve {name}");
    view! {
        <li class="panel escalation">
            <h2><a href=format!("/admin/tasks/{}", e.task_id)>{name.clone()}</a></h2>
            <p class="meta">{format!("{} {} · confidence {:.2} · escalated {}", e.model, e.model_version,
                e.confidence, e.escalated_at.clone().unwrap_or_default())}</p>
            <p class="summary">{e.summary}</p>
            <p>
                <strong>{e.reviewer.unwrap_or_else(|| "a reviewer".into())}</strong>
                {e.rating.map(|r| format!(" (rated {r})"))}": "
                {e.comment.unwrap_or_else(|| "no comment".into())}
            </p>
            <ActionForm action=resolve attr:class="inline-form" attr:aria-label=label>
                <input type="hidden" name="task_id" value=id />
                <fieldset class="events">
                    <legend>"Final verdict"</legend>
                    <label class="check"><input type="radio" name="verdict" value="accept" />"Accept"</label>
                    <label class="check"><input type="radio" name="verdict" value="reject" />"Reject"</label>
                </fieldset>
                {error("verdict")}
                <label>"Note" <input type="text" name="note" size="40" placeholder="optional" /></label>
                {error("note")}
                <button type="submit">"Resolve"</button>
            </ActionForm>
            <p class="form-error" role="alert">{other_error}</p>
        </li>
    }
}
