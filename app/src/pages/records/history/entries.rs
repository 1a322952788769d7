//! The timeline's entries: a field's write (who, what over what, current / replaced /
//! lost, restore), a task done or trashed (reopen, restore), an activity (trash, restore),
//! a pending edit; and the words for fields and values they use.

use leptos::prelude::*;
use minicrm_core::deadline::parse_ms;
use minicrm_core::hlc::Hlc;
use minicrm_core::merge::Fields;
use minicrm_core::sync::HistoryEntry;
use minicrm_core::work::{Task, duration_text};
use serde_json::{Value, json};

use crate::data::tasks::TaskChange;
use crate::data::{ACTIVITY, CONTACT, Index, Replica, SettingRow};
use crate::pages::forms::spawn_reported;
use crate::pages::tasks::change_task;
use crate::state::now::local_date_time;
use crate::state::session::Session;
use crate::storage::rows::StoredRow;
use crate::t;
use minicrm_core::combine::AFTER_PREFIX;

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
    if let Some(id) = field.strip_prefix(minicrm_core::schema::DISTINCT_PREFIX) {
        let name = uuid::Uuid::parse_str(id)
            .ok()
            .and_then(|id| index.contact(&id).map(|c| c.display_name()))
            .unwrap_or_else(|| id.to_owned());
        return t!("field-distinct-named", name = name);
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
pub enum Item {
    /// A write the server accepted for a field of the record, with the value it replaced
    /// (the field's previous winning write), if any.
    Field(HistoryEntry, Option<Value>),
    /// A task done or moved to the trash.
    Task(Task),
    /// A call, e-mail, text message, meeting or note (id, fields as stored).
    Activity(String, Fields),
    /// A write of a field of a record merged into this one (whose name is given), with the
    /// value it replaced.
    MergedField(String, HistoryEntry, Option<Value>),
    /// A merge of other records into this one (its `merge` row).
    Merge(SettingRow),
}

impl Item {
    pub fn at_ms(&self) -> i64 {
        match self {
            Item::Field(entry, _) | Item::MergedField(_, entry, _) => hlc_ms(&entry.hlc),
            Item::Merge(row) => parse_ms(row.str("at")).unwrap_or(0),
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

/// What the timeline's entries show and do: the record's row (its current values and
/// pending edits), the names the replica knows, and where a failed write is reported.
#[derive(Clone, Copy)]
pub struct Timeline {
    pub replica: Replica,
    pub session: Session,
    /// The record's id.
    pub record: StoredValue<String>,
    pub row: RwSignal<Option<Option<StoredRow>>>,
    pub error: RwSignal<Option<String>>,
    /// What an action just did (an undone merge), as a status.
    pub done: RwSignal<Option<String>>,
}

impl Timeline {
    /// The record's fields as shown (tracked).
    fn current(self) -> Fields {
        self.row
            .get()
            .flatten()
            .map(|row| row.shown())
            .unwrap_or_default()
    }

    /// This device's edits of the record the server has not acknowledged (tracked).
    pub fn pending(self) -> Vec<(String, Value)> {
        self.row
            .get()
            .flatten()
            .map(|row| {
                row.local
                    .iter()
                    .map(|(f, s)| (f.clone(), s.value.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Managers see which device wrote each value and when the server received it.
    fn manager_view(self) -> bool {
        self.session
            .user()
            .is_some_and(|user| user.role.may_see_team_reports())
    }

    /// One line of the timeline.
    pub fn entry(self, item: Item) -> AnyView {
        match item {
            Item::Field(entry, old) => self.field_entry(entry, old),
            Item::Task(task) => self.task_entry(task),
            Item::Activity(id, fields) => self.activity_entry(id, fields),
            Item::MergedField(name, entry, old) => self.merged_field_entry(name, entry, old),
            Item::Merge(row) => self.merge_entry(row),
        }
    }

    /// A pending edit: "field: value (not yet sent)".
    pub fn pending_entry(self, field: String, value: Value) -> impl IntoView {
        let (shown, label) = self.replica.with_untracked(|index| {
            (
                value_label(&field, &value, index),
                field_label(&field, index),
            )
        });
        view! { <li class="pending">{t!("record-history-pending", field = label, value = shown)}</li> }
    }

    /// A write of a field: who set what (over which value), whether it is the current
    /// value, was replaced or lost; a value not current can be written again.
    fn field_entry(self, entry: HistoryEntry, old: Option<Value>) -> AnyView {
        let Timeline {
            replica,
            record,
            error,
            ..
        } = self;
        let current = self.current();
        let manager = self.manager_view();
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
        let restore = move |_| {
            let change = vec![(field.clone(), value.clone())];
            spawn_reported(error, async move {
                replica.write(CONTACT, &record.get_value(), change).await
            });
        };
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
                    <button type="button" class="link" on:click=restore>{restore_label.clone()}</button>
                })}
            </li>
        }
        .into_any()
    }

    /// A write of a merged record's field: who set what, on which record, and when.
    fn merged_field_entry(self, name: String, entry: HistoryEntry, old: Option<Value>) -> AnyView {
        let (who, shown, label, old) = self.replica.with_untracked(|index| {
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
                value = shown
            ),
            None => t!(
                "record-history-set",
                who = who,
                field = label,
                value = shown
            ),
        };
        view! {
            <li class="entry field-change merged-field" class:lost=!entry.won>
                <span class="origin">{t!("timeline-merged-origin", name = name)}</span>
                " "
                <span class="what">{what}</span>
                " "
                <span class="when">{local_date_time(hlc_ms(&entry.hlc) as f64)}</span>
                {(!entry.won).then(|| view! { <span class="badge">{t!("record-history-lost")}</span> })}
            </li>
        }
        .into_any()
    }

    /// A merge into this record: who merged which records when, what it changed, and the
    /// button that undoes it.
    fn merge_entry(self, row: SettingRow) -> AnyView {
        let Timeline {
            replica,
            session,
            error,
            ..
        } = self;
        let names = row.strings("names").join(", ");
        let (who, changed) = replica.with_untracked(|index| {
            let who = index
                .name_of("user", row.str("user_id"))
                .unwrap_or_else(|| t!("unknown-user"));
            let changed: Vec<String> = row
                .values
                .keys()
                .filter_map(|name| name.strip_prefix(AFTER_PREFIX))
                .map(|field| field_label(field, index))
                .collect();
            (who, changed)
        });
        let undone = row.bool("undone");
        let when = parse_ms(row.str("at"))
            .map(|ms| local_date_time(ms as f64))
            .unwrap_or_default();
        let what = t!("timeline-merge", names = names.clone(), who = who);
        let details = (!changed.is_empty())
            .then(|| t!("timeline-merge-changed", fields = changed.join(", ")));
        let merge_id = uuid::Uuid::parse_str(&row.id).ok();
        let done = self.done;
        let busy = RwSignal::new(false);
        let undo = move |_| {
            let (Some(merge_id), Some(user)) = (merge_id, session.user_untracked()) else {
                return;
            };
            if busy.get_untracked() {
                return;
            }
            busy.set(true);
            error.set(None);
            done.set(None);
            leptos::task::spawn_local(async move {
                match crate::data::merges::undo(replica, &user, merge_id).await {
                    Ok(kept) if kept.is_empty() => {
                        done.try_set(Some(t!("timeline-merge-undone-done")));
                    }
                    Ok(kept) => {
                        let kept: Vec<String> = replica.with_untracked(|index| {
                            kept.iter().map(|f| field_label(f, index)).collect()
                        });
                        done.try_set(Some(t!(
                            "timeline-merge-undone-kept",
                            fields = kept.join(", ")
                        )));
                    }
                    Err(message) => {
                        error.try_set(Some(message));
                    }
                }
                busy.try_set(false);
            });
        };
        let undo_label = t!("timeline-merge-undo-named", names = names);
        view! {
            <li class="entry merge-entry">
                <span class="what">{what}</span>
                " "
                <span class="when">{when}</span>
                {undone.then(|| view! { <span class="badge">{t!("timeline-merge-undone")}</span> })}
                {details.map(|text| view! { <span class="details">{text}</span> })}
                {(!undone).then(|| view! {
                    <button type="button" class="link" aria-label=undo_label disabled=move || busy.get() on:click=undo>{t!("timeline-merge-undo")}</button>
                })}
            </li>
        }
        .into_any()
    }

    /// A task done or trashed, with the button that reopens or restores it.
    fn task_entry(self, task: Task) -> AnyView {
        let Timeline { replica, error, .. } = self;
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
        }
        .into_any()
    }

    /// A call, e-mail, text message, meeting or note, with the button that moves it to the
    /// trash (logged by mistake) or back: shown struck through there, never gone.
    fn activity_entry(self, activity_id: String, fields: Fields) -> AnyView {
        let Timeline { replica, error, .. } = self;
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
        let (button_key, label_key) = if trashed {
            ("activity-restore", "activity-restore-named")
        } else {
            ("activity-trash", "activity-trash-named")
        };
        let button_label = t!(label_key, what = headline.clone(), when = when.clone());
        let toggle = move |_| {
            let id = activity_id.clone();
            spawn_reported(error, async move {
                replica
                    .write(ACTIVITY, &id, vec![("deleted".to_owned(), json!(!trashed))])
                    .await
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
        }
        .into_any()
    }
}

/// The server's history entries (ascending HLC, as the endpoint returns them), each with
/// the value it replaced: the field's previous winning write. A write that lost replaced
/// nothing, but is shown against the value that beat it so far.
pub fn with_old_values(entries: Vec<HistoryEntry>) -> Vec<Item> {
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
