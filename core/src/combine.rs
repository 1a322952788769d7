//! Merging records into one, and undoing a merge, as plans of ordinary field writes: the
//! device makes them (offline too) and they sync like any edit.
//!
//! A merge of records M₁…Mₙ into the staying record S writes:
//! - on S, the value chosen for each field the records differ in, and the union of their
//!   phones, e-mails, tags, segments and campaigns;
//! - on each Mᵢ, `merged_into` = S and `deleted` = true (the trash; never purged by the
//!   merge);
//! - on every task and activity of an Mᵢ, `record_id` = S, and on every person whose company
//!   is an Mᵢ, `organization_id` = S — each such row also gets `merge:<merge id>` = the id it
//!   pointed to, so an undo knows what to move back however many rows there are;
//! - a `merge` row (its `record_id` is S, so it is seen by whoever sees S, and shows in S's
//!   timeline) with who, when, the merged records and their names, and for each field of S
//!   the merge changed its value before (`before.<field>`) and after (`after.<field>`),
//!   and for each Mᵢ the HLC of every field of it the merge read (`seen:<id>`): a write
//!   to Mᵢ that reached the server before the merge did, from a device that had not seen
//!   the merge (another merge into Mᵢ, an edit), is carried to S by the merging user's
//!   device after the pull that brings it ([`carry_over`]), as the server's refusal and
//!   [`retarget`] carry one that comes after.
//!
//! An undo moves back every row still pointing where the merge put it, takes the merged
//! records out of the trash, and gives S back its earlier values — except in fields changed
//! since the merge, which are kept and listed.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::access::{Actor, RowScope, check_write};
use crate::merge::Fields;
use crate::record::{Contact, is_blank};
use crate::schema::{Entity, JSON_MAX_BYTES};
use crate::text::fold;

use crate::schema::DISTINCT_PREFIX;
pub use crate::schema::{
    AFTER_PREFIX, BEFORE_PREFIX, MERGE_MARK_PREFIX, MERGED_INTO, SEEN_PREFIX, UNITED_PREFIX,
};
/// Records one merge takes at most (the staying one included).
pub const MAX_RECORDS: usize = 10;
/// Phones or e-mails a contact holds at most (what `schema` accepts).
const MAX_LIST: usize = 50;

/// A contact as the device shows it.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub id: Uuid,
    pub fields: &'a Fields,
}

/// A row pointing at one of the merged records: a task or activity (`record_id`) or a
/// person of a company (`organization_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub entity: Entity,
    pub id: Uuid,
    pub points_to: Uuid,
}

/// One field write of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub entity: Entity,
    pub id: Uuid,
    pub field: String,
    pub value: Value,
}

impl Write {
    fn new(entity: Entity, id: Uuid, field: impl Into<String>, value: Value) -> Write {
        Write {
            entity,
            id,
            field: field.into(),
            value,
        }
    }
}

/// Why a merge or an undo cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeError {
    /// Fewer than two records, or more than [`MAX_RECORDS`].
    Count(usize),
    /// A record given twice.
    Repeated(Uuid),
    /// A record in the trash or merged already.
    Gone(Uuid),
    /// A choice names a record that is not in the merge.
    NotInMerge(Uuid),
    /// The union holds more phones or e-mails than a record may.
    TooMany(&'static str),
    /// The merge was undone already.
    Undone,
    /// The device does not show this merged record as merged yet (its part of the merge
    /// has not arrived): undone now, half of it would stay.
    NotArrived(Uuid),
}

/// How a field of the records is merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRule {
    /// One record's value is taken (the user chooses where the records differ).
    Choose,
    /// Every record's values are united.
    Unite,
    /// Not merged: the staying record's own (trash, marks, merge bookkeeping).
    Keep,
}

/// How `field` of a contact is merged.
pub fn field_rule(field: &str) -> FieldRule {
    if matches!(field, "phones" | "emails" | "tags")
        || field.starts_with("segment:")
        || field.starts_with("campaign:")
        // "Not a duplicate of X" holds for the one customer the records become.
        || field.starts_with(DISTINCT_PREFIX)
    {
        return FieldRule::Unite;
    }
    if matches!(field, "deleted" | MERGED_INTO)
        || field.starts_with(crate::schema::IMPORT_MARK_PREFIX)
        || field.starts_with(MERGE_MARK_PREFIX)
    {
        return FieldRule::Keep;
    }
    FieldRule::Choose
}

fn value_of<'f>(fields: &'f Fields, field: &str) -> &'f Value {
    static NULL: Value = Value::Null;
    fields.get(field).map_or(&NULL, |state| &state.value)
}

