//! The sync state in the sidebar, and its details page: what waits, what was refused,
//! and the health of the device's storage (persistence, space, the last acknowledgement,
//! the oldest waiting change, a rescue copy as a file).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use minicrm_core::sync::Change;
use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::pages::forms::FormError;
use crate::state::now::{ago, local_date_time, rfc3339, use_now};
use crate::storage::Storage;
use crate::storage::health::{Estimate, estimate};
use crate::storage::rejected::RejectedChange;
use crate::sync::{SyncPhase, use_sync};
use crate::t;

/// "Sync failed: …" while the last attempt failed (the Sync page, the logout question).
pub fn failure_text(phase: &SyncPhase) -> Option<String> {
    match phase {
        SyncPhase::Failed(message) => Some(t!("sync-failed", message = message.as_str())),
        _ => None,
    }
}

/// Changes older than this make the sidebar warn.
pub const STALE_PENDING_MS: f64 = 24.0 * 60.0 * 60.0 * 1000.0;

/// A number of bytes as people read it: "512 B", "3.4 KB", "12.0 MB", "1.2 GB" (powers of
/// 1024, one decimal above bytes).
pub fn size_text(bytes: f64) -> String {
    const UNITS: [&str; 4] = ["size-kb", "size-mb", "size-gb", "size-tb"];
    let bytes = bytes.max(0.0);
    if bytes < 1024.0 {
        return t!("size-b", size = format!("{bytes:.0}"));
    }
    let mut value = bytes / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    t!(UNITS[unit], size = format!("{value:.1}"))
}

/// How long something has waited: "less than a minute", "5 min", "25 hours", "3 days".
pub fn age_text(then_ms: f64, now_ms: f64) -> String {
    let minutes = ((now_ms - then_ms) / 60_000.0).floor().max(0.0) as u64;
    if minutes < 1 {
        t!("age-under-minute")
    } else if minutes < 60 {
        t!("age-minutes", minutes = minutes.to_string())
    } else if minutes < 72 * 60 {
        t!("age-hours", hours = (minutes / 60).to_string())
    } else {
        t!("age-days", days = (minutes / (24 * 60)).to_string())
    }
}

/// In the sidebar: changes have waited more than a day, or the browser may delete the
/// device's data (persistent storage refused). Each links to the Sync page.
#[component]
pub fn StorageWarning() -> impl IntoView {
    let sync = use_sync();
    let now = use_now();
    let stale = move || {
        sync.oldest_pending_ms
            .get()
            .is_some_and(|oldest| now.get() - oldest > STALE_PENDING_MS)
    };
    view! {
        <Show when=stale>
            <A href="/sync" attr:class="storage-warning">{t!("health-warning-stale")}</A>
        </Show>
        <Show when=move || sync.persisted.get() == Some(false)>
            <A href="/sync" attr:class="storage-warning">{t!("health-warning-not-persisted")}</A>
        </Show>
    }
}

