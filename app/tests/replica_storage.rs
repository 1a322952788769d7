//! What the in-memory replica reads from IndexedDB, in real Chromium: slices of a large
//! store in id order, rows by key, many rows edited in one transaction, and the change log
//! that tells the replica which rows to re-read.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use minicrm_app::storage::changes;
use minicrm_app::storage::rows::{RowEdit, RowScan};
use serde_json::json;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use common::{fresh, row_edit};

wasm_bindgen_test_configure!(run_in_browser);

fn id(n: u32) -> String {
    format!("0193a1b2-c3d4-7e5f-8a9b-{n:012}")
}

#[wasm_bindgen_test]
async fn many_rows_are_edited_in_one_transaction_and_read_back_in_slices() {
    let storage = fresh("slices").await;
    let _ = changes::take();
    let edits: Vec<RowEdit> = (0..250)
        .map(|n| RowEdit {
            entity: "contact".into(),
            id: id(n),
            changes: vec![
                ("last_name".into(), json!(format!("Person {n}"))),
                (
                    "segment:0193a1b2-c3d4-7e5f-8a9b-000000000abc".into(),
                    json!(true),
                ),
            ],
        })
        .collect();
    let written = storage.edit_many(&edits, 1_763_800_000_000).await.unwrap();
    assert_eq!(written.len(), 500);
    // Seqs are consecutive and HLCs strictly increase, as for single edits.
    assert!(
        written
            .windows(2)
            .all(|w| w[1].seq == w[0].seq + 1 && w[1].hlc > w[0].hlc)
    );
    assert_eq!(storage.pending_count().await.unwrap(), 500);
    // A settings row beside them is not part of the contacts' range.
    storage
        .edit(
            "segment",
            &id(999),
            &[("name".into(), json!("VIP"))],
            1_763_800_000_001,
        )
        .await
        .unwrap();

    // Read back in slices of 100, in id order, with nothing skipped or repeated.
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let slice = storage
            .rows_after("contact", after.as_deref(), 100)
            .await
            .unwrap();
        if slice.is_empty() {
            break;
        }
        after = slice.last().map(|row| row.id.clone());
        seen.extend(slice.into_iter().map(|row| row.id));
    }
    assert_eq!(seen, (0..250).map(id).collect::<Vec<_>>());

    // A scan asks for each slice before the one before is handled: the same rows, in the
    // same order, with a write landing between two slices seen when it is ahead.
    for size in [100, 125, 250, 1000] {
        let mut scan = RowScan::new(&storage, "contact", size);
        let mut scanned = Vec::new();
        let mut slices = 0;
        while let Some(slice) = scan.next().await.unwrap() {
            slices += 1;
            assert!(slice.len() <= size as usize);
            scanned.extend(slice.parsed().map(|row| row.unwrap().id));
        }
        assert_eq!(
            scanned,
            (0..250).map(id).collect::<Vec<_>>(),
            "slices of {size}"
        );
        assert_eq!(slices, 250_u32.div_ceil(size), "slices of {size}");
    }
    let mut scan = RowScan::new(&storage, "contact", 100);
    let first = scan.next().await.unwrap().unwrap();
    assert_eq!(first.len(), 100);
    storage
        .edit(
            "contact",
            &id(400),
            &[("last_name".into(), json!("Late"))],
            1_763_800_000_002,
        )
        .await
        .unwrap();
    let mut rest = Vec::new();
    while let Some(slice) = scan.next().await.unwrap() {
        rest.extend(slice.parsed().map(|row| row.unwrap().id));
    }
    assert_eq!(
        rest.len(),
        151,
        "the 150 after the first slice and the late one"
    );
    assert_eq!(rest.last(), Some(&id(400)));

    // By key, in the order asked, `None` where there is no row.
    let keys = vec![
        ("contact".to_owned(), id(7)),
        ("contact".to_owned(), id(5000)),
        ("segment".to_owned(), id(999)),
    ];
    let rows = storage.rows_by_keys(&keys).await.unwrap();
    assert_eq!(
        rows[0].as_ref().unwrap().shown()["last_name"].value,
        json!("Person 7")
    );
    assert!(rows[1].is_none());
    assert_eq!(
        rows[2].as_ref().unwrap().shown()["name"].value,
        json!("VIP")
    );

    // The change log names every row written, once (the 250, the segment, the late one).
    let changed = changes::take();
    assert!(!changed.all);
    assert_eq!(changed.keys.len(), 252);
    assert!(changed.keys.contains(&("segment".to_owned(), id(999))));
    assert!(changes::take().keys.is_empty());
}

