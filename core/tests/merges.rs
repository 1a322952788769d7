//! Two devices merge overlapping records at the same time, each from its own view, with
//! core's real merge plan, the server's refusal of what a merge took away (`PushMerges`)
//! and the device's `retarget` of what was refused, in either arrival order: at the end
//! both devices show what the server holds, no record is merged into itself through a
//! loop, every merged record is in the trash, and every merge chain and task ends at a
//! record that is neither merged nor in the trash — a task where its own record ended.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use minicrm_core::combine::{
    self, Linked, MERGED_INTO, MergeRequest, PushMerges, Record, Write, by_row,
};
use minicrm_core::merge::{Fields, apply_write};
use minicrm_core::schema::Entity;
use minicrm_core::sync::FieldState;
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

type Rows = BTreeMap<(Entity, Uuid), Fields>;

const CONTACTS: u128 = 4;
const TASKS: u128 = 3;

fn contact(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

fn task(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0001_0000 + n)
}

fn value<'f>(fields: Option<&'f Fields>, field: &str) -> Option<&'f Value> {
    fields?
        .get(field)
        .map(|state| &state.value)
        .filter(|v| !v.is_null())
}

struct Server {
    rows: Rows,
}

impl Server {
    /// One push: each change refused (naming the record it belongs on) or applied, last
    /// writer wins.
    fn push(&mut self, changes: &[(Write, String)]) -> Vec<(Write, String, Uuid)> {
        let mut merges = PushMerges::default();
        let mut refused = Vec::new();
        for (write, hlc) in changes {
            let own = value(self.rows.get(&(Entity::Contact, write.id)), MERGED_INTO).cloned();
            let target = match write.value.as_str().and_then(|v| Uuid::parse_str(v).ok()) {
                Some(to) if combine::points_at_record(write.entity, &write.field) => {
                    value(self.rows.get(&(Entity::Contact, to)), MERGED_INTO).cloned()
                }
                _ => None,
            };
            let own = if write.entity == Entity::Contact {
                own
            } else {
                None
            };
            if let Some(staying) = merges.refuses(
                write.entity,
                &write.id.to_string(),
                &write.field,
                &write.value,
                own.as_ref(),
                target.as_ref(),
            ) {
                refused.push((write.clone(), hlc.clone(), staying));
                continue;
            }
            let row = self.rows.entry((write.entity, write.id)).or_default();
            apply_write(
                row,
                &write.field,
                FieldState {
                    value: write.value.clone(),
                    hlc: hlc.clone(),
                },
            );
        }
        refused
    }
}

struct Device {
    name: &'static str,
    clock: u64,
    view: Rows,
    outbox: Vec<(Write, String)>,
    refused: Vec<(Write, String, Uuid)>,
    /// The merges this device made.
    merges: Vec<Uuid>,
}

impl Device {
    fn write(&mut self, writes: Vec<Write>) {
        // Row by row, as the device writes a plan (one edit per row).
        for (entity, id, changes) in by_row(writes) {
            for (field, value) in changes {
                self.clock += 1;
                let hlc = format!(
                    "{:016}-0000-{}",
                    1_800_000_000_000u64 + self.clock,
                    self.name
                );
                let row = self.view.entry((entity, id)).or_default();
                apply_write(
                    row,
                    &field,
                    FieldState {
                        value: value.clone(),
                        hlc: hlc.clone(),
                    },
                );
                self.outbox.push((
                    Write {
                        entity,
                        id,
                        field,
                        value,
                    },
                    hlc,
                ));
            }
        }
    }

    fn push(&mut self, server: &mut Server) {
        let sent = std::mem::take(&mut self.outbox);
        self.refused.extend(server.push(&sent));
    }

