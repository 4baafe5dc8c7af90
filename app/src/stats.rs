//! The statistics behind the dashboard, as pure functions over small aggregates.
//!
//! PostgreSQL does the counting (bins, sums, coincidence matrices); these functions turn a handful
//! of aggregated numbers into the figures an admin reads: the word-level edit distance of a
//! correction, the expected calibration error, a Wilson interval and Krippendorff's alpha.

/// Largest dynamic-programming table, in cells, the word edit distance fills for one pair of
/// texts: every pair of up to 5,000 words a side is measured exactly, and longer texts exactly
/// when they differ little (the band around the diagonal is what counts then).
pub const MAX_EDIT_CELLS: usize = 25_000_000;

/// A word edit distance, and whether it is exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EditDistance {
    /// Edits over the longer text's word count, 0 to 1.
    pub ratio: f64,
    /// False when the texts differ by more than [`MAX_EDIT_CELLS`] allows to measure: `ratio`
    /// is then a lower bound (the texts differ in at least that share of words).
    pub exact: bool,
}

/// Word-level Levenshtein distance between two texts divided by the longer one's word count:
/// 0 when the words are the same, 1 when nothing was kept. Whitespace differences do not count.
/// See [`bounded_word_edit_distance`] for the bound on the work (exact for any pair of texts
/// of up to 5,000 words a side).
pub fn word_edit_distance(original: &str, corrected: &str) -> f64 {
    bounded_word_edit_distance(original, corrected).ratio
}

/// [`word_edit_distance`] in time about linear in the texts times the distance: the shared
/// beginning and end are set aside (they change nothing), then the table is filled only in a
/// band around its diagonal, widened by doubling until the distance fits in it (Ukkonen). When
/// the band would pass [`MAX_EDIT_CELLS`], the answer is the lower bound the last band proved.
pub fn bounded_word_edit_distance(original: &str, corrected: &str) -> EditDistance {
    let a: Vec<&str> = original.split_whitespace().collect();
    let b: Vec<&str> = corrected.split_whitespace().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return EditDistance {
            ratio: 0.0,
            exact: true,
        };
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    let ratio = |d: usize| d as f64 / longest as f64;
    // The distance is at least the words one side has and the other lacks (which covers the
    // difference in length), and at most the longer side: when the two meet, that is it.
    let (only_a, only_b) = crate::diff::unshared_words(a, b);
    let mut proved = only_a.max(only_b);
    if proved == a.len().max(b.len()) {
        return EditDistance {
            ratio: ratio(proved),
            exact: true,
        };
    }
    let mut k = proved.max(16);
    loop {
        if k >= a.len().max(b.len()) {
            // The band is the whole table.
            if (a.len() + 1).saturating_mul(b.len() + 1) > MAX_EDIT_CELLS {
                return EditDistance {
                    ratio: ratio(proved),
                    exact: false,
                };
            }
            return EditDistance {
                ratio: ratio(full_levenshtein(a, b)),
                exact: true,
            };
        }
        if (a.len() + 1).saturating_mul(2 * k + 1) > MAX_EDIT_CELLS {
            return EditDistance {
                ratio: ratio(proved),
                exact: false,
            };
        }
        match banded_levenshtein(a, b, k) {
            Some(d) => {
                return EditDistance {
                    ratio: ratio(d),
                    exact: true,
                };
            }
            None => proved = proved.max(k + 1),
        }
        k *= 2;
    }
}

/// The whole table, one row at a time: memory is O(len(b)).
fn full_levenshtein(a: &[&str], b: &[&str]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, word_a) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, word_b) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(word_a != word_b);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The distance if it is at most `k`, filling only the cells with |i − j| ≤ k: a path with at
/// most k edits never leaves that band, so inside it the band's answer is the true one.
fn banded_levenshtein(a: &[&str], b: &[&str], k: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > k {
        return None;
    }
    const FAR: usize = usize::MAX / 2;
    let width = 2 * k + 1;
    // Row i holds columns j = i - k ..= i + k at positions j + k - i.
    let mut previous = vec![FAR; width];
    let mut current = vec![FAR; width];
    for (t, cell) in previous.iter_mut().enumerate() {
        // Row 0: j = t - k.
        if t >= k && t - k <= b.len() {
            *cell = t - k;
        }
    }
    for i in 1..=a.len() {
        current.fill(FAR);
        for t in 0..width {
            let Some(j) = (i + t).checked_sub(k) else {
                continue;
            };
            if j > b.len() {
                break;
            }
            current[t] = if j == 0 {
                i
            } else {
                let substitution = previous[t].saturating_add(usize::from(a[i - 1] != b[j - 1]));
                let deletion = previous.get(t + 1).map_or(FAR, |d| d.saturating_add(1));
                let insertion = if t > 0 {
                    current[t - 1].saturating_add(1)
                } else {
                    FAR
                };
                substitution.min(deletion).min(insertion)
            };
        }
        std::mem::swap(&mut previous, &mut current);
    }
    let d = previous[b.len() + k - a.len()];
    (d <= k).then_some(d)
}

