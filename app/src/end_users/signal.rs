//! One end-user signal, checked: the guide's contract (`feedback_type: str, value: float,
//! comments: str | None`) with meaning for the types Loupe knows and room for any other.
//!
//! | type            | value                                   | comments                 |
//! |-----------------|-----------------------------------------|--------------------------|
//! | `thumbs`        | 1 up; 0 down (-1, "up"/"down", true/false also read) | optional    |
//! | `rating`        | 1–5, fractions allowed (4.0 is 4)       | optional                 |
//! | `comment`       | optional number                         | required: the comment    |
//! | `correction`    | optional number                         | required: the corrected text |
//! | `dwell_seconds` | required, ≥ 0                           | optional                 |
//! | `copy`, `regenerate`, `edit`, `abandon`, any other | optional number | optional       |
//!
//! Types are trimmed and lower-cased, at most [`MAX_TYPE_CHARS`] characters of printable text.
//! A value is a JSON number (or null / left out); JSON cannot carry NaN or infinity, and a string
//! such as `"NaN"` is refused, naming `value`.

use crate::error::FieldError;
use serde_json::Value;

/// Longest `feedback_type`, in characters.
pub const MAX_TYPE_CHARS: usize = 64;
/// Longest `comments`, in characters.
pub const MAX_COMMENTS_CHARS: usize = 10_000;

/// A checked signal, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub feedback_type: String,
    /// Thumbs are stored as 1 (up) or 0 (down), so their mean is the share of thumbs-up.
    pub value: Option<f64>,
    pub comments: Option<String>,
}

impl Signal {
    /// A thumbs-down.
    pub fn is_thumbs_down(&self) -> bool {
        self.feedback_type == "thumbs" && self.value == Some(0.0)
    }

    /// A rating, and its value.
    pub fn rating(&self) -> Option<f64> {
        (self.feedback_type == "rating")
            .then_some(self.value)
            .flatten()
    }

    /// An end user's corrected text.
    pub fn is_correction(&self) -> bool {
        self.feedback_type == "correction" && self.comments.is_some()
    }
}

/// Checks the three fields of a signal; each error names its field and rule.
pub fn check(
    feedback_type: Option<&str>,
    value: Option<&Value>,
    comments: Option<&str>,
) -> Result<Signal, FieldError> {
    let feedback_type = feedback_type
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| FieldError::new("feedback_type", "is required"))?;
    if feedback_type.chars().count() > MAX_TYPE_CHARS || feedback_type.chars().any(char::is_control)
    {
        return Err(FieldError::new(
            "feedback_type",
            format!(
                "must be text of at most {MAX_TYPE_CHARS} characters, without control characters"
            ),
        ));
    }
    let comments = comments.map(str::trim).filter(|c| !c.is_empty());
    if comments.is_some_and(|c| c.chars().count() > MAX_COMMENTS_CHARS) {
        return Err(FieldError::new(
            "comments",
            format!("must be at most {MAX_COMMENTS_CHARS} characters"),
        ));
    }
    let value = match feedback_type.as_str() {
        "thumbs" => Some(thumbs(value)?),
        kind => {
            let n = number(value)?;
            match kind {
                "rating" => match n {
                    Some(n) if (1.0..=5.0).contains(&n) => Some(n),
                    _ => {
                        return Err(FieldError::new(
                            "value",
                            "for a rating must be a number from 1 to 5",
                        ));
                    }
                },
                "dwell_seconds" => match n {
                    Some(n) if n >= 0.0 => Some(n),
                    _ => {
                        return Err(FieldError::new(
                            "value",
                            "for dwell_seconds must be a number of seconds, 0 or more",
                        ));
                    }
                },
                _ => n,
            }
        }
    };
    match feedback_type.as_str() {
        "comment" if comments.is_none() => {
            return Err(FieldError::new("comments", "is required for a comment"));
        }
        "correction" if comments.is_none() => {
            return Err(FieldError::new(
                "comments",
                "is required for a correction: the end user's corrected text",
            ));
        }
        _ => {}
    }
    Ok(Signal {
        feedback_type,
        value,
        comments: comments.map(str::to_owned),
    })
}

