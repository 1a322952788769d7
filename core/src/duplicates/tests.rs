use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::merge::fields_at;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

fn person(first: &str, last: &str, company: &str, city: &str) -> Fields {
    fields_at(
        "0001700000000000-0000-dev",
        &[
            ("kind", json!("person")),
            ("first_name", json!(first)),
            ("last_name", json!(last)),
            ("company", json!(company)),
            ("city", json!(city)),
        ],
    )
}

fn with(mut fields: Fields, name: &str, value: Value) -> Fields {
    fields.extend(fields_at("0001700000000000-0000-dev", &[(name, value)]));
    fields
}

fn profiles(rows: &[Fields]) -> Vec<Profile> {
    rows.iter()
        .enumerate()
        .filter_map(|(n, fields)| Profile::of(id(n as u128), fields))
        .collect()
}

/// The groups as sets of the rows' numbers, with their first reason.
fn grouped(rows: &[Fields]) -> Vec<(Vec<u128>, Option<Reason>)> {
    find_groups(&profiles(rows))
        .into_iter()
        .map(|group| {
            let numbers = group
                .ids
                .iter()
                .map(|member| member.as_u128() - id(0).as_u128())
                .collect();
            (numbers, group.reasons.first().cloned())
        })
        .collect()
}

#[test]
fn surname_forms_and_letters_fold_to_one() {
    for (a, b) in [
        ("Kowalski", "Kowalska"),
        ("Wiśniewski", "Wisniewska"),
        ("Zieliński", "ZIELIŃSKA"),
        ("Nowicki", "Nowicka"),
        ("Zawadzki", "Zawadzka"),
        ("Novák", "Nováková"),
        ("Dvořák", "Dvořáková"),
        ("Dvořák", "Dvorak"),
        ("Novotný", "Novotny"),
        ("Kovařovský", "Kovařovská"),
        ("Łukasz", "Lukasz"),
        ("Győri", "Gyori"),
        ("Szőke", "Szoke"),
    ] {
        assert_eq!(name_words(a), name_words(b), "{a} / {b}");
    }
    for (a, b) in [("Jan", "Jana"), ("Nowak", "Nowicki"), ("Kowalski", "Kowal")] {
        assert_ne!(name_words(a), name_words(b), "{a} / {b}");
    }
    assert_eq!(name_words("Nowak-Kowalska"), vec!["nowak", "kowalsk"]);
}

#[test]
fn similar_names_allow_one_typo_in_one_long_enough_word() {
    let cases = [
        ("Anna Kowalska", "Kowalska Anna", true),
        ("Nagy László", "László Nagy", true),
        ("Jan Wiśniewski", "Jan Wisnieski", true),
        ("Jan Wiśniewski", "Jan Wiesniewski", true),
        ("Marta Zielińska", "Mrata Zielińska", true),
        ("Marta Zielińska", "Narta Zielińska", true),
        ("Petr Svoboda", "Petr Svobodová", true),
        ("Jana Černá", "Jana Černý", true),
        ("Jan Nowak", "Jana Nowak", false),
        ("Petr Novák", "Petra Nováková", false),
        ("Stanisław Kowalski", "Stanisława Kowalska", false),
        ("Józef Lis", "Józefa Lis", false),
        ("Franciszek Zawadzki", "Franciszka Zawadzka", false),
        ("Franciszek Zawadzki", "Franciszek Zawadzka", true),
        ("Jan Nowak", "Jan Nowak Kowalski", false),
        ("Marta Zielińska", "Marek Zieliński", false),
        ("Jan Wiśniewski", "Jan Wisnieska", true),
        ("Jan Wiśniewski", "Jan Wiśniak", false),
        ("Ewa Nowak", "Ewa Nowakowska", false),
        // A letter too many after a gendered ending.
        ("Jan Kowalski", "Jan Kowalskix", true),
        ("Anna Kowalska", "Anna Kowalskia", true),
        ("Jan Kowalski", "Jan Kowalskimi", false),
        ("Jan Nowak", "Jan Nowakxy", false),
        ("Petr Novák", "Petr Novákovax", false),
        ("", "", false),
    ];
    for (a, b, similar) in cases {
        // "First Last": the first word the given name, the rest the last name.
        let profile = |name: &str, n: u128| {
            let (first, last) = name.split_once(' ').unwrap_or(("", name));
            Profile::of(id(n), &person(first, last, "", "")).unwrap()
        };
        let (pa, pb) = (profile(a, 1), profile(b, 2));
        assert_eq!(similar_names(&pa, &pb), similar, "{a} / {b}");
        assert_eq!(similar_names(&pb, &pa), similar, "{b} / {a}");
    }
}