fn hlc_of<'f>(fields: &'f Fields, field: &str) -> &'f str {
    fields.get(field).map_or("", |state| state.hlc.as_str())
}

/// Values compared as a user sees them: a blank one is no value.
fn same_value(a: &Value, b: &Value) -> bool {
    (is_blank(a) && is_blank(b)) || a == b
}

/// The fields (chosen, not united) in which the records' values differ, in name order.
pub fn differing_fields(records: &[Record]) -> Vec<String> {
    let mut names: Vec<&String> = records.iter().flat_map(|r| r.fields.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|field| field_rule(field) == FieldRule::Choose)
        .filter(|field| {
            let first = value_of(records[0].fields, field);
            records[1..]
                .iter()
                .any(|record| !same_value(first, value_of(record.fields, field)))
        })
        .cloned()
        .collect()
}

/// The record whose value each differing field takes unless the user chooses: the
/// staying record's where it has one, else the most recently changed non-blank one.
pub fn default_choices(staying: Record, merged: &[Record]) -> BTreeMap<String, Uuid> {
    let mut all = vec![staying];
    all.extend_from_slice(merged);
    differing_fields(&all)
        .into_iter()
        .map(|field| {
            let from = if !is_blank(value_of(staying.fields, &field)) {
                staying.id
            } else {
                merged
                    .iter()
                    .filter(|record| !is_blank(value_of(record.fields, &field)))
                    .max_by(|a, b| hlc_of(a.fields, &field).cmp(hlc_of(b.fields, &field)))
                    .map_or(staying.id, |record| record.id)
            };
            (field, from)
        })
        .collect()
}

/// Items of a JSON array, the staying record's first, each once by `key`.
fn united_list(
    records: &[Record],
    field: &str,
    key: impl Fn(&Value) -> Option<String>,
) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut items = Vec::new();
    for record in records {
        if let Some(list) = value_of(record.fields, field).as_array() {
            for item in list {
                let Some(k) = key(item) else { continue };
                if !seen.contains(&k) {
                    seen.push(k);
                    items.push(item.clone());
                }
            }
        }
    }
    items
}

/// What makes two items of a united list one: a phone's number without spaces, an
/// e-mail in lower case, a tag folded.
fn item_key(field: &str, item: &Value) -> Option<String> {
    match field {
        "phones" => item
            .get("number")
            .and_then(Value::as_str)
            .map(|n| n.chars().filter(|c| !c.is_whitespace()).collect()),
        "emails" => item.as_str().map(str::to_lowercase),
        "tags" => item.as_str().map(fold),
        _ => None,
    }
}

/// The united value of `field` over `records` (the staying one first).
fn united(records: &[Record], field: &str) -> Result<Value, MergeError> {
    let key = |item: &Value| item_key(field, item);
    let value = match field {
        "phones" | "emails" => {
            let list = united_list(records, field, key);
            if list.len() > MAX_LIST {
                return Err(MergeError::TooMany(if field == "phones" {
                    "phones"
                } else {
                    "emails"
                }));
            }
            Value::Array(list)
        }
        "tags" => Value::Array(united_list(records, field, key)),
        // A membership: in it if any record is.
        _ => Value::Bool(
            records
                .iter()
                .any(|record| value_of(record.fields, field) == &Value::Bool(true)),
        ),
    };
    Ok(value)
}

/// The united fields of `records` (the staying record first) as the staying record would
/// hold them after the merge — phones, e-mails, tags, memberships — each with its value
/// (an empty union left out): what the merge screen shows as united. Marks apart are left
/// out (they are not the user's to read here).
pub fn united_fields(records: &[Record]) -> Result<Vec<(String, Value)>, MergeError> {
    let mut names: Vec<&String> = records.iter().flat_map(|r| r.fields.keys()).collect();
    names.sort();
    names.dedup();
    let mut fields = Vec::new();
    for field in names {
        if field_rule(field) != FieldRule::Unite || field.starts_with(DISTINCT_PREFIX) {
            continue;
        }
        let value = united(records, field)?;
        if !is_blank(&value) && value != Value::Bool(false) {
            fields.push((field.clone(), value));
        }
    }
    Ok(fields)
}

/// What a merge is asked to do.
#[derive(Debug, Clone)]
pub struct MergeRequest<'a> {
    pub merge_id: Uuid,
    pub staying: Record<'a>,
    pub merged: Vec<Record<'a>>,
    /// For a differing field, whose value it takes (the defaults where absent).
    pub choices: BTreeMap<String, Uuid>,
    /// Every row pointing at a merged record.
    pub linked: Vec<Linked>,
    pub user_id: Uuid,
    /// When, RFC 3339 (the caller's clock).
    pub at: String,
}

