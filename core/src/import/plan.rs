//! What an import writes: for each row, whether it creates a record, updates the one it
//! repeats, is skipped or fails; the field writes of a create or an update, each ending in
//! the import's mark on the record (`import:<import id>`); and the writes that revert them.
//!
//! The mark is written last in the same edit, so its HLC is the newest of the import's
//! writes to that record: a field whose HLC is newer than the mark's was changed after the
//! import (or beat it), and a revert leaves it as it is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::import::matching::Duplicate;
use crate::import::rows::Prepared;
use crate::merge::Fields;
use crate::record::is_blank;

/// What to do with a row that repeats a record (or an earlier row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateMode {
    /// Create a record anyway.
    Create,
    /// Leave the row out.
    Skip,
    /// Fill in only what the record has no value for.
    FillEmpty,
    /// Write every value that differs.
    Overwrite,
}

/// The splitmix64 finalizer: a bijection of `u64` that spreads every input bit.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a over `bytes`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The id of the record the row at `line` creates: the same for the same import and line
/// (a resumed import makes the same records again, not new ones), different for every
/// line, and a UUIDv7 keeping the import id's time prefix (the first 48 bits), so the
/// import's records sort together.
///
/// The other bits come from a 64-bit mix of the import id and the line that is one-to-one
/// in the line, kept whole around the version and variant bits: two lines of one import
/// never share an id.
pub fn row_id(import_id: Uuid, line: u32) -> Uuid {
    let source = import_id.as_bytes();
    let seed = fnv1a(source);
    let unique = mix(seed ^ u64::from(line)).to_be_bytes();
    let filler = mix(seed.rotate_left(32) ^ u64::from(line) ^ 0x5bd1_e995).to_be_bytes();
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&source[..6]);
    bytes[6] = 0x70 | (filler[0] & 0x0f);
    bytes[7] = unique[0];
    bytes[8] = 0x80 | (filler[1] & 0x3f);
    bytes[9..].copy_from_slice(&unique[1..]);
    Uuid::from_bytes(bytes)
}

/// The start of the contact field an import marks its records with (the schema's
/// field family).
pub const IMPORT_PREFIX: &str = crate::schema::IMPORT_MARK_PREFIX;

/// The field holding import `import_id`'s mark: `import:<id>`.
pub fn import_field(import_id: Uuid) -> String {
    format!("{IMPORT_PREFIX}{import_id}")
}

/// What happens to one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// A new record with this id.
    Create { id: Uuid },
    /// Values written into this record.
    Update { id: Uuid },
    /// Not written, as asked.
    Skip,
    /// Not written: the row has problems.
    Fail,
}

/// What to do with `row`, which repeats `duplicate` (if any), in `mode`. A row the user
/// left out is skipped; a row with problems fails. An `InFile` duplicate that fills in or
/// overwrites goes into the record the earlier row creates (its [`row_id`]).
///
/// The caller passes `None` for a duplicate whose earlier row is not written (it failed or
/// was left out), so the row makes its own record.
pub fn decide(
    row: &Prepared,
    duplicate: Option<&Duplicate>,
    mode: DuplicateMode,
    import_id: Uuid,
    left_out: bool,
) -> Action {
    if left_out {
        return Action::Skip;
    }
    if !row.problems.is_empty() {
        return Action::Fail;
    }
    let target = match duplicate {
        None => {
            return Action::Create {
                id: row_id(import_id, row.line),
            };
        }
        Some(Duplicate::Existing { id, .. }) => *id,
        Some(Duplicate::InFile { line, .. }) => row_id(import_id, *line),
    };
    match mode {
        DuplicateMode::Create => Action::Create {
            id: row_id(import_id, row.line),
        },
        DuplicateMode::Skip => Action::Skip,
        DuplicateMode::FillEmpty | DuplicateMode::Overwrite => Action::Update { id: target },
    }
}

/// What every row does, in file order: [`decide`] for each, a repeat of an earlier row
/// going into the record its group got first. A group is the rows repeating one first row
/// (`Duplicate::InFile` names it); when that row is not written (it failed or was left
/// out), the group's first row that is written makes the record the later ones go into,
/// so one customer never becomes several records.
pub fn plan_all(
    rows: &[Prepared],
    duplicates: &[Option<Duplicate>],
    mode: DuplicateMode,
    import_id: Uuid,
    left_out: &std::collections::BTreeSet<u32>,
) -> Vec<Action> {
    // The group's first line -> the record its group's rows go into.
    let mut group: std::collections::HashMap<u32, Uuid> = std::collections::HashMap::new();
    let mut actions = Vec::with_capacity(rows.len());
    for (row, duplicate) in rows.iter().zip(duplicates) {
        let (first, duplicate) = match duplicate {
            Some(Duplicate::InFile { line, key }) => (
                *line,
                group.get(line).map(|id| Duplicate::Existing {
                    id: *id,
                    key: key.clone(),
                }),
            ),
            other => (row.line, other.clone()),
        };
        let action = decide(
            row,
            duplicate.as_ref(),
            mode,
            import_id,
            left_out.contains(&row.line),
        );
        if let Action::Create { id } | Action::Update { id } = action {
            group.entry(first).or_insert(id);
        }
        actions.push(action);
    }
    actions
}

