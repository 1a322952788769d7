//! The device's database: IndexedDB through rexie.
//!
//! Its own crate (the app re-exports it as `storage`) so that every wasm crate writing the
//! device's data — the app and the import's Web Worker — does it with this same code.
//!
//! One database per browser profile, `DB_VERSION` bumps with every schema change and the
//! builder in [`Storage::open_named`] is the one place that describes the schema (rexie
//! creates missing stores and indexes on upgrade).
//!
//! Stores: `meta` (session, device state), `rows` (every synced row: the server's state as
//! last pulled plus the device's unacknowledged edits), `outbox` (those edits in seq order,
//! waiting for the server), `rejected` (changes the server refused, with its reason),
//! `imports`, `import_files`, `import_plans` (imports being made on this device: the job,
//! its file, its plan).
//!
//! Modules: `rows` (a row's stored shape, a pull applied, settling, the reads), `outbox`
//! (edits until the server acknowledges them), `rejected` (the refusals), `device` (the
//! sync state and whose data the stores hold), `imports` (the import's job, file and plan,
//! and its chunks written with the job's progress), `session`, `rescue`, `health`,
//! `changes`, `channel` (what writers tell the other tabs).
//!
//! Logging out empties every store in one transaction ([`Storage::clear_device`])
//! rather than deleting the database: a deletion waits (`blocked`) until every other tab
//! closes its connection, and a tab that never does would keep the previous user's data on
//! the device; clearing never waits for other connections and is all or nothing.

mod carry;
pub mod changes;
pub mod channel;
pub mod device;
pub mod health;
pub mod imports;
pub mod outbox;
pub mod rejected;
pub mod rescue;
pub mod rows;
pub mod session;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use futures::future::join_all;
use rexie::{ObjectStore, Rexie, Store, Transaction, TransactionMode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

pub const DB_NAME: &str = "minicrm";
/// Bump when a store or index is added, or a stored shape changes in a way an older
/// version cannot read (4: outbox entries as `{seq, group}`): the tabs still running the
/// older version are asked to close their connection first. Never remove a store that
/// shipped.
pub const DB_VERSION: u32 = 4;

/// Key-value store for device state: the session, the device (client id, seq, HLC, cursor).
pub const META_STORE: &str = "meta";
/// Rows under the key `[entity, id]`; one entity's rows are a key range (no index to
/// maintain).
pub const ROWS_STORE: &str = "rows";
/// Unacknowledged changes by `seq`.
pub const OUTBOX_STORE: &str = "outbox";
/// Changes the server refused, by `seq`.
pub const REJECTED_STORE: &str = "rejected";
/// Imports on this device (the job: each step's choices and the progress), by import id.
pub const IMPORTS_STORE: &str = "imports";
/// Each import's file (a Blob, as chosen), by import id.
pub const IMPORT_FILES_STORE: &str = "import_files";
/// Each import's plan, fixed when its writing starts, by import id.
pub const IMPORT_PLANS_STORE: &str = "import_plans";
/// Every store, for emptying the device.
pub(crate) const ALL_STORES: [&str; 7] = [
    META_STORE,
    ROWS_STORE,
    OUTBOX_STORE,
    REJECTED_STORE,
    IMPORTS_STORE,
    IMPORT_FILES_STORE,
    IMPORT_PLANS_STORE,
];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StorageError {
    #[error("the device database failed: {0}")]
    Database(String),
    #[error("a stored value has an unexpected shape: {0}")]
    Shape(String),
    /// The device's data is no longer (or not yet) the data of the user this work was for:
    /// someone logged out, or another user logged in, while it ran. Nothing was written.
    #[error("the device's data belongs to another session")]
    NotOwner,
    /// An import's chunk was to continue its writing where another writer (another tab)
    /// already went on, or the import was discarded: nothing was written.
    #[error(
        "this import is being written elsewhere (another tab of this browser) or was discarded"
    )]
    ImportMoved,
}

impl From<rexie::Error> for StorageError {
    fn from(err: rexie::Error) -> Self {
        StorageError::Database(err.to_string())
    }
}

impl From<serde_wasm_bindgen::Error> for StorageError {
    fn from(err: serde_wasm_bindgen::Error) -> Self {
        StorageError::Shape(err.to_string())
    }
}

/// An open device database; cheap to clone.
#[derive(Clone)]
pub struct Storage {
    db: Rc<Rexie>,
    /// Set by [`Storage::for_user`]: sync writes check, inside their transaction, that the
    /// device still holds this user's data, and write nothing otherwise.
    owner: Option<Rc<str>>,
}

thread_local! {
    static SHARED: RefCell<Option<Storage>> = const { RefCell::new(None) };
}

