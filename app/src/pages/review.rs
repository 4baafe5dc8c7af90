//! `/review`: one task at a time — source, summary, confidence, why it was routed — and the
//! feedback form, driven by the keyboard.
//!
//! The form is a plain HTML form posting to the submit server function, so it works before the
//! WASM loads. The desk ([`DeskView`]) is the page's one island, the only part that runs in the
//! browser: it keeps the next task claimed in the background ([`Desk`]), checks a submit with the
//! server's own rules and swaps the next task in at once, and a window key handler adds the
//! shortcuts. Keys: 1–5 rate, a / r / e verdict, 6–0 error tags, c comment,
//! w correct the summary, Enter submit (Ctrl+Enter inside a text box), Esc leave a text box,
//! s skip, g guidelines, h / H step through the summary's sentences and their support, ? list
//! them all. Correcting the summary shows a live word diff against the AI's.

use crate::domain::{MAX_REVIEW_TEXT_CHARS, Verdict};
use crate::error::AppError;
use crate::pages::support_view::{SourceText, SummaryText, SupportLegend};
use crate::pages::{ErrorNotice, Header};
use crate::review::{Judgement, SkipTask, SubmitReview, TaskView, Upcoming, current_task};
use leptos::form::FromFormData;
use leptos::html;
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

/// What the desk shows.
#[derive(Clone)]
enum Shown {
    Task(TaskView),
    /// Moved on with nothing prefetched: waiting for the server's answer.
    Loading,
    Empty,
}

impl Shown {
    fn from_current(task: Option<TaskView>) -> Self {
        task.map_or(Shown::Empty, Shown::Task)
    }

    fn task_id(&self) -> Option<uuid::Uuid> {
        match self {
            Shown::Task(t) => Some(t.id),
            _ => None,
        }
    }
}

/// The reviewer's desk: the task on screen plus the next one, claimed in the background.
///
/// Moving on (a valid submit, or a skip) shows the prefetched task at once and sends the
/// review afterwards; the server's answer names the current task (normally the one already on
/// screen) and the new one behind it. Answers can arrive out of order when the reviewer moves on
/// faster than the server answers, so only the answer to the latest move may change what is
/// shown. A review the server refuses after the page moved on is reported in a notice at the
/// top, and the reviewer's lease on that task stays, so it comes back to them.
#[derive(Clone, Copy)]
struct Desk {
    shown: RwSignal<Shown>,
    next: RwSignal<Option<TaskView>>,
    notice: RwSignal<Option<String>>,
    /// How many times the reviewer has moved on: the number of the latest move.
    moves: StoredValue<u64>,
}

impl Desk {
    /// Shows the prefetched task (or a loading line) and returns this move's number.
    fn move_on(self) -> u64 {
        lease::mark("loupe:move-on");
        self.shown.set(match self.next.get_untracked() {
            Some(t) => Shown::Task(t),
            None => Shown::Loading,
        });
        self.next.set(None);
        self.moves.update_value(|n| *n += 1);
        self.moves.get_value()
    }

    /// Waits for the server's answer to move number `move_no` and settles the desk with it.
    fn send(
        self,
        move_no: u64,
        answer: impl Future<Output = Result<Upcoming, AppError>> + 'static,
    ) {
        leptos::task::spawn_local(async move {
            let result = answer.await;
            let latest = self.moves.get_value() == move_no;
            match result {
                // An older answer describes a state a later move has already changed.
                Ok(_) if !latest => {}
                Ok(Upcoming { current, next }) => {
                    let showing = self.shown.with_untracked(Shown::task_id);
                    match current {
                        Some(c) if Some(c.id) == showing => {}
                        current => self.shown.set(Shown::from_current(current)),
                    }
                    self.next.set(next);
                }
                Err(e) => {
                    self.notice
                        .set(Some(format!("Your last review was not saved: {e}")));
                    if latest && matches!(self.shown.get_untracked(), Shown::Loading) {
                        self.reload_current();
                    }
                }
            }
        });
    }

