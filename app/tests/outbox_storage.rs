//! The outbox and the settling of acknowledged edits at an import's scale, in real
//! Chromium: changes are kept a group per entry, a push may end inside a group, entries an
//! earlier version wrote one per change still push, and more rows settle than one
//! transaction holds.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use minicrm_app::storage::Storage;
use minicrm_app::storage::device::DeviceState;
use minicrm_app::storage::outbox::GROUP;
use minicrm_app::storage::rows::{RowEdit, SETTLE_CHUNK};
use minicrm_core::sync::{Change, PulledRow};
use serde_json::json;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use common::{SERVER_HLC, apply_page, db_name, pulled};

wasm_bindgen_test_configure!(run_in_browser);

const NOW: u64 = 1_763_800_000_000;

/// A contact id for row `n`.
fn id(n: usize) -> String {
    format!("0193a1b2-c3d4-7e5f-8a9b-{n:012}")
}

/// Edits `rows` contacts, `fields` fields each, in one transaction.
async fn edit_rows(storage: &Storage, rows: usize, fields: usize) -> Vec<Change> {
    let edits: Vec<RowEdit> = (0..rows)
        .map(|n| RowEdit {
            entity: "contact".into(),
            id: id(n),
            changes: (0..fields)
                .map(|f| (format!("field_{f}"), json!(format!("value {n}.{f}"))))
                .collect(),
        })
        .collect();
    storage.edit_many(&edits, NOW).await.unwrap()
}

/// Pushes as sync does, `max` changes a batch, every batch acknowledged whole.
async fn push_all(storage: &Storage, max: u32) -> usize {
    let mut batches = 0;
    loop {
        let batch = storage.outbox_batch(max, 1 << 24).await.unwrap();
        let Some(last) = batch.last() else {
            return batches;
        };
        storage
            .acknowledge(&batch, last.seq, &[], SERVER_HLC, 0.0)
            .await
            .unwrap();
        batches += 1;
    }
}

#[wasm_bindgen_test]
async fn a_push_that_ends_inside_a_group_keeps_the_rest_of_it() {
    let storage = Storage::open_named(&db_name("outbox-groups"))
        .await
        .unwrap();
    // 300 rows of 2 fields: 600 changes, more than two groups.
    let written = edit_rows(&storage, 300, 2).await;
    assert_eq!(written.len(), 600);
    const { assert!(600 > 2 * GROUP) };
    assert_eq!(storage.pending_count().await.unwrap(), 600);

    // A batch of 100 ends inside the first group.
    let first = storage.outbox_batch(100, 1 << 24).await.unwrap();
    assert_eq!(first, written[..100]);
    storage
        .acknowledge(&first, 100, &[], SERVER_HLC, 0.0)
        .await
        .unwrap();
    assert_eq!(storage.pending_count().await.unwrap(), 500);
    // The next batch starts right after, crossing into the next group.
    let second = storage.outbox_batch(300, 1 << 24).await.unwrap();
    assert_eq!(second, written[100..400]);
    // The server acknowledges less than it was sent (a partial batch): the rest stays.
    storage
        .acknowledge(&second, 250, &[], SERVER_HLC, 0.0)
        .await
        .unwrap();
    assert_eq!(storage.pending_count().await.unwrap(), 350);
    assert_eq!(
        storage.pending_changes().await.unwrap(),
        written[250..],
        "every change after the acknowledged one is still there, once, in order"
    );
    assert_eq!(storage.pending_first(7).await.unwrap(), written[250..257]);
    assert_eq!(push_all(&storage, 100).await, 4);
    assert_eq!(storage.pending_count().await.unwrap(), 0);
    assert!(storage.pending_changes().await.unwrap().is_empty());
    let summary = storage.outbox_summary().await.unwrap();
    assert_eq!((summary.count, summary.oldest_ms), (0, None));

    // The next edit goes on from seq 601 and is counted alone.
    let next = edit_rows(&storage, 1, 1).await;
    assert_eq!(next[0].seq, 601);
    let summary = storage.outbox_summary().await.unwrap();
    assert_eq!(summary.count, 1);
    assert_eq!(summary.oldest_ms, Some(NOW as f64));
}

