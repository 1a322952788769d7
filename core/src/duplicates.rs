//! Duplicates among the records: groups of records that are probably one customer, each
//! with its reasons — the same phone, e-mail or NIP/PESEL/REGON (the matching
//! keys), or a similar name together with the same company or city.
//!
//! A name is similar when its words are the same after folding (case and diacritics), in
//! any order (Hungarian puts the family name first), with the Polish and Czech feminine
//! and masculine surname forms taken as one (Kowalski/Kowalska, Novák/Nováková), or when
//! one word differs by one typo (a letter wrong, missing, added, or two swapped).
//!
//! A name is evidence only where it is not common: when more than [`NAME_CROWD`] records
//! of one company or city have similar names, they are namesakes (a city's five Jan
//! Kowalskis are five people), and name pairs never chain them into one group.
//!
//! Everything is hashing and sorting, no comparison of every record with every other: the
//! names are blocked by their words with one letter left out (a deletion neighbourhood),
//! so two names one typo apart always meet in a block. A pair the user marked "not
//! duplicates" (`distinct:<id>` on either record) joins no group.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::keys::{self, MatchKey};
use crate::merge::Fields;
use crate::record::Contact;
use crate::text::fold;

pub use crate::schema::DISTINCT_PREFIX;
/// Records in one group at most: as many as one merge takes (`combine::MAX_RECORDS`).
pub const MAX_GROUP: usize = crate::combine::MAX_RECORDS;
/// Records sharing one key beyond this many are not grouped by it: such a key is a shared
/// one (a switchboard number, an office's e-mail), not one customer's — more of one
/// customer than one merge takes is not a customer entered again.
pub const MAX_SHARED: usize = MAX_GROUP;
/// Records with similar names in one company or city beyond this many are namesakes, not
/// one customer entered again (see [`name_edges`]).
pub const NAME_CROWD: usize = 3;
/// Names in one block beyond this many are not compared: they are that many similar names
/// in one place, namesakes (see [`NAME_CROWD`]) whatever the comparisons would find.
const MAX_BLOCK: usize = 40;
/// The shortest word a typo is allowed in (Jan and Jana are two people).
const TYPO_MIN_LEN: usize = 4;
/// Reasons a group lists at most.
const MAX_REASONS: usize = 6;

/// What a record is compared by, made once per record.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: Uuid,
    /// Phones, e-mails and identifiers, strongest first.
    pub keys: Vec<MatchKey>,
    pub company_kind: bool,
    /// The name's words, normalized (see [`name_words`]), sorted.
    pub words: Vec<String>,
    /// Those of them from the last name (the rest are given names, or a company's).
    pub surnames: Vec<String>,
    /// The company a person works for (its words normalized, joined), and as written.
    pub company: Option<(String, String)>,
    /// The city folded, and as written.
    pub city: Option<(String, String)>,
    /// Records this one is marked as not a duplicate of.
    pub distinct: Vec<Uuid>,
}

/// Why records are grouped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// They hold the same phone, e-mail or identifier.
    Same { key: MatchKey },
    /// Similar names and the same company (as the first record writes it).
    NameAndCompany { company: String },
    /// Similar names and the same city.
    NameAndCity { city: String },
}

impl Reason {
    /// An identifier above an e-mail above a phone above a similar name.
    pub fn strength(&self) -> u8 {
        match self {
            Reason::Same { key } => key.strength() + 1,
            Reason::NameAndCompany { .. } | Reason::NameAndCity { .. } => 0,
        }
    }
}

/// Records that are probably one customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// In the order the records were given.
    pub ids: Vec<Uuid>,
    /// Strongest first, each once.
    pub reasons: Vec<Reason>,
}

impl Group {
    pub fn strength(&self) -> u8 {
        self.reasons.first().map_or(0, Reason::strength)
    }
}

/// What the worker's scan answers: the groups found (the strongest first), as ids; the page
/// lists them with their members as its replica holds them ([`listed`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Found {
    /// Records looked through (those not in the trash).
    pub records: u32,
    pub groups: Vec<Group>,
    /// Groups found beyond those listed.
    pub more: u32,
}

/// A group as the page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundGroup {
    pub reasons: Vec<Reason>,
    pub members: Vec<Member>,
}

/// A record of a group, as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub id: Uuid,
    pub name: String,
    pub company: String,
    pub city: String,
    /// As stored (E.164 where it could be normalized).
    pub phones: Vec<String>,
    pub emails: Vec<String>,
}

