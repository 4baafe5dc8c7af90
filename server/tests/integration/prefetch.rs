//! Zero-wait review: the next task claimed in the background, its short lease, its promotion
//! when the reviewer moves on, and its release when they leave.

use crate::helpers::{TestApp, task};
use serde_json::{Value, json};
use sqlx::PgPool;

fn id_of(task: &Value) -> String {
    task["id"].as_str().unwrap().to_owned()
}

/// Seconds from now until the task's lease runs out, and whether it is a background claim.
async fn lease_of(app: &TestApp, id: &str) -> (f64, bool) {
    sqlx::query_as(
        "select extract(epoch from lease_expires_at - now())::float8, lease_prefetched
         from tasks where id = $1::uuid",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_next_task_is_held_in_the_background_and_shown_after_a_submit(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(json!([
        task("first", 0.1),
        task("second", 0.2),
        task("third", 0.3)
    ]))
    .await;
    let (ann, bob) = (app.reviewer("ann").await, app.reviewer("bob").await);
    let current = ann.current_task().await.unwrap();
    let next: Value = ann.call("review/next", &[]).await.unwrap();
    assert_eq!(next["summary"], "Summary of second.");
    // Asking again keeps the same claim rather than taking a third task.
    let again: Value = ann.call("review/next", &[]).await.unwrap();
    assert_eq!(again["id"], next["id"]);
    let (secs, prefetched) = lease_of(&app, &id_of(&next)).await;
    assert!(
        prefetched && secs > 60.0 && secs <= 90.0,
        "a short lease: {secs}"
    );
    // Held means held: another reviewer gets the third task, not the prefetched one.
    assert_eq!(
        bob.current_task().await.unwrap()["summary"],
        "Summary of third."
    );
    // Ann's current task stays current; the prefetched one is not handed out as current.
    assert_eq!(ann.current_task().await.unwrap()["id"], current["id"]);

    let upcoming: Value = ann
        .call(
            "review/submit",
            &[
                ("task_id", &id_of(&current)),
                ("rating", "4"),
                ("verdict", "accept"),
                ("prefetch", "1"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(upcoming["current"]["id"], next["id"]);
    assert_eq!(upcoming["next"], Value::Null, "nothing else is free");
    let (secs, prefetched) = lease_of(&app, &id_of(&next)).await;
    assert!(
        !prefetched && secs > 14.0 * 60.0,
        "now current, with a full lease: {secs}"
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_skip_moves_on_to_the_prefetched_task_and_claims_the_one_after(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(json!([task("a", 0.1), task("b", 0.2), task("c", 0.3)]))
        .await;
    let cy = app.reviewer("cy").await;
    let current = cy.current_task().await.unwrap();
    let next: Value = cy.call("review/next", &[]).await.unwrap();
    let upcoming: Value = cy
        .call(
            "review/skip",
            &[("task_id", &id_of(&current)), ("prefetch", "1")],
        )
        .await
        .unwrap();
    assert_eq!(upcoming["current"]["id"], next["id"]);
    assert_eq!(upcoming["next"]["summary"], "Summary of c.");
    let after = upcoming["next"].clone();
    // Without `prefetch` (a form posted without scripts) nothing more is claimed: the page load
    // that follows the post does that.
    let upcoming: Value = cy
        .call("review/skip", &[("task_id", &id_of(&next))])
        .await
        .unwrap();
    assert_eq!(upcoming, json!({ "current": null, "next": null }));
    assert_eq!(cy.current_task().await.unwrap()["id"], after["id"]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn leaving_the_page_gives_the_prefetched_task_back_and_a_lapsed_claim_is_free(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(json!([
        task("one", 0.1),
        task("two", 0.2),
        task("three", 0.3)
    ]))
    .await;
    let (dee, eve) = (app.reviewer("dee").await, app.reviewer("eve").await);
    let current = dee.current_task().await.unwrap();
    let next: Value = dee.call("review/next", &[]).await.unwrap();
    assert_eq!(dee.beacon("review/release").await, 200);
    // The task on screen stays Dee's; the one behind it is free again.
    assert_eq!(eve.current_task().await.unwrap()["id"], next["id"]);
    assert_eq!(dee.current_task().await.unwrap()["id"], current["id"]);

    // Renewal keeps a background claim alive; without it the claim lapses and is free.
    let third: Value = dee.call("review/next", &[]).await.unwrap();
    sqlx::query(
        "update tasks set lease_expires_at = now() + interval '5 seconds' where id = $1::uuid",
    )
    .bind(id_of(&third))
    .execute(&app.pool)
    .await
    .unwrap();
    let held: Vec<String> = dee.call("review/renew", &[]).await.unwrap();
    assert_eq!(held.len(), 2);
    assert!(held.contains(&id_of(&third)) && held.contains(&id_of(&current)));
    let (secs, _) = lease_of(&app, &id_of(&third)).await;
    assert!(secs > 80.0, "renewed: {secs}");
    sqlx::query(
        "update tasks set lease_expires_at = now() - interval '1 second' where id = $1::uuid",
    )
    .bind(id_of(&third))
    .execute(&app.pool)
    .await
    .unwrap();
    let held: Vec<String> = dee.call("review/renew", &[]).await.unwrap();
    assert_eq!(held, [id_of(&current)]);
    let fay = app.reviewer("fay").await;
    assert_eq!(fay.current_task().await.unwrap()["id"], third["id"]);
}

/// `review/next` claims and reads what the page shows in one statement, whose own reads do not
/// see the task it claims move: the header's count must still leave that task out, whether it
/// was queued or a lapsed lease, and must not leave out a task held from before.
#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_background_claim_counts_what_is_left_waiting(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.submit(json!([
        task("a", 0.1),
        task("b", 0.2),
        task("c", 0.3),
        task("d", 0.4)
    ]))
    .await;
    let (gus, hal) = (app.reviewer("gus").await, app.reviewer("hal").await);
    let current = gus.current_task().await.unwrap();
    assert_eq!(current["waiting"], 3);
    let next: Value = gus.call("review/next", &[]).await.unwrap();
    assert_eq!(next["summary"], "Summary of b.");
    assert_eq!(next["waiting"], 2, "b is claimed: c and d wait");
    assert_eq!(next["error_tags"], current["error_tags"]);
    // Asked again, the held claim is answered, and nothing more is taken from the count.
    let again: Value = gus.call("review/next", &[]).await.unwrap();
    assert_eq!((&again["id"], &again["waiting"]), (&next["id"], &json!(2)));

    // Gus's background claim lapses: Hal's background claim takes it (first in queue order)
    // and counts the two queued tasks, not the lapsed one he now holds.
    sqlx::query(
        "update tasks set lease_expires_at = now() - interval '1 second' where id = $1::uuid",
    )
    .bind(id_of(&next))
    .execute(&app.pool)
    .await
    .unwrap();
    let hals: Value = hal.call("review/next", &[]).await.unwrap();
    assert_eq!(hals["id"], next["id"]);
    assert_eq!(hals["waiting"], 2);
    let (_, prefetched) = lease_of(&app, &id_of(&hals)).await;
    assert!(prefetched);
    let waiting: i64 = sqlx::query_scalar(
        "select count(*) from tasks where task_waiting(status, lease_expires_at)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(waiting, 2);
}
