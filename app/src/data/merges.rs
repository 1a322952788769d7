//! Merging records and undoing a merge on the device: the rows read whole from IndexedDB,
//! core's plan (`combine`) checked against core's access rule for every write, and the
//! writes made in one transaction through the outbox (they sync like any edit).

use minicrm_core::access::{Actor, RowScope};
use minicrm_core::api::User;
use minicrm_core::combine::{
    self, Linked, MERGE_MARK_PREFIX, MergeError, MergeRequest, Moved, Record, Write,
};
use minicrm_core::merge::Fields;
use minicrm_core::schema::Entity;
use std::collections::BTreeMap;
use uuid::Uuid;

use super::{CONTACT, Index, Replica};
use crate::state::now::rfc3339;
use crate::storage::Storage;
use crate::storage::rows::RowEdit;
use crate::t;

/// The `merge` rows (kept whole in the replica: one per merge).
pub const MERGE: &str = "merge";

/// Records as stored on the device, shown values, in the order asked; `Err` names a
/// record the device does not hold.
pub async fn read_records(ids: &[Uuid]) -> Result<Vec<(Uuid, Fields)>, String> {
    let storage = Storage::shared().await.map_err(|err| err.to_string())?;
    let keys: Vec<(String, String)> = ids
        .iter()
        .map(|id| (CONTACT.to_owned(), id.to_string()))
        .collect();
    let rows = storage
        .rows_by_keys(&keys)
        .await
        .map_err(|err| err.to_string())?;
    ids.iter()
        .zip(rows)
        .map(|(id, row)| {
            row.map(|row| (*id, row.shown()))
                .ok_or_else(|| t!("merge-missing", id = id.to_string()))
        })
        .collect()
}

/// A row's scope as the server decides it: a contact's owner; a task's, activity's or
/// merge's record's owner.
fn scope_of(index: &Index, entity: Entity, id: Uuid) -> RowScope {
    let owner_of = |record: Option<Uuid>| RowScope::Owned {
        owner: record
            .and_then(|record| index.contact(&record))
            .and_then(|contact| contact.owner_id)
            .map(|owner| owner.to_string()),
    };
    match entity {
        Entity::Contact => owner_of(Some(id)),
        Entity::Task => owner_of(index.tasks().find(|t| t.id == id).and_then(|t| t.record_id)),
        Entity::Activity => owner_of(
            index
                .activities()
                .find(|a| a.id == id)
                .and_then(|a| a.record_id),
        ),
        Entity::Merge => owner_of(
            index
                .row(MERGE, &id.to_string())
                .and_then(|row| Uuid::parse_str(row.str("record_id")).ok()),
        ),
        _ => RowScope::Everyone,
    }
}

/// Every row pointing at one of `records`: their tasks and activities, and the people of
/// the companies among them.
fn linked_to(index: &Index, records: &[Uuid]) -> Vec<Linked> {
    let to = |record: Option<Uuid>| record.filter(|r| records.contains(r));
    let mut linked: Vec<Linked> = Vec::new();
    for task in index.tasks() {
        if let Some(points_to) = to(task.record_id) {
            linked.push(Linked {
                entity: Entity::Task,
                id: task.id,
                points_to,
            });
        }
    }
    for activity in index.activities() {
        if let Some(points_to) = to(activity.record_id) {
            linked.push(Linked {
                entity: Entity::Activity,
                id: activity.id,
                points_to,
            });
        }
    }
    // (A person in the trash, merged into someone else perhaps, is left where it is.)
    for person in index.contacts().iter().filter(|c| !c.deleted) {
        if let Some(points_to) = to(person.organization_id) {
            linked.push(Linked {
                entity: Entity::Contact,
                id: person.id,
                points_to,
            });
        }
    }
    linked
}

/// What a merge would move: tasks, activities and people of the merged records.
pub fn linked_counts(index: &Index, merged: &[Uuid]) -> (usize, usize, usize) {
    let linked = linked_to(index, merged);
    let count = |entity: Entity| linked.iter().filter(|l| l.entity == entity).count();
    (
        count(Entity::Task),
        count(Entity::Activity),
        count(Entity::Contact),
    )
}

/// A merge's or an undo's refusal in the user's words.
pub fn merge_error(err: MergeError) -> String {
    match err {
        MergeError::Count(n) => t!(
            "merge-count",
            count = n.to_string(),
            most = combine::MAX_RECORDS.to_string()
        ),
        MergeError::Repeated(_) => t!("merge-repeated"),
        MergeError::Gone(id) => t!("merge-gone", id = id.to_string()),
        MergeError::NotInMerge(_) => t!("merge-changed"),
        MergeError::TooMany(field) => t!("merge-too-many", field = field),
        MergeError::Undone => t!("merge-undone-already"),
        MergeError::NotArrived(_) => t!("merge-not-arrived"),
    }
}