impl Member {
    /// The member from a contact as the device holds it.
    pub fn of_contact(contact: &Contact) -> Member {
        Member {
            id: contact.id,
            name: contact.display_name(),
            company: contact.text("company").to_owned(),
            city: contact.text("city").to_owned(),
            phones: contact
                .phones
                .iter()
                .map(|p| p.number.to_string())
                .collect(),
            emails: contact.emails.iter().map(|e| e.to_string()).collect(),
        }
    }
}

/// The groups as the page lists them: each with its members as `contact` gives them (those
/// it does not give, or gives in the trash, left out; a group left with one member is no
/// group), the members by name; the groups the strongest first, then the larger, then by
/// their first member's name (a person reads a list by name; the ids' order is no order).
pub fn listed<'c>(
    groups: &[Group],
    contact: impl Fn(&Uuid) -> Option<&'c Contact>,
) -> Vec<FoundGroup> {
    let mut listed: Vec<(u8, Box<str>, FoundGroup)> = groups
        .iter()
        .filter_map(|group| {
            let mut members: Vec<&Contact> = group
                .ids
                .iter()
                .filter_map(&contact)
                .filter(|c| !c.deleted)
                .collect();
            if members.len() < 2 {
                return None;
            }
            members.sort_by(|a, b| a.sort_name.cmp(&b.sort_name).then(a.id.cmp(&b.id)));
            let first = members[0].sort_name.clone();
            Some((
                group.strength(),
                first,
                FoundGroup {
                    reasons: group.reasons.clone(),
                    members: members.into_iter().map(Member::of_contact).collect(),
                },
            ))
        })
        .collect();
    listed.sort_by(|(sa, na, ga), (sb, nb, gb)| {
        sb.cmp(sa)
            .then(gb.members.len().cmp(&ga.members.len()))
            .then(na.cmp(nb))
    });
    listed.into_iter().map(|(_, _, group)| group).collect()
}

/// The `distinct:` marks that set every pair of `ids` apart: for each pair, on the record
/// of the two that `may_write` allows (the first of the pair if both), `None` for a pair
/// the user may write neither of. (record, field, true).
pub fn distinct_marks(
    ids: &[Uuid],
    may_write: impl Fn(&Uuid) -> bool,
) -> Vec<Option<(Uuid, String)>> {
    let mut marks = Vec::new();
    for (n, a) in ids.iter().enumerate() {
        for b in &ids[n + 1..] {
            let (first, second) = if a < b { (a, b) } else { (b, a) };
            let mark = if may_write(first) {
                Some((*first, format!("{DISTINCT_PREFIX}{second}")))
            } else if may_write(second) {
                Some((*second, format!("{DISTINCT_PREFIX}{first}")))
            } else {
                None
            };
            marks.push(mark);
        }
    }
    marks
}

/// Legal forms and the like, left out of a company's name when names are compared.
const COMPANY_WORDS: &[&str] = &[
    "sp", "z", "o", "oo", "spzoo", "sa", "sk", "ska", "spj", "spk", "sro", "spol", "as", "kft",
    "zrt", "nyrt", "bt", "kkt", "rt", "ltd", "llc", "inc", "gmbh", "ag", "co", "s", "r", "a", "k",
    "j", "zoo",
];

/// The stem of a surname's gendered forms: Polish -ski/-ska, -cki/-cka, -dzki/-dzka and
/// Czech -ský/-ská, -cký/-cká lose their last letter; Czech -ová loses it whole
/// (Nováková → novak, as Novák). Given folded words.
fn stem(word: &str) -> &str {
    if word.len() >= 6
        && let Some(base) = word.strip_suffix("ova")
    {
        return base;
    }
    // (-dzki, not -zki: Franciszka is a first name, not a surname's form.)
    for ending in ["ski", "ska", "sky", "cki", "cka", "cky", "dzki", "dzka"] {
        if word.len() > ending.len() + 1 && word.ends_with(ending) {
            return &word[..word.len() - 1];
        }
    }
    word
}

/// The words of a name as compared: folded, split at anything not a letter or digit,
/// gendered surname forms stemmed.
pub fn name_words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| stem(word).to_owned())
        .collect()
}

