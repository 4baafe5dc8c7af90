//! `/admin/tasks`: find any output. Every filter, the sort and the cursor live in the URL (a GET
//! form with the parameters of `GET /api/v1/tasks`), so a view can be shared and paging is a
//! link. The table is an island for the keyboard (`j` / `k` move, `x` selects, `/` searches,
//! `Enter` opens) and for the actions on the rows picked or on everything the filter matches:
//! requeue (with a required note for the next reviewer) or an admin's ruling (accept / reject).
//!
//! Every value shown (ids, models, the search text itself) can be text a pipeline or a person
//! typed: all of it goes in as text or attribute values, escaped by Leptos.

use crate::error::{AppError, field_message};
use crate::pages::{ErrorNotice, Header};
use crate::task::list::{ActOnTasks, Params, TaskRow, load_tasks};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The filters with a text box, in the form's order: (parameter, label, input type).
const TEXT_FILTERS: [(&str, &str, &str); 10] = [
    ("external_id", "External id", "text"),
    ("project", "Project", "text"),
    ("model", "Model", "text"),
    ("model_version", "Version", "text"),
    ("reviewer", "Reviewer", "text"),
    ("error_tag", "Error tag", "text"),
    ("confidence_min", "Confidence from", "number"),
    ("confidence_max", "to", "number"),
    ("from", "Arrived from", "date"),
    ("to", "to", "date"),
];

/// The filters with a fixed set of values: (parameter, label, [(value, shown)]).
const CHOICES: [(&str, &str, &[(&str, &str)]); 7] = [
    (
        "status",
        "Status",
        &[
            ("queued", "queued"),
            ("in_review", "in review"),
            ("reviewed", "reviewed"),
            ("escalated", "escalated"),
            ("auto_accepted", "auto-accepted"),
        ],
    ),
    (
        "reason",
        "Reason",
        &[
            ("low_confidence", "low confidence"),
            ("flagged", "flagged"),
            ("audit_sample", "audit sample"),
            ("auto_accepted", "auto-accepted"),
            ("user_feedback", "end-user feedback"),
            ("weak_support", "marked support"),
            ("requeued", "requeued"),
        ],
    ),
    (
        "verdict",
        "Verdict",
        &[
            ("accept", "accept"),
            ("reject", "reject"),
            ("escalate", "escalate"),
        ],
    ),
    (
        "has_comment",
        "Comment",
        &[("true", "has a comment"), ("false", "no comment")],
    ),
    (
        "has_correction",
        "Correction",
        &[("true", "corrected"), ("false", "not corrected")],
    ),
    (
        "end_user_feedback",
        "End users",
        &[("true", "sent feedback"), ("false", "sent none")],
    ),
    (
        "sort",
        "Sort",
        &[
            // `find::RANKED` newest matches are ranked.
            ("relevance", "best match (newest 1,000)"),
            ("newest", "newest"),
            ("oldest", "oldest"),
            ("least_confident", "least confident"),
            ("most_confident", "most confident"),
        ],
    ),
];

/// The value of parameter `name` in `p`.
fn value_of<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.pairs()
        .into_iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `/admin/tasks?…` for these parameters.
fn href(p: &Params) -> String {
    let query = p
        .pairs()
        .into_iter()
        .map(|(k, v)| format!("{k}={}", crate::url::encode_query_value(v, false)))
        .collect::<Vec<_>>()
        .join("&");
    if query.is_empty() {
        "/admin/tasks".to_owned()
    } else {
        format!("/admin/tasks?{query}")
    }
}

