// OLD CODE, FOR THE BENCHMARK ONLY: app/src/diff.rs as it was before issue 12 (commit 34941ba),
// copied verbatim so `bench/support.sh` can time it against the new code. Not used by Loupe.

//! Word-level diff of a corrected summary against the AI's, for showing a reviewer's edit as it
//! is typed and in every review's history. Runs in the browser (live) and on the server (history).
//!
//! Words are whitespace-separated; the diff is a longest common subsequence of words, so a changed
//! word shows as the old one removed and the new one added. Summaries are short (hundreds of
//! words), so the quadratic table is small; past [`MAX_WORDS`] a side the texts are shown as one
//! removal and one addition instead of spending the time.

use serde::{Deserialize, Serialize};

/// Longest text (in words, per side) that gets a word-by-word diff.
pub const MAX_WORDS: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    Same,
    Removed,
    Added,
}

/// A run of words with the same change, joined by single spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub change: Change,
    pub text: String,
}

/// The parts that turn `original` into `corrected`, in reading order (removals before additions
/// where both happen at one place).
pub fn word_diff(original: &str, corrected: &str) -> Vec<Part> {
    let a: Vec<&str> = original.split_whitespace().collect();
    let b: Vec<&str> = corrected.split_whitespace().collect();
    let mut steps: Vec<(Change, &str)> = Vec::with_capacity(a.len() + b.len());
    if a.len() > MAX_WORDS || b.len() > MAX_WORDS {
        steps.extend(a.iter().map(|w| (Change::Removed, *w)));
        steps.extend(b.iter().map(|w| (Change::Added, *w)));
        return merge(steps);
    }
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            steps.push((Change::Same, a[i]));
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
            steps.push((Change::Removed, a[i]));
            i += 1;
        } else {
            steps.push((Change::Added, b[j]));
            j += 1;
        }
    }
    steps.extend(a[i..].iter().map(|w| (Change::Removed, *w)));
    steps.extend(b[j..].iter().map(|w| (Change::Added, *w)));
    merge(steps)
}

/// Joins consecutive words of one kind; within a change, removals come before additions.
fn merge(steps: Vec<(Change, &str)>) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    let mut pending: [Vec<&str>; 2] = [Vec::new(), Vec::new()];
    let flush = |parts: &mut Vec<Part>, pending: &mut [Vec<&str>; 2]| {
        for (k, change) in [Change::Removed, Change::Added].into_iter().enumerate() {
            if !pending[k].is_empty() {
                parts.push(Part { change, text: pending[k].join(" ") });
                pending[k].clear();
            }
        }
    };
    for (change, word) in steps {
        match change {
            Change::Removed => pending[0].push(word),
            Change::Added => pending[1].push(word),
            Change::Same => {
                flush(&mut parts, &mut pending);
                match parts.last_mut() {
                    Some(last) if last.change == Change::Same => {
                        last.text.push(' ');
                        last.text.push_str(word);
                    }
                    _ => parts.push(Part { change, text: word.to_owned() }),
                }
            }
        }
    }
    flush(&mut parts, &mut pending);
    parts
}

/// True when the texts have the same words (whitespace aside).
pub fn unchanged(parts: &[Part]) -> bool {
    parts.iter().all(|p| p.change == Change::Same)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(parts: &[Part]) -> String {
        parts
            .iter()
            .map(|p| match p.change {
                Change::Same => p.text.clone(),
                Change::Removed => format!("[-{}-]", p.text),
                Change::Added => format!("{{+{}+}}", p.text),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_changed_word_is_a_removal_then_an_addition() {
        let d = word_diff("The council rejected the budget.", "The council approved the budget.");
        assert_eq!(show(&d), "The council [-rejected-] {+approved+} the budget.");
        assert!(!unchanged(&d));
    }

    #[test]
    fn insertions_deletions_and_runs_are_grouped() {
        let d = word_diff("a b c d e", "a x y c e f");
        assert_eq!(show(&d), "a [-b-] {+x y+} c [-d-] e {+f+}");
        assert_eq!(show(&word_diff("", "new text")), "{+new text+}");
        assert_eq!(show(&word_diff("old text", "")), "[-old text-]");
    }

    #[test]
    fn whitespace_alone_is_no_change() {
        let d = word_diff("one  two\nthree", " one two three ");
        assert!(unchanged(&d));
        assert_eq!(show(&d), "one two three");
    }

    #[test]
    fn very_long_texts_are_shown_as_replaced_whole() {
        let long: String = (0..MAX_WORDS + 1).map(|i| format!("w{i} ")).collect();
        let d = word_diff(&long, "short");
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].change, d[1].change), (Change::Removed, Change::Added));
    }
}
