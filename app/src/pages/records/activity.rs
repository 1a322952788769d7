//! Logging what happened with a record: a call (direction, outcome, duration, note; "call
//! back later" asks when and creates the task), an e-mail or text message, a meeting, a
//! note. One dialog, its fields following the kind.

use leptos::prelude::*;
use minicrm_core::work::{self, ActivityKind};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::data::{ACTIVITY, TASK, use_replica};
use crate::i18n::field_error;
use crate::pages::dialogs::{DialogForm, close_asking, focus_when_shown, save_and_close};
use crate::pages::forms::{CheckedField, ChoiceOptions, DialogActions, FormError, TextField};
use crate::state::now::{from_local_input, rfc3339, to_local_input};
use crate::state::session::my_id;
use crate::storage::rows::RowEdit;
use crate::t;

/// What the dialog starts from.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityDraft {
    pub record_id: Uuid,
    pub kind: ActivityKind,
    /// The number dialled, for a call started from a `tel:` link.
    pub phone: String,
    /// When it started (ms since the epoch).
    pub at_ms: i64,
}

impl ActivityDraft {
    pub fn new(record_id: Uuid, kind: ActivityKind) -> ActivityDraft {
        ActivityDraft {
            record_id,
            kind,
            phone: String::new(),
            at_ms: js_sys::Date::now() as i64,
        }
    }
}

#[derive(Default, Clone, PartialEq)]
struct Errors {
    at: Option<String>,
    ends: Option<String>,
    duration: Option<String>,
    callback: Option<String>,
    text: Option<String>,
    short: Option<String>,
}

fn kind_label(kind: ActivityKind) -> String {
    t!(&format!("activity-kind-{}", kind.as_str()))
}

fn text_or_null(value: Option<String>) -> Value {
    value.map_or(Value::Null, Value::String)
}

