//! Logging out and the storage's health, in real Chromium: clearing the device leaves
//! nothing of the user (with another tab's connection open), sync work for a user who is
//! gone writes nothing, a login removes rows nobody claimed, the outbox tells its oldest
//! change and the last acknowledgement its time, and the rescue copy holds everything.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use minicrm_app::pages::sync::{age_text, size_text};
use minicrm_app::storage::device::DEVICE_KEY;
use minicrm_app::storage::rescue::{RESCUE_KIND, RESCUE_SLICE};
use minicrm_app::storage::rows::RowEdit;
use minicrm_app::storage::session::StoredSession;
use minicrm_app::storage::{Storage, StorageError};
use minicrm_core::Role;
use minicrm_core::sync::{PullResponse, PulledRow};
use serde_json::{Value, json};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use common::{ROW, SERVER_HLC, apply_page, db_name as name, edit_city, page, refused_segment_edit};

wasm_bindgen_test_configure!(run_in_browser);

const USER_A: &str = "0193a1b2-c3d4-7e5f-8a9b-00000000000a";
const USER_B: &str = "0193a1b2-c3d4-7e5f-8a9b-00000000000b";

/// An agent's session.
fn session(user: &str, token: &str) -> StoredSession {
    common::session(user, token, Role::Agent)
}

/// The contact `id` at `version`, its city written by another device.
fn pulled(id: &str, version: u64, city: &str) -> PulledRow {
    common::pulled(
        id,
        version,
        &[("city", json!(city), "1763700000000-0000-other")],
    )
}

/// A device holding user A's data in every store: a session, a pulled row (cursor 7), a
/// pending edit, a refusal, and a recorded acknowledgement.
async fn device_of_user_a(storage: &Storage) {
    storage.claim_for_user(USER_A).await.unwrap();
    storage
        .save_session(&session(USER_A, "secret-token-a"))
        .await
        .unwrap();
    apply_page(storage, vec![pulled(ROW, 7, "Brno")], 7).await;
    refused_segment_edit(storage, ROW, SERVER_HLC, 1_763_800_001_000.0).await;
    edit_city(storage, "Kraków", 1_763_800_002_000).await;
}

#[wasm_bindgen_test]
async fn clearing_the_device_leaves_no_session_rows_outbox_rejections_or_cursor() {
    let db = name("clear");
    let storage = Storage::open_named(&db).await.unwrap();
    device_of_user_a(&storage).await;
    let before = storage.device().await.unwrap();
    assert_eq!(before.cursor, 7);
    assert_eq!(storage.pending_count().await.unwrap(), 1);
    assert_eq!(storage.rejected_changes().await.unwrap().len(), 1);
    assert_eq!(storage.row_keys().await.unwrap().len(), 2);

    // Another tab's connection stays open: clearing does not wait for it.
    let other_tab = Storage::open_named(&db).await.unwrap();
    assert!(other_tab.load_session().await.unwrap().is_some());
    storage.clear_device().await.unwrap();

    for view in [&storage, &other_tab] {
        assert_eq!(view.load_session().await.unwrap(), None, "no session");
        assert!(view.row_keys().await.unwrap().is_empty(), "no rows");
        assert_eq!(view.pending_count().await.unwrap(), 0, "no outbox");
        assert!(view.pending_changes().await.unwrap().is_empty());
        assert!(
            view.rejected_changes().await.unwrap().is_empty(),
            "no rejections"
        );
        assert_eq!(
            view.get_meta::<Value>(DEVICE_KEY).await.unwrap(),
            None,
            "no device state: cursor, seq, client id, user"
        );
    }
    // The next use starts as a new device.
    let after = other_tab.device().await.unwrap();
    assert_eq!(after.cursor, 0);
    assert_eq!(after.seq, 0);
    assert_eq!(after.user_id, None);
    assert_ne!(after.client_id, before.client_id);
}

