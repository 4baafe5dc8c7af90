//! Rate limits for publishable feedback keys: requests counted per key and per client address in
//! fixed windows, in PostgreSQL (`feedback_key_hits`) so that every replica counts the same.
//!
//! A fixed window is coarse (a client may send up to twice the limit across a window boundary)
//! but it is one upsert per bucket and a row per bucket and window, which is all this needs: the
//! limit bounds how much noise a page's visitor, or someone who copied the key out of the page,
//! can pour into the feedback tables, not a precise rate. Rows of past windows are deleted by the
//! sweep ([`prune`]).

use sqlx::PgPool;
use std::time::Duration;

/// The limits; see [`Default`] for the values a server starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRate {
    /// Requests one key may carry per window, from all its pages' visitors together.
    pub per_key: u32,
    /// Requests one client address (an IPv4 address or IPv6 /64) may send per window, whatever
    /// keys it uses.
    pub per_address: u32,
    /// The window, in whole seconds (at least 1).
    pub window: Duration,
}

impl Default for KeyRate {
    fn default() -> Self {
        KeyRate {
            // Ten a second for one product's pages together, sustained.
            per_key: 600,
            // One visitor clicking through a page of outputs sends a few a minute; thirty leaves
            // room for an office behind one address.
            per_address: 30,
            window: Duration::from_secs(60),
        }
    }
}

/// Over a limit: which one, and when its window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// `"key"` or `"address"`.
    pub bucket: &'static str,
    /// Whole seconds until the window ends (at least 1), for `Retry-After`.
    pub retry_after_secs: u64,
}

/// Counts one request for `key_id` from `address` (as [`crate::client_addr::throttle_key`] gives
/// it) and answers whether it is within both limits. The address is counted first, every time
/// (hammering past its limit does not reopen it any sooner); the key only for requests within
/// their address's limit, so one address cannot spend a key's budget and shut out the key's
/// other visitors: that takes `per_key / per_address` addresses.
pub async fn hit(
    pool: &PgPool,
    rate: &KeyRate,
    key_id: i64,
    address: &str,
) -> Result<Result<(), Limited>, sqlx::Error> {
    let window = rate.window.as_secs().max(1) as f64;
    let row = sqlx::query!(
        r#"with w as (
               select to_timestamp(floor(extract(epoch from now())::float8 / $3::float8)
                                   * $3::float8) as start
           ), address as (
               insert into feedback_key_hits as h (bucket, window_start, hits)
               select $2, start, 1 from w
               on conflict (bucket, window_start) do update set hits = h.hits + 1
               returning hits
           ), key as (
               insert into feedback_key_hits as h (bucket, window_start, hits)
               select $1, start, 1 from w
               where (select hits from address) <= $4
               on conflict (bucket, window_start) do update set hits = h.hits + 1
               returning hits
           )
           select (select hits from address) as "address_hits!", (select hits from key) as key_hits,
                  ceil(extract(epoch from (select start from w))::float8 + $3::float8
                       - extract(epoch from now())::float8)::bigint as "left!""#,
        format!("key:{key_id}"),
        format!("address:{address}"),
        window,
        i32::try_from(rate.per_address).unwrap_or(i32::MAX),
    )
    .fetch_one(pool)
    .await?;
    let retry_after_secs = row.left.max(1) as u64;
    if i64::from(row.address_hits) > i64::from(rate.per_address) {
        return Ok(Err(Limited {
            bucket: "address",
            retry_after_secs,
        }));
    }
    if row
        .key_hits
        .is_some_and(|n| i64::from(n) > i64::from(rate.per_key))
    {
        return Ok(Err(Limited {
            bucket: "key",
            retry_after_secs,
        }));
    }
    Ok(Ok(()))
}

/// Deletes the counts of windows that have ended an hour ago or more, all of them (the sweep
/// calls it every few minutes; a bounded batch could fall behind a crowd of addresses). Failures
/// are logged: stale rows only take space.
pub async fn prune(pool: &PgPool) {
    let result = sqlx::query!(
        "delete from feedback_key_hits where window_start < now() - interval '1 hour'"
    )
    .execute(pool)
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not prune old feedback key counts");
    }
}
