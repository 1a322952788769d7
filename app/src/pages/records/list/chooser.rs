//! The column chooser: which columns, in which order.

use leptos::prelude::*;

use crate::data::use_replica;
use crate::pages::records::columns::{self, ColumnSetting, header};
use crate::pages::records::views::ListState;
use crate::t;

/// Choose, order and size the columns. (Opens like `ViewsBar`: both are bars of the list
/// that take its state and tell it when to re-run; the shape of a component, no logic.)
#[component]
pub fn ColumnsButton(
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
