//! The settings catalog: named lists (segments, campaigns, categories, sources, outcomes,
//! stages), custom fields, pipelines, the default phone country. Each is rows written
//! through the outbox like any edit.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::input::{CustomType, custom_key};
use minicrm_core::phone;
use minicrm_core::schema::CONFIG_ID;
use serde_json::{Value, json};

use crate::data::{Replica, SettingRow, use_replica};
use crate::pages::forms::{FormDone, FormError, Submit, TextField};
use crate::state::zone::{Zone, zone_names};
use crate::t;

/// One row's write: entity, id, the fields to set.
type RowWrite = (&'static str, String, Vec<(String, Value)>);

/// Writes one settings row; a failure as the panel says it.
async fn write_row(replica: Replica, (entity, id, changes): RowWrite) -> Result<(), String> {
    replica
        .write(entity, &id, changes)
        .await
        .map_err(|err| t!("error-unexpected", message = err.to_string()))
}

/// A settings panel's writes: its form's submission (add, save: one at a time) and the
/// edits made in place (rename, reorder, remove, options), which run as they come; every
/// failure shows as the panel's one error.
#[derive(Clone, Copy)]
struct Panel {
    replica: Replica,
    submit: Submit<RowWrite>,
}

impl Panel {
    fn new() -> Panel {
        let replica = use_replica();
        let submit = Submit::new(move |write: RowWrite| write_row(replica, write));
        Panel { replica, submit }
    }

    /// An edit in place.
    fn write(self, entity: &'static str, id: String, changes: Vec<(String, Value)>) {
        spawn_local(async move {
            if let Err(message) = write_row(self.replica, (entity, id, changes)).await {
                self.submit.fail(message);
            }
        });
    }

    /// Whether the form's submission still runs (the form keeps what was typed meanwhile).
    fn busy(self) -> bool {
        self.submit.pending().get_untracked()
    }

    /// Removes the row.
    fn remove(self, entity: &'static str, id: String) {
        self.write(entity, id, vec![("deleted".into(), json!(true))]);
    }
}

/// Moves row `i` of `list` one place up or down: positions are rewritten for the whole
/// list (only where they differ), so equal or missing positions sort themselves out.
fn reorder(panel: Panel, entity: &'static str, list: &[SettingRow], i: usize, up: bool) {
    let j = if up {
        i.checked_sub(1)
    } else {
        Some(i + 1).filter(|j| *j < list.len())
    };
    let Some(j) = j else { return };
    let mut order: Vec<&SettingRow> = list.iter().collect();
    order.swap(i, j);
    for (position, row) in order.iter().enumerate() {
        if row.position() != position as f64 {
            panel.write(
                entity,
                row.id.clone(),
                vec![("position".into(), json!(position))],
            );
        }
    }
}

/// The live rows of `entity` (for stages: of one pipeline) in order.
fn rows_of(
    entity: &'static str,
    module: Option<String>,
) -> impl Fn() -> Vec<SettingRow> + Copy + Send + Sync + 'static {
    let replica = use_replica();
    let module = StoredValue::new(module);
    move || {
        let module = module.get_value();
        replica.with(|index| {
            index
                .ordered(entity)
                .into_iter()
                .filter(|row| module.as_ref().is_none_or(|m| row.str("module_id") == m))
                .cloned()
                .collect()
        })
    }
}

