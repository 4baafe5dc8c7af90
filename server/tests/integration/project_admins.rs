//! Project admins (issue 16): a member who runs a project finds and acts on its tasks, sets its
//! routing, error tags and guidelines, and reads its dashboard, and nothing of any other
//! project's; the rest of the admin area (webhooks, the audit log, the escalation queue) stays
//! closed to them, as all of it does to a plain reviewer.

use crate::helpers::{Session, TestApp, in_project, task};
use app::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Projects legal and medical; lena runs legal (and reviews it), rita only reviews it. Two waiting
/// outputs in legal, one in medical, one in the default project.
async fn two_projects(app: &TestApp) -> (Session, Session) {
    for slug in ["legal", "medical"] {
        server::cli::add_project(&app.pool, slug, None, false)
            .await
            .unwrap();
    }
    let lena = app.reviewer("lena").await;
    let rita = app.reviewer("rita").await;
    server::cli::set_project_membership(&app.pool, "legal", "lena", true, true)
        .await
        .unwrap();
    server::cli::set_project_member(&app.pool, "legal", "rita", true)
        .await
        .unwrap();
    app.submit(json!([
        in_project("l-1", 0.1, "legal"),
        in_project("l-2", 0.2, "legal"),
        in_project("m-1", 0.1, "medical"),
        task("d-1", 0.1)
    ]))
    .await;
    (lena, rita)
}

