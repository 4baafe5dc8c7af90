//! What the hints know about English words, and about the words of one document, for the two
//! marks that need more than the source itself: a name swapped into a copy, and a name or term
//! the source never uses. In lower-case text (most summaries a pipeline sends) the source's own
//! capitals say nothing, so a word list has to say what a name is.
//!
//! The lists (`words/`, generated from Debian's `wamerican` / `wbritish`, SCOWL; notice in
//! `words/NOTICE`) are embedded in the server build only: the hints are computed by the server,
//! never in the browser, so the WASM does not carry them. Without them (`ssr` off) nothing is
//! taken for English and neither mark is made.
//!
//! - `proper.txt`: the words the lists give only capitalised ("luis", "coventry", "scottish"),
//!   lower-cased; about 75 KB.
//! - `lower4.txt`: the first four letters of every word the lists give lower-case; a word whose
//!   four letters (or its stem's) start no English word is not one ("pochettino"). About 46 KB,
//!   against 612 KB for the whole words, and nearly as good (REPORT.md, "Word lists").

use super::text::Token;
use std::cell::OnceCell;
use std::collections::HashSet;

/// A document is taken for English, and its summary checked against the word lists, when at
/// least this share of its words are English function words (the stopwords). English prose has
/// 16–60%; Welsh 4–5%. In another language every word would look like an unknown name.
pub const ENGLISH_STOPWORD_SHARE: f64 = 0.1;

/// Letters of a stem kept when asking whether the document has "the same" word: "elected" and
/// "election" meet, so a paraphrase is no new term.
const PREFIX: usize = 5;

#[cfg(feature = "ssr")]
mod lists {
    use std::collections::HashSet;
    use std::sync::LazyLock;

    fn set(text: &'static str) -> HashSet<&'static str> {
        text.lines().filter(|l| !l.is_empty()).collect()
    }

    pub static PROPER: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| set(include_str!("words/proper.txt")));
    pub static LOWER4: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| set(include_str!("words/lower4.txt")));
}

/// Whether the word lists are built in (the server build).
const HAVE_LISTS: bool = cfg!(feature = "ssr");

/// Whether English knows `lower` only as a name (or a name's adjective: "scottish").
pub(super) fn is_proper(lower: &str) -> bool {
    #[cfg(feature = "ssr")]
    {
        lists::PROPER.contains(lower)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = lower;
        false
    }
}

/// Whether English knows `lower` (or its stem) as an ordinary word, by its first four letters.
fn is_known_lower(lower: &str) -> bool {
    #[cfg(feature = "ssr")]
    {
        let four = |w: &str| -> bool {
            let end = w.char_indices().nth(4).map_or(w.len(), |(i, _)| i);
            lists::LOWER4.contains(&w[..end])
        };
        four(lower) || four(&super::text::stem(lower))
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = lower;
        true
    }
}

/// What a novel word is: a name the lists know, or a term they do not know at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Novel {
    Name,
    Term,
}

/// One document's words, as the novel-word check needs them.
#[derive(Default)]
pub(super) struct Lexicon {
    /// Whether the document is English (see [`ENGLISH_STOPWORD_SHARE`]).
    pub(super) english: bool,
    /// The first [`PREFIX`] letters of the stem of each word (numbers left out).
    prefixes: HashSet<String>,
    /// The document's alphabetic words, each once.
    seen: HashSet<String>,
    /// The first letter of every word, sentence after sentence, and where each sentence ends.
    firsts: Vec<char>,
    ends: Vec<usize>,
    /// Alphabetic words and, of those, stopwords: the English check.
    alphabetic: usize,
    stopwords: usize,
    /// Built on the first short-form question (most tasks never ask one): the words of `seen`
    /// sorted, for "starts a document word"; and the initials of 2–5 consecutive words within a
    /// sentence ("eu", "sso"), packed.
    words: OnceCell<Vec<String>>,
    initials: OnceCell<HashSet<u128>>,
}

