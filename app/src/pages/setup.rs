//! First-run setup: create the administrator with the one-time link the server printed.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use minicrm_core::api::SetupRequest;
use minicrm_core::validate;

use crate::api::{self, ApiError};
use crate::state::session::use_session;
use crate::t;

#[component]
pub fn SetupPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let token = move || query.with(|query| query.get("token")).unwrap_or_default();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let status =
        LocalResource::new(|| async { api::setup_status().await.map(|status| status.needed) });

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let local_problem = validate::normalize_name(&name.get_untracked())
            .err()
            .map(|_| t!("error-name"))
            .or_else(|| {
                validate::normalize_email(&email.get_untracked())
                    .err()
                    .map(|_| t!("error-email"))
            })
            .or_else(|| {
                validate::check_password(&password.get_untracked())
                    .err()
                    .map(|_| t!("error-password-short"))
            });
        if let Some(problem) = local_problem {
            error.set(Some(problem));
            return;
        }
        busy.set(true);
        error.set(None);
        let request = SetupRequest {
            token: token(),
            email: email.get_untracked(),
            name: name.get_untracked(),
            password: password.get_untracked(),
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = api::setup(&request).await;
            busy.set(false);
            match result {
                Ok(response) => {
                    session.establish(response).await;
                    navigate("/records", Default::default());
                }
                Err(err @ ApiError::Server { .. }) | Err(err @ ApiError::Unauthorized { .. }) => {
                    error.set(Some(err.user_message()));
                }
                Err(err) => error.set(Some(err.user_message())),
            }
        });
    };

    view! {
        <main class="auth-page">
            <form class="auth-card" on:submit=submit>
                <h1>{t!("setup-title")}</h1>
                {move || match status.get() {
                    Some(Ok(false)) => view! {
                        <p class="notice">{t!("setup-done")}</p>
                        <A href="/login">{t!("setup-go-login")}</A>
                    }.into_any(),
                    _ if token().is_empty() => view! { <p class="notice">{t!("setup-no-token")}</p> }.into_any(),
                    _ => view! {
                        <p>{t!("setup-intro")}</p>
                        <div class="field">
                            <label for="setup-name">{t!("setup-name")}</label>
                            <input id="setup-name" autocomplete="name" required bind:value=name />
                        </div>
                        <div class="field">
                            <label for="setup-email">{t!("setup-email")}</label>
                            <input id="setup-email" type="email" autocomplete="username" required bind:value=email />
                        </div>
                        <div class="field">
                            <label for="setup-password">{t!("setup-password")}</label>
                            <input id="setup-password" type="password" autocomplete="new-password" required bind:value=password />
                        </div>
                        <Show when=move || error.get().is_some()>
                            <p class="form-error" role="alert">{move || error.get()}</p>
                        </Show>
                        <button type="submit" class="primary" disabled=move || busy.get()>{t!("setup-submit")}</button>
                    }.into_any(),
                }}
            </form>
        </main>
    }
}