/// In the trash or merged into another record already: not to be merged.
pub fn is_gone(record: &Record) -> bool {
    value_of(record.fields, "deleted") == &Value::Bool(true)
        || !is_blank(value_of(record.fields, MERGED_INTO))
}

fn display_name(record: &Record) -> String {
    Contact::from_fields(&record.id.to_string(), record.fields)
        .map(|contact| contact.display_name())
        .unwrap_or_default()
}

/// The writes that merge the request's records into its staying record.
pub fn plan_merge(request: &MergeRequest) -> Result<Vec<Write>, MergeError> {
    let mut all = vec![request.staying];
    all.extend_from_slice(&request.merged);
    if !(2..=MAX_RECORDS).contains(&all.len()) {
        return Err(MergeError::Count(all.len()));
    }
    for (n, record) in all.iter().enumerate() {
        if all[..n].iter().any(|earlier| earlier.id == record.id) {
            return Err(MergeError::Repeated(record.id));
        }
        if is_gone(record) {
            return Err(MergeError::Gone(record.id));
        }
    }
    let by_id = |id: Uuid| all.iter().find(|record| record.id == id);
    for from in request.choices.values() {
        if by_id(*from).is_none() {
            return Err(MergeError::NotInMerge(*from));
        }
    }
    let staying = request.staying;
    let mut choices = default_choices(staying, &request.merged);
    choices.extend(request.choices.clone());

    // The staying record's new values.
    let mut names: Vec<&String> = all.iter().flat_map(|r| r.fields.keys()).collect();
    names.sort();
    names.dedup();
    let mut changed: Vec<(String, Value, Value)> = Vec::new();
    for field in names {
        // A mark apart from one of the merged records (or the staying one) says nothing
        // of the record they become.
        if let Some(other) = field.strip_prefix(DISTINCT_PREFIX)
            && all.iter().any(|record| record.id.to_string() == other)
        {
            continue;
        }
        let new = match field_rule(field) {
            FieldRule::Keep => continue,
            FieldRule::Unite => united(&all, field)?,
            FieldRule::Choose => {
                let from = choices.get(field).copied().unwrap_or(staying.id);
                let record = by_id(from).unwrap_or(&staying);
                let value = value_of(record.fields, field).clone();
                // A company that is one of the records merged is the record itself now:
                // it points at no company (a sole trader's person and company records).
                let member = |id: &str| all.iter().any(|r| r.id.to_string() == id);
                if pointer_field(Entity::Contact) == Some(field.as_str())
                    && value.as_str().is_some_and(member)
                {
                    Value::Null
                } else {
                    value
                }
            }
        };
        let old = value_of(staying.fields, field);
        // A record without `kind` is a person, and `kind` cannot be cleared.
        if field == "kind" && (is_blank(&new) || (is_blank(old) && new == "person")) {
            continue;
        }
        // An empty union (a membership no one has, no phones) changes nothing.
        let unite = field_rule(field) == FieldRule::Unite;
        let empty = unite && (is_blank(&new) || new == Value::Bool(false));
        if !same_value(old, &new) && !empty {
            changed.push((field.clone(), old.clone(), new));
        }
    }

    let mark = format!("{MERGE_MARK_PREFIX}{}", request.merge_id);
    let mut writes = Vec::new();
    let merge =
        |field: &str, value: Value| Write::new(Entity::Merge, request.merge_id, field, value);
    let merged_ids: Vec<Value> = request
        .merged
        .iter()
        .map(|record| Value::String(record.id.to_string()))
        .collect();
    let merged_names: Vec<Value> = request
        .merged
        .iter()
        .map(|record| Value::String(display_name(record)))
        .collect();
    writes.push(merge("record_id", Value::String(staying.id.to_string())));
    writes.push(merge("merged_ids", Value::Array(merged_ids)));
    writes.push(merge("names", Value::Array(merged_names)));
    writes.push(merge("user_id", Value::String(request.user_id.to_string())));
    writes.push(merge("at", Value::String(request.at.clone())));
    writes.push(merge("undone", Value::Bool(false)));
    // What it read of each record (the staying one's too: whether another merge into it
    // read its lists before this one wrote them, see `lost_to_merges`).
    for record in &all {
        writes.push(merge(
            &format!("{SEEN_PREFIX}{}", record.id),
            seen_of(record.fields),
        ));
    }
    for (field, old, new) in &changed {
        writes.push(merge(&format!("{BEFORE_PREFIX}{field}"), old.clone()));
        writes.push(merge(&format!("{AFTER_PREFIX}{field}"), new.clone()));
    }
    for (field, _, new) in changed {
        writes.push(Write::new(Entity::Contact, staying.id, field, new));
    }
    for record in &request.merged {
        let into = Value::String(staying.id.to_string());
        writes.push(Write::new(Entity::Contact, record.id, MERGED_INTO, into));
        writes.push(Write::new(
            Entity::Contact,
            record.id,
            "deleted",
            Value::Bool(true),
        ));
    }
    for linked in &request.linked {
        if !request.merged.iter().any(|r| r.id == linked.points_to) {
            continue;
        }
        // A record of the merge pointing at another of it (a sole trader's person record
        // at its company record): it becomes the one record, pointing at nothing new.
        if linked.entity == Entity::Contact && all.iter().any(|r| r.id == linked.id) {
            continue;
        }
        let Some(pointer) = pointer_field(linked.entity) else {
            continue;
        };
        let from = Value::String(linked.points_to.to_string());
        let to = Value::String(staying.id.to_string());
        writes.push(Write::new(linked.entity, linked.id, pointer, to));
        writes.push(Write::new(linked.entity, linked.id, mark.clone(), from));
    }
    Ok(writes)
}

