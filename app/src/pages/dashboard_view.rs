//! The dashboard's body — cards, charts, tables, the latest comments. It is read-only and sits
//! outside the page's islands, so it is rendered on the server only: the browser gets finished
//! markup, and the WASM carries none of its code (as typed views inside the bundle it once added
//! about 165 KB gzip to every page).

/// End users' satisfaction.
mod end_users;

use crate::dashboard::{Dashboard, REASONS, WHAT_IF_THRESHOLDS};
use crate::pages::charts::{Chart, Series, Unit};
use leptos::prelude::*;

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map(|v| format!("{v:.digits$}"))
        .unwrap_or_else(|| "—".into())
}

fn age(seconds: Option<f64>) -> String {
    match seconds {
        None => "—".into(),
        Some(s) if s < 3600.0 => format!("{:.0} min", s / 60.0),
        Some(s) if s < 172_800.0 => format!("{:.1} h", s / 3600.0),
        Some(s) => format!("{:.1} days", s / 86_400.0),
    }
}

/// `2026-11-03` → `11-03`: the year is in the filter above the charts.
fn short_day(day: &str) -> String {
    day.get(5..).unwrap_or(day).to_owned()
}

/// "2026-11-26T18:25:45.123+00:00" → "2026-11-26 18:25 UTC".
fn when(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => rfc3339.to_owned(),
    }
}

fn reason_label(reason: &str) -> &'static str {
    match reason {
        "low_confidence" => "low confidence",
        "flagged" => "flagged",
        "audit_sample" => "audit sample",
        "user_feedback" => "end-user feedback",
        "weak_support" => "marked support",
        "requeued" => "requeued",
        _ => "auto-accepted",
    }
}

