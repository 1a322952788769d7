//! Changes the server refused, kept with its reason until the user has read them.

use minicrm_core::combine;
use minicrm_core::sync::{Change, RejectCode, Rejection};
use uuid::Uuid;

use super::rows::StoredRow;
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
    /// Refused because the record was merged into this one, where the change was made
    /// again ([`Storage::retarget_merged`]).
    #[serde(default)]
    pub merged_into: Option<String>,
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
            merged_into: rejection.merged_into.clone(),
        }
    }
}

/// The changes of `sent` the server refused because their record was merged into another,
/// with the record they belong on.
pub fn merged_refusals<'a>(
    sent: &'a [Change],
    rejected: &'a [Rejection],
) -> Vec<(&'a Change, Uuid)> {
    rejected
        .iter()
        .filter(|r| r.code == RejectCode::Merged)
        .filter_map(|r| {
            let change = sent.iter().find(|c| c.seq == r.seq)?;
            let staying = Uuid::parse_str(r.merged_into.as_deref()?).ok()?;
            (change.entity == "contact").then_some((change, staying))
        })
        .collect()
}

impl Storage {
    /// Makes the changes the server refused because their record was merged into another
    /// again on the record that stays (core's `retarget`: a chosen field's value as
    /// written, a list united with the staying record's), in one transaction, before the
    /// refusal is acknowledged: a tab closed in between sends the refused changes again
    /// and they are moved again, never lost.
    pub async fn retarget_merged(
        &self,
        moved: &[(&Change, Uuid)],
        now_ms: u64,
    ) -> Result<(), StorageError> {
        let keys: Vec<(String, String)> = moved
            .iter()
            .map(|(_, staying)| ("contact".to_owned(), staying.to_string()))
            .collect();
        self.write_planned(
            &keys,
            |index, row| {
                let (change, staying) = moved[index];
                let fields = row.map(StoredRow::shown).unwrap_or_default();
                let record = combine::Record {
                    id: staying,
                    fields: &fields,
                };
                combine::retarget(&change.field, &change.value, record)
                    .map(|value| vec![(change.field.clone(), value)])
                    .unwrap_or_default()
            },
            || None,
            None,
            None,
            now_ms,
        )
        .await?;
        Ok(())
    }

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
