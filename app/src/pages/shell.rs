//! The app shell: navigation by role, the user, the connection state, log out; the page in
//! the middle. Shown only with a session; without one it sends the user to the login page.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Outlet, Redirect};
use minicrm_core::Role;
use minicrm_core::access::Area;

use crate::pages::sync::SyncIndicator;
use crate::pwa::use_app_update;
use crate::state::online::use_online;
use crate::state::session::{SessionState, use_session};
use crate::sync::use_sync;
use crate::t;

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Loading,
    LoggedOut,
    LoggedIn,
}

#[component]
pub fn Shell() -> impl IntoView {
    let session = use_session();
    // Only a change of phase re-renders the layout, so a refreshed user name or a 401
    // never throws away what a page holds (a half-typed form).
    let phase = Memo::new(move |_| match session.state() {
        SessionState::Loading => Phase::Loading,
        SessionState::LoggedOut => Phase::LoggedOut,
        SessionState::LoggedIn(_) => Phase::LoggedIn,
    });
    move || match phase.get() {
        Phase::Loading => {
            view! { <p class="loading" role="status">{t!("app-loading")}</p> }.into_any()
        }
        Phase::LoggedOut => {
            let here = leptos_router::hooks::use_location();
            let path = here.pathname.get_untracked();
            let target = if path == "/" || path.is_empty() {
                "/login".to_owned()
            } else {
                format!("/login?next={}", js_sys::encode_uri_component(&path))
            };
            view! { <Redirect path=target /> }.into_any()
        }
        Phase::LoggedIn => view! { <Layout /> }.into_any(),
    }
}

fn area_link(area: Area) -> (&'static str, &'static str) {
    match area {
        Area::Records => ("/records", "nav-records"),
        Area::Tasks => ("/tasks", "nav-tasks"),
        Area::Reports => ("/reports", "nav-reports"),
        Area::Settings => ("/settings", "nav-settings"),
        Area::Trash => ("/trash", "nav-trash"),
    }
}

pub fn role_label(role: Role) -> String {
    t!("shell-role", role = role.as_str())
}

#[component]
fn Layout() -> impl IntoView {
    let session = use_session();
    let online = use_online();
    // Back online: ask the server whether the session is still good (a 401 asks for the
    // password) and whether name or role changed.
    Effect::new(move |was_online: Option<bool>| {
        let now_online = online.get();
        if now_online && was_online == Some(false) {
            spawn_local(async move { session.refresh().await });
        }
        now_online
    });
    let role = Memo::new(move |_| session.user().map(|user| user.role));
    let name = Memo::new(move |_| session.user().map(|user| user.name).unwrap_or_default());
    let sync = use_sync();
    let confirm_logout = RwSignal::new(false);
    // Edits not on the server yet would be lost with the session: ask first.
    let log_out = move |_| {
        if sync.pending.get_untracked() > 0 {
            confirm_logout.set(true);
        } else {
            spawn_local(async move { session.log_out().await });
        }
    };
    request_persistent_storage();

    view! {
        <div class="shell">
            <nav class="sidebar" aria-label=t!("nav-label")>
                <p class="brand">{t!("app-name")}</p>
                <ul class="nav-list">
                    {move || {
                        role.get()
                            .map(Area::visible_to)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|area| {
                                let (href, key) = area_link(area);
                                if area == Area::Tasks {
                                    return view! { <li><A href=href>{t!(key)}<TaskCounts /></A></li> }.into_any();
                                }
                                view! { <li><A href=href>{t!(key)}</A></li> }.into_any()
                            })
                            .collect_view()
                    }}
                </ul>
                <div class="sidebar-foot">
                    <p class="user-name">{move || t!("shell-signed-in-as", name = name.get())}</p>
                    <p class="user-role">{move || role.get().map(role_label)}</p>
                    <p class="connection" role="status" class:offline=move || !online.get()>
                        {move || if online.get() { t!("status-online") } else { t!("status-offline") }}
                    </p>
                    <SyncIndicator />
                    <button type="button" on:click=log_out>{t!("shell-log-out")}</button>
                </div>
            </nav>
            <main class="content">
                <UpdateBanner />
                <Outlet />
            </main>
            <Show when=move || session.reauth_needed()>
                <ReauthDialog />
            </Show>
            <Show when=move || confirm_logout.get()>
                <div class="dialog-backdrop">
                    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="logout-title">
                        <h2 id="logout-title">{t!("logout-title")}</h2>
                        <p>{move || t!("logout-pending", count = sync.pending.get().to_string())}</p>
                        <div class="actions">
                            <button type="button" class="primary" on:click=move |_| confirm_logout.set(false)>{t!("logout-stay")}</button>
                            <button type="button" on:click=move |_| {
                                confirm_logout.set(false);
                                spawn_local(async move { session.log_out().await });
                            }>{t!("logout-anyway")}</button>
                        </div>
                    </div>
                </div>
            </Show>
        </div>
    }
}

/// My overdue and today's open tasks, beside "Tasks" in the navigation.
#[component]
fn TaskCounts() -> impl IntoView {
    let counts = crate::pages::tasks::my_counts();
    view! {
        {move || {
            let (overdue, today) = counts.get();
            view! {
                {(overdue > 0).then(|| view! { " " <span class="nav-count overdue">{t!("nav-tasks-overdue", count = overdue.to_string())}</span> })}
                {(today > 0).then(|| view! { " " <span class="nav-count today">{t!("nav-tasks-today", count = today.to_string())}</span> })}
            }
        }}
    }
}

#[component]
fn UpdateBanner() -> impl IntoView {
    let update = use_app_update();
    view! {
        <Show when=move || update.available()>
            <div class="banner" role="status">
                <span>{t!("update-available")}</span>
                <button type="button" class="primary" on:click=move |_| update.apply()>{t!("update-reload")}</button>
            </div>
        </Show>
    }
}

/// The token was refused: ask for the password; the local data stays usable meanwhile.
#[component]
fn ReauthDialog() -> impl IntoView {
    let session = use_session();
    let email = session.user().map(|user| user.email).unwrap_or_default();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let email_for_submit = email.clone();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let email = email_for_submit.clone();
        spawn_local(async move {
            let result = session.log_in(email, password.get_untracked()).await;
            busy.set(false);
            if let Err(err) = result {
                error.set(Some(err.user_message()));
            }
        });
    };
    view! {
        <div class="dialog-backdrop">
            <form class="dialog" role="dialog" aria-modal="true" aria-labelledby="reauth-title" on:submit=submit>
                <h2 id="reauth-title">{t!("reauth-title")}</h2>
                <p>{t!("reauth-intro", email = email)}</p>
                <div class="field">
                    <label for="reauth-password">{t!("login-password")}</label>
                    <input id="reauth-password" type="password" autocomplete="current-password" required bind:value=password />
                </div>
                <Show when=move || error.get().is_some()>
                    <p class="form-error" role="alert">{move || error.get()}</p>
                </Show>
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{t!("reauth-submit")}</button>
                    <button type="button" on:click=move |_| spawn_local(async move { session.log_out().await })>
                        {t!("reauth-log-out-instead")}
                    </button>
                </div>
            </form>
        </div>
    }
}

/// Asks the browser not to evict the device's data under storage pressure: it may hold
/// edits that exist nowhere else yet.
fn request_persistent_storage() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let storage = window.navigator().storage();
    if let Ok(promise) = storage.persist() {
        spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
}
