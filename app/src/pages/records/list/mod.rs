//! The records list: one search box and filters over every record on the device, saved
//! views, chosen columns, a virtualized table (only the rows in sight are in the DOM) and
//! bulk actions on a selection. This module wires the page; the search, the table, the
//! filter widgets, the column chooser and the selection bar are its submodules.

mod chooser;
mod filters;
pub(crate) mod search;
mod selection;
mod table;

use std::collections::HashSet;

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use minicrm_core::import::job::Request;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use self::chooser::ColumnsButton;
use self::filters::{ConditionChips, FilterBar};
use self::selection::SelectionBar;
use self::table::{RecordsTable, rows_in_sight};
use super::bulk::BulkBar;
use super::export::ExportButton;
use super::filters::filter_fields;
use super::views::{ListState, ViewsBar, use_layout};
use crate::data::use_replica;
use crate::state::session::my_id;
use crate::state::session::use_session;
use crate::t;

#[component]
pub fn RecordsPage() -> impl IntoView {
    let replica = use_replica();
    let navigate = use_navigate();
    let state = ListState::default();
    let selected = RwSignal::new(HashSet::<Uuid>::new());
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(600.0_f64);
    let scroller = NodeRef::<html::Div>::new();
    let search_box = NodeRef::<html::Input>::new();

    let save_layout = use_layout(state);

    // "Find duplicates" is on this page: the worker reads the records it looks through
    // now, off the page and beside the replica's own read, so that a scan finds them
    // ready. Nothing waits on the answer; a failure shows when a scan is asked for.
    Effect::new(move |_| {
        leptos::task::spawn_local(async {
            let _ = crate::worker::ask(&Request::PrepareDuplicates, |_, _| {}).await;
        });
    });

    let me = my_id();
    let found = search::found(replica, state, me);
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

    let range = rows_in_sight(found, scroll_top, viewport);

    let fields = Memo::new(move |_| replica.with(filter_fields));
    let session = use_session();
    let may_import = move || session.user().is_some_and(|user| user.role.may_import());

    view! {
        <section class="page records-page">
            <div class="page-head">
                <h1>{t!("records-title")}</h1>
                <div class="toolbar">
                    <A href="/records/new" attr:class="button primary" attr:aria-keyshortcuts="n">{t!("records-new")}</A>
                    <Show when=may_import>
                        <A href="/records/import" attr:class="button">{t!("import-open")}</A>
                    </Show>
                    <ExportButton found=Signal::derive(move || found.get().0) selected=selected state=state />
                    <A href="/records/imports" attr:class="button">{t!("imports-link")}</A>
                    <A href="/records/duplicates" attr:class="button">{t!("duplicates-link")}</A>
                    <ColumnsButton state=state on_change=save_layout />
                </div>
            </div>
            <FilterBar state=state fields=fields search_box=search_box />
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
