//! The audit trail: every admin action, by a person in the browser, by an API token or from the
//! command line, is written once with its actor and the state before and after, in the same
//! transaction as the change; refused changes leave no entry; secrets never reach it; only admins
//! (and tokens) can read it, page by page.

use crate::helpers::{TestApp, task};
use crate::receiver::Receiver;
use app::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Every entry with this action code, oldest first, straight from the table.
async fn entries(pool: &PgPool, action: &str) -> Vec<Value> {
    sqlx::query_scalar::<_, Value>(
        "select jsonb_build_object('actor_kind', actor_kind, 'actor_id', actor_id,
                'actor_name', actor_name, 'target', target, 'before', before, 'after', after)
         from audit_log where action = $1 order by id",
    )
    .bind(action)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The one entry with this action code (fails if there is not exactly one).
async fn only(pool: &PgPool, action: &str) -> Value {
    let mut found = entries(pool, action).await;
    assert_eq!(found.len(), 1, "{action}: {found:?}");
    found.remove(0)
}

async fn user_id(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("select id from users where username = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The whole table as text, to look for secrets in.
async fn everything(pool: &PgPool) -> String {
    sqlx::query_scalar::<_, Option<String>>(
        "select string_agg(audit_log::text, '\n') from audit_log",
    )
    .fetch_one(pool)
    .await
    .unwrap()
    .unwrap_or_default()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_admin_action_in_the_browser_is_audited_once_with_the_admin(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let receiver = Receiver::start(&[]).await;
    let ada = app.user("ada", Role::Admin).await;
    let ada_id = user_id(&pool, "ada").await;
    let by_ada = |e: &Value| {
        assert_eq!(
            (e["actor_kind"].as_str(), e["actor_name"].as_str()),
            (Some("user"), Some("ada")),
            "{e}"
        );
        assert_eq!(e["actor_id"], ada_id, "{e}");
    };

    let secret = "hook-secret-never-in-the-trail";
    let created: Value = ada
        .call(
            "admin/webhooks/add",
            &[
                ("url", &receiver.url()),
                ("reviewed", "on"),
                ("escalated", "on"),
                ("secret", secret),
                ("description", "ops"),
            ],
        )
        .await
        .unwrap();
    let endpoint = created["id"].as_i64().unwrap();
    let e = only(&pool, "webhook.add").await;
    by_ada(&e);
    assert_eq!(e["target"], endpoint.to_string());
    assert_eq!(e["before"], Value::Null);
    assert_eq!(
        e["after"],
        json!({"url": receiver.url(), "events": ["task.reviewed", "task.escalated"], "description": "ops",
               "projects": [], "active": true})
    );

    // A reviewer escalates; the admin settles it.
    let id = app.submit(task("audit-1", 0.2)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rita = app.reviewer("rita").await;
    assert_eq!(rita.current_task().await.unwrap()["id"], id.as_str());
    rita.call::<Value>(
        "review/submit",
        &[
            ("task_id", &id),
            ("rating", "2"),
            ("verdict", "escalate"),
            ("comment", "unsure"),
        ],
    )
    .await
    .unwrap();
    ada.call::<Value>(
        "admin/escalations/resolve",
        &[
            ("task_id", &id),
            ("verdict", "reject"),
            ("note", "wrong figures"),
        ],
    )
    .await
    .unwrap();
    let e = only(&pool, "escalation.resolve").await;
    by_ada(&e);
    assert_eq!(e["target"], id.as_str());
    assert_eq!(e["before"], json!({"status": "escalated"}));
    assert_eq!(
        e["after"],
        json!({"status": "reviewed", "verdict": "reject", "note": "wrong figures"})
    );

    let delivery: uuid::Uuid =
        sqlx::query_scalar("select id from webhook_deliveries order by created_at limit 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    ada.call::<Value>("admin/webhooks/resend", &[("id", &delivery.to_string())])
        .await
        .unwrap();
    let e = only(&pool, "webhook.resend").await;
    by_ada(&e);
    assert_eq!(e["target"], delivery.to_string());
    assert_eq!(e["after"]["status"], "pending");

    ada.call::<Value>("admin/webhooks/remove", &[("id", &endpoint.to_string())])
        .await
        .unwrap();
    let e = only(&pool, "webhook.remove").await;
    by_ada(&e);
    assert_eq!(e["before"]["url"], receiver.url());
    assert_eq!(e["after"], Value::Null);

    ada.call::<Value>(
        "admin/routing",
        &[("model", "summarizer"), ("threshold", "0.5")],
    )
    .await
    .unwrap();
    let e = only(&pool, "routing.update").await;
    by_ada(&e);
    assert_eq!(e["target"], "summarizer");
    // The model had no row of its own: nothing before, the defaults with the change after.
    assert_eq!(e["before"], Value::Null);
    assert_eq!(
        e["after"],
        json!({"threshold": 0.5, "audit_rate": 0.05, "reviews_per_task": 1,
               "user_feedback_review": true, "user_feedback_rating_at_most": 2.0,
               "weak_support_review": false})
    );

    ada.call::<Value>("admin/error-tags", &[("tags", "hallucination, tone")])
        .await
        .unwrap();
    let e = only(&pool, "error_tags.update").await;
    by_ada(&e);
    assert_eq!(e["before"]["tags"][0], "hallucination");
    assert_eq!(e["before"]["tags"].as_array().unwrap().len(), 5);
    assert_eq!(e["after"], json!({"tags": ["hallucination", "tone"]}));

    ada.call::<Value>("admin/guidelines", &[("text", "# Rules\n\nBe exact.")])
        .await
        .unwrap();
    let e = only(&pool, "guidelines.update").await;
    by_ada(&e);
    assert!(
        e["before"]["text"]
            .as_str()
            .unwrap()
            .starts_with("# What a good summary does")
    );
    assert_eq!(e["after"], json!({"text": "# Rules\n\nBe exact."}));

    // Each action once, and the signing secret nowhere.
    let total: i64 = sqlx::query_scalar("select count(*) from audit_log where actor_kind = 'user'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(total, 7);
    assert!(!everything(&pool).await.contains(secret));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn admin_api_calls_are_audited_with_the_token_that_made_them(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let receiver = Receiver::start(&[]).await;
    let token_id: i64 =
        sqlx::query_scalar("select id from api_tokens where name = 'test pipeline'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let by_token = |e: &Value| {
        assert_eq!(
            (e["actor_kind"].as_str(), e["actor_name"].as_str()),
            (Some("token"), Some("test pipeline")),
            "{e}"
        );
        assert_eq!(e["actor_id"], token_id, "{e}");
    };

    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/routing/%2A",
            Some(json!({"threshold": 0.9})),
        )
        .await;
    assert_eq!(status, 200);
    let e = only(&pool, "routing.update").await;
    by_token(&e);
    assert_eq!(e["target"], "*");
    assert_eq!(e["before"]["threshold"], 0.8);
    assert_eq!(e["after"]["threshold"], 0.9);

    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/routing/m1",
            Some(json!({"audit_rate": 0.5})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.call("DELETE", "/api/v1/routing/m1", None).await;
    assert_eq!(status, 204);
    let e = only(&pool, "routing.reset").await;
    by_token(&e);
    assert_eq!(e["before"]["audit_rate"], 0.5);
    assert_eq!(e["after"], Value::Null);

    let secret = "api-hook-secret-not-for-the-trail";
    let (status, created) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": receiver.url(), "events": ["task.reviewed"], "secret": secret})),
        )
        .await;
    assert_eq!(status, 201);
    by_token(&only(&pool, "webhook.add").await);

    // A delivery to resend: a reviewed task.
    let id = app.submit(task("audit-api", 0.1)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rita = app.reviewer("rita").await;
    assert_eq!(rita.current_task().await.unwrap()["id"], id.as_str());
    rita.review(&id, "4", "accept").await.unwrap();
    let delivery: uuid::Uuid = sqlx::query_scalar("select id from webhook_deliveries limit 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/v1/webhooks/deliveries/{delivery}/resend"),
            None,
        )
        .await;
    assert_eq!(status, 202);
    by_token(&only(&pool, "webhook.resend").await);

    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/webhooks/{}", created["id"]),
            None,
        )
        .await;
    assert_eq!(status, 204);
    by_token(&only(&pool, "webhook.remove").await);

    assert!(!everything(&pool).await.contains(secret));
    // Reads are not audited.
    app.get_json("/api/v1/routing").await;
    app.get_json("/api/v1/webhooks").await;
    let (status, page) = app.get_json("/api/v1/audit?actor=test%20pipeline").await;
    assert_eq!(status, 200);
    // Two routing changes, the reset, and the three webhook actions.
    assert_eq!(page["entries"].as_array().unwrap().len(), 6, "{page}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn command_line_actions_are_audited_as_the_cli_without_secrets(pool: PgPool) {
    use server::cli;
    let app = TestApp::spawn(pool.clone()).await;
    let by_cli = |e: &Value| {
        assert_eq!(e["actor_kind"], "cli", "{e}");
        assert_eq!(e["actor_id"], Value::Null, "{e}");
        assert!(e["actor_name"].as_str().unwrap().starts_with("cli"), "{e}");
    };
    // TestApp made its token from the CLI, and the first admin comes first.
    cli::ensure_admin(&pool, Some("first-admin-password".into()))
        .await
        .unwrap();
    let token_created = only(&pool, "token.create").await;
    by_cli(&token_created);
    assert_eq!(token_created["after"]["name"], "test pipeline");
    assert!(!everything(&pool).await.contains(&app.token));

    let password = cli::add_user(&pool, "bob", Role::Reviewer, None)
        .await
        .unwrap();
    cli::set_role(&pool, "bob", Role::Admin).await.unwrap();
    cli::set_disabled(&pool, "bob", true).await.unwrap();
    cli::set_disabled(&pool, "bob", false).await.unwrap();
    let reset = cli::set_password(&pool, "bob", None).await.unwrap();
    let token = cli::create_token(&pool, "nightly", &[server::api::auth::Scope::Read], &[])
        .await
        .unwrap();
    cli::revoke_token(&pool, &token[..14]).await.unwrap();

    let added = entries(&pool, "user.add").await;
    assert_eq!(added.len(), 2, "the first admin and bob");
    assert_eq!(added[1]["target"], "bob");
    assert_eq!(
        added[1]["after"],
        json!({"role": "reviewer", "disabled": false})
    );
    let e = only(&pool, "user.role").await;
    by_cli(&e);
    assert_eq!(
        (&e["before"]["role"], &e["after"]["role"]),
        (&json!("reviewer"), &json!("admin"))
    );
    let e = only(&pool, "user.disable").await;
    by_cli(&e);
    assert_eq!(
        (&e["before"], &e["after"]),
        (&json!({"disabled": false}), &json!({"disabled": true}))
    );
    by_cli(&only(&pool, "user.enable").await);
    let e = only(&pool, "user.password_reset").await;
    by_cli(&e);
    assert_eq!(e["target"], "bob");
    assert_eq!(entries(&pool, "token.create").await.len(), 2);
    let e = only(&pool, "token.revoke").await;
    by_cli(&e);
    assert_eq!(e["after"], json!({"name": "nightly", "revoked": true}));

    let all = everything(&pool).await;
    for secret in [
        password.as_str(),
        reset.as_str(),
        token.as_str(),
        "first-admin-password",
        "$argon2",
    ] {
        assert!(!all.contains(secret), "{secret} in the trail");
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn refused_changes_write_no_audit_entry(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let before = app.count("audit_log").await;
    let ada = app.user("ada", Role::Admin).await;
    let rita = app.reviewer("rita").await;
    let after_setup = app.count("audit_log").await;
    assert_eq!(after_setup, before + 2, "two users added");

    // Bad values, from the browser and the API.
    let err = ada
        .call::<Value>("admin/routing", &[("model", "m"), ("threshold", "2")])
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "threshold");
    let err = ada
        .call::<Value>(
            "admin/webhooks/add",
            &[("url", "ftp://x"), ("reviewed", "on")],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "url");
    let err = ada
        .call::<Value>("admin/error-tags", &[("tags", "a, a")])
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "tags");
    let err = ada
        .call::<Value>(
            "admin/escalations/resolve",
            &[
                ("task_id", &uuid::Uuid::new_v4().to_string()),
                ("verdict", "accept"),
            ],
        )
        .await
        .unwrap_err();
    assert!(err.get("NotFound").is_some(), "{err}");
    assert!(
        ada.call::<Value>("admin/webhooks/remove", &[("id", "987654")])
            .await
            .is_err()
    );
    let (status, _) = app
        .call("PUT", "/api/v1/routing/m", Some(json!({"threshold": -1})))
        .await;
    assert_eq!(status, 422);
    let (status, _) = app.call("DELETE", "/api/v1/routing/never-set", None).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(
            "POST",
            &format!(
                "/api/v1/webhooks/deliveries/{}/resend",
                uuid::Uuid::new_v4()
            ),
            None,
        )
        .await;
    assert_eq!(status, 404);
    // The wrong person.
    assert_eq!(
        rita.call::<Value>("admin/routing", &[("model", "m"), ("threshold", "0")])
            .await,
        Err(Value::String("Forbidden".into()))
    );
    assert_eq!(
        rita.call::<Value>("admin/guidelines", &[("text", "nothing")])
            .await,
        Err(Value::String("Forbidden".into()))
    );
    // The command line's own refusals.
    assert!(
        server::cli::set_disabled(&pool, "ada", true).await.is_err(),
        "the last admin"
    );
    assert!(
        server::cli::set_role(&pool, "ada", Role::Reviewer)
            .await
            .is_err(),
        "the last admin"
    );
    assert!(
        server::cli::add_user(&pool, "rita", Role::Reviewer, None)
            .await
            .is_err(),
        "exists"
    );
    assert!(
        server::cli::set_password(&pool, "nobody", None)
            .await
            .is_err()
    );

    assert_eq!(app.count("audit_log").await, after_setup);
    let threshold: f64 =
        sqlx::query_scalar("select threshold from routing_settings where model = '*'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(threshold, 0.8);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn only_admins_and_tokens_read_the_audit_log(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let rita = app.reviewer("rita").await;
    let page = rita.get_page("/admin/audit").await;
    assert_eq!(page.status(), 403);
    let body = page.text().await.unwrap();
    assert!(body.contains("Not allowed") && !body.contains("token.create"));
    assert_eq!(
        rita.call::<Value>("admin/audit", &[]).await,
        Err(Value::String("Forbidden".into()))
    );
    let res = rita.get_page("/api/v1/audit").await;
    assert_eq!(res.status(), 403);
    let anonymous = app.http.get(app.url("/api/v1/audit")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let ada = app.user("ada", Role::Admin).await;
    let res = ada.get_page("/api/v1/audit").await;
    assert_eq!(res.status(), 200);
    let page = ada.get_page("/admin/audit").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("token.create"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_audit_log_pages_by_cursor_and_filters_by_action_and_actor(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for i in 0..5 {
        let (status, _) = app
            .call(
                "PUT",
                &format!("/api/v1/routing/model-{i}"),
                Some(json!({"threshold": 0.5})),
            )
            .await;
        assert_eq!(status, 200);
    }
    // Five routing changes and the test token's creation.
    let mut seen = Vec::new();
    let mut path = "/api/v1/audit?limit=2".to_owned();
    loop {
        let (status, page) = app.get_json(&path).await;
        assert_eq!(status, 200, "{page}");
        let entries = page["entries"].as_array().unwrap();
        assert!(entries.len() <= 2);
        seen.extend(entries.iter().map(|e| e["id"].as_i64().unwrap()));
        match page["next_after"].as_i64() {
            Some(n) => path = format!("/api/v1/audit?limit=2&after={n}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats: {seen:?}"
    );

    let (_, page) = app
        .get_json("/api/v1/audit?action=routing.update&limit=3")
        .await;
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["target"], "model-4");
    assert_eq!(entries[0]["action"], "routing.update");
    assert_eq!(entries[0]["actor_kind"], "token");
    assert!(page["next_after"].is_i64());
    let (_, page) = app.get_json("/api/v1/audit?actor=nobody").await;
    assert_eq!(page, json!({"entries": [], "next_after": null}));

    // Bad parameters are named.
    for (query, field) in [
        ("action=drop", "action"),
        ("after=x", "after"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/audit?{query}")).await;
        assert_eq!(
            (status.as_u16(), body["field"].as_str()),
            (422, Some(field)),
            "{query}: {body}"
        );
    }

    // The document describes the same parameters, as query parameters.
    let (_, doc) = app.get_json("/api/v1/openapi.json").await;
    let params = doc["paths"]["/api/v1/audit"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let names: Vec<(&str, &str)> = params
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["in"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("limit", "query"),
            ("after", "query"),
            ("action", "query"),
            ("actor", "query")
        ]
    );

    // The page pages the same way, with the filter kept in its links.
    let ada = app.user("ada", Role::Admin).await;
    let html = ada
        .get_page("/admin/audit?action=routing.update")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("model-4") && html.contains("model-0"));
    assert!(!html.contains("Older entries"), "five entries fit one page");
    let oldest_two = seen[seen.len() - 3];
    let html = ada
        .get_page(&format!(
            "/admin/audit?action=routing.update&after={oldest_two}"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("model-0") && !html.contains("model-4"),
        "{html}"
    );
    let res = ada.get_page("/admin/audit?after=nonsense").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("next_after"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn hostile_text_in_the_audit_log_is_shown_as_text(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let model = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let (status, _) = app
        .call(
            "PUT",
            &format!("/api/v1/routing/{}", urlencode(model)),
            Some(json!({"threshold": 0.5})),
        )
        .await;
    assert_eq!(status, 200);
    let ada = app.user("ada", Role::Admin).await;
    let html = ada.get_page("/admin/audit").await.text().await.unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;")
    );
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
}

fn urlencode(raw: &str) -> String {
    app::url::encode_query_value(raw, false)
}

/// A webhook URL's query often carries the receiver's token: the trail keeps the URL without it.
#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_trail_keeps_a_webhook_url_without_its_query(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let receiver = Receiver::start(&[]).await;
    let url = format!("{}?token=query-secret-not-for-the-trail", receiver.url());
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": url, "events": ["task.reviewed"]})),
        )
        .await;
    assert_eq!(status, 201);
    let e = only(&pool, "webhook.add").await;
    assert_eq!(e["after"]["url"], format!("{}?…", receiver.url()));
    assert!(!everything(&pool).await.contains("query-secret"));
}
