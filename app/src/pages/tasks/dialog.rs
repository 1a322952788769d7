//! The task form, as a dialog: title, due date and time, assignee, record, note. A new
//! task or an edit of one; only changed fields are written.

use leptos::prelude::*;
use minicrm_core::input::FieldError;
use minicrm_core::work::{self, Task};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::data::{TASK, use_replica};
use crate::i18n::field_error;
use crate::pages::dialogs::{DialogForm, close_asking, focus_when_shown, save_and_close};
use crate::pages::forms::{CheckedField, ChoiceOptions, DialogActions, FormError, TextField};
use crate::state::now::{from_local_input, rfc3339, to_local_input};
use crate::storage::rows::RowEdit;
use crate::t;

/// Records offered by the record picker at once.
const PICKER_LIMIT: usize = 50;

/// What the form starts from.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskDraft {
    /// The task being edited, or `None` for a new one.
    pub existing: Option<Task>,
    pub record_id: Option<Uuid>,
    pub title: String,
    /// As a `datetime-local` input holds it.
    pub due: String,
    pub assignee_id: Option<Uuid>,
    pub note: String,
}

impl TaskDraft {
    /// A new task, for `record` when given, assigned to `me`.
    pub fn new(record: Option<Uuid>, me: Option<Uuid>) -> TaskDraft {
        TaskDraft {
            existing: None,
            record_id: record,
            title: String::new(),
            due: String::new(),
            assignee_id: me,
            note: String::new(),
        }
    }

    /// An edit of `task`.
    pub fn of(task: &Task) -> TaskDraft {
        TaskDraft {
            existing: Some(task.clone()),
            record_id: task.record_id,
            title: task.title.clone(),
            due: task.due_ms.map(to_local_input).unwrap_or_default(),
            assignee_id: task.assignee_id,
            note: task.note.clone(),
        }
    }
}

#[derive(Default, Clone, PartialEq)]
struct Errors {
    title: Option<String>,
    due: Option<String>,
    record: Option<String>,
    note: Option<String>,
}

fn message(err: &FieldError) -> Option<String> {
    Some(field_error(err))
}

fn id_value(id: Option<Uuid>) -> Value {
    id.map_or(Value::Null, |id| json!(id.to_string()))
}

