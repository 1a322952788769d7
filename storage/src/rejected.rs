//! Changes the server refused, kept with its reason until the user has read them.

use minicrm_core::combine;
use minicrm_core::sync::{Change, Rejection};
use uuid::Uuid;

use super::rows::StoredRow;
use super::to_js;
use minicrm_core::schema::Entity;
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
    /// Refused because of a merge: the record that stays ([`Storage::retarget_merged`]).
    #[serde(default)]
    pub merged_into: Option<String>,
    /// The refused write's HLC (a moved change is last-writer-wins against the staying
    /// record's value).
    #[serde(default)]
    pub hlc: Option<String>,
    /// Whether the change was made again where it belongs; `None` until the sync after the
    /// refusal looked.
    #[serde(default)]
    pub moved: Option<bool>,
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
            hlc: Some(change.hlc.clone()),
            moved: None,
        }
    }
}

impl Storage {
    /// Makes the changes refused because of a merge (those naming a record in
    /// `merged_into`, not handled yet) again where they belong — core's `retarget`, from
    /// the rows as stored after the pull that brought the merge — on rows `may_write`
    /// allows; each refusal is then marked as moved or not, and the sync page says which.
    /// The changes are written before the marks: a tab closed in between makes them once
    /// more (the same values), never loses them.
    pub async fn retarget_merged(
        &self,
        may_write: impl Fn(&StoredRow) -> bool,
        now_ms: u64,
    ) -> Result<(), StorageError> {
        let waiting: Vec<RejectedChange> = self
            .read_all::<RejectedChange>(REJECTED_STORE)
            .await?
            .into_iter()
            .filter(|c| c.merged_into.is_some() && c.moved.is_none())
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        // Each refusal's own row and the record that stays, as stored now.
        let mut keys: Vec<(String, String)> = Vec::new();
        for change in &waiting {
            keys.push((change.entity.clone(), change.id.clone()));
            keys.push((
                "contact".to_owned(),
                change.merged_into.clone().unwrap_or_default(),
            ));
        }
        let rows = self.rows_by_keys(&keys).await?;
        let mut planned: Vec<Option<combine::Retargeted>> = Vec::with_capacity(waiting.len());
        for (change, pair) in waiting.iter().zip(rows.chunks(2)) {
            let (own, staying_row) = (&pair[0], &pair[1]);
            let entity = change.entity.parse::<Entity>().ok();
            let id = Uuid::parse_str(&change.id).ok();
            let staying_id = change
                .merged_into
                .as_deref()
                .and_then(|s| Uuid::parse_str(s).ok());
            let (Some(entity), Some(id), Some(staying_id), Some(staying_row)) =
                (entity, id, staying_id, staying_row.as_ref())
            else {
                planned.push(None);
                continue;
            };
            let own_fields = own.as_ref().map(StoredRow::shown).unwrap_or_default();
            let staying_fields = staying_row.shown();
            let retargeted = combine::retarget(
                entity,
                id,
                &change.field,
                &change.value,
                change.hlc.as_deref().unwrap_or_default(),
                own_fields.get(combine::MERGED_INTO).map(|s| &s.value),
                Some(combine::Record {
                    id: staying_id,
                    fields: &staying_fields,
                }),
            );
            // Made only where the user may write, else kept as a refusal (nothing written
            // that the server would refuse again).
            let target_row = if retargeted.as_ref().is_some_and(|r| r.id == staying_id) {
                Some(staying_row)
            } else {
                own.as_ref()
            };
            planned.push(retargeted.filter(|_| target_row.is_some_and(&may_write)));
        }
        let edits: Vec<(String, String, String, serde_json::Value)> = planned
            .iter()
            .flatten()
            .map(|r| {
                (
                    r.entity.as_str().to_owned(),
                    r.id.to_string(),
                    r.field.clone(),
                    r.value.clone(),
                )
            })
            .collect();
        if !edits.is_empty() {
            let keys: Vec<(String, String)> = edits
                .iter()
                .map(|(e, i, _, _)| (e.clone(), i.clone()))
                .collect();
            self.write_planned(
                &keys,
                |index, _| vec![(edits[index].2.clone(), edits[index].3.clone())],
                || None,
                None,
                None,
                now_ms,
            )
            .await?;
        }
        let (tx, refused) = self.single(REJECTED_STORE, TransactionMode::ReadWrite)?;
        for (mut change, moved) in waiting.into_iter().zip(planned) {
            change.moved = Some(moved.is_some());
            refused.put(&to_js(&change)?, None).await?;
        }
        tx.done().await?;
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
