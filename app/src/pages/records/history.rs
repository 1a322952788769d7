//! A record's timeline: tasks done, calls, e-mails, messages, meetings and notes, and every
//! write the server accepted for its fields (winners and losers) with this device's pending
//! edits; a value that was overwritten can be restored with one click.
//!
//! The server's history comes in pages, newest first: the timeline shows the newest page
//! and "Show older changes" fetches the one before the oldest entry shown.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::deadline::parse_ms;
use minicrm_core::hlc::Hlc;
use minicrm_core::merge::Fields;
use minicrm_core::sync::{HistoryEntry, HistoryResponse, MAX_HISTORY_LIMIT};
use minicrm_core::work::{Task, duration_text};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::api::{self, ApiError};
use crate::data::tasks::TaskChange;
use crate::data::{ACTIVITY, Index};
use crate::pages::tasks::change_task;
use crate::state::now::local_date_time;
use crate::state::online::use_online;
use crate::state::session::use_session;
use crate::storage::Storage;
use crate::storage::rows::StoredRow;
use crate::sync::use_sync;
use crate::t;

const CONTACT: &str = "contact";
/// Entries per page of the server's history the timeline asks for (always sent as
/// `limit`, whatever the server's default): a long history opens quickly, older pages on
/// demand.
pub const HISTORY_PAGE: usize = 200;
/// The most the server returns at once: a refresh re-reads the pages shown up to this.
pub const HISTORY_MAX_PAGE: usize = MAX_HISTORY_LIMIT;

/// The field history as far as it is loaded: ascending HLC order, as the server sends it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadedHistory {
    pub entries: Vec<HistoryEntry>,
    /// Older entries exist on the server than the oldest one here.
    pub more: bool,
}

impl LoadedHistory {
    /// The oldest entry's HLC: where the next older page ends.
    pub fn oldest_hlc(&self) -> Option<&str> {
        self.entries.first().map(|entry| entry.hlc.as_str())
    }

    /// A fresh newest page read again (after a sync): it replaces the entries it covers;
    /// older pages loaded before stay when the page reaches back to them, and are
    /// dropped when newer writes pushed them out of reach (the gap would hide entries).
    pub fn refreshed(&self, page: HistoryResponse) -> LoadedHistory {
        let Some(page_oldest) = page.entries.first().map(|entry| entry.hlc.clone()) else {
            // The server has nothing (or no longer shows anything) for the row.
            return LoadedHistory {
                entries: Vec::new(),
                more: page.more,
            };
        };
        let reaches_back = self
            .entries
            .last()
            .is_some_and(|newest| newest.hlc >= page_oldest);
        if !page.more || !reaches_back {
            return LoadedHistory {
                entries: page.entries,
                more: page.more,
            };
        }
        let mut entries: Vec<HistoryEntry> = self
            .entries
            .iter()
            .filter(|entry| entry.hlc < page_oldest)
            .cloned()
            .collect();
        let kept_older = !entries.is_empty();
        entries.extend(page.entries);
        LoadedHistory {
            entries,
            more: if kept_older { self.more } else { page.more },
        }
    }

    /// An older page (entries before the oldest one shown) goes in front.
    pub fn with_older(&self, page: HistoryResponse) -> LoadedHistory {
        let oldest = self.oldest_hlc().map(str::to_owned);
        let mut entries: Vec<HistoryEntry> = page
            .entries
            .into_iter()
            .filter(|entry| {
                oldest
                    .as_deref()
                    .is_none_or(|oldest| entry.hlc.as_str() < oldest)
            })
            .collect();
        let added = !entries.is_empty();
        entries.extend(self.entries.iter().cloned());
        LoadedHistory {
            entries,
            // A page that brought nothing older cannot promise more.
            more: page.more && added,
        }
    }
}

/// A field's name as a sentence uses it ("city", "segment VIP", "shoe size").
pub fn field_label(field: &str, index: &Index) -> String {
    if let Some(id) = field.strip_prefix("segment:") {
        let name = index
            .name_of("segment", id)
            .unwrap_or_else(|| id.to_owned());
        return t!("field-segment-named", name = name);
    }
    if let Some(id) = field.strip_prefix("campaign:") {
        let name = index
            .name_of("campaign", id)
            .unwrap_or_else(|| id.to_owned());
        return t!("field-campaign-named", name = name);
    }
    if let Some(key) = field.strip_prefix("custom.") {
        return index
            .field_defs()
            .into_iter()
            .find(|def| def.key == key)
            .map_or_else(|| key.to_owned(), |def| def.name);
    }
    let key = format!("field-{field}");
    let label = crate::i18n::message(&key, &[]);
    if label == key {
        field.to_owned()
    } else {
        label
    }
}

