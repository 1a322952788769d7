//! The device's sync storage in real Chromium: an edit is a row plus outbox entries in one
//! transaction; acknowledgements, pulls and refusals leave exactly the server's state.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use minicrm_core::sync::PulledRow;
use serde_json::json;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use common::{ROW, apply_page, edit_city, forbidden, fresh, page, pulled, refused_segment_edit};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn an_edit_writes_the_row_and_its_outbox_entries_together() {
    let storage = fresh("edit").await;
    let device = storage.device().await.unwrap();
    let changes = [
        ("city".to_owned(), json!("Kraków")),
        ("last_name".to_owned(), json!("Nowak")),
    ];
    let written = storage
        .edit("contact", ROW, &changes, 1_763_800_000_000)
        .await
        .unwrap();
    assert_eq!(written.iter().map(|c| c.seq).collect::<Vec<_>>(), [1, 2]);
    assert!(written[0].hlc < written[1].hlc);
    assert!(written[0].hlc.ends_with(&device.client_id));

    let row = storage.row("contact", ROW).await.unwrap().unwrap();
    assert!(row.base.is_empty());
    assert_eq!(row.shown()["city"].value, json!("Kraków"));
    assert_eq!(storage.pending_count().await.unwrap(), 2);
    let batch = storage.outbox_batch(1000, 1 << 20).await.unwrap();
    assert_eq!(batch, written);
    let after = storage.device().await.unwrap();
    assert_eq!(after.seq, 2);
    assert_eq!(after.hlc.as_deref(), Some(written[1].hlc.as_str()));

    // The next edit continues the seq and the clock, even with the wall clock behind.
    let next = storage
        .edit("contact", ROW, &[("city".to_owned(), json!("Brno"))], 1_000)
        .await
        .unwrap();
    assert_eq!(next[0].seq, 3);
    assert!(next[0].hlc > written[1].hlc);
}

#[wasm_bindgen_test]
async fn acknowledged_edits_settle_into_the_pulled_state() {
    let storage = fresh("ack").await;
    let sent = edit_city(&storage, "Kraków", 1_763_800_000_000).await;
    storage
        .acknowledge(&sent, 1, &[], "1763800005000-0000-server", 0.0)
        .await
        .unwrap();
    assert_eq!(storage.pending_count().await.unwrap(), 0);
    let row = storage.row("contact", ROW).await.unwrap().unwrap();
    assert_eq!(
        row.shown()["city"].value,
        json!("Kraków"),
        "still shown until the pull"
    );

    // The server restamped the write (the device's clock was far ahead): after the pull
    // the device holds the server's HLC, not its own.
    let city = [("city", json!("Kraków"), "1763800001000-0000-server")];
    apply_page(&storage, vec![pulled(ROW, 7, &city)], 7).await;
    storage.finish_settling().await.unwrap();
    let row = storage.row("contact", ROW).await.unwrap().unwrap();
    assert_eq!(row.shown()["city"].hlc, "1763800001000-0000-server");
    assert!(row.local.is_empty() && row.settling.is_empty());
    let device = storage.device().await.unwrap();
    assert_eq!(device.cursor, 7);
    let clock: minicrm_core::hlc::Hlc = device.hlc.unwrap().parse().unwrap();
    assert!(
        clock.wall_ms >= 1_763_800_009_000,
        "the clock observed the server's: {clock}"
    );
}

