//! Saved views: a named search + filters + columns + sort, personal or shared with the
//! team. Views are `view` rows and sync like everything else.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::access::{Actor, RowScope, check_write};
use minicrm_core::query::Query;
use minicrm_core::schema::Entity;
use serde_json::{Value, json};

use super::columns::{ColumnSetting, SortSetting};
use super::list::ListState;
use crate::data::use_replica;
use crate::state::session::use_session;
use crate::t;

#[derive(Clone, PartialEq)]
struct SavedView {
    id: String,
    name: String,
    shared: bool,
    owner: String,
    query: Query,
    columns: Option<Vec<ColumnSetting>>,
    sort: Option<SortSetting>,
}

#[component]
pub fn ViewsBar(
    state: ListState,
    on_apply: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let saving = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let shared = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let user_id = move || session.user().map(|u| u.id.to_string()).unwrap_or_default();
    let actor = move || session.user().map(|user| Actor::from(&user));
    // Core's access rules decide, as on the server: sharing a new view of one's own, and
    // changing a view as it is now.
    let may_share = move || {
        actor().is_some_and(|actor| {
            let new = RowScope::new_row(Entity::View, &actor);
            check_write(&actor, Entity::View, &new, "shared", &json!(true), None).is_ok()
        })
    };
    let views = Memo::new(move |_| {
        let me = user_id();
        replica.with(|index| {
            let mut views: Vec<SavedView> = index
                .rows("view")
                .filter(|row| !row.deleted() && row.id != me && !row.name().is_empty())
                .map(|row| SavedView {
                    id: row.id.clone(),
                    name: row.name().to_owned(),
                    shared: row.bool("shared"),
                    owner: row.str("owner_id").to_owned(),
                    query: row
                        .values
                        .get("filter")
                        .and_then(|v| serde_json::from_value(v.clone()).ok())
                        .unwrap_or_default(),
                    columns: row
                        .values
                        .get("columns")
                        .and_then(|v| serde_json::from_value(v.clone()).ok()),
                    sort: row
                        .values
                        .get("sort")
                        .and_then(|v| serde_json::from_value(v.clone()).ok()),
                })
                .collect();
            views.sort_by_key(|v| v.name.to_lowercase());
            views
        })
    });
    let apply_layout = on_apply.clone();
    let choose = move |id: String| {
        let Some(view) = views.with_untracked(|views| views.iter().find(|v| v.id == id).cloned())
        else {
            state.active_view.set(None);
            return;
        };
        state.text.set(view.query.text.clone());
        state.conditions.set(view.query.conditions.clone());
        if let Some(columns) = view.columns.filter(|c| !c.is_empty()) {
            state.columns.set(columns);
        }
        if let Some(sort) = view.sort {
            state.sort.set(sort);
        }
        state.active_view.set(Some(view.id));
        apply_layout();
    };
    let active = move || {
        state
            .active_view
            .get()
            .and_then(|id| views.with(|views| views.iter().find(|v| v.id == id).cloned()))
    };
    let may_change = move |view: &SavedView| {
        actor().is_some_and(|actor| {
            let scope = RowScope::View {
                owner: Some(view.owner.clone()),
                shared: view.shared,
            };
            check_write(
                &actor,
                Entity::View,
                &scope,
                "name",
                &json!(view.name),
                None,
            )
            .is_ok()
        })
    };
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let view_name = name.get_untracked().trim().to_owned();
        if view_name.is_empty() {
            error.set(Some(t!("views-name-required")));
            return;
        }
        let id = uuid::Uuid::now_v7().to_string();
        let mut changes: Vec<(String, Value)> = vec![
            ("name".into(), json!(view_name)),
            ("owner_id".into(), json!(user_id())),
            ("filter".into(), json!(state.query())),
            ("columns".into(), json!(state.columns.get_untracked())),
            ("sort".into(), json!(state.sort.get_untracked())),
        ];
        if shared.get_untracked() && may_share() {
            changes.push(("shared".into(), json!(true)));
        }
        error.set(None);
        spawn_local(async move {
            match replica.write("view", &id, changes).await {
                Ok(()) => {
                    saving.set(false);
                    name.set(String::new());
                    shared.set(false);
                    state.active_view.set(Some(id));
                }
                Err(err) => error.set(Some(t!("error-unexpected", message = err.to_string()))),
            }
        });
    };
    let update = move |_| {
        let Some(view) = active() else { return };
        let changes = vec![
            ("filter".into(), json!(state.query())),
            ("columns".into(), json!(state.columns.get_untracked())),
            ("sort".into(), json!(state.sort.get_untracked())),
        ];
        spawn_local(async move {
            let _ = replica.write("view", &view.id, changes).await;
        });
    };
    let delete = move |_| {
        let Some(view) = active() else { return };
        state.active_view.set(None);
        spawn_local(async move {
            let _ = replica
                .write("view", &view.id, vec![("deleted".into(), json!(true))])
                .await;
        });
    };
    view! {
        <div class="views-bar">
            <div class="field">
                <label for="saved-view">{t!("views-label")}</label>
                <select id="saved-view" prop:value=move || state.active_view.get().unwrap_or_default() on:change=move |e| choose(event_target_value(&e))>
                    <option value="">{t!("views-none")}</option>
                    {move || views.get().into_iter().map(|v| {
                        let label = if v.shared { t!("views-shared-name", name = v.name.clone()) } else { v.name.clone() };
                        let this = v.id.clone();
                        view! { <option value=v.id prop:selected=move || state.active_view.get().as_deref() == Some(this.as_str())>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <button type="button" on:click=move |_| saving.update(|s| *s = !*s) aria-expanded=move || saving.get().to_string()>{t!("views-save")}</button>
            {move || active().filter(|v| may_change(v)).map(|_| view! {
                <button type="button" on:click=update>{t!("views-update")}</button>
                <button type="button" on:click=delete>{t!("views-delete")}</button>
            })}
            <Show when=move || saving.get()>
                <form class="inline-form" on:submit=save aria-label=t!("views-save")>
                    <div class="field">
                        <label for="view-name">{t!("views-name")}</label>
                        <input id="view-name" autocomplete="off" bind:value=name />
                    </div>
                    <Show when=may_share>
                        <div class="field checkbox">
                            <input id="view-shared" type="checkbox" bind:checked=shared />
                            <label for="view-shared">{t!("views-shared")}</label>
                        </div>
                    </Show>
                    <button type="submit" class="primary">{t!("record-save")}</button>
                    <Show when=move || error.get().is_some()>
                        <p class="form-error" role="alert">{move || error.get()}</p>
                    </Show>
                </form>
            </Show>
        </div>
    }
}
