//! Rows, the outbox and rejections on the device.
//!
//! Every operation that changes more than one store does it in one IndexedDB transaction:
//! a user's edit writes the row, its outbox entries and the device's seq and HLC together,
//! so an edit is either wholly on the device or not at all.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;

use minicrm_core::merge::{Fields, overlay_pending};
use minicrm_core::sync::{Change, FieldState, PullResponse, Rejection};
use rexie::{KeyRange, TransactionMode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasm_bindgen::JsValue;

use super::device::{DEVICE_KEY, DeviceState};
use super::session::{SESSION_KEY, StoredSession};
use super::{
    META_STORE, OUTBOX_STORE, REJECTED_STORE, ROWS_STORE, Storage, StorageError, from_js, to_js,
};

/// A row as the device keeps it. Stored shape (fields may only be added).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredRow {
    pub entity: String,
    pub id: String,
    /// The server's state as last pulled.
    #[serde(default)]
    pub base: Fields,
    /// This device's edits the server has not acknowledged yet.
    #[serde(default)]
    pub local: Fields,
    /// Edits the server acknowledged since the last complete pull: still shown on top until
    /// a pull brings the server's state of them (which may differ: a write that lost, one
    /// the server restamped or refused).
    #[serde(default)]
    pub settling: Fields,
}

impl StoredRow {
    /// What the user sees: the server's state with pending edits on top.
    pub fn shown(&self) -> Fields {
        if self.settling.is_empty() {
            return overlay_pending(&self.base, &self.local);
        }
        let mut pending = self.settling.clone();
        pending.extend(
            self.local
                .iter()
                .map(|(field, state)| (field.clone(), state.clone())),
        );
        overlay_pending(&self.base, &pending)
    }

    /// Whether the row only exists on this device so far.
    pub fn is_local_only(&self) -> bool {
        self.base.is_empty()
    }
}

/// One row's part of an edit: the fields to set.
#[derive(Debug, Clone, PartialEq)]
pub struct RowEdit {
    pub entity: String,
    pub id: String,
    pub changes: Vec<(String, Value)>,
}

/// A change the server refused. Stored shape (fields may only be added).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedChange {
    pub seq: u64,
    pub entity: String,
    pub id: String,
    pub field: String,
    pub value: Value,
    pub code: String,
    pub message: String,
    /// When the refusal arrived (ms since the epoch).
    pub at_ms: f64,
}

/// An outbox entry as stored: the change as it is pushed, plus when the device made it.
/// Stored shape (fields may only be added); read back as a plain [`Change`].
#[derive(Serialize)]
struct OutboxEntry<'a> {
    #[serde(flatten)]
    change: &'a Change,
    /// When the edit was made (ms since the epoch, the device's clock).
    at_ms: f64,
}

/// Just enough of an outbox entry to tell its age.
#[derive(Deserialize)]
struct QueuedAt {
    hlc: String,
    /// Missing in entries written before it was kept: the HLC's wall time stands in.
    #[serde(default)]
    at_ms: Option<f64>,
}

/// What waits in the outbox: how many changes, and when the oldest was made.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OutboxSummary {
    pub count: u32,
    /// When the oldest waiting change was made (ms since the epoch), if any waits.
    pub oldest_ms: Option<f64>,
}

/// Stored shape of a row (must stay readable): the [`StoredRow`] as one JSON string under
/// the key `[entity, id]`. One string per row — rather than nested objects — is what makes a
/// first sync of 100k rows affordable: one boundary crossing and one cheap clone per row.
fn row_to_js(row: &StoredRow) -> Result<JsValue, StorageError> {
    serde_json::to_string(row)
        .map(|text| JsValue::from_str(&text))
        .map_err(|err| StorageError::Shape(err.to_string()))
}

fn row_from_js(value: JsValue) -> Result<StoredRow, StorageError> {
    let text = value
        .as_string()
        .ok_or_else(|| StorageError::Shape("a stored row is not a string".into()))?;
    serde_json::from_str(&text).map_err(|err| StorageError::Shape(err.to_string()))
}

