//! Saved views: a named search + filters + columns + sort, personal or shared with the
//! team; and the user's own layout (columns, sort). Both are `view` rows and sync like
//! everything else. The list's state ([`ListState`]) lives here, beside what captures it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::access::{Actor, RowScope, check_write};
use minicrm_core::query::{Condition, Query};
use minicrm_core::schema::Entity;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::columns::{ColumnSetting, SortSetting, default_columns};
use crate::data::SettingRow;
use crate::data::settings::Choice;
use crate::data::use_replica;
use crate::pages::forms::{ChoiceOptions, FormError, Submit, TextField};
use crate::state::session::use_session;
use crate::t;

/// The list state a saved view captures.
#[derive(Clone, Copy)]
pub struct ListState {
    pub text: RwSignal<String>,
    pub conditions: RwSignal<Vec<Condition>>,
    pub columns: RwSignal<Vec<ColumnSetting>>,
    pub sort: RwSignal<SortSetting>,
    pub active_view: RwSignal<Option<String>>,
}

/// No search, no filters, the default columns sorted by name, no view.
impl Default for ListState {
    fn default() -> Self {
        ListState {
            text: RwSignal::new(String::new()),
            conditions: RwSignal::new(Vec::new()),
            columns: RwSignal::new(default_columns()),
            sort: RwSignal::new(SortSetting::default()),
            active_view: RwSignal::new(None),
        }
    }
}

impl ListState {
    pub fn query(&self) -> Query {
        Query {
            text: self.text.get_untracked(),
            conditions: self.conditions.get_untracked(),
        }
    }

    /// The columns and sort, as a `view` row stores them.
    fn layout_changes(&self) -> Vec<(String, Value)> {
        vec![
            ("columns".into(), json!(self.columns.get_untracked())),
            ("sort".into(), json!(self.sort.get_untracked())),
        ]
    }

    /// The search, filters, columns and sort, as a saved view stores them.
    fn view_changes(&self) -> Vec<(String, Value)> {
        let mut changes = vec![("filter".into(), json!(self.query()))];
        changes.extend(self.layout_changes());
        changes
    }

    /// Shows stored columns (unless there are none) and a stored sort.
    fn show_layout(&self, columns: Option<Vec<ColumnSetting>>, sort: Option<SortSetting>) {
        if let Some(columns) = columns.filter(|c| !c.is_empty()) {
            self.columns.set(columns);
        }
        if let Some(sort) = sort {
            self.sort.set(sort);
        }
    }
}

/// A `view` row's `field`, when it has one of the expected shape.
fn stored<T: DeserializeOwned>(row: &SettingRow, field: &str) -> Option<T> {
    row.values
        .get(field)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// The user's layout (columns, sort) lives in their own `view` row, id = user id: it is
/// shown once the replica is ready; the returned function saves the layout as it is now.
pub fn use_layout(state: ListState) -> impl Fn() + Copy + Send + Sync + 'static {
    let replica = use_replica();
    let session = use_session();
    let layout_id = move || session.user().map(|user| user.id.to_string());
    let layout_loaded = RwSignal::new(false);
    Effect::new(move || {
        if layout_loaded.get_untracked() || !replica.ready.get() {
            return;
        }
        let Some(id) = layout_id() else { return };
        layout_loaded.set(true);
        replica.with_untracked(|index| {
            if let Some(row) = index.row("view", &id) {
                state.show_layout(stored(row, "columns"), stored(row, "sort"));
            }
        });
    });
    move || {
        let Some(id) = layout_id() else { return };
        let user_id = id.clone();
        let mut changes = vec![("owner_id".to_owned(), json!(user_id))];
        changes.extend(state.layout_changes());
        spawn_local(async move {
            if let Err(err) = replica.write("view", &id, changes).await {
                web_sys::console::warn_1(&format!("saving the layout failed: {err}").into());
            }
        });
    }
}

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

impl SavedView {
    fn read(row: &SettingRow) -> Self {
        SavedView {
            id: row.id.clone(),
            name: row.name().to_owned(),
            shared: row.bool("shared"),
            owner: row.str("owner_id").to_owned(),
            query: stored(row, "filter").unwrap_or_default(),
            columns: stored(row, "columns"),
            sort: stored(row, "sort"),
        }
    }

    /// Who sees and writes the view as it is now.
    fn scope(&self) -> RowScope {
        RowScope::View {
            owner: Some(self.owner.clone()),
            shared: self.shared,
        }
    }
}

/// Whether core's access rules (as on the server) let `actor` make these writes to a view
/// with this scope.
fn may_write(actor: &Actor, scope: &RowScope, changes: &[(String, Value)]) -> bool {
    changes
        .iter()
        .all(|(field, value)| check_write(actor, Entity::View, scope, field, value, None).is_ok())
}