/// The field a linked row points with: a task's or activity's record, a person's company.
pub fn pointer_field(entity: Entity) -> Option<&'static str> {
    match entity {
        Entity::Task | Entity::Activity => Some("record_id"),
        Entity::Contact => Some("organization_id"),
        _ => None,
    }
}

/// A row a merge moved, as it is now.
#[derive(Debug, Clone, Copy)]
pub struct Moved<'a> {
    pub entity: Entity,
    pub id: Uuid,
    pub fields: &'a Fields,
}

/// An undo: its writes, and the staying record's fields kept because they changed since
/// the merge.
#[derive(Debug, Clone, PartialEq)]
pub struct Undo {
    pub writes: Vec<Write>,
    pub kept: Vec<String>,
}

/// The writes that undo the merge `merge_id` (its row's shown fields `merge`), given the
/// staying record, the merged records and every row that carries the merge's mark, as the
/// device shows them now.
pub fn plan_undo(
    merge_id: Uuid,
    merge: &Fields,
    staying: Record,
    merged: &[Record],
    moved: &[Moved],
) -> Result<Undo, MergeError> {
    if value_of(merge, "undone") == &Value::Bool(true) {
        return Err(MergeError::Undone);
    }
    // The staying record merged into another since: its fields are that record's now.
    if is_gone(&staying) {
        return Err(MergeError::Gone(staying.id));
    }
    // A merged record deleted for good (its trash emptied) cannot come back: nothing is
    // undone rather than half of it.
    if let Some(gone) = merged_ids(merge)
        .into_iter()
        .find(|id| !merged.iter().any(|record| record.id == *id))
    {
        return Err(MergeError::Gone(gone));
    }
    let staying_text = Value::String(staying.id.to_string());
    let mut writes = vec![Write::new(
        Entity::Merge,
        merge_id,
        "undone",
        Value::Bool(true),
    )];
    let mut kept = Vec::new();
    for (name, after) in merge {
        let Some(field) = name.strip_prefix(AFTER_PREFIX) else {
            continue;
        };
        let before = value_of(merge, &format!("{BEFORE_PREFIX}{field}")).clone();
        if same_value(value_of(staying.fields, field), &after.value) {
            // (A record that had no `kind` was a person.)
            let before = if field == "kind" && is_blank(&before) {
                Value::String("person".into())
            } else {
                before
            };
            if !same_value(value_of(staying.fields, field), &before) {
                writes.push(Write::new(Entity::Contact, staying.id, field, before));
            }
        } else {
            kept.push(field.to_owned());
        }
    }
    for record in merged {
        let into = value_of(record.fields, MERGED_INTO);
        if is_blank(into) {
            return Err(MergeError::NotArrived(record.id));
        }
        // Merged elsewhere since (by another device's merge): left where it is.
        if into != &staying_text {
            continue;
        }
        writes.push(Write::new(
            Entity::Contact,
            record.id,
            MERGED_INTO,
            Value::Null,
        ));
        writes.push(Write::new(
            Entity::Contact,
            record.id,
            "deleted",
            Value::Bool(false),
        ));
    }
    let mark = format!("{MERGE_MARK_PREFIX}{merge_id}");
    for row in moved {
        let Some(pointer) = pointer_field(row.entity) else {
            continue;
        };
        let from = value_of(row.fields, &mark);
        if is_blank(from) {
            continue;
        }
        // Moved on since (to another record by hand): left there.
        if value_of(row.fields, pointer) == &staying_text {
            writes.push(Write::new(row.entity, row.id, pointer, from.clone()));
        }
        writes.push(Write::new(row.entity, row.id, mark.clone(), Value::Null));
    }
    Ok(Undo { writes, kept })
}

