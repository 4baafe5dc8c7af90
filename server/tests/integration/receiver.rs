//! A webhook receiver for tests: a real HTTP server on a local port that records every request
//! and answers with scripted status codes (200 once the script runs out).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub delivery: String,
    pub signature: String,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Checks `Loupe-Signature` the way a receiver should: HMAC-SHA256 over "<t>.<body>".
    pub fn signed_with(&self, secret: &str) -> bool {
        let Some((t, v1)) = self
            .signature
            .split_once(',')
            .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        else {
            return false;
        };
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(&self.body);
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        expected == v1
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    script: VecDeque<u16>,
    delay: Duration,
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    /// Listens on a free port; the first answers follow `script`, the rest are 200.
    pub async fn start(script: &[u16]) -> Receiver {
        Self::start_on("127.0.0.1:0", script, Duration::ZERO).await
    }

    pub async fn start_on(addr: &str, script: &[u16], delay: Duration) -> Receiver {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Mutex::new(Inner {
            script: script.iter().copied().collect(),
            delay,
            ..Default::default()
        }));
        let app = axum::Router::new()
            .route("/hook", post(record))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, inner }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Waits until at least `n` requests arrived (panics after `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < within,
                "expected {n} webhook requests, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn record(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::http::StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (status, delay) = {
        let mut inner = inner.lock().unwrap();
        inner.received.push(Received {
            event: header("loupe-event"),
            delivery: header("loupe-delivery"),
            signature: header("loupe-signature"),
            body: body.to_vec(),
        });
        (inner.script.pop_front().unwrap_or(200), inner.delay)
    };
    tokio::time::sleep(delay).await;
    axum::http::StatusCode::from_u16(status).unwrap()
}
