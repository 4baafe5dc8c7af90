//! Reviewers' median time per review from a histogram of seconds. A median cannot be added up
//! over days, so the per-day rollup (`reviewer_volume`, migration 0019) keeps how many reviews
//! took seconds in each of a fixed set of spans, and the median is read from their sum,
//! within the width of the span the middle reviews fall in: 5 s up to half a minute, 10 s up to
//! one, 15 s up to two, 30–60 s up to five, wider beyond. The spans must match
//! `review_seconds_bin` in the migration.

/// Lower bound of each span in seconds; the last one is open ("20 minutes or more").
pub const SPANS: [i32; 20] = [
    0, 5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 90, 105, 120, 150, 180, 240, 300, 600, 1200,
];

/// The median of the seconds counted in `counts` (one count per span of [`SPANS`]), as
/// PostgreSQL's `percentile_cont(0.5)` would give it: the middle value, or halfway between the
/// two middle ones. Within a span, its reviews are taken as spread evenly over its whole
/// seconds; in the open last span, as taking its lower bound. `None` when nothing was counted.
pub fn median(counts: &[i64]) -> Option<f64> {
    let total: i64 = counts.iter().filter(|c| **c > 0).sum();
    if total == 0 {
        return None;
    }
    let position = (total - 1) as f64 / 2.0;
    let low = nth(counts, position.floor() as i64)?;
    let high = nth(counts, position.ceil() as i64)?;
    Some(low + (high - low) * (position - position.floor()))
}

/// The estimated value of the `k`-th smallest (from 0) of the counted seconds.
fn nth(counts: &[i64], k: i64) -> Option<f64> {
    let mut before = 0;
    for (i, &count) in counts.iter().enumerate() {
        let count = count.max(0);
        if k < before + count {
            let lower = f64::from(*SPANS.get(i)?);
            let Some(&next) = SPANS.get(i + 1) else {
                return Some(lower);
            };
            // Whole seconds from `lower` to `next - 1`; the j-th of `count` at the middle of
            // its share.
            let last = f64::from(next - 1);
            let j = (k - before) as f64;
            return Some(lower + (last - lower) * (j + 0.5) / count as f64);
        }
        before += count;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(usize, i64)]) -> Vec<i64> {
        let mut out = vec![0; SPANS.len()];
        for &(i, n) in pairs {
            out[i] = n;
        }
        out
    }

    #[test]
    fn nothing_counted_has_no_median() {
        assert_eq!(median(&counts(&[])), None);
    }

    #[test]
    fn the_median_falls_in_the_span_that_holds_the_middle_review() {
        // 3 reviews under 5 s, 5 in 60–74 s, 1 in 20 minutes or more: the middle (5th) is in
        // 60–74 s.
        let m = median(&counts(&[(0, 3), (9, 5), (19, 1)])).unwrap();
        assert!((60.0..=74.0).contains(&m), "{m}");
        // One review alone: the middle of its span.
        assert_eq!(median(&counts(&[(1, 1)])), Some(7.0));
        // Two reviews in different spans: halfway between their estimates.
        let m = median(&counts(&[(1, 1), (3, 1)])).unwrap();
        assert_eq!(m, (7.0 + 17.0) / 2.0);
        // The open span gives its lower bound.
        assert_eq!(median(&counts(&[(19, 4)])), Some(1200.0));
    }

    #[test]
    fn the_estimate_stays_within_the_span_of_the_true_median() {
        // Seconds 30..=130 one each: the true median is 80, in the 75–89 span.
        let mut c = vec![0i64; SPANS.len()];
        for s in 30..=130 {
            let i = SPANS.iter().rposition(|&l| l <= s).unwrap();
            c[i] += 1;
        }
        let m = median(&c).unwrap();
        assert!((75.0..=89.0).contains(&m), "{m}");
    }
}
