//! The mapping step: what each column goes into (started from the worker's suggestion or
//! the mapping remembered for this layout), the values every imported row gets, and what a
//! row matching an existing record does. Every change is kept in the job at once.

use leptos::prelude::*;
use minicrm_core::access::Actor;
use minicrm_core::contact;
use minicrm_core::import::job::{ImportJob, Preview, Step};
use minicrm_core::import::mapping::Target;
use minicrm_core::import::plan::DuplicateMode;
use minicrm_core::import::rows::Defaults;

use super::flow::Flow;
use super::reading::Reader;
use super::targets;
use crate::data::settings::Choice;
use crate::data::{Index, use_replica};
use crate::state::session::use_session;
use crate::t;

/// Sample values shown per column.
const SAMPLES: usize = 3;

const MODES: [(DuplicateMode, &str); 4] = [
    (DuplicateMode::Create, "create"),
    (DuplicateMode::Skip, "skip"),
    (DuplicateMode::FillEmpty, "fill_empty"),
    (DuplicateMode::Overwrite, "overwrite"),
];

/// The first non-blank values of column `column`.
fn samples(preview: &Preview, column: usize) -> Vec<String> {
    preview
        .rows
        .iter()
        .filter_map(|row| row.cells.get(column))
        .filter(|cell| !cell.is_blank())
        .map(|cell| cell.as_text())
        .take(SAMPLES)
        .collect()
}

/// Keeps a change of the defaults.
fn set_defaults(flow: Flow, edit: impl FnOnce(&mut Defaults)) {
    flow.change(|job| edit(&mut job.defaults), || {});
}

#[component]
pub(super) fn MappingStep(flow: Flow) -> impl IntoView {
    let reader = Reader::new();
    reader.read(flow);
    let replica = use_replica();
    let groups = Memo::new(move |_| replica.with(targets::groups));
    let mapping = Memo::new(move |_| flow.job.with(|job| job.mapping.clone()));
    let rows = move || {
        reader.preview.get().map(|preview| {
            preview
                .headers
                .iter()
                .enumerate()
                .map(|(column, header)| {
                    view! { <ColumnRow flow=flow column=column header=header.clone() samples=samples(&preview, column) groups=groups mapping=mapping /> }
                })
                .collect_view()
        })
    };
    let typed = Typed::new(flow);
    let go = move |step: Step| {
        typed.apply(flow);
        flow.go(step);
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        go(Step::Review);
    };
    view! {
        <form on:submit=on_submit>
            <h2>{t!("import-mapping-title")}</h2>
            <p class="hint">{t!("import-mapping-hint")}</p>
            {move || reader.busy().then(|| view! { <p role="status">{t!("import-reading")}</p> })}
            <div class="import-table-wrap">
                <table class="data-table import-mapping">
                    <thead>
                        <tr>
                            <th scope="col">{t!("import-column")}</th>
                            <th scope="col">{t!("import-samples")}</th>
                            <th scope="col">{t!("import-into")}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <DefaultsFields flow=flow typed=typed />
            <ModeField flow=flow />
            <div class="actions">
                <button type="button" on:click=move |_| go(Step::Reading)>{t!("import-back")}</button>
                <button type="submit" class="primary" disabled=move || reader.busy()>{t!("import-next-review")}</button>
            </div>
        </form>
    }
}

