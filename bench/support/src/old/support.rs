// OLD CODE, FOR THE BENCHMARK ONLY: app/src/support.rs as it was before issue 12 (commit 34941ba),
// copied verbatim so `bench/support.sh` can time it against the new code. Not used by Loupe.

//! Source-support hints: for each sentence of an AI summary, the source sentences that support it
//! best, how well (a lexical-overlap score), and the numbers, names and dates it states that appear
//! nowhere in the source. A possible hallucination then stands out on the review page.
//!
//! Lexical on purpose: no model to download or run, deterministic, and fast enough to compute on
//! a task's first view (the server stores the result in `tasks.support`). Overlap is weighted by
//! how rare a word is in the source, so "the plant" matters less than "Rotterdam". Positions are
//! byte ranges into the texts, always on character boundaries, so the page can wrap sentences and
//! facts in elements without changing a character.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Bumped when the scoring changes: stored results of another version are computed again.
pub const VERSION: u32 = 1;

/// Support scores under this count as weak unless the server is told otherwise.
pub const DEFAULT_WEAK_BELOW: f64 = 0.5;

/// At most this many source sentences are named as one summary sentence's support.
const MAX_SOURCES: usize = 3;

/// A further source sentence is added only if it covers at least this share of the summary
/// sentence's weight that the ones before it left uncovered.
const MIN_GAIN: f64 = 0.1;

/// A half-open byte range `[start, end)` into a text.
pub type Span = (u32, u32);

/// The support of one summary against its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Support {
    pub version: u32,
    /// The source document's sentences.
    pub source: Vec<Span>,
    pub summary: Vec<SummarySentence>,
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
}

impl SummarySentence {
    /// Whether the source supports this sentence too little, by the server's setting.
    pub fn is_weak(&self, weak_below: f64) -> bool {
        self.score < weak_below
    }
}

impl Support {
    /// Scores every sentence of `summary` against `document`.
    pub fn compute(document: &str, summary: &str) -> Support {
        let source_spans = sentences(document);
        let source_tokens: Vec<Vec<Token>> = source_spans
            .iter()
            .map(|&(s, e)| tokens(document, s, e))
            .collect();
        let source_sets: Vec<HashSet<String>> = source_tokens
            .iter()
            .map(|ts| ts.iter().filter(|t| t.content).map(|t| t.key.clone()).collect())
            .collect();
        // Facts are looked up in the whole source, not sentence by sentence.
        let mentioned: HashSet<String> = source_tokens
            .iter()
            .flatten()
            .map(|t| t.fact_key.clone())
            .collect();
        let mut df: HashMap<&str, usize> = HashMap::new();
        for set in &source_sets {
            for key in set {
                *df.entry(key.as_str()).or_default() += 1;
            }
        }
        let n = source_sets.len() as f64;
        // Never zero, so a summary checked against an empty source still has weight to miss.
    let idf = |key: &str| (1.0 + (n + 1.0) / (1.0 + *df.get(key).unwrap_or(&0) as f64)).ln();

        let summary = sentences(summary)
            .into_iter()
            .map(|(start, end)| {
                let toks = tokens(summary, start, end);
                let mut weights: Vec<(String, f64)> = Vec::new();
                for t in toks.iter().filter(|t| t.content) {
                    if !weights.iter().any(|(k, _)| *k == t.key) {
                        weights.push((t.key.clone(), idf(&t.key)));
                    }
                }
                let (score, sources) = cover(&weights, &source_sets);
                SummarySentence {
                    span: (start, end),
                    score,
                    sources,
                    unsupported: unsupported_facts(summary, &toks, &mentioned),
                }
            })
            .collect();
        Support { version: VERSION, source: source_spans, summary }
    }
}

