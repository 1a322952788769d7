//! The device database in real Chromium: the session survives reopening (a reload).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minicrm_app::storage::Storage;
use minicrm_app::storage::session::StoredSession;
use minicrm_core::Role;
use minicrm_core::api::User;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn unique_name(test: &str) -> String {
    format!("minicrm-test-{test}-{}", uuid::Uuid::now_v7())
}

fn session() -> StoredSession {
    StoredSession {
        token: "token-text".into(),
        user: User {
            id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".parse().unwrap(),
            email: "ada@example.com".into(),
            name: "Ada Łukasiewicz".into(),
            role: Role::Manager,
            active: true,
        },
        reauth_needed: false,
    }
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
