//! The review page's keys. One table, [`SHORTCUTS`], says which key does what: the keydown
//! handler acts on it, the form's `<kbd>` hints are read from it ([`hint`]) and the `?` dialog
//! ([`Shortcuts`]) lists it. Only the browser runs the handler; the server never sees key events.

use crate::domain::Verdict;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Rate the summary 1–5.
    Rate(u8),
    Verdict(Verdict),
    /// Mark or unmark the error tag at this place in the configured list.
    Tag(usize),
    /// Focus the comment box.
    Comment,
    /// Focus the correction box.
    Correct,
    Submit,
    /// Leave a text box, or close the dialog or the guidelines.
    Escape,
    Skip,
    /// Show or hide the guidelines.
    Guidelines,
    /// Focus the next summary sentence (the previous with `back`).
    Sentence {
        back: bool,
    },
    /// Show or hide the shortcuts dialog.
    Help,
}

/// One line of the shortcuts dialog and the keys behind it.
pub struct Shortcut {
    /// The keys as the dialog writes them.
    pub label: &'static str,
    pub what: &'static str,
    /// Each key (its `KeyboardEvent.key`) and what it does; none for keys the browser handles.
    pub keys: &'static [(&'static str, Act)],
}

/// Every key on the review page, in the dialog's order.
pub const SHORTCUTS: &[Shortcut] = &[
    line(
        "1 – 5",
        "rate the summary",
        &[
            ("1", Act::Rate(1)),
            ("2", Act::Rate(2)),
            ("3", Act::Rate(3)),
            ("4", Act::Rate(4)),
            ("5", Act::Rate(5)),
        ],
    ),
    line(
        "a / r / e",
        "verdict: accept, reject, escalate",
        &[
            ("a", Act::Verdict(Verdict::Accept)),
            ("r", Act::Verdict(Verdict::Reject)),
            ("e", Act::Verdict(Verdict::Escalate)),
        ],
    ),
    line(
        "6 – 9, 0",
        "mark or unmark the first five error tags",
        &[
            ("6", Act::Tag(0)),
            ("7", Act::Tag(1)),
            ("8", Act::Tag(2)),
            ("9", Act::Tag(3)),
            ("0", Act::Tag(4)),
        ],
    ),
    line("c", "write a comment", &[("c", Act::Comment)]),
    line("w", "correct the summary", &[("w", Act::Correct)]),
    line(
        "Enter",
        "submit (Ctrl + Enter inside a text box)",
        &[("Enter", Act::Submit)],
    ),
    line(
        "Esc",
        "leave a text box, or close this list",
        &[("Escape", Act::Escape)],
    ),
    line("s", "skip this task", &[("s", Act::Skip)]),
    line(
        "g",
        "show or hide the review guidelines",
        &[("g", Act::Guidelines)],
    ),
    line(
        "h / H",
        "next / previous summary sentence, with its support in the source",
        &[
            ("h", Act::Sentence { back: false }),
            ("H", Act::Sentence { back: true }),
        ],
    ),
    line("?", "show or hide this list", &[("?", Act::Help)]),
    line("Tab", "move between controls", &[]),
    line("Space", "choose the focused option", &[]),
];

const fn line(
    label: &'static str,
    what: &'static str,
    keys: &'static [(&'static str, Act)],
) -> Shortcut {
    Shortcut { label, what, keys }
}

fn keys() -> impl Iterator<Item = &'static (&'static str, Act)> {
    SHORTCUTS.iter().flat_map(|s| s.keys)
}

/// What `key` (a `KeyboardEvent.key`) does, if anything.
pub fn act_for(key: &str) -> Option<Act> {
    keys().find(|(k, _)| *k == key).map(|(_, act)| *act)
}

/// The key that does `act`, as written on screen; `None` for an error tag past the keyed ones.
pub fn key_of(act: Act) -> Option<&'static str> {
    keys()
        .find(|(_, a)| *a == act)
        .map(|(k, _)| if *k == "Escape" { "Esc" } else { k })
}

/// The key that does `act`, for a `<kbd>` hint beside its control.
pub fn hint(act: Act) -> &'static str {
    key_of(act).unwrap_or_default()
}

/// Adds `tag` to the chosen tags, or removes it.
pub fn toggle(tags: RwSignal<Vec<String>>, tag: &str) {
    tags.update(|t| match t.iter().position(|x| x == tag) {
        Some(i) => {
            t.remove(i);
        }
        None => t.push(tag.to_owned()),
    });
}

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

