//! The virtualized table: a fixed set of row slots for the rows in sight (plus an
//! overscan), updated in place, between two spacer rows that keep the scroll height; the
//! headers sort and resize the columns.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;

use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use minicrm_core::deadline::Deadline;
use uuid::Uuid;

use super::search::Found;
use crate::data::use_replica;
use crate::pages::records::columns::{self, MAX_WIDTH, MIN_WIDTH, header};
use crate::pages::records::views::ListState;
use crate::t;

/// Height of one row in pixels (style/main.css keeps `.records-table tr` at this height).
pub const ROW_HEIGHT: f64 = 34.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 5;

/// How many rows a viewport of this height needs, with the overscan.
fn slots_for(viewport: f64) -> usize {
    (viewport / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN
}

/// The rows in sight, as `start..end` of the found ones, for this scroll position and
/// viewport height.
pub fn rows_in_sight(
    found: Memo<Found>,
    scroll_top: RwSignal<f64>,
    viewport: RwSignal<f64>,
) -> Memo<(usize, usize)> {
    let count = move || found.with(|found| found.0.len());
    Memo::new(move |_| {
        let total = count();
        let first = (scroll_top.get() / ROW_HEIGHT) as usize;
        let start = first.saturating_sub(OVERSCAN).min(total);
        let shown = slots_for(viewport.get());
        (start, (start + shown).min(total))
    })
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
pub fn RecordsTable(
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
    let now = crate::data::deadlines::use_deadlines();
    let marks = Memo::new(move |_| {
        let moment = now.moment();
        replica.with_work(|index| {
            Arc::new(minicrm_core::work::record_marks(
                index.open_tasks(),
                &moment,
            ))
        })
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
