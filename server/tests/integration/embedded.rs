//! The private PostgreSQL cluster: created on first start, data kept across restarts, stopped
//! cleanly, socket only.

use server::embedded::Cluster;
use sqlx::{ConnectOptions, Connection};

#[tokio::test]
async fn the_private_cluster_keeps_its_data_across_restarts() {
    let dir = std::env::temp_dir().join(format!("loupe-embedded-{}", uuid::Uuid::new_v4()));
    let cluster = Cluster::start(&dir).await.expect("first start");
    assert!(cluster.started_here);
    assert!(dir.join("pg/PG_VERSION").exists());
    let mut conn = cluster.connect_options().connect().await.unwrap();
    sqlx::query("create table kept (v text)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("insert into kept values ('still here')")
        .execute(&mut conn)
        .await
        .unwrap();
    // No TCP listener: only the Unix socket.
    let listen: String = sqlx::query_scalar("show listen_addresses")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(listen, "");
    conn.close().await.unwrap();

    // A second start while it runs adopts the running server instead of starting another.
    let adopted = Cluster::start(&dir).await.expect("adopt");
    assert!(!adopted.started_here);

    cluster.stop().await.expect("stop");
    assert!(
        cluster.connect_options().connect().await.is_err(),
        "still answering after stop"
    );

    let again = Cluster::start(&dir).await.expect("restart");
    assert!(again.started_here);
    let mut conn = again.connect_options().connect().await.unwrap();
    let v: String = sqlx::query_scalar("select v from kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(v, "still here");
    conn.close().await.unwrap();
    again.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[sqlx::test(migrations = false)]
async fn with_a_database_url_loupe_uses_that_server_and_migrates_it(pool: sqlx::PgPool) {
    let url = pool.connect_options().to_url_lossy().to_string();
    let args = server::config::DbArgs {
        data_dir: "/nonexistent/loupe-data".into(),
        database_url: Some(url),
        migrate_database_url: None,
        db_pool_size: Some(4),
    };
    let database = server::db::open(&args)
        .await
        .expect("open with DATABASE_URL");
    assert!(
        database.cluster.is_none(),
        "no private cluster when a URL is given"
    );
    assert_eq!(
        database.pool.options().get_max_connections(),
        4,
        "the pool size set"
    );
    let defaults: f64 =
        sqlx::query_scalar("select threshold from routing_settings where model = '*'")
            .fetch_one(&database.pool)
            .await
            .unwrap();
    assert_eq!(defaults, 0.8);
    database.close().await;
}
