//! The logged-in session kept on the device, so a reload (online or offline) keeps the
//! user in.

use minicrm_core::api::User;
use serde::{Deserialize, Serialize};

use rexie::TransactionMode;
use wasm_bindgen::JsValue;

use super::{META_STORE, Storage, StorageError, from_found, to_js};

pub(crate) const SESSION_KEY: &str = "session";

/// Stored shape (must stay readable by later versions: fields may only be added).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSession {
    pub token: String,
    pub user: User,
    /// The server answered 401 for this token: ask for the password, keep local data.
    #[serde(default)]
    pub reauth_needed: bool,
}

impl Storage {
    pub async fn load_session(&self) -> Result<Option<StoredSession>, StorageError> {
        self.get_meta(SESSION_KEY).await
    }

    /// Stores a session as it is: only a login (or setup) does this.
    pub async fn save_session(&self, session: &StoredSession) -> Result<(), StorageError> {
        self.put_meta(SESSION_KEY, session).await
    }

    /// Replaces the stored session with `session` only if the stored one exists and has the
    /// same token (compare and set, in one transaction): an update of a session (a 401's
    /// `reauth_needed`, a refreshed user) never brings back a session that a logout removed
    /// or overwrites another login's. Returns whether it was written.
    pub async fn update_session(&self, session: &StoredSession) -> Result<bool, StorageError> {
        let (tx, meta) = self.single(META_STORE, TransactionMode::ReadWrite)?;
        let key = JsValue::from_str(SESSION_KEY);
        let current: Option<StoredSession> = from_found(meta.get(key.clone()).await?)?;
        let same = current.is_some_and(|current| current.token == session.token);
        if same {
            meta.put(&to_js(session)?, Some(&key)).await?;
        }
        tx.done().await?;
        Ok(same)
    }

    pub async fn clear_session(&self) -> Result<(), StorageError> {
        self.delete_meta(SESSION_KEY).await
    }
}
