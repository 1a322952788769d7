//! The login page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::pages::accounts::log_in_submit;
use crate::pages::forms::{FormError, TextField};
use crate::state::online::use_online;
use crate::state::session::{SessionState, use_session};
use crate::t;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let online = use_online();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let needs_setup = LocalResource::new(|| async {
        api::setup_status()
            .await
            .map(|status| status.needed)
            .unwrap_or(false)
    });

    // After logging in, go where the user was headed (`?next=/path`, same site only).
    let query = use_query_map();
    Effect::new(move || {
        if matches!(session.state(), SessionState::LoggedIn(_)) {
            let next = query
                .with_untracked(|query| query.get("next"))
                .filter(|next| next.starts_with('/') && !next.starts_with("//"))
                .unwrap_or_else(|| "/records".to_owned());
            navigate(&next, Default::default());
        }
    });

    let retrying = RwSignal::new(false);
    let retry = move |_| {
        if retrying.get_untracked() {
            return;
        }
        retrying.set(true);
        spawn_local(async move {
            session.retry_clear().await;
            retrying.set(false);
        });
    };

    let submit = log_in_submit(session);
    let busy = submit.pending();

    view! {
        <main class="auth-page">
            <form class="auth-card" on:submit=submit.on_submit(move || (email.get_untracked(), password.get_untracked()))>
                <h1>{t!("login-title")}</h1>
                <Show when=move || needs_setup.get().unwrap_or(false)>
                    <p class="notice">{t!("login-needs-setup")}</p>
                </Show>
                <Show when=move || !online.get()>
                    <p class="notice">{t!("login-offline")}</p>
                </Show>
                // "Nothing is left" only after the device was emptied; otherwise what failed,
                // with a retry.
                <Show when=move || session.ended_untracked() && session.clear_failed().is_none()>
                    <p class="notice" role="status">{t!("login-logged-out")}</p>
                </Show>
                {move || session.clear_failed().map(|message| view! {
                    <div class="form-error" role="alert">
                        <p>{message}</p>
                        <button type="button" disabled=move || retrying.get() on:click=retry>
                            {t!("logout-clear-retry")}
                        </button>
                    </div>
                })}
                <TextField id="login-email" label=t!("login-email") kind="email" autocomplete="username" required=true value=email />
                <TextField id="login-password" label=t!("login-password") kind="password" autocomplete="current-password" required=true value=password />
                <FormError error=submit.error() />
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { t!("login-submitting") } else { t!("login-submit") }}
                </button>
            </form>
        </main>
    }
}
