//! Lifecycle faults, on the real `loupe` binary with its own PostgreSQL: a second server on the
//! same data folder, a killed postmaster, a `kill -9` of Loupe and a PostgreSQL restart while
//! reviewers submit, the shutdown deadline, and the role the server connects as.

use crate::process::{cli, free_port};
use serde_json::Value;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_loupe");

/// A data folder for one test; whatever runs on it is killed and removed when the test ends,
/// passed or failed.
struct Folder {
    path: PathBuf,
    servers: Vec<Child>,
}

impl Folder {
    fn new(name: &str) -> Folder {
        let path = std::env::temp_dir().join(format!("loupe-{name}-{}", uuid::Uuid::new_v4()));
        Folder {
            path,
            servers: Vec::new(),
        }
    }

    fn loupe(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env("LOUPE_DATA_DIR", &self.path)
            .env_remove("DATABASE_URL")
            .env("LOUPE_ADMIN_PASSWORD", "admin-password-123")
            .env("RUST_LOG", "warn");
        cmd
    }

    /// Starts `loupe serve` on `port` and waits for /healthz; returns the index of its child.
    async fn serve(&mut self, port: u16, extra_env: &[(&str, &str)]) -> usize {
        let log = std::fs::File::create(self.log(self.servers.len())).unwrap();
        let child = self
            .loupe()
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .envs(extra_env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.servers.push(child);
        wait_healthy(&base(port), Duration::from_secs(60)).await;
        self.servers.len() - 1
    }

    /// Where server number `n` writes its log (inside the folder, shown if the test fails).
    fn log(&self, n: usize) -> PathBuf {
        std::fs::create_dir_all(&self.path).unwrap();
        self.path.join(format!("serve-{n}.log"))
    }

    fn pid(&self, server: usize) -> u32 {
        self.servers[server].id()
    }

    fn signal(&self, server: usize, signal: i32) {
        // SAFETY: kill only sends a signal to a child this test spawned.
        unsafe { libc::kill(self.pid(server) as i32, signal) };
    }

    /// Waits (at most `bound`) for a server to exit; its exit status.
    async fn wait_exit(&mut self, server: usize, bound: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.servers[server].try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < bound,
                "loupe did not exit within {bound:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM: the server exits cleanly and its PostgreSQL is stopped.
    async fn stop(&mut self, server: usize) {
        self.signal(server, libc::SIGTERM);
        let status = self.wait_exit(server, Duration::from_secs(30)).await;
        assert!(status.success(), "exit status {status}");
        assert!(
            !self.path.join("pg/postmaster.pid").exists(),
            "PostgreSQL left running"
        );
    }

    fn postmaster_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.path.join("pg/postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// A superuser pool on the folder's cluster, over its socket (the test's own view).
    async fn pool(&self) -> PgPool {
        self.pool_as("postgres").await
    }

    async fn pool_as(&self, role: &str) -> PgPool {
        PgPoolOptions::new()
            .max_connections(4)
            .connect_with(
                PgConnectOptions::new()
                    .socket(self.path.join("pg-run"))
                    .username(role)
                    .database("loupe"),
            )
            .await
            .unwrap()
    }

    /// `pg_ctl` on the folder's cluster, as the user that owns it.
    fn pg_ctl(&self, args: &[&str]) -> std::process::ExitStatus {
        pg_command("pg_ctl")
            .arg("-D")
            .arg(self.path.join("pg"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for n in 0..self.servers.len() {
                let log = std::fs::read_to_string(self.log(n)).unwrap_or_default();
                eprintln!("--- loupe serve #{n}:\n{log}");
            }
        }
        for child in &mut self.servers {
            let _ = child.kill();
            let _ = child.wait();
        }
        if self.path.join("pg/postmaster.pid").exists() {
            let _ = self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A PostgreSQL program as Loupe runs it: as the `postgres` OS user when the tests run as root.
fn pg_command(program: &str) -> Command {
    let bin = std::env::var_os("LOUPE_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
                .unwrap()
                .flatten()
                .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
                .collect();
            versions.sort();
            versions.pop().expect("PostgreSQL binaries").1
        });
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(bin.join(program));
        cmd
    } else {
        Command::new(bin.join(program))
    }
}

fn base(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

async fn healthz(base: &str) -> Option<u16> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

async fn wait_healthy(base: &str, bound: Duration) -> Duration {
    let started = Instant::now();
    while healthz(base).await != Some(200) {
        assert!(
            started.elapsed() < bound,
            "{base} not healthy within {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

/// A reviewer in a browser that keeps going through server outages: every failure (refused
/// connection, 5xx) is retried a moment later, and only a 2xx counts as acknowledged.
struct Reviewer {
    name: String,
    cookie: String,
    base: String,
    http: reqwest::Client,
}

impl Reviewer {
    async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Option<Value> {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("cookie", &self.cookie)
            .header("origin", &self.base)
            .form(form)
            .send()
            .await
            .ok()?;
        if !res.status().is_success() {
            return None;
        }
        res.json().await.ok()
    }

    /// Reviews until the queue has nothing for this reviewer; the tasks whose review the server
    /// acknowledged. `acked` counts acknowledgements across reviewers.
    async fn work(self, acked: Arc<AtomicUsize>) -> (String, Vec<String>) {
        let mut mine = Vec::new();
        let started = Instant::now();
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{} never finished",
                self.name
            );
            let Some(current) = self.call("review/current", &[]).await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let Some(id) = current["id"].as_str().map(str::to_owned) else {
                return (self.name, mine);
            };
            let form = [
                ("task_id", id.as_str()),
                ("rating", "4"),
                ("verdict", "accept"),
                ("comment", "ok"),
            ];
            if self.call("review/submit", &form).await.is_some() {
                mine.push(id);
                acked.fetch_add(1, Ordering::SeqCst);
            } else {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// One task sent through the pipeline API with a token the CLI made.
async fn ingest(base: &str, token: &str, external_id: &str) {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/tasks"))
        .bearer_auth(token)
        .json(&crate::helpers::task(external_id, 0.1))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "ingest: {}", res.status());
}

/// Every acknowledged review is stored, and no task has more reviews than it asked for.
async fn assert_acknowledged_reviews_stored_once(pool: &PgPool, acked: &[(String, Vec<String>)]) {
    let mut total = 0;
    for (name, tasks) in acked {
        for id in tasks {
            let stored: i64 = sqlx::query_scalar(
                "select count(*) from reviews r join users u on u.id = r.reviewer_id
                 where u.username = $1 and r.task_id = $2::uuid",
            )
            .bind(name)
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
            assert_eq!(
                stored, 1,
                "acknowledged review of {id} by {name} stored {stored} times"
            );
            total += 1;
        }
    }
    let overfull: i64 = sqlx::query_scalar(
        "select count(*) from (select r.task_id from reviews r join tasks t on t.id = r.task_id
                               group by r.task_id, t.reviews_required
                               having count(*) > t.reviews_required) x",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        overfull, 0,
        "some task was reviewed more often than it needed"
    );
    let stored: i64 = sqlx::query_scalar("select count(*) from reviews")
        .fetch_one(pool)
        .await
        .unwrap();
    // A review cut off by the fault may be stored without having been acknowledged; never fewer.
    assert!(
        stored >= total,
        "{stored} reviews stored, {total} acknowledged"
    );
}

/// Sends `count` tasks (each needing one review) through the pipeline API and starts four
/// reviewers on them; returns their handles and the shared acknowledgement count.
async fn reviewers_at_work(
    port: u16,
    pool: &PgPool,
    count: usize,
) -> (
    Vec<tokio::task::JoinHandle<(String, Vec<String>)>>,
    Arc<AtomicUsize>,
) {
    let app = crate::helpers::TestApp::attach(pool.clone(), ([127, 0, 0, 1], port).into()).await;
    let tasks: Vec<Value> = (0..count)
        .map(|i| crate::helpers::task(&format!("fault-{i}"), 0.1))
        .collect();
    app.submit(Value::Array(tasks)).await;
    let acked = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for i in 0..4 {
        let name = format!("rev{i}");
        let session = app.reviewer(&name).await;
        let reviewer = Reviewer {
            name,
            cookie: session.cookie,
            base: base(port),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        };
        handles.push(tokio::spawn(reviewer.work(acked.clone())));
    }
    (handles, acked)
}

async fn wait_for_acks(acked: &AtomicUsize, at_least: usize) {
    let started = Instant::now();
    while acked.load(Ordering::SeqCst) < at_least {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "reviewers made no progress"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_second_serve_on_the_same_data_folder_is_refused_and_the_first_keeps_serving() {
    let mut folder = Folder::new("second");
    let port = free_port();
    let first = folder.serve(port, &[]).await;
    let postmaster = folder.postmaster_pid().expect("cluster running");

    let log = folder.log(folder.servers.len());
    let second = folder
        .loupe()
        .args(["serve", "--addr", &format!("127.0.0.1:{}", free_port())])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    folder.servers.push(second);
    let second = folder.servers.len() - 1;
    let status = folder.wait_exit(second, Duration::from_secs(30)).await;
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success(), "the second server started: {err}");
    assert!(err.contains(&format!("pid {}", folder.pid(first))), "{err}");
    assert!(err.contains(folder.path.to_str().unwrap()), "{err}");

    // The first still serves from the same, still running, PostgreSQL.
    assert_eq!(healthz(&base(port)).await, Some(200));
    assert_eq!(folder.postmaster_pid(), Some(postmaster));
    // A command-line task beside it works and leaves its cluster alone.
    assert!(cli(&folder.path, &["user", "list"], None).contains("admin"));
    assert_eq!(folder.postmaster_pid(), Some(postmaster));
    assert_eq!(healthz(&base(port)).await, Some(200));

    folder.stop(first).await;
}

#[tokio::test]
async fn a_killed_postmaster_is_restarted_and_loupe_answers_again_without_a_restart() {
    let mut folder = Folder::new("postmaster");
    let port = free_port();
    let server = folder.serve(port, &[]).await;
    let token = cli(&folder.path, &["token", "create", "pm"], None)
        .trim()
        .to_owned();
    let old = folder.postmaster_pid().unwrap();
    // SAFETY: the postmaster of this test's own cluster.
    unsafe { libc::kill(old, libc::SIGKILL) };
    let started = Instant::now();
    while folder.postmaster_pid().is_none_or(|pid| pid == old)
        || healthz(&base(port)).await != Some(200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no recovery within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        folder.servers[server].try_wait().unwrap().is_none(),
        "loupe exited"
    );
    // Writes work again through the pool.
    ingest(&base(port), &token, "after").await;
    folder.stop(server).await;
}

#[tokio::test]
async fn a_postmaster_that_cannot_be_restarted_makes_loupe_exit_non_zero() {
    let mut folder = Folder::new("gives-up");
    let port = free_port();
    let server = folder.serve(port, &[]).await;
    // Without its configuration file the cluster cannot start again.
    let conf = folder.path.join("pg/postgresql.conf");
    std::fs::rename(&conf, conf.with_extension("away")).unwrap();
    // SAFETY: the postmaster of this test's own cluster.
    unsafe { libc::kill(folder.postmaster_pid().unwrap(), libc::SIGKILL) };
    let status = folder.wait_exit(server, Duration::from_secs(120)).await;
    assert!(
        !status.success(),
        "loupe exited with success after losing PostgreSQL"
    );
    let log = std::fs::read_to_string(folder.log(server)).unwrap();
    assert!(log.contains("restarts did not keep it running"), "{log}");
}

/// What happens to the service while reviewers submit.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// `kill -9` of Loupe, then a new `loupe serve` on the same folder.
    KillLoupe,
    /// `pg_ctl restart -m fast` of its cluster; Loupe is left alone.
    RestartPostgres,
}

/// Four reviewers work through 200 tasks over HTTP; `fault` strikes after 30 acknowledged
/// reviews. Afterwards the reviewers finish the queue, every acknowledged review is stored, and
/// none twice.
async fn reviewers_survive(fault: Fault) {
    let mut folder = Folder::new("fault");
    let port = free_port();
    let mut server = folder.serve(port, &[]).await;
    let pool = folder.pool().await;
    let (reviewers, acked) = reviewers_at_work(port, &pool, 200).await;
    wait_for_acks(&acked, 30).await;

    match fault {
        Fault::KillLoupe => {
            folder.signal(server, libc::SIGKILL);
            folder.wait_exit(server, Duration::from_secs(10)).await;
            // The same folder, the cluster the killed server left running: no stale lock.
            server = folder.serve(port, &[]).await;
        }
        Fault::RestartPostgres => {
            let old = folder.postmaster_pid().unwrap();
            let pg = folder.path.join("pg");
            let restart = tokio::task::spawn_blocking(move || {
                pg_command("pg_ctl")
                    .arg("-D")
                    .arg(pg)
                    .args(["restart", "-m", "fast", "-w"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap()
            })
            .await
            .unwrap();
            assert!(restart.success(), "pg_ctl restart failed");
            assert_ne!(
                folder.postmaster_pid(),
                Some(old),
                "PostgreSQL was not restarted"
            );
            // Loupe answers again within seconds, the same process.
            wait_healthy(&base(port), Duration::from_secs(10)).await;
            assert!(
                folder.servers[server].try_wait().unwrap().is_none(),
                "loupe exited"
            );
        }
    }
    let at_fault = acked.load(Ordering::SeqCst);

    let mut results = Vec::new();
    for handle in reviewers {
        results.push(handle.await.unwrap());
    }
    let total: usize = results.iter().map(|(_, t)| t.len()).sum();
    assert!(
        total > at_fault,
        "no review was acknowledged after the fault"
    );
    let unfinished: i64 =
        sqlx::query_scalar("select count(*) from tasks where status <> 'reviewed'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(unfinished, 0, "the reviewers did not finish the queue");
    assert_acknowledged_reviews_stored_once(&pool, &results).await;
    pool.close().await;
    folder.stop(server).await;
}

#[tokio::test]
async fn kill_9_of_loupe_while_reviewers_submit_loses_no_acknowledged_review_and_stores_none_twice()
{
    reviewers_survive(Fault::KillLoupe).await;
}

#[tokio::test]
async fn a_postgres_restart_under_load_is_survived_without_restarting_loupe() {
    reviewers_survive(Fault::RestartPostgres).await;
}

#[tokio::test]
async fn a_request_still_running_at_sigterm_delays_the_stop_only_until_the_deadline() {
    use tokio::io::AsyncWriteExt;
    let mut folder = Folder::new("deadline");
    let port = free_port();
    let server = folder.serve(port, &[("LOUPE_SHUTDOWN_SECONDS", "1")]).await;
    let token = cli(&folder.path, &["token", "create", "dl"], None)
        .trim()
        .to_owned();
    // A request whose body never finishes arriving: the server waits for it as long as it lives.
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/tasks HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: 100000\r\n\r\n{{\"document\": \""
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    folder.stop(server).await;
    drop(stalled);
}

#[tokio::test]
async fn the_server_connects_to_its_own_cluster_as_a_role_without_superuser_rights() {
    let mut folder = Folder::new("role");
    let port = free_port();
    let server = folder.serve(port, &[]).await;
    let pool = folder.pool().await;
    // The server's own sessions, as PostgreSQL sees them.
    let roles: Vec<(String, bool, bool, bool)> = sqlx::query_as(
        "select r.rolname, r.rolsuper, r.rolcreatedb, r.rolcreaterole
         from pg_stat_activity a join pg_roles r on r.oid = a.usesysid
         where a.application_name = 'loupe' and a.datname = 'loupe'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!roles.is_empty(), "no session of the server found");
    for (name, superuser, createdb, createrole) in &roles {
        assert_eq!(name, "loupe_app");
        assert!(
            !superuser && !createdb && !createrole,
            "{name} has more rights than it needs"
        );
    }
    // Connected as that role: no superuser, no schema changes, no server files.
    let app = folder.pool_as("loupe_app").await;
    let superuser: bool =
        sqlx::query_scalar("select rolsuper from pg_roles where rolname = current_user")
            .fetch_one(&app)
            .await
            .unwrap();
    assert!(!superuser);
    for sql in [
        "create table sneaky (x int)",
        "drop table reviews",
        "select pg_read_file('postgresql.conf')",
        "delete from _sqlx_migrations",
        "create role sneaky superuser",
    ] {
        let refused = sqlx::query(sql).execute(&app).await.is_err();
        assert!(refused, "loupe_app may run {sql}");
    }
    // And the rows it needs, it can read.
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app)
        .await
        .unwrap();
    assert_eq!(users, 1, "the admin account");
    app.close().await;
    pool.close().await;
    folder.stop(server).await;
}