#[wasm_bindgen_test]
async fn sync_work_for_a_user_who_logged_out_writes_nothing() {
    let storage = Storage::open_named(&name("owner")).await.unwrap();
    device_of_user_a(&storage).await;
    let for_a = storage.for_user(USER_A);
    // While the device is A's, A's sync writes.
    for_a
        .apply_pull(&page(vec![pulled(ROW, 8, "Ostrava")], 8), None)
        .await
        .unwrap();
    let sent = storage.pending_changes().await.unwrap();

    storage.clear_device().await.unwrap();
    let late_pull = page(vec![pulled(ROW, 9, "Praha")], 9);
    assert_eq!(
        for_a.apply_pull(&late_pull, None).await,
        Err(StorageError::NotOwner)
    );
    assert_eq!(for_a.mark_synced(5.0).await, Err(StorageError::NotOwner));
    assert_eq!(for_a.finish_settling().await, Err(StorageError::NotOwner));
    assert!(
        storage.row_keys().await.unwrap().is_empty(),
        "no row came back"
    );

    // B logs in and edits; a late acknowledgement of A's push leaves B's outbox alone.
    storage.claim_for_user(USER_B).await.unwrap();
    edit_city(&storage, "Brno", 1_763_800_003_000).await;
    assert_eq!(
        for_a.acknowledge(&sent, 99, &[], SERVER_HLC, 1.0).await,
        Err(StorageError::NotOwner)
    );
    assert_eq!(storage.pending_count().await.unwrap(), 1);
    assert_eq!(
        storage.device().await.unwrap().user_id.as_deref(),
        Some(USER_B)
    );
    assert_eq!(storage.device().await.unwrap().last_ack_ms, None);
}

#[wasm_bindgen_test]
async fn a_login_removes_rows_no_user_claimed_and_an_old_session_adopts_them() {
    // A tab that had not heard of the logout yet wrote an edit into the emptied device.
    let storage = Storage::open_named(&name("unclaimed")).await.unwrap();
    edit_city(&storage, "Kraków", 1_763_800_000_000).await;
    assert!(storage.claim_for_user(USER_B).await.unwrap());
    assert_eq!(storage.pending_count().await.unwrap(), 0);
    assert!(storage.row_keys().await.unwrap().is_empty());
    assert!(
        !storage.claim_for_user(USER_B).await.unwrap(),
        "the same user again removes nothing"
    );

    // A session kept from before the device recorded its user keeps its data.
    let legacy = Storage::open_named(&name("adopt")).await.unwrap();
    legacy
        .save_session(&session(USER_A, "secret-token-a"))
        .await
        .unwrap();
    edit_city(&legacy, "Kraków", 1_763_800_000_000).await;
    assert_eq!(legacy.adopt_if_unowned(USER_A).await.unwrap(), USER_A);
    assert_eq!(legacy.pending_count().await.unwrap(), 1);
    assert_eq!(
        legacy.adopt_if_unowned(USER_B).await.unwrap(),
        USER_A,
        "a device someone holds is not adopted"
    );
    assert_eq!(legacy.pending_count().await.unwrap(), 1);

    // Unowned data is adopted only by the user whose session the device holds.
    let other = Storage::open_named(&name("adopt-other")).await.unwrap();
    other
        .save_session(&session(USER_B, "secret-token-b"))
        .await
        .unwrap();
    assert_eq!(
        other.adopt_if_unowned(USER_A).await,
        Err(StorageError::NotOwner),
        "another user's session adopts nothing for A"
    );
    assert_eq!(other.device().await.unwrap().user_id, None);

    // Logged out (the session went with everything else): a tab that has not heard of it
    // yet cannot adopt the emptied device and pull A's rows back into it.
    legacy.clear_device().await.unwrap();
    assert_eq!(
        legacy.adopt_if_unowned(USER_A).await,
        Err(StorageError::NotOwner)
    );
    assert_eq!(legacy.device().await.unwrap().user_id, None);
    let late_pull = page(vec![pulled(ROW, 9, "Praha")], 9);
    assert_eq!(
        legacy.for_user(USER_A).apply_pull(&late_pull, None).await,
        Err(StorageError::NotOwner)
    );
    assert!(
        legacy.row_keys().await.unwrap().is_empty(),
        "no row came back"
    );
}