#[test]
fn a_letter_too_many_after_a_gendered_ending_groups_in_one_company() {
    let rows = [
        person("Jan", "Kowalski", "Polmet", ""),
        person("Jan", "Kowalskix", "Polmet", ""),
        person("Jan", "Kowalskix", "Agromet", ""),
    ];
    assert_eq!(
        grouped(&rows),
        vec![(
            vec![0, 1],
            Some(Reason::NameAndCompany {
                company: "Polmet".into()
            })
        )]
    );
}

#[test]
fn one_typo_apart_is_the_alignment_distance_of_one() {
    for (a, b, near) in [
        ("nowak", "nowak", true),
        ("nowak", "nowek", true),
        ("nowak", "nowa", true),
        ("nowak", "nowaks", true),
        ("nowak", "onwak", true),
        ("nowak", "nowka", true),
        ("nowak", "nwoka", false),
        ("nowak", "kowal", false),
        ("nowak", "now", false),
        ("győr", "gyor", true),
    ] {
        assert_eq!(one_typo_apart(a, b), near, "{a} / {b}");
        assert_eq!(one_typo_apart(b, a), near, "{b} / {a}");
    }
}

#[test]
fn similar_names_group_only_in_the_same_company_or_city() {
    let rows = [
        person("Anna", "Kowalska", "", "Krakow"),
        person("Kowalski", "Anna", "", "KRAKÓW"),
        person("Anna", "Kowalsky", "", "Kraków"),
        person("Anna", "Kowalska", "", "Gdańsk"),
        person("Anna", "Kowalski", "", ""),
        person("Petr", "Novák", "Stavby Novák s.r.o.", "Brno"),
        person("Petr", "Nowák", "STAVBY NOVÁK, s. r. o.", "Praha"),
    ];
    let groups = find_groups(&profiles(&rows));
    assert_eq!(
        groups[0].reasons,
        vec![Reason::NameAndCity {
            city: "Kraków".into()
        }],
        "one city, once, as best written"
    );
    assert_eq!(
        grouped(&rows),
        vec![
            (
                vec![0, 1, 2],
                Some(Reason::NameAndCity {
                    city: "Kraków".into()
                })
            ),
            (
                vec![5, 6],
                Some(Reason::NameAndCompany {
                    company: "Stavby Novák s.r.o.".into()
                })
            ),
        ]
    );
}

#[test]
fn a_name_common_in_its_place_is_no_evidence_there() {
    let phone = |fields: Fields, number: &str| {
        with(
            fields,
            "phones",
            json!([{ "type": "mobile", "number": number }]),
        )
    };
    // Four Jan Kowalskis in Warszawa are four people; two of them at one company are
    // still one there, and a shared phone still groups two.
    let mut rows = vec![
        person("Jan", "Kowalski", "Polmet Sp. z o.o.", "Warszawa"),
        person("Kowalski", "Jan", "", "Warszawa"),
        person("Jan", "Kowalski", "POLMET sp. z o. o.", "Warszawa"),
        phone(person("Jan", "Kowalski", "", "Warszawa"), "+48601111222"),
        phone(person("Jan", "Nowak", "", "Kraków"), "+48601111222"),
        // Three in Gdańsk (the third one typo apart) are one customer entered thrice.
        person("Anna", "Lis", "", "Gdańsk"),
        person("Anna", "Lis", "", "Gdansk"),
        person("Annna", "Lis", "", "Gdańsk"),
    ];
    assert_eq!(
        grouped(&rows),
        vec![
            (
                vec![3, 4],
                Some(Reason::Same {
                    key: MatchKey::Phone("+48601111222".into())
                })
            ),
            (
                vec![5, 6, 7],
                Some(Reason::NameAndCity {
                    city: "Gdańsk".into()
                })
            ),
            (
                vec![0, 2],
                Some(Reason::NameAndCompany {
                    company: "Polmet Sp. z o.o.".into()
                })
            ),
        ]
    );
    // A fourth like one of them in Gdańsk (Anka, one letter from Anna, two from Annna)
    // makes them namesakes.
    rows.push(person("Anka", "Lis", "", "GDAŃSK"));
    assert_eq!(grouped(&rows).len(), 2);
    // With one Jan Kowalski fewer in Warszawa, the other three are one customer.
    rows.remove(3);
    let groups = grouped(&rows);
    assert_eq!(groups[0].0, vec![0, 1, 2]);
    assert_eq!(
        find_groups(&profiles(&rows))[0].reasons,
        vec![
            Reason::NameAndCompany {
                company: "Polmet Sp. z o.o.".into()
            },
            Reason::NameAndCity {
                city: "Warszawa".into()
            },
        ]
    );
}