fn row_key(entity: &str, id: &str) -> JsValue {
    let key = js_sys::Array::new();
    key.push(&JsValue::from_str(entity));
    key.push(&JsValue::from_str(id));
    key.into()
}

async fn read_device(store: &rexie::Store) -> Result<DeviceState, StorageError> {
    match store.get(JsValue::from_str(DEVICE_KEY)).await? {
        Some(value) if !value.is_undefined() => from_js(value),
        _ => Ok(DeviceState::new()),
    }
}

async fn write_device(store: &rexie::Store, device: &DeviceState) -> Result<(), StorageError> {
    store
        .put(&to_js(device)?, Some(&JsValue::from_str(DEVICE_KEY)))
        .await?;
    Ok(())
}

async fn read_row(
    store: &rexie::Store,
    entity: &str,
    id: &str,
) -> Result<Option<StoredRow>, StorageError> {
    match store.get(row_key(entity, id)).await? {
        Some(value) if !value.is_undefined() => Ok(Some(row_from_js(value)?)),
        _ => Ok(None),
    }
}

impl Storage {
    /// The device's sync state, created (with a new client id) on first use.
    pub async fn device(&self) -> Result<DeviceState, StorageError> {
        let tx = self
            .db()
            .transaction(&[META_STORE], TransactionMode::ReadWrite)?;
        let meta = tx.store(META_STORE)?;
        let existing = meta.get(JsValue::from_str(DEVICE_KEY)).await?;
        let device = match existing {
            Some(value) if !value.is_undefined() => from_js(value)?,
            _ => {
                let device = DeviceState::new();
                write_device(&meta, &device).await?;
                device
            }
        };
        tx.done().await?;
        Ok(device)
    }

    pub async fn save_device(&self, device: &DeviceState) -> Result<(), StorageError> {
        self.put_meta(DEVICE_KEY, device).await
    }

    /// A sync finished at `now_ms`: kept as the device's last sync (one transaction; refused
    /// when the device no longer holds this storage handle's user's data).
    pub async fn mark_synced(&self, now_ms: f64) -> Result<(), StorageError> {
        let tx = self
            .db()
            .transaction(&[META_STORE], TransactionMode::ReadWrite)?;
        let meta = tx.store(META_STORE)?;
        let mut device = read_device(&meta).await?;
        self.check_owner(device.user_id.as_deref())?;
        device.last_sync_ms = Some(now_ms);
        write_device(&meta, &device).await?;
        tx.done().await?;
        Ok(())
    }

    /// Makes the stores hold `user_id`'s data, at login: anything else on the device —
    /// another user's rows, outbox and refusals, or rows no user claimed (written by a tab
    /// that had not yet heard of a logout) — is removed, and the cursor starts again.
    /// Returns whether anything was removed.
    pub async fn claim_for_user(&self, user_id: &str) -> Result<bool, StorageError> {
        let tx = self.db().transaction(
            &[META_STORE, ROWS_STORE, OUTBOX_STORE, REJECTED_STORE],
            TransactionMode::ReadWrite,
        )?;
        let meta = tx.store(META_STORE)?;
        let mut device = read_device(&meta).await?;
        let mut cleared = false;
        if device.user_id.as_deref() != Some(user_id) {
            cleared = true;
            super::changes::note_all();
            tx.store(ROWS_STORE)?.clear().await?;
            tx.store(OUTBOX_STORE)?.clear().await?;
            tx.store(REJECTED_STORE)?.clear().await?;
            device.user_id = Some(user_id.to_owned());
            device.cursor = 0;
            device.last_sync_ms = None;
            device.last_ack_ms = None;
            device.settling.clear();
            write_device(&meta, &device).await?;
        }
        tx.done().await?;
        Ok(cleared)
    }

