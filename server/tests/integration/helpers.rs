//! A running Loupe for one test: the real router on a random local port, a token, users, and
//! clients for the JSON API and for the server functions the browser calls.

use app::domain::Role;
use app::state::Settings;
use leptos::config::LeptosOptions;
use reqwest::{Client, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use server::api::auth::Scope;
use sqlx::PgPool;
use std::net::SocketAddr;

/// Loupe serving one test's database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: PgPool,
    pub token: String,
    pub http: Client,
}

impl TestApp {
    pub async fn spawn(pool: PgPool) -> TestApp {
        Self::spawn_with(pool, Settings::default()).await
    }

    pub async fn spawn_with(pool: PgPool, settings: Settings) -> TestApp {
        Self::spawn_limited(pool, settings, server::serve::Limits::default()).await
    }

    /// Loupe served with the given edge limits (short timeouts for the attack tests).
    ///
    /// The outbound policy admits 127.0.0.1, where the tests' webhook receiver listens (as
    /// scripts/test.sh admits it with LOUPE_WEBHOOK_ALLOW); [`TestApp::spawn_strict`] does not.
    pub async fn spawn_limited(
        pool: PgPool,
        mut settings: Settings,
        limits: server::serve::Limits,
    ) -> TestApp {
        settings.outbound = receiver_allowed();
        Self::serve(pool, settings, limits).await
    }

    /// Loupe with the outbound policy as given (the default refuses every internal target).
    pub async fn spawn_strict(pool: PgPool, settings: Settings) -> TestApp {
        Self::serve(pool, settings, server::serve::Limits::default()).await
    }

    async fn serve(pool: PgPool, settings: Settings, limits: server::serve::Limits) -> TestApp {
        // Server logs go to the test's captured output: shown only when the test fails.
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let leptos_options = LeptosOptions::builder()
            .output_name("loupe")
            .site_root("target/site")
            .site_addr(addr)
            .build();
        // Built as `loupe serve` builds it, with the webhook worker's retries quick enough for a
        // test; no support worker or sweep, so a test decides when those run.
        let workers = server::loupe::Workers {
            delivery: test_worker_settings(),
            support: None,
            sweep: None,
            search: None,
        };
        let loupe =
            server::loupe::Loupe::build(leptos_options, pool.clone(), settings, workers).unwrap();
        // Served as `loupe serve` serves it: the same accept loop and limits.
        tokio::spawn(server::serve::serve(
            listener,
            loupe.router,
            limits,
            std::future::pending(),
        ));
        Self::attach(pool, addr).await
    }

    /// A client for a Loupe already serving `pool`'s database at `addr` (another process).
    pub async fn attach(pool: PgPool, addr: SocketAddr) -> TestApp {
        let token = server::cli::create_token(&pool, "test pipeline", &Scope::ALL, &[])
            .await
            .unwrap();
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            addr,
            pool,
            token,
            http,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POSTs a JSON body (raw text, so malformed JSON can be sent too) with the test token.
    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> Response {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.post_raw(path, body.to_string()).await
    }

    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap())
    }

    /// Any method with the test token and an optional JSON body; the answer's status and JSON
    /// (`null` for an empty body).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_as(&self.token, method, path, body).await
    }

    /// [`TestApp::call`] with another token.
    pub async fn call_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let bytes = res.bytes().await.unwrap();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, json)
    }

    /// Submits tasks and returns the receipts (one object, or the batch's array).
    pub async fn submit(&self, body: Value) -> Value {
        let res = self.post_json("/api/v1/tasks", &body).await;
        assert!(res.status().is_success(), "submit failed: {}", res.status());
        let json: Value = res.json().await.unwrap();
        json.get("tasks").cloned().unwrap_or(json)
    }

    /// Adds a user with a known password and signs them in.
    pub async fn reviewer(&self, name: &str) -> Session {
        self.user(name, Role::Reviewer).await
    }

    pub async fn user(&self, name: &str, role: Role) -> Session {
        let password = format!("{name}-password-123");
        server::cli::add_user(&self.pool, name, role, Some(password.clone()))
            .await
            .unwrap();
        self.login(name, &password).await.expect("login")
    }

    pub async fn login(&self, name: &str, password: &str) -> Result<Session, Value> {
        let res = self
            .http
            .post(self.url("/api/login"))
            .header("origin", self.url(""))
            .form(&[("username", name), ("password", password)])
            .send()
            .await
            .unwrap();
        match session_cookie(&res) {
            Some(cookie) => Ok(Session {
                cookie,
                base: self.url(""),
                http: self.http.clone(),
            }),
            None => Err(res.json().await.unwrap()),
        }
    }

    pub async fn count(&self, table: &str) -> i64 {
        // Table names come from the tests themselves, never from input.
        let sql = format!("select count(*) from {table}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// The `loupe_session=…` pair a sign-in answer sets, ready for a `Cookie` header.
pub fn session_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("loupe_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// The outbound policy the tests' receiver needs: 127.0.0.1 admitted, nothing else.
pub fn receiver_allowed() -> app::outbound::Policy {
    app::outbound::Policy::new(vec!["127.0.0.1/32".parse().unwrap()])
}

/// Webhook worker settings for tests: a first retry after 300 ms, polling every 50 ms.
pub fn test_worker_settings() -> server::delivery_worker::WorkerSettings {
    server::delivery_worker::WorkerSettings {
        timeout: std::time::Duration::from_secs(5),
        first_retry: std::time::Duration::from_millis(300),
        poll: std::time::Duration::from_millis(50),
        ..Default::default()
    }
}

/// A one-task body with the given confidence.
pub fn task(external_id: &str, confidence: f64) -> Value {
    serde_json::json!({
        "document": format!("Source document for {external_id}. It says several things."),
        "summary": format!("Summary of {external_id}."),
        "confidence": confidence,
        "model": "summarizer",
        "model_version": "1.0",
        "external_id": external_id,
    })
}

/// [`task`] in the project with slug `project`.
pub fn in_project(external_id: &str, confidence: f64, project: &str) -> Value {
    let mut t = task(external_id, confidence);
    t["project"] = serde_json::json!(project);
    t
}

/// A signed-in browser, calling server functions the way the page does.
#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    base: String,
    http: Client,
}

impl Session {
    /// Calls a server function with form fields; `Ok` holds the decoded result, `Err` the error
    /// JSON the page would receive.
    pub async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Result<T, Value> {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("cookie", &self.cookie)
            // A browser names the page's origin on every post (see server/src/csrf.rs).
            .header("origin", &self.base)
            .form(form)
            .send()
            .await
            .unwrap();
        if res.status().is_success() {
            Ok(res.json().await.unwrap())
        } else {
            Err(res.json().await.unwrap())
        }
    }

    /// Posts to a server function with no body and no content type, as `navigator.sendBeacon`
    /// does; answers the status.
    pub async fn beacon(&self, endpoint: &str) -> StatusCode {
        self.http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("cookie", &self.cookie)
            .header("origin", &self.base)
            .send()
            .await
            .unwrap()
            .status()
    }

    pub async fn current_task(&self) -> Option<Value> {
        self.call::<Option<Value>>("review/current", &[])
            .await
            .expect("current task")
    }

    pub async fn review(&self, task_id: &str, rating: &str, verdict: &str) -> Result<(), Value> {
        self.call::<Value>(
            "review/submit",
            &[
                ("task_id", task_id),
                ("rating", rating),
                ("verdict", verdict),
                ("comment", "checked"),
            ],
        )
        .await
        .map(drop)
    }

    pub async fn get_page(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }
}
