//! The selection bar: select the rows in sight or every found record, and clear.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::components::A;
use minicrm_core::combine::MAX_RECORDS;
use uuid::Uuid;

use super::search::Found;
use crate::data::use_replica;
use crate::t;

#[component]
pub fn SelectionBar(
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
    // Two to ten selected records can be merged (in the order of their ids: the oldest
    // first).
    let merge_href = move || {
        let mut ids: Vec<Uuid> = selected.with(|s| s.iter().copied().collect());
        ids.sort();
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        format!("/records/merge?ids={}", ids.join(","))
    };
    view! {
        <div class="selection-bar">
            <button type="button" on:click=select_page>{t!("records-select-page")}</button>
            <button type="button" on:click=select_all>{move || t!("records-select-all", count = count().to_string())}</button>
            <Show when=move || selected.with(|s| !s.is_empty())>
                <span class="selected-count" role="status">{move || t!("records-selected", count = selected.with(HashSet::len).to_string())}</span>
                <button type="button" on:click=clear>{t!("records-clear-selection")}</button>
            </Show>
            <Show when=move || selected.with(|s| (2..=MAX_RECORDS).contains(&s.len()))>
                <A href=merge_href attr:class="button">{move || t!("records-merge", count = selected.with(HashSet::len).to_string())}</A>
            </Show>
        </div>
    }
}
