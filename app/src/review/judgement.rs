//! A reviewer's judgement of a task, parsed once from the review form's fields (or from an
//! amendment of an earlier review): rating, verdict, comment, correction and error tags.

use crate::error::AppError;

/// What a reviewer said about a task, parsed from the review form (or an amendment of it).
pub struct Judgement {
    pub rating: crate::domain::Rating,
    pub verdict: crate::domain::Verdict,
    pub comment: Option<String>,
    pub corrected: Option<String>,
    pub tags: Vec<String>,
}

impl Judgement {
    /// Parses the form's fields against the configured error tags; each error names its field.
    /// The page runs this too, before it moves on, so the server and the page apply one rule.
    pub fn from_fields(
        rating: Option<&str>,
        verdict: Option<&str>,
        comment: Option<&str>,
        corrected_summary: Option<&str>,
        error_tags: Option<&str>,
        allowed_tags: &[String],
    ) -> Result<Self, AppError> {
        use crate::domain::{Rating, Verdict, parse_review_text};
        let rating = Rating::parse(rating)?;
        let verdict = Verdict::parse(verdict)?;
        let comment = parse_review_text("comment", comment)?;
        let corrected = parse_review_text("corrected_summary", corrected_summary)?;
        let tags = crate::error_tags::parse_chosen(error_tags, allowed_tags)?;
        Ok(Judgement {
            rating,
            verdict,
            comment,
            corrected,
            tags,
        })
    }

    /// [`Judgement::from_fields`] for `reviewer`'s amendment of their review `review`, with the
    /// tag list of its task's project read from the database.
    #[cfg(feature = "ssr")]
    pub async fn parse(
        pool: &sqlx::PgPool,
        review: i64,
        reviewer: i64,
        rating: Option<&str>,
        verdict: Option<&str>,
        comment: Option<&str>,
        corrected_summary: Option<&str>,
        error_tags: Option<&str>,
    ) -> Result<Self, AppError> {
        let allowed = crate::error_tags::store::for_review(pool, review, reviewer).await?;
        Self::from_fields(
            rating,
            verdict,
            comment,
            corrected_summary,
            error_tags,
            &allowed,
        )
    }

    /// [`Judgement::correction_of`] on the blocking pool: the edit distance is bounded CPU work
    /// (see [`crate::stats::MAX_EDIT_CELLS`]) that must not hold up an async worker. Callers run
    /// it before they open a transaction that locks rows, never inside one.
    #[cfg(feature = "ssr")]
    pub async fn measure_correction(
        corrected: Option<String>,
        summary: String,
    ) -> Result<(Option<String>, Option<f64>), AppError> {
        tokio::task::spawn_blocking(move || Self::correction_of(corrected, &summary))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "measuring a correction failed");
                AppError::Internal
            })
    }

    /// The correction measured against the task's `summary`: `(None, None)` when there is none
    /// or it only repeats the summary (an unchanged summary is not a correction), else the text
    /// and its word edit distance.
    #[cfg(feature = "ssr")]
    pub fn correction_of(
        corrected: Option<String>,
        summary: &str,
    ) -> (Option<String>, Option<f64>) {
        let corrected = corrected.filter(|c| c.trim() != summary.trim());
        let distance = corrected
            .as_deref()
            .map(|c| crate::stats::word_edit_distance(summary, c));
        (corrected, distance)
    }
}
