//! Sending webhook deliveries from the outbox (`webhook_deliveries`).
//!
//! Each Loupe process runs one [`Worker`]. It claims due deliveries with `for update skip locked`
//! and marks them `locked_until` for longer than a send can take, so processes sharing a database
//! never send the same delivery at the same time; a process that dies mid-send leaves its claim
//! to expire and another (or its restart) sends it again: delivery is at least once, and the
//! `Loupe-Delivery` id lets a receiver drop repeats.
//!
//! A request carries the body (the event JSON), `Loupe-Event`, `Loupe-Delivery` and
//! `Loupe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`.
//! Any 2xx is success. Anything else (a 3xx too: redirects are not followed, so a receiver cannot
//! bounce Loupe elsewhere) is retried with exponential backoff until the 24-hour window closes.
//!
//! Where a request may go is the outbound policy's call (`app::outbound`): the URL's host as
//! written is checked before each attempt (IP literals never reach a resolver), and the client's
//! DNS resolver is [`PolicyResolver`], which hands the connector only allowed addresses, so a
//! name that now resolves to an internal address (DNS rebinding) is refused at connect time. No
//! proxy is used: the policy must judge the real target, not a proxy's address.
//!
//! The delivery log is coarse on purpose, so it cannot serve as a port scanner: an attempt is
//! recorded as the HTTP status of a real answer (with its duration), as "refused by the outbound
//! policy", or as "delivery failed (no HTTP answer)" with duration 0, whether the connection was
//! refused, timed out or broke. The detail goes to the server log only.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How the worker sends and retries.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Whole-request timeout for one attempt.
    pub timeout: Duration,
    /// Delay before the first retry; each further retry doubles it, up to `max_delay`.
    pub first_retry: Duration,
    pub max_delay: Duration,
    /// How often to look for due deliveries when there was nothing to send.
    pub poll: Duration,
    /// Deliveries claimed at once (and sent concurrently).
    pub batch: i64,
    /// Which hosts deliveries may reach.
    pub outbound: app::outbound::Policy,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
            poll: Duration::from_millis(500),
            batch: 16,
            outbound: Default::default(),
        }
    }
}

/// The `Loupe-Signature` header value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!("t={timestamp},v1={}", app::hex::encode(&digest))
}

/// Delay before retry number `attempts` (1 = the first retry): doubling from `first`, capped.
pub fn backoff(attempts: i32, first: Duration, max: Duration) -> Duration {
    let doublings = attempts.clamp(1, 30) as u32 - 1;
    first.saturating_mul(1u32 << doublings.min(20)).min(max)
}

/// One claimed delivery.
struct Claimed {
    id: Uuid,
    event: String,
    payload: Value,
    attempts: i32,
    retry_until: DateTime<Utc>,
    url: String,
    secret: String,
}

/// What one attempt came to.
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    elapsed: Duration,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Sends due deliveries until the process ends.
pub struct Worker {
    pool: PgPool,
    /// Names this process in the delivery log.
    sender: String,
    settings: WorkerSettings,
    http: reqwest::Client,
    /// Where each attempt's duration is recorded.
    metrics: app::metrics::Metrics,
}

