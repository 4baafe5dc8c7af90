//! The texts' pieces, as the hints see them: sentences (stops that are not abbreviations,
//! initials or decimals), word tokens with their byte spans, stems, and the word lists behind
//! them (stopwords, number words, abbreviations).

use super::Span;

/// Sentence ranges of `text`, leading and trailing white space left out. A sentence ends at
/// `.`, `!` or `?` (and any closing quote or bracket) followed by white space, unless the word
/// before the full stop is a known abbreviation or an initial. A line break ends one too: lists,
/// bullet points and headline-style highlights often have no full stops. Only in prose wrapped
/// at a fixed width ([`hard_wrapped`]) does it take a blank line, or a line that starts with a
/// bullet, to end a sentence, so a wrapped sentence stays whole.
pub fn sentences(text: &str) -> Vec<Span> {
    let wrapped = hard_wrapped(text);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        let mut end = None;
        if matches!(b, b'.' | b'!' | b'?') {
            let mut j = i + 1;
            while j < bytes.len()
                && matches!(bytes[j], b'"' | b'\'' | b')' | b']' | b'.' | b'!' | b'?')
            {
                j += 1;
            }
            let at_space = j >= bytes.len() || bytes[j].is_ascii_whitespace();
            if at_space
                && !(b == b'.' && (abbreviation_before(text, i) || list_number_before(text, i)))
            {
                end = Some(j);
            }
            i = j;
        } else if b == b'\n' && (!wrapped || paragraph_or_bullet_after(&text[i + 1..])) {
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

/// Whether the text after a line break starts a new paragraph (a blank line) or a bullet.
fn paragraph_or_bullet_after(rest: &str) -> bool {
    let line = rest.trim_start_matches([' ', '\t', '\r']);
    line.starts_with('\n')
        || line.starts_with(['-', '*', '•', '–', '·'])
        || numbered(line.as_bytes())
}

/// "1." or "12)" at the start of a line; looks at four bytes at most.
fn numbered(line: &[u8]) -> bool {
    let digits = line
        .iter()
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    digits > 0 && matches!(line.get(digits), Some(b'.' | b')'))
}

/// Whether `text` is prose wrapped at a fixed width (an e-mail, a text file), where a line
/// break falls mid-sentence: at least three lines, the longest 60 to 80 characters (the usual wrap widths; a line of highlights runs longer), most lines
/// inside a paragraph near the longest one's length, and most of them not ending a sentence.
/// A list or a set of highlights has lines of any length, and lines that end in a full stop
/// split there anyway.
fn hard_wrapped(text: &str) -> bool {
    let mut lines = 0usize;
    let mut longest = 0usize;
    for line in text.lines() {
        let n = line.trim_end().chars().count();
        if n > 0 {
            lines += 1;
            longest = longest.max(n);
        }
    }
    if lines < 3 || !(60..=80).contains(&longest) {
        return false;
    }
    // Lines followed by another line of the same paragraph: where a wrap would fall.
    let (mut inner, mut full, mut ended) = (0usize, 0usize, 0usize);
    for paragraph in text.split("\n\n") {
        let rows: Vec<&str> = paragraph
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .collect();
        for row in rows.iter().take(rows.len().saturating_sub(1)) {
            inner += 1;
            full += usize::from(row.chars().count() * 10 >= longest * 6);
            ended += usize::from(row.ends_with(['.', '!', '?', ':', ';']));
        }
    }
    inner > 0 && full * 3 >= inner * 2 && ended * 2 < inner
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

/// Whether the full stop at `dot` closes the number of a numbered list item ("2. costs rise").
fn list_number_before(text: &str, dot: usize) -> bool {
    let before = &text.as_bytes()[..dot];
    let digits = before
        .iter()
        .rev()
        .take(4)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let start = dot - digits;
    (1..=3).contains(&digits)
        && before[..start]
            .iter()
            .rev()
            .find(|b| !matches!(b, b' ' | b'\t'))
            .is_none_or(|&b| b == b'\n')
}

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "inc", "ltd", "co", "corp", "vs",
    "etc", "no", "fig", "approx", "dept", "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec",
];

/// Function words that carry no content of their own.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "again", "against", "all", "also", "an", "and", "any", "are", "as",
    "at", "be", "been", "before", "being", "between", "both", "but", "by", "can", "could", "did",
    "do", "does", "during", "each", "few", "for", "from", "further", "had", "has", "have",
    "having", "he", "her", "here", "hers", "him", "his", "how", "however", "i", "if", "in", "into",
    "is", "it", "its", "just", "may", "me", "might", "more", "most", "much", "must", "my", "no",
    "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "out", "over",
    "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until",
    "up", "us", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
    "whom", "why", "will", "with", "would", "you", "your",
];

const NUMBER_WORDS: &[(&str, &str)] = &[
    ("zero", "0"),
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("eleven", "11"),
    ("twelve", "12"),
    ("thirteen", "13"),
    ("fourteen", "14"),
    ("fifteen", "15"),
    ("sixteen", "16"),
    ("seventeen", "17"),
    ("eighteen", "18"),
    ("nineteen", "19"),
    ("twenty", "20"),
    ("thirty", "30"),
    ("forty", "40"),
    ("fifty", "50"),
    ("hundred", "100"),
];

/// One word or number of a text.
#[derive(Debug)]
pub(super) struct Token {
    pub(super) span: Span,
    /// Lower-cased, as written otherwise: what copies are compared by.
    pub(super) lower: String,
    /// Lower-cased and stemmed: what overlap compares.
    pub(super) key: String,
    /// Lower-cased, unstemmed, numbers without separators and number words as digits: what the
    /// fact check looks up, so "1,200" matches "1200" and "five" matches "5".
    pub(super) fact_key: String,
    /// Counts towards overlap (not a function word).
    pub(super) content: bool,
    pub(super) capitalised: bool,
    pub(super) acronym: bool,
}

/// The words and numbers in `text[start..end]`. A number keeps its inner `.` and `,` ("3.5",
/// "1,200"); anything else that is not a letter or digit separates words.
pub(super) fn tokens(text: &str, start: u32, end: u32) -> Vec<Token> {
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
            key: if is_number {
                fact_key.clone()
            } else {
                stem(&lower)
            },
            content: !STOPWORDS.contains(&lower.as_str()),
            capitalised: first.is_uppercase(),
            acronym: word.chars().count() > 1
                && word.chars().all(|c| c.is_uppercase() || c.is_ascii_digit()),
            fact_key,
            lower,
        });
    }
    out
}

/// A light English stemmer: enough that "costs" meets "cost" and "rising" meets "rise" in
/// overlap. Both texts go through it, so consistency matters more than linguistic accuracy.
pub(super) fn stem(word: &str) -> String {
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
    if strip("es", 5)
        && (word.ends_with("ses")
            || word.ends_with("xes")
            || word.ends_with("ches")
            || word.ends_with("shes"))
    {
        return word[..word.len() - 2].to_owned();
    }
    if strip("s", 4) && !word.ends_with("ss") && !word.ends_with("us") {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}
