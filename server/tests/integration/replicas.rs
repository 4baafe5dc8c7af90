//! Loupe scaled out as the README's deployment section describes: two `loupe serve` processes on
//! one PostgreSQL database (on the test cluster), behind HAProxy from Debian's packages
//! (round robin, no sticky sessions, health checks on /healthz).
//!
//! Through the balancer, 32 reviewers work the queue at once; one replica is killed with SIGKILL
//! mid-run and the other carries on. The tests check what makes the replicas interchangeable:
//! no task is handed to two reviewers, a session made on one replica is valid on the other, a
//! task claimed in the background on one is released on the other, every webhook event is
//! delivered once, and no acknowledged review is lost. A separate test starts two replicas at the
//! same moment on a fresh database: one migrates and seeds it, the other waits.
//!
//! HAProxy is required, not optional: `scripts/setup.sh` installs it, and without it these tests
//! fail saying so.
//!
//! Both are `#[ignore]`d in the main run and run on their own right after it by scripts/test.sh
//! (`cargo test … -- --ignored`): three processes working flat out for half a minute would starve
//! the suite's tests that check the server stays responsive while it is busy.

use crate::process::{free_port, url_of};
use crate::receiver::Receiver;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_loupe");

/// Reviewers working the queue at once, as the issue asks.
const REVIEWERS: usize = 32;

/// The header HAProxy adds to every answer: which replica served it (`a` or `b`).
const REPLICA_HEADER: &str = "x-loupe-replica";

