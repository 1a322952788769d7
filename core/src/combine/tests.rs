use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::merge::{apply_write, fields_at};
use crate::sync::FieldState;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

fn at(hlc: &str, values: &[(&str, Value)]) -> Fields {
    fields_at(hlc, values)
}

const OLD: &str = "0001700000000000-0000-a";
const NEWER: &str = "0001700000000500-0000-a";

/// The rows of a small base by (entity, id).
type Base = BTreeMap<(Entity, Uuid), Fields>;

/// Applies writes as a device would, each stamped after every earlier write.
fn apply(base: &mut Base, writes: &[Write], clock: &mut u64) {
    for write in writes {
        *clock += 1;
        let hlc = format!("{:016}-0000-dev", 1_800_000_000_000u64 + *clock);
        let row = base.entry((write.entity, write.id)).or_default();
        apply_write(
            row,
            &write.field,
            FieldState {
                value: write.value.clone(),
                hlc,
            },
        );
    }
}

/// A row as a user sees it: blank values, `false` flags and cleared marks are no value.
fn shown(fields: &Fields) -> BTreeMap<String, Value> {
    fields
        .iter()
        .filter(|(_, state)| !is_blank(&state.value) && state.value != Value::Bool(false))
        .map(|(name, state)| (name.clone(), state.value.clone()))
        .collect()
}

fn jan() -> Fields {
    at(
        OLD,
        &[
            ("kind", json!("person")),
            ("first_name", json!("Jan")),
            ("last_name", json!("Kowalski")),
            ("city", json!("Kraków")),
            ("emails", json!(["jan@example.com"])),
            (
                "phones",
                json!([{ "type": "mobile", "number": "+48601111222" }]),
            ),
            ("tags", json!(["vip"])),
            (&format!("segment:{}", id(90)), json!(true)),
        ],
    )
}

fn jan_again() -> Fields {
    let mut fields = at(
        OLD,
        &[
            ("kind", json!("person")),
            ("first_name", json!("Jan")),
            ("last_name", json!("Kowalsky")),
            ("city", json!("Krakow")),
            ("emails", json!(["JAN@example.com", "j.k@firma.pl"])),
            (
                "phones",
                json!([{ "type": "work", "number": "+48 22 111 22 33" }]),
            ),
            ("tags", json!(["VIP", "lead"])),
            (&format!("campaign:{}", id(91)), json!(true)),
        ],
    );
    fields.extend(at(NEWER, &[("position", json!("Director"))]));
    fields
}

fn request<'a>(
    staying: Record<'a>,
    merged: Vec<Record<'a>>,
    linked: Vec<Linked>,
) -> MergeRequest<'a> {
    MergeRequest {
        merge_id: id(50),
        staying,
        merged,
        choices: BTreeMap::new(),
        linked,
        user_id: id(70),
        at: "2026-12-02T10:00:00Z".into(),
    }
}

fn write_of(writes: &[Write], entity: Entity, row: Uuid, field: &str) -> Option<Value> {
    writes
        .iter()
        .find(|w| w.entity == entity && w.id == row && w.field == field)
        .map(|w| w.value.clone())
}

#[test]
fn fields_are_chosen_united_or_kept() {
    for (field, rule) in [
        ("first_name", FieldRule::Choose),
        ("custom.budget", FieldRule::Choose),
        ("owner_id", FieldRule::Choose),
        ("phones", FieldRule::Unite),
        ("emails", FieldRule::Unite),
        ("tags", FieldRule::Unite),
        ("segment:0190", FieldRule::Unite),
        ("campaign:0190", FieldRule::Unite),
        ("deleted", FieldRule::Keep),
        ("merged_into", FieldRule::Keep),
        ("distinct:0190", FieldRule::Unite),
        ("import:0190", FieldRule::Keep),
        ("merge:0190", FieldRule::Keep),
    ] {
        assert_eq!(field_rule(field), rule, "{field}");
    }
}