#[test]
fn a_name_with_more_similar_names_in_its_place_than_are_compared_is_no_evidence() {
    // Two Jan Barteks in Łódź among fifty names one letter from theirs: namesakes, though
    // that many names are not compared one with another.
    let mut rows = vec![
        person("Jan", "Bartek", "", "Łódź"),
        person("Jan", "Bartek", "", "Lodz"),
    ];
    for (at, letter) in (0..=6).flat_map(|at| "dfhmprt".chars().map(move |c| (at, c))) {
        let mut name: String = "Bartek".into();
        name.insert(at, letter);
        rows.push(person("Jan", &name, "", "Łódź"));
    }
    assert!(rows.len() > MAX_BLOCK + 2);
    assert!(
        grouped(&rows)
            .iter()
            .all(|(members, _)| !members.contains(&0))
    );
    // Alone, the two are one customer.
    assert_eq!(grouped(&rows[..2]).len(), 1);
}

#[test]
fn a_profile_reads_only_the_fields_it_names() {
    let full = fields_at(
        "0001700000000000-0000-dev",
        &[
            ("kind", json!("person")),
            ("first_name", json!("Ödön")),
            ("last_name", json!("Kovács")),
            ("company", json!("Polmet Sp. z o.o.")),
            ("city", json!("Győr")),
            ("nip", json!("PL 526-000-12-46")),
            ("pesel", json!("44051401458")),
            ("emails", json!(["O.Kovacs@Polmet.pl"])),
            (
                "phones",
                json!([{ "type": "mobile", "number": "+36301234567" }]),
            ),
            (&format!("{DISTINCT_PREFIX}{}", id(9)), json!(true)),
            ("note", json!("Called twice; prefers e-mail.")),
            ("tags", json!(["vip"])),
            ("custom.size", json!("large")),
            ("owner_id", json!(id(7).to_string())),
        ],
    );
    let read: Fields = full
        .iter()
        .filter(|(name, _)| Profile::reads(name))
        .map(|(name, state)| (name.clone(), state.clone()))
        .collect();
    assert_eq!(read.len(), 10);
    let profile = Profile::of(id(1), &full).unwrap();
    assert_eq!(Profile::of(id(1), &read), Some(profile.clone()));
    assert_eq!(profile.keys.len(), 4);
    assert_eq!(profile.distinct, vec![id(9)]);
    // In the trash: no profile, from either.
    let trashed = with(read, "deleted", json!(true));
    assert!(Profile::reads("deleted"));
    assert_eq!(Profile::of(id(1), &trashed), None);
}

#[test]
fn companies_match_by_name_without_legal_form_in_one_city() {
    let company = |name: &str, city: &str| {
        with(
            with(Fields::new(), "kind", json!("company")),
            "company",
            json!(name),
        )
        .into_iter()
        .chain(fields_at(
            "0001700000000000-0000-dev",
            &[("city", json!(city))],
        ))
        .collect::<Fields>()
    };
    let rows = [
        company("ACME Sp. z o.o.", "Łódź"),
        company("Acme sp. z o. o.", "Lodz"),
        company("Acme Kft.", "Győr"),
        // A person named like the company is not the company.
        person("", "Acme", "", "Łódź"),
    ];
    assert_eq!(
        grouped(&rows),
        vec![(
            vec![0, 1],
            Some(Reason::NameAndCity {
                city: "Łódź".into()
            })
        )]
    );
}

