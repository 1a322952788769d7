//! The logged-in session kept on the device, so a reload (online or offline) keeps the
//! user in.

use minicrm_core::api::User;
use serde::{Deserialize, Serialize};

use super::{Storage, StorageError};

const SESSION_KEY: &str = "session";

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

    pub async fn save_session(&self, session: &StoredSession) -> Result<(), StorageError> {
        self.put_meta(SESSION_KEY, session).await
    }

    pub async fn clear_session(&self) -> Result<(), StorageError> {
        self.delete_meta(SESSION_KEY).await
    }
}