/// "minicrm-rescue-2026-11-22-0930.json" in local time.
fn rescue_file_name(now_ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(now_ms));
    format!(
        "minicrm-rescue-{:04}-{:02}-{:02}-{:02}{:02}.json",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// The device's storage: persistence, space, acknowledgement, what waits and since when,
/// and the rescue copy.
#[component]
fn StorageHealth() -> impl IntoView {
    let sync = use_sync();
    let now = use_now();
    let space = RwSignal::new(None::<Estimate>);
    Effect::new(move || {
        sync.data_version.track();
        spawn_local(async move { space.set(estimate().await) });
    });
    spawn_local(async move { sync.check_persistence(false).await });
    let asking = RwSignal::new(false);
    let ask = move |_| {
        asking.set(true);
        spawn_local(async move {
            sync.check_persistence(true).await;
            asking.set(false);
        });
    };
    let saving = RwSignal::new(false);
    let saved = RwSignal::new(None::<Result<String, String>>);
    let save = move |_| {
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        saved.set(None);
        spawn_local(async move {
            let at = js_sys::Date::now();
            let result = match Storage::shared().await {
                Ok(storage) => storage
                    .rescue_copy(&rfc3339(at as i64))
                    .await
                    .map_err(|err| err.to_string()),
                Err(err) => Err(err.to_string()),
            };
            let name = rescue_file_name(at);
            let result = result.and_then(|parts| {
                crate::files::save_text(parts, "application/json", &name)
                    .map(|()| name)
                    .map_err(|err| format!("{err:?}"))
            });
            saved.set(Some(result));
            saving.set(false);
        });
    };
    view! {
        <section class="panel storage-health" aria-labelledby="health-title">
            <h2 id="health-title">{t!("health-title")}</h2>
            <dl class="health-figures">
                <Figure term="health-persisted">
                    {move || match sync.persisted.get() {
                        Some(true) => t!("health-persisted-yes"),
                        Some(false) => t!("health-persisted-no"),
                        None => t!("health-unknown"),
                    }}
                    <Show when=move || sync.persisted.get() != Some(true)>
                        " "
                        <button type="button" class="link" disabled=move || asking.get() on:click=ask>{t!("health-persist-ask")}</button>
                    </Show>
                </Figure>
                <Figure term="health-space">
                    {move || match space.get() {
                        Some(Estimate { usage, quota }) => t!(
                            "health-space-used",
                            used = size_text(usage),
                            quota = size_text(quota)
                        ),
                        None => t!("health-unknown"),
                    }}
                </Figure>
                <Figure term="health-waiting">{move || t!("health-waiting-count", count = sync.pending.get().to_string())}</Figure>
                <Figure term="health-oldest">
                    {move || match sync.oldest_pending_ms.get() {
                        Some(oldest) => t!(
                            "health-oldest-age",
                            age = age_text(oldest, now.get()),
                            when = local_date_time(oldest)
                        ),
                        None => t!("health-none-waiting"),
                    }}
                </Figure>
                <Figure term="health-last-ack">
                    {move || match sync.last_ack_ms.get() {
                        Some(ms) => t!("health-last-ack-at", when = ago(ms, now.get())),
                        None => t!("health-last-ack-never"),
                    }}
                </Figure>
            </dl>
            <p>{t!("health-rescue-intro")}</p>
            <button type="button" disabled=move || saving.get() on:click=save>
                {move || if saving.get() { t!("health-rescue-saving") } else { t!("health-rescue") }}
            </button>
            {move || saved.get().and_then(Result::ok).map(|name| view! {
                <p role="status">{t!("health-rescue-saved", name = name)}</p>
            })}
            <FormError error=Signal::derive(move || {
                saved.get().and_then(Result::err).map(|message| t!("error-unexpected", message = message))
            }) />
        </section>
    }
}

/// One figure of the storage health: its term (the message `term`, also the term's id,
/// naming the group) and what it stands at.
#[component]
fn Figure(term: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="figure" role="group" aria-labelledby=term>
            <dt id=term>{t!(term)}</dt>
            <dd>{children()}</dd>
        </div>
    }
}

