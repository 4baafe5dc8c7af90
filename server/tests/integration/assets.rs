//! What the server sends over the wire: built assets as their precompressed copies, pages and
//! JSON compressed on the way out.

use app::state::{AppState, Settings};
use leptos::config::LeptosOptions;
use reqwest::Client;
use sqlx::PgPool;
use std::sync::Arc;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn assets_are_sent_as_their_precompressed_copies_and_json_is_compressed(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("loupe-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/loupe.js"), "console.log('raw');").unwrap();
    std::fs::write(site.join("pkg/loupe.js.br"), b"brotli bytes").unwrap();
    std::fs::write(site.join("pkg/loupe.js.gz"), b"gzip bytes").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState {
        leptos_options: LeptosOptions::builder()
            .output_name("loupe")
            .site_root(site.to_str().unwrap())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build(),
        pool: pool.clone(),
        settings: Arc::new(Settings::default()),
        metrics: Default::default(),
    };
    tokio::spawn(async move { axum::serve(listener, server::router(state)).await });
    let http = Client::new();
    let get = |accept: &'static str| {
        let http = http.clone();
        async move {
            let res = http
                .get(format!("http://{addr}/pkg/loupe.js"))
                .header("accept-encoding", accept)
                .send()
                .await
                .unwrap();
            let encoding = res
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_owned());
            (res.status(), encoding, res.bytes().await.unwrap())
        }
    };
    let (status, enc, body) = get("gzip, deflate, br").await;
    assert_eq!(
        (status.as_u16(), enc.as_deref(), &body[..]),
        (200, Some("br"), &b"brotli bytes"[..])
    );
    let (_, enc, body) = get("gzip").await;
    assert_eq!(
        (enc.as_deref(), &body[..]),
        (Some("gzip"), &b"gzip bytes"[..])
    );
    let (_, enc, body) = get("identity").await;
    assert_eq!((enc, &body[..]), (None, &b"console.log('raw');"[..]));

    // A JSON answer is compressed when the client accepts it, and decodes to the same document.
    let token = server::cli::create_token(&pool, "assets", &server::api::auth::Scope::ALL, &[])
        .await
        .unwrap();
    let res = http
        .get(format!("http://{addr}/api/v1/openapi.json"))
        .bearer_auth(&token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let compressed = res.bytes().await.unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut plain,
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(doc["info"]["title"], "Loupe API");
    assert!(
        compressed.len() * 3 < plain.len(),
        "{} compressed vs {} plain",
        compressed.len(),
        plain.len()
    );
    let _ = std::fs::remove_dir_all(&site);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_streamed_export_compressed_on_the_way_decodes_to_the_same_file(pool: PgPool) {
    let app = crate::helpers::TestApp::spawn(pool.clone()).await;
    server::generate::load(
        &pool,
        &server::generate::Spec {
            prefix: "gz-".into(),
            tasks: 3_000,
            reviews: None,
            days: 10,
            reviewers: 3,
        },
    )
    .await
    .unwrap();
    let fetch = |encoding: &'static str| {
        let req = app
            .http
            .get(app.url("/api/v1/export?format=csv"))
            .bearer_auth(&app.token)
            .header("accept-encoding", encoding);
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            let gz = res.headers().get("content-encoding").is_some();
            (gz, res.bytes().await.unwrap())
        }
    };
    let (plain_encoded, plain) = fetch("identity").await;
    assert!(!plain_encoded);
    assert!(
        plain.len() > 64 * 1024,
        "the export should span several chunks"
    );
    let (gz, compressed) = fetch("gzip").await;
    assert!(gz);
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, plain.to_vec());
}
