//! The outbox: a user's edits on their way to the server, from the edit (row + outbox +
//! the device's seq and HLC, in one transaction) to the server's acknowledgement.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::future::join_all;

use js_sys::{Object, Reflect};
use minicrm_core::import::job::ImportJob;
use minicrm_core::sync::{Change, FieldState, Rejection};
use rexie::{KeyRange, TransactionMode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasm_bindgen::JsValue;

use super::device::{settling_key, write_device};
use super::rejected::RejectedChange;
use super::rows::{RowEdit, StoredRow, found_row, put_rows, row_key, stored};
use super::{
    IMPORT_PLANS_STORE, IMPORTS_STORE, META_STORE, OUTBOX_STORE, REJECTED_STORE, ROWS_STORE,
    Storage, StorageError, all_done, from_js, to_js,
};

/// Changes per outbox entry. A put costs IndexedDB about as much whatever its size, and
/// an import writes a million changes: one entry per change made the outbox, not the
/// records, most of an import's time (10 s against 2 s for 5,000 rows of 11 fields).
pub const GROUP: usize = 256;

/// An outbox entry's group: consecutive changes of one transaction, `seq` (the key) the
/// first one's and `last` the last one's, plus when the device made them. Stored as JSON
/// text (see [`group_entries`]); fields may only be added.
#[derive(Serialize)]
struct OutboxGroup<'a> {
    seq: u64,
    last: u64,
    at_ms: f64,
    changes: &'a [Change],
}

/// An outbox entry as read: a group, or one change (as earlier versions wrote each).
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredEntry {
    Group {
        /// The key: the first change's seq.
        seq: u64,
        /// The last change's seq.
        last: u64,
        #[serde(default)]
        at_ms: Option<f64>,
        changes: Vec<Change>,
    },
    Single {
        #[serde(flatten)]
        change: Change,
        /// Missing in entries written before it was kept: the HLC's wall time stands in.
        #[serde(default)]
        at_ms: Option<f64>,
    },
}

impl StoredEntry {
    /// The entry's key and its last change's seq.
    fn seqs(&self) -> (u64, u64) {
        match self {
            StoredEntry::Group { seq, last, .. } => (*seq, *last),
            StoredEntry::Single { change, .. } => (change.seq, change.seq),
        }
    }

    /// The entry's changes in seq order, each with when it was made.
    fn into_changes(self) -> Vec<(Change, Option<f64>)> {
        match self {
            StoredEntry::Group { at_ms, changes, .. } => {
                changes.into_iter().map(|change| (change, at_ms)).collect()
            }
            StoredEntry::Single { change, at_ms } => vec![(change, at_ms)],
        }
    }
}

/// The stored entries of `changes` (consecutive, in seq order): [`GROUP`] at a time, each
/// as `{seq, group}`, `group` the group's JSON text. A text costs one copy out of wasm and
/// one clone into IndexedDB; the group as a JS object cost a JS string per field of every
/// change, a fifth of an import's time. (`seq`, the store's key path, stays a property.)
fn group_entries(changes: &[Change], at_ms: f64) -> Result<Vec<JsValue>, StorageError> {
    changes
        .chunks(GROUP)
        .filter_map(|group| Some((group.first()?, group.last()?, group)))
        .map(|(first, last, group)| {
            let text = serde_json::to_string(&OutboxGroup {
                seq: first.seq,
                last: last.seq,
                at_ms,
                changes: group,
            })
            .map_err(|err| StorageError::Shape(err.to_string()))?;
            let entry = Object::new();
            let set = |name: &str, value: JsValue| {
                Reflect::set(&entry, &JsValue::from_str(name), &value)
                    .map_err(|_| StorageError::Shape("an outbox entry could not be made".into()))
            };
            set("seq", JsValue::from_f64(first.seq as f64))?;
            set(GROUP_TEXT, JsValue::from_str(&text))?;
            Ok(entry.into())
        })
        .collect()
}

/// The property of an outbox entry holding its group as JSON text.
const GROUP_TEXT: &str = "group";

/// An outbox entry as stored: `{seq, group}`, or (as earlier versions wrote) the group or
/// the single change as an object.
fn entry_from_js(value: JsValue) -> Result<StoredEntry, StorageError> {
    let text = Reflect::get(&value, &JsValue::from_str(GROUP_TEXT))
        .ok()
        .and_then(|text| text.as_string());
    match text {
        Some(text) => {
            serde_json::from_str(&text).map_err(|err| StorageError::Shape(err.to_string()))
        }
        None => from_js(value),
    }
}

