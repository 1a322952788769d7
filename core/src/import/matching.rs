//! Duplicates: which imported rows are records the team already has, or repeat an earlier
//! row of the same file, found by the values that name one contact — a phone number, an
//! e-mail address, a NIP, PESEL or REGON.
//!
//! Everything runs on hash maps, so 100,000 stored records against 100,000 rows is a
//! fraction of a second.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::import::rows::Prepared;
use crate::keys::{MatchKey, keys_of_values};

/// The first of `found` (pairs of a key and what it found) with the strongest key.
fn strongest<T>(found: impl Iterator<Item = (MatchKey, T)>) -> Option<(MatchKey, T)> {
    let mut best: Option<(MatchKey, T)> = None;
    for (key, value) in found {
        if best
            .as_ref()
            .is_none_or(|(held, _)| key.strength() > held.strength())
        {
            best = Some((key, value));
        }
    }
    best
}

/// The device's records by their keys. A key two records share names the one added first.
#[derive(Debug, Default)]
pub struct KeyIndex {
    ids: HashMap<MatchKey, Uuid>,
}

impl KeyIndex {
    /// Adds a record's keys (those another record holds already keep naming that one).
    pub fn add(&mut self, id: Uuid, keys: &[MatchKey]) {
        for key in keys {
            self.ids.entry(key.clone()).or_insert(id);
        }
    }

    /// The record one of `keys` names, by the strongest key that names one (the first such
    /// key among equals), with that key.
    pub fn find(&self, keys: &[MatchKey]) -> Option<(Uuid, MatchKey)> {
        strongest(
            keys.iter()
                .filter_map(|key| Some((key.clone(), *self.ids.get(key)?))),
        )
        .map(|(key, id)| (id, key))
    }

    /// How many distinct keys the index holds.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// What an imported row repeats, and by which key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Duplicate {
    /// A record the device has.
    Existing { id: Uuid, key: MatchKey },
    /// An earlier row of the file: the first row of its group, whose record the later ones
    /// go into.
    InFile { line: u32, key: MatchKey },
}

/// Where the rows sharing a key go: a stored record, or the record an earlier row makes.
#[derive(Clone, Copy)]
enum Group {
    Record(Uuid),
    Line(u32),
}

