//! The dashboard's end-user panel: what end users of the AI product said in the range (their
//! signals per type and per output sent), their satisfaction per model version over time, how
//! often they and reviewers agree on the same outputs, and what reviewers found in the outputs
//! end users sent back. Server-rendered like the rest of the body; every text from end users
//! (a signal type is free text) goes in as a text node.

use super::{num, pct};
use crate::dashboard::EndUserFigures;
use crate::pages::charts::{Chart, Series, Unit};
use leptos::prelude::*;

#[component]
pub fn EndUsersPanel(e: EndUserFigures, labels: Vec<String>, per: &'static str) -> impl IntoView {
    let share = (e.thumbs > 0).then(|| e.thumbs_up as f64 / e.thumbs as f64);
    let thumbs_lines = e
        .versions
        .iter()
        .map(|v| Series::line(v.label.clone(), v.thumbs_up_share.clone()))
        .collect::<Vec<_>>();
    let rating_lines = e
        .versions
        .iter()
        .map(|v| Series::line(v.label.clone(), v.mean_rating.clone()))
        .collect::<Vec<_>>();
    let back = e.came_back.clone();
    let back_share = |n: i64| (back.reviews > 0).then(|| n as f64 / back.reviews as f64);
    view! {
        <section class="panel" aria-labelledby="end-users-h" data-panel="end-users">
            <h2 id="end-users-h">"End users"</h2>
            <div class="cards">
                <section class="card" aria-labelledby="satisfaction-h">
                    <h3 id="satisfaction-h">"Satisfaction"</h3>
                    <dl>
                        <dt>"signals"</dt><dd data-figure="end-user-signals">{e.signals}</dd>
                        <dt>"thumbs-up"</dt><dd data-figure="thumbs-up">{pct(share)}{(e.thumbs > 0).then(|| format!(" of {}", e.thumbs))}</dd>
                        <dt>"mean rating"</dt><dd data-figure="end-user-rating">{num(e.mean_rating, 2)}{(e.ratings > 0).then(|| format!(" ({} ratings)", e.ratings))}</dd>
                        <dt>"agree with reviewers"</dt><dd data-figure="end-user-agreement">{pct(e.agreement)}{(e.agreement_pairs > 0).then(|| format!(" of {} pairs", e.agreement_pairs))}</dd>
                    </dl>
                </section>
                <section class="card" aria-labelledby="came-back-h">
                    <h3 id="came-back-h">"Sent back by end users"</h3>
                    <dl>
                        <dt>"outputs sent back"</dt><dd data-figure="came-back">{back.outputs}</dd>
                        <dt>"reviewed"</dt><dd data-figure="came-back-reviews">{back.reviews}</dd>
                        <dt>"rejected"</dt><dd>{pct(back_share(back.rejected))}</dd>
                        <dt>"accepted"</dt><dd>{pct(back_share(back.accepted))}</dd>
                        <dt>"escalated"</dt><dd>{pct(back_share(back.escalated))}</dd>
                        <dt>"mean rating"</dt><dd>{num(back.mean_rating, 2)}</dd>
                    </dl>
                </section>
            </div>
            <div class="charts">
                <section>
                    <h3>{format!("Thumbs-up share per {per}, by model version")}</h3>
                    <Chart name="end-user-thumbs" caption="Share of end users' thumbs that are up, per period and model version" labels=labels.clone() series=thumbs_lines unit=Unit::Share y_max=1.0 />
                </section>
                <section>
                    <h3>{format!("End users' mean rating per {per}, by model version")}</h3>
                    <Chart name="end-user-rating" caption="End users' mean rating per period and model version" labels=labels series=rating_lines unit=Unit::Rating y_max=5.0 />
                </section>
            </div>
            {if e.types.is_empty() {
                view! { <p class="note">"No end-user feedback in this range."</p> }.into_any()
            } else {
                view! {
                    <table class="data" data-table="end-user-types" aria-label="End-user signals per type">
                        <thead><tr><th scope="col">"signal"</th><th scope="col">"count"</th><th scope="col">"per 100 outputs"</th></tr></thead>
                        <tbody>
                            {e.types.iter().map(|t| view! {
                                <tr>
                                    <td>{t.feedback_type.clone()}</td>
                                    <td>{t.count}</td>
                                    <td>{num(t.per_100_outputs, 1)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <p class="note">{format!("Rates are per 100 outputs sent in the range ({}). Agreement pairs a reviewer's accept or reject with an end user's thumbs or rating on the same output: up or 4 and more agrees with accept, down or 2 and less with reject.", e.outputs)}</p>
        </section>
    }
}