/// Greedy cover: the source sentence holding the most of the summary sentence's weight, then the
/// one adding most of what is left, and so on. Returns the covered share and the sentences.
fn cover(weights: &[(String, f64)], sources: &[HashSet<String>]) -> (f64, Vec<u32>) {
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        // Nothing to check ("Yes.", or only common words): nothing to flag either.
        return (1.0, Vec::new());
    }
    let mut covered: HashSet<&str> = HashSet::new();
    let mut chosen: Vec<u32> = Vec::new();
    while chosen.len() < MAX_SOURCES {
        let gain = |set: &HashSet<String>| -> f64 {
            weights
                .iter()
                .filter(|(k, _)| !covered.contains(k.as_str()) && set.contains(k))
                .map(|(_, w)| w)
                .sum()
        };
        let best = sources
            .iter()
            .enumerate()
            .filter(|(i, _)| !chosen.contains(&(*i as u32)))
            .map(|(i, set)| (i, gain(set)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let Some((index, g)) = best else { break };
        if g <= 0.0 || (!chosen.is_empty() && g / total < MIN_GAIN) {
            break;
        }
        chosen.push(index as u32);
        for (k, _) in weights {
            if sources[index].contains(k) {
                covered.insert(k);
            }
        }
    }
    let done: f64 = weights
        .iter()
        .filter(|(k, _)| covered.contains(k.as_str()))
        .map(|(_, w)| w)
        .sum();
    // `+ 0.0` turns the -0.0 an empty float sum gives into 0.0.
    ((done / total).clamp(0.0, 1.0) + 0.0, chosen)
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
            Some(last) if name && &text[last.1 as usize..t.span.0 as usize] == " " && toks[i - 1].capitalised => {
                last.1 = t.span.1;
            }
            _ => out.push(t.span),
        }
    }
    out
}

/// Sentence ranges of `text`, leading and trailing white space left out. A sentence ends at
/// `.`, `!` or `?` (and any closing quote or bracket) followed by white space, unless the word
/// before the full stop is a known abbreviation or an initial; a blank line ends one too.
pub fn sentences(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        let mut end = None;
        if matches!(b, b'.' | b'!' | b'?') {
            let mut j = i + 1;
            while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b')' | b']' | b'.' | b'!' | b'?') {
                j += 1;
            }
            let at_space = j >= bytes.len() || bytes[j].is_ascii_whitespace();
            if at_space && !(b == b'.' && abbreviation_before(text, i)) {
                end = Some(j);
            }
            i = j;
        } else if b == b'\n' && text[i + 1..].trim_start_matches([' ', '\t', '\r']).starts_with('\n') {
            end = Some(i);
            i += 1;
        } else {
            i += 1;
        }
        if let Some(e) = end {
            push_trimmed(text, start, e, &mut out);
            start = e;
        }
    }
    push_trimmed(text, start, text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if !trimmed.is_empty() {
        let s = start + lead;
        out.push((s as u32, (s + trimmed.len()) as u32));
    }
}

fn abbreviation_before(text: &str, dot: usize) -> bool {
    let word: String = text[..dot]
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let single_initial = word.chars().count() == 1 && word.chars().all(char::is_uppercase);
    single_initial || word.contains('.') || ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "inc", "ltd", "co", "corp", "vs", "etc",
    "no", "fig", "approx", "dept", "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
];

/// Function words that carry no content of their own.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "again", "against", "all", "also", "an", "and", "any", "are", "as", "at",
    "be", "been", "before", "being", "between", "both", "but", "by", "can", "could", "did", "do",
    "does", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he",
    "her", "here", "hers", "him", "his", "how", "however", "i", "if", "in", "into", "is", "it",
    "its", "just", "may", "me", "might", "more", "most", "much", "must", "my", "no", "nor", "not",
    "now", "of", "off", "on", "once", "only", "or", "other", "our", "out", "over", "own", "same",
    "she", "should", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "us", "very",
    "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
    "with", "would", "you", "your",
];

