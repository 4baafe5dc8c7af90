//! The dashboard's figures against fixtures where each number is known by hand: calibration bins
//! and ECE, the what-if interval, Krippendorff's alpha on the textbook example, edit distance,
//! volume by day and reason, and the model filter. Plus who may see it and how bad filters fail.

use crate::helpers::{Session, TestApp};
use app::domain::Role;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

/// Tasks and reviews written straight into the tables, so each test controls every number.
struct Fixture<'a> {
    pool: &'a PgPool,
}

impl Fixture<'_> {
    async fn task(&self, confidence: f64, reason: &str, model: &str, days_ago: i32) -> Uuid {
        self.task_with(confidence, reason, model, days_ago, false)
            .await
    }

    async fn task_with(
        &self,
        confidence: f64,
        reason: &str,
        model: &str,
        days_ago: i32,
        flagged: bool,
    ) -> Uuid {
        let id = Uuid::new_v4();
        let status = if reason == "auto_accepted" {
            "auto_accepted"
        } else {
            "reviewed"
        };
        sqlx::query(
            "insert into tasks (id, document, summary, confidence, model, model_version, flagged,
                                threshold, reason, status, created_at)
             values ($1, 'A source document.', 'A summary.', $2, $3, '1.0', $4, 0.8, $5, $6,
                     now() - make_interval(days => $7))",
        )
        .bind(id)
        .bind(confidence)
        .bind(model)
        .bind(flagged)
        .bind(reason)
        .bind(status)
        .bind(days_ago)
        .execute(self.pool)
        .await
        .unwrap();
        sqlx::query("insert into model_versions (model, model_version) values ($1, '1.0') on conflict do nothing")
            .bind(model)
            .execute(self.pool)
            .await
            .unwrap();
        id
    }

    async fn reviewer(&self, name: &str) -> i64 {
        sqlx::query_scalar(
            "insert into users (username, password_hash, role) values ($1, '!', 'reviewer')
             on conflict (username) do update set role = excluded.role returning id",
        )
        .bind(name)
        .fetch_one(self.pool)
        .await
        .unwrap()
    }

    async fn review(&self, task: Uuid, reviewer: i64, rating: i16, verdict: &str) {
        sqlx::query(
            "insert into reviews (task_id, reviewer_id, rating, verdict, seconds_spent, created_at,
                                  model, model_version, confidence, reason, project_id)
             select id, $2, $3, $4, 30, created_at + interval '1 minute',
                    model, model_version, confidence, reason, project_id
             from tasks where id = $1",
        )
        .bind(task)
        .bind(reviewer)
        .bind(rating)
        .bind(verdict)
        .execute(self.pool)
        .await
        .unwrap();
    }
}

async fn admin(app: &TestApp) -> Session {
    app.user("ada", Role::Admin).await
}

async fn dashboard(session: &Session, form: &[(&str, &str)]) -> Value {
    session
        .call::<Value>("admin/dashboard", form)
        .await
        .expect("dashboard")
}

