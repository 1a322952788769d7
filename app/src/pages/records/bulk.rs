//! Bulk actions on selected records: ordinary changes through the outbox, written in
//! chunks (one transaction each) with progress, so thousands of records never freeze the
//! page and a closed tab leaves whole chunks, never half a record.

use std::collections::HashSet;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use minicrm_core::access::Actor;
use serde_json::{Value, json};
use uuid::Uuid;

use super::filters::nobody_option;
use crate::data::settings::Choice;
use crate::data::{CONTACT, use_replica};
use crate::pages::forms::{ChoiceOptions, FormDone, FormError, Submit};
use crate::state::session::use_session;
use crate::storage::StorageError;
use crate::storage::rows::RowEdit;
use crate::t;

/// Records written per transaction.
const CHUNK: usize = 250;
/// Chunks between refreshes of the list and wake-ups of the sync.
const REFRESH_EVERY: usize = 20;

const ACTIONS: &[&str] = &[
    "add_segment",
    "remove_segment",
    "add_campaign",
    "remove_campaign",
    "set_category",
    "set_stage",
    "set_owner",
    "trash",
];

/// The changes an action makes to each record, or `None` when it needs a target.
fn changes_for(action: &str, target: &str) -> Option<Vec<(String, Value)>> {
    let id_or_null = |t: &str| if t == "-" { Value::Null } else { json!(t) };
    Some(match action {
        "trash" => vec![("deleted".into(), json!(true))],
        _ if target.is_empty() => return None,
        "add_segment" => vec![(format!("segment:{target}"), json!(true))],
        "remove_segment" => vec![(format!("segment:{target}"), json!(false))],
        "add_campaign" => vec![(format!("campaign:{target}"), json!(true))],
        "remove_campaign" => vec![(format!("campaign:{target}"), json!(false))],
        "set_category" => vec![("category_id".into(), id_or_null(target))],
        "set_stage" => vec![("stage_id".into(), id_or_null(target))],
        "set_owner" => vec![("owner_id".into(), id_or_null(target))],
        _ => return None,
    })
}

#[component]
pub fn BulkBar(selected: RwSignal<HashSet<Uuid>>) -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let action = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<(usize, usize)>);
    let message = RwSignal::new(None::<String>);
    Effect::new(move || {
        action.track();
        target.set(String::new());
    });
    let targets = move || -> Vec<Choice> {
        let action = action.get();
        replica.with(|index| match action.as_str() {
            "add_segment" | "remove_segment" => index.choices("segment"),
            "add_campaign" | "remove_campaign" => index.choices("campaign"),
            "set_category" => index.choices("category"),
            "set_stage" => index.stage_choices(),
            "set_owner" => {
                let actor = session.user().map(|user| Actor::from(&user));
                index.assignable_owners(actor.as_ref())
            }
            _ => Vec::new(),
        })
    };
    let needs_target = move || action.with(|a| !a.is_empty() && a != "trash");
    let nobody_allowed = move || action.with(|a| a.starts_with("set_"));
    let submit = Submit::new(
        move |(action_name, changes, ids): (String, Vec<(String, Value)>, Vec<Uuid>)| async move {
            let total = ids.len();
            let mut done = 0;
            for chunk in ids.chunks(CHUNK) {
                let edits: Vec<RowEdit> = chunk
                    .iter()
                    .map(|id| RowEdit {
                        entity: CONTACT.into(),
                        id: id.to_string(),
                        changes: changes.clone(),
                    })
                    .collect();
                if let Err(err) = replica.write_quietly(edits).await {
                    replica.written();
                    progress.set(None);
                    if err == StorageError::NotOwner {
                        // Logged out (here or in another tab) or another user logged in:
                        // nothing more is written for this user.
                        return Err(t!(
                            "bulk-not-owner",
                            done = done.to_string(),
                            total = total.to_string()
                        ));
                    }
                    return Err(t!(
                        "bulk-failed",
                        done = done.to_string(),
                        total = total.to_string(),
                        message = err.to_string()
                    ));
                }
                done += chunk.len();
                progress.set(Some((done, total)));
                // The list and the sync hear of it now and then, not after every chunk
                // (each refresh re-sorts the list).
                if done % (CHUNK * REFRESH_EVERY) == 0 {
                    replica.written();
                }
                // Let the page paint and answer clicks between chunks.
                TimeoutFuture::new(0).await;
            }
            replica.written();
            progress.set(None);
            message.set(Some(t!("bulk-done", count = total.to_string())));
            if action_name == "trash" {
                selected.update(HashSet::clear);
            }
            Ok(())
        },
    );
    let apply = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if progress.get_untracked().is_some() {
            return;
        }
        let action_name = action.get_untracked();
        let Some(changes) = changes_for(&action_name, &target.get_untracked()) else {
            submit.fail(t!("bulk-choose"));
            return;
        };
        let ids: Vec<Uuid> = selected.get_untracked().into_iter().collect();
        message.set(None);
        progress.set(Some((0, ids.len())));
        submit.dispatch((action_name, changes, ids));
    };
    view! {
        <Show when=move || !selected.with(HashSet::is_empty) || progress.get().is_some() || message.get().is_some()>
            <form class="bulk-bar panel" on:submit=apply aria-label=t!("bulk-title")>
                <div class="field">
                    <label for="bulk-action">{move || t!("bulk-action", count = selected.with(HashSet::len).to_string())}</label>
                    <select id="bulk-action" prop:value=move || action.get() on:change=move |e| action.set(event_target_value(&e))>
                        <option value="">{t!("bulk-choose-action")}</option>
                        {ACTIONS.iter().map(|a| view! { <option value=*a>{t!(&format!("bulk-{a}"))}</option> }).collect_view()}
                    </select>
                </div>
                <Show when=needs_target>
                    <div class="field">
                        <label for="bulk-target">{t!("bulk-target")}</label>
                        <select id="bulk-target" prop:value=move || target.get() on:change=move |e| target.set(event_target_value(&e))>
                            <option value="">{t!("filter-choose-value")}</option>
                            {move || nobody_allowed().then(|| nobody_option(move || target.get()))}
                            <ChoiceOptions choices=Signal::derive(targets) selected=target />
                        </select>
                    </div>
                </Show>
                <button type="submit" class="primary" disabled=move || progress.get().is_some() || selected.with(HashSet::is_empty)>{t!("bulk-apply")}</button>
                {move || progress.get().map(|(done, total)| view! {
                    <div class="progress" role="status">
                        <label for="bulk-progress">{t!("bulk-progress", done = done.to_string(), total = total.to_string())}</label>
                        <progress id="bulk-progress" max=total.to_string() value=done.to_string()></progress>
                    </div>
                })}
                <FormDone message=message />
                <FormError error=submit.error() />
            </form>
        </Show>
    }
}
