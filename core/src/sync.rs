//! Wire types of sync and history (PROTOCOL.md, "Push", "Pull", "History").
//!
//! Every type here is serialized: its shape is part of the contract and must not change;
//! fields may only be added.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most changes one push may carry.
pub const MAX_PUSH_CHANGES: usize = 1000;
/// Most bytes one push body may have.
pub const MAX_PUSH_BYTES: usize = 1024 * 1024;
/// Default and largest page of a pull.
pub const DEFAULT_PULL_LIMIT: usize = 1000;
pub const MAX_PULL_LIMIT: usize = 5000;
/// A pull page stops after the row that takes its rows' stored bytes past this (`more`
/// then says to pull again); a page always carries at least one row.
pub const PULL_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// Default and largest page of a row's history (the default is the largest, so a reader
/// that does not page gets every write of all but the busiest rows, as PROTOCOL.md's
/// history always did).
pub const DEFAULT_HISTORY_LIMIT: usize = 1000;
pub const MAX_HISTORY_LIMIT: usize = 1000;

/// One write of one field of one row, as a device sends it. Strings stay strings here: a
/// malformed entity, id, field or HLC is that change's rejection, not the batch's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub seq: u64,
    pub entity: String,
    pub id: String,
    pub field: String,
    pub value: Value,
    pub hlc: String,
}

impl Change {
    /// The write of `value` to one field, the device's `seq`-th, stamped `hlc`.
    pub fn new(seq: u64, entity: &str, id: &str, field: &str, value: Value, hlc: String) -> Self {
        Change {
            seq,
            entity: entity.to_owned(),
            id: id.to_owned(),
            field: field.to_owned(),
            value,
            hlc,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub client_id: String,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The user may not make this change (role, ownership).
    Forbidden,
    /// Unknown entity or field.
    UnknownField,
    /// Wrong value type, malformed HLC or id.
    Invalid,
}

impl RejectCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCode::Forbidden => "forbidden",
            RejectCode::UnknownField => "unknown_field",
            RejectCode::Invalid => "invalid",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub seq: u64,
    pub code: RejectCode,
    pub message: String,
    /// An extension of PROTOCOL.md (clients that do not know it ignore it): a change
    /// refused (`forbidden`) because its record, or the record it points to, was merged
    /// into another names the record that stays; the device makes the change there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub acked_seq: u64,
    pub server_hlc: String,
    pub rejected: Vec<Rejection>,
}

/// A field's value and the HLC of the write that set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldState {
    pub value: Value,
    pub hlc: String,
}

/// One row of a pull: all its fields, or `visible: false` when the user may no longer see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledRow {
    pub entity: String,
    pub id: String,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, FieldState>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<bool>,
}

impl PulledRow {
    /// False for a row the device must drop.
    pub fn is_visible(&self) -> bool {
        self.visible != Some(false)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub rows: Vec<PulledRow>,
    pub cursor: u64,
    pub more: bool,
    pub server_hlc: String,
}

/// One accepted write in a row's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub field: String,
    pub value: Value,
    pub hlc: String,
    pub user_id: String,
    /// True if the write became the field's value when it arrived.
    pub won: bool,
    /// Extension: the device that made the write (its client_id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Extension: when the write reached the server (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryResponse {
    pub entries: Vec<HistoryEntry>,
    /// Whether older entries exist: ask again with `before` = the first entry's `hlc`.
    #[serde(default)]
    pub more: bool,
}

/// A change as far as it could be read: either whole, or only its `seq` (then it is
/// rejected as `invalid` with the reason, and the rest of the batch goes on).
#[derive(Debug, Clone, PartialEq)]
pub enum ReadChange {
    Whole(Change),
    Invalid { seq: u64, message: String },
}

/// Reads one element of a push's `changes`. `Err` means the element is not a change at all
/// (not an object, no numeric `seq`): the whole request is refused.
pub fn read_change(element: &Value) -> Result<ReadChange, String> {
    let Some(object) = element.as_object() else {
        return Err("every element of `changes` must be an object".into());
    };
    let Some(seq) = object.get("seq").and_then(Value::as_u64) else {
        return Err("every change needs `seq`, a non-negative integer".into());
    };
    let text = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(entity), Some(id), Some(field), Some(hlc)) =
        (text("entity"), text("id"), text("field"), text("hlc"))
    else {
        return Ok(ReadChange::Invalid {
            seq,
            message: "a change needs `entity`, `id`, `field` and `hlc` as strings".into(),
        });
    };
    let Some(value) = object.get("value").cloned() else {
        return Ok(ReadChange::Invalid {
            seq,
            message: "a change needs `value` (null clears a field)".into(),
        });
    };
    Ok(ReadChange::Whole(Change {
        seq,
        entity,
        id,
        field,
        value,
        hlc,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_changes_leniently_but_not_non_changes() {
        let whole = json!({"seq": 3, "entity": "contact", "id": "x", "field": "city", "value": null, "hlc": "h"});
        assert!(
            matches!(read_change(&whole), Ok(ReadChange::Whole(c)) if c.seq == 3 && c.value.is_null())
        );
        let bad_hlc = json!({"seq": 4, "entity": "contact", "id": "x", "field": "city", "value": 1, "hlc": 5});
        assert!(matches!(
            read_change(&bad_hlc),
            Ok(ReadChange::Invalid { seq: 4, .. })
        ));
        let no_value =
            json!({"seq": 5, "entity": "contact", "id": "x", "field": "city", "hlc": "h"});
        assert!(matches!(
            read_change(&no_value),
            Ok(ReadChange::Invalid { seq: 5, .. })
        ));
        assert!(read_change(&json!([1])).is_err());
        assert!(read_change(&json!({"seq": -1})).is_err());
        assert!(read_change(&json!({"entity": "contact"})).is_err());
    }

    #[test]
    fn pulled_rows_serialize_as_the_protocol_shows() {
        let gone = PulledRow {
            entity: "contact".into(),
            id: "x".into(),
            version: 9,
            fields: None,
            visible: Some(false),
        };
        assert_eq!(
            serde_json::to_value(&gone).unwrap(),
            json!({"entity": "contact", "id": "x", "version": 9, "visible": false})
        );
        let row = PulledRow {
            entity: "contact".into(),
            id: "x".into(),
            version: 10,
            fields: Some(
                [(
                    "city".to_owned(),
                    FieldState {
                        value: json!("Kraków"),
                        hlc: "h".into(),
                    },
                )]
                .into(),
            ),
            visible: None,
        };
        assert_eq!(
            serde_json::to_value(&row).unwrap(),
            json!({"entity": "contact", "id": "x", "version": 10, "fields": {"city": {"value": "Kraków", "hlc": "h"}}})
        );
    }
}