/// A company's name as compared: its words folded, legal forms left out.
pub fn company_words(text: &str) -> Vec<String> {
    let words: Vec<String> = fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && !COMPANY_WORDS.contains(word))
        .map(str::to_owned)
        .collect();
    if words.is_empty() {
        // A name made of nothing but such words is compared as it is.
        return fold(text)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_owned)
            .collect();
    }
    words
}

fn text<'f>(fields: &'f Fields, name: &str) -> &'f str {
    fields
        .get(name)
        .and_then(|state| state.value.as_str())
        .map_or("", str::trim)
}

impl Profile {
    /// Whether [`Profile::of`] reads the field (a scan may skip every other).
    pub fn reads(field: &str) -> bool {
        matches!(
            field,
            "deleted"
                | "kind"
                | "first_name"
                | "last_name"
                | "company"
                | "city"
                | "nip"
                | "pesel"
                | "regon"
                | "emails"
                | "phones"
        ) || field.starts_with(DISTINCT_PREFIX)
    }

    /// The profile of a record from its shown fields; `None` for a record in the trash.
    pub fn of(id: Uuid, fields: &Fields) -> Option<Profile> {
        let flag = |name: &str| fields.get(name).and_then(|s| s.value.as_bool()) == Some(true);
        if flag("deleted") {
            return None;
        }
        let company_kind = text(fields, "kind") == "company";
        let company_name = text(fields, "company");
        let surnames = if company_kind {
            Vec::new()
        } else {
            name_words(text(fields, "last_name"))
        };
        let mut words = if company_kind {
            company_words(company_name)
        } else {
            let mut words = name_words(text(fields, "first_name"));
            words.extend(surnames.iter().cloned());
            words
        };
        words.sort();
        let company = (!company_kind && !company_name.is_empty())
            .then(|| company_words(company_name).join(" "))
            .filter(|joined| !joined.is_empty())
            .map(|joined| (joined, company_name.to_owned()));
        let city = text(fields, "city");
        let city = (!city.is_empty()).then(|| (fold(city), city.to_owned()));
        let distinct = fields
            .iter()
            .filter(|(_, state)| state.value == Value::Bool(true))
            .filter_map(|(name, _)| name.strip_prefix(DISTINCT_PREFIX))
            .filter_map(|other| Uuid::parse_str(other).ok())
            .collect();
        Some(Profile {
            id,
            keys: keys::keys_of_fields(fields),
            company_kind,
            words,
            surnames,
            company,
            city,
            distinct,
        })
    }
}

/// At most one edit apart (a letter substituted, inserted or deleted, or two neighbours
/// swapped: the optimal string alignment distance ≤ 1).
pub fn one_typo_apart(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        0 => {
            let differ: Vec<usize> = (0..short.len()).filter(|&i| short[i] != long[i]).collect();
            match differ.as_slice() {
                [] | [_] => true,
                [i, j] => *j == i + 1 && short[*i] == long[*j] && short[*j] == long[*i],
                _ => false,
            }
        }
        1 => {
            let first = (0..short.len())
                .find(|&i| short[i] != long[i])
                .unwrap_or(short.len());
            short[first..] == long[first + 1..]
        }
        _ => false,
    }
}

/// Whether two names' words (sorted, normalized) are the same, or the same but for one
/// word one typo apart (neither shorter than [`TYPO_MIN_LEN`]). `given` says whether a
/// differing pair of words is of given names (first names): there a final "a" more is a
/// woman's name beside a man's (Petr/Petra, Józef/Józefa), not a typo — in a surname it is
/// the Czech feminine form (Svoboda/Svobodová).
pub fn similar_words(a: &[String], b: &[String], given: impl Fn(&str, &str) -> bool) -> bool {
    if a.is_empty() || a.len() != b.len() {
        return false;
    }
    if a == b {
        return true;
    }
    // What is left of each once the words they share are taken out.
    let mut rest_b: Vec<&String> = b.iter().collect();
    let mut rest_a = Vec::new();
    for word in a {
        match rest_b.iter().position(|other| *other == word) {
            Some(at) => {
                rest_b.swap_remove(at);
            }
            None => rest_a.push(word),
        }
    }
    match (rest_a.as_slice(), rest_b.as_slice()) {
        ([x], [y]) => {
            let feminine =
                x.strip_suffix('a') == Some(y.as_str()) || y.strip_suffix('a') == Some(x.as_str());
            !(feminine && given(x, y))
                && x.chars().count() >= TYPO_MIN_LEN
                && y.chars().count() >= TYPO_MIN_LEN
                && typo_apart(x, y)
        }
        _ => false,
    }
}

