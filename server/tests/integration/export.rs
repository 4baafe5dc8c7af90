//! `GET /api/v1/export`: every format parses and holds what it should, CSV cannot smuggle a
//! formula into a spreadsheet, a large export arrives whole, and only admins and tokens may export.

use crate::helpers::TestApp;
use app::domain::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Two tasks on the same document (one summary accepted, one rejected without a correction), and
/// one task rejected with a correction that starts like a spreadsheet formula.
async fn reviewed_fixture(app: &TestApp) {
    let doc = "The board met on Monday and moved the launch to March.";
    app.submit(json!([
        {"document": doc, "summary": "Launch moved to March.", "confidence": 0.3,
         "model": "summarizer", "model_version": "2.3", "external_id": "good"},
        {"document": doc, "summary": "Launch cancelled.", "confidence": 0.2,
         "model": "summarizer", "model_version": "2.4", "external_id": "bad"},
        {"document": "Revenue was 4 million, up 10 percent.", "summary": "Revenue fell.",
         "confidence": 0.1, "model": "summarizer", "model_version": "2.4", "external_id": "fixed"},
    ]))
    .await;
    let reviewer = app.reviewer("ann").await;
    while let Some(t) = reviewer.current_task().await {
        let id = t["id"].as_str().unwrap().to_owned();
        let form: Vec<(&str, &str)> = match t["summary"].as_str().unwrap() {
            "Launch moved to March." => vec![("rating", "5"), ("verdict", "accept")],
            "Launch cancelled." => vec![("rating", "1"), ("verdict", "reject")],
            _ => vec![
                ("rating", "1"),
                ("verdict", "reject"),
                ("comment", "=HYPERLINK(\"http://evil\",\"click\")"),
                (
                    "corrected_summary",
                    "+10 percent: revenue rose to 4 million.",
                ),
            ],
        };
        let mut fields = vec![("task_id", id.as_str())];
        fields.extend(form);
        reviewer
            .call::<Value>("review/submit", &fields)
            .await
            .unwrap();
    }
    let res = app
        .post_json(
            "/feedback",
            &json!({"task_id": "good", "user_id": "u1", "feedback_type": "thumbs", "value": "up"}),
        )
        .await;
    assert!(res.status().is_success());
}