    /// The server's rows, the clock past every HLC in them (as the device's clock observes
    /// a pull's).
    fn pull(&mut self, server: &Server) {
        self.view = server.rows.clone();
        let latest = self
            .view
            .values()
            .flat_map(|fields| fields.values())
            .filter_map(|state| state.hlc.get(..16)?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        self.clock = self.clock.max(latest.saturating_sub(1_800_000_000_000));
    }

    /// The refused changes made again where they belong, one after the other, each from
    /// the view as the ones before it left it (as the device's transaction plans them).
    fn retarget(&mut self) {
        for (write, hlc, staying) in std::mem::take(&mut self.refused) {
            let row = self.view.get(&(write.entity, write.id)).cloned();
            let staying_fields = self.view.get(&(Entity::Contact, staying)).cloned();
            let record = staying_fields.as_ref().map(|fields| Record {
                id: staying,
                fields,
            });
            if let Some(r) = combine::retarget(
                write.entity,
                write.id,
                &write.field,
                &write.value,
                &hlc,
                row.as_ref(),
                record,
            ) {
                self.write(vec![Write {
                    entity: r.entity,
                    id: r.id,
                    field: r.field,
                    value: r.value,
                }]);
            }
        }
    }

    /// What this device's merges did not see of their merged records, carried to the
    /// records they stay in, record by record from the view as the one before left it.
    fn carry_over(&mut self) {
        for merge_id in self.merges.clone() {
            let Some(merge) = self.view.get(&(Entity::Merge, merge_id)).cloned() else {
                continue;
            };
            for merged in combine::merged_ids(&merge) {
                let merge = self.view[&(Entity::Merge, merge_id)].clone();
                let Some(fields) = self.view.get(&(Entity::Contact, merged)).cloned() else {
                    continue;
                };
                let Some(staying) = value(Some(&fields), MERGED_INTO)
                    .and_then(Value::as_str)
                    .and_then(|id| Uuid::parse_str(id).ok())
                else {
                    continue;
                };
                let Some(staying_fields) = self.view.get(&(Entity::Contact, staying)).cloned()
                else {
                    continue;
                };
                let Some((carried, seen)) = combine::carry_over(
                    merge_id,
                    &merge,
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
                let mut writes: Vec<Write> = carried
                    .into_iter()
                    .map(|r| Write {
                        entity: r.entity,
                        id: r.id,
                        field: r.field,
                        value: r.value,
                    })
                    .collect();
                writes.push(seen);
                self.write(writes);
            }
        }
    }

    /// What another merge into the same record took back of this device's merges' lists,
    /// united again.
    fn lost_to_merges(&mut self) {
        for merge_id in self.merges.clone() {
            let Some(merge) = self.view.get(&(Entity::Merge, merge_id)).cloned() else {
                continue;
            };
            let Some(staying) = value(Some(&merge), "record_id")
                .and_then(Value::as_str)
                .and_then(|id| Uuid::parse_str(id).ok())
            else {
                continue;
            };
            let Some(staying_fields) = self.view.get(&(Entity::Contact, staying)).cloned() else {
                continue;
            };
            let others: Vec<(Uuid, &Fields)> = self
                .view
                .iter()
                .filter(|((entity, id), fields)| {
                    *entity == Entity::Merge
                        && *id != merge_id
                        && value(Some(fields), "record_id") == value(Some(&merge), "record_id")
                })
                .map(|((_, id), fields)| (*id, fields))
                .collect();
            let (carried, marks) = combine::lost_to_merges(
                merge_id,
                &merge,
                Record {
                    id: staying,
                    fields: &staying_fields,
                },
                &others,
            );
            let mut writes: Vec<Write> = carried
                .into_iter()
                .map(|r| Write {
                    entity: r.entity,
                    id: r.id,
                    field: r.field,
                    value: r.value,
                })
                .collect();
            writes.extend(marks);
            self.write(writes);
        }
    }

    /// Merges `members` into `staying` as this device sees them.
    fn merge(&mut self, staying: Uuid, members: &[Uuid], merge_id: Uuid) {
        let view = self.view.clone();
        let record = |id: Uuid| Record {
            id,
            fields: &view[&(Entity::Contact, id)],
        };
        let merged: Vec<Uuid> = members.iter().copied().filter(|m| *m != staying).collect();
        let linked: Vec<Linked> = view
            .iter()
            .filter_map(|((entity, id), fields)| {
                let pointer = combine::pointer_field(*entity)?;
                let to = value(Some(fields), pointer)?.as_str()?;
                let to = Uuid::parse_str(to).ok()?;
                merged.contains(&to).then_some(Linked {
                    entity: *entity,
                    id: *id,
                    points_to: to,
                })
            })
            .collect();
        let request = MergeRequest {
            merge_id,
            staying: record(staying),
            merged: merged.iter().map(|id| record(*id)).collect(),
            choices: BTreeMap::new(),
            linked,
            user_id: Uuid::from_u128(70),
            at: "2026-12-02T10:00:00Z".into(),
        };
        let writes = combine::plan_merge(&request).expect("a merge of live records");
        self.merges.push(merge_id);
        self.write(writes);
    }
}

/// Where a record ends, following `merged_into`; `None` for a loop.
fn end_of(rows: &Rows, start: Uuid) -> Option<Uuid> {
    let mut at = start;
    for _ in 0..=CONTACTS {
        match value(rows.get(&(Entity::Contact, at)), MERGED_INTO).and_then(Value::as_str) {
            Some(next) => at = Uuid::parse_str(next).unwrap(),
            None => return Some(at),
        }
    }
    None
}

fn base(phones: &[u8], tasks: &[u128]) -> Rows {
    let mut rows = Rows::new();
    let at = |v: Value| FieldState {
        value: v,
        hlc: "0001700000000000-0000-seed".into(),
    };
    for n in 1..=CONTACTS {
        let mut fields = Fields::new();
        fields.insert("kind".into(), at(json!("person")));
        fields.insert("last_name".into(), at(json!(format!("Nowak {n}"))));
        let number = format!("+4860111100{}", phones[n as usize - 1]);
        fields.insert(
            "phones".into(),
            at(json!([
                { "type": "mobile", "number": number },
                { "type": "work", "number": own_phone(n) }
            ])),
        );
        rows.insert((Entity::Contact, contact(n)), fields);
    }
    for (n, to) in tasks.iter().enumerate() {
        let mut fields = Fields::new();
        fields.insert("title".into(), at(json!(format!("Task {n}"))));
        fields.insert("record_id".into(), at(json!(contact(*to).to_string())));
        rows.insert((Entity::Task, task(n as u128)), fields);
    }
    rows
}

/// A phone only contact `n` has.
fn own_phone(n: u128) -> String {
    format!("+4822333000{n}")
}

/// A merge: its members (two or three of the contacts) and which of them stays.
fn merge_strategy() -> impl Strategy<Value = (Vec<Uuid>, Uuid)> {
    prop::sample::subsequence((1..=CONTACTS).collect::<Vec<_>>(), 2..=3).prop_flat_map(|members| {
        let ids: Vec<Uuid> = members.iter().map(|n| contact(*n)).collect();
        (Just(ids.clone()), prop::sample::select(ids))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn overlapping_merges_on_two_devices_converge_without_loops(
        phones in prop::collection::vec(0u8..6, CONTACTS as usize),
        tasks in prop::collection::vec(1..=CONTACTS, TASKS as usize),
        (a_members, a_staying) in merge_strategy(),
        (b_members, b_staying) in merge_strategy(),
        a_first in any::<bool>(),
        a_later in any::<bool>(),
    ) {
        let mut server = Server { rows: base(&phones, &tasks) };
        let mut devices = [
            Device { name: "a", clock: 0, view: server.rows.clone(), outbox: Vec::new(), refused: Vec::new(), merges: Vec::new() },
            Device { name: "b", clock: 0, view: server.rows.clone(), outbox: Vec::new(), refused: Vec::new(), merges: Vec::new() },
        ];
        // Either device's merge may be the later one by the clock, and either may arrive first.
        devices[0].clock = if a_later { 1_000 } else { 0 };
        devices[1].clock = if a_later { 0 } else { 1_000 };
        devices[0].merge(a_staying, &a_members, Uuid::from_u128(50));
        devices[1].merge(b_staying, &b_members, Uuid::from_u128(51));
        let order = if a_first { [0, 1] } else { [1, 0] };
        for i in order {
            devices[i].push(&mut server);
        }
        // Each device hears of the other's merge, makes again what was refused, and so on.
        for _ in 0..6 {
            for i in order {
                devices[i].pull(&server);
                devices[i].retarget();
                devices[i].carry_over();
                devices[i].lost_to_merges();
                devices[i].push(&mut server);
            }
        }
        for device in &mut devices {
            prop_assert!(device.outbox.is_empty() && device.refused.is_empty(), "{} settled", device.name);
            device.pull(&server);
        }
        prop_assert_eq!(&devices[0].view, &server.rows);
        prop_assert_eq!(&devices[1].view, &server.rows);

        let rows = &server.rows;
        let live = |id: Uuid| {
            let fields = rows.get(&(Entity::Contact, id));
            value(fields, "deleted") != Some(&json!(true)) && value(fields, MERGED_INTO).is_none()
        };
        for n in 1..=CONTACTS {
            let id = contact(n);
            let end = end_of(rows, id);
            prop_assert!(end.is_some(), "no loop through {}", n);
            prop_assert!(live(end.unwrap()), "the chain from {} ends at a live record", n);
            if value(rows.get(&(Entity::Contact, id)), MERGED_INTO).is_some() {
                prop_assert_eq!(value(rows.get(&(Entity::Contact, id)), "deleted"), Some(&json!(true)));
            }
        }
        // Nothing is lost: every record's phones are on the record its chain ends at (a
        // merge that did not see another's united lists carries them over).
        let holds = |rows: &Rows, id: Uuid, number: &str| {
            value(rows.get(&(Entity::Contact, id)), "phones")
                .and_then(Value::as_array)
                .is_some_and(|list| list.iter().any(|p| p["number"] == json!(number)))
        };
        for n in 1..=CONTACTS {
            let end = end_of(rows, contact(n)).unwrap();
            let shared = format!("+4860111100{}", phones[n as usize - 1]);
            prop_assert!(holds(rows, end, &shared), "the phone of {} is on {}", n, end);
            prop_assert!(holds(rows, end, &own_phone(n)), "the own phone of {} is on {}", n, end);
        }
        for (n, first) in tasks.iter().enumerate() {
            let to = value(rows.get(&(Entity::Task, task(n as u128))), "record_id").and_then(Value::as_str).unwrap();
            let end = end_of(rows, Uuid::parse_str(to).unwrap());
            prop_assert!(end.is_some_and(live), "task {} reaches a live record", n);
            // Where its own record ended: the one customer its record became.
            prop_assert_eq!(end, end_of(rows, contact(*first)), "task {} with its customer", n);
        }
        // A phone then taken off a record that stays stays off, whatever the devices'
        // carry-over does at their next syncs.
        let rows_now = server.rows.clone();
        let kept = end_of(&rows_now, contact(1)).unwrap();
        let list = value(rows_now.get(&(Entity::Contact, kept)), "phones")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if list.len() >= 2 {
            let removed = list[list.len() - 1]["number"].as_str().unwrap().to_owned();
            devices[0].write(vec![Write {
                entity: Entity::Contact,
                id: kept,
                field: "phones".into(),
                value: Value::Array(list[..list.len() - 1].to_vec()),
            }]);
            for _ in 0..3 {
                for i in order {
                    devices[i].push(&mut server);
                    devices[i].pull(&server);
                    devices[i].retarget();
                    devices[i].carry_over();
                    devices[i].lost_to_merges();
                    devices[i].push(&mut server);
                }
            }
            prop_assert!(!holds(&server.rows, kept, &removed), "{} stays off {}", removed, kept);
        }
    }
}