/// A stored value as words: names instead of ids, numbers instead of JSON.
pub fn value_label(field: &str, value: &Value, index: &Index) -> String {
    let entity = match field {
        "owner_id" | "assignee_id" | "user_id" => Some("user"),
        "stage_id" => Some("stage"),
        "category_id" => Some("category"),
        "outcome_id" => Some("outcome"),
        _ => None,
    };
    match value {
        Value::Null => t!("value-empty"),
        Value::Bool(true) => t!("value-yes"),
        Value::Bool(false) => t!("value-no"),
        Value::String(id) if entity.is_some() => entity
            .and_then(|entity| index.name_of(entity, id))
            .unwrap_or_else(|| id.clone()),
        Value::String(id) if field == "organization_id" => uuid::Uuid::parse_str(id)
            .ok()
            .and_then(|u| index.contact(&u).map(|c| c.display_name()))
            .unwrap_or_else(|| id.clone()),
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => text.clone(),
                Value::Object(_) => item
                    .get("number")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn hlc_ms(hlc: &str) -> i64 {
    hlc.parse::<Hlc>()
        .map(|hlc| hlc.wall_ms as i64)
        .unwrap_or(0)
}

/// One line of the timeline, newest first.
#[derive(Clone)]
enum Item {
    /// A write the server accepted for a field of the record, with the value it replaced
    /// (the field's previous winning write), if any.
    Field(HistoryEntry, Option<Value>),
    /// A task done or moved to the trash.
    Task(Task),
    /// A call, e-mail, text message, meeting or note (id, fields as stored).
    Activity(String, Fields),
}

impl Item {
    fn at_ms(&self) -> i64 {
        match self {
            Item::Field(entry, _) => hlc_ms(&entry.hlc),
            Item::Task(task) if task.done => task.done_at_ms.unwrap_or(task.modified_ms),
            Item::Task(task) => task.modified_ms,
            Item::Activity(_, fields) => fields
                .get("at")
                .and_then(|s| s.value.as_str())
                .and_then(parse_ms)
                .unwrap_or(0),
        }
    }
}

fn text_of(fields: &Fields, name: &str) -> String {
    fields
        .get(name)
        .and_then(|s| s.value.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The record's history: tasks done, activities, and every write the server accepted for
/// its fields (winners and losers) with this device's edits still waiting on top. A value
/// that was replaced or lost can be restored with one click (a new change).
#[component]
pub fn RecordHistory(id: String, row: RwSignal<Option<Option<StoredRow>>>) -> impl IntoView {
    let replica = crate::data::use_replica();
    let session = use_session();
    let online = use_online();
    let sync = use_sync();
    let record_id = Uuid::parse_str(&id).ok();
    let manager_view = move || {
        session
            .user()
            .is_some_and(|user| user.role.may_see_team_reports())
    };
    let entries = RwSignal::new(None::<Result<LoadedHistory, ApiError>>);
    let id_for_load = id.clone();
    let id_for_older = StoredValue::new(id.clone());
    // Reads overlap (a sync finishes while the last one is on its way): only the newest
    // request may set what is shown.
    let fetches = StoredValue::new(0u64);
    let reads = StoredValue::new(0u64);
    Effect::new(move || {
        sync.data_version.track();
        if !online.get() {
            entries.update(|entries| {
                // Keep what was read while online; say so only when there is nothing.
                if !matches!(entries, Some(Ok(_))) {
                    *entries = Some(Err(ApiError::Unreachable));
                }
            });
            return;
        }
        let Some(token) = session.token() else {
            return;
        };
        let id = id_for_load.clone();
        fetches.update_value(|n| *n += 1);
        let this = fetches.get_value();
        // Read again as much as is shown (older pages included), within one reply.
        let shown = entries.with_untracked(|entries| match entries {
            Some(Ok(loaded)) => loaded.entries.len(),
            _ => 0,
        });
        let limit = shown.clamp(HISTORY_PAGE, HISTORY_MAX_PAGE);
        spawn_local(async move {
            let result = api::history_page(&token, CONTACT, &id, None, limit).await;
            if let Err(err) = &result {
                session.note_api_error(err).await;
            }
            if fetches.get_value() != this {
                return;
            }
            entries.update(|entries| match (entries.as_ref(), result) {
                (Some(Ok(loaded)), Ok(page)) => *entries = Some(Ok(loaded.refreshed(page))),
                // A lost connection keeps what was read before.
                (Some(Ok(_)), Err(ApiError::Unreachable)) => {}
                (_, result) => {
                    *entries = Some(result.map(|page| LoadedHistory::default().refreshed(page)));
                }
            });
        });
    });
    // "Show older changes": the page before the oldest entry shown.
    let loading_older = RwSignal::new(false);
    let older_error = RwSignal::new(None::<String>);
    let load_older = move |_| {
        if loading_older.get_untracked() {
            return;
        }
        let Some(token) = session.token() else {
            return;
        };
        let Some(before) = entries.with_untracked(|entries| match entries {
            Some(Ok(loaded)) => loaded.oldest_hlc().map(str::to_owned),
            _ => None,
        }) else {
            return;
        };
        loading_older.set(true);
        older_error.set(None);
        let id = id_for_older.get_value();
        spawn_local(async move {
            let result = api::history_page(&token, CONTACT, &id, Some(&before), HISTORY_PAGE).await;
            loading_older.set(false);
            match result {
                Ok(page) => entries.update(|entries| {
                    if let Some(Ok(loaded)) = entries {
                        *loaded = loaded.with_older(page);
                    }
                }),
                Err(err) => {
                    session.note_api_error(&err).await;
                    older_error.set(Some(err.user_message()));
                }
            }
        });
    };
    let has_older =
        move || entries.with(|entries| matches!(entries, Some(Ok(loaded)) if loaded.more));
    // The record's activities, read whole from the device (the replica keeps them compact).
    let activities = RwSignal::new(Vec::<(String, Fields)>::new());
    Effect::new(move || {
        let keys: Vec<(String, String)> = replica.with_work(|index| {
            index
                .activities()
                .filter(|a| a.record_id == record_id && record_id.is_some())
                .map(|a| (ACTIVITY.to_owned(), a.id.to_string()))
                .collect()
        });
        reads.update_value(|n| *n += 1);
        let this = reads.get_value();
        spawn_local(async move {
            let Ok(storage) = Storage::shared().await else {
                return;
            };
            let rows = storage.rows_by_keys(&keys).await;
            if reads.get_value() != this {
                return;
            }
            if let Ok(rows) = rows {
                activities.set(
                    rows.into_iter()
                        .flatten()
                        .map(|row| (row.id.clone(), row.shown()))
                        .collect(),
                );
            }
        });
    });
    let closed_tasks = Memo::new(move |_| {
        replica.with_work(|index| {
            index
                .tasks()
                .filter(|t| record_id.is_some() && t.record_id == record_id && !t.is_open())
                .cloned()
                .collect::<Vec<Task>>()
        })
    });
    let stored = move || row.get().flatten();
    let current = move || stored().map(|row| row.shown()).unwrap_or_default();
    let pending = move || -> Vec<(String, Value)> {
        stored()
            .map(|row| {
                row.local
                    .iter()
                    .map(|(f, s)| (f.clone(), s.value.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let error = RwSignal::new(None::<String>);
    let id_for_restore = id.clone();
    let restore = move |field: String, value: Value| {
        let id = id_for_restore.clone();
        spawn_local(async move {
            if let Err(err) = replica.write(CONTACT, &id, vec![(field, value)]).await {
                error.set(Some(t!("error-unexpected", message = err.to_string())));
            }
        });
    };
    let items = move || {
        let mut items: Vec<Item> = closed_tasks.get().into_iter().map(Item::Task).collect();
        items.extend(
            activities
                .get()
                .into_iter()
                .map(|(id, fields)| Item::Activity(id, fields)),
        );
        if let Some(Ok(loaded)) = entries.get() {
            items.extend(with_old_values(loaded.entries));
        }
        items.sort_by_key(|item| std::cmp::Reverse(item.at_ms()));
        items
    };
    let render = move |item: Item| -> AnyView {
        match item {
            Item::Field(entry, old) => {
                let current = current();
                let manager = manager_view();
                let (who, shown, label, old) = replica.with_untracked(|index| {
                    (
                        index
                            .name_of("user", &entry.user_id)
                            .unwrap_or_else(|| t!("unknown-user")),
                        value_label(&entry.field, &entry.value, index),
                        field_label(&entry.field, index),
                        old.as_ref()
                            .map(|old| value_label(&entry.field, old, index)),
                    )
                });
                let what = match old {
                    Some(old) => t!(
                        "record-history-changed",
                        who = who,
                        field = label,
                        old = old,
                        value = shown.clone()
                    ),
                    None => t!(
                        "record-history-set",
                        who = who,
                        field = label,
                        value = shown.clone()
                    ),
                };
                let is_current = current
                    .get(&entry.field)
                    .is_some_and(|state| state.hlc == entry.hlc);
                let (mark_class, mark_label) = if !entry.won {
                    ("lost", t!("record-history-lost"))
                } else if is_current {
                    ("current", t!("record-history-current"))
                } else {
                    ("replaced", t!("record-history-replaced"))
                };
                let field = entry.field.clone();
                let value = entry.value.clone();
                let restore_label = t!(
                    "record-restore",
                    field = label.clone(),
                    value = shown.clone()
                );
                let restore = restore.clone();
                let device = manager.then(|| {
                    let device = entry
                        .client_id
                        .as_deref()
                        .map(short_device)
                        .unwrap_or_default();
                    let received = entry
                        .received_at
                        .as_deref()
                        .and_then(parse_ms)
                        .map(|ms| local_date_time(ms as f64))
                        .unwrap_or_default();
                    t!(
                        "record-history-device",
                        device = device,
                        received = received
                    )
                });
                view! {
                    <li class=format!("entry field-change {mark_class}")>
                        <span class="what">{what}</span>
                        " "
                        <span class="when">{local_date_time(hlc_ms(&entry.hlc) as f64)}</span>
                        <span class="badge">{mark_label}</span>
                        {device.map(|text| view! { <span class="device">{text}</span> })}
                        {(!is_current).then(|| view! {
                            <button type="button" class="link" on:click=move |_| restore(field.clone(), value.clone())>{restore_label.clone()}</button>
                        })}
                    </li>
                }.into_any()
            }
            Item::Task(task) => {
                let id = task.id;
                let (key, button_key, undo) = if task.deleted {
                    (
                        "timeline-task-trashed",
                        "task-restore",
                        TaskChange::Trash(false),
                    )
                } else {
                    ("timeline-task-done", "task-reopen", TaskChange::Reopen)
                };
                let who = replica.with_untracked(|index| {
                    task.done_by
                        .and_then(|by| index.name_of("user", &by.to_string()))
                });
                let what = match who {
                    Some(who) if !task.deleted => t!(
                        "timeline-task-done-by",
                        title = task.title.clone(),
                        who = who
                    ),
                    _ => t!(key, title = task.title.clone()),
                };
                let at = Item::Task(task.clone()).at_ms();
                let when = local_date_time(at as f64);
                let button_label = t!(
                    &format!("{button_key}-named"),
                    title = task.title.clone(),
                    when = when.clone()
                );
                view! {
                    <li class="entry task-entry">
                        <span class="what">{what}</span>
                        " "
                        <span class="when">{when}</span>
                        <button type="button" class="link" aria-label=button_label
                            on:click=move |_| change_task(replica, id, undo.clone(), error)>{t!(button_key)}</button>
                    </li>
                }.into_any()
            }
            Item::Activity(activity_id, fields) => {
                let kind = text_of(&fields, "kind");
                let direction = text_of(&fields, "direction");
                let (who, outcome) = replica.with_untracked(|index| {
                    (
                        index
                            .name_of("user", &text_of(&fields, "user_id"))
                            .unwrap_or_else(|| t!("unknown-user")),
                        index
                            .name_of("outcome", &text_of(&fields, "outcome_id"))
                            .unwrap_or_default(),
                    )
                });
                let duration = fields
                    .get("duration_s")
                    .and_then(|s| s.value.as_f64())
                    .map(|s| duration_text(s as u32))
                    .unwrap_or_default();
                let at = Item::Activity(String::new(), fields.clone()).at_ms();
                let ends = fields
                    .get("ends_at")
                    .and_then(|s| s.value.as_str())
                    .and_then(parse_ms)
                    .map(|ms| local_date_time(ms as f64))
                    .unwrap_or_default();
                let headline = t!(
                    &format!("timeline-{kind}"),
                    who = who,
                    direction = direction
                );
                let mut details: Vec<String> = vec![
                    outcome,
                    duration,
                    text_of(&fields, "subject"),
                    text_of(&fields, "name"),
                ];
                if !ends.is_empty() {
                    details.push(t!("timeline-until", ends = ends));
                }
                details.extend(["phone", "ticket"].into_iter().map(|f| text_of(&fields, f)));
                details.retain(|d| !d.is_empty());
                let body = text_of(&fields, "text");
                let trashed = fields.get("deleted").and_then(|s| s.value.as_bool()) == Some(true);
                let when = local_date_time(at as f64);
                // Logged by mistake: to the trash (shown struck through, restorable), never gone.
                let (button_key, label_key) = if trashed {
                    ("activity-restore", "activity-restore-named")
                } else {
                    ("activity-trash", "activity-trash-named")
                };
                let button_label = t!(label_key, what = headline.clone(), when = when.clone());
                let toggle = move |_| {
                    let id = activity_id.clone();
                    spawn_local(async move {
                        if let Err(err) = replica
                            .write(ACTIVITY, &id, vec![("deleted".to_owned(), json!(!trashed))])
                            .await
                        {
                            error.set(Some(t!("error-unexpected", message = err.to_string())));
                        }
                    });
                };
                view! {
                    <li class=format!("entry activity-entry activity-{kind}") class:trashed=trashed>
                        <span class="what">{headline}</span>
                        " "
                        <span class="when">{when}</span>
                        {trashed.then(|| view! { <span class="badge">{t!("activity-in-trash")}</span> })}
                        {(!details.is_empty()).then(|| view! { <span class="details">{details.join(" · ")}</span> })}
                        <button type="button" class="link subtle" aria-label=button_label on:click=toggle>{t!(button_key)}</button>
                        {(!body.is_empty()).then(|| view! { <p class="activity-text">{body}</p> })}
                    </li>
                }.into_any()
            }
        }
    };
    view! {
        <section class="panel history" aria-labelledby="history-title">
            <h2 id="history-title">{t!("record-history-title")}</h2>
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert">{move || error.get()}</p>
            </Show>
            <ul class="timeline">
                {move || pending().into_iter().map(|(field, value)| {
                    let (shown, label) = replica.with_untracked(|index| (value_label(&field, &value, index), field_label(&field, index)));
                    view! { <li class="pending">{t!("record-history-pending", field = label, value = shown)}</li> }
                }).collect_view()}
            </ul>
            {move || match entries.get() {
                None => Some(view! { <p role="status">{t!("app-loading")}</p> }.into_any()),
                Some(Err(ApiError::Unreachable)) => Some(view! { <p class="notice">{t!("record-history-offline")}</p> }.into_any()),
                Some(Err(err)) => Some(view! { <p class="form-error" role="alert">{err.user_message()}</p> }.into_any()),
                Some(Ok(_)) => None,
            }}
            {move || {
                let items = items();
                if items.is_empty() {
                    view! { <p class="empty">{t!("record-history-empty")}</p> }.into_any()
                } else {
                    view! { <ol class="timeline">{items.into_iter().map(&render).collect_view()}</ol> }.into_any()
                }
            }}
            <Show when=has_older>
                <button type="button" class="link" disabled=move || loading_older.get() || !online.get() on:click=load_older>
                    {move || if loading_older.get() { t!("record-history-loading-older") } else { t!("record-history-older") }}
                </button>
            </Show>
            <Show when=move || older_error.get().is_some()>
                <p class="form-error" role="alert">{move || older_error.get()}</p>
            </Show>
        </section>
    }
}

/// The server's history entries (ascending HLC, as the endpoint returns them), each with
/// the value it replaced: the field's previous winning write. A write that lost replaced
/// nothing, but is shown against the value that beat it so far.
fn with_old_values(entries: Vec<HistoryEntry>) -> Vec<Item> {
    let mut last: std::collections::HashMap<String, Value> = std::collections::HashMap::new();
    entries
        .into_iter()
        .map(|entry| {
            let old = last.get(&entry.field).cloned();
            if entry.won {
                last.insert(entry.field.clone(), entry.value.clone());
            }
            Item::Field(entry, old)
        })
        .collect()
}

/// A device as a person can tell it apart: the end of its id.
fn short_device(client_id: &str) -> String {
    let start = client_id.len().saturating_sub(6);
    client_id.get(start..).unwrap_or(client_id).to_owned()
}
