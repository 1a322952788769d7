//! A rescue copy: everything the device holds for its user — every row (the server's state
//! and the pending edits), the outbox, the refusals and the device's sync state — as one
//! JSON document, for when a device cannot sync and its edits must not be lost.
//!
//! The stores are read in slices (each its own short transaction, with a pause between),
//! so a large device never holds the page; the copy is therefore not one snapshot: an
//! edit made while it is written may be missing from it. The session's token is never in
//! it.

use gloo_timers::future::TimeoutFuture;
use rexie::{KeyRange, TransactionMode};
use serde_json::{Value, json};
use wasm_bindgen::JsValue;

use super::changes::RowKey;
use super::device::{DEVICE_KEY, DeviceState};
use super::session::StoredSession;
use super::{OUTBOX_STORE, REJECTED_STORE, ROWS_STORE, Storage, StorageError, from_js};

/// Entries read per slice.
pub const RESCUE_SLICE: u32 = 500;
/// The document's `kind`, so a person (or a later import) can tell the file apart.
pub const RESCUE_KIND: &str = "minicrm-rescue";
/// Bumped when the document's shape changes.
pub const RESCUE_FORMAT: u32 = 1;

fn shape(err: impl std::fmt::Display) -> StorageError {
    StorageError::Shape(err.to_string())
}

fn json_text(value: &impl serde::Serialize) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(shape)
}

impl Storage {
    /// Up to `limit` rows with keys after `after` (in key order, across entities), each with
    /// its stored JSON text as it is.
    pub async fn raw_rows_after(
        &self,
        after: Option<&RowKey>,
        limit: u32,
    ) -> Result<Vec<(RowKey, String)>, StorageError> {
        let range = match after {
            Some((entity, id)) => Some(
                KeyRange::lower_bound(
                    &js_sys::Array::of2(&JsValue::from_str(entity), &JsValue::from_str(id)),
                    Some(true),
                )
                .map_err(|err| StorageError::Database(err.to_string()))?,
            ),
            None => None,
        };
        let (tx, rows) = self.single(ROWS_STORE, TransactionMode::ReadOnly)?;
        let keys = rows.get_all_keys(range.clone(), Some(limit)).await?;
        let values = rows.get_all(range, Some(limit)).await?;
        tx.done().await?;
        keys.into_iter()
            .zip(values)
            .map(|(key, value)| {
                let key = js_sys::Array::from(&key);
                let entity = key.get(0).as_string();
                let id = key.get(1).as_string();
                let text = value.as_string();
                match (entity, id, text) {
                    (Some(entity), Some(id), Some(text)) => Ok(((entity, id), text)),
                    _ => Err(StorageError::Shape("a stored row is not a string".into())),
                }
            })
            .collect()
    }

    /// Up to `limit` entries of `store` (keyed by seq) with seqs above `after`, as stored.
    async fn entries_after(
        &self,
        store: &str,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Value>, StorageError> {
        let range = match after {
            Some(seq) => Some(
                KeyRange::lower_bound(&JsValue::from_f64(seq as f64), Some(true))
                    .map_err(|err| StorageError::Database(err.to_string()))?,
            ),
            None => None,
        };
        let (tx, entries) = self.single(store, TransactionMode::ReadOnly)?;
        let values = entries.get_all(range, Some(limit)).await?;
        tx.done().await?;
        values.into_iter().map(from_js).collect()
    }

    /// Every entry of a seq-keyed store as JSON texts, read in slices.
    async fn all_entries(&self, store: &str) -> Result<Vec<String>, StorageError> {
        let mut texts = Vec::new();
        let mut after = None;
        loop {
            let slice = self.entries_after(store, after, RESCUE_SLICE).await?;
            let Some(last) = slice.last() else {
                break;
            };
            after =
                Some(last.get("seq").and_then(Value::as_u64).ok_or_else(|| {
                    StorageError::Shape(format!("an entry of {store} has no seq"))
                })?);
            let full = slice.len() == RESCUE_SLICE as usize;
            for entry in slice {
                // The outbox keeps changes in groups; the copy lists each change.
                let entries = match store == OUTBOX_STORE {
                    true => super::outbox::entry_as_changes(entry),
                    false => vec![entry],
                };
                for entry in &entries {
                    texts.push(json_text(entry)?);
                }
            }
            if !full {
                break;
            }
            TimeoutFuture::new(0).await;
        }
        Ok(texts)
    }

    /// The rescue copy as the parts of one JSON document, in order: joined, they are the
    /// file. `saved_at` is written into it as given (RFC 3339).
    ///
    /// `{"kind": "minicrm-rescue", "format": 1, "saved_at", "user": {id, email, name, role}
    /// or null, "device": the sync state or null, "outbox": [change + "at_ms"], "rejected":
    /// [refusal], "rows": [{"entity", "id", "base", "local", "settling"}]}`.
    pub async fn rescue_copy(&self, saved_at: &str) -> Result<Vec<String>, StorageError> {
        let session: Option<StoredSession> = self.load_session().await?;
        let device: Option<DeviceState> = self.get_meta(DEVICE_KEY).await?;
        let head = json!({
            "kind": RESCUE_KIND,
            "format": RESCUE_FORMAT,
            "saved_at": saved_at,
            "user": session.map(|session| session.user),
            "device": device,
        });
        let head = json_text(&head)?;
        // The head's closing brace gives way to the arrays.
        let open = head
            .strip_suffix('}')
            .ok_or_else(|| StorageError::Shape("the rescue copy's head is not an object".into()))?;
        let mut parts = vec![open.to_owned()];
        for (name, store) in [("outbox", OUTBOX_STORE), ("rejected", REJECTED_STORE)] {
            let entries = self.all_entries(store).await?;
            parts.push(format!(",\"{name}\":["));
            parts.push(entries.join(","));
            parts.push("]".to_owned());
        }
        parts.push(",\"rows\":[".to_owned());
        let mut after: Option<RowKey> = None;
        let mut first = true;
        loop {
            let slice = self.raw_rows_after(after.as_ref(), RESCUE_SLICE).await?;
            let full = slice.len() == RESCUE_SLICE as usize;
            let mut part = String::new();
            for (key, text) in slice {
                if !first {
                    part.push(',');
                }
                first = false;
                part.push_str(&text);
                after = Some(key);
            }
            parts.push(part);
            if !full {
                break;
            }
            TimeoutFuture::new(0).await;
        }
        parts.push("]}".to_owned());
        Ok(parts)
    }
}