/// Checks the plan against core's access rule and writes it in one transaction.
async fn write_plan(replica: Replica, user: &User, writes: Vec<Write>) -> Result<(), String> {
    let actor = Actor::from(user);
    replica
        .with_untracked(|index| {
            combine::check_plan(&actor, &writes, |entity, id| scope_of(index, entity, id))
        })
        .map_err(|(_, why)| t!("merge-forbidden", message = why))?;
    let edits: Vec<RowEdit> = combine::by_row(writes)
        .into_iter()
        .map(|(entity, id, changes)| RowEdit {
            entity: entity.as_str().to_owned(),
            id: id.to_string(),
            changes,
        })
        .collect();
    replica
        .write_many(edits)
        .await
        .map_err(|err| t!("merge-failed", message = err.to_string()))
}

/// Merges `merged` into `staying` with the user's `choices` (the defaults where absent),
/// reading every record again first (a sync may have changed them since the screen
/// showed them). Returns the merge's id.
pub async fn merge(
    replica: Replica,
    user: &User,
    staying: Uuid,
    merged: &[Uuid],
    choices: BTreeMap<String, Uuid>,
) -> Result<Uuid, String> {
    let mut ids = vec![staying];
    ids.extend_from_slice(merged);
    let rows = read_records(&ids).await?;
    let linked = replica.with_untracked(|index| linked_to(index, merged));
    let records: Vec<Record> = rows
        .iter()
        .map(|(id, fields)| Record { id: *id, fields })
        .collect();
    let merge_id = Uuid::now_v7();
    let request = MergeRequest {
        merge_id,
        staying: records[0],
        merged: records[1..].to_vec(),
        // A choice for a field that no longer differs names a value the plan ignores.
        choices,
        linked,
        user_id: user.id.0,
        at: rfc3339(js_sys::Date::now() as i64),
    };
    let writes = combine::plan_merge(&request).map_err(merge_error)?;
    write_plan(replica, user, writes).await?;
    Ok(merge_id)
}

/// Undoes the merge `merge_id`; returns the staying record's fields kept because they
/// changed since.
pub async fn undo(replica: Replica, user: &User, merge_id: Uuid) -> Result<Vec<String>, String> {
    let storage = Storage::shared().await.map_err(|err| err.to_string())?;
    let merge_row = storage
        .row(MERGE, &merge_id.to_string())
        .await
        .map_err(|err| err.to_string())?
        .ok_or_else(|| t!("merge-missing", id = merge_id.to_string()))?;
    let merge = merge_row.shown();
    let staying_id = merge
        .get("record_id")
        .and_then(|s| s.value.as_str())
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| t!("merge-missing", id = merge_id.to_string()))?;
    let merged_ids = combine::merged_ids(&merge);
    let staying = read_records(&[staying_id]).await?;
    // A merged record no longer on the device is left out: the plan refuses then.
    let keys: Vec<(String, String)> = merged_ids
        .iter()
        .map(|id| (CONTACT.to_owned(), id.to_string()))
        .collect();
    let merged: Vec<(Uuid, Fields)> = storage
        .rows_by_keys(&keys)
        .await
        .map_err(|err| err.to_string())?
        .into_iter()
        .flatten()
        .filter_map(|row| Some((Uuid::parse_str(&row.id).ok()?, row.shown())))
        .collect();
    // Rows the merge moved point at the staying record now (unless moved on since, and
    // then they only carry the mark): read the candidates whole, keep those marked.
    let candidates: Vec<(String, String)> = replica.with_untracked(|index| {
        linked_to(index, &[staying_id])
            .into_iter()
            .map(|l| (l.entity.as_str().to_owned(), l.id.to_string()))
            .collect()
    });
    let mark = format!("{MERGE_MARK_PREFIX}{merge_id}");
    let moved_rows: Vec<(Entity, Uuid, Fields)> = storage
        .rows_by_keys(&candidates)
        .await
        .map_err(|err| err.to_string())?
        .into_iter()
        .flatten()
        .filter_map(|row| {
            let fields = row.shown();
            fields.contains_key(&mark).then_some(())?;
            Some((
                row.entity.parse::<Entity>().ok()?,
                Uuid::parse_str(&row.id).ok()?,
                fields,
            ))
        })
        .collect();
    let moved: Vec<Moved> = moved_rows
        .iter()
        .map(|(entity, id, fields)| Moved {
            entity: *entity,
            id: *id,
            fields,
        })
        .collect();
    let records: Vec<Record> = merged
        .iter()
        .map(|(id, fields)| Record { id: *id, fields })
        .collect();
    let staying = Record {
        id: staying_id,
        fields: &staying[0].1,
    };
    let plan =
        combine::plan_undo(merge_id, &merge, staying, &records, &moved).map_err(merge_error)?;
    write_plan(replica, user, plan.writes).await?;
    Ok(plan.kept)
}