/// Listens for keys on the window until the calling owner (the task's form) is cleaned up.
pub fn listen(t: Targets) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| on_key(&ev, t));
    on_cleanup(move || handle.remove());
    // Tells people and browser tests that the shortcuts are live (only the WASM runs this).
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-keys", "ready");
    }
}

fn on_key(ev: &KeyboardEvent, t: Targets) {
    let crate::pages::KeyPlace {
        element: target,
        tag,
        typing,
    } = crate::pages::KeyPlace::of(ev);
    let act = act_for(&ev.key());
    // While the shortcuts list is open, only closing it does anything.
    if t.help.get_untracked() {
        if matches!(act, Some(Act::Escape | Act::Help)) {
            ev.prevent_default();
            t.help.set(false);
        }
        return;
    }
    if typing {
        // In a text box only the escape hatches act; everything else is typing.
        if act == Some(Act::Submit) && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            submit(&t, t.form);
        } else if act == Some(Act::Escape)
            && let Some(el) = &target
        {
            let _ = el.blur();
        }
        return;
    }
    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.repeat() {
        return;
    }
    let Some(act) = act else {
        return;
    };
    match act {
        Act::Rate(n) => t.rating.set(Some(n)),
        Act::Verdict(v) => t.verdict.set(v),
        Act::Comment => focus(t.comment),
        Act::Correct => focus(t.correction),
        Act::Skip => submit(&t, t.skip_form),
        Act::Help => t.help.set(true),
        Act::Guidelines => t.guide.update(|g| *g = !*g),
        Act::Sentence { back } => focus_next_sentence(back),
        Act::Escape if t.guide.get_untracked() => t.guide.set(false),
        Act::Tag(index) => match t.all_tags.with_value(|all| all.get(index).cloned()) {
            Some(tag) => toggle(t.tags, &tag),
            None => return,
        },
        // A focused button keeps its own meaning for Enter (Skip stays skip).
        Act::Submit if tag != "BUTTON" && tag != "A" => submit(&t, t.form),
        Act::Escape | Act::Submit => return,
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

/// Every shortcut, in a dialog the `?` key (or the button under the form) opens; Esc closes it.
#[component]
pub fn Shortcuts(open: RwSignal<bool>) -> impl IntoView {
    let close = NodeRef::<html::Button>::new();
    // Focus moves into the dialog when it opens, so Esc and Tab work from there.
    Effect::new(move |_| {
        if open.get()
            && let Some(button) = close.get()
        {
            let _ = button.focus();
        }
    });
    view! {
        <div class="shortcuts" role="dialog" aria-modal="true" aria-labelledby="shortcuts-h"
            hidden=move || !open.get()>
            <h2 id="shortcuts-h">"Keyboard shortcuts"</h2>
            <dl>
                {SHORTCUTS.iter().map(|s| view! { <dt><kbd>{s.label}</kbd></dt><dd>{s.what}</dd> }).collect_view()}
            </dl>
            <button type="button" node_ref=close on:click=move |_| open.set(false)>"Close " <kbd>{hint(Act::Escape)}</kbd></button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_does_two_things_and_no_act_has_two_keys() {
        let all: Vec<_> = keys().collect();
        for (i, (key, act)) in all.iter().enumerate() {
            assert!(
                all[i + 1..].iter().all(|(k, a)| k != key && a != act),
                "{key} / {act:?} is listed twice"
            );
        }
    }

    #[test]
    fn each_line_of_the_dialog_names_its_first_and_last_key() {
        for s in SHORTCUTS.iter().filter(|s| !s.keys.is_empty()) {
            for (_, act) in [s.keys.first(), s.keys.last()].into_iter().flatten() {
                assert!(s.label.contains(hint(*act)), "{} lacks {act:?}", s.label);
            }
        }
    }

    #[test]
    fn every_hint_on_the_page_has_a_key() {
        let shown = [
            Act::Rate(1),
            Act::Rate(5),
            Act::Comment,
            Act::Correct,
            Act::Submit,
        ]
        .into_iter()
        .chain([Act::Skip, Act::Help, Act::Guidelines, Act::Escape])
        .chain([Act::Sentence { back: false }, Act::Tag(4)])
        .chain(Verdict::ALL.map(Act::Verdict));
        for act in shown {
            assert!(key_of(act).is_some(), "{act:?} has no key");
        }
        assert_eq!(key_of(Act::Tag(5)), None);
        assert_eq!(act_for("Escape"), Some(Act::Escape));
        assert_eq!(hint(Act::Escape), "Esc");
    }
}
