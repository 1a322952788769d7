//! The sync state in the sidebar, and its details page: what waits, what was refused.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use minicrm_core::sync::Change;
use serde_json::Value;

use crate::state::now::{ago, local_date_time, use_now};
use crate::storage::Storage;
use crate::storage::rows::RejectedChange;
use crate::sync::{SyncPhase, use_sync};
use crate::t;

/// One line that always says honestly where the device's changes stand.
#[component]
pub fn SyncIndicator() -> impl IntoView {
    let sync = use_sync();
    let now = use_now();
    let text = move || {
        let pending = sync.pending.get();
        let count = pending.to_string();
        if sync.rejected.get() > 0 {
            return t!("sync-refused", count = sync.rejected.get().to_string());
        }
        match sync.phase.get() {
            SyncPhase::Syncing => match sync.pulled_rows.get() {
                0 => t!("sync-syncing"),
                rows => t!("sync-syncing-rows", rows = rows.to_string()),
            },
            SyncPhase::Offline => t!("sync-offline", count = count),
            SyncPhase::NeedsLogin => t!("sync-needs-login"),
            SyncPhase::Failed(message) => {
                format!(
                    "{} · {}",
                    t!("sync-failed", message = message),
                    t!("sync-waiting", count = count)
                )
            }
            SyncPhase::Idle if pending > 0 => t!("sync-waiting", count = count),
            SyncPhase::Idle => match sync.last_sync_ms.get() {
                Some(then) => t!("sync-saved-synced", ago = ago(then, now.get())),
                None => t!("sync-saved-never"),
            },
        }
    };
    view! {
        <A href="/sync" attr:class="sync-state" attr:aria-live="polite">{text}</A>
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Null => t!("value-empty"),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[component]
pub fn SyncPage() -> impl IntoView {
    let sync = use_sync();
    let pending = RwSignal::new(Vec::<Change>::new());
    let rejected = RwSignal::new(Vec::<RejectedChange>::new());
    Effect::new(move || {
        sync.data_version.track();
        spawn_local(async move {
            if let Ok(storage) = Storage::shared().await {
                if let Ok(changes) = storage.pending_changes().await {
                    pending.set(changes);
                }
                if let Ok(changes) = storage.rejected_changes().await {
                    rejected.set(changes);
                }
            }
        });
    });
    let clear = move |_| {
        spawn_local(async move {
            if let Ok(storage) = Storage::shared().await
                && storage.clear_rejected().await.is_ok()
            {
                sync.notify_changed();
            }
        });
    };
    view! {
        <section class="page">
            <h1>{t!("sync-title")}</h1>
            <p role="status">
                {move || match sync.last_sync_ms.get() {
                    Some(ms) => t!("sync-last", when = local_date_time(ms)),
                    None => t!("sync-never"),
                }}
            </p>
            {move || match sync.phase.get() {
                SyncPhase::Failed(message) => Some(view! { <p class="form-error" role="alert">{t!("sync-failed", message = message)}</p> }),
                _ => None,
            }}
            <button type="button" class="primary" on:click=move |_| sync.request()>{t!("sync-now")}</button>

            <section class="panel" aria-labelledby="pending-title">
                <h2 id="pending-title">{t!("sync-pending-title")}</h2>
                <Show when=move || !pending.with(Vec::is_empty) fallback=|| view! { <p class="empty">{t!("sync-pending-empty")}</p> }>
                    <table class="data-table">
                        <thead><tr>
                            <th scope="col">{t!("sync-column-record")}</th>
                            <th scope="col">{t!("sync-column-field")}</th>
                            <th scope="col">{t!("sync-column-value")}</th>
                        </tr></thead>
                        <tbody>
                            {move || pending.get().into_iter().map(|change| view! {
                                <tr>
                                    <td>{change.entity.clone()}</td>
                                    <td>{change.field.clone()}</td>
                                    <td>{value_text(&change.value)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </Show>
            </section>

            <section class="panel" aria-labelledby="rejected-title">
                <h2 id="rejected-title">{t!("sync-rejected-title")}</h2>
                <Show when=move || !rejected.with(Vec::is_empty) fallback=|| view! { <p class="empty">{t!("sync-rejected-empty")}</p> }>
                    <p>{t!("sync-rejected-intro")}</p>
                    <table class="data-table">
                        <thead><tr>
                            <th scope="col">{t!("sync-column-record")}</th>
                            <th scope="col">{t!("sync-column-field")}</th>
                            <th scope="col">{t!("sync-column-value")}</th>
                            <th scope="col">{t!("sync-column-reason")}</th>
                        </tr></thead>
                        <tbody>
                            {move || rejected.get().into_iter().map(|change| view! {
                                <tr>
                                    <td>{change.entity.clone()}</td>
                                    <td>{change.field.clone()}</td>
                                    <td>{value_text(&change.value)}</td>
                                    <td>{change.message.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <button type="button" on:click=clear>{t!("sync-rejected-clear")}</button>
                </Show>
            </section>
        </section>
    }
}
