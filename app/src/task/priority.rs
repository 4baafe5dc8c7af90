//! Priority: how far ahead of the queue an output goes. -9 to 9, 0 by default; the claim offers
//! a higher priority first, before the pipeline's flag and the confidence
//! (`migrations/0036_priority.sql`). Set on ingest (`priority`) or by an admin over a selection
//! or a filter ([`set`], from `crate::task::bulk`).

use crate::error::FieldError;

/// The lowest and the highest priority.
pub const RANGE: std::ops::RangeInclusive<i64> = -9..=9;
/// The rule a priority breaks, out of range or not a whole number.
const RULE: &str = "must be a whole number from -9 to 9 (higher is reviewed first)";

/// Checks a priority, naming `field` when it is out of range.
pub fn check(field: &str, raw: i64) -> Result<i16, FieldError> {
    if RANGE.contains(&raw) {
        Ok(raw as i16)
    } else {
        Err(FieldError::new(field, RULE))
    }
}

/// Parses a priority typed into a form or sent as text.
pub fn parse(field: &str, raw: Option<&str>) -> Result<i16, FieldError> {
    match raw.map(str::trim).unwrap_or("") {
        "" => Err(FieldError::new(field, "is required")),
        raw => raw
            .parse::<i64>()
            .map_err(|_| FieldError::new(field, RULE))
            .and_then(|p| check(field, p)),
    }
}

/// A task whose priority changed: (id, the priority before).
#[cfg(feature = "ssr")]
pub struct Changed {
    pub id: uuid::Uuid,
    pub before: i16,
}

/// Sets the priority of those of `ids` that still wait for a review (queued, or held by a
/// reviewer: a held task goes back to the queue with it if it is released). Tasks already at
/// that priority are left alone. Locks in id order, as every bulk statement does.
#[cfg(feature = "ssr")]
pub async fn set(
    conn: &mut sqlx::PgConnection,
    ids: &[uuid::Uuid],
    priority: i16,
) -> Result<Vec<Changed>, crate::error::AppError> {
    let rows = sqlx::query!(
        r#"with target as (
               select id, priority from tasks
               where id = any($1) and status in ('queued', 'in_review') and priority <> $2
               order by id
               for update)
           update tasks t set priority = $2
           from target
           where t.id = target.id
           returning t.id, target.priority as before"#,
        ids,
        priority
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Changed {
            id: r.id,
            before: r.before,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_outside_minus_nine_to_nine_are_named() {
        assert_eq!(check("priority", 9), Ok(9));
        assert_eq!(check("priority", -9), Ok(-9));
        assert_eq!(check("priority", 10).unwrap_err().field, "priority");
        assert_eq!(parse("priority", Some(" 3 ")), Ok(3));
        assert_eq!(
            parse("priority", Some("high")).unwrap_err().field,
            "priority"
        );
        assert!(
            parse("priority", Some(""))
                .unwrap_err()
                .rule
                .contains("required")
        );
        assert_eq!(
            parse("priority", Some("-10")).unwrap_err().field,
            "priority"
        );
    }
}
