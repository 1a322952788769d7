//! The import history: every import of the team (the synced `import` rows), newest first —
//! the file, who ran it, when, how it ended and its counts — and reverting one. A revert is
//! the worker's: it trashes what the import created and gives overwritten fields their
//! previous values back, on the device, so it works offline too.

use leptos::prelude::*;
use minicrm_core::import::job::{Counts, Reply, Request, Status};
use serde_json::Value;
use uuid::Uuid;

use crate::data::{Index, use_replica};
use crate::pages::dialogs::{DialogForm, focus_when_shown};
use crate::pages::forms::{DialogActions, FormError, Submit};
use crate::state::now::local_date_time;
use crate::state::session::use_session;
use crate::t;
use crate::worker;

/// One import as the history lists it.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    id: String,
    file_name: String,
    user_id: String,
    who: String,
    started_ms: Option<f64>,
    finished_ms: Option<f64>,
    status: Option<Status>,
    counts: Counts,
}

/// A stored moment (RFC 3339) as ms since the epoch; `None` when unset or unreadable.
fn moment(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let ms = js_sys::Date::parse(text);
    ms.is_finite().then_some(ms)
}

fn status_of(text: &str) -> Option<Status> {
    [
        Status::Running,
        Status::Done,
        Status::Cancelled,
        Status::Reverted,
    ]
    .into_iter()
    .find(|status| status.as_str() == text)
}

/// Every import not deleted, newest first.
fn entries(index: &Index) -> Vec<Entry> {
    let mut entries: Vec<Entry> = index
        .rows("import")
        .filter(|row| !row.deleted())
        .map(|row| {
            let count = |field: &str| {
                let value = row.values.get(field).and_then(Value::as_u64);
                u32::try_from(value.unwrap_or(0)).unwrap_or(u32::MAX)
            };
            let user_id = row.str("user_id").to_owned();
            Entry {
                id: row.id.clone(),
                file_name: row.str("file_name").to_owned(),
                who: index
                    .name_of("user", &user_id)
                    .filter(|name| !name.is_empty())
                    .unwrap_or_else(|| t!("unknown-user")),
                user_id,
                started_ms: moment(row.str("started_at")),
                finished_ms: moment(row.str("finished_at")),
                status: status_of(row.str("status")),
                counts: Counts {
                    created: count("created"),
                    updated: count("updated"),
                    unchanged: count("unchanged"),
                    skipped: count("skipped"),
                    failed: count("failed"),
                },
            }
        })
        .collect();
    entries.sort_by(|a, b| {
        let (a_ms, b_ms) = (a.started_ms.unwrap_or(0.0), b.started_ms.unwrap_or(0.0));
        b_ms.total_cmp(&a_ms).then_with(|| b.id.cmp(&a.id))
    });
    entries
}

fn status_text(status: Option<Status>) -> String {
    match status {
        Some(Status::Running) => t!("imports-status-running"),
        Some(Status::Done) => t!("imports-status-done"),
        Some(Status::Cancelled) => t!("imports-status-cancelled"),
        Some(Status::Reverted) => t!("imports-status-reverted"),
        None => t!("imports-status-unknown"),
    }
}

/// The import a revert dialog is open for.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    id: Uuid,
    file_name: String,
}