#[test]
fn defaults_take_the_staying_value_else_the_latest_filled_one() {
    let (a, b) = (jan(), jan_again());
    let mut c = at(
        OLD,
        &[("kind", json!("person")), ("position", json!("Owner"))],
    );
    c.extend(at(
        "0001700000000900-0000-a",
        &[("note", json!("newest note"))],
    ));
    let staying = Record {
        id: id(1),
        fields: &a,
    };
    let merged = [
        Record {
            id: id(2),
            fields: &b,
        },
        Record {
            id: id(3),
            fields: &c,
        },
    ];
    let choices = default_choices(staying, &merged);
    assert_eq!(
        choices,
        BTreeMap::from([
            ("city".to_owned(), id(1)),
            ("first_name".to_owned(), id(1)),
            ("last_name".to_owned(), id(1)),
            ("note".to_owned(), id(3)),
            // Jan has none: the later of the two written.
            ("position".to_owned(), id(2)),
        ])
    );
}

#[test]
fn a_merge_unites_moves_and_records_what_it_changed() {
    let (a, b) = (jan(), jan_again());
    let staying = Record {
        id: id(1),
        fields: &a,
    };
    let merged = vec![Record {
        id: id(2),
        fields: &b,
    }];
    let linked = vec![
        Linked {
            entity: Entity::Task,
            id: id(10),
            points_to: id(2),
        },
        Linked {
            entity: Entity::Activity,
            id: id(11),
            points_to: id(2),
        },
        Linked {
            entity: Entity::Contact,
            id: id(12),
            points_to: id(2),
        },
        // Already the staying record's: not moved.
        Linked {
            entity: Entity::Task,
            id: id(13),
            points_to: id(1),
        },
    ];
    let mut ask = request(staying, merged, linked);
    ask.choices.insert("city".into(), id(2));
    let writes = plan_merge(&ask).unwrap();
    let on = |entity, row, field: &str| write_of(&writes, entity, row, field);

    assert_eq!(on(Entity::Contact, id(1), "city"), Some(json!("Krakow")));
    assert_eq!(
        on(Entity::Contact, id(1), "position"),
        Some(json!("Director"))
    );
    assert_eq!(
        on(Entity::Contact, id(1), "last_name"),
        None,
        "the staying value is kept"
    );
    assert_eq!(
        on(Entity::Contact, id(1), "emails"),
        Some(json!(["jan@example.com", "j.k@firma.pl"]))
    );
    assert_eq!(
        on(Entity::Contact, id(1), "phones"),
        Some(json!([
            { "type": "mobile", "number": "+48601111222" },
            { "type": "work", "number": "+48 22 111 22 33" }
        ]))
    );
    assert_eq!(
        on(Entity::Contact, id(1), "tags"),
        Some(json!(["vip", "lead"]))
    );
    assert_eq!(
        on(Entity::Contact, id(1), &format!("campaign:{}", id(91))),
        Some(json!(true))
    );
    assert_eq!(
        on(Entity::Contact, id(1), &format!("segment:{}", id(90))),
        None
    );

    assert_eq!(
        on(Entity::Contact, id(2), MERGED_INTO),
        Some(json!(id(1).to_string()))
    );
    assert_eq!(on(Entity::Contact, id(2), "deleted"), Some(json!(true)));

    let mark = format!("merge:{}", id(50));
    assert_eq!(
        on(Entity::Task, id(10), "record_id"),
        Some(json!(id(1).to_string()))
    );
    assert_eq!(
        on(Entity::Task, id(10), &mark),
        Some(json!(id(2).to_string()))
    );
    assert_eq!(
        on(Entity::Activity, id(11), "record_id"),
        Some(json!(id(1).to_string()))
    );
    assert_eq!(
        on(Entity::Contact, id(12), "organization_id"),
        Some(json!(id(1).to_string()))
    );
    assert_eq!(on(Entity::Task, id(13), "record_id"), None);

    assert_eq!(
        on(Entity::Merge, id(50), "record_id"),
        Some(json!(id(1).to_string()))
    );
    assert_eq!(
        on(Entity::Merge, id(50), "merged_ids"),
        Some(json!([id(2).to_string()]))
    );
    assert_eq!(
        on(Entity::Merge, id(50), "names"),
        Some(json!(["Jan Kowalsky"]))
    );
    assert_eq!(
        on(Entity::Merge, id(50), "before.city"),
        Some(json!("Kraków"))
    );
    assert_eq!(
        on(Entity::Merge, id(50), "after.city"),
        Some(json!("Krakow"))
    );
    assert_eq!(
        on(Entity::Merge, id(50), "before.position"),
        Some(Value::Null)
    );

    // Every write is one the schema takes.
    assert_valid(&writes);
}

