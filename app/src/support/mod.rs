//! Source-support hints: for each sentence of an AI summary, the source sentences that support it
//! best, how well (a lexical-overlap score), and the numbers, names and dates it states that appear
//! nowhere in the source. A possible hallucination then stands out on the review page.
//!
//! Lexical on purpose: no model to download or run, deterministic, and cheap. The server computes
//! it once per task, in a background worker right after ingest (`server/src/support_worker.rs`),
//! and stores it in `tasks.support`; a page view never computes it. Overlap is weighted by how
//! rare a word is in the source, so "the plant" matters less than "Rotterdam". Positions are byte
//! ranges into the texts, always on character boundaries, so the page can wrap sentences and
//! facts in elements without changing a character. What each mark means is in `marks.rs`; the
//! English word lists that tell a name or an unknown term in lower-case text, in `lexicon.rs`.
//!
//! Pipeline text is hostile, so the work is bounded and about linear in the input: source
//! sentences are indexed by word (an inverted index), so a summary sentence only ever looks at
//! the source sentences that share a word with it; identical summary sentences are scored once;
//! and there are explicit caps ([`MAX_SUMMARY_SENTENCES`], [`MAX_SENTENCE_WORDS`],
//! [`MAX_SOURCE_SENTENCES`], [`MAX_WORK`]). What a cap leaves out is counted in the result, so the
//! page can say what was not checked. Within the caps the result is the one the original
//! all-pairs comparison gave, to the bit.

mod lexicon;
mod marks;
mod text;

use lexicon::{Lexicon, Novel};
use marks::{CopyIndex, copy_marks, doubled, number_value, quantities, repeats};
pub use marks::{Mark, MarkKind};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
pub use text::sentences;
use text::{Token, tokens};

/// Bumped when the scoring changes. A stored result of another version is shown as not computed
/// yet: a migration that changes the version must also clear `tasks.support` for the worker.
pub const VERSION: u32 = 3;

/// Support scores under this count as weak unless the server is told otherwise.
pub const DEFAULT_WEAK_BELOW: f64 = 0.5;

/// Largest summary a pipeline may send unless the server is told otherwise, in bytes: a few
/// pages of prose, far more than a summary needs and far less than a document may be.
pub const DEFAULT_MAX_SUMMARY_BYTES: usize = 20_000;

/// At most this many source sentences are named as one summary sentence's support.
const MAX_SOURCES: usize = 3;

/// A further source sentence is added only if it covers at least this share of the summary
/// sentence's weight that the ones before it left uncovered.
const MIN_GAIN: f64 = 0.1;

/// Summary sentences checked; later ones get no hints and are counted in
/// [`Support::unchecked_sentences`]. A real summary has a few dozen.
pub const MAX_SUMMARY_SENTENCES: usize = 200;

/// Words of one summary sentence that are scored and fact-checked; the rest of a longer
/// "sentence" (text without full stops) is counted in [`SummarySentence::unchecked_words`].
pub const MAX_SENTENCE_WORDS: usize = 300;

/// Source sentences searched for support; later ones are counted in
/// [`Support::unsearched_source_sentences`]. About a megabyte of ordinary prose. Numbers and
/// names are still looked up in the whole document.
pub const MAX_SOURCE_SENTENCES: usize = 10_000;

/// Bound on the scoring work for one task, in inverted-index entries visited. A summary
/// sentence is scored only if its whole cost fits in what is left; when it does not, it and
/// the sentences after it are left unchecked. Ordinary tasks use a tiny fraction of it; only
/// text built to be expensive (the same words in thousands of sentences, in thousands of
/// different summary sentences) reaches it. About a second of work at worst.
pub const MAX_WORK: usize = 40_000_000;

/// A half-open byte range `[start, end)` into a text.
pub type Span = (u32, u32);

