//! The record form's inputs: text, choices, phones, e-mails, managers, memberships and
//! custom fields, each reading and writing its part of the form.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use minicrm_core::input::CustomType;
use minicrm_core::schema::PHONE_TYPES;

use super::form_model::{FormData, Raw};
use crate::data::settings::{Choice, FieldDef};
use crate::data::use_replica;
use crate::pages::forms::ChoiceOptions;
use crate::t;

pub fn text_of(form: RwSignal<FormData>, field: &'static str) -> impl Fn() -> String + Copy {
    move || form.with(|f| f.get(field).map(Raw::text).unwrap_or_default())
}

pub fn set_text(form: RwSignal<FormData>, field: &'static str, value: String) {
    form.update(|f| {
        f.insert(field.to_owned(), Raw::Text(value));
    });
}

#[component]
pub fn TextInput(
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
pub fn ChoiceSelect(
    form: RwSignal<FormData>,
    field: &'static str,
    choices: Signal<Vec<Choice>>,
    empty_label: String,
) -> impl IntoView {
    let id = format!("record-{}", field.replace('_', "-"));
    let current = Signal::derive(text_of(form, field));
    let shown = Signal::derive(move || {
        let current = current.get();
        let mut choices = choices.get();
        // A value that is no longer a choice (deleted in settings) stays visible.
        if !current.is_empty() && !choices.iter().any(|c| c.id == current) {
            choices.push(Choice {
                id: current.clone(),
                name: current,
            });
        }
        choices
    });
    view! {
        <div class="field">
            <label for=id.clone()>{t!(&format!("label-{field}"))}</label>
            <select id=id prop:value=text_of(form, field) on:change=move |e| set_text(form, field, event_target_value(&e))>
                <option value="">{empty_label.clone()}</option>
                <ChoiceOptions choices=shown selected=current />
            </select>
        </div>
    }
}

type PhoneList = Vec<(String, String)>;

#[component]
pub fn PhonesInput(
    form: RwSignal<FormData>,
    draft: RwSignal<FormData>,
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
                            <input id=number_id type="tel" autocomplete="off" prop:value=number
                                on:input=move |e| typed(draft, "phones", i, event_target_value(&e))
                                on:change=move |e| { let v = event_target_value(&e); edit(&mut |l| if let Some(p) = l.get_mut(i) { p.1 = v.clone(); }); } />
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

/// What is being typed in the `i`th phone or e-mail, as the draft (the form follows on
/// change: typing into the form would rebuild the list under the cursor).
fn typed(draft: RwSignal<FormData>, field: &str, i: usize, text: String) {
    draft.update(|draft| match draft.get_mut(field) {
        Some(Raw::Phones(list)) => {
            if let Some(phone) = list.get_mut(i) {
                phone.1 = text;
            }
        }
        Some(Raw::Lines(list)) => {
            if let Some(line) = list.get_mut(i) {
                *line = text;
            }
        }
        _ => {}
    });
}

/// The e-mails; `draft` hears every keystroke.
#[component]
pub fn EmailsInput(
    form: RwSignal<FormData>,
    draft: RwSignal<FormData>,
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
                            <input id=input_id type="email" autocomplete="off" prop:value=email
                                on:input=move |e| typed(draft, "emails", i, event_target_value(&e))
                                on:change=move |e| { let v = event_target_value(&e); edit(&mut |l| if let Some(x) = l.get_mut(i) { *x = v.clone(); }); } />
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
pub fn ManagersInput(form: RwSignal<FormData>) -> impl IntoView {
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
pub fn MembershipsInput(form: RwSignal<FormData>, entity: &'static str) -> impl IntoView {
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
pub fn CustomFieldsInput(
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
