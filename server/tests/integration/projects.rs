//! Projects (issue 16): outputs land in the project they name (the default without one); a
//! reviewer takes work only from projects open to everyone or that they are a member of, all of
//! them or the one they pick; a token limited to projects ingests and reads only there and is
//! refused elsewhere; external ids are unique within a project; the waiting counts are per
//! reviewer.

use crate::helpers::{Session, TestApp, in_project, task};
use app::queue::QueuePageData;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::api::auth::Scope;

/// The external ids a reviewer is handed, reviewing until nothing is left for them.
async fn review_all(pool: &sqlx::PgPool, reviewer: &Session) -> Vec<String> {
    let mut seen = Vec::new();
    while let Some(t) = reviewer.current_task().await {
        let id = t["id"].as_str().unwrap().to_owned();
        let external: String =
            sqlx::query_scalar("select external_id from tasks where id = $1::uuid")
                .bind(&id)
                .fetch_one(pool)
                .await
                .unwrap();
        seen.push(external);
        reviewer.review(&id, "4", "accept").await.unwrap();
        assert!(seen.len() < 50, "the loop never ends");
    }
    seen
}

async fn cli_project(app: &TestApp, slug: &str, members: &[&str]) {
    server::cli::add_project(&app.pool, slug, None, false)
        .await
        .unwrap();
    for m in members {
        assert!(
            server::cli::set_project_member(&app.pool, slug, m, true)
                .await
                .unwrap()
        );
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_reviewer_takes_work_only_from_their_projects_and_can_pick_one(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ana = app.reviewer("ana").await;
    let bob = app.reviewer("bob").await;
    cli_project(&app, "legal", &["ana"]).await;

    // Today's call, without a project, lands in the default project; the others in legal.
    let receipts = app
        .submit(json!([
            task("plain-1", 0.3),
            in_project("legal-1", 0.1, "legal"),
            in_project("legal-2", 0.2, "legal"),
            task("plain-2", 0.4),
        ]))
        .await;
    assert_eq!(receipts.as_array().unwrap().len(), 4);
    let placed: Vec<(String, String)> = sqlx::query_as(
        "select t.external_id, p.slug from tasks t join projects p on p.id = t.project_id
         order by t.external_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        placed,
        [
            ("legal-1", "legal"),
            ("legal-2", "legal"),
            ("plain-1", "default"),
            ("plain-2", "default")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );

    // Bob is no member of legal: he never sees its outputs, and his counts leave them out.
    let bob_queue: QueuePageData = bob.call("queue/summary", &[]).await.unwrap();
    assert_eq!(bob_queue.summary.waiting, 2);
    assert_eq!(bob_queue.summary.projects.len(), 1);
    assert_eq!(review_all(&pool, &bob).await, ["plain-1", "plain-2"]);

    // Ana reviews both projects; she picks legal and is handed only legal's, in queue order.
    for p in ["plain-3", "plain-4"] {
        app.submit(task(p, 0.05)).await;
    }
    let ana_queue: QueuePageData = ana.call("queue/summary", &[]).await.unwrap();
    assert_eq!(ana_queue.summary.waiting, 4);
    let slugs: Vec<&str> = ana_queue
        .summary
        .projects
        .iter()
        .map(|p| p.slug.as_str())
        .collect();
    assert_eq!(slugs, ["default", "legal"]);
    ana.call::<()>("queue/pick", &[("project", "legal")])
        .await
        .unwrap();
    let picked: QueuePageData = ana.call("queue/summary", &[]).await.unwrap();
    assert_eq!(picked.summary.picked.as_deref(), Some("legal"));
    assert_eq!(picked.summary.waiting, 2);
    assert_eq!(review_all(&pool, &ana).await, ["legal-1", "legal-2"]);

    // Back to all of hers: the default project's, least confident first.
    ana.call::<()>("queue/pick", &[("project", "")])
        .await
        .unwrap();
    assert_eq!(review_all(&pool, &ana).await, ["plain-3", "plain-4"]);

    // Bob may not pick legal; nothing changes.
    let refused = bob
        .call::<()>("queue/pick", &[("project", "legal")])
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("project"), "{refused}");
    let bob_pick: Option<i64> =
        sqlx::query_scalar("select queue_project from users where username = 'bob'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(bob_pick, None);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn all_mine_takes_the_queue_order_across_projects(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ana = app.reviewer("ana").await;
    cli_project(&app, "legal", &["ana"]).await;
    cli_project(&app, "medical", &[]).await;
    app.submit(json!([
        task("d-0.5", 0.5),
        in_project("l-0.2", 0.2, "legal"),
        in_project("m-0.1", 0.1, "medical"),
        task("d-0.3", 0.3),
        in_project("l-0.4", 0.4, "legal"),
    ]))
    .await;
    // Medical is closed to ana; the rest interleave by confidence.
    assert_eq!(
        review_all(&pool, &ana).await,
        ["l-0.2", "d-0.3", "l-0.4", "d-0.5"]
    );
    // A member added later is offered the project's work.
    server::cli::set_project_member(&app.pool, "medical", "ana", true)
        .await
        .unwrap();
    assert_eq!(review_all(&pool, &ana).await, ["m-0.1"]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_token_limited_to_a_project_ingests_and_reads_only_there(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    cli_project(&app, "legal", &[]).await;
    cli_project(&app, "medical", &[]).await;
    let legal = server::cli::create_token(
        &pool,
        "legal pipeline",
        &[Scope::Ingest, Scope::Read],
        &["legal".to_owned()],
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let send = |token: String, method: reqwest::Method, path: &str, body: Option<Value>| {
        let req = http.request(method, app.url(path)).bearer_auth(token);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    // Without `project`, its outputs go to its one project.
    let (status, receipt) = send(
        legal.clone(),
        post.clone(),
        "/api/v1/tasks",
        Some(task("contract-9", 0.2)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    // Into another project: 403 naming the field; nothing stored.
    let before = app.count("tasks").await;
    let (status, body) = send(
        legal.clone(),
        post.clone(),
        "/api/v1/tasks",
        Some(json!([task("x-1", 0.2), in_project("x-2", 0.2, "medical")])),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["field"], "tasks[1].project");
    let (status, body) = send(
        legal.clone(),
        post.clone(),
        "/api/v1/tasks",
        Some(in_project("x-3", 0.2, "default")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["field"], "project");
    // An unknown project is a 422, for any token.
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/tasks",
            Some(in_project("x-4", 0.2, "nowhere")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "project");
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/tasks",
            Some(in_project("x-5", 0.2, "Not A Slug")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "project");
    assert_eq!(app.count("tasks").await, before);

    // The same external id in another project is another output.
    app.submit(in_project("contract-9", 0.3, "medical")).await;
    app.submit(task("contract-9", 0.3)).await;
    assert_eq!(app.count("tasks").await, before + 2);

    // Reads: the list holds only its project's outputs, whatever the filter says; by external
    // id it finds its own; another project's task by Loupe's id is not found.
    let (status, page) = send(legal.clone(), get.clone(), "/api/v1/tasks", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let listed: Vec<&str> = page["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["contract-9"]);
    assert_eq!(page["tasks"][0]["project"], "legal");
    let (_, page) = send(
        legal.clone(),
        get.clone(),
        "/api/v1/tasks?project=medical",
        None,
    )
    .await;
    assert_eq!(page["tasks"].as_array().unwrap().len(), 0);
    let (status, doc) = send(legal.clone(), get.clone(), "/api/v1/tasks/contract-9", None).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let legal_id = doc["id"].as_str().unwrap().to_owned();
    let medical_id: String = sqlx::query_scalar(
        "select t.id::text from tasks t join projects p on p.id = t.project_id
         where p.slug = 'medical' and t.external_id = 'contract-9'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_ne!(legal_id, medical_id);
    let (status, _) = send(
        legal.clone(),
        get.clone(),
        &format!("/api/v1/tasks/{medical_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An unlimited token reads any project's, by external id with `project`.
    let (status, doc) = app
        .get_json("/api/v1/tasks/contract-9?project=medical")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["id"], medical_id.as_str());
    let (_, page) = app.get_json("/api/v1/tasks?project=legal").await;
    assert_eq!(page["tasks"].as_array().unwrap().len(), 1);

    // End-user feedback: on its own project's output by external id, without naming the
    // project; another project's output is refused by project, and not found by Loupe's id.
    let thumbs = |task_id: &str| json!({"task_id": task_id, "user_id": "u-1", "feedback_type": "thumbs", "value": "up"});
    let (status, body) = send(
        legal.clone(),
        post.clone(),
        "/api/v1/feedback",
        Some(thumbs("contract-9")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut elsewhere = thumbs("contract-9");
    elsewhere["project"] = json!("medical");
    let (status, body) = send(
        legal.clone(),
        post.clone(),
        "/api/v1/feedback",
        Some(elsewhere),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["field"], "project");
    let (status, body) = send(
        legal.clone(),
        post.clone(),
        "/api/v1/feedback",
        Some(thumbs(&medical_id)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["field"], "task_id");
    let stored: Vec<String> = sqlx::query_scalar(
        "select t.id::text from external_feedback f join tasks t on t.id = f.task_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(stored, [legal_id]);
}

fn assigned(external_id: &str, confidence: f64, assignee: &str) -> Value {
    let mut t = in_project(external_id, confidence, "legal");
    t["assignee"] = json!(assignee);
    t
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn assigned_work_goes_first_to_its_reviewer_or_group_then_to_the_project(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ana = app.reviewer("ana").await;
    let bob = app.reviewer("bob").await;
    let cy = app.reviewer("cy").await;
    app.reviewer("dan").await;
    cli_project(&app, "legal", &["ana", "bob", "cy"]).await;
    server::cli::add_group(&pool, "contracts", Some("Contracts"))
        .await
        .unwrap();
    assert!(
        server::cli::set_group_member(&pool, "contracts", "cy", true)
            .await
            .unwrap()
    );

    // Bad assignees are named and nothing is stored.
    let before = app.count("tasks").await;
    for (who, rule) in [
        ("nobody", "names no active reviewer of this project"),
        ("group:nobody", "names no group"),
        ("dan", "names no active reviewer of this project"),
    ] {
        let (status, body) = app
            .call(
                "POST",
                "/api/v1/tasks",
                Some(json!([task("ok", 0.5), assigned("bad", 0.5, who)])),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "tasks[1].assignee");
        assert_eq!(body["rule"], rule);
    }
    assert_eq!(app.count("tasks").await, before);

    app.submit(json!([
        in_project("open-urgent", 0.1, "legal"),
        assigned("for-ana", 0.3, "ana"),
        assigned("for-contracts", 0.2, "group:contracts"),
        in_project("open-later", 0.6, "legal"),
    ]))
    .await;
    // Bob is handed only the open work: the reserved tasks are not his to take.
    assert_eq!(review_all(&pool, &bob).await, ["open-urgent", "open-later"]);
    // Ana's own comes to her; the group's is not hers.
    assert_eq!(review_all(&pool, &ana).await, ["for-ana"]);
    assert_eq!(review_all(&pool, &cy).await, ["for-contracts"]);

    // Kept work comes before more urgent open work, for its assignee.
    app.submit(json!([
        in_project("open-2", 0.05, "legal"),
        assigned("for-ana-2", 0.7, "ana"),
    ]))
    .await;
    assert_eq!(review_all(&pool, &ana).await, ["for-ana-2", "open-2"]);

    // After the wait, anyone in the project takes it.
    app.submit(assigned("late", 0.5, "ana")).await;
    assert_eq!(app::task::reserve::open_lapsed(&pool).await.unwrap(), 0);
    assert!(review_all(&pool, &bob).await.is_empty());
    sqlx::query(
        "update tasks set reserved_until = now() - interval '1 second' where external_id = 'late'",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(app::task::reserve::open_lapsed(&pool).await.unwrap(), 1);
    assert_eq!(review_all(&pool, &bob).await, ["late"]);

    // A project whose wait is "never" keeps assigned work for its assignee.
    server::cli::set_assign_wait(&pool, "legal", None)
        .await
        .unwrap();
    app.submit(assigned("kept", 0.5, "ana")).await;
    let until: String =
        sqlx::query_scalar("select reserved_until::text from tasks where external_id = 'kept'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(until, "infinity");
    assert_eq!(app::task::reserve::open_lapsed(&pool).await.unwrap(), 0);
    assert!(review_all(&pool, &bob).await.is_empty());
    assert_eq!(review_all(&pool, &ana).await, ["kept"]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_admin_assigns_waiting_work_by_id_or_filter_and_opens_it_again(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ana = app.reviewer("ana").await;
    let bob = app.reviewer("bob").await;
    cli_project(&app, "legal", &["ana", "bob"]).await;
    let receipts = app
        .submit(json!([
            in_project("l-1", 0.1, "legal"),
            in_project("l-2", 0.2, "legal"),
            in_project("l-3", 0.3, "legal"),
            task("d-1", 0.4),
        ]))
        .await;
    let id = |i: usize| receipts[i]["id"].as_str().unwrap().to_owned();

    // A bad assignee is named; nothing changes.
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/assign",
            Some(json!({"assignee": "group:nobody", "ids": [id(0)]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "assignee");

    // By id: l-1 for ana. By filter: everything waiting in legal that matches "l-2".
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/assign",
            Some(json!({"assignee": "ana", "ids": [id(0)]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], 1);
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/assign",
            Some(
                json!({"assignee": "ana", "matching": {"project": "legal", "external_id": "l-2"}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], 1);
    let audited: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'task.assign'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 2);

    // Bob gets the rest; the assigned ones wait for ana.
    assert_eq!(review_all(&pool, &bob).await, ["l-3", "d-1"]);
    // Opened again (no assignee), bob may take l-2; ana still has l-1 kept for her.
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/assign",
            Some(json!({"assignee": "", "ids": [id(1)]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], 1);
    assert_eq!(review_all(&pool, &bob).await, ["l-2"]);
    assert_eq!(review_all(&pool, &ana).await, ["l-1"]);
    // Settled tasks are left alone.
    let (_, body) = app
        .call(
            "POST",
            "/api/v1/assign",
            Some(json!({"assignee": "ana", "ids": [id(0), id(3)]})),
        )
        .await;
    assert_eq!(body["changed"], 0);
    assert_eq!(body["skipped"], 2);
}
