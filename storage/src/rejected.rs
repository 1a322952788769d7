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
    /// `merged_into`, not handled yet) again where they belong — core's `retarget` — on
    /// the rows as stored after the pull that brought the merge, each planned inside the
    /// writing transaction over what the ones before it wrote (two lists moved onto one
    /// record both stay), where `may_write` allows the write; each refusal is then marked
    /// as moved or not, and the sync page says which. The changes are written before the
    /// marks: a tab closed in between makes them once more (the same values), never loses
    /// them.
    pub async fn retarget_merged(
        &self,
        may_write: impl Fn(&StoredRow, &str, &Value) -> bool,
        now_ms: u64,
    ) -> Result<(), StorageError> {
        // (A refusal kept before refusals carried their HLC was made again at the time.)
        let waiting: Vec<RejectedChange> = self
            .read_all::<RejectedChange>(REJECTED_STORE)
            .await?
            .into_iter()
            .filter(|c| c.merged_into.is_some() && c.moved.is_none() && c.hlc.is_some())
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        // Each refusal's own row and the record that stays, as stored now: which row the
        // change goes to.
        let mut keys: Vec<(String, String)> = Vec::new();
        for change in &waiting {
            keys.push((change.entity.clone(), change.id.clone()));
            keys.push((
                "contact".to_owned(),
                change.merged_into.clone().unwrap_or_default(),
            ));
        }
        let rows = self.rows_by_keys(&keys).await?;
        let shown = |row: &Option<StoredRow>| row.as_ref().map(StoredRow::shown);
        let mut plans = Vec::new();
        for (n, (change, pair)) in waiting.iter().zip(rows.chunks(2)).enumerate() {
            let (Ok(entity), Ok(id), Some(Ok(staying))) = (
                change.entity.parse::<Entity>(),
                Uuid::parse_str(&change.id),
                change.merged_into.as_deref().map(Uuid::parse_str),
            ) else {
                continue;
            };
            let (own, staying_fields) = (shown(&pair[0]), shown(&pair[1]));
            let target = staying_fields.as_ref().and_then(|fields| {
                combine::retarget(
                    entity,
                    id,
                    &change.field,
                    &change.value,
                    change.hlc.as_deref().unwrap_or_default(),
                    own.as_ref(),
                    Some(combine::Record {
                        id: staying,
                        fields,
                    }),
                )
            });
            if let Some(target) = target {
                plans.push((n, entity, id, staying, own, staying_fields, target));
            }
        }
        let mut moved = vec![false; waiting.len()];
        if !plans.is_empty() {
            let keys: Vec<(String, String)> = plans
                .iter()
                .map(|p| (p.6.entity.as_str().to_owned(), p.6.id.to_string()))
                .collect();
            self.write_planned(
                &keys,
                |index, current| {
                    let (n, entity, id, staying, own, staying_fields, target) = &plans[index];
                    let change = &waiting[*n];
                    // Planned again over the row as this transaction has it.
                    let now = current.map(StoredRow::shown);
                    let onto_staying = target.id == *staying;
                    let (own, staying_fields) = if onto_staying {
                        (own.clone(), now.clone().or_else(|| staying_fields.clone()))
                    } else {
                        (now.clone().or_else(|| own.clone()), staying_fields.clone())
                    };
                    let Some(staying_fields) = staying_fields else {
                        return Vec::new();
                    };
                    let again = combine::retarget(
                        *entity,
                        *id,
                        &change.field,
                        &change.value,
                        change.hlc.as_deref().unwrap_or_default(),
                        own.as_ref(),
                        Some(combine::Record {
                            id: *staying,
                            fields: &staying_fields,
                        }),
                    );
                    match (again, current) {
                        (Some(again), Some(row)) if may_write(row, &again.field, &again.value) => {
                            moved[*n] = true;
                            vec![(again.field, again.value)]
                        }
                        _ => Vec::new(),
                    }
                },
                || None,
                None,
                None,
                now_ms,
            )
            .await?;
        }
        // Marked in one transaction with reading them again: one dismissed meanwhile
        // stays dismissed.
        let (tx, refused) = self.single(REJECTED_STORE, TransactionMode::ReadWrite)?;
        for (change, moved) in waiting.into_iter().zip(moved) {
            let key = wasm_bindgen::JsValue::from_f64(change.seq as f64);
            if refused.get(key).await?.is_none_or(|v| v.is_undefined()) {
                continue;
            }
            let mut change = change;
            change.moved = Some(moved);
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

    /// The user has read the refusals. Those still to be made again where a merge put
    /// their record (at the next sync) stay.
    pub async fn clear_rejected(&self) -> Result<(), StorageError> {
        let (tx, rejected) = self.single(REJECTED_STORE, TransactionMode::ReadWrite)?;
        let kept: Vec<RejectedChange> = rejected
            .get_all(None, None)
            .await?
            .into_iter()
            .filter_map(|value| super::from_js::<RejectedChange>(value).ok())
            .filter(|c| c.merged_into.is_some() && c.moved.is_none() && c.hlc.is_some())
            .collect();
        rejected.clear().await?;
        for change in &kept {
            rejected.put(&to_js(change)?, None).await?;
        }
        tx.done().await?;
        Ok(())
    }
}