const NUMBER_WORDS: &[(&str, &str)] = &[
    ("zero", "0"), ("one", "1"), ("two", "2"), ("three", "3"), ("four", "4"), ("five", "5"),
    ("six", "6"), ("seven", "7"), ("eight", "8"), ("nine", "9"), ("ten", "10"), ("eleven", "11"),
    ("twelve", "12"), ("thirteen", "13"), ("fourteen", "14"), ("fifteen", "15"),
    ("sixteen", "16"), ("seventeen", "17"), ("eighteen", "18"), ("nineteen", "19"),
    ("twenty", "20"), ("thirty", "30"), ("forty", "40"), ("fifty", "50"), ("hundred", "100"),
];

/// One word or number of a text.
#[derive(Debug)]
struct Token {
    span: Span,
    /// Lower-cased and stemmed: what overlap compares.
    key: String,
    /// Lower-cased, unstemmed, numbers without separators and number words as digits: what the
    /// fact check looks up, so "1,200" matches "1200" and "five" matches "5".
    fact_key: String,
    /// Counts towards overlap (not a function word).
    content: bool,
    capitalised: bool,
    acronym: bool,
}

/// The words and numbers in `text[start..end]`. A number keeps its inner `.` and `,` ("3.5",
/// "1,200"); anything else that is not a letter or digit separates words.
fn tokens(text: &str, start: u32, end: u32) -> Vec<Token> {
    let slice = &text[start as usize..end as usize];
    let chars: Vec<(usize, char)> = slice.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let from = i;
        while i < chars.len() {
            let c = chars[i].1;
            let inner_separator = matches!(c, '.' | ',')
                && i > from
                && chars[i - 1].1.is_ascii_digit()
                && chars.get(i + 1).is_some_and(|n| n.1.is_ascii_digit());
            if c.is_alphanumeric() || inner_separator {
                i += 1;
            } else {
                break;
            }
        }
        let s = chars[from].0;
        let e = chars.get(i).map_or(slice.len(), |c| c.0);
        let word = &slice[s..e];
        let lower = word.to_lowercase();
        let is_number = lower.chars().any(|c| c.is_ascii_digit());
        let fact_key = if is_number {
            lower.replace(',', "")
        } else {
            NUMBER_WORDS
                .iter()
                .find(|(w, _)| *w == lower)
                .map_or_else(|| lower.clone(), |(_, d)| (*d).to_owned())
        };
        let first = word.chars().next().unwrap_or(' ');
        out.push(Token {
            span: (start + s as u32, start + e as u32),
            key: if is_number { fact_key.clone() } else { stem(&lower) },
            content: !STOPWORDS.contains(&lower.as_str()),
            capitalised: first.is_uppercase(),
            acronym: word.chars().count() > 1 && word.chars().all(|c| c.is_uppercase() || c.is_ascii_digit()),
            fact_key,
        });
    }
    out
}

