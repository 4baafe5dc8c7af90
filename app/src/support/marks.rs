//! Marks: what the hints found wrong with one summary sentence, each with its kind, the words
//! concerned and the source sentence it departs from, so the review page can say why a sentence
//! is marked rather than only that it is.
//!
//! Besides today's weak support and facts the whole source lacks, the marks look at copying.
//! Summaries of news and documents are mostly stitched together from the source's own words, and
//! the errors people find in them are mostly edits of such copies: a number or name swapped, a
//! "not" dropped, "some" widened to "all", two sentences glued into a claim neither makes. So
//! each summary sentence is compared with the source by runs of three words (trigrams):
//!
//! - **Stitched:** at least [`COPIED_AT_LEAST`] of its words lie in three-word runs the source
//!   has, but under [`ONE_SOURCE_BELOW`] come from any single source sentence.
//! - **A critical word changed in a copy:** in a mostly copied sentence, a word outside its copy
//!   of the sentence it copies most, and absent from that sentence, is a number, a negation, a
//!   scope word, a name or a pronoun.
//! - **Scope:** a quantity or scope word ("fully", "any", "all", "never") that none of the
//!   sentence's supporting source sentences uses.
//! - **Repeated:** half or more of a sentence's three-word runs are in an earlier sentence of
//!   the summary ([`repeats`]); or the same words on both sides of "and" ("measles and
//!   measles", [`doubled`]).
//! - **A name changed in a copy:** in a sentence at least [`NAME_COPIED_AT_LEAST`] copied, a
//!   word outside the copy and absent from the sentence it copies that English knows only as a
//!   name (the word list of [`super::lexicon`]; English documents only). Lower-case text has no
//!   capitals to tell a name by.
//! - **A critical word left out of a copy:** between two copied runs that follow each other in
//!   the summary, the source sentence has a negation, a scope word or a number the summary
//!   skips ("the deal was signed" for "the deal was not signed", [`left_out`]).
//! - **A word form changed in a copy:** a word outside the copy whose stem the copied sentence
//!   has, in another form ("legion" for "legions").
//!
//! The rules and their thresholds were chosen on real summaries judged by people
//! (`bench/support-eval/prototype/REPORT.md`); the figures are in `bench/README.md`.
//! The work is bounded like the rest of the hints: candidate source sentences are found through
//! a trigram index, and every entry visited is charged to the task's budget.

use super::Span;
use super::lexicon::is_proper;
use super::text::Token;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// A sentence counts as a copy when at least this share of its words lie in three-word runs
/// that the source also has.
pub const COPIED_AT_LEAST: f64 = 0.5;

/// A copy is stitched (or edited) when less than this share of its words come from its one
/// best source sentence.
pub const ONE_SOURCE_BELOW: f64 = 0.8;

/// A sentence this much copied is checked for a name swapped into the copy; the other copy
/// rules wait for [`COPIED_AT_LEAST`]. Abstractive sentences copy 30–40%, so a lower bar marks
/// their faithful names.
pub const NAME_COPIED_AT_LEAST: f64 = 0.4;

/// Other source sentences named as where the rest of a stitched sentence comes from.
const MAX_ALSO: usize = 2;

/// Work charged per (summary run, source sentence) pair: gathering the candidates, then a pass
/// over their runs (three words each) for the best copy and for each sentence behind the rest of
/// a stitched one.
pub(super) const COST_PER_RUN: usize = 3 * (MAX_ALSO + 2);

/// What a mark says is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// The source supports the sentence too little (its score is under the server's setting).
    Weak,
    /// A number the source does not state (or not in the sentence this one copies).
    Number,
    /// A name (or a date word) the source does not have (or not in the sentence copied).
    Name,
    /// A negation the copied source sentence does not make.
    Negation,
    /// A quantity or scope word ("fully", "any", "all", "never") its source does not use.
    Scope,
    /// A pronoun the copied source sentence does not use: who did what may have changed.
    Pronoun,
    /// Mostly the source's words, but pieced from several sentences (or edited): the whole may
    /// say what no one sentence says.
    Stitched,
    /// Repeats an earlier sentence of the summary (half its three-word runs or more), or the
    /// same words on both sides of "and" / "or": a summary that loops says less than it seems to.
    Repeated,
    /// A word that is neither in the source nor an English word (by the word list): an
    /// invented name or term ("pochettino" when the source never names him).
    Term,
    /// A word of a copy in another form than in the sentence it copies ("legion" for
    /// "legions"): one or many, done or to be done.
    Form,
}

