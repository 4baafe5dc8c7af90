//! `/login`: username and password. Works as a plain HTML form before the WASM has loaded; the
//! form is an island, so its errors show beside the fields once it has.

use crate::account::Login;
use crate::error::{AppError, field_message, form_message};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = query.read_untracked().get("next").unwrap_or_default();
    let refused = crate::pages::refused_post(&[Login::PATH]);
    view! {
        <Title text="Sign in" />
        <main class="narrow login">
            <h1>"Sign in to Loupe"</h1>
            <LoginForm next refused />
        </main>
    }
}

/// The form, an island: errors appear beside their fields without a page load.
#[island(lazy)]
fn LoginForm(
    /// Where to go once signed in (checked again by the server).
    next: String,
    /// The error of this form's post without scripts, if the server refused it.
    refused: Option<AppError>,
) -> impl IntoView {
    let login = ServerAction::<Login>::new();
    if let Some(e) = refused {
        login.value().set(Some(Err(e)));
    }
    crate::pages::mark_live("login");
    let error_for = move |field: &'static str| login.value().with(|v| field_message(v, field));
    let other_error = move || login.value().with(form_message);
    view! {
        <ActionForm action=login>
            <input type="hidden" name="next" value=next />
            <div class="field">
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" required autofocus />
                <p class="field-error" role="alert">{move || error_for("username")}</p>
            </div>
            <div class="field">
                <label for="password">"Password"</label>
                <input
                    id="password"
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    required
                />
                <p class="field-error" role="alert">{move || error_for("password")}</p>
            </div>
            <p class="field-error" role="alert">{other_error}</p>
            <button type="submit" class="primary" disabled=move || login.pending().get()>
                "Sign in"
            </button>
        </ActionForm>
    }
}
