//! One record's page: every standard and custom field, owner and managers, memberships;
//! input is checked and normalized before anything is written, and a save writes only
//! the fields the user changed, through the outbox.

use std::collections::{BTreeMap, BTreeSet};

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use minicrm_core::access::Actor;
use minicrm_core::input::{self, CustomType, FieldError};
use minicrm_core::merge::Fields;
use minicrm_core::phone;
use minicrm_core::record::{ContactKind, TEXT_FIELDS};
use minicrm_core::schema::PHONE_TYPES;
use serde_json::{Value, json};
use uuid::Uuid;

use super::activity::{ActivityDialog, ActivityDraft};
use super::history::RecordHistory;
use crate::data::settings::FieldDef;
use crate::data::{CONTACT, use_replica};
use crate::pages::tasks::{TaskDialog, TaskDraft, TaskItem, my_id};
use crate::state::deadlines::use_deadlines;
use crate::state::session::use_session;
use crate::storage::Storage;
use crate::storage::rows::StoredRow;
use crate::sync::use_sync;
use crate::t;
use minicrm_core::work::{self, ActivityKind, Task};

/// What the user typed for one wire field.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Text(String),
    Lines(Vec<String>),
    Phones(Vec<(String, String)>),
    Flag(bool),
}

impl Raw {
    fn text(&self) -> String {
        match self {
            Raw::Text(text) => text.clone(),
            _ => String::new(),
        }
    }

    fn lines(&self) -> Vec<String> {
        match self {
            Raw::Lines(lines) => lines.clone(),
            _ => Vec::new(),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Raw::Text(text) => text.trim().is_empty(),
            Raw::Lines(lines) => lines.iter().all(|l| l.trim().is_empty()),
            Raw::Phones(phones) => phones.iter().all(|(_, n)| n.trim().is_empty()),
            Raw::Flag(flag) => !flag,
        }
    }
}

/// The form: raw input by wire field.
pub type FormData = BTreeMap<String, Raw>;

const ID_FIELDS: &[&str] = &["organization_id", "stage_id", "category_id", "owner_id"];

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Bool(flag) => flag.to_string(),
        other => other.to_string(),
    }
}

/// The form as the stored fields fill it.
pub fn form_from_fields(fields: &Fields, defs: &[FieldDef], country: &str) -> FormData {
    let get = |name: &str| fields.get(name).map(|s| &s.value);
    let mut form = FormData::new();
    form.insert(
        "kind".into(),
        Raw::Text(
            get("kind")
                .and_then(Value::as_str)
                .unwrap_or("person")
                .to_owned(),
        ),
    );
    for field in TEXT_FIELDS.iter().chain(&["note"]).chain(ID_FIELDS) {
        form.insert(
            (*field).into(),
            Raw::Text(get(field).map(value_text).unwrap_or_default()),
        );
    }
    let strings = |value: Option<&Value>| -> Vec<String> {
        value
            .and_then(Value::as_array)
            .map(|items| items.iter().map(value_text).collect())
            .unwrap_or_default()
    };
    form.insert("emails".into(), Raw::Lines(strings(get("emails"))));
    form.insert("tags".into(), Raw::Text(strings(get("tags")).join(", ")));
    form.insert("managers".into(), Raw::Lines(strings(get("managers"))));
    let phones = get("phones")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|p| {
                    let kind = p.get("type").and_then(Value::as_str).unwrap_or("mobile");
                    let number = p.get("number").and_then(Value::as_str).unwrap_or_default();
                    (kind.to_owned(), phone::display(number, country))
                })
                .collect()
        })
        .unwrap_or_default();
    form.insert("phones".into(), Raw::Phones(phones));
    for (name, state) in fields {
        if name.starts_with("segment:") || name.starts_with("campaign:") {
            form.insert(name.clone(), Raw::Flag(state.value == Value::Bool(true)));
        }
    }
    for def in defs {
        let field = format!("custom.{}", def.key);
        let raw = match (def.kind, get(&field)) {
            (CustomType::MultiChoice, value) => Raw::Lines(strings(value)),
            (_, Some(value)) => Raw::Text(value_text(value)),
            (_, None) => Raw::Text(String::new()),
        };
        form.insert(field, raw);
    }
    form
}