impl Worker {
    pub fn new(
        pool: PgPool,
        metrics: app::metrics::Metrics,
        settings: WorkerSettings,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolver(settings.outbound.clone())))
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("Loupe-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Worker {
            pool,
            sender: format!("{} pid {}", hostname(), std::process::id()),
            settings,
            http,
            metrics,
        })
    }

    /// Runs forever; spawn it. Database errors are logged and retried after a pause, so a
    /// restarting database does not stop deliveries for good.
    pub async fn run(self) {
        loop {
            match self.round().await {
                Ok(0) => tokio::time::sleep(self.settings.poll).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "webhook worker: database error; retrying shortly");
                    tokio::time::sleep(self.settings.poll.max(Duration::from_secs(2))).await;
                }
            }
        }
    }

    /// Claims one batch and sends it; returns how many were sent.
    pub async fn round(&self) -> Result<usize, sqlx::Error> {
        let claimed = self.claim().await?;
        let n = claimed.len();
        futures::future::join_all(claimed.into_iter().map(|d| self.deliver(d)))
            .await
            .into_iter()
            .collect::<Result<Vec<()>, _>>()?;
        Ok(n)
    }

    async fn claim(&self) -> Result<Vec<Claimed>, sqlx::Error> {
        // The claim outlives any send (timeout plus a margin for recording the outcome), so no
        // other worker takes it while this one is still waiting for an answer. A worker that
        // dies holding claims delays those deliveries by at most this long.
        let hold = (self.settings.timeout + Duration::from_secs(5)).as_secs_f64();
        let rows = sqlx::query!(
            r#"with due as (
                   select d.id from webhook_deliveries d
                   join webhook_endpoints e on e.id = d.endpoint_id and e.active
                   where d.status = 'pending' and d.next_attempt_at <= now()
                     and (d.locked_until is null or d.locked_until < now())
                   order by d.next_attempt_at
                   limit $1
                   for update of d skip locked
               )
               update webhook_deliveries d
               set locked_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
               from due, webhook_endpoints e
               where d.id = due.id and e.id = d.endpoint_id
               returning d.id, d.event, d.payload, d.attempts, d.retry_until, e.url, e.secret"#,
            self.settings.batch,
            hold
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Claimed {
                id: r.id,
                event: r.event,
                payload: r.payload,
                attempts: r.attempts,
                retry_until: r.retry_until,
                url: r.url,
                secret: r.secret,
            })
            .collect())
    }

    async fn deliver(&self, d: Claimed) -> Result<(), sqlx::Error> {
        // Timed here rather than from the outcome, which records 0 for an attempt with no answer.
        let started = Instant::now();
        let outcome = self.send(&d).await;
        self.metrics
            .delivery_attempt(outcome.succeeded(), started.elapsed());
        let status = outcome.status.map(i32::from);
        let duration_ms = i32::try_from(outcome.elapsed.as_millis()).unwrap_or(i32::MAX);
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            "insert into webhook_attempts (delivery_id, status_code, error, duration_ms, sender)
             values ($1, $2, $3, $4, $5)",
            d.id,
            status,
            outcome.error,
            duration_ms,
            self.sender
        )
        .execute(&mut *tx)
        .await?;
        if outcome.succeeded() {
            sqlx::query!(
                "update webhook_deliveries
                 set status = 'delivered', delivered_at = now(), locked_until = null,
                     last_status = $2, last_error = null
                 where id = $1",
                d.id,
                status
            )
            .execute(&mut *tx)
            .await?;
            tracing::info!(delivery = %d.id, event = %d.event, status, "webhook delivered");
        } else {
            let delay = backoff(
                d.attempts,
                self.settings.first_retry,
                self.settings.max_delay,
            );
            let next = Utc::now() + delay;
            let gave_up = next > d.retry_until;
            sqlx::query!(
                "update webhook_deliveries
                 set status = $2, next_attempt_at = $3, locked_until = null,
                     last_status = $4, last_error = $5
                 where id = $1",
                d.id,
                if gave_up { "failed" } else { "pending" },
                next,
                status,
                outcome.error
            )
            .execute(&mut *tx)
            .await?;
            tracing::warn!(
                delivery = %d.id, event = %d.event, status, error = outcome.error.as_deref(),
                attempts = d.attempts, gave_up, "webhook delivery failed"
            );
        }
        tx.commit().await
    }

    async fn send(&self, d: &Claimed) -> Outcome {
        // The host as written (an IP literal skips the resolver), the scheme, no credentials.
        if let Err(refused) = self.settings.outbound.check_url(&d.url) {
            tracing::warn!(delivery = %d.id, reason = %refused, "webhook delivery refused");
            return Outcome::refused();
        }
        let body = serde_json::to_vec(&d.payload).unwrap_or_default();
        let signature = signature(&d.secret, Utc::now().timestamp(), &body);
        let started = Instant::now();
        let result = self
            .http
            .post(&d.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("Loupe-Event", &d.event)
            .header("Loupe-Delivery", d.id.to_string())
            .header("Loupe-Signature", signature)
            .body(body)
            .send()
            .await;
        let elapsed = started.elapsed();
        match result {
            Ok(res) => {
                let status = res.status();
                let error = if status.is_success() {
                    None
                } else if status.is_redirection() {
                    Some(format!(
                        "HTTP {} (redirects are not followed)",
                        status.as_u16()
                    ))
                } else {
                    Some(format!("HTTP {}", status.as_u16()))
                };
                Outcome {
                    status: Some(status.as_u16()),
                    error,
                    elapsed,
                }
            }
            Err(e) if refused_by_policy(&e) => {
                tracing::warn!(delivery = %d.id, error = %e, "webhook delivery refused at connect time");
                Outcome::refused()
            }
            Err(e) => {
                // The detail (timeout, connection refused, reset) is for the operator's log only.
                tracing::warn!(
                    delivery = %d.id, error = %e, detail = describe(&e, self.settings.timeout),
                    "webhook delivery got no HTTP answer"
                );
                Outcome {
                    status: None,
                    error: Some(NO_ANSWER.to_owned()),
                    elapsed: Duration::ZERO,
                }
            }
        }
    }
}

