//! Rows on the device: how a row is stored, a pull's page applied, the settling of
//! acknowledged edits, and the reads (by key, by entity in slices, every key).
//!
//! Every operation that changes more than one store does it in one IndexedDB transaction
//! (see [`super::outbox`] for edits, [`super::device`] for whose data the stores hold).

use std::collections::BTreeSet;
use std::task::{Context, Poll, Waker};

use futures::FutureExt;
use futures::future::{LocalBoxFuture, join_all, ready};

use minicrm_core::merge::{Fields, overlay_pending};
use minicrm_core::sync::PullResponse;
use rexie::{KeyRange, TransactionMode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasm_bindgen::JsValue;

use super::{META_STORE, ROWS_STORE, Storage, StorageError, all_done, present};

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
    /// A row the device has nothing of yet.
    pub(super) fn new(entity: &str, id: &str) -> StoredRow {
        StoredRow {
            entity: entity.to_owned(),
            id: id.to_owned(),
            ..StoredRow::default()
        }
    }

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

    /// [`StoredRow::shown`], taking the row (no copy of a row with nothing pending).
    pub fn into_shown(self) -> Fields {
        if self.local.is_empty() && self.settling.is_empty() {
            return self.base;
        }
        self.shown()
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

/// A stored row's text parsed with only the fields `keep` names (the others' values are
/// skipped, never built: a scan that needs a few fields of every row does not make every
/// note). Shown as [`StoredRow::shown`] shows it, of those fields.
pub fn row_keeping(text: &str, keep: fn(&str) -> bool) -> Result<StoredRow, serde_json::Error> {
    let mut parser = serde_json::Deserializer::from_str(text);
    let row = serde::Deserializer::deserialize_map(&mut parser, Keeping(keep))?;
    parser.end()?;
    Ok(row)
}

/// A field's or a row's key as written (borrowed unless it has escapes).
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> serde::de::Visitor<'de> for Text {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(text.to_owned())))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// Parses a row (as a map of its parts) or a part's fields (as a map of fields), keeping
/// the fields the function names.
#[derive(Clone, Copy)]
struct Keeping(fn(&str) -> bool);

impl<'de> serde::de::DeserializeSeed<'de> for Keeping {
    type Value = Fields;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Fields, D::Error> {
        struct Part(fn(&str) -> bool);
        impl<'de> serde::de::Visitor<'de> for Part {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a row's fields")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields, A::Error> {
                let mut fields = Fields::new();
                while let Some(Key(name)) = map.next_key::<Key>()? {
                    if (self.0)(&name) {
                        fields.insert(name.into_owned(), map.next_value()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(fields)
            }
        }
        deserializer.deserialize_map(Part(self.0))
    }
}

impl<'de> serde::de::Visitor<'de> for Keeping {
    type Value = StoredRow;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a stored row")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<StoredRow, A::Error> {
        let mut row = StoredRow::default();
        let (mut entity, mut id) = (false, false);
        while let Some(Key(part)) = map.next_key::<Key>()? {
            match &*part {
                "entity" => {
                    row.entity = map.next_value()?;
                    entity = true;
                }
                "id" => {
                    row.id = map.next_value()?;
                    id = true;
                }
                "base" => row.base = map.next_value_seed(self)?,
                "local" => row.local = map.next_value_seed(self)?,
                "settling" => row.settling = map.next_value_seed(self)?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        if !entity {
            return Err(serde::de::Error::missing_field("entity"));
        }
        if !id {
            return Err(serde::de::Error::missing_field("id"));
        }
        Ok(row)
    }
}

/// Rows read from the rows store, each parsed when asked for.
pub struct UnparsedRows(Vec<JsValue>);

impl UnparsedRows {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The rows in order, each parsed as the iterator reaches it.
    pub fn parsed(self) -> impl Iterator<Item = Result<StoredRow, StorageError>> {
        self.0.into_iter().map(row_from_js)
    }

    /// The rows in order, each parsed as the iterator reaches it with only the fields
    /// `keep` names (see [`row_keeping`]).
    pub fn parsed_keeping(
        self,
        keep: fn(&str) -> bool,
    ) -> impl Iterator<Item = Result<StoredRow, StorageError>> {
        self.0.into_iter().map(move |value| {
            let text = value
                .as_string()
                .ok_or_else(|| StorageError::Shape("a stored row is not a string".into()))?;
            row_keeping(&text, keep).map_err(|err| StorageError::Shape(err.to_string()))
        })
    }

    /// The rows in order, `None` where a read by key found none, each parsed as the
    /// iterator reaches it.
    pub fn parsed_or_none(self) -> impl Iterator<Item = Result<Option<StoredRow>, StorageError>> {
        self.0.into_iter().map(|value| found_row(Some(value)))
    }

    /// The last row's id (its key in the store is the entity and this id).
    fn last_id(&self) -> Result<Option<String>, StorageError> {
        self.0
            .last()
            .map(|value| row_from_js(value.clone()).map(|row| row.id))
            .transpose()
    }
}

/// Every row of an entity, slice by slice in id order, each slice asked of IndexedDB before
/// the caller handles the one before it: reading and parsing overlap (IndexedDB reads in
/// the browser's process), which took a third off reading a whole base. A row written into
/// a slice already asked for is not seen (the change log tells the replica of it).
pub struct RowScan {
    storage: Storage,
    entity: String,
    slice: u32,
    next: Option<LocalBoxFuture<'static, Result<UnparsedRows, StorageError>>>,
}

impl RowScan {
    pub fn new(storage: &Storage, entity: &str, slice: u32) -> Self {
        let mut scan = RowScan {
            storage: storage.clone(),
            entity: entity.to_owned(),
            slice: slice.max(1),
            next: None,
        };
        scan.ask(None);
        scan
    }

    /// Asks for the slice after `after`: polled once here, so the request is made now
    /// (the caller's later await waits on it with its own waker).
    fn ask(&mut self, after: Option<String>) {
        let (storage, entity, slice) = (self.storage.clone(), self.entity.clone(), self.slice);
        let mut read = async move {
            storage
                .unparsed_rows_after(&entity, after.as_deref(), slice)
                .await
        }
        .boxed_local();
        let mut context = Context::from_waker(Waker::noop());
        self.next = Some(match read.as_mut().poll(&mut context) {
            Poll::Ready(result) => ready(result).boxed_local(),
            Poll::Pending => read,
        });
    }

    /// The next slice (`None` after the last); the one after it is already asked for.
    pub async fn next(&mut self) -> Result<Option<UnparsedRows>, StorageError> {
        let Some(read) = self.next.take() else {
            return Ok(None);
        };
        let rows = read.await?;
        if rows.is_empty() {
            return Ok(None);
        }
        if rows.len() == self.slice as usize {
            self.ask(rows.last_id()?);
        }
        Ok(Some(rows))
    }
}

impl Drop for RowScan {
    /// A scan left early (an error) still has a request out: it is waited on to its end,
    /// since an IndexedDB answer to a request whose future is gone throws in the page (in
    /// the worker, an uncaught error that stops it).
    fn drop(&mut self) {
        if let Some(read) = self.next.take() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = read.await;
            });
        }
    }
}

pub(super) fn row_key(entity: &str, id: &str) -> JsValue {
    let key = js_sys::Array::new();
    key.push(&JsValue::from_str(entity));
    key.push(&JsValue::from_str(id));
    key.into()
}

/// The row a read of the rows store found, if any.
pub(super) fn found_row(value: Option<JsValue>) -> Result<Option<StoredRow>, StorageError> {
    present(value).map(row_from_js).transpose()
}

/// The row as it is put into the rows store: (value, key).
pub(super) fn stored(row: &StoredRow) -> Result<(JsValue, JsValue), StorageError> {
    Ok((row_to_js(row)?, row_key(&row.entity, &row.id)))
}

pub(super) async fn read_row(
    store: &rexie::Store,
    entity: &str,
    id: &str,
) -> Result<Option<StoredRow>, StorageError> {
    found_row(store.get(row_key(entity, id)).await?)
}

/// Puts every (value, key) of `values`: the requests are issued together and only the
/// last is awaited. IndexedDB runs them in order within the transaction and a failed one
/// aborts it, which fails the last; a request nobody waits on costs no event handled in
/// the page (a wait per request was most of the time an import spent writing rows).
pub(super) async fn put_rows(
    store: &rexie::Store,
    values: &[(JsValue, JsValue)],
) -> Result<(), StorageError> {
    store
        .put_all(
            values
                .iter()
                .map(|(value, key)| (value.clone(), Some(key.clone()))),
        )
        .await?;
    Ok(())
}

/// The keys of `entity`'s rows with ids after `after` (every one of them without): keys are
/// `[entity, id]`, so they sort between `[entity]` and `[entity, []]` (arrays sort after
/// strings).
fn entity_range(entity: &str, after: Option<&str>) -> Result<KeyRange, StorageError> {
    let (lower, open) = match after {
        Some(id) => (
            js_sys::Array::of2(&JsValue::from_str(entity), &JsValue::from_str(id)),
            true,
        ),
        None => (js_sys::Array::of1(&JsValue::from_str(entity)), false),
    };
    let upper = js_sys::Array::of2(&JsValue::from_str(entity), &js_sys::Array::new());
    KeyRange::bound(&lower, &upper, Some(open), Some(true))
        .map_err(|err| StorageError::Database(err.to_string()))
}

/// Rows settled per transaction by [`Storage::finish_settling`].
/// Small, because a transaction's rows are decoded and encoded again in one task on the
/// main thread.
pub const SETTLE_CHUNK: u32 = 250;

impl Storage {
    /// A pull reached the end after the last acknowledgement: the rows hold the server's
    /// state of every acknowledged edit, which stop being shown on top. A row that exists
    /// only because of edits the server refused is removed.
    /// Returns whether any row settled.
    ///
    /// In transactions of [`SETTLE_CHUNK`] rows (after an import 100k rows settle): each
    /// one clears its rows and their keys together, so an interrupted run leaves the rest
    /// listed for the next complete pull. Sync runs this after its pull and before its next
    /// push, so no acknowledgement comes in between.
    pub async fn finish_settling(&self) -> Result<bool, StorageError> {
        let mut any = false;
        loop {
            let (tx, meta, mut device) = self.owned_write(&[META_STORE, ROWS_STORE]).await?;
            let rows = tx.store(ROWS_STORE)?;
            let keys = meta
                .get_all_keys(Some(super::device::settling_range()?), Some(SETTLE_CHUNK))
                .await?;
            let mut listed: Vec<(String, String)> = keys
                .iter()
                .filter_map(super::device::settling_row)
                .collect();
            // Listed in the device's record by an earlier version of the app: a chunk's
            // worth at a time too, the rest written back.
            let had_legacy = !device.settling.is_empty();
            let legacy_now = device.settling.len().min(SETTLE_CHUNK as usize);
            listed.extend(device.settling.drain(..legacy_now));
            if listed.is_empty() {
                tx.done().await?;
                return Ok(any);
            }
            let found = join_all(
                listed
                    .iter()
                    .map(|(entity, id)| rows.get(row_key(entity, id))),
            )
            .await;
            let mut settled = Vec::with_capacity(listed.len());
            let mut gone = Vec::new();
            for ((entity, id), found) in listed.iter().zip(found) {
                super::changes::note(entity, id);
                if let Some(mut row) = found_row(found?)? {
                    row.settling.clear();
                    if row.base.is_empty() && row.local.is_empty() {
                        gone.push(row_key(entity, id));
                    } else {
                        settled.push(stored(&row)?);
                    }
                }
            }
            put_rows(&rows, &settled).await?;
            all_done(gone.into_iter().map(|key| rows.delete(key))).await?;
            if let (Some(first), Some(last)) = (keys.first(), keys.last()) {
                let done = KeyRange::bound(first, last, Some(false), Some(false))
                    .map_err(|err| StorageError::Database(err.to_string()))?;
                meta.delete(done.into()).await?;
            }
            if had_legacy {
                super::device::write_device(&meta, &device).await?;
            }
            tx.done().await?;
            any = true;
            if (keys.len() as u32) < SETTLE_CHUNK && device.settling.is_empty() {
                return Ok(any);
            }
        }
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
        let (tx, meta, mut device) = self.owned_write(&[META_STORE, ROWS_STORE]).await?;
        let rows = tx.store(ROWS_STORE)?;
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
            let mut row =
                found_row(found?)?.unwrap_or_else(|| StoredRow::new(&pulled.entity, &pulled.id));
            row.base = fields.clone();
            values.push(stored(&row)?);
        }
        put_rows(&rows, &values).await?;
        all_done(
            hidden
                .iter()
                .map(|pulled| rows.delete(row_key(&pulled.entity, &pulled.id))),
        )
        .await?;
        device.keep_clock(&clock);
        device.observe(&page.server_hlc);
        device.cursor = page.cursor;
        super::device::write_device(&meta, &device).await?;
        tx.done().await?;
        for pulled in &page.rows {
            super::changes::note(&pulled.entity, &pulled.id);
        }
        Ok(())
    }

    /// Every row key on the device, for a first sync (see [`Storage::apply_pull`]).
    pub async fn row_keys(&self) -> Result<BTreeSet<(String, String)>, StorageError> {
        let (tx, rows) = self.single(ROWS_STORE, TransactionMode::ReadOnly)?;
        let keys = rows.get_all_keys(None, None).await?;
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
        let (tx, rows) = self.single(ROWS_STORE, TransactionMode::ReadOnly)?;
        let row = read_row(&rows, entity, id).await?;
        tx.done().await?;
        Ok(row)
    }

    /// Every row of `entity`.
    pub async fn rows_of(&self, entity: &str) -> Result<Vec<StoredRow>, StorageError> {
        self.rows_in(entity_range(entity, None)?, None).await
    }

    /// How many rows of `entity` the device holds (one request, nothing read).
    pub async fn count_of(&self, entity: &str) -> Result<u32, StorageError> {
        let (tx, rows) = self.single(ROWS_STORE, TransactionMode::ReadOnly)?;
        let count = rows.count(Some(entity_range(entity, None)?)).await?;
        tx.done().await?;
        Ok(count)
    }

    /// Up to `limit` rows of `entity` with ids after `after` (in id order): a large store
    /// is read in slices, so no single step holds the page for long.
    pub async fn rows_after(
        &self,
        entity: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredRow>, StorageError> {
        self.rows_in(entity_range(entity, after)?, Some(limit))
            .await
    }

    /// As [`Storage::rows_after`], the rows left as read: parsing them is most of the cost,
    /// so a reader on the page's thread can spread it over several tasks.
    ///
    /// The read-only transaction is not waited on: [`RowScan`] may leave this future
    /// unpolled until long after the transaction ended, and a wait that begins after the
    /// end never ends. The rows are the read's result whether or not anybody waits.
    async fn unparsed_rows_after(
        &self,
        entity: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<UnparsedRows, StorageError> {
        let (_tx, rows) = self.single(ROWS_STORE, TransactionMode::ReadOnly)?;
        let values = rows
            .get_all(Some(entity_range(entity, after)?), Some(limit))
            .await?;
        Ok(UnparsedRows(values))
    }

    /// The rows in `range` (at most `limit`), in key order.
    async fn rows_in(
        &self,
        range: KeyRange,
        limit: Option<u32>,
    ) -> Result<Vec<StoredRow>, StorageError> {
        let (tx, rows) = self.single(ROWS_STORE, TransactionMode::ReadOnly)?;
        let values = rows.get_all(Some(range), limit).await?;
        tx.done().await?;
        values.into_iter().map(row_from_js).collect()
    }

    /// As [`Storage::rows_by_keys`], each row left as read ([`UnparsedRows::parsed_or_none`]
    /// parses them one by one).
    pub async fn unparsed_rows_by_keys(
        &self,
        keys: &[(String, String)],
    ) -> Result<UnparsedRows, StorageError> {
        let (tx, rows) = self.single(ROWS_STORE, TransactionMode::ReadOnly)?;
        let found = join_all(
            keys.iter()
                .map(|(entity, id)| rows.get(row_key(entity, id))),
        )
        .await;
        tx.done().await?;
        let values = found
            .into_iter()
            .map(|value| Ok(value?.unwrap_or(JsValue::UNDEFINED)))
            .collect::<Result<Vec<_>, StorageError>>()?;
        Ok(UnparsedRows(values))
    }

    /// The rows under `keys` (`None` where there is none), in the same order.
    pub async fn rows_by_keys(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<Option<StoredRow>>, StorageError> {
        let (tx, rows) = self.single(ROWS_STORE, TransactionMode::ReadOnly)?;
        let found = join_all(
            keys.iter()
                .map(|(entity, id)| rows.get(row_key(entity, id))),
        )
        .await;
        tx.done().await?;
        found.into_iter().map(|value| found_row(value?)).collect()
    }
}