/// Why a field cannot be saved, in the user's words.
pub fn error_text(err: &FieldError) -> String {
    use minicrm_core::phone::PhoneError;
    use minicrm_core::polish_ids::PolishIdError as P;
    use minicrm_core::validate::InputError;
    let key = match err {
        FieldError::Required => "error-required",
        FieldError::TooLong(_) => "error-too-long",
        FieldError::Email(InputError::EmailEmpty) => "error-email-empty",
        FieldError::Email(_) => "error-email",
        FieldError::Phone(PhoneError::Empty) => "error-phone-empty",
        FieldError::Phone(PhoneError::Invalid(_)) => "error-phone-invalid",
        FieldError::Phone(_) => "error-phone",
        FieldError::PolishId(P::NipLength) => "error-nip-length",
        FieldError::PolishId(P::NipCheckDigit) => "error-nip-check",
        FieldError::PolishId(P::PeselLength) => "error-pesel-length",
        FieldError::PolishId(P::PeselCheckDigit) => "error-pesel-check",
        FieldError::PolishId(P::PeselDate) => "error-pesel-date",
        FieldError::PolishId(P::RegonLength) => "error-regon-length",
        FieldError::PolishId(P::RegonCheckDigit) => "error-regon-check",
        FieldError::PolishId(P::Characters) => "error-id-characters",
        FieldError::NotANumber => "error-number",
        FieldError::NotADate => "error-date",
        FieldError::NotAnOption => "error-option",
        FieldError::PhoneType => "error-phone-type",
        FieldError::NotADuration => "error-duration",
        FieldError::EndsBeforeStart => "error-ends-before-start",
    };
    match err {
        FieldError::TooLong(max) => t!(key, max = max.to_string()),
        _ => t!(key),
    }
}

/// The value to store for one field of the form, or why it cannot be stored.
pub fn field_value(
    field: &str,
    raw: &Raw,
    defs: &[FieldDef],
    country: &str,
) -> Result<Value, String> {
    if let Some(key) = field.strip_prefix("custom.") {
        let Some(def) = defs.iter().find(|d| d.key == key) else {
            return Ok(Value::Null);
        };
        let input = match raw {
            Raw::Lines(lines) => lines.clone(),
            other => vec![other.text()],
        };
        return input::custom_field(def.kind, &def.options, &input).map_err(|e| error_text(&e));
    }
    match (field, raw) {
        ("emails", Raw::Lines(lines)) => input::emails(lines).map_err(|(_, e)| error_text(&e)),
        ("phones", Raw::Phones(phones)) => {
            input::phones(phones, country).map_err(|(_, e)| error_text(&e))
        }
        ("tags", Raw::Text(text)) => {
            let mut tags: Vec<String> = Vec::new();
            for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if !tags.iter().any(|t| t == tag) {
                    tags.push(tag.to_owned());
                }
            }
            Ok(json!(tags))
        }
        ("managers", Raw::Lines(ids)) => Ok(json!(ids)),
        (_, Raw::Flag(flag)) => Ok(json!(flag)),
        ("kind", Raw::Text(kind)) => Ok(json!(if kind == "company" {
            "company"
        } else {
            "person"
        })),
        (id, Raw::Text(text)) if ID_FIELDS.contains(&id) => Ok(if text.is_empty() {
            Value::Null
        } else {
            json!(text)
        }),
        (_, Raw::Text(text)) => input::text_field(field, text).map_err(|e| error_text(&e)),
        _ => Ok(Value::Null),
    }
}

