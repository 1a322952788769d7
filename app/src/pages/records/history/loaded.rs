//! The server's field history of a record as far as the timeline loaded it: the newest page
//! read again after a sync, older pages in front on demand.

use minicrm_core::sync::{HistoryEntry, HistoryResponse, MAX_HISTORY_LIMIT};

/// Entries per page of the server's history the timeline asks for (always sent as
/// `limit`, whatever the server's default): a long history opens quickly, older pages on
/// demand.
pub const HISTORY_PAGE: usize = 200;
/// The most the server returns at once: a refresh re-reads the pages shown up to this.
pub const HISTORY_MAX_PAGE: usize = MAX_HISTORY_LIMIT;

/// The field history as far as it is loaded: ascending HLC order, as the server sends it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadedHistory {
    pub entries: Vec<HistoryEntry>,
    /// Older entries exist on the server than the oldest one here.
    pub more: bool,
}

impl LoadedHistory {
    /// The oldest entry's HLC: where the next older page ends.
    pub fn oldest_hlc(&self) -> Option<&str> {
        self.entries.first().map(|entry| entry.hlc.as_str())
    }

    /// A fresh newest page read again (after a sync): it replaces the entries it covers;
    /// older pages loaded before stay when the page reaches back to them, and are
    /// dropped when newer writes pushed them out of reach (the gap would hide entries).
    pub fn refreshed(&self, page: HistoryResponse) -> LoadedHistory {
        let Some(page_oldest) = page.entries.first().map(|entry| entry.hlc.clone()) else {
            // The server has nothing (or no longer shows anything) for the row.
            return LoadedHistory {
                entries: Vec::new(),
                more: page.more,
            };
        };
        let reaches_back = self
            .entries
            .last()
            .is_some_and(|newest| newest.hlc >= page_oldest);
        if !page.more || !reaches_back {
            return LoadedHistory {
                entries: page.entries,
                more: page.more,
            };
        }
        let mut entries: Vec<HistoryEntry> = self
            .entries
            .iter()
            .filter(|entry| entry.hlc < page_oldest)
            .cloned()
            .collect();
        let kept_older = !entries.is_empty();
        entries.extend(page.entries);
        LoadedHistory {
            entries,
            more: if kept_older { self.more } else { page.more },
        }
    }

    /// An older page (entries before the oldest one shown) goes in front.
    pub fn with_older(&self, page: HistoryResponse) -> LoadedHistory {
        let oldest = self.oldest_hlc().map(str::to_owned);
        let mut entries: Vec<HistoryEntry> = page
            .entries
            .into_iter()
            .filter(|entry| {
                oldest
                    .as_deref()
                    .is_none_or(|oldest| entry.hlc.as_str() < oldest)
            })
            .collect();
        let added = !entries.is_empty();
        entries.extend(self.entries.iter().cloned());
        LoadedHistory {
            entries,
            // A page that brought nothing older cannot promise more.
            more: page.more && added,
        }
    }
}
