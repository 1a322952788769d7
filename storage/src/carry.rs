//! What a user's merges did not see, carried to the records they stay in, after a pull
//! (core's `carry_over` and `lost_to_merges`).

use std::cell::Cell;
use std::collections::HashMap;

use minicrm_core::combine::{self, MERGED_INTO, Record, Retargeted};
use minicrm_core::merge::Fields;
use minicrm_core::sync::FieldState;
use serde_json::Value;
use uuid::Uuid;

use super::rows::StoredRow;
use super::{Storage, StorageError};

const MERGE: &str = "merge";
const CONTACT: &str = "contact";
/// The user's merges looked at after a pull at most (the newest).
const MOST_MERGES: usize = 200;

/// One row's planned writes, and the HLCs of its fields they were planned over.
struct Planned {
    entity: &'static str,
    id: Uuid,
    changes: Vec<(String, Value)>,
    /// The fields' HLCs as read (a write landing meanwhile: the row is not written).
    read: Vec<(String, String)>,
    /// The merges this row's writes are for (their `seen:` written only with all of them).
    merges: Vec<usize>,
}

/// A merge's `seen:` marks to write: the merge (its index), its row's id, the marks.
type Marks = (usize, Uuid, Vec<(String, Value)>);

fn hlc_of(fields: &Fields, field: &str) -> String {
    fields
        .get(field)
        .map(|state| state.hlc.clone())
        .unwrap_or_default()
}

fn id_of(fields: &Fields, field: &str) -> Option<Uuid> {
    fields
        .get(field)
        .and_then(|state| state.value.as_str())
        .and_then(|id| Uuid::parse_str(id).ok())
}

