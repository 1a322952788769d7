//! The record form: every standard and custom field, owner and managers, memberships;
//! input is checked and normalized before anything is written, and a save writes only the
//! fields the user changed, through the outbox.

use std::collections::BTreeMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use minicrm_core::access::Actor;
use minicrm_core::query::SearchIndex;
use minicrm_core::record::{Contact, ContactKind};
use serde_json::{Value, json};

use super::form_model::{FormData, edited, form_changes, typed_keys};
use super::inputs::{
    ChoiceSelect, CustomFieldsInput, EmailsInput, ManagersInput, MembershipsInput, PhonesInput,
    TextInput, set_text, text_of,
};
use crate::data::settings::Choice;
use crate::data::{CONTACT, Index, Replica, use_replica};
use crate::i18n::field_error;
use crate::pages::dialogs::guard_unsaved;
use crate::pages::forms::{FormDone, FormError, Submit};
use crate::pages::records::duplicates::same_key_text;
use crate::pages::records::list::search;
use crate::state::session::use_session;
use crate::t;
use leptos_router::components::A;
use minicrm_core::duplicates;
use minicrm_core::keys;
use uuid::Uuid;

#[component]
pub fn RecordForm(
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
    let saved = RwSignal::new(false);
    let dirty = move || baseline.with(|base| form.with(|f| edited(f, base, !is_new)));
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
    guard_unsaved(move || dirty_untracked(form, baseline));

    let defs = Memo::new(move |_| replica.with(|index| index.field_defs()));
    let country = Memo::new(move |_| replica.with(|index| index.default_country()));
    let categories = listed(replica, |index| index.choices("category"));
    let stages = listed(replica, Index::stage_choices);
    let owners = Signal::derive(move || {
        let actor = session.user().map(|u| Actor {
            user_id: u.id,
            role: u.role,
        });
        replica.with(|index| index.assignable_owners(actor.as_ref()))
    });
    // A source is stored by its name.
    let sources = listed(replica, |index| {
        index
            .choices("source")
            .into_iter()
            .map(|c| Choice {
                id: c.name.clone(),
                name: c.name,
            })
            .collect()
    });
    let companies = listed(replica, |index| {
        let mut companies: Vec<Choice> = index
            .contacts()
            .iter()
            .filter(|c| c.kind == ContactKind::Company && !c.deleted)
            .map(|c| Choice {
                id: c.id.to_string(),
                name: c.display_name(),
            })
            .collect();
        companies.sort_by_key(|c| c.name.to_lowercase());
        companies
    });
    let is_company = move || text_of(form, "kind")() == "company";
    let id_uuid = Uuid::parse_str(&id).ok();
    // The form with what is being typed in a phone or e-mail (the form hears it on
    // change): the "may be the same as" warning follows every keystroke.
    let draft = RwSignal::new(form.get_untracked());
    Effect::new(move || draft.set(form.get()));

    let id_for_save = id.clone();
    let save = Submit::new(move |(changes, edited): (Vec<(String, Value)>, FormData)| {
        let id = id_for_save.clone();
        let navigate = navigate.clone();
        async move {
            replica
                .write(CONTACT, &id, changes)
                .await
                .map_err(|err| t!("error-unexpected", message = err.to_string()))?;
            saved.set(true);
            baseline.set(edited);
            if is_new {
                navigate(&format!("/records/{id}"), Default::default());
            }
            Ok(())
        }
    });
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
                errors.set(
                    problems
                        .iter()
                        .map(|(field, err)| (field.clone(), field_error(err)))
                        .collect(),
                );
                saved.set(false);
                save.fail(t!("record-fix-errors"));
                return;
            }
        };
        errors.set(BTreeMap::new());
        save.clear();
        // Linking to a company copies its name into `company`.
        if let Some((_, Value::String(org))) = changes.iter().find(|(f, _)| f == "organization_id")
        {
            let name = companies
                .with_untracked(|c| c.iter().find(|c| c.id == *org).map(|c| c.name.clone()));
            if let Some(name) = name {
                changes.retain(|(f, _)| f != "company");
                changes.push(("company".into(), json!(name)));
            }
        }
        if changes.is_empty() {
            return;
        }
        save.dispatch((changes, edited));
    };
    let navigate_cancel = use_navigate();
    let cancel = move |_| {
        errors.set(BTreeMap::new());
        save.clear();
        if is_new {
            navigate_cancel("/records", Default::default());
        } else {
            form.set(baseline.get_untracked());
        }
    };
    let trash = move |_| {
        let id = id.clone();
        spawn_local(async move {
            let _ = replica
                .write(CONTACT, &id, vec![("deleted".into(), json!(true))])
                .await;
        });
    };
    let saved_now = Signal::derive(move || (saved.get() && !dirty()).then(|| t!("record-saved")));
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
            <PhonesInput form=form draft=draft errors=errors country=country />
            <EmailsInput form=form draft=draft errors=errors />
            <SameAs form=draft own=id_uuid country=country />
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
                <ChoiceSelect form=form field="category_id" choices=categories empty_label=t!("record-none") />
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
            <FormError error=save.error() />
            <FormDone message=saved_now />
            <div class="actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>{t!("record-save")}</button>
                <button type="button" on:click=cancel>{t!("record-cancel")}</button>
                {(!is_new).then(|| view! {
                    <button type="button" class="danger" on:click=trash.clone()>{t!("record-trash")}</button>
                })}
            </div>
        </form>
    }
}

