//! Changes the server refused, kept with its reason until the user has read them.

use minicrm_core::sync::{Change, Rejection};
use rexie::TransactionMode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{REJECTED_STORE, Storage, StorageError};

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

impl RejectedChange {
    /// `change` as the server refused it (`rejection`), at `now_ms`.
    pub(super) fn new(change: &Change, rejection: &Rejection, now_ms: f64) -> RejectedChange {
        RejectedChange {
            seq: rejection.seq,
            entity: change.entity.clone(),
            id: change.id.clone(),
            field: change.field.clone(),
            value: change.value.clone(),
            code: rejection.code.as_str().to_owned(),
            message: rejection.message.clone(),
            at_ms: now_ms,
        }
    }
}

impl Storage {
    /// Changes the server refused, newest first.
    pub async fn rejected_changes(&self) -> Result<Vec<RejectedChange>, StorageError> {
        let mut changes: Vec<RejectedChange> = self.read_all(REJECTED_STORE).await?;
        changes.reverse();
        Ok(changes)
    }

    /// The user has read the refusals.
    pub async fn clear_rejected(&self) -> Result<(), StorageError> {
        let (tx, rejected) = self.single(REJECTED_STORE, TransactionMode::ReadWrite)?;
        rejected.clear().await?;
        tx.done().await?;
        Ok(())
    }
}