    /// Asks the server for the current task after a failed move-on left nothing on screen.
    fn reload_current(self) {
        leptos::task::spawn_local(async move {
            match current_task().await {
                Ok(task) => self.shown.set(Shown::from_current(task)),
                Err(e) => self.notice.set(Some(e.to_string())),
            }
        });
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
    let desk = Desk {
        shown: RwSignal::new(Shown::from_current(first)),
        next: RwSignal::new(None),
        notice: RwSignal::new(None),
        moves: StoredValue::new(0),
    };
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
                    view! { <TaskReview task=t desk error /> }.into_any()
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

/// The task on screen and its feedback form.
#[component]
fn TaskReview(
    task: TaskView,
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
    // The correction as typed, diffed live against the AI summary below the box.
    let corrected = RwSignal::new(task.summary.clone());
    let original = task.summary.clone();
    let diff = Memo::new(move |_| corrected.with(|c| crate::diff::word_diff(&original, c)));
    let help = RwSignal::new(false);
    let guide = RwSignal::new(false);
    // Error tags: the checkboxes show the choice, one hidden field carries it (comma-separated).
    let all_tags = StoredValue::new(task.error_tags.clone());
    let tags = RwSignal::new(Vec::<String>::new());
    // Once this task is sent on its way, keys must not send it again.
    let sent = RwSignal::new(false);
    // The form's error, from the same checks the server makes, found before moving on.
    let error = RwSignal::new(error);

    let default_correction = task.summary.clone();
    Effect::new(move |_| {
        // After a move the desk shows the next task in the same form elements (Leptos updates the
        // DOM in place), and a textarea the reviewer typed in keeps its typed value whatever its
        // new content says. So both boxes are set to this task's defaults: one task's comment or
        // correction can never be shown, or sent, with the next. (Not on the first task: what a
        // reviewer typed before the WASM loaded stays.)
        if desk.moves.get_value() > 0 {
            if let Some(c) = comment.get_untracked() {
                c.set_value("");
            }
            if let Some(c) = correction.get_untracked() {
                c.set_value(&default_correction);
            }
        }
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            keyboard::on_key(
                &ev,
                keyboard::Targets {
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
                },
            );
        });
        on_cleanup(move || handle.remove());
        // Tells people and browser tests that the shortcuts are live (only the WASM runs this).
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-keys", "ready");
        }
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
        let move_no = desk.move_on();
        desk.send(
            move_no,
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
        let move_no = desk.move_on();
        desk.send(
            move_no,
            SkipTask {
                prefetch: Some("1".into()),
                ..args
            }
            .run_on_client(),
        );
    };
    let level = if task.is_low_confidence() {
        "low"
    } else {
        "high"
    };
    let percent = (task.confidence * 100.0).round();
    let threshold = (task.threshold * 100.0).round();
    let id = task.id.to_string();
    let (submit_id, skip_id) = (id.clone(), id.clone());
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
                    <SourceText document=task.document spans=task.support.as_ref().map(|s| s.source.clone()).unwrap_or_default() lit />
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
                    <span class="waiting">{task.waiting}" more waiting"</span>
                </div>
                <h2 id="summary-heading">"AI summary"</h2>
                <p class="summary">
                    <SummaryText summary=task.summary.clone() support=task.support.clone() weak_below=task.weak_below active />
                </p>
                <SupportLegend support=task.support weak_below=task.weak_below />
                {metadata}
                <form method="post" action=SubmitReview::url() node_ref=form class="review-form" on:submit=on_submit>
                    <input type="hidden" name="task_id" value=submit_id />
                    <fieldset class="rating">
                        <legend>"Rating " <kbd>"1"</kbd>"–"<kbd>"5"</kbd></legend>
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
                                        <kbd>{v.key().to_string()}</kbd>
                                    </label>
                                }
                            })
                            .collect_view()}
                        <p class="field-error" role="alert">{move || error_for("verdict")}</p>
                    </fieldset>
                    <fieldset class="tags">
                        <legend>"Error tags"</legend>
                        <input type="hidden" name="error_tags" prop:value=move || tags.with(|t| t.join(",")) />
                        {task.error_tags.iter().enumerate().map(|(i, tag)| {
                            let tag = tag.clone();
                            let key = keyboard::TAG_KEYS.get(i).copied();
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
                                    {key.map(|k| view! { <kbd>{k.to_string()}</kbd> })}
                                </label>
                            }
                        }).collect_view()}
                        <p class="field-error" role="alert">{move || error_for("error_tags")}</p>
                    </fieldset>
                    <div class="field">
                        <label for="comment">"Comment " <kbd>"c"</kbd></label>
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
                        <label for="corrected_summary">"Corrected summary " <kbd>"w"</kbd></label>
                        <textarea
                            id="corrected_summary"
                            name="corrected_summary"
                            rows="6"
                            maxlength=MAX_REVIEW_TEXT_CHARS
                            node_ref=correction
                            on:input=move |ev| corrected.set(event_target_value(&ev))
                        >
                            {crate::html::textarea_text(&task.summary)}
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
                            "Submit " <kbd>"Enter"</kbd>
                        </button>
                    </div>
                </form>
                <form method="post" action=SkipTask::url() node_ref=skip_form class="skip-form" on:submit=on_skip>
                    <input type="hidden" name="task_id" value=skip_id />
                    <button type="submit" disabled=move || sent.get()>
                        "Skip " <kbd>"s"</kbd>
                    </button>
                </form>
                <button type="button" class="link keys-button" aria-haspopup="dialog"
                    on:click=move |_| help.set(true)>
                    "Keyboard shortcuts " <kbd>"?"</kbd>
                </button>
                <button type="button" class="link keys-button" aria-controls="guidelines"
                    aria-expanded=move || guide.get().to_string()
                    on:click=move |_| guide.update(|g| *g = !*g)>
                    "Guidelines " <kbd>"g"</kbd>
                </button>
                <Shortcuts open=help />
                <GuidelinesPanel open=guide />
            </section>
        </div>
    }
}

