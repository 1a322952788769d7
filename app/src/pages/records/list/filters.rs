//! The filter widgets: the search box, the quick filters (segment, campaign, owner, stage,
//! "my open task"), "More filters" for a condition on any field, and the chips of the
//! active conditions.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use minicrm_core::query::{Condition, Op};
use serde_json::{Value, json};

use crate::data::settings::Choice;
use crate::pages::forms::{ChoiceOptions, DialogActions, FormError};
use crate::pages::records::filters::{
    FilterField, ValueKind, describe, nobody_option, op_from_name, op_label, op_name, takes_value,
};
use crate::pages::records::views::ListState;
use crate::t;

/// "Records where I have an open task", whoever owns them: a checkbox among the quick
/// filters that sets or clears the `my_open_task` condition.
#[component]
fn MyTasksFilter(state: ListState) -> impl IntoView {
    let checked = move || {
        state
            .conditions
            .with(|conditions| conditions.iter().any(|c| c.field == "my_open_task"))
    };
    let change = move |event: ev::Event| {
        let on = event_target_checked(&event);
        state.conditions.update(|conditions| {
            conditions.retain(|c| c.field != "my_open_task");
            if on {
                conditions.push(Condition {
                    field: "my_open_task".to_owned(),
                    op: Op::Is,
                    value: json!(true),
                });
            }
        });
    };
    view! {
        <div class="field checkbox-field">
            <input id="quick-filter-my-tasks" type="checkbox" prop:checked=checked on:change=change />
            <label for="quick-filter-my-tasks">{t!("filter-field-my_open_task")}</label>
        </div>
    }
}

/// A select for one common filter (segment, campaign, owner, stage): it sets or clears
/// that field's `is` condition.
#[component]
fn QuickFilter(
    state: ListState,
    fields: Memo<Vec<FilterField>>,
    field: &'static str,
) -> impl IntoView {
    let id = format!("quick-filter-{field}");
    let current = move || {
        state.conditions.with(|conditions| {
            conditions
                .iter()
                .find(|c| c.field == field && c.op == Op::Is)
                .map(|c| match &c.value {
                    Value::String(id) => id.clone(),
                    Value::Null => "-".to_owned(),
                    _ => String::new(),
                })
                .unwrap_or_default()
        })
    };
    let change = move |event: ev::Event| {
        let value = event_target_value(&event);
        state.conditions.update(|conditions| {
            conditions.retain(|c| !(c.field == field && c.op == Op::Is));
            if !value.is_empty() {
                conditions.push(Condition {
                    field: field.to_owned(),
                    op: Op::Is,
                    value: if value == "-" {
                        Value::Null
                    } else {
                        json!(value)
                    },
                });
            }
        });
    };
    view! {
        <div class="field">
            <label for=id.clone()>{t!(&format!("filter-field-{field}"))}</label>
            <select id=id prop:value=current on:change=change>
                <option value="">{t!("filter-any")}</option>
                {move || {
                    fields.with(|fields| {
                        let f = fields.iter().find(|f| f.field == field)?;
                        let ValueKind::Choice { choices, nobody } = &f.value else { return None };
                        Some(view! {
                            {nobody.then(|| nobody_option(current))}
                            <ChoiceOptions choices=choices.clone() selected=Signal::derive(current) />
                        })
                    })
                }}
            </select>
        </div>
    }
}