/// Each row's duplicate, if any: a record of `existing` sharing a key (the strongest),
/// else an earlier row of the file sharing one. Rows with problems take part like the
/// others.
///
/// Groups are followed through the file, so every row of a group names the same target:
/// a row sharing a key with an earlier row that repeats a stored record repeats that record
/// (`Existing`, with the key shared with the earlier row), and a row sharing a key with a
/// later member of a group names the group's first row (`InFile`). That is what filling in
/// or overwriting needs: all of them end up in one record.
pub fn find_duplicates(rows: &[Prepared], existing: &KeyIndex) -> Vec<Option<Duplicate>> {
    let mut groups: HashMap<MatchKey, Group> = HashMap::with_capacity(rows.len() * 2);
    rows.iter()
        .map(|row| {
            let keys = keys_of_values(&row.values);
            let duplicate = match existing.find(&keys) {
                Some((id, key)) => Some(Duplicate::Existing { id, key }),
                None => strongest(
                    keys.iter()
                        .filter_map(|key| Some((key.clone(), *groups.get(key)?))),
                )
                .map(|(key, group)| match group {
                    Group::Record(id) => Duplicate::Existing { id, key },
                    Group::Line(line) => Duplicate::InFile { line, key },
                }),
            };
            let group = match &duplicate {
                Some(Duplicate::Existing { id, .. }) => Group::Record(*id),
                Some(Duplicate::InFile { line, .. }) => Group::Line(*line),
                None => Group::Line(row.line),
            };
            for key in keys {
                groups.entry(key).or_insert(group);
            }
            duplicate
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use serde_json::Value;

    use crate::keys::keys_of_fields;
    use crate::merge::Fields;

    fn fields(values: &[(&str, Value)]) -> Fields {
        crate::merge::fields_at("1763800000000-0000-node", values)
    }

    fn values(values: &[(&str, Value)]) -> Vec<(String, Value)> {
        values
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect()
    }

    fn row(line: u32, of: &[(&str, Value)]) -> Prepared {
        Prepared {
            line,
            values: values(of),
            problems: Vec::new(),
        }
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(0x0193_a1b2_c3d4_7e5f_8a9b_0000_0000_0000 | n)
    }

    fn phone(number: &str) -> Value {
        json!([{"type": "mobile", "number": number}])
    }

    #[test]
    fn keys_of_a_stored_record() {
        let record = fields(&[
            ("first_name", json!("Jan")),
            ("nip", json!("PL 526-000-12-46")),
            ("pesel", json!("44051401359")),
            ("regon", json!("not known")),
            ("emails", json!([" Jan.Kowalski@Firma.PL ", "broken@", ""])),
            (
                "phones",
                json!([
                    {"type": "mobile", "number": "+48600100200"},
                    {"type": "work", "number": "600 100 200"},
                    {"type": "other", "number": " "},
                    {"type": "home_fax", "number": "+48600100200"}
                ]),
            ),
        ]);
        assert_eq!(
            keys_of_fields(&record),
            vec![
                MatchKey::Nip("5260001246".into()),
                MatchKey::Pesel("44051401359".into()),
                MatchKey::Email("broken@".into()),
                MatchKey::Email("jan.kowalski@firma.pl".into()),
                MatchKey::Phone("+48600100200".into()),
                MatchKey::Phone("600 100 200".into()),
            ]
        );
        let mut trashed = record.clone();
        trashed.extend(fields(&[("deleted", json!(true))]));
        assert_eq!(keys_of_fields(&trashed), vec![]);
        let mut restored = record;
        restored.extend(fields(&[("deleted", json!(false))]));
        assert_eq!(keys_of_fields(&restored).len(), 6);
        assert_eq!(keys_of_fields(&fields(&[("city", json!("Łódź"))])), vec![]);
    }

    #[test]
    fn keys_of_a_prepared_row_follow_the_same_rules() {
        let of = [
            ("kind", json!("company")),
            ("regon", json!("123456785")),
            ("emails", json!(["biuro@acme.pl"])),
            ("phones", phone("+48221234567")),
        ];
        assert_eq!(
            keys_of_values(&values(&of)),
            vec![
                MatchKey::Regon("123456785".into()),
                MatchKey::Email("biuro@acme.pl".into()),
                MatchKey::Phone("+48221234567".into()),
            ]
        );
        assert_eq!(keys_of_values(&values(&of)), keys_of_fields(&fields(&of)));
    }

    #[test]
    fn the_index_finds_the_strongest_key_and_keeps_the_first_record() {
        let mut index = KeyIndex::default();
        assert!(index.is_empty());
        let phone = MatchKey::Phone("+48600100200".into());
        let email = MatchKey::Email("ada@example.com".into());
        let nip = MatchKey::Nip("5260001246".into());
        index.add(id(1), std::slice::from_ref(&phone));
        index.add(id(2), &[email.clone(), phone.clone()]);
        index.add(id(3), std::slice::from_ref(&nip));
        assert_eq!(index.len(), 3);
        let cases = [
            (vec![phone.clone()], Some((id(1), phone.clone()))),
            (
                vec![phone.clone(), email.clone()],
                Some((id(2), email.clone())),
            ),
            (
                vec![phone.clone(), email.clone(), nip.clone()],
                Some((id(3), nip.clone())),
            ),
            (vec![MatchKey::Pesel("44051401359".into())], None),
            (vec![], None),
        ];
        for (keys, expected) in cases {
            assert_eq!(index.find(&keys), expected, "{keys:?}");
        }
    }

    #[test]
    fn existing_records_first_then_earlier_rows_through_their_groups() {
        let mut index = KeyIndex::default();
        index.add(
            id(9),
            &keys_of_fields(&fields(&[
                ("emails", json!(["stored@example.com"])),
                ("phones", phone("+48600000009")),
            ])),
        );
        let mut with_problem = row(
            4,
            &[
                ("emails", json!(["new@example.com"])),
                ("phones", phone("+48600000004")),
            ],
        );
        with_problem.problems.push(crate::import::rows::Problem {
            column: Some(0),
            value: "x".into(),
            error: crate::import::rows::RowError::NameRequired,
        });
        let rows = [
            // 2: repeats the stored record by e-mail, and brings a phone of its own.
            row(
                2,
                &[
                    ("emails", json!(["STORED@example.com"])),
                    ("phones", phone("+48600000002")),
                ],
            ),
            // 3: nothing in common.
            row(3, &[("phones", phone("+48600000003"))]),
            // 4: new, with a problem: it still takes part.
            with_problem,
            // 5: shares row 4's phone.
            row(5, &[("phones", phone("+48600000004"))]),
            // 6: shares row 2's phone only: row 2's record is the stored one.
            row(6, &[("phones", phone("+48600000002"))]),
            // 7: shares row 5's phone and brings an e-mail; row 5 is in row 4's group.
            row(
                7,
                &[
                    ("emails", json!(["seven@example.com"])),
                    ("phones", phone("+48600000004")),
                ],
            ),
            // 8: shares row 7's e-mail only: still row 4's group, by e-mail.
            row(8, &[("emails", json!(["seven@example.com"]))]),
            // 10: no keys at all.
            row(10, &[("first_name", json!("Ewa"))]),
            // 11: the phone of row 3 and the stored e-mail: the stored record comes first.
            row(
                11,
                &[
                    ("emails", json!(["stored@example.com"])),
                    ("phones", phone("+48600000003")),
                ],
            ),
        ];
        let phone_key = |n: &str| MatchKey::Phone(format!("+4860000000{n}"));
        let stored_email = MatchKey::Email("stored@example.com".into());
        assert_eq!(
            find_duplicates(&rows, &index),
            vec![
                Some(Duplicate::Existing {
                    id: id(9),
                    key: stored_email.clone()
                }),
                None,
                None,
                Some(Duplicate::InFile {
                    line: 4,
                    key: phone_key("4")
                }),
                Some(Duplicate::Existing {
                    id: id(9),
                    key: phone_key("2")
                }),
                Some(Duplicate::InFile {
                    line: 4,
                    key: phone_key("4")
                }),
                Some(Duplicate::InFile {
                    line: 4,
                    key: MatchKey::Email("seven@example.com".into())
                }),
                None,
                Some(Duplicate::Existing {
                    id: id(9),
                    key: stored_email
                }),
            ]
        );
    }

    #[test]
    fn a_trashed_record_is_no_duplicate() {
        let mut index = KeyIndex::default();
        index.add(
            id(1),
            &keys_of_fields(&fields(&[
                ("phones", phone("+48600100200")),
                ("deleted", json!(true)),
            ])),
        );
        let rows = [row(2, &[("phones", phone("+48600100200"))])];
        assert_eq!(find_duplicates(&rows, &index), vec![None]);
    }

    /// A row's values from its key numbers: `n` gives the phone `+48500{n:06}`, the e-mail
    /// `p{n}@example.com` or the NIP-like digits `{n:010}` — every number a different key.
    fn keyed(keys: &[(u8, u32)]) -> Vec<(String, Value)> {
        let mut phones = Vec::new();
        let mut emails = Vec::new();
        let mut out = vec![("kind".to_owned(), json!("person"))];
        for (kind, n) in keys {
            match kind % 3 {
                0 => phones.push(json!({"type": "mobile", "number": format!("+48500{n:06}")})),
                1 => emails.push(json!(format!("p{n}@example.com"))),
                _ => out.push(("nip".to_owned(), json!(format!("{n:010}")))),
            }
        }
        out.push(("phones".to_owned(), json!(phones)));
        out.push(("emails".to_owned(), json!(emails)));
        out
    }

    proptest! {
        /// Rows each either new (fresh keys), planted as a duplicate of a stored record
        /// (one of its keys plus fresh ones) or of an earlier new row (one of its keys):
        /// each planted duplicate is found and nothing else.
        #[test]
        fn finds_each_planted_duplicate_and_nothing_else(
            stored in 1usize..20,
            plan in prop::collection::vec((0u8..3, any::<prop::sample::Index>(), 0u8..3, 1usize..3), 1..60),
        ) {
            let mut next = 0u32;
            let mut fresh = |kind: u8| { next += 1; (kind, next) };
            let stored_keys: Vec<Vec<(u8, u32)>> =
                (0..stored).map(|i| vec![fresh(i as u8), fresh(i as u8 + 1)]).collect();
            let mut index = KeyIndex::default();
            for (i, keys) in stored_keys.iter().enumerate() {
                index.add(id(i as u128), &keys_of_values(&keyed(keys)));
            }
            let mut rows = Vec::new();
            let mut expected = Vec::new();
            let mut new_rows: Vec<(u32, Vec<(u8, u32)>)> = Vec::new();
            for (n, (what, pick, kind, extra)) in plan.into_iter().enumerate() {
                let line = n as u32 * 2 + 1;
                let mut keys: Vec<(u8, u32)> = (0..extra).map(|e| fresh(kind + e as u8)).collect();
                let planted = match what {
                    0 => {
                        let i = pick.index(stored);
                        let shared = *pick.get(&stored_keys[i]);
                        // First: a second NIP among the fresh keys would not be read.
                        keys.insert(0, shared);
                        Some(Duplicate::Existing { id: id(i as u128), key: keys_of_values(&keyed(&[shared]))[0].clone() })
                    }
                    1 if !new_rows.is_empty() => {
                        let (earlier, their) = pick.get(&new_rows).clone();
                        let shared = *pick.get(&their);
                        // Only the shared key: its fresh keys would make it a group of its own.
                        keys = vec![shared];
                        Some(Duplicate::InFile { line: earlier, key: keys_of_values(&keyed(&[shared]))[0].clone() })
                    }
                    _ => {
                        new_rows.push((line, keys.clone()));
                        None
                    }
                };
                rows.push(Prepared { line, values: keyed(&keys), problems: Vec::new() });
                expected.push(planted);
            }
            prop_assert_eq!(find_duplicates(&rows, &index), expected);
        }
    }

    /// 100,000 stored records and 100,000 rows, a third of them repeating a record and a
    /// third an earlier row (timed with `cargo test --release`: well under a second).
    #[test]
    fn a_hundred_thousand_against_a_hundred_thousand() {
        const N: u32 = 100_000;
        let mut index = KeyIndex::default();
        for n in 0..N {
            let record = keyed(&[(0, n), (1, n)]);
            index.add(id(u128::from(n)), &keys_of_values(&record));
        }
        let rows: Vec<Prepared> = (0..N)
            .map(|n| {
                let keys = match n % 3 {
                    0 => vec![(1, n)],
                    1 => vec![(0, N + n), (1, N + n)],
                    _ => vec![(1, N + n - 1)],
                };
                Prepared {
                    line: n + 2,
                    values: keyed(&keys),
                    problems: Vec::new(),
                }
            })
            .collect();
        let found = find_duplicates(&rows, &index);
        let existing = found
            .iter()
            .filter(|d| matches!(d, Some(Duplicate::Existing { .. })))
            .count();
        let in_file: Vec<(usize, u32)> = found
            .iter()
            .enumerate()
            .filter_map(|(i, d)| match d {
                Some(Duplicate::InFile { line, .. }) => Some((i, *line)),
                _ => None,
            })
            .collect();
        assert_eq!(existing, 33_334);
        assert_eq!(in_file.len(), 33_333);
        assert!(in_file.iter().all(|(i, line)| *line as usize == *i + 1));
        assert_eq!(found.iter().filter(|d| d.is_none()).count(), 33_333);
    }
}
