//! Word-level diff of a corrected summary against the AI's, for showing a reviewer's edit as it
//! is typed and in every review's history. Runs in the browser (live) and on the server (history).
//!
//! Words are whitespace-separated; the diff is a longest common subsequence of words, so a changed
//! word shows as the old one removed and the new one added. The shared beginning is set aside,
//! and the table is filled only in a band around its diagonal, widened by doubling until the
//! diff fits in it: a correction that changes a few words of a long text costs about the text's
//! length, not its square. The table never passes [`MAX_CELLS`]; a pair that would need more
//! (only possible past [`MAX_WORDS`] a side) is shown as one removal and one addition.

use serde::{Deserialize, Serialize};

/// Longest text (in words, per side) that always gets a word-by-word diff; longer texts get one
/// when they differ little enough for [`MAX_CELLS`].
pub const MAX_WORDS: usize = 2_000;

/// Largest table one diff fills, in cells (a square of [`MAX_WORDS`] a side).
pub const MAX_CELLS: usize = (MAX_WORDS + 1) * (MAX_WORDS + 1);

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

/// Marks a cell outside the band: no path through it.
const OUTSIDE: i32 = i32::MIN / 2;

/// `lcs(i, j)`: the longest common subsequence of `a[i..]` and `b[j..]`, over the whole table
/// or only the cells with |i − j| ≤ the band; [`OUTSIDE`] elsewhere.
struct Table {
    cells: Vec<i32>,
    band: Option<usize>,
    width: usize,
}

impl Table {
    fn fill(a: &[&str], b: &[&str], band: Option<usize>) -> Table {
        let width = band.map_or(b.len() + 1, |k| 2 * k + 1);
        let mut table = Table {
            cells: vec![OUTSIDE; (a.len() + 1) * width],
            band,
            width,
        };
        for i in (0..=a.len()).rev() {
            let (low, high) = match band {
                None => (0, b.len()),
                Some(k) => (i.saturating_sub(k), (i + k).min(b.len())),
            };
            for j in (low..=high).rev() {
                let value = if i == a.len() || j == b.len() {
                    0
                } else if a[i] == b[j] {
                    table.get(i + 1, j + 1) + 1
                } else {
                    table.get(i + 1, j).max(table.get(i, j + 1))
                };
                if let Some(at) = table.index(i, j) {
                    table.cells[at] = value;
                }
            }
        }
        table
    }

    fn index(&self, i: usize, j: usize) -> Option<usize> {
        let at = match self.band {
            None => i * self.width + j,
            Some(k) if i.abs_diff(j) <= k => i * self.width + j + k - i,
            Some(_) => return None,
        };
        (at < self.cells.len()).then_some(at)
    }

    fn get(&self, i: usize, j: usize) -> i32 {
        self.index(i, j).map_or(OUTSIDE, |at| self.cells[at])
    }
}

/// The parts that turn `original` into `corrected`, in reading order (removals before additions
/// where both happen at one place).
pub fn word_diff(original: &str, corrected: &str) -> Vec<Part> {
    let a: Vec<&str> = original.split_whitespace().collect();
    let b: Vec<&str> = corrected.split_whitespace().collect();
    let mut steps: Vec<(Change, &str)> = Vec::with_capacity(a.len() + b.len());
    // A shared beginning is the start of every longest common subsequence taken greedily.
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    steps.extend(a[..prefix].iter().map(|w| (Change::Same, *w)));
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let Some(table) = table_for(a, b) else {
        steps.extend(a.iter().map(|w| (Change::Removed, *w)));
        steps.extend(b.iter().map(|w| (Change::Added, *w)));
        return merge(steps);
    };
    walk(a, b, &table, &mut steps);
    merge(steps)
}

/// The steps of a best path from the start: a shared word whenever there is one, else a removal
/// if that keeps the subsequence longest, else an addition. Inside a band wide enough for the
/// diff, every cell on a best path and each of its best neighbours has its true value, and worse
/// neighbours stay worse: the walk takes the same steps as over the whole table.
fn walk<'a>(a: &[&'a str], b: &[&'a str], table: &Table, steps: &mut Vec<(Change, &'a str)>) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            steps.push((Change::Same, a[i]));
            i += 1;
            j += 1;
        } else if table.get(i + 1, j) >= table.get(i, j + 1) {
            steps.push((Change::Removed, a[i]));
            i += 1;
        } else {
            steps.push((Change::Added, b[j]));
            j += 1;
        }
    }
    steps.extend(a[i..].iter().map(|w| (Change::Removed, *w)));
    steps.extend(b[j..].iter().map(|w| (Change::Added, *w)));
}

