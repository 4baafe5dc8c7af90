//! `/admin/webhooks`: register endpoints, see every delivery with its attempts, resend one.
//! Admins only (the page guard, and each server function again).

use crate::error::field_message;
use crate::pages::{ErrorNotice, Header};
use crate::webhooks::{
    AddWebhook, Delivery, Endpoint, RemoveWebhook, ResendDelivery, WebhooksPage, load_webhooks,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn WebhooksAdminPage() -> impl IntoView {
    view! {
        <Title text="Webhooks" />
        <Header />
        <main class="admin">
            <h1>"Webhooks"</h1>
            <p class="hint">
                "Loupe POSTs "<code>"task.reviewed"</code>" and "<code>"task.escalated"</code>
                " events to these URLs, signed with each endpoint's secret ("<code>"Loupe-Signature"</code>
                "), and retries failed deliveries for 24 hours. "<a href="/api/docs#schema-WebhookEvent">"Event format"</a>
            </p>
            <Webhooks />
        </main>
    }
}

/// The form and the lists, an island: adding, removing or resending reloads the lists in place,
/// and a new endpoint's secret is shown once, beside the form.
#[island(lazy)]
fn Webhooks() -> impl IntoView {
    crate::pages::mark_live("webhooks");
    let add = ServerAction::<AddWebhook>::new();
    let remove = ServerAction::<RemoveWebhook>::new();
    let resend = ServerAction::<ResendDelivery>::new();
    let data = Resource::new(
        move || {
            (
                add.version().get(),
                remove.version().get(),
                resend.version().get(),
            )
        },
        |_| load_webhooks(),
    );
    view! {
        <AddForm add=add />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <Lists page=page remove=remove resend=resend /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AddForm(add: ServerAction<AddWebhook>) -> impl IntoView {
    let result = add.value();
    let error = move |field: &'static str| {
        move || {
            field_message(&result.get(), field)
                .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
        }
    };
    let created = move || match result.get() {
        Some(Ok(c)) => Some(view! {
            <p class="saved" role="status">
                "Added "{c.endpoint.url}". Its signing secret, shown only now: "
                <code class="secret">{c.secret}</code>
            </p>
        }),
        _ => None,
    };
    view! {
        <section class="panel">
            <h2>"Add an endpoint"</h2>
            <ActionForm action=add attr:class="inline-form" attr:aria-label="Add a webhook endpoint">
                <label>"URL" <input type="url" name="url" required placeholder="https://…" size="40" /></label>
                {error("url")}
                <label>"Description" <input type="text" name="description" maxlength="200" /></label>
                {error("description")}
                <fieldset class="events">
                    <legend>"Events"</legend>
                    <label class="check"><input type="checkbox" name="reviewed" value="on" checked />"task.reviewed"</label>
                    <label class="check"><input type="checkbox" name="escalated" value="on" />"task.escalated"</label>
                </fieldset>
                {error("events")}
                <label>"Projects (optional)" <input type="text" name="projects" placeholder="every project" autocomplete="off" /></label>
                {error("projects")}
                <label>"Secret (optional)" <input type="text" name="secret" placeholder="generated" autocomplete="off" /></label>
                {error("secret")}
                <button type="submit">"Add"</button>
            </ActionForm>
            {created}
        </section>
    }
}

#[component]
fn Lists(
    page: WebhooksPage,
    remove: ServerAction<RemoveWebhook>,
    resend: ServerAction<ResendDelivery>,
) -> impl IntoView {
    let endpoints = if page.endpoints.is_empty() {
        view! { <p class="empty-note">"No endpoints yet."</p> }.into_any()
    } else {
        view! {
            <table class="data" aria-label="Endpoints">
                <thead><tr>
                    <th>"URL"</th><th>"Events"</th><th>"Projects"</th><th>"Pending"</th><th>"Delivered"</th>
                    <th>"Failed"</th><th><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {page.endpoints.into_iter().map(|e| view! { <EndpointRow e=e remove=remove /> }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    let deliveries = if page.deliveries.is_empty() {
        view! { <p class="empty-note">"Nothing delivered yet."</p> }.into_any()
    } else {
        view! {
            <table class="data deliveries" aria-label="Delivery log">
                <thead><tr>
                    <th>"Event"</th><th>"Endpoint"</th><th>"Status"</th><th>"Attempts"</th>
                    <th>"Last answer"</th><th>"Created"</th><th><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {page.deliveries.into_iter().map(|d| view! { <DeliveryRow d=d resend=resend /> }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="panel"><h2>"Endpoints"</h2>{endpoints}</section>
        <section class="panel"><h2>"Delivery log (newest 100)"</h2>{deliveries}</section>
    }
}

#[component]
fn EndpointRow(e: Endpoint, remove: ServerAction<RemoveWebhook>) -> impl IntoView {
    let label = format!("Remove {}", e.url);
    view! {
        <tr>
            <td>{e.url}<br /><small>{e.description}</small></td>
            <td>{e.events.join(", ")}</td>
            <td>{if e.projects.is_empty() { "every project".to_owned() } else { e.projects.join(", ") }}</td>
            <td>{e.pending}</td>
            <td>{e.delivered}</td>
            <td>{e.failed}</td>
            <td>
                <ActionForm action=remove attr:class="inline">
                    <input type="hidden" name="id" value=e.id.to_string() />
                    <button type="submit" class="link" aria-label=label>"Remove"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

#[component]
fn DeliveryRow(d: Delivery, resend: ServerAction<ResendDelivery>) -> impl IntoView {
    let last = match (d.last_status, &d.last_error) {
        (_, Some(err)) => err.clone(),
        (Some(code), None) => format!("HTTP {code}"),
        (None, None) => "—".into(),
    };
    let task = d
        .task_id
        .clone()
        .map(|t| view! { <a href=format!("/admin/tasks/{t}")>"task"</a> });
    let status_class = format!("status {}", d.status);
    let label = format!("Resend delivery {}", d.id);
    view! {
        <tr>
            <td>{d.event}" "{task}</td>
            <td>{d.url}</td>
            <td><span class=status_class>{d.status.clone()}</span>
                {d.next_attempt_at.map(|t| view! { <br /><small>"next "{t}</small> })}</td>
            <td>
                <details>
                    <summary>{d.attempts}</summary>
                    <ol class="attempts">
                        {d.log.into_iter().map(|a| view! {
                            <li>{a.started_at}": "
                                {a.status_code.map(|c| format!("HTTP {c}")).or(a.error).unwrap_or_default()}
                                // Only a real answer has a duration: failures are logged
                                // without one, so the log cannot time internal ports.
                                {match a.status_code {
                                    Some(_) => format!(" ({} ms, {})", a.duration_ms, a.sender),
                                    None => format!(" ({})", a.sender),
                                }}
                            </li>
                        }).collect_view()}
                    </ol>
                </details>
            </td>
            <td>{last}</td>
            <td>{d.created_at}</td>
            <td>
                <ActionForm action=resend attr:class="inline">
                    <input type="hidden" name="id" value=d.id.clone() />
                    <button type="submit" class="link" aria-label=label>"Resend"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