/// Two normalized words one typo apart ([`one_typo_apart`]), or a gendered surname stem and
/// that surname with one letter too many (Kowalski → kowalsk, Kowalskix → kowalski once
/// the x goes: the stem is two letters from the word typed).
fn typo_apart(x: &str, y: &str) -> bool {
    one_typo_apart(x, y) || stem_after_typo(x, y) || stem_after_typo(y, x)
}

/// Whether `typed`, one letter taken out, is a gendered surname form of stem `stemmed`.
fn stem_after_typo(stemmed: &str, typed: &str) -> bool {
    typed.chars().count() == stemmed.chars().count() + 2
        && typed.char_indices().any(|(at, c)| {
            let variant = [&typed[..at], &typed[at + c.len_utf8()..]].concat();
            let stem = stem(&variant);
            stem.len() < variant.len() && stem == stemmed
        })
}

/// Words whose one-letter-less forms may be gendered surnames (a k among the last letters:
/// -ski, -cka, -dzki).
fn may_stem_after_typo(word: &str) -> bool {
    word.len() >= 6 && word.as_bytes()[word.len() - 5..].contains(&b'k')
}

/// Whether two profiles' names are similar (see [`similar_words`]; a word is a given name
/// unless it came from the record's last name).
pub fn similar_names(a: &Profile, b: &Profile) -> bool {
    similar_words(&a.words, &b.words, |x, y| {
        !a.surnames.iter().any(|w| w == x) || !b.surnames.iter().any(|w| w == y)
    })
}

/// Disjoint sets of record indexes.
struct Sets {
    parent: Vec<u32>,
}

impl Sets {
    fn new(len: usize) -> Sets {
        Sets {
            parent: (0..len as u32).collect(),
        }
    }

    fn find(&mut self, mut i: u32) -> u32 {
        while self.parent[i as usize] != i {
            let up = self.parent[self.parent[i as usize] as usize];
            self.parent[i as usize] = up;
            i = up;
        }
        i
    }

    /// Joins the sets of `a` and `b`; false when they were one already.
    fn join(&mut self, a: u32, b: u32) -> bool {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return false;
        }
        // The lower index leads, so a group's order does not depend on the joins' order.
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        self.parent[high as usize] = low;
        true
    }
}

/// FNV-1a: stable on every platform (the blocks do not depend on a random seed).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) -> &mut Fnv {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self
    }

    /// A text and an end mark (no letter of a word: "ab"+"c" is not "a"+"bc").
    fn text(&mut self, text: &str) -> &mut Fnv {
        self.bytes(text.as_bytes()).bytes(&[0xff])
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.bytes(bytes);
    }
}

/// The runs of equal hashes in sorted `(hash, …)` entries, each split into the classes of
/// equal `key` (a hash may be shared by two keys), in the run's order.
fn classes<T: Copy, K: PartialEq>(
    sorted: &[(u64, T)],
    key: impl Fn(T) -> K,
    mut each: impl FnMut(&[T]),
) {
    let mut start = 0;
    let mut class: Vec<T> = Vec::new();
    let mut rest: Vec<T> = Vec::new();
    while start < sorted.len() {
        let hash = sorted[start].0;
        let mut end = start + 1;
        while end < sorted.len() && sorted[end].0 == hash {
            end += 1;
        }
        let run = &sorted[start..end];
        start = end;
        if run.len() == 1 {
            each(&[run[0].1]);
            continue;
        }
        rest.clear();
        rest.extend(run.iter().map(|(_, item)| *item));
        // (Nearly always a run is one key.)
        if rest.iter().all(|&item| key(item) == key(rest[0])) {
            each(&rest);
            continue;
        }
        while let Some(&first) = rest.first() {
            let first = key(first);
            class.clear();
            let mut n = 0;
            while n < rest.len() {
                if key(rest[n]) == first {
                    class.push(rest.remove(n));
                } else {
                    n += 1;
                }
            }
            each(&class);
        }
    }
}

/// Where a record's name is compared: among persons of one company, persons of one city,
/// or companies of one city.
#[derive(Hash, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
#[repr(u8)]
enum Place {
    Company,
    PersonCity,
    CompanyCity,
}

/// Whether a profile's name says anything (three letters at least).
fn comparable_name(profile: &Profile) -> bool {
    profile.words.iter().map(String::len).sum::<usize>() >= 3
}

