//! The task list's ways of staying fast at a million tasks (issue 16, `app::task::find`), shown
//! to give the same rows as the plain reading of each filter: relevance ranks only the newest
//! `RANKED` matches; conditions on reviews walked from the reviews, across pages by cursor and
//! after a task's arrival time changes; confidence sorts with ties paged by cursor.

use crate::helpers::{TestApp, task};
use crate::task_list::ids;
use app::task::find::RANKED;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Every row of `query`, `limit` per page, following `next_after`.
async fn all_pages(app: &TestApp, query: &str, limit: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = String::new();
    for _ in 0..10_000 {
        let (status, page) = app
            .get_json(&format!(
                "/api/v1/tasks?{query}&limit={limit}&after={after}"
            ))
            .await;
        assert_eq!(status, 200, "{query}: {page}");
        assert!(page["tasks"].as_array().unwrap().len() <= limit);
        seen.extend(ids(&page));
        match page["next_after"].as_str() {
            Some(next) => after = next.to_owned(),
            None => return seen,
        }
    }
    panic!("{query}: the pages never end");
}

/// External ids of the tasks `condition` (SQL over `t`) holds of, in `order`: the plain reading
/// of a filter, to compare the list with.
async fn expected(pool: &PgPool, condition: &str, order: &str) -> Vec<String> {
    // Test-only text, written in this file.
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select external_id from tasks t where {condition} order by {order}"
    )))
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn relevance_ranks_the_newest_matches_and_older_ones_are_found_by_time(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let strong = |external_id: &str| {
        json!({
            "document": "Refund, refund, refund: the refund desk paid every refund.",
            "summary": "Refunds and more refunds.",
            "confidence": 0.5, "model": "summarizer", "model_version": "1.0",
            "external_id": external_id,
        })
    };
    // The best match arrives first, then RANKED weak ones, then another best match.
    app.submit(strong("best-old")).await;
    let weak: Vec<Value> = (0..RANKED)
        .map(|i| {
            json!({
                "document": format!("Note {i} mentions a refund once."),
                "summary": format!("Note {i}."),
                "confidence": 0.5, "model": "summarizer", "model_version": "1.0",
                "external_id": format!("weak-{i}"),
            })
        })
        .collect();
    app.submit(Value::Array(weak)).await;
    app.submit(strong("best-new")).await;
    server::search_worker::fill_all(&pool).await.unwrap();

    let newest = all_pages(&app, "q=refund&sort=newest", 500).await;
    assert_eq!(newest.len() as i64, RANKED + 2);
    assert_eq!(newest[0], "best-new");
    assert_eq!(newest.last().unwrap(), "best-old");

    // Ranked: the newest RANKED matches exactly, the best of them first, each once; the old
    // best match is past the bound.
    let ranked = all_pages(&app, "q=refund", 500).await;
    assert_eq!(ranked.len() as i64, RANKED);
    assert_eq!(ranked[0], "best-new");
    assert!(!ranked.contains(&"best-old".to_owned()));
    let mut a = ranked.clone();
    a.sort();
    let mut b = newest[..RANKED as usize].to_vec();
    b.sort();
    assert_eq!(a, b, "the ranked set is the newest matches");
    // Paged one small page at a time, the same order.
    let (_, page) = app.get_json("/api/v1/tasks?q=refund&limit=7").await;
    let (_, next) = app
        .get_json(&format!(
            "/api/v1/tasks?q=refund&limit=7&after={}",
            page["next_after"].as_str().unwrap()
        ))
        .await;
    assert_eq!([ids(&page), ids(&next)].concat(), ranked[..14].to_vec());
    // The bound applies to what matches every filter: a narrower filter ranks its own newest.
    let (_, page) = app
        .get_json("/api/v1/tasks?q=refund&external_id=best-old")
        .await;
    assert_eq!(ids(&page), ["best-old"]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn conditions_on_reviews_page_like_the_plain_filter(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (status, _) = app
        .call("PUT", "/api/v1/routing/%2A", Some(json!({"audit_rate": 0})))
        .await;
    assert_eq!(status, 200);
    for i in 0..8 {
        let mut t = task(&format!("t{i}"), 0.1 + 0.1 * f64::from(i));
        t["model"] = json!(if i % 2 == 0 { "alpha" } else { "beta" });
        app.submit(t).await;
    }
    app.reviewer("ann").await;
    app.reviewer("bob").await;
    // (task, reviewer, verdict, comment, corrected, tags): t3 is rejected by both, so a filter
    // on the verdict meets it twice and must list it once.
    let reviews: [(&str, &str, &str, Option<&str>, Option<&str>, &[&str]); 9] = [
        ("t0", "ann", "accept", None, None, &[]),
        ("t1", "ann", "reject", Some("wrong date"), None, &["late"]),
        ("t2", "bob", "reject", None, Some("Better."), &[]),
        ("t3", "ann", "reject", Some(""), None, &["late", "tone"]),
        ("t3", "bob", "reject", Some("agree"), None, &[]),
        ("t4", "bob", "escalate", None, Some("Fixed."), &["tone"]),
        ("t5", "ann", "accept", Some("fine"), Some("Fine."), &[]),
        ("t6", "bob", "accept", None, None, &["late"]),
        ("t7", "ann", "escalate", None, None, &[]),
    ];
    for (external_id, reviewer, verdict, comment, corrected, tags) in reviews {
        let tags: Vec<String> = tags.iter().map(|s| s.to_string()).collect();
        sqlx::query(
            "insert into reviews (task_id, reviewer_id, rating, verdict, comment,
                                  corrected_summary, error_tags, seconds_spent, model,
                                  model_version, confidence, reason, project_id)
             select t.id, u.id, 3, $3, $4, $5, $6, 10, t.model, t.model_version, t.confidence,
                    t.reason, t.project_id
             from tasks t, users u where t.external_id = $1 and u.username = $2",
        )
        .bind(external_id)
        .bind(reviewer)
        .bind(verdict)
        .bind(comment)
        .bind(corrected)
        .bind(&tags)
        .execute(&pool)
        .await
        .unwrap();
    }
    // Arrival times with ties (broken by id), set after the reviews were written: the reviews'
    // copies follow.
    sqlx::query(
        "update tasks set created_at = timestamptz '2026-01-01T00:00:00Z'
                + interval '1 hour' * (substr(external_id, 2)::int % 3)",
    )
    .execute(&pool)
    .await
    .unwrap();

    let ann = "(select id from users where username = 'ann')";
    let cases = [
        ("reviewer=ann", format!("r.reviewer_id = {ann}")),
        ("verdict=reject", "r.verdict = 'reject'".to_owned()),
        (
            "reviewer=ann&verdict=reject",
            format!("r.reviewer_id = {ann} and r.verdict = 'reject'"),
        ),
        (
            "has_comment=true",
            "coalesce(r.comment, '') <> ''".to_owned(),
        ),
        (
            "has_correction=true",
            "r.corrected_summary is not null".to_owned(),
        ),
        ("error_tag=late", "'late' = any(r.error_tags)".to_owned()),
        (
            "error_tag=missing",
            "'missing' = any(r.error_tags)".to_owned(),
        ),
        (
            "verdict=reject&model=beta",
            "r.verdict = 'reject' and t.model = 'beta'".to_owned(),
        ),
        (
            "has_correction=true&has_comment=false",
            "r.corrected_summary is not null and not exists (select 1 from reviews c
               where c.task_id = t.id and coalesce(c.comment, '') <> '')"
                .to_owned(),
        ),
    ];
    for (query, condition) in cases {
        let condition =
            format!("exists (select 1 from reviews r where r.task_id = t.id and {condition})");
        for (sort, order) in [
            ("newest", "created_at desc, id desc"),
            ("oldest", "created_at, id"),
            ("least_confident", "confidence, created_at, id"),
        ] {
            let want = expected(&pool, &condition, order).await;
            for limit in [1, 2, 50] {
                let got = all_pages(&app, &format!("{query}&sort={sort}"), limit).await;
                assert_eq!(got, want, "{query}&sort={sort}, {limit} per page");
            }
        }
    }
    // A task's arrival time moves: the list by a review condition follows it.
    sqlx::query("update tasks set created_at = '2030-01-01T00:00:00Z' where external_id = 't1'")
        .execute(&pool)
        .await
        .unwrap();
    let (_, page) = app.get_json("/api/v1/tasks?reviewer=ann").await;
    assert_eq!(ids(&page)[0], "t1");
    let (_, page) = app.get_json("/api/v1/tasks?reviewer=ann&sort=oldest").await;
    assert_eq!(ids(&page).last().unwrap(), "t1");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn confidence_sorts_and_ranges_page_through_ties(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    // Two batches: tasks of one batch arrive at the same time, so ties go down to the id.
    for batch in 0..2 {
        let tasks: Vec<Value> = [0.5, 0.2, 0.5, 0.9, 0.2, 0.5]
            .iter()
            .enumerate()
            .map(|(i, c)| task(&format!("b{batch}-{i}"), *c))
            .collect();
        app.submit(Value::Array(tasks)).await;
    }
    for (query, condition, order) in [
        ("sort=least_confident", "true", "confidence, created_at, id"),
        (
            "sort=most_confident",
            "true",
            "confidence desc, created_at desc, id desc",
        ),
        (
            "confidence_min=0.2&confidence_max=0.5&sort=least_confident",
            "confidence between 0.2 and 0.5",
            "confidence, created_at, id",
        ),
        (
            "confidence_min=0.3&confidence_max=0.6",
            "confidence between 0.3 and 0.6",
            "created_at desc, id desc",
        ),
        (
            "confidence_min=0.95",
            "confidence >= 0.95",
            "created_at desc, id desc",
        ),
    ] {
        let want = expected(&pool, condition, order).await;
        for limit in [1, 2, 5] {
            assert_eq!(
                all_pages(&app, query, limit).await,
                want,
                "{query}, {limit} per page"
            );
        }
    }
}