/// An import's mark on a record: what it did there, and what revert needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mark {
    /// The import created the record.
    pub created: bool,
    /// The import updated the record: each field it wrote, with the value before (`null`:
    /// none).
    pub previous: BTreeMap<String, Value>,
    /// The import was undone on this record.
    pub reverted: bool,
}

impl Mark {
    /// The mark as stored: `{"created": true}` or `{"previous": {…}}`, with
    /// `"reverted": true` once undone.
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        if self.created {
            map.insert("created".into(), Value::Bool(true));
        }
        if !self.created || !self.previous.is_empty() {
            let previous = self
                .previous
                .iter()
                .map(|(field, value)| (field.clone(), value.clone()))
                .collect();
            map.insert("previous".into(), Value::Object(previous));
        }
        if self.reverted {
            map.insert("reverted".into(), Value::Bool(true));
        }
        Value::Object(map)
    }

    /// The mark a stored value holds; `None` for anything but an object.
    pub fn from_value(value: &Value) -> Option<Mark> {
        let object = value.as_object()?;
        let flag = |name: &str| object.get(name).and_then(Value::as_bool) == Some(true);
        Some(Mark {
            created: flag("created"),
            previous: object
                .get("previous")
                .and_then(Value::as_object)
                .map(|previous| {
                    previous
                        .iter()
                        .map(|(field, value)| (field.clone(), value.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            reverted: flag("reverted"),
        })
    }
}

/// Import `import_id`'s mark on a record with these shown fields, if it has one (for
/// revert, and for "the records this import created or updated").
pub fn mark_of(fields: &Fields, import_id: Uuid) -> Option<Mark> {
    Mark::from_value(&fields.get(&import_field(import_id))?.value)
}

/// The writes creating a record from a row's values: the values, then the mark
/// `{"created": true}` last.
pub fn create_writes(values: &[(String, Value)], import_id: Uuid) -> Vec<(String, Value)> {
    let mark = Mark {
        created: true,
        ..Mark::default()
    };
    values
        .iter()
        .filter(|(field, _)| !field.starts_with(IMPORT_PREFIX))
        .cloned()
        .chain([(import_field(import_id), mark.to_value())])
        .collect()
}

/// Whether `field` is a membership in a segment or campaign.
fn is_membership(field: &str) -> bool {
    field.starts_with("segment:") || field.starts_with("campaign:")
}

/// The writes updating a record whose shown fields are `existing` with a row's values:
/// only the fields that change, then the mark last. Empty when nothing would change (the
/// row counts as unchanged).
///
/// `FillEmpty` writes a field only where the record has no value (missing, `null`, blank
/// text, an empty list — so phones and e-mails only when the record has none);
/// `Overwrite` wherever the value differs. Both add memberships. An empty imported value
/// never clears a field. `Create` and `Skip` update nothing.
///
/// The mark lists each written field's value before (`{"previous": {field: old or
/// null}}`). A record this same import touched before (a row repeating an earlier row)
/// keeps its mark's story: one it created stays created; one it updated keeps the values
/// from before the import's first write.
pub fn update_writes(
    existing: &Fields,
    values: &[(String, Value)],
    mode: DuplicateMode,
    import_id: Uuid,
) -> Vec<(String, Value)> {
    if !matches!(mode, DuplicateMode::FillEmpty | DuplicateMode::Overwrite) {
        return Vec::new();
    }
    let mut mark = mark_of(existing, import_id)
        .filter(|mark| !mark.reverted)
        .unwrap_or_default();
    let mut writes = Vec::new();
    for (field, value) in values {
        if field.starts_with(IMPORT_PREFIX) || is_blank(value) {
            continue;
        }
        // A row always says person or company (guessed when the file has no such column):
        // an update never turns an existing record into the other kind.
        if field == "kind" && existing.contains_key("kind") {
            continue;
        }
        let shown = existing.get(field).map(|state| &state.value);
        if shown == Some(value) {
            continue;
        }
        let write = mode == DuplicateMode::Overwrite
            || shown.is_none_or(is_blank)
            || (is_membership(field) && *value == Value::Bool(true));
        if !write {
            continue;
        }
        if !mark.created && !mark.previous.contains_key(field) {
            mark.previous
                .insert(field.clone(), shown.cloned().unwrap_or(Value::Null));
            // A value the mark cannot hold could not be put back by a revert: such a
            // field is left as it is rather than overwritten for good.
            if mark.to_value().to_string().len() > crate::schema::JSON_MAX_BYTES {
                mark.previous.remove(field);
                continue;
            }
        }
        writes.push((field.clone(), value.clone()));
    }
    if !writes.is_empty() {
        writes.push((import_field(import_id), mark.to_value()));
    }
    writes
}

/// The writes undoing an import on one record, and the fields it leaves as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct RevertPlan {
    pub writes: Vec<(String, Value)>,
    /// Fields changed since the import (their HLC is newer than the mark's): kept.
    pub kept: Vec<String>,
}

/// Whether HLC `a` is later than `b` (by [`Hlc`]'s order; text that is not an HLC by plain
/// string order, which is the same order for HLCs).
fn is_later(a: &str, b: &str) -> bool {
    match (a.parse::<Hlc>(), b.parse::<Hlc>()) {
        (Ok(a), Ok(b)) => a > b,
        _ => a > b,
    }
}

/// How to undo import `import_id` on a record with these shown fields; `None` when the
/// import did not touch it or it is undone already.
///
/// A record the import created goes to the trash (`deleted: true`). On a record it
/// updated, each field in the mark's `previous` gets its old value back, unless it changed
/// since the import (listed in `kept`). Either way the mark, written last, gets
/// `"reverted": true`.
pub fn revert(fields: &Fields, import_id: Uuid) -> Option<RevertPlan> {
    let field = import_field(import_id);
    let state = fields.get(&field)?;
    let mark = Mark::from_value(&state.value)?;
    if mark.reverted || (!mark.created && mark.previous.is_empty()) {
        return None;
    }
    let mut writes = Vec::new();
    let mut kept = Vec::new();
    if mark.created {
        if fields.get("deleted").map(|s| &s.value) != Some(&Value::Bool(true)) {
            writes.push(("deleted".to_owned(), Value::Bool(true)));
        }
    } else {
        for (name, old) in &mark.previous {
            let current = fields.get(name);
            if current.is_some_and(|current| is_later(&current.hlc, &state.hlc)) {
                kept.push(name.clone());
                continue;
            }
            // `kind` cannot be cleared: a record without one before keeps the import's.
            let shown = current.map_or(&Value::Null, |current| &current.value);
            if shown != old && !(name == "kind" && old.is_null()) {
                writes.push((name.clone(), old.clone()));
            }
        }
    }
    let reverted = Mark {
        reverted: true,
        ..mark
    };
    writes.push((field, reverted.to_value()));
    Some(RevertPlan { writes, kept })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::hlc::Clock;
    use crate::import::rows::{Problem, RowError};
    use crate::keys::MatchKey;
    use crate::merge::apply_write;
    use crate::sync::FieldState;

    const IMPORT: Uuid = Uuid::from_u128(0x019a_f3c2_7d10_7abc_9def_0123_4567_89ab);
    const SEG: &str = "segment:0193a1b2-c3d4-7e5f-8a9b-000000000001";
    const HLC: &str = "1763800000000-0000-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    fn values(values: &[(&str, Value)]) -> Vec<(String, Value)> {
        values
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect()
    }

    /// A stored record with these values, written long before the import.
    fn stored(of: &[(&str, Value)]) -> Fields {
        crate::merge::fields_at("1700000000000-0000-old", of)
    }

    /// Applies `writes` as one device edit after another: each with the device's next HLC.
    fn apply(fields: &mut Fields, writes: &[(String, Value)], clock: &mut Clock, now: u64) {
        for (field, value) in writes {
            let hlc = clock.tick(now).to_string();
            apply_write(
                fields,
                field,
                FieldState {
                    value: value.clone(),
                    hlc,
                },
            );
        }
    }

    /// The values a person sees: `null` and a missing field alike; marks left out.
    fn shown(fields: &Fields) -> BTreeMap<String, Value> {
        fields
            .iter()
            .filter(|(name, state)| !name.starts_with(IMPORT_PREFIX) && !state.value.is_null())
            .map(|(name, state)| (name.clone(), state.value.clone()))
            .collect()
    }

    #[test]
    fn row_ids_are_stable_distinct_uuid_v7_with_the_imports_time() {
        assert_eq!(row_id(IMPORT, 2), row_id(IMPORT, 2));
        let other = Uuid::from_u128(0x019a_f3c2_7d10_7abc_9def_0123_4567_89ac);
        assert_ne!(row_id(IMPORT, 2), row_id(other, 2));
        let ids: HashSet<Uuid> = (0..100_000).map(|line| row_id(IMPORT, line)).collect();
        assert_eq!(ids.len(), 100_000);
        for line in [0, 1, 2, 65_535, 99_999, u32::MAX] {
            let id = row_id(IMPORT, line);
            let text = id.to_string();
            assert_eq!(text, text.to_lowercase());
            assert_eq!(Uuid::parse_str(&text), Ok(id));
            assert_eq!(id.get_version_num(), 7, "{text}");
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122, "{text}");
            assert_eq!(id.as_bytes()[..6], IMPORT.as_bytes()[..6], "{text}");
            assert_eq!(
                crate::schema::validate_change("contact", &text, "first_name", &json!("Jan"), HLC)
                    .map(|_| ()),
                Ok(()),
                "{text}"
            );
        }
    }

    #[test]
    fn the_import_field() {
        assert_eq!(
            import_field(IMPORT),
            "import:019af3c2-7d10-7abc-9def-0123456789ab"
        );
    }

    #[test]
    fn decide_table() {
        let clean = Prepared {
            line: 7,
            values: values(&[("first_name", json!("Jan"))]),
            problems: Vec::new(),
        };
        let failing = Prepared {
            problems: vec![Problem {
                column: None,
                value: String::new(),
                error: RowError::NameRequired,
            }],
            ..clean.clone()
        };
        let stored = Uuid::from_u128(42);
        let key = MatchKey::Email("jan@example.com".into());
        let existing = Duplicate::Existing {
            id: stored,
            key: key.clone(),
        };
        let in_file = Duplicate::InFile { line: 3, key };
        let own = row_id(IMPORT, 7);
        let earlier = row_id(IMPORT, 3);
        let (create, skip, fill, overwrite) = (
            DuplicateMode::Create,
            DuplicateMode::Skip,
            DuplicateMode::FillEmpty,
            DuplicateMode::Overwrite,
        );
        let new = Action::Create { id: own };
        let table: [(Option<&Duplicate>, DuplicateMode, Action); 12] = [
            (None, create, new.clone()),
            (None, skip, new.clone()),
            (None, fill, new.clone()),
            (None, overwrite, new.clone()),
            (Some(&existing), create, new.clone()),
            (Some(&existing), skip, Action::Skip),
            (Some(&existing), fill, Action::Update { id: stored }),
            (Some(&existing), overwrite, Action::Update { id: stored }),
            (Some(&in_file), create, new.clone()),
            (Some(&in_file), skip, Action::Skip),
            (Some(&in_file), fill, Action::Update { id: earlier }),
            (Some(&in_file), overwrite, Action::Update { id: earlier }),
        ];
        for (duplicate, mode, expected) in table {
            let case = format!("{duplicate:?} {mode:?}");
            assert_eq!(
                decide(&clean, duplicate, mode, IMPORT, false),
                expected,
                "{case}"
            );
            assert_eq!(
                decide(&clean, duplicate, mode, IMPORT, true),
                Action::Skip,
                "{case}"
            );
            assert_eq!(
                decide(&failing, duplicate, mode, IMPORT, false),
                Action::Fail,
                "{case}"
            );
            assert_eq!(
                decide(&failing, duplicate, mode, IMPORT, true),
                Action::Skip,
                "{case}"
            );
        }
    }

    #[test]
    fn create_writes_end_with_the_mark() {
        let row = values(&[("kind", json!("person")), ("first_name", json!("Jan"))]);
        let mut expected = row.clone();
        expected.push((import_field(IMPORT), json!({"created": true})));
        assert_eq!(create_writes(&row, IMPORT), expected);
    }

    #[test]
    fn marks_pass_the_schema() {
        let field = import_field(IMPORT);
        for mark in [
            json!({"created": true}),
            json!({"created": true, "reverted": true}),
            json!({"previous": {"city": "Łódź", "note": null, "emails": ["a@b.pl"]}}),
            json!({"previous": {"city": null}, "reverted": true}),
        ] {
            let id = row_id(IMPORT, 2).to_string();
            assert_eq!(
                crate::schema::validate_change("contact", &id, &field, &mark, HLC).map(|_| ()),
                Ok(()),
                "{mark}"
            );
            assert_eq!(Mark::from_value(&mark).map(|m| m.to_value()), Some(mark));
        }
        assert_eq!(Mark::from_value(&Value::Null), None);
    }

    /// A record with a name, a city, a phone and a blank note; the row brings other values.
    fn sample() -> (Fields, Vec<(String, Value)>) {
        let record = stored(&[
            ("kind", json!("person")),
            ("first_name", json!("Jan")),
            ("city", json!("Łódź")),
            ("note", json!("  ")),
            ("emails", json!([])),
            (
                "phones",
                json!([{"type": "mobile", "number": "+48600100200"}]),
            ),
            (SEG, json!(false)),
        ]);
        let row = values(&[
            ("kind", json!("person")),
            ("first_name", json!("Janek")),
            ("city", json!("Łódź")),
            ("note", json!("from the fair")),
            ("position", json!("CEO")),
            ("emails", json!(["jan@example.com"])),
            (
                "phones",
                json!([{"type": "work", "number": "+48221234567"}]),
            ),
            ("tags", json!([])),
            (SEG, json!(true)),
        ]);
        (record, row)
    }

    #[test]
    fn fill_empty_writes_only_where_the_record_has_nothing() {
        let (record, row) = sample();
        assert_eq!(
            update_writes(&record, &row, DuplicateMode::FillEmpty, IMPORT),
            values(&[
                ("note", json!("from the fair")),
                ("position", json!("CEO")),
                ("emails", json!(["jan@example.com"])),
                (SEG, json!(true)),
                (
                    import_field(IMPORT).as_str(),
                    json!({"previous": {"note": "  ", "position": null, "emails": [], SEG: false}})
                ),
            ])
        );
    }

    #[test]
    fn overwrite_writes_what_differs() {
        let (record, row) = sample();
        assert_eq!(
            update_writes(&record, &row, DuplicateMode::Overwrite, IMPORT),
            values(&[
                ("first_name", json!("Janek")),
                ("note", json!("from the fair")),
                ("position", json!("CEO")),
                ("emails", json!(["jan@example.com"])),
                (
                    "phones",
                    json!([{"type": "work", "number": "+48221234567"}])
                ),
                (SEG, json!(true)),
                (
                    import_field(IMPORT).as_str(),
                    json!({"previous": {
                        "first_name": "Jan", "note": "  ", "position": null, "emails": [],
                        "phones": [{"type": "mobile", "number": "+48600100200"}], SEG: false
                    }})
                ),
            ])
        );
    }

    #[test]
    fn a_field_whose_old_value_the_mark_cannot_hold_is_not_overwritten() {
        // 20,000 characters of four bytes each: 80 KB as JSON, more than a mark holds.
        let long = "𝄞".repeat(20_000);
        let custom = "custom.history";
        let record = stored(&[
            ("first_name", json!("Jan")),
            ("note", json!(long)),
            (custom, json!("x".repeat(40_000))),
        ]);
        let row = values(&[
            ("first_name", json!("Janek")),
            ("note", json!("short")),
            (custom, json!("y")),
        ]);
        let writes = update_writes(&record, &row, DuplicateMode::Overwrite, IMPORT);
        let written: Vec<&str> = writes.iter().map(|(field, _)| field.as_str()).collect();
        // The note is kept; the first name and the custom field (40 KB) fit.
        assert_eq!(
            written,
            ["first_name", custom, import_field(IMPORT).as_str()]
        );
        let (_, mark) = writes.last().unwrap();
        assert!(mark.to_string().len() <= crate::schema::JSON_MAX_BYTES);
        assert_eq!(mark["previous"]["first_name"], json!("Jan"));
        for (field, value) in &writes {
            let id = row_id(IMPORT, 2).to_string();
            let checked = crate::schema::validate_change("contact", &id, field, value, HLC);
            assert!(checked.is_ok(), "{field}: {checked:?}");
        }
    }

    #[test]
    fn nothing_to_change_is_no_writes() {
        let (record, _) = sample();
        let same = values(&[
            ("kind", json!("person")),
            ("first_name", json!("Jan")),
            ("city", json!("Kraków")),
        ]);
        for mode in [DuplicateMode::Create, DuplicateMode::Skip] {
            assert_eq!(update_writes(&record, &same, mode, IMPORT), vec![]);
        }
        assert_eq!(
            update_writes(&record, &same, DuplicateMode::FillEmpty, IMPORT),
            vec![]
        );
        assert_eq!(
            update_writes(&record, &same[..2], DuplicateMode::Overwrite, IMPORT),
            vec![]
        );
    }

    #[test]
    fn a_row_repeating_an_earlier_row_keeps_the_marks_story() {
        // Row 3 created the record; row 9 fills it in: the record stays "created".
        let mut created = stored(
            &create_writes(
                &values(&[("kind", json!("person")), ("first_name", json!("Ewa"))]),
                IMPORT,
            )
            .iter()
            .map(|(f, v)| (f.as_str(), v.clone()))
            .collect::<Vec<_>>(),
        );
        let more = values(&[("city", json!("Brno"))]);
        let writes = update_writes(&created, &more, DuplicateMode::FillEmpty, IMPORT);
        assert_eq!(
            writes,
            values(&[
                ("city", json!("Brno")),
                (import_field(IMPORT).as_str(), json!({"created": true}))
            ])
        );
        let mut clock = Clock::new("dev");
        apply(&mut created, &writes, &mut clock, 1_800_000_000_000);
        let plan = revert(&created, IMPORT).unwrap();
        assert_eq!(plan.writes[0], ("deleted".to_owned(), json!(true)));

        // Two rows overwrite the same stored record: revert restores the first values.
        let mut record = stored(&[("kind", json!("person")), ("city", json!("Łódź"))]);
        let original = shown(&record);
        for (n, city) in ["Kraków", "Gdańsk"].into_iter().enumerate() {
            let writes = update_writes(
                &record,
                &values(&[("city", json!(city)), ("note", json!(format!("row {n}")))]),
                DuplicateMode::Overwrite,
                IMPORT,
            );
            apply(&mut record, &writes, &mut clock, 1_800_000_000_000);
        }
        assert_eq!(record["city"].value, json!("Gdańsk"));
        let plan = revert(&record, IMPORT).unwrap();
        apply(&mut record, &plan.writes, &mut clock, 1_800_000_000_000);
        assert_eq!(shown(&record), original);
    }

    #[test]
    fn revert_of_a_created_record_trashes_it_once() {
        let mut record = Fields::new();
        let mut clock = Clock::new("dev");
        let row = values(&[("kind", json!("company")), ("company", json!("Acme"))]);
        apply(
            &mut record,
            &create_writes(&row, IMPORT),
            &mut clock,
            1_800_000_000_000,
        );
        // Edited afterwards: still the import's record, still trashed.
        apply(
            &mut record,
            &values(&[("city", json!("Brno"))]),
            &mut clock,
            1_800_000_100_000,
        );
        let plan = revert(&record, IMPORT).unwrap();
        assert_eq!(
            plan,
            RevertPlan {
                writes: values(&[
                    ("deleted", json!(true)),
                    (
                        import_field(IMPORT).as_str(),
                        json!({"created": true, "reverted": true})
                    ),
                ]),
                kept: vec![],
            }
        );
        apply(&mut record, &plan.writes, &mut clock, 1_800_000_200_000);
        assert_eq!(record["deleted"].value, json!(true));
        assert_eq!(
            mark_of(&record, IMPORT),
            Some(Mark {
                created: true,
                previous: BTreeMap::new(),
                reverted: true
            })
        );
        assert_eq!(revert(&record, IMPORT), None, "twice is a no-op");
    }

    #[test]
    fn revert_of_what_the_import_did_not_touch_is_nothing() {
        let (record, _) = sample();
        assert_eq!(revert(&record, IMPORT), None);
        let mut marked = record.clone();
        marked.extend(stored(&[(import_field(IMPORT).as_str(), json!(null))]));
        assert_eq!(revert(&marked, IMPORT), None);
        let other = Uuid::from_u128(7);
        marked.extend(stored(&[(
            import_field(other).as_str(),
            json!({"created": true}),
        )]));
        assert_eq!(revert(&marked, IMPORT), None);
        assert!(revert(&marked, other).is_some());
    }

    #[test]
    fn a_field_changed_after_the_import_is_kept_and_listed() {
        let (mut record, row) = sample();
        let mut clock = Clock::new("dev");
        let writes = update_writes(&record, &row, DuplicateMode::Overwrite, IMPORT);
        // The whole update is one edit: one HLC for all its writes, the mark's too.
        let hlc = clock.tick(1_800_000_000_000).to_string();
        for (field, value) in &writes {
            let write = FieldState {
                value: value.clone(),
                hlc: hlc.clone(),
            };
            apply_write(&mut record, field, write);
        }
        // Someone corrects the position afterwards; another device had set the note with
        // a clock ahead of the import's, so the import's note lost.
        apply(
            &mut record,
            &values(&[("position", json!("CTO"))]),
            &mut clock,
            1_800_000_100_000,
        );
        let ahead = FieldState {
            value: json!("theirs"),
            hlc: Hlc::new(1_900_000_000_000, 0, "other").to_string(),
        };
        apply_write(&mut record, "note", ahead);
        let plan = revert(&record, IMPORT).unwrap();
        assert_eq!(plan.kept, vec!["note".to_owned(), "position".to_owned()]);
        let mark = json!({"previous": {
            "first_name": "Jan", "note": "  ", "position": null, "emails": [],
            "phones": [{"type": "mobile", "number": "+48600100200"}], SEG: false
        }, "reverted": true});
        assert_eq!(
            plan.writes,
            values(&[
                ("emails", json!([])),
                ("first_name", json!("Jan")),
                (
                    "phones",
                    json!([{"type": "mobile", "number": "+48600100200"}])
                ),
                (SEG, json!(false)),
                (import_field(IMPORT).as_str(), mark),
            ])
        );
        apply(&mut record, &plan.writes, &mut clock, 1_800_000_200_000);
        assert_eq!(record["position"].value, json!("CTO"));
        assert_eq!(record["note"].value, json!("theirs"));
        assert_eq!(record["first_name"].value, json!("Jan"));
        assert_eq!(revert(&record, IMPORT), None, "twice is a no-op");
    }

    fn arb_value(field: &'static str) -> BoxedStrategy<Value> {
        match field {
            "emails" => prop_oneof![
                Just(json!([])),
                Just(json!(["a@example.com"])),
                Just(json!(["b@example.com", "c@example.com"])),
            ]
            .boxed(),
            "phones" => prop_oneof![
                Just(json!([])),
                Just(json!([{"type": "mobile", "number": "+48600100200"}])),
                Just(json!([{"type": "work", "number": "+420601123456"}])),
            ]
            .boxed(),
            "kind" => prop_oneof![Just(json!("person")), Just(json!("company"))].boxed(),
            SEG => prop_oneof![Just(json!(false)), Just(json!(true))].boxed(),
            "custom.size" => {
                prop_oneof![Just(json!(42)), Just(json!("L")), Just(json!(""))].boxed()
            }
            _ => prop_oneof![
                Just(json!("")),
                Just(json!(" ")),
                Just(json!("Ala")),
                Just(json!("Łódź")),
                Just(json!("Kraków")),
            ]
            .boxed(),
        }
    }

    const FIELDS: [&str; 8] = [
        "first_name",
        "city",
        "note",
        "emails",
        "phones",
        SEG,
        "custom.size",
        "tags",
    ];

    /// A stored record: a kind, and each field missing, `null` or a value, written at
    /// various times before the import.
    fn arb_record() -> impl Strategy<Value = Fields> {
        let fields: Vec<_> = FIELDS
            .iter()
            .map(|field| {
                (
                    prop_oneof![
                        1 => Just(None),
                        1 => Just(Some(Value::Null)),
                        3 => arb_value(field).prop_map(Some),
                    ],
                    1_000_000_000_000u64..1_700_000_000_000,
                )
            })
            .collect();
        (arb_value("kind"), fields).prop_map(|(kind, fields)| {
            let mut record = Fields::new();
            record.insert(
                "kind".into(),
                FieldState {
                    value: kind,
                    hlc: Hlc::new(1_000_000_000_000, 0, "old").to_string(),
                },
            );
            for (field, (value, at)) in FIELDS.iter().zip(fields) {
                if let Some(value) = value {
                    let hlc = Hlc::new(at, 0, "old").to_string();
                    record.insert((*field).to_owned(), FieldState { value, hlc });
                }
            }
            record
        })
    }

    /// A row's values: a kind and a few of the fields (a membership only as `true`).
    fn arb_row() -> impl Strategy<Value = Vec<(String, Value)>> {
        let fields: Vec<_> = FIELDS
            .iter()
            .map(|field| prop::option::of(arb_value(field)))
            .collect();
        (arb_value("kind"), fields).prop_map(|(kind, fields)| {
            let mut row = vec![("kind".to_owned(), kind)];
            for (field, value) in FIELDS.iter().zip(fields) {
                match value {
                    Some(Value::Bool(false)) | None => {}
                    Some(value) => row.push(((*field).to_owned(), value)),
                }
            }
            row
        })
    }

    proptest! {
        #[test]
        fn fill_empty_never_overwrites_a_value(record in arb_record(), row in arb_row()) {
            let writes = update_writes(&record, &row, DuplicateMode::FillEmpty, IMPORT);
            let mark = import_field(IMPORT);
            for (field, value) in &writes {
                if *field == mark {
                    continue;
                }
                let before = record.get(field).map(|state| &state.value);
                prop_assert!(
                    before.is_none_or(is_blank) || (field == SEG && *value == json!(true)),
                    "{} = {:?} written over {:?}", field, value, before
                );
            }
            prop_assert_eq!(writes.last().map(|(field, _)| field) == Some(&mark), !writes.is_empty());
        }

        /// Update (either mode) with the device's HLCs, revert, apply: the record shows
        /// what it showed before, and a second revert does nothing.
        #[test]
        fn revert_restores_the_shown_values(
            record in arb_record(),
            row in arb_row(),
            overwrite in any::<bool>(),
        ) {
            let mode = if overwrite { DuplicateMode::Overwrite } else { DuplicateMode::FillEmpty };
            let original = shown(&record);
            let mut fields = record.clone();
            let mut clock = Clock::new("dev");
            let writes = update_writes(&fields, &row, mode, IMPORT);
            apply(&mut fields, &writes, &mut clock, 1_800_000_000_000);
            let updated = shown(&fields);
            for (field, value) in &row {
                // `kind` is the exception: an update never changes a record's kind.
                let kind_kept = field == "kind" && record.contains_key("kind");
                if !is_blank(value) && (overwrite || field == SEG) && !kind_kept {
                    prop_assert_eq!(updated.get(field), Some(value), "{}", field);
                }
            }
            match revert(&fields, IMPORT) {
                None => prop_assert!(writes.is_empty()),
                Some(plan) => {
                    prop_assert!(plan.kept.is_empty());
                    apply(&mut fields, &plan.writes, &mut clock, 1_800_000_100_000);
                }
            }
            prop_assert_eq!(shown(&fields), original);
            prop_assert_eq!(revert(&fields, IMPORT), None);
        }
    }
}