/// One column: its header, sample values and what it goes into.
#[component]
fn ColumnRow(
    flow: Flow,
    column: usize,
    header: String,
    samples: Vec<String>,
    groups: Memo<Vec<targets::Group>>,
    mapping: Memo<Vec<Target>>,
) -> impl IntoView {
    let chosen =
        move || mapping.with(|mapping| mapping.get(column).cloned().unwrap_or(Target::Skip));
    let chosen_key = Memo::new(move |_| targets::key(&chosen()));
    // A single-valued target chosen for an earlier column too: only the first is read.
    let taken_before = move || {
        let target = chosen();
        !target.repeats()
            && target != Target::Skip
            && mapping.with(|mapping| mapping.iter().take(column).any(|t| *t == target))
    };
    let on_change = move |event: leptos::ev::Event| {
        let Some(target) = targets::parse(&event_target_value(&event)) else {
            return;
        };
        flow.change(
            move |job: &mut ImportJob| {
                if job.mapping.len() <= column {
                    job.mapping.resize(column + 1, Target::Skip);
                }
                job.mapping[column] = target;
            },
            || {},
        );
    };
    let label = t!("import-map-column", name = header.clone());
    view! {
        <tr>
            <th scope="row">{header}</th>
            <td class="samples">{samples.join(" · ")}</td>
            <td>
                <select aria-label=label on:change=on_change>
                    <option value="skip" prop:selected=move || chosen_key.get() == "skip">{t!("import-target-skip")}</option>
                    {move || groups.get().into_iter().map(|group| view! {
                        <optgroup label=group.label>
                            {group.options.into_iter().map(|(value, name)| {
                                let this = value.clone();
                                view! { <option value=value prop:selected=move || chosen_key.with(|key| *key == this)>{name}</option> }
                            }).collect_view()}
                        </optgroup>
                    }).collect_view()}
                </select>
                {move || taken_before().then(|| view! { <p class="hint">{t!("import-taken-before")}</p> })}
            </td>
        </tr>
    }
}

