//! What the product's end users said about the output under review, beside the summary: a line
//! per feedback type (thumbs up and down, ratings and their mean, implicit events, types Loupe
//! does not know) and their newest texts (comments, corrections), bounded by the server
//! (`crate::end_users`).
//!
//! Every string here came from a product's backend and may be hostile: it is only ever a text
//! node, which Leptos escapes, never markup.

use crate::end_users::EndUserSummary;
use leptos::prelude::*;

/// The end users' feedback, or nothing when they sent none.
#[component]
pub fn EndUserFeedback(summary: Option<EndUserSummary>) -> impl IntoView {
    summary.map(|s| {
        let notes = (!s.notes.is_empty()).then(|| {
            view! {
                <ul class="end-user-notes" aria-label="Newest end-user texts">
                    {s.notes
                        .into_iter()
                        .map(|n| {
                            let label = if n.feedback_type == "correction" {
                                "Correction".to_owned()
                            } else {
                                n.feedback_type.clone()
                            };
                            view! {
                                <li data-type=n.feedback_type>
                                    <span class="label">{label}": "</span>
                                    <q>{n.text}</q>
                                    {n.cut.then_some("…")}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
        });
        view! {
            <section class="end-users" aria-labelledby="end-users-heading">
                <h3 id="end-users-heading">"End users said"</h3>
                <ul class="end-user-counts">
                    {s.counts
                        .into_iter()
                        .map(|c| view! { <li data-type=c.feedback_type.clone()>{c.describe()}</li> })
                        .collect_view()}
                </ul>
                {notes}
            </section>
        }
    })
}
