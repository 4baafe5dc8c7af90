//! Login throttling: failed sign-ins counted per username and per client address, in PostgreSQL
//! so that every replica sees the same counts, and the wait they impose.
//!
//! Each key (a username, or a client address) has a leaky bucket of failures: a failed sign-in
//! adds one, and one is forgiven per [`Rule::forgive_every`] without failures. While the bucket
//! holds more than [`Rule::free`] failures, each further failure blocks the key for a wait that
//! doubles per failure, from [`Policy::first_wait`] up to [`Policy::max_wait`]. A blocked key is
//! refused before its password is looked at, so a throttled guess costs no argon2 hash.
//!
//! A successful sign-in empties its username's bucket (the person knew the password), not its
//! address's: otherwise one attacker with an account of their own could sign in between guesses
//! at other names to keep their address's count at zero. The address rule is generous, so an
//! office behind one NAT is not locked out by one person mistyping or by one name under attack.
//!
//! Rows are keyed by (scope, key) and deleted once their bucket has drained and their block has
//! passed, so the table holds only keys with recent failures.

use sqlx::PgPool;
use std::time::Duration;

/// One throttle: how many failures are free, and how fast they are forgiven.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Failures allowed (within the forgiving rate) before any wait.
    pub free: u32,
    /// One counted failure is forgiven per this much time. Over a long attack this is the rate
    /// of guesses the rule lets through.
    pub forgive_every: Duration,
}

/// The whole login throttle.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Failures for one username, from anywhere.
    pub per_username: Rule,
    /// Failures from one client address (an IPv6 /64), for any usernames.
    pub per_address: Rule,
    /// The wait after the first failure over a rule's free ones; each further one doubles it.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            // Five tries, then waits of 1 s, 2 s, 4 s … 15 min; over a long attack about four
            // guesses an hour per username.
            per_username: Rule {
                free: 5,
                forgive_every: Duration::from_secs(15 * 60),
            },
            // A hundred failed sign-ins an hour from one address, whatever the names: far more
            // than one office mistypes, far fewer than a password spray needs.
            per_address: Rule {
                free: 100,
                forgive_every: Duration::from_secs(36),
            },
            first_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(15 * 60),
        }
    }
}

impl Policy {
    /// The wait a key is given when its bucket holds `failures` after a failed sign-in: none
    /// while within the rule's free ones, then doubling per failure up to the cap.
    pub fn wait_after(&self, rule: Rule, failures: f64) -> Duration {
        // Rounded: a bucket that has drained a little since the last failure still holds it (a
        // fourth quick failure leaves 3.99, which is four failures, not three).
        let over = failures.round() - f64::from(rule.free);
        if over < 1.0 {
            return Duration::ZERO;
        }
        // 2^40 seconds is past any sensible cap; the exponent is bounded so it cannot overflow.
        let doublings = (over - 1.0).min(40.0) as i32;
        let wait = self.first_wait.as_secs_f64() * 2f64.powi(doublings);
        Duration::from_secs_f64(wait.min(self.max_wait.as_secs_f64()))
    }
}

/// Which rule refused a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Username,
    Address,
}

impl Scope {
    /// The name stored in `login_failures.scope`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Username => "username",
            Scope::Address => "address",
        }
    }
}

/// A sign-in refused by the throttle: which rule, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub scope: Scope,
    /// Whole seconds until the block ends (at least 1), for `Retry-After`.
    pub retry_after_secs: u64,
}

impl Throttled {
    /// What the login form shows beside the password field.
    pub fn message(&self) -> String {
        let whose = match self.scope {
            Scope::Username => "for this username",
            Scope::Address => "from your network address",
        };
        let until = chrono::Utc::now() + chrono::Duration::seconds(self.retry_after_secs as i64);
        format!(
            "too many failed sign-ins {whose}; try again in {} (after {} UTC)",
            human_wait(self.retry_after_secs),
            until.format("%H:%M:%S")
        )
    }
}