/// One row's writes: its entity, id, and fields with their values, in order.
pub type RowWrites = (Entity, Uuid, Vec<(String, Value)>);

/// A plan's writes grouped by row, in the plan's order (one edit per row, its fields in
/// the order planned): how the device writes them, in one transaction.
pub fn by_row(writes: Vec<Write>) -> Vec<RowWrites> {
    let mut rows: Vec<RowWrites> = Vec::new();
    for write in writes {
        match rows
            .iter_mut()
            .find(|(entity, id, _)| *entity == write.entity && *id == write.id)
        {
            Some((_, _, changes)) => changes.push((write.field, write.value)),
            None => rows.push((write.entity, write.id, vec![(write.field, write.value)])),
        }
    }
    rows
}

/// Whether `actor` may make every write of a plan, by the rule the server applies to each
/// change (`check_write`). `scope_of(entity, id)` is a row's scope as it is now (a task's,
/// an activity's or a merge's: its record's); a write of `record_id` is checked against the
/// scope of the record it points to. `Err` names the first row refused and why.
pub fn check_plan(
    actor: &Actor,
    writes: &[Write],
    scope_of: impl Fn(Entity, Uuid) -> RowScope,
) -> Result<(), (Uuid, String)> {
    for write in writes {
        let scope = scope_of(write.entity, write.id);
        let target = (write.field == "record_id")
            .then(|| write.value.as_str().and_then(|id| Uuid::parse_str(id).ok()))
            .flatten()
            .map(|record| scope_of(Entity::Contact, record));
        check_write(
            actor,
            write.entity,
            &scope,
            &write.field,
            &write.value,
            target.as_ref(),
        )
        .map_err(|why| (write.id, why))?;
    }
    Ok(())
}

