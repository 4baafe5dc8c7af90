//! `/queue`: the page a reviewer starts from: what is waiting, by routing reason, a button to
//! start, and my day. Its figures come from [`crate::queue`]; the page is rendered on the server
//! only (it holds no island), so none of it reaches the WASM.

use crate::domain::Reason;
use crate::pages::{ErrorNotice, Header};
use crate::queue::{PickProject, QueueSummary, load_queue_page};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

#[component]
pub fn QueuePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_queue_page());
    view! {
        <Title text="Queue" />
        <Header />
        <main class="queue-page">
            <h1>"Queue"</h1>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! { <div><QueueBody s=d.summary /></div> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

/// The waiting work (or a plain empty state) and my day.
#[component]
fn QueueBody(s: QueueSummary) -> impl IntoView {
    let median = s
        .my_median_seconds
        .map(|m| format!("{m:.0} s"))
        .unwrap_or_else(|| "—".into());
    let work = if s.waiting == 0 {
        view! {
            <section class="empty" aria-live="polite">
                <h2>"Nothing is waiting for review"</h2>
                <p>"New tasks appear here as pipelines send them."</p>
            </section>
        }
        .into_any()
    } else {
        view! {
            <p class="waiting-total"><strong>{s.waiting}</strong>
                {if s.waiting == 1 { " task is waiting" } else { " tasks are waiting" }}</p>
            <table class="data" aria-label="Waiting by reason">
                <thead><tr><th>"Why it needs a person"</th><th>"Tasks"</th></tr></thead>
                <tbody>
                    {s.by_reason.into_iter().map(|(r, n)| view! {
                        <tr><td>{Reason::from_db(&r).map_or(r.as_str(), |r| r.explanation()).to_owned()}</td><td>{n}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p><a class="button primary" href="/review">"Start reviewing"</a></p>
        }
        .into_any()
    };
    let picker = (s.projects.len() > 1).then(|| {
        view! { <ProjectPicker projects=s.projects.clone() picked=s.picked.clone() /> }
    });
    view! {
        {picker}
        {work}
        <dl class="my-day" aria-label="Your day">
            <div><dt>"Your reviews today"</dt><dd>{s.my_reviews_today}</dd></div>
            <div><dt>"Median time per review today"</dt><dd>{median}</dd></div>
        </dl>
    }
}

/// Which of the reviewer's projects they take work from: a plain form (no script needed) that
/// posts the pick and comes back here. Shown to reviewers of more than one project.
#[component]
fn ProjectPicker(projects: Vec<crate::project::Open>, picked: Option<String>) -> impl IntoView {
    let all: i64 = projects.iter().map(|p| p.waiting).sum();
    let none_picked = picked.is_none();
    let options = projects
        .into_iter()
        .map(|p| {
            let selected = picked.as_deref() == Some(p.slug.as_str());
            let label = format!("{} ({} waiting)", p.name, p.waiting);
            view! { <option value=p.slug selected=selected>{label}</option> }
        })
        .collect_view();
    view! {
        <form method="post" action=PickProject::url() class="project-pick"
            aria-label="Projects to review">
            <label for="project">"Review"</label>
            <select id="project" name="project">
                <option value="" selected=none_picked>
                    {format!("All my projects ({all} waiting)")}
                </option>
                {options}
            </select>
            <button type="submit">"Choose"</button>
        </form>
    }
}
