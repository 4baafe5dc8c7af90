//! `/admin/audit`: the audit trail, newest first. The filter (action, actor) and the cursor
//! (`after`) live in the URL, so a view can be shared and paging is a plain link. Rendered on the
//! server only: no island, and every value (names, targets, before/after JSON, all of which can
//! hold text someone typed) goes into the page as text, escaped by Leptos.

use crate::audit::{Action, AuditEntry, Filter, load_audit};
use crate::pages::{ErrorNotice, Header};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let key = move || {
        let q = query.get();
        (q.get("action"), q.get("actor"), q.get("after"))
    };
    let data = Resource::new(key, |(action, actor, after)| {
        load_audit(action, actor, after)
    });
    view! {
        <Title text="Audit log" />
        <Header />
        <main class="admin">
            <p><a href="/admin">"← Dashboard"</a></p>
            <h1>"Audit log"</h1>
            <p class="hint">"Every change to routing, webhooks, tokens, users, guidelines and error tags, and every escalation resolved: who, when, and the state before and after."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let (action, actor, after) = key();
                    Suspend::new(async move {
                        // The filter as typed, for the form; the server function refused a bad one.
                        let filter = Filter::parse(action.as_deref(), actor.as_deref(), after.as_deref())
                            .unwrap_or_default();
                        match data.await {
                            Ok(page) => {
                                let next = page.next_after.map(|n| format!("/admin/audit?{}", filter.next_query(n)));
                                view! {
                                    <FilterForm filter=filter.clone() />
                                    <Entries entries=page.entries />
                                    <p class="exports">
                                        {filter.after.map(|_| view! {
                                            <a href=format!("/admin/audit?{}", filter.first_query())>"Newest"</a>
                                        })}
                                        {next.map(|href| view! { <a href=href rel="next">"Older entries"</a> })}
                                    </p>
                                }.into_any()
                            }
                            Err(e) => view! {
                                <ErrorNotice error=e />
                                <p><a href="/admin/audit">"Show everything"</a></p>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </main>
    }
}

/// The filter: a GET form, so applying it is a page load of a shareable URL.
#[component]
fn FilterForm(filter: Filter) -> impl IntoView {
    let chosen = filter.action;
    view! {
        <form method="get" action="/admin/audit" class="filter" aria-label="Filter the audit log">
            <label>"Action"
                <select name="action">
                    <option value="" selected=chosen.is_none()>"All actions"</option>
                    {Action::ALL.into_iter().map(|a| view! {
                        <option value=a.as_str() selected=chosen == Some(a)>{a.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Actor" <input type="text" name="actor" value=filter.actor.clone().unwrap_or_default() maxlength="200" /></label>
            <button type="submit">"Show"</button>
        </form>
    }
}

#[component]
fn Entries(entries: Vec<AuditEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="empty-note">"No entries."</p> }.into_any();
    }
    let json = |v: Option<serde_json::Value>| v.map(|v| view! { <code>{v.to_string()}</code> });
    view! {
        <table class="data deliveries" aria-label="Audit log">
            <thead><tr>
                <th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"Before"</th><th>"After"</th>
            </tr></thead>
            <tbody>
                {entries.into_iter().map(|e| view! {
                    <tr>
                        <td><time datetime=e.at.clone()>{e.at.replace('T', " ")}</time></td>
                        <td>{e.actor_name}" "<span class="hint">{format!("({})", e.actor_kind)}</span></td>
                        <td><code>{e.action}</code></td>
                        <td>{e.target}</td>
                        <td>{json(e.before)}</td>
                        <td>{json(e.after)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}