#[test]
fn strong_reasons_rank_above_names_and_groups_join_transitively() {
    let phone = |fields: Fields, number: &str| {
        with(
            fields,
            "phones",
            json!([{ "type": "mobile", "number": number }]),
        )
    };
    let rows = [
        // 0–1: a similar name in one city.
        person("Éva", "Kovács", "", "Győr"),
        person("Kovács", "Eva", "", "Gyor"),
        // 2–3: the same phone.
        phone(person("Jan", "Nowak", "", ""), "+48601111222"),
        phone(person("Janusz", "Nowakowski", "", ""), "+48601111222"),
        // 4–6: the same NIP (written differently), and 6 shares 5's e-mail.
        with(
            person("", "", "Firma", ""),
            "nip",
            json!("PL 123-456-32-18"),
        ),
        with(
            with(person("", "", "Firma 2", ""), "nip", json!("1234563218")),
            "emails",
            json!(["Biuro@Firma.pl"]),
        ),
        with(
            person("Ola", "Lis", "", ""),
            "emails",
            json!(["biuro@firma.pl"]),
        ),
        // In the trash: in no group.
        with(
            phone(person("Jan", "Nowak", "", ""), "+48601111222"),
            "deleted",
            json!(true),
        ),
    ];
    let groups = grouped(&rows);
    assert_eq!(
        groups,
        vec![
            (
                vec![4, 5, 6],
                Some(Reason::Same {
                    key: MatchKey::Nip("1234563218".into())
                })
            ),
            (
                vec![2, 3],
                Some(Reason::Same {
                    key: MatchKey::Phone("+48601111222".into())
                })
            ),
            (
                vec![0, 1],
                Some(Reason::NameAndCity {
                    city: "Győr".into()
                })
            ),
        ]
    );
    let all = find_groups(&profiles(&rows));
    assert_eq!(
        all[0].reasons,
        vec![
            Reason::Same {
                key: MatchKey::Nip("1234563218".into())
            },
            Reason::Same {
                key: MatchKey::Email("biuro@firma.pl".into())
            },
        ]
    );
}

#[test]
fn pairs_chain_into_groups_no_larger_than_one_merge_takes() {
    // Twelve records, each with the next one's phone: a chain of one phone after another.
    let rows: Vec<Fields> = (0..12)
        .map(|n| {
            with(
                person(&format!("Osoba{n}"), "Test", "", ""),
                "phones",
                json!([
                    { "type": "mobile", "number": format!("+486011112{n:02}") },
                    { "type": "work", "number": format!("+486011112{:02}", n + 1) },
                ]),
            )
        })
        .collect();
    let groups = grouped(&rows);
    assert_eq!(
        groups
            .iter()
            .map(|(ids, _)| ids.clone())
            .collect::<Vec<_>>(),
        vec![(0..10).collect::<Vec<u128>>(), vec![10, 11]],
        "the first ten by their ids, then the rest"
    );
    // A stronger pair is joined before a weaker one: with an e-mail shared by 10 and 11,
    // 9 (phone-linked to 10) is left to the first ten.
    let mut rows = rows;
    for n in [10, 11] {
        rows[n] = with(rows[n].clone(), "emails", json!(["osoba@example.com"]));
    }
    rows[0] = with(rows[0].clone(), "emails", json!(["osoba@example.com"]));
    let groups = grouped(&rows);
    assert_eq!(groups[0].0, vec![0, 1, 2, 3, 4, 5, 6, 7, 10, 11]);
    assert_eq!(groups[1].0, vec![8, 9]);
}