/// The support of one summary against its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Support {
    pub version: u32,
    /// The source document's sentences that were searched (at most [`MAX_SOURCE_SENTENCES`]).
    pub source: Vec<Span>,
    /// The summary's sentences that were checked, from the first on.
    pub summary: Vec<SummarySentence>,
    /// Summary sentences after the checked ones, left without hints by a cap.
    #[serde(default)]
    pub unchecked_sentences: u32,
    /// Source sentences after the searched ones: support there was not looked for.
    #[serde(default)]
    pub unsearched_source_sentences: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummarySentence {
    pub span: Span,
    /// Share (0–1) of the sentence's content, weighted by rarity, found in `sources` together.
    pub score: f64,
    /// Indexes into [`Support::source`], best first.
    pub sources: Vec<u32>,
    /// Numbers, names and dates in this sentence that the source never mentions (summary bytes).
    pub unsupported: Vec<Span>,
    /// Words past the first [`MAX_SENTENCE_WORDS`] of the sentence, not checked.
    #[serde(default)]
    pub unchecked_words: u32,
    /// Everything found in this sentence, in the order of the summary: the facts of
    /// `unsupported`, names and terms the source never uses (by the English word lists), words
    /// changed in or left out of the source sentence it copies, scope words its support lacks,
    /// a copy pieced from several sentences, repetition, and weak support (by the setting given
    /// to [`Support::judge`]).
    #[serde(default)]
    pub marks: Vec<Mark>,
    /// Whether the page marks this sentence in any way: `marks` is not empty.
    #[serde(default)]
    pub marked: bool,
}

impl SummarySentence {
    /// Whether the source supports this sentence too little, by the server's setting.
    pub fn is_weak(&self, weak_below: f64) -> bool {
        self.score < weak_below
    }
}

impl Support {
    /// Applies the server's weak-support setting: each sentence scoring under `weak_below` gets
    /// a [`MarkKind::Weak`] mark (naming its best source sentence, if any), and `marked` says
    /// whether a sentence has any mark. The stored hints do not depend on the setting, so a
    /// changed setting applies to every task at once.
    pub fn judge(mut self, weak_below: f64) -> Support {
        for sentence in &mut self.summary {
            sentence.marks.retain(|m| m.kind != MarkKind::Weak);
            if sentence.is_weak(weak_below) {
                sentence.marks.insert(
                    0,
                    Mark::new(
                        MarkKind::Weak,
                        sentence.span,
                        sentence.sources.first().copied(),
                    ),
                );
            }
            sentence.marked = !sentence.marks.is_empty();
        }
        self
    }

    /// Whether the page marks any sentence.
    pub fn marks_anything(&self) -> bool {
        self.summary.iter().any(|s| s.marked)
    }

    /// Whether a cap left part of either text unchecked (the page says so).
    pub fn is_partial(&self) -> bool {
        self.unchecked_sentences > 0
            || self.unsearched_source_sentences > 0
            || self.summary.iter().any(|s| s.unchecked_words > 0)
    }