/// A select of `choices` (with "none" first) bound to one of the defaults.
#[component]
fn DefaultSelect(
    id: &'static str,
    label: String,
    #[prop(into)] choices: Signal<Vec<Choice>>,
    selected: Signal<Option<String>>,
    on_pick: Callback<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id on:change=move |e| {
                let value = event_target_value(&e);
                on_pick.run((!value.is_empty()).then_some(value));
            }>
                <option value="" prop:selected=move || selected.with(Option::is_none)>{t!("record-none")}</option>
                {move || choices.get().into_iter().map(|choice| {
                    let this = choice.id.clone();
                    view! { <option value=choice.id prop:selected=move || selected.with(|s| s.as_ref() == Some(&this))>{choice.name}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// The list of the defaults a named list's checkboxes keep: segments or campaigns.
fn members<'a>(defaults: &'a mut Defaults, entity: &str) -> &'a mut Vec<String> {
    if entity == "segment" {
        &mut defaults.segments
    } else {
        &mut defaults.campaigns
    }
}

/// Checkboxes of a named list (segments or campaigns) bound to its list in the defaults.
#[component]
fn DefaultMemberships(flow: Flow, entity: &'static str) -> impl IntoView {
    let replica = use_replica();
    let chosen = move |id: &str| {
        flow.job.with(|job| {
            let list = if entity == "segment" {
                &job.defaults.segments
            } else {
                &job.defaults.campaigns
            };
            list.iter().any(|chosen| chosen == id)
        })
    };
    view! {
        <fieldset class="checkbox-group">
            <legend>{t!(&format!("label-{entity}s"))}</legend>
            {move || {
                let choices = replica.with(|index| index.choices(entity));
                if choices.is_empty() {
                    return view! { <p class="hint">{t!("record-none-defined")}</p> }.into_any();
                }
                choices.into_iter().map(|choice| {
                    let id = format!("import-{entity}-{}", choice.id);
                    let label_for = id.clone();
                    let this = choice.id.clone();
                    let toggled = choice.id.clone();
                    view! {
                        <label for=label_for>
                            <input type="checkbox" id=id prop:checked=move || chosen(&this) on:change=move |e| {
                                let on = event_target_checked(&e);
                                let toggled = toggled.clone();
                                set_defaults(flow, move |defaults| {
                                    let ids = members(defaults, entity);
                                    ids.retain(|id| *id != toggled);
                                    if on {
                                        ids.push(toggled);
                                    }
                                });
                            } />
                            {choice.name}
                        </label>
                    }
                }).collect_view().into_any()
            }}
        </fieldset>
    }
}

/// The text defaults as typed (source, tags), kept in the job when they change and
/// before the step is left.
#[derive(Clone, Copy)]
struct Typed {
    source: RwSignal<String>,
    tags: RwSignal<String>,
}

impl Typed {
    fn new(flow: Flow) -> Typed {
        let defaults = flow.job.with_untracked(|job| job.defaults.clone());
        Typed {
            source: RwSignal::new(defaults.source.unwrap_or_default()),
            tags: RwSignal::new(defaults.tags.join(", ")),
        }
    }

    /// Puts what is typed into the job (stored with the job's next save).
    fn apply(self, flow: Flow) {
        let source = self.source.get_untracked().trim().to_owned();
        let tags = contact::tags(&self.tags.get_untracked());
        flow.job.update(|job| {
            job.defaults.source = (!source.is_empty()).then_some(source);
            job.defaults.tags = tags;
        });
    }

    fn keep(self, flow: Flow) {
        self.apply(flow);
        flow.change(|_| {}, || {});
    }
}

/// The values every imported row gets (a column's own value wins for single fields).
#[component]
fn DefaultsFields(flow: Flow, typed: Typed) -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let defaults = move || flow.job.with(|job| job.defaults.clone());
    let owners = Signal::derive(move || {
        let actor = session.user().map(|user| Actor::from(&user));
        replica.with(|index| index.assignable_owners(actor.as_ref()))
    });
    let stages = Signal::derive(move || replica.with(Index::stage_choices));
    let categories = Signal::derive(move || replica.with(|index| index.choices("category")));
    let sources = move || replica.with(|index| index.choices("source"));
    view! {
        <fieldset class="import-defaults">
            <legend>{t!("import-defaults")}</legend>
            <p class="hint">{t!("import-defaults-hint")}</p>
            <DefaultSelect id="import-owner" label=t!("label-owner_id") choices=owners
                selected=Signal::derive(move || defaults().owner_id)
                on_pick=Callback::new(move |id| set_defaults(flow, move |d| d.owner_id = id)) />
            <DefaultSelect id="import-stage" label=t!("label-stage_id") choices=stages
                selected=Signal::derive(move || defaults().stage_id)
                on_pick=Callback::new(move |id| set_defaults(flow, move |d| d.stage_id = id)) />
            <DefaultSelect id="import-category" label=t!("label-category_id") choices=categories
                selected=Signal::derive(move || defaults().category_id)
                on_pick=Callback::new(move |id| set_defaults(flow, move |d| d.category_id = id)) />
            <div class="field">
                <label for="import-source">{t!("label-source")}</label>
                <input id="import-source" list="import-sources" bind:value=typed.source on:change=move |_| typed.keep(flow) />
                <datalist id="import-sources">
                    {move || sources().into_iter().map(|choice| view! { <option value=choice.name></option> }).collect_view()}
                </datalist>
            </div>
            <div class="field">
                <label for="import-tags">{t!("label-tags")}</label>
                <input id="import-tags" bind:value=typed.tags on:change=move |_| typed.keep(flow) />
            </div>
            <DefaultMemberships flow=flow entity="segment" />
            <DefaultMemberships flow=flow entity="campaign" />
        </fieldset>
    }
}

/// What a row that matches an existing record does.
#[component]
fn ModeField(flow: Flow) -> impl IntoView {
    let mode = move || flow.job.with(|job| job.mode);
    view! {
        <fieldset class="import-mode">
            <legend>{t!("import-mode")}</legend>
            {MODES.into_iter().map(|(this, name)| {
                let id = format!("import-mode-{name}");
                let label_for = id.clone();
                view! {
                    <label for=label_for>
                        <input type="radio" name="import-mode" id=id value=name prop:checked=move || mode() == this
                            on:change=move |_| flow.change(move |job| job.mode = this, || {}) />
                        {t!(&format!("import-mode-{name}"))}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}