#[component]
pub fn TaskDialog(draft: TaskDraft, on_close: Callback<()>) -> impl IntoView {
    let replica = use_replica();
    let is_new = draft.existing.is_none();
    let record_fixed = draft.record_id.is_some();
    let title = RwSignal::new(draft.title.clone());
    let due = RwSignal::new(draft.due.clone());
    let assignee = RwSignal::new(
        draft
            .assignee_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
    );
    let record = RwSignal::new(draft.record_id);
    let note = RwSignal::new(draft.note.clone());
    let errors = RwSignal::new(Errors::default());
    let search = RwSignal::new(String::new());

    let record_name = move || {
        record.get().map(|id| {
            replica.with(|index| {
                index
                    .contact(&id)
                    .map(|c| c.display_name())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| t!("record-unnamed"))
            })
        })
    };
    let candidates = Memo::new(move |_| {
        let text = search.get();
        replica.with(|index| {
            let mut found: Vec<(String, String)> = index
                .find_contacts(&text, PICKER_LIMIT)
                .into_iter()
                .map(|c| (c.id.to_string(), c.display_name()))
                .collect();
            found.sort_by_key(|a| a.1.to_lowercase());
            found
        })
    });
    let users = Signal::derive(move || replica.with(|index| index.users()));

    let existing = draft.existing.clone();
    let submit = save_and_close(replica, on_close);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if submit.pending().get_untracked() {
            return;
        }
        let mut found = Errors::default();
        let title_value = work::title(&title.get_untracked());
        if let Err(err) = &title_value {
            found.title = message(err);
        }
        let due_text = due.get_untracked();
        let due_ms = from_local_input(&due_text);
        if !due_text.trim().is_empty() && due_ms.is_none() {
            found.due = Some(t!("error-date-time"));
        }
        if record.get_untracked().is_none() {
            found.record = Some(t!("task-record-required"));
        }
        let note_value = work::text(&note.get_untracked(), work::MAX_TEXT);
        if let Err(err) = &note_value {
            found.note = message(err);
        }
        let (Ok(title_value), Ok(note_value), None, None) =
            (title_value, note_value, &found.due, &found.record)
        else {
            errors.set(found);
            submit.clear();
            return;
        };
        errors.set(Errors::default());
        let assignee_id = Uuid::parse_str(&assignee.get_untracked()).ok();
        let wanted: Vec<(String, Value)> = vec![
            ("title".into(), json!(title_value)),
            (
                "due".into(),
                due_ms.map_or(Value::Null, |ms| json!(rfc3339(ms))),
            ),
            ("assignee_id".into(), id_value(assignee_id)),
            ("record_id".into(), id_value(record.get_untracked())),
            ("note".into(), note_value.map_or(Value::Null, Value::String)),
        ];
        let (id, changes) = match &existing {
            None => {
                let mut changes = wanted;
                changes.push(("done".into(), json!(false)));
                (Uuid::now_v7(), changes)
            }
            Some(task) => {
                // Only what changed: a colleague's edit of another field stays.
                let before = TaskDraft::of(task);
                let changes = wanted
                    .into_iter()
                    .filter(|(field, _)| match field.as_str() {
                        "title" => task.title != title_value_of(&title.get_untracked()),
                        // Compared as typed: a due time with seconds (an import's) stays
                        // as it is unless the user changed the field.
                        "due" => before.due != due_text,
                        "assignee_id" => task.assignee_id != assignee_id,
                        "record_id" => before.record_id != record.get_untracked(),
                        "note" => before.note.trim() != note.get_untracked().trim(),
                        _ => true,
                    })
                    .collect();
                (task.id, changes)
            }
        };
        if changes.is_empty() {
            on_close.run(());
            return;
        }
        submit.dispatch(vec![RowEdit {
            entity: TASK.into(),
            id: id.to_string(),
            changes,
        }]);
    };
    let heading = if is_new {
        t!("task-new-title")
    } else {
        t!("task-edit-title")
    };
    let error_of =
        move |pick: fn(&Errors) -> Option<String>| Signal::derive(move || errors.with(pick));
    let initial = draft.clone();
    let dirty = move || {
        title.get_untracked() != initial.title
            || due.get_untracked() != initial.due
            || note.get_untracked() != initial.note
            || record.get_untracked() != initial.record_id
            || Uuid::parse_str(&assignee.get_untracked()).ok() != initial.assignee_id
    };
    let close = close_asking(dirty, on_close);
    let first = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(first);
    view! {
        <DialogForm class="dialog task-dialog" title_id="task-dialog-title" title=heading on_submit=save on_close=close>
            <CheckedField id="task-title" node_ref=first label=t!("task-field-title") value=title error=error_of(|e| e.title.clone()) />
            <CheckedField id="task-due" kind="datetime-local" label=t!("task-field-due") value=due error=error_of(|e| e.due.clone()) />
            <div class="field">
                <label for="task-assignee">{t!("task-field-assignee")}</label>
                <select id="task-assignee" prop:value=move || assignee.get()
                    on:change=move |ev| assignee.set(event_target_value(&ev))>
                    <option value="">{t!("task-assignee-nobody")}</option>
                    <ChoiceOptions choices=users selected=assignee />
                </select>
            </div>
            {if record_fixed {
                view! {
                    <p class="task-record-fixed">{move || t!("task-for-record", name = record_name().unwrap_or_default())}</p>
                }.into_any()
            } else {
                view! {
                    <TextField id="task-record-search" kind="search" label=t!("task-record-search") value=search />
                    <div class="field">
                        <label for="task-record">{t!("task-field-record")}</label>
                        <select id="task-record"
                            prop:value=move || record.get().map(|id| id.to_string()).unwrap_or_default()
                            on:change=move |ev| record.set(Uuid::parse_str(&event_target_value(&ev)).ok())
                            aria-invalid=move || errors.with(|e| e.record.is_some()).to_string()
                            aria-describedby="task-record-error">
                            {move || match (record.get(), record_name()) {
                                (Some(id), Some(name)) => view! { <option value=id.to_string() selected>{name}</option> }.into_any(),
                                _ => view! { <option value="">{t!("task-record-choose")}</option> }.into_any(),
                            }}
                            {move || {
                                let chosen = record.get().map(|id| id.to_string());
                                candidates.get().into_iter()
                                    .filter(|(id, _)| Some(id) != chosen.as_ref())
                                    .map(|(id, name)| view! { <option value=id>{name}</option> })
                                    .collect_view()
                            }}
                        </select>
                        <p id="task-record-error" class="field-error">{error_of(|e| e.record.clone())}</p>
                    </div>
                }.into_any()
            }}
            <CheckedField id="task-note" rows="3" label=t!("task-field-note") value=note error=error_of(|e| e.note.clone()) />
            <FormError error=submit.error() />
            <DialogActions submit=t!("task-save") cancel=t!("record-cancel") busy=submit.pending() on_cancel=close />
        </DialogForm>
    }
}

/// The title as it would be stored (for comparing with the task's).
fn title_value_of(input: &str) -> String {
    work::title(input).unwrap_or_default()
}
