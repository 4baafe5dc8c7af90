//! The task volume rollup (`task_volume`, kept by triggers) against a scan of `tasks`: for spans
//! with and without midnight edges, by day and by week, per model, after inserts in several
//! statements, updates that move a task to another day or within its day, and a delete; per
//! project as for every project — and through the dashboard page for a year-long weekly view.

use crate::helpers::TestApp;
use app::dashboard::span::Span;
use app::dashboard::volume::{TaskCounts, task_counts};
use app::domain::Role;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgPool, Row};

/// Inserts `count` tasks, the `i`-th created `i × step_seconds` after `first`, with confidence,
/// reason, flag and model varying by `i` (some land exactly on midnight, some at 0.85); every
/// third in the project `second`, the rest in the default project.
async fn tasks(pool: &PgPool, first: DateTime<Utc>, count: i32, step_seconds: i32, salt: i32) {
    sqlx::query(
        "insert into projects (slug, name) values ('second', 'Second') on conflict do nothing",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into tasks (id, document, summary, confidence, model, model_version, flagged,
                            threshold, reason, status, created_at, project_id)
         select gen_random_uuid(), 'A source document.', 'A summary.',
                ((i * 37 + $4) % 101) / 100.0,
                case when i % 3 = 0 then 'beta' else 'alpha' end,
                case when i % 5 = 0 then '2.0' else '1.0' end,
                i % 7 = 0, 0.8, r.reason,
                case when r.reason = 'auto_accepted' then 'auto_accepted' else 'queued' end,
                $1 + make_interval(secs => i * $3),
                case when (i + $4) % 3 = 0 then (select id from projects where slug = 'second')
                     else 1 end
         from generate_series(0, $2 - 1) i,
              lateral (select (array['low_confidence', 'flagged', 'audit_sample',
                                     'auto_accepted'])[1 + (i + $4) % 4] as reason) r",
    )
    .bind(first)
    .bind(count)
    .bind(step_seconds)
    .bind(salt)
    .execute(pool)
    .await
    .unwrap();
}

/// The dashboard's counting before the rollup: every task in the span, read from `tasks`.
async fn scanned(
    pool: &PgPool,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    model: Option<&str>,
    version: Option<&str>,
    projects: Option<&[i64]>,
    origin: NaiveDate,
    bucket_days: i32,
) -> TaskCounts {
    let rows = sqlx::query(
        "select bucket, reason, bin, flagged, count(*) as n
         from (
             select (((created_at at time zone 'UTC')::date - $5::date) / $6)::int as bucket,
                    reason, least(floor(confidence * 20 + 1e-9), 19)::int as bin, flagged
             from tasks
             where created_at >= $1 and created_at < $2
               and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
               and ($7::bigint[] is null or project_id = any($7))
         ) t
         group by grouping sets ((bucket, reason), (bin, flagged))",
    )
    .bind(start)
    .bind(end)
    .bind(model)
    .bind(version)
    .bind(origin)
    .bind(bucket_days)
    .bind(projects)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out: TaskCounts = (Vec::new(), [(0, 0); 20]);
    for r in rows {
        let n: i64 = r.get("n");
        match (
            r.get::<Option<i32>, _>("bucket"),
            r.get::<Option<String>, _>("reason"),
            r.get::<Option<i32>, _>("bin"),
            r.get::<Option<bool>, _>("flagged"),
        ) {
            (Some(b), Some(reason), _, _) => out.0.push((b, reason, n)),
            (_, _, Some(bin), Some(true)) => out.1[bin as usize].1 += n,
            (_, _, Some(bin), Some(false)) => out.1[bin as usize].0 += n,
            _ => {}
        }
    }
    out
}