/// The writes that turn `baseline` into `form` (only touched fields), or the problems
/// by field. A new record needs a name.
pub fn form_changes(
    form: &FormData,
    baseline: &FormData,
    defs: &[FieldDef],
    country: &str,
    is_new: bool,
) -> Result<Vec<(String, Value)>, BTreeMap<String, String>> {
    let mut changes = Vec::new();
    let mut errors = BTreeMap::new();
    for (field, raw) in form {
        let before = baseline.get(field);
        let touched = match before {
            Some(before) => before != raw,
            None => !raw.is_blank() || (is_new && field == "kind"),
        };
        if !touched {
            continue;
        }
        match field_value(field, raw, defs, country) {
            Ok(value) => changes.push((field.clone(), value)),
            Err(message) => {
                errors.insert(field.clone(), message);
            }
        }
    }
    let text = |f: &str| form.get(f).map(Raw::text).unwrap_or_default();
    let is_company = text("kind") == "company";
    let nameless = if is_company {
        text("company").trim().is_empty()
    } else {
        text("first_name").trim().is_empty()
            && text("last_name").trim().is_empty()
            && text("company").trim().is_empty()
    };
    if nameless {
        let field = if is_company { "company" } else { "last_name" };
        errors.insert(field.into(), t!("error-name-required"));
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
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
    // A new record may come prefilled (identification: `?phone=` or `?email=`).
    let prefill = query.with_untracked(|q| {
        let mut fields = Fields::new();
        if let Some(phone) = q.get("phone").filter(|p| !p.trim().is_empty()) {
            fields.insert(
                "phones".into(),
                minicrm_core::sync::FieldState {
                    value: json!([{"type": "mobile", "number": phone}]),
                    hlc: String::new(),
                },
            );
        }
        if let Some(email) = q.get("email").filter(|e| !e.trim().is_empty()) {
            fields.insert(
                "emails".into(),
                minicrm_core::sync::FieldState {
                    value: json!([email]),
                    hlc: String::new(),
                },
            );
        }
        if let Some(org) = q.get("organization").filter(|o| !o.is_empty()) {
            fields.insert(
                "organization_id".into(),
                minicrm_core::sync::FieldState {
                    value: json!(org),
                    hlc: String::new(),
                },
            );
        }
        fields
    });
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
                    let prefilled = if is_new {
                        let (defs, country) = replica.with_untracked(|index| (index.field_defs(), index.default_country()));
                        let mut form = form_from_fields(&prefill, &defs, &country);
                        // A new record starts with one empty phone and e-mail to fill in.
                        if form.get("phones").is_none_or(Raw::is_blank) {
                            form.insert("phones".into(), Raw::Phones(vec![("mobile".into(), String::new())]));
                        }
                        if form.get("emails").is_none_or(Raw::is_blank) {
                            form.insert("emails".into(), Raw::Lines(vec![String::new()]));
                        }
                        Some(form)
                    } else {
                        None
                    };
                    view! {
                        <div class="page-head">
                            <h1>{title.clone()}</h1>
                            <Show when=trashed>
                                <span class="badge danger">{t!("record-in-trash")}</span>
                            </Show>
                        </div>
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
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert">{move || error.get()}</p>
            </Show>
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

fn text_of(form: RwSignal<FormData>, field: &'static str) -> impl Fn() -> String + Copy {
    move || form.with(|f| f.get(field).map(Raw::text).unwrap_or_default())
}

fn set_text(form: RwSignal<FormData>, field: &'static str, value: String) {
    form.update(|f| {
        f.insert(field.to_owned(), Raw::Text(value));
    });
}

#[component]
fn TextInput(
    form: RwSignal<FormData>,
    errors: RwSignal<BTreeMap<String, String>>,
    field: &'static str,
    #[prop(optional)] input_type: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
) -> impl IntoView {
    let id = format!("record-{}", field.replace('_', "-"));
    let error_id = format!("{id}-error");
    let error = move || errors.with(|e| e.get(field).cloned());
    view! {
        <div class="field" class:invalid=move || error().is_some()>
            <label for=id.clone()>{t!(&format!("label-{field}"))}</label>
            <input
                id=id
                type=input_type.unwrap_or("text")
                inputmode=inputmode
                autocomplete="off"
                prop:value=text_of(form, field)
                on:input=move |e| set_text(form, field, event_target_value(&e))
                aria-invalid=move || error().is_some().to_string()
                aria-describedby=error_id.clone()
            />
            <p class="field-error" id=error_id role="alert">{error}</p>
        </div>
    }
}

#[component]
fn ChoiceSelect(
    form: RwSignal<FormData>,
    field: &'static str,
    choices: Signal<Vec<(String, String)>>,
    empty_label: String,
) -> impl IntoView {
    let id = format!("record-{}", field.replace('_', "-"));
    view! {
        <div class="field">
            <label for=id.clone()>{t!(&format!("label-{field}"))}</label>
            <select id=id prop:value=text_of(form, field) on:change=move |e| set_text(form, field, event_target_value(&e))>
                <option value="">{empty_label.clone()}</option>
                {move || {
                    let current = text_of(form, field)();
                    let mut choices = choices.get();
                    // A value that is no longer a choice (deleted in settings) stays visible.
                    if !current.is_empty() && !choices.iter().any(|(id, _)| *id == current) {
                        choices.push((current.clone(), current));
                    }
                    // Selected per option: the list is built after the select's value is set.
                    choices.into_iter().map(|(id, name)| {
                        let this = id.clone();
                        view! { <option value=id prop:selected=move || text_of(form, field)() == this>{name}</option> }
                    }).collect_view()
                }}
            </select>
        </div>
    }
}

#[component]
fn RecordForm(
    id: String,
    is_new: bool,
    latest: Memo<FormData>,
    prefilled: Option<FormData>,
) -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let navigate = use_navigate();
    let initial = prefilled.clone().unwrap_or_else(|| latest.get_untracked());
    // What the inputs started from: a save writes only the fields that differ from it.
    let baseline = RwSignal::new(if is_new {
        FormData::new()
    } else {
        initial.clone()
    });
    let form = RwSignal::new(initial);
    let errors = RwSignal::new(BTreeMap::<String, String>::new());
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let dirty = move || {
        let base = baseline.get();
        form.with(|f| {
            f.iter().any(|(k, raw)| match base.get(k) {
                Some(b) => b != raw,
                None => !raw.is_blank() && !is_new,
            })
        })
    };
    // The record changed elsewhere: an untouched form shows the new values; a form with
    // edits keeps them (a save writes only what the user changed).
    Effect::new(move || {
        let newest = latest.get();
        if !is_new && !dirty_untracked(form, baseline) && newest != baseline.get_untracked() {
            form.set(newest.clone());
            baseline.set(newest);
        }
    });
    // Leaving the page with unsaved edits asks first.
    let unload = window_event_listener(leptos::ev::beforeunload, move |event| {
        if dirty_untracked(form, baseline) {
            event.prevent_default();
            event.set_return_value(&t!("record-unsaved"));
        }
    });
    on_cleanup(move || unload.remove());
    // …and so does following a link inside the app.
    guard_links(Some(Box::new(move || dirty_untracked(form, baseline))));
    on_cleanup(|| guard_links(None));

    let defs = Memo::new(move |_| replica.with(|index| index.field_defs()));
    let country = Memo::new(move |_| replica.with(|index| index.default_country()));
    let choices_of = move |entity: &'static str| {
        Signal::derive(move || {
            replica.with(|index| {
                index
                    .choices(entity)
                    .into_iter()
                    .map(|c| (c.id, c.name))
                    .collect::<Vec<_>>()
            })
        })
    };
    let stages = Signal::derive(move || {
        replica.with(|index| {
            index
                .stage_choices()
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect::<Vec<_>>()
        })
    });
    let owners = Signal::derive(move || {
        let actor = session.user().map(|u| Actor {
            user_id: u.id,
            role: u.role,
        });
        replica.with(|index| {
            index
                .assignable_owners(actor.as_ref())
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect::<Vec<_>>()
        })
    });
    let sources = Signal::derive(move || {
        replica.with(|index| {
            index
                .choices("source")
                .into_iter()
                .map(|c| (c.name.clone(), c.name))
                .collect::<Vec<_>>()
        })
    });
    let companies = Signal::derive(move || {
        replica.with(|index| {
            let mut companies: Vec<(String, String)> = index
                .contacts()
                .iter()
                .filter(|c| c.kind == ContactKind::Company && !c.deleted)
                .map(|c| (c.id.to_string(), c.display_name()))
                .collect();
            companies.sort_by_key(|c| c.1.to_lowercase());
            companies
        })
    });
    let is_company = move || text_of(form, "kind")() == "company";

    let id_for_submit = id.clone();
    let navigate_after = navigate.clone();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let edited = form.get_untracked();
        let result = form_changes(
            &edited,
            &baseline.get_untracked(),
            &defs.get_untracked(),
            &country.get_untracked(),
            is_new,
        );
        let mut changes = match result {
            Ok(changes) => changes,
            Err(problems) => {
                errors.set(problems);
                saved.set(false);
                error.set(Some(t!("record-fix-errors")));
                return;
            }
        };
        errors.set(BTreeMap::new());
        error.set(None);
        // Linking to a company copies its name into `company`.
        if let Some((_, Value::String(org))) = changes.iter().find(|(f, _)| f == "organization_id")
        {
            let name = companies
                .with_untracked(|c| c.iter().find(|(id, _)| id == org).map(|c| c.1.clone()));
            if let Some(name) = name {
                changes.retain(|(f, _)| f != "company");
                changes.push(("company".into(), json!(name)));
            }
        }
        if changes.is_empty() {
            return;
        }
        let id = id_for_submit.clone();
        let navigate = navigate_after.clone();
        spawn_local(async move {
            match replica.write(CONTACT, &id, changes).await {
                Ok(()) => {
                    saved.set(true);
                    baseline.set(edited);
                    if is_new {
                        navigate(&format!("/records/{id}"), Default::default());
                    }
                }
                Err(err) => error.set(Some(t!("error-unexpected", message = err.to_string()))),
            }
        });
    };
    let navigate_cancel = navigate.clone();
    let cancel = move |_| {
        errors.set(BTreeMap::new());
        error.set(None);
        if is_new {
            navigate_cancel("/records", Default::default());
        } else {
            form.set(baseline.get_untracked());
        }
    };
    let id_for_trash = id.clone();
    let trash = move |deleted: bool| {
        let id = id_for_trash.clone();
        spawn_local(async move {
            let _ = replica
                .write(CONTACT, &id, vec![("deleted".into(), json!(deleted))])
                .await;
        });
    };
    let trash_on = trash.clone();
    let in_trash = move || latest.with(|_| false);
    let _ = in_trash;
    view! {
        <form class="panel record-form" on:submit=submit aria-label=t!("record-details") novalidate>
            <fieldset class="kind">
                <legend>{t!("label-kind")}</legend>
                <label><input type="radio" name="kind" value="person" prop:checked=move || !is_company() on:change=move |_| set_text(form, "kind", "person".into()) />{t!("kind-person")}</label>
                <label><input type="radio" name="kind" value="company" prop:checked=is_company on:change=move |_| set_text(form, "kind", "company".into()) />{t!("kind-company")}</label>
            </fieldset>
            <fieldset>
                <legend>{t!("record-group-name")}</legend>
                <Show when=move || !is_company()>
                    <TextInput form=form errors=errors field="first_name" />
                    <TextInput form=form errors=errors field="last_name" />
                    <TextInput form=form errors=errors field="position" />
                    <ChoiceSelect form=form field="organization_id" choices=companies empty_label=t!("record-no-organization") />
                </Show>
                <TextInput form=form errors=errors field="company" />
            </fieldset>
            <PhonesInput form=form errors=errors country=country />
            <EmailsInput form=form errors=errors />
            <fieldset>
                <legend>{t!("record-group-address")}</legend>
                <TextInput form=form errors=errors field="address_line1" />
                <TextInput form=form errors=errors field="address_line2" />
                <TextInput form=form errors=errors field="postal_code" />
                <TextInput form=form errors=errors field="city" />
                <TextInput form=form errors=errors field="region" />
                <TextInput form=form errors=errors field="country" />
            </fieldset>
            <fieldset>
                <legend>{t!("record-group-ids")}</legend>
                <TextInput form=form errors=errors field="nip" inputmode="numeric" />
                <TextInput form=form errors=errors field="pesel" inputmode="numeric" />
                <TextInput form=form errors=errors field="regon" inputmode="numeric" />
            </fieldset>
            <fieldset>
                <legend>{t!("record-group-sales")}</legend>
                <ChoiceSelect form=form field="stage_id" choices=stages empty_label=t!("record-none") />
                <ChoiceSelect form=form field="category_id" choices=choices_of("category") empty_label=t!("record-none") />
                <ChoiceSelect form=form field="source" choices=sources empty_label=t!("record-none") />
                <ChoiceSelect form=form field="owner_id" choices=owners empty_label=t!("record-owner-nobody") />
                <ManagersInput form=form />
                <TextInput form=form errors=errors field="tags" />
            </fieldset>
            <MembershipsInput form=form entity="segment" />
            <MembershipsInput form=form entity="campaign" />
            <CustomFieldsInput form=form errors=errors defs=defs />
            <div class="field">
                <label for="record-note">{t!("label-note")}</label>
                <textarea id="record-note" rows="4" prop:value=text_of(form, "note") on:input=move |e| set_text(form, "note", event_target_value(&e))></textarea>
                <p class="field-error" role="alert">{move || errors.with(|e| e.get("note").cloned())}</p>
            </div>
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert">{move || error.get()}</p>
            </Show>
            <Show when=move || saved.get() && !dirty()>
                <p class="form-done" role="status">{t!("record-saved")}</p>
            </Show>
            <div class="actions">
                <button type="submit" class="primary">{t!("record-save")}</button>
                <button type="button" on:click=cancel>{t!("record-cancel")}</button>
                {(!is_new).then(|| {
                    let trash_on = trash_on.clone();
                    view! {
                        <button type="button" class="danger" on:click=move |_| trash_on(true)>{t!("record-trash")}</button>
                    }
                })}
            </div>
        </form>
    }
}