    /// For a session kept from before the device recorded its user: the stores become
    /// `user_id`'s as they are (nothing removed) if no user holds them and the device holds
    /// that user's session (checked in the same transaction: a logout removes the session,
    /// so a device a logout just emptied is never adopted by a tab that has not heard of it
    /// yet). Returns the user the device's data belongs to afterwards; refused with
    /// [`StorageError::NotOwner`] when nobody holds it and the session is not `user_id`'s.
    pub async fn adopt_if_unowned(&self, user_id: &str) -> Result<String, StorageError> {
        let tx = self
            .db()
            .transaction(&[META_STORE], TransactionMode::ReadWrite)?;
        let meta = tx.store(META_STORE)?;
        let mut device = read_device(&meta).await?;
        let owner = match device.user_id.clone() {
            Some(owner) => owner,
            None => {
                let session: Option<StoredSession> =
                    match meta.get(JsValue::from_str(SESSION_KEY)).await? {
                        Some(value) if !value.is_undefined() => Some(from_js(value)?),
                        _ => None,
                    };
                if session.is_none_or(|session| session.user.id.to_string() != user_id) {
                    return Err(StorageError::NotOwner);
                }
                device.user_id = Some(user_id.to_owned());
                write_device(&meta, &device).await?;
                user_id.to_owned()
            }
        };
        tx.done().await?;
        Ok(owner)
    }

    /// Writes a user's edit of one row: each `(field, value)` gets the next seq and HLC,
    /// goes into the row's pending fields and into the outbox, in one transaction.
    pub async fn edit(
        &self,
        entity: &str,
        id: &str,
        changes: &[(String, Value)],
        now_ms: u64,
    ) -> Result<Vec<Change>, StorageError> {
        let edit = RowEdit {
            entity: entity.to_owned(),
            id: id.to_owned(),
            changes: changes.to_vec(),
        };
        self.edit_many(std::slice::from_ref(&edit), now_ms).await
    }

