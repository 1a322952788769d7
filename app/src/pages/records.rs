//! Records: the list and one record's page, read from the device's IndexedDB and written
//! through the outbox. (The full records experience — every field, filters, views, bulk
//! actions — builds on this.)

use std::collections::BTreeMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use minicrm_core::access::{Actor, RowScope, check_write};
use minicrm_core::hlc::Hlc;
use minicrm_core::merge::Fields;
use minicrm_core::schema::Entity;
use minicrm_core::sync::HistoryEntry;
use serde_json::{Value, json};

use crate::api::{self, ApiError};
use crate::state::now::local_date_time;
use crate::state::online::use_online;
use crate::state::session::use_session;
use crate::storage::Storage;
use crate::storage::rows::StoredRow;
use crate::sync::use_sync;
use crate::t;

const CONTACT: &str = "contact";

fn text(fields: &Fields, name: &str) -> String {
    fields
        .get(name)
        .and_then(|state| state.value.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn first_phone(fields: &Fields) -> String {
    fields
        .get("phones")
        .and_then(|state| state.value.get(0))
        .and_then(|phone| phone.get("number"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn display_name(fields: &Fields) -> String {
    let name = [text(fields, "first_name"), text(fields, "last_name")]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !name.is_empty() {
        return name;
    }
    let company = text(fields, "company");
    if company.is_empty() {
        t!("record-unnamed")
    } else {
        company
    }
}

fn is_trashed(fields: &Fields) -> bool {
    fields
        .get("deleted")
        .and_then(|state| state.value.as_bool())
        == Some(true)
}

/// Users by id → name, from the synced directory.
async fn user_names() -> BTreeMap<String, String> {
    let Ok(storage) = Storage::shared().await else {
        return BTreeMap::new();
    };
    storage
        .rows_of("user")
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|row| {
            let fields = row.shown();
            (row.id, text(&fields, "name"))
        })
        .collect()
}

#[derive(Clone, PartialEq)]
struct ListedRecord {
    id: String,
    name: String,
    phone: String,
    city: String,
    owner: String,
    pending: bool,
}

#[component]
pub fn RecordsPage() -> impl IntoView {
    let sync = use_sync();
    let records = RwSignal::new(None::<Vec<ListedRecord>>);
    Effect::new(move || {
        sync.data_version.track();
        spawn_local(async move {
            let Ok(storage) = Storage::shared().await else {
                return;
            };
            let names = user_names().await;
            let rows = storage.rows_of(CONTACT).await.unwrap_or_default();
            let mut listed: Vec<ListedRecord> = rows
                .into_iter()
                .filter_map(|row| {
                    let fields = row.shown();
                    if is_trashed(&fields) {
                        return None;
                    }
                    let owner = text(&fields, "owner_id");
                    Some(ListedRecord {
                        name: display_name(&fields),
                        phone: first_phone(&fields),
                        city: text(&fields, "city"),
                        owner: names.get(&owner).cloned().unwrap_or_default(),
                        pending: !row.local.is_empty(),
                        id: row.id,
                    })
                })
                .collect();
            listed.sort_by_key(|record| record.name.to_lowercase());
            records.set(Some(listed));
        });
    });
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{t!("records-title")}</h1>
                <A href="/records/new" attr:class="button primary">{t!("records-new")}</A>
            </div>
            {move || match records.get() {
                None => view! { <p role="status">{t!("app-loading")}</p> }.into_any(),
                Some(list) if list.is_empty() => view! { <p class="empty">{t!("records-empty")}</p> }.into_any(),
                Some(list) => view! {
                    <p class="count">{t!("records-count", count = list.len().to_string())}</p>
                    <table class="data-table">
                        <thead><tr>
                            <th scope="col">{t!("records-column-name")}</th>
                            <th scope="col">{t!("records-column-phone")}</th>
                            <th scope="col">{t!("records-column-city")}</th>
                            <th scope="col">{t!("records-column-owner")}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|record| view! {
                                <tr>
                                    <td>
                                        <A href=format!("/records/{}", record.id)>{record.name.clone()}</A>
                                        {record.pending.then(|| view! { <span class="badge">{t!("records-pending")}</span> })}
                                    </td>
                                    <td>{record.phone.clone()}</td>
                                    <td>{record.city.clone()}</td>
                                    <td>{record.owner.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

/// The fields this form edits, as they are stored.
#[derive(Clone, Default, PartialEq)]
struct FormValues {
    first_name: String,
    last_name: String,
    phone: String,
    city: String,
    owner_id: String,
}

impl FormValues {
    fn from_fields(fields: &Fields) -> FormValues {
        FormValues {
            first_name: text(fields, "first_name"),
            last_name: text(fields, "last_name"),
            phone: first_phone(fields),
            city: text(fields, "city"),
            owner_id: text(fields, "owner_id"),
        }
    }

    /// The writes that turn `before` into `self`: only what changed.
    fn changes_from(&self, before: &FormValues, is_new: bool) -> Vec<(String, Value)> {
        let optional = |text: &str| {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                Value::Null
            } else {
                json!(trimmed)
            }
        };
        let mut changes = Vec::new();
        if is_new {
            changes.push(("kind".to_owned(), json!("person")));
        }
        for (name, now, then) in [
            ("first_name", &self.first_name, &before.first_name),
            ("last_name", &self.last_name, &before.last_name),
            ("city", &self.city, &before.city),
            ("owner_id", &self.owner_id, &before.owner_id),
        ] {
            if now.trim() != then.trim() {
                changes.push((name.to_owned(), optional(now)));
            }
        }
        if self.phone.trim() != before.phone.trim() {
            let phones = if self.phone.trim().is_empty() {
                json!([])
            } else {
                json!([{"type": "mobile", "number": self.phone.trim()}])
            };
            changes.push(("phones".to_owned(), phones));
        }
        changes
    }
}

#[component]
pub fn RecordPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|params| params.get("id")).unwrap_or_default();
    view! {
        {move || {
            let id = id();
            view! { <RecordView id=id /> }
        }}
    }
}

#[component]
fn RecordView(id: String) -> impl IntoView {
    let is_new = id == "new";
    let sync = use_sync();
    let navigate = use_navigate();
    let row = RwSignal::new(None::<Option<StoredRow>>);
    let users = RwSignal::new(Vec::<(String, String)>::new());
    let id_for_load = id.clone();
    Effect::new(move || {
        sync.data_version.track();
        let id = id_for_load.clone();
        spawn_local(async move {
            let mut names: Vec<(String, String)> = user_names().await.into_iter().collect();
            names.sort_by_key(|a| a.1.to_lowercase());
            users.set(names);
            if is_new {
                row.set(Some(None));
                return;
            }
            if let Ok(storage) = Storage::shared().await {
                row.set(Some(storage.row(CONTACT, &id).await.ok().flatten()));
            }
        });
    });

    // The form is built once, when the row is first read; later changes of the row (a
    // pull, another tab) reach it through `latest` without throwing away what is typed.
    let phase = Memo::new(move |_| row.with(|row| row.as_ref().map(Option::is_some)));
    let latest = Memo::new(move |_| {
        row.with(|row| {
            row.as_ref()
                .and_then(Option::as_ref)
                .map(|stored| FormValues::from_fields(&stored.shown()))
                .unwrap_or_default()
        })
    });
    let title = move || {
        if is_new {
            t!("record-new-title")
        } else {
            row.with(|row| {
                row.as_ref()
                    .and_then(Option::as_ref)
                    .map(|stored| display_name(&stored.shown()))
                    .unwrap_or_default()
            })
        }
    };
    let form_id = if is_new {
        uuid::Uuid::now_v7().to_string()
    } else {
        id.clone()
    };
    view! {
        <section class="page">
            {move || match phase.get() {
                None => view! { <p role="status">{t!("app-loading")}</p> }.into_any(),
                Some(false) if !is_new => view! { <p class="empty">{t!("record-not-found")}</p> }.into_any(),
                // Built untracked: nothing read while building the form may rebuild it.
                Some(_) => untrack(|| view! {
                    <h1>{title}</h1>
                    <div class="record-layout">
                        <RecordForm
                            id=form_id.clone()
                            is_new=is_new
                            latest=latest
                            users=users
                            navigate=navigate.clone()
                        />
                        {(!is_new).then(|| view! { <RecordHistory id=form_id.clone() row=row users=users /> })}
                    </div>
                }).into_any(),
            }}
        </section>
    }
}

#[component]
fn RecordForm(
    id: String,
    is_new: bool,
    latest: Memo<FormValues>,
    users: RwSignal<Vec<(String, String)>>,
    navigate: impl Fn(&str, leptos_router::NavigateOptions) + Clone + 'static,
) -> impl IntoView {
    let sync = use_sync();
    let session = use_session();
    let initial = latest.get_untracked();
    // What the inputs started from: edits are computed against it, so a save writes only
    // the fields the user changed.
    let baseline = RwSignal::new(initial.clone());
    let first_name = RwSignal::new(initial.first_name.clone());
    let last_name = RwSignal::new(initial.last_name.clone());
    let phone = RwSignal::new(initial.phone.clone());
    let city = RwSignal::new(initial.city.clone());
    let owner_id = RwSignal::new(initial.owner_id.clone());
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let current = move || FormValues {
        first_name: first_name.get_untracked(),
        last_name: last_name.get_untracked(),
        phone: phone.get_untracked(),
        city: city.get_untracked(),
        owner_id: owner_id.get_untracked(),
    };
    let fill = move |values: &FormValues| {
        first_name.set(values.first_name.clone());
        last_name.set(values.last_name.clone());
        phone.set(values.phone.clone());
        city.set(values.city.clone());
        owner_id.set(values.owner_id.clone());
        baseline.set(values.clone());
    };
    // The record changed elsewhere: an untouched form shows the new values; a form with
    // edits keeps them (saving writes only what the user changed).
    Effect::new(move || {
        let newest = latest.get();
        if current() == baseline.get_untracked() && newest != baseline.get_untracked() {
            fill(&newest);
        }
    });
    let id_for_submit = id.clone();
    let navigate_after = navigate.clone();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let edited = current();
        let changes = edited.changes_from(&baseline.get_untracked(), is_new);
        if changes.is_empty() {
            return;
        }
        let id = id_for_submit.clone();
        let navigate = navigate_after.clone();
        spawn_local(async move {
            let now = js_sys::Date::now() as u64;
            let result = match Storage::shared().await {
                Ok(storage) => storage.edit(CONTACT, &id, &changes, now).await,
                Err(err) => Err(err),
            };
            match result {
                Ok(_) => {
                    error.set(None);
                    saved.set(true);
                    baseline.set(edited);
                    sync.edited();
                    if is_new {
                        navigate(&format!("/records/{id}"), Default::default());
                    }
                }
                Err(err) => error.set(Some(t!("error-unexpected", message = err.to_string()))),
            }
        });
    };
    let cancel = move |_| {
        if is_new {
            navigate("/records", Default::default());
        } else {
            fill(&latest.get_untracked());
        }
    };
    view! {
        <form class="panel record-form" on:submit=submit aria-label=t!("record-details")>
            <div class="field">
                <label for="record-first-name">{t!("record-first-name")}</label>
                <input id="record-first-name" autocomplete="off" bind:value=first_name />
            </div>
            <div class="field">
                <label for="record-last-name">{t!("record-last-name")}</label>
                <input id="record-last-name" autocomplete="off" bind:value=last_name />
            </div>
            <div class="field">
                <label for="record-phone">{t!("record-phone")}</label>
                <input id="record-phone" type="tel" autocomplete="off" bind:value=phone />
            </div>
            <div class="field">
                <label for="record-city">{t!("record-city")}</label>
                <input id="record-city" autocomplete="off" bind:value=city />
            </div>
            <div class="field">
                <label for="record-owner">{t!("record-owner")}</label>
                <select id="record-owner" bind:value=owner_id>
                    <option value="">{t!("record-owner-nobody")}</option>
                    {move || {
                        // Only owners this user may assign (the server decides; this mirrors it).
                        let actor = session.user().map(|user| Actor { user_id: user.id, role: user.role });
                        users
                            .get()
                            .into_iter()
                            .filter(|(id, _)| {
                                actor.as_ref().is_some_and(|actor| {
                                    check_write(actor, Entity::Contact, &RowScope::Owned { owner: None }, "owner_id", &json!(id), None).is_ok()
                                })
                            })
                            .map(|(id, name)| view! { <option value=id>{name}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert">{move || error.get()}</p>
            </Show>
            <Show when=move || saved.get()>
                <p class="form-done" role="status">{t!("record-saved")}</p>
            </Show>
            <div class="actions">
                <button type="submit" class="primary">{t!("record-save")}</button>
                <button type="button" on:click=cancel>{t!("record-cancel")}</button>
            </div>
        </form>
    }
}

fn field_label(field: &str) -> String {
    let key = format!("field-{field}");
    let label = crate::i18n::message(&key, &[]);
    if label == key {
        field.to_owned()
    } else {
        label
    }
}

fn value_label(field: &str, value: &Value, users: &[(String, String)]) -> String {
    match value {
        Value::Null => t!("value-empty"),
        Value::String(text) if field == "owner_id" => users
            .iter()
            .find(|(id, _)| id == text)
            .map_or_else(|| text.clone(), |(_, name)| name.clone()),
        Value::String(text) => text.clone(),
        Value::Array(items) if field == "phones" => items
            .iter()
            .filter_map(|phone| phone.get("number").and_then(Value::as_str))
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
fn RecordHistory(
    id: String,
    row: RwSignal<Option<Option<StoredRow>>>,
    users: RwSignal<Vec<(String, String)>>,
) -> impl IntoView {
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
            if let Ok(storage) = Storage::shared().await {
                let now = js_sys::Date::now() as u64;
                if storage
                    .edit(CONTACT, &id, &[(field, value)], now)
                    .await
                    .is_ok()
                {
                    sync.edited();
                }
            }
        });
    };
    view! {
        <section class="panel history" aria-labelledby="history-title">
            <h2 id="history-title">{t!("record-history-title")}</h2>
            <ul class="timeline">
                {move || pending().into_iter().map(|(field, value)| {
                    let shown = value_label(&field, &value, &users.get_untracked());
                    view! { <li class="pending">{t!("record-history-pending", field = field_label(&field), value = shown)}</li> }
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
                                let shown = value_label(&entry.field, &entry.value, &names);
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
                                        <span class="what">{t!("record-history-set", who = who, field = field_label(&entry.field), value = shown)}</span>
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