impl MarkKind {
    /// A few words for the reviewer.
    pub fn label(self) -> &'static str {
        match self {
            MarkKind::Weak => "weak support",
            MarkKind::Number => "number",
            MarkKind::Name => "name",
            MarkKind::Negation => "negation",
            MarkKind::Scope => "scope word",
            MarkKind::Pronoun => "pronoun",
            MarkKind::Stitched => "pieced together",
            MarkKind::Repeated => "repeated",
            MarkKind::Term => "term",
            MarkKind::Form => "word form",
        }
    }
}

/// One thing found in a summary sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub kind: MarkKind,
    /// The summary bytes concerned: the word, or the part not copied from `source`.
    pub span: Span,
    /// The source sentence (an index into `Support::source`) that the span departs from or is
    /// missing from; `None` when nothing in the whole source has it.
    pub source: Option<u32>,
    /// For a stitched sentence, the other source sentences the rest of it comes from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<u32>,
    /// For a word left out of a copy, where `source` has it (document bytes); `span` is then
    /// where the summary leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<Span>,
}

impl Mark {
    /// A mark of `kind` on `span`, departing from `source` (if any), naming nothing else.
    pub fn new(kind: MarkKind, span: Span, source: Option<u32>) -> Mark {
        Mark {
            kind,
            span,
            source,
            also: Vec::new(),
            dropped: None,
        }
    }
}

/// Negations; "n't" arrives as a word ending in "n" followed by "t".
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "without", "nothing", "none", "nobody", "neither", "nor", "cannot",
    "nowhere",
];

/// Words that set how much or how widely a claim holds.
const SCOPE: &[&str] = &[
    "fully",
    "full",
    "any",
    "all",
    "every",
    "everyone",
    "everything",
    "never",
    "always",
    "only",
    "entirely",
    "completely",
    "totally",
    "whole",
    "entire",
    "unlimited",
    "anywhere",
    "everywhere",
    "none",
    "sole",
    "solely",
    "exclusively",
    "forever",
    "permanently",
];

/// Pronouns by who they point at: a change of class in a copy ("he" for "she") changes who
/// did what. One bit per class.
const PRONOUNS: &[(&str, u8)] = &[
    ("he", 1),
    ("his", 1),
    ("him", 1),
    ("himself", 1),
    ("she", 2),
    ("her", 2),
    ("hers", 2),
    ("herself", 2),
    ("they", 4),
    ("them", 4),
    ("their", 4),
    ("theirs", 4),
    ("it", 8),
    ("its", 8),
];

fn pronoun_class(lower: &str) -> u8 {
    PRONOUNS
        .iter()
        .find(|(p, _)| *p == lower)
        .map_or(0, |(_, c)| *c)
}

/// Unit words and suffixes that scale a number ("3m", "3 million").
const SCALES: &[(&str, f64)] = &[
    ("thousand", 1e3),
    ("k", 1e3),
    ("million", 1e6),
    ("m", 1e6),
    ("mln", 1e6),
    ("billion", 1e9),
    ("bn", 1e9),
    ("b", 1e9),
    ("trillion", 1e12),
    ("tn", 1e12),
];

/// Every quantity a text states, as the bits of its [`number_value`], for set lookups.
pub(super) fn quantities(toks: &[Token]) -> Vec<u64> {
    (0..toks.len())
        .filter_map(|i| number_value(toks, i).map(f64::to_bits))
        .collect()
}