fn close(actual: &Value, expected: f64) -> bool {
    actual.as_f64().is_some_and(|a| (a - expected).abs() < 1e-4)
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn calibration_bins_and_expected_calibration_error_match_the_hand_computed_values(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool.clone()).await;
    let fx = Fixture { pool: &pool };
    let r = fx.reviewer("rev").await;
    // Decile 0.3: four low-confidence reviews at 0.35, one accepted → acceptance 0.25.
    for verdict in ["accept", "reject", "reject", "reject"] {
        let t = fx.task(0.35, "low_confidence", "m", 1).await;
        fx.review(t, r, 2, verdict).await;
    }
    // Decile 0.9: five audit-sample reviews at 0.92, four accepted → acceptance 0.8.
    for verdict in ["accept", "accept", "accept", "accept", "reject"] {
        let t = fx.task(0.92, "audit_sample", "m", 1).await;
        fx.review(t, r, 4, verdict).await;
    }
    let d = dashboard(&admin(&app).await, &[]).await;
    let all = &d["calibration"]["all"];
    assert_eq!(all[3]["count"], 4);
    assert!(
        close(&all[3]["mean_confidence"], 0.35) && close(&all[3]["acceptance"], 0.25),
        "{}",
        all[3]
    );
    assert_eq!(all[9]["count"], 5);
    assert!(
        close(&all[9]["mean_confidence"], 0.92) && close(&all[9]["acceptance"], 0.8),
        "{}",
        all[9]
    );
    // ECE = (4 × |0.35 − 0.25| + 5 × |0.92 − 0.80|) / 9 = 1.0 / 9.
    assert!(
        close(&d["calibration"]["ece_all"], 1.0 / 9.0),
        "{}",
        d["calibration"]["ece_all"]
    );
    // The audit-only view sees just the second group: ECE = 0.12.
    assert_eq!(d["calibration"]["audit"][3]["count"], 0);
    assert_eq!(d["calibration"]["audit"][9]["count"], 5);
    assert!(
        close(&d["calibration"]["ece_audit"], 0.12),
        "{}",
        d["calibration"]["ece_audit"]
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_threshold_what_if_gives_the_review_share_and_the_wilson_interval(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let fx = Fixture { pool: &pool };
    let r = fx.reviewer("rev").await;
    // Ten audit-sample outputs at exactly 0.85, two rejected.
    for i in 0..10 {
        let t = fx.task(0.85, "audit_sample", "m", 1).await;
        fx.review(t, r, 3, if i < 2 { "reject" } else { "accept" })
            .await;
    }
    // Five low-confidence outputs at 0.5 and one flagged at 0.95: sixteen in all.
    for _ in 0..5 {
        fx.task(0.5, "low_confidence", "m", 1).await;
    }
    fx.task_with(0.95, "flagged", "m", 1, true).await;

    let d = dashboard(&admin(&app).await, &[]).await;
    let rows = d["what_if"]["rows"].as_array().unwrap();
    let at = |t: f64| rows.iter().find(|r| close(&r["threshold"], t)).unwrap();
    assert!(close(&d["what_if"]["current"], 0.8));
    // At 0.80: the five at 0.5 and the flagged one go to review → 6 / 16.
    assert!(close(&at(0.80)["review_share"], 6.0 / 16.0), "{}", at(0.80));
    // At 0.50, 0.5 is not under the threshold: only the flagged one → 1 / 16.
    assert!(close(&at(0.50)["review_share"], 1.0 / 16.0), "{}", at(0.50));
    // At 0.85 the outputs at exactly 0.85 are still auto-accepted, so their audit counts:
    // 2 of 10 rejected, Wilson 95% interval (0.0567, 0.5098).
    let row = at(0.85);
    assert_eq!(row["audit_reviews"], 10);
    assert_eq!(row["audit_rejects"], 2);
    assert!(close(&row["reject_share"], 0.2));
    assert!(
        (row["interval"][0].as_f64().unwrap() - 0.0567).abs() < 1e-4,
        "{row}"
    );
    assert!(
        (row["interval"][1].as_f64().unwrap() - 0.5098).abs() < 1e-4,
        "{row}"
    );
    // At 0.90 nothing audited is above the threshold: no estimate rather than a made-up one.
    assert_eq!(at(0.90)["audit_reviews"], 0);
    assert_eq!(at(0.90)["reject_share"], Value::Null);
}

/// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": four observers, twelve
/// units, values 1–5 with gaps. Published ordinal alpha: 0.815.
const TEXTBOOK: [[u8; 12]; 4] = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
    [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
];

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn agreement_on_krippendorffs_textbook_example_is_alpha_0_815(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let fx = Fixture { pool: &pool };
    let mut reviewers = Vec::new();
    for name in ["obs-a", "obs-b", "obs-c", "obs-d"] {
        reviewers.push(fx.reviewer(name).await);
    }
    for unit in 0..12 {
        let t = fx.task(0.5, "low_confidence", "m", 1).await;
        for (observer, row) in TEXTBOOK.iter().enumerate() {
            let rating = row[unit];
            if rating > 0 {
                // Verdicts follow the rating: 3 and above accept.
                let verdict = if rating >= 3 { "accept" } else { "reject" };
                fx.review(t, reviewers[observer], i16::from(rating), verdict)
                    .await;
            }
        }
    }
    let d = dashboard(&admin(&app).await, &[]).await;
    let a = &d["agreement"];
    // Unit 12 has a single value and is not pairable.
    assert_eq!(a["tasks"], 11);
    assert!((a["alpha"].as_f64().unwrap() - 0.815).abs() < 5e-4, "{a}");
    // Counted by hand: 96 of the 110 ordered reviewer pairs give the same verdict.
    assert!(close(&a["verdict_agreement"], 96.0 / 110.0), "{a}");
    // Every observer appears in the reviewer table with an agreement share.
    let table = d["reviewers"].as_array().unwrap();
    assert_eq!(table.len(), 4);
    assert!(table.iter().all(|r| r["agreement"].as_f64().is_some()));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_correction_stores_its_word_edit_distance_and_the_dashboard_counts_it(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.submit(json!({
        "document": "The council met on Tuesday and approved the budget.",
        "summary": "The council approved the budget on Tuesday evening",
        "confidence": 0.3, "model": "summarizer", "model_version": "2.4",
    }))
    .await;
    let reviewer = app.reviewer("ann").await;
    let t = reviewer.current_task().await.unwrap();
    reviewer
        .call::<Value>(
            "review/submit",
            &[
                ("task_id", t["id"].as_str().unwrap()),
                ("rating", "2"),
                ("verdict", "reject"),
                // One word changed of eight → 0.125.
                (
                    "corrected_summary",
                    "The council rejected the budget on Tuesday evening",
                ),
            ],
        )
        .await
        .unwrap();
    let stored: f64 = sqlx::query_scalar("select edit_distance from reviews")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!((stored - 0.125).abs() < 1e-12, "{stored}");
    let d = dashboard(&admin(&app).await, &[]).await;
    assert_eq!(d["reviews"]["total"], 1);
    assert_eq!(d["reviews"]["rejected"], 1);
    assert_eq!(d["reviews"]["corrected"], 1);
    assert_eq!(d["reviews"]["ratings"], json!([0, 1, 0, 0, 0]));
    assert_eq!(d["reviews"]["edit_histogram"][1], 1);
    assert!(close(&d["reviews"]["mean_edit_distance"], 0.125));
    // The review carries its task's model for grouping.
    assert_eq!(d["versions"][0]["label"], "summarizer 2.4");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn volume_is_counted_per_day_and_reason_and_the_model_filter_narrows_every_figure(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool.clone()).await;
    let fx = Fixture { pool: &pool };
    let r = fx.reviewer("rev").await;
    for _ in 0..3 {
        fx.task(0.95, "auto_accepted", "alpha", 0).await;
    }
    let low = fx.task(0.4, "low_confidence", "alpha", 2).await;
    fx.review(low, r, 2, "reject").await;
    let other = fx.task(0.4, "low_confidence", "beta", 2).await;
    fx.review(other, r, 5, "accept").await;
    // Outside the default 30 days: not counted.
    fx.task(0.4, "low_confidence", "alpha", 45).await;

    let session = admin(&app).await;
    let d = dashboard(&session, &[]).await;
    let days = d["buckets"].as_array().unwrap().len();
    assert_eq!(days, 30);
    // REASONS order: low_confidence, flagged, audit_sample, auto_accepted; today is the last day.
    assert_eq!(d["volume"][3][days - 1], 3);
    assert_eq!(d["volume"][0][days - 3], 2);
    assert_eq!(d["reviews"]["total"], 2);
    assert_eq!(d["models"], json!([["alpha", "1.0"], ["beta", "1.0"]]));

    let alpha = dashboard(&session, &[("model", "alpha")]).await;
    assert_eq!(alpha["filter"]["model"], "alpha");
    assert_eq!(alpha["volume"][0][days - 3], 1);
    assert_eq!(alpha["volume"][3][days - 1], 3);
    assert_eq!(alpha["reviews"]["total"], 1);
    assert_eq!(alpha["reviews"]["ratings"], json!([0, 1, 0, 0, 0]));

    let beta = dashboard(&session, &[("model", "beta"), ("version", "1.0")]).await;
    assert_eq!(beta["reviews"]["ratings"], json!([0, 0, 0, 0, 1]));
    assert_eq!(beta["volume"][3][days - 1], 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_bad_filter_names_its_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let session = admin(&app).await;
    for (form, field) in [
        (vec![("from", "26/11/2026")], "from"),
        (vec![("to", "yesterday")], "to"),
        (vec![("from", "2026-11-20"), ("to", "2026-11-01")], "from"),
        (vec![("version", "2.4")], "version"),
    ] {
        let err = session
            .call::<Value>("admin/dashboard", &form)
            .await
            .unwrap_err();
        assert_eq!(err["Validation"]["field"], field, "{form:?} gave {err}");
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn reviewers_cannot_see_the_dashboard_or_a_task_history(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let fx = Fixture { pool: &pool };
    let t = fx.task(0.5, "low_confidence", "m", 1).await;
    let reviewer = app.reviewer("rita").await;
    let err = reviewer
        .call::<Value>("admin/dashboard", &[])
        .await
        .unwrap_err();
    assert_eq!(err, json!("Forbidden"));
    let err = reviewer
        .call::<Value>("admin/task", &[("id", &t.to_string())])
        .await
        .unwrap_err();
    assert_eq!(err, json!("Forbidden"));
    assert_eq!(reviewer.get_page("/admin").await.status(), 403);
    assert_eq!(
        reviewer
            .get_page(&format!("/admin/tasks/{t}"))
            .await
            .status(),
        403
    );
    let err = reviewer
        .call::<Value>(
            "admin/routing",
            &[("model", "*"), ("reviews_per_task", "2")],
        )
        .await
        .unwrap_err();
    assert_eq!(err, json!("Forbidden"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_task_page_shows_every_review_of_a_task(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let fx = Fixture { pool: &pool };
    let t = fx.task(0.5, "low_confidence", "m", 1).await;
    fx.review(t, fx.reviewer("first").await, 2, "reject").await;
    fx.review(t, fx.reviewer("second").await, 4, "escalate")
        .await;
    let session = admin(&app).await;
    let history: Value = session
        .call("admin/task", &[("id", &t.to_string())])
        .await
        .unwrap();
    let reviewers: Vec<&str> = history["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reviewer"].as_str().unwrap())
        .collect();
    assert_eq!(reviewers, ["first", "second"]);
    let page = session.get_page(&format!("/admin/tasks/{t}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("first") && html.contains("second") && html.contains("A source document.")
    );
    let missing: Value = session
        .call::<Value>("admin/task", &[("id", &Uuid::new_v4().to_string())])
        .await
        .unwrap_err();
    assert_eq!(missing, json!({"NotFound": "task"}));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn admins_set_reviews_per_task_and_new_tasks_of_that_model_need_that_many(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.submit(crate::helpers::task("before", 0.3)).await;
    let session = admin(&app).await;
    session
        .call::<Value>(
            "admin/routing",
            &[("model", "summarizer"), ("reviews_per_task", "2")],
        )
        .await
        .unwrap();
    app.submit(crate::helpers::task("after", 0.3)).await;
    let required: Vec<(String, i32)> =
        sqlx::query_as("select external_id, reviews_required from tasks order by external_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(required, [("after".into(), 2), ("before".into(), 1)]);
    // Out of range, and no model: each names its field, nothing changes.
    let err = session
        .call::<Value>(
            "admin/routing",
            &[("model", "summarizer"), ("reviews_per_task", "11")],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "reviews_per_task");
    let err = session
        .call::<Value>(
            "admin/routing",
            &[("model", " "), ("reviews_per_task", "2")],
        )
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "model");
    let stored: i32 = sqlx::query_scalar(
        "select reviews_per_task from routing_settings where model = 'summarizer'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored, 2);
    assert_eq!(app.count("routing_settings").await, 2);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_generated_history_leaves_the_queue_empty_and_fills_every_chart(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let made = server::generate::load(&pool, &server::demo::history())
        .await
        .unwrap();
    assert_eq!(made.tasks, 1_500);
    // Loading it again changes nothing.
    let again = server::generate::load(&pool, &server::demo::history())
        .await
        .unwrap();
    assert_eq!(
        again,
        server::generate::Generated {
            tasks: 0,
            reviews: 0
        }
    );
    // The history spans the last 30 days, a little more than the default view: widen it.
    let from = (chrono::Utc::now() - chrono::Duration::days(40))
        .format("%Y-%m-%d")
        .to_string();
    let d = dashboard(&admin(&app).await, &[("from", &from)]).await;
    assert_eq!(d["queue"]["waiting"], 0);
    assert_eq!(d["reviews"]["total"].as_i64(), Some(made.reviews));
    assert!(d["agreement"]["alpha"].as_f64().is_some());
    assert!(d["calibration"]["ece_audit"].as_f64().is_some());
    assert_eq!(d["versions"].as_array().unwrap().len(), 3);
    // Stored edit distances agree with the server's own word-level measure.
    let pairs: Vec<(String, String, f64)> = sqlx::query_as(
        "select t.summary, r.corrected_summary, r.edit_distance
         from reviews r join tasks t on t.id = r.task_id
         where r.corrected_summary is not null limit 50",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!pairs.is_empty());
    for (summary, corrected, stored) in pairs {
        let measured = app::stats::word_edit_distance(&summary, &corrected);
        assert!(
            (measured - stored).abs() < 1e-9,
            "{summary:?} → {corrected:?}: {stored} vs {measured}"
        );
    }
}
