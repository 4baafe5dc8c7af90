// OLD CODE, FOR THE BENCHMARK ONLY: app/src/stats.rs as it was before issue 12 (commit 34941ba),
// copied verbatim so `bench/support.sh` can time it against the new code. Not used by Loupe.

//! The statistics behind the dashboard, as pure functions over small aggregates.
//!
//! PostgreSQL does the counting (bins, sums, coincidence matrices); these functions turn a handful
//! of aggregated numbers into the figures an admin reads: the word-level edit distance of a
//! correction, the expected calibration error, a Wilson interval and Krippendorff's alpha.

/// Word-level Levenshtein distance between two texts divided by the longer one's word count:
/// 0 when the words are the same, 1 when nothing was kept. Whitespace differences do not count.
pub fn word_edit_distance(original: &str, corrected: &str) -> f64 {
    let a: Vec<&str> = original.split_whitespace().collect();
    let b: Vec<&str> = corrected.split_whitespace().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 0.0;
    }
    // One row of the dynamic-programming table at a time: memory is O(len(b)).
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
    previous[b.len()] as f64 / longest as f64
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
        assert_eq!(word_edit_distance("the cat sat down", "the dog sat down"), 0.25);
        // Two insertions: 2 edits over 5 words.
        assert_eq!(word_edit_distance("a b c", "a x b c y"), 0.4);
        // A deletion of three of four words.
        assert_eq!(word_edit_distance("one two three four", "one"), 0.75);
        assert_eq!(word_edit_distance("a b", "c d"), 1.0);
        assert_eq!(word_edit_distance("", ""), 0.0);
        assert_eq!(word_edit_distance("", "new text"), 1.0);
    }

    #[test]
    fn calibration_error_weights_each_bin_by_its_count() {
        let bins = [
            CalibrationBin { count: 10, mean_confidence: 0.35, acceptance: 0.2 },
            CalibrationBin { count: 30, mean_confidence: 0.85, acceptance: 0.9 },
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
            [s(1), s(2), s(3), s(3), s(2), s(1), s(4), s(1), s(2), N, N, N],
            [s(1), s(2), s(3), s(3), s(2), s(2), s(4), s(1), s(2), s(5), N, s(3)],
            [N, s(3), s(3), s(3), s(2), s(3), s(4), s(2), s(2), s(5), s(1), N],
            [s(1), s(2), s(3), s(3), s(2), s(4), s(4), s(1), s(2), s(5), s(1), N],
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
