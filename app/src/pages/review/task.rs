//! The task on screen: the source document, the AI summary with its support in the source, the
//! facts that say why it came to a person (confidence, threshold, reason, model), what end users
//! said about it, its metadata, and below them the feedback form.

use super::desk::Desk;
use super::end_users::EndUserFeedback;
use super::form::ReviewForm;
use crate::error::AppError;
use crate::pages::support_view::{MarkList, SourceText, SummaryText, SupportLegend};
use crate::review::TaskView;
use leptos::prelude::*;

/// The task on screen and its feedback form.
#[component]
pub fn TaskReview(
    task: TaskView,
    desk: Desk,
    /// The error of this form's post without scripts, if the server refused it.
    error: Option<AppError>,
) -> impl IntoView {
    // The summary sentence being looked at, and the source sentences that support it.
    let active = RwSignal::new(None::<usize>);
    let support = StoredValue::new(task.support.clone());
    let lit = Memo::new(move |_| {
        active
            .get()
            .and_then(|i| {
                support.with_value(|s| s.as_ref()?.summary.get(i).map(|x| x.sources.clone()))
            })
            .unwrap_or_default()
    });
    let level = if task.is_low_confidence() {
        "low"
    } else {
        "high"
    };
    let percent = (task.confidence * 100.0).round();
    let threshold = (task.threshold * 100.0).round();
    let id = task.id.to_string();
    let form_id = id.clone();
    let metadata = (!task.metadata.is_empty()).then(|| {
        view! {
            <dl class="metadata">
                {task
                    .metadata
                    .into_iter()
                    .map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> })
                    .collect_view()}
            </dl>
        }
    });

    view! {
        <div class="task-grid" data-task-id=id>
            <section class="source" aria-labelledby="source-heading">
                <h2 id="source-heading">"Source document"</h2>
                <div class="document" tabindex="0">
                    <SourceText document=task.document.clone() spans=task.support.as_ref().map(|s| s.source.clone()).unwrap_or_default() lit />
                </div>
            </section>
            <section class="judge" aria-labelledby="summary-heading">
                <div class="facts">
                    <span
                        class=format!("confidence {level}")
                        title=format!("Model confidence {percent:.0}%; threshold {threshold:.0}%")
                    >
                        <span class="label">{if level == "low" { "Low" } else { "High" }}</span>
                        {format!(" {percent:.0}%")}
                        <meter min="0" max="1" value=task.confidence low=task.threshold optimum="1"></meter>
                    </span>
                    <span class="threshold">{format!("threshold {threshold:.0}%")}</span>
                    <span class="reason">{task.reason.explanation()}</span>
                    <span class="model">{task.model}" "<span class="version">{task.model_version}</span></span>
                    {(task.project != crate::project::DEFAULT_SLUG).then(|| view! {
                        <span class="project">"project "{task.project.clone()}</span>
                    })}
                    <span class="waiting">{task.waiting}" more waiting"</span>
                </div>
                {task.requeue_note.map(|note| view! {
                    <aside class="requeue-note" aria-label="Why this is back">
                        <strong>"Sent back by an admin: "</strong>
                        <span class="note-text">{note}</span>
                    </aside>
                })}
                <h2 id="summary-heading">"AI summary"</h2>
                <p class="summary">
                    <SummaryText summary=task.summary.clone() support=task.support.clone() weak_below=task.weak_below active />
                </p>
                <SupportLegend support=task.support.clone() weak_below=task.weak_below />
                <MarkList document=task.document summary=task.summary.clone() support=task.support />
                <EndUserFeedback summary=task.end_users />
                {metadata}
                <ReviewForm task_id=form_id summary=task.summary project=task.project error_tags=task.error_tags desk error />
            </section>
        </div>
    }
}