#[component]
pub fn ActivityDialog(draft: ActivityDraft, on_close: Callback<()>) -> impl IntoView {
    let replica = use_replica();
    let me = my_id();
    let kind = RwSignal::new(draft.kind);
    let at = RwSignal::new(to_local_input(draft.at_ms));
    let ends = RwSignal::new(String::new());
    let direction = RwSignal::new("outgoing".to_owned());
    let outcome = RwSignal::new(String::new());
    let duration = RwSignal::new(String::new());
    let callback_at = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let phone = RwSignal::new(draft.phone.clone());
    let ticket = RwSignal::new(String::new());
    let user = RwSignal::new(me.map(|id| id.to_string()).unwrap_or_default());
    let errors = RwSignal::new(Errors::default());
    let record_id = draft.record_id;

    let outcomes = Signal::derive(move || replica.with(|index| index.choices("outcome")));
    let users = Signal::derive(move || replica.with(|index| index.users()));
    let asks_callback = move || {
        outcome.track();
        replica.version.track();
        asks_callback_untracked(replica, &outcome)
    };
    let is = move |wanted: ActivityKind| move || kind.get() == wanted;

    let submit = save_and_close(replica, on_close);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if submit.pending().get_untracked() {
            return;
        }
        let kind = kind.get_untracked();
        let mut found = Errors::default();
        let at_ms = from_local_input(&at.get_untracked());
        if at_ms.is_none() {
            found.at = Some(t!("error-date-time"));
        }
        let ends_text = ends.get_untracked();
        let ends_ms = from_local_input(&ends_text);
        if kind == ActivityKind::Meeting {
            if !ends_text.trim().is_empty() && ends_ms.is_none() {
                found.ends = Some(t!("error-date-time"));
            } else if let Some(Err(err)) = at_ms.map(|from| work::period(from, ends_ms)) {
                found.ends = Some(field_error(&err));
            }
        }
        let seconds = if kind == ActivityKind::Call {
            work::duration(&duration.get_untracked()).unwrap_or_else(|err| {
                found.duration = Some(field_error(&err));
                None
            })
        } else {
            None
        };
        let callback = kind == ActivityKind::Call && asks_callback_untracked(replica, &outcome);
        let callback_ms = from_local_input(&callback_at.get_untracked());
        if callback && callback_ms.is_none() {
            found.callback = Some(t!("activity-callback-required"));
        }
        let body = work::text(&text.get_untracked(), work::MAX_TEXT).unwrap_or_else(|err| {
            found.text = Some(field_error(&err));
            None
        });
        // Only the fields this kind shows count (one typed before switching kind does not).
        let mut short = |signal: RwSignal<String>, shown: bool| {
            if !shown {
                return None;
            }
            work::text(&signal.get_untracked(), work::MAX_SHORT).unwrap_or_else(|err| {
                found.short = Some(field_error(&err));
                None
            })
        };
        let meeting = kind == ActivityKind::Meeting;
        let subject_value = short(subject, kind == ActivityKind::Email);
        let name_value = short(name, meeting);
        let phone_value = short(phone, meeting || kind == ActivityKind::Call);
        let ticket_value = short(ticket, meeting);
        if kind == ActivityKind::Note && body.is_none() && found.text.is_none() {
            found.text = Some(t!("error-required"));
        }
        if found != Errors::default() {
            errors.set(found);
            submit.clear();
            return;
        }
        errors.set(Errors::default());
        let Some(at_ms) = at_ms else { return };
        let activity_id = Uuid::now_v7();
        let user_id = if kind == ActivityKind::Meeting {
            Uuid::parse_str(&user.get_untracked()).ok()
        } else {
            me
        };
        let mut changes: Vec<(String, Value)> = vec![
            ("record_id".into(), json!(record_id.to_string())),
            ("kind".into(), json!(kind.as_str())),
            ("at".into(), json!(rfc3339(at_ms))),
            (
                "user_id".into(),
                user_id.map_or(Value::Null, |id| json!(id.to_string())),
            ),
            ("text".into(), text_or_null(body)),
        ];
        if kind.has_direction() {
            changes.push(("direction".into(), json!(direction.get_untracked())));
        }
        let mut edits = Vec::new();
        match kind {
            ActivityKind::Call => {
                let chosen = outcome.get_untracked();
                changes.push((
                    "outcome_id".into(),
                    if chosen.is_empty() {
                        Value::Null
                    } else {
                        json!(chosen)
                    },
                ));
                changes.push((
                    "duration_s".into(),
                    seconds.map_or(Value::Null, |s| json!(s)),
                ));
                changes.push(("phone".into(), text_or_null(phone_value)));
                if let (true, Some(due)) = (callback, callback_ms) {
                    let task_id = Uuid::now_v7();
                    changes.push(("task_id".into(), json!(task_id.to_string())));
                    edits.push(RowEdit {
                        entity: TASK.into(),
                        id: task_id.to_string(),
                        changes: vec![
                            ("record_id".into(), json!(record_id.to_string())),
                            ("title".into(), json!(t!("task-callback-title"))),
                            ("due".into(), json!(rfc3339(due))),
                            (
                                "assignee_id".into(),
                                me.map_or(Value::Null, |id| json!(id.to_string())),
                            ),
                            ("done".into(), json!(false)),
                        ],
                    });
                }
            }
            ActivityKind::Email => {
                changes.push(("subject".into(), text_or_null(subject_value)));
            }
            ActivityKind::Meeting => {
                changes.push(("name".into(), text_or_null(name_value)));
                changes.push(("phone".into(), text_or_null(phone_value)));
                changes.push(("ticket".into(), text_or_null(ticket_value)));
                changes.push((
                    "ends_at".into(),
                    ends_ms.map_or(Value::Null, |ms| json!(rfc3339(ms))),
                ));
            }
            ActivityKind::Sms | ActivityKind::Note => {}
        }
        edits.insert(
            0,
            RowEdit {
                entity: ACTIVITY.into(),
                id: activity_id.to_string(),
                changes,
            },
        );
        submit.dispatch(edits);
    };
    let error_of =
        move |pick: fn(&Errors) -> Option<String>| Signal::derive(move || errors.with(pick));
    let dirty = move || {
        [
            duration,
            callback_at,
            text,
            subject,
            name,
            ticket,
            ends,
            outcome,
        ]
        .iter()
        .any(|signal| !signal.get_untracked().trim().is_empty())
    };
    let close = close_asking(dirty, on_close);
    let first = NodeRef::<leptos::html::Select>::new();
    focus_when_shown(first);
    view! {
        <DialogForm class="dialog activity-dialog" title_id="activity-dialog-title" on_submit=save on_close=close
            title=Signal::derive(move || t!("activity-log-title", kind = kind_label(kind.get())))>
            <div class="field">
                <label for="activity-kind">{t!("activity-field-kind")}</label>
                <select id="activity-kind" node_ref=first prop:value=move || kind.get().as_str()
                    on:change=move |ev| kind.set(ActivityKind::parse(&event_target_value(&ev)).unwrap_or_default())>
                    {ActivityKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{kind_label(k)}</option> }).collect_view()}
                </select>
            </div>
            <Show when=move || kind.get().has_direction()>
                <div class="field">
                    <label for="activity-direction">{t!("activity-field-direction")}</label>
                    <select id="activity-direction" prop:value=move || direction.get()
                        on:change=move |ev| direction.set(event_target_value(&ev))>
                        <option value="outgoing">{t!("activity-direction-outgoing")}</option>
                        <option value="incoming">{t!("activity-direction-incoming")}</option>
                    </select>
                </div>
            </Show>
            <CheckedField id="activity-at" kind="datetime-local" value=at error=error_of(|e| e.at.clone())
                label=Signal::derive(move || if kind.get() == ActivityKind::Meeting { t!("activity-field-from") } else { t!("activity-field-at") }) />
            <Show when=is(ActivityKind::Meeting)>
                <CheckedField id="activity-ends" kind="datetime-local" label=t!("activity-field-to") value=ends error=error_of(|e| e.ends.clone()) />
                <TextField id="activity-name" kind="text" maxlength="200" label=t!("activity-field-name") value=name />
                <div class="field">
                    <label for="activity-user">{t!("activity-field-user")}</label>
                    <select id="activity-user" prop:value=move || user.get() on:change=move |ev| user.set(event_target_value(&ev))>
                        <ChoiceOptions choices=users selected=user />
                    </select>
                </div>
                <TextField id="activity-ticket" kind="text" maxlength="200" label=t!("activity-field-ticket") value=ticket />
            </Show>
            <Show when=move || matches!(kind.get(), ActivityKind::Call | ActivityKind::Meeting)>
                <TextField id="activity-phone" kind="tel" maxlength="200" label=t!("activity-field-phone") value=phone />
            </Show>
            <Show when=is(ActivityKind::Call)>
                <div class="field">
                    <label for="activity-outcome">{t!("activity-field-outcome")}</label>
                    <select id="activity-outcome" prop:value=move || outcome.get() on:change=move |ev| outcome.set(event_target_value(&ev))>
                        <option value="">{t!("activity-outcome-none")}</option>
                        <ChoiceOptions choices=outcomes selected=outcome />
                    </select>
                </div>
                <Show when=asks_callback>
                    <CheckedField id="activity-callback" kind="datetime-local" label=t!("activity-field-callback") value=callback_at
                        error=error_of(|e| e.callback.clone()) />
                </Show>
                <CheckedField id="activity-duration" inputmode="numeric" placeholder="m:ss" label=t!("activity-field-duration") value=duration
                    error=error_of(|e| e.duration.clone()) />
            </Show>
            <Show when=is(ActivityKind::Email)>
                <TextField id="activity-subject" kind="text" maxlength="200" label=t!("activity-field-subject") value=subject />
            </Show>
            <p class="field-error" role="alert">{error_of(|e| e.short.clone())}</p>
            <CheckedField id="activity-text" rows="4" value=text error=error_of(|e| e.text.clone())
                label=Signal::derive(move || match kind.get() {
                    ActivityKind::Email | ActivityKind::Sms => t!("activity-field-message"),
                    _ => t!("activity-field-note"),
                }) />
            <FormError error=submit.error() />
            <DialogActions submit=t!("activity-save") cancel=t!("record-cancel") busy=submit.pending() on_cancel=close />
        </DialogForm>
    }
}

/// Whether the chosen outcome is one that asks for a callback time ("call back later").
fn asks_callback_untracked(replica: crate::data::Replica, outcome: &RwSignal<String>) -> bool {
    let chosen = outcome.get_untracked();
    !chosen.is_empty()
        && replica.with_untracked(|index| {
            index
                .row("outcome", &chosen)
                .is_some_and(|row| row.bool("callback"))
        })
}
