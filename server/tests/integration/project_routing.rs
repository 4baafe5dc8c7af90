//! Routing settings per project (issue 16): a project's own threshold, audit rate and reviews per
//! task route its outputs and no other project's; a project without rows of its own follows the
//! default project's, in the one order the rule states; a token limited to a project reads and
//! changes only its settings; the admin form changes the project it names.

use crate::helpers::{TestApp, in_project, task};
use app::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::api::auth::Scope;

/// What one output became: its reason and the reviews it needs.
async fn routed(app: &TestApp, body: Value) -> (String, i64, f64) {
    let receipt = app.submit(body).await;
    let (status, shown) = app
        .get_json(&format!(
            "/api/v1/tasks/{}",
            receipt["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    (
        shown["reason"].as_str().unwrap().to_owned(),
        shown["reviews_required"].as_i64().unwrap(),
        shown["threshold"].as_f64().unwrap(),
    )
}

fn model(mut body: Value, name: &str) -> Value {
    body["model"] = json!(name);
    body
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_projects_own_settings_route_its_outputs_and_no_one_elses(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for slug in ["legal", "medical"] {
        server::cli::add_project(&pool, slug, None, false)
            .await
            .unwrap();
    }
    // Confident rest never sampled, so every outcome below is decided by the threshold.
    let (status, _) = app
        .call("PUT", "/api/v1/routing/%2A", Some(json!({"audit_rate": 0})))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, set) = app
        .call(
            "PUT",
            "/api/v1/routing/%2A?project=legal",
            Some(json!({"threshold": 0.95, "reviews_per_task": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(
        (&set["project"], &set["model"], &set["threshold"]),
        (&json!("legal"), &json!("*"), &json!(0.95))
    );
    // Fields left out start from what was in force: the default project's audit rate.
    assert_eq!(set["audit_rate"], json!(0.0));

    // Legal's outputs follow legal's settings; the default project's and medical's do not.
    assert_eq!(
        routed(&app, in_project("l-1", 0.9, "legal")).await,
        ("low_confidence".to_owned(), 2, 0.95)
    );
    assert_eq!(
        routed(&app, task("d-1", 0.9)).await,
        ("auto_accepted".to_owned(), 1, 0.8)
    );
    assert_eq!(
        routed(&app, in_project("m-1", 0.9, "medical")).await,
        ("auto_accepted".to_owned(), 1, 0.8)
    );

    // The default project's defaults are unchanged, and the default project's list shows only
    // its own rows.
    let (_, defaults) = app.get_json("/api/v1/routing").await;
    assert_eq!(defaults.as_array().unwrap().len(), 1, "{defaults}");
    assert_eq!(
        (&defaults[0]["project"], &defaults[0]["threshold"]),
        (&json!("default"), &json!(0.8))
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_project_follows_its_own_rows_first_then_the_default_projects(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    server::cli::add_project(&pool, "legal", None, false)
        .await
        .unwrap();
    let put = |path: &'static str, body: Value| {
        let app = &app;
        async move {
            let (status, answer) = app.call("PUT", path, Some(body)).await;
            assert_eq!(status, StatusCode::OK, "{path}: {answer}");
            answer
        }
    };
    put("/api/v1/routing/%2A", json!({"audit_rate": 0})).await;
    put("/api/v1/routing/strict", json!({"threshold": 0.97})).await;
    let shown = |model: &'static str| {
        let app = &app;
        async move {
            let (status, s) = app
                .get_json(&format!("/api/v1/routing/{model}?project=legal"))
                .await;
            assert_eq!(status, StatusCode::OK, "{s}");
            (
                s["project"].as_str().unwrap().to_owned(),
                s["threshold"].as_f64().unwrap(),
            )
        }
    };

    // 1. Nothing of its own: the default project's row for the model, else its defaults.
    assert_eq!(shown("strict").await, ("default".to_owned(), 0.97));
    assert_eq!(shown("loose").await, ("default".to_owned(), 0.8));
    assert_eq!(
        routed(&app, model(in_project("l-1", 0.9, "legal"), "strict"))
            .await
            .0,
        "low_confidence"
    );
    let (_, list) = app.get_json("/api/v1/routing?project=legal").await;
    let rows: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["project"].as_str().unwrap(), r["model"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [("default", "*"), ("default", "strict")]);

    // 2. Its own defaults come before any of the default project's rows.
    put(
        "/api/v1/routing/%2A?project=legal",
        json!({"threshold": 0.5}),
    )
    .await;
    assert_eq!(shown("strict").await, ("legal".to_owned(), 0.5));
    assert_eq!(
        routed(&app, model(in_project("l-2", 0.9, "legal"), "strict"))
            .await
            .0,
        "auto_accepted"
    );
    let (_, list) = app.get_json("/api/v1/routing?project=legal").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // 3. Its own row for the model comes first of all.
    put(
        "/api/v1/routing/strict?project=legal",
        json!({"threshold": 0.99}),
    )
    .await;
    assert_eq!(shown("strict").await, ("legal".to_owned(), 0.99));
    assert_eq!(shown("loose").await, ("legal".to_owned(), 0.5));

    // Removing its rows walks back down the same order; the default project's defaults cannot
    // be removed, a project's can.
    let (status, _) = app
        .call("DELETE", "/api/v1/routing/strict?project=legal", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(shown("strict").await, ("legal".to_owned(), 0.5));
    let (status, _) = app
        .call("DELETE", "/api/v1/routing/%2A?project=legal", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(shown("strict").await, ("default".to_owned(), 0.97));
    let (status, answer) = app.call("DELETE", "/api/v1/routing/%2A", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["field"], "model");
    let (status, _) = app
        .call("DELETE", "/api/v1/routing/%2A?project=legal", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Each change is in the audit trail under the project's name.
    let targets: Vec<String> = sqlx::query_scalar(
        "select target from audit_log where action like 'routing.%' order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        targets,
        [
            "*",
            "strict",
            "legal/*",
            "legal/strict",
            "legal/strict",
            "legal/*"
        ]
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_token_limited_to_a_project_reads_and_changes_only_its_routing(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for slug in ["legal", "medical"] {
        server::cli::add_project(&pool, slug, None, false)
            .await
            .unwrap();
    }
    let limited = server::cli::create_token(
        &pool,
        "legal admin",
        &[Scope::Admin, Scope::Ingest],
        &["legal".to_owned()],
    )
    .await
    .unwrap();
    let call = |method: &'static str, path: &'static str, body: Option<Value>| {
        app.call_as(&limited, method, path, body)
    };

    // Without a project it means its own.
    let (status, set) = call(
        "PUT",
        "/api/v1/routing/%2A",
        Some(json!({"threshold": 0.9})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["project"], "legal");
    // Another project's, or the default project's, are refused and left as they were.
    for path in [
        "/api/v1/routing/%2A?project=medical",
        "/api/v1/routing/%2A?project=default",
    ] {
        let (status, answer) = call("PUT", path, Some(json!({"threshold": 0.1}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        assert_eq!(answer["field"], "project");
        let (status, _) = call("GET", path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call("DELETE", path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, answer) = call("GET", "/api/v1/routing?project=medical", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    // A project that does not exist reads exactly as one it may not use.
    let (status, unknown) = call("GET", "/api/v1/routing?project=nowhere", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{unknown}");
    assert_eq!(unknown, answer);
    let mut elsewhere = crate::helpers::in_project("x-1", 0.5, "nowhere");
    elsewhere["model"] = json!("m");
    let (status, refused) = call("POST", "/api/v1/tasks", Some(elsewhere)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["message"], answer["message"]);
    let thresholds: Vec<(i64, f64)> =
        sqlx::query_as("select project_id, threshold from routing_settings order by project_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(thresholds, [(1, 0.8), (2, 0.9)]);

    // A project that does not exist is named as the field at fault.
    let (status, answer) = app
        .call(
            "PUT",
            "/api/v1/routing/%2A?project=nope",
            Some(json!({"threshold": 0.1})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["field"], "project");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_admin_form_changes_the_routing_of_the_project_it_names(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = app.user("ada", Role::Admin).await;
    let rita = app.reviewer("rita").await;
    server::cli::add_project(&pool, "legal", None, false)
        .await
        .unwrap();

    let saved: Value = ada
        .call(
            "admin/routing",
            &[
                ("project", "legal"),
                ("model", "*"),
                ("reviews_per_task", "3"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        (&saved["project"], &saved["reviews_per_task"]),
        (&json!("legal"), &json!(3))
    );
    let (_, default) = app.get_json("/api/v1/routing/%2A").await;
    assert_eq!(default["reviews_per_task"], 1);

    // A project that does not exist, and a reviewer, change nothing.
    let err = ada
        .call::<Value>(
            "admin/routing",
            &[("project", "nope"), ("model", "*"), ("threshold", "0.1")],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "project", "{err}");
    assert!(
        rita.call::<Value>(
            "admin/routing",
            &[("project", "legal"), ("model", "*"), ("threshold", "0.1")],
        )
        .await
        .is_err()
    );
    let rows: Vec<(i64, f64, i32)> = sqlx::query_as(
        "select project_id, threshold, reviews_per_task from routing_settings order by project_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows, [(1, 0.8, 1), (2, 0.8, 3)]);

    // The dashboard's routing table names each row's project.
    let page = ada
        .get_page("/admin?project=legal")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<td>legal</td>"),
        "no legal row on the dashboard"
    );
}
