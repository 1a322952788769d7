//! "Merge": two to ten records become one (from a duplicate group or a selection in the
//! list). The user picks the record that stays and, for each field where the records
//! differ, whose value it keeps (core's defaults preselected); phones, e-mails, tags,
//! segments and campaigns are united; tasks, activities and a company's people move to
//! the record that stays. Offline too: the merge is ordinary changes, synced later, and
//! undone from the staying record's timeline.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use minicrm_core::combine::{self, MAX_RECORDS, Record};
use minicrm_core::merge::Fields;
use minicrm_core::record::Contact;
use serde_json::Value;
use uuid::Uuid;

use super::columns::phone_display;
use super::history::{field_label, value_label};
use crate::data::merges;
use crate::data::use_replica;
use crate::pages::forms::FormError;
use crate::state::session::use_session;
use crate::t;

/// The records as read from the device (each id with its shown fields), or why not.
type Loaded = RwSignal<Option<Result<Vec<(Uuid, Fields)>, String>>>;

/// The records named by `?ids=a,b,c`, each once, in that order; `Err` says what is wrong.
fn asked_ids(text: &str) -> Result<Vec<Uuid>, String> {
    let mut ids: Vec<Uuid> = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let id = Uuid::parse_str(part.trim()).map_err(|_| t!("merge-bad-link"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if !(2..=MAX_RECORDS).contains(&ids.len()) {
        return Err(t!(
            "merge-count",
            count = ids.len().to_string(),
            most = MAX_RECORDS.to_string()
        ));
    }
    Ok(ids)
}

fn name_of(id: Uuid, fields: &Fields) -> String {
    Contact::from_fields(&id.to_string(), fields)
        .map(|c| c.display_name())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| t!("record-unnamed"))
}

/// `/records/merge?ids=…&from=…`.
#[component]
pub fn MergePage() -> impl IntoView {
    let query = use_query_map();
    let asked = query.with_untracked(|q| asked_ids(&q.get("ids").unwrap_or_default()));
    let back = query.with_untracked(|q| match q.get("from").as_deref() {
        Some("duplicates") => "/records/duplicates".to_owned(),
        _ => "/records".to_owned(),
    });
    let replica = use_replica();
    let session = use_session();
    let navigate = use_navigate();
    let records = Loaded::new(None);
    let staying = RwSignal::new(None::<Uuid>);
    let chosen = RwSignal::new(BTreeMap::<String, Uuid>::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    match asked {
        Err(message) => records.set(Some(Err(message))),
        Ok(ids) => spawn_local(async move {
            let read = merges::read_records(&ids).await.and_then(|rows| {
                let gone = rows
                    .iter()
                    .find(|(id, fields)| combine::is_gone(&Record { id: *id, fields }));
                match gone {
                    Some((id, fields)) => Err(t!("merge-in-trash", name = name_of(*id, fields))),
                    None => Ok(rows),
                }
            });
            // The record created first stays unless the user picks another (ids are
            // time-ordered).
            if let Ok(rows) = &read {
                staying.try_set(rows.iter().map(|(id, _)| *id).min());
            }
            records.try_set(Some(read));
        }),
    }
    // The staying record first, then the others in the order shown.
    let ordered = move || -> Option<(Vec<(Uuid, Fields)>, Uuid)> {
        let staying = staying.get()?;
        records.with(|records| {
            let rows = records.as_ref()?.as_ref().ok()?;
            let mut all: Vec<(Uuid, Fields)> = rows.clone();
            all.sort_by_key(|(id, _)| *id != staying);
            Some((all, staying))
        })
    };
    // Each differing field and whose value it takes: the user's choice, else core's default.
    let choices = Memo::new(move |_| {
        let Some((all, _)) = ordered() else {
            return Vec::new();
        };
        let list: Vec<Record> = all
            .iter()
            .map(|(id, fields)| Record { id: *id, fields })
            .collect();
        let defaults = combine::default_choices(list[0], &list[1..]);
        let user = chosen.get();
        combine::differing_fields(&list)
            .into_iter()
            .map(|field| {
                let from = user
                    .get(&field)
                    .or_else(|| defaults.get(&field))
                    .copied()
                    .unwrap_or(list[0].id);
                (field, from)
            })
            .collect::<Vec<(String, Uuid)>>()
    });
    let names = move || -> Vec<(Uuid, String)> {
        records.with(|records| match records {
            Some(Ok(rows)) => rows.iter().map(|(id, f)| (*id, name_of(*id, f))).collect(),
            _ => Vec::new(),
        })
    };
    let count =
        move || records.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map_or(0, Vec::len));
    let do_merge = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (Some(keep), Some(user)) = (staying.get_untracked(), session.user_untracked()) else {
            return;
        };
        let merged: Vec<Uuid> = records.with_untracked(|records| match records {
            Some(Ok(rows)) => rows
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| *id != keep)
                .collect(),
            _ => Vec::new(),
        });
        let picked: BTreeMap<String, Uuid> = choices.get_untracked().into_iter().collect();
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            match merges::merge(replica, &user, keep, &merged, picked).await {
                Ok(_) => {
                    navigate(
                        &format!("/records/{keep}?merged={}", merged.len() + 1),
                        Default::default(),
                    );
                }
                Err(message) => {
                    error.try_set(Some(message));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <section class="page merge-page">
            <div class="page-head">
                <h1>{move || t!("merge-title", count = count().to_string())}</h1>
                <div class="toolbar">
                    <A href=back.clone() attr:class="button">{t!("merge-cancel")}</A>
                </div>
            </div>
            <p class="hint">{t!("merge-hint")}</p>
            {move || match records.get() {
                None => view! { <p role="status">{t!("app-loading")}</p> }.into_any(),
                Some(Err(message)) => view! { <FormError error=Some(message) /> }.into_any(),
                Some(Ok(_)) => {
                    let do_merge = do_merge.clone();
                    view! {
                    <form class="merge-form" on:submit=do_merge>
                        <fieldset class="panel">
                            <legend>{t!("merge-staying")}</legend>
                            {move || names().into_iter().map(|(id, name)| {
                                let facts = records.with_untracked(|records| match records {
                                    Some(Ok(rows)) => rows.iter().find(|(i, _)| *i == id).map(|(_, f)| summary(f, &replica.with_untracked(|index| index.default_country()))).unwrap_or_default(),
                                    _ => String::new(),
                                });
                                view! {
                                    <label class="choice">
                                        <input type="radio" name="staying" value=id.to_string()
                                            prop:checked=move || staying.get() == Some(id)
                                            on:change=move |_| staying.set(Some(id)) />
                                        <span>{name}</span>
                                        <span class="hint">{facts}</span>
                                        {move || (staying.get() == Some(id)).then(|| view! { <span class="badge">{t!("merge-stays-badge")}</span> })}
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                        <MergeFields records=records staying=staying choices=choices chosen=chosen />
                        <United records=records staying=staying />
                        <p class="hint">{move || {
                            let merged: Vec<Uuid> = names().into_iter().map(|(id, _)| id).filter(|id| Some(*id) != staying.get()).collect();
                            let (tasks, activities, people) = replica.with(|index| merges::linked_counts(index, &merged));
                            t!("merge-moves", tasks = tasks.to_string(), activities = activities.to_string(), people = people.to_string())
                        }}</p>
                        <FormError error=error />
                        <button type="submit" class="primary" disabled=move || busy.get()>
                            {move || t!("merge-do", count = count().to_string())}
                        </button>
                    </form>
                }.into_any()
                }
            }}
        </section>
    }
}

/// A label as a table's heading: its first letter a capital.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A record in a line: company, city, first phone and e-mail.
fn summary(fields: &Fields, country: &str) -> String {
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(|s| s.value.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let first = |name: &str, key: Option<&str>| {
        fields
            .get(name)
            .and_then(|s| s.value.as_array())
            .and_then(|items| items.first())
            .and_then(|item| match key {
                Some(key) => item.get(key),
                None => Some(item),
            })
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut facts = vec![
        text("company"),
        text("city"),
        phone_display(&first("phones", Some("number")), country),
        first("emails", None),
    ];
    facts.retain(|f| !f.is_empty());
    facts.join(" · ")
}

/// The fields where the records differ: a row each, a choice per record.
#[component]
fn MergeFields(
    records: Loaded,
    staying: RwSignal<Option<Uuid>>,
    choices: Memo<Vec<(String, Uuid)>>,
    chosen: RwSignal<BTreeMap<String, Uuid>>,
) -> impl IntoView {
    let replica = use_replica();
    let columns = move || -> Vec<(Uuid, String, Fields)> {
        let keep = staying.get();
        records.with(|records| match records {
            Some(Ok(rows)) => {
                let mut all: Vec<(Uuid, String, Fields)> = rows
                    .iter()
                    .map(|(id, f)| (*id, name_of(*id, f), f.clone()))
                    .collect();
                all.sort_by_key(|(id, _, _)| Some(*id) != keep);
                all
            }
            _ => Vec::new(),
        })
    };
    // The table is built again only when the records or the one that stays change; a
    // choice only moves its radio (focus and arrow keys stay in the row).
    let fields = Memo::new(move |_| {
        choices.with(|list| {
            list.iter()
                .map(|(field, _)| field.clone())
                .collect::<Vec<_>>()
        })
    });
    let taken = move |field: &str, id: Uuid| {
        choices.with(|list| list.iter().any(|(f, from)| f == field && *from == id))
    };
    view! {
        {move || {
            let list = fields.get();
            let columns = columns();
            if list.is_empty() {
                return view! { <p class="hint">{t!("merge-no-differences")}</p> }.into_any();
            }
            view! {
                <table class="data-table merge-fields">
                    <caption>{t!("merge-fields-caption")}</caption>
                    <thead><tr>
                        <th scope="col">{t!("merge-field")}</th>
                        {columns.iter().enumerate().map(|(n, (_, name, _))| {
                            let heading = if n == 0 { t!("merge-stays", name = name.clone()) } else { name.clone() };
                            view! { <th scope="col" class:stays=n == 0>{heading}</th> }
                        }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|field| {
                            let label = replica.with_untracked(|index| field_label(&field, index));
                            view! {
                                <tr>
                                    <th scope="row">{capitalized(&label)}</th>
                                    {columns.iter().map(|(id, name, fields)| {
                                        let id = *id;
                                        let value = fields.get(&field).map_or(Value::Null, |s| s.value.clone());
                                        let shown = replica.with_untracked(|index| value_label(&field, &value, index));
                                        let aria = t!("merge-take", field = label.clone(), value = shown.clone(), name = name.clone());
                                        let field = field.clone();
                                        let this = field.clone();
                                        view! {
                                            <td>
                                                <label class="choice">
                                                    <input type="radio" name=format!("take-{field}") aria-label=aria
                                                        prop:checked=move || taken(&this, id)
                                                        on:change=move |_| chosen.update(|c| { c.insert(field.clone(), id); }) />
                                                    <span>{shown}</span>
                                                </label>
                                            </td>
                                        }
                                    }).collect_view()}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
    }
}

/// What is united: phones, e-mails, tags, segments and campaigns of every record, as core
/// unites them for the record that stays.
#[component]
fn United(records: Loaded, staying: RwSignal<Option<Uuid>>) -> impl IntoView {
    let replica = use_replica();
    let united = move || -> Result<Vec<String>, String> {
        let keep = staying.get();
        records.with(|records| {
            let Some(Ok(rows)) = records else {
                return Ok(Vec::new());
            };
            let mut all: Vec<Record> = rows
                .iter()
                .map(|(id, fields)| Record { id: *id, fields })
                .collect();
            all.sort_by_key(|record| Some(record.id) != keep);
            let fields = combine::united_fields(&all).map_err(merges::merge_error)?;
            Ok(replica.with_untracked(|index| {
                let mut memberships = Vec::new();
                let mut lines = Vec::new();
                for (field, value) in fields {
                    if value == Value::Bool(true) {
                        memberships.push(field_label(&field, index));
                    } else {
                        lines.push(format!(
                            "{}: {}",
                            capitalized(&field_label(&field, index)),
                            value_label(&field, &value, index)
                        ));
                    }
                }
                if !memberships.is_empty() {
                    lines.push(format!(
                        "{}: {}",
                        t!("merge-memberships"),
                        memberships.join(", ")
                    ));
                }
                lines
            }))
        })
    };
    view! {
        {move || match united() {
            Err(message) => view! { <FormError error=Some(message) /> }.into_any(),
            Ok(lines) if lines.is_empty() => ().into_any(),
            Ok(lines) => view! {
                <section class="panel" aria-labelledby="merge-united-title">
                    <h2 id="merge-united-title">{t!("merge-united")}</h2>
                    <ul class="plain-list">{lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                </section>
            }.into_any(),
        }}
    }
}