type LinkGuard = wasm_bindgen::closure::Closure<dyn Fn(web_sys::MouseEvent)>;

thread_local! {
    /// The click listener that asks before a link leaves a form with unsaved edits.
    static LINK_GUARD: std::cell::RefCell<Option<LinkGuard>> = const { std::cell::RefCell::new(None) };
}

/// Installs (or with `None` removes) a capture-phase click listener: when `dirty()` holds,
/// following a link asks first and staying cancels the navigation.
fn guard_links(dirty: Option<Box<dyn Fn() -> bool>>) {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return;
    };
    LINK_GUARD.with(|slot| {
        if let Some(old) = slot.borrow_mut().take() {
            let _ = window.remove_event_listener_with_callback_and_bool(
                "click",
                old.as_ref().unchecked_ref(),
                true,
            );
        }
        let Some(dirty) = dirty else { return };
        let listener = LinkGuard::new(move |event: web_sys::MouseEvent| {
            let link = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("a[href]").ok().flatten());
            let Some(link) = link else { return };
            let href = link.get_attribute("href").unwrap_or_default();
            if href.starts_with("tel:") || href.starts_with("mailto:") || !dirty() {
                return;
            }
            let leave = web_sys::window()
                .and_then(|w| w.confirm_with_message(&t!("record-unsaved")).ok())
                .unwrap_or(true);
            if !leave {
                event.prevent_default();
                event.stop_immediate_propagation();
            }
        });
        let _ = window.add_event_listener_with_callback_and_bool(
            "click",
            listener.as_ref().unchecked_ref(),
            true,
        );
        *slot.borrow_mut() = Some(listener);
    });
}