#[cfg(test)]
mod plan_all_tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::import::rows::{Problem, RowError};
    use crate::keys::MatchKey;

    const IMPORT: Uuid = Uuid::from_u128(0x019a_f3c2_7d10_7abc_9def_0123_4567_89ab);

    fn row(line: u32, failing: bool) -> Prepared {
        Prepared {
            line,
            values: vec![("last_name".to_owned(), json!("Nowak"))],
            problems: if failing {
                vec![Problem {
                    column: Some(0),
                    value: "x".into(),
                    error: RowError::NameRequired,
                }]
            } else {
                Vec::new()
            },
        }
    }

    fn repeats(line: u32) -> Option<Duplicate> {
        Some(Duplicate::InFile {
            line,
            key: MatchKey::Phone("+48601234567".into()),
        })
    }

    #[test]
    fn a_repeat_goes_into_the_record_of_the_row_it_repeats_unless_that_row_is_not_written() {
        let rows = [
            row(2, false),
            row(3, false),
            row(4, true),
            row(5, false),
            row(6, false),
        ];
        let duplicates = [None, repeats(2), None, repeats(4), repeats(6)];
        let left_out = BTreeSet::from([6]);
        let actions = plan_all(
            &rows,
            &duplicates,
            DuplicateMode::Overwrite,
            IMPORT,
            &left_out,
        );
        assert_eq!(
            actions,
            [
                Action::Create {
                    id: row_id(IMPORT, 2)
                },
                Action::Update {
                    id: row_id(IMPORT, 2)
                },
                Action::Fail,
                // Line 4 failed: its repeat makes its own record.
                Action::Create {
                    id: row_id(IMPORT, 5)
                },
                Action::Skip,
            ]
        );
        let skip = plan_all(&rows, &duplicates, DuplicateMode::Skip, IMPORT, &left_out);
        assert_eq!(skip[1], Action::Skip);
        assert_eq!(
            skip[3],
            Action::Create {
                id: row_id(IMPORT, 5)
            }
        );
    }

    #[test]
    fn a_group_whose_first_row_fails_still_makes_one_record() {
        // Lines 3, 5 and 7 share an e-mail; line 3 has a bad PESEL.
        let rows = [row(3, true), row(5, false), row(7, false)];
        let duplicates = [None, repeats(3), repeats(3)];
        let none = BTreeSet::new();
        let overwrite = plan_all(&rows, &duplicates, DuplicateMode::Overwrite, IMPORT, &none);
        let five = row_id(IMPORT, 5);
        assert_eq!(
            overwrite,
            [
                Action::Fail,
                Action::Create { id: five },
                Action::Update { id: five }
            ]
        );
        let skip = plan_all(&rows, &duplicates, DuplicateMode::Skip, IMPORT, &none);
        assert_eq!(skip[1], Action::Create { id: five });
        assert_eq!(
            skip[2],
            Action::Skip,
            "line 7 repeats the record line 5 made"
        );
        let create = plan_all(&rows, &duplicates, DuplicateMode::Create, IMPORT, &none);
        let seven = row_id(IMPORT, 7);
        assert_eq!(create[2], Action::Create { id: seven }, "create anyway");
    }

    #[test]
    fn an_update_never_changes_a_records_kind() {
        let existing = crate::merge::fields_at(
            "1700000000000-0000-old",
            &[("kind", json!("company")), ("company", json!("Acme"))],
        );
        let values = vec![
            ("kind".to_owned(), json!("person")),
            ("city".to_owned(), json!("Brno")),
        ];
        let writes = update_writes(&existing, &values, DuplicateMode::Overwrite, IMPORT);
        let fields: Vec<&str> = writes.iter().map(|(field, _)| field.as_str()).collect();
        assert_eq!(fields, ["city", import_field(IMPORT).as_str()]);
    }
}
