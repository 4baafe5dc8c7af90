//! The feedback form under the task: rating, verdict, error tags, comment and correction (with
//! a live diff), then Submit and Skip. Both are plain HTML forms that post without the WASM;
//! with it, a submit is checked with the server's own rules and the desk moves on at once.

use super::desk::Desk;
use super::guidelines::GuidelinesPanel;
use super::keyboard::{self, Act, Shortcuts, hint};
use super::lease;
use crate::domain::{MAX_REVIEW_TEXT_CHARS, Verdict};
use crate::error::AppError;
use crate::review::{Judgement, SkipTask, SubmitReview};
use leptos::form::FromFormData;
use leptos::html;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The form for one task, and the buttons and panels beside it.
#[component]
pub fn ReviewForm(
    task_id: String,
    /// The AI summary: the correction box starts from it and is diffed against it.
    summary: String,
    /// The task's project: its guidelines open beside the form.
    project: String,
    /// The error tags of the task's project, in the order of their keys.
    error_tags: Vec<String>,
    desk: Desk,
    /// The error of this form's post without scripts, if the server refused it.
    error: Option<AppError>,
) -> impl IntoView {
    let rating = RwSignal::new(None::<u8>);
    let verdict = RwSignal::new(Verdict::Accept);
    let form = NodeRef::<html::Form>::new();
    let skip_form = NodeRef::<html::Form>::new();
    let comment = NodeRef::<html::Textarea>::new();
    let correction = NodeRef::<html::Textarea>::new();
    // The correction as typed, diffed live against the AI summary below the box.
    let corrected = RwSignal::new(summary.clone());
    let original = summary.clone();
    let diff = Memo::new(move |_| corrected.with(|c| crate::diff::word_diff(&original, c)));
    let help = RwSignal::new(false);
    let guide = RwSignal::new(false);
    // Error tags: the checkboxes show the choice, one hidden field carries it (comma-separated).
    let all_tags = StoredValue::new(error_tags.clone());
    let tags = RwSignal::new(Vec::<String>::new());
    // Once this task is sent on its way, keys must not send it again.
    let sent = RwSignal::new(false);
    // The form's error, from the same checks the server makes, found before moving on.
    let error = RwSignal::new(error);

    let default_correction = summary.clone();
    Effect::new(move |_| {
        // After a move the desk shows the next task in the same form elements (Leptos updates the
        // DOM in place), and a textarea the reviewer typed in keeps its typed value whatever its
        // new content says. So both boxes are set to this task's defaults: one task's comment or
        // correction can never be shown, or sent, with the next. (Not on the first task: what a
        // reviewer typed before the WASM loaded stays.)
        if desk.has_moved() {
            if let Some(c) = comment.get_untracked() {
                c.set_value("");
            }
            if let Some(c) = correction.get_untracked() {
                c.set_value(&default_correction);
            }
        }
        keyboard::listen(keyboard::Targets {
            busy: sent,
            rating,
            verdict,
            form,
            skip_form,
            comment,
            correction,
            help,
            guide,
            all_tags,
            tags,
        });
        lease::mark_when_painted("loupe:task-shown");
    });

    let error_for =
        move |field: &'static str| error.with(|e| e.as_ref().and_then(|e| e.message_for(field)));
    let form_error = move || {
        error.with(|e| {
            e.as_ref()
                .filter(|e| !matches!(e, AppError::Validation { .. }))
                .map(ToString::to_string)
        })
    };
    // Checks the form, then moves on at once and sends the review behind the scenes.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sent.get_untracked() {
            return;
        }
        let args = match SubmitReview::from_event(&ev) {
            Ok(args) => args,
            Err(_) => {
                error.set(Some(AppError::invalid(
                    "form",
                    "the form could not be read; reload the page",
                )));
                return;
            }
        };
        let checked = all_tags.with_value(|allowed| {
            Judgement::from_fields(
                args.rating.as_deref(),
                args.verdict.as_deref(),
                args.comment.as_deref(),
                args.corrected_summary.as_deref(),
                args.error_tags.as_deref(),
                allowed,
            )
        });
        if let Err(e) = checked {
            error.set(Some(e));
            return;
        }
        sent.set(true);
        desk.move_on(
            SubmitReview {
                prefetch: Some("1".into()),
                ..args
            }
            .run_on_client(),
        );
    };
    let on_skip = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sent.get_untracked() {
            return;
        }
        let Ok(args) = SkipTask::from_event(&ev) else {
            return;
        };
        sent.set(true);
        desk.move_on(
            SkipTask {
                prefetch: Some("1".into()),
                ..args
            }
            .run_on_client(),
        );
    };
    let skip_id = task_id.clone();

    view! {
        <form method="post" action=SubmitReview::url() node_ref=form class="review-form" on:submit=on_submit>
            <input type="hidden" name="task_id" value=task_id />
            <fieldset class="rating">
                <legend>"Rating " <kbd>{hint(Act::Rate(1))}</kbd>"–"<kbd>{hint(Act::Rate(5))}</kbd></legend>
                {(1..=5u8)
                    .map(|n| {
                        view! {
                            <label class="choice">
                                <input
                                    type="radio"
                                    name="rating"
                                    value=n.to_string()
                                    prop:checked=move || rating.get() == Some(n)
                                    on:change=move |_| rating.set(Some(n))
                                />
                                <span>{n}</span>
                            </label>
                        }
                    })
                    .collect_view()}
                <p class="field-error" role="alert">{move || error_for("rating")}</p>
            </fieldset>
            <fieldset class="verdict">
                <legend>"Verdict"</legend>
                {Verdict::ALL
                    .into_iter()
                    .map(|v| {
                        view! {
                            <label class=format!("choice {}", v.as_str())>
                                <input
                                    type="radio"
                                    name="verdict"
                                    value=v.as_str()
                                    checked=v == Verdict::Accept
                                    prop:checked=move || verdict.get() == v
                                    on:change=move |_| verdict.set(v)
                                />
                                <span>{v.label()}</span>
                                <kbd>{hint(Act::Verdict(v))}</kbd>
                            </label>
                        }
                    })
                    .collect_view()}
                <p class="field-error" role="alert">{move || error_for("verdict")}</p>
            </fieldset>
            <fieldset class="tags">
                <legend>"Error tags"</legend>
                <input type="hidden" name="error_tags" prop:value=move || tags.with(|t| t.join(",")) />
                {error_tags.into_iter().enumerate().map(|(i, tag)| {
                    let key = keyboard::key_of(Act::Tag(i));
                    let (t1, t2) = (tag.clone(), tag.clone());
                    view! {
                        <label class="choice tag">
                            <input
                                type="checkbox"
                                value=tag.clone()
                                prop:checked=move || tags.with(|t| t.contains(&t1))
                                on:change=move |_| keyboard::toggle(tags, &t2)
                            />
                            <span>{tag}</span>
                            {key.map(|k| view! { <kbd>{k}</kbd> })}
                        </label>
                    }
                }).collect_view()}
                <p class="field-error" role="alert">{move || error_for("error_tags")}</p>
            </fieldset>
            <div class="field">
                <label for="comment">"Comment " <kbd>{hint(Act::Comment)}</kbd></label>
                <textarea
                    id="comment"
                    name="comment"
                    rows="3"
                    maxlength=MAX_REVIEW_TEXT_CHARS
                    node_ref=comment
                    placeholder="What is wrong or right about this summary?"
                ></textarea>
                <p class="field-error" role="alert">{move || error_for("comment")}</p>
            </div>
            <div class="field">
                <label for="corrected_summary">"Corrected summary " <kbd>{hint(Act::Correct)}</kbd></label>
                <textarea
                    id="corrected_summary"
                    name="corrected_summary"
                    rows="6"
                    maxlength=MAX_REVIEW_TEXT_CHARS
                    node_ref=correction
                    on:input=move |ev| corrected.set(event_target_value(&ev))
                >
                    {crate::html::textarea_text(&summary)}
                </textarea>
                <p class="hint">"Edit only if the summary should read differently."</p>
                <div class="live-diff" aria-live="polite" aria-label="Your changes to the summary">
                    {move || {
                        let parts = diff.get();
                        if crate::diff::unchanged(&parts) {
                            view! { <p class="hint">"No changes to the summary."</p> }.into_any()
                        } else {
                            view! { <crate::pages::DiffText parts=parts /> }.into_any()
                        }
                    }}
                </div>
                <p class="field-error" role="alert">{move || error_for("corrected_summary")}</p>
            </div>
            <p class="form-error" role="alert">{form_error}</p>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || sent.get()>
                    "Submit " <kbd>{hint(Act::Submit)}</kbd>
                </button>
            </div>
        </form>
        <form method="post" action=SkipTask::url() node_ref=skip_form class="skip-form" on:submit=on_skip>
            <input type="hidden" name="task_id" value=skip_id />
            <button type="submit" disabled=move || sent.get()>
                "Skip " <kbd>{hint(Act::Skip)}</kbd>
            </button>
        </form>
        <button type="button" class="link keys-button" aria-haspopup="dialog"
            on:click=move |_| help.set(true)>
            "Keyboard shortcuts " <kbd>{hint(Act::Help)}</kbd>
        </button>
        <button type="button" class="link keys-button" aria-controls="guidelines"
            aria-expanded=move || guide.get().to_string()
            on:click=move |_| guide.update(|g| *g = !*g)>
            "Guidelines " <kbd>{hint(Act::Guidelines)}</kbd>
        </button>
        <Shortcuts open=help />
        <GuidelinesPanel open=guide project />
    }
}
