//! Entities, their fields and value types (PROTOCOL.md, "Data model on the wire"), and the
//! validation of one change against them.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::hlc::Hlc;
use crate::sync::RejectCode;

/// Every kind of row that syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    Contact,
    Task,
    Activity,
    Segment,
    Campaign,
    Stage,
    Outcome,
    FieldDef,
    View,
    User,
    Category,
    Source,
    Module,
    Config,
    /// An import's entry in the import history (who, when, which file, the counts).
    Import,
    /// A merge of records into one (combine.rs): in its staying record's timeline, and
    /// what its undo needs.
    Merge,
}

impl Entity {
    pub const ALL: [Entity; 16] = [
        Entity::Contact,
        Entity::Task,
        Entity::Activity,
        Entity::Segment,
        Entity::Campaign,
        Entity::Stage,
        Entity::Outcome,
        Entity::FieldDef,
        Entity::View,
        Entity::User,
        Entity::Category,
        Entity::Source,
        Entity::Module,
        Entity::Config,
        Entity::Import,
        Entity::Merge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Contact => "contact",
            Entity::Task => "task",
            Entity::Activity => "activity",
            Entity::Segment => "segment",
            Entity::Campaign => "campaign",
            Entity::Stage => "stage",
            Entity::Outcome => "outcome",
            Entity::FieldDef => "field_def",
            Entity::View => "view",
            Entity::User => "user",
            Entity::Category => "category",
            Entity::Source => "source",
            Entity::Module => "module",
            Entity::Config => "config",
            Entity::Import => "import",
            Entity::Merge => "merge",
        }
    }

    /// Settings rows: everyone sees them, administrators change them.
    pub fn is_setting(self) -> bool {
        matches!(
            self,
            Entity::Segment
                | Entity::Campaign
                | Entity::Stage
                | Entity::Outcome
                | Entity::FieldDef
                | Entity::Category
                | Entity::Source
                | Entity::Module
                | Entity::Config
        )
    }

    /// Rows that hang off a contact (`record_id`) and share its visibility.
    pub fn belongs_to_record(self) -> bool {
        matches!(self, Entity::Task | Entity::Activity | Entity::Merge)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Entity {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Entity::ALL.into_iter().find(|e| e.as_str() == s).ok_or(())
    }
}

/// The JSON a field takes. Every field but `kind` also takes `null` (cleared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string of at most this many characters.
    Text(usize),
    /// One of these strings.
    OneOf(&'static [&'static str]),
    Bool,
    Number,
    /// A row id: a lowercase UUID string.
    Id,
    /// An RFC 3339 timestamp with offset.
    Timestamp,
    /// An array of e-mail strings.
    Emails,
    /// An array of `{"type", "number"}`.
    Phones,
    /// Any JSON (settings' own structures: filters, columns, options).
    Json,
}

/// The id of the one `config` row (team-wide settings such as the default phone country).
pub const CONFIG_ID: &str = "00000000-0000-0000-0000-000000000000";

pub const PHONE_TYPES: &[&str] = &[
    "mobile",
    "landline",
    "work",
    "main",
    "home_fax",
    "office_fax",
    "other",
];
/// A contact's `import:<import id>` field: that import's mark on a record it created or
/// updated (what reverting it needs).
pub const IMPORT_MARK_PREFIX: &str = "import:";
/// A contact's field `distinct:<id>` = true: not a duplicate of that record (duplicates.rs).
pub const DISTINCT_PREFIX: &str = "distinct:";
/// A contact's field: the record it was merged into (combine.rs).
pub const MERGED_INTO: &str = "merged_into";
/// A contact's, task's or activity's field `merge:<merge id>`: what it pointed to before
/// that merge moved it.
pub const MERGE_MARK_PREFIX: &str = "merge:";
/// A merge row's fields: a staying record's field before and after the merge.
pub const BEFORE_PREFIX: &str = "before.";
pub const AFTER_PREFIX: &str = "after.";
/// A merge row's field `seen:<merged record id>`: the HLC of every field of that record
/// the merge read (see `combine::carry_over`).
pub const SEEN_PREFIX: &str = "seen:";
/// A merge row's field `united:<other merge id>` = true: the lists that other merge into
/// the same record wrote over were united again (see `combine::lost_to_merges`), once.
pub const UNITED_PREFIX: &str = "united:";
const IMPORT_STATUSES: &[&str] = &["running", "done", "cancelled", "reverted"];
const CONTACT_KINDS: &[&str] = &["person", "company"];
const ACTIVITY_KINDS: &[&str] = &["call", "email", "sms", "meeting", "note"];
const DIRECTIONS: &[&str] = &["incoming", "outgoing"];
const FIELD_TYPES: &[&str] = &["text", "number", "date", "choice", "multi_choice", "yes_no"];
/// The most a JSON field's value may take, as JSON text.
pub const JSON_MAX_BYTES: usize = 64 * 1024;
const SHORT: usize = 200;
const LONG: usize = 20_000;