/// What the delivery log says of an attempt that got no HTTP answer, whatever the reason.
pub const NO_ANSWER: &str = "delivery failed (no HTTP answer)";
/// What the delivery log says of an attempt the outbound policy stopped.
pub const REFUSED: &str = "refused by the outbound policy";

impl Outcome {
    fn refused() -> Self {
        Outcome {
            status: None,
            error: Some(REFUSED.to_owned()),
            elapsed: Duration::ZERO,
        }
    }
}

/// Whether the request failed because [`PolicyResolver`] refused its host.
fn refused_by_policy(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<app::outbound::Refused>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// The webhook client's DNS resolver: the system resolver, filtered by the outbound policy. A
/// name with no allowed address fails to resolve, so the connector never tries an internal one.
pub struct PolicyResolver(pub app::outbound::Policy);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = policy.resolve(&host).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// This machine's name, or "" when it cannot be read.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// A short description of a failed request for the server log (the delivery log only says
/// [`NO_ANSWER`], so it cannot tell a closed port from a filtered one).
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        format!("no answer within {} s", timeout.as_secs_f64())
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else if e.is_builder() {
        "the URL could not be used".to_owned()
    } else {
        "the request failed before an answer arrived".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Expected value from Python's hmac module, an independent implementation:
        // hmac.new(b"Jefe", b"1700000000.what do ya want for nothing?", hashlib.sha256).hexdigest()
        let body = b"what do ya want for nothing?";
        assert_eq!(
            signature("Jefe", 1_700_000_000, body),
            "t=1700000000,v1=1cdd0650c8be1cb0974b1788d458b1e781206cfef59b85faafc582d2e182c57e"
        );
        assert_ne!(
            signature("Jefe", 1_700_000_001, body),
            signature("Jefe", 1_700_000_000, body)
        );
        assert_ne!(
            signature("jefe", 1_700_000_000, body),
            signature("Jefe", 1_700_000_000, body)
        );
    }

    #[test]
    fn backoff_doubles_from_the_first_delay_and_stops_at_the_cap() {
        let first = Duration::from_secs(30);
        let max = Duration::from_secs(3600);
        let delays: Vec<u64> = (1..=9).map(|n| backoff(n, first, max).as_secs()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff(1000, first, max), max);
    }
}