#[test]
fn a_pair_marked_distinct_stays_apart_and_shared_keys_group_nothing() {
    let email = |fields: Fields, address: &str| with(fields, "emails", json!([address]));
    let mut rows = vec![
        email(person("Jan", "Nowak", "", ""), "jan@example.com"),
        email(person("Jan", "Nowak", "", ""), "jan@example.com"),
        email(person("Jan", "Nowak", "", ""), "jan@example.com"),
    ];
    // 0 and 1 are not duplicates (marked on 1); 2 still joins both.
    rows[1] = with(rows[1].clone(), &format!("distinct:{}", id(0)), json!(true));
    assert_eq!(grouped(&rows)[0].0, vec![0, 1, 2]);
    // Every pair marked: no group.
    rows[2] = with(rows[2].clone(), &format!("distinct:{}", id(0)), json!(true));
    rows[2] = with(rows[2].clone(), &format!("distinct:{}", id(1)), json!(true));
    assert_eq!(grouped(&rows), vec![]);
    // A mark taken back (false) counts no more.
    rows[1] = with(
        rows[1].clone(),
        &format!("distinct:{}", id(0)),
        json!(false),
    );
    assert_eq!(grouped(&rows)[0].0, vec![0, 1]);

    // An office's address on more than MAX_SHARED records says nothing.
    let office: Vec<Fields> = (0..=MAX_SHARED)
        .map(|n| email(person(&format!("P{n}"), "X", "", ""), "office@example.com"))
        .collect();
    assert_eq!(grouped(&office), vec![]);
}

