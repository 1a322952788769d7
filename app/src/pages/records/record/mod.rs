//! One record's page: the header (facts and quick actions), the form, the open tasks, a
//! company's people and the timeline, with the task and activity dialogs they open.

mod form;
mod form_model;
mod inputs;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use minicrm_core::combine::{MAX_RECORDS, MERGED_INTO};
use minicrm_core::merge::Fields;
use minicrm_core::phone;
use minicrm_core::record::ContactKind;
use minicrm_core::work::{self, ActivityKind, Task};
use serde_json::Value;
use uuid::Uuid;

use super::activity::{ActivityDialog, ActivityDraft};
use super::history::RecordHistory;
use crate::data::deadlines::use_deadlines;
use crate::data::{CONTACT, use_replica};
use crate::pages::forms::FormError;
use crate::pages::tasks::{TaskDialog, TaskDraft, TaskItem};
use crate::state::session::my_id;
use crate::storage::Storage;
use crate::storage::rows::StoredRow;
use crate::sync::use_sync;
use crate::t;
use form::RecordForm;
use form_model::{Prefill, form_from_fields, new_form};

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
    let replica = use_replica();
    let query = use_query_map();
    let row = RwSignal::new(None::<Option<StoredRow>>);
    let id_for_load = id.clone();
    Effect::new(move || {
        sync.data_version.track();
        let id = id_for_load.clone();
        spawn_local(async move {
            if is_new {
                row.set(Some(None));
                return;
            }
            if let Ok(storage) = Storage::shared().await {
                row.set(Some(storage.row(CONTACT, &id).await.ok().flatten()));
            }
        });
    });
    // A new record may come prefilled (identification: `?phone=` or `?email=`; a company's
    // "add person": `?organization=`).
    let prefill = query.with_untracked(|q| Prefill {
        phone: q.get("phone"),
        email: q.get("email"),
        organization: q.get("organization"),
    });
    // A record merged into another opens the one it was merged into (old links, the
    // trash, another device's merge); a chain is followed, a loop is not.
    let hops: usize =
        query.with_untracked(|q| q.get("hops").and_then(|h| h.parse().ok()).unwrap_or(0));
    let came_from = query.with_untracked(|q| q.get("from"));
    let merged_count = query.with_untracked(|q| q.get("merged"));
    let navigate = use_navigate();
    let id_for_merged = id.clone();
    let from_for_merged = came_from.clone();
    let merged_into = Memo::new(move |_| {
        row.with(|row| {
            let fields = row.as_ref()?.as_ref()?.shown();
            let into = fields.get(MERGED_INTO)?.value.as_str()?.to_owned();
            Uuid::parse_str(&into).ok()
        })
    });
    // Only as the page opens: a merge arriving while the user types here is shown as a
    // notice with a link (nothing typed is lost by a jump).
    let opened = StoredValue::new(false);
    Effect::new(move || {
        // (The replica loaded too: it says whether the device holds the staying record.)
        let loaded = row.with(Option::is_some) && replica.ready.get();
        let into = merged_into.get();
        if !loaded || opened.get_value() {
            return;
        }
        opened.set_value(true);
        // (Only to a record the device holds: one purged since leaves the merged one here.)
        let held = |into: &Uuid| replica.with_untracked(|index| index.contact(into).is_some());
        if let Some(into) = into.filter(|into| hops < MAX_RECORDS && held(into)) {
            let from = from_for_merged
                .clone()
                .unwrap_or_else(|| id_for_merged.clone());
            navigate(
                &format!("/records/{into}?from={from}&hops={}", hops + 1),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    // Said while the merge stands (an undo takes the notice away).
    let id_for_notice = id.clone();
    let merge_stands = move || {
        replica.with(|index| {
            index
                .rows(crate::data::merges::MERGE)
                .any(|row| row.str("record_id") == id_for_notice && !row.bool("undone"))
        })
    };
    let merged_notice = move || match (&came_from, &merged_count) {
        _ if !merge_stands() => None,
        (_, Some(count)) => Some(t!("record-merged-done", count = count.clone())),
        (Some(_), None) => Some(t!("record-merged-from")),
        _ => None,
    };
    let phase = Memo::new(move |_| row.with(|row| row.as_ref().map(Option::is_some)));
    let shown = Memo::new(move |_| {
        row.with(|row| {
            row.as_ref()
                .and_then(Option::as_ref)
                .map(StoredRow::shown)
                .unwrap_or_default()
        })
    });
    let latest = Memo::new(move |_| {
        let fields = shown.get();
        let (defs, country) = replica.with(|index| (index.field_defs(), index.default_country()));
        form_from_fields(&fields, &defs, &country)
    });
    let id_for_title = id.clone();
    let title = move || {
        if is_new {
            return t!("record-new-title");
        }
        let fields = shown.get();
        minicrm_core::record::Contact::from_fields(&id_for_title, &fields)
            .map(|c| c.display_name())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| t!("record-unnamed"))
    };
    let form_id = if is_new {
        Uuid::now_v7().to_string()
    } else {
        id.clone()
    };
    let trashed =
        move || shown.with(|f| f.get("deleted").map(|s| &s.value) == Some(&Value::Bool(true)));
    let dialogs = WorkDialogs {
        task: RwSignal::new(None),
        activity: RwSignal::new(None),
    };
    provide_context(dialogs);
    let record_uuid = Uuid::parse_str(&id).ok();
    view! {
        <section class="page record-page">
            {move || match phase.get() {
                None => view! { <p role="status">{t!("app-loading")}</p> }.into_any(),
                Some(false) if !is_new => view! { <p class="empty">{t!("record-not-found")}</p> }.into_any(),
                // Built untracked: nothing read while building the form may rebuild it.
                Some(_) => untrack(|| {
                    let prefilled = is_new.then(|| {
                        let (defs, country) = replica.with_untracked(|index| (index.field_defs(), index.default_country()));
                        new_form(&prefill, &defs, &country)
                    });
                    view! {
                        <div class="page-head">
                            <h1>{title.clone()}</h1>
                            <Show when=trashed>
                                <span class="badge danger">{t!("record-in-trash")}</span>
                            </Show>
                        </div>
                        {let notice = merged_notice.clone(); move || notice().map(|notice| view! { <p class="notice" role="status">{notice}</p> })}
                        {move || merged_into.get().map(|into| {
                            let name = replica.with(|index| index.contact(&into).map(|c| c.display_name())).unwrap_or_else(|| into.to_string());
                            view! {
                                <p class="notice" role="status">
                                    {t!("record-merged-into", name = name.clone())} " "
                                    <A href=format!("/records/{into}")>{t!("record-merged-open", name = name)}</A>
                                </p>
                            }
                        })}
                        {(!is_new).then(|| record_uuid.map(|record| view! { <RecordHeader shown=shown record=record /> }))}
                        <div class="record-layout">
                            <RecordForm
                                id=form_id.clone()
                                is_new=is_new
                                latest=latest
                                prefilled=prefilled
                            />
                            <div class="record-side">
                                {(!is_new).then(|| record_uuid.map(|record| view! { <OpenTasks record=record /> }))}
                                {(!is_new).then(|| view! { <CompanyPeople id=form_id.clone() /> })}
                                {(!is_new).then(|| view! { <RecordHistory id=form_id.clone() row=row /> })}
                            </div>
                        </div>
                    }
                }).into_any(),
            }}
            {move || dialogs.task.get().map(|draft| view! {
                <TaskDialog draft=draft on_close=Callback::new(move |()| dialogs.task.set(None)) />
            })}
            {move || dialogs.activity.get().map(|draft| view! {
                <ActivityDialog draft=draft on_close=Callback::new(move |()| dialogs.activity.set(None)) />
            })}
        </section>
    }
}

/// The task and activity dialogs of a record page: the header's quick actions and the
/// open tasks block open them.
#[derive(Clone, Copy)]
struct WorkDialogs {
    task: RwSignal<Option<TaskDraft>>,
    activity: RwSignal<Option<ActivityDraft>>,
}

/// The record's open tasks, most urgent first, following the clock.
#[component]
fn OpenTasks(record: Uuid) -> impl IntoView {
    let replica = use_replica();
    let now = use_deadlines();
    let dialogs = expect_context::<WorkDialogs>();
    let error = RwSignal::new(None::<String>);
    let tasks = Memo::new(move |_| {
        let moment = now.moment();
        replica.with_work(|index| {
            let groups = work::group(
                index.tasks().filter(|t| t.record_id == Some(record)),
                &moment,
            );
            let mut list = Vec::new();
            for (deadline, group) in [
                (minicrm_core::deadline::Deadline::Overdue, groups.overdue),
                (minicrm_core::deadline::Deadline::Today, groups.today),
                (minicrm_core::deadline::Deadline::Later, groups.later),
                (minicrm_core::deadline::Deadline::Undated, groups.undated),
            ] {
                list.extend(group.into_iter().map(|task| (deadline, task.clone())));
            }
            list
        })
    });
    let on_edit = Callback::new(move |task: Task| dialogs.task.set(Some(TaskDraft::of(&task))));
    view! {
        <section class="panel open-tasks" aria-labelledby="open-tasks-title">
            <h2 id="open-tasks-title">{t!("record-open-tasks")}</h2>
            <FormError error=error />
            {move || {
                let list = tasks.get();
                if list.is_empty() {
                    view! { <p class="empty">{t!("record-no-open-tasks")}</p> }.into_any()
                } else {
                    view! {
                        <ul class="task-list">
                            {list.into_iter().map(|(deadline, task)| view! {
                                <TaskItem task=task deadline=deadline show_record=false on_edit=on_edit error=error />
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// Under the name: company, stage, owner; and quick actions (call, e-mail, log a call,
/// log another activity, new task). Using a phone link opens the call log for the record.
#[component]
fn RecordHeader(shown: Memo<Fields>, record: Uuid) -> impl IntoView {
    let dialogs = expect_context::<WorkDialogs>();
    let replica = use_replica();
    let facts = move || {
        let fields = shown.get();
        let text = |name: &str| {
            fields
                .get(name)
                .and_then(|s| s.value.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        replica.with(|index| {
            let mut facts = Vec::new();
            let company = text("company");
            if !company.is_empty() && text("kind") != "company" {
                facts.push(company);
            }
            if let Some(stage) = index.name_of("stage", &text("stage_id")) {
                facts.push(stage);
            }
            let owner = index
                .name_of("user", &text("owner_id"))
                .unwrap_or_else(|| t!("record-owner-nobody"));
            facts.push(t!("record-owned-by", name = owner));
            facts.join(" · ")
        })
    };
    let links = move || {
        let fields = shown.get();
        let country = replica.with(|index| index.default_country());
        let first = |name: &str| -> Option<Value> {
            fields
                .get(name)
                .and_then(|s| s.value.as_array())
                .and_then(|items| items.first().cloned())
        };
        let phones: Vec<String> = fields
            .get("phones")
            .and_then(|s| s.value.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|p| p.get("number").and_then(Value::as_str).map(str::to_owned))
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let email = first("emails").and_then(|e| e.as_str().map(str::to_owned));
        view! {
            {phones.into_iter().map(|number| {
                let shown = phone::display(&number, &country);
                let dialled = number.clone();
                // The link dials; the call log waits for the user when they come back.
                let log_call = move |_| {
                    let mut draft = ActivityDraft::new(record, ActivityKind::Call);
                    draft.phone = dialled.clone();
                    dialogs.activity.set(Some(draft));
                };
                view! { <a class="button" href=format!("tel:{number}") on:click=log_call>{t!("record-call", number = shown)}</a> }
            }).collect_view()}
            {email.map(|email| view! { <a class="button" href=format!("mailto:{email}")>{t!("record-email", email = email.clone())}</a> })}
        }
    };
    view! {
        <p class="record-facts">{facts}</p>
        <div class="quick-actions">
            {links}
            <button type="button" on:click=move |_| dialogs.activity.set(Some(ActivityDraft::new(record, ActivityKind::Call)))>
                {t!("record-log-call")}
            </button>
            <button type="button" on:click=move |_| dialogs.activity.set(Some(ActivityDraft::new(record, ActivityKind::Note)))>
                {t!("record-log-activity")}
            </button>
            <button type="button" on:click=move |_| dialogs.task.set(Some(TaskDraft::new(Some(record), my_id())))>
                {t!("task-new")}
            </button>
        </div>
    }
}

/// A company's people (records whose organization is this one).
#[component]
fn CompanyPeople(id: String) -> impl IntoView {
    let replica = use_replica();
    let uuid = Uuid::parse_str(&id).ok();
    let people = move || {
        replica.with(|index| {
            let me = uuid.and_then(|u| index.contact(&u))?;
            if me.kind != ContactKind::Company {
                return None;
            }
            let mut people: Vec<(String, String)> = index
                .contacts()
                .iter()
                .filter(|c| c.organization_id == uuid && !c.deleted)
                .map(|c| (c.id.to_string(), c.display_name()))
                .collect();
            people.sort_by_key(|p| p.1.to_lowercase());
            Some(people)
        })
    };
    let add_href = format!("/records/new?organization={id}");
    view! {
        {move || people().map(|people| view! {
            <section class="panel" aria-labelledby="people-title">
                <h2 id="people-title">{t!("record-people-title")}</h2>
                {if people.is_empty() {
                    view! { <p class="empty">{t!("record-people-empty")}</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list">
                            {people.into_iter().map(|(id, name)| view! { <li><A href=format!("/records/{id}")>{name}</A></li> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <A href=add_href.clone() attr:class="button">{t!("record-people-add")}</A>
            </section>
        })}
    }
}
