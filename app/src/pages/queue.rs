//! `/queue`: the page a reviewer starts from. Its body comes rendered from the server
//! ([`crate::queue`]).

use crate::pages::{ErrorNotice, Header};
use crate::queue::load_queue_page;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn QueuePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_queue_page());
    view! {
        <Title text="Queue" />
        <Header />
        <main class="queue-page">
            <h1>"Queue"</h1>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! { <div inner_html=d.html></div> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}