/// The value of token `i` if it is a number, scaled by its unit ("3m", "3.5 million", "five"),
/// so that the same quantity written two ways compares equal. A separate "m" or "b" word is not
/// taken as a unit (metres, a grade).
pub(super) fn number_value(toks: &[Token], i: usize) -> Option<f64> {
    let fact = toks[i].fact_key.as_str();
    if !is_number(fact) {
        return None;
    }
    let digits = fact
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let value: f64 = fact[..digits].parse().ok()?;
    let scale = |w: &str| SCALES.iter().find(|(u, _)| *u == w).map(|(_, s)| *s);
    let by = scale(&fact[digits..]).or_else(|| {
        toks.get(i + 1)
            .filter(|n| n.lower != "m" && n.lower != "b")
            .and_then(|n| scale(&n.lower))
    });
    Some(value * by.unwrap_or(1.0))
}

/// Unit suffixes a number may carry ("3m", "45th", "10kg"): still a number.
const NUMBER_SUFFIXES: &[&str] = &[
    "k", "m", "mln", "bn", "b", "tn", "st", "nd", "rd", "th", "s", "pc", "ft", "kg", "km", "mph",
    "cm", "mm", "lb", "lbs",
];

/// Whether a fact key (digits for number words, separators removed) is a number, possibly with
/// a unit suffix.
fn is_number(fact: &str) -> bool {
    let digits = fact.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let mut rest = &fact[digits..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    rest.is_empty() || NUMBER_SUFFIXES.contains(&rest)
}

/// Whether token `i` negates: a negation word, or the "t" of "n't".
fn negates(toks: &[Token], i: usize) -> bool {
    let t = &toks[i];
    NEGATIONS.contains(&t.lower.as_str())
        || (t.lower == "t"
            && i > 0
            && toks[i - 1].lower.ends_with('n')
            && toks[i - 1].span.1 + 1 >= t.span.0)
}

/// What leaving a word out of a copy can change: a negation, a scope word or a number.
fn critical_when_left_out(lower: &str, fact: &str) -> Option<MarkKind> {
    if NEGATIONS.contains(&lower) {
        Some(MarkKind::Negation)
    } else if SCOPE.contains(&lower) {
        Some(MarkKind::Scope)
    } else if is_number(fact) {
        Some(MarkKind::Number)
    } else {
        None
    }
}

/// The source's words and three-word runs, by sentence.
#[derive(Default)]
pub(super) struct CopyIndex {
    /// Lower-cased word → its id.
    words: HashMap<String, u32>,
    /// Per word id: what leaving it out of a copy would change, if anything.
    left_out_kind: Vec<Option<MarkKind>>,
    /// Per word id: the id of its stem (in `stems`), for a changed word form.
    stem_of: Vec<u32>,
    /// Stem → its id.
    stems: HashMap<String, u32>,
    /// Every sentence's word ids in order, one after the other, with their document bytes;
    /// sentence `s` is `order[starts[s]..starts[s + 1]]`.
    order: Vec<u32>,
    order_spans: Vec<Span>,
    starts: Vec<u32>,
    /// Three consecutive word ids → the sentences holding that run, ascending, each once.
    trigrams: HashMap<[u32; 3], Vec<u32>>,
    /// Each sentence's distinct word ids, sorted (for "does that sentence use this word").
    sentence_words: Vec<Vec<u32>>,
    /// Each sentence's count of negations.
    negations: Vec<u32>,
    /// Each sentence's pronoun classes (bits of [`PRONOUNS`]).
    pronouns: Vec<u8>,
    /// Each sentence's quantities, scaled by unit, as the bits of the value.
    values: Vec<Vec<u64>>,
    /// Words the source writes capitalised mid-sentence more often than not: names, even when
    /// the summary is all lower-case.
    names: HashSet<u32>,
    /// Per word, how often the source writes it capitalised and not, mid-sentence.
    capitals: HashMap<u32, (u32, u32)>,
}

impl CopyIndex {
    /// Indexes the next source sentence.
    pub(super) fn add(&mut self, toks: &[Token]) {
        let s = self.sentence_words.len() as u32;
        let ids: Vec<u32> = toks
            .iter()
            .map(|t| {
                if let Some(&id) = self.words.get(&t.lower) {
                    return id;
                }
                let id = self.words.len() as u32;
                self.words.insert(t.lower.clone(), id);
                self.left_out_kind
                    .push(critical_when_left_out(&t.lower, &t.fact_key));
                let next = self.stems.len() as u32;
                self.stem_of
                    .push(*self.stems.entry(t.key.clone()).or_insert(next));
                id
            })
            .collect();
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.order.extend(&ids);
        self.order_spans.extend(toks.iter().map(|t| t.span));
        self.starts.push(self.order.len() as u32);
        for w in ids.windows(3) {
            let list = self.trigrams.entry([w[0], w[1], w[2]]).or_default();
            if list.last() != Some(&s) {
                list.push(s);
            }
        }
        // A capital at the start of a sentence says nothing about a word.
        for (i, t) in toks.iter().enumerate().skip(1) {
            if t.content && !t.fact_key.bytes().all(|b| b.is_ascii_digit()) {
                let count = self.capitals.entry(ids[i]).or_default();
                if t.capitalised {
                    count.0 += 1;
                } else {
                    count.1 += 1;
                }
            }
        }
        self.negations
            .push((0..toks.len()).filter(|&i| negates(toks, i)).count() as u32);
        self.pronouns
            .push(toks.iter().fold(0, |c, t| c | pronoun_class(&t.lower)));
        self.values.push(quantities(toks));
        let mut distinct = ids;
        distinct.sort_unstable();
        distinct.dedup();
        self.sentence_words.push(distinct);
    }

    /// Settles which words are names, once every sentence is in.
    pub(super) fn finish(mut self) -> CopyIndex {
        self.names = std::mem::take(&mut self.capitals)
            .into_iter()
            .filter(|(_, (up, low))| up > low)
            .map(|(id, _)| id)
            .collect();
        self
    }

    /// The quantities sentence `s` states (see [`quantities`]).
    pub(super) fn values_of(&self, s: usize) -> &[u64] {
        &self.values[s]
    }

    /// Sentence `s`'s word ids in order, and their document bytes.
    fn sentence(&self, s: u32) -> (&[u32], &[Span]) {
        let range = self.starts[s as usize] as usize..self.starts[s as usize + 1] as usize;
        (&self.order[range.clone()], &self.order_spans[range])
    }

    /// Whether sentence `s` has a word with the stem `stem` (a stem id).
    fn has_stem(&self, s: u32, stem: u32) -> bool {
        self.sentence_words[s as usize]
            .iter()
            .any(|&w| self.stem_of[w as usize] == stem)
    }

    fn uses(&self, sentence: u32, word: Option<u32>) -> bool {
        word.is_some_and(|w| {
            self.sentence_words[sentence as usize]
                .binary_search(&w)
                .is_ok()
        })
    }
}

/// What copying says about one summary sentence: the marks it earns, given the source
/// sentences the overlap score aligned it with (`aligned`, best first). `None`, charging
/// nothing, when the work would not fit in `budget`.
pub(super) fn copy_marks(
    toks: &[Token],
    aligned: &[u32],
    index: &CopyIndex,
    english: bool,
    budget: &mut usize,
) -> Option<Vec<Mark>> {
    let n = toks.len();
    let ids: Vec<Option<u32>> = toks
        .iter()
        .map(|t| index.words.get(&t.lower).copied())
        .collect();
    let runs: Vec<Option<&Vec<u32>>> = (0..n.saturating_sub(2))
        .map(|k| match (ids[k], ids[k + 1], ids[k + 2]) {
            (Some(a), Some(b), Some(c)) => index.trigrams.get(&[a, b, c]),
            _ => None,
        })
        .collect();
    let entries: usize = runs.iter().flatten().map(|l| l.len()).sum();
    let cost = entries.saturating_mul(COST_PER_RUN).saturating_add(n);
    if cost > *budget {
        return None;
    }
    *budget -= cost;

    // Each candidate sentence with the run positions it shares, ascending.
    let mut slot_of: HashMap<u32, usize> = HashMap::new();
    let mut candidates: Vec<(u32, Vec<usize>)> = Vec::new();
    let mut copied = vec![false; n];
    for (k, run) in runs.iter().enumerate() {
        let Some(list) = run else { continue };
        copied[k..k + 3].fill(true);
        for &s in *list {
            let slot = *slot_of.entry(s).or_insert_with(|| {
                candidates.push((s, Vec::new()));
                candidates.len() - 1
            });
            candidates[slot].1.push(k);
        }
    }
    let all = vec![true; n];
    let share = |count: usize| count as f64 / n.max(1) as f64;

    let mut marks = Vec::new();
    let copied_share = share(copied.iter().filter(|&&c| c).count());
    if copied_share >= NAME_COPIED_AT_LEAST {
        // The sentence copied most; among equal shares the earliest.
        let mut best: Option<(u32, usize)> = None;
        for (s, positions) in &candidates {
            let count = covered(positions, &all);
            if best.is_none_or(|(b, bc)| count > bc || (count == bc && *s < b)) {
                best = Some((*s, count));
            }
        }
        if let Some((source, count)) = best {
            let copy = copied_share >= COPIED_AT_LEAST;
            let mut from_one = vec![false; n];
            for &k in &candidates[slot_of[&source]].1 {
                from_one[k..k + 3].fill(true);
            }
            if copy && share(count) < ONE_SOURCE_BELOW {
                marks.push(stitched(toks, &from_one, source, &candidates));
            }
            let mut critical = HashSet::new();
            for (i, t) in toks.iter().enumerate() {
                if from_one[i] || index.uses(source, ids[i]) {
                    continue;
                }
                let changed = if copy {
                    changed_kind(toks, i, ids[i], source, index)
                } else {
                    None
                };
                let kind = changed
                    .or_else(|| {
                        // A name swapped into the copy, told by the word list: lower-case text
                        // has no capitals to tell it by.
                        (english && t.content && is_alphabetic(&t.lower) && is_proper(&t.lower))
                            .then_some(MarkKind::Name)
                    })
                    .or_else(|| {
                        // The copied sentence's word in another form; a number's value is
                        // checked above, whatever its form.
                        (copy
                            && t.content
                            && !is_number(&t.fact_key)
                            && index
                                .stems
                                .get(&t.key)
                                .is_some_and(|&k| index.has_stem(source, k)))
                        .then_some(MarkKind::Form)
                    });
                let Some(kind) = kind else { continue };
                critical.insert(t.span);
                marks.push(Mark::new(kind, t.span, Some(source)));
            }
            if copy {
                let before = *budget;
                match left_out(toks, &ids, source, index, budget) {
                    Some(found) => marks.extend(found),
                    None => {
                        // Charge nothing: the caller stops here.
                        *budget = before + cost;
                        return None;
                    }
                }
            }
            marks.extend(scope_marks(toks, &ids, aligned, index, &critical));
            return Some(marks);
        }
    }
    marks.extend(scope_marks(toks, &ids, aligned, index, &HashSet::new()));
    Some(marks)
}

fn is_alphabetic(word: &str) -> bool {
    !word.is_empty() && word.chars().all(char::is_alphabetic)
}

/// What changing token `i` (word id `id`) of a copy of sentence `source` changes, if it is a
/// critical word that sentence lacks: a number, a negation, a scope word, a name the source
/// writes as one, or a pronoun of another class.
fn changed_kind(
    toks: &[Token],
    i: usize,
    id: Option<u32>,
    source: u32,
    index: &CopyIndex,
) -> Option<MarkKind> {
    let t = &toks[i];
    if is_number(&t.fact_key) {
        // The same quantity written another way ("3m" for "3 million") is a copy.
        let stated = number_value(toks, i)
            .is_some_and(|v| index.values[source as usize].contains(&v.to_bits()));
        (!stated).then_some(MarkKind::Number)
    } else if negates(toks, i) {
        // "never" where the source says "not" keeps the claim's polarity.
        (index.negations[source as usize] == 0).then_some(MarkKind::Negation)
    } else if SCOPE.contains(&t.lower.as_str()) {
        Some(MarkKind::Scope)
    } else if id.is_some_and(|w| index.names.contains(&w)) {
        Some(MarkKind::Name)
    } else if pronoun_class(&t.lower) != 0 {
        // Only a change of who: "he" for "she", not "he" for "Smith".
        let class = pronoun_class(&t.lower);
        let theirs = index.pronouns[source as usize];
        (theirs != 0 && theirs & class == 0).then_some(MarkKind::Pronoun)
    } else {
        None
    }
}

/// A copied run: summary tokens `sum.0..=sum.1` copied in order from source tokens
/// `src.0..=src.1` of one sentence.
#[derive(Clone, Copy)]
struct Run {
    sum: (usize, usize),
    src: (usize, usize),
}

/// Critical words (negation, scope word, number) that sentence `source` has between two runs
/// the summary copies from it one right after the other (at most one word between them): "the
/// deal was signed" for "the deal was not signed". `None`, charging nothing, when reading the
/// source sentence would not fit in `budget`.
fn left_out(
    toks: &[Token],
    ids: &[Option<u32>],
    source: u32,
    index: &CopyIndex,
    budget: &mut usize,
) -> Option<Vec<Mark>> {
    let (words, spans) = index.sentence(source);
    if words.len() > *budget {
        return None;
    }
    *budget -= words.len();
    let mut at: HashMap<[u32; 3], Vec<usize>> = HashMap::new();
    for (j, w) in words.windows(3).enumerate() {
        at.entry([w[0], w[1], w[2]]).or_default().push(j);
    }
    // A run grows while the next summary run of three is one word further on in the source;
    // a new one starts at the first place after the last run, else the first place at all.
    let mut runs: Vec<Run> = Vec::new();
    for k in 0..toks.len().saturating_sub(2) {
        let (Some(a), Some(b), Some(c)) = (ids[k], ids[k + 1], ids[k + 2]) else {
            continue;
        };
        let Some(starts) = at.get(&[a, b, c]) else {
            continue;
        };
        if let Some(last) = runs.last_mut()
            && last.sum.1 == k + 1
            && starts.binary_search(&(last.src.1 - 1)).is_ok()
        {
            last.sum.1 = k + 2;
            last.src.1 += 1;
            continue;
        }
        let j = runs
            .last()
            .and_then(|l| starts.iter().copied().find(|&j| j + 2 > l.src.1))
            .unwrap_or(starts[0]);
        runs.push(Run {
            sum: (k, k + 2),
            src: (j, j + 2),
        });
    }
    let mut marks = Vec::new();
    for pair in runs.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        // Summary words between the runs; negative when they share words.
        let inserted = b.sum.0 as i64 - a.sum.1 as i64 - 1;
        if inserted > 1 || b.src.0 <= a.src.1 {
            continue;
        }
        let skipped = b.src.0 as i64 - a.src.1 as i64 - 1 - inserted;
        if skipped <= 0 {
            continue;
        }
        let span = (
            toks[b.sum.0.min(a.sum.1)].span.0,
            toks[b.sum.0.max(a.sum.1)].span.1,
        );
        for j in a.src.1 + 1..b.src.0 {
            if let Some(kind) = index.left_out_kind[words[j] as usize] {
                marks.push(Mark {
                    dropped: Some(spans[j]),
                    ..Mark::new(kind, span, Some(source))
                });
            }
        }
    }
    Some(marks)
}

