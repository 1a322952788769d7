//! What a user's merges did not see, carried to the records they stay in, after a pull
//! (core's `carry_over` and `lost_to_merges`).

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use minicrm_core::combine::{self, MERGED_INTO, Record, Retargeted};
use minicrm_core::merge::Fields;
use minicrm_core::sync::FieldState;
use serde_json::Value;
use uuid::Uuid;

use super::rows::{RowScan, StoredRow};
use super::{Storage, StorageError};

const MERGE: &str = "merge";
const CONTACT: &str = "contact";
/// The user's merges looked at after a pull at most (the newest of those the pull
/// touched).
const MOST_MERGES: usize = 200;
/// Merge rows read per slice when choosing which to look at.
const SLICE: u32 = 500;

/// What is read of every merge row to choose which to look at (the rest — what it read of
/// each record, the values before and after — only for those chosen).
fn chooses(field: &str) -> bool {
    matches!(
        field,
        "user_id" | "undone" | "at" | "merged_ids" | "record_id"
    )
}

/// One row's planned writes, and what they were planned over.
struct Planned {
    entity: &'static str,
    id: Uuid,
    changes: Vec<(String, Value)>,
    /// The fields' HLCs as read (a write landing meanwhile: the row is not written).
    read: Vec<(String, String)>,
    /// The merges these writes are for (their marks written only with all of them).
    merges: Vec<usize>,
}