#[test]
fn bad_merges_are_refused() {
    let (a, b) = (jan(), jan_again());
    let mut gone = jan_again();
    gone.extend(at(NEWER, &[("deleted", json!(true))]));
    let one = Record {
        id: id(1),
        fields: &a,
    };
    let two = Record {
        id: id(2),
        fields: &b,
    };
    assert_eq!(
        plan_merge(&request(one, vec![], vec![])),
        Err(MergeError::Count(1))
    );
    assert_eq!(
        plan_merge(&request(one, vec![one], vec![])),
        Err(MergeError::Repeated(id(1)))
    );
    let trashed = Record {
        id: id(3),
        fields: &gone,
    };
    assert_eq!(
        plan_merge(&request(one, vec![trashed], vec![])),
        Err(MergeError::Gone(id(3)))
    );
    let mut ask = request(one, vec![two], vec![]);
    ask.choices.insert("city".into(), id(9));
    assert_eq!(plan_merge(&ask), Err(MergeError::NotInMerge(id(9))));
    let many: Vec<Fields> = (0..MAX_RECORDS).map(|_| jan_again()).collect();
    let records: Vec<Record> = many
        .iter()
        .enumerate()
        .map(|(n, fields)| Record {
            id: id(100 + n as u128),
            fields,
        })
        .collect();
    assert_eq!(
        plan_merge(&request(one, records, vec![])),
        Err(MergeError::Count(MAX_RECORDS + 1))
    );
}

#[test]
fn a_sole_traders_person_and_company_merge_into_one_pointing_at_no_company() {
    let company = at(
        OLD,
        &[("kind", json!("company")), ("company", json!("Lis i Syn"))],
    );
    let person = at(
        OLD,
        &[
            ("first_name", json!("Adam")),
            ("last_name", json!("Lis")),
            ("organization_id", json!(id(2).to_string())),
        ],
    );
    for (staying, merged) in [(1, 2), (2, 1)] {
        let fields = |n: u128| if n == 1 { &person } else { &company };
        let mut ask = request(
            Record {
                id: id(staying),
                fields: fields(staying),
            },
            vec![Record {
                id: id(merged),
                fields: fields(merged),
            }],
            vec![Linked {
                entity: Entity::Contact,
                id: id(1),
                points_to: id(2),
            }],
        );
        ask.choices.insert("organization_id".into(), id(1));
        let writes = plan_merge(&ask).unwrap();
        let company_of = write_of(&writes, Entity::Contact, id(staying), "organization_id");
        assert!(
            company_of.as_ref().is_none_or(Value::is_null),
            "staying {staying}: {company_of:?}"
        );
        assert_eq!(write_of(&writes, Entity::Contact, id(1), "merge:"), None);
    }
}

#[test]
fn the_united_fields_are_what_the_merge_writes() {
    let (a, b) = (jan(), jan_again());
    let records = [
        Record {
            id: id(1),
            fields: &a,
        },
        Record {
            id: id(2),
            fields: &b,
        },
    ];
    let united = united_fields(&records).unwrap();
    let writes = plan_merge(&request(records[0], vec![records[1]], vec![])).unwrap();
    for (field, value) in &united {
        let written = write_of(&writes, Entity::Contact, id(1), field);
        // What the staying record holds after the merge: written, or its own already.
        let held = written.unwrap_or_else(|| a[field].value.clone());
        assert_eq!(&held, value, "{field}");
    }
    let names: Vec<&str> = united.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("campaign:{}", id(91)).as_str(),
            "emails",
            "phones",
            &format!("segment:{}", id(90)),
            "tags"
        ]
    );
}