/// The review guidelines beside the task, loaded when first opened (key `g`, Esc closes).
#[component]
fn GuidelinesPanel(open: RwSignal<bool>) -> impl IntoView {
    let text = Resource::new(
        move || open.get(),
        |open| async move {
            if open {
                crate::guidelines::load_guidelines().await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    view! {
        <aside id="guidelines" class="guidelines" aria-labelledby="guidelines-h" hidden=move || !open.get()>
            <h2 id="guidelines-h">"Review guidelines"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match text.await {
                        Ok(Some(g)) if g.text.is_empty() => view! { <p class="hint">"No guidelines have been written yet."</p> }.into_any(),
                        Ok(Some(g)) => view! { <div class="guidelines-text" inner_html=g.html></div> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <button type="button" on:click=move |_| open.set(false)>"Close " <kbd>"g"</kbd></button>
        </aside>
    }
}

/// Every shortcut, in a dialog the `?` key (or the button under the form) opens; Esc closes it.
#[component]
fn Shortcuts(open: RwSignal<bool>) -> impl IntoView {
    let close = NodeRef::<html::Button>::new();
    // Focus moves into the dialog when it opens, so Esc and Tab work from there.
    Effect::new(move |_| {
        if open.get()
            && let Some(button) = close.get()
        {
            let _ = button.focus();
        }
    });
    const KEYS: [(&str, &str); 13] = [
        ("1 – 5", "rate the summary"),
        ("a / r / e", "verdict: accept, reject, escalate"),
        ("6 – 9, 0", "mark or unmark the first five error tags"),
        ("c", "write a comment"),
        ("w", "correct the summary"),
        ("Enter", "submit (Ctrl + Enter inside a text box)"),
        ("Esc", "leave a text box, or close this list"),
        ("s", "skip this task"),
        ("g", "show or hide the review guidelines"),
        (
            "h / H",
            "next / previous summary sentence, with its support in the source",
        ),
        ("?", "show or hide this list"),
        ("Tab", "move between controls"),
        ("Space", "choose the focused option"),
    ];
    view! {
        <div class="shortcuts" role="dialog" aria-modal="true" aria-labelledby="shortcuts-h"
            hidden=move || !open.get()>
            <h2 id="shortcuts-h">"Keyboard shortcuts"</h2>
            <dl>
                {KEYS.iter().map(|(k, what)| view! { <dt><kbd>{*k}</kbd></dt><dd>{*what}</dd> }).collect_view()}
            </dl>
            <button type="button" node_ref=close on:click=move |_| open.set(false)>"Close " <kbd>"Esc"</kbd></button>
        </div>
    }
}

/// The review page's shortcuts. Only the browser runs this; the server never sees key events.
mod keyboard {
    use crate::domain::Verdict;
    use leptos::html;
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::KeyboardEvent;

    /// What the shortcuts act on.
    #[derive(Clone, Copy)]
    pub struct Targets {
        pub busy: RwSignal<bool>,
        pub rating: RwSignal<Option<u8>>,
        pub verdict: RwSignal<Verdict>,
        pub form: NodeRef<html::Form>,
        pub skip_form: NodeRef<html::Form>,
        pub comment: NodeRef<html::Textarea>,
        pub correction: NodeRef<html::Textarea>,
        /// The shortcuts dialog and the guidelines panel.
        pub help: RwSignal<bool>,
        pub guide: RwSignal<bool>,
        /// The configured error tags, and the ones chosen.
        pub all_tags: StoredValue<Vec<String>>,
        pub tags: RwSignal<Vec<String>>,
    }

    /// The keys that toggle the first error tags, in list order.
    pub const TAG_KEYS: [char; 5] = ['6', '7', '8', '9', '0'];

    /// Adds `tag` to the chosen tags, or removes it.
    pub fn toggle(tags: RwSignal<Vec<String>>, tag: &str) {
        tags.update(|t| match t.iter().position(|x| x == tag) {
            Some(i) => {
                t.remove(i);
            }
            None => t.push(tag.to_owned()),
        });
    }

    pub fn on_key(ev: &KeyboardEvent, t: Targets) {
        let target = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
        let tag = target.as_ref().map(|el| el.tag_name()).unwrap_or_default();
        let typing = matches!(tag.as_str(), "TEXTAREA" | "SELECT")
            || (tag == "INPUT"
                && target
                    .as_ref()
                    .and_then(|el| el.get_attribute("type"))
                    .is_none_or(|ty| !matches!(ty.as_str(), "radio" | "checkbox")));
        let key = ev.key();
        // While the shortcuts list is open, only closing it does anything.
        if t.help.get_untracked() {
            if key == "Escape" || key == "?" {
                ev.prevent_default();
                t.help.set(false);
            }
            return;
        }
        if typing {
            // In a text box only the escape hatches act; everything else is typing.
            if key == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                ev.prevent_default();
                submit(&t, t.form);
            } else if key == "Escape"
                && let Some(el) = &target
            {
                let _ = el.blur();
            }
            return;
        }
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.repeat() {
            return;
        }
        match key.as_str() {
            "1" | "2" | "3" | "4" | "5" => t.rating.set(key.parse().ok()),
            "a" => t.verdict.set(Verdict::Accept),
            "r" => t.verdict.set(Verdict::Reject),
            "e" => t.verdict.set(Verdict::Escalate),
            "c" => focus(t.comment),
            "w" => focus(t.correction),
            "s" => submit(&t, t.skip_form),
            "?" => t.help.set(true),
            "g" => t.guide.update(|g| *g = !*g),
            "h" | "H" => focus_next_sentence(key == "H"),
            "Escape" if t.guide.get_untracked() => t.guide.set(false),
            "6" | "7" | "8" | "9" | "0" => {
                let index = TAG_KEYS
                    .iter()
                    .position(|k| key.starts_with(*k))
                    .unwrap_or(0);
                match t.all_tags.with_value(|all| all.get(index).cloned()) {
                    Some(tag) => toggle(t.tags, &tag),
                    None => return,
                }
            }
            // A focused button keeps its own meaning for Enter (Skip stays skip).
            "Enter" if tag != "BUTTON" && tag != "A" => submit(&t, t.form),
            _ => return,
        }
        ev.prevent_default();
    }

    fn submit(t: &Targets, form: NodeRef<html::Form>) {
        if t.busy.get_untracked() {
            return;
        }
        if let Some(form) = form.get_untracked() {
            // requestSubmit (not submit) fires the submit event the form's handler listens for.
            let _ = form.request_submit();
        }
    }

    /// Moves focus to the next summary sentence (the previous with Shift), wrapping around; the
    /// sentence's focus handler then shows its support.
    fn focus_next_sentence(back: bool) {
        let Ok(list) = document().query_selector_all(".sum-sent") else {
            return;
        };
        let n = list.length();
        if n == 0 {
            return;
        }
        let current = document().active_element();
        let at = (0..n).find(|&i| {
            list.item(i)
                .is_some_and(|node| current.as_ref().is_some_and(|c| node.is_same_node(Some(c))))
        });
        let next = match (at, back) {
            (Some(i), false) => (i + 1) % n,
            (Some(i), true) => (i + n - 1) % n,
            (None, false) => 0,
            (None, true) => n - 1,
        };
        if let Some(el) = list
            .item(next)
            .and_then(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }

    fn focus(area: NodeRef<html::Textarea>) {
        if let Some(area) = area.get_untracked() {
            let _ = area.focus();
        }
    }
}

/// The background claim's lifecycle in the browser: fetch the next task once the page is live,
/// renew the leases while it stays open, give the claim back when the page is left. Also the
/// performance marks browser tests and benchmarks read. The server renders none of this.
mod lease {
    use super::Shown;
    use crate::review::{RENEW_EVERY_SECS, ReleaseNext, TaskView, claim_next, renew_leases};
    use leptos::prelude::*;
    use leptos::server_fn::ServerFn;
    use leptos::task::spawn_local;
    use std::time::Duration;

    /// Keeps `next` filled while a task is on screen.
    pub fn keep(shown: RwSignal<Shown>, next: RwSignal<Option<TaskView>>) {
        let fetch = move || {
            if matches!(shown.get_untracked(), Shown::Task(_))
                && next.with_untracked(Option::is_none)
            {
                spawn_local(async move {
                    // A failure only costs the head start: the page then waits on the server.
                    if let Ok(Some(t)) = claim_next().await {
                        // A move-on that overtook this request may have made it current already.
                        if shown.with_untracked(Shown::task_id) != Some(t.id) {
                            next.set(Some(t));
                        }
                    }
                });
            }
        };
        Effect::new(move |_| {
            fetch();
            let renew = set_interval_with_handle(
                move || {
                    spawn_local(async move {
                        if let Ok(held) = renew_leases().await {
                            // The claim lapsed (a sleeping laptop): drop it and claim afresh.
                            if next.with_untracked(|n| {
                                n.as_ref().is_some_and(|t| !held.contains(&t.id))
                            }) {
                                next.set(None);
                                fetch();
                            }
                        }
                    });
                },
                Duration::from_secs(RENEW_EVERY_SECS.into()),
            );
            // Every way off the page is a page load (the pages are server-rendered; only the
            // desk runs in the browser), so `pagehide` covers them all.
            let hide = window_event_listener(leptos::ev::pagehide, move |_| {
                release();
                next.set(None);
            });
            // Back from the back/forward cache: the claim was given back, so take a new one.
            let show = window_event_listener(leptos::ev::pageshow, move |ev| {
                if ev.persisted() {
                    fetch();
                }
            });
            on_cleanup(move || {
                if let Ok(renew) = renew {
                    renew.clear();
                }
                hide.remove();
                show.remove();
            });
        });
    }

    /// A beacon survives the page being torn down, which a fetch does not.
    fn release() {
        let _ = window().navigator().send_beacon(ReleaseNext::url());
    }

    pub fn mark(name: &str) {
        if let Some(p) = window().performance() {
            let _ = p.mark(name);
        }
    }

    /// Marks the next frame, when layout for what was just rendered is done.
    pub fn mark_when_painted(name: &'static str) {
        request_animation_frame(move || mark(name));
    }
}