#[test]
fn the_page_lists_groups_with_their_members_by_name_strongest_first() {
    let contact = |n: u128, first: &str, last: &str, deleted: bool| {
        let mut fields = person(first, last, "Acme", "Brno");
        if deleted {
            fields = with(fields, "deleted", json!(true));
        }
        Contact::from_fields(&id(n).to_string(), &fields).unwrap()
    };
    let contacts = [
        contact(0, "Zofia", "Nowak", false),
        contact(1, "Adam", "Nowak", false),
        contact(2, "Ewa", "Bąk", false),
        contact(3, "Ewa", "Bak", false),
        contact(4, "Jan", "Kos", false),
        contact(5, "Jan", "Kos", true),
        contact(6, "Ala", "Ul", false),
        contact(7, "Ola", "Ul", false),
        contact(8, "Ela", "Ul", false),
    ];
    let by_id = |wanted: &Uuid| contacts.iter().find(|c| c.id == *wanted);
    let phone = Reason::Same {
        key: MatchKey::Phone("+48600000001".into()),
    };
    let name = Reason::NameAndCity {
        city: "Brno".into(),
    };
    let group = |ids: &[u128], reason: &Reason| Group {
        ids: ids.iter().map(|n| id(*n)).collect(),
        reasons: vec![reason.clone()],
    };
    let listed = listed(
        &[
            // A name group of two, a phone group of two, one whose second member went to the
            // trash, one with a record the device does not hold, a name group of three.
            group(&[2, 3], &name),
            group(&[0, 1], &phone),
            group(&[4, 5], &phone),
            group(&[6, 99], &phone),
            group(&[8, 7, 6], &name),
        ],
        by_id,
    );
    let shown: Vec<(Vec<&str>, &Reason)> = listed
        .iter()
        .map(|group| {
            (
                group.members.iter().map(|m| m.name.as_str()).collect(),
                &group.reasons[0],
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            (vec!["Adam Nowak", "Zofia Nowak"], &phone),
            (vec!["Ala Ul", "Ela Ul", "Ola Ul"], &name),
            // (One folded name: the older record first.)
            (vec!["Ewa Bąk", "Ewa Bak"], &name),
        ]
    );
    assert_eq!(listed[0].members[0].company, "Acme");
    assert_eq!(listed[0].members[0].city, "Brno");
}

#[test]
fn holders_of_names_every_other_record_with_its_strongest_key() {
    let with = |n: u128, values: &[(&str, Value)]| {
        let mut fields = person("Jan", &format!("Nowak{n}"), "", "");
        fields.extend(fields_at("0001700000000000-0000-a", values));
        Contact::from_fields(&id(n).to_string(), &fields).unwrap()
    };
    let contacts = vec![
        with(
            1,
            &[(
                "phones",
                json!([{ "type": "mobile", "number": "+48601111222" }]),
            )],
        ),
        with(
            2,
            &[
                (
                    "phones",
                    json!([{ "type": "work", "number": "+48601111222" }]),
                ),
                ("emails", json!(["Jan@Example.com"])),
            ],
        ),
        with(3, &[("emails", json!(["jan@example.com"]))]),
        with(4, &[("nip", json!("PL 123-456-32-18"))]),
        with(
            5,
            &[
                ("emails", json!(["jan@example.com"])),
                ("deleted", json!(true)),
            ],
        ),
    ];
    // Typed values give their keys strongest first (core's matching rule).
    let keys = keys::keys_of_values(&[
        (
            "phones".into(),
            json!([{ "type": "mobile", "number": "+48601111222" }]),
        ),
        ("emails".into(), json!(["JAN@example.com"])),
        ("nip".into(), json!("1234563218")),
    ]);
    let found: Vec<(Uuid, MatchKey)> = holders_of(&contacts, &keys, Some(id(3)), 10)
        .into_iter()
        .map(|(c, key)| (c.id, key))
        .collect();
    assert_eq!(
        found,
        vec![
            (id(4), MatchKey::Nip("1234563218".into())),
            (id(2), MatchKey::Email("jan@example.com".into())),
            (id(1), MatchKey::Phone("+48601111222".into())),
        ],
        "the record itself and the trash are left out"
    );
    assert_eq!(holders_of(&contacts, &keys, None, 2).len(), 2);
    assert!(holders_of(&contacts, &[], None, 10).is_empty());
    // A note typed into an identifier field matches nothing.
    let words = keys::keys_of_values(&[("nip".into(), json!("ask the boss"))]);
    assert!(holders_of(&contacts, &words, None, 10).is_empty());
    // Through the search index: the same, key by key and together.
    let index = crate::query::SearchIndex::build(&contacts);
    let phone_only = vec![MatchKey::Phone("+48601111222".into())];
    let email_only = vec![MatchKey::Email("jan@example.com".into())];
    let unheld = vec![MatchKey::Phone("+48601111229".into())];
    for keys in [
        &keys,
        &phone_only,
        &email_only,
        &unheld,
        &words,
        &Vec::new(),
    ] {
        for own in [None, Some(id(2))] {
            let ids = |found: Vec<(&Contact, MatchKey)>| -> Vec<(Uuid, MatchKey)> {
                found.into_iter().map(|(c, key)| (c.id, key)).collect()
            };
            assert_eq!(
                ids(holders_among(&contacts, &index, keys, own, 10)),
                ids(holders_of(&contacts, keys, own, 10)),
                "{keys:?}"
            );
        }
    }
    assert_eq!(
        holders_among(&contacts, &index, &email_only, None, 10).len(),
        2,
        "any letters' case, not the trash"
    );
}

const FIRST: &[&str] = &["Anna", "Jan", "Éva", "Petr", "Zofia"];
const LAST: &[&str] = &[
    "Kowalska",
    "Kowalski",
    "Kowalsky",
    "Nowak",
    "Nowek",
    "Novák",
    "Nováková",
    "Kovács",
];
const CITIES: &[&str] = &["", "Kraków", "Krakow", "Brno"];
const PHONES: &[&str] = &["", "+48601111222", "+420601111222"];

fn row_strategy() -> impl Strategy<Value = (usize, usize, bool, usize, usize, usize)> {
    (
        0..FIRST.len(),
        0..LAST.len(),
        any::<bool>(),
        0..CITIES.len(),
        0..CITIES.len(),
        0..PHONES.len(),
    )
}

fn make_rows(picks: &[(usize, usize, bool, usize, usize, usize)]) -> Vec<Fields> {
    picks
        .iter()
        .map(|&(first, last, swapped, city, company, phone)| {
            let (a, b) = if swapped {
                (LAST[last], FIRST[first])
            } else {
                (FIRST[first], LAST[last])
            };
            let mut fields = person(a, b, CITIES[company], CITIES[city]);
            if !PHONES[phone].is_empty() {
                fields = with(
                    fields,
                    "phones",
                    json!([{ "type": "mobile", "number": PHONES[phone] }]),
                );
            }
            fields
        })
        .collect()
}

/// The groups as sets of ids.
fn partition(groups: &[Group]) -> BTreeSet<BTreeSet<Uuid>> {
    groups
        .iter()
        .map(|group| group.ids.iter().copied().collect())
        .collect()
}

/// Every pair compared with every other, joined transitively: what the blocks must find.
fn brute_force(profiles: &[Profile]) -> BTreeSet<BTreeSet<Uuid>> {
    let place_of = |p: &Profile, place: Place| {
        places(p)
            .find(|(kind, _)| *kind == place)
            .map(|(_, value)| value.to_owned())
    };
    let alike = |a: &Profile, b: &Profile, place: Place| {
        comparable_name(a)
            && comparable_name(b)
            && place_of(a, place).is_some()
            && place_of(a, place) == place_of(b, place)
            && similar_names(a, b)
    };
    let crowd = |a: &Profile, place: Place| profiles.iter().filter(|b| alike(a, b, place)).count();
    // Every pair with its strongest reason, joined the strongest first, then by ids.
    let mut pairs = Vec::new();
    for (i, a) in profiles.iter().enumerate() {
        for (j, b) in profiles.iter().enumerate().skip(i + 1) {
            if a.distinct.contains(&b.id) || b.distinct.contains(&a.id) {
                continue;
            }
            let shared = a
                .keys
                .iter()
                .filter(|key| b.keys.contains(key))
                .filter(|key| {
                    profiles.iter().filter(|p| p.keys.contains(key)).count() <= MAX_SHARED
                })
                .map(|key| key.strength() + 1)
                .max();
            let named = [Place::Company, Place::PersonCity, Place::CompanyCity]
                .into_iter()
                .any(|place| {
                    alike(a, b, place)
                        && crowd(a, place) <= NAME_CROWD
                        && crowd(b, place) <= NAME_CROWD
                });
            let strength = shared.or(named.then_some(0));
            if let Some(strength) = strength {
                let (x, y) = (a.id.min(b.id), a.id.max(b.id));
                pairs.push((std::cmp::Reverse(strength), x, y, i as u32, j as u32));
            }
        }
    }
    pairs.sort();
    let mut sets = Sets::new(profiles.len());
    let mut sizes = vec![1usize; profiles.len()];
    for (_, _, _, i, j) in pairs {
        let (ri, rj) = (sets.find(i), sets.find(j));
        if ri != rj && sizes[ri as usize] + sizes[rj as usize] <= MAX_GROUP {
            let size = sizes[ri as usize] + sizes[rj as usize];
            sets.join(ri, rj);
            sizes[sets.find(ri) as usize] = size;
        }
    }
    let mut by_root: HashMap<u32, BTreeSet<Uuid>> = HashMap::new();
    for (i, profile) in profiles.iter().enumerate() {
        by_root
            .entry(sets.find(i as u32))
            .or_default()
            .insert(profile.id);
    }
    by_root.into_values().filter(|set| set.len() > 1).collect()
}

proptest! {
    /// The blocks miss no pair a comparison of every pair finds (sizes kept under
    /// MAX_SHARED and MAX_BLOCK), groups stay within MAX_GROUP, and they do not depend on
    /// the records' order.
    #[test]
    fn groups_are_what_comparing_every_pair_finds(
        picks in prop::collection::vec(row_strategy(), 0..18),
        rotate in 0usize..18,
    ) {
        let rows = make_rows(&picks);
        let all = profiles(&rows);
        let groups = find_groups(&all);
        prop_assert_eq!(partition(&groups), brute_force(&all));
        let mut turned = all.clone();
        if !turned.is_empty() {
            let by = rotate % turned.len();
            turned.rotate_left(by);
        }
        prop_assert_eq!(partition(&find_groups(&turned)), partition(&groups));
        for group in &groups {
            prop_assert!(!group.reasons.is_empty());
            prop_assert!(group.ids.len() <= MAX_GROUP);
        }
    }
}
