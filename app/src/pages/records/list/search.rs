//! The search: which records the list shows, in which order. The order is cached until
//! the replica or the sort changes; the search text of every contact sits in one buffer
//! (core's `SearchIndex`), and typing more of the same words re-checks only the last
//! matches.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use minicrm_core::query::{MatchContext, Matcher, Query, SearchIndex};
use uuid::Uuid;

use crate::data::{Index, Replica};
use crate::pages::records::columns::{self, SortSetting};
use crate::pages::records::views::ListState;

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

/// `f` over the replica's contacts and their search index, built once per replica
/// `version` and shared with the list's search (the record form's "may be the same as"
/// looks a typed phone or e-mail up in it).
pub(crate) fn with_search_index<R>(
    index: &Index,
    version: u64,
    f: impl FnOnce(&[minicrm_core::record::Contact], &SearchIndex) -> R,
) -> R {
    SEARCH_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let contacts = index.contacts();
        if cache.search.as_ref().is_none_or(|(v, _)| *v != version) {
            cache.search = Some((version, SearchIndex::build(contacts)));
        }
        match cache.search.as_ref() {
            Some((_, search)) => f(contacts, search),
            None => f(contacts, &SearchIndex::build(contacts)),
        }
    })
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

/// The records found for the list's search and filters, in display order; `me` is the
/// user whose open tasks "my open task" means.
pub fn found(replica: Replica, state: ListState, me: Option<Uuid>) -> Memo<Found> {
    Memo::new(move |_| {
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
    })
}
