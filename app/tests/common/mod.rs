//! What the storage tests share: a fresh device database, the edits they start from, pulled
//! rows and pages, a refusal, a stored session. (A folder with `mod.rs`, so Cargo does not
//! run it as a test of its own.)

#![allow(dead_code, reason = "each test file uses some of these")]

use std::collections::BTreeMap;

use minicrm_app::storage::Storage;
use minicrm_app::storage::rows::RowEdit;
use minicrm_app::storage::session::StoredSession;
use minicrm_core::Role;
use minicrm_core::api::User;
use minicrm_core::sync::{Change, FieldState, PullResponse, PulledRow, RejectCode, Rejection};
use serde_json::{Value, json};

/// The contact the tests edit.
pub const ROW: &str = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
/// The server's clock in the pages of `page`.
pub const SERVER_HLC: &str = "1763800009000-0000-server";

/// A database name no other test uses.
pub fn db_name(test: &str) -> String {
    format!("minicrm-test-{test}-{}", uuid::Uuid::now_v7())
}

/// A new, empty device database.
pub async fn fresh(test: &str) -> Storage {
    Storage::open_named(&db_name(test)).await.unwrap()
}

/// Sets the city of the contact `ROW`, as the device edits (its wall clock at `now_ms`).
pub async fn edit_city(storage: &Storage, city: &str, now_ms: u64) -> Vec<Change> {
    let changes = [("city".to_owned(), json!(city))];
    storage
        .edit("contact", ROW, &changes, now_ms)
        .await
        .unwrap()
}

/// Names the segment `id` "VIP" and has the server refuse it ("admins only"), as when a
/// non-administrator edits a setting: the refusal is kept, the edit leaves the outbox.
pub async fn refused_segment_edit(storage: &Storage, id: &str, server_hlc: &str, ack_ms: f64) {
    let changes = [("name".to_owned(), json!("VIP"))];
    let sent = storage
        .edit("segment", id, &changes, 1_763_800_000_000)
        .await
        .unwrap();
    let refusal = forbidden(sent[0].seq, "admins only");
    storage
        .acknowledge(&sent, sent[0].seq, &[refusal], server_hlc, ack_ms)
        .await
        .unwrap();
}

/// An edit of the row `entity`/`id`: each field to its value.
pub fn row_edit(entity: &str, id: &str, changes: &[(&str, Value)]) -> RowEdit {
    RowEdit {
        entity: entity.into(),
        id: id.into(),
        changes: changes
            .iter()
            .map(|(field, value)| ((*field).to_owned(), value.clone()))
            .collect(),
    }
}

/// The server's refusal of the change `seq`: forbidden, saying `message`.
pub fn forbidden(seq: u64, message: &str) -> Rejection {
    Rejection {
        merged_into: None,
        seq,
        code: RejectCode::Forbidden,
        message: message.into(),
    }
}

/// Fields, each `(name, value, hlc)`.
pub fn fields(pairs: &[(&str, Value, &str)]) -> BTreeMap<String, FieldState> {
    pairs
        .iter()
        .map(|(name, value, hlc)| {
            let state = FieldState {
                value: value.clone(),
                hlc: (*hlc).to_owned(),
            };
            ((*name).to_owned(), state)
        })
        .collect()
}

/// The contact `id` at `version` with these fields, as a pull sends it.
pub fn pulled(id: &str, version: u64, pairs: &[(&str, Value, &str)]) -> PulledRow {
    PulledRow {
        entity: "contact".into(),
        id: id.into(),
        version,
        fields: Some(fields(pairs)),
        visible: None,
    }
}

/// The last page of a pull, the server's clock at `SERVER_HLC`.
pub fn page(rows: Vec<PulledRow>, cursor: u64) -> PullResponse {
    PullResponse {
        rows,
        cursor,
        more: false,
        server_hlc: SERVER_HLC.into(),
    }
}

/// Applies a complete pull of `rows` up to `cursor` (no lookup of which rows are known).
pub async fn apply_page(storage: &Storage, rows: Vec<PulledRow>, cursor: u64) {
    storage.apply_pull(&page(rows, cursor), None).await.unwrap();
}

/// A session of the user `user` (an id) with `role`.
pub fn session(user: &str, token: &str, role: Role) -> StoredSession {
    StoredSession {
        token: token.into(),
        user: User {
            id: user.parse().unwrap(),
            email: "ada@example.com".into(),
            name: "Ada Łukasiewicz".into(),
            role,
            active: true,
        },
        reauth_needed: false,
    }
}