/// An outbox entry read as JSON (the rescue copy) as the changes it holds, each with its
/// `at_ms`: the copy lists changes, however the outbox groups them.
pub(crate) fn entry_as_changes(entry: Value) -> Vec<Value> {
    let Value::Object(mut group) = entry else {
        return vec![entry];
    };
    if let Some(Value::String(text)) = group.get(GROUP_TEXT)
        && let Ok(Value::Object(inner)) = serde_json::from_str(text)
    {
        group = inner;
    }
    let Some(Value::Array(changes)) = group.remove("changes") else {
        return vec![Value::Object(group)];
    };
    let at_ms = group.get("at_ms").cloned().unwrap_or(Value::Null);
    changes
        .into_iter()
        .map(|mut change| {
            if let Value::Object(fields) = &mut change {
                fields.insert("at_ms".to_owned(), at_ms.clone());
            }
            change
        })
        .collect()
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
        plan: impl FnMut(usize, Option<&StoredRow>) -> Vec<(String, Value)>,
        job: impl FnOnce() -> Option<ImportJob>,
        job_plan: Option<&str>,
        resume_at: Option<(&uuid::Uuid, u32)>,
        now_ms: u64,
    ) -> Result<Vec<Change>, StorageError> {
        self.write_new_and_planned(keys, |_| false, plan, job, job_plan, resume_at, now_ms)
            .await
    }

    /// [`Storage::write_planned`], where the rows `new` names (by index in `keys`) are not
    /// looked up: records an import creates, whose ids are its own (made from the import
    /// and the line) and written once, in the transaction that moves its progress past
    /// them. A lookup is a request of its own; half of an import's requests were these.
    #[allow(
        clippy::too_many_arguments,
        reason = "write_planned's, and which rows are new"
    )]
    pub async fn write_new_and_planned(
        &self,
        keys: &[(String, String)],
        new: impl Fn(usize) -> bool,
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
        // two writers of one import (two tabs) never both write a chunk, and nothing is
        // written for an import discarded meanwhile.
        if let Some((import_id, written)) = resume_at {
            let stored = super::imports::job_in(&tx, import_id).await?;
            if stored.is_none_or(|job| job.written != written) {
                return Err(StorageError::ImportMoved);
            }
        }
        let rows = tx.store(ROWS_STORE)?;
        let outbox = tx.store(OUTBOX_STORE)?;
        let mut clock = device.clock();
        let found = join_all(keys.iter().enumerate().map(|(index, (entity, id))| {
            let lookup = (!new(index)).then(|| rows.get(row_key(entity, id)));
            async move {
                match lookup {
                    Some(lookup) => lookup.await,
                    None => Ok(None),
                }
            }
        }))
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
        let outbox_values = group_entries(&written, now_ms as f64)?;
        outbox
            .put_all(outbox_values.into_iter().map(|value| (value, None)))
            .await?;
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

    /// The oldest pending changes, at most `max_changes` and about `max_bytes` of JSON (a
    /// batch may end inside an entry: [`Storage::acknowledge`] keeps the entry's rest).
    pub async fn outbox_batch(
        &self,
        max_changes: u32,
        max_bytes: usize,
    ) -> Result<Vec<Change>, StorageError> {
        let changes = self.first_pending(max_changes as usize).await?;
        let mut batch = Vec::with_capacity(changes.len());
        let mut bytes = 64;
        for (change, _) in changes {
            bytes += serde_json::to_string(&change).map_or(0, |text| text.len()) + 1;
            if bytes > max_bytes && !batch.is_empty() {
                break;
            }
            batch.push(change);
        }
        Ok(batch)
    }

    /// The first `most` pending changes in seq order, each with when it was made: entries
    /// read a few at a time in one transaction, only as many as needed.
    async fn first_pending(&self, most: usize) -> Result<Vec<(Change, Option<f64>)>, StorageError> {
        let (tx, outbox) = self.single(OUTBOX_STORE, TransactionMode::ReadOnly)?;
        let mut found = Vec::new();
        let mut after: Option<u64> = None;
        // Changes per entry, as the last read found them: groups hold up to GROUP, entries
        // of earlier versions one each (read 4 at a time, they would take 250 requests).
        let mut per_entry = GROUP;
        while found.len() < most {
            let range = match after {
                Some(key) => Some(
                    KeyRange::lower_bound(&JsValue::from_f64(key as f64), Some(true))
                        .map_err(|err| StorageError::Database(err.to_string()))?,
                ),
                None => None,
            };
            let want = (most - found.len()).div_ceil(per_entry).clamp(1, 10_000) as u32;
            let values = outbox.get_all(range, Some(want)).await?;
            let read = values.len();
            let before = found.len();
            for value in values {
                let entry = entry_from_js(value)?;
                after = Some(entry.seqs().0);
                found.extend(entry.into_changes());
            }
            if read < want as usize {
                break;
            }
            per_entry = ((found.len() - before) / read).clamp(1, GROUP);
        }
        tx.done().await?;
        found.truncate(most);
        Ok(found)
    }

    /// How many changes wait. Seqs are consecutive and the outbox loses only its oldest
    /// (an acknowledgement), so they are every seq from the first entry's to the last's.
    pub async fn pending_count(&self) -> Result<u32, StorageError> {
        Ok(self.outbox_summary().await?.count)
    }

    /// How many changes wait, and when the oldest of them was made: the first entry and
    /// the last (the changes between are every seq from the one to the other).
    pub async fn outbox_summary(&self) -> Result<OutboxSummary, StorageError> {
        let (tx, outbox) = self.single(OUTBOX_STORE, TransactionMode::ReadOnly)?;
        let first = outbox.get_all(None, Some(1)).await?;
        let last = outbox
            .scan(None, Some(1), None, Some(rexie::Direction::Prev))
            .await?;
        tx.done().await?;
        let (Some(first), Some((_, last))) = (first.into_iter().next(), last.into_iter().next())
        else {
            return Ok(OutboxSummary::default());
        };
        let last = entry_from_js(last)?;
        let last_seq = last.seqs().1;
        let entry = entry_from_js(first)?;
        let Some((change, at_ms)) = entry.into_changes().into_iter().next() else {
            return Ok(OutboxSummary::default());
        };
        let count = (last_seq + 1).saturating_sub(change.seq);
        let oldest_ms = at_ms.or_else(|| {
            change
                .hlc
                .parse::<minicrm_core::hlc::Hlc>()
                .ok()
                .map(|hlc| hlc.wall_ms as f64)
        });
        Ok(OutboxSummary {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            oldest_ms,
        })
    }

    /// The first `most` pending changes, oldest first (the sync page lists a few hundred).
    pub async fn pending_first(&self, most: usize) -> Result<Vec<Change>, StorageError> {
        Ok(self
            .first_pending(most)
            .await?
            .into_iter()
            .map(|(change, _)| change)
            .collect())
    }

    /// Every pending change, oldest first.
    pub async fn pending_changes(&self) -> Result<Vec<Change>, StorageError> {
        self.pending_first(usize::MAX).await
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
        let acked_range = || {
            KeyRange::upper_bound(&JsValue::from_f64(acked_seq as f64), Some(false))
                .map_err(|err| StorageError::Database(err.to_string()))
        };
        // The entries the acknowledgement reaches (about a batch): an entry it ends inside
        // keeps its later changes, as an entry keyed by the first of them.
        let mut rest = Vec::new();
        for value in outbox.get_all(Some(acked_range()?), None).await? {
            let entry = entry_from_js(value)?;
            let at_ms = match &entry {
                StoredEntry::Group { at_ms, .. } | StoredEntry::Single { at_ms, .. } => *at_ms,
            };
            if entry.seqs().1 <= acked_seq {
                continue;
            }
            let later: Vec<Change> = entry
                .into_changes()
                .into_iter()
                .map(|(change, _)| change)
                .filter(|change| change.seq > acked_seq)
                .collect();
            if !later.is_empty() {
                rest.push((later, at_ms.unwrap_or(now_ms)));
            }
        }
        outbox.delete(acked_range()?.into()).await?;
        for (later, at_ms) in rest {
            let values = group_entries(&later, at_ms)?;
            all_done(values.iter().map(|value| outbox.put(value, None))).await?;
        }
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
        // The rows are read together and written together: a batch touches hundreds of
        // rows, and one round trip each made an import's sync wait on IndexedDB.
        let found = join_all(
            acked_rows
                .iter()
                .map(|(entity, id)| rows.get(row_key(entity, id))),
        )
        .await;
        let mut values = Vec::with_capacity(acked_rows.len());
        let mut newly_settling = Vec::new();
        for ((entity, id), found) in acked_rows.iter().zip(found) {
            let Some(mut row) = found_row(found?)? else {
                continue;
            };
            let settled: Vec<String> = row
                .local
                .iter()
                .filter(|(field, state)| {
                    acked.get(&(*entity, *id, field.as_str())) == Some(&state.hlc.as_str())
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
            values.push(stored(&row)?);
            if !listed && !row.settling.is_empty() {
                newly_settling.push(settling_key(entity, id));
            }
        }
        put_rows(&rows, &values).await?;
        meta.put_all(
            newly_settling
                .into_iter()
                .map(|key| (JsValue::TRUE, Some(key))),
        )
        .await?;
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
