//! `/account`: the signed-in person's own account: changing their password. The form is an
//! island (errors beside their fields without a page load) and works as a plain HTML form before
//! the WASM has loaded. A change ends every session of the account and signs this browser in afresh.

use crate::account::{ChangePassword, MIN_PASSWORD_CHARS};
use crate::error::{AppError, field_message, form_message};
use crate::pages::Header;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccountPage() -> impl IntoView {
    // `?changed` is where a successful change lands; the message is the page's own text.
    let changed = use_query_map().read_untracked().get("changed").is_some();
    let refused = crate::pages::refused_post(&[ChangePassword::PATH]);
    view! {
        <Title text="Your account" />
        <Header />
        <main class="narrow account">
            <h1>"Your account"</h1>
            {changed.then(|| view! {
                <p class="saved" role="status">"Password changed. Your other sessions have been signed out."</p>
            })}
            <h2>"Change your password"</h2>
            <p class="hint">{format!(
                "At least {MIN_PASSWORD_CHARS} characters. Every other place you are signed in is signed out."
            )}</p>
            <PasswordForm refused />
        </main>
    }
}

/// The form, an island: errors appear beside their fields without a page load.
#[island(lazy)]
fn PasswordForm(
    /// The error of this form's post without scripts, if the server refused it.
    refused: Option<AppError>,
) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    if let Some(e) = refused {
        change.value().set(Some(Err(e)));
    }
    crate::pages::mark_live("account");
    let error_for = move |field: &'static str| change.value().with(|v| field_message(v, field));
    let other_error = move || change.value().with(form_message);
    let min = MIN_PASSWORD_CHARS.to_string();
    view! {
        <ActionForm action=change attr:aria-label="Change your password">
            <div class="field">
                <label for="current_password">"Current password"</label>
                <input id="current_password" type="password" name="current_password"
                    autocomplete="current-password" required />
                <p class="field-error" role="alert">{move || error_for("current_password")}</p>
            </div>
            <div class="field">
                <label for="new_password">"New password"</label>
                <input id="new_password" type="password" name="new_password"
                    autocomplete="new-password" minlength=min.clone() required />
                <p class="field-error" role="alert">{move || error_for("new_password")}</p>
            </div>
            <div class="field">
                <label for="repeat_password">"New password again"</label>
                <input id="repeat_password" type="password" name="repeat_password"
                    autocomplete="new-password" minlength=min required />
                <p class="field-error" role="alert">{move || error_for("repeat_password")}</p>
            </div>
            <p class="field-error" role="alert">{other_error}</p>
            <button type="submit" class="primary" disabled=move || change.pending().get()>
                "Change password"
            </button>
        </ActionForm>
    }
}