/// "measles and measles", "manchester city or manchester city": the same one to three words on
/// both sides of "and" or "or", the first a content word and not an idiom ("more and more").
/// The span from the first word to the last.
pub(super) fn doubled(toks: &[Token]) -> Option<Span> {
    const IDIOMS: &[&str] = &[
        "better", "more", "less", "worse", "again", "over", "round", "on", "through", "by",
    ];
    let n = toks.len();
    for k in 1..=3 {
        for i in 0..n.saturating_sub(2 * k) {
            if matches!(toks[i + k].lower.as_str(), "and" | "or")
                && toks[i].content
                && !IDIOMS.contains(&toks[i].lower.as_str())
                && (0..k).all(|d| toks[i + d].lower == toks[i + k + 1 + d].lower)
            {
                return Some((toks[i].span.0, toks[i + 2 * k].span.1));
            }
        }
    }
    None
}

/// How many words the runs starting at `positions` (ascending) cover among those `counted`:
/// each word once, however many runs hold it. Linear in the runs.
fn covered(positions: &[usize], counted: &[bool]) -> usize {
    let mut until = 0;
    let mut count = 0;
    for &k in positions {
        for i in k.max(until)..k + 3 {
            count += usize::from(counted[i]);
        }
        until = k + 3;
    }
    count
}