    /// Scores the sentences of `summary` against `document`, within the caps above, judged by
    /// the default weak-support setting.
    pub fn compute(document: &str, summary: &str) -> Support {
        let mut source_spans = sentences(document);
        let unsearched = source_spans.len().saturating_sub(MAX_SOURCE_SENTENCES);
        source_spans.truncate(MAX_SOURCE_SENTENCES);
        let index = SourceIndex::build(document, &source_spans);

        let all = sentences(summary);
        let unchecked = all.len().saturating_sub(MAX_SUMMARY_SENTENCES);
        let mut budget = MAX_WORK;
        // Identical sentences (same content words in the same order) score the same.
        let mut scored: HashMap<Vec<String>, (f64, Vec<u32>)> = HashMap::new();
        // Identical sentences copy alike; their marks are kept relative to the sentence.
        let mut copies: HashMap<&str, Vec<Mark>> = HashMap::new();
        let mut out = Vec::new();
        let checked: Vec<(Span, Vec<Token>, usize)> = all
            .iter()
            .take(MAX_SUMMARY_SENTENCES)
            .map(|&(start, end)| {
                let mut toks = tokens(summary, start, end);
                let unchecked_words = toks.len().saturating_sub(MAX_SENTENCE_WORDS);
                toks.truncate(MAX_SENTENCE_WORDS);
                ((start, end), toks, unchecked_words)
            })
            .collect();
        let repeated = repeats(
            &checked
                .iter()
                .map(|(_, toks, _)| toks.as_slice())
                .collect::<Vec<_>>(),
        );
        for (((start, end), toks, unchecked_words), repeated) in checked.into_iter().zip(repeated) {
            let mut seen: HashSet<&str> = HashSet::new();
            let weights: Vec<(String, f64)> = toks
                .iter()
                .filter(|t| t.content && seen.insert(t.key.as_str()))
                .map(|t| (t.key.clone(), index.idf(&t.key)))
                .collect();
            let keys: Vec<String> = weights.iter().map(|(k, _)| k.clone()).collect();
            let (score, sources) = match scored.get(&keys) {
                Some(known) => known.clone(),
                None => match cover(&weights, &index, &mut budget) {
                    Some(result) => {
                        scored.insert(keys, result.clone());
                        result
                    }
                    // Out of budget: this sentence and the rest stay unchecked.
                    None => break,
                },
            };
            let text = &summary[start as usize..end as usize];
            let copied = match copies.get(text) {
                Some(known) => known.clone(),
                None => match copy_marks(
                    &toks,
                    &sources,
                    &index.copies,
                    index.lexicon.english,
                    &mut budget,
                ) {
                    Some(found) => {
                        let relative = shift(found, start, false);
                        copies.insert(text, relative.clone());
                        relative
                    }
                    None => break,
                },
            };
            // Per token: `None` when it is no number, else whether the source states its value.
            let stated: Vec<Option<bool>> = (0..toks.len())
                .map(|i| number_value(&toks, i).map(|v| index.values.contains(&v.to_bits())))
                .collect();
            let mut unsupported = unsupported_facts(summary, &toks, &index.mentioned);
            // A quantity the source states in another form ("3 million" for "3m") is there.
            unsupported.retain(|&span| {
                !toks
                    .iter()
                    .zip(&stated)
                    .any(|(t, s)| t.span == span && *s == Some(true))
            });
            let mut marks: Vec<Mark> = unsupported
                .iter()
                .map(|&span| {
                    let number = summary[span.0 as usize..span.1 as usize]
                        .bytes()
                        .any(|b| b.is_ascii_digit());
                    let kind = if number {
                        MarkKind::Number
                    } else {
                        MarkKind::Name
                    };
                    Mark::new(kind, span, None)
                })
                .collect();
            // Names and terms no form of which the source uses, by the word lists (English
            // documents only): "luis", "pochettino", even in lower-case text.
            let mut absent = unsupported.clone();
            for t in &toks {
                let Some(novel) = index.lexicon.novel(t) else {
                    continue;
                };
                if absent.iter().any(|&(s, e)| s <= t.span.0 && t.span.1 <= e) {
                    continue;
                }
                let kind = match novel {
                    Novel::Name => MarkKind::Name,
                    Novel::Term => MarkKind::Term,
                };
                marks.push(Mark::new(kind, t.span, None));
                absent.push(t.span);
            }
            // A word the whole source lacks is marked as such once, not again as changed.
            let lacking = |m: &Mark| absent.iter().any(|&(s, e)| s <= m.span.0 && m.span.1 <= e);
            // Quantities the source never states, however either text writes them ("four",
            // "4m"), beyond the exact-text check of `unsupported`.
            for (t, _) in toks.iter().zip(&stated).filter(|(_, s)| **s == Some(false)) {
                let mark = Mark::new(MarkKind::Number, t.span, None);
                if !lacking(&mark) {
                    marks.push(mark);
                }
            }
            if repeated {
                marks.push(Mark::new(MarkKind::Repeated, (start, end), None));
            }
            if let Some(span) = doubled(&toks) {
                marks.push(Mark::new(MarkKind::Repeated, span, None));
            }
            let numbers: Vec<Span> = marks
                .iter()
                .filter(|m| m.kind == MarkKind::Number)
                .map(|m| m.span)
                .collect();
            marks.extend(shift(copied, start, true).into_iter().filter(|m| {
                m.kind == MarkKind::Stitched
                    || m.dropped.is_some()
                    || !(lacking(m) || numbers.contains(&m.span))
            }));
            marks.sort_by_key(|m| m.span);
            out.push(SummarySentence {
                span: (start, end),
                score,
                sources,
                unsupported,
                unchecked_words: unchecked_words as u32,
                marks,
                marked: false,
            });
        }
        Support {
            version: VERSION,
            source: source_spans,
            unchecked_sentences: (unchecked + MAX_SUMMARY_SENTENCES.min(all.len()) - out.len())
                as u32,
            summary: out,
            unsearched_source_sentences: unsearched as u32,
        }
        .judge(DEFAULT_WEAK_BELOW)
    }
}

