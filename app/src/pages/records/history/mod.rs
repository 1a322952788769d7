//! A record's timeline: tasks done, calls, e-mails, messages, meetings and notes, and every
//! write the server accepted for its fields (winners and losers) with this device's pending
//! edits; a value that was overwritten can be restored with one click.
//!
//! The server's history comes in pages, newest first: the timeline shows the newest page
//! and "Show older changes" fetches the one before the oldest entry shown.

mod entries;
mod loaded;

use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::merge::Fields;
use minicrm_core::work::Task;
use uuid::Uuid;

use crate::api::{self, ApiError};
use crate::data::merges::MERGE;
use crate::data::{ACTIVITY, CONTACT, SettingRow};
use crate::pages::forms::{FormDone, FormError, Submit};
use crate::state::online::use_online;
use crate::state::session::use_session;
use crate::storage::Storage;
use crate::storage::rows::StoredRow;
use crate::sync::use_sync;
use crate::t;
use entries::{Item, Timeline, with_old_values};
pub use entries::{field_label, value_label};
pub use loaded::{HISTORY_MAX_PAGE, HISTORY_PAGE, LoadedHistory};

/// Pages of a merged record's history the timeline reads at most.
const MERGED_HISTORY_PAGES: usize = 10;
use minicrm_core::combine::{self, FieldRule};
use minicrm_core::sync::HistoryEntry;