#[component]
pub fn TasksPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.get();
        let get = |k: &str| q.get(k);
        Params {
            q: get("q"),
            status: get("status"),
            reason: get("reason"),
            model: get("model"),
            model_version: get("model_version"),
            external_id: get("external_id"),
            project: get("project"),
            confidence_min: get("confidence_min"),
            confidence_max: get("confidence_max"),
            from: get("from"),
            to: get("to"),
            reviewer: get("reviewer"),
            verdict: get("verdict"),
            has_comment: get("has_comment"),
            has_correction: get("has_correction"),
            error_tag: get("error_tag"),
            end_user_feedback: get("end_user_feedback"),
            sort: get("sort"),
            after: get("after"),
        }
    };
    let data = Resource::new(params, load_tasks);
    view! {
        <Title text="Tasks" />
        <Header />
        <main class="admin tasks-list">
            <p><a href="/admin">"← Dashboard"</a></p>
            <h1>"Tasks"</h1>
            <p class="hint">"Find any output: search its words, filter, and send settled ones back to review. Keys: "
                <kbd>"/"</kbd>" search, "<kbd>"j"</kbd>" / "<kbd>"k"</kbd>" move, "<kbd>"x"</kbd>" select, "<kbd>"Enter"</kbd>" open."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let p = params();
                    Suspend::new(async move {
                        let result = data.await;
                        let refused = match &result {
                            Err(e @ AppError::Validation(_)) => Some(e.clone()),
                            _ => None,
                        };
                        let form = view! { <FilterForm p=p.clone() refused /> };
                        match result {
                            Ok(page) => {
                                let first = p.after.is_some().then(|| href(&Params { after: None, ..p.clone() }));
                                let next = page.next_after.map(|n| href(&Params { after: Some(n.to_string()), ..p.clone() }));
                                let matching = Params { after: None, sort: None, ..p.clone() };
                                view! {
                                    {form}
                                    <TaskTable rows=page.tasks matching />
                                    <nav class="exports" aria-label="Pages">
                                        {first.map(|h| view! { <a href=h>"First page"</a> })}
                                        {next.map(|h| view! { <a href=h rel="next">"Next page"</a> })}
                                    </nav>
                                }.into_any()
                            }
                            Err(AppError::Validation(_)) => form.into_any(),
                            Err(e) => view! { {form} <ErrorNotice error=e /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </main>
    }
}

/// The filters: a GET form, so applying them is a page load of a shareable URL. A value the
/// server refused is shown beside its field with the rule it broke.
#[component]
fn FilterForm(p: Params, refused: Option<AppError>) -> impl IntoView {
    let refused = Some(Err::<(), AppError>(refused.unwrap_or(AppError::Internal)));
    let error = move |field: &str| {
        field_message(&refused, field)
            .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
    };
    view! {
        <form method="get" action="/admin/tasks" class="filter task-filter" aria-label="Find tasks">
            <label class="search">"Search"
                <input id="task-search" type="search" name="q" maxlength="256"
                    value=value_of(&p, "q").unwrap_or_default().to_owned()
                    placeholder="words in the summary or document" />
            </label>
            {error("q")}
            {CHOICES.iter().map(|(name, label, options)| {
                let chosen = value_of(&p, name).map(str::to_owned);
                view! {
                    <label>{*label}
                        <select name=*name>
                            <option value="" selected=chosen.is_none()>"any"</option>
                            {options.iter().map(|(v, shown)| view! {
                                <option value=*v selected=chosen.as_deref() == Some(*v)>{*shown}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    {error(name)}
                }
            }).collect_view()}
            {TEXT_FILTERS.iter().map(|(name, label, kind)| {
                let step = (*kind == "number").then_some("0.01");
                view! {
                    <label>{*label}
                        <input type=*kind name=*name step=step min=step.map(|_| "0") max=step.map(|_| "1")
                            value=value_of(&p, name).unwrap_or_default().to_owned() />
                    </label>
                    {error(name)}
                }
            }).collect_view()}
            <button type="submit">"Show"</button>
            <a href="/admin/tasks">"Clear"</a>
        </form>
    }
}

/// The rows, the keyboard and the actions, an island.
#[island]
fn TaskTable(rows: Vec<TaskRow>, matching: Params) -> impl IntoView {
    crate::pages::mark_live("tasks");
    let count = rows.len();
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    let ids = StoredValue::new(ids);
    let active = RwSignal::new(None::<usize>);
    let selected = RwSignal::new(vec![false; count]);
    #[cfg(feature = "hydrate")]
    keys::listen(keys::Targets {
        active,
        selected,
        ids,
        count,
    });
    let filtered = matching.filters_anything();
    let matching = StoredValue::new(matching);
    let act = ServerAction::<ActOnTasks>::new();
    let result = act.value();
    let note = RwSignal::new(String::new());
    let assignee = RwSignal::new(String::new());
    let priority = RwSignal::new("1".to_owned());
    let action = RwSignal::new("requeue".to_owned());
    let picked = move || {
        selected.with(|s| {
            ids.with_value(|ids| {
                ids.iter()
                    .zip(s)
                    .filter(|(_, on)| **on)
                    .map(|(id, _)| id.clone())
                    .collect::<Vec<_>>()
            })
        })
    };
    let send = move |all: bool| {
        let ids = picked();
        act.dispatch(ActOnTasks {
            action: action.get_untracked(),
            note: Some(note.get_untracked()),
            assignee: Some(assignee.get_untracked()),
            priority: Some(priority.get_untracked()),
            ids: (!all).then(|| ids.join(",")),
            matching: all.then(|| matching.get_value()),
        });
    };
    let done = move || {
        result.with(|r| match r {
            Some(Ok(o)) => {
                let verb = match action.get_untracked().as_str() {
                    "requeue" => "Requeued",
                    "assign" => "Assigned",
                    "priority" => "Reprioritised",
                    "escalate" => "Escalated",
                    _ => "Ruled on",
                };
                Some(format!(
                    "{verb} {} task{}{}{}.",
                    o.changed,
                    if o.changed == 1 { "" } else { "s" },
                    if o.skipped > 0 {
                        format!(
                            "; {} left alone (not in a status this action takes)",
                            o.skipped
                        )
                    } else {
                        String::new()
                    },
                    if o.more {
                        "; more match: apply again to go on"
                    } else {
                        ""
                    },
                ))
            }
            _ => None,
        })
    };
    let other_error = move || {
        result.with(|r| match r {
            Some(Err(e))
                if e.message_for("note").is_none()
                    && e.message_for("ids").is_none()
                    && e.message_for("assignee").is_none()
                    && e.message_for("priority").is_none() =>
            {
                Some(e.to_string())
            }
            _ => None,
        })
    };
    if count == 0 {
        return view! { <p class="empty-note">"No tasks match."</p> }.into_any();
    }
    view! {
        <table class="data task-rows" aria-label="Tasks">
            <thead><tr>
                <th><span class="sr-only">"Selected"</span></th>
                <th>"Task"</th><th>"Project"</th><th>"Status"</th><th>"Reason"</th><th>"Model"</th>
                <th>"Confidence"</th><th>"Arrived"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().enumerate().map(|(i, r)| {
                    let name = r.external_id.clone().unwrap_or_else(|| r.id.to_string());
                    let label = format!("Select {name}");
                    view! {
                        <tr class:active=move || active.get() == Some(i)
                            aria-selected=move || if selected.with(|s| s[i]) { "true" } else { "false" }>
                            <td><input type="checkbox" aria-label=label
                                prop:checked=move || selected.with(|s| s[i])
                                on:change=move |_| selected.update(|s| s[i] = !s[i]) /></td>
                            <td><a id=format!("task-row-{i}") href=format!("/admin/tasks/{}", r.id)
                                on:focus=move |_| active.set(Some(i))>{name}</a></td>
                            <td>{r.project.clone()}</td>
                            <td>{r.status.replace('_', " ")}
                                {(r.priority != 0).then(|| view! { <span class="hint">{format!(" · priority {}", r.priority)}</span> })}</td>
                            <td>{r.reason.replace('_', " ")}</td>
                            <td>{r.model}" "<span class="hint">{r.model_version}</span></td>
                            <td>{format!("{:.2}", r.confidence)}</td>
                            <td><time datetime=r.created_at.clone()>{r.created_at.replace('T', " ")}</time></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <form class="panel bulk" aria-label="Act on tasks" on:submit=move |ev| { ev.prevent_default(); send(false); }>
            <h2>"Act on tasks"</h2>
            <label>"Action"
                <select name="action" on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="requeue" selected=true>"Send back to review"</option>
                    <option value="accept">"Rule: accept"</option>
                    <option value="reject">"Rule: reject"</option>
                    <option value="assign">"Assign"</option>
                    <option value="priority">"Set priority"</option>
                    <option value="escalate">"Escalate"</option>
                </select>
            </label>
            <p class="hint">{move || match action.get().as_str() {
                "requeue" => "Settled tasks (reviewed, escalated, auto-accepted) go back to the queue; earlier reviews stay, and someone who has not reviewed the task gets it with your note.",
                "assign" => "Waiting tasks are kept for the assignee (a username, or group:<name>) for the project's wait, then open to everyone; leave it empty to open them now.",
                "escalate" => "Waiting, auto-accepted and reviewed tasks go to the escalation queue with your note (any ruling they had is undone); the pipeline hears task.escalated.",
                "priority" => "Waiting tasks are offered at this priority: from -9 to 9, 0 as they arrive; higher goes first, before the flag and the confidence.",
                _ => "Your verdict settles the tasks (any not held by a reviewer) and is sent to the pipeline.",
            }}</p>
            <label hidden=move || action.get() != "assign">"Assignee"
                <input type="text" name="assignee" maxlength="200" autocomplete="off"
                    prop:value=move || assignee.get()
                    on:input=move |ev| assignee.set(event_target_value(&ev)) />
            </label>
            {move || field_message(&result.get(), "assignee").map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            <label hidden=move || action.get() != "priority">"Priority"
                <input type="number" name="priority" min="-9" max="9" step="1"
                    prop:value=move || priority.get()
                    on:input=move |ev| priority.set(event_target_value(&ev)) />
            </label>
            {move || field_message(&result.get(), "priority").map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            <label hidden=move || matches!(action.get().as_str(), "assign" | "priority")>{move || match action.get().as_str() { "requeue" => "Note for the next reviewer", "escalate" => "Note for whoever settles them", _ => "Note (optional)" }}
                <textarea name="note" rows="2" maxlength="10000"
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            </label>
            {move || field_message(&result.get(), "note").map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            {move || field_message(&result.get(), "ids").map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            <button type="submit" disabled=move || act.pending().get() || !selected.with(|s| s.contains(&true))>
                {move || format!("Apply to selected ({})", selected.with(|s| s.iter().filter(|x| **x).count()))}
            </button>
            {filtered.then(|| view! {
                <button type="button" class="secondary" disabled=move || act.pending().get()
                    on:click=move |_| send(true)>"Apply to everything matching this filter"</button>
            })}
            <p class="status" role="status">{done}</p>
            <p class="form-error" role="alert">{other_error}</p>
        </form>
    }
    .into_any()
}

/// The list's keys, in the browser only.
#[cfg(feature = "hydrate")]
mod keys {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::KeyboardEvent;

    #[derive(Clone, Copy)]
    pub struct Targets {
        pub active: RwSignal<Option<usize>>,
        pub selected: RwSignal<Vec<bool>>,
        pub ids: StoredValue<Vec<String>>,
        pub count: usize,
    }

    pub fn listen(t: Targets) {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| on_key(&ev, t));
        on_cleanup(move || handle.remove());
    }

    fn focus_row(i: usize) {
        if let Some(el) = document()
            .get_element_by_id(&format!("task-row-{i}"))
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }

    fn on_key(ev: &KeyboardEvent, t: Targets) {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let crate::pages::KeyPlace {
            element: target,
            tag,
            typing,
        } = crate::pages::KeyPlace::of(ev);
        if typing {
            if ev.key() == "Escape"
                && let Some(el) = &target
            {
                let _ = el.blur();
            }
            return;
        }
        let last = t.count.saturating_sub(1);
        match ev.key().as_str() {
            "j" => {
                let i = t.active.get_untracked().map_or(0, |i| (i + 1).min(last));
                t.active.set(Some(i));
                focus_row(i);
            }
            "k" => {
                let i = t.active.get_untracked().map_or(0, |i| i.saturating_sub(1));
                t.active.set(Some(i));
                focus_row(i);
            }
            "x" => {
                let Some(i) = t.active.get_untracked() else {
                    return;
                };
                t.selected.update(|s| s[i] = !s[i]);
            }
            "/" => {
                if let Some(el) = document()
                    .get_element_by_id("task-search")
                    .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = el.focus();
                }
            }
            // On a focused link Enter already opens it; elsewhere it opens the active row.
            "Enter" if tag != "A" && tag != "BUTTON" => {
                let Some(id) = t
                    .active
                    .get_untracked()
                    .and_then(|i| t.ids.with_value(|ids| ids.get(i).cloned()))
                else {
                    return;
                };
                let _ = window().location().set_href(&format!("/admin/tasks/{id}"));
            }
            _ => return,
        }
        ev.prevent_default();
    }
}