fn merged_target(merged_into: Option<&Value>) -> Option<Uuid> {
    merged_into
        .and_then(Value::as_str)
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// Whether `field` of `entity` points at a contact a merge can take away: a task's or
/// activity's record, a person's company, a contact's `merged_into` (whose target's own
/// `merged_into` [`merged_elsewhere`] needs).
pub fn points_at_record(entity: Entity, field: &str) -> bool {
    pointer_field(entity) == Some(field) || (entity == Entity::Contact && field == MERGED_INTO)
}

/// The record a change belongs on instead because of a merge, or `None` when it may land:
/// - a write to a merged contact (`own` its stored `merged_into`), but for the merge's own
///   bookkeeping (`deleted` = true, `merged_into`, marks), which an undo writes;
/// - a pointer ([`points_at_record`]) to a merged contact (`target` that contact's stored
///   `merged_into`): the record it was merged into — for `merged_into` itself, so that two
///   merges never chain or close a loop (two devices merging each other's records).
///
/// The server refuses such a change (`forbidden`, naming the record in `merged_into`) and
/// the device makes it again there ([`retarget`]): nothing lands on a trashed record unseen.
pub fn merged_elsewhere(
    entity: Entity,
    field: &str,
    value: &Value,
    own: Option<&Value>,
    target: Option<&Value>,
) -> Option<Uuid> {
    // Out of the trash only by an undo, which clears `merged_into` first.
    let restores = field == "deleted" && value == &Value::Bool(false);
    if entity == Entity::Contact
        && (field_rule(field) != FieldRule::Keep || restores)
        && let Some(staying) = merged_target(own)
    {
        return Some(staying);
    }
    if points_at_record(entity, field) {
        return merged_target(target);
    }
    None
}

/// The merges one push had refused so far: a record whose `merged_into` was refused (it
/// pointed at a merged record) keeps out of the trash too — the same plan's `deleted`
/// right after it is refused with it.
#[derive(Debug, Default)]
pub struct PushMerges {
    refused: BTreeMap<String, Uuid>,
}

impl PushMerges {
    /// The record a change of row `id` belongs on instead ([`merged_elsewhere`], and the
    /// trash of a refused merge), remembering a refused merge for the rest of the push.
    pub fn refuses(
        &mut self,
        entity: Entity,
        id: &str,
        field: &str,
        value: &Value,
        own: Option<&Value>,
        target: Option<&Value>,
    ) -> Option<Uuid> {
        let staying = merged_elsewhere(entity, field, value, own, target).or_else(|| {
            (entity == Entity::Contact && field == "deleted" && value == &Value::Bool(true))
                .then(|| self.refused.get(id).copied())
                .flatten()
        })?;
        if entity == Entity::Contact && field == MERGED_INTO {
            self.refused.insert(id.to_owned(), staying);
        }
        Some(staying)
    }
}

/// A refused change as the device makes it again: on which row, which field, what value.
#[derive(Debug, Clone, PartialEq)]
pub struct Retargeted {
    pub entity: Entity,
    pub id: Uuid,
    pub field: String,
    pub value: Value,
}

/// The change that carries a change refused because of a merge ([`merged_elsewhere`])
/// where it belongs, from the rows as the device holds them after a pull:
/// - `row`: the refused row as shown (a contact's own `merged_into`, a field's HLC);
/// - `staying`: the record named by the refusal, as shown; `None` when the device does not
///   hold it.
///
/// Last writer wins as anywhere (`hlc` is the refused write's): nothing is made over a
/// later write of the same field.
/// - A write to a merged contact goes to the staying record: a chosen field's value or a
///   membership as set, a list united with the staying record's (a phone added on the
///   merged record joins the others whenever it was written).
/// - A pointer to a merged record points at the staying one instead (never a record at
///   itself).
/// - A merge into a record merged meanwhile goes into the record that one ended in, and its
///   trash with it (never a record into itself: two devices merging each other's records
///   leave it live).
///
/// `None`: nothing to make (the merge's bookkeeping, a later value there) — the device
/// tells the user.
pub fn retarget(
    entity: Entity,
    id: Uuid,
    field: &str,
    value: &Value,
    hlc: &str,
    row: Option<&Fields>,
    staying: Option<Record>,
) -> Option<Retargeted> {
    let staying = staying?;
    let staying_text = Value::String(staying.id.to_string());
    let row_merged_into = row.and_then(|row| row.get(MERGED_INTO)).map(|s| &s.value);
    let own_row_merged = entity == Entity::Contact
        && merged_target(row_merged_into) == Some(staying.id)
        && field_rule(field) != FieldRule::Keep;
    if !own_row_merged {
        let later_here = row.is_some_and(|row| hlc_of(row, field) > hlc);
        if later_here || (entity == Entity::Contact && id == staying.id) {
            return None;
        }
        let on_row = |value: Value| Retargeted {
            entity,
            id,
            field: field.to_owned(),
            value,
        };
        let is_contact = entity == Entity::Contact;
        // A pointer, or a merge into a record merged meanwhile: at the record that stays.
        let points = pointer_field(entity) == Some(field) && value != &staying_text;
        let merges = is_contact && field == MERGED_INTO && !is_blank(value);
        return if points || merges {
            Some(on_row(staying_text))
        } else if is_contact && field == "deleted" && value == &Value::Bool(true) {
            Some(on_row(Value::Bool(true)))
        } else {
            None
        };
    }
    let on_staying = |value: Value| Retargeted {
        entity: Entity::Contact,
        id: staying.id,
        field: field.to_owned(),
        value,
    };
    let later_there = hlc_of(staying.fields, field) > hlc;
    match field_rule(field) {
        FieldRule::Keep => None,
        FieldRule::Choose => {
            // The company a person of a merged company points at: the staying record's
            // own, not itself.
            if value == &staying_text || later_there {
                return None;
            }
            Some(on_staying(value.clone()))
        }
        FieldRule::Unite => {
            if field
                .strip_prefix(DISTINCT_PREFIX)
                .is_some_and(|other| Value::String(other.to_owned()) == staying_text)
            {
                return None;
            }
            if !value.is_array() {
                // A membership or a mark: as the user set it, unless changed there since.
                return (!later_there).then(|| on_staying(value.clone()));
            }
            let written: Fields = [(
                field.to_owned(),
                crate::sync::FieldState {
                    value: value.clone(),
                    hlc: String::new(),
                },
            )]
            .into_iter()
            .collect();
            let from = Record {
                id: staying.id,
                fields: &written,
            };
            // More than a record holds: the written list alone rather than none of it.
            let list = united(&[staying, from], field).unwrap_or_else(|_| value.clone());
            // What the user took off the merged record (in its row as the server holds
            // it, not in the list written) comes off the record that stays too.
            let keys = |list: &Value| -> Vec<String> {
                list.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|item| item_key(field, item))
                    .collect()
            };
            let kept = keys(value);
            let removed: Vec<String> = row
                .map(|row| keys(value_of(row, field)))
                .unwrap_or_default()
                .into_iter()
                .filter(|key| !kept.contains(key))
                .collect();
            let list = match list {
                Value::Array(items) if !removed.is_empty() => Value::Array(
                    items
                        .into_iter()
                        .filter(|item| {
                            item_key(field, item).is_none_or(|key| !removed.contains(&key))
                        })
                        .collect(),
                ),
                list => list,
            };
            (!same_value(&list, value_of(staying.fields, field))).then(|| on_staying(list))
        }
    }
}