#[test]
fn a_plan_is_written_a_row_at_a_time_and_checked_as_the_server_would() {
    let (a, b) = (jan(), jan_again());
    let one = Record {
        id: id(1),
        fields: &a,
    };
    let two = Record {
        id: id(2),
        fields: &b,
    };
    let call = Linked {
        entity: Entity::Activity,
        id: id(30),
        points_to: id(2),
    };
    let writes = plan_merge(&request(one, vec![two], vec![call])).unwrap();
    let rows = by_row(writes.clone());
    // One edit per row, the merge row first, every write kept in its order.
    assert_eq!(rows[0].0, Entity::Merge);
    let mut keys: Vec<(Entity, Uuid)> = rows.iter().map(|(e, i, _)| (*e, *i)).collect();
    let count = keys.len();
    keys.sort_by_key(|(e, i)| (e.as_str(), *i));
    keys.dedup();
    assert_eq!(keys.len(), count);
    assert_eq!(
        rows.iter().map(|(_, _, c)| c.len()).sum::<usize>(),
        writes.len()
    );
    let two_changes = &rows.iter().find(|(_, i, _)| *i == id(2)).unwrap().2;
    assert_eq!(
        two_changes,
        &vec![
            (MERGED_INTO.to_owned(), json!(id(1).to_string())),
            ("deleted".to_owned(), json!(true)),
        ]
    );

    // A restricted user writes their own and unassigned records only.
    let me = crate::UserId(id(70));
    let restricted = Actor {
        user_id: me,
        role: crate::access::Role::Restricted,
    };
    let owned_by = |owner: Option<Uuid>| RowScope::Owned {
        owner: owner.map(|o| o.to_string()),
    };
    let all_mine = |_: Entity, _: Uuid| owned_by(Some(id(70)));
    assert_eq!(check_plan(&restricted, &writes, all_mine), Ok(()));
    let theirs_is_two = |_: Entity, row: Uuid| {
        if row == id(2) {
            owned_by(Some(id(71)))
        } else {
            owned_by(None)
        }
    };
    let refused = check_plan(&restricted, &writes, theirs_is_two);
    assert_eq!(refused.map_err(|(row, _)| row), Err(id(2)));
    // The staying record someone else's: moving a call onto it is refused too.
    let theirs_is_one = |entity: Entity, row: Uuid| {
        if entity == Entity::Contact && row == id(1) {
            owned_by(Some(id(71)))
        } else {
            owned_by(None)
        }
    };
    assert!(check_plan(&restricted, &writes, theirs_is_one).is_err());
    let call_moved: Vec<Write> = writes
        .iter()
        .filter(|w| w.entity == Entity::Activity && w.field == "record_id")
        .cloned()
        .collect();
    assert_eq!(call_moved.len(), 1);
    assert_eq!(
        check_plan(&restricted, &call_moved, theirs_is_one).map_err(|(row, _)| row),
        Err(id(30)),
        "the call may not be moved onto someone else's record"
    );
    assert_eq!(check_plan(&restricted, &call_moved, all_mine), Ok(()));
    let manager = Actor {
        user_id: me,
        role: crate::access::Role::Manager,
    };
    assert_eq!(check_plan(&manager, &writes, theirs_is_one), Ok(()));
}

#[test]
fn a_change_a_merge_took_away_is_refused_naming_the_record_that_stays() {
    let into = json!(id(1).to_string());
    let contact = Entity::Contact;
    // Every field of a merged record but the merge's bookkeeping.
    assert_eq!(
        merged_elsewhere(contact, "city", &json!("x"), Some(&into), None),
        Some(id(1))
    );
    assert_eq!(
        merged_elsewhere(contact, "phones", &json!("x"), Some(&into), None),
        Some(id(1))
    );
    for (field, value) in [
        ("deleted", json!(true)),
        (MERGED_INTO, Value::Null),
        (&format!("{MERGE_MARK_PREFIX}{}", id(50)), Value::Null),
    ] {
        assert_eq!(
            merged_elsewhere(contact, field, &value, Some(&into), None),
            None,
            "{field}"
        );
    }
    // Out of the trash only by an undo (which clears `merged_into` first).
    assert_eq!(
        merged_elsewhere(contact, "deleted", &json!(false), Some(&into), None),
        Some(id(1))
    );
    assert_eq!(
        merged_elsewhere(contact, "city", &json!("x"), None, None),
        None
    );
    assert_eq!(
        merged_elsewhere(contact, "city", &json!("x"), Some(&Value::Null), None),
        None
    );
    // A task, an activity or a person pointed at a merged record.
    for (entity, field) in [
        (Entity::Task, "record_id"),
        (Entity::Activity, "record_id"),
        (contact, "organization_id"),
    ] {
        assert!(points_at_record(entity, field));
        assert_eq!(
            merged_elsewhere(entity, field, &json!("x"), None, Some(&into)),
            Some(id(1))
        );
        assert_eq!(
            merged_elsewhere(entity, field, &json!("x"), None, None),
            None
        );
    }
    assert!(!points_at_record(Entity::Task, "title"));
    // A merge into a merged record (two devices merging each other's records): refused,
    // and in that push the record's trash with it — not another record's.
    assert_eq!(
        merged_elsewhere(contact, MERGED_INTO, &json!("x"), None, Some(&into)),
        Some(id(1))
    );
    let mut push = PushMerges::default();
    let (me, other) = (id(3).to_string(), id(4).to_string());
    let trash = json!(true);
    let to_merged = json!(id(2).to_string());
    assert_eq!(
        push.refuses(contact, &me, "deleted", &trash, None, None),
        None
    );
    assert_eq!(
        push.refuses(contact, &me, MERGED_INTO, &to_merged, None, Some(&into)),
        Some(id(1))
    );
    assert_eq!(
        push.refuses(contact, &me, "deleted", &trash, None, None),
        Some(id(1))
    );
    assert_eq!(
        push.refuses(contact, &me, "deleted", &json!(false), None, None),
        None
    );
    assert_eq!(
        push.refuses(contact, &other, "deleted", &trash, None, None),
        None
    );
}