fn sorted(mut c: TaskCounts) -> TaskCounts {
    c.0.retain(|row| row.2 != 0);
    c.0.sort();
    c
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_rollup_counts_what_a_scan_of_tasks_counts_for_any_span(pool: PgPool) {
    // Ten days of tasks every 47 minutes and 13 seconds from midnight, in two statements, plus
    // a batch exactly on midnights.
    tasks(&pool, at("2026-03-01T00:00:00Z"), 150, 2833, 0).await;
    tasks(&pool, at("2026-03-05T22:25:00Z"), 150, 2833, 1).await;
    tasks(&pool, at("2026-03-02T00:00:00Z"), 8, 86_400, 2).await;
    // A task moved to another day and confidence, and one removed: the rollup follows.
    sqlx::query(
        "update tasks set created_at = '2026-03-09T13:00:00Z', confidence = 0.85
         where id = (select id from tasks order by created_at limit 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Moved within its day and bin: both rollup keys are the same row.
    sqlx::query(
        "update tasks set created_at = created_at + interval '1 minute'
         where id = (select id from tasks order by created_at offset 5 limit 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "delete from tasks where id = (select id from tasks order by created_at desc limit 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let whole: i64 = sqlx::query_scalar("select sum(n)::int8 from task_volume")
        .fetch_one(&pool)
        .await
        .unwrap();
    let total: i64 = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((whole, total), (307, 307));

    let spans = [
        ("2026-03-01T00:00:00Z", "2026-03-12T00:00:00Z"),
        ("2026-03-01T10:30:00Z", "2026-03-08T05:15:00Z"),
        ("2026-03-02T00:00:00Z", "2026-03-07T17:00:00Z"),
        ("2026-03-03T08:00:00Z", "2026-03-06T00:00:00Z"),
        ("2026-03-04T01:00:00Z", "2026-03-04T23:00:00Z"),
        ("2026-03-04T22:00:00Z", "2026-03-05T03:00:00Z"),
        ("2026-03-09T12:59:59Z", "2026-03-09T13:00:01Z"),
        ("2026-02-20T00:00:00Z", "2026-02-25T00:00:00Z"),
    ];
    let filters = [
        (None, None),
        (Some("alpha"), None),
        (Some("beta"), Some("2.0")),
    ];
    let second: i64 = sqlx::query_scalar("select id from projects where slug = 'second'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (default, second, both) = (vec![1], vec![second], vec![1, second]);
    let mut nonempty = 0;
    for (start, end) in spans {
        let (start, end) = (at(start), at(end));
        for ((model, version), projects) in filters
            .into_iter()
            .flat_map(|f| [(f, None), (f, Some(&default[..]))])
            .chain([
                ((None, None), Some(&second[..])),
                ((None, None), Some(&both[..])),
            ])
        {
            for (origin, bucket_days) in [
                (start.date_naive(), 1),
                (start.date_naive(), 7),
                (NaiveDate::from_ymd_opt(2026, 2, 27).unwrap(), 7),
            ] {
                let span = Span {
                    start,
                    end,
                    model: model.map(str::to_owned),
                    version: version.map(str::to_owned),
                    projects: projects.map(<[i64]>::to_vec),
                    origin,
                    bucket_days,
                };
                let rolled = task_counts(&pool, &span).await.unwrap();
                let expected = scanned(
                    &pool,
                    start,
                    end,
                    model,
                    version,
                    projects,
                    origin,
                    bucket_days,
                )
                .await;
                if !expected.0.is_empty() {
                    nonempty += 1;
                }
                assert_eq!(
                    sorted(rolled),
                    sorted(expected),
                    "{start}..{end} {model:?} {version:?} {projects:?} by {bucket_days} from {origin}"
                );
            }
        }
    }
    assert!(nonempty >= 15, "the spans must hold tasks: {nonempty}");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_year_by_week_on_the_dashboard_matches_a_scan_of_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let today = Utc::now().date_naive();
    let from = today.checked_sub_days(Days::new(364)).unwrap();
    // Tasks every 3 hours 17 minutes over the year, starting at 05:43 on its first day.
    let first = from.and_hms_opt(5, 43, 0).unwrap().and_utc();
    tasks(&pool, first, 2600, 11_820, 3).await;
    sqlx::query(
        "insert into model_versions (model, model_version)
         values ('alpha', '1.0'), ('alpha', '2.0'), ('beta', '1.0'), ('beta', '2.0')",
    )
    .execute(&pool)
    .await
    .unwrap();

    let session = app.user("ada", Role::Admin).await;
    let from_text = from.format("%Y-%m-%d").to_string();
    let second: i64 = sqlx::query_scalar("select id from projects where slug = 'second'")
        .fetch_one(&pool)
        .await
        .unwrap();
    for (model, project) in [("", ""), ("beta", ""), ("", "second")] {
        let d: Value = session
            .call(
                "admin/dashboard",
                &[
                    ("from", from_text.as_str()),
                    ("model", model),
                    ("project", project),
                ],
            )
            .await
            .expect("dashboard");
        assert_eq!(d["bucket_days"], 7);
        let slots = d["buckets"].as_array().unwrap().len();
        let start = from.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let end = today
            .succ_opt()
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        let model = Some(model).filter(|m| !m.is_empty());
        let projects = (!project.is_empty()).then(|| vec![second]);
        let (volume, _) =
            scanned(&pool, start, end, model, None, projects.as_deref(), from, 7).await;
        let mut expected = vec![vec![0i64; slots]; app::dashboard::REASONS.len()];
        for (bucket, reason, n) in volume {
            let series = app::dashboard::REASONS.iter().position(|r| *r == reason);
            expected[series.unwrap()][bucket as usize] += n;
        }
        let shown: Vec<Vec<i64>> = serde_json::from_value(d["volume"].clone()).unwrap();
        assert_eq!(shown, expected, "model {model:?} project {project:?}");
        assert!(shown.iter().flatten().sum::<i64>() > 500);
        assert_eq!(
            d["filter"]["project"],
            Value::from(Some(project).filter(|p| !p.is_empty()))
        );
    }
}