/// Records with one name (the same words, from the same fields) in one place.
struct Unit<'p> {
    place: Place,
    value: &'p str,
    /// The first of them: its name is every member's.
    first: &'p Profile,
    members: Vec<u32>,
}

/// The places a profile's name is compared in, each with its value folded.
fn places(profile: &Profile) -> impl Iterator<Item = (Place, &str)> {
    let company = profile
        .company
        .as_ref()
        .map(|(company, _)| (Place::Company, company.as_str()));
    let city = profile.city.as_ref().map(|(city, _)| {
        let place = if profile.company_kind {
            Place::CompanyCity
        } else {
            Place::PersonCity
        };
        (place, city.as_str())
    });
    company.into_iter().chain(city)
}

/// The blocks a unit's name falls in: for every word of the name, the other words with
/// that word or that word missing one letter, in the unit's place.
fn blocks(unit: &Unit, into: &mut Vec<(u64, u32)>, index: u32) {
    let words = &unit.first.words;
    let mut place = Fnv::new();
    place.bytes(&[unit.place as u8]).text(unit.value);
    for (at, word) in words.iter().enumerate() {
        let mut others = Fnv(place.0);
        for (i, other) in words.iter().enumerate() {
            if i != at {
                others.text(other);
            }
        }
        into.push((Fnv(others.0).text(word).0, index));
        if word.chars().count() >= TYPO_MIN_LEN {
            // (A doubled letter gives one variant twice: the entries are deduplicated.)
            for (start, c) in word.char_indices() {
                let variant = Fnv(others.0)
                    .bytes(&word.as_bytes()[..start])
                    .bytes(&word.as_bytes()[start + c.len_utf8()..])
                    .bytes(&[0xff])
                    .0;
                into.push((variant, index));
            }
            // (A letter too many after -ski: with it out, the stem's own block.)
            if may_stem_after_typo(word) {
                for (start, c) in word.char_indices() {
                    let variant = [&word[..start], &word[start + c.len_utf8()..]].concat();
                    let stem = stem(&variant);
                    if stem.len() < variant.len() {
                        into.push((Fnv(others.0).text(stem).0, index));
                    }
                }
            }
        }
    }
}

/// The reason two records' similar names give in `place` (the company or city as the
/// better written of the two).
fn place_reason(place: Place, a: &Profile, b: &Profile) -> Option<Reason> {
    match place {
        Place::Company => {
            let (Some((_, one)), Some((_, other))) = (&a.company, &b.company) else {
                return None;
            };
            Some(Reason::NameAndCompany {
                company: better_written(one, other).to_owned(),
            })
        }
        Place::PersonCity | Place::CompanyCity => {
            let (Some((_, one)), Some((_, other))) = (&a.city, &b.city) else {
                return None;
            };
            Some(Reason::NameAndCity {
                city: better_written(one, other).to_owned(),
            })
        }
    }
}