/// A light English stemmer: enough that "costs" meets "cost" and "rising" meets "rise" in
/// overlap. Both texts go through it, so consistency matters more than linguistic accuracy.
fn stem(word: &str) -> String {
    let n = word.chars().count();
    let strip = |suffix: &str, min: usize| n >= min && word.ends_with(suffix);
    if strip("ies", 5) {
        return format!("{}y", &word[..word.len() - 3]);
    }
    if strip("ing", 6) {
        return word[..word.len() - 3].to_owned();
    }
    if strip("ed", 5) {
        return word[..word.len() - 2].to_owned();
    }
    if strip("es", 5) && (word.ends_with("ses") || word.ends_with("xes") || word.ends_with("ches") || word.ends_with("shes")) {
        return word[..word.len() - 2].to_owned();
    }
    if strip("s", 4) && !word.ends_with("ss") && !word.ends_with("us") {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(text: &'a str, spans: &[Span]) -> Vec<&'a str> {
        spans.iter().map(|&(s, e)| &text[s as usize..e as usize]).collect()
    }

    #[test]
    fn sentences_end_at_stops_but_not_at_abbreviations_initials_or_decimals() {
        let text = "  Dr. Smith met J. Doe at Acme Inc. on Monday. Costs rose 3.5% (in Q2)! Was it enough?\"  Yes\n\nNew paragraph";
        assert_eq!(
            texts(text, &sentences(text)),
            [
                "Dr. Smith met J. Doe at Acme Inc. on Monday.",
                "Costs rose 3.5% (in Q2)!",
                "Was it enough?\"",
                "Yes",
                "New paragraph"
            ]
        );
        assert!(sentences(" \n ").is_empty());
    }

    #[test]
    fn a_faithful_sentence_is_well_supported_by_the_sentences_it_draws_on() {
        let doc = "The board met on Tuesday. Revenue at the Rotterdam plant fell 12 percent. \
                   The weather was mild. Management blamed the strike at the port.";
        let s = Support::compute(doc, "Rotterdam revenue fell 12 percent, blamed on a port strike.");
        let sent = &s.summary[0];
        assert!(sent.score > 0.9, "{sent:?}");
        assert_eq!(sent.sources, [1, 3]);
        assert!(sent.unsupported.is_empty());
        assert_eq!(texts(doc, &s.source)[1], "Revenue at the Rotterdam plant fell 12 percent.");
    }

    #[test]
    fn an_invented_sentence_scores_low_and_its_new_names_and_numbers_are_marked() {
        let doc = "Revenue at the Rotterdam plant fell 12 percent. Management blamed the strike.";
        let summary = "Revenue fell 12 percent. The company hired Jane Porter as chief executive for 3 years.";
        let s = Support::compute(doc, summary);
        assert_eq!(s.summary.len(), 2);
        assert!(s.summary[0].score > 0.9);
        assert!(s.summary[1].is_weak(DEFAULT_WEAK_BELOW), "{:?}", s.summary[1]);
        assert_eq!(texts(summary, &s.summary[1].unsupported), ["Jane Porter", "3"]);
    }

    #[test]
    fn numbers_match_whatever_their_separators_or_spelling_and_a_changed_one_is_marked() {
        let doc = "The plant made 1200 units with five crews in 2023, up 4.5 percent.";
        let summary = "The plant made 1,200 units with 5 crews in 2024, up 4.5 percent.";
        let s = Support::compute(doc, summary);
        assert_eq!(texts(summary, &s.summary[0].unsupported), ["2024"]);
    }

    #[test]
    fn names_dates_and_acronyms_not_in_the_source_are_marked_but_a_capital_that_starts_a_sentence_is_not() {
        let doc = "Acme signed the deal on 3 March with the city council.";
        let summary = "Acme signed with Globex on 3 May. Council members approved. The EU objected.";
        let s = Support::compute(doc, summary);
        let marked: Vec<&str> = s.summary.iter().flat_map(|x| texts(summary, &x.unsupported)).collect();
        assert_eq!(marked, ["Globex", "May", "EU"]);
    }

    #[test]
    fn a_sentence_without_content_words_is_not_flagged_and_unicode_is_sliced_safely() {
        let doc = "Café Zoë reopened. Émile was there 🎉.";
        let summary = "It is so. Café Zoë reopened with Émile.";
        let s = Support::compute(doc, summary);
        assert_eq!(s.summary[0].score, 1.0);
        assert!(s.summary[0].sources.is_empty());
        assert!(s.summary[1].score > 0.9);
        assert!(s.summary[1].unsupported.is_empty());
        assert_eq!(texts(summary, &[s.summary[1].span]), ["Café Zoë reopened with Émile."]);
    }

    #[test]
    fn an_empty_summary_or_source_gives_no_hints_and_no_panic() {
        assert!(Support::compute("Some source.", "").summary.is_empty());
        let s = Support::compute("", "A claim about Paris.");
        assert_eq!(s.summary[0].score, 0.0);
        assert!(s.source.is_empty());
    }
}
