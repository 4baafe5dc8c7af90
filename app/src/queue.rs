//! The reviewer's queue page (`/queue`): what is waiting, by routing reason; my reviews today and
//! my median time per review; a button to start. Read-only, so its body is rendered on the server
//! and sent as HTML (none of it in the WASM).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The figures on the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueSummary {
    /// Tasks waiting for a reviewer, by routing reason (reasons with none left out).
    pub by_reason: Vec<(String, i64)>,
    pub waiting: i64,
    /// The caller's reviews since midnight UTC, and their median seconds.
    pub my_reviews_today: i64,
    pub my_median_seconds: Option<f64>,
}

/// The summary and its rendered HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuePageData {
    pub summary: QueueSummary,
    pub html: String,
}

/// For any signed-in reviewer or admin.
#[server(prefix = "/api", endpoint = "queue/summary")]
pub async fn load_queue_page() -> Result<QueuePageData, AppError> {
    let user = crate::auth::current_user().await?;
    let pool = crate::state::expect_state().pool;
    let waiting = crate::task::counts::waiting_by_reason(&pool).await?;
    let mine = sqlx::query!(
        r#"select count(*) as "n!",
                  percentile_cont(0.5) within group (order by seconds_spent) as median
           from reviews
           where reviewer_id = $1 and created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'"#,
        user.id
    )
    .fetch_one(&pool)
    .await?;
    let mut by_reason: Vec<(String, i64)> = crate::dashboard::REASONS
        .iter()
        .filter_map(|r| {
            waiting
                .iter()
                .find(|(reason, _)| reason == r)
                .map(|(_, n)| ((*r).to_owned(), *n))
        })
        .collect();
    by_reason.retain(|(_, n)| *n > 0);
    let summary = QueueSummary {
        waiting: by_reason.iter().map(|(_, n)| n).sum(),
        by_reason,
        my_reviews_today: mine.n,
        my_median_seconds: mine.median,
    };
    let html = render(&summary);
    Ok(QueuePageData { summary, html })
}

#[cfg(feature = "ssr")]
fn render(s: &QueueSummary) -> String {
    use crate::domain::Reason;
    use leptos::tachys::view::RenderHtml;
    let median = s
        .my_median_seconds
        .map(|m| format!("{m:.0} s"))
        .unwrap_or_else(|| "—".into());
    let work = if s.waiting == 0 {
        view! {
            <section class="empty" aria-live="polite">
                <h2>"Nothing is waiting for review"</h2>
                <p>"New tasks appear here as pipelines send them."</p>
            </section>
        }
        .into_any()
    } else {
        view! {
            <p class="waiting-total"><strong>{s.waiting}</strong>
                {if s.waiting == 1 { " task is waiting" } else { " tasks are waiting" }}</p>
            <table class="data" aria-label="Waiting by reason">
                <thead><tr><th>"Why it needs a person"</th><th>"Tasks"</th></tr></thead>
                <tbody>
                    {s.by_reason.iter().map(|(r, n)| view! {
                        <tr><td>{Reason::from_db(r).map_or(r.as_str(), |r| r.explanation()).to_owned()}</td><td>{*n}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p><a class="button primary" href="/review">"Start reviewing"</a></p>
        }
        .into_any()
    };
    view! {
        {work}
        <dl class="my-day" aria-label="Your day">
            <div><dt>"Your reviews today"</dt><dd>{s.my_reviews_today}</dd></div>
            <div><dt>"Median time per review today"</dt><dd>{median}</dd></div>
        </dl>
    }
    .to_html()
}
