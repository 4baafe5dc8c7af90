//! Drives the review loop through Loupe's HTTP server functions and prints one JSON line:
//! reviews per second, loop latency p50 / p99 (one loop = `review/next` + `review/submit`),
//! CPU seconds spent by Loupe and by PostgreSQL while it ran, and how many tasks were handed to
//! more than one reviewer (must be zero).
//!
//! Usage: loop-bench URL PASSWORD REVIEWERS SECONDS LOUPE_PID POSTMASTER_PID
//! Reviewers are `bench-r1` … `bench-rN`, all with PASSWORD (bench/loop.sh creates them).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

struct Reviewer {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Reviewer {
    async fn sign_in(http: reqwest::Client, base: &str, name: &str, password: &str) -> Reviewer {
        let res = http
            .post(format!("{base}/api/login"))
            .header("origin", base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username={name}&password={password}"))
            .send()
            .await
            .expect("login request");
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.contains("loupe_session="))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{name} could not sign in: {}", res.status()));
        Reviewer {
            http,
            base: base.to_owned(),
            cookie,
        }
    }

    async fn call(&self, endpoint: &str, body: String) -> serde_json::Value {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("cookie", &self.cookie)
            .header("origin", &self.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        assert!(status.is_success(), "{endpoint}: {status} {text}");
        serde_json::from_str(&text).expect("json")
    }
}

/// CPU seconds (user + system) of one process, from /proc.
fn cpu_of(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// CPU seconds of one PostgreSQL cluster, and no other on the machine: (the backends serving
/// Loupe's pool; everything: those plus the postmaster and its background processes, such as
/// autovacuum, the checkpointer and the WAL writer).
fn postgres_cpu(postmaster: u32) -> (f64, f64) {
    let mut backends = 0.0;
    let mut total = cpu_of(postmaster);
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let parent = status
            .lines()
            .find_map(|l| l.strip_prefix("PPid:"))
            .and_then(|p| p.trim().parse::<u32>().ok());
        if parent == Some(postmaster) {
            let cpu = cpu_of(pid);
            total += cpu;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).starts_with("postgres: loupe_app") {
                backends += cpu;
            }
        }
    }
    (backends, total)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, password, reviewers, seconds, loupe_pid, postmaster] = &args[..] else {
        eprintln!("usage: loop-bench URL PASSWORD REVIEWERS SECONDS LOUPE_PID POSTMASTER_PID");
        std::process::exit(2);
    };
    let reviewers: usize = reviewers.parse().unwrap();
    let run_for = Duration::from_secs_f64(seconds.parse().unwrap());
    let loupe_pid: u32 = loupe_pid.parse().unwrap();
    let postmaster: u32 = postmaster.parse().unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(reviewers)
        .build()
        .unwrap();

    let mut signed_in = Vec::new();
    for i in 1..=reviewers {
        signed_in
            .push(Reviewer::sign_in(http.clone(), base, &format!("bench-r{i}"), password).await);
    }
    // Every task id each reviewer was handed, to find any handed to two.
    let handed: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let (cpu_loupe, cpu_pg) = (cpu_of(loupe_pid), postgres_cpu(postmaster));
    let started = Instant::now();
    let mut workers = Vec::new();
    for reviewer in signed_in {
        let handed = handed.clone();
        workers.push(tokio::spawn(async move {
            let mut loops = Vec::new();
            while started.elapsed() < run_for {
                let t = Instant::now();
                let task = reviewer.call("review/next", String::new()).await;
                let Some(id) = task.get("id").and_then(|v| v.as_str()).map(str::to_owned) else {
                    break; // the queue ran dry
                };
                reviewer
                    .call(
                        "review/submit",
                        format!("task_id={id}&rating=4&verdict=accept"),
                    )
                    .await;
                loops.push(t.elapsed().as_secs_f64() * 1000.0);
                // Each loop submits what it was handed, so no id may come back, to anyone.
                *handed.lock().await.entry(id).or_insert(0) += 1;
            }
            loops
        }));
    }
    let mut loops = Vec::new();
    for w in workers {
        loops.extend(w.await.expect("reviewer"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_loupe = cpu_of(loupe_pid) - cpu_loupe;
    let pg_now = postgres_cpu(postmaster);
    let (cpu_backends, cpu_pg) = (pg_now.0 - cpu_pg.0, pg_now.1 - cpu_pg.1);
    loops.sort_by(f64::total_cmp);
    let reviews = loops.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "reviewers": reviewers,
            "reviews": loops.len(),
            "reviews_per_s": reviews / elapsed,
            "p50_ms": percentile(&loops, 0.5),
            "p99_ms": percentile(&loops, 0.99),
            "cpu_ms_per_review_loupe": cpu_loupe * 1000.0 / reviews,
            "cpu_ms_per_review_pg_backends": cpu_backends * 1000.0 / reviews,
            "cpu_ms_per_review_pg": cpu_pg * 1000.0 / reviews,
            "handed_twice": handed.lock().await.values().filter(|&&n| n > 1).count(),
        })
    );
}