/// The record's history: tasks done, activities, and every write the server accepted for
/// its fields (winners and losers) with this device's edits still waiting on top. A value
/// that was replaced or lost can be restored with one click (a new change).
#[component]
pub fn RecordHistory(id: String, row: RwSignal<Option<Option<StoredRow>>>) -> impl IntoView {
    let replica = crate::data::use_replica();
    let session = use_session();
    let online = use_online();
    let sync = use_sync();
    let record_id = Uuid::parse_str(&id).ok();
    let entries = RwSignal::new(None::<Result<LoadedHistory, ApiError>>);
    let id_for_load = id.clone();
    let id_for_older = StoredValue::new(id.clone());
    // Reads overlap (a sync finishes while the last one is on its way): only the newest
    // request may set what is shown.
    let fetches = StoredValue::new(0u64);
    let reads = StoredValue::new(0u64);
    Effect::new(move || {
        sync.data_version.track();
        if !online.get() {
            entries.update(|entries| {
                // Keep what was read while online; say so only when there is nothing.
                if !matches!(entries, Some(Ok(_))) {
                    *entries = Some(Err(ApiError::Unreachable));
                }
            });
            return;
        }
        let Some(token) = session.token() else {
            return;
        };
        let id = id_for_load.clone();
        fetches.update_value(|n| *n += 1);
        let this = fetches.get_value();
        // Read again as much as is shown (older pages included), within one reply.
        let shown = entries.with_untracked(|entries| match entries {
            Some(Ok(loaded)) => loaded.entries.len(),
            _ => 0,
        });
        let limit = shown.clamp(HISTORY_PAGE, HISTORY_MAX_PAGE);
        spawn_local(async move {
            let result = api::history_page(&token, CONTACT, &id, None, limit).await;
            if let Err(err) = &result {
                session.note_api_error(err).await;
            }
            if fetches.get_value() != this {
                return;
            }
            entries.update(|entries| match (entries.as_ref(), result) {
                (Some(Ok(loaded)), Ok(page)) => *entries = Some(Ok(loaded.refreshed(page))),
                // A lost connection keeps what was read before.
                (Some(Ok(_)), Err(ApiError::Unreachable)) => {}
                (_, result) => {
                    *entries = Some(result.map(|page| LoadedHistory::default().refreshed(page)));
                }
            });
        });
    });
    // "Show older changes": the page before the oldest entry shown.
    let older = Submit::new(move |(token, before): (String, String)| async move {
        let id = id_for_older.get_value();
        let page = api::history_page(&token, CONTACT, &id, Some(&before), HISTORY_PAGE).await;
        match page {
            Ok(page) => {
                entries.update(|entries| {
                    if let Some(Ok(loaded)) = entries {
                        *loaded = loaded.with_older(page);
                    }
                });
                Ok(())
            }
            Err(err) => {
                session.note_api_error(&err).await;
                Err(err.user_message())
            }
        }
    });
    let loading_older = older.pending();
    let load_older = move |_| {
        let Some(token) = session.token() else {
            return;
        };
        let Some(before) = entries.with_untracked(|entries| match entries {
            Some(Ok(loaded)) => loaded.oldest_hlc().map(str::to_owned),
            _ => None,
        }) else {
            return;
        };
        older.dispatch((token, before));
    };
    let has_older =
        move || entries.with(|entries| matches!(entries, Some(Ok(loaded)) if loaded.more));
    // The record's activities, read whole from the device (the replica keeps them compact).
    let activities = RwSignal::new(Vec::<(String, Fields)>::new());
    Effect::new(move || {
        let keys: Vec<(String, String)> = replica.with_work(|index| {
            index
                .activities()
                .filter(|a| a.record_id == record_id && record_id.is_some())
                .map(|a| (ACTIVITY.to_owned(), a.id.to_string()))
                .collect()
        });
        reads.update_value(|n| *n += 1);
        let this = reads.get_value();
        spawn_local(async move {
            let Ok(storage) = Storage::shared().await else {
                return;
            };
            let rows = storage.rows_by_keys(&keys).await;
            if reads.get_value() != this {
                return;
            }
            if let Ok(rows) = rows {
                activities.set(
                    rows.into_iter()
                        .flatten()
                        .map(|row| (row.id.clone(), row.shown()))
                        .collect(),
                );
            }
        });
    });
    let closed_tasks = Memo::new(move |_| {
        replica.with_work(|index| {
            index
                .tasks()
                .filter(|t| record_id.is_some() && t.record_id == record_id && !t.is_open())
                .cloned()
                .collect::<Vec<Task>>()
        })
    });
    // Merges into this record, and the field history of the records merged (not undone):
    // read from the server like the record's own, each whole (up to
    // MERGED_HISTORY_PAGES pages of the server's most).
    let merges = Memo::new(move |_| {
        replica.with(|index| {
            let id = record_id.map(|id| id.to_string()).unwrap_or_default();
            index
                .rows(MERGE)
                .filter(|row| row.str("record_id") == id && !id.is_empty())
                .cloned()
                .collect::<Vec<SettingRow>>()
        })
    });
    let merged_entries = RwSignal::new(Vec::<(String, Vec<HistoryEntry>)>::new());
    // Only the newest read sets what is shown (an undo clears it while one is on its way).
    let merged_reads = StoredValue::new(0u64);
    Effect::new(move || {
        sync.data_version.track();
        merged_reads.update_value(|n| *n += 1);
        let this = merged_reads.get_value();
        let merged: Vec<(String, String)> = merges.with(|merges| {
            merges
                .iter()
                .filter(|row| !row.bool("undone"))
                .flat_map(|row| {
                    let ids = row.strings("merged_ids");
                    let names = row.strings("names");
                    ids.into_iter()
                        .enumerate()
                        .map(move |(n, id)| (id, names.get(n).cloned().unwrap_or_default()))
                })
                .collect()
        });
        if merged.is_empty() {
            merged_entries.set(Vec::new());
            return;
        }
        if !online.get() {
            return;
        }
        let Some(token) = session.token() else {
            return;
        };
        spawn_local(async move {
            let mut all = Vec::new();
            for (id, name) in merged {
                // Its whole history, page by page (older pages in front), within a bound.
                let mut entries: Vec<HistoryEntry> = Vec::new();
                let mut before: Option<String> = None;
                for _ in 0..MERGED_HISTORY_PAGES {
                    match api::history_page(
                        &token,
                        CONTACT,
                        &id,
                        before.as_deref(),
                        HISTORY_MAX_PAGE,
                    )
                    .await
                    {
                        Ok(page) => {
                            let oldest = page.entries.first().map(|e| e.hlc.clone());
                            let mut older: Vec<HistoryEntry> = page
                                .entries
                                .into_iter()
                                .filter(|e| combine::field_rule(&e.field) != FieldRule::Keep)
                                .collect();
                            older.append(&mut entries);
                            entries = older;
                            match oldest {
                                Some(oldest) if page.more => before = Some(oldest),
                                _ => break,
                            }
                        }
                        Err(err) => {
                            session.note_api_error(&err).await;
                            break;
                        }
                    }
                }
                all.push((name, entries));
            }
            if merged_reads.get_value() == this {
                merged_entries.try_set(all);
            }
        });
    });
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let timeline = Timeline {
        replica,
        session,
        record: StoredValue::new(id),
        row,
        error,
        done,
    };
    let items = move || {
        let mut items: Vec<Item> = closed_tasks.get().into_iter().map(Item::Task).collect();
        items.extend(
            activities
                .get()
                .into_iter()
                .map(|(id, fields)| Item::Activity(id, fields)),
        );
        if let Some(Ok(loaded)) = entries.get() {
            items.extend(with_old_values(loaded.entries));
        }
        items.extend(merges.get().into_iter().map(Item::Merge));
        for (name, merged) in merged_entries.get() {
            items.extend(
                with_old_values(merged)
                    .into_iter()
                    .filter_map(|item| match item {
                        Item::Field(entry, old) => {
                            Some(Item::MergedField(name.clone(), entry, old))
                        }
                        _ => None,
                    }),
            );
        }
        items.sort_by_key(|item| std::cmp::Reverse(item.at_ms()));
        items
    };
    view! {
        <section class="panel history" aria-labelledby="history-title">
            <h2 id="history-title">{t!("record-history-title")}</h2>
            <FormError error=error />
            <FormDone message=done />
            <ul class="timeline">
                {move || timeline.pending().into_iter().map(|(field, value)| timeline.pending_entry(field, value)).collect_view()}
            </ul>
            {move || match entries.get() {
                None => Some(view! { <p role="status">{t!("app-loading")}</p> }.into_any()),
                Some(Err(ApiError::Unreachable)) => Some(view! { <p class="notice">{t!("record-history-offline")}</p> }.into_any()),
                Some(Err(err)) => Some(view! { <FormError error=Some(err.user_message()) /> }.into_any()),
                Some(Ok(_)) => None,
            }}
            {move || {
                let items = items();
                if items.is_empty() {
                    view! { <p class="empty">{t!("record-history-empty")}</p> }.into_any()
                } else {
                    view! { <ol class="timeline">{items.into_iter().map(|item| timeline.entry(item)).collect_view()}</ol> }.into_any()
                }
            }}
            <Show when=has_older>
                <button type="button" class="link" disabled=move || loading_older.get() || !online.get() on:click=load_older>
                    {move || if loading_older.get() { t!("record-history-loading-older") } else { t!("record-history-older") }}
                </button>
            </Show>
            <FormError error=older.error() />
        </section>
    }
}