/// A list of named rows: rename, reorder, remove, add.
#[component]
pub fn NamedList(
    entity: &'static str,
    #[prop(optional)] module: Option<String>,
    #[prop(optional)] title: Option<String>,
) -> impl IntoView {
    let panel = Panel::new();
    let rows = rows_of(entity, module.clone());
    let new_name = RwSignal::new(String::new());
    let new_callback = RwSignal::new(false);
    let new_connected = RwSignal::new(false);
    let module_for_add = StoredValue::new(module.clone());
    let list_id = format!("{entity}-{}", module.clone().unwrap_or_default());
    let add = move |event: SubmitEvent| {
        event.prevent_default();
        if panel.busy() {
            return;
        }
        let name = new_name.get_untracked().trim().to_owned();
        if name.is_empty() {
            panel.submit.fail(t!("settings-name-required"));
            return;
        }
        if rows().iter().any(|r| r.name().eq_ignore_ascii_case(&name)) {
            panel.submit.fail(t!("settings-name-taken", name = name));
            return;
        }
        let position = rows()
            .iter()
            .map(SettingRow::position)
            .filter(|p| p.is_finite() && *p < f64::MAX)
            .fold(-1.0, f64::max)
            + 1.0;
        let mut changes = vec![
            ("name".to_owned(), json!(name)),
            ("position".to_owned(), json!(position)),
        ];
        if let Some(module) = module_for_add.get_value() {
            changes.push(("module_id".into(), json!(module)));
        }
        if entity == "outcome" && new_callback.get_untracked() {
            changes.push(("callback".into(), json!(true)));
        }
        if entity == "outcome" && new_connected.get_untracked() {
            changes.push(("connected".into(), json!(true)));
        }
        panel
            .submit
            .dispatch((entity, uuid::Uuid::now_v7().to_string(), changes));
        new_name.set(String::new());
        new_callback.set(false);
        new_connected.set(false);
    };
    let shift = move |i: usize, up: bool| reorder(panel, entity, &rows(), i, up);
    let add_id = format!("new-{list_id}");
    view! {
        <section class="panel settings-list" aria-labelledby=format!("{list_id}-title")>
            <h2 id=format!("{list_id}-title")>{title.unwrap_or_else(|| t!(&format!("settings-list-{entity}")))}</h2>
            <ol class="editable-list">
                {move || {
                    let list = rows();
                    let count = list.len();
                    list.into_iter().enumerate().map(|(i, row)| {
                        let input_id = format!("{}-{}", entity, row.id);
                        let id_rename = row.id.clone();
                        let id_remove = row.id.clone();
                        let id_callback = row.id.clone();
                        let id_connected = row.id.clone();
                        let name = row.name().to_owned();
                        let callback = row.bool("callback");
                        let connected = row.bool("connected");
                        view! {
                            <li>
                                <label for=input_id.clone() class="visually-hidden">{t!("settings-rename", name = name.clone())}</label>
                                <input id=input_id value=name.clone() autocomplete="off" on:change=move |e| {
                                    let value = event_target_value(&e).trim().to_owned();
                                    if value.is_empty() {
                                        panel.submit.fail(t!("settings-name-required"));
                                    } else {
                                        panel.write(entity, id_rename.clone(), vec![("name".into(), json!(value))]);
                                    }
                                } />
                                {(entity == "outcome").then(|| {
                                    let box_id = format!("callback-{id_callback}");
                                    let for_id = box_id.clone();
                                    view! {
                                        <input type="checkbox" id=box_id prop:checked=callback on:change=move |e| panel.write(entity, id_callback.clone(), vec![("callback".into(), json!(event_target_checked(&e)))]) />
                                        <label for=for_id>{t!("settings-outcome-callback")}</label>
                                    }
                                })}
                                {(entity == "outcome").then(|| {
                                    let box_id = format!("connected-{id_connected}");
                                    let for_id = box_id.clone();
                                    view! {
                                        <input type="checkbox" id=box_id prop:checked=connected on:change=move |e| panel.write(entity, id_connected.clone(), vec![("connected".into(), json!(event_target_checked(&e)))]) />
                                        <label for=for_id>{t!("settings-outcome-connected")}</label>
                                    }
                                })}
                                <RowButtons name=name i=i count=count on_move=Callback::new(move |up| shift(i, up))
                                    on_remove=Callback::new(move |()| panel.remove(entity, id_remove.clone())) />
                            </li>
                        }
                    }).collect_view()
                }}
            </ol>
            <AddForm submit=t!("settings-add") on_submit=add error=panel.submit.error()>
                <TextField id=add_id label=t!(&format!("settings-new-{entity}")) autocomplete="off" value=new_name />
                {(entity == "outcome").then(|| view! {
                    <div class="field checkbox">
                        <input type="checkbox" id="new-outcome-callback" bind:checked=new_callback />
                        <label for="new-outcome-callback">{t!("settings-outcome-callback")}</label>
                    </div>
                    <div class="field checkbox">
                        <input type="checkbox" id="new-outcome-connected" bind:checked=new_connected />
                        <label for="new-outcome-connected">{t!("settings-outcome-connected")}</label>
                    </div>
                })}
            </AddForm>
        </section>
    }
}

/// Pipelines (modules), each with its own ordered stages.
#[component]
pub fn Pipelines() -> impl IntoView {
    let modules = rows_of("module", None);
    let replica = use_replica();
    let loose = move || replica.with(|index| index.pipelines().into_iter().any(|p| p.id.is_none()));
    view! {
        <NamedList entity="module" />
        {move || modules().into_iter().map(|module| {
            let title = t!("settings-stages-of", name = module.name().to_owned());
            view! {
                <div class="pipeline" role="group" aria-label=title>
                    <NamedList entity="stage" module=module.id.clone() title=title.clone() />
                </div>
            }
        }).collect_view()}
        <Show when=loose>
            <p class="hint">{t!("settings-stages-loose")}</p>
        </Show>
    }
}

