//! Duplicates among the records: groups of records that are probably one customer, each
//! with its reasons — the same phone, e-mail or NIP/PESEL/REGON (the matching
//! keys), or a similar name together with the same company or city.
//!
//! A name is similar when its words are the same after folding (case and diacritics), in
//! any order (Hungarian puts the family name first), with the Polish and Czech feminine
//! and masculine surname forms taken as one (Kowalski/Kowalska, Novák/Nováková), or when
//! one word differs by one typo (a letter wrong, missing, added, or two swapped).
//!
//! Everything is hashing and sorting, no comparison of every record with every other: the
//! names are blocked by their words with one letter left out (a deletion neighbourhood),
//! so two names one typo apart always meet in a block. A pair the user marked "not
//! duplicates" (`distinct:<id>` on either record) joins no group.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::keys::{self, MatchKey};
use crate::merge::Fields;
use crate::record::Contact;
use crate::text::fold;

pub use crate::schema::DISTINCT_PREFIX;
/// Records sharing one key beyond this many are not grouped by it: such a key is a shared
/// one (a switchboard number, an office's e-mail), not one customer's.
pub const MAX_SHARED: usize = 20;
/// Names in one block beyond this many are not compared: a name that common in one city
/// says nothing about who is whom.
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

/// What the "Find duplicates" page lists: groups with their members as the device shows
/// them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Found {
    /// Records looked through (those not in the trash).
    pub records: u32,
    pub groups: Vec<FoundGroup>,
    /// Groups found beyond those listed.
    pub more: u32,
}

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
    /// The member from a record's shown fields.
    pub fn of(id: Uuid, fields: &Fields) -> Member {
        let contact = crate::record::Contact::from_fields(&id.to_string(), fields);
        Member {
            id,
            name: contact
                .as_ref()
                .map(|c| c.display_name())
                .unwrap_or_default(),
            company: text(fields, "company").to_owned(),
            city: text(fields, "city").to_owned(),
            phones: contact
                .as_ref()
                .map(|c| c.phones.iter().map(|p| p.number.to_string()).collect())
                .unwrap_or_default(),
            emails: contact
                .as_ref()
                .map(|c| c.emails.iter().map(|e| e.to_string()).collect())
                .unwrap_or_default(),
        }
    }
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
                && one_typo_apart(x, y)
        }
        _ => false,
    }
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