#[test]
fn a_refused_change_is_made_again_where_it_belongs() {
    let staying_fields = jan();
    let staying = Record {
        id: id(1),
        fields: &staying_fields,
    };
    let merged_row = at(NEWER, &[(MERGED_INTO, json!(id(1).to_string()))]);
    let later = "0001800000000000-0000-b";
    let earlier = "0001600000000000-0000-b";
    let again = |field: &str, value: Value, hlc: &str| {
        retarget(
            Entity::Contact,
            id(2),
            field,
            &value,
            hlc,
            Some(&merged_row),
            Some(staying),
        )
        .map(|r| (r.entity, r.id, r.field, r.value))
    };
    assert_eq!(
        again("city", json!("Gdańsk"), later),
        Some((Entity::Contact, id(1), "city".into(), json!("Gdańsk")))
    );
    // The staying record's later value stays (last writer wins, as anywhere).
    assert_eq!(again("city", json!("Gdańsk"), earlier), None);
    // A phone added on the merged record joins the staying record's phones, whenever.
    let phones = json!([{ "type": "work", "number": "+48 22 999 88 77" }]);
    assert_eq!(
        again("phones", phones, earlier).map(|r| r.3),
        Some(json!([
            { "type": "mobile", "number": "+48601111222" },
            { "type": "work", "number": "+48 22 999 88 77" }
        ]))
    );
    assert_eq!(
        again(
            "emails",
            json!(["JAN@example.com", "new@example.com"]),
            later
        )
        .map(|r| r.3),
        Some(json!(["jan@example.com", "new@example.com"]))
    );
    // Nothing new: nothing to make.
    assert_eq!(again("emails", json!(["JAN@example.com"]), later), None);
    // A phone taken off the merged record comes off the staying record too; one added
    // joins it.
    let with_phones = at(
        NEWER,
        &[
            (MERGED_INTO, json!(id(1).to_string())),
            (
                "phones",
                json!([{ "type": "mobile", "number": "+48 601 111 222" }]),
            ),
        ],
    );
    let removed = retarget(
        Entity::Contact,
        id(2),
        "phones",
        &json!([{ "type": "home", "number": "+48225550000" }]),
        later,
        Some(&with_phones),
        Some(staying),
    );
    assert_eq!(
        removed.map(|r| r.value),
        Some(json!([{ "type": "home", "number": "+48225550000" }]))
    );
    // Taken off and nothing else: the staying record's list without it.
    let emptied = retarget(
        Entity::Contact,
        id(2),
        "phones",
        &json!([]),
        later,
        Some(&with_phones),
        Some(staying),
    );
    assert_eq!(emptied.map(|r| r.value), Some(json!([])));
    let segment = format!("segment:{}", id(92));
    assert_eq!(
        again(&segment, json!(true), later).map(|r| r.3),
        Some(json!(true))
    );
    // The merge's own bookkeeping is not carried to the staying record.
    assert_eq!(
        again(
            &format!("{MERGE_MARK_PREFIX}{}", id(50)),
            json!(id(2).to_string()),
            later
        ),
        None
    );
    assert_eq!(
        again(&format!("{DISTINCT_PREFIX}{}", id(1)), json!(true), later),
        None
    );
    // A person of the merged company pointed at the staying record: not itself.
    assert_eq!(
        again("organization_id", json!(id(1).to_string()), later),
        None
    );
    // Not held on the device: nothing.
    assert_eq!(
        retarget(
            Entity::Contact,
            id(2),
            "city",
            &json!("X"),
            later,
            Some(&merged_row),
            None
        ),
        None
    );
    // A task pointed at the merged record points at the staying one — unless it was moved
    // again since.
    let task_row = at(OLD, &[("record_id", json!(id(2).to_string()))]);
    let task = |row: &Fields| {
        retarget(
            Entity::Task,
            id(30),
            "record_id",
            &json!(id(2).to_string()),
            later,
            Some(row),
            Some(staying),
        )
    };
    assert_eq!(
        task(&task_row),
        Some(Retargeted {
            entity: Entity::Task,
            id: id(30),
            field: "record_id".into(),
            value: json!(id(1).to_string()),
        })
    );
    let moved_since = at(
        "0001900000000000-0000-c",
        &[("record_id", json!(id(4).to_string()))],
    );
    assert_eq!(task(&moved_since), None);
    // A merge into a record merged meanwhile goes into the one it ended in, with its trash;
    // a record never into itself.
    let live = at(OLD, &[("last_name", json!("Lis"))]);
    let into_merged = |row: Uuid, field: &str, value: Value| {
        retarget(
            Entity::Contact,
            row,
            field,
            &value,
            later,
            Some(&live),
            Some(staying),
        )
        .map(|r| (r.id, r.field, r.value))
    };
    assert_eq!(
        into_merged(id(3), MERGED_INTO, json!(id(2).to_string())),
        Some((id(3), MERGED_INTO.to_owned(), json!(id(1).to_string())))
    );
    assert_eq!(
        into_merged(id(3), "deleted", json!(true)),
        Some((id(3), "deleted".to_owned(), json!(true)))
    );
    assert_eq!(
        into_merged(id(1), MERGED_INTO, json!(id(2).to_string())),
        None
    );
    assert_eq!(into_merged(id(1), "deleted", json!(true)), None);
    // A record's company pointed at itself: never.
    assert_eq!(
        retarget(
            Entity::Contact,
            id(1),
            "organization_id",
            &json!(id(2).to_string()),
            later,
            Some(&live),
            Some(staying)
        ),
        None
    );
}

