//! `/admin`: the admin area. For now the queue and feedback counts; reviewers are refused.

use crate::pages::{ErrorNotice, Header};
use crate::queue::admin_overview;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| admin_overview());
    view! {
        <Title text="Admin" />
        <Header />
        <main class="admin">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(o) => {
                            let rows = |pairs: Vec<(String, i64)>| {
                                pairs
                                    .into_iter()
                                    .map(|(k, n)| view! { <tr><th scope="row">{k}</th><td>{n}</td></tr> })
                                    .collect_view()
                            };
                            view! {
                                <h1>"Admin"</h1>
                                <div class="cards">
                                    <section class="card">
                                        <h2>"Tasks by status"</h2>
                                        <table>{rows(o.by_status)}</table>
                                    </section>
                                    <section class="card">
                                        <h2>"Tasks by routing reason"</h2>
                                        <table>{rows(o.by_reason)}</table>
                                    </section>
                                    <section class="card">
                                        <h2>"Feedback"</h2>
                                        <table>
                                            <tr><th scope="row">"reviews"</th><td>{o.reviews}</td></tr>
                                            <tr><th scope="row">"end-user feedback"</th><td>{o.external_feedback}</td></tr>
                                        </table>
                                    </section>
                                </div>
                            }
                            .into_any()
                        }
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}