#[wasm_bindgen_test]
async fn the_outbox_tells_when_its_oldest_change_was_made() {
    let storage = Storage::open_named(&name("oldest")).await.unwrap();
    let empty = storage.outbox_summary().await.unwrap();
    assert_eq!((empty.count, empty.oldest_ms), (0, None));

    // The server's clock is ahead: HLCs run ahead of the device's wall clock, the age
    // follows the wall clock of the edit.
    let ahead = PullResponse {
        server_hlc: "1999999999999-0000-server".into(),
        ..page(vec![], 0)
    };
    storage.apply_pull(&ahead, None).await.unwrap();
    let first = edit_city(&storage, "Kraków", 1_763_800_000_000).await;
    assert!(first[0].hlc.starts_with("1999999999999"));
    edit_city(&storage, "Brno", 1_763_800_060_000).await;
    let summary = storage.outbox_summary().await.unwrap();
    assert_eq!(summary.count, 2);
    assert_eq!(summary.oldest_ms, Some(1_763_800_000_000.0));

    // Acknowledged, the first leaves; the second is the oldest now, and the time of the
    // acknowledgement is kept.
    assert_eq!(storage.device().await.unwrap().last_ack_ms, None);
    storage
        .acknowledge(
            &first,
            first[0].seq,
            &[],
            "1999999999999-0001-server",
            1_763_800_090_000.0,
        )
        .await
        .unwrap();
    let summary = storage.outbox_summary().await.unwrap();
    assert_eq!(summary.count, 1);
    assert_eq!(summary.oldest_ms, Some(1_763_800_060_000.0));
    assert_eq!(
        storage.device().await.unwrap().last_ack_ms,
        Some(1_763_800_090_000.0)
    );
    // The pushed change is still exactly the change (the edit's time is not sent).
    let pending = storage.outbox_batch(10, 1 << 20).await.unwrap();
    let wire = serde_json::to_value(&pending[0]).unwrap();
    assert_eq!(
        wire.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["entity", "field", "hlc", "id", "seq", "value"]
    );
}

