//! End users on the dashboard (issue 15): satisfaction, signal rates, agreement with reviewers
//! and what reviewers found in outputs end users sent back, through the real feedback route,
//! the review page's server functions and the admin's dashboard; the rollups (migration 0025)
//! against scans of the raw tables for spans with and without midnight edges, after signals and
//! reviews written in either order, amended and moved; and `sft` / `dpo` exports that learn from
//! end users' corrections.

use crate::export::lines;
use crate::helpers::TestApp;
use app::dashboard::end_users::figures;
use app::dashboard::span::Span;
use app::domain::Role;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

fn output(external_id: &str, summary: &str, confidence: f64) -> Value {
    json!({"document": format!("Source document for {external_id}."), "summary": summary,
           "confidence": confidence, "model": "summarizer", "model_version": "2.4",
           "external_id": external_id})
}

async fn signal(app: &TestApp, task: &str, kind: &str, value: Value, comments: Option<&str>) {
    let res = app
        .post_json(
            "/feedback",
            &json!({"task_id": task, "user_id": "end-user-1", "feedback_type": kind,
                    "value": value, "comments": comments}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200, "{kind} on {task}");
}

/// Reviews every task the reviewer is offered, with the verdict its summary names.
async fn review_all(app: &TestApp) {
    let reviewer = app.reviewer("rae").await;
    while let Some(t) = reviewer.current_task().await {
        let id = t["id"].as_str().unwrap().to_owned();
        let (rating, verdict) = match t["summary"].as_str().unwrap() {
            s if s.starts_with("Accept") => ("5", "accept"),
            s if s.starts_with("Escalate") => ("3", "escalate"),
            _ => ("2", "reject"),
        };
        reviewer.review(&id, rating, verdict).await.unwrap();
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_dashboard_shows_what_end_users_said_and_what_reviewers_found(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, _) = app
        .call("PUT", "/api/v1/routing/%2A", Some(json!({"audit_rate": 0})))
        .await;
    assert_eq!(status, 200);
    app.submit(json!([
        output("q1", "Accept this one.", 0.3),
        output("q2", "Reject this one.", 0.3),
        output("q3", "Escalate this one.", 0.3),
        output("auto", "Reject this confident one.", 0.95),
    ]))
    .await;
    // Before any review: a thumbs-up on q1 (pairs when q1 is reviewed), a copy, a type Loupe
    // does not know, and a thumbs-down that sends the auto-accepted output back to review.
    signal(&app, "q1", "thumbs", json!(1), None).await;
    signal(&app, "q1", "copy", Value::Null, None).await;
    signal(&app, "q1", "share_link", json!(1), None).await;
    signal(&app, "auto", "thumbs", json!(0), None).await;
    review_all(&app).await;
    // After the reviews: pairs with reviews already written.
    signal(&app, "q1", "rating", json!(2), None).await;
    signal(&app, "q2", "thumbs", json!(0), None).await;
    signal(&app, "q3", "thumbs", json!(0), None).await;
    signal(&app, "q2", "rating", json!(3), None).await;

    let admin = app.user("ada", Role::Admin).await;
    let d = admin
        .call::<Value>("admin/dashboard", &[])
        .await
        .expect("dashboard");
    let e = &d["end_users"];
    assert_eq!(e["signals"], 8);
    assert_eq!(
        (e["thumbs"].clone(), e["thumbs_up"].clone()),
        (json!(4), json!(1))
    );
    assert_eq!(
        (e["ratings"].clone(), e["mean_rating"].clone()),
        (json!(2), json!(2.5))
    );
    // q1: up × accept agrees, rating 2 × accept does not; q2: down × reject agrees (its rating 3
    // takes no side); q3 was escalated: no pair; auto: down × reject agrees.
    assert_eq!(e["agreement_pairs"], 4);
    assert_eq!(e["agreement"], 0.75);
    assert_eq!(e["outputs"], 4);
    let types: Vec<(String, i64, f64)> = e["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["feedback_type"].as_str().unwrap().to_owned(),
                t["count"].as_i64().unwrap(),
                t["per_100_outputs"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        types,
        vec![
            ("thumbs".into(), 4, 100.0),
            ("rating".into(), 2, 50.0),
            ("copy".into(), 1, 25.0),
            ("share_link".into(), 1, 25.0),
        ]
    );
    let back = &e["came_back"];
    assert_eq!(
        (
            &back["outputs"],
            &back["reviews"],
            &back["rejected"],
            &back["accepted"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(0))
    );
    let series = &e["versions"][0];
    assert_eq!(series["label"], "summarizer 2.4");
    let today = d["buckets"].as_array().unwrap().len() - 1;
    assert_eq!(series["thumbs_up_share"][today], 0.25);
    assert_eq!(series["mean_rating"][today], 2.5);
    assert_eq!(series["thumbs_up_share"][0], Value::Null);

    // The page shows them, a hostile type as text.
    signal(
        &app,
        "q1",
        "<img src=x onerror=alert(1)>",
        Value::Null,
        None,
    )
    .await;
    let page = admin.get_page("/admin").await.text().await.unwrap();
    assert!(page.contains(r#"data-figure="thumbs-up">25.0%"#), "{page}");
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!page.contains("<img src=x"));

    // The admin overview's totals, from the same rollups.
    let overview = admin
        .call::<Value>("admin/overview", &[])
        .await
        .expect("overview");
    assert_eq!(
        (&overview["reviews"], &overview["external_feedback"]),
        (&json!(4), &json!(9))
    );
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn span(start: &str, end: &str, model: Option<&str>) -> Span {
    Span {
        start: at(start),
        end: at(end),
        model: model.map(str::to_owned),
        version: None,
        projects: None,
        origin: at(start).date_naive(),
        bucket_days: 1,
    }
}

/// What the rollups must answer, scanned from the raw tables.
async fn scanned(pool: &PgPool, s: &Span) -> (i64, i64, i64, i64, f64, i64, i64) {
    sqlx::query_as(
        "select
           (select count(*) from external_feedback f join tasks t on t.id = f.task_id
            where f.created_at >= $1 and f.created_at < $2 and ($3::text is null or t.model = $3)),
           (select count(*) from external_feedback f join tasks t on t.id = f.task_id
            where f.feedback_type = 'thumbs' and f.created_at >= $1 and f.created_at < $2
              and ($3::text is null or t.model = $3)),
           (select count(*) from external_feedback f join tasks t on t.id = f.task_id
            where f.feedback_type = 'thumbs' and f.value = 1
              and f.created_at >= $1 and f.created_at < $2 and ($3::text is null or t.model = $3)),
           (select count(*) from external_feedback f join tasks t on t.id = f.task_id
            where f.feedback_type = 'rating' and f.created_at >= $1 and f.created_at < $2
              and ($3::text is null or t.model = $3)),
           (select coalesce(sum(f.value), 0) from external_feedback f join tasks t on t.id = f.task_id
            where f.feedback_type = 'rating' and f.created_at >= $1 and f.created_at < $2
              and ($3::text is null or t.model = $3)),
           (select count(*) from reviews r join external_feedback f on f.task_id = r.task_id
            where r.verdict in ('accept', 'reject') and r.created_at >= $1 and r.created_at < $2
              and ($3::text is null or r.model = $3)
              and ((f.feedback_type = 'thumbs') or (f.feedback_type = 'rating'
                   and (f.value >= 4 or f.value <= 2)))),
           (select count(*) from reviews r join external_feedback f on f.task_id = r.task_id
            where r.created_at >= $1 and r.created_at < $2 and ($3::text is null or r.model = $3)
              and ((r.verdict = 'accept' and ((f.feedback_type = 'thumbs' and f.value = 1)
                                              or (f.feedback_type = 'rating' and f.value >= 4)))
                or (r.verdict = 'reject' and ((f.feedback_type = 'thumbs' and f.value = 0)
                                              or (f.feedback_type = 'rating' and f.value <= 2)))))",
    )
    .bind(s.start)
    .bind(s.end)
    .bind(s.model.as_deref())
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_end_user_rollups_answer_as_a_scan_of_the_raw_tables_would(pool: PgPool) {
    sqlx::query(
        "insert into users (username, password_hash, role)
         select 'r' || i, '!', 'reviewer' from generate_series(1, 2) i",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into tasks (id, document, summary, confidence, model, model_version, flagged,
                            threshold, reason, status, created_at)
         select md5('t' || i)::uuid, 'A source document.', 'A summary.', 0.5,
                case when i % 3 = 0 then 'beta' else 'alpha' end, '1.0', false, 0.8,
                'low_confidence', 'reviewed',
                '2026-03-01T05:00:00Z'::timestamptz + make_interval(mins => i * 97)
         from generate_series(0, 89) i",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Signals in two statements around the reviews, so each side's trigger pairs with the other.
    let signals =
        "insert into external_feedback (task_id, user_id, feedback_type, value, created_at,
                                        project_id)
         select t.id, 'u' || k,
                (array['thumbs', 'rating', 'copy', 'thumbs', 'rating'])[1 + (t.i + k) % 5],
                case (t.i + k) % 5 when 0 then ((t.i + k) % 2)::float8
                                   when 3 then ((t.i * k) % 2)::float8
                                   when 1 then 1 + (t.i * 3 + k) % 5
                                   when 4 then 1.5 + (t.i + k) % 3 end,
                t.created_at + make_interval(mins => 41 * k + 600 * $1), t.project_id
         from (select row_number() over (order by created_at) - 1 as i, * from tasks) t
         cross join generate_series(1, 1 + t.i::int % 3) k
         where t.i % 2 = $1";
    sqlx::query(signals).bind(0).execute(&pool).await.unwrap();
    sqlx::query(
        "insert into reviews (task_id, reviewer_id, rating, verdict, seconds_spent, created_at,
                              model, model_version, confidence, reason, project_id)
         select t.id, u.id, 1 + (t.i + k) % 5,
                (array['accept', 'reject', 'escalate'])[1 + (t.i * k) % 3], 30,
                t.created_at + make_interval(mins => 300 * k), t.model, t.model_version,
                t.confidence, t.reason, t.project_id
         from (select row_number() over (order by created_at) - 1 as i, * from tasks) t
         cross join generate_series(1, 1 + t.i::int % 2) k
         join users u on u.username = 'r' || k",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(signals).bind(1).execute(&pool).await.unwrap();
    // Amendments: verdicts flipped, one review moved a day later, a comment alone (moves
    // nothing), and one review deleted.
    for sql in [
        "update reviews set verdict = case verdict when 'accept' then 'reject' else 'accept' end
         where id % 5 = 1",
        "update reviews set created_at = created_at + interval '1 day' where id = 7",
        "update reviews set comment = 'words' where id % 4 = 2",
        "delete from reviews where id = 11",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }

    for s in [
        span("2026-03-01T00:00:00Z", "2026-03-09T00:00:00Z", None),
        span("2026-03-01T09:30:00Z", "2026-03-05T17:45:00Z", None),
        span("2026-03-02T00:00:00Z", "2026-03-04T00:00:00Z", Some("beta")),
        span(
            "2026-03-02T13:00:00Z",
            "2026-03-02T19:00:00Z",
            Some("alpha"),
        ),
    ] {
        let slots = (s.end.date_naive() - s.origin).num_days() as usize + 1;
        let f = figures(&pool, &s, slots).await.unwrap();
        let (signals, thumbs, up, ratings, rating_sum, pairs, agree) = scanned(&pool, &s).await;
        assert!(
            signals > 0 && pairs > 0 && agree > 0 && agree < pairs,
            "{s:?}"
        );
        assert_eq!(
            (
                f.signals,
                f.thumbs,
                f.thumbs_up,
                f.ratings,
                f.agreement_pairs
            ),
            (signals, thumbs, up, ratings, pairs),
            "{s:?}"
        );
        let mean = f.mean_rating.unwrap();
        assert!((mean - rating_sum / ratings as f64).abs() < 1e-9, "{s:?}");
        assert!((f.agreement.unwrap() - agree as f64 / pairs as f64).abs() < 1e-9);
    }
    // Nothing outside the data.
    let empty = span("2027-01-01T00:00:00Z", "2027-01-03T00:00:00Z", None);
    let f = figures(&pool, &empty, 2).await.unwrap();
    assert_eq!((f.signals, f.agreement_pairs, f.agreement), (0, 0, None));
}

async fn export(app: &TestApp, query: &str) -> (u16, Vec<Value>, String) {
    let (status, _, body) = crate::export::export(app, query).await;
    let lines = if status == 200 {
        lines(&body)
    } else {
        Vec::new()
    };
    (status.as_u16(), lines, body)
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn sft_and_dpo_learn_from_end_users_corrections_when_asked(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(json!([
        output("r1", "Reject this one.", 0.3),
        output("e1", "A summary end users fixed.", 0.95),
    ]))
    .await;
    let reviewer = app.reviewer("rae").await;
    let t = reviewer.current_task().await.unwrap();
    reviewer
        .call::<Value>(
            "review/submit",
            &[
                ("task_id", t["id"].as_str().unwrap()),
                ("rating", "1"),
                ("verdict", "reject"),
                ("corrected_summary", "The reviewer's summary."),
            ],
        )
        .await
        .unwrap();
    signal(
        &app,
        "e1",
        "correction",
        Value::Null,
        Some("The end user's summary."),
    )
    .await;
    // A "correction" that repeats the summary (once trimmed, as stored) is no preference.
    signal(
        &app,
        "e1",
        "correction",
        Value::Null,
        Some(" A summary end users fixed. "),
    )
    .await;

    let sources = |lines: &[Value]| -> Vec<(String, String)> {
        lines
            .iter()
            .map(|l| {
                let text = l.get("completion").or_else(|| l.get("chosen")).unwrap();
                (
                    l["source"].as_str().unwrap().to_owned(),
                    text.as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (status, sft, _) = export(&app, "format=sft").await;
    assert_eq!(status, 200);
    assert_eq!(
        sources(&sft),
        vec![("review".into(), "The reviewer's summary.".into())]
    );
    let (_, sft, _) = export(&app, "format=sft&corrections=all").await;
    assert_eq!(
        sources(&sft),
        vec![
            ("review".into(), "The reviewer's summary.".into()),
            ("end_user".into(), "The end user's summary.".into()),
            ("end_user".into(), "A summary end users fixed.".into()),
        ]
    );
    let (_, dpo, _) = export(&app, "format=dpo&corrections=end_users").await;
    assert_eq!(
        sources(&dpo),
        vec![("end_user".into(), "The end user's summary.".into())]
    );
    assert_eq!(dpo[0]["rejected"], "A summary end users fixed.");
    assert_eq!(dpo[0]["prompt"], "Source document for e1.");
    let (_, dpo, _) = export(&app, "format=dpo&corrections=all").await;
    assert_eq!(dpo.len(), 2);

    let (status, _, body) = export(&app, "format=sft&corrections=everyone").await;
    assert_eq!(status, 422);
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["field"], "corrections", "{body}");
}
