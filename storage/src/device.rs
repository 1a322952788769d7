//! This device's sync state: its client id, the last seq and HLC it issued, the pull
//! cursor, and whose data it holds (claimed at login, adopted for an older session, checked
//! by every write of a [`Storage::for_user`] handle).

use minicrm_core::hlc::{Clock, Hlc};
use rexie::{KeyRange, Store, Transaction, TransactionMode};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use super::session::{SESSION_KEY, StoredSession};
use super::{META_STORE, Storage, StorageError, from_found, to_js};

/// Stored shape (fields may only be added).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceState {
    /// The device's id on the wire (`client_id`) and its HLC node.
    pub client_id: String,
    /// The last seq given to a change.
    pub seq: u64,
    /// The highest HLC issued or seen.
    pub hlc: Option<String>,
    /// The pull cursor: the server's version of the last row applied.
    pub cursor: u64,
    /// The user whose data the stores hold.
    #[serde(default)]
    pub user_id: Option<String>,
    /// When the last full sync finished (ms since the epoch).
    #[serde(default)]
    pub last_sync_ms: Option<f64>,
    /// Rows with acknowledged edits waiting for a complete pull, as earlier versions
    /// listed them (see `StoredRow::settling`); now each is a key of its own in the meta
    /// store (`rows::settling_key`). Read so that `finish_settling` drains it, never
    /// written again once empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settling: Vec<(String, String)>,
    /// When the server last acknowledged a push of this device's changes (ms since the
    /// epoch, the device's clock).
    #[serde(default)]
    pub last_ack_ms: Option<f64>,
}

pub const DEVICE_KEY: &str = "device";

impl DeviceState {
    pub fn new() -> DeviceState {
        DeviceState {
            client_id: uuid::Uuid::now_v7().to_string(),
            seq: 0,
            hlc: None,
            cursor: 0,
            user_id: None,
            last_sync_ms: None,
            settling: Vec::new(),
            last_ack_ms: None,
        }
    }

    pub fn clock(&self) -> Clock {
        let last = self
            .hlc
            .as_deref()
            .and_then(|text| text.parse::<Hlc>().ok());
        Clock::resume(self.client_id.clone(), last.as_ref())
    }

    pub fn keep_clock(&mut self, clock: &Clock) {
        self.hlc = Some(clock.last().to_string());
    }

    /// Raises the clock past an HLC seen elsewhere.
    pub fn observe(&mut self, hlc: &str) {
        if let Ok(seen) = hlc.parse::<Hlc>() {
            let mut clock = self.clock();
            clock.observe(&seen);
            self.keep_clock(&clock);
        }
    }
}

impl Default for DeviceState {
    fn default() -> Self {
        DeviceState::new()
    }
}

/// The device's state as the meta store holds it (a new one if it holds none).
pub(super) async fn read_device(meta: &Store) -> Result<DeviceState, StorageError> {
    let found = from_found(meta.get(JsValue::from_str(DEVICE_KEY)).await?)?;
    Ok(found.unwrap_or_else(DeviceState::new))
}

pub(super) async fn write_device(meta: &Store, device: &DeviceState) -> Result<(), StorageError> {
    meta.put(&to_js(device)?, Some(&JsValue::from_str(DEVICE_KEY)))
        .await?;
    Ok(())
}

/// The meta store's key listing a row with settling fields: `["settling", entity, id]`.
/// One key per row, added by the acknowledgement that makes the row settle, so that
/// neither an acknowledgement nor any other write rewrites a list of every such row.
pub(super) fn settling_key(entity: &str, id: &str) -> JsValue {
    js_sys::Array::of3(
        &JsValue::from_str(SETTLING),
        &JsValue::from_str(entity),
        &JsValue::from_str(id),
    )
    .into()
}

const SETTLING: &str = "settling";

/// Every settling key (arrays sort after the meta store's string keys).
pub(super) fn settling_range() -> Result<KeyRange, StorageError> {
    let lower = js_sys::Array::of1(&JsValue::from_str(SETTLING));
    let upper = js_sys::Array::of2(&JsValue::from_str(SETTLING), &js_sys::Array::new());
    KeyRange::bound(&lower, &upper, Some(false), Some(true))
        .map_err(|err| StorageError::Database(err.to_string()))
}

/// The row a settling key names.
pub(super) fn settling_row(key: &JsValue) -> Option<(String, String)> {
    let key = js_sys::Array::from(key);
    Some((key.get(1).as_string()?, key.get(2).as_string()?))
}

impl Storage {
    /// A read-write transaction over `stores` (the meta store among them), its meta store,
    /// and the device's state read in it: refused with [`StorageError::NotOwner`] before
    /// anything is written unless the device holds this handle's user's data.
    pub(super) async fn owned_write(
        &self,
        stores: &[&str],
    ) -> Result<(Transaction, Store, DeviceState), StorageError> {
        let tx = self.db().transaction(stores, TransactionMode::ReadWrite)?;
        let meta = tx.store(META_STORE)?;
        let device = read_device(&meta).await?;
        self.check_owner(device.user_id.as_deref())?;
        Ok((tx, meta, device))
    }

    /// The device's sync state, created (with a new client id) on first use.
    pub async fn device(&self) -> Result<DeviceState, StorageError> {
        let (tx, meta) = self.single(META_STORE, TransactionMode::ReadWrite)?;
        let device = match from_found(meta.get(JsValue::from_str(DEVICE_KEY)).await?)? {
            Some(device) => device,
            None => {
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
        let (tx, meta, mut device) = self.owned_write(&[META_STORE]).await?;
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
        // Every store but meta holds the previous user's data (imports with their files too).
        let tx = self
            .db()
            .transaction(&super::ALL_STORES, TransactionMode::ReadWrite)?;
        let meta = tx.store(META_STORE)?;
        let mut device = read_device(&meta).await?;
        let mut cleared = false;
        if device.user_id.as_deref() != Some(user_id) {
            cleared = true;
            super::changes::note_all();
            for store in super::ALL_STORES
                .iter()
                .filter(|store| **store != META_STORE)
            {
                tx.store(store)?.clear().await?;
            }
            device.user_id = Some(user_id.to_owned());
            device.cursor = 0;
            device.last_sync_ms = None;
            device.last_ack_ms = None;
            device.settling.clear();
            // The meta store keeps the session and the device; the rows' settling keys go.
            meta.delete(settling_range()?.into()).await?;
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
        let (tx, meta) = self.single(META_STORE, TransactionMode::ReadWrite)?;
        let mut device = read_device(&meta).await?;
        let owner = match device.user_id.clone() {
            Some(owner) => owner,
            None => {
                let session: Option<StoredSession> =
                    from_found(meta.get(JsValue::from_str(SESSION_KEY)).await?)?;
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
}
