//! The device database in real Chromium: the session survives reopening (a reload).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use minicrm_app::storage::Storage;
use minicrm_app::storage::session::StoredSession;
use minicrm_core::Role;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use common::db_name as unique_name;

wasm_bindgen_test_configure!(run_in_browser);

/// A manager's session.
fn session() -> StoredSession {
    common::session(
        "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "token-text",
        Role::Manager,
    )
}

#[wasm_bindgen_test]
async fn a_saved_session_survives_reopening_and_clears() {
    let name = unique_name("session");
    let storage = Storage::open_named(&name).await.unwrap();
    assert_eq!(storage.load_session().await.unwrap(), None);
    storage.save_session(&session()).await.unwrap();
    drop(storage);

    let reopened = Storage::open_named(&name).await.unwrap();
    assert_eq!(reopened.load_session().await.unwrap(), Some(session()));

    let mut expired = session();
    expired.reauth_needed = true;
    reopened.save_session(&expired).await.unwrap();
    assert_eq!(reopened.load_session().await.unwrap(), Some(expired));

    reopened.clear_session().await.unwrap();
    assert_eq!(reopened.load_session().await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn a_stored_value_of_another_shape_is_an_error_not_a_panic() {
    let storage = Storage::open_named(&unique_name("shape")).await.unwrap();
    storage.put_meta("session", &"just a string").await.unwrap();
    assert!(storage.load_session().await.is_err());
}
