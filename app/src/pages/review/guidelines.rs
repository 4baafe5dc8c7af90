//! The review guidelines of the task's project beside the task, loaded from the server the first
//! time the panel opens.
//!
//! The text arrives as HTML: `crate::guidelines` formats the admin's plain text on the server and
//! escapes everything the writer typed, so it is inserted as it is. Formatting it here instead
//! would put the formatter, and a view per line, into the desk's WASM, which every review page
//! loads.

use super::keyboard::{Act, hint};
use leptos::prelude::*;

/// The review guidelines of `project` (a slug) beside the task, loaded when first opened (key
/// `g`, Esc closes).
#[component]
pub fn GuidelinesPanel(open: RwSignal<bool>, project: String) -> impl IntoView {
    let text = Resource::new(
        move || open.get(),
        move |open| {
            let project = project.clone();
            async move {
                if open {
                    crate::guidelines::load_guidelines(Some(project))
                        .await
                        .map(Some)
                } else {
                    Ok(None)
                }
            }
        },
    );
    view! {
        <aside id="guidelines" class="guidelines" aria-labelledby="guidelines-h" hidden=move || !open.get()>
            <h2 id="guidelines-h">"Review guidelines"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match text.await {
                        Ok(Some(g)) if g.text.is_empty() => view! { <p class="hint">"No guidelines have been written yet."</p> }.into_any(),
                        Ok(Some(g)) => view! { <div class="guidelines-text" inner_html=g.html></div> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <button type="button" on:click=move |_| open.set(false)>"Close " <kbd>{hint(Act::Guidelines)}</kbd></button>
        </aside>
    }
}
