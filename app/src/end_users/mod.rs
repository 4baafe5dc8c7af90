//! End users of the AI product, as Loupe hears them: the signals a product's backend sends
//! (`POST /feedback`; checked in [`signal`]), storing one and sending its output back to review
//! when the model's rule says the end user was dissatisfied ([`store`]), and the short account of
//! them a reviewer sees beside the summary ([`EndUserSummary`]).
//!
//! The HTTP side (body, auth, status codes) is `server/src/api/feedback.rs`; the rule itself is
//! [`crate::routing::decide::dissatisfied`], and the move back to the queue is
//! [`crate::task::reopen`].

#[cfg(feature = "ssr")]
pub mod signal;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};

/// How many feedback types the review page lists, most frequent first (types are free text: one
/// product could send hundreds of kinds of event).
pub const SHOWN_TYPES: i64 = 12;
/// How many end users' texts (comments, corrections) the review page shows, newest first.
pub const SHOWN_NOTES: i64 = 3;
/// Characters of each shown text; the rest is in the task's history and the exports.
pub const NOTE_CHARS: i32 = 600;

/// What end users said about one output, bounded for the review page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndUserSummary {
    /// Per type, most frequent first, at most [`SHOWN_TYPES`].
    pub counts: Vec<TypeCount>,
    /// The newest texts, at most [`SHOWN_NOTES`].
    pub notes: Vec<EndUserNote>,
}

/// How often one feedback type was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeCount {
    pub feedback_type: String,
    pub n: i64,
    /// Signals with a value above 0 (for thumbs: the thumbs-up).
    pub positive: i64,
    /// Mean of the values sent (for ratings: the mean rating), if any had one.
    pub mean: Option<f64>,
}

impl TypeCount {
    /// The line the review page shows, e.g. `thumbs: 1 up, 2 down` or `rating: 3 (mean 2.5)`.
    pub fn describe(&self) -> String {
        match (self.feedback_type.as_str(), self.mean) {
            ("thumbs", _) => format!(
                "thumbs: {} up, {} down",
                self.positive,
                self.n - self.positive
            ),
            ("rating", Some(mean)) => format!("rating: {} (mean {:.1})", self.n, mean),
            (kind, _) => format!("{kind}: {}", self.n),
        }
    }
}

/// One end user's text: a comment, a correction, or the comments sent with any other signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndUserNote {
    pub feedback_type: String,
    /// The first [`NOTE_CHARS`] characters.
    pub text: String,
    /// Whether the text was longer than shown.
    pub cut: bool,
}

#[cfg(test)]
mod tests {
    use super::TypeCount;

    fn count(kind: &str, n: i64, positive: i64, mean: Option<f64>) -> TypeCount {
        TypeCount {
            feedback_type: kind.into(),
            n,
            positive,
            mean,
        }
    }

    #[test]
    fn each_known_kind_reads_as_a_short_line() {
        assert_eq!(
            count("thumbs", 3, 1, Some(0.33)).describe(),
            "thumbs: 1 up, 2 down"
        );
        assert_eq!(
            count("rating", 2, 2, Some(2.5)).describe(),
            "rating: 2 (mean 2.5)"
        );
        assert_eq!(count("copy", 4, 0, None).describe(), "copy: 4");
    }
}
