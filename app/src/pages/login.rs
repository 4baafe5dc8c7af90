//! `/login`: username and password. Works as a plain HTML form before the WASM has loaded.

use crate::account::Login;
use crate::error::{field_message, form_message};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error_for = move |field: &'static str| login.value().with(|v| field_message(v, field));
    let other_error = move || login.value().with(form_message);
    view! {
        <Title text="Sign in" />
        <main class="narrow login">
            <h1>"Sign in to Loupe"</h1>
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
        </main>
    }
}
