//! A record's history: every write the server accepted (winners and losers) and this
//! device's pending edits; a value that lost can be restored with one click.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::hlc::Hlc;
use minicrm_core::sync::HistoryEntry;
use serde_json::Value;

use crate::api::{self, ApiError};
use crate::data::Index;
use crate::state::now::local_date_time;
use crate::state::online::use_online;
use crate::state::session::use_session;
use crate::storage::rows::StoredRow;
use crate::sync::use_sync;
use crate::t;

const CONTACT: &str = "contact";

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

fn hlc_time(hlc: &str) -> String {
    hlc.parse::<Hlc>()
        .map(|hlc| local_date_time(hlc.wall_ms as f64))
        .unwrap_or_default()
}

/// The record's history: every write the server accepted (winners and losers), and this
/// device's edits still waiting. A value that lost can be restored with one click.
#[component]
pub fn RecordHistory(id: String, row: RwSignal<Option<Option<StoredRow>>>) -> impl IntoView {
    let replica = crate::data::use_replica();
    let users = Signal::derive(move || {
        replica.with(|index| {
            index
                .rows("user")
                .map(|row| (row.id.clone(), row.name().to_owned()))
                .collect::<Vec<_>>()
        })
    });
    let session = use_session();
    let online = use_online();
    let sync = use_sync();
    let entries = RwSignal::new(None::<Result<Vec<HistoryEntry>, ApiError>>);
    let id_for_load = id.clone();
    Effect::new(move || {
        sync.data_version.track();
        if !online.get() {
            entries.set(Some(Err(ApiError::Unreachable)));
            return;
        }
        let Some(token) = session.token() else {
            return;
        };
        let id = id_for_load.clone();
        spawn_local(async move {
            let result = api::history(&token, CONTACT, &id)
                .await
                .map(|reply| reply.entries);
            if let Err(err) = &result {
                session.note_api_error(err).await;
            }
            entries.set(Some(result));
        });
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
    let id_for_restore = id.clone();
    let restore = move |field: String, value: Value| {
        let id = id_for_restore.clone();
        spawn_local(async move {
            let _ = replica.write(CONTACT, &id, vec![(field, value)]).await;
        });
    };
    view! {
        <section class="panel history" aria-labelledby="history-title">
            <h2 id="history-title">{t!("record-history-title")}</h2>
            <ul class="timeline">
                {move || pending().into_iter().map(|(field, value)| {
                    let (shown, label) = replica.with_untracked(|index| (value_label(&field, &value, index), field_label(&field, index)));
                    view! { <li class="pending">{t!("record-history-pending", field = label, value = shown)}</li> }
                }).collect_view()}
            </ul>
            {move || match entries.get() {
                None => view! { <p role="status">{t!("app-loading")}</p> }.into_any(),
                Some(Err(ApiError::Unreachable)) => view! { <p class="notice">{t!("record-history-offline")}</p> }.into_any(),
                Some(Err(err)) => view! { <p class="form-error" role="alert">{err.user_message()}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="empty">{t!("record-history-empty")}</p> }.into_any(),
                Some(Ok(list)) => {
                    let names = users.get();
                    let current = current();
                    view! {
                        <ol class="timeline">
                            {list.into_iter().rev().map(|entry| {
                                let who = names.iter().find(|(id, _)| *id == entry.user_id).map_or_else(|| t!("unknown-user"), |(_, n)| n.clone());
                                let (shown, label) = replica.with_untracked(|index| (value_label(&entry.field, &entry.value, index), field_label(&entry.field, index)));
                                let is_current = current.get(&entry.field).is_some_and(|state| state.hlc == entry.hlc);
                                let (mark_class, mark_label) = if !entry.won {
                                    ("lost", t!("record-history-lost"))
                                } else if is_current {
                                    ("current", t!("record-history-current"))
                                } else {
                                    ("replaced", t!("record-history-replaced"))
                                };
                                let can_restore = !is_current && !entry.won;
                                let field = entry.field.clone();
                                let value = entry.value.clone();
                                let restore = restore.clone();
                                let restore_label = t!("record-restore", value = shown.clone());
                                view! {
                                    <li class=format!("entry {mark_class}")>
                                        <span class="what">{t!("record-history-set", who = who, field = label, value = shown)}</span>
                                        " "
                                        <span class="when">{hlc_time(&entry.hlc)}</span>
                                        <span class="badge">{mark_label}</span>
                                        {can_restore.then(|| view! {
                                            <button type="button" class="link" on:click=move |_| restore(field.clone(), value.clone())>{restore_label.clone()}</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
        </section>
    }
}