/// A value that must be a number when present.
fn number(value: Option<&Value>) -> Result<Option<f64>, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| FieldError::new("value", "must be a finite number")),
        Some(_) => Err(FieldError::new(
            "value",
            "must be a number (NaN and infinities are not numbers here)",
        )),
    }
}

/// Thumbs: 1 up, 0 down; the words, booleans and -1 earlier clients send are read too.
fn thumbs(value: Option<&Value>) -> Result<f64, FieldError> {
    let up = match value {
        Some(Value::String(s)) if s == "up" => Some(true),
        Some(Value::String(s)) if s == "down" => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v == 1.0 => Some(true),
            Some(v) if v == 0.0 || v == -1.0 => Some(false),
            _ => None,
        },
        _ => None,
    };
    up.map(|up| if up { 1.0 } else { 0.0 }).ok_or_else(|| {
        FieldError::new(
            "value",
            "for thumbs must be 1 (up) or 0 (down); -1, \"up\" and \"down\" are also read",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(t: &str, v: Value, c: Option<&str>) -> String {
        check(Some(t), Some(&v), c).unwrap_err().field
    }

    #[test]
    fn thumbs_are_one_or_zero_whatever_the_old_spelling() {
        for (sent, stored) in [
            (json!(1), 1.0),
            (json!(1.0), 1.0),
            (json!("up"), 1.0),
            (json!(true), 1.0),
            (json!(0), 0.0),
            (json!(-1), 0.0),
            (json!("down"), 0.0),
        ] {
            let s = check(Some("thumbs"), Some(&sent), None).unwrap();
            assert_eq!(s.value, Some(stored), "{sent}");
        }
        assert_eq!(field("thumbs", json!(0.5), None), "value");
        assert_eq!(field("thumbs", json!("sideways"), None), "value");
        assert!(
            check(Some("thumbs"), Some(&json!(0)), None)
                .unwrap()
                .is_thumbs_down()
        );
    }

    #[test]
    fn ratings_keep_their_fraction_and_stay_in_range() {
        let r = check(Some("rating"), Some(&json!(3.5)), None).unwrap();
        assert_eq!(r.rating(), Some(3.5));
        assert_eq!(
            check(Some("rating"), Some(&json!(4.0)), None)
                .unwrap()
                .value,
            Some(4.0)
        );
        for bad in [
            json!(0.99),
            json!(5.01),
            json!("4"),
            json!("NaN"),
            Value::Null,
        ] {
            assert_eq!(field("rating", bad, None), "value");
        }
    }

    #[test]
    fn unknown_types_are_kept_trimmed_and_lower_cased() {
        let s = check(Some("  Share_Link "), Some(&json!(2)), Some(" x ")).unwrap();
        assert_eq!(
            (s.feedback_type.as_str(), s.value, s.comments.as_deref()),
            ("share_link", Some(2.0), Some("x"))
        );
        assert_eq!(
            check(Some("copy"), None, None).unwrap().value,
            None,
            "implicit events need no value"
        );
        assert_eq!(field(&"x".repeat(65), json!(1), None), "feedback_type");
        assert_eq!(field("a\u{7}b", json!(1), None), "feedback_type");
        assert_eq!(field("copy", json!("NaN"), None), "value");
        assert_eq!(field("copy", json!([1]), None), "value");
        assert_eq!(check(None, None, None).unwrap_err().field, "feedback_type");
    }

    #[test]
    fn dwell_is_never_negative_and_texts_are_required_where_they_are_the_point() {
        assert_eq!(field("dwell_seconds", json!(-0.5), None), "value");
        assert_eq!(
            check(Some("dwell_seconds"), Some(&json!(12.5)), None)
                .unwrap()
                .value,
            Some(12.5)
        );
        assert_eq!(field("comment", Value::Null, None), "comments");
        assert_eq!(field("correction", Value::Null, Some("  ")), "comments");
        let c = check(Some("correction"), None, Some("The fixed text")).unwrap();
        assert!(c.is_correction());
        let long = "x".repeat(MAX_COMMENTS_CHARS + 1);
        assert_eq!(field("comment", Value::Null, Some(&long)), "comments");
    }
}
