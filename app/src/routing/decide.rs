//! Which outputs a person must see, decided once when an output arrives.
//!
//! Order of the rules: a pipeline's flag wins (someone asked for a human), then confidence under
//! the model's threshold, then the audit sample of the confident rest — the only unbiased view of
//! how often auto-accepted outputs are wrong — and only then auto-accept.
//!
//! An auto-accepted output gets a second chance at a person: when its end users are dissatisfied
//! ([`dissatisfied`]), it goes to review with reason `user_feedback`
//! (`crate::end_users::store::record`).

use super::RoutingSetting;
use crate::domain::Reason;
use crate::end_users::signal::Signal;
use sha2::{Digest, Sha256};

/// The routing decision for one output. `audit_draw` is the output's fixed draw in [0, 1).
pub fn route(confidence: f64, flagged: bool, settings: &RoutingSetting, audit_draw: f64) -> Reason {
    if flagged {
        Reason::Flagged
    } else if confidence < settings.threshold {
        Reason::LowConfidence
    } else if audit_draw < settings.audit_rate {
        Reason::AuditSample
    } else {
        Reason::AutoAccepted
    }
}

/// Whether one end-user signal says the output should have had a person look at it, under the
/// model's rule: a thumbs-down, a rating at or under `user_feedback_rating_at_most`, or an end
/// user's corrected text. Nothing counts when the model's rule is off. One signal is enough: the
/// cost of a needless review is a minute of a reviewer's time, the cost of ignoring a real
/// complaint is a wrong output left standing.
pub fn dissatisfied(signal: &Signal, settings: &RoutingSetting) -> bool {
    settings.user_feedback_review
        && (signal.is_thumbs_down()
            || signal.is_correction()
            || signal
                .rating()
                .is_some_and(|r| r <= settings.user_feedback_rating_at_most))
}

/// A number in [0, 1) fixed by `key` (the caller's external id, else Loupe's task id): the same
/// output always gets the same audit decision, on any server, however often it is resent.
pub fn audit_draw(key: &str) -> f64 {
    let digest = Sha256::digest([b"loupe-audit:".as_slice(), key.as_bytes()].concat());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // The top 53 bits fill an f64 mantissa exactly, so the result is uniform and below 1.
    (u64::from_be_bytes(first) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> RoutingSetting {
        RoutingSetting {
            project: "default".into(),
            model: "*".into(),
            threshold: 0.8,
            audit_rate: 0.05,
            reviews_per_task: 1,
            user_feedback_review: true,
            user_feedback_rating_at_most: 2.0,
            weak_support_review: false,
            updated_at: String::new(),
        }
    }

    #[test]
    fn flag_beats_confidence_which_beats_the_audit_sample() {
        assert_eq!(route(0.99, true, &defaults(), 0.9), Reason::Flagged);
        assert_eq!(route(0.10, true, &defaults(), 0.0), Reason::Flagged);
        assert_eq!(route(0.79, false, &defaults(), 0.0), Reason::LowConfidence);
        assert_eq!(route(0.80, false, &defaults(), 0.01), Reason::AuditSample);
        assert_eq!(route(0.80, false, &defaults(), 0.05), Reason::AutoAccepted);
    }

    #[test]
    fn a_thumbs_down_a_low_rating_or_a_correction_is_dissatisfied_when_the_rule_is_on() {
        use crate::end_users::signal::check;
        use serde_json::json;
        let signal =
            |t: &str, v: serde_json::Value, c: Option<&str>| check(Some(t), Some(&v), c).unwrap();
        let mut rule = defaults();
        assert!(dissatisfied(&signal("thumbs", json!(0), None), &rule));
        assert!(!dissatisfied(&signal("thumbs", json!(1), None), &rule));
        assert!(dissatisfied(&signal("rating", json!(2.0), None), &rule));
        assert!(!dissatisfied(&signal("rating", json!(2.5), None), &rule));
        assert!(dissatisfied(
            &signal("correction", json!(null), Some("fixed")),
            &rule
        ));
        assert!(!dissatisfied(
            &signal("comment", json!(null), Some("meh")),
            &rule
        ));
        assert!(!dissatisfied(&signal("regenerate", json!(1), None), &rule));
        rule.user_feedback_rating_at_most = 3.0;
        assert!(dissatisfied(&signal("rating", json!(2.5), None), &rule));
        rule.user_feedback_review = false;
        assert!(!dissatisfied(&signal("thumbs", json!(0), None), &rule));
    }

    #[test]
    fn audit_draw_is_reproducible_and_samples_about_the_configured_share() {
        assert_eq!(audit_draw("doc-1"), audit_draw("doc-1"));
        assert_ne!(audit_draw("doc-1"), audit_draw("doc-2"));
        let n = 20_000;
        let sampled = (0..n)
            .filter(|i| {
                route(0.95, false, &defaults(), audit_draw(&format!("doc-{i}")))
                    == Reason::AuditSample
            })
            .count();
        let share = sampled as f64 / n as f64;
        // 5% of 20,000 has a standard deviation of about 0.15 points; 0.6 points is four of them.
        assert!((share - 0.05).abs() < 0.006, "audit share was {share}");
        assert!((0..1000).all(|i| (0.0..1.0).contains(&audit_draw(&i.to_string()))));
    }
}