/// One confidence bin of a reliability diagram.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalibrationBin {
    /// Reviews whose task's confidence fell in the bin.
    pub count: i64,
    /// Their mean model confidence.
    pub mean_confidence: f64,
    /// The share of them a reviewer accepted.
    pub acceptance: f64,
}

/// Expected calibration error: the count-weighted mean gap between confidence and the human
/// acceptance rate over the bins. `None` without any reviews.
pub fn expected_calibration_error(bins: &[CalibrationBin]) -> Option<f64> {
    let total: i64 = bins.iter().map(|b| b.count).sum();
    if total == 0 {
        return None;
    }
    let weighted: f64 = bins
        .iter()
        .map(|b| b.count as f64 * (b.mean_confidence - b.acceptance).abs())
        .sum();
    Some(weighted / total as f64)
}

/// The 95% Wilson score interval for `successes` out of `n`, which stays inside [0, 1] and behaves
/// for small samples and rates near 0 (where the normal approximation gives nonsense).
pub fn wilson_interval(successes: i64, n: i64) -> Option<(f64, f64)> {
    if n <= 0 {
        return None;
    }
    const Z: f64 = 1.959_963_984_540_054;
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = Z * Z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Krippendorff's alpha for ordinal data from a coincidence matrix over the values 1..=K
/// (`coincidences[c][k]`: pairable value pairs (c+1, k+1), each unit's pairs weighted by
/// 1 / (values in the unit − 1)). `None` when there is nothing to compare or no variation at all.
pub fn krippendorff_alpha_ordinal<const K: usize>(coincidences: &[[f64; K]; K]) -> Option<f64> {
    let marginals: Vec<f64> = coincidences.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = marginals.iter().sum();
    if n <= 1.0 {
        return None;
    }
    // Ordinal metric: how many values lie between c and k, counting the ends by half.
    let delta = |c: usize, k: usize| -> f64 {
        let (lo, hi) = if c <= k { (c, k) } else { (k, c) };
        let between: f64 = marginals[lo..=hi].iter().sum();
        let d = between - (marginals[lo] + marginals[hi]) / 2.0;
        d * d
    };
    let mut observed = 0.0;
    let mut expected = 0.0;
    for c in 0..K {
        for k in 0..K {
            let d = delta(c, k);
            observed += coincidences[c][k] * d;
            expected += marginals[c] * marginals[k] * d;
        }
    }
    if expected == 0.0 {
        return None;
    }
    Some(1.0 - (n - 1.0) * observed / expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_word_edits_against_the_longer_text() {
        assert_eq!(word_edit_distance("a b c d", "a b c d"), 0.0);
        assert_eq!(word_edit_distance("a  b\nc", "a b c"), 0.0);
        // One substitution in four words.
        assert_eq!(
            word_edit_distance("the cat sat down", "the dog sat down"),
            0.25
        );
        // Two insertions: 2 edits over 5 words.
        assert_eq!(word_edit_distance("a b c", "a x b c y"), 0.4);
        // A deletion of three of four words.
        assert_eq!(word_edit_distance("one two three four", "one"), 0.75);
        assert_eq!(word_edit_distance("a b", "c d"), 1.0);
        assert_eq!(word_edit_distance("", ""), 0.0);
        assert_eq!(word_edit_distance("", "new text"), 1.0);
    }

    /// Deterministic pseudo-random word lists over a small vocabulary, close to each other.
    fn word_pairs(seed: &mut u64, words: usize) -> (String, String) {
        let mut next = || {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*seed >> 33) as usize
        };
        let a: Vec<usize> = (0..words).map(|_| next() % 6).collect();
        let mut b = a.clone();
        for _ in 0..next() % (words / 2 + 2) {
            let at = next() % (b.len() + 1);
            match next() % 3 {
                0 => b.insert(at, next() % 6),
                1 if at < b.len() => drop(b.remove(at)),
                _ if at < b.len() => b[at] = next() % 6,
                _ => {}
            }
        }
        let text = |v: &[usize]| {
            v.iter()
                .map(|w| format!("w{w}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        (text(&a), text(&b))
    }

    #[test]
    fn the_banded_edit_distance_equals_the_full_table_on_every_pair_it_measures_exactly() {
        let mut seed = 11;
        for round in 0..400 {
            let (a, b) = word_pairs(&mut seed, round % 60);
            let wa: Vec<&str> = a.split_whitespace().collect();
            let wb: Vec<&str> = b.split_whitespace().collect();
            let full = full_levenshtein(&wa, &wb);
            let longest = wa.len().max(wb.len());
            let expected = if longest == 0 {
                0.0
            } else {
                full as f64 / longest as f64
            };
            let got = bounded_word_edit_distance(&a, &b);
            assert!(got.exact);
            assert_eq!(got.ratio, expected, "{a:?} → {b:?}");
            for k in 0..6 {
                let banded = banded_levenshtein(&wa, &wb, k);
                assert_eq!(banded, (full <= k).then_some(full), "k={k}: {a:?} → {b:?}");
            }
        }
    }

    #[test]
    fn edit_distance_of_huge_texts_is_bounded_exact_when_they_differ_little_and_a_lower_bound_otherwise()
     {
        // 250,000 words (a 1 MB summary of "Ab. "): one changed word is still measured exactly.
        let long = "Ab. ".repeat(250_000);
        let mut edited = long.clone();
        edited.replace_range(400_000..400_003, "Cd.");
        let d = bounded_word_edit_distance(&long, &edited);
        assert!(d.exact);
        assert_eq!(d.ratio, 1.0 / 250_000.0);
        // Texts with no word in common: the count alone settles it, exactly, at once.
        let d = bounded_word_edit_distance(&long, &"Cd. ".repeat(100_000));
        assert_eq!(
            d,
            EditDistance {
                ratio: 1.0,
                exact: true
            }
        );
        // The same words in another order (a random text and its reverse) would need 62.5
        // billion cells: the answer is the lower bound the bands tried have proved.
        let mut seed: u64 = 3;
        let words: Vec<&str> = (0..250_000)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if seed >> 63 == 0 { "Ab." } else { "Cd." }
            })
            .collect();
        let forward = words.join(" ");
        let backward = words.iter().rev().copied().collect::<Vec<_>>().join(" ");
        let d = bounded_word_edit_distance(&forward, &backward);
        assert!(!d.exact);
        assert!(d.ratio > 0.0 && d.ratio < 0.01, "{d:?}");
    }

    #[test]
    fn calibration_error_weights_each_bin_by_its_count() {
        let bins = [
            CalibrationBin {
                count: 10,
                mean_confidence: 0.35,
                acceptance: 0.2,
            },
            CalibrationBin {
                count: 30,
                mean_confidence: 0.85,
                acceptance: 0.9,
            },
        ];
        // (10 × 0.15 + 30 × 0.05) / 40 = 0.075
        let ece = expected_calibration_error(&bins).unwrap();
        assert!((ece - 0.075).abs() < 1e-12, "{ece}");
        assert_eq!(expected_calibration_error(&[]), None);
    }

    #[test]
    fn wilson_interval_matches_the_published_values() {
        // 2 of 10: the textbook Wilson interval is (0.0567, 0.5098).
        let (lo, hi) = wilson_interval(2, 10).unwrap();
        assert!((lo - 0.0567).abs() < 1e-4, "{lo}");
        assert!((hi - 0.5098).abs() < 1e-4, "{hi}");
        // 0 of 20 still gives a real upper bound.
        let (lo, hi) = wilson_interval(0, 20).unwrap();
        assert_eq!(lo, 0.0);
        assert!((hi - 0.1611).abs() < 1e-4, "{hi}");
        assert_eq!(wilson_interval(0, 0), None);
    }

    /// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
    /// observers, twelve units, values 1–5, some missing.
    pub(crate) const TEXTBOOK: [[Option<u8>; 12]; 4] = {
        const N: Option<u8> = None;
        const fn s(v: u8) -> Option<u8> {
            Some(v)
        }
        [
            [
                s(1),
                s(2),
                s(3),
                s(3),
                s(2),
                s(1),
                s(4),
                s(1),
                s(2),
                N,
                N,
                N,
            ],
            [
                s(1),
                s(2),
                s(3),
                s(3),
                s(2),
                s(2),
                s(4),
                s(1),
                s(2),
                s(5),
                N,
                s(3),
            ],
            [
                N,
                s(3),
                s(3),
                s(3),
                s(2),
                s(3),
                s(4),
                s(2),
                s(2),
                s(5),
                s(1),
                N,
            ],
            [
                s(1),
                s(2),
                s(3),
                s(3),
                s(2),
                s(4),
                s(4),
                s(1),
                s(2),
                s(5),
                s(1),
                N,
            ],
        ]
    };

    fn textbook_coincidences() -> [[f64; 5]; 5] {
        let mut o = [[0.0; 5]; 5];
        for unit in 0..12 {
            let values: Vec<u8> = TEXTBOOK.iter().filter_map(|row| row[unit]).collect();
            let m = values.len();
            if m < 2 {
                continue;
            }
            for (i, a) in values.iter().enumerate() {
                for (j, b) in values.iter().enumerate() {
                    if i != j {
                        o[usize::from(*a) - 1][usize::from(*b) - 1] += 1.0 / (m - 1) as f64;
                    }
                }
            }
        }
        o
    }

    #[test]
    fn ordinal_alpha_on_krippendorffs_worked_example_is_0_815() {
        let alpha = krippendorff_alpha_ordinal(&textbook_coincidences()).unwrap();
        assert!((alpha - 0.815).abs() < 5e-4, "{alpha}");
    }

    #[test]
    fn alpha_is_one_for_perfect_agreement_and_undefined_without_variation() {
        let mut o = [[0.0; 5]; 5];
        o[0][0] = 4.0;
        o[4][4] = 2.0;
        assert_eq!(krippendorff_alpha_ordinal(&o), Some(1.0));
        let mut same = [[0.0; 5]; 5];
        same[2][2] = 6.0;
        assert_eq!(krippendorff_alpha_ordinal(&same), None);
    }
}
