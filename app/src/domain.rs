//! Loupe's vocabulary as types: what a rating, verdict, confidence or role may be.
//!
//! Inputs from forms and the API are parsed into these once, at the edge, and the rest of the code
//! never re-checks them ("parse, don't validate"). Every `parse` names the field it was given in
//! its error so the page or the API can say exactly what was wrong.

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// Longest comment or corrected summary a reviewer may send, in characters.
pub const MAX_REVIEW_TEXT_CHARS: usize = 100_000;

/// A model's name, as pipelines send it with each output and admins name it in the routing
/// settings: trimmed, 1 to [`ModelName::MAX_CHARS`] characters, no control characters. One rule
/// for both, so every model an output can name is one an admin can configure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelName(String);

impl ModelName {
    pub const MAX_CHARS: usize = 200;

    /// Parses a name given in `field` (`model` in both the API and the admin form).
    pub fn parse(field: &str, raw: &str) -> Result<Self, crate::error::FieldError> {
        let name = raw.trim();
        if name.is_empty()
            || name.chars().count() > Self::MAX_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(crate::error::FieldError::new(
                field,
                format!(
                    "must be 1-{} characters without control characters",
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(ModelName(name.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A reviewer's 1–5 score of a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating(u8);

impl Rating {
    /// Parses a form value such as `"4"`. Empty or missing means the reviewer has not rated yet.
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        let raw = raw.map(str::trim).unwrap_or_default();
        if raw.is_empty() {
            return Err(AppError::invalid("rating", "choose a rating from 1 to 5"));
        }
        match raw.parse::<i64>() {
            Ok(n) => Self::from_int(n),
            Err(_) => Err(AppError::invalid(
                "rating",
                "must be a whole number from 1 to 5",
            )),
        }
    }

    /// Checks a number already decoded, as the JSON API receives it.
    pub fn from_int(n: i64) -> Result<Self, AppError> {
        if (1..=5).contains(&n) {
            Ok(Rating(n as u8))
        } else {
            Err(AppError::invalid(
                "rating",
                "must be a whole number from 1 to 5",
            ))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// What the reviewer decided about the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accept,
    Reject,
    Escalate,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Verdict::Accept, Verdict::Reject, Verdict::Escalate];

    /// Parses a form value. A missing verdict means accept: the common case costs no keystroke.
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        match raw.map(str::trim).unwrap_or("accept") {
            "" | "accept" => Ok(Verdict::Accept),
            "reject" => Ok(Verdict::Reject),
            "escalate" => Ok(Verdict::Escalate),
            _ => Err(AppError::invalid(
                "verdict",
                "must be accept, reject or escalate",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Reject => "reject",
            Verdict::Escalate => "escalate",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Accept => "Accept",
            Verdict::Reject => "Reject",
            Verdict::Escalate => "Escalate",
        }
    }
}

/// Optional free text from a reviewer (a comment or a corrected summary): trimmed, empty is none.
pub fn parse_review_text(field: &str, raw: Option<&str>) -> Result<Option<String>, AppError> {
    let text = raw.map(str::trim).unwrap_or_default();
    check_storable(field, text)?;
    if text.is_empty() {
        Ok(None)
    } else if text.chars().count() > MAX_REVIEW_TEXT_CHARS {
        Err(AppError::invalid(
            field,
            format!("must be at most {MAX_REVIEW_TEXT_CHARS} characters"),
        ))
    } else {
        Ok(Some(text.to_owned()))
    }
}

/// The one rule every stored text obeys, wherever it comes from (API, form, CLI import):
/// PostgreSQL cannot store the NUL character, neither in `text` nor in `jsonb` (where `\u0000`
/// is refused), and a Rust `String` is otherwise always storable (valid UTF-8, no lone
/// surrogates). Checked at the edge so such input is a 422 naming its field, never a 500.
pub const STORABLE_TEXT_RULE: &str = "must not contain the NUL character (\\u0000)";

/// `Err` naming `field` when `text` holds a character PostgreSQL cannot store.
pub fn check_storable(field: &str, text: &str) -> Result<(), AppError> {
    if text.contains('\0') {
        Err(AppError::invalid(field, STORABLE_TEXT_RULE))
    } else {
        Ok(())
    }
}

/// The path below `field` (`field.key[2].inner`) of the first string or object key in `value`
/// that PostgreSQL cannot store, if any: nested JSON goes to `jsonb`, which refuses `\u0000`.
pub fn unstorable_json_path(field: &str, value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0').then(|| field.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| unstorable_json_path(&format!("{field}[{i}]"), v)),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                // The key itself cannot be shown safely; name the object holding it.
                return Some(if field.is_empty() {
                    "body".to_owned()
                } else {
                    field.to_owned()
                });
            }
            let path = if field.is_empty() {
                k.clone()
            } else {
                format!("{field}.{k}")
            };
            unstorable_json_path(&path, v)
        }),
        _ => None,
    }
}

/// Why an output was, or was not, sent to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    LowConfidence,
    Flagged,
    AuditSample,
    AutoAccepted,
    /// Auto-accepted, then sent to review because its end users were dissatisfied (the model's
    /// rule: `crate::routing::decide::dissatisfied`).
    UserFeedback,
    /// Confident, but the source-support marks flag its summary, so sent to review (the model's
    /// rule: `weak_support_review` in the routing settings).
    WeakSupport,
    /// Settled, then sent back to the queue by an admin with a note for the next reviewer
    /// (`crate::task::reopen::requeue`).
    Requeued,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::LowConfidence => "low_confidence",
            Reason::Flagged => "flagged",
            Reason::AuditSample => "audit_sample",
            Reason::AutoAccepted => "auto_accepted",
            Reason::UserFeedback => "user_feedback",
            Reason::WeakSupport => "weak_support",
            Reason::Requeued => "requeued",
        }
    }

    /// Reads the value stored in `tasks.reason`.
    pub fn from_db(raw: &str) -> Option<Self> {
        match raw {
            "low_confidence" => Some(Reason::LowConfidence),
            "flagged" => Some(Reason::Flagged),
            "audit_sample" => Some(Reason::AuditSample),
            "auto_accepted" => Some(Reason::AutoAccepted),
            "user_feedback" => Some(Reason::UserFeedback),
            "weak_support" => Some(Reason::WeakSupport),
            "requeued" => Some(Reason::Requeued),
            _ => None,
        }
    }

    /// Whether a person must look at the output.
    pub fn needs_review(self) -> bool {
        self != Reason::AutoAccepted
    }

    /// How the review page explains the routing to a reviewer.
    pub fn explanation(self) -> &'static str {
        match self {
            Reason::LowConfidence => "Low confidence: the model was unsure",
            Reason::Flagged => "Flagged by the pipeline",
            Reason::AuditSample => "Audit sample: a random check of a confident output",
            Reason::AutoAccepted => "Auto-accepted",
            Reason::UserFeedback => "End users were dissatisfied with this auto-accepted output",
            Reason::WeakSupport => {
                "Confident, but the source may not support the summary (see the marks)"
            }
            Reason::Requeued => "Sent back to review by an admin (see the note)",
        }
    }
}