#[wasm_bindgen_test]
async fn pending_edits_stay_on_top_of_a_pull_and_refusals_are_kept_with_their_reason() {
    let storage = fresh("pending").await;
    let sent = storage
        .edit(
            "contact",
            ROW,
            &[
                ("city".to_owned(), json!("Mine")),
                ("owner_id".to_owned(), json!(ROW)),
            ],
            1_763_800_000_000,
        )
        .await
        .unwrap();
    let older = pulled(
        ROW,
        3,
        &[
            ("city", json!("Theirs"), "1763700000000-0000-other"),
            ("note", json!("hi"), "1763700000000-0001-other"),
        ],
    );
    // As in a first sync: only rows the device has are looked up, and this one is.
    let mut known = storage.row_keys().await.unwrap();
    assert!(known.contains(&("contact".to_owned(), ROW.to_owned())));
    storage
        .apply_pull(&page(vec![older], 3), Some(&mut known))
        .await
        .unwrap();
    let shown = storage.row("contact", ROW).await.unwrap().unwrap().shown();
    assert_eq!(shown["city"].value, json!("Mine"));
    assert_eq!(shown["note"].value, json!("hi"));

    // The server refused the owner change: after the pull it is gone and listed.
    let refusal = forbidden(2, "not yours");
    storage
        .acknowledge(&sent, 2, &[refusal], "1763800005000-0000-server", 42.0)
        .await
        .unwrap();
    let rejected = storage.rejected_changes().await.unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        (
            rejected[0].field.as_str(),
            rejected[0].code.as_str(),
            rejected[0].message.as_str()
        ),
        ("owner_id", "forbidden", "not yours")
    );
    let newer = pulled(
        ROW,
        4,
        &[
            ("city", json!("Mine"), &sent[0].hlc),
            ("note", json!("hi"), "1763700000000-0001-other"),
        ],
    );
    apply_page(&storage, vec![newer], 4).await;
    storage.finish_settling().await.unwrap();
    let shown = storage.row("contact", ROW).await.unwrap().unwrap().shown();
    assert!(
        !shown.contains_key("owner_id"),
        "the refused value is not shown"
    );
    storage.clear_rejected().await.unwrap();
    assert!(storage.rejected_changes().await.unwrap().is_empty());
}

#[wasm_bindgen_test]
async fn rows_that_leave_the_users_scope_and_refused_new_rows_disappear() {
    let storage = fresh("scope").await;
    let city = [("city", json!("Brno"), "1763700000000-0000-other")];
    apply_page(&storage, vec![pulled(ROW, 1, &city)], 1).await;
    assert_eq!(storage.rows_of("contact").await.unwrap().len(), 1);
    let gone = PulledRow {
        entity: "contact".into(),
        id: ROW.into(),
        version: 2,
        fields: None,
        visible: Some(false),
    };
    apply_page(&storage, vec![gone], 2).await;
    assert!(storage.rows_of("contact").await.unwrap().is_empty());

    let other = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c";
    refused_segment_edit(&storage, other, "1763800005000-0000-server", 0.0).await;
    apply_page(&storage, vec![], 2).await;
    storage.finish_settling().await.unwrap();
    assert!(
        storage.row("segment", other).await.unwrap().is_none(),
        "nothing on the server, nothing pending"
    );
}

#[wasm_bindgen_test]
async fn another_user_on_this_device_starts_clean() {
    let storage = fresh("claim").await;
    storage.claim_for_user("user-a").await.unwrap();
    edit_city(&storage, "Kraków", 1_763_800_000_000).await;
    storage.claim_for_user("user-a").await.unwrap();
    assert_eq!(
        storage.pending_count().await.unwrap(),
        1,
        "the same user keeps everything"
    );
    storage.claim_for_user("user-b").await.unwrap();
    assert_eq!(storage.pending_count().await.unwrap(), 0);
    assert!(storage.rows_of("contact").await.unwrap().is_empty());
    assert_eq!(storage.device().await.unwrap().cursor, 0);
}

#[wasm_bindgen_test]
async fn a_field_written_again_while_its_push_was_on_the_way_stays_pending() {
    let storage = fresh("ack-again").await;
    let sent = edit_city(&storage, "Kraków", 1_763_800_000_000).await;
    // Written again before the server answered: the newer write is not in `sent`.
    edit_city(&storage, "Brno", 1_763_800_000_500).await;
    storage
        .acknowledge(&sent, sent[0].seq, &[], "1763800005000-0000-server", 0.0)
        .await
        .unwrap();
    let row = storage.row("contact", ROW).await.unwrap().unwrap();
    assert_eq!(row.local["city"].value, json!("Brno"), "still pending");
    assert!(
        row.settling.is_empty(),
        "the acknowledged write was replaced"
    );
    let pending = storage.pending_changes().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].value, json!("Brno"));
}