/// Up to five characters and their count in one number, for a set without allocations.
fn pack(chars: impl Iterator<Item = char>) -> u128 {
    let mut key: u128 = 0;
    let mut n = 0;
    for c in chars {
        key = (key << 21) | c as u128;
        n += 1;
    }
    (key << 3) | n
}

fn alphabetic(word: &str) -> bool {
    !word.is_empty() && word.chars().all(char::is_alphabetic)
}

/// The prefix stem of a word: its stem cut to [`PREFIX`] characters.
fn prefix(key: &str) -> &str {
    let end = key.char_indices().nth(PREFIX).map_or(key.len(), |(i, _)| i);
    &key[..end]
}

impl Lexicon {
    /// Adds the words of one source sentence (or of a stretch of text taken as one).
    pub(super) fn add(&mut self, toks: &[Token]) {
        for t in toks {
            self.firsts.push(t.lower.chars().next().unwrap_or(' '));
            let word = alphabetic(&t.lower);
            if word {
                self.alphabetic += 1;
                self.stopwords += usize::from(!t.content);
            }
            // A word seen before has its prefix stem in already: one lookup per word, not two.
            let new = !word || !self.seen.contains(&t.lower);
            if new && word {
                self.seen.insert(t.lower.clone());
            }
            if new && !t.key.bytes().any(|b| b.is_ascii_digit()) {
                let p = prefix(&t.key);
                if !self.prefixes.contains(p) {
                    self.prefixes.insert(p.to_owned());
                }
            }
        }
        self.ends.push(self.firsts.len());
    }

    /// Settles the English check, once every sentence is in.
    pub(super) fn finish(mut self) -> Lexicon {
        self.english = HAVE_LISTS
            && self.alphabetic > 0
            && self.stopwords as f64 >= ENGLISH_STOPWORD_SHARE * self.alphabetic as f64;
        self
    }

    fn initials(&self) -> &HashSet<u128> {
        self.initials.get_or_init(|| {
            let mut set = HashSet::new();
            let mut start = 0;
            for &end in &self.ends {
                let sentence = &self.firsts[start..end];
                for i in 0..sentence.len() {
                    for n in 2..=5.min(sentence.len() - i) {
                        set.insert(pack(sentence[i..i + n].iter().copied()));
                    }
                }
                start = end;
            }
            set
        })
    }

    /// Whether `lower` abbreviates a document word: the start of one (3 letters or more: "nov"
    /// for "november"), or the initials of 2–5 consecutive ones ("eu", "sso").
    fn short_form(&self, lower: &str) -> bool {
        let n = lower.chars().count();
        if n >= 3 {
            let words = self.words.get_or_init(|| {
                let mut words: Vec<String> = self.seen.iter().cloned().collect();
                words.sort_unstable();
                words
            });
            let at = words.partition_point(|w| w.as_str() < lower);
            if words.get(at).is_some_and(|w| w.starts_with(lower)) {
                return true;
            }
        }
        (2..=5).contains(&n) && self.initials().contains(&pack(lower.chars()))
    }

    /// Whether the summary word `t` is a name or term the document never uses, in any form:
    /// an alphabetic content word whose prefix stem no document word has, that abbreviates
    /// none, and that English knows only as a name ([`Novel::Name`]) or not at all
    /// ([`Novel::Term`]). `None` for a document not in English.
    pub(super) fn novel(&self, t: &Token) -> Option<Novel> {
        if !self.english
            || !t.content
            || !alphabetic(&t.lower)
            || self.prefixes.contains(prefix(&t.key))
        {
            return None;
        }
        let novel = if is_proper(&t.lower) {
            Novel::Name
        } else if !is_known_lower(&t.lower) {
            Novel::Term
        } else {
            return None;
        };
        // Last, as it is the dearest question (its sets are built on the first one).
        (!self.short_form(&t.lower)).then_some(novel)
    }
}