/// "1 second", "40 seconds", "3 minutes" (rounded up, so the person never comes back too early).
fn human_wait(secs: u64) -> String {
    match secs {
        0 | 1 => "1 second".to_owned(),
        2..=59 => format!("{secs} seconds"),
        60 => "1 minute".to_owned(),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// The longest block on `username` or `address` right now, if either is blocked.
pub async fn check(
    pool: &PgPool,
    username: &str,
    address: Option<&str>,
) -> Result<Option<Throttled>, sqlx::Error> {
    let row = sqlx::query!(
        r#"select scope as "scope!",
                  ceil(extract(epoch from blocked_until - now()))::int8 as "wait!"
           from login_failures
           where ((scope = 'username' and key = $1) or (scope = 'address' and key = $2))
             and blocked_until > now()
           order by blocked_until desc
           limit 1"#,
        username,
        address,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Throttled {
        scope: if r.scope == "address" {
            Scope::Address
        } else {
            Scope::Username
        },
        retry_after_secs: r.wait.max(1) as u64,
    }))
}

/// Counts a failed sign-in against `username` and `address`, blocking either whose rule it
/// exceeds, and clears out rows that have drained.
pub async fn record_failure(
    pool: &PgPool,
    policy: &Policy,
    username: &str,
    address: Option<&str>,
) -> Result<(), sqlx::Error> {
    // Each key is counted by one atomic upsert (concurrent failures on different replicas all
    // count); the block that follows only ever lengthens (`greatest`), so two failures racing
    // on one key end with the longer wait whatever order their second statements run in. No
    // transaction spans the keys, so two sign-ins cannot deadlock on them.
    count(pool, policy, Scope::Username, username, policy.per_username).await?;
    if let Some(address) = address {
        count(pool, policy, Scope::Address, address, policy.per_address).await?;
    }
    prune(pool).await;
    Ok(())
}

async fn count(
    pool: &PgPool,
    policy: &Policy,
    scope: Scope,
    key: &str,
    rule: Rule,
) -> Result<(), sqlx::Error> {
    let forgive_secs = rule.forgive_every.as_secs_f64().max(0.001);
    let failures = sqlx::query_scalar!(
        "insert into login_failures as f (scope, key, failures, updated_at, blocked_until, forget_at)
         values ($1, $2, 1, now(), now(), now())
         on conflict (scope, key) do update
         set failures = greatest(
                 f.failures - extract(epoch from now() - f.updated_at)::float8 / $3, 0
             ) + 1,
             updated_at = now()
         returning failures",
        scope.as_str(),
        key,
        forgive_secs,
    )
    .fetch_one(pool)
    .await?;
    let wait = policy.wait_after(rule, failures).as_secs_f64();
    sqlx::query!(
        "update login_failures
         set blocked_until = greatest(blocked_until, now() + make_interval(secs => $3)),
             forget_at = greatest(forget_at, blocked_until, now() + make_interval(secs => $3),
                                  now() + make_interval(secs => $4))
         where scope = $1 and key = $2",
        scope.as_str(),
        key,
        wait,
        failures * forgive_secs,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A successful sign-in: the username's failures are forgotten.
pub async fn record_success(pool: &PgPool, username: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from login_failures where scope = 'username' and key = $1",
        username
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes rows whose bucket has drained and whose block has passed. Rows another sign-in holds
/// are skipped (the next failure takes them), so pruning never waits on, or deadlocks with, a
/// sign-in; a failure here is only logged, since the rows are gone at the next prune. Run after
/// each failure and by the server's periodic sweep.
pub async fn prune(pool: &PgPool) {
    let result = sqlx::query!(
        "delete from login_failures
         where (scope, key) in (
             select scope, key from login_failures
             where forget_at < now()
             order by forget_at
             limit 1000
             for update skip locked
         )"
    )
    .execute(pool)
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not prune old login failures");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(free: u32) -> Rule {
        Rule {
            free,
            forgive_every: Duration::from_secs(60),
        }
    }

    #[test]
    fn the_wait_doubles_after_the_free_failures_and_stops_at_the_cap() {
        let policy = Policy::default();
        let r = rule(5);
        for n in 0..=5 {
            assert_eq!(policy.wait_after(r, f64::from(n)), Duration::ZERO, "{n}");
        }
        assert_eq!(policy.wait_after(r, 5.4), Duration::ZERO);
        assert_eq!(policy.wait_after(r, 5.99), Duration::from_secs(1));
        assert_eq!(policy.wait_after(r, 7.0), Duration::from_secs(2));
        assert_eq!(policy.wait_after(r, 8.4), Duration::from_secs(4));
        assert_eq!(policy.wait_after(r, 15.0), Duration::from_secs(512));
        assert_eq!(policy.wait_after(r, 16.0), Duration::from_secs(900));
        assert_eq!(policy.wait_after(r, 1e9), Duration::from_secs(900));
    }

    #[test]
    fn the_address_rule_is_far_more_generous_than_the_username_rule() {
        let policy = Policy::default();
        assert!(policy.per_address.free >= 10 * policy.per_username.free);
        assert!(policy.per_address.forgive_every < policy.per_username.forgive_every);
    }

    #[test]
    fn the_wait_is_told_in_rounded_up_units() {
        assert_eq!(human_wait(1), "1 second");
        assert_eq!(human_wait(42), "42 seconds");
        assert_eq!(human_wait(60), "1 minute");
        assert_eq!(human_wait(61), "2 minutes");
        assert_eq!(human_wait(900), "15 minutes");
        let msg = Throttled {
            scope: Scope::Address,
            retry_after_secs: 30,
        }
        .message();
        assert!(
            msg.contains("from your network address") && msg.contains("30 seconds"),
            "{msg}"
        );
    }
}