/// The pairs of records with similar names in one place, each with its reason — where
/// that name is not common there: when more than [`NAME_CROWD`] records of one company or
/// city have names similar to a record's (its own counted), they are namesakes, and its
/// name is no evidence there. So name pairs do not chain a city's Jan Kowalskis into one.
fn name_edges<'p>(profiles: &[&'p Profile]) -> Vec<(u32, u32, Reason)> {
    let mut named: Vec<(u64, (u32, Place))> = Vec::new();
    for (i, profile) in profiles.iter().enumerate() {
        if !comparable_name(profile) {
            continue;
        }
        for (place, value) in places(profile) {
            let mut hash = Fnv::new();
            hash.bytes(&[place as u8]).text(value);
            profile.words.iter().for_each(|word| _ = hash.text(word));
            hash.bytes(&[0xfe]);
            profile.surnames.iter().for_each(|word| _ = hash.text(word));
            named.push((hash.0, (i as u32, place)));
        }
    }
    named.sort_unstable_by_key(|&(hash, (i, _))| (hash, i));
    let value_of = |profile: &'p Profile, place: Place| {
        places(profile)
            .find(|(kind, _)| *kind == place)
            .map_or("", |(_, value)| value)
    };
    let mut units: Vec<Unit> = Vec::new();
    let unit_key = |(i, place): (u32, Place)| {
        let profile: &'p Profile = profiles[i as usize];
        (
            place,
            value_of(profile, place),
            &profile.words,
            &profile.surnames,
        )
    };
    classes(&named, unit_key, |class| {
        let (i, place) = class[0];
        let first: &'p Profile = profiles[i as usize];
        units.push(Unit {
            place,
            value: value_of(first, place),
            first,
            members: class.iter().map(|&(i, _)| i).collect(),
        });
    });

    // Pairs of units with similar names in one place, from the blocks they share.
    let mut entries = Vec::new();
    for (n, unit) in units.iter().enumerate() {
        blocks(unit, &mut entries, n as u32);
    }
    entries.sort_unstable();
    entries.dedup();
    let mut similar: Vec<(u32, u32)> = Vec::new();
    let mut crowded = vec![false; units.len()];
    let mut start = 0;
    while start < entries.len() {
        let hash = entries[start].0;
        let mut end = start + 1;
        while end < entries.len() && entries[end].0 == hash {
            end += 1;
        }
        let block = &entries[start..end];
        start = end;
        if block.len() > MAX_BLOCK {
            block.iter().for_each(|&(_, u)| crowded[u as usize] = true);
            continue;
        }
        if block.len() < 2 {
            continue;
        }
        for (n, &(_, u)) in block.iter().enumerate() {
            for &(_, v) in &block[n + 1..] {
                let (one, other) = (&units[u as usize], &units[v as usize]);
                // (A block is a hash: two places may share one.)
                if one.place == other.place
                    && one.value == other.value
                    && similar_names(one.first, other.first)
                {
                    similar.push((u.min(v), u.max(v)));
                }
            }
        }
    }
    similar.sort_unstable();
    similar.dedup();

    // How many records of its place have a name similar to each unit's.
    let mut crowd: Vec<usize> = units.iter().map(|unit| unit.members.len()).collect();
    for &(u, v) in &similar {
        crowd[u as usize] += units[v as usize].members.len();
        crowd[v as usize] += units[u as usize].members.len();
    }
    let open = |u: u32| !crowded[u as usize] && crowd[u as usize] <= NAME_CROWD;
    let mut edges = Vec::new();
    let mut pair = |a: u32, b: u32, place: Place| {
        if let Some(reason) = place_reason(place, profiles[a as usize], profiles[b as usize]) {
            edges.push((a, b, reason));
        }
    };
    for (n, unit) in units.iter().enumerate() {
        if open(n as u32) {
            for (k, &a) in unit.members.iter().enumerate() {
                for &b in &unit.members[k + 1..] {
                    pair(a, b, unit.place);
                }
            }
        }
    }
    for &(u, v) in &similar {
        if open(u) && open(v) {
            let (one, other) = (&units[u as usize], &units[v as usize]);
            for &a in &one.members {
                for &b in &other.members {
                    pair(a, b, one.place);
                }
            }
        }
    }
    edges
}

/// Of two ways one name is written, the one to show: with its diacritics (Kraków, not
/// Krakow), not in capitals, else the first in order — whichever record comes first.
fn better_written<'t>(a: &'t str, b: &'t str) -> &'t str {
    let score = |text: &str| {
        let accents = text.chars().filter(|c| !c.is_ascii()).count();
        let not_capitals = text.chars().filter(|c| c.is_lowercase()).count();
        (accents, not_capitals)
    };
    match score(a).cmp(&score(b)) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        std::cmp::Ordering::Equal => a.min(b),
    }
}

/// A group's name reasons once per company or city, each as best written: the pairs of a
/// group may write one city three ways (Kraków, KRAKÓW, Krakow).
fn one_per_place(reasons: Vec<Reason>) -> Vec<Reason> {
    let place = |reason: &Reason| match reason {
        Reason::NameAndCompany { company } => Some((0, fold(company))),
        Reason::NameAndCity { city } => Some((1, fold(city))),
        Reason::Same { .. } => None,
    };
    let mut out: Vec<Reason> = Vec::with_capacity(reasons.len());
    for reason in reasons {
        let key = place(&reason);
        let held = key.as_ref().and_then(|key| {
            out.iter_mut()
                .find(|kept| place(kept).as_ref() == Some(key))
        });
        match (held, &reason) {
            (
                Some(Reason::NameAndCompany { company: kept }),
                Reason::NameAndCompany { company },
            ) => {
                *kept = better_written(kept, company).to_owned();
            }
            (Some(Reason::NameAndCity { city: kept }), Reason::NameAndCity { city }) => {
                *kept = better_written(kept, city).to_owned();
            }
            _ => out.push(reason),
        }
    }
    out
}