/// The stitched mark: the span from the first to the last word not copied from `source`, and
/// the sentences that supply most of those words.
fn stitched(
    toks: &[Token],
    from_one: &[bool],
    source: u32,
    candidates: &[(u32, Vec<usize>)],
) -> Mark {
    let rest: Vec<usize> = (0..toks.len()).filter(|&i| !from_one[i]).collect();
    let span = match (rest.first(), rest.last()) {
        (Some(&a), Some(&b)) => (toks[a].span.0, toks[b].span.1),
        _ => (toks[0].span.0, toks[toks.len() - 1].span.1),
    };
    // Greedily, the other sentences covering most of what is left.
    let mut left: Vec<bool> = from_one.iter().map(|c| !c).collect();
    let mut also = Vec::new();
    while also.len() < MAX_ALSO {
        let mut best: Option<(u32, usize, &[usize])> = None;
        for (s, positions) in candidates {
            if *s == source || also.contains(s) {
                continue;
            }
            let gain = covered(positions, &left);
            if gain > 0 && best.is_none_or(|(b, g, _)| gain > g || (gain == g && *s < b)) {
                best = Some((*s, gain, positions));
            }
        }
        let Some((s, _, positions)) = best else { break };
        for &k in positions {
            left[k..k + 3].fill(false);
        }
        also.push(s);
    }
    Mark {
        also,
        ..Mark::new(MarkKind::Stitched, span, Some(source))
    }
}

