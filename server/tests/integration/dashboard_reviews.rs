//! The review rollups (migration 0019, kept by triggers) against the dashboard's former scans of
//! `reviews`, kept here as the oracle: totals, per-bucket rows, the edit histogram, calibration
//! bins, error tags, reviewers and agreement, for spans with and without midnight edges, by day
//! and by week, per model — after reviews written in several statements (and, in a second test,
//! each in a statement of its own, as a reviewer's submit stores it: the insert trigger's
//! one-review path), amended in place (by SQL as `amend_review` and the edit-distance backfill
//! write them, and once through the real amend path), moved to another day, and deleted.

use crate::helpers::{TestApp, task};
use app::dashboard::quality::{agreement, reviewers};
use app::dashboard::review_volume::{confidence_bins, error_tags, review_counts};
use app::dashboard::shape::PairCounts;
use app::dashboard::span::Span;
use app::dashboard::{Agreement, ReviewFigures, ReviewerRow};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgPool, Row};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Tasks every 2 h 13 min from 2026-03-01 05:00, and their reviews: 1, 2 or 3 per task by
/// reviewers `r1`…`r4`, written `k × 5 h 7 min` after the task (so pairs straddle midnights),
/// with ratings, verdicts, corrections, tags and seconds varying by task and reviewer. Written in
/// three statements; the first writes several reviews of one task at once. `one_at_a_time`:
/// the same reviews, each stored by a statement of its own, as a reviewer's submit stores it
/// (the rollup trigger's one-review path, migration 0028). Every other task is in the project
/// `legal` (id 2), the rest in the default project.
async fn history(pool: &PgPool, one_at_a_time: bool) {
    sqlx::query("insert into projects (slug, name) values ('legal', 'Legal')")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into users (username, password_hash, role)
         select 'r' || i, '!', 'reviewer' from generate_series(1, 4) i",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into tasks (id, document, summary, confidence, model, model_version, flagged,
                            threshold, reason, status, created_at, project_id)
         select md5('t' || i)::uuid, 'A source document.', 'A summary.',
                ((i * 37) % 101) / 100.0,
                case when i % 3 = 0 then 'beta' else 'alpha' end,
                case when i % 5 = 0 then '2.0' else '1.0' end,
                false, 0.8,
                (array['low_confidence', 'flagged', 'audit_sample'])[1 + i % 3], 'reviewed',
                '2026-03-01T05:00:00Z'::timestamptz + make_interval(mins => i * 133),
                (select id from projects where slug = case when i % 2 = 0 then 'legal'
                                                           else 'default' end)
         from generate_series(0, 119) i",
    )
    .execute(pool)
    .await
    .unwrap();
    // The reviews, as rows to store (`part` splits them in three), in a view of this test's
    // database.
    sqlx::query(
        "create view history_reviews as
         select t.i % 3 as part, t.id as task_id, u.id as reviewer_id,
                1 + (t.i * 7 + k * 3) % 5 as rating,
                (array['accept', 'reject', 'escalate', 'accept'])[1 + (t.i + k) % 4] as verdict,
                case when t.i % 4 = 0 then 'A comment.' end as comment,
                case when (t.i + k) % 3 = 0 then 'A correction.' end as corrected_summary,
                case when (t.i + k) % 3 = 0 and t.i % 7 <> 0
                     then ((t.i * 13 + k) % 11) / 10.0 end as edit_distance,
                case (t.i + k) % 5 when 0 then array['omission'] when 1
                     then array['omission', 'invented'] else '{}' end as error_tags,
                (t.i * 17 + k * 29) % 140 as seconds_spent,
                t.created_at + make_interval(mins => k * 307) as created_at,
                t.model, t.model_version, t.confidence, t.reason, t.project_id
         from (select row_number() over (order by created_at) - 1 as i, * from tasks) t
         cross join lateral generate_series(1, 1 + t.i::int % 3) k
         join users u on u.username = 'r' || k",
    )
    .execute(pool)
    .await
    .unwrap();
    if one_at_a_time {
        let rows: i64 = sqlx::query_scalar("select count(*) from history_reviews")
            .fetch_one(pool)
            .await
            .unwrap();
        for nth in 0..rows {
            sqlx::query(
                "insert into reviews (task_id, reviewer_id, rating, verdict, comment,
                                      corrected_summary, edit_distance, error_tags,
                                      seconds_spent, created_at, model, model_version,
                                      confidence, reason, project_id)
                 select task_id, reviewer_id, rating, verdict, comment, corrected_summary,
                        edit_distance, error_tags, seconds_spent, created_at, model,
                        model_version, confidence, reason, project_id
                 from history_reviews
                 order by created_at, task_id, reviewer_id offset $1 limit 1",
            )
            .bind(nth)
            .execute(pool)
            .await
            .unwrap();
        }
    } else {
        for part in 0..3 {
            sqlx::query(
                "insert into reviews (task_id, reviewer_id, rating, verdict, comment,
                                      corrected_summary, edit_distance, error_tags,
                                      seconds_spent, created_at, model, model_version,
                                      confidence, reason, project_id)
                 select task_id, reviewer_id, rating, verdict, comment, corrected_summary,
                        edit_distance, error_tags, seconds_spent, created_at, model,
                        model_version, confidence, reason, project_id
                 from history_reviews where part = $1",
            )
            .bind(part)
            .execute(pool)
            .await
            .unwrap();
        }
    }
    // Amendments as `amend_review` writes them: a new rating, verdict, correction and tags.
    sqlx::query(
        "update reviews set rating = 1 + (rating % 5), verdict = case verdict when 'accept'
                then 'reject' else 'accept' end, comment = 'Changed my mind.',
                corrected_summary = 'Rewritten.', edit_distance = 0.35,
                error_tags = array['invented'], amended_at = now()
         where id % 7 = 2",
    )
    .execute(pool)
    .await
    .unwrap();
    // A correction losing its distance, then the start-up backfill giving it back in a batch.
    sqlx::query(
        "update reviews set edit_distance = null
         where id % 9 = 4 and corrected_summary is not null",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "update reviews r set edit_distance = d.distance
         from (select id, (id % 10) / 10.0 + 0.05 as distance from reviews
               where corrected_summary is not null and edit_distance is null) d
         where r.id = d.id",
    )
    .execute(pool)
    .await
    .unwrap();
    // A comment alone: nothing to move.
    sqlx::query("update reviews set comment = 'Only words.' where id % 11 = 3")
        .execute(pool)
        .await
        .unwrap();
    // A review moved a day later (its task's span grows), and two deleted: one of a task with
    // three reviews, one of a task with two.
    sqlx::query(
        "update reviews set created_at = created_at + interval '1 day'
         where id = (select id from reviews where nth = 2 order by id offset 3 limit 1)",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "delete from reviews where id in (
             (select id from reviews where nth = 3 order by id limit 1),
             (select r.id from reviews r where r.nth = 2
                and (select count(*) from reviews x where x.task_id = r.task_id) = 2
              order by r.id offset 5 limit 1))",
    )
    .execute(pool)
    .await
    .unwrap();
}

