//! The records list: one search box and filters over every record on the device, saved
//! views, chosen columns, a virtualized table (only the rows in sight are in the DOM) and
//! bulk actions on a selection.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use minicrm_core::deadline::Deadline;
use minicrm_core::query::{Condition, MatchContext, Matcher, Op, Query, SearchIndex};
use serde_json::{Value, json};
use uuid::Uuid;
use wasm_bindgen::JsCast;

use super::bulk::BulkBar;
use super::columns::{
    self, ColumnSetting, MAX_WIDTH, MIN_WIDTH, SortSetting, default_columns, header,
};
use super::filters::{
    FilterField, ValueKind, describe, filter_fields, op_from_name, op_label, op_name, takes_value,
};
use super::views::ViewsBar;
use crate::data::{Index, use_replica};
use crate::state::session::use_session;
use crate::t;

/// Height of one row in pixels (style/main.css keeps `.records-table tr` at this height).
pub const ROW_HEIGHT: f64 = 34.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 5;

/// How many rows a viewport of this height needs, with the overscan.
fn slots_for(viewport: f64) -> usize {
    (viewport / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN
}

/// The found records, as indexes into the replica's contacts, in display order. Compared
/// by identity: a new search always makes a new list.
#[derive(Clone)]
pub struct Found(pub Arc<Vec<u32>>);

impl PartialEq for Found {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// What the last search computed, so the next keystroke can refine it.
#[derive(Default)]
struct SearchCache {
    order: Option<(u64, SortSetting, String, Arc<Vec<u32>>)>,
    last: Option<(u64, Matcher, Vec<u64>)>,
    search: Option<(u64, SearchIndex)>,
}

thread_local! {
    static SEARCH_CACHE: RefCell<SearchCache> = RefCell::new(SearchCache::default());
}

fn utc_offset_minutes() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// Every contact not in the trash, in display order for `sort` (cached until the replica or sort changes).
fn sorted_order(index: &Index, sort: &SortSetting, country: &str) -> Vec<u32> {
    let contacts = index.contacts();
    if sort.key == "name" {
        // The common case: a precomputed key, compared in place.
        let mut order: Vec<u32> = (0..contacts.len() as u32)
            .filter(|i| !contacts[*i as usize].deleted)
            .collect();
        order.sort_by(|a, b| {
            let (a, b) = (
                &contacts[*a as usize].sort_name,
                &contacts[*b as usize].sort_name,
            );
            match (a.is_empty(), b.is_empty()) {
                (false, false) if sort.desc => b.cmp(a),
                (false, false) => a.cmp(b),
                (empty_a, empty_b) => empty_a.cmp(&empty_b),
            }
        });
        return order;
    }
    // Records in the trash are never listed here (the trash has its own page).
    let mut keyed: Vec<(columns::SortKey, u32)> = contacts
        .iter()
        .enumerate()
        .filter(|(_, contact)| !contact.deleted)
        .map(|(i, contact)| {
            (
                columns::sort_key(&sort.key, contact, index, country),
                i as u32,
            )
        })
        .collect();
    keyed.sort_by(|a, b| {
        let order = a.0.compare(&b.0);
        if sort.desc && a.0 != columns::SortKey::Empty && b.0 != columns::SortKey::Empty {
            order.reverse()
        } else {
            order
        }
    });
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The list state a saved view captures.
#[derive(Clone, Copy)]
pub struct ListState {
    pub text: RwSignal<String>,
    pub conditions: RwSignal<Vec<Condition>>,
    pub columns: RwSignal<Vec<ColumnSetting>>,
    pub sort: RwSignal<SortSetting>,
    pub active_view: RwSignal<Option<String>>,
}

impl ListState {
    pub fn query(&self) -> Query {
        Query {
            text: self.text.get_untracked(),
            conditions: self.conditions.get_untracked(),
        }
    }
}

#[component]
pub fn RecordsPage() -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let navigate = use_navigate();
    let state = ListState {
        text: RwSignal::new(String::new()),
        conditions: RwSignal::new(Vec::new()),
        columns: RwSignal::new(default_columns()),
        sort: RwSignal::new(SortSetting::default()),
        active_view: RwSignal::new(None),
    };
    let selected = RwSignal::new(HashSet::<Uuid>::new());
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(600.0_f64);
    let scroller = NodeRef::<html::Div>::new();
    let search_box = NodeRef::<html::Input>::new();

    // The user's layout (columns, sort) lives in their own `view` row, id = user id.
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
                if let Some(columns) = row
                    .values
                    .get("columns")
                    .and_then(|v| serde_json::from_value::<Vec<ColumnSetting>>(v.clone()).ok())
                    .filter(|c| !c.is_empty())
                {
                    state.columns.set(columns);
                }
                if let Some(sort) = row
                    .values
                    .get("sort")
                    .and_then(|v| serde_json::from_value::<SortSetting>(v.clone()).ok())
                {
                    state.sort.set(sort);
                }
            }
        });
    });
    let save_layout = move || {
        let Some(id) = layout_id() else { return };
        let user_id = id.clone();
        let columns = json!(state.columns.get_untracked());
        let sort = json!(state.sort.get_untracked());
        spawn_local(async move {
            let changes = vec![
                ("owner_id".to_owned(), json!(user_id)),
                ("columns".to_owned(), columns),
                ("sort".to_owned(), sort),
            ];
            if let Err(err) = replica.write("view", &id, changes).await {
                web_sys::console::warn_1(&format!("saving the layout failed: {err}").into());
            }
        });
    };

    let me = crate::pages::tasks::my_id();
    let found = Memo::new(move |_| {
        let version = replica.version.get();
        let sort = state.sort.get();
        let query = Query {
            text: state.text.get(),
            conditions: state.conditions.get(),
        };
        // "Records where I have an open task" follows the tasks (and only then tracks them).
        let uses_tasks = query.conditions.iter().any(|c| c.field == "my_open_task");
        let open_task_records = if uses_tasks {
            replica.with_work(|index| {
                index
                    .tasks()
                    .filter(|task| task.is_open() && me.is_some() && task.assignee_id == me)
                    .filter_map(|task| task.record_id)
                    .collect()
            })
        } else {
            HashSet::new()
        };
        let ctx = MatchContext {
            utc_offset_minutes: utc_offset_minutes(),
            open_task_records,
        };
        let matcher = Matcher::new(&query, &ctx);
        // The search's own time, for `cargo xtask bench` and the browser's performance panel.
        let performance = web_sys::window().and_then(|w| w.performance());
        if let Some(performance) = &performance {
            let _ = performance.mark("minicrm-search-start");
        }
        let found = SEARCH_CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            replica.with_untracked(|index| {
                let country = index.default_country();
                let order = match &cache.order {
                    Some((v, s, c, order)) if *v == version && *s == sort && *c == country => {
                        order.clone()
                    }
                    _ => {
                        let order = Arc::new(sorted_order(index, &sort, &country));
                        cache.order = Some((version, sort.clone(), country, order.clone()));
                        order
                    }
                };
                if matcher.query().is_empty() {
                    cache.last = None;
                    return Found(order);
                }
                let contacts = index.contacts();
                if cache.search.as_ref().is_none_or(|(v, _)| *v != version) {
                    cache.search = Some((version, SearchIndex::build(contacts)));
                }
                // Contacts are checked in storage order (memory order: fast), marking a
                // bitset; typing more of the same words only re-checks the last matches.
                let cache = &mut *cache;
                let Some((_, search_index)) = cache.search.as_ref() else {
                    return Found(Arc::new(Vec::new()));
                };
                let previous = match &cache.last {
                    Some((v, previous, bits))
                        if *v == version && !uses_tasks && matcher.refines(previous) =>
                    {
                        Some(bits.as_slice())
                    }
                    _ => None,
                };
                let bits = matcher.find_all(search_index, contacts, previous);
                let result: Vec<u32> = order
                    .iter()
                    .copied()
                    .filter(|i| bits[(*i >> 6) as usize] & (1 << (i & 63)) != 0)
                    .collect();
                cache.last = Some((version, matcher, bits));
                Found(Arc::new(result))
            })
        });
        if let Some(performance) = &performance {
            let _ = performance.measure_with_start_mark("minicrm-search", "minicrm-search-start");
            performance.clear_marks_with_mark_name("minicrm-search-start");
        }
        found
    });
    let count = move || found.with(|found| found.0.len());

    // Back to the top when the result changes shape.
    Effect::new(move || {
        state.text.track();
        state.conditions.track();
        // Only when scrolled: setting scrollTop forces a layout.
        if scroll_top.get_untracked() > 0.0 {
            if let Some(el) = scroller.get_untracked() {
                el.set_scroll_top(0);
            }
            scroll_top.set(0.0);
        }
    });
    let measure = move || {
        if let Some(el) = scroller.get_untracked() {
            viewport.set(f64::from(el.client_height().max(200)));
        }
    };
    Effect::new(move || {
        if scroller.get().is_some() {
            measure();
        }
    });
    let resize = window_event_listener(ev::resize, move |_| measure());
    // `/` focuses the search, `n` starts a new record (not while typing).
    let keys_navigate = navigate.clone();
    let keys = window_event_listener(ev::keydown, move |event: web_sys::KeyboardEvent| {
        let typing = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                    || el.is_content_editable()
            });
        if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        match event.key().as_str() {
            "/" => {
                event.prevent_default();
                if let Some(input) = search_box.get_untracked() {
                    let _ = input.focus();
                }
            }
            "n" => {
                event.prevent_default();
                keys_navigate("/records/new", Default::default());
            }
            _ => {}
        }
    });
    on_cleanup(move || {
        resize.remove();
        keys.remove();
    });

    let range = Memo::new(move |_| {
        let total = count();
        let first = (scroll_top.get() / ROW_HEIGHT) as usize;
        let start = first.saturating_sub(OVERSCAN).min(total);
        let shown = slots_for(viewport.get());
        (start, (start + shown).min(total))
    });

    let fields = Memo::new(move |_| replica.with(filter_fields));
    let reset = move |_| {
        state.text.set(String::new());
        state.conditions.set(Vec::new());
        state.active_view.set(None);
    };
    let filtered =
        move || !state.text.with(|t| t.trim().is_empty()) || !state.conditions.with(Vec::is_empty);

    view! {
        <section class="page records-page">
            <div class="page-head">
                <h1>{t!("records-title")}</h1>
                <div class="toolbar">
                    <A href="/records/new" attr:class="button primary" attr:aria-keyshortcuts="n">{t!("records-new")}</A>
                    <ColumnsButton state=state on_change=save_layout />
                </div>
            </div>
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
            <ConditionChips state=state fields=fields />
            <ViewsBar state=state on_apply=save_layout />
            {move || {
                if !replica.ready.get() {
                    let loaded = replica.loading.get().unwrap_or(0);
                    return view! {
                        <p role="status" class="loading">{t!("records-loading", count = loaded.to_string())}</p>
                    }.into_any();
                }
                view! {
                    <div class="list-status">
                        <p class="count" role="status" aria-live="polite">{move || t!("records-count", count = count().to_string())}</p>
                        <SelectionBar found=found range=range selected=selected />
                    </div>
                }.into_any()
            }}
            <BulkBar selected=selected />
            <div
                class="records-scroll"
                node_ref=scroller
                on:scroll=move |event| {
                    if let Some(el) = event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                        scroll_top.set(f64::from(el.scroll_top()));
                    }
                }
            >
                <RecordsTable state=state found=found range=range viewport=viewport selected=selected on_layout=save_layout />
            </div>
        </section>
    }
}