    /// Writes edits of many rows in one transaction (a bulk action's chunk): all of them
    /// or none. Through a [`Storage::for_user`] handle, refused with
    /// [`StorageError::NotOwner`] (nothing written) once the device no longer holds that
    /// user's data: an edit finishing after a logout or another user's login writes nothing.
    pub async fn edit_many(
        &self,
        edits: &[RowEdit],
        now_ms: u64,
    ) -> Result<Vec<Change>, StorageError> {
        let tx = self.db().transaction(
            &[META_STORE, ROWS_STORE, OUTBOX_STORE],
            TransactionMode::ReadWrite,
        )?;
        let meta = tx.store(META_STORE)?;
        let rows = tx.store(ROWS_STORE)?;
        let outbox = tx.store(OUTBOX_STORE)?;
        // Checked before any write: a refusal leaves the transaction without changes.
        let mut device = read_device(&meta).await?;
        self.check_owner(device.user_id.as_deref())?;
        let mut clock = device.clock();
        let found = join_all(
            edits
                .iter()
                .map(|edit| rows.get(row_key(&edit.entity, &edit.id))),
        )
        .await;
        let mut written = Vec::new();
        let mut values = Vec::with_capacity(edits.len());
        for (edit, found) in edits.iter().zip(found) {
            let mut row = match found? {
                Some(value) if !value.is_undefined() => row_from_js(value)?,
                _ => StoredRow {
                    entity: edit.entity.clone(),
                    id: edit.id.clone(),
                    ..StoredRow::default()
                },
            };
            for (field, value) in &edit.changes {
                let hlc = clock.tick(now_ms).to_string();
                device.seq += 1;
                row.local.insert(
                    field.clone(),
                    FieldState {
                        value: value.clone(),
                        hlc: hlc.clone(),
                    },
                );
                written.push(Change {
                    seq: device.seq,
                    entity: edit.entity.clone(),
                    id: edit.id.clone(),
                    field: field.clone(),
                    value: value.clone(),
                    hlc,
                });
            }
            values.push((row_to_js(&row)?, row_key(&row.entity, &row.id)));
        }
        let outbox_values = written
            .iter()
            .map(|change| {
                to_js(&OutboxEntry {
                    change,
                    at_ms: now_ms as f64,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for result in join_all(outbox_values.iter().map(|value| outbox.put(value, None))).await {
            result?;
        }
        for result in join_all(values.iter().map(|(value, key)| rows.put(value, Some(key)))).await {
            result?;
        }
        device.keep_clock(&clock);
        write_device(&meta, &device).await?;
        tx.done().await?;
        for edit in edits {
            super::changes::note(&edit.entity, &edit.id);
        }
        Ok(written)
    }

    /// The oldest pending changes, at most `max_changes` and about `max_bytes` of JSON.
    pub async fn outbox_batch(
        &self,
        max_changes: u32,
        max_bytes: usize,
    ) -> Result<Vec<Change>, StorageError> {
        let tx = self
            .db()
            .transaction(&[OUTBOX_STORE], TransactionMode::ReadOnly)?;
        let values = tx
            .store(OUTBOX_STORE)?
            .get_all(None, Some(max_changes))
            .await?;
        tx.done().await?;
        let mut batch = Vec::with_capacity(values.len());
        let mut bytes = 64;
        for value in values {
            let change: Change = from_js(value)?;
            bytes += serde_json::to_string(&change).map_or(0, |text| text.len()) + 1;
            if bytes > max_bytes && !batch.is_empty() {
                break;
            }
            batch.push(change);
        }
        Ok(batch)
    }

    pub async fn pending_count(&self) -> Result<u32, StorageError> {
        let tx = self
            .db()
            .transaction(&[OUTBOX_STORE], TransactionMode::ReadOnly)?;
        let count = tx.store(OUTBOX_STORE)?.count(None).await?;
        tx.done().await?;
        Ok(count)
    }

    /// How many changes wait, and when the oldest of them was made: a count and one read.
    pub async fn outbox_summary(&self) -> Result<OutboxSummary, StorageError> {
        let tx = self
            .db()
            .transaction(&[OUTBOX_STORE], TransactionMode::ReadOnly)?;
        let store = tx.store(OUTBOX_STORE)?;
        let count = store.count(None).await?;
        // Keys are seqs: the first entry is the oldest change.
        let first = store.get_all(None, Some(1)).await?;
        tx.done().await?;
        let oldest_ms = match first.into_iter().next() {
            Some(value) => {
                let queued: QueuedAt = from_js(value)?;
                queued.at_ms.or_else(|| {
                    queued
                        .hlc
                        .parse::<minicrm_core::hlc::Hlc>()
                        .ok()
                        .map(|hlc| hlc.wall_ms as f64)
                })
            }
            None => None,
        };
        Ok(OutboxSummary { count, oldest_ms })
    }

    /// Every pending change, oldest first.
    pub async fn pending_changes(&self) -> Result<Vec<Change>, StorageError> {
        let tx = self
            .db()
            .transaction(&[OUTBOX_STORE], TransactionMode::ReadOnly)?;
        let values = tx.store(OUTBOX_STORE)?.get_all(None, None).await?;
        tx.done().await?;
        values.into_iter().map(from_js).collect()
    }

    /// The server acknowledged every change up to `acked_seq` of `sent`: they leave the
    /// outbox, their fields stop being pending (the pulled state shows from now on), and
    /// the refused ones are kept with the server's reason. One transaction.
    pub async fn acknowledge(
        &self,
        sent: &[Change],
        acked_seq: u64,
        rejected: &[Rejection],
        server_hlc: &str,
        now_ms: f64,
    ) -> Result<(), StorageError> {
        let tx = self.db().transaction(
            &[META_STORE, ROWS_STORE, OUTBOX_STORE, REJECTED_STORE],
            TransactionMode::ReadWrite,
        )?;
        let meta = tx.store(META_STORE)?;
        let rows = tx.store(ROWS_STORE)?;
        let outbox = tx.store(OUTBOX_STORE)?;
        let refused = tx.store(REJECTED_STORE)?;
        // Checked before any write: a refusal leaves the transaction without changes.
        let mut device = read_device(&meta).await?;
        self.check_owner(device.user_id.as_deref())?;
        let bound = KeyRange::upper_bound(&JsValue::from_f64(acked_seq as f64), Some(false))
            .map_err(|err| StorageError::Database(err.to_string()))?;
        outbox.delete(bound.into()).await?;
        let remaining: Vec<Change> = outbox
            .get_all(None, None)
            .await?
            .into_iter()
            .map(from_js)
            .collect::<Result<_, _>>()?;
        let still_pending: BTreeSet<(&str, &str, &str)> = remaining
            .iter()
            .map(|c| (c.entity.as_str(), c.id.as_str(), c.field.as_str()))
            .collect();
        let acked_rows: BTreeSet<(&str, &str)> = sent
            .iter()
            .filter(|c| c.seq <= acked_seq)
            .map(|c| (c.entity.as_str(), c.id.as_str()))
            .collect();
        for (entity, id) in acked_rows {
            if let Some(mut row) = read_row(&rows, entity, id).await? {
                let acked: Vec<String> = row
                    .local
                    .keys()
                    .filter(|field| !still_pending.contains(&(entity, id, field.as_str())))
                    .cloned()
                    .collect();
                for field in acked {
                    if let Some(state) = row.local.remove(&field) {
                        row.settling.insert(field, state);
                    }
                }
                rows.put(&row_to_js(&row)?, Some(&row_key(&row.entity, &row.id)))
                    .await?;
                let key = (entity.to_owned(), id.to_owned());
                if !device.settling.contains(&key) {
                    device.settling.push(key);
                }
            }
        }
        let by_seq: BTreeMap<u64, &Change> = sent.iter().map(|c| (c.seq, c)).collect();
        for rejection in rejected {
            let Some(change) = by_seq.get(&rejection.seq) else {
                continue;
            };
            let record = RejectedChange {
                seq: rejection.seq,
                entity: change.entity.clone(),
                id: change.id.clone(),
                field: change.field.clone(),
                value: change.value.clone(),
                code: rejection.code.as_str().to_owned(),
                message: rejection.message.clone(),
                at_ms: now_ms,
            };
            refused.put(&to_js(&record)?, None).await?;
        }
        device.observe(server_hlc);
        device.last_ack_ms = Some(now_ms);
        write_device(&meta, &device).await?;
        tx.done().await?;
        Ok(())
    }

    /// A pull reached the end after the last acknowledgement: the rows hold the server's
    /// state of every acknowledged edit, which stop being shown on top. A row that exists
    /// only because of edits the server refused is removed.
    /// Returns whether any row settled.
    pub async fn finish_settling(&self) -> Result<bool, StorageError> {
        let tx = self
            .db()
            .transaction(&[META_STORE, ROWS_STORE], TransactionMode::ReadWrite)?;
        let meta = tx.store(META_STORE)?;
        let rows = tx.store(ROWS_STORE)?;
        let mut device = read_device(&meta).await?;
        self.check_owner(device.user_id.as_deref())?;
        if device.settling.is_empty() {
            tx.done().await?;
            return Ok(false);
        }
        for (entity, id) in std::mem::take(&mut device.settling) {
            super::changes::note(&entity, &id);
            if let Some(mut row) = read_row(&rows, &entity, &id).await? {
                row.settling.clear();
                if row.base.is_empty() && row.local.is_empty() {
                    rows.delete(row_key(&entity, &id)).await?;
                } else {
                    rows.put(&row_to_js(&row)?, Some(&row_key(&row.entity, &row.id)))
                        .await?;
                }
            }
        }
        write_device(&meta, &device).await?;
        tx.done().await?;
        Ok(true)
    }

    /// Applies one pull page in one transaction: rows take the server's state (pending
    /// edits stay in `local`), rows the user may no longer see are removed, the cursor and
    /// clock move on.
    ///
    /// `known`, when given, holds every row key the device may have (see [`Storage::row_keys`]);
    /// rows outside it are not looked up (a first sync writes 100k rows without reading any).
    pub async fn apply_pull(
        &self,
        page: &PullResponse,
        mut known: Option<&mut BTreeSet<(String, String)>>,
    ) -> Result<(), StorageError> {
        let tx = self
            .db()
            .transaction(&[META_STORE, ROWS_STORE], TransactionMode::ReadWrite)?;
        let meta = tx.store(META_STORE)?;
        let rows = tx.store(ROWS_STORE)?;
        let mut device = read_device(&meta).await?;
        self.check_owner(device.user_id.as_deref())?;
        let mut clock = device.clock();
        // Requests are issued together and awaited together: IndexedDB runs them in order
        // within the transaction, and a page costs one round of waiting, not one per row.
        let (visible, hidden): (Vec<_>, Vec<_>) = page
            .rows
            .iter()
            .partition(|pulled| pulled.is_visible() && pulled.fields.is_some());
        let may_exist: Vec<bool> = visible
            .iter()
            .map(|pulled| match known.as_deref_mut() {
                Some(known) => !known.insert((pulled.entity.clone(), pulled.id.clone())),
                None => true,
            })
            .collect();
        let mut found_rows = join_all(
            visible
                .iter()
                .zip(&may_exist)
                .filter(|(_, may_exist)| **may_exist)
                .map(|(pulled, _)| rows.get(row_key(&pulled.entity, &pulled.id))),
        )
        .await
        .into_iter();
        let existing = may_exist.iter().map(|may_exist| {
            if *may_exist {
                found_rows.next().unwrap_or(Ok(None))
            } else {
                Ok(None)
            }
        });
        let mut values = Vec::with_capacity(visible.len());
        for (pulled, found) in visible.iter().zip(existing) {
            let Some(fields) = pulled.fields.as_ref() else {
                continue;
            };
            for state in fields.values() {
                if let Ok(hlc) = state.hlc.parse() {
                    clock.observe(&hlc);
                }
            }
            let mut row = match found? {
                Some(value) if !value.is_undefined() => row_from_js(value)?,
                _ => StoredRow {
                    entity: pulled.entity.clone(),
                    id: pulled.id.clone(),
                    ..StoredRow::default()
                },
            };
            row.base = fields.clone();
            values.push((row_to_js(&row)?, row_key(&row.entity, &row.id)));
        }
        for result in join_all(values.iter().map(|(value, key)| rows.put(value, Some(key)))).await {
            result?;
        }
        for result in join_all(
            hidden
                .iter()
                .map(|pulled| rows.delete(row_key(&pulled.entity, &pulled.id))),
        )
        .await
        {
            result?;
        }
        device.keep_clock(&clock);
        device.observe(&page.server_hlc);
        device.cursor = page.cursor;
        write_device(&meta, &device).await?;
        tx.done().await?;
        for pulled in &page.rows {
            super::changes::note(&pulled.entity, &pulled.id);
        }
        Ok(())
    }

    /// Every row key on the device, for a first sync (see [`Storage::apply_pull`]).
    pub async fn row_keys(&self) -> Result<BTreeSet<(String, String)>, StorageError> {
        let tx = self
            .db()
            .transaction(&[ROWS_STORE], TransactionMode::ReadOnly)?;
        let keys = tx.store(ROWS_STORE)?.get_all_keys(None, None).await?;
        tx.done().await?;
        Ok(keys
            .into_iter()
            .filter_map(|key| {
                let key = js_sys::Array::from(&key);
                Some((key.get(0).as_string()?, key.get(1).as_string()?))
            })
            .collect())
    }

    pub async fn row(&self, entity: &str, id: &str) -> Result<Option<StoredRow>, StorageError> {
        let tx = self
            .db()
            .transaction(&[ROWS_STORE], TransactionMode::ReadOnly)?;
        let row = read_row(&tx.store(ROWS_STORE)?, entity, id).await?;
        tx.done().await?;
        Ok(row)
    }

    /// Every row of `entity`.
    pub async fn rows_of(&self, entity: &str) -> Result<Vec<StoredRow>, StorageError> {
        let tx = self
            .db()
            .transaction(&[ROWS_STORE], TransactionMode::ReadOnly)?;
        // Keys are [entity, id]: every id of an entity sorts between [entity] and
        // [entity, []] (arrays sort after strings).
        let lower = js_sys::Array::of1(&JsValue::from_str(entity));
        let upper = js_sys::Array::of2(&JsValue::from_str(entity), &js_sys::Array::new());
        let range = KeyRange::bound(&lower, &upper, Some(false), Some(true))
            .map_err(|err| StorageError::Database(err.to_string()))?;
        let values = tx.store(ROWS_STORE)?.get_all(Some(range), None).await?;
        tx.done().await?;
        values.into_iter().map(row_from_js).collect()
    }

    /// Up to `limit` rows of `entity` with ids after `after` (in id order): a large store
    /// is read in slices, so no single step holds the page for long.
    pub async fn rows_after(
        &self,
        entity: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredRow>, StorageError> {
        let tx = self
            .db()
            .transaction(&[ROWS_STORE], TransactionMode::ReadOnly)?;
        let (lower, open) = match after {
            Some(id) => (
                js_sys::Array::of2(&JsValue::from_str(entity), &JsValue::from_str(id)),
                true,
            ),
            None => (js_sys::Array::of1(&JsValue::from_str(entity)), false),
        };
        let upper = js_sys::Array::of2(&JsValue::from_str(entity), &js_sys::Array::new());
        let range = KeyRange::bound(&lower, &upper, Some(open), Some(true))
            .map_err(|err| StorageError::Database(err.to_string()))?;
        let values = tx
            .store(ROWS_STORE)?
            .get_all(Some(range), Some(limit))
            .await?;
        tx.done().await?;
        values.into_iter().map(row_from_js).collect()
    }

    /// The rows under `keys` (`None` where there is none), in the same order.
    pub async fn rows_by_keys(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<Option<StoredRow>>, StorageError> {
        let tx = self
            .db()
            .transaction(&[ROWS_STORE], TransactionMode::ReadOnly)?;
        let store = tx.store(ROWS_STORE)?;
        let found = join_all(
            keys.iter()
                .map(|(entity, id)| store.get(row_key(entity, id))),
        )
        .await;
        tx.done().await?;
        found
            .into_iter()
            .map(|value| match value? {
                Some(value) if !value.is_undefined() => row_from_js(value).map(Some),
                _ => Ok(None),
            })
            .collect()
    }

    /// Changes the server refused, newest first.
    pub async fn rejected_changes(&self) -> Result<Vec<RejectedChange>, StorageError> {
        let tx = self
            .db()
            .transaction(&[REJECTED_STORE], TransactionMode::ReadOnly)?;
        let values = tx.store(REJECTED_STORE)?.get_all(None, None).await?;
        tx.done().await?;
        let mut changes: Vec<RejectedChange> =
            values.into_iter().map(from_js).collect::<Result<_, _>>()?;
        changes.reverse();
        Ok(changes)
    }

    /// The user has read the refusals.
    pub async fn clear_rejected(&self) -> Result<(), StorageError> {
        let tx = self
            .db()
            .transaction(&[REJECTED_STORE], TransactionMode::ReadWrite)?;
        tx.store(REJECTED_STORE)?.clear().await?;
        tx.done().await?;
        Ok(())
    }
}