/// Every write is one the server takes.
fn assert_valid(writes: &[Write]) {
    for write in writes {
        let checked = crate::schema::validate_change(
            write.entity.as_str(),
            &write.id.to_string(),
            &write.field,
            &write.value,
            "1800000000000-0000-dev",
        );
        assert!(
            checked.is_ok(),
            "{} {} = {}: {checked:?}",
            write.entity,
            write.field,
            write.value
        );
    }
}

/// Merges `records[1..]` into `records[0]` with `linked`, then undoes it, changing
/// `edited` on the staying record in between if set.
fn merge_then_undo(
    records: Vec<Fields>,
    children: Vec<(Entity, usize)>,
    choose: Vec<(String, usize)>,
    edited: Option<(String, Value)>,
) -> (Base, Base, Vec<String>) {
    let mut base: Base = BTreeMap::new();
    for (n, fields) in records.iter().enumerate() {
        base.insert((Entity::Contact, id(n as u128 + 1)), fields.clone());
    }
    let mut linked = Vec::new();
    for (n, (entity, parent)) in children.iter().enumerate() {
        let row = id(1000 + n as u128);
        let pointer = pointer_field(*entity).unwrap();
        let parent = id(*parent as u128 + 1);
        base.insert(
            (*entity, row),
            at(OLD, &[(pointer, json!(parent.to_string()))]),
        );
        linked.push(Linked {
            entity: *entity,
            id: row,
            points_to: parent,
        });
    }
    let before = base.clone();
    let snapshot = base.clone();
    let staying = Record {
        id: id(1),
        fields: &snapshot[&(Entity::Contact, id(1))],
    };
    let merged: Vec<Record> = (2..=records.len())
        .map(|n| Record {
            id: id(n as u128),
            fields: &snapshot[&(Entity::Contact, id(n as u128))],
        })
        .collect();
    let mut ask = request(staying, merged, linked.clone());
    for (field, from) in choose {
        ask.choices.insert(field, id(from as u128 + 1));
    }
    let mut clock = 0;
    let writes = plan_merge(&ask).unwrap();
    assert_valid(&writes);
    apply(&mut base, &writes, &mut clock);
    if let Some((field, value)) = edited {
        apply(
            &mut base,
            &[Write::new(Entity::Contact, id(1), field, value)],
            &mut clock,
        );
    }
    let now = base.clone();
    let merge = &now[&(Entity::Merge, id(50))];
    let staying = Record {
        id: id(1),
        fields: &now[&(Entity::Contact, id(1))],
    };
    let merged: Vec<Record> = merged_ids(merge)
        .into_iter()
        .map(|m| Record {
            id: m,
            fields: &now[&(Entity::Contact, m)],
        })
        .collect();
    let mark = format!("merge:{}", id(50));
    let moved: Vec<Moved> = now
        .iter()
        .filter(|(_, fields)| fields.contains_key(&mark))
        .map(|((entity, row), fields)| Moved {
            entity: *entity,
            id: *row,
            fields,
        })
        .collect();
    let undo = plan_undo(id(50), merge, staying, &merged, &moved).unwrap();
    assert_valid(&undo.writes);
    apply(&mut base, &undo.writes, &mut clock);
    // Undone once: not again.
    let merge = &base[&(Entity::Merge, id(50))];
    assert_eq!(
        plan_undo(id(50), merge, staying, &merged, &moved),
        Err(MergeError::Undone)
    );
    base.remove(&(Entity::Merge, id(50)));
    (before, base, undo.kept)
}