fn contact_field(field: &str) -> Option<FieldKind> {
    use FieldKind::*;
    Some(match field {
        "kind" => OneOf(CONTACT_KINDS),
        "first_name" | "last_name" | "company" | "position" | "address_line1" | "address_line2"
        | "city" | "region" | "country" | "source" => Text(SHORT),
        "postal_code" | "nip" | "pesel" | "regon" => Text(32),
        "note" => Text(LONG),
        "avatar" => Text(LONG),
        "emails" => Emails,
        "phones" => Phones,
        "organization_id" | "stage_id" | "category_id" | "owner_id" => Id,
        "managers" | "tags" => Json,
        "deleted" => Bool,
        _ => return None,
    })
}

fn is_custom_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && uuid::Uuid::parse_str(text).is_ok()
        && !text.bytes().any(|b| b.is_ascii_uppercase())
}

/// The kind of `field` on `entity`, or `None` for an unknown field.
pub fn field_kind(entity: Entity, field: &str) -> Option<FieldKind> {
    use FieldKind::*;
    match entity {
        Entity::Contact => {
            if let Some(id) = field
                .strip_prefix("segment:")
                .or_else(|| field.strip_prefix("campaign:"))
            {
                return is_uuid(id).then_some(Bool);
            }
            if let Some(id) = field.strip_prefix(IMPORT_MARK_PREFIX) {
                return is_uuid(id).then_some(Json);
            }
            if let Some(key) = field.strip_prefix("custom.") {
                return is_custom_key(key).then_some(Json);
            }
            if let Some(id) = field.strip_prefix(DISTINCT_PREFIX) {
                return is_uuid(id).then_some(Bool);
            }
            if let Some(id) = field.strip_prefix(MERGE_MARK_PREFIX) {
                return is_uuid(id).then_some(Id);
            }
            if field == MERGED_INTO {
                return Some(Id);
            }
            contact_field(field)
        }
        Entity::Task | Entity::Activity if field.starts_with(MERGE_MARK_PREFIX) => {
            is_uuid(&field[MERGE_MARK_PREFIX.len()..]).then_some(Id)
        }
        Entity::Merge => {
            if let Some(of) = field
                .strip_prefix(BEFORE_PREFIX)
                .or_else(|| field.strip_prefix(AFTER_PREFIX))
            {
                return field_kind(Entity::Contact, of).map(|_| Json);
            }
            if let Some(id) = field.strip_prefix(SEEN_PREFIX) {
                return is_uuid(id).then_some(Json);
            }
            if let Some(id) = field.strip_prefix(UNITED_PREFIX) {
                return is_uuid(id).then_some(Bool);
            }
            Some(match field {
                "record_id" | "user_id" => Id,
                "merged_ids" | "names" => Json,
                "at" => Timestamp,
                "undone" | "deleted" => Bool,
                _ => return None,
            })
        }
        Entity::Task => Some(match field {
            // done_by: an extension (who ticked it off), shown in the record's history.
            "record_id" | "assignee_id" | "done_by" => Id,
            "title" => Text(SHORT * 5),
            "due" | "done_at" => Timestamp,
            "done" | "deleted" => Bool,
            "note" => Text(LONG),
            _ => return None,
        }),
        Entity::Activity => Some(match field {
            "record_id" | "user_id" | "outcome_id" | "task_id" => Id,
            "kind" => OneOf(ACTIVITY_KINDS),
            "direction" => OneOf(DIRECTIONS),
            "at" | "ends_at" => Timestamp,
            "text" => Text(LONG),
            "name" | "phone" | "subject" | "ticket" => Text(SHORT),
            "duration_s" => Number,
            "deleted" => Bool,
            _ => return None,
        }),
        Entity::Segment | Entity::Campaign | Entity::Category | Entity::Source | Entity::Module => {
            Some(match field {
                "name" => Text(SHORT),
                "color" => Text(32),
                "position" => Number,
                "deleted" => Bool,
                _ => return None,
            })
        }
        Entity::Config => Some(match field {
            "default_country" => Text(2),
            "company_name" => Text(SHORT),
            // The team's IANA time zone (e.g. "Europe/Warsaw"): the reports' days.
            "time_zone" => Text(64),
            _ => return None,
        }),
        Entity::Stage => Some(match field {
            "name" | "module" => Text(SHORT),
            "module_id" => Id,
            "color" => Text(32),
            "position" => Number,
            "deleted" => Bool,
            _ => return None,
        }),
        Entity::Outcome => Some(match field {
            "name" => Text(SHORT),
            "position" => Number,
            // connected: the other side was reached (the reports' connected share).
            "callback" | "connected" | "deleted" => Bool,
            _ => return None,
        }),
        Entity::FieldDef => Some(match field {
            "name" => Text(SHORT),
            "key" => Text(64),
            "type" => OneOf(FIELD_TYPES),
            "options" => Json,
            "position" => Number,
            "deleted" => Bool,
            _ => return None,
        }),
        Entity::View => Some(match field {
            "name" => Text(SHORT),
            "owner_id" => Id,
            "shared" | "deleted" => Bool,
            "filter" | "columns" | "sort" => Json,
            _ => return None,
        }),
        Entity::Import => Some(match field {
            "file_name" => Text(SHORT),
            "format" | "layout" => Text(64),
            "user_id" | "reverted_by" => Id,
            "started_at" | "finished_at" | "reverted_at" => Timestamp,
            "status" => OneOf(IMPORT_STATUSES),
            "rows" | "created" | "updated" | "unchanged" | "skipped" | "failed" => Number,
            "headers" | "mapping" | "defaults" | "settings" => Json,
            "deleted" => Bool,
            _ => return None,
        }),
        Entity::User => Some(match field {
            "name" | "email" => Text(SHORT),
            "role" => OneOf(&["admin", "manager", "agent", "restricted"]),
            "active" => Bool,
            _ => return None,
        }),
    }
}