/// One row in sight, as the table shows it.
#[derive(Clone, PartialEq)]
struct ShownRow {
    id: Uuid,
    /// The record's name, whatever the columns (the row's checkbox is named by it).
    name: String,
    position: usize,
    cells: Vec<String>,
    pending: bool,
    /// The most urgent deadline of the record's open tasks.
    deadline: Option<Deadline>,
}

#[component]
fn RecordsTable(
    state: ListState,
    found: Memo<Found>,
    range: Memo<(usize, usize)>,
    viewport: RwSignal<f64>,
    selected: RwSignal<HashSet<Uuid>>,
    on_layout: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let replica = use_replica();
    let navigate = use_navigate();
    let total_width = move || {
        state
            .columns
            .with(|c| c.iter().map(|c| c.width).sum::<u32>() + 40)
    };
    // The rows in sight, as data: the table keeps a fixed set of row slots and only
    // updates their text, so a keystroke or a scroll step never rebuilds the DOM.
    // Records with open tasks, by their most urgent deadline (follows the clock).
    let now = crate::state::deadlines::use_deadlines();
    let marks = Memo::new(move |_| {
        let moment = now.moment();
        replica
            .with_work(|index| Arc::new(minicrm_core::work::record_marks(index.tasks(), &moment)))
    });
    let rows = Memo::new(move |_| {
        let (start, end) = range.get();
        replica.version.track();
        let marks = marks.get();
        let columns = state.columns.get();
        found.with(|found| {
            replica.with_untracked(|index| {
                let country = index.default_country();
                found.0[start..end]
                    .iter()
                    .enumerate()
                    .map(|(offset, i)| {
                        let contact = &index.contacts()[*i as usize];
                        ShownRow {
                            id: contact.id,
                            name: columns::cell("name", contact, index, &country),
                            position: start + offset,
                            cells: columns
                                .iter()
                                .map(|c| columns::cell(&c.key, contact, index, &country))
                                .collect(),
                            pending: index.is_pending(&contact.id),
                            deadline: marks.get(&contact.id).copied(),
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    // Enough slots for the rows in sight plus the overscan on both sides.
    let slots = Memo::new(move |_| {
        range
            .with(|(start, end)| end - start)
            .max(slots_for(viewport.get()))
    });
    let top = move || range.get().0 as f64 * ROW_HEIGHT;
    let bottom = move || {
        let (_, end) = range.get();
        (found.with(|f| f.0.len()) - end) as f64 * ROW_HEIGHT
    };
    view! {
        <table
            class="data-table records-table"
            style:width=move || format!("{}px", total_width())
            aria-rowcount=move || (found.with(|f| f.0.len()) + 1).to_string()
        >
            <colgroup>
                <col style="width: 40px" />
                {move || state.columns.get().into_iter().map(|c| view! { <col style:width=format!("{}px", c.width) /> }).collect_view()}
            </colgroup>
            <thead>
                <tr aria-rowindex="1">
                    <th scope="col" class="select-col"><span class="visually-hidden" id="records-select-label">{t!("records-select-column")}</span></th>
                    {move || {
                        let columns = state.columns.get();
                        let count = columns.len();
                        columns.into_iter().enumerate().map(|(position, column)| {
                            view! { <HeaderCell state=state key=column.key position=position count=count on_layout=on_layout.clone() /> }
                        }).collect_view()
                    }}
                </tr>
            </thead>
            <tbody>
                <tr class="spacer" aria-hidden="true" style:height=move || format!("{}px", top())></tr>
                {move || {
                    // Rebuilt only when the columns or the number of slots change.
                    let columns = state.columns.get();
                    let slots = slots.get();
                    let name_first = columns.first().is_some_and(|c| c.key == "name");
                    (0..slots).map(|slot| {
                        // Each slot follows only its own row: rows that stay the same cost nothing.
                        let slot_row = Memo::new(move |_| rows.with(|rows| rows.get(slot).cloned()));
                        let id = move || slot_row.with(|r| r.as_ref().map(|r| r.id));
                        let href = move || id().map(|id| format!("/records/{id}")).unwrap_or_default();
                        let is_selected = move || id().is_some_and(|id| selected.with(|s| s.contains(&id)));
                        let toggle = move |_| {
                            if let Some(id) = id() {
                                selected.update(|s| { if !s.remove(&id) { s.insert(id); } });
                            }
                        };
                        let navigate = navigate.clone();
                        let open = move |event: web_sys::KeyboardEvent| {
                            if event.key() == "Enter" && event.target() == event.current_target() {
                                navigate(&href(), Default::default());
                            }
                        };
                        let cell = move |c: usize| move || slot_row.with(|r| r.as_ref().and_then(|r| r.cells.get(c).cloned()).unwrap_or_default());
                        let name_id = format!("records-row-{slot}-name");
                        view! {
                            <tr
                                tabindex="0"
                                on:keydown=open
                                hidden=move || slot_row.with(Option::is_none)
                                aria-rowindex=move || slot_row.with(|r| r.as_ref().map(|r| (r.position + 2).to_string()))
                                class:selected=is_selected
                                class:deadline-overdue=move || slot_row.with(|r| r.as_ref().and_then(|r| r.deadline) == Some(Deadline::Overdue))
                                class:deadline-today=move || slot_row.with(|r| r.as_ref().and_then(|r| r.deadline) == Some(Deadline::Today))
                            >
                                <td class="select-col">
                                    <input type="checkbox" aria-labelledby=format!("records-select-label {name_id}") prop:checked=is_selected on:change=toggle />
                                    <span class="visually-hidden" id=name_id.clone()>{move || slot_row.with(|r| r.as_ref().map(|r| r.name.clone()).unwrap_or_default())}</span>
                                </td>
                                {(0..columns.len()).map(|c| {
                                    if c == 0 && name_first {
                                        view! {
                                            <td>
                                                <a href=href>{cell(0)}</a>
                                                <Show when=move || slot_row.with(|r| r.as_ref().is_some_and(|r| r.pending))>
                                                    <span class="badge">{t!("records-pending")}</span>
                                                </Show>
                                                {move || slot_row.with(|r| r.as_ref().and_then(|r| r.deadline)).map(|deadline| {
                                                    let (class, key) = match deadline {
                                                        Deadline::Overdue => ("task-mark overdue", "records-task-overdue"),
                                                        Deadline::Today => ("task-mark today", "records-task-today"),
                                                        Deadline::Later | Deadline::Undated => ("task-mark", "records-task-open"),
                                                    };
                                                    view! { <span class=class>{t!(key)}</span> }
                                                })}
                                            </td>
                                        }.into_any()
                                    } else {
                                        view! { <td>{cell(c)}</td> }.into_any()
                                    }
                                }).collect_view()}
                            </tr>
                        }
                    }).collect_view()
                }}
                <tr class="spacer" aria-hidden="true" style:height=move || format!("{}px", bottom())></tr>
            </tbody>
        </table>
    }
}

#[component]
fn HeaderCell(
    state: ListState,
    key: String,
    position: usize,
    count: usize,
    on_layout: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let replica = use_replica();
    let label = replica.with_untracked(|index| header(&key, index));
    let sort_key = key.clone();
    let aria_sort = {
        let key = key.clone();
        move || {
            state.sort.with(|s| {
                if s.key != key {
                    "none"
                } else if s.desc {
                    "descending"
                } else {
                    "ascending"
                }
            })
        }
    };
    let on_sort = on_layout.clone();
    let toggle_sort = move |_| {
        state.sort.update(|s| {
            if s.key == sort_key {
                s.desc = !s.desc;
            } else {
                s.key = sort_key.clone();
                s.desc = false;
            }
        });
        on_sort();
    };
    // Dragging the handle resizes the column; the width is saved when the drag ends.
    let drag = Rc::new(RefCell::new(None::<(f64, u32)>));
    let start_drag = {
        let drag = drag.clone();
        move |event: web_sys::PointerEvent| {
            event.prevent_default();
            let width = state
                .columns
                .with_untracked(|c| c.get(position).map_or(150, |c| c.width));
            *drag.borrow_mut() = Some((f64::from(event.client_x()), width));
        }
    };
    let move_drag = {
        let drag = drag.clone();
        window_event_listener(ev::pointermove, move |event| {
            if let Some((x, width)) = *drag.borrow() {
                let delta = f64::from(event.client_x()) - x;
                let new_width = (f64::from(width) + delta)
                    .clamp(f64::from(MIN_WIDTH), f64::from(MAX_WIDTH))
                    as u32;
                state.columns.update(|c| {
                    if let Some(c) = c.get_mut(position) {
                        c.width = new_width;
                    }
                });
            }
        })
    };
    let end_drag = {
        let drag = drag.clone();
        window_event_listener(ev::pointerup, move |_| {
            if drag.borrow_mut().take().is_some() {
                on_layout();
            }
        })
    };
    on_cleanup(move || {
        move_drag.remove();
        end_drag.remove();
    });
    let _ = count;
    view! {
        <th scope="col" aria-sort=aria_sort>
            <button type="button" class="sort" on:click=toggle_sort>{label.clone()}</button>
            <span class="resize-handle" role="separator" aria-orientation="vertical" aria-label=t!("records-resize", column = label) on:pointerdown=start_drag></span>
        </th>
    }
}

#[component]
fn SelectionBar(
    found: Memo<Found>,
    range: Memo<(usize, usize)>,
    selected: RwSignal<HashSet<Uuid>>,
) -> impl IntoView {
    let replica = use_replica();
    let ids_of = move |indexes: &[u32]| -> Vec<Uuid> {
        replica.with_untracked(|index| {
            indexes
                .iter()
                .map(|i| index.contacts()[*i as usize].id)
                .collect()
        })
    };
    let select_page = move |_| {
        let (start, end) = range.get_untracked();
        let ids = found.with_untracked(|f| ids_of(&f.0[start..end]));
        selected.update(|s| s.extend(ids));
    };
    let select_all = move |_| {
        let ids = found.with_untracked(|f| ids_of(&f.0));
        selected.update(|s| s.extend(ids));
    };
    let clear = move |_| selected.update(HashSet::clear);
    let count = move || found.with(|f| f.0.len());
    view! {
        <div class="selection-bar">
            <button type="button" on:click=select_page>{t!("records-select-page")}</button>
            <button type="button" on:click=select_all>{move || t!("records-select-all", count = count().to_string())}</button>
            <Show when=move || selected.with(|s| !s.is_empty())>
                <span class="selected-count" role="status">{move || t!("records-selected", count = selected.with(HashSet::len).to_string())}</span>
                <button type="button" on:click=clear>{t!("records-clear-selection")}</button>
            </Show>
        </div>
    }
}

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
                        let Some(f) = fields.iter().find(|f| f.field == field) else { return Vec::new() };
                        let ValueKind::Choice { choices, nobody } = &f.value else { return Vec::new() };
                        let mut options = Vec::new();
                        if *nobody {
                            options.push(view! { <option value="-" prop:selected=move || current() == "-">{t!("filter-nobody")}</option> }.into_any());
                        }
                        for choice in choices {
                            let this = choice.id.clone();
                            options.push(view! { <option value=choice.id.clone() prop:selected=move || current() == this>{choice.name.clone()}</option> }.into_any());
                        }
                        options
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
                        {move || fields.get().into_iter().map(|f| {
                            let this = f.field.clone();
                            view! { <option value=f.field.clone() prop:selected=move || field.get() == this>{f.label.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-op">{t!("filter-op")}</label>
                    <select id="filter-op" on:change=move |e| op.set(event_target_value(&e)) prop:value=move || op.get()>
                        {move || chosen().map(|f| f.ops.into_iter().map(|o| view! { <option value=op_name(o) prop:selected=move || op.get() == op_name(o)>{op_label(o)}</option> }).collect_view())}
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
                                        {nobody.then(|| view! { <option value="-" prop:selected=move || value.get() == "-">{t!("filter-nobody")}</option> })}
                                        {choices.into_iter().map(|c| {
                                            let this = c.id.clone();
                                            view! { <option value=c.id prop:selected=move || value.get() == this>{c.name}</option> }
                                        }).collect_view()}
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
                <Show when=move || error.get().is_some()>
                    <p class="form-error" role="alert">{move || error.get()}</p>
                </Show>
                <div class="actions">
                    <button type="submit" class="primary">{t!("filter-add")}</button>
                    <button type="button" on:click=move |_| open.set(false)>{t!("record-cancel")}</button>
                </div>
            </form>
        </Show>
    }
}

#[component]
fn ConditionChips(state: ListState, fields: Memo<Vec<FilterField>>) -> impl IntoView {
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

/// Choose, order and size the columns.
#[component]
fn ColumnsButton(
    state: ListState,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let replica = use_replica();
    let open = RwSignal::new(false);
    let available = Memo::new(move |_| {
        replica.with(|index| {
            columns::available(index)
                .into_iter()
                .map(|key| {
                    let label = header(&key, index);
                    (key, label)
                })
                .collect::<Vec<_>>()
        })
    });
    let changed = on_change.clone();
    let toggle = Callback::new(move |key: String| {
        state.columns.update(|columns| {
            if let Some(i) = columns.iter().position(|c| c.key == key) {
                if columns.len() > 1 {
                    columns.remove(i);
                }
            } else {
                columns.push(ColumnSetting { key, width: 150 });
            }
        });
        changed();
    });
    let shift = Callback::new(move |(key, up): (String, bool)| {
        state.columns.update(|columns| {
            if let Some(i) = columns.iter().position(|c| c.key == key) {
                let j = if up {
                    i.checked_sub(1)
                } else {
                    Some(i + 1).filter(|j| *j < columns.len())
                };
                if let Some(j) = j {
                    columns.swap(i, j);
                }
            }
        });
        on_change();
    });
    view! {
        <button type="button" aria-haspopup="dialog" on:click=move |_| open.set(true)>{t!("records-columns")}</button>
        <Show when=move || open.get()>
            <div class="dialog-backdrop">
                <div class="dialog panel" role="dialog" aria-modal="true" aria-labelledby="columns-title"
                    on:keydown=move |e: web_sys::KeyboardEvent| if e.key() == "Escape" { open.set(false) }>
                    <h2 id="columns-title">{t!("records-columns-title")}</h2>
                    <p class="hint">{t!("records-columns-hint")}</p>
                    <ul class="column-chooser">
                        {move || {
                            let shown = state.columns.get();
                            let mut listed: Vec<(String, String)> = shown.iter().filter_map(|c| available.with(|a| a.iter().find(|(k, _)| *k == c.key).cloned())).collect();
                            listed.extend(available.get().into_iter().filter(|(k, _)| !shown.iter().any(|c| &c.key == k)));
                            listed.into_iter().map(|(key, label)| {
                                let is_shown = shown.iter().any(|c| c.key == key);
                                let id = format!("column-{key}");
                                let (k1, k2, k3) = (key.clone(), key.clone(), key.clone());
                                view! {
                                    <li>
                                        <input type="checkbox" id=id.clone() prop:checked=is_shown on:change=move |_| toggle.run(k1.clone()) />
                                        <label for=id>{label.clone()}</label>
                                        {is_shown.then(|| view! {
                                            <button type="button" class="icon" aria-label=t!("records-column-up", column = label.clone()) on:click=move |_| shift.run((k2.clone(), true))>"↑"</button>
                                            <button type="button" class="icon" aria-label=t!("records-column-down", column = label.clone()) on:click=move |_| shift.run((k3.clone(), false))>"↓"</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()
                        }}
                    </ul>
                    <div class="actions">
                        <button type="button" class="primary" on:click=move |_| open.set(false)>{t!("dialog-done")}</button>
                    </div>
                </div>
            </div>
        </Show>
    }
}