/// Custom fields: name, type, options (for choices), order.
#[component]
pub fn CustomFields() -> impl IntoView {
    let panel = Panel::new();
    let replica = use_replica();
    let rows = rows_of("field_def", None);
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("text".to_owned());
    let options = RwSignal::new(String::new());
    let parse_options = |text: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for option in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            if !out.iter().any(|o| o == option) {
                out.push(option.to_owned());
            }
        }
        out
    };
    let add = move |event: SubmitEvent| {
        event.prevent_default();
        if panel.busy() {
            return;
        }
        let field_name = name.get_untracked().trim().to_owned();
        let Some(key) = custom_key(&field_name) else {
            panel.submit.fail(t!("settings-field-name-required"));
            return;
        };
        let taken =
            replica.with_untracked(|index| index.rows("field_def").any(|r| r.str("key") == key));
        if taken {
            panel
                .submit
                .fail(t!("settings-name-taken", name = field_name));
            return;
        }
        let Some(field_type) = CustomType::parse(&kind.get_untracked()) else {
            return;
        };
        let choices = parse_options(&options.get_untracked());
        if field_type.has_options() && choices.is_empty() {
            panel.submit.fail(t!("settings-field-options-required"));
            return;
        }
        let position = rows().len();
        let mut changes = vec![
            ("name".to_owned(), json!(field_name)),
            ("key".to_owned(), json!(key)),
            ("type".to_owned(), json!(field_type.as_str())),
            ("position".to_owned(), json!(position)),
        ];
        if field_type.has_options() {
            changes.push(("options".into(), json!(choices)));
        }
        panel
            .submit
            .dispatch(("field_def", uuid::Uuid::now_v7().to_string(), changes));
        name.set(String::new());
        options.set(String::new());
    };
    let shift = move |i: usize, up: bool| reorder(panel, "field_def", &rows(), i, up);
    view! {
        <section class="panel" aria-labelledby="fields-title">
            <h2 id="fields-title">{t!("settings-fields-title")}</h2>
            <p class="hint">{t!("settings-fields-hint")}</p>
            <table class="data-table">
                <thead><tr>
                    <th scope="col">{t!("settings-field-name")}</th>
                    <th scope="col">{t!("settings-field-type")}</th>
                    <th scope="col">{t!("settings-field-options")}</th>
                    <th scope="col"><span class="visually-hidden">{t!("trash-actions")}</span></th>
                </tr></thead>
                <tbody>
                    {move || {
                        let list = rows();
                        let count = list.len();
                        list.into_iter().enumerate().map(|(i, row)| {
                            let field_type = CustomType::parse(row.str("type"));
                            let name = row.name().to_owned();
                            let (id_name, id_options, id_remove) = (row.id.clone(), row.id.clone(), row.id.clone());
                            let options_text = row.strings("options").join(", ");
                            let name_input = format!("field-name-{}", row.id);
                            let options_input = format!("field-options-{}", row.id);
                            view! {
                                <tr>
                                    <td>
                                        <label for=name_input.clone() class="visually-hidden">{t!("settings-rename", name = name.clone())}</label>
                                        <input id=name_input value=name.clone() on:change=move |e| {
                                            let value = event_target_value(&e).trim().to_owned();
                                            if !value.is_empty() { panel.write("field_def", id_name.clone(), vec![("name".into(), json!(value))]); }
                                        } />
                                    </td>
                                    <td>{field_type.map(|t| t!(&format!("field-type-{}", t.as_str()))).unwrap_or_default()}</td>
                                    <td>
                                        {field_type.is_some_and(CustomType::has_options).then(|| {
                                            let label = t!("settings-options-of", name = name.clone());
                                            view! {
                                                <label for=options_input.clone() class="visually-hidden">{label}</label>
                                                <input id=options_input.clone() value=options_text.clone() on:change=move |e| {
                                                    let choices = parse_options(&event_target_value(&e));
                                                    if choices.is_empty() {
                                                        panel.submit.fail(t!("settings-field-options-required"));
                                                    } else {
                                                        panel.write("field_def", id_options.clone(), vec![("options".into(), json!(choices))]);
                                                    }
                                                } />
                                            }
                                        })}
                                    </td>
                                    <td class="row-actions">
                                        <RowButtons name=name i=i count=count on_move=Callback::new(move |up| shift(i, up))
                                            on_remove=Callback::new(move |()| panel.remove("field_def", id_remove.clone())) />
                                    </td>
                                </tr>
                            }
                        }).collect_view()
                    }}
                </tbody>
            </table>
            <AddForm submit=t!("settings-field-add") label=t!("settings-field-add") on_submit=add error=panel.submit.error()>
                <TextField id="new-field-name" label=t!("settings-field-name") autocomplete="off" value=name />
                <div class="field">
                    <label for="new-field-type">{t!("settings-field-type")}</label>
                    <select id="new-field-type" prop:value=move || kind.get() on:change=move |e| kind.set(event_target_value(&e))>
                        {CustomType::ALL.iter().map(|t| view! { <option value=t.as_str()>{t!(&format!("field-type-{}", t.as_str()))}</option> }).collect_view()}
                    </select>
                </div>
                <Show when=move || CustomType::parse(&kind.get()).is_some_and(CustomType::has_options)>
                    <TextField id="new-field-options" label=t!("settings-field-options-hint") autocomplete="off" value=options />
                </Show>
            </AddForm>
        </section>
    }
}