#[wasm_bindgen_test]
async fn a_rescue_copy_holds_every_row_the_outbox_and_the_refusals_but_no_token() {
    let storage = Storage::open_named(&name("rescue")).await.unwrap();
    device_of_user_a(&storage).await;
    // More rows than one slice, over two entities.
    let count = RESCUE_SLICE + 100;
    let edits: Vec<RowEdit> = (0..count)
        .map(|n| RowEdit {
            entity: if n % 2 == 0 { "contact" } else { "task" }.into(),
            id: format!("0193a1b2-c3d4-7e5f-8a9b-{n:012}"),
            changes: vec![("note".into(), json!(format!("row {n}")))],
        })
        .collect();
    storage.edit_many(&edits, 1_763_800_005_000).await.unwrap();

    let parts = storage
        .rescue_copy("2026-11-22T09:30:00.000Z")
        .await
        .unwrap();
    let text = parts.concat();
    assert!(!text.contains("secret-token-a"), "the token stays out");
    let copy: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(copy["kind"], RESCUE_KIND);
    assert_eq!(copy["saved_at"], "2026-11-22T09:30:00.000Z");
    assert_eq!(copy["user"]["id"], USER_A);
    assert_eq!(copy["device"]["user_id"], USER_A);
    let rows = copy["rows"].as_array().unwrap();
    assert_eq!(rows.len(), count as usize + 2);
    let kraków = rows
        .iter()
        .find(|row| row["entity"] == "contact" && row["id"] == ROW)
        .unwrap();
    assert_eq!(kraków["base"]["city"]["value"], "Brno");
    assert_eq!(kraków["local"]["city"]["value"], "Kraków");
    let outbox = copy["outbox"].as_array().unwrap();
    assert_eq!(outbox.len(), count as usize + 1);
    assert_eq!(outbox[0]["value"], "Kraków");
    assert_eq!(outbox[0]["at_ms"], 1_763_800_002_000.0);
    let rejected = copy["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["message"], "admins only");

    // An empty device gives a valid, empty copy.
    let empty = Storage::open_named(&name("rescue-empty")).await.unwrap();
    let copy: Value =
        serde_json::from_str(&empty.rescue_copy("now").await.unwrap().concat()).unwrap();
    assert_eq!(copy["rows"], json!([]));
    assert_eq!(copy["outbox"], json!([]));
    assert_eq!(copy["user"], Value::Null);
}

#[wasm_bindgen_test]
fn sizes_and_ages_read_as_people_say_them() {
    assert_eq!(size_text(512.0), "512 B");
    assert_eq!(size_text(1536.0), "1.5 KB");
    assert_eq!(size_text(12.0 * 1024.0 * 1024.0), "12.0 MB");
    assert_eq!(size_text(2.5 * 1024.0 * 1024.0 * 1024.0), "2.5 GB");
    let hour = 3_600_000.0;
    assert_eq!(age_text(0.0, 30_000.0), "less than a minute");
    assert_eq!(age_text(0.0, 5.0 * 60_000.0), "5 min");
    assert_eq!(age_text(0.0, 25.0 * hour), "25 hours");
    assert_eq!(age_text(0.0, 80.0 * hour), "3 days");
}

#[wasm_bindgen_test]
async fn a_late_reauth_or_refresh_never_stores_a_session_the_device_no_longer_holds() {
    let storage = Storage::open_named(&name("session-cas")).await.unwrap();
    let a = session(USER_A, "secret-token-a");
    storage.save_session(&a).await.unwrap();
    // The session in use is updated in place.
    let mut reauth = a.clone();
    reauth.reauth_needed = true;
    assert!(storage.update_session(&reauth).await.unwrap());
    assert_eq!(storage.load_session().await.unwrap(), Some(reauth.clone()));

    // Logged out (here or in another tab): a late "reauth needed" or refresh of A's token
    // stores nothing.
    storage.clear_device().await.unwrap();
    assert!(!storage.update_session(&reauth).await.unwrap());
    let mut refreshed = a.clone();
    refreshed.user.name = "Ada L.".into();
    assert!(!storage.update_session(&refreshed).await.unwrap());
    assert_eq!(
        storage.load_session().await.unwrap(),
        None,
        "no session came back"
    );

    // B logged in meanwhile: A's late writes leave B's session alone.
    let b = session(USER_B, "secret-token-b");
    storage.save_session(&b).await.unwrap();
    assert!(!storage.update_session(&reauth).await.unwrap());
    assert!(!storage.update_session(&refreshed).await.unwrap());
    assert_eq!(storage.load_session().await.unwrap(), Some(b));
}

#[wasm_bindgen_test]
async fn an_edit_for_a_user_who_logged_out_writes_no_row_and_no_outbox_entry() {
    let storage = Storage::open_named(&name("edit-owner")).await.unwrap();
    device_of_user_a(&storage).await;
    let for_a = storage.for_user(USER_A);
    let chunk = |city: &str| -> Vec<RowEdit> {
        (0..3)
            .map(|n| RowEdit {
                entity: "contact".into(),
                id: format!("0193a1b2-c3d4-7e5f-8a9b-{n:012}"),
                changes: vec![("city".into(), json!(city))],
            })
            .collect()
    };
    // While the device is A's, A's edits are written.
    assert_eq!(
        for_a
            .edit_many(&chunk("Brno"), 1_763_800_003_000)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(storage.pending_count().await.unwrap(), 4);

    // A bulk action's next chunk (or a form's save) finishes after the logout.
    storage.clear_device().await.unwrap();
    assert_eq!(
        for_a.edit_many(&chunk("Praha"), 1_763_800_004_000).await,
        Err(StorageError::NotOwner)
    );
    assert_eq!(
        for_a
            .edit("contact", ROW, &[("city".into(), json!("Praha"))], 1)
            .await,
        Err(StorageError::NotOwner)
    );
    assert!(storage.row_keys().await.unwrap().is_empty(), "no row");
    assert_eq!(storage.pending_count().await.unwrap(), 0, "no outbox entry");
    assert_eq!(
        storage.get_meta::<Value>(DEVICE_KEY).await.unwrap(),
        None,
        "no device state either"
    );

    // B claims the device: A's late edits land in nothing of B's.
    storage.claim_for_user(USER_B).await.unwrap();
    let for_b = storage.for_user(USER_B);
    for_b
        .edit("contact", ROW, &[("city".into(), json!("Ostrava"))], 2)
        .await
        .unwrap();
    let b_seq = storage.device().await.unwrap().seq;
    assert_eq!(
        for_a.edit_many(&chunk("Praha"), 1_763_800_005_000).await,
        Err(StorageError::NotOwner)
    );
    assert_eq!(storage.pending_count().await.unwrap(), 1, "B's outbox only");
    assert_eq!(storage.row_keys().await.unwrap().len(), 1, "B's row only");
    assert_eq!(storage.device().await.unwrap().seq, b_seq);
    let row = storage.row("contact", ROW).await.unwrap().unwrap();
    assert_eq!(row.local["city"].value, json!("Ostrava"));
}