fn dirty_untracked(form: RwSignal<FormData>, baseline: RwSignal<FormData>) -> bool {
    let base = baseline.get_untracked();
    form.with_untracked(|f| {
        f.iter().any(|(k, raw)| match base.get(k) {
            Some(b) => b != raw,
            None => !raw.is_blank(),
        })
    })
}

type PhoneList = Vec<(String, String)>;

#[component]
fn PhonesInput(
    form: RwSignal<FormData>,
    errors: RwSignal<BTreeMap<String, String>>,
    country: Memo<String>,
) -> impl IntoView {
    // Only a change of the phones re-renders their inputs (not typing elsewhere).
    let phones = Memo::new(move |_| {
        form.with(|f| match f.get("phones") {
            Some(Raw::Phones(p)) => p.clone(),
            _ => Vec::new(),
        })
    });
    let edit = move |f: &mut dyn FnMut(&mut PhoneList)| {
        form.update(|form| {
            let mut list = match form.get("phones") {
                Some(Raw::Phones(p)) => p.clone(),
                _ => Vec::new(),
            };
            f(&mut list);
            form.insert("phones".into(), Raw::Phones(list));
        });
    };
    view! {
        <fieldset>
            <legend>{t!("label-phones")}</legend>
            <p class="hint">{move || t!("record-phone-hint", country = country.get())}</p>
            {move || phones.get().into_iter().enumerate().map(|(i, (kind, number))| {
                let type_id = format!("record-phone-type-{i}");
                let number_id = format!("record-phone-{i}");
                view! {
                    <div class="field-row">
                        <div class="field narrow">
                            <label for=type_id.clone()>{t!("record-phone-type")}</label>
                            <select id=type_id prop:value=kind on:change=move |e| { let v = event_target_value(&e); edit(&mut |l| if let Some(p) = l.get_mut(i) { p.0 = v.clone(); }); }>
                                {PHONE_TYPES.iter().map(|t| view! { <option value=*t>{t!(&format!("phone-type-{t}"))}</option> }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for=number_id.clone()>{t!("record-phone-number", n = (i + 1).to_string())}</label>
                            <input id=number_id type="tel" autocomplete="off" prop:value=number on:change=move |e| { let v = event_target_value(&e); edit(&mut |l| if let Some(p) = l.get_mut(i) { p.1 = v.clone(); }); } />
                        </div>
                        <button type="button" class="icon" aria-label=t!("record-phone-remove", n = (i + 1).to_string()) on:click=move |_| edit(&mut |l| { if i < l.len() { l.remove(i); } })>"×"</button>
                    </div>
                }
            }).collect_view()}
            <p class="field-error" role="alert">{move || errors.with(|e| e.get("phones").cloned())}</p>
            <button type="button" on:click=move |_| edit(&mut |l| l.push(("mobile".into(), String::new())))>{t!("record-phone-add")}</button>
        </fieldset>
    }
}

#[component]
fn EmailsInput(
    form: RwSignal<FormData>,
    errors: RwSignal<BTreeMap<String, String>>,
) -> impl IntoView {
    let emails =
        Memo::new(move |_| form.with(|f| f.get("emails").map(Raw::lines).unwrap_or_default()));
    let edit = move |f: &mut dyn FnMut(&mut Vec<String>)| {
        form.update(|form| {
            let mut list = form.get("emails").map(Raw::lines).unwrap_or_default();
            f(&mut list);
            form.insert("emails".into(), Raw::Lines(list));
        });
    };
    view! {
        <fieldset>
            <legend>{t!("label-emails")}</legend>
            {move || emails.get().into_iter().enumerate().map(|(i, email)| {
                let input_id = format!("record-email-{i}");
                view! {
                    <div class="field-row">
                        <div class="field">
                            <label for=input_id.clone()>{t!("record-email-n", n = (i + 1).to_string())}</label>
                            <input id=input_id type="email" autocomplete="off" prop:value=email on:change=move |e| { let v = event_target_value(&e); edit(&mut |l| if let Some(x) = l.get_mut(i) { *x = v.clone(); }); } />
                        </div>
                        <button type="button" class="icon" aria-label=t!("record-email-remove", n = (i + 1).to_string()) on:click=move |_| edit(&mut |l| { if i < l.len() { l.remove(i); } })>"×"</button>
                    </div>
                }
            }).collect_view()}
            <p class="field-error" role="alert">{move || errors.with(|e| e.get("emails").cloned())}</p>
            <button type="button" on:click=move |_| edit(&mut |l| l.push(String::new()))>{t!("record-email-add")}</button>
        </fieldset>
    }
}

#[component]
fn ManagersInput(form: RwSignal<FormData>) -> impl IntoView {
    let replica = use_replica();
    let chosen = move || -> BTreeSet<String> {
        form.with(|f| {
            f.get("managers")
                .map(Raw::lines)
                .unwrap_or_default()
                .into_iter()
                .collect()
        })
    };
    view! {
        <fieldset class="checkbox-group">
            <legend>{t!("label-managers")}</legend>
            {move || replica.with(|index| index.users()).into_iter().map(|user| {
                let id = format!("record-manager-{}", user.id);
                let label_for = id.clone();
                let uid = user.id.clone();
                let uid2 = user.id.clone();
                view! {
                    <label for=label_for>
                        <input type="checkbox" id=id prop:checked=move || chosen().contains(&uid) on:change=move |_| {
                            form.update(|f| {
                                let mut list = f.get("managers").map(Raw::lines).unwrap_or_default();
                                if let Some(i) = list.iter().position(|x| *x == uid2) { list.remove(i); } else { list.push(uid2.clone()); }
                                f.insert("managers".into(), Raw::Lines(list));
                            });
                        } />
                        {user.name}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

#[component]
fn MembershipsInput(form: RwSignal<FormData>, entity: &'static str) -> impl IntoView {
    let replica = use_replica();
    view! {
        <fieldset class="checkbox-group">
            <legend>{t!(&format!("label-{entity}s"))}</legend>
            {move || {
                let choices = replica.with(|index| index.choices(entity));
                if choices.is_empty() {
                    return view! { <p class="hint">{t!("record-none-defined")}</p> }.into_any();
                }
                choices.into_iter().map(|choice| {
                    let field = format!("{entity}:{}", choice.id);
                    let id = format!("record-{entity}-{}", choice.id);
                    let f1 = field.clone();
                    let f2 = field.clone();
                    let label_for = id.clone();
                    view! {
                        <label for=label_for>
                            <input type="checkbox" id=id prop:checked=move || form.with(|f| f.get(&f1) == Some(&Raw::Flag(true)))
                                on:change=move |e| { let on = event_target_checked(&e); form.update(|f| { f.insert(f2.clone(), Raw::Flag(on)); }); } />
                            {choice.name}
                        </label>
                    }
                }).collect_view().into_any()
            }}
        </fieldset>
    }
}

#[component]
fn CustomFieldsInput(
    form: RwSignal<FormData>,
    errors: RwSignal<BTreeMap<String, String>>,
    defs: Memo<Vec<FieldDef>>,
) -> impl IntoView {
    view! {
        {move || {
            let defs = defs.get();
            (!defs.is_empty()).then(|| view! {
                <fieldset>
                    <legend>{t!("record-group-custom")}</legend>
                    {defs.into_iter().map(|def| view! { <CustomInput form=form errors=errors def=def /> }).collect_view()}
                </fieldset>
            })
        }}
    }
}

#[component]
fn CustomInput(
    form: RwSignal<FormData>,
    errors: RwSignal<BTreeMap<String, String>>,
    def: FieldDef,
) -> impl IntoView {
    let field = format!("custom.{}", def.key);
    let id = format!("record-custom-{}", def.key);
    let error_field = field.clone();
    let error = Signal::derive(move || errors.with(|e| e.get(&error_field).cloned()));
    let read_field = field.clone();
    let text = move || form.with(|f| f.get(&read_field).map(Raw::text).unwrap_or_default());
    let write_field = field.clone();
    let set = move |value: String| {
        form.update(|f| {
            f.insert(write_field.clone(), Raw::Text(value));
        })
    };
    let input = match def.kind {
        CustomType::Text => view! { <input id=id.clone() autocomplete="off" prop:value=text on:input=move |e| set(event_target_value(&e)) /> }.into_any(),
        CustomType::Number => view! { <input id=id.clone() inputmode="decimal" autocomplete="off" prop:value=text on:input=move |e| set(event_target_value(&e)) /> }.into_any(),
        CustomType::Date => view! { <input id=id.clone() type="date" prop:value=text on:input=move |e| set(event_target_value(&e)) /> }.into_any(),
        CustomType::Choice => {
            let options = def.options.clone();
            view! {
                <select id=id.clone() prop:value=text on:change=move |e| set(event_target_value(&e))>
                    <option value="">{t!("record-none")}</option>
                    {options.into_iter().map(|o| { let v = o.clone(); view! { <option value=v>{o}</option> } }).collect_view()}
                </select>
            }.into_any()
        }
        CustomType::YesNo => view! {
            <select id=id.clone() prop:value=text on:change=move |e| set(event_target_value(&e))>
                <option value="">{t!("record-none")}</option>
                <option value="true">{t!("value-yes")}</option>
                <option value="false">{t!("value-no")}</option>
            </select>
        }.into_any(),
        CustomType::MultiChoice => {
            let multi_field = field.clone();
            view! {
                <div id=id.clone() class="checkbox-group" role="group" aria-label=def.name.clone()>
                    {def.options.iter().enumerate().map(|(i, option)| {
                        let box_id = format!("{id}-{i}");
                        let (f1, f2) = (multi_field.clone(), multi_field.clone());
                        let (o1, o2) = (option.clone(), option.clone());
                        let label_for = box_id.clone();
                        view! {
                            <label for=label_for>
                                <input type="checkbox" id=box_id prop:checked=move || form.with(|f| f.get(&f1).map(Raw::lines).unwrap_or_default().contains(&o1))
                                    on:change=move |_| form.update(|f| {
                                        let mut list = f.get(&f2).map(Raw::lines).unwrap_or_default();
                                        if let Some(i) = list.iter().position(|x| *x == o2) { list.remove(i); } else { list.push(o2.clone()); }
                                        f.insert(f2.clone(), Raw::Lines(list));
                                    }) />
                                {option.clone()}
                            </label>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }
    };
    let label_for = format!("record-custom-{}", def.key);
    view! {
        <div class="field" class:invalid=move || error.with(Option::is_some)>
            <label for=label_for>{def.name.clone()}</label>
            {input}
            <p class="field-error" role="alert">{error}</p>
        </div>
    }
}
