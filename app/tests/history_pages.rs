//! The record timeline's field history in pages: a refresh of the newest page keeps older
//! pages it reaches back to, drops them past a gap, and an older page goes in front.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minicrm_app::pages::records::history::LoadedHistory;
use minicrm_core::sync::{HistoryEntry, HistoryResponse};
use serde_json::json;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn entry(n: u64) -> HistoryEntry {
    HistoryEntry {
        field: "city".into(),
        value: json!(format!("City {n}")),
        hlc: format!("{:013}-0000-device", 1_763_800_000_000 + n),
        user_id: "user".into(),
        won: true,
        client_id: None,
        received_at: None,
    }
}

fn entries(range: std::ops::Range<u64>) -> Vec<HistoryEntry> {
    range.map(entry).collect()
}

fn page(range: std::ops::Range<u64>, more: bool) -> HistoryResponse {
    HistoryResponse {
        entries: entries(range),
        more,
    }
}

#[wasm_bindgen_test]
fn a_reply_without_more_is_the_whole_history() {
    let reply: HistoryResponse = serde_json::from_value(json!({"entries": []})).unwrap();
    assert!(!reply.more, "a server that does not page sends no `more`");
    let loaded = LoadedHistory::default().refreshed(page(0..5, false));
    assert_eq!(loaded.entries, entries(0..5));
    assert!(!loaded.more);
}

#[wasm_bindgen_test]
fn older_pages_go_in_front_until_there_are_no_more() {
    let newest = LoadedHistory::default().refreshed(page(200..400, true));
    assert!(newest.more);
    assert_eq!(newest.oldest_hlc(), Some(entry(200).hlc.as_str()));
    let more = newest.with_older(page(0..200, false));
    assert_eq!(more.entries, entries(0..400));
    assert!(!more.more);
    // Entries not older than the oldest shown (a server that ignores `before`) are not
    // shown twice, and cannot promise more.
    let again = more.with_older(page(0..400, true));
    assert_eq!(again.entries, entries(0..400));
    assert!(!again.more);
}

#[wasm_bindgen_test]
fn a_refresh_keeps_the_older_pages_it_reaches_back_to() {
    let shown = LoadedHistory::default()
        .refreshed(page(200..400, true))
        .with_older(page(100..200, true));
    // Two new writes: the refreshed page (as long as what is shown) overlaps.
    let refreshed = shown.refreshed(page(102..402, true));
    assert_eq!(refreshed.entries, entries(100..402));
    assert!(refreshed.more, "older than 100 still on the server");

    // Many new writes: the page does not reach back, older pages go (no gap is shown).
    let far = shown.refreshed(page(1000..1300, true));
    assert_eq!(far.entries, entries(1000..1300));
    assert!(far.more);

    // Everything now fits in one reply.
    let whole = shown.refreshed(page(0..402, false));
    assert_eq!(whole.entries, entries(0..402));
    assert!(!whole.more);

    // The row has no history any more (purged).
    let gone = shown.refreshed(page(0..0, false));
    assert!(gone.entries.is_empty());
}