/// What a signed-in person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Reviewer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_are_refused_wherever_they_hide() {
        assert!(check_storable("comment", "fine – ünïcode").is_ok());
        let err = check_storable("comment", "a\0b").unwrap_err();
        assert_eq!(
            err.message_for("comment").as_deref(),
            Some(STORABLE_TEXT_RULE)
        );
        let value = serde_json::json!({"ok": [1, "x"], "deep": {"list": ["y", "z\u{0}"]}});
        assert_eq!(
            unstorable_json_path("metadata", &value).as_deref(),
            Some("metadata.deep.list[1]")
        );
        let key = serde_json::json!({"inner": {"bad\u{0}key": 1}});
        assert_eq!(
            unstorable_json_path("metadata", &key).as_deref(),
            Some("metadata.inner")
        );
        assert_eq!(
            unstorable_json_path("metadata", &serde_json::json!({"a": "b"})),
            None
        );
        assert!(parse_review_text("corrected_summary", Some("x\0")).is_err());
    }

    #[test]
    fn ratings_one_to_five_parse_and_others_name_the_field() {
        for n in 1..=5 {
            assert_eq!(Rating::parse(Some(&n.to_string())).unwrap().get(), n as u8);
        }
        for bad in ["0", "6", "9", "-1", "4.5", "four"] {
            let err = Rating::parse(Some(bad)).unwrap_err();
            assert!(err.message_for("rating").is_some(), "{bad} gave {err:?}");
        }
        assert_eq!(
            Rating::parse(None)
                .unwrap_err()
                .message_for("rating")
                .as_deref(),
            Some("choose a rating from 1 to 5")
        );
        assert!(Rating::from_int(9).is_err());
    }

    #[test]
    fn verdict_defaults_to_accept_and_rejects_unknown_words() {
        assert_eq!(Verdict::parse(None).unwrap(), Verdict::Accept);
        assert_eq!(Verdict::parse(Some("escalate")).unwrap(), Verdict::Escalate);
        assert!(
            Verdict::parse(Some("maybe"))
                .unwrap_err()
                .message_for("verdict")
                .is_some()
        );
    }

    #[test]
    fn review_text_is_trimmed_empty_is_none_and_length_is_bounded() {
        assert_eq!(parse_review_text("comment", Some("  ")).unwrap(), None);
        assert_eq!(
            parse_review_text("comment", Some(" ok "))
                .unwrap()
                .as_deref(),
            Some("ok")
        );
        let long = "x".repeat(MAX_REVIEW_TEXT_CHARS + 1);
        assert!(
            parse_review_text("comment", Some(&long))
                .unwrap_err()
                .message_for("comment")
                .is_some()
        );
    }

    #[test]
    fn reasons_round_trip_through_their_stored_form() {
        for r in [
            Reason::LowConfidence,
            Reason::Flagged,
            Reason::AuditSample,
            Reason::AutoAccepted,
            Reason::UserFeedback,
            Reason::WeakSupport,
            Reason::Requeued,
        ] {
            assert_eq!(Reason::from_db(r.as_str()), Some(r));
        }
        assert!(!Reason::AutoAccepted.needs_review());
        assert!(Reason::AuditSample.needs_review());
        assert!(Reason::UserFeedback.needs_review());
    }
}
