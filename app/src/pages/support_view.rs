//! The source-support hints on the review page: the source document split into its sentences,
//! and the AI summary split into its sentences, the marked ones underlined and the words a mark
//! is about highlighted; under the summary, each mark explained in a sentence naming the source
//! sentence it departs from. Hovering or focusing a summary sentence highlights the source
//! sentences that support it and scrolls the first into view. Every character of both texts is
//! kept: the hints only wrap ranges of them in elements.
//!
//! The hints are computed once per task by a background worker; until they are, the texts are
//! shown plain with a note saying so. When a cap of `crate::support` left part of a text
//! unchecked, the checked part has its hints and a note says what was not checked.

use crate::pages::review::keyboard::{Act, hint};
use crate::support::{Mark, MarkKind, Span, Support};
use leptos::prelude::*;

/// Splits `text` at the given ranges: `(piece, Some(index))` for a range, `(gap, None)` for the
/// text between ranges. Empty gaps are left out.
fn pieces(text: &str, spans: impl Iterator<Item = Span>) -> Vec<(String, Option<usize>)> {
    let mut out = Vec::new();
    let mut at = 0usize;
    for (i, (s, e)) in spans.enumerate() {
        let (s, e) = (s as usize, e as usize);
        if s < at || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            // Hints that no longer fit the text (never expected): show the rest as it is.
            break;
        }
        if s > at {
            out.push((text[at..s].to_owned(), None));
        }
        out.push((text[s..e].to_owned(), Some(i)));
        at = e;
    }
    if at < text.len() {
        out.push((text[at..].to_owned(), None));
    }
    out
}

/// The source document, its sentences highlighted while they support the active summary sentence.
#[component]
pub fn SourceText(document: String, spans: Vec<Span>, lit: Memo<Vec<u32>>) -> impl IntoView {
    pieces(&document, spans.into_iter())
        .into_iter()
        .map(|(text, index)| match index {
            Some(i) => view! {
                <span id=format!("src-{i}") class="src-sent" class:supports=move || lit.with(|l| l.contains(&(i as u32)))>
                    {text}
                </span>
            }
            .into_any(),
            // Gaps get an element too, so no two text nodes are ever adjacent for hydration.
            None => view! { <span>{text}</span> }.into_any(),
        })
        .collect_view()
}

/// The AI summary, sentence by sentence (plain while the hints are not computed yet). `active`
/// is the sentence being looked at.
#[component]
pub fn SummaryText(
    summary: String,
    support: Option<Support>,
    weak_below: f64,
    active: RwSignal<Option<usize>>,
) -> impl IntoView {
    let sentences = support.map(|s| s.summary).unwrap_or_default();
    let spans: Vec<Span> = sentences.iter().map(|s| s.span).collect();
    pieces(&summary, spans.into_iter())
        .into_iter()
        .map(|(text, index)| {
            let Some(i) = index else {
                return view! { <span>{text}</span> }.into_any();
            };
            let sentence = &sentences[i];
            let weak = sentence.is_weak(weak_below);
            let marked = sentence.marked || weak;
            let percent = (sentence.score * 100.0).round();
            let first_source = sentence.sources.first().copied();
            // Marked words are ranges of the whole summary; make them relative to this sentence.
            let offset = sentence.span.0;
            let words = word_marks(&sentence.marks);
            let inner = pieces(
                &text,
                words.iter().map(|m| (m.span.0 - offset, m.span.1 - offset)),
            )
            .into_iter()
            .map(|(t, word)| match word.map(|w| words[w]) {
                Some(m) if m.source.is_none() => {
                    view! { <mark class="unsupported" title="Not found in the source">{t}</mark> }.into_any()
                }
                Some(m) => view! {
                    <mark class="changed" title=format!("{}: not in the source sentence it follows", m.kind.label())>{t}</mark>
                }
                .into_any(),
                None => view! { <span>{t}</span> }.into_any(),
            })
            .collect_view();
            let title = if weak {
                format!("Weak support in the source ({percent:.0}% of its content found)")
            } else if marked {
                format!("Marked: see why under the summary ({percent:.0}% of its content found)")
            } else {
                format!("Supported by the source ({percent:.0}% of its content found)")
            };
            let show = move || {
                active.set(Some(i));
                if let Some(j) = first_source {
                    reveal(j);
                }
            };
            view! {
                <span
                    class="sum-sent"
                    class:weak=marked
                    class:active=move || active.get() == Some(i)
                    aria-describedby=marked.then_some(WEAK_NOTE)
                    tabindex="0"
                    title=title
                    on:mouseenter=move |_| show()
                    on:focus=move |_| show()
                    on:mouseleave=move |_| active.set(None)
                    on:blur=move |_| active.set(None)
                >
                    {inner}
                </span>
            }
            .into_any()
        })
        .collect_view()
}