/// Words of `a` with no partner in `b` and words of `b` with none in `a`, counted as multisets
/// (order aside): a cheap lower bound on any edit script, computed in one pass over each text.
/// Every edit adds or removes at most one unpartnered word on each side.
pub fn unshared_words(a: &[&str], b: &[&str]) -> (usize, usize) {
    let mut balance: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for w in a {
        *balance.entry(w).or_default() += 1;
    }
    for w in b {
        *balance.entry(w).or_default() -= 1;
    }
    let only_a = balance.values().filter(|&&n| n > 0).sum::<i64>() as usize;
    let only_b = balance
        .values()
        .filter(|&&n| n < 0)
        .map(|n| -n)
        .sum::<i64>() as usize;
    (only_a, only_b)
}

/// The narrowest band (doubling from the words the texts do not share) that holds a best path: one whose
/// longest common subsequence implies no more edits than the band is wide; the whole table when
/// a band would be as big. `None` when that would take more than [`MAX_CELLS`].
fn table_for(a: &[&str], b: &[&str]) -> Option<Table> {
    let whole = (a.len() + 1).saturating_mul(b.len() + 1);
    // Every unshared word is one removal or addition: the band must be at least that wide.
    let (only_a, only_b) = unshared_words(a, b);
    let mut k = (only_a + only_b).max(16);
    loop {
        if k >= a.len().max(b.len()) || (a.len() + 1).saturating_mul(2 * k + 1) >= whole {
            return (whole <= MAX_CELLS).then(|| Table::fill(a, b, None));
        }
        if (a.len() + 1).saturating_mul(2 * k + 1) > MAX_CELLS {
            return None;
        }
        let table = Table::fill(a, b, Some(k));
        let edits = (a.len() + b.len()) as i64 - 2 * i64::from(table.get(0, 0));
        if edits <= k as i64 {
            return Some(table);
        }
        k *= 2;
    }
}

/// Joins consecutive words of one kind; within a change, removals come before additions.
fn merge(steps: Vec<(Change, &str)>) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    let mut pending: [Vec<&str>; 2] = [Vec::new(), Vec::new()];
    let flush = |parts: &mut Vec<Part>, pending: &mut [Vec<&str>; 2]| {
        for (k, change) in [Change::Removed, Change::Added].into_iter().enumerate() {
            if !pending[k].is_empty() {
                parts.push(Part {
                    change,
                    text: pending[k].join(" "),
                });
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
                    _ => parts.push(Part {
                        change,
                        text: word.to_owned(),
                    }),
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
        let d = word_diff(
            "The council rejected the budget.",
            "The council approved the budget.",
        );
        assert_eq!(
            show(&d),
            "The council [-rejected-] {+approved+} the budget."
        );
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

    /// The original: the whole table, from the first word. The oracle for the banded one.
    fn whole_table_reference(original: &str, corrected: &str) -> Vec<Part> {
        let a: Vec<&str> = original.split_whitespace().collect();
        let b: Vec<&str> = corrected.split_whitespace().collect();
        let table = Table::fill(&a, &b, None);
        let mut steps = Vec::new();
        walk(&a, &b, &table, &mut steps);
        merge(steps)
    }

    #[test]
    fn the_banded_diff_is_word_for_word_the_whole_table_diff() {
        let mut seed: u64 = 5;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for round in 0..400 {
            let words = round % 90;
            let a: Vec<usize> = (0..words).map(|_| next() % 5).collect();
            let mut b = a.clone();
            for _ in 0..next() % (words / 3 + 2) {
                let at = next() % (b.len() + 1);
                match next() % 3 {
                    0 => b.insert(at, next() % 5),
                    1 if at < b.len() => drop(b.remove(at)),
                    _ if at < b.len() => b[at] = next() % 7,
                    _ => {}
                }
            }
            let text = |v: &[usize]| {
                v.iter()
                    .map(|w| format!("w{w}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let (a, b) = (text(&a), text(&b));
            assert_eq!(
                word_diff(&a, &b),
                whole_table_reference(&a, &b),
                "{a:?} → {b:?}"
            );
        }
    }

    #[test]
    fn a_small_edit_of_a_text_far_past_the_word_limit_still_gets_a_word_diff() {
        let long = "Ab. ".repeat(50_000);
        let edited = format!("{}Cd. {}", "Ab. ".repeat(25_000), "Ab. ".repeat(24_999));
        let d = word_diff(&long, &edited);
        assert_eq!(
            d.len(),
            4,
            "{:?}",
            d.iter().map(|p| p.change).collect::<Vec<_>>()
        );
        assert_eq!((d[1].change, d[1].text.as_str()), (Change::Removed, "Ab."));
        assert_eq!((d[2].change, d[2].text.as_str()), (Change::Added, "Cd."));
        // Two unrelated long texts are shown replaced whole, after their shared beginning.
        let d = word_diff(&long, &"Cd. ".repeat(50_000));
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn very_long_texts_are_shown_as_replaced_whole() {
        let long: String = (0..MAX_WORDS + 1).map(|i| format!("w{i} ")).collect();
        let d = word_diff(&long, "short");
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].change, d[1].change), (Change::Removed, Change::Added));
    }
}