/// What must still hold when the writing transaction begins, or the merge is held back
/// (the next sync plans again): the merge not undone, a merged record still merged there.
enum Check {
    NotUndone(usize),
    MergedInto(usize, Uuid),
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

fn undone(fields: &Fields) -> bool {
    fields.get("undone").map(|s| &s.value) == Some(&Value::Bool(true))
}

impl Storage {
    /// Makes again on the records that stay what `user_id`'s merges did not see of the
    /// records they merged (a write another device made to one before the merge reached
    /// the server) and what another merge into the same record took back of their lists,
    /// where `may_write` allows; with each, the merge's `seen:` of the record, so nothing is
    /// carried twice (a write the user may not make is marked seen too: it stays on the
    /// merged record, in its history). Only the merges whose records `pulled` names (the
    /// contacts a pull brought, and the records merges it brought stay in). Planned from
    /// the rows as stored after the pull, written in one transaction that leaves a merge
    /// alone when it was undone meanwhile, a merged record no longer merged there, or a
    /// field it plans over written since (the next sync plans again). How many fields were
    /// written on the records that stay.
    pub async fn carry_over_merges(
        &self,
        user_id: &str,
        pulled: &HashSet<Uuid>,
        may_write: impl Fn(&StoredRow, &str, &Value) -> bool,
        now_ms: u64,
    ) -> Result<usize, StorageError> {
        if pulled.is_empty() {
            return Ok(0);
        }
        // Every merge row, as little of it as choosing needs.
        let mut light: Vec<(Uuid, Fields)> = Vec::new();
        let mut scan = RowScan::new(self, MERGE, SLICE);
        while let Some(slice) = scan.next().await? {
            for row in slice.parsed_keeping(chooses) {
                let row = row?;
                if let Ok(id) = Uuid::parse_str(&row.id) {
                    light.push((id, row.into_shown()));
                }
            }
        }
        let mut mine: Vec<usize> = (0..light.len())
            .filter(|&n| {
                let merge = &light[n].1;
                let touched = id_of(merge, "record_id").is_some_and(|id| pulled.contains(&id))
                    || combine::merged_ids(merge)
                        .iter()
                        .any(|id| pulled.contains(id));
                id_of(merge, "user_id").map(|id| id.to_string()).as_deref() == Some(user_id)
                    && !undone(merge)
                    && touched
            })
            .collect();
        if mine.is_empty() {
            return Ok(0);
        }
        let at = |n: &usize| {
            light[*n]
                .1
                .get("at")
                .and_then(|s| s.value.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        mine.sort_by_cached_key(|n| std::cmp::Reverse(at(n)));
        mine.truncate(MOST_MERGES);
        // The chosen merges whole, and the other merges into the same records.
        let mut into: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (id, merge) in &light {
            if let Some(staying) = id_of(merge, "record_id") {
                into.entry(staying).or_default().push(*id);
            }
        }
        let mut wanted: Vec<Uuid> = mine.iter().map(|&n| light[n].0).collect();
        for &n in &mine {
            if let Some(staying) = id_of(&light[n].1, "record_id") {
                wanted.extend(into.get(&staying).into_iter().flatten().copied());
            }
        }
        wanted.sort();
        wanted.dedup();
        let whole = self.read_rows(MERGE, &wanted).await?;
        let merges: Vec<(Uuid, Fields)> = mine
            .iter()
            .filter_map(|&n| Some((light[n].0, whole.get(&light[n].0)?.shown())))
            .collect();

        // The merged records, then where each ended and each merge's staying record.
        let mut merged_ids: Vec<Uuid> = merges
            .iter()
            .flat_map(|(_, merge)| combine::merged_ids(merge))
            .collect();
        merged_ids.sort();
        merged_ids.dedup();
        let mut rows = self.read_rows(CONTACT, &merged_ids).await?;
        let mut staying_ids: Vec<Uuid> = merged_ids
            .iter()
            .filter_map(|id| id_of(&rows.get(id)?.shown(), MERGED_INTO))
            .chain(merges.iter().filter_map(|(_, m)| id_of(m, "record_id")))
            .filter(|id| !rows.contains_key(id))
            .collect();
        staying_ids.sort();
        staying_ids.dedup();
        rows.extend(self.read_rows(CONTACT, &staying_ids).await?);

        // Planned merge by merge over a view each plan leaves as it wrote (two merged
        // records' phones carried onto one record both stay).
        let mut view: HashMap<Uuid, Fields> =
            rows.iter().map(|(id, row)| (*id, row.shown())).collect();
        let mut planned: Vec<Planned> = Vec::new();
        let mut marks: Vec<Marks> = Vec::new();
        let mut checks: Vec<(&'static str, Uuid, Check)> = Vec::new();
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
        for (n, (merge_id, merge)) in merges.iter().enumerate() {
            let before = planned.len();
            let mut checked = Vec::new();
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
                apply(&mut view, &mut planned, n, carried, &from);
                checked.push((CONTACT, merged, Check::MergedInto(n, staying)));
                match marks.iter_mut().find(|(m, _, _)| *m == n) {
                    Some((_, _, list)) => list.push((mark.field, mark.value)),
                    None => marks.push((n, *merge_id, vec![(mark.field, mark.value)])),
                }
            }
            if let Some(staying) = id_of(merge, "record_id")
                && let Some(staying_fields) = view.get(&staying).cloned()
            {
                let others: Vec<(Uuid, Fields)> = into
                    .get(&staying)
                    .into_iter()
                    .flatten()
                    .filter(|id| *id != merge_id)
                    .filter_map(|id| Some((*id, whole.get(id)?.shown())))
                    .collect();
                let others: Vec<(Uuid, &Fields)> =
                    others.iter().map(|(id, fields)| (*id, fields)).collect();
                let (carried, united) = combine::lost_to_merges(
                    *merge_id,
                    merge,
                    Record {
                        id: staying,
                        fields: &staying_fields,
                    },
                    &others,
                );
                let none = |_: &str| String::new();
                apply(&mut view, &mut planned, n, carried, &none);
                if !united.is_empty() {
                    let united = united.into_iter().map(|mark| (mark.field, mark.value));
                    match marks.iter_mut().find(|(m, _, _)| *m == n) {
                        Some((_, _, list)) => list.extend(united),
                        None => marks.push((n, *merge_id, united.collect())),
                    }
                }
            }
            if planned.len() > before || marks.iter().any(|(m, _, _)| *m == n) {
                checks.push((MERGE, *merge_id, Check::NotUndone(n)));
                checks.extend(checked);
            }
        }
        if planned.is_empty() && marks.is_empty() {
            return Ok(0);
        }

        // The checks first, then one row's writes together, the merges' marks last.
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
        for (merge, id, changes) in marks {
            let Some(row) = whole.get(&id) else {
                continue;
            };
            let changes: Vec<(String, Value)> = changes
                .into_iter()
                .filter(|(field, value)| may_write(row, field, value))
                .collect();
            rows_planned.push(Planned {
                entity: MERGE,
                id,
                changes,
                read: Vec::new(),
                merges: vec![merge],
            });
        }
        let keys: Vec<(String, String)> = checks
            .iter()
            .map(|(entity, id, _)| ((*entity).to_owned(), id.to_string()))
            .chain(
                rows_planned
                    .iter()
                    .map(|p| (p.entity.to_owned(), p.id.to_string())),
            )
            .collect();
        let held_back: Vec<Cell<bool>> = (0..merges.len()).map(|_| Cell::new(false)).collect();
        let written = Cell::new(0usize);
        self.write_planned(
            &keys,
            |index, current| {
                let now = current.map(StoredRow::shown).unwrap_or_default();
                if let Some((_, _, check)) = checks.get(index) {
                    let holds = match check {
                        Check::NotUndone(_) => current.is_some() && !undone(&now),
                        Check::MergedInto(_, staying) => id_of(&now, MERGED_INTO) == Some(*staying),
                    };
                    let (Check::NotUndone(merge) | Check::MergedInto(merge, _)) = check;
                    if !holds {
                        held_back[*merge].set(true);
                    }
                    return Vec::new();
                }
                let index = index - checks.len();
                let plan = &rows_planned[index];
                if plan.merges.iter().any(|&m| held_back[m].get()) {
                    return Vec::new();
                }
                if index >= carried_rows {
                    return plan.changes.clone();
                }
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

    /// The rows of `entity` with these ids as stored.
    async fn read_rows(
        &self,
        entity: &str,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, StoredRow>, StorageError> {
        let keys: Vec<(String, String)> = ids
            .iter()
            .map(|id| (entity.to_owned(), id.to_string()))
            .collect();
        let mut rows = HashMap::new();
        for (id, row) in ids.iter().zip(self.rows_by_keys(&keys).await?) {
            if let Some(row) = row {
                rows.insert(*id, row);
            }
        }
        Ok(rows)
    }
}