fn is_rfc3339(text: &str) -> bool {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok()
}

fn check_value(kind: FieldKind, value: &Value) -> Result<(), String> {
    if value.is_null() {
        return match kind {
            FieldKind::OneOf(options) if options == CONTACT_KINDS => {
                Err("`kind` cannot be cleared".into())
            }
            _ => Ok(()),
        };
    }
    let ok = match kind {
        FieldKind::Text(max) => value.as_str().map(|s| s.chars().count() <= max),
        FieldKind::OneOf(options) => value.as_str().map(|s| options.contains(&s)),
        FieldKind::Bool => value.is_boolean().then_some(true),
        FieldKind::Number => value.as_f64().map(f64::is_finite),
        FieldKind::Id => value.as_str().map(is_uuid),
        FieldKind::Timestamp => value.as_str().map(is_rfc3339),
        FieldKind::Emails => value.as_array().map(|items| {
            items.len() <= 50
                && items.iter().all(|item| {
                    item.as_str()
                        .is_some_and(|s| crate::validate::normalize_email(s).is_ok())
                })
        }),
        FieldKind::Phones => value.as_array().map(|items| {
            items.len() <= 50
                && items.iter().all(|item| {
                    let kind = item.get("type").and_then(Value::as_str);
                    let number = item.get("number").and_then(Value::as_str);
                    item.as_object().is_some_and(|o| o.len() == 2)
                        && kind.is_some_and(|k| PHONE_TYPES.contains(&k))
                        && number.is_some_and(|n| !n.trim().is_empty() && n.chars().count() <= 40)
                })
        }),
        FieldKind::Json => Some(value.to_string().len() <= JSON_MAX_BYTES),
    };
    match ok {
        Some(true) => Ok(()),
        _ => Err(format!(
            "the value does not fit this field ({})",
            describe(kind)
        )),
    }
}

fn describe(kind: FieldKind) -> String {
    match kind {
        FieldKind::Text(max) => format!("text of at most {max} characters"),
        FieldKind::OneOf(options) => format!("one of {}", options.join(", ")),
        FieldKind::Bool => "true or false".into(),
        FieldKind::Number => "a number".into(),
        FieldKind::Id => "a lowercase UUID".into(),
        FieldKind::Timestamp => "an RFC 3339 timestamp with offset".into(),
        FieldKind::Emails => "a list of e-mail addresses".into(),
        FieldKind::Phones => "a list of {type, number}".into(),
        FieldKind::Json => "JSON under 64 KiB".into(),
    }
}