#[test]
fn an_undo_keeps_what_was_changed_since_and_says_so() {
    let (before, after, kept) = merge_then_undo(
        vec![jan(), jan_again()],
        vec![(Entity::Task, 1)],
        vec![("city".into(), 1)],
        Some(("position".into(), json!("CEO"))),
    );
    assert_eq!(kept, vec!["position".to_owned()]);
    let staying = shown(&after[&(Entity::Contact, id(1))]);
    assert_eq!(staying.get("position"), Some(&json!("CEO")));
    assert_eq!(staying.get("city"), Some(&json!("Kraków")));
    assert_eq!(
        shown(&after[&(Entity::Contact, id(2))]),
        shown(&before[&(Entity::Contact, id(2))])
    );
}

#[test]
fn marks_apart_carry_over_kind_is_never_cleared_and_a_purged_record_stops_the_undo() {
    let a = at(
        OLD,
        &[("first_name", json!("Jan")), ("last_name", json!("Nowak"))],
    );
    let mut b = jan_again();
    b.extend(at(
        OLD,
        &[
            (&format!("distinct:{}", id(9)), json!(true)),
            (&format!("distinct:{}", id(1)), json!(true)),
        ],
    ));
    let ask = request(
        Record {
            id: id(1),
            fields: &a,
        },
        vec![Record {
            id: id(2),
            fields: &b,
        }],
        vec![],
    );
    let writes = plan_merge(&ask).unwrap();
    let on = |field: &str| write_of(&writes, Entity::Contact, id(1), field);
    assert_eq!(
        on(&format!("distinct:{}", id(9))),
        Some(json!(true)),
        "apart from a third record"
    );
    assert_eq!(
        on(&format!("distinct:{}", id(1))),
        None,
        "not apart from itself"
    );
    assert_eq!(on("kind"), None, "no kind is a person already");

    // A staying company-less record without kind takes "company": the undo gives "person".
    let company = at(
        OLD,
        &[("kind", json!("company")), ("company", json!("Lis i Syn"))],
    );
    let mut ask = request(
        Record {
            id: id(1),
            fields: &a,
        },
        vec![Record {
            id: id(2),
            fields: &company,
        }],
        vec![],
    );
    ask.choices.insert("kind".into(), id(2));
    let mut base: Base = BTreeMap::from([
        ((Entity::Contact, id(1)), a.clone()),
        ((Entity::Contact, id(2)), company.clone()),
    ]);
    let mut clock = 0;
    apply(&mut base, &plan_merge(&ask).unwrap(), &mut clock);
    let merge = base[&(Entity::Merge, id(50))].clone();
    let staying = base[&(Entity::Contact, id(1))].clone();
    let merged = base[&(Entity::Contact, id(2))].clone();
    // The undo of merge 50 as the device shows the staying record and the merged one (none:
    // purged).
    let undo_with = |staying: &Fields, merged: Option<&Fields>| {
        let merged: Vec<Record> = merged
            .into_iter()
            .map(|fields| Record { id: id(2), fields })
            .collect();
        let staying = Record {
            id: id(1),
            fields: staying,
        };
        plan_undo(id(50), &merge, staying, &merged, &[])
    };
    let undo = undo_with(&staying, Some(&merged)).unwrap();
    assert_eq!(
        write_of(&undo.writes, Entity::Contact, id(1), "kind"),
        Some(json!("person"))
    );
    assert_valid(&undo.writes);
    // The merged record purged from the trash: no undo.
    assert_eq!(undo_with(&staying, None), Err(MergeError::Gone(id(2))));
    // The merged record's part of the merge not on this device yet: no half undo.
    assert_eq!(
        undo_with(&staying, Some(&a)),
        Err(MergeError::NotArrived(id(2)))
    );
    // The staying record merged into another since: no undo either.
    let mut moved_on = staying.clone();
    moved_on.extend(at(NEWER, &[(MERGED_INTO, json!(id(7).to_string()))]));
    assert_eq!(
        undo_with(&moved_on, Some(&merged)),
        Err(MergeError::Gone(id(1)))
    );
}