/// The marks that highlight words (not a whole sentence), in order, none overlapping the one
/// before it.
fn word_marks(marks: &[Mark]) -> Vec<&Mark> {
    let mut out: Vec<&Mark> = Vec::new();
    for m in marks {
        if matches!(
            m.kind,
            MarkKind::Weak | MarkKind::Stitched | MarkKind::Repeated
        ) {
            continue;
        }
        if out.last().is_none_or(|last| last.span.1 <= m.span.0) {
            out.push(m);
        }
    }
    out
}

/// The id of the hidden text a marked sentence is described by, so a screen reader hears that
/// it is marked without the words becoming part of the summary's text.
const WEAK_NOTE: &str = "weak-support-note";

/// Marks explained at most; the rest are counted. A summary built to be marked everywhere
/// must not make the page long.
const MAX_EXPLAINED: usize = 40;

/// Longest quote of a source sentence in an explanation, in characters.
const QUOTE_CHARS: usize = 200;

/// Each mark of the summary explained, sentence by sentence: what is unsupported and the
/// source sentence it departs from or is missing from.
#[component]
pub fn MarkList(document: String, summary: String, support: Option<Support>) -> impl IntoView {
    let Some(support) = support else {
        return ().into_any();
    };
    let (support, document, summary) = (&support, document.as_str(), summary.as_str());
    let all = support
        .summary
        .iter()
        .enumerate()
        .flat_map(|(i, sentence)| sentence.marks.iter().map(move |m| (i, sentence.score, m)));
    let total = all.clone().count();
    if total == 0 {
        return ().into_any();
    }
    let more = total.saturating_sub(MAX_EXPLAINED);
    let items = all
        .take(MAX_EXPLAINED)
        .map(|(i, score, m)| {
            let text = explain(m, score, support, document, summary);
            view! {
                <li>
                    <span class="mark-sentence">{format!("Sentence {}", i + 1)}</span>
                    " "
                    <span class="mark-why">{text}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="marks" aria-label="Why sentences are marked">
            {items}
            {(more > 0).then(|| view! { <li class="more">{format!("and {more} more")}</li> })}
        </ul>
    }
    .into_any()
}

/// One mark in a sentence: what was found and, where there is one, the source sentence quoted.
pub fn explain(
    mark: &Mark,
    score: f64,
    support: &Support,
    document: &str,
    summary: &str,
) -> String {
    let quote_of = |i: u32| -> Option<String> {
        let &(s, e) = support.source.get(i as usize)?;
        let text = document.get(s as usize..e as usize)?;
        Some(quote(text))
    };
    let words = summary
        .get(mark.span.0 as usize..mark.span.1 as usize)
        .map(quote)
        .unwrap_or_default();
    let source = mark.source.and_then(quote_of);
    if let (Some((s, e)), Some(q)) = (mark.dropped, &source) {
        let left = document
            .get(s as usize..e as usize)
            .map(quote)
            .unwrap_or_default();
        return format!(
            "{} left out: “{words}” copies “{q}” but without its “{left}”.",
            capitalised(mark.kind.label())
        );
    }
    let whole = support.summary.iter().any(|s| s.span == mark.span);
    match (mark.kind, source) {
        (MarkKind::Weak, closest) => {
            let percent = (score * 100.0).round();
            match closest {
                Some(q) => format!(
                    "is weakly supported: only {percent:.0}% of its content is in the source; the closest sentence is “{q}”."
                ),
                None => format!(
                    "is weakly supported: only {percent:.0}% of its content is in the source."
                ),
            }
        }
        (MarkKind::Repeated, _) if whole => {
            "repeats an earlier sentence of the summary: a summary that loops says less than it seems to."
                .to_owned()
        }
        (MarkKind::Repeated, _) => format!(
            "repeats itself: “{words}” has the same words on both sides, which no source sentence says (not in the source)."
        ),
        (MarkKind::Form, Some(q)) => format!(
            "Word form “{words}” differs from the source sentence it copies: “{q}”; a changed form can change how many, or when."
        ),
        (MarkKind::Term, _) => format!(
            "Term “{words}” is not in the source, in any form, nor an English word the word list knows: an invented name or term?"
        ),
        (MarkKind::Stitched, Some(q)) => {
            let others: Vec<String> = mark
                .also
                .iter()
                .filter_map(|&i| quote_of(i))
                .map(|o| format!("“{o}”"))
                .collect();
            let rest = if others.is_empty() {
                "is in no single source sentence".to_owned()
            } else {
                format!("comes from {}", others.join(" and "))
            };
            format!(
                "is pieced together: it mostly copies “{q}”, but “{words}” {rest}; together they may say what no sentence says."
            )
        }
        (kind, Some(q)) => format!(
            "{} “{words}” is not in the source sentence it follows: “{q}”.",
            capitalised(kind.label())
        ),
        (kind, None) => format!(
            "{} “{words}” is not found anywhere in the source.",
            capitalised(kind.label())
        ),
    }
}

fn capitalised(label: &str) -> String {
    let mut chars = label.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A text for quoting: white space folded, cut at [`QUOTE_CHARS`] characters with an ellipsis.
fn quote(text: &str) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= QUOTE_CHARS {
        return folded;
    }
    let cut: String = folded.chars().take(QUOTE_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// One line under the summary saying what the marks mean and how many there are; or, while the
/// hints are being computed, that they are; and what a cap left unchecked, if anything.
#[component]
pub fn SupportLegend(support: Option<Support>, weak_below: f64) -> impl IntoView {
    let Some(support) = support else {
        return view! {
            <p class="support-legend pending">
                "Source-support hints are being computed; they appear when the page is next loaded."
            </p>
        }
        .into_any();
    };
    let weak = support
        .summary
        .iter()
        .filter(|s| s.marked || s.is_weak(weak_below))
        .count();
    let facts: usize = support.summary.iter().map(|s| s.unsupported.len()).sum();
    let total = support.summary.len();
    let plural = |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    let unchecked = limits_note(&support);
    view! {
        <p class="support-legend">
            {if weak == 0 && total == 1 {
                "The sentence is supported by the source. ".to_owned()
            } else if weak == 0 {
                format!("All {total} sentences are supported by the source. ")
            } else {
                format!("{weak} of {total} {} marked (dashed; why is listed below). ", plural(total, "sentence", "sentences"))
            }}
            {(facts > 0).then(|| format!("{facts} {} not in the source (marked). ", plural(facts, "fact", "facts")))}
            "Hover or focus a sentence (" <kbd>{hint(Act::Sentence { back: false })}</kbd> ") to see its support."
            <span id=WEAK_NOTE hidden>"Marked: the source may not support it"</span>
        </p>
        {unchecked.map(|note| view! { <p class="support-legend partial">{note}</p> })}
    }
    .into_any()
}

/// What the caps left unchecked, in one sentence for the reviewer; `None` when nothing was.
pub fn limits_note(support: &Support) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if support.unchecked_sentences > 0 {
        let n = support.unchecked_sentences;
        parts.push(format!(
            "the last {n} summary {} (after the first {}) {} not checked and {} no hints",
            if n == 1 { "sentence" } else { "sentences" },
            support.summary.len(),
            if n == 1 { "was" } else { "were" },
            if n == 1 { "has" } else { "have" },
        ));
    }
    let long = support
        .summary
        .iter()
        .filter(|s| s.unchecked_words > 0)
        .count();
    if long > 0 {
        parts.push(format!(
            "{long} very long summary {} checked only up to word {}",
            if long == 1 {
                "sentence was"
            } else {
                "sentences were"
            },
            crate::support::MAX_SENTENCE_WORDS,
        ));
    }
    if support.unsearched_source_sentences > 0 {
        parts.push(format!(
            "support was looked for only in the first {} sentences of the source, not in the {} after them \
             (numbers and names were looked up in all of it)",
            support.source.len(),
            support.unsearched_source_sentences,
        ));
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "Text too long to check in full: {}.",
        parts.join("; ")
    ))
}

/// Scrolls a source sentence into view, as little as needed.
fn reveal(index: u32) {
    if let Some(el) = document().get_element_by_id(&format!("src-{index}")) {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Nearest);
        options.set_behavior(web_sys::ScrollBehavior::Smooth);
        el.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

#[cfg(test)]
mod tests {
    use super::{explain, limits_note, pieces};
    use crate::support::{MarkKind, Support};

    /// The explanation of each mark of the summary's first sentence, by kind.
    fn explained(document: &str, summary: &str) -> Vec<(MarkKind, String)> {
        let support = Support::compute(document, summary);
        let sentence = &support.summary[0];
        sentence
            .marks
            .iter()
            .map(|m| {
                let why = explain(m, sentence.score, &support, document, summary);
                (m.kind, why)
            })
            .collect()
    }

    #[test]
    fn each_new_mark_says_what_it_found_and_which_source_sentence_lacks_it() {
        let doc = "The deal was not signed by the two companies on Friday. Talks resume next week.";
        let got = explained(doc, "The deal was signed by the two companies on Friday.");
        assert!(
            got.contains(&(
                MarkKind::Negation,
                "Negation left out: “was signed” copies “The deal was not signed by the two \
                 companies on Friday.” but without its “not”."
                    .to_owned()
            )),
            "{got:?}"
        );
        let doc = "The wide man who scored twice in the first leg of the semi final was rested. \
                   Bryan watched.";
        let got = explained(
            doc,
            "luis bryan scored twice in the first leg of the semi final.",
        );
        assert!(
            got.contains(&(
                MarkKind::Name,
                "Name “bryan” is not in the source sentence it follows: “The wide man who scored \
                 twice in the first leg of the semi final was rested.”."
                    .to_owned()
            )),
            "{got:?}"
        );
        assert!(
            got.contains(&(
                MarkKind::Name,
                "Name “luis” is not found anywhere in the source.".to_owned()
            )),
            "{got:?}"
        );
        let got = explained(
            "Children are vaccinated against measles and mumps.",
            "Children are vaccinated against measles and measles.",
        );
        assert!(
            got.contains(&(
                MarkKind::Repeated,
                "repeats itself: “measles and measles” has the same words on both sides, which no \
                 source sentence says (not in the source)."
                    .to_owned()
            )),
            "{got:?}"
        );
    }

    #[test]
    fn the_note_names_what_each_cap_left_unchecked_and_is_absent_when_nothing_was() {
        assert_eq!(
            limits_note(&Support::compute(
                "A plant in Rotterdam.",
                "The Rotterdam plant."
            )),
            None
        );
        let text = "Ab. ".repeat(300);
        let note = limits_note(&Support::compute(&text, &text)).unwrap();
        assert_eq!(
            note,
            "Text too long to check in full: the last 100 summary sentences (after the first 200) \
             were not checked and have no hints."
        );
    }

    #[test]
    fn pieces_keep_every_character_and_skip_empty_gaps() {
        let text = "One. Two!  Three";
        let got = pieces(text, [(0, 4), (5, 9), (11, 16)].into_iter());
        assert_eq!(
            got.iter().map(|(t, _)| t.as_str()).collect::<String>(),
            text
        );
        assert_eq!(
            got,
            [
                ("One.".into(), Some(0)),
                (" ".into(), None),
                ("Two!".into(), Some(1)),
                ("  ".into(), None),
                ("Three".into(), Some(2))
            ]
        );
        // Ranges that do not fit the text leave it whole rather than panic.
        assert_eq!(pieces("é", [(0, 1)].into_iter()), [("é".to_owned(), None)]);
    }
}