// ---- The oracle: the dashboard's queries before the rollups, over `reviews` itself. ----

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;
type QueryAs<'q, T> = sqlx::query::QueryAs<'q, sqlx::Postgres, T, sqlx::postgres::PgArguments>;

/// Binds the span as the oracle's queries read it: `$1`/`$2` the span, `$3`/`$4` model and
/// version, `$5` the projects.
fn bound<'q>(s: &'q Span, q: Query<'q>) -> Query<'q> {
    q.bind(s.start)
        .bind(s.end)
        .bind(s.model.as_deref())
        .bind(s.version.as_deref())
        .bind(s.projects.clone())
}

fn bound_as<'q, T>(s: &'q Span, q: QueryAs<'q, T>) -> QueryAs<'q, T> {
    q.bind(s.start)
        .bind(s.end)
        .bind(s.model.as_deref())
        .bind(s.version.as_deref())
        .bind(s.projects.clone())
}

/// (totals, per-bucket rows as (bucket, label, count, rating sum, accepted)).
type Counts = (ReviewFigures, Vec<(i32, String, i64, i64, i64)>);

async fn scanned_counts(pool: &PgPool, s: &Span) -> Counts {
    let r = bound(
        s,
        sqlx::query(
            "select count(*) as total,
                count(*) filter (where verdict = 'accept') as accepted,
                count(*) filter (where verdict = 'reject') as rejected,
                count(*) filter (where verdict = 'escalate') as escalated,
                count(corrected_summary) as corrected,
                array[count(*) filter (where rating = 1), count(*) filter (where rating = 2),
                      count(*) filter (where rating = 3), count(*) filter (where rating = 4),
                      count(*) filter (where rating = 5)] as ratings,
                avg(edit_distance) as mean_edit
         from reviews
         where created_at >= $1 and created_at < $2
           and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           and ($5::bigint[] is null or project_id = any($5))",
        ),
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let ratings: Vec<i64> = r.get("ratings");
    let mut figures = ReviewFigures {
        total: r.get("total"),
        accepted: r.get("accepted"),
        rejected: r.get("rejected"),
        escalated: r.get("escalated"),
        corrected: r.get("corrected"),
        ratings: ratings.try_into().unwrap(),
        edit_histogram: [0; 10],
        mean_edit_distance: r.get("mean_edit"),
    };
    let bins = bound(
        s,
        sqlx::query(
            "select least(floor(edit_distance * 10), 9)::int as bin, count(*) as n
         from reviews
         where created_at >= $1 and created_at < $2 and edit_distance is not null
           and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           and ($5::bigint[] is null or project_id = any($5))
         group by 1",
        ),
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for b in bins {
        figures.edit_histogram[b.get::<i32, _>("bin") as usize] = b.get("n");
    }
    let rows = bound(
        s,
        sqlx::query(
            "select (((created_at at time zone 'UTC')::date - $6::date) / $7)::int as bucket,
                model || ' ' || model_version as label, count(*) as n,
                sum(rating)::int8 as rating_sum,
                count(*) filter (where verdict = 'accept') as accepted
         from reviews
         where created_at >= $1 and created_at < $2
           and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           and ($5::bigint[] is null or project_id = any($5))
         group by 1, 2
         order by 2, 1",
        ),
    )
    .bind(s.origin)
    .bind(s.bucket_days)
    .fetch_all(pool)
    .await
    .unwrap();
    let rows = rows
        .into_iter()
        .map(|r| {
            (
                r.get("bucket"),
                r.get("label"),
                r.get("n"),
                r.get("rating_sum"),
                r.get("accepted"),
            )
        })
        .collect();
    (figures, rows)
}

/// Per confidence twentieth: (count, confidence sum, accepted, audit count, audit confidence
/// sum, audit accepted, audit rejected).
type Bins = Vec<(i64, f64, i64, i64, f64, i64, i64)>;

async fn scanned_bins(pool: &PgPool, s: &Span) -> Bins {
    let rows = bound(
        s,
        sqlx::query(
            "select least(floor(confidence * 20 + 1e-9), 19)::int as bin, count(*) as n,
                sum(confidence) as cs, count(*) filter (where verdict = 'accept') as acc,
                count(*) filter (where reason = 'audit_sample') as an,
                coalesce(sum(confidence) filter (where reason = 'audit_sample'), 0) as acs,
                count(*) filter (where reason = 'audit_sample' and verdict = 'accept') as aa,
                count(*) filter (where reason = 'audit_sample' and verdict = 'reject') as ar
         from reviews
         where created_at >= $1 and created_at < $2
           and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
           and ($5::bigint[] is null or project_id = any($5))
         group by 1",
        ),
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = vec![(0, 0.0, 0, 0, 0.0, 0, 0); 20];
    for r in rows {
        out[r.get::<i32, _>("bin") as usize] = (
            r.get("n"),
            r.get("cs"),
            r.get("acc"),
            r.get("an"),
            r.get("acs"),
            r.get("aa"),
            r.get("ar"),
        );
    }
    out
}

async fn scanned_tags(pool: &PgPool, s: &Span) -> Vec<(String, i64)> {
    bound_as(
        s,
        sqlx::query_as(
            "select tag, count(*)
         from reviews r, unnest(r.error_tags) as tag
         where r.created_at >= $1 and r.created_at < $2 and cardinality(r.error_tags) > 0
           and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           and ($5::bigint[] is null or r.project_id = any($5))
         group by tag order by count(*) desc, tag",
        ),
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// (reviewer id, reviews, exact median seconds, mean rating).
async fn scanned_reviewers(pool: &PgPool, s: &Span) -> Vec<(i64, i64, f64, f64)> {
    bound_as(
        s,
        sqlx::query_as(
            "select r.reviewer_id, count(*),
                percentile_cont(0.5) within group (order by r.seconds_spent),
                avg(r.rating)::float8
         from reviews r
         join users u on u.id = r.reviewer_id
         where r.created_at >= $1 and r.created_at < $2
           and ($3::text is null or r.model = $3) and ($4::text is null or r.model_version = $4)
           and ($5::bigint[] is null or r.project_id = any($5))
         group by r.reviewer_id, u.username
         order by 2 desc, u.username",
        ),
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Agreement as the dashboard computed it before: every pair of reviews of a task in the span.
async fn scanned_agreement(pool: &PgPool, s: &Span) -> (Agreement, PairCounts) {
    let rows = bound(
        s,
        sqlx::query(
            "with r as (
             select id, task_id, reviewer_id, rating, verdict,
                    count(*) over (partition by task_id) as m
             from reviews
             where created_at >= $1 and created_at < $2
               and ($3::text is null or model = $3) and ($4::text is null or model_version = $4)
               and ($5::bigint[] is null or project_id = any($5))
         )
         select grouping(a.rating, b.rating, a.reviewer_id) as set,
                a.rating as c, b.rating as k, a.reviewer_id as reviewer,
                coalesce(sum(1.0 / (a.m - 1)), 0)::float8 as weight,
                count(*) as pairs,
                count(*) filter (where a.verdict = b.verdict) as agree,
                count(distinct a.task_id) as tasks
         from r a join r b on b.task_id = a.task_id and b.id <> a.id
         where a.m >= 2
         group by grouping sets ((a.rating, b.rating), (a.reviewer_id), ())",
        ),
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut matrix = [[0.0; 5]; 5];
    let mut out = Agreement::default();
    let mut per_reviewer = PairCounts::new();
    for r in rows {
        let (pairs, agree): (i64, i64) = (r.get("pairs"), r.get("agree"));
        match r.get::<i32, _>("set") {
            0b001 => {
                let (c, k): (i16, i16) = (r.get("c"), r.get("k"));
                matrix[c as usize - 1][k as usize - 1] += r.get::<f64, _>("weight");
            }
            0b110 => {
                per_reviewer.insert(r.get("reviewer"), (agree, pairs));
            }
            _ => {
                out.tasks = r.get("tasks");
                out.verdict_agreement = (pairs > 0).then(|| agree as f64 / pairs as f64);
            }
        }
    }
    out.alpha = app::stats::krippendorff_alpha_ordinal(&matrix);
    (out, per_reviewer)
}

/// Every review figure from the rollups equals the scan's, for `s`. Returns how many reviews
/// and pairs the span held, so the caller can tell the spans were not empty.
async fn check(pool: &PgPool, s: &Span) -> (i64, i64) {
    let what = format!("{s:?}");
    let ((figures, buckets), (want, want_buckets)) = (
        review_counts(pool, s).await.unwrap(),
        scanned_counts(pool, s).await,
    );
    let mean = figures.mean_edit_distance;
    assert!(
        match (mean, want.mean_edit_distance) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a == b,
        },
        "{what}: mean edit {mean:?} vs {:?}",
        want.mean_edit_distance
    );
    let exact = |f: &ReviewFigures| ReviewFigures {
        mean_edit_distance: None,
        ..f.clone()
    };
    assert_eq!(exact(&figures), exact(&want), "{what}");
    let buckets: Vec<_> = buckets
        .into_iter()
        .map(|b| (b.bucket, b.label, b.count, b.rating_sum, b.accepted))
        .collect();
    // Same rows in the same order: the version series take labels in order of appearance.
    assert_eq!(buckets, want_buckets, "{what}");

    let bins = confidence_bins(pool, s).await.unwrap();
    for (i, (b, w)) in bins.iter().zip(scanned_bins(pool, s).await).enumerate() {
        assert_eq!(
            (
                b.count,
                b.accepted,
                b.audit_count,
                b.audit_accepted,
                b.audit_rejected
            ),
            (w.0, w.2, w.3, w.5, w.6),
            "{what}: bin {i}"
        );
        assert!(close(b.confidence_sum, w.1), "{what}: bin {i}");
        assert!(close(b.audit_confidence_sum, w.4), "{what}: bin {i}");
    }

    assert_eq!(
        error_tags(pool, s).await.unwrap(),
        scanned_tags(pool, s).await,
        "{what}"
    );

    let shown = reviewers(pool, s).await.unwrap();
    let want = scanned_reviewers(pool, s).await;
    assert_eq!(shown.len(), want.len(), "{what}");
    for ((id, row), (want_id, reviews, median, mean)) in shown.iter().zip(&want) {
        assert_eq!(
            (id, row.reviews, row.mean_rating),
            (want_id, *reviews, *mean),
            "{what}"
        );
        // The median to the resolution of the histogram: its spans are 5–30 s wide below 180 s
        // (the seconds here are under 140).
        assert!(
            (row.median_seconds - median).abs() <= 30.0,
            "{what}: reviewer {id} median {} vs {median}",
            row.median_seconds
        );
    }

    let (shown, pairs) = agreement(pool, s).await.unwrap();
    let (want, want_pairs) = scanned_agreement(pool, s).await;
    assert_eq!(
        (shown.tasks, shown.verdict_agreement),
        (want.tasks, want.verdict_agreement),
        "{what}"
    );
    assert!(
        match (shown.alpha, want.alpha) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a == b,
        },
        "{what}: alpha {:?} vs {:?}",
        shown.alpha,
        want.alpha
    );
    assert_eq!(pairs, want_pairs, "{what}");
    (figures.total, want_pairs.values().map(|p| p.1).sum())
}

fn span(start: &str, end: &str, model: Option<&str>, version: Option<&str>, by: i32) -> Span {
    let start = at(start);
    Span {
        start,
        end: at(end),
        model: model.map(str::to_owned),
        version: version.map(str::to_owned),
        projects: None,
        origin: start.date_naive(),
        bucket_days: by,
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_review_rollups_give_what_a_scan_of_reviews_gives_for_any_span(pool: PgPool) {
    history(&pool, false).await;
    rollups_match_scans(pool).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn reviews_stored_one_per_statement_give_the_same_rollups(pool: PgPool) {
    history(&pool, true).await;
    rollups_match_scans(pool).await;
}

/// Every figure the rollups give, for many spans and filters, against the scans above.
async fn rollups_match_scans(pool: PgPool) {
    // The rollups hold every review once, whole.
    let (rolled, stored): (i64, i64) = sqlx::query_as(
        "select (select sum(n)::int8 from review_volume), (select count(*) from reviews)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rolled, stored);
    let spanned: i64 = sqlx::query_scalar("select count(*) from review_spans")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        spanned >= 5,
        "reviews of some tasks straddle midnight: {spanned}"
    );

    let spans = [
        ("2026-03-01T00:00:00Z", "2026-03-20T00:00:00Z"),
        ("2026-03-02T00:00:00Z", "2026-03-07T00:00:00Z"),
        ("2026-03-01T10:30:00Z", "2026-03-08T05:15:00Z"),
        ("2026-03-02T13:00:00Z", "2026-03-06T00:00:00Z"),
        ("2026-03-03T00:00:00Z", "2026-03-05T19:45:00Z"),
        ("2026-03-04T01:00:00Z", "2026-03-04T23:00:00Z"),
        ("2026-03-04T22:00:00Z", "2026-03-05T03:00:00Z"),
        ("2026-02-20T00:00:00Z", "2026-02-25T00:00:00Z"),
    ];
    let filters = [
        (None, None),
        (Some("alpha"), None),
        (Some("beta"), Some("2.0")),
    ];
    let (mut reviews, mut pairs) = (0, 0);
    for (start, end) in spans {
        for (model, version) in filters {
            for by in [1, 7] {
                let (r, p) = check(&pool, &span(start, end, model, version, by)).await;
                reviews += r;
                pairs += p;
            }
        }
    }
    assert!(
        reviews > 500 && pairs > 100,
        "{reviews} reviews, {pairs} pairs"
    );

    // Each project's figures are a scan of that project's reviews alone.
    let (mut default, mut legal) = ((0, 0), (0, 0));
    for (start, end) in spans {
        for (model, version) in [(None, None), (Some("alpha"), None)] {
            for (projects, seen) in [(vec![1], &mut default), (vec![2], &mut legal)] {
                let mut s = span(start, end, model, version, 1);
                s.projects = Some(projects);
                let (r, p) = check(&pool, &s).await;
                seen.0 += r;
                seen.1 += p;
            }
        }
    }
    assert!(
        default.0 > 100 && legal.0 > 100 && default.1 > 20 && legal.1 > 20,
        "per project, reviews and pairs: default {default:?}, legal {legal:?}"
    );

    // The whole history through the dashboard page: the same totals and tags as the scan.
    let app = TestApp::spawn(pool.clone()).await;
    let session = app.user("ada", app::domain::Role::Admin).await;
    let d: Value = session
        .call(
            "admin/dashboard",
            &[("from", "2026-02-27"), ("to", "2026-03-20")],
        )
        .await
        .expect("dashboard");
    let whole = span(
        "2026-02-27T00:00:00Z",
        "2026-03-21T00:00:00Z",
        None,
        None,
        1,
    );
    let (want, _) = scanned_counts(&pool, &whole).await;
    assert_eq!(d["reviews"]["total"], want.total);
    assert_eq!(d["reviews"]["ratings"], serde_json::json!(want.ratings));
    assert_eq!(
        d["reviews"]["edit_histogram"],
        serde_json::json!(want.edit_histogram)
    );
    let tags: Vec<(String, i64)> = serde_json::from_value(d["error_tags"].clone()).unwrap();
    assert_eq!(tags, scanned_tags(&pool, &whole).await);
    assert_eq!(
        d["agreement"]["tasks"],
        scanned_agreement(&pool, &whole).await.0.tasks
    );

    // One project through the page: its figures alone.
    let d: Value = session
        .call(
            "admin/dashboard",
            &[
                ("from", "2026-02-27"),
                ("to", "2026-03-20"),
                ("project", "legal"),
            ],
        )
        .await
        .expect("legal's dashboard");
    let legal = Span {
        projects: Some(vec![2]),
        ..whole
    };
    let (want_legal, _) = scanned_counts(&pool, &legal).await;
    assert!(want_legal.total > 0 && want_legal.total < want.total);
    assert_eq!(d["reviews"]["total"], want_legal.total);
    assert_eq!(
        d["reviews"]["ratings"],
        serde_json::json!(want_legal.ratings)
    );
    let tags: Vec<(String, i64)> = serde_json::from_value(d["error_tags"].clone()).unwrap();
    assert_eq!(tags, scanned_tags(&pool, &legal).await);
    assert_eq!(
        d["agreement"]["tasks"],
        scanned_agreement(&pool, &legal).await.0.tasks
    );
    assert_eq!(d["filter"]["project"], "legal");
}

/// Every dashboard rollup's rows with the connections' shards added up, rows of zeros left out:
/// what the figures read, whichever connection wrote it.
async fn rollup_rows(pool: &PgPool) -> Vec<String> {
    let mut out = Vec::new();
    for table in [
        "task_volume",
        "review_volume",
        "review_confidence",
        "review_tags",
        "reviewer_volume",
        "review_agreement",
        "reviewer_agreement",
        "end_user_volume",
        "end_user_agreement",
    ] {
        let (keys, sums): (Vec<String>, Vec<String>) = sqlx::query_as(
            "select array_agg(a.attname::text order by a.attnum)
                        filter (where a.attnum = any (i.indkey::int2[])),
                    array_agg(a.attname::text order by a.attnum)
                        filter (where a.attnum <> all (i.indkey::int2[]))
             from pg_attribute a join pg_index i on i.indrelid = a.attrelid and i.indisprimary
             where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
               and a.attname <> 'shard'",
        )
        .bind(table)
        .fetch_one(pool)
        .await
        .unwrap();
        let summed: Vec<String> = sums.iter().map(|c| format!("sum({c})")).collect();
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select format('{table} %s', row({keys}, {summed})) from {table}
             group by {keys} having ({summed}) <> ({zeros}) order by {keys}",
            keys = keys.join(", "),
            summed = summed.join(", "),
            zeros = vec!["0"; sums.len()].join(", "),
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        out.extend(rows);
    }
    out.extend(
        sqlx::query_scalar::<_, String>(
            "select format('review_spans %s %s', task_id, span) from review_spans order by 1",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    );
    out
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_rebuild_files_every_rollup_row_as_the_triggers_did(pool: PgPool) {
    history(&pool, true).await;
    // End users' signals on some outputs of each project, after their reviews.
    sqlx::query(
        "insert into external_feedback (task_id, user_id, feedback_type, value, created_at,
                                        project_id)
         select t.id, 'u' || (i % 4),
                (array['thumbs', 'rating', 'copy'])[1 + i % 3],
                case i % 3 when 0 then (i % 2)::float8 when 1 then 1 + i % 5 end,
                t.created_at + interval '2 days', t.project_id
         from (select row_number() over (order by created_at) as i, * from tasks) t
         where i % 4 <> 0",
    )
    .execute(&pool)
    .await
    .unwrap();
    let kept = rollup_rows(&pool).await;
    assert!(
        kept.iter().any(|r| r.starts_with("end_user_agreement"))
            && kept.iter().any(|r| r.starts_with("review_spans")),
        "every kind of rollup holds rows"
    );
    let read: i64 = sqlx::query_scalar("select rollups_rebuild()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(read > 300, "the rebuild read every stored row: {read}");
    assert_eq!(rollup_rows(&pool).await, kept);
    // And the rebuilt rows still answer as a scan does.
    rollups_match_scans(pool).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_amendment_through_the_history_page_moves_the_rollups(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for i in 0..3 {
        app.submit(task(&format!("amend-{i}"), 0.1)).await;
    }
    let rita = app.reviewer("rita").await;
    for rating in ["4", "5", "2"] {
        let id = rita.current_task().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        rita.review(&id, rating, "accept").await.unwrap();
    }
    let mine: Value = rita.call("history", &[]).await.unwrap();
    let review_id = mine[0]["id"].to_string();
    rita.call::<()>(
        "history/amend",
        &[
            ("review_id", review_id.as_str()),
            ("rating", "1"),
            ("verdict", "reject"),
            ("corrected_summary", "Something else entirely was said."),
        ],
    )
    .await
    .unwrap();
    let today = Utc::now().date_naive();
    let day = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let s = Span {
        start: day(today),
        end: day(today.succ_opt().unwrap()),
        model: None,
        version: None,
        projects: None,
        origin: today,
        bucket_days: 1,
    };
    let (figures, _) = review_counts(&pool, &s).await.unwrap();
    assert_eq!(
        (figures.total, figures.accepted, figures.rejected),
        (3, 2, 1)
    );
    assert_eq!(figures.ratings, [1, 0, 0, 1, 1]);
    assert_eq!(figures.corrected, 1);
    assert_eq!(figures.edit_histogram.iter().sum::<i64>(), 1);
    check(&pool, &s).await;
    let rows: Vec<ReviewerRow> = reviewers(&pool, &s)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.1)
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].reviews, 3);
    assert!(close(rows[0].mean_rating, 10.0 / 3.0));
}