/// Groups of `profiles` that are probably one customer, the strongest reasons first, then
/// the larger groups.
///
/// Records join through the pairs found, the strongest first (an identifier, an e-mail, a
/// phone, a name; among equals by the records' ids), as long as the group stays within
/// [`MAX_GROUP`]: pairs chain (A has B's phone, B has C's e-mail), but never into a group
/// no one could merge.
pub fn find_groups<P: Borrow<Profile>>(profiles: &[P]) -> Vec<Group> {
    let profiles: Vec<&Profile> = profiles.iter().map(Borrow::borrow).collect();
    let index_of: HashMap<Uuid, u32> = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, i as u32))
        .collect();
    let mut ignored: HashSet<(u32, u32)> = HashSet::new();
    for (i, profile) in profiles.iter().enumerate() {
        for other in &profile.distinct {
            if let Some(&j) = index_of.get(other) {
                let i = i as u32;
                ignored.insert((i.min(j), i.max(j)));
            }
        }
    }
    // Each record's place in the order of the ids (the pairs' order must not depend on
    // the order the records come in).
    let mut rank = vec![0u32; profiles.len()];
    let mut by_id: Vec<u32> = (0..profiles.len() as u32).collect();
    by_id.sort_unstable_by_key(|&i| profiles[i as usize].id);
    for (r, &i) in by_id.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    // (strength reversed, the pair's ranks, the reason's index in `reasons`)
    let mut pairs: Vec<(u8, u32, u32, u32)> = Vec::new();
    let mut reasons: Vec<Reason> = Vec::new();
    let mut pair = |a: u32, b: u32, strength: u8, reason: u32| {
        let (x, y) = (rank[a as usize], rank[b as usize]);
        if x != y && !ignored.contains(&(a.min(b), a.max(b))) {
            pairs.push((u8::MAX - strength, x.min(y), x.max(y), reason));
        }
    };

    // The same key.
    let mut held: Vec<(u64, (u32, u32))> = Vec::new();
    for (i, profile) in profiles.iter().enumerate() {
        for (k, key) in profile.keys.iter().enumerate() {
            let mut hash = Fnv::new();
            std::hash::Hash::hash(key, &mut hash);
            held.push((hash.0, (i as u32, k as u32)));
        }
    }
    held.sort_unstable();
    let key_of = |(i, k): (u32, u32)| &profiles[i as usize].keys[k as usize];
    classes(&held, key_of, |class| {
        let mut holders: Vec<u32> = class.iter().map(|&(i, _)| i).collect();
        holders.dedup();
        if holders.len() < 2 || holders.len() > MAX_SHARED {
            return;
        }
        let reason = Reason::Same {
            key: key_of(class[0]).clone(),
        };
        let strength = reason.strength();
        let at = reasons.len() as u32;
        reasons.push(reason);
        for (n, &a) in holders.iter().enumerate() {
            for &b in &holders[n + 1..] {
                pair(a, b, strength, at);
            }
        }
    });

    // Similar names in one place.
    for (a, b, reason) in name_edges(&profiles) {
        let at = reasons.len() as u32;
        pair(a, b, reason.strength(), at);
        reasons.push(reason);
    }

    pairs.sort_unstable();
    let mut sets = Sets::new(profiles.len());
    let mut sizes = vec![1u32; profiles.len()];
    let mut taken: Vec<(u32, u32)> = Vec::new();
    for &(_, x, y, reason) in &pairs {
        let (a, b) = (by_id[x as usize], by_id[y as usize]);
        let (ra, rb) = (sets.find(a), sets.find(b));
        if ra != rb {
            let size = sizes[ra as usize] + sizes[rb as usize];
            if size as usize > MAX_GROUP {
                continue;
            }
            sets.join(ra, rb);
            sizes[sets.find(ra) as usize] = size;
        }
        taken.push((a, reason));
    }

    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    for i in 0..profiles.len() as u32 {
        if sizes[sets.find(i) as usize] > 1 {
            members.entry(sets.find(i)).or_default().push(i);
        }
    }
    let mut why_of: HashMap<u32, Vec<u32>> = HashMap::new();
    for (a, reason) in taken {
        why_of.entry(sets.find(a)).or_default().push(reason);
    }
    let mut groups: Vec<(u32, Group)> = members
        .into_iter()
        .map(|(root, ids)| {
            // (By the first of its records in the ids' order, among equals.)
            let mut why: Vec<Reason> = why_of
                .remove(&root)
                .unwrap_or_default()
                .into_iter()
                .map(|at| reasons[at as usize].clone())
                .collect();
            why.sort_by(|a, b| b.strength().cmp(&a.strength()).then_with(|| a.cmp(b)));
            why.dedup();
            why = one_per_place(why);
            why.truncate(MAX_REASONS);
            let first = ids.iter().map(|&i| rank[i as usize]).min().unwrap_or(0);
            let group = Group {
                ids: ids.iter().map(|&i| profiles[i as usize].id).collect(),
                reasons: why,
            };
            (first, group)
        })
        .collect();
    groups.sort_by(|(ra, a), (rb, b)| {
        b.strength()
            .cmp(&a.strength())
            .then_with(|| b.ids.len().cmp(&a.ids.len()))
            .then_with(|| ra.cmp(rb))
    });
    groups.into_iter().map(|(_, group)| group).collect()
}

