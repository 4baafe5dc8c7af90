//! The `loupe` binary as a person runs it: first start with its own PostgreSQL, the CLI beside a
//! running server, a clean stop on SIGTERM, and a restart that finds everything where it was.

use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_loupe");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn loupe(data: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("LOUPE_DATA_DIR", data)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn");
    cmd
}

/// Starts `loupe serve` and waits for /healthz; returns the child and its base URL.
async fn serve(data: &Path, port: u16) -> (Child, String) {
    let child = loupe(data)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env_remove("LOUPE_ADMIN_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if let Ok(res) = reqwest::get(format!("{base}/healthz")).await
            && res.status() == 200
        {
            return (child, base);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "loupe did not become healthy"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// SIGTERM, then the exit status and everything the server printed.
fn stop(child: Child) -> (std::process::ExitStatus, String) {
    // SAFETY: kill only sends a signal to the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let output = child.wait_with_output().unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn cli(data: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = loupe(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "loupe {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn loupe_starts_its_own_postgres_stops_it_on_sigterm_and_keeps_the_data() {
    let data = std::env::temp_dir().join(format!("loupe-process-{}", uuid::Uuid::new_v4()));
    let port = free_port();

    let (server, base) = serve(&data, port).await;
    // The CLI works on the same data folder while the server runs.
    let token = cli(&data, &["token", "create", "process-test"], None)
        .trim()
        .to_owned();
    cli(
        &data,
        &["user", "add", "pat", "--password-stdin"],
        Some("pat-password-123"),
    );
    let http = reqwest::Client::new();
    let receipt: Value = http
        .post(format!("{base}/api/v1/tasks"))
        .bearer_auth(&token)
        .json(&json!({"document": "d", "summary": "s", "confidence": 0.1, "model": "m", "external_id": "kept"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (status, printed) = stop(server);
    assert!(status.success(), "exit status {status}");
    // The first start made the admin account and printed its generated password, once.
    assert!(
        printed.contains("username: admin") && printed.contains("password: "),
        "{printed}"
    );
    assert!(printed.contains("Loupe is running at"), "{printed}");
    assert!(
        !data.join("pg/postmaster.pid").exists(),
        "PostgreSQL still running after Loupe exited"
    );

    // The CLI also works while nothing runs: it starts the cluster for itself and stops it again.
    cli(
        &data,
        &["user", "add", "quinn", "--password-stdin"],
        Some("quinn-password-123"),
    );
    assert!(!data.join("pg/postmaster.pid").exists());

    let (server, base) = serve(&data, port).await;
    let res = http
        .get(format!(
            "{base}/api/v1/tasks/{}",
            receipt["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the task did not survive the restart");
    let login = http
        .post(format!("{base}/api/login"))
        .form(&[("username", "quinn"), ("password", "quinn-password-123")])
        .send()
        .await
        .unwrap();
    assert!(
        login.headers().get("set-cookie").is_some(),
        "the user added offline cannot sign in"
    );
    let (status, printed) = stop(server);
    assert!(status.success());
    assert!(
        !printed.contains("password:"),
        "the admin password must be printed only on the first start"
    );
    let _ = std::fs::remove_dir_all(&data);
}