/// Marks' spans moved by `offset`: forward (`add`) from a sentence's start, or back to it.
fn shift(marks: Vec<Mark>, offset: u32, add: bool) -> Vec<Mark> {
    let by = |x: u32| if add { x + offset } else { x - offset };
    marks
        .into_iter()
        .map(|m| Mark {
            span: (by(m.span.0), by(m.span.1)),
            ..m
        })
        .collect()
}

/// The searched source sentences by word, and every fact the whole source mentions.
struct SourceIndex {
    /// Content word → the sentences holding it, ascending, each once.
    postings: HashMap<String, Vec<u32>>,
    /// Number of sentences indexed.
    sentences: usize,
    /// Fact keys of the whole document (not only the searched sentences).
    mentioned: HashSet<String>,
    /// Every quantity the whole source states, scaled by its unit ("3m" and "3 million" are
    /// one), as the bits of the value.
    values: HashSet<u64>,
    /// The searched sentences' words and three-word runs, for the copy marks.
    copies: CopyIndex,
    /// The whole document's words, for names and terms it never uses.
    lexicon: Lexicon,
}

impl SourceIndex {
    fn build(document: &str, spans: &[Span]) -> SourceIndex {
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        let mut mentioned: HashSet<String> = HashSet::new();
        let mut copies = CopyIndex::default();
        let mut values: HashSet<u64> = HashSet::new();
        let mut lexicon = Lexicon::default();
        for (i, &(s, e)) in spans.iter().enumerate() {
            let toks = tokens(document, s, e);
            copies.add(&toks);
            lexicon.add(&toks);
            values.extend(copies.values_of(i));
            for t in toks {
                if t.content {
                    let list = postings.entry(t.key).or_default();
                    // Sentences come in order, so a repeat within one is the list's last entry.
                    if list.last() != Some(&(i as u32)) {
                        list.push(i as u32);
                    }
                }
                mentioned.insert(t.fact_key);
            }
        }
        // Facts are looked up in the whole source, not sentence by sentence, and not only in
        // the searched part: one linear pass over what is left.
        let rest = spans.last().map_or(0, |&(_, e)| e);
        if (rest as usize) < document.len() {
            let toks = tokens(document, rest, document.len() as u32);
            values.extend(quantities(&toks));
            lexicon.add(&toks);
            for t in toks {
                mentioned.insert(t.fact_key);
            }
        }
        SourceIndex {
            postings,
            sentences: spans.len(),
            mentioned,
            values,
            copies: copies.finish(),
            lexicon: lexicon.finish(),
        }
    }

    /// Inverse document frequency over the searched sentences. Never zero, so a summary checked
    /// against an empty source still has weight to miss.
    fn idf(&self, key: &str) -> f64 {
        let n = self.sentences as f64;
        let df = self.postings.get(key).map_or(0, Vec::len);
        (1.0 + (n + 1.0) / (1.0 + df as f64)).ln()
    }
}