impl Storage {
    /// Makes again on the records that stay what `user_id`'s merges did not see of the
    /// records they merged (a write another device made to one before the merge reached
    /// the server) and what another merge into the same record took back of their lists,
    /// where `may_write` allows; with each, the merge's `seen:` of the record, so nothing is
    /// carried twice. Planned from the rows as stored after the pull, written in one
    /// transaction that leaves a row alone when a field it plans over changed meanwhile
    /// (the next sync plans again). How many fields were written on the records that stay.
    pub async fn carry_over_merges(
        &self,
        user_id: &str,
        may_write: impl Fn(&StoredRow, &str, &Value) -> bool,
        now_ms: u64,
    ) -> Result<usize, StorageError> {
        let merges: Vec<(Uuid, Fields)> = self
            .rows_of(MERGE)
            .await?
            .into_iter()
            .filter_map(|row| Some((Uuid::parse_str(&row.id).ok()?, row.shown())))
            .collect();
        let mut mine: Vec<usize> = (0..merges.len())
            .filter(|&n| {
                let merge = &merges[n].1;
                id_of(merge, "user_id").map(|id| id.to_string()).as_deref() == Some(user_id)
                    && merge.get("undone").map(|s| &s.value) != Some(&Value::Bool(true))
            })
            .collect();
        // The newest (a merge another device's writes overlap is one made while they were
        // offline, not one of years ago): a sync reads a bounded number of rows.
        let at = |n: &usize| {
            merges[*n]
                .1
                .get("at")
                .and_then(|s| s.value.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        mine.sort_by_cached_key(|n| std::cmp::Reverse(at(n)));
        mine.truncate(MOST_MERGES);
        if mine.is_empty() {
            return Ok(0);
        }
        // The merged records, then where each ended and each merge's staying record.
        let mut merged_ids: Vec<Uuid> = mine
            .iter()
            .flat_map(|&n| combine::merged_ids(&merges[n].1))
            .collect();
        merged_ids.sort();
        merged_ids.dedup();
        let mut rows: HashMap<Uuid, StoredRow> = HashMap::new();
        self.read_contacts(&merged_ids, &mut rows).await?;
        let mut staying_ids: Vec<Uuid> = merged_ids
            .iter()
            .filter_map(|id| id_of(&rows.get(id)?.shown(), MERGED_INTO))
            .chain(
                mine.iter()
                    .filter_map(|&n| id_of(&merges[n].1, "record_id")),
            )
            .filter(|id| !rows.contains_key(id))
            .collect();
        staying_ids.sort();
        staying_ids.dedup();
        self.read_contacts(&staying_ids, &mut rows).await?;

        // Planned merge by merge over a view each plan leaves as it wrote (two merged
        // records' phones carried onto one record both stay).
        let mut view: HashMap<Uuid, Fields> =
            rows.iter().map(|(id, row)| (*id, row.shown())).collect();
        let mut planned: Vec<Planned> = Vec::new();
        let mut seen: Vec<Marks> = Vec::new();
        let refused = Cell::new(false);
        let apply = |view: &mut HashMap<Uuid, Fields>,
                     planned: &mut Vec<Planned>,
                     merge: usize,
                     carried: Vec<Retargeted>,
                     hlc_from: &dyn Fn(&str) -> String| {
            for write in carried {
                let Some(row) = rows.get(&write.id) else {
                    continue;
                };
                if !may_write(row, &write.field, &write.value) {
                    // Not made, and not marked as seen: a later sync looks again.
                    refused.set(true);
                    continue;
                }
                let fields = view.entry(write.id).or_default();
                let read = (write.field.clone(), hlc_of(&row.shown(), &write.field));
                fields.insert(
                    write.field.clone(),
                    FieldState {
                        value: write.value.clone(),
                        hlc: hlc_from(&write.field),
                    },
                );
                planned.push(Planned {
                    entity: CONTACT,
                    id: write.id,
                    changes: vec![(write.field, write.value)],
                    read: vec![read],
                    merges: vec![merge],
                });
            }
        };
        for &n in &mine {
            let (merge_id, merge) = (&merges[n].0, &merges[n].1);
            for merged in combine::merged_ids(merge) {
                let Some(fields) = view.get(&merged).cloned() else {
                    continue;
                };
                let Some(staying) = id_of(&fields, MERGED_INTO) else {
                    continue;
                };
                let Some(staying_fields) = view.get(&staying).cloned() else {
                    continue;
                };
                let Some((carried, mark)) = combine::carry_over(
                    *merge_id,
                    merge,
                    Record {
                        id: merged,
                        fields: &fields,
                    },
                    Record {
                        id: staying,
                        fields: &staying_fields,
                    },
                ) else {
                    continue;
                };
                // (A carried value keeps its own write's HLC in the view: two merged
                // records' values of one field, the later one last.)
                let from = |field: &str| hlc_of(&fields, field);
                refused.set(false);
                apply(&mut view, &mut planned, n, carried, &from);
                if refused.get() {
                    continue;
                }
                match seen.iter_mut().find(|(m, _, _)| *m == n) {
                    Some((_, _, marks)) => marks.push((mark.field, mark.value)),
                    None => seen.push((n, *merge_id, vec![(mark.field, mark.value)])),
                }
            }
            let Some(staying) = id_of(merge, "record_id") else {
                continue;
            };
            let Some(staying_fields) = view.get(&staying).cloned() else {
                continue;
            };
            let others: Vec<&Fields> = merges
                .iter()
                .filter(|(id, other)| id != merge_id && id_of(other, "record_id") == Some(staying))
                .map(|(_, other)| other)
                .collect();
            let carried = combine::lost_to_merges(
                merge,
                Record {
                    id: staying,
                    fields: &staying_fields,
                },
                &others,
            );
            let none = |_: &str| String::new();
            apply(&mut view, &mut planned, n, carried, &none);
        }
        if planned.is_empty() && seen.is_empty() {
            return Ok(0);
        }

        // One row's writes together, the merges' marks after them.
        let mut rows_planned: Vec<Planned> = Vec::new();
        for plan in planned {
            match rows_planned.iter_mut().find(|p| p.id == plan.id) {
                Some(row) => {
                    for merge in plan.merges {
                        if !row.merges.contains(&merge) {
                            row.merges.push(merge);
                        }
                    }
                    for (field, value) in plan.changes {
                        row.changes.retain(|(f, _)| *f != field);
                        row.changes.push((field, value));
                    }
                    for read in plan.read {
                        if !row.read.iter().any(|(f, _)| *f == read.0) {
                            row.read.push(read);
                        }
                    }
                }
                None => rows_planned.push(plan),
            }
        }
        let carried_rows = rows_planned.len();
        for (merge, id, changes) in seen {
            rows_planned.push(Planned {
                entity: MERGE,
                id,
                changes,
                read: Vec::new(),
                merges: vec![merge],
            });
        }
        let keys: Vec<(String, String)> = rows_planned
            .iter()
            .map(|p| (p.entity.to_owned(), p.id.to_string()))
            .collect();
        // A merge whose carried writes were not all made keeps its marks as they were.
        let held_back: Vec<Cell<bool>> = (0..merges.len()).map(|_| Cell::new(false)).collect();
        let written = Cell::new(0usize);
        self.write_planned(
            &keys,
            |index, current| {
                let plan = &rows_planned[index];
                if index >= carried_rows {
                    return if plan.merges.iter().any(|&m| held_back[m].get()) {
                        Vec::new()
                    } else {
                        plan.changes.clone()
                    };
                }
                let now = current.map(StoredRow::shown).unwrap_or_default();
                if plan
                    .read
                    .iter()
                    .any(|(field, hlc)| hlc_of(&now, field) != *hlc)
                {
                    plan.merges.iter().for_each(|&m| held_back[m].set(true));
                    return Vec::new();
                }
                written.set(written.get() + plan.changes.len());
                plan.changes.clone()
            },
            || None,
            None,
            None,
            now_ms,
        )
        .await?;
        Ok(written.get())
    }

    /// The contacts `ids` as stored, into `rows`.
    async fn read_contacts(
        &self,
        ids: &[Uuid],
        rows: &mut HashMap<Uuid, StoredRow>,
    ) -> Result<(), StorageError> {
        let keys: Vec<(String, String)> = ids
            .iter()
            .map(|id| (CONTACT.to_owned(), id.to_string()))
            .collect();
        for (id, row) in ids.iter().zip(self.rows_by_keys(&keys).await?) {
            if let Some(row) = row {
                rows.insert(*id, row);
            }
        }
        Ok(())
    }
}
