//! `/history`: the reviewer's last 50 reviews, newest first; one still within its amendment window
//! has a form to amend it (the earlier version is kept, and counted on the page).

use crate::error::field_message;
use crate::history::{AmendReview, MyReview, my_reviews};
use crate::pages::{ErrorNotice, Header};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HistoryPage() -> impl IntoView {
    view! {
        <Title text="My reviews" />
        <Header />
        <main class="history-page">
            <h1>"My reviews"</h1>
            <p class="hint">{format!("Your last 50 reviews. You can amend one for {} minutes after submitting it; the earlier version is kept.", crate::history::AMEND_MINUTES)}</p>
            <MyReviews />
        </main>
    }
}

/// The list and its amendment forms, an island: an amendment reloads the list in place.
#[island(lazy)]
fn MyReviews() -> impl IntoView {
    crate::pages::mark_live("history");
    let amended = RwSignal::new(0u32);
    let data = Resource::new(move || amended.get(), |_| my_reviews());
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty-note">"You have not reviewed anything yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ol class="my-reviews">
                            {list.into_iter().map(|r| view! { <Entry r=r amended=amended /> }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Entry(r: MyReview, amended: RwSignal<u32>) -> impl IntoView {
    let amend = ServerAction::<AmendReview>::new();
    let result = amend.value();
    crate::pages::bump_on_success(result, amended);
    let error = move |field: &'static str| {
        move || {
            field_message(&result.get(), field)
                .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
        }
    };
    let other = move || {
        result.with(|v| match v {
            Some(Err(e))
                if ![
                    "rating",
                    "verdict",
                    "comment",
                    "corrected_summary",
                    "error_tags",
                ]
                .iter()
                .any(|f| e.message_for(f).is_some()) =>
            {
                Some(e.to_string())
            }
            _ => None,
        })
    };
    let comment_text = r.comment.clone().unwrap_or_default();
    let correction_text = r
        .corrected_summary
        .clone()
        .unwrap_or_else(|| r.summary.clone());
    let tags_text = r.error_tags.join(", ");
    let form_label = format!("Amend review of {}", r.task_label);
    let id = r.id.to_string();
    let rating = r.rating;
    let accept = r.verdict == "accept";
    let form = r.amendable_until.clone().map(move |until| {
        view! {
            <details class="amend">
                <summary>{format!("Amend (until {until})")}</summary>
                <ActionForm action=amend attr:class="amend-form" attr:aria-label=form_label>
                    <input type="hidden" name="review_id" value=id />
                    <label>"Rating"
                        <select name="rating">
                            {(1..=5i16).map(|n| view! { <option value=n.to_string() selected=n == rating>{n}</option> }).collect_view()}
                        </select>
                    </label>
                    {error("rating")}
                    <label>"Verdict"
                        <select name="verdict">
                            <option value="accept" selected=accept>"Accept"</option>
                            <option value="reject" selected=!accept>"Reject"</option>
                        </select>
                    </label>
                    {error("verdict")}
                    <label>"Comment" <textarea name="comment" rows="2">{crate::html::textarea_text(&comment_text)}</textarea></label>
                    {error("comment")}
                    <label>"Corrected summary"
                        <textarea name="corrected_summary" rows="3">{crate::html::textarea_text(&correction_text)}</textarea>
                    </label>
                    {error("corrected_summary")}
                    <label>"Error tags (comma-separated)" <input type="text" name="error_tags" value=tags_text /></label>
                    {error("error_tags")}
                    <button type="submit">"Save amendment"</button>
                </ActionForm>
                <p class="form-error" role="alert">{other}</p>
            </details>
        }
    });
    view! {
        <li class="panel my-review">
            <h2>{r.task_label.clone()}</h2>
            <p class="meta">
                {format!("{} · rated {} · {}", r.verdict, r.rating, r.created_at)}
                {(r.revisions > 0).then(|| format!(" · amended ({} earlier version{} kept)", r.revisions, if r.revisions == 1 { "" } else { "s" }))}
            </p>
            {(!r.error_tags.is_empty()).then(|| view! { <p class="meta">"Error tags: "{r.error_tags.join(", ")}</p> })}
            {r.comment.clone().map(|c| view! { <blockquote>{c}</blockquote> })}
            {r.corrected_summary.clone().map(|c| view! { <crate::pages::DiffText parts=crate::diff::word_diff(&r.summary, &c) /> })}
            {form}
        </li>
    }
}