/// What deleting a view writes.
fn deletion() -> Vec<(String, Value)> {
    vec![("deleted".into(), json!(true))]
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
    let user_id = move || session.user().map(|u| u.id.to_string()).unwrap_or_default();
    let actor = move || session.user().map(|user| Actor::from(&user));
    // Core's access rules decide, as on the server: sharing a new view of one's own, and
    // changing a view as it is now.
    let may_share = move || {
        actor().is_some_and(|actor| {
            let new = RowScope::new_row(Entity::View, &actor);
            may_write(&actor, &new, &[("shared".into(), json!(true))])
        })
    };
    let views = Memo::new(move |_| {
        let me = user_id();
        replica.with(|index| {
            let mut views: Vec<SavedView> = index
                .rows("view")
                .filter(|row| !row.deleted() && row.id != me && !row.name().is_empty())
                .map(SavedView::read)
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
        state.show_layout(view.columns, view.sort);
        state.active_view.set(Some(view.id));
        apply_layout();
    };
    let view_choices = Signal::derive(move || {
        views
            .get()
            .into_iter()
            .map(|v| Choice {
                name: if v.shared {
                    t!("views-shared-name", name = v.name.clone())
                } else {
                    v.name.clone()
                },
                id: v.id,
            })
            .collect()
    });
    let active_id = Signal::derive(move || state.active_view.get().unwrap_or_default());
    let active = move || {
        state
            .active_view
            .get()
            .and_then(|id| views.with(|views| views.iter().find(|v| v.id == id).cloned()))
    };
    // Update and Delete are offered when core lets the user make those writes.
    let may_change = move |view: &SavedView| {
        actor().is_some_and(|actor| {
            let scope = view.scope();
            may_write(&actor, &scope, &state.view_changes())
                && may_write(&actor, &scope, &deletion())
        })
    };
    let submit = Submit::new(
        move |(id, changes): (String, Vec<(String, Value)>)| async move {
            replica
                .write("view", &id, changes)
                .await
                .map_err(|err| t!("error-unexpected", message = err.to_string()))?;
            saving.set(false);
            name.set(String::new());
            shared.set(false);
            state.active_view.set(Some(id));
            Ok(())
        },
    );
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let view_name = name.get_untracked().trim().to_owned();
        if view_name.is_empty() {
            submit.fail(t!("views-name-required"));
            return;
        }
        let id = uuid::Uuid::now_v7().to_string();
        let mut changes: Vec<(String, Value)> = vec![
            ("name".into(), json!(view_name)),
            ("owner_id".into(), json!(user_id())),
        ];
        changes.extend(state.view_changes());
        if shared.get_untracked() && may_share() {
            changes.push(("shared".into(), json!(true)));
        }
        submit.dispatch((id, changes));
    };
    let update = move |_| {
        let Some(view) = active() else { return };
        let changes = state.view_changes();
        spawn_local(async move {
            let _ = replica.write("view", &view.id, changes).await;
        });
    };
    let delete = move |_| {
        let Some(view) = active() else { return };
        state.active_view.set(None);
        spawn_local(async move {
            let _ = replica.write("view", &view.id, deletion()).await;
        });
    };
    view! {
        <div class="views-bar">
            <div class="field">
                <label for="saved-view">{t!("views-label")}</label>
                <select id="saved-view" prop:value=move || state.active_view.get().unwrap_or_default() on:change=move |e| choose(event_target_value(&e))>
                    <option value="">{t!("views-none")}</option>
                    <ChoiceOptions choices=view_choices selected=active_id />
                </select>
            </div>
            <button type="button" on:click=move |_| saving.update(|s| *s = !*s) aria-expanded=move || saving.get().to_string()>{t!("views-save")}</button>
            {move || active().filter(|v| may_change(v)).map(|_| view! {
                <button type="button" on:click=update>{t!("views-update")}</button>
                <button type="button" on:click=delete>{t!("views-delete")}</button>
            })}
            <Show when=move || saving.get()>
                <form class="inline-form" on:submit=save aria-label=t!("views-save")>
                    <TextField id="view-name" label=t!("views-name") value=name autocomplete="off" />
                    <Show when=may_share>
                        <div class="field checkbox">
                            <input id="view-shared" type="checkbox" bind:checked=shared />
                            <label for="view-shared">{t!("views-shared")}</label>
                        </div>
                    </Show>
                    <button type="submit" class="primary">{t!("record-save")}</button>
                    <FormError error=submit.error() />
                </form>
            </Show>
        </div>
    }
}