/// A merged record's `seen:` value: field → HLC of each field a merge takes (its own
/// trash and marks left out); for a record too large for one value, the latest HLC alone
/// (`""` → HLC: a field written later than it is unseen).
fn seen_of(fields: &Fields) -> Value {
    let seen: Map<String, Value> = fields
        .iter()
        .filter(|(field, _)| field_rule(field) != FieldRule::Keep)
        .map(|(field, state)| (field.clone(), Value::String(state.hlc.clone())))
        .collect();
    let seen = Value::Object(seen);
    if seen.to_string().len() <= JSON_MAX_BYTES {
        return seen;
    }
    let latest = fields
        .iter()
        .filter(|(field, _)| field_rule(field) != FieldRule::Keep)
        .map(|(_, state)| state.hlc.as_str())
        .max();
    serde_json::json!({ "": latest.unwrap_or_default() })
}

/// Whether a merge that read `seen` saw a field as written at `hlc`.
fn was_seen(seen: &Map<String, Value>, field: &str, hlc: &str) -> bool {
    match seen.get("").and_then(Value::as_str) {
        Some(latest) => hlc <= latest,
        None => seen.get(field).and_then(Value::as_str) == Some(hlc),
    }
}

/// Whether a merge that read `seen` read `field` as written at `hlc` or later (the
/// write it read was not older: it had seen the one at `hlc`).
fn was_seen_after(seen: &Map<String, Value>, field: &str, hlc: &str) -> bool {
    let read = match seen.get("").and_then(Value::as_str) {
        Some(latest) => latest,
        None => seen.get(field).and_then(Value::as_str).unwrap_or_default(),
    };
    read >= hlc
}

/// What a merge did not see of a record it merged, carried to the record that stays.
///
/// A write to a merged record that reached the server before the merge did (another
/// device's merge into that record, an edit), from a device that had not seen the merge,
/// lands on the record the merge then takes to the trash: its phones, its chosen values
/// would stay there. The merging user's device, after the pull that brings it, makes each
/// such write again on the record that stays, as [`retarget`] makes one the server refused
/// (a list united, a chosen value last writer wins) — so both arrival orders end alike.
/// - `merge_id`, `merge`: the merge row;
/// - `merged`: one of its merged records as shown;
/// - `staying`: the record `merged`'s `merged_into` names, as shown.
///
/// `None`: nothing unseen (or an undone merge, a merge from before `seen:` was kept, a
/// record no longer merged there, a staying record gone itself). Else the changes to
/// make, and the merge row's `seen:` of the record brought up to date (written with them,
/// so that nothing is carried twice; a later removal on the staying record stays).
pub fn carry_over(
    merge_id: Uuid,
    merge: &Fields,
    merged: Record,
    staying: Record,
) -> Option<(Vec<Retargeted>, Write)> {
    let field = format!("{SEEN_PREFIX}{}", merged.id);
    let seen = merge.get(&field)?.value.as_object()?;
    if value_of(merge, "undone") == &Value::Bool(true)
        || merged_target(merged.fields.get(MERGED_INTO).map(|s| &s.value)) != Some(staying.id)
        || is_gone(&staying)
    {
        return None;
    }
    let unseen: Vec<(&String, &crate::sync::FieldState)> = merged
        .fields
        .iter()
        .filter(|(name, state)| {
            field_rule(name) != FieldRule::Keep && !was_seen(seen, name, &state.hlc)
        })
        .collect();
    if unseen.is_empty() {
        return None;
    }
    let carried = unseen
        .into_iter()
        .filter_map(|(name, state)| {
            retarget(
                Entity::Contact,
                merged.id,
                name,
                &state.value,
                &state.hlc,
                Some(merged.fields),
                Some(staying),
            )
        })
        .collect();
    let seen = Write::new(Entity::Merge, merge_id, &field, seen_of(merged.fields));
    Some((carried, seen))
}