/// Greedy cover: the source sentence holding the most of the summary sentence's weight, then the
/// one adding most of what is left, and so on. Returns the covered share and the sentences, or
/// `None` (charging nothing) when the work would not fit in `budget`.
///
/// Only sentences sharing a word with the summary sentence can gain anything, so only those are
/// looked at, found through the index. Gains are summed in the order of `weights`, as the
/// original comparison against every sentence did, so scores and ties come out the same.
fn cover(
    weights: &[(String, f64)],
    index: &SourceIndex,
    budget: &mut usize,
) -> Option<(f64, Vec<u32>)> {
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        // Nothing to check ("Yes.", or only common words): nothing to flag either.
        return Some((1.0, Vec::new()));
    }
    let lists: Vec<&[u32]> = weights
        .iter()
        .map(|(k, _)| index.postings.get(k).map_or(&[][..], Vec::as_slice))
        .collect();
    let entries: usize = lists.iter().map(|l| l.len()).sum();
    // Building the candidates, then one pass over them per chosen sentence.
    let cost = entries.saturating_mul(MAX_SOURCES + 1);
    if cost > *budget {
        return None;
    }
    *budget -= cost;
    // Each candidate sentence with the positions (in `weights`) of the words it holds, ascending.
    let mut slot_of: HashMap<u32, usize> = HashMap::new();
    let mut candidates: Vec<(u32, Vec<u32>)> = Vec::new();
    for (k, list) in lists.iter().enumerate() {
        for &sentence in *list {
            let slot = *slot_of.entry(sentence).or_insert_with(|| {
                candidates.push((sentence, Vec::new()));
                candidates.len() - 1
            });
            candidates[slot].1.push(k as u32);
        }
    }
    let mut covered = vec![false; weights.len()];
    let mut chosen: Vec<u32> = Vec::new();
    while chosen.len() < MAX_SOURCES {
        // The largest gain; among equal gains the earliest sentence.
        let mut best: Option<(u32, f64)> = None;
        for (sentence, keys) in &candidates {
            if chosen.contains(sentence) {
                continue;
            }
            let gain: f64 = keys
                .iter()
                .filter(|&&k| !covered[k as usize])
                .map(|&k| weights[k as usize].1)
                .sum();
            let better = match best {
                None => true,
                Some((s, g)) => gain > g || (gain == g && *sentence < s),
            };
            if gain > 0.0 && better {
                best = Some((*sentence, gain));
            }
        }
        let Some((sentence, g)) = best else { break };
        if !chosen.is_empty() && g / total < MIN_GAIN {
            break;
        }
        chosen.push(sentence);
        for &k in &candidates[slot_of[&sentence]].1 {
            covered[k as usize] = true;
        }
    }
    let done: f64 = weights
        .iter()
        .zip(&covered)
        .filter(|(_, c)| **c)
        .map(|((_, w), _)| w)
        .sum();
    // `+ 0.0` turns the -0.0 an empty float sum gives into 0.0.
    Some(((done / total).clamp(0.0, 1.0) + 0.0, chosen))
}

/// Numbers and names in a summary sentence the source never mentions; neighbouring name words
/// ("New Amsterdam") come out as one range.
fn unsupported_facts(text: &str, toks: &[Token], mentioned: &HashSet<String>) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let number = t.key.chars().any(|c| c.is_ascii_digit());
        // A capital at the start of a sentence says nothing; elsewhere it marks a name (or a
        // month or weekday, which dates need). Acronyms count wherever they stand.
        let name = t.capitalised && (i > 0 || t.acronym) && t.key != "i";
        if !(number || name) || mentioned.contains(&t.fact_key) {
            continue;
        }
        match out.last_mut() {
            Some(last)
                if name
                    && &text[last.1 as usize..t.span.0 as usize] == " "
                    && toks[i - 1].capitalised =>
            {
                last.1 = t.span.1;
            }
            _ => out.push(t.span),
        }
    }
    out
}

#[cfg(test)]
mod tests;
