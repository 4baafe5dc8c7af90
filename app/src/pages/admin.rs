//! `/admin`: the feedback dashboard. The filter (date range, model, version, project) lives in the
//! URL, so a view can be shared; changing it loads the page again. The body ([`DashboardBody`])
//! is drawn on the server only; only the three settings forms run in the browser (islands). The
//! URL's `project` keeps the figures to one project, and the routing, error tags and guidelines
//! the forms change are that project's (the default project's without one). A project admin sees
//! the figures and settings of the projects they run, without the links to what only admins may
//! open. Reviewers are refused (by the page guard, and again by the server functions).

use crate::dashboard::{Dashboard, FilterView, load_dashboard};
use crate::error::field_message;
use crate::pages::dashboard_view::DashboardBody;
use crate::pages::{ErrorNotice, Header};
use crate::routing::SetRouting;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminPage() -> impl IntoView {
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let q = query.get();
            let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
            (
                get("from"),
                get("to"),
                get("model"),
                get("version"),
                get("project"),
            )
        },
        |(from, to, model, version, project)| load_dashboard(from, to, model, version, project),
    );
    // Loaded here, outside the islands, and handed to the editors as props: a resource created
    // inside an island that sits in this Suspend can outlive the owner that provides the
    // server's state while the page renders, and then its server function panics.
    let project = move || query.get().get("project").filter(|v| !v.is_empty());
    let settings = Resource::new(project, |project| async move {
        // Without a choice: the default project for an admin, their first for a project admin.
        let projects = crate::project::admin_projects().await?;
        let project = project.or_else(|| projects.first().map(|p| p.slug.clone()));
        let guidelines = crate::guidelines::load_guidelines(project.clone()).await?;
        let tags = crate::error_tags::load_error_tags(project).await?;
        Ok::<_, crate::error::AppError>(Settings {
            projects,
            guidelines,
            tags,
        })
    });
    view! {
        <Title text="Dashboard" />
        <Header />
        <main class="admin">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let settings = settings.await;
                    match (data.await, settings) {
                        (Ok(d), settings) => view! { <DashboardShell d=d settings /> }.into_any(),
                        (Err(e), _) => view! {
                            <h1>"Feedback dashboard"</h1>
                            <ErrorNotice error=e.clone() />
                            <p><a href="/admin">"Reset the filter"</a></p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

/// What the settings section edits: one project's routing, error tags and guidelines.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Settings {
    projects: Vec<crate::project::Project>,
    guidelines: crate::guidelines::Guidelines,
    tags: crate::error_tags::ProjectTags,
}

/// The page around the dashboard's body: the filter, the export links and the settings form.
#[component]
fn DashboardShell(
    d: Dashboard,
    settings: Result<Settings, crate::error::AppError>,
) -> impl IntoView {
    // `models` is (model, version) pairs sorted by model: each model once, for both forms.
    let mut names: Vec<String> = d.models.iter().map(|(m, _)| m.clone()).collect();
    names.dedup();
    let query = d.filter.query();
    let export = move |format: &str| format!("/api/v1/export?format={format}&{query}");
    let (filter, models, projects) = (d.filter.clone(), d.models.clone(), d.projects.clone());
    let limited = d.limited;
    // Whose figures these are, in the heading: the chosen project, or a project admin's own.
    let whose = match (&d.filter.project, limited) {
        (Some(slug), _) => d
            .projects
            .iter()
            .find(|p| &p.slug == slug)
            .map(|p| p.name.clone()),
        (None, true) => Some("your projects".to_owned()),
        (None, false) => None,
    };
    let heading = whose.map_or_else(
        || "Feedback dashboard".to_owned(),
        |w| format!("Feedback dashboard: {w}"),
    );
    view! {
        <div class="dash-head">
            <h1>{heading}</h1>
            <FilterForm filter names=names.clone() models projects limited />
            <p class="exports">
                "Export this view: "
                <a href=export("jsonl") download>"JSONL"</a>
                <a href=export("csv") download>"CSV"</a>
                <a href=export("sft") download>"fine-tuning pairs"</a>
                <a href=export("dpo") download>"preference pairs"</a>
            </p>
            <p class="exports">
                <a href="/admin/tasks">"Find tasks"</a>
                {(!limited).then(|| view! {
                    <a href="/admin/escalations">"Escalation queue"</a>
                    <a href="/admin/webhooks">"Webhooks and delivery log"</a>
                    <a href="/admin/audit">"Audit log"</a>
                })}
                <a href="/api/docs">"API reference"</a>
            </p>
        </div>
        <div class="dashboard"><DashboardBody d /></div>
        <section class="panel">
            {match settings {
                Ok(s) => view! { <ProjectSettings s names /> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
            }}
        </section>
    }
}

/// One project's routing, error tags and guidelines, and the choice of project (a GET form: the
/// project is in the URL).
#[component]
fn ProjectSettings(s: Settings, names: Vec<String>) -> impl IntoView {
    let slug = s.tags.project.clone();
    let is_default = slug == crate::project::DEFAULT_SLUG;
    let inherited = |own: bool| {
        (!is_default && !own).then(|| view! {
            <p class="hint inherited">"This project has none of its own: these are the default project's. Save to give it its own; save an empty list to go back to the default project's."</p>
        })
    };
    view! {
        <form method="get" action="/admin" class="filter" aria-label="Choose the project to edit">
            <label>"Routing, error tags and guidelines of project"
                <select name="project">
                    {s.projects.into_iter().map(|p| {
                        let selected = p.slug == slug;
                        let label = format!("{} ({})", p.name, p.slug);
                        view! { <option value=p.slug selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button type="submit">"Show"</button>
        </form>
        <h2>"Change routing"</h2>
        <p class="hint">{if is_default {
            "Applies to outputs that arrive from now on. Leave a field empty to keep its value."
        } else {
            "Applies to this project's outputs that arrive from now on. Until it has settings of its own, this project follows its defaults (*), then the default project's. Leave a field empty to keep its value."
        }}</p>
        <RoutingForm names project=slug.clone() />
        <h2>"Error tags"</h2>
        <p class="hint">"The kinds of mistake reviewers can mark, in the order of their keys (6, 7, 8, 9, 0). Past reviews keep their tags."</p>
        <p class="current-tags">"Now: "{s.tags.tags.join(", ")}</p>
        {inherited(s.tags.own)}
        <TagsForm project=slug.clone() required=is_default />
        <h2>"Review guidelines"</h2>
        <p class="hint">"Reviewers open these beside each task (key g). A line starting with # is a heading, - starts a list item, **bold** is bold."</p>
        {inherited(s.guidelines.own)}
        <GuidelinesForm text=s.guidelines.text project=slug />
    }
}

/// The filter: a GET form, so it works without WASM and its result is a shareable URL.
#[component]
fn FilterForm(
    filter: FilterView,
    names: Vec<String>,
    models: Vec<(String, String)>,
    /// The projects the caller may choose.
    projects: Vec<crate::project::Project>,
    /// A project admin: "all" means all of their projects.
    limited: bool,
) -> impl IntoView {
    let selected_project = filter.project.clone().unwrap_or_default();
    let all_projects = if limited {
        "All my projects"
    } else {
        "All projects"
    };
    let selected_model = filter.model.clone().unwrap_or_default();
    let selected_version = filter.version.clone().unwrap_or_default();
    let versions: Vec<String> = models
        .iter()
        .filter(|(m, _)| filter.model.as_deref().is_none_or(|sel| sel == m))
        .map(|(_, v)| v.clone())
        .collect();
    view! {
        // A plain GET form: applying it is a page load of the shareable URL, and the page needs
        // no client-side form code.
        <form method="get" action="/admin" class="filter" aria-label="Filter the dashboard">
            <label>"From" <input type="date" name="from" value=filter.from.clone() /></label>
            <label>"To" <input type="date" name="to" value=filter.to.clone() /></label>
            <label>"Model"
                <select name="model">
                    <option value="" selected=selected_model.is_empty()>"All models"</option>
                    {names.into_iter().map(|m| {
                        let sel = m == selected_model;
                        view! { <option value=m.clone() selected=sel>{m.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Version"
                <select name="version">
                    <option value="" selected=selected_version.is_empty()>"All versions"</option>
                    {versions.into_iter().map(|v| {
                        let sel = v == selected_version;
                        view! { <option value=v.clone() selected=sel>{v.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Project"
                <select name="project">
                    <option value="" selected=selected_project.is_empty()>{all_projects}</option>
                    {projects.into_iter().map(|p| {
                        let sel = p.slug == selected_project;
                        let label = format!("{} ({})", p.name, p.slug);
                        view! { <option value=p.slug selected=sel>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button type="submit">"Apply"</button>
            <a href="/admin">"Last 30 days, all models"</a>
        </form>
    }
}

/// The guidelines editor, an island (as are the two forms below): saving says so beside the form.
#[island(lazy)]
fn GuidelinesForm(
    /// The guidelines in force.
    text: String,
    /// The project they belong to (its slug).
    project: String,
) -> impl IntoView {
    crate::pages::mark_live("guidelines");
    let save = ServerAction::<crate::guidelines::SaveGuidelines>::new();
    let result = save.value();
    view! {
        <ActionForm action=save attr:class="guidelines-form" attr:aria-label="Edit review guidelines">
            <input type="hidden" name="project" value=project />
            <label for="guidelines-text">"Guidelines"</label>
            <textarea id="guidelines-text" name="text" rows="10">{crate::html::textarea_text(&text)}</textarea>
            {move || field_message(&result.get(), "text").map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            <button type="submit">"Save guidelines"</button>
        </ActionForm>
        {move || matches!(result.get(), Some(Ok(_))).then(|| view! { <p class="saved" role="status">"Guidelines saved."</p> })}
    }
}

#[island(lazy)]
fn TagsForm(
    /// The project whose list this replaces (its slug).
    project: String,
    /// Whether the list may not be empty (the default project's may not).
    required: bool,
) -> impl IntoView {
    crate::pages::mark_live("tags");
    let save = ServerAction::<crate::error_tags::SetErrorTags>::new();
    let result = save.value();
    view! {
        <ActionForm action=save attr:class="inline-form" attr:aria-label="Change error tags">
            <input type="hidden" name="project" value=project />
            <label>"Tags, comma-separated"
                <input type="text" name="tags" size="50" required=required
                    placeholder="hallucination, omission, wrong emphasis, style, harmful" />
            </label>
            {move || field_message(&result.get(), "tags").map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            <button type="submit">"Save"</button>
        </ActionForm>
        {move || match result.get() {
            Some(Ok(tags)) => Some(view! { <p class="saved" role="status">{format!("Saved. In force now: {}.", tags.join(", "))}</p> }),
            _ => None,
        }}
    }
}

/// The routing form. What it changes shows in the charts on the next page load.
#[island(lazy)]
fn RoutingForm(
    /// The models to choose from, each once.
    names: Vec<String>,
    /// The project whose settings this changes (its slug).
    project: String,
) -> impl IntoView {
    let saved = ServerAction::<SetRouting>::new();
    crate::pages::mark_live("routing");
    let result = saved.value();
    let error = move |field: &'static str| {
        move || {
            field_message(&result.get(), field)
                .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
        }
    };
    let done = move || match result.get() {
        Some(Ok(s)) => Some(view! {
            <p class="saved" role="status">{format!(
                "Saved for {}{}: threshold {}, audit rate {}, {} review(s) per task; end users' dissatisfaction {}{}.",
                s.model,
                if s.project == crate::project::DEFAULT_SLUG { String::new() } else { format!(" in project {}", s.project) },
                s.threshold, s.audit_rate, s.reviews_per_task,
                if s.user_feedback_review {
                    format!("sends auto-accepted outputs to review (ratings up to {})", s.user_feedback_rating_at_most)
                } else {
                    "does not send outputs to review".to_owned()
                },
                if s.weak_support_review { "; confident outputs with marked summaries go to review" } else { "" }
            )}</p>
        }),
        _ => None,
    };
    view! {
        <ActionForm action=saved attr:class="inline-form" attr:aria-label="Change routing">
            <input type="hidden" name="project" value=project />
            <label>"For model"
                <select name="model">
                    <option value="*">"default (*)"</option>
                    {names.into_iter().map(|m| view! { <option value=m.clone()>{m.clone()}</option> }).collect_view()}
                </select>
            </label>
            {error("model")}
            <label>"Threshold"
                <input type="number" name="threshold" min="0" max="1" step="0.01" placeholder="keep" />
            </label>
            {error("threshold")}
            <label>"Audit rate"
                <input type="number" name="audit_rate" min="0" max="1" step="0.01" placeholder="keep" />
            </label>
            {error("audit_rate")}
            <label>"Reviews per task"
                <input type="number" name="reviews_per_task" min="1" max="10" placeholder="keep" />
            </label>
            {error("reviews_per_task")}
            <label>"End users' dissatisfaction"
                <select name="user_feedback_review">
                    <option value="">"keep"</option>
                    <option value="on">"sends to review"</option>
                    <option value="off">"does not"</option>
                </select>
            </label>
            {error("user_feedback_review")}
            <label>"Dissatisfied rating, at most"
                <input type="number" name="user_feedback_rating_at_most" min="1" max="5" step="0.5" placeholder="keep" />
            </label>
            {error("user_feedback_rating_at_most")}
            <label>"Marked summaries of confident outputs"
                <select name="weak_support_review">
                    <option value="">"keep"</option>
                    <option value="on">"send to review"</option>
                    <option value="off">"do not"</option>
                </select>
            </label>
            {error("weak_support_review")}
            <button type="submit">"Save"</button>
        </ActionForm>
        {done}
    }
}