/// What another merge into the same record took back of this merge's united lists.
///
/// Two devices merging different records into one record at once each write its phones,
/// e-mails and tags whole, and the later write (last writer wins) leaves out what the
/// other merge added. The device of the merge left out, after the pull that brings the
/// other, unites them again: where the staying record's list is the one another merge
/// wrote (`others`: the other merge rows naming the same staying record), and that merge
/// read the staying record's list from before this one wrote it (its `seen:` of the
/// staying record is older than this merge's `after.`: it had not seen it). Each other
/// merge is looked at once, when its write of the staying record is here (`united:<other
/// id>` on this merge's row, with the lists or without): a phone the user takes off
/// afterwards stays off. A list the user changed since is no merge's, and a merge made
/// after this one was seen (over a list the user had changed) is not concurrent: both are
/// left as they are.
pub fn lost_to_merges(
    merge_id: Uuid,
    merge: &Fields,
    staying: Record,
    others: &[(Uuid, &Fields)],
) -> (Vec<Retargeted>, Vec<Write>) {
    let undone = |row: &Fields| value_of(row, "undone") == &Value::Bool(true);
    if undone(merge)
        || is_gone(&staying)
        || value_of(merge, "record_id").as_str() != Some(staying.id.to_string().as_str())
    {
        return (Vec::new(), Vec::new());
    }
    let united_with =
        |other: &Uuid| value_of(merge, &format!("{UNITED_PREFIX}{other}")) == &Value::Bool(true);
    let mut marks: Vec<Write> = Vec::new();
    let list = |field: &str, value: &Value| -> Fields {
        [(
            field.to_owned(),
            crate::sync::FieldState {
                value: value.clone(),
                hlc: String::new(),
            },
        )]
        .into_iter()
        .collect()
    };
    let seen_key = format!("{SEEN_PREFIX}{}", staying.id);
    // Our united lists: (field, our `after.` as a one-field record, its HLC).
    let ours: Vec<(&str, Fields, &str)> = merge
        .iter()
        .filter_map(|(name, state)| {
            let field = name.strip_prefix(AFTER_PREFIX)?;
            (field_rule(field) == FieldRule::Unite && state.value.is_array())
                .then(|| (field, list(field, &state.value), state.hlc.as_str()))
        })
        .collect();
    let mut to_unite: Vec<usize> = Vec::new();
    for (other_id, other) in others {
        if united_with(other_id) || undone(other) {
            continue;
        }
        let seen = other.get(&seen_key).and_then(|s| s.value.as_object());
        let mut decided = true;
        for (n, (field, after, hlc)) in ours.iter().enumerate() {
            let theirs_name = format!("{AFTER_PREFIX}{field}");
            let Some(theirs) = other.get(&theirs_name) else {
                continue;
            };
            // Its write of the staying record comes after its row's: not here yet, not
            // decided yet.
            if hlc_of(staying.fields, field) < theirs.hlc.as_str() {
                decided = false;
                continue;
            }
            let holds_ours = |value: &Value| {
                let theirs = list(field, value);
                let records = [
                    Record {
                        id: staying.id,
                        fields: &theirs,
                    },
                    Record {
                        id: staying.id,
                        fields: after,
                    },
                ];
                united(&records, field).is_ok_and(|all| same_value(&all, value))
            };
            let current = value_of(staying.fields, field);
            let concurrent = seen.is_some_and(|seen| !was_seen_after(seen, field, hlc));
            if concurrent
                && same_value(&theirs.value, current)
                && !holds_ours(value_of(other, &format!("{BEFORE_PREFIX}{field}")))
                && !holds_ours(current)
                && !to_unite.contains(&n)
            {
                to_unite.push(n);
            }
        }
        // Looked at once: a list the user changes afterwards is theirs.
        if decided {
            marks.push(Write::new(
                Entity::Merge,
                merge_id,
                format!("{UNITED_PREFIX}{other_id}"),
                Value::Bool(true),
            ));
        }
    }
    let mut carried = Vec::new();
    to_unite.sort_unstable();
    for n in to_unite {
        let (field, after, _) = &ours[n];
        let records = [
            staying,
            Record {
                id: staying.id,
                fields: after,
            },
        ];
        if let Ok(value) = united(&records, field) {
            carried.push(Retargeted {
                entity: Entity::Contact,
                id: staying.id,
                field: (*field).to_owned(),
                value,
            });
        }
    }
    (carried, marks)
}

/// The merged records a merge row names.
pub fn merged_ids(merge: &Fields) -> Vec<Uuid> {
    value_of(merge, "merged_ids")
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .filter_map(|id| Uuid::parse_str(id).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The staying record's fields a merge row lists as changed, with the values before and
/// after (for the timeline).
pub fn changes_of(merge: &Fields) -> Map<String, Value> {
    merge
        .iter()
        .filter_map(|(name, state)| {
            let field = name.strip_prefix(AFTER_PREFIX)?;
            Some((field.to_owned(), state.value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