fn hash_of(parts: impl Hash) -> u64 {
    // FNV-1a: stable on every platform (the blocks do not depend on a random seed).
    struct Fnv(u64);
    impl Hasher for Fnv {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for byte in bytes {
                self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    parts.hash(&mut hasher);
    hasher.finish()
}

/// Where a record's name is compared: among persons of one company, persons of one city,
/// or companies of one city.
#[derive(Hash, Clone, Copy, PartialEq, Eq)]
enum Place {
    Company,
    PersonCity,
    CompanyCity,
}

/// The blocks a profile's name falls in: for every place it has and every word of its
/// name, the other words with that word or that word missing one letter.
fn blocks(profile: &Profile, into: &mut Vec<(u64, u32)>, index: u32) {
    let words = &profile.words;
    if words.is_empty() || words.iter().map(String::len).sum::<usize>() < 3 {
        return;
    }
    let mut places: Vec<(Place, &str)> = Vec::with_capacity(2);
    if let Some((company, _)) = &profile.company {
        places.push((Place::Company, company));
    }
    if let Some((city, _)) = &profile.city {
        let place = if profile.company_kind {
            Place::CompanyCity
        } else {
            Place::PersonCity
        };
        places.push((place, city));
    }
    for (at, word) in words.iter().enumerate() {
        let others: Vec<&str> = words
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != at)
            .map(|(_, w)| w.as_str())
            .collect();
        let chars: Vec<(usize, char)> = word.char_indices().collect();
        let mut variants = vec![word.clone()];
        if chars.len() >= TYPO_MIN_LEN {
            for (start, c) in &chars {
                let mut variant = String::with_capacity(word.len());
                variant.push_str(&word[..*start]);
                variant.push_str(&word[start + c.len_utf8()..]);
                variants.push(variant);
            }
        }
        variants.sort();
        variants.dedup();
        for (place, value) in &places {
            for variant in &variants {
                into.push((hash_of((place, value, &others, variant)), index));
            }
        }
    }
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

/// The place two profiles' similar names are in: the company they share, else the city.
fn shared_place(a: &Profile, b: &Profile) -> Option<Reason> {
    if a.company_kind != b.company_kind {
        return None;
    }
    if let (Some((x, one)), Some((y, other))) = (&a.company, &b.company)
        && x == y
    {
        return Some(Reason::NameAndCompany {
            company: better_written(one, other).to_owned(),
        });
    }
    if let (Some((x, one)), Some((y, other))) = (&a.city, &b.city)
        && x == y
    {
        return Some(Reason::NameAndCity {
            city: better_written(one, other).to_owned(),
        });
    }
    None
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
pub fn find_groups(profiles: &[Profile]) -> Vec<Group> {
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
    let is_ignored = |a: u32, b: u32| ignored.contains(&(a.min(b), a.max(b)));
    let mut sets = Sets::new(profiles.len());
    let mut edges: Vec<(u32, Reason)> = Vec::new();

    // The same key.
    let mut by_key: HashMap<&MatchKey, Vec<u32>> = HashMap::new();
    for (i, profile) in profiles.iter().enumerate() {
        for key in &profile.keys {
            by_key.entry(key).or_default().push(i as u32);
        }
    }
    for (key, holders) in &by_key {
        if holders.len() < 2 || holders.len() > MAX_SHARED {
            continue;
        }
        for (n, &a) in holders.iter().enumerate() {
            for &b in &holders[n + 1..] {
                if !is_ignored(a, b) {
                    sets.join(a, b);
                    edges.push((
                        a,
                        Reason::Same {
                            key: (*key).clone(),
                        },
                    ));
                }
            }
        }
    }

    // Similar names in one place.
    let mut entries = Vec::new();
    for (i, profile) in profiles.iter().enumerate() {
        blocks(profile, &mut entries, i as u32);
    }
    entries.sort_unstable();
    entries.dedup();
    let mut start = 0;
    while start < entries.len() {
        let hash = entries[start].0;
        let end = start + entries[start..].partition_point(|(h, _)| *h == hash);
        let block = &entries[start..end];
        start = end;
        if block.len() < 2 || block.len() > MAX_BLOCK {
            continue;
        }
        for (n, &(_, a)) in block.iter().enumerate() {
            for &(_, b) in &block[n + 1..] {
                let (pa, pb) = (&profiles[a as usize], &profiles[b as usize]);
                if is_ignored(a, b) || !similar_names(pa, pb) {
                    continue;
                }
                let Some(reason) = shared_place(pa, pb) else {
                    continue;
                };
                sets.join(a, b);
                edges.push((a, reason));
            }
        }
    }

    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    for i in 0..profiles.len() as u32 {
        let root = sets.find(i);
        members.entry(root).or_default().push(i);
    }
    let mut reasons: HashMap<u32, Vec<Reason>> = HashMap::new();
    for (a, reason) in edges {
        reasons.entry(sets.find(a)).or_default().push(reason);
    }
    let mut groups: Vec<(u32, Group)> = members
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(root, ids)| {
            let mut why = reasons.remove(&root).unwrap_or_default();
            why.sort_by(|a, b| b.strength().cmp(&a.strength()).then_with(|| a.cmp(b)));
            why.dedup();
            why = one_per_place(why);
            why.truncate(MAX_REASONS);
            let group = Group {
                ids: ids.iter().map(|&i| profiles[i as usize].id).collect(),
                reasons: why,
            };
            (root, group)
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
pub fn holders_of<'c>(
    contacts: &'c [Contact],
    keys: &[MatchKey],
    own: Option<Uuid>,
    most: usize,
) -> Vec<(&'c Contact, MatchKey)> {
    if keys.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<(&Contact, MatchKey)> = contacts
        .iter()
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