/// A call logged with "call back later": the activity and its task land together, each in
/// its own entity's range (where the replica loads tasks and activities from), and the
/// compact forms read back what was written.
#[wasm_bindgen_test]
async fn a_call_and_its_callback_task_are_written_together() {
    use minicrm_core::work::{Activity, ActivityKind, Task};
    let storage = fresh("work").await;
    let _ = changes::take();
    let record = id(1);
    let task = id(2);
    let call = id(3);
    // Two rows alike in shape by nature: the call and its task.
    let edits = vec![
        row_edit(
            "activity",
            &call,
            &[
                ("record_id", json!(record)),
                ("kind", json!("call")),
                ("at", json!("2026-12-01T09:00:00.000Z")),
                ("task_id", json!(task)),
                ("duration_s", json!(155)),
            ],
        ),
        row_edit(
            "task",
            &task,
            &[
                ("record_id", json!(record)),
                ("title", json!("Call back")),
                ("due", json!("2026-12-02T09:00:00.000Z")),
                ("done", json!(false)),
            ],
        ),
    ];
    storage.edit_many(&edits, 1_764_579_600_000).await.unwrap();
    assert_eq!(storage.pending_count().await.unwrap(), 9);
    let tasks = storage.rows_after("task", None, 10).await.unwrap();
    let activities = storage.rows_after("activity", None, 10).await.unwrap();
    assert_eq!((tasks.len(), activities.len()), (1, 1));
    let task = Task::from_fields(&tasks[0].id, &tasks[0].shown()).unwrap();
    assert_eq!(task.title, "Call back");
    assert_eq!(task.record_id.map(|r| r.to_string()), Some(record.clone()));
    assert_eq!(task.due_ms, Some(1_796_202_000_000));
    assert!(task.is_open());
    let activity = Activity::from_fields(&activities[0].id, &activities[0].shown()).unwrap();
    assert_eq!(activity.kind, ActivityKind::Call);
    assert_eq!(activity.at_ms, Some(1_796_115_600_000));
    // The change log names both rows, so the replica re-reads exactly them.
    let changed = changes::take();
    assert!(
        changed
            .keys
            .contains(&("task".to_owned(), tasks[0].id.clone()))
    );
    assert!(changed.keys.contains(&("activity".to_owned(), call)));
}

#[wasm_bindgen_test]
async fn a_scan_keeping_some_fields_shows_them_as_a_full_parse_does() {
    let storage = fresh("keeping").await;
    let edits: Vec<RowEdit> = (0..30)
        .map(|n| RowEdit {
            entity: "contact".into(),
            id: id(n),
            changes: vec![
                ("last_name".into(), json!(format!("Nowak \"{n}\" \\ Łódź"))),
                (
                    "note".into(),
                    json!({ "long": ["text", n, { "deep": null }] }),
                ),
                ("city".into(), json!("Győr")),
            ],
        })
        .collect();
    storage.edit_many(&edits, 1_763_800_000_000).await.unwrap();
    let keep: fn(&str) -> bool = |field| field == "last_name" || field == "city";
    let mut scan = RowScan::new(&storage, "contact", 7);
    let mut rows = 0;
    while let Some(slice) = scan.next().await.unwrap() {
        let kept: Vec<_> = slice.parsed_keeping(keep).map(|row| row.unwrap()).collect();
        for row in kept {
            let full = storage
                .rows_by_keys(&[("contact".to_owned(), row.id.clone())])
                .await
                .unwrap()
                .remove(0)
                .unwrap()
                .shown();
            let shown = row.into_shown();
            assert_eq!(shown.len(), 2);
            assert_eq!(shown["last_name"], full["last_name"]);
            assert_eq!(shown["city"], full["city"]);
            assert!(full.contains_key("note"));
            rows += 1;
        }
    }
    assert_eq!(rows, 30);
    // Not a row: an error, not an empty row.
    assert!(minicrm_app::storage::rows::row_keeping("{\"base\":{}}", keep).is_err());
    assert!(minicrm_app::storage::rows::row_keeping("[1]", keep).is_err());
}