/// A child process, killed with SIGKILL when dropped, so a failed assertion leaves no server or
/// balancer behind. Its standard error goes to `log`, shown when it fails to start.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown, no cleanup.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A scratch folder for one test's logs, HAProxy's configuration and the replicas' data folders.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loupe-replicas-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts one `loupe serve` replica on the database at `url`, not waiting for it.
fn replica(dir: &Path, name: &str, url: &str, port: u16, public_url: &str, demo: bool) -> Proc {
    let log = dir.join(format!("replica-{name}.log"));
    let child = Command::new(BIN)
        .env("LOUPE_DEMO", demo.to_string())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", url)
        .env_remove("LOUPE_MIGRATE_DATABASE_URL")
        .env("LOUPE_DATA_DIR", dir.join(format!("data-{name}")))
        // Both replicas are reached through the balancer: its URL is the one origin pages post
        // from (CSRF), and plain HTTP on loopback keeps the session cookie usable without TLS.
        .env("LOUPE_PUBLIC_URL", public_url)
        .env("LOUPE_ADMIN_PASSWORD", "admin-password-123")
        .env("LOUPE_WEBHOOK_ALLOW", "127.0.0.1/32")
        .env("LOUPE_WEBHOOK_RETRY_SECONDS", "1")
        .env("LOUPE_WEBHOOK_TIMEOUT_SECONDS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    Proc { child, log }
}

/// Waits until `base`/healthz answers 200; fails with the process's log if it exits first.
async fn healthy(proc: &mut Proc, base: &str) {
    let started = Instant::now();
    loop {
        if let Some(status) = proc.exited() {
            panic!(
                "{} exited ({status}) before it was healthy:\n{}",
                base,
                proc.log()
            );
        }
        if let Ok(res) = reqwest::get(format!("{base}/healthz")).await
            && res.status() == StatusCode::OK
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{base} did not become healthy:\n{}",
            proc.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// HAProxy in the foreground on `port`, balancing round robin over the replicas named in
/// `servers`, without stickiness. A server is checked every 200 ms (`GET /healthz`) and taken
/// out after two failed checks; a request that cannot connect to one is sent to the other. A
/// check may take up to 2 s to answer: a replica busy with 32 reviewers on a shared machine can
/// be slower than the 200 ms interval, and is not dead for that.
fn haproxy(dir: &Path, port: u16, servers: &[(&str, u16)]) -> Proc {
    let backends: String = servers
        .iter()
        .map(|(name, port)| {
            format!("    server {name} 127.0.0.1:{port} check inter 200ms fall 2 rise 2\n")
        })
        .collect();
    let config = format!(
        "global\n    maxconn 1000\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    \
         timeout server 30s\n    timeout check 2s\n    retries 3\n    option redispatch 1\n    \
         retry-on conn-failure\n\
         frontend loupe_in\n    bind 127.0.0.1:{port}\n    default_backend loupe\n\
         backend loupe\n    balance roundrobin\n    option httpchk GET /healthz\n    \
         http-response set-header X-Loupe-Replica %[srv_name]\n{backends}"
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, config).unwrap();
    let log = dir.join("haproxy.log");
    let spawned = ["haproxy", "/usr/sbin/haproxy"].iter().find_map(|bin| {
        Command::new(bin)
            .args(["-db", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .ok()
    });
    let child = spawned.expect(
        "HAProxy is not installed: these tests run two replicas behind it; \
         scripts/setup.sh installs it (Debian's haproxy package)",
    );
    Proc { child, log }
}

/// A signed-in browser: its session cookie and the origin its pages are served from (the
/// balancer's), sent to whichever address it talks to.
#[derive(Clone)]
struct Browser {
    http: reqwest::Client,
    cookie: String,
    origin: String,
}

/// One server function's answer: status, JSON body, and which replica served it (when it came
/// through the balancer).
struct Answer {
    status: StatusCode,
    json: Value,
    replica: Option<String>,
}

impl Browser {
    /// Signs in at `base` (a replica or the balancer). A 503 is Loupe bounding the password
    /// hashes it runs at once; like a person, the test tries again a moment later.
    async fn sign_in(http: &reqwest::Client, base: &str, origin: &str, name: &str) -> Browser {
        let mut tries = 0;
        let res = loop {
            let res = http
                .post(format!("{base}/api/login"))
                .header("origin", origin)
                .form(&[("username", name), ("password", &password(name))])
                .send()
                .await
                .unwrap();
            tries += 1;
            if res.status() != StatusCode::SERVICE_UNAVAILABLE || tries == 20 {
                break res;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let cookie = crate::helpers::session_cookie(&res)
            .unwrap_or_else(|| panic!("{name} could not sign in at {base}: {}", res.status()));
        Browser {
            http: http.clone(),
            cookie,
            origin: origin.to_owned(),
        }
    }

    /// Posts a server function's form at `base`; `Err` only when no HTTP answer came back.
    async fn call(
        &self,
        base: &str,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Result<Answer, reqwest::Error> {
        let res = self
            .http
            .post(format!("{base}/api/{endpoint}"))
            .header("cookie", &self.cookie)
            .header("origin", &self.origin)
            .form(form)
            .send()
            .await?;
        let status = res.status();
        let replica = res
            .headers()
            .get(REPLICA_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = res.bytes().await?;
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            json,
            replica,
        })
    }

    /// A call that must succeed (the parts of the test where nothing is being killed).
    async fn ok(&self, base: &str, endpoint: &str, form: &[(&str, &str)]) -> Value {
        let answer = self.call(base, endpoint, form).await.unwrap();
        assert!(
            answer.status.is_success(),
            "{endpoint} at {base}: {} {}",
            answer.status,
            answer.json
        );
        answer.json
    }
}

fn password(name: &str) -> String {
    format!("{name}-password-123")
}

fn task_id(view: &Value) -> Option<Uuid> {
    view.get("id")
        .and_then(Value::as_str)
        .map(|s| s.parse().unwrap())
}

/// What one reviewer did in a run.
#[derive(Default)]
struct Tally {
    /// Every task the reviewer was handed, on screen or claimed in the background.
    handed: HashSet<Uuid>,
    /// Tasks whose review submission answered 2xx.
    acknowledged: Vec<Uuid>,
    /// Requests that got no answer, or a 5xx (the balancer's 502 for a killed replica).
    failed: usize,
    /// Submissions refused with a 4xx.
    refused: usize,
    /// What the failures were (status and body, or the transport error), for the messages.
    failures: Vec<String>,
    /// Replicas that served this reviewer.
    replicas: HashSet<String>,
}

/// One reviewer's loop, as the review page runs it: the task on screen (`review/current`), the
/// one behind it claimed in the background (`review/next`), then the judgement
/// (`review/submit`), until nothing is left for them. A request that gets no answer or a 5xx is
/// retried from the top: `review/current` answers whatever the reviewer holds, so a lost answer
/// never loses a task.
async fn work(browser: Browser, base: String, acks: Arc<AtomicUsize>) -> Tally {
    let mut tally = Tally::default();
    // Counts an answer (and the replica that gave it); true when it is a real one to act on.
    let note = |tally: &mut Tally, answer: &Result<Answer, reqwest::Error>| -> bool {
        match answer {
            Ok(a) => {
                if let Some(r) = &a.replica {
                    tally.replicas.insert(r.clone());
                }
                if a.status.is_server_error() {
                    tally.failed += 1;
                    tally.failures.push(format!("{} {}", a.status, a.json));
                    false
                } else {
                    true
                }
            }
            Err(e) => {
                tally.failed += 1;
                tally.failures.push(e.to_string());
                false
            }
        }
    };
    loop {
        assert!(tally.failed < 500, "a reviewer kept failing");
        let current = browser.call(&base, "review/current", &[]).await;
        if !note(&mut tally, &current) {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        let current = current.unwrap();
        assert_eq!(current.status, StatusCode::OK, "{}", current.json);
        let Some(id) = task_id(&current.json) else {
            return tally;
        };
        tally.handed.insert(id);
        let next = browser.call(&base, "review/next", &[]).await;
        if note(&mut tally, &next)
            && let Some(next_id) = task_id(&next.unwrap().json)
        {
            tally.handed.insert(next_id);
        }
        let id_text = id.to_string();
        let submitted = browser
            .call(
                &base,
                "review/submit",
                &[
                    ("task_id", &id_text),
                    ("rating", "4"),
                    ("verdict", "accept"),
                    ("comment", "checked"),
                    ("prefetch", "1"),
                ],
            )
            .await;
        if note(&mut tally, &submitted) {
            let submitted = submitted.unwrap();
            if submitted.status.is_success() {
                tally.acknowledged.push(id);
                acks.fetch_add(1, Ordering::SeqCst);
            } else {
                tally.refused += 1;
                tally
                    .failures
                    .push(format!("{} {}", submitted.status, submitted.json));
            }
        }
    }
}

/// Queues `n` tasks through the balancer with the API token; low confidence routes each to review.
async fn ingest(app: &crate::helpers::TestApp, prefix: &str, n: usize, confidence: f64) {
    let tasks: Vec<Value> = (0..n)
        .map(|i| {
            let mut t = crate::helpers::task(&format!("{prefix}-{i}"), confidence);
            t["model"] = json!("replicated");
            t
        })
        .collect();
    for chunk in tasks.chunks(200) {
        let receipts = app.submit(Value::Array(chunk.to_vec())).await;
        assert!(
            receipts
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["status"] == "queued"),
            "{receipts}"
        );
    }
}

async fn scalar_i64(pool: &sqlx::PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Waits until every webhook delivery is marked delivered, and a moment more for requests still
/// on their way into the receiver.
async fn all_delivered(pool: &sqlx::PgPool, within: Duration) {
    let started = Instant::now();
    while scalar_i64(
        pool,
        "select count(*) from webhook_deliveries where status <> 'delivered'",
    )
    .await
        > 0
    {
        assert!(
            started.elapsed() < within,
            "webhook deliveries still undelivered after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Task ids of the `task.reviewed` events the receiver got, with their delivery ids.
fn events(receiver: &Receiver) -> Vec<(String, Uuid)> {
    receiver
        .received()
        .iter()
        .map(|r| {
            let task = r.json()["task"]["id"].as_str().unwrap().parse().unwrap();
            (r.delivery.clone(), task)
        })
        .collect()
}

async fn reviewed_tasks(pool: &sqlx::PgPool) -> HashSet<Uuid> {
    sqlx::query_scalar::<_, Uuid>("select task_id from reviews")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// Runs every reviewer until the queue is empty. With `kill_after = (n, victim)`, the victim is
/// killed with SIGKILL once `n` reviews have been acknowledged; answers the reviewers' tallies
/// and the acknowledged count at the kill.
async fn run(
    browsers: &[Browser],
    base: &str,
    kill_after: Option<(usize, &mut Proc)>,
) -> (Vec<Tally>, usize) {
    let acks = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = browsers
        .iter()
        .map(|b| tokio::spawn(work(b.clone(), base.to_owned(), acks.clone())))
        .collect();
    let mut acked_at_kill = 0;
    if let Some((after, victim)) = kill_after {
        let started = Instant::now();
        while acks.load(Ordering::SeqCst) < after {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the run stalled before the kill"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        victim.kill();
        acked_at_kill = acks.load(Ordering::SeqCst);
    }
    let mut tallies = Vec::new();
    for h in handles {
        tallies.push(h.await.expect("a reviewer panicked"));
    }
    (tallies, acked_at_kill)
}

#[sqlx::test(migrator = "server::MIGRATOR")]
#[ignore = "run on its own by scripts/test.sh (cargo test -- --ignored)"]
async fn two_replicas_behind_haproxy_share_sessions_leases_and_webhooks_and_survive_a_sigkill(
    pool: sqlx::PgPool,
) {
    let started = Instant::now();
    let dir = scratch();
    let url = url_of(&pool).await;
    let (port_a, port_b, port_lb) = (free_port(), free_port(), free_port());
    let (a_base, b_base) = (
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    );
    let lb = format!("http://127.0.0.1:{port_lb}");
    let mut a = replica(&dir, "a", &url, port_a, &lb, false);
    let mut b = replica(&dir, "b", &url, port_b, &lb, false);
    healthy(&mut a, &a_base).await;
    healthy(&mut b, &b_base).await;
    let mut balancer = haproxy(&dir, port_lb, &[("a", port_a), ("b", port_b)]);
    healthy(&mut balancer, &lb).await;

    // The API through the balancer: a webhook for every review, and the tasks.
    let app = crate::helpers::TestApp::attach(
        pool.clone(),
        format!("127.0.0.1:{port_lb}").parse().unwrap(),
    )
    .await;
    let receiver = Receiver::start(&[]).await;
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": receiver.url(), "events": ["task.reviewed"], "secret": "replicas-secret-0123456"})),
        )
        .await;
    assert_eq!(status, 201);

    let mut names: Vec<String> = (0..REVIEWERS).map(|i| format!("reviewer-{i:02}")).collect();
    names.extend(["ria".to_owned(), "sam".to_owned()]);
    for name in &names {
        server::cli::add_user(
            &pool,
            name,
            app::domain::Role::Reviewer,
            Some(password(name)),
        )
        .await
        .unwrap();
    }
    let http = reqwest::Client::new();

    // A session made on replica A is valid on replica B; a task claimed in the background on A
    // is released on B, and is then the next one anyone is handed.
    // Three tasks first in queue order (lowest confidence): x, y, z.
    for (i, c) in [0.01, 0.02, 0.03].into_iter().enumerate() {
        ingest(&app, &format!("first-{i}"), 1, c).await;
    }
    let ria = Browser::sign_in(&http, &a_base, &lb, "ria").await;
    let x = task_id(&ria.ok(&b_base, "review/current", &[]).await).expect("a task on B");
    let y = task_id(&ria.ok(&a_base, "review/next", &[]).await).expect("a task behind it on A");
    assert_ne!(x, y);
    let (owner, prefetched): (Option<String>, bool) = sqlx::query_as(
        "select u.username, t.lease_prefetched from tasks t left join users u on u.id = t.lease_owner
         where t.id = $1",
    )
    .bind(y)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((owner.as_deref(), prefetched), (Some("ria"), true));
    ria.ok(&b_base, "review/release", &[]).await;
    let (status, owner): (String, Option<i64>) =
        sqlx::query_as("select status, lease_owner from tasks where id = $1")
            .bind(y)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), owner), ("queued", None));
    let sam = Browser::sign_in(&http, &lb, &lb, "sam").await;
    assert_eq!(task_id(&sam.ok(&lb, "review/current", &[]).await), Some(y));
    for (who, id, at) in [(&sam, y, &lb), (&ria, x, &a_base)] {
        let id = id.to_string();
        who.ok(
            at,
            "review/submit",
            &[("task_id", &id), ("rating", "5"), ("verdict", "accept")],
        )
        .await;
    }
    let z = task_id(&ria.ok(&a_base, "review/current", &[]).await).expect("the third task");
    let z_text = z.to_string();
    ria.ok(
        &b_base,
        "review/submit",
        &[("task_id", &z_text), ("rating", "5"), ("verdict", "accept")],
    )
    .await;

    // 32 reviewers sign in through the balancer, a few at a time.
    use futures::StreamExt;
    let browsers: Vec<Browser> = futures::stream::iter(&names[..REVIEWERS])
        .map(|name| Browser::sign_in(&http, &lb, &lb, name))
        .buffered(4)
        .collect()
        .await;

    // Run 1, both replicas up: the queue is worked empty with no error at all, the requests
    // spread over both replicas, and every review's event delivered exactly once.
    ingest(&app, "run1", 96, 0.3).await;
    let (run1, _) = run(&browsers, &lb, None).await;
    let mut served = HashSet::new();
    for (i, t) in run1.iter().enumerate() {
        assert_eq!(
            (t.failed, t.refused),
            (0, 0),
            "reviewer {i} hit errors with both replicas up: {:?}",
            t.failures
        );
        served.extend(t.replicas.iter().cloned());
    }
    assert_eq!(served, HashSet::from(["a".to_owned(), "b".to_owned()]));
    // No stickiness: one session's requests, one after another, alternate between replicas.
    let mut order = String::new();
    for _ in 0..6 {
        let answer = browsers[0].call(&lb, "review/renew", &[]).await.unwrap();
        assert_eq!(answer.status, StatusCode::OK);
        order.push_str(&answer.replica.unwrap());
    }
    assert!(order == "ababab" || order == "bababa", "{order}");
    assert_eq!(
        scalar_i64(
            &pool,
            "select count(*) from tasks where status <> 'reviewed'"
        )
        .await,
        0
    );
    let reviewed = reviewed_tasks(&pool).await;
    assert_eq!(reviewed.len(), 99);
    all_delivered(&pool, Duration::from_secs(20)).await;
    let got = events(&receiver);
    let deliveries: HashSet<&String> = got.iter().map(|(d, _)| d).collect();
    let tasks: HashSet<Uuid> = got.iter().map(|(_, t)| *t).collect();
    assert_eq!(got.len(), 99, "an event was delivered twice or not at all");
    assert_eq!(deliveries.len(), 99);
    assert_eq!(tasks, reviewed);

    // Run 2: replica A is killed with SIGKILL after 60 acknowledged reviews; B carries on.
    ingest(&app, "run2", 288, 0.4).await;
    let (run2, acked_at_kill) = run(&browsers, &lb, Some((60, &mut a))).await;
    assert!(a.exited().is_some(), "replica A still runs");
    assert!(b.exited().is_none(), "replica B died too:\n{}", b.log());
    let acked_total: usize = run2.iter().map(|t| t.acknowledged.len()).sum();
    assert!(
        acked_total > acked_at_kill + 100,
        "too little was reviewed after the kill ({acked_at_kill} before, {acked_total} in all)"
    );

    // No task handed to two reviewers, across both runs.
    let mut holder: HashMap<Uuid, usize> = HashMap::new();
    for (i, t) in run1.iter().chain(run2.iter()).enumerate() {
        let reviewer = i % REVIEWERS;
        for id in &t.handed {
            if let Some(other) = holder.insert(*id, reviewer) {
                assert_eq!(other, reviewer, "task {id} was handed to two reviewers");
            }
        }
    }
    // Every acknowledged review is stored; every task was reviewed, once.
    let reviewed = reviewed_tasks(&pool).await;
    for t in run1.iter().chain(run2.iter()) {
        for id in &t.acknowledged {
            assert!(reviewed.contains(id), "acknowledged review of {id} lost");
        }
    }
    assert_eq!(
        scalar_i64(
            &pool,
            "select count(*) from tasks where status <> 'reviewed'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar_i64(&pool, "select count(*) from reviews").await,
        99 + 288
    );
    assert_eq!(reviewed.len(), 99 + 288);

    // Every event of run 2 arrives; a delivery A was sending when it died may arrive again from
    // B, under the same Loupe-Delivery id (at least once, as documented), never as a new event.
    all_delivered(&pool, Duration::from_secs(30)).await;
    let got = events(&receiver);
    let mut by_delivery: HashMap<&String, HashSet<Uuid>> = HashMap::new();
    for (d, t) in &got {
        by_delivery.entry(d).or_default().insert(*t);
    }
    assert_eq!(
        by_delivery.len(),
        99 + 288,
        "every event has one delivery id"
    );
    assert!(by_delivery.values().all(|tasks| tasks.len() == 1));
    let tasks: HashSet<Uuid> = got.iter().map(|(_, t)| *t).collect();
    assert_eq!(tasks, reviewed);
    let repeats = got.len() - by_delivery.len();
    // At most the one batch A was sending (a worker sends 16 at once).
    let batch = server::delivery_worker::WorkerSettings::default().batch as usize;
    assert!(
        repeats <= batch,
        "{repeats} repeated deliveries after one kill"
    );

    let failed: usize = run2.iter().map(|t| t.failed).sum();
    eprintln!(
        "replicas: {acked_total} reviews acknowledged in run 2 ({acked_at_kill} before the kill), \
         {failed} failed requests retried, {repeats} repeated deliveries, {:?} in all",
        started.elapsed()
    );
    drop(balancer);
    drop(b);
    let _ = std::fs::remove_dir_all(&dir);
}

#[sqlx::test(migrations = false)]
#[ignore = "run on its own by scripts/test.sh (cargo test -- --ignored)"]
async fn two_replicas_starting_at_once_on_a_fresh_database_migrate_and_seed_it_once(
    pool: sqlx::PgPool,
) {
    let dir = scratch();
    let url = url_of(&pool).await;
    let (port_a, port_b) = (free_port(), free_port());
    let public = format!("http://127.0.0.1:{port_a}");
    // Spawned back to back, with the demo data to load as well: both race for the migrations,
    // the first admin and the demo set.
    let mut a = replica(&dir, "a", &url, port_a, &public, true);
    let mut b = replica(&dir, "b", &url, port_b, &public, true);
    healthy(&mut a, &format!("http://127.0.0.1:{port_a}")).await;
    healthy(&mut b, &format!("http://127.0.0.1:{port_b}")).await;
    assert!(a.exited().is_none() && b.exited().is_none());

    let applied: Vec<(i64, i64, bool)> = sqlx::query_as(
        "select version, count(*), bool_and(success) from _sqlx_migrations group by version order by version",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(applied.len(), server::MIGRATOR.iter().count());
    assert!(
        applied.iter().all(|(_, n, ok)| *n == 1 && *ok),
        "{applied:?}"
    );
    assert_eq!(
        scalar_i64(&pool, "select count(*) from users where role = 'admin'").await,
        1
    );
    assert_eq!(
        scalar_i64(&pool, "select count(*) from server_keys").await,
        1
    );
    // The demo set once: 30 tasks and 1,500 of history (external ids are unique, so a second
    // load racing the first would have failed a replica's start rather than doubled them).
    assert_eq!(
        scalar_i64(
            &pool,
            "select count(*) from tasks where external_id like 'demo-history-%'"
        )
        .await,
        1_500
    );
    drop(a);
    drop(b);
    let _ = std::fs::remove_dir_all(&dir);
}