const FIELDS: &[&str] = &["first_name", "last_name", "city", "note", "owner_id"];
const VALUES: &[&str] = &["", "Jan", "Kraków", "Győr"];

fn record_strategy() -> impl Strategy<Value = Fields> {
    (
        prop::collection::vec((0..FIELDS.len(), 0..VALUES.len(), 0u64..5), 0..6),
        prop::collection::vec(0usize..4, 0..3),
        prop::collection::vec(0usize..3, 0..3),
        any::<bool>(),
    )
        .prop_map(|(texts, phones, segments, tagged)| {
            let mut fields = Fields::new();
            fields.extend(at(OLD, &[("kind", json!("person"))]));
            for (field, value, time) in texts {
                let hlc = format!("{:016}-0000-a", 1_700_000_000_000u64 + time);
                let value = if FIELDS[field] == "owner_id" {
                    json!(id(value as u128 + 70).to_string())
                } else {
                    json!(VALUES[value])
                };
                fields.extend(at(&hlc, &[(FIELDS[field], value)]));
            }
            let phones: Vec<Value> = phones
                .iter()
                .map(|n| json!({ "type": "mobile", "number": format!("+4860111122{n}") }))
                .collect();
            if !phones.is_empty() {
                fields.extend(at(OLD, &[("phones", Value::Array(phones))]));
            }
            for segment in segments {
                fields.extend(at(
                    OLD,
                    &[(
                        &format!("segment:{}", id(90 + segment as u128)),
                        json!(true),
                    )],
                ));
            }
            if tagged {
                fields.extend(at(OLD, &[("tags", json!(["a"]))]));
            }
            fields
        })
}

proptest! {
    /// Merge then undo gives back every record's and every moved row's shown state.
    #[test]
    fn merge_then_undo_gives_back_what_was_shown(
        records in prop::collection::vec(record_strategy(), 2..5),
        children in prop::collection::vec((0usize..3, 0usize..5), 0..6),
        choose in prop::collection::vec((0..FIELDS.len(), 0usize..5), 0..4),
    ) {
        let count = records.len();
        let children: Vec<(Entity, usize)> = children
            .into_iter()
            .map(|(kind, parent)| {
                let entity = [Entity::Task, Entity::Activity, Entity::Contact][kind];
                (entity, parent % count)
            })
            .collect();
        let choose: Vec<(String, usize)> = choose
            .into_iter()
            .map(|(field, from)| (FIELDS[field].to_owned(), from % count))
            .collect();
        let (before, after, kept) = merge_then_undo(records, children, choose, None);
        prop_assert!(kept.is_empty());
        prop_assert_eq!(before.len(), after.len());
        for (key, fields) in &before {
            prop_assert_eq!(shown(&after[key]), shown(fields), "{:?}", key);
        }
    }
}