/// The dashboard's figures, charts and tables.
#[component]
pub fn DashboardBody(d: Dashboard) -> impl IntoView {
    let labels: Vec<String> = d.buckets.iter().map(|b| short_day(b)).collect();
    let per = if d.bucket_days == 1 { "day" } else { "week" };
    let r = d.reviews.clone();

    let volume = REASONS
        .iter()
        .zip(d.volume.iter())
        .map(|(reason, counts)| {
            Series::bars(reason_label(reason), counts.iter().map(|c| *c as f64))
        })
        .collect::<Vec<_>>();
    let ratings = vec![Series::bars("reviews", r.ratings.iter().map(|c| *c as f64))];
    let edits = vec![Series::bars(
        "corrections",
        r.edit_histogram.iter().map(|c| *c as f64),
    )];
    let rating_lines = d
        .versions
        .iter()
        .map(|v| Series::line(v.label.clone(), v.mean_rating.clone()))
        .collect::<Vec<_>>();
    let acceptance_lines = d
        .versions
        .iter()
        .map(|v| Series::line(v.label.clone(), v.acceptance.clone()))
        .collect::<Vec<_>>();
    let deciles: Vec<String> = (0..10).map(|i| format!("{:.1}", i as f64 / 10.0)).collect();
    let calibration = |bins: &[crate::stats::CalibrationBin]| {
        let counts: Vec<String> = bins
            .iter()
            .map(|b| format!(" ({} reviews)", b.count))
            .collect();
        vec![
            Series {
                name: "human acceptance (n above each bar)".into(),
                mark: crate::pages::charts::Mark::Bars,
                values: bins
                    .iter()
                    .map(|b| (b.count > 0).then_some(b.acceptance))
                    .collect(),
                band: None,
                notes: Some(counts.clone()),
                captions: Some(bins.iter().map(|b| format!("n={}", b.count)).collect()),
            },
            Series::line(
                "mean confidence",
                bins.iter()
                    .map(|b| (b.count > 0).then_some(b.mean_confidence))
                    .collect(),
            )
            .with_notes(counts),
        ]
    };
    let wi = &d.what_if;
    let what_if_labels: Vec<String> = WHAT_IF_THRESHOLDS
        .iter()
        .map(|t| format!("{t:.2}"))
        .collect();
    let what_if_series = vec![
        Series::line(
            "sent to review",
            wi.rows.iter().map(|r| r.review_share).collect(),
        ),
        Series::line(
            "auto-accepted but rejected (audit estimate)",
            wi.rows.iter().map(|r| r.reject_share).collect(),
        )
        .with_band(wi.rows.iter().map(|r| r.interval).collect())
        .with_notes(
            wi.rows
                .iter()
                .map(|r| {
                    format!(
                        " ({} of {} audit reviews rejected)",
                        r.audit_rejects, r.audit_reviews
                    )
                })
                .collect(),
        ),
    ];
    // Thresholds sit in category centres: 0.50 is the first, 0.95 the last.
    let step = 1.0 / WHAT_IF_THRESHOLDS.len() as f64;
    let marker_at = ((wi.current - 0.50) / 0.05 + 0.5) * step;
    let marker = (marker_at, format!("current {:.2}", wi.current));

    let cards = view! {
        <div class="cards">
            <section class="card" aria-labelledby="queue-h">
                <h2 id="queue-h">"Queue now"</h2>
                <dl>
                    <dt>"waiting"</dt><dd data-figure="waiting">{d.queue.waiting}</dd>
                    <dt>"oldest waiting"</dt><dd>{age(d.queue.oldest_seconds)}</dd>
                    <dt>"in review"</dt><dd>{d.queue.in_review}</dd>
                    <dt>"escalations waiting"</dt><dd>{d.queue.escalated}</dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="reviews-h">
                <h2 id="reviews-h">"Reviews"</h2>
                <dl>
                    <dt>"reviews"</dt><dd data-figure="reviews">{r.total}</dd>
                    <dt>"accepted"</dt><dd>{pct(r.share(r.accepted))}</dd>
                    <dt>"rejected"</dt><dd>{pct(r.share(r.rejected))}</dd>
                    <dt>"escalated"</dt><dd>{pct(r.share(r.escalated))}</dd>
                    <dt>"with a correction"</dt><dd>{pct(r.share(r.corrected))}</dd>
                    <dt>"mean edit distance"</dt><dd>{num(r.mean_edit_distance, 2)}</dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="agreement-h">
                <h2 id="agreement-h">"Agreement"</h2>
                <dl>
                    <dt>"tasks with 2+ reviews"</dt><dd>{d.agreement.tasks}</dd>
                    <dt>"Krippendorff's α (ratings, ordinal)"</dt><dd data-figure="alpha">{num(d.agreement.alpha, 3)}</dd>
                    <dt>"same verdict"</dt><dd>{pct(d.agreement.verdict_agreement)}</dd>
                </dl>
            </section>
        </div>
    }
    .into_any();
    let charts = view! {
        <div class="charts">
            <section>
                <h2>{format!("Outputs per {per}, by routing reason")}</h2>
                <Chart name="volume" caption="Outputs received per period, stacked by routing reason" labels=labels.clone() series=volume unit=Unit::Count />
            </section>
            <section>
                <h2>{format!("Reviews per {per}")}</h2>
                <Chart name="reviews" caption="Reviews per period" labels=labels.clone()
                    series=vec![Series::bars("reviews", d.reviews_per_bucket.iter().map(|c| *c as f64))] unit=Unit::Count />
            </section>
            <section>
                <h2>"Ratings given"</h2>
                <Chart name="ratings" caption="Number of reviews per rating" labels=(1..=5).map(|n| n.to_string()).collect() series=ratings unit=Unit::Count />
            </section>
            <section>
                <h2>"How much corrections change (word edit distance)"</h2>
                <Chart name="edits" caption="Corrections by normalized word-level edit distance" labels=deciles.clone() series=edits unit=Unit::Count />
            </section>
            <section>
                <h2>{format!("Mean rating per {per}, by model version")}</h2>
                <Chart name="version-rating" caption="Mean rating over time per model version" labels=labels.clone() series=rating_lines unit=Unit::Rating y_max=5.0 />
            </section>
            <section>
                <h2>{format!("Acceptance per {per}, by model version")}</h2>
                <Chart name="version-acceptance" caption="Acceptance rate over time per model version" labels=labels.clone() series=acceptance_lines unit=Unit::Share y_max=1.0 />
            </section>
            <section>
                <h2>"Calibration, all reviews · ECE " <span data-figure="ece">{num(d.calibration.ece_all, 3)}</span></h2>
                <Chart name="calibration" caption="Human acceptance rate against model confidence, per confidence decile" labels=deciles.clone() series=calibration(&d.calibration.all) unit=Unit::Share y_max=1.0 />
                <p class="note">"Reviewed tasks are chosen for low confidence or flags, so this view is biased towards the model's weak spots."</p>
            </section>
            <section>
                <h2>"Calibration, audit sample only · ECE " {num(d.calibration.ece_audit, 3)}</h2>
                <Chart name="calibration-audit" caption="Human acceptance against confidence for the random audit sample" labels=deciles series=calibration(&d.calibration.audit) unit=Unit::Share y_max=1.0 />
                <p class="note">"The audit sample is drawn at random from confident outputs: the unbiased view of them."</p>
            </section>
            <section class="wide">
                <h2>"Threshold what-if"</h2>
                <Chart name="what-if" caption="Share sent to review and estimated share of auto-accepted outputs reviewers would reject, per threshold" labels=what_if_labels series=what_if_series unit=Unit::Share y_max=1.0 marker=marker />
                <table class="data">
                    <thead><tr><th scope="col">"threshold"</th><th scope="col">"sent to review"</th><th scope="col">"auto-accepted, would be rejected"</th><th scope="col">"95% interval"</th><th scope="col">"audit reviews"</th></tr></thead>
                    <tbody>
                        {wi.rows.iter().map(|row| {
                            let current = (row.threshold - wi.current).abs() < 1e-9;
                            view! {
                                <tr class:current=current>
                                    <td>{format!("{:.2}", row.threshold)}{current.then_some(" (current)")}</td>
                                    <td>{pct(row.review_share)}</td>
                                    <td>{pct(row.reject_share)}</td>
                                    <td>{row.interval.map(|(lo, hi)| format!("{:.1}% – {:.1}%", lo * 100.0, hi * 100.0)).unwrap_or_else(|| "—".into())}</td>
                                    <td>{row.audit_reviews}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <p class="note">"Estimated from audit-sample reviews with confidence at or above each threshold (Wilson interval). Flagged outputs always go to review."</p>
            </section>
        </div>
    }
    .into_any();
    let reviewers = view! {
        <section class="panel">
            <h2>"Reviewers"</h2>
            <table class="data" data-table="reviewers">
                <thead><tr><th scope="col">"reviewer"</th><th scope="col">"reviews"</th><th scope="col">"median seconds"</th><th scope="col">"mean rating"</th><th scope="col">"agrees with others"</th></tr></thead>
                <tbody>
                    {d.reviewers.iter().map(|rv| view! {
                        <tr>
                            <td>{rv.username.clone()}</td>
                            <td>{rv.reviews}</td>
                            <td>{format!("{:.0}", rv.median_seconds)}</td>
                            <td>{format!("{:.2}", rv.mean_rating)}</td>
                            <td>{pct(rv.agreement)}{(rv.compared > 0).then(|| format!(" of {}", rv.compared))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {d.reviewers.is_empty().then(|| view! { <p class="note">"No reviews in this range."</p> })}
            // The median is read from per-day histograms of seconds (app/src/dashboard/seconds.rs).
            {(!d.reviewers.is_empty()).then(|| view! { <p class="note">"Median seconds are read from a histogram kept per day: within 5 s up to half a minute, 10 s up to one, 15 s up to two, 30–60 s up to five."</p> })}
        </section>
    }
    .into_any();
    let tagged = view! {
        <section class="panel" aria-labelledby="tags-h">
            <h2 id="tags-h">"Error tags"</h2>
            {if d.error_tags.is_empty() {
                view! { <p class="note">"No review in this range has an error tag."</p> }.into_any()
            } else {
                view! {
                    <table class="data" aria-label="Reviews per error tag">
                        <thead><tr><th scope="col">"tag"</th><th scope="col">"reviews"</th></tr></thead>
                        <tbody>
                            {d.error_tags.iter().map(|(tag, n)| view! { <tr><td>{tag.clone()}</td><td>{*n}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
    .into_any();
    let caught = d.weak_support.clone();
    let caught_share = |n: i64| (caught.reviews > 0).then(|| n as f64 / caught.reviews as f64);
    let weak_support = view! {
        <section class="card" aria-labelledby="weak-support-h" data-panel="weak-support">
            <h3 id="weak-support-h">"Caught by source support"</h3>
            <p class="note">"Confident outputs sent to review because the source-support marks flagged their summary (models with marked summaries on, under Routing)."</p>
            <dl>
                <dt>"outputs sent to review"</dt><dd data-figure="weak-support">{caught.outputs}</dd>
                <dt>"reviewed"</dt><dd data-figure="weak-support-reviews">{caught.reviews}</dd>
                <dt>"rejected"</dt><dd data-figure="weak-support-rejected">{pct(caught_share(caught.rejected))}</dd>
                <dt>"accepted"</dt><dd>{pct(caught_share(caught.accepted))}</dd>
                <dt>"escalated"</dt><dd>{pct(caught_share(caught.escalated))}</dd>
                <dt>"mean rating"</dt><dd>{num(caught.mean_rating, 2)}</dd>
            </dl>
        </section>
    };
    let routing = view! {
        <section class="panel">
            <h2>"Routing"</h2>
            <p class="note">"Threshold, audit rate and how many different reviewers see each new task of a model, per project: a project without a row of its own for a model follows its own defaults (*), then the default project's row for the model, then the default project's defaults. Agreement is measured where reviews per task is 2 or more. Tasks already routed keep their decision. End users' dissatisfaction (a thumbs-down, a rating at or under the limit, a correction) sends an auto-accepted output to review. With marked summaries on, a confident output whose summary the source-support marks flag goes to review too (reason weak_support)."</p>
            <table class="data">
                <thead><tr><th scope="col">"project"</th><th scope="col">"model"</th><th scope="col">"threshold"</th><th scope="col">"audit rate"</th><th scope="col">"reviews per task"</th><th scope="col">"end users' dissatisfaction"</th><th scope="col">"marked summaries"</th></tr></thead>
                <tbody>
                    {d.routing.iter().map(|row| view! {
                        <tr>
                            <td>{row.project.clone()}</td>
                            <td>{if row.model == "*" { "default (*)".to_owned() } else { row.model.clone() }}</td>
                            <td>{format!("{:.2}", row.threshold)}</td>
                            <td>{pct(Some(row.audit_rate))}</td>
                            <td>{row.reviews_per_task}</td>
                            <td>{if row.user_feedback_review {
                                format!("to review (rating ≤ {})", row.user_feedback_rating_at_most)
                            } else {
                                "off".to_owned()
                            }}</td>
                            <td>{if row.weak_support_review { "to review" } else { "off" }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <div class="cards">{weak_support}</div>
        </section>
    }
    .into_any();
    let feeds = view! {
        <div class="cards">
            <section class="card wide" aria-labelledby="comments-h">
                <h2 id="comments-h">"Latest comments"</h2>
                <ul class="feed">
                    {d.comments.iter().map(|c| view! {
                        <li>
                            <a href=format!("/admin/tasks/{}", c.task_id)>{when(&c.at)}</a>
                            " · " {c.reviewer.clone()} " · " {c.verdict.clone()} " · rated " {c.rating}
                            <blockquote>{c.comment.clone()}</blockquote>
                        </li>
                    }).collect_view()}
                </ul>
                {d.comments.is_empty().then(|| view! { <p class="note">"No comments in this range."</p> })}
            </section>
            <section class="card wide" aria-labelledby="escalations-h">
                <h2 id="escalations-h">"Escalations waiting"</h2>
                <ul class="feed">
                    {d.escalations.iter().map(|e| view! {
                        <li>
                            <a href=format!("/admin/tasks/{}", e.task_id)>{e.at.as_deref().map(when).unwrap_or_else(|| "task".into())}</a>
                            " · " {format!("{} {}", e.model, e.model_version)}
                            {e.reviewer.clone().map(|r| format!(" · by {r}"))}
                            {e.comment.clone().map(|c| view! { <blockquote>{c}</blockquote> })}
                        </li>
                    }).collect_view()}
                </ul>
                {d.escalations.is_empty().then(|| view! { <p class="note">"No escalations waiting."</p> })}
            </section>
        </div>
    }
    .into_any();
    let end_users =
        view! { <end_users::EndUsersPanel e=d.end_users labels=labels per=per /> }.into_any();
    view! { {cards} {charts} {end_users} {reviewers} {tagged} {routing} {feeds} }
}