/// Puts `values` into the outbox of database `name` as they are, as an earlier version of
/// the app wrote them (one change per entry).
async fn put_raw_outbox(name: &str, values: &[serde_json::Value]) {
    let put = js_sys::Function::new_with_args(
        "name, values",
        "return new Promise((ok, fail) => {
            const open = indexedDB.open(name);
            open.onerror = () => fail(open.error);
            open.onsuccess = () => {
                const db = open.result;
                const tx = db.transaction('outbox', 'readwrite');
                for (const value of JSON.parse(values)) tx.objectStore('outbox').put(value);
                tx.oncomplete = () => { db.close(); ok(); };
                tx.onerror = () => fail(tx.error);
            };
        })",
    );
    let text = serde_json::to_string(values).unwrap();
    let promise = put
        .call2(
            &JsValue::NULL,
            &JsValue::from_str(name),
            &JsValue::from_str(&text),
        )
        .unwrap();
    JsFuture::from(js_sys::Promise::from(promise))
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn changes_earlier_versions_kept_one_per_entry_or_as_group_objects_still_push_and_count() {
    let name = db_name("outbox-legacy");
    let storage = Storage::open_named(&name).await.unwrap();
    let change = |seq: u64| {
        json!({
            "seq": seq, "entity": "contact", "id": id(0), "field": format!("f{seq}"),
            "value": seq, "hlc": format!("176380000000{seq}-0000-device"),
        })
    };
    // One change per entry (the first versions), then a group as a JS object (the next).
    let mut legacy: Vec<serde_json::Value> = (1..=3)
        .map(|seq| {
            let mut entry = change(seq);
            entry["at_ms"] = json!(1000.0 * seq as f64);
            entry
        })
        .collect();
    legacy.push(json!({"seq": 4, "last": 5, "at_ms": 4000.0, "changes": [change(4), change(5)]}));
    put_raw_outbox(&name, &legacy).await;
    let mut device = storage.device().await.unwrap();
    device.seq = 5;
    storage.save_device(&device).await.unwrap();
    // A new edit after them is a group as this version writes it.
    let written = edit_rows(&storage, 1, 2).await;
    assert_eq!(written[0].seq, 6);

    let summary = storage.outbox_summary().await.unwrap();
    assert_eq!((summary.count, summary.oldest_ms), (7, Some(1000.0)));
    let batch = storage.outbox_batch(6, 1 << 24).await.unwrap();
    assert_eq!(
        batch.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(batch[1].field, "f2");
    assert_eq!(batch[4].field, "f5");
    assert_eq!(batch[5], written[0]);
    storage
        .acknowledge(&batch, 6, &[], SERVER_HLC, 0.0)
        .await
        .unwrap();
    assert_eq!(storage.pending_changes().await.unwrap(), written[1..]);
}

#[wasm_bindgen_test]
async fn more_rows_settle_than_one_transaction_holds_and_none_is_left_listed() {
    let storage = Storage::open_named(&db_name("settle-many")).await.unwrap();
    let rows = SETTLE_CHUNK as usize + 300;
    edit_rows(&storage, rows, 1).await;
    assert_eq!(push_all(&storage, 1000).await, rows.div_ceil(1000));
    // The device's record no longer lists the settling rows (it is read by every write).
    assert!(storage.device().await.unwrap().settling.is_empty());
    let sample = storage
        .row("contact", &id(rows - 1))
        .await
        .unwrap()
        .unwrap();
    assert!(sample.local.is_empty() && !sample.settling.is_empty());

    // A pull brings the server's state of one row; then every row settles.
    let server = [("field_0", json!("the server's"), SERVER_HLC)];
    apply_page(&storage, vec![pulled(&id(5), 9, &server)], 9).await;
    assert!(storage.finish_settling().await.unwrap());
    for n in [
        0,
        5,
        SETTLE_CHUNK as usize - 1,
        SETTLE_CHUNK as usize,
        rows - 1,
    ] {
        let row = storage.row("contact", &id(n)).await.unwrap();
        match n {
            5 => {
                let row = row.unwrap();
                assert!(row.settling.is_empty());
                assert_eq!(row.shown()["field_0"].value, json!("the server's"));
            }
            // The pull did not bring it: nothing but the acknowledged edit made it here.
            _ => assert!(row.is_none(), "row {n} is still on the device"),
        }
    }
    assert!(
        !storage.finish_settling().await.unwrap(),
        "nothing is left to settle"
    );
}

#[wasm_bindgen_test]
async fn rows_an_earlier_version_listed_in_the_device_record_settle_too() {
    let storage = Storage::open_named(&db_name("settle-legacy"))
        .await
        .unwrap();
    edit_rows(&storage, 2, 1).await;
    push_all(&storage, 1000).await;
    // As an earlier version kept them: listed in the device's record.
    let row = storage.row("contact", &id(0)).await.unwrap().unwrap();
    assert!(!row.settling.is_empty());
    let device = DeviceState {
        settling: vec![("contact".into(), id(0))],
        ..storage.device().await.unwrap()
    };
    storage.save_device(&device).await.unwrap();
    let server: Vec<PulledRow> = (0..2)
        .map(|n| pulled(&id(n), 3, &[("field_0", json!("pulled"), SERVER_HLC)]))
        .collect();
    apply_page(&storage, server, 3).await;
    assert!(storage.finish_settling().await.unwrap());
    for n in 0..2 {
        let row = storage.row("contact", &id(n)).await.unwrap().unwrap();
        assert!(row.settling.is_empty(), "row {n}");
    }
    assert!(storage.device().await.unwrap().settling.is_empty());
}