/// Records shown at most by the "may be the same as" warning.
const SAME_AS_SHOWN: usize = 5;

/// "This may be the same as: …": the other records holding a phone, e-mail or identifier
/// typed in the form, with links, as soon as it is whole (offline: the device's records,
/// by core's matching keys). Saving anyway is allowed.
#[component]
fn SameAs(form: RwSignal<FormData>, own: Option<Uuid>, country: Memo<String>) -> impl IntoView {
    let replica = use_replica();
    // Only the typed keys: other fields' keystrokes do not look again.
    let keys = Memo::new(move |_| {
        let values = form.with(|form| typed_keys(form, &country.get()));
        keys::keys_of_values(&values)
    });
    let with_index = move |f: &mut dyn FnMut(&[Contact], &SearchIndex)| {
        replica.with(|index| {
            let version = replica.version.get_untracked();
            search::with_search_index(index, version, |contacts, search| f(contacts, search))
        })
    };
    // The records' search index made when the form opens, not on the first key typed.
    Effect::new(move |_| {
        replica.with_untracked(|index| {
            let version = replica.version.get_untracked();
            search::with_search_index(index, version, |_, _| ());
        });
    });
    let found = Memo::new(move |_| {
        let keys = keys.get();
        let mut found = Vec::new();
        with_index(&mut |contacts, search| {
            // (Timed for `cargo xtask bench`: the look-up a keystroke causes.)
            found = crate::state::measure::measured("minicrm-same-as", || {
                duplicates::holders_among(contacts, search, &keys, own, SAME_AS_SHOWN)
                    .into_iter()
                    .map(|(contact, key)| (contact.id, contact.display_name(), key))
                    .collect::<Vec<_>>()
            });
        });
        found
    });
    view! {
        {move || {
            let found = found.get();
            (!found.is_empty()).then(|| {
                let country = country.get();
                view! {
                    <div class="notice same-as" role="status" aria-label=t!("record-same-as")>
                        <p>{t!("record-same-as")}</p>
                        <ul class="plain-list">
                            {found.into_iter().map(|(id, name, key)| view! {
                                <li>
                                    <A href=format!("/records/{id}")>{name}</A>
                                    " · "
                                    <span class="hint">{same_key_text(&key, &country)}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    </div>
                }
            })
        }}
    }
}

fn dirty_untracked(form: RwSignal<FormData>, baseline: RwSignal<FormData>) -> bool {
    baseline.with_untracked(|base| form.with_untracked(|f| edited(f, base, true)))
}

/// A list of choices the replica holds, following it.
fn listed(
    replica: Replica,
    list: impl Fn(&Index) -> Vec<Choice> + Send + Sync + 'static,
) -> Signal<Vec<Choice>> {
    Signal::derive(move || replica.with(&list))
}