/// One line that always says honestly where the device's changes stand.
#[component]
pub fn SyncIndicator() -> impl IntoView {
    let sync = use_sync();
    let now = use_now();
    let text = move || {
        let pending = sync.pending.get();
        let count = pending.to_string();
        let (rejected, moved) = (sync.rejected.get(), sync.moved.get());
        if rejected > 0 && rejected == moved {
            return t!("sync-moved", count = moved.to_string());
        }
        if rejected > 0 {
            return t!("sync-refused", count = rejected.to_string());
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

/// One line of a table of changes: what waits, or what was refused and why.
#[derive(Clone, PartialEq)]
struct ChangeLine {
    entity: String,
    field: String,
    value: String,
    reason: Option<String>,
}

impl ChangeLine {
    fn new(entity: &str, field: &str, value: &Value, reason: Option<&str>) -> ChangeLine {
        ChangeLine {
            entity: entity.to_owned(),
            field: field.to_owned(),
            value: value_text(value),
            reason: reason.map(str::to_owned),
        }
    }
}

/// The changes as a table: record, field, value, and (refusals) the server's reason.
#[component]
fn ChangesTable(lines: Signal<Vec<ChangeLine>>, with_reason: bool) -> impl IntoView {
    view! {
        <table class="data-table">
            <thead><tr>
                <th scope="col">{t!("sync-column-record")}</th>
                <th scope="col">{t!("sync-column-field")}</th>
                <th scope="col">{t!("sync-column-value")}</th>
                {with_reason.then(|| view! { <th scope="col">{t!("sync-column-reason")}</th> })}
            </tr></thead>
            <tbody>
                {move || lines.get().into_iter().map(|line| view! {
                    <tr>
                        <td>{line.entity}</td>
                        <td>{line.field}</td>
                        <td>{line.value}</td>
                        {line.reason.map(|reason| view! { <td>{reason}</td> })}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Pending changes the page lists (the oldest).
const PENDING_SHOWN: usize = 200;

#[component]
pub fn SyncPage() -> impl IntoView {
    let sync = use_sync();
    let replica = crate::data::use_replica();
    let pending = RwSignal::new(Vec::<Change>::new());
    let rejected = RwSignal::new(Vec::<RejectedChange>::new());
    Effect::new(move || {
        sync.data_version.track();
        spawn_local(async move {
            if let Ok(storage) = Storage::shared().await {
                // The first few hundred: after an import a million changes may wait.
                if let Ok(changes) = storage.pending_first(PENDING_SHOWN).await {
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
            <FormError error=Signal::derive(move || sync.phase.with(failure_text)) />
            <button type="button" class="primary" on:click=move |_| sync.request()>{t!("sync-now")}</button>

            <StorageHealth />

            <section class="panel" aria-labelledby="pending-title">
                <h2 id="pending-title">{t!("sync-pending-title")}</h2>
                <Show when=move || !pending.with(Vec::is_empty) fallback=|| view! { <p class="empty">{t!("sync-pending-empty")}</p> }>
                    <ChangesTable with_reason=false lines=Signal::derive(move || {
                        pending.with(|changes| changes.iter().map(|c| ChangeLine::new(&c.entity, &c.field, &c.value, None)).collect())
                    }) />
                    {move || {
                        let waiting = sync.pending.get();
                        let shown = u32::try_from(pending.with(Vec::len)).unwrap_or(u32::MAX);
                        (waiting > shown).then(|| view! {
                            <p class="hint">{t!("sync-pending-more", shown = shown.to_string(), count = waiting.to_string())}</p>
                        })
                    }}
                </Show>
            </section>

            <section class="panel" aria-labelledby="rejected-title">
                <h2 id="rejected-title">{t!("sync-rejected-title")}</h2>
                <Show when=move || !rejected.with(Vec::is_empty) fallback=|| view! { <p class="empty">{t!("sync-rejected-empty")}</p> }>
                    <p>{t!("sync-rejected-intro")}</p>
                    <ChangesTable with_reason=true lines=Signal::derive(move || {
                        rejected.with(|changes| changes.iter().map(|c| {
                            let reason = match &c.merged_into {
                                Some(staying) => {
                                    let name = uuid::Uuid::parse_str(staying).ok().and_then(|id| replica.with(|index| index.contact(&id).map(|c| c.display_name()))).unwrap_or_else(|| staying.clone());
                                    match c.moved {
                                        Some(true) => t!("sync-moved-reason", name = name),
                                        Some(false) => t!("sync-not-moved-reason", name = name),
                                        None => t!("sync-moving-reason", name = name),
                                    }
                                }
                                None => c.message.clone(),
                            };
                            ChangeLine::new(&c.entity, &c.field, &c.value, Some(&reason))
                        }).collect())
                    }) />
                    <button type="button" on:click=clear>{t!("sync-rejected-clear")}</button>
                </Show>
            </section>
        </section>
    }
}
