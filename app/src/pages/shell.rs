//! The app shell: navigation by role, the user, the connection state, log out; the page in
//! the middle. Shown only with a session; without one it sends the user to the login page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Outlet, Redirect};
use minicrm_core::access::Area;

use crate::pages::accounts::{log_in_submit, role_label};
use crate::pages::dialogs::{focus_when_shown, is_close_key};
use crate::pages::forms::{DialogActions, FormError, TextField};
use crate::pages::sync::{StorageWarning, SyncIndicator, failure_text};
use crate::pwa::use_app_update;
use crate::state::online::use_online;
use crate::state::session::{SessionState, use_session};
use crate::storage::Storage;
use crate::sync::{Sync, SyncPhase, use_sync};
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
            // After a logout the next user starts at the records, not on the page the
            // last user had open.
            let target = if path == "/" || path.is_empty() || session.ended_untracked() {
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
    let logout_step = RwSignal::new(LogoutStep::Closed);
    // Edits not on the server yet would be lost with the session: ask first (twice).
    let ask_log_out = Callback::new(move |()| {
        spawn_local(async move {
            // The outbox as it stands (another tab may have added to it just now).
            let waiting = match Storage::shared().await {
                Ok(storage) => storage.pending_count().await.ok(),
                Err(_) => None,
            };
            let waiting = waiting.unwrap_or_else(|| sync.pending.get_untracked());
            if waiting == 0 {
                session.log_out().await;
            } else {
                sync.pending.set(waiting);
                logout_step.set(LogoutStep::Waiting);
            }
        });
    });
    request_persistent_storage(sync);
    // An import a crash or a closed tab left mid-writing goes on by itself.
    crate::pages::records::import::resume_writing();

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
                    <StorageWarning />
                    <button type="button" on:click=move |_| ask_log_out.run(())>{t!("shell-log-out")}</button>
                </div>
            </nav>
            <main class="content">
                <UpdateBanner />
                <Outlet />
            </main>
            <Show when=move || session.reauth_needed()>
                <ReauthDialog on_log_out=ask_log_out />
            </Show>
            <Show when=move || logout_step.get() != LogoutStep::Closed>
                <LogoutDialog step=logout_step sync=sync />
            </Show>
            <Show when=move || session.leaving()>
                <div class="dialog-backdrop">
                    <p class="dialog" role="status">{t!("logout-leaving")}</p>
                </div>
            </Show>
        </div>
    }
}

/// Where the "Log out" questions stand.
#[derive(Clone, Copy, PartialEq)]
enum LogoutStep {
    Closed,
    /// Changes wait: offer to send them first.
    Waiting,
    /// "Log out anyway": the second question, saying what is lost.
    Confirm,
}

/// Logging out with changes that have not reached the server: first the offer to sync
/// them, then — logging out anyway — the question again with what will be lost. Once the
/// outbox is empty (a sync went through), logging out loses nothing and says so.
#[component]
fn LogoutDialog(step: RwSignal<LogoutStep>, sync: Sync) -> impl IntoView {
    let session = use_session();
    let online = use_online();
    let first_button = NodeRef::<leptos::html::Button>::new();
    focus_when_shown(first_button);
    let close = move || step.set(LogoutStep::Closed);
    let log_out = move || {
        step.set(LogoutStep::Closed);
        spawn_local(async move { session.log_out().await });
    };
    let count = move || sync.pending.get();
    let syncing = move || sync.phase.get() == SyncPhase::Syncing;
    let on_key = move |event: web_sys::KeyboardEvent| {
        if is_close_key(&event) {
            event.prevent_default();
            close();
        }
    };
    let title = move || match (step.get(), count()) {
        (_, 0) => t!("logout-title"),
        (LogoutStep::Confirm, _) => t!("logout-confirm-title"),
        _ => t!("logout-waiting-title"),
    };
    let body = move || {
        let n = count();
        if n == 0 {
            return t!("logout-nothing-waiting");
        }
        match step.get() {
            LogoutStep::Confirm => t!("logout-confirm", count = n.to_string()),
            _ => t!("logout-pending", count = n.to_string()),
        }
    };
    view! {
        <div class="dialog-backdrop">
            <div class="dialog logout-dialog" role="dialog" aria-modal="true" aria-labelledby="logout-title"
                aria-describedby="logout-body" on:keydown=on_key>
                <h2 id="logout-title">{title}</h2>
                <p id="logout-body">{body}</p>
                {move || (count() > 0 && step.get() == LogoutStep::Waiting && !online.get())
                    .then(|| view! { <p class="notice">{t!("logout-offline")}</p> })}
                <FormError error=Signal::derive(move || {
                    sync.phase.with(failure_text).filter(|_| count() > 0)
                }) />
                <div class="actions">
                    {move || if count() == 0 {
                        view! {
                            <button type="button" class="primary" node_ref=first_button on:click=move |_| log_out()>{t!("shell-log-out")}</button>
                            <button type="button" on:click=move |_| close()>{t!("logout-stay")}</button>
                        }.into_any()
                    } else if step.get() == LogoutStep::Confirm {
                        view! {
                            <button type="button" class="primary" node_ref=first_button on:click=move |_| close()>{t!("logout-keep")}</button>
                            <button type="button" class="danger" on:click=move |_| log_out()>
                                {move || t!("logout-lose", count = count().to_string())}
                            </button>
                        }.into_any()
                    } else {
                        view! {
                            <button type="button" class="primary" node_ref=first_button
                                disabled=move || !online.get() || syncing()
                                on:click=move |_| sync.request()>
                                {move || if syncing() { t!("sync-syncing") } else { t!("sync-now") }}
                            </button>
                            <button type="button" on:click=move |_| close()>{t!("logout-stay")}</button>
                            <button type="button" class="danger" on:click=move |_| step.set(LogoutStep::Confirm)>{t!("logout-anyway")}</button>
                        }.into_any()
                    }}
                </div>
            </div>
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
/// "Log out instead" goes through the same questions as "Log out".
#[component]
fn ReauthDialog(on_log_out: Callback<()>) -> impl IntoView {
    let session = use_session();
    let email = session.user().map(|user| user.email).unwrap_or_default();
    let password = RwSignal::new(String::new());
    let submit = log_in_submit(session);
    let email_for_submit = email.clone();
    let on_submit = submit.on_submit(move || (email_for_submit.clone(), password.get_untracked()));
    view! {
        <div class="dialog-backdrop">
            <form class="dialog" role="dialog" aria-modal="true" aria-labelledby="reauth-title" on:submit=on_submit>
                <h2 id="reauth-title">{t!("reauth-title")}</h2>
                <p>{t!("reauth-intro", email = email)}</p>
                <TextField id="reauth-password" label=t!("login-password") kind="password" autocomplete="current-password" required=true value=password />
                <FormError error=submit.error() />
                <DialogActions submit=t!("reauth-submit") cancel=t!("reauth-log-out-instead")
                    busy=submit.pending() on_cancel=on_log_out />
            </form>
        </div>
    }
}

/// Asks the browser not to evict the device's data under storage pressure: it may hold
/// edits that exist nowhere else yet. Its answer is kept for the Sync page and the sidebar.
fn request_persistent_storage(sync: Sync) {
    spawn_local(async move { sync.check_persistence(true).await });
}
