//! The outbox: a user's edits on their way to the server, from the edit (row + outbox +
//! the device's seq and HLC, in one transaction) to the server's acknowledgement.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::future::join_all;

use minicrm_core::import::job::ImportJob;
use minicrm_core::sync::{Change, FieldState, Rejection};
use rexie::{KeyRange, TransactionMode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasm_bindgen::JsValue;

use super::device::write_device;
use super::rejected::RejectedChange;
use super::rows::{RowEdit, StoredRow, found_row, put_row, put_rows, read_row, row_key, stored};
use super::{
    IMPORT_PLANS_STORE, IMPORTS_STORE, META_STORE, OUTBOX_STORE, REJECTED_STORE, ROWS_STORE,
    Storage, StorageError, all_done, from_js, to_js,
};

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

impl Storage {
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
        let keys: Vec<(String, String)> = edits
            .iter()
            .map(|edit| (edit.entity.clone(), edit.id.clone()))
            .collect();
        self.write_planned(
            &keys,
            |index, _| edits[index].changes.clone(),
            || None,
            None,
            None,
            now_ms,
        )
        .await
    }

    /// Writes the rows `keys` in one transaction, each `(field, value)` that `plan` gives
    /// for a row (from its index in `keys` and the row as stored, if it is) getting the
    /// next seq and HLC, into the row's pending fields and the outbox; a row `plan` gives
    /// nothing for is left as it is. With the writes, in the same transaction: the import
    /// job `job` gives (its progress) and, once, its plan. With `resume_at` (an import and
    /// where its writing stands), refused with [`StorageError::ImportMoved`] unless the
    /// stored job is there. All of it or none; refused like [`Storage::edit_many`] once the
    /// device holds another user's data.
    pub async fn write_planned(
        &self,
        keys: &[(String, String)],
        mut plan: impl FnMut(usize, Option<&StoredRow>) -> Vec<(String, Value)>,
        job: impl FnOnce() -> Option<ImportJob>,
        job_plan: Option<&str>,
        resume_at: Option<(&uuid::Uuid, u32)>,
        now_ms: u64,
    ) -> Result<Vec<Change>, StorageError> {
        // The owner is checked before any write: a refusal leaves the transaction without
        // changes.
        let (tx, meta, mut device) = self
            .owned_write(&[
                META_STORE,
                ROWS_STORE,
                OUTBOX_STORE,
                IMPORTS_STORE,
                IMPORT_PLANS_STORE,
            ])
            .await?;
        // A chunk goes on from where the stored job says the writing is, or not at all:
        // two writers of one import (two tabs) never both write a chunk.
        if let Some((import_id, written)) = resume_at {
            let stored = super::imports::job_in(&tx, import_id).await?;
            if stored.is_some_and(|job| job.written != written) {
                return Err(StorageError::ImportMoved);
            }
        }
        let rows = tx.store(ROWS_STORE)?;
        let outbox = tx.store(OUTBOX_STORE)?;
        let mut clock = device.clock();
        let found = join_all(
            keys.iter()
                .map(|(entity, id)| rows.get(row_key(entity, id))),
        )
        .await;
        let mut written = Vec::new();
        // The rows as this call leaves them, once each: a key that comes again (two rows
        // of a file into one record) is planned over what the earlier one wrote.
        let mut built: Vec<StoredRow> = Vec::with_capacity(keys.len());
        let mut at: HashMap<(&str, &str), usize> = HashMap::with_capacity(keys.len());
        let mut changed = Vec::with_capacity(keys.len());
        for (index, ((entity, id), found)) in keys.iter().zip(found).enumerate() {
            let stored_row = found_row(found?)?;
            let earlier = at.get(&(entity.as_str(), id.as_str())).copied();
            let current = match earlier {
                Some(slot) => Some(&built[slot]),
                None => stored_row.as_ref(),
            };
            let writes = plan(index, current);
            if writes.is_empty() {
                continue;
            }
            let slot = match earlier {
                Some(slot) => slot,
                None => {
                    built.push(stored_row.unwrap_or_else(|| StoredRow::new(entity, id)));
                    at.insert((entity.as_str(), id.as_str()), built.len() - 1);
                    changed.push((entity, id));
                    built.len() - 1
                }
            };
            let row = &mut built[slot];
            for (field, value) in writes {
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
                    entity: entity.clone(),
                    id: id.clone(),
                    field,
                    value,
                    hlc,
                });
            }
        }
        let values = built.iter().map(stored).collect::<Result<Vec<_>, _>>()?;
        let outbox_values = written
            .iter()
            .map(|change| {
                to_js(&OutboxEntry {
                    change,
                    at_ms: now_ms as f64,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        all_done(outbox_values.iter().map(|value| outbox.put(value, None))).await?;
        put_rows(&rows, &values).await?;
        device.keep_clock(&clock);
        write_device(&meta, &device).await?;
        if let Some(job) = job() {
            super::imports::put_job(&tx, &job, job_plan).await?;
        }
        tx.done().await?;
        for (entity, id) in changed {
            super::changes::note(entity, id);
        }
        Ok(written)
    }

    /// The oldest pending changes, at most `max_changes` and about `max_bytes` of JSON.
    pub async fn outbox_batch(
        &self,
        max_changes: u32,
        max_bytes: usize,
    ) -> Result<Vec<Change>, StorageError> {
        let (tx, outbox) = self.single(OUTBOX_STORE, TransactionMode::ReadOnly)?;
        let values = outbox.get_all(None, Some(max_changes)).await?;
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
        let (tx, outbox) = self.single(OUTBOX_STORE, TransactionMode::ReadOnly)?;
        let count = outbox.count(None).await?;
        tx.done().await?;
        Ok(count)
    }

    /// How many changes wait, and when the oldest of them was made: a count and one read.
    pub async fn outbox_summary(&self) -> Result<OutboxSummary, StorageError> {
        let (tx, outbox) = self.single(OUTBOX_STORE, TransactionMode::ReadOnly)?;
        let count = outbox.count(None).await?;
        // Keys are seqs: the first entry is the oldest change.
        let first = outbox.get_all(None, Some(1)).await?;
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
        self.read_all(OUTBOX_STORE).await
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
        // The owner is checked before any write: a refusal leaves the transaction without
        // changes.
        let (tx, meta, mut device) = self
            .owned_write(&[META_STORE, ROWS_STORE, OUTBOX_STORE, REJECTED_STORE])
            .await?;
        let rows = tx.store(ROWS_STORE)?;
        let outbox = tx.store(OUTBOX_STORE)?;
        let refused = tx.store(REJECTED_STORE)?;
        let bound = KeyRange::upper_bound(&JsValue::from_f64(acked_seq as f64), Some(false))
            .map_err(|err| StorageError::Database(err.to_string()))?;
        outbox.delete(bound.into()).await?;
        // A field's acknowledged write is the one the row still holds as pending (same
        // HLC); a field written again since keeps its newer, unsent write pending. (No read
        // of the rest of the outbox: after an import it holds a million changes.)
        let acked: BTreeMap<(&str, &str, &str), &str> = sent
            .iter()
            .filter(|c| c.seq <= acked_seq)
            .map(|c| {
                (
                    (c.entity.as_str(), c.id.as_str(), c.field.as_str()),
                    c.hlc.as_str(),
                )
            })
            .collect();
        let acked_rows: BTreeSet<(&str, &str)> =
            acked.keys().map(|(entity, id, _)| (*entity, *id)).collect();
        for (entity, id) in acked_rows {
            if let Some(mut row) = read_row(&rows, entity, id).await? {
                let settled: Vec<String> = row
                    .local
                    .iter()
                    .filter(|(field, state)| {
                        acked.get(&(entity, id, field.as_str())) == Some(&state.hlc.as_str())
                    })
                    .map(|(field, _)| field.clone())
                    .collect();
                // A row with settling fields is already listed (finish_settling empties
                // both together): no search through a list of 100k rows per row.
                let listed = !row.settling.is_empty();
                for field in settled {
                    if let Some(state) = row.local.remove(&field) {
                        row.settling.insert(field, state);
                    }
                }
                put_row(&rows, &row).await?;
                if !listed && !row.settling.is_empty() {
                    device.settling.push((entity.to_owned(), id.to_owned()));
                }
            }
        }
        let by_seq: BTreeMap<u64, &Change> = sent.iter().map(|c| (c.seq, c)).collect();
        for rejection in rejected {
            let Some(change) = by_seq.get(&rejection.seq) else {
                continue;
            };
            let record = RejectedChange::new(change, rejection, now_ms);
            refused.put(&to_js(&record)?, None).await?;
        }
        device.observe(server_hlc);
        device.last_ack_ms = Some(now_ms);
        write_device(&meta, &device).await?;
        tx.done().await?;
        Ok(())
    }
}