/// "More filters": add a condition on any field.
#[component]
fn MoreFilters(state: ListState, fields: Memo<Vec<FilterField>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let field = RwSignal::new(String::new());
    let op = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let chosen =
        move || fields.with(|fields| fields.iter().find(|f| f.field == field.get()).cloned());
    let field_choices = Signal::derive(move || {
        fields
            .get()
            .into_iter()
            .map(|f| Choice {
                id: f.field,
                name: f.label,
            })
            .collect()
    });
    let op_choices = Signal::derive(move || {
        chosen().map_or_else(Vec::new, |f| {
            f.ops
                .into_iter()
                .map(|o| Choice {
                    id: op_name(o).to_owned(),
                    name: op_label(o),
                })
                .collect()
        })
    });
    // A new field starts with its first operator and no value.
    Effect::new(move || {
        let f = chosen();
        op.set(
            f.and_then(|f| f.ops.first().map(|op| op_name(*op).to_owned()))
                .unwrap_or_default(),
        );
        value.set(String::new());
    });
    let add = move |event: ev::SubmitEvent| {
        event.prevent_default();
        let Some(f) = chosen() else {
            error.set(Some(t!("filter-choose-field")));
            return;
        };
        let Some(op) = op_from_name(&op.get_untracked()) else {
            return;
        };
        let raw = value.get_untracked();
        let value = if !takes_value(op) {
            Value::Null
        } else {
            match &f.value {
                ValueKind::Flag => json!(true),
                ValueKind::YesNo => json!(raw == "true"),
                ValueKind::Number => match minicrm_core::input::number(&raw) {
                    Ok(n) => json!(n),
                    Err(_) => {
                        error.set(Some(t!("filter-enter-number")));
                        return;
                    }
                },
                ValueKind::Choice { .. } if raw == "-" => Value::Null,
                _ if raw.trim().is_empty() => {
                    error.set(Some(t!("filter-enter-value")));
                    return;
                }
                _ => json!(raw.trim()),
            }
        };
        error.set(None);
        state.conditions.update(|c| {
            c.push(Condition {
                field: f.field.clone(),
                op,
                value,
            })
        });
        open.set(false);
    };
    view! {
        <button type="button" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>{t!("records-more-filters")}</button>
        <Show when=move || open.get()>
            <form class="panel more-filters" on:submit=add aria-label=t!("records-more-filters")>
                <div class="field">
                    <label for="filter-field">{t!("filter-field")}</label>
                    <select id="filter-field" on:change=move |e| field.set(event_target_value(&e)) prop:value=move || field.get()>
                        <option value="">{t!("filter-choose-field")}</option>
                        <ChoiceOptions choices=field_choices selected=field />
                    </select>
                </div>
                <div class="field">
                    <label for="filter-op">{t!("filter-op")}</label>
                    <select id="filter-op" on:change=move |e| op.set(event_target_value(&e)) prop:value=move || op.get()>
                        <ChoiceOptions choices=op_choices selected=op />
                    </select>
                </div>
                {move || {
                    let f = chosen()?;
                    let needs = op_from_name(&op.get()).is_some_and(takes_value) && f.value != ValueKind::Flag;
                    needs.then(|| view! {
                        <div class="field">
                            <label for="filter-value">{t!("filter-value")}</label>
                            {match f.value {
                                ValueKind::Choice { choices, nobody } => view! {
                                    <select id="filter-value" on:change=move |e| value.set(event_target_value(&e)) prop:value=move || value.get()>
                                        <option value="">{t!("filter-choose-value")}</option>
                                        {nobody.then(|| nobody_option(move || value.get()))}
                                        <ChoiceOptions choices=choices selected=value />
                                    </select>
                                }.into_any(),
                                ValueKind::YesNo => view! {
                                    <select id="filter-value" on:change=move |e| value.set(event_target_value(&e)) prop:value=move || value.get()>
                                        <option value="true">{t!("value-yes")}</option>
                                        <option value="false">{t!("value-no")}</option>
                                    </select>
                                }.into_any(),
                                ValueKind::Date => view! { <input id="filter-value" type="date" bind:value=value /> }.into_any(),
                                ValueKind::Number => view! { <input id="filter-value" inputmode="decimal" bind:value=value /> }.into_any(),
                                _ => view! { <input id="filter-value" autocomplete="off" bind:value=value /> }.into_any(),
                            }}
                        </div>
                    })
                }}
                <FormError error=error />
                <DialogActions submit=t!("filter-add") cancel=t!("record-cancel") busy=false on_cancel=Callback::new(move |()| open.set(false)) />
            </form>
        </Show>
    }
}

#[component]
pub fn ConditionChips(state: ListState, fields: Memo<Vec<FilterField>>) -> impl IntoView {
    view! {
        <ul class="chips" aria-label=t!("records-active-filters")>
            {move || {
                let fields = fields.get();
                state.conditions.get().into_iter().enumerate().map(|(i, condition)| {
                    let text = describe(&condition, &fields);
                    let label = t!("records-remove-filter", filter = text.clone());
                    view! {
                        <li class="chip">
                            <span>{text}</span>
                            <button type="button" class="icon" aria-label=label on:click=move |_| state.conditions.update(|c| { if i < c.len() { c.remove(i); } })>"×"</button>
                        </li>
                    }
                }).collect_view()
            }}
        </ul>
    }
}

/// The search box, the quick filters, "More filters" and Reset. `search_box` is the
/// search input (the `/` key focuses it).
#[component]
pub fn FilterBar(
    state: ListState,
    fields: Memo<Vec<FilterField>>,
    search_box: NodeRef<html::Input>,
) -> impl IntoView {
    let reset = move |_| {
        state.text.set(String::new());
        state.conditions.set(Vec::new());
        state.active_view.set(None);
    };
    let filtered =
        move || !state.text.with(|t| t.trim().is_empty()) || !state.conditions.with(Vec::is_empty);
    view! {
        <div class="filter-bar" role="search">
            <div class="field search-field">
                <label for="records-search">{t!("records-search")}</label>
                <input
                    id="records-search"
                    type="search"
                    node_ref=search_box
                    autocomplete="off"
                    aria-keyshortcuts="/"
                    placeholder=t!("records-search-hint")
                    prop:value=move || state.text.get()
                    on:input=move |event| {
                        let value = event_target_value(&event);
                        crate::state::measure::measure("minicrm-keystroke", move || state.text.set(value));
                    }
                />
            </div>
            <QuickFilter state=state fields=fields field="segment" />
            <QuickFilter state=state fields=fields field="campaign" />
            <QuickFilter state=state fields=fields field="owner_id" />
            <QuickFilter state=state fields=fields field="stage_id" />
            <MyTasksFilter state=state />
            <MoreFilters state=state fields=fields />
            <button type="button" on:click=reset disabled=move || !filtered()>{t!("records-reset")}</button>
        </div>
    }
}