/// Whether `contact` holds `key`: one of its phones (as stored, E.164), one of its
/// e-mails (case-folded), or its NIP, PESEL or REGON (by digits).
pub fn holds(contact: &Contact, key: &MatchKey) -> bool {
    let id_is = |field: &str, digits: &str, prefix: bool| {
        let text = contact.text(field);
        !text.is_empty() && keys::id_digits(text, prefix).as_deref() == Some(digits)
    };
    match key {
        MatchKey::Phone(number) => contact.has_phone(number),
        MatchKey::Email(email) => contact.has_email(email),
        MatchKey::Nip(digits) => id_is("nip", digits, true),
        MatchKey::Pesel(digits) => id_is("pesel", digits, false),
        MatchKey::Regon(digits) => id_is("regon", digits, false),
    }
}

/// The records among `contacts` (not in the trash, not `own`) that hold one of `keys`,
/// each once with the strongest key it shares, the strongest first, at most `most`: what
/// the record form warns of while a phone, e-mail or identifier is typed.
/// [`holders_of`] over `contacts` with their search index (`index`, built from the same
/// slice): a phone or e-mail is looked for in the index's one buffer first (its digits, the
/// address folded: every record holding it has them in its search text), and only those
/// records are checked; an identifier (written any way) checks every record.
pub fn holders_among<'c>(
    contacts: &'c [Contact],
    index: &crate::query::SearchIndex,
    keys: &[MatchKey],
    own: Option<Uuid>,
    most: usize,
) -> Vec<(&'c Contact, MatchKey)> {
    let needle = |key: &MatchKey| match key {
        MatchKey::Phone(number) => crate::phone::search_keys(number).into_iter().next(),
        MatchKey::Email(email) => Some(fold(email)),
        _ => None,
    };
    let mut candidates: Vec<usize> = Vec::new();
    for key in keys {
        match needle(key).filter(|needle| !needle.is_empty()) {
            Some(needle) => candidates.extend(index.containing(&needle)),
            None => return holders_of(contacts, keys, own, most),
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    let chosen: Vec<&Contact> = candidates
        .into_iter()
        .filter_map(|i| contacts.get(i))
        .collect();
    ranked_holders(chosen.into_iter(), keys, own, most)
}

pub fn holders_of<'c>(
    contacts: &'c [Contact],
    keys: &[MatchKey],
    own: Option<Uuid>,
    most: usize,
) -> Vec<(&'c Contact, MatchKey)> {
    if keys.is_empty() {
        return Vec::new();
    }
    ranked_holders(contacts.iter(), keys, own, most)
}

/// The contacts holding one of `keys` (strongest first), each with the strongest it holds,
/// the strongest shared first, then by name; at most `most`.
fn ranked_holders<'c>(
    contacts: impl Iterator<Item = &'c Contact>,
    keys: &[MatchKey],
    own: Option<Uuid>,
    most: usize,
) -> Vec<(&'c Contact, MatchKey)> {
    let mut found: Vec<(&Contact, MatchKey)> = contacts
        .filter(|c| !c.deleted && Some(c.id) != own)
        .filter_map(|c| {
            // `keys` come strongest first: the first held is the strongest shared.
            let key = keys.iter().find(|key| holds(c, key))?;
            Some((c, key.clone()))
        })
        .collect();
    found.sort_by_key(|(c, key)| (std::cmp::Reverse(key.strength()), c.sort_name.clone()));
    found.truncate(most);
    found
}

#[cfg(test)]
mod tests;
