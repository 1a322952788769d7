//! First-run setup: create the administrator with the one-time link the server printed.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use minicrm_core::api::SetupRequest;

use crate::api;
use crate::pages::accounts::new_account_problem;
use crate::pages::forms::{FormError, Submit, TextField};
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
    let status =
        LocalResource::new(|| async { api::setup_status().await.map(|status| status.needed) });

    let submit = Submit::new(move |request: SetupRequest| {
        let navigate = navigate.clone();
        async move {
            let response = api::setup(&request)
                .await
                .map_err(|err| err.user_message())?;
            session.establish(response).await;
            navigate("/records", Default::default());
            Ok(())
        }
    });
    let busy = submit.pending();
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let request = SetupRequest {
            token: token(),
            email: email.get_untracked(),
            name: name.get_untracked(),
            password: password.get_untracked(),
        };
        match new_account_problem(&request.name, &request.email, &request.password) {
            Some(problem) => submit.fail(problem),
            None => submit.dispatch(request),
        }
    };

    view! {
        <main class="auth-page">
            <form class="auth-card" on:submit=on_submit>
                <h1>{t!("setup-title")}</h1>
                {move || match status.get() {
                    Some(Ok(false)) => view! {
                        <p class="notice">{t!("setup-done")}</p>
                        <A href="/login">{t!("setup-go-login")}</A>
                    }.into_any(),
                    _ if token().is_empty() => view! { <p class="notice">{t!("setup-no-token")}</p> }.into_any(),
                    _ => view! {
                        <p>{t!("setup-intro")}</p>
                        <TextField id="setup-name" label=t!("setup-name") autocomplete="name" required=true value=name />
                        <TextField id="setup-email" label=t!("setup-email") kind="email" autocomplete="username" required=true value=email />
                        <TextField id="setup-password" label=t!("setup-password") kind="password" autocomplete="new-password" required=true value=password />
                        <FormError error=submit.error() />
                        <button type="submit" class="primary" disabled=move || busy.get()>{t!("setup-submit")}</button>
                    }.into_any(),
                }}
            </form>
        </main>
    }
}
