//! Source-support marks (issue 17): what the review page's task data says about each summary
//! sentence (`marked`, `marks`), the explanation on the page, and the per-model rule that sends
//! a confident output with a marked summary to review (`weak_support`), with the dashboard's count
//! of what it caught and what reviewers said.

use crate::helpers::TestApp;
use app::domain::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

/// A policy, and the demo's flagship hallucination about it: "fully" and "any" are in no
/// sentence of the source.
const POLICY: &str = "From March, staff may work remotely up to three days a week. Staff may \
    also work from another country for up to 20 days a year. Managers approve each request.";
const WIDENED: &str = "Employees can now work fully remotely from any country.";
const FAITHFUL: &str = "Staff may work remotely up to three days a week.";

fn output(external_id: &str, model: &str, summary: &str, confidence: f64) -> Value {
    json!({
        "document": POLICY, "summary": summary, "confidence": confidence,
        "model": model, "model_version": "1", "external_id": external_id
    })
}

async fn compute_hints(app: &TestApp) -> usize {
    server::support_worker::compute_all_pending(&app.pool)
        .await
        .unwrap()
}

/// The text of `summary` a mark's span covers.
fn span_text<'a>(summary: &'a str, mark: &Value) -> &'a str {
    let span = mark["span"].as_array().unwrap();
    let (s, e) = (span[0].as_u64().unwrap(), span[1].as_u64().unwrap());
    &summary[s as usize..e as usize]
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn each_sentence_says_whether_it_is_marked_and_what_was_found(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let summary = format!("{FAITHFUL} {WIDENED}");
    app.submit(output("policy", "summarizer", &summary, 0.3))
        .await;
    assert_eq!(compute_hints(&app).await, 1);

    let rita = app.reviewer("rita").await;
    let task = rita.current_task().await.unwrap();
    let sentences = task["support"]["summary"].as_array().unwrap();
    assert_eq!(sentences.len(), 2);
    assert_eq!(sentences[0]["marked"], false, "{:?}", sentences[0]);
    assert_eq!(sentences[0]["marks"], json!([]));
    assert_eq!(sentences[1]["marked"], true);
    let scope: Vec<(&str, Value)> = sentences[1]["marks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "scope")
        .map(|m| (span_text(&summary, m), m["source"].clone()))
        .collect();
    let source = task["support"]["source"].as_array().unwrap();
    assert_eq!(
        scope.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        ["fully", "any"]
    );
    // Each names the source sentence that lacks it, an index into `source`.
    for (_, s) in &scope {
        assert!(
            s.as_u64().is_some_and(|i| (i as usize) < source.len()),
            "{s}"
        );
    }

    // The page explains the marks beside the summary, quoting the source sentence.
    let html = rita.get_page("/review").await.text().await.unwrap();
    assert!(html.contains(r#"aria-label="Why sentences are marked""#));
    assert!(
        html.contains("Scope word “fully” is not in the source sentence it follows"),
        "{html}"
    );
    assert!(html.contains("1 of 2 sentences marked"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn hostile_text_in_a_mark_and_its_source_sentence_is_shown_as_text(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let document = "The <b>board</b> approved the <script>alert(1)</script> plan on Monday.";
    let summary = "The <b>board</b> never approved the <script>alert(1)</script> plan on Monday.";
    app.submit(json!({
        "document": document, "summary": summary, "confidence": 0.3,
        "model": "summarizer", "external_id": "hostile"
    }))
    .await;
    compute_hints(&app).await;
    let rita = app.reviewer("rita").await;
    let task = rita.current_task().await.unwrap();
    assert_eq!(task["support"]["summary"][0]["marked"], true);
    let html = rita.get_page("/review").await.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"), "raw script in the page");
    assert!(!html.contains("<b>board"), "raw markup in the page");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Negation “never” is not in the source sentence it follows"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_confident_output_with_a_marked_summary_goes_to_review_when_its_models_rule_is_on(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    // No audit sample, so every confident output is auto-accepted by confidence alone.
    let (status, _) = app
        .call("PUT", "/api/v1/routing/%2A", Some(json!({"audit_rate": 0})))
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .call(
            "PUT",
            "/api/v1/routing/checked",
            Some(json!({"weak_support_review": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["weak_support_review"], true);
    let (status, body) = app
        .call(
            "PUT",
            "/api/v1/routing/checked",
            Some(json!({"weak_support_review": "yes"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    let answers = app
        .submit(json!([
            output("widened", "checked", WIDENED, 0.97),
            output("faithful", "checked", FAITHFUL, 0.97),
            output("unchecked", "other", WIDENED, 0.97),
        ]))
        .await;
    // The pipeline's answer is the routing decision; the check comes right after.
    for a in answers.as_array().unwrap() {
        assert_eq!(a["status"], "auto_accepted", "{a}");
    }
    assert_eq!(
        compute_hints(&app).await,
        2,
        "only the checked model's outputs"
    );
    let row = |id: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_as::<_, (String, String, bool, bool)>(
                "select status, reason, support_check, support is not null from tasks
                 where external_id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        row("widened").await,
        ("queued".into(), "weak_support".into(), false, true)
    );
    assert_eq!(
        row("faithful").await,
        ("auto_accepted".into(), "auto_accepted".into(), false, true)
    );
    assert_eq!(
        row("unchecked").await,
        ("auto_accepted".into(), "auto_accepted".into(), false, false),
        "the rule is off for this model: nothing computed, nothing moved"
    );
    let widened = answers[0]["id"].as_str().unwrap();
    let (_, polled) = app.get_json(&format!("/api/v1/tasks/{widened}")).await;
    assert_eq!(polled["reason"], "weak_support", "{polled}");
    assert_eq!(polled["status"], "queued", "{polled}");

    // A reviewer sees it with its reason, and rejects it.
    let rita = app.reviewer("rita").await;
    let task = rita.current_task().await.unwrap();
    assert_eq!(task["reason"], "weak_support");
    assert_eq!(task["support"]["summary"][0]["marked"], true);
    rita.review(task["id"].as_str().unwrap(), "1", "reject")
        .await
        .unwrap();
    assert!(rita.current_task().await.is_none());

    let admin = app.user("ada", Role::Admin).await;
    let d = admin
        .call::<Value>("admin/dashboard", &[])
        .await
        .expect("dashboard");
    let caught = &d["weak_support"];
    assert_eq!(caught["outputs"], 1, "{caught}");
    assert_eq!(caught["reviews"], 1);
    assert_eq!(caught["rejected"], 1);
    assert_eq!(caught["mean_rating"], 1.0);
    let html = admin.get_page("/admin").await.text().await.unwrap();
    assert!(html.contains(r#"data-figure="weak-support">1<"#), "{html}");
}
