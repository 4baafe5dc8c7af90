//! Turning the dashboard's aggregated rows into what the page plots: counts spread over the
//! range's buckets, per-version series, calibration deciles, the what-if table and agreement per
//! reviewer. Pure functions over a few dozen numbers; the SQL that produces the rows is in
//! [`super::queries`] and [`super::quality`].

use super::{
    Calibration, REASONS, ReviewerRow, VersionSeries, WHAT_IF_THRESHOLDS, WhatIf, WhatIfRow,
};
use crate::stats::{CalibrationBin, expected_calibration_error, wilson_interval};

/// Confidence is counted in twentieths: pairs of them make the calibration deciles, and every
/// what-if threshold (0.50, 0.55, …) falls on a boundary. The bin is `floor(confidence × 20 + ε)`:
/// 0.85 × 20 is 16.999… in floating point, and routing counts 0.85 as "not under 0.85", so the
/// bins must too.
pub const CONFIDENCE_BINS: usize = 20;

/// Reviews per bucket and model version: count, rating sum, acceptances.
pub struct BucketRow {
    pub bucket: i32,
    pub label: String,
    pub count: i64,
    pub rating_sum: i64,
    pub accepted: i64,
}

/// Reviews per twentieth of confidence, all and audit sample only.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConfidenceBin {
    pub count: i64,
    pub confidence_sum: f64,
    pub accepted: i64,
    pub audit_count: i64,
    pub audit_confidence_sum: f64,
    pub audit_accepted: i64,
    pub audit_rejected: i64,
}

/// Reviewer id → (pairs with the same verdict, pairs compared).
pub type PairCounts = std::collections::HashMap<i64, (i64, i64)>;

pub fn slot(bucket: i32, slots: usize) -> Option<usize> {
    usize::try_from(bucket).ok().filter(|b| *b < slots)
}

pub fn spread_volume(rows: Vec<(i32, String, i64)>, slots: usize) -> Vec<Vec<i64>> {
    let mut out = vec![vec![0; slots]; REASONS.len()];
    for (bucket, reason, count) in rows {
        let Some(series) = REASONS.iter().position(|r| *r == reason) else {
            continue;
        };
        if let Some(slot) = usize::try_from(bucket).ok().filter(|b| *b < slots) {
            out[series][slot] += count;
        }
    }
    out
}

pub fn spread_reviews(rows: &[BucketRow], slots: usize) -> Vec<i64> {
    let mut out = vec![0; slots];
    for r in rows {
        if let Some(s) = slot(r.bucket, slots) {
            out[s] += r.count;
        }
    }
    out
}

pub fn version_series(rows: &[BucketRow], slots: usize) -> Vec<VersionSeries> {
    let mut out: Vec<VersionSeries> = Vec::new();
    for r in rows {
        let Some(s) = slot(r.bucket, slots) else {
            continue;
        };
        let index = match out.iter().position(|v| v.label == r.label) {
            Some(i) => i,
            None => {
                out.push(VersionSeries {
                    label: r.label.clone(),
                    mean_rating: vec![None; slots],
                    acceptance: vec![None; slots],
                });
                out.len() - 1
            }
        };
        if r.count > 0 {
            out[index].mean_rating[s] = Some(r.rating_sum as f64 / r.count as f64);
            out[index].acceptance[s] = Some(r.accepted as f64 / r.count as f64);
        }
    }
    out
}

pub fn calibration(bins: &[ConfidenceBin; CONFIDENCE_BINS]) -> Calibration {
    let decile = |pick: &dyn Fn(&ConfidenceBin) -> (i64, f64, i64)| -> Vec<CalibrationBin> {
        bins.chunks(2)
            .map(|pair| {
                let (count, conf, acc) = pair
                    .iter()
                    .map(pick)
                    .fold((0, 0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
                CalibrationBin {
                    count,
                    mean_confidence: if count > 0 { conf / count as f64 } else { 0.0 },
                    acceptance: if count > 0 {
                        acc as f64 / count as f64
                    } else {
                        0.0
                    },
                }
            })
            .collect()
    };
    let all = decile(&|b| (b.count, b.confidence_sum, b.accepted));
    let audit = decile(&|b| (b.audit_count, b.audit_confidence_sum, b.audit_accepted));
    Calibration {
        ece_all: expected_calibration_error(&all),
        ece_audit: expected_calibration_error(&audit),
        all,
        audit,
    }
}

/// For each candidate threshold t: the share of outputs that would be reviewed (flagged or
/// confidence < t), and the reject rate among audit-sample reviews with confidence ≥ t — the
/// random sample of what would be auto-accepted — with a Wilson interval.
pub fn what_if(
    current: f64,
    tasks: &[(i64, i64); CONFIDENCE_BINS],
    reviews: &[ConfidenceBin; CONFIDENCE_BINS],
) -> WhatIf {
    let total: i64 = tasks.iter().map(|(p, fl)| p + fl).sum();
    let flagged: i64 = tasks.iter().map(|(_, fl)| fl).sum();
    let rows = WHAT_IF_THRESHOLDS
        .iter()
        .map(|&threshold| {
            let cut = (threshold * CONFIDENCE_BINS as f64).round() as usize;
            let below: i64 = tasks[..cut].iter().map(|(p, _)| p).sum();
            let audit_reviews: i64 = reviews[cut..].iter().map(|b| b.audit_count).sum();
            let audit_rejects: i64 = reviews[cut..].iter().map(|b| b.audit_rejected).sum();
            WhatIfRow {
                threshold,
                review_share: (total > 0).then(|| (below + flagged) as f64 / total as f64),
                audit_reviews,
                audit_rejects,
                reject_share: (audit_reviews > 0)
                    .then(|| audit_rejects as f64 / audit_reviews as f64),
                interval: wilson_interval(audit_rejects, audit_reviews),
            }
        })
        .collect();
    WhatIf { current, rows }
}

pub fn with_agreement(rows: Vec<(i64, ReviewerRow)>, pairs: &PairCounts) -> Vec<ReviewerRow> {
    rows.into_iter()
        .map(|(id, mut row)| {
            if let Some(&(agree, compared)) = pairs.get(&id) {
                row.compared = compared;
                row.agreement = (compared > 0).then(|| agree as f64 / compared as f64);
            }
            row
        })
        .collect()
}

pub fn rating_index(rating: i16) -> Option<usize> {
    usize::try_from(rating - 1).ok().filter(|i| *i < 5)
}