/// Team-wide settings: the default phone country.
#[component]
pub fn GeneralSettings() -> impl IntoView {
    let panel = Panel::new();
    let country = RwSignal::new(
        panel
            .replica
            .with_untracked(|index| index.default_country()),
    );
    let zone = RwSignal::new(panel.replica.with_untracked(|index| index.time_zone()));
    let zone_chosen = RwSignal::new(false);
    let zones = StoredValue::new({
        let mut names = zone_names();
        let current = zone.get_untracked();
        if !names.contains(&current) {
            names.insert(0, current);
        }
        names
    });
    let saved = RwSignal::new(false);
    let save = move |event: SubmitEvent| {
        event.prevent_default();
        if panel.busy() {
            return;
        }
        let zone_name = zone.get_untracked();
        if !Zone::new(&zone_name).known() {
            panel
                .submit
                .fail(t!("settings-time-zone-unknown", zone = zone_name));
            saved.set(false);
            return;
        }
        let code = country.get_untracked().trim().to_ascii_uppercase();
        if code.len() != 2 || !phone::is_known_country(&code) {
            panel
                .submit
                .fail(t!("settings-country-unknown", code = code));
            saved.set(false);
            return;
        }
        let mut changes = vec![("default_country".into(), json!(code))];
        // Left alone, the zone follows the default country.
        if zone_chosen.get_untracked() {
            changes.push(("time_zone".into(), json!(zone_name)));
        }
        panel
            .submit
            .dispatch(("config", CONFIG_ID.to_owned(), changes));
        saved.set(true);
    };
    view! {
        <section class="panel" aria-labelledby="general-title">
            <h2 id="general-title">{t!("settings-general-title")}</h2>
            <form on:submit=save>
                <div class="field">
                    <label for="default-country">{t!("settings-default-country")}</label>
                    <input id="default-country" maxlength="2" autocomplete="off" bind:value=country aria-describedby="default-country-hint" />
                    <p class="hint" id="default-country-hint">{t!("settings-default-country-hint")}</p>
                </div>
                <div class="field">
                    <label for="time-zone">{t!("settings-time-zone")}</label>
                    <select id="time-zone" aria-describedby="time-zone-hint" prop:value=move || zone.get()
                        on:change=move |ev| {
                            zone.set(event_target_value(&ev));
                            zone_chosen.set(true);
                        }>
                        {zones.get_value().into_iter().map(|name| {
                            let selected = name == zone.get_untracked();
                            view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <p class="hint" id="time-zone-hint">{t!("settings-time-zone-hint")}</p>
                </div>
                <FormError error=panel.submit.error() />
                <FormDone message=Signal::derive(move || saved.get().then(|| t!("record-saved"))) />
                <button type="submit" class="primary">{t!("record-save")}</button>
            </form>
        </section>
    }
}

/// The form at a list's foot: its fields, the Add button, and the panel's error after it.
#[component]
fn AddForm(
    /// The button's text.
    submit: String,
    /// The form's accessible name, where one is given.
    #[prop(optional)]
    label: Option<String>,
    on_submit: impl FnMut(SubmitEvent) + 'static,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <form class="inline-form" on:submit=on_submit aria-label=label>
            {children()}
            <button type="submit">{submit}</button>
        </form>
        <FormError error=error />
    }
}

/// A list row's buttons: one place up, one place down (each off at its end), remove.
#[component]
fn RowButtons(
    /// The row's name, in the buttons' labels.
    name: String,
    i: usize,
    count: usize,
    /// Called with `true` for up.
    on_move: Callback<bool>,
    on_remove: Callback<()>,
) -> impl IntoView {
    view! {
        <button type="button" class="icon" disabled=i == 0 aria-label=t!("settings-move-up", name = name.clone()) on:click=move |_| on_move.run(true)>"↑"</button>
        <button type="button" class="icon" disabled=i + 1 == count aria-label=t!("settings-move-down", name = name.clone()) on:click=move |_| on_move.run(false)>"↓"</button>
        <button type="button" class="icon danger" aria-label=t!("settings-remove", name = name) on:click=move |_| on_remove.run(())>"×"</button>
    }
}