pub(crate) async fn export(app: &TestApp, query: &str) -> (reqwest::StatusCode, String, String) {
    let res = app
        .http
        .get(app.url(&format!("/api/v1/export?{query}")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, res.text().await.unwrap())
}

pub(crate) fn lines(body: &str) -> Vec<Value> {
    body.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn jsonl_holds_every_review_then_every_end_user_feedback(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    reviewed_fixture(&app).await;
    let (status, content_type, body) = export(&app, "format=jsonl").await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/x-ndjson");
    let rows = lines(&body);
    assert_eq!(rows.len(), 4);
    assert!(
        rows[..3]
            .iter()
            .all(|r| r["source"] == "review" && r["reviewer"] == "ann")
    );
    assert_eq!(rows[3]["source"], "end_user");
    assert_eq!(rows[3]["external_id"], "good");
    assert_eq!(rows[3]["value"], "up");
    let fixed = rows.iter().find(|r| r["external_id"] == "fixed").unwrap();
    assert_eq!(
        fixed["corrected_summary"],
        "+10 percent: revenue rose to 4 million."
    );
    assert_eq!(fixed["document"], "Revenue was 4 million, up 10 percent.");
    // The model filter narrows the export like the dashboard.
    let (_, _, body) = export(&app, "format=jsonl&model=summarizer&version=2.3").await;
    let rows = lines(&body);
    assert_eq!(
        rows.len(),
        2,
        "the 2.3 review and the end-user thumbs on its task"
    );
    assert!(rows.iter().all(|r| r["model_version"] == "2.3"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn csv_has_a_header_quotes_properly_and_defuses_formulas(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    reviewed_fixture(&app).await;
    let (status, content_type, body) = export(&app, "format=csv").await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let records: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        records.len(),
        5,
        "header, three reviews, one end-user feedback"
    );
    assert!(records[0].starts_with("source,feedback_id,task_id,external_id,model"));
    let fixed = records.iter().find(|r| r.contains(",fixed,")).unwrap();
    // Both the comment and the correction started with a formula character: each is quoted and
    // prefixed with ', and inner quotes are doubled.
    assert!(
        fixed.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"click\"\")\""),
        "{fixed}"
    );
    assert!(
        fixed.contains("\"'+10 percent: revenue rose to 4 million.\""),
        "{fixed}"
    );
    assert!(!fixed.contains(",=") && !fixed.contains(",+"), "{fixed}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn sft_and_dpo_pairs_come_from_corrections_and_accepted_siblings(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    reviewed_fixture(&app).await;
    let (status, _, body) = export(&app, "format=sft").await;
    assert_eq!(status, 200);
    let sft = lines(&body);
    assert_eq!(sft.len(), 1);
    assert_eq!(sft[0]["prompt"], "Revenue was 4 million, up 10 percent.");
    assert_eq!(
        sft[0]["completion"],
        "+10 percent: revenue rose to 4 million."
    );

    let (_, _, body) = export(&app, "format=dpo").await;
    let mut dpo = lines(&body);
    dpo.sort_by_key(|p| p["rejected"].as_str().unwrap().to_owned());
    assert_eq!(dpo.len(), 2);
    // Rejected without a correction: the accepted summary of the same document is chosen.
    assert_eq!(dpo[0]["rejected"], "Launch cancelled.");
    assert_eq!(dpo[0]["chosen"], "Launch moved to March.");
    // Rejected with a correction: the correction is chosen.
    assert_eq!(dpo[1]["rejected"], "Revenue fell.");
    assert_eq!(dpo[1]["chosen"], "+10 percent: revenue rose to 4 million.");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_large_export_arrives_whole_across_many_chunks(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let made = server::generate::load(
        &pool,
        &server::generate::Spec {
            prefix: "big-".into(),
            tasks: 6_000,
            reviews: None,
            days: 20,
            reviewers: 4,
        },
    )
    .await
    .unwrap();
    assert!(made.reviews > 2_000, "{made:?}");
    let (status, _, body) = export(&app, "format=jsonl").await;
    assert_eq!(status, 200);
    assert!(
        body.len() > 4 * 64 * 1024,
        "spans several chunks: {} bytes",
        body.len()
    );
    let rows = lines(&body);
    let signals: i64 = sqlx::query_scalar("select count(*) from external_feedback")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        signals > 1_000,
        "the history has end users' signals: {signals}"
    );
    assert_eq!(rows.len() as i64, made.reviews + signals);
    // Every review, then every end-user signal, each ordered by id and exactly once.
    let split = rows.iter().position(|r| r["source"] == "end_user").unwrap();
    assert_eq!(split as i64, made.reviews);
    for part in [&rows[..split], &rows[split..]] {
        let ids: Vec<i64> = part
            .iter()
            .map(|r| r["feedback_id"].as_i64().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn bad_export_parameters_name_their_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (query, field) in [
        ("format=xlsx", "format"),
        ("from=yesterday", "from"),
        ("from=2026-11-20&to=2026-11-01", "from"),
        ("version=2.4", "version"),
    ] {
        let (status, _, body) = export(&app, query).await;
        assert_eq!(status, 422, "{query}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["field"], field, "{query}: {body}");
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn only_admins_and_tokens_may_export(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let url = app.url("/api/v1/export?format=csv");
    let anonymous = app.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let bad_token = app
        .http
        .get(&url)
        .bearer_auth("loupe_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_token.status(), 401);
    let reviewer = app.reviewer("rita").await;
    assert_eq!(
        reviewer
            .get_page("/api/v1/export?format=csv")
            .await
            .status(),
        403
    );
    let admin = app.user("ada", Role::Admin).await;
    let res = admin.get_page("/api/v1/export?format=csv").await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"loupe-feedback-"),
        "{disposition}"
    );
    assert!(disposition.ends_with(".csv\""), "{disposition}");
}