/// A change that passed validation, with its parts parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidChange {
    pub entity: Entity,
    pub hlc: Hlc,
}

/// Why a change is refused, before any question of who may make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeProblem {
    pub code: RejectCode,
    pub message: String,
}

fn problem(code: RejectCode, message: impl Into<String>) -> ChangeProblem {
    ChangeProblem {
        code,
        message: message.into(),
    }
}

/// Checks entity, field, id, value and HLC of one change.
pub fn validate_change(
    entity: &str,
    id: &str,
    field: &str,
    value: &Value,
    hlc: &str,
) -> Result<ValidChange, ChangeProblem> {
    let entity: Entity = entity.parse().map_err(|()| {
        problem(
            RejectCode::UnknownField,
            format!("unknown entity {entity:?}"),
        )
    })?;
    let kind = field_kind(entity, field).ok_or_else(|| {
        problem(
            RejectCode::UnknownField,
            format!("{entity} has no field {field:?}"),
        )
    })?;
    if !is_uuid(id) {
        return Err(problem(
            RejectCode::Invalid,
            format!("{id:?} is not a lowercase UUID"),
        ));
    }
    let hlc: Hlc = hlc
        .parse()
        .map_err(|err: crate::hlc::HlcParseError| problem(RejectCode::Invalid, err.to_string()))?;
    check_value(kind, value)
        .map_err(|message| problem(RejectCode::Invalid, format!("{entity}.{field}: {message}")))?;
    Ok(ValidChange { entity, hlc })
}

/// Most fields one row may have (a contact has about 40 standard ones; memberships and
/// custom fields add one each).
pub const MAX_FIELDS_PER_ROW: usize = 1000;
/// Most bytes one row's stored fields may take: each field's name plus its value as JSON.
pub const MAX_ROW_BYTES: usize = 1024 * 1024;

/// A row's stored size: how many fields, and the bytes of their names and JSON values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowSize {
    pub fields: usize,
    pub bytes: usize,
}

impl RowSize {
    /// The bytes one field takes in a row.
    pub fn field_bytes(field: &str, value_json: &str) -> usize {
        field.len() + value_json.len()
    }

    /// The size after a field of `old_bytes` (`None`: a new field) takes `new_bytes`.
    pub fn after(self, old_bytes: Option<usize>, new_bytes: usize) -> RowSize {
        RowSize {
            fields: self.fields + usize::from(old_bytes.is_none()),
            bytes: self.bytes - old_bytes.unwrap_or(0).min(self.bytes) + new_bytes,
        }
    }
}