/// Scope words that none of the aligned sentences uses ("never" excepted when they negate:
/// "is never sold" for "is not sold" keeps the claim). `skip` holds spans already marked.
fn scope_marks(
    toks: &[Token],
    ids: &[Option<u32>],
    aligned: &[u32],
    index: &CopyIndex,
    skip: &HashSet<Span>,
) -> Vec<Mark> {
    let aligned_negates = aligned.iter().any(|&s| index.negations[s as usize] > 0);
    toks.iter()
        .enumerate()
        .filter(|(i, t)| {
            SCOPE.contains(&t.lower.as_str())
                && !skip.contains(&t.span)
                && !(t.lower == "never" && aligned_negates)
                && !aligned.iter().any(|&s| index.uses(s, ids[*i]))
        })
        .map(|(_, t)| Mark::new(MarkKind::Scope, t.span, aligned.first().copied()))
        .collect()
}

/// Which summary sentences repeat an earlier one: half or more of their three-word runs (of
/// lower-cased words) occur in one earlier sentence. Runs are looked up through an index of the
/// sentences seen so far, so the work is the number of (run, earlier sentence) pairs shared.
pub(super) fn repeats(sentences: &[&[Token]]) -> Vec<bool> {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut seen: HashMap<[u32; 3], Vec<usize>> = HashMap::new();
    let mut out = Vec::with_capacity(sentences.len());
    for (i, toks) in sentences.iter().enumerate() {
        let words: Vec<u32> = toks
            .iter()
            .map(|t| {
                let next = ids.len() as u32;
                *ids.entry(t.lower.as_str()).or_insert(next)
            })
            .collect();
        let mut runs: Vec<[u32; 3]> = words.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
        runs.sort_unstable();
        runs.dedup();
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for run in &runs {
            for &j in seen.get(run).map_or(&[][..], Vec::as_slice) {
                *shared.entry(j).or_default() += 1;
            }
        }
        out.push(!runs.is_empty() && shared.values().any(|&n| n * 2 >= runs.len()));
        for run in runs {
            seen.entry(run).or_default().push(i);
        }
    }
    out
}