impl Storage {
    /// Opens (creating or upgrading) the database `name`. Tests use their own names.
    pub async fn open_named(name: &str) -> Result<Storage, StorageError> {
        let db = Rexie::builder(name)
            .version(DB_VERSION)
            .add_object_store(ObjectStore::new(META_STORE))
            .add_object_store(ObjectStore::new(ROWS_STORE))
            .add_object_store(ObjectStore::new(OUTBOX_STORE).key_path("seq"))
            .add_object_store(ObjectStore::new(REJECTED_STORE).key_path("seq"))
            .add_object_store(ObjectStore::new(IMPORTS_STORE))
            .add_object_store(ObjectStore::new(IMPORT_FILES_STORE))
            .add_object_store(ObjectStore::new(IMPORT_PLANS_STORE))
            .build()
            .await?;
        Ok(Storage {
            db: Rc::new(db),
            owner: None,
        })
    }

    /// The same database, for work done on behalf of `user_id` (the sync loop): its writes
    /// are refused with [`StorageError::NotOwner`] once the device holds no data of that
    /// user (logged out, or another user logged in meanwhile).
    pub fn for_user(&self, user_id: &str) -> Storage {
        Storage {
            db: self.db.clone(),
            owner: Some(Rc::from(user_id)),
        }
    }

    /// Refuses the work unless the device holds the data of the user it was for.
    pub(crate) fn check_owner(&self, device_user: Option<&str>) -> Result<(), StorageError> {
        match &self.owner {
            Some(owner) if device_user != Some(&**owner) => Err(StorageError::NotOwner),
            _ => Ok(()),
        }
    }

    /// Removes everything the device holds: the session, the device's sync state (client
    /// id, seq, cursor, last sync and acknowledgement), every row, the outbox and the
    /// refusals. One transaction: all of it goes, or nothing does. Other tabs' open
    /// connections do not delay it (see the module's note).
    pub async fn clear_device(&self) -> Result<(), StorageError> {
        let tx = self
            .db
            .transaction(&ALL_STORES, TransactionMode::ReadWrite)?;
        for store in ALL_STORES {
            tx.store(store)?.clear().await?;
        }
        tx.done().await?;
        changes::note_all();
        Ok(())
    }

    /// The app's database, opened once per page.
    pub async fn shared() -> Result<Storage, StorageError> {
        if let Some(storage) = SHARED.with(|cell| cell.borrow().clone()) {
            return Ok(storage);
        }
        let storage = Storage::open_named(DB_NAME).await?;
        SHARED.with(|cell| *cell.borrow_mut() = Some(storage.clone()));
        Ok(storage)
    }

    pub(crate) fn db(&self) -> &Rexie {
        &self.db
    }

    /// A transaction over the one store `name`, and that store.
    pub(crate) fn single(
        &self,
        name: &str,
        mode: TransactionMode,
    ) -> Result<(Transaction, Store), StorageError> {
        let tx = self.db.transaction(&[name], mode)?;
        let store = tx.store(name)?;
        Ok((tx, store))
    }

    /// Every value of the store `name` in key order, deserialized (one read-only
    /// transaction).
    pub(crate) async fn read_all<T: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Vec<T>, StorageError> {
        let (tx, store) = self.single(name, TransactionMode::ReadOnly)?;
        let values = store.get_all(None, None).await?;
        tx.done().await?;
        values.into_iter().map(from_js).collect()
    }

    pub async fn get_meta<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StorageError> {
        let (_tx, store) = self.single(META_STORE, TransactionMode::ReadOnly)?;
        from_found(store.get(JsValue::from_str(key)).await?)
    }

    pub async fn put_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StorageError> {
        let value = to_js(value)?;
        let (tx, store) = self.single(META_STORE, TransactionMode::ReadWrite)?;
        store.put(&value, Some(&JsValue::from_str(key))).await?;
        tx.done().await?;
        Ok(())
    }

    pub async fn delete_meta(&self, key: &str) -> Result<(), StorageError> {
        let (tx, store) = self.single(META_STORE, TransactionMode::ReadWrite)?;
        store.delete(JsValue::from_str(key)).await?;
        tx.done().await?;
        Ok(())
    }
}

/// Serializes for IndexedDB: maps become plain objects, so the data stays readable.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, StorageError> {
    Ok(value.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?)
}

pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, StorageError> {
    Ok(serde_wasm_bindgen::from_value(value)?)
}

/// What a `get` found: nothing for a missing key (`None` or `undefined`).
pub(crate) fn present(value: Option<JsValue>) -> Option<JsValue> {
    value.filter(|value| !value.is_undefined())
}

/// The value a `get` found, deserialized; `None` for a missing key.
pub(crate) fn from_found<T: DeserializeOwned>(
    value: Option<JsValue>,
) -> Result<Option<T>, StorageError> {
    present(value).map(from_js).transpose()
}

/// Waits for requests issued together within one transaction (IndexedDB runs them in
/// order); the first failure is the answer.
pub(crate) async fn all_done<T>(
    requests: impl IntoIterator<Item = impl Future<Output = Result<T, rexie::Error>>>,
) -> Result<(), StorageError> {
    for result in join_all(requests).await {
        result?;
    }
    Ok(())
}