/// The row's size after `field` takes a value of `new_bytes` ([`RowSize::field_bytes`]),
/// replacing one of `old_bytes` (`None`: the field is new), or why the row may not grow so
/// far. A write that does not grow a row past a bound is always allowed, so a row stored
/// before the bounds can still shrink.
pub fn resize_row(
    size: RowSize,
    old_bytes: Option<usize>,
    new_bytes: usize,
) -> Result<RowSize, ChangeProblem> {
    let RowSize { fields, bytes } = size.after(old_bytes, new_bytes);
    if fields > MAX_FIELDS_PER_ROW && fields > size.fields {
        return Err(problem(
            RejectCode::Invalid,
            format!("a row may have at most {MAX_FIELDS_PER_ROW} fields"),
        ));
    }
    if bytes > MAX_ROW_BYTES && bytes > size.bytes {
        return Err(problem(
            RejectCode::Invalid,
            format!(
                "a row may hold at most {} KiB; this value would make it {} KiB",
                MAX_ROW_BYTES / 1024,
                bytes.div_ceil(1024)
            ),
        ));
    }
    Ok(RowSize { fields, bytes })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_are_bounded_in_fields_and_bytes_but_may_always_shrink() {
        let size = RowSize {
            fields: MAX_FIELDS_PER_ROW,
            bytes: 1000,
        };
        assert_eq!(
            resize_row(size, None, 10).map_err(|p| p.code),
            Err(RejectCode::Invalid)
        );
        assert_eq!(
            resize_row(size, Some(10), 20),
            Ok(RowSize {
                fields: MAX_FIELDS_PER_ROW,
                bytes: 1010
            }),
            "replacing a field adds none"
        );
        let full = RowSize {
            fields: 10,
            bytes: MAX_ROW_BYTES - 5,
        };
        assert!(resize_row(full, None, 5).is_ok(), "up to the bound");
        let message = resize_row(full, None, 6).unwrap_err().message;
        assert!(message.contains("1024 KiB"), "{message}");
        let over = RowSize {
            fields: 10,
            bytes: MAX_ROW_BYTES + 100,
        };
        assert!(
            resize_row(over, Some(50), 10).is_ok(),
            "a row over the bound may shrink"
        );
        assert!(resize_row(over, Some(50), 60).is_err(), "but not grow");
    }

    const ID: &str = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    const HLC: &str = "1763800000000-0000-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    fn check(entity: &str, field: &str, value: Value) -> Result<(), RejectCode> {
        validate_change(entity, ID, field, &value, HLC)
            .map(|_| ())
            .map_err(|p| p.code)
    }

    #[test]
    fn accepts_values_of_the_right_type() {
        let cases = [
            ("contact", "city", json!("Kraków")),
            ("contact", "city", json!(null)),
            ("contact", "kind", json!("company")),
            ("contact", "emails", json!(["ada@example.com"])),
            (
                "contact",
                "phones",
                json!([{"type": "mobile", "number": "+48600100200"}]),
            ),
            ("contact", "owner_id", json!(ID)),
            ("contact", "deleted", json!(true)),
            ("contact", &format!("segment:{ID}"), json!(true)),
            ("contact", &format!("campaign:{ID}"), json!(false)),
            ("contact", "custom.shoe_size", json!(44)),
            ("task", "due", json!("2026-11-22T09:30:00+01:00")),
            ("task", "done", json!(false)),
            ("activity", "kind", json!("call")),
            ("activity", "duration_s", json!(95)),
            ("view", "filter", json!({"city": "Brno"})),
            ("stage", "name", json!("Lead")),
            ("contact", &format!("import:{ID}"), json!({"created": true})),
            ("import", "file_name", json!("klienci.csv")),
            ("import", "status", json!("done")),
            ("import", "created", json!(99_998)),
            ("import", "started_at", json!("2026-12-01T18:00:00Z")),
            ("import", "mapping", json!([{"to": "email"}])),
        ];
        for (entity, field, value) in cases {
            assert_eq!(
                check(entity, field, value.clone()),
                Ok(()),
                "{entity}.{field} = {value}"
            );
        }
    }

    #[test]
    fn refuses_unknown_entities_and_fields() {
        let cases = [
            ("invoice", "city"),
            ("contact", "colour"),
            ("contact", "segment:not-a-uuid"),
            ("contact", "custom.Bad Key"),
            ("contact", "import:not-a-uuid"),
            ("import", "city"),
            ("task", "city"),
        ];
        for (entity, field) in cases {
            assert_eq!(
                check(entity, field, json!("x")),
                Err(RejectCode::UnknownField),
                "{entity}.{field}"
            );
        }
    }

    #[test]
    fn refuses_values_of_the_wrong_type() {
        let cases = [
            ("contact", "city", json!(5)),
            ("contact", "city", json!("x".repeat(201))),
            ("contact", "kind", json!("robot")),
            ("contact", "kind", json!(null)),
            ("contact", "deleted", json!("yes")),
            (
                "contact",
                "owner_id",
                json!("0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B"),
            ),
            ("contact", "emails", json!("ada@example.com")),
            ("contact", "emails", json!(["not an e-mail"])),
            (
                "contact",
                "phones",
                json!([{"type": "pager", "number": "1"}]),
            ),
            ("contact", "phones", json!([{"number": "1"}])),
            ("task", "due", json!("tomorrow")),
            ("task", "due", json!("2026-11-22T09:30:00")),
            ("activity", "duration_s", json!("95")),
        ];
        for (entity, field, value) in cases {
            assert_eq!(
                check(entity, field, value.clone()),
                Err(RejectCode::Invalid),
                "{entity}.{field} = {value}"
            );
        }
    }

    #[test]
    fn refuses_malformed_ids_and_hlcs() {
        let bad_id = validate_change("contact", "42", "city", &json!("x"), HLC);
        assert_eq!(bad_id.map_err(|p| p.code), Err(RejectCode::Invalid));
        let bad_hlc = validate_change("contact", ID, "city", &json!("x"), "yesterday");
        assert_eq!(bad_hlc.map_err(|p| p.code), Err(RejectCode::Invalid));
    }
}