async fn priorities(pool: &PgPool) -> Vec<(String, i16)> {
    sqlx::query_as("select external_id, priority from tasks order by external_id")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn id_of(pool: &PgPool, external_id: &str) -> String {
    sqlx::query_scalar::<_, uuid::Uuid>("select id from tasks where external_id = $1")
        .bind(external_id)
        .fetch_one(pool)
        .await
        .unwrap()
        .to_string()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_project_admin_finds_and_acts_on_only_their_projects_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (lena, rita) = two_projects(&app).await;

    // The list holds legal's outputs only, whatever the filter asks for.
    for project in ["", "medical", "default"] {
        let page: Value = lena
            .call(
                "admin/tasks",
                &[("params[sort]", "oldest"), ("params[project]", project)],
            )
            .await
            .unwrap();
        let mut listed: Vec<&str> = page["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["external_id"].as_str().unwrap())
            .collect();
        listed.sort_unstable();
        let expected: &[&str] = if project.is_empty() {
            &["l-1", "l-2"]
        } else {
            &[]
        };
        assert_eq!(listed, expected, "project={project}");
    }
    // A cursor naming another project's task starts no page, as one naming no task does: its
    // time, confidence or rank do not show through.
    for after in [id_of(&pool, "m-1").await, uuid::Uuid::new_v4().to_string()] {
        for sort in ["oldest", "least_confident", "relevance"] {
            let page: Value = lena
                .call(
                    "admin/tasks",
                    &[
                        ("params[sort]", sort),
                        ("params[q]", "source"),
                        ("params[after]", &after),
                    ],
                )
                .await
                .unwrap();
            assert_eq!(page["tasks"], json!([]), "{sort} after {after}");
        }
    }
    // A plain reviewer of legal is refused the list.
    assert!(
        rita.call::<Value>("admin/tasks", &[("params[sort]", "oldest")])
            .await
            .is_err()
    );

    // Named by id, another project's task is skipped as an unknown one would be.
    let ids = format!(
        "{},{}",
        id_of(&pool, "l-1").await,
        id_of(&pool, "m-1").await
    );
    let done: Value = lena
        .call(
            "admin/tasks/act",
            &[("action", "priority"), ("priority", "5"), ("ids", &ids)],
        )
        .await
        .unwrap();
    assert_eq!((&done["changed"], &done["skipped"]), (&json!(1), &json!(1)));
    // Over a filter, only legal's matching tasks change.
    let done: Value = lena
        .call(
            "admin/tasks/act",
            &[
                ("action", "priority"),
                ("priority", "3"),
                ("matching[status]", "queued"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(done["changed"], 2);
    assert_eq!(
        priorities(&pool).await,
        [
            ("d-1".to_owned(), 0),
            ("l-1".to_owned(), 3),
            ("l-2".to_owned(), 3),
            ("m-1".to_owned(), 0)
        ]
    );

    // An assignee outside their projects reads as one that does not exist: the answer does not
    // tell which usernames or groups exist. Groups are shared by every project: one with no
    // member in legal reads as no group. A member of legal, and a group with one, are taken.
    app.reviewer("mo").await;
    server::cli::set_project_member(&pool, "medical", "mo", true)
        .await
        .unwrap();
    for (slug, member) in [("medics", "mo"), ("contracts", "rita")] {
        server::cli::add_group(&pool, slug, None).await.unwrap();
        server::cli::set_group_member(&pool, slug, member, true)
            .await
            .unwrap();
    }
    for (who, rule) in [
        ("mo", "names no active member of your projects"),
        ("nobody", "names no active member of your projects"),
        (
            "group:medics",
            "names no group with members in your projects",
        ),
        (
            "group:nowhere",
            "names no group with members in your projects",
        ),
    ] {
        let err = lena
            .call::<Value>(
                "admin/tasks/act",
                &[("action", "assign"), ("assignee", who), ("ids", &ids)],
            )
            .await
            .unwrap_err();
        assert_eq!(
            (&err["Validation"]["field"], &err["Validation"]["message"]),
            (&json!("assignee"), &json!(rule)),
            "{who}"
        );
    }
    for who in ["group:contracts", "rita"] {
        let done: Value = lena
            .call(
                "admin/tasks/act",
                &[("action", "assign"), ("assignee", who), ("ids", &ids)],
            )
            .await
            .unwrap();
        assert_eq!(
            (&done["changed"], &done["skipped"]),
            (&json!(1), &json!(1)),
            "{who}"
        );
    }

    // One task's page: legal's opens, medical's is not found.
    let l1 = id_of(&pool, "l-1").await;
    let m1 = id_of(&pool, "m-1").await;
    let shown: Value = lena.call("admin/task", &[("id", &l1)]).await.unwrap();
    assert_eq!(shown["external_id"], "l-1");
    let hidden = lena
        .call::<Value>("admin/task", &[("id", &m1)])
        .await
        .unwrap_err();
    assert!(hidden.get("NotFound").is_some(), "{hidden}");

    // The same rules over the API with the session: an action on medical's task changes nothing.
    let res = app
        .http
        .post(app.url("/api/v1/priority"))
        .header("cookie", &lena.cookie)
        .header("origin", app.url(""))
        .json(&json!({"priority": 9, "ids": [m1]}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["changed"], &body["skipped"]), (&json!(0), &json!(1)));
    assert_eq!(priorities(&pool).await[3], ("m-1".to_owned(), 0));

    // A token limited to legal acts there only, over a filter as by id.
    let token = server::cli::create_token(
        &pool,
        "legal admin",
        &[server::api::auth::Scope::Admin],
        &["legal".to_owned()],
    )
    .await
    .unwrap();
    let (status, body) = app
        .call_as(
            &token,
            "POST",
            "/api/v1/priority",
            Some(json!({"priority": -2, "matching": {"status": "queued"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["changed"], 2);
    assert_eq!(
        priorities(&pool).await,
        [
            ("d-1".to_owned(), 0),
            ("l-1".to_owned(), -2),
            ("l-2".to_owned(), -2),
            ("m-1".to_owned(), 0)
        ]
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_project_admin_sets_only_their_projects_routing_tags_and_guidelines(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (lena, rita) = two_projects(&app).await;

    let projects: Value = lena.call("admin/projects", &[]).await.unwrap();
    let slugs: Vec<&str> = projects
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["legal"]);

    // Their own project, named or (their only one) not.
    for project in ["legal", ""] {
        let saved: Value = lena
            .call(
                "admin/routing",
                &[("project", project), ("model", "*"), ("threshold", "0.9")],
            )
            .await
            .unwrap();
        assert_eq!(saved["project"], "legal");
    }
    let tags: Value = lena
        .call(
            "admin/error-tags",
            &[("project", "legal"), ("tags", "wrong party")],
        )
        .await
        .unwrap();
    assert_eq!(tags, json!(["wrong party"]));
    let text: Value = lena
        .call(
            "admin/guidelines",
            &[("project", "legal"), ("text", "# Contracts")],
        )
        .await
        .unwrap();
    assert_eq!(text["own"], true);

    // Another project, the default one, or one that does not exist: the same refusal, naming the
    // field, and nothing changes.
    for project in ["medical", "default", "nope"] {
        for (endpoint, fields) in [
            ("admin/routing", vec![("model", "*"), ("threshold", "0.1")]),
            ("admin/error-tags", vec![("tags", "x")]),
            ("admin/guidelines", vec![("text", "x")]),
            ("admin/error-tags/load", vec![]),
        ] {
            let mut form = fields.clone();
            form.push(("project", project));
            let err = lena.call::<Value>(endpoint, &form).await.unwrap_err();
            assert_eq!(
                err["Validation"],
                json!({"field": "project", "message": "is not a project you administer"}),
                "{endpoint} {project}"
            );
        }
    }
    let routing: Vec<(i64, f64)> =
        sqlx::query_as("select project_id, threshold from routing_settings order by project_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(routing, [(1, 0.8), (2, 0.9)]);
    let tagged: Vec<i64> =
        sqlx::query_scalar("select distinct project_id from error_tags order by 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(tagged, [1, 2]);

    // The default project's settings are every project's fallback: no project admin runs them,
    // even one whose membership row says so.
    let refused = server::cli::set_project_membership(&pool, "default", "lena", true, true).await;
    assert!(refused.is_err());
    sqlx::query(
        "insert into project_members (project_id, user_id, admin)
         select 1, id, true from users where username = 'lena'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let err = lena
        .call::<Value>(
            "admin/routing",
            &[("project", "default"), ("model", "*"), ("threshold", "0")],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "project");

    // Nor the default project's figures; a plain reviewer gets none of it.
    let refused = lena
        .call::<Value>("admin/dashboard", &[("project", "default")])
        .await
        .unwrap_err();
    assert_eq!(refused["Validation"]["field"], "project");
    for endpoint in ["admin/dashboard", "admin/projects", "admin/error-tags/load"] {
        let refused = rita.call::<Value>(endpoint, &[]).await.unwrap_err();
        assert_eq!(refused, json!("Forbidden"), "{endpoint}");
    }
    assert!(
        rita.call::<Value>(
            "admin/routing",
            &[("project", "legal"), ("model", "*"), ("threshold", "0.1")]
        )
        .await
        .is_err()
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_admin_area_opens_to_a_project_admin_only_where_it_is_theirs(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (lena, rita) = two_projects(&app).await;
    let ada = app.user("ada", Role::Admin).await;

    for (path, lena_gets, rita_gets) in [
        ("/admin", StatusCode::OK, StatusCode::FORBIDDEN),
        ("/admin/tasks", StatusCode::OK, StatusCode::FORBIDDEN),
        (
            "/admin/webhooks",
            StatusCode::FORBIDDEN,
            StatusCode::FORBIDDEN,
        ),
        ("/admin/audit", StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        (
            "/admin/escalations",
            StatusCode::FORBIDDEN,
            StatusCode::FORBIDDEN,
        ),
    ] {
        assert_eq!(lena.get_page(path).await.status(), lena_gets, "lena {path}");
        assert_eq!(rita.get_page(path).await.status(), rita_gets, "rita {path}");
        assert_eq!(
            ada.get_page(path).await.status(),
            StatusCode::OK,
            "ada {path}"
        );
    }
    // Their projects' dashboard and settings, without the links to what only admins open.
    let page = lena.get_page("/admin").await.text().await.unwrap();
    assert!(
        page.contains("Feedback dashboard: your projects") && page.contains("Change routing"),
        "no dashboard or settings on /admin"
    );
    for admin_only in ["/admin/webhooks", "/admin/audit", "/admin/escalations"] {
        assert!(
            !page.contains(admin_only),
            "{admin_only} offered to a project admin"
        );
    }

    // Over the API, signed in: their project's routing, no one else's, and no route that serves
    // every project.
    let get = |path: &'static str| {
        let lena = lena.clone();
        async move { lena.get_page(path).await.status() }
    };
    assert_eq!(get("/api/v1/routing?project=legal").await, StatusCode::OK);
    assert_eq!(
        get("/api/v1/routing?project=medical").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(get("/api/v1/audit").await, StatusCode::FORBIDDEN);
    assert_eq!(get("/api/v1/webhooks").await, StatusCode::FORBIDDEN);
    assert_eq!(
        get("/api/v1/export?format=jsonl&project=medical").await,
        StatusCode::FORBIDDEN
    );

    // Made a plain member again, lena runs nothing; the change is audited with the role.
    server::cli::set_project_member(&pool, "legal", "lena", true)
        .await
        .unwrap();
    assert_eq!(
        lena.get_page("/admin/tasks").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get("/api/v1/routing?project=legal").await,
        StatusCode::FORBIDDEN
    );
    let roles: Vec<Value> = sqlx::query_scalar(
        "select after from audit_log where action = 'project.member_add' and target = 'legal'
         order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        roles,
        [
            json!({"username": "lena", "admin": true}),
            json!({"username": "rita", "admin": false}),
            json!({"username": "lena", "admin": false}),
        ]
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_project_admin_reads_the_dashboard_of_their_projects_only(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (lena, rita) = two_projects(&app).await;
    let ada = app.user("ada", Role::Admin).await;
    lena.call::<Value>(
        "admin/routing",
        &[("project", "legal"), ("model", "*"), ("threshold", "0.9")],
    )
    .await
    .unwrap();
    // Medical's own model, which no one outside medical should see named.
    let mut other = in_project("m-2", 0.1, "medical");
    other["model"] = json!("medical-summarizer");
    app.submit(json!([other])).await;
    // The default project's routing for medical's model: not one of legal's models, so not shown
    // to legal's admin either.
    ada.call::<Value>(
        "admin/routing",
        &[
            ("project", "default"),
            ("model", "medical-summarizer"),
            ("threshold", "0.5"),
        ],
    )
    .await
    .unwrap();
    // Reviews in legal and in the default project (rita reviews both).
    for _ in 0..3 {
        let id = rita.current_task().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        rita.review(&id, "2", "reject").await.unwrap();
    }
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let legal_reviews =
        count("select count(*) from reviews r join projects p on p.id = r.project_id where p.slug = 'legal'").await;
    let legal_waiting = count(
        "select count(*) from tasks t join projects p on p.id = t.project_id
         where p.slug = 'legal' and t.status = 'queued'",
    )
    .await;
    assert!(legal_reviews >= 1 && count("select count(*) from reviews").await > legal_reviews);

    // Without a choice, and choosing legal: legal's figures alone.
    for project in ["", "legal"] {
        let d: Value = lena
            .call("admin/dashboard", &[("project", project)])
            .await
            .unwrap();
        assert_eq!(d["reviews"]["total"], legal_reviews, "project={project}");
        assert_eq!(d["queue"]["waiting"], legal_waiting, "project={project}");
        assert_eq!(d["limited"], true);
        // The what-if starts from legal's own threshold (0.9), not the default project's.
        assert_eq!(d["what_if"]["current"], 0.9, "project={project}");
        let choices: Vec<&str> = d["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["slug"].as_str().unwrap())
            .collect();
        assert_eq!(choices, ["legal"]);
        assert!(!d.to_string().contains("medical-summarizer"), "{d}");
        for row in d["routing"].as_array().unwrap() {
            assert!(["legal", "default"].contains(&row["project"].as_str().unwrap()));
        }
    }
    // Another project, or one that does not exist: the same refusal beside the field.
    for project in ["medical", "nowhere"] {
        let err = lena
            .call::<Value>("admin/dashboard", &[("project", project)])
            .await
            .unwrap_err();
        assert_eq!(
            err["Validation"]["message"],
            "is not a project you administer"
        );
    }

    // An admin sees every project, or the one chosen; an unknown one is named as such.
    let all: Value = ada.call("admin/dashboard", &[]).await.unwrap();
    assert_eq!(all["limited"], false);
    assert_eq!(all["projects"].as_array().unwrap().len(), 3);
    assert_eq!(
        all["reviews"]["total"],
        count("select count(*) from reviews").await
    );
    assert!(all.to_string().contains("medical-summarizer"));
    let medical: Value = ada
        .call("admin/dashboard", &[("project", "medical")])
        .await
        .unwrap();
    assert_eq!(medical["queue"]["waiting"], 2);
    assert_eq!(medical["reviews"]["total"], 0);
    assert_eq!(medical["filter"]["project"], "medical");
    let err = ada
        .call::<Value>("admin/dashboard", &[("project", "nowhere")])
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["message"], "names no project");
}