/// The team's imports, newest first, each with its counts; "Revert" for the importer,
/// managers and administrators on imports that ended and were not reverted yet.
#[component]
pub fn ImportHistory() -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let reverting = RwSignal::new(None::<Target>);
    let rows = Memo::new(move |_| replica.with(entries));
    let may_revert = move |entry: &Entry| {
        let ended = matches!(entry.status, Some(Status::Done | Status::Cancelled));
        // The server's rule for the history entry (core's check_write): importers only —
        // an importer who lost the role can no longer revert.
        let allowed = session.user().is_some_and(|user| user.role.may_import());
        ended && allowed && Uuid::parse_str(&entry.id).is_ok()
    };
    let close = Callback::new(move |()| reverting.set(None));
    view! {
        <div class="import-history">
            {move || {
                let rows = rows.get();
                if rows.is_empty() {
                    return view! { <p class="empty">{t!("imports-empty")}</p> }.into_any();
                }
                view! {
                    <table class="data-table import-history-table">
                        <caption class="visually-hidden">{t!("imports-caption")}</caption>
                        <thead><tr>
                            <th scope="col">{t!("imports-file")}</th>
                            <th scope="col">{t!("imports-who")}</th>
                            <th scope="col">{t!("imports-started")}</th>
                            <th scope="col">{t!("imports-finished")}</th>
                            <th scope="col">{t!("imports-status")}</th>
                            <th scope="col" class="num">{t!("imports-created")}</th>
                            <th scope="col" class="num">{t!("imports-updated")}</th>
                            <th scope="col" class="num">{t!("imports-unchanged")}</th>
                            <th scope="col" class="num">{t!("imports-skipped")}</th>
                            <th scope="col" class="num">{t!("imports-failed")}</th>
                            <th scope="col"><span class="visually-hidden">{t!("imports-actions")}</span></th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|entry| {
                                let when = |ms: Option<f64>| ms.map(local_date_time).unwrap_or_default();
                                let revert = may_revert(&entry).then(|| {
                                    let label = t!("imports-revert-named", file = entry.file_name.clone());
                                    let target = Target {
                                        id: Uuid::parse_str(&entry.id).unwrap_or_default(),
                                        file_name: entry.file_name.clone(),
                                    };
                                    view! {
                                        <button type="button" class="danger" aria-label=label
                                            on:click=move |_| reverting.set(Some(target.clone()))>{t!("imports-revert")}</button>
                                    }
                                });
                                let status = entry.status.map_or("unknown", Status::as_str);
                                view! {
                                    <tr>
                                        <td>{entry.file_name.clone()}</td>
                                        <td>{entry.who.clone()}</td>
                                        <td>{when(entry.started_ms)}</td>
                                        <td>{when(entry.finished_ms)}</td>
                                        <td><span class=format!("import-status {status}")>{status_text(entry.status)}</span></td>
                                        <td class="num">{entry.counts.created}</td>
                                        <td class="num">{entry.counts.updated}</td>
                                        <td class="num">{entry.counts.unchanged}</td>
                                        <td class="num">{entry.counts.skipped}</td>
                                        <td class="num">{entry.counts.failed}</td>
                                        <td><div class="row-actions">{revert}</div></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {move || reverting.get().map(|target| view! { <RevertDialog target=target on_close=close /> })}
        </div>
    }
}

/// Where a revert is.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Asking whether to revert.
    Confirm,
    /// The worker reverts: records done of total (total 0 until the first chunk).
    Running { done: u32, total: u32 },
    /// Reverted: records moved to the trash, records restored, fields left alone.
    Finished {
        trashed: u32,
        restored: u32,
        kept: Vec<String>,
    },
}

/// Asks, reverts with progress, then says what the revert did.
#[component]
fn RevertDialog(target: Target, on_close: Callback<()>) -> impl IntoView {
    let session = use_session();
    let phase = RwSignal::new(Phase::Confirm);
    let import_id = target.id;
    let submit = Submit::new(move |user_id: String| async move {
        phase.set(Phase::Running { done: 0, total: 0 });
        let request = Request::Revert { import_id, user_id };
        let answer = worker::ask(&request, move |done, total| {
            phase.try_set(Phase::Running { done, total });
        })
        .await;
        match answer.reply {
            Reply::Finished { counts, kept, .. } => {
                phase.try_set(Phase::Finished {
                    trashed: counts.created,
                    restored: counts.updated,
                    kept,
                });
                Ok(())
            }
            Reply::Failed { message } => {
                phase.try_set(Phase::Confirm);
                Err(t!("imports-revert-failed", message = message))
            }
            _ => {
                phase.try_set(Phase::Confirm);
                Err(t!(
                    "imports-revert-failed",
                    message = t!("imports-worker-unexpected")
                ))
            }
        }
    });
    let start = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if phase.get_untracked() != Phase::Confirm {
            return;
        }
        let Some(user) = session.user_untracked() else {
            submit.fail(t!("imports-revert-logged-out"));
            return;
        };
        submit.dispatch(user.id.to_string());
    };
    // While the worker reverts, the dialog stays: its result would have nowhere to go.
    let close = Callback::new(move |()| {
        if !matches!(phase.get_untracked(), Phase::Running { .. }) {
            on_close.run(());
        }
    });
    let title = t!("imports-revert-title", file = target.file_name.clone());
    // The explanation has the focus on opening: it is what the user should read first.
    let explain = NodeRef::<leptos::html::P>::new();
    focus_when_shown(explain);
    view! {
        <DialogForm class="dialog revert-dialog" title_id="revert-title" title=title on_submit=start on_close=close>
            {move || match phase.get() {
                Phase::Confirm => view! {
                    <p tabindex="-1" node_ref=explain>{t!("imports-revert-explain")}</p>
                    <FormError error=submit.error() />
                    <DialogActions submit=t!("imports-revert") cancel=t!("record-cancel") busy=submit.pending() on_cancel=close />
                }.into_any(),
                Phase::Running { done, total } => {
                    let percent = if total == 0 { 0 } else { u64::from(done) * 100 / u64::from(total) };
                    let text = if total == 0 {
                        t!("imports-revert-starting")
                    } else {
                        t!("imports-revert-progress", done = done.to_string(), total = total.to_string())
                    };
                    view! {
                        <p id="revert-progress-label">{text}</p>
                        <div class="revert-bar" role="progressbar" aria-labelledby="revert-progress-label"
                            aria-valuemin="0" aria-valuemax=total.to_string() aria-valuenow=done.to_string()>
                            <span class="revert-bar-fill" style=format!("width: {percent}%")></span>
                        </div>
                    }.into_any()
                }
                Phase::Finished { trashed, restored, kept } => {
                    let done = NodeRef::<leptos::html::Button>::new();
                    focus_when_shown(done);
                    view! {
                    <p role="status">{t!("imports-reverted", trashed = trashed.to_string(), restored = restored.to_string())}</p>
                    {(!kept.is_empty()).then(|| view! {
                        <p>{t!("imports-kept", count = kept.len().to_string())}</p>
                        <ul class="plain-list kept-fields">
                            {kept.into_iter().map(|field| view! { <li>{field}</li> }).collect_view()}
                        </ul>
                    })}
                    <div class="actions">
                        <button type="button" class="primary" node_ref=done on:click=move |_| on_close.run(())>{t!("dialog-done")}</button>
                    </div>
                }.into_any()
                }
            }}
        </DialogForm>
    }
}

/// `/records/imports`: the import history as a page of its own.
#[component]
pub fn ImportsPage() -> impl IntoView {
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{t!("imports-title")}</h1>
            </div>
            <ImportHistory />
        </section>
    }
}
