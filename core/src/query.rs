//! Searching and filtering contacts: what a search box and a set of filter conditions
//! mean. Saved views store a [`Query`]; the app compiles it once per keystroke into a
//! [`Matcher`] and runs it over every contact on the device.

use std::collections::HashSet;

use memchr::memmem::Finder;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::phone;
use crate::record::{Contact, ContactKind, TEXT_FIELDS, is_blank};
use crate::text::{fold, terms};

/// A search text plus conditions that must all hold. Stored shape (saved views): fields
/// may only be added.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Query {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.conditions.is_empty()
    }
}

/// One filter condition on a field.
///
/// `field` is a standard contact field (`city`, `owner_id`, …), `segment`, `campaign`,
/// `email`, `phone`, `tag`, `modified` (the date of the latest change), `custom.<key>`, or
/// `my_open_task` (records where the user has an open task).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub op: Op,
    /// A string, number, bool, id or `YYYY-MM-DD` date; `null` means "nobody"/"none" for
    /// id fields; an array means "any of these" for `is` and `is_not`.
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Is,
    IsNot,
    Contains,
    Empty,
    NotEmpty,
    /// On or after a date / at least a number.
    From,
    /// On or before a date / at most a number.
    Until,
}

/// What a query needs from outside the contacts themselves.
#[derive(Debug, Clone, Default)]
pub struct MatchContext {
    /// The device's offset from UTC in minutes, for date conditions on `modified`.
    pub utc_offset_minutes: i32,
    /// Records where the user has an open task, for `my_open_task`.
    pub open_task_records: HashSet<Uuid>,
}

enum Search {
    None,
    /// Every term must occur in the contact's search text.
    Terms(Vec<(String, Finder<'static>)>),
    /// A phone number or id typed with separators: its digits (or a variant without the
    /// national trunk prefix) must occur.
    Digits(Vec<Finder<'static>>),
}

/// A compiled query.
pub struct Matcher {
    query: Query,
    search: Search,
    conditions: Vec<Compiled>,
}

/// The memberships a condition reads: a contact's `segment:<id>` or `campaign:<id>` fields.
#[derive(Clone, Copy)]
enum Lists {
    Segments,
    Campaigns,
}

impl Lists {
    fn named(field: &str) -> Option<Lists> {
        match field {
            "segment" => Some(Lists::Segments),
            "campaign" => Some(Lists::Campaigns),
            _ => None,
        }
    }

    fn of(self, contact: &Contact) -> &[Uuid] {
        match self {
            Lists::Segments => &contact.segments,
            Lists::Campaigns => &contact.campaigns,
        }
    }
}

enum Compiled {
    /// In any of `ids` (any list of the kind when `ids` is empty) is `member`.
    Member {
        lists: Lists,
        ids: Vec<Uuid>,
        member: bool,
    },
    Id {
        field: IdField,
        ids: Vec<Option<Uuid>>,
        negate: bool,
    },
    IdEmpty {
        field: IdField,
        empty: bool,
    },
    Kind(ContactKind),
    Text {
        index: usize,
        op: Op,
        needle: String,
    },
    Emails {
        op: Op,
        needle: String,
    },
    Phones {
        op: Op,
        variants: Vec<String>,
    },
    Tags {
        op: Op,
        needle: String,
    },
    Modified {
        from_ms: Option<i64>,
        until_ms: Option<i64>,
    },
    Custom {
        key: String,
        op: Op,
        value: Value,
    },
    MyOpenTask(HashSet<Uuid>, bool),
    /// A condition this version does not understand matches nothing, so a view saved by a
    /// newer app never shows more than it should.
    Never,
}

#[derive(Clone, Copy)]
enum IdField {
    Owner,
    Stage,
    Category,
    Organization,
}

fn looks_like_number(query: &str) -> bool {
    let digits = query.chars().filter(char::is_ascii_digit).count();
    digits >= 3
        && query
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
}

fn values(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn ids(value: &Value) -> Vec<Uuid> {
    values(value)
        .into_iter()
        .filter_map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok()))
        .collect()
}

fn optional_ids(value: &Value) -> Vec<Option<Uuid>> {
    values(value)
        .into_iter()
        .filter_map(|v| match v {
            Value::Null => Some(None),
            Value::String(s) => Uuid::parse_str(s).ok().map(Some),
            _ => None,
        })
        .collect()
}

/// Milliseconds since the epoch of local midnight starting `date` (`YYYY-MM-DD`).
fn local_midnight_ms(date: &str, offset_minutes: i32) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(date, format).ok()?;
    let utc_ms = date.midnight().assume_utc().unix_timestamp() * 1000;
    Some(utc_ms - i64::from(offset_minutes) * 60_000)
}

const DAY_MS: i64 = 86_400_000;

fn compile(condition: &Condition, ctx: &MatchContext) -> Compiled {
    let Condition { field, op, value } = condition;
    let op = *op;
    let id_field = match field.as_str() {
        "owner_id" => Some(IdField::Owner),
        "stage_id" => Some(IdField::Stage),
        "category_id" => Some(IdField::Category),
        "organization_id" => Some(IdField::Organization),
        _ => None,
    };
    if let Some(id_field) = id_field {
        return match op {
            Op::Is | Op::IsNot => Compiled::Id {
                field: id_field,
                ids: optional_ids(value),
                negate: op == Op::IsNot,
            },
            Op::Empty | Op::NotEmpty => Compiled::IdEmpty {
                field: id_field,
                empty: op == Op::Empty,
            },
            _ => Compiled::Never,
        };
    }
    if let Some(lists) = Lists::named(field) {
        match op {
            Op::Is | Op::IsNot => {
                let ids = ids(value);
                let member = op == Op::Is;
                return Compiled::Member { lists, ids, member };
            }
            Op::Empty | Op::NotEmpty => {
                let member = op == Op::NotEmpty;
                return Compiled::Member {
                    lists,
                    ids: Vec::new(),
                    member,
                };
            }
            // Other operators fall through to the fields' rules below, as before.
            _ => {}
        }
    }
    match (field.as_str(), op) {
        ("kind", Op::Is) => match value.as_str() {
            Some("company") => Compiled::Kind(ContactKind::Company),
            Some("person") => Compiled::Kind(ContactKind::Person),
            _ => Compiled::Never,
        },
        ("email", _) => Compiled::Emails {
            op,
            needle: fold(value.as_str().unwrap_or_default().trim()),
        },
        ("phone", _) => Compiled::Phones {
            op,
            variants: phone::query_variants(&phone::digits(value.as_str().unwrap_or_default())),
        },
        ("tag", _) => Compiled::Tags {
            op,
            needle: fold(value.as_str().unwrap_or_default().trim()),
        },
        ("modified", Op::From | Op::Until) => {
            let start = value
                .as_str()
                .and_then(|date| local_midnight_ms(date, ctx.utc_offset_minutes));
            match start {
                Some(start) if op == Op::From => Compiled::Modified {
                    from_ms: Some(start),
                    until_ms: None,
                },
                Some(start) => Compiled::Modified {
                    from_ms: None,
                    until_ms: Some(start + DAY_MS),
                },
                None => Compiled::Never,
            }
        }
        ("my_open_task", Op::Is) => {
            Compiled::MyOpenTask(ctx.open_task_records.clone(), value != &Value::Bool(false))
        }
        (name, _) if name.starts_with("custom.") => Compiled::Custom {
            key: name["custom.".len()..].to_owned(),
            op,
            value: value.clone(),
        },
        (name, _) => match TEXT_FIELDS.iter().position(|f| *f == name) {
            Some(index) => Compiled::Text {
                index,
                op,
                needle: fold(value.as_str().unwrap_or_default().trim()),
            },
            None => Compiled::Never,
        },
    }
}

fn text_matches(op: Op, haystack: &str, needle: &str) -> bool {
    match op {
        Op::Empty => haystack.trim().is_empty(),
        Op::NotEmpty => !haystack.trim().is_empty(),
        Op::Is => fold(haystack) == needle,
        Op::IsNot => fold(haystack) != needle,
        Op::Contains => fold(haystack).contains(needle),
        Op::From => fold(haystack).as_str() >= needle,
        Op::Until => fold(haystack).as_str() <= needle,
    }
}

fn list_matches<'a>(op: Op, mut items: impl Iterator<Item = &'a str>, needle: &str) -> bool {
    match op {
        Op::Empty => items.next().is_none(),
        Op::NotEmpty => items.next().is_some(),
        Op::Is => items.any(|item| fold(item) == needle),
        Op::IsNot => !items.any(|item| fold(item) == needle),
        Op::Contains => items.any(|item| fold(item).contains(needle)),
        Op::From | Op::Until => false,
    }
}

/// Compares a custom field's value with a condition's: numbers numerically, everything else
/// (text, `YYYY-MM-DD` dates, choices) as folded text; a multi-choice value (an array)
/// matches `is` when one of its options is the condition's value.
fn custom_matches(op: Op, stored: Option<&Value>, wanted: &Value) -> bool {
    let stored = stored.filter(|v| !is_blank(v));
    match op {
        Op::Empty => return stored.is_none(),
        Op::NotEmpty => return stored.is_some(),
        _ => {}
    }
    let Some(stored) = stored else {
        return op == Op::IsNot;
    };
    if let Value::Array(items) = stored {
        let any = items
            .iter()
            .any(|item| values(wanted).iter().any(|w| scalar_eq(item, w)));
        return match op {
            Op::Is | Op::Contains => any,
            Op::IsNot => !any,
            _ => false,
        };
    }
    if let (Some(a), Some(b)) = (stored.as_f64(), number_of(wanted)) {
        return match op {
            Op::Is => a == b,
            Op::IsNot => a != b,
            Op::From => a >= b,
            Op::Until => a <= b,
            _ => false,
        };
    }
    let text = scalar_text(stored);
    match op {
        Op::Is => values(wanted).iter().any(|w| scalar_eq(stored, w)),
        Op::IsNot => !values(wanted).iter().any(|w| scalar_eq(stored, w)),
        Op::Contains => fold(&text).contains(&fold(&scalar_text(wanted))),
        Op::From => text.as_str() >= scalar_text(wanted).as_str(),
        Op::Until => text.as_str() <= scalar_text(wanted).as_str(),
        Op::Empty | Op::NotEmpty => false,
    }
}

fn number_of(value: &Value) -> Option<f64> {
    value.as_f64().or_else(|| {
        value
            .as_str()
            .and_then(|s| s.trim().replace(',', ".").parse().ok())
    })
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Bool(x), Value::String(s)) | (Value::String(s), Value::Bool(x)) => {
            s == if *x { "true" } else { "false" }
        }
        _ => match (number_of(a), number_of(b)) {
            (Some(x), Some(y)) if a.is_number() || b.is_number() => x == y,
            _ => fold(&scalar_text(a)) == fold(&scalar_text(b)),
        },
    }
}

impl Compiled {
    fn matches(&self, c: &Contact) -> bool {
        match self {
            Compiled::Member { lists, ids, member } => {
                let of = lists.of(c);
                let any = if ids.is_empty() {
                    !of.is_empty()
                } else {
                    ids.iter().any(|id| of.contains(id))
                };
                any == *member
            }
            Compiled::Id { field, ids, negate } => {
                let value = id_value(c, *field);
                ids.contains(&value) != *negate
            }
            Compiled::IdEmpty { field, empty } => id_value(c, *field).is_none() == *empty,
            Compiled::Kind(kind) => c.kind == *kind,
            Compiled::Text { index, op, needle } => text_matches(*op, &c.text[*index], needle),
            Compiled::Emails { op, needle } => {
                list_matches(*op, c.emails.iter().map(|e| &**e), needle)
            }
            Compiled::Phones { op, variants } => {
                let digits = |p: &crate::record::Phone| phone::search_keys(&p.number);
                match op {
                    Op::Empty => c.phones.is_empty(),
                    Op::NotEmpty => !c.phones.is_empty(),
                    Op::Contains | Op::Is => c.phones.iter().any(|p| {
                        digits(p)
                            .iter()
                            .any(|key| variants.iter().any(|v| key.contains(v.as_str())))
                    }),
                    Op::IsNot => !c.phones.iter().any(|p| {
                        digits(p)
                            .iter()
                            .any(|key| variants.iter().any(|v| key.contains(v.as_str())))
                    }),
                    Op::From | Op::Until => false,
                }
            }
            Compiled::Tags { op, needle } => list_matches(*op, c.tags.iter().map(|t| &**t), needle),
            Compiled::Modified { from_ms, until_ms } => {
                let at = i64::try_from(c.modified_ms).unwrap_or(i64::MAX);
                from_ms.is_none_or(|from| at >= from) && until_ms.is_none_or(|until| at < until)
            }
            Compiled::Custom { key, op, value } => custom_matches(*op, c.custom(key), value),
            Compiled::MyOpenTask(records, wanted) => records.contains(&c.id) == *wanted,
            Compiled::Never => false,
        }
    }
}

fn id_value(c: &Contact, field: IdField) -> Option<Uuid> {
    match field {
        IdField::Owner => c.owner_id,
        IdField::Stage => c.stage_id,
        IdField::Category => c.category_id,
        IdField::Organization => c.organization_id,
    }
}

fn finder(needle: &str) -> Finder<'static> {
    Finder::new(needle.as_bytes()).into_owned()
}

impl Matcher {
    pub fn new(query: &Query, ctx: &MatchContext) -> Matcher {
        let text = query.text.trim();
        let words = terms(text);
        let search = if words.is_empty() {
            // Nothing searchable (blank, or only marks that fold away).
            Search::None
        } else if looks_like_number(text) {
            Search::Digits(
                phone::query_variants(&phone::digits(text))
                    .iter()
                    .map(|v| finder(v))
                    .collect(),
            )
        } else {
            Search::Terms(
                words
                    .into_iter()
                    .map(|term| {
                        let f = finder(&term);
                        (term, f)
                    })
                    .collect(),
            )
        };
        Matcher {
            query: query.clone(),
            search,
            conditions: query
                .conditions
                .iter()
                .map(|condition| compile(condition, ctx))
                .collect(),
        }
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Whether the contact is found. Contacts in the trash are never found here (the trash
    /// has its own list).
    pub fn matches(&self, contact: &Contact) -> bool {
        if contact.deleted {
            return false;
        }
        let haystack = contact.search.as_bytes();
        let found = match &self.search {
            Search::None => true,
            Search::Terms(terms) => terms
                .iter()
                .all(|(_, finder)| finder.find(haystack).is_some()),
            Search::Digits(variants) => variants
                .iter()
                .any(|finder| finder.find(haystack).is_some()),
        };
        found && self.conditions.iter().all(|c| c.matches(contact))
    }

    /// Whether everything this matcher finds was also found by `previous` (the user typed
    /// more of the same words): then only `previous`'s results need checking.
    pub fn refines(&self, previous: &Matcher) -> bool {
        if self.query.conditions != previous.query.conditions {
            return false;
        }
        match (&self.search, &previous.search) {
            (_, Search::None) => true,
            (Search::Terms(new), Search::Terms(old)) => old
                .iter()
                .all(|(old, _)| new.iter().any(|(new, _)| new.contains(old.as_str()))),
            _ => false,
        }
    }
}

/// The search text of every contact in one contiguous buffer, in the order of the
/// contacts slice: one pass of a SIMD substring search over it is far faster than a search
/// per contact (which waits on memory for every contact).
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    /// Each contact's search text followed by a NUL (contacts in the trash: empty).
    arena: Vec<u8>,
    /// Where each contact's text starts; one extra entry for the end.
    starts: Vec<u32>,
}

impl SearchIndex {
    pub fn build(contacts: &[Contact]) -> SearchIndex {
        let mut arena = Vec::with_capacity(contacts.iter().map(|c| c.search.len() + 1).sum());
        let mut starts = Vec::with_capacity(contacts.len() + 1);
        for contact in contacts {
            starts.push(u32::try_from(arena.len()).unwrap_or(u32::MAX));
            if !contact.deleted {
                arena.extend_from_slice(contact.search.as_bytes());
            }
            arena.push(0);
        }
        starts.push(u32::try_from(arena.len()).unwrap_or(u32::MAX));
        SearchIndex { arena, starts }
    }

    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn text(&self, i: usize) -> &[u8] {
        &self.arena[self.starts[i] as usize..self.starts[i + 1] as usize]
    }

    /// The positions of the contacts whose text contains `needle` (none for an empty one).
    pub fn containing(&self, needle: &str) -> Vec<usize> {
        if needle.is_empty() {
            return Vec::new();
        }
        let mut bits = bitset(self.len());
        self.scan(&Finder::new(needle.as_bytes()), &mut bits);
        ones(&bits).collect()
    }

    /// Contacts whose text contains `finder`'s needle, as a bitset.
    fn scan(&self, finder: &Finder<'_>, bits: &mut [u64]) {
        let mut at = 0;
        let mut i = 0;
        while let Some(hit) = finder.find(&self.arena[at..]) {
            let pos = at + hit;
            while self.starts[i + 1] as usize <= pos {
                i += 1;
            }
            bits[i >> 6] |= 1 << (i & 63);
            // Only whether a contact matches matters: go on with the next one.
            at = self.starts[i + 1] as usize;
            if at >= self.arena.len() {
                break;
            }
        }
    }
}

fn bitset(len: usize) -> Vec<u64> {
    vec![0; len.div_ceil(64)]
}

fn ones(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
    bits.iter().enumerate().flat_map(|(w, word)| {
        let mut word = *word;
        std::iter::from_fn(move || {
            (word != 0).then(|| {
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                w * 64 + bit
            })
        })
    })
}

impl Matcher {
    /// Every contact of `contacts` this matcher finds, as a bitset over their positions;
    /// `index` must be built from the same slice. With `previous` (the result of a query
    /// this one refines), only those contacts are checked.
    pub fn find_all(
        &self,
        index: &SearchIndex,
        contacts: &[Contact],
        previous: Option<&[u64]>,
    ) -> Vec<u64> {
        let n = contacts.len().min(index.len());
        let previous = previous.filter(|p| p.len() == n.div_ceil(64));
        let few =
            |bits: &[u64]| bits.iter().map(|w| w.count_ones() as usize).sum::<usize>() < n / 8;
        let mut found = match (&self.search, previous) {
            (Search::None, Some(previous)) => previous.to_vec(),
            (Search::None, None) => {
                let mut all = bitset(n);
                for i in 0..n {
                    all[i >> 6] |= 1 << (i & 63);
                }
                all
            }
            // Few candidates: check each one's own text.
            (search, Some(previous)) if few(previous) => {
                let mut bits = bitset(n);
                for i in ones(previous) {
                    let text = index.text(i);
                    let hit = match search {
                        Search::Terms(terms) => terms.iter().all(|(_, f)| f.find(text).is_some()),
                        Search::Digits(variants) => variants.iter().any(|f| f.find(text).is_some()),
                        Search::None => true,
                    };
                    if hit {
                        bits[i >> 6] |= 1 << (i & 63);
                    }
                }
                bits
            }
            // Otherwise one pass over the whole buffer per term.
            (Search::Terms(terms), previous) => {
                let mut all: Option<Vec<u64>> = previous.map(<[u64]>::to_vec);
                for (_, finder) in terms {
                    let mut bits = bitset(n);
                    index.scan(finder, &mut bits);
                    all = Some(match all {
                        Some(mut acc) => {
                            acc.iter_mut().zip(&bits).for_each(|(a, b)| *a &= b);
                            acc
                        }
                        None => bits,
                    });
                }
                all.unwrap_or_else(|| bitset(n))
            }
            (Search::Digits(variants), previous) => {
                let mut bits = bitset(n);
                for finder in variants {
                    index.scan(finder, &mut bits);
                }
                if let Some(previous) = previous {
                    bits.iter_mut().zip(previous).for_each(|(a, b)| *a &= b);
                }
                bits
            }
        };
        // Conditions and the trash, only for what the text found.
        let needs_check = !self.conditions.is_empty() || matches!(self.search, Search::None);
        if needs_check {
            let candidates: Vec<usize> = ones(&found).collect();
            for i in candidates {
                let contact = &contacts[i];
                if contact.deleted || !self.conditions.iter().all(|c| c.matches(contact)) {
                    found[i >> 6] &= !(1 << (i & 63));
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SEG_A: &str = "00000000-0000-7000-8000-00000000000a";
    const SEG_B: &str = "00000000-0000-7000-8000-00000000000b";
    const OWNER: &str = "00000000-0000-7000-8000-0000000000f1";

    fn contact(n: u32, values: &[(&str, Value)], hlc_ms: u64) -> Contact {
        let fields = crate::merge::fields_at(&format!("{hlc_ms:013}-0000-node"), values);
        Contact::from_fields(&format!("00000000-0000-7000-8000-{n:012}"), &fields)
            .unwrap_or_default()
    }

    fn people() -> Vec<Contact> {
        let segment_a = format!("segment:{SEG_A}");
        let mut jan = crate::record::sample_person();
        jan.extend([
            ("nip", json!("5260250274")),
            (segment_a.as_str(), json!(true)),
            ("owner_id", json!(OWNER)),
            ("custom.size", json!(44)),
            ("custom.colors", json!(["red", "blue"])),
            ("custom.since", json!("2024-03-01")),
            ("custom.vip", json!(true)),
        ]);
        vec![
            contact(1, &jan, 1_763_800_000_000), // 2025-11-22T08:26:40Z
            contact(
                2,
                &[
                    ("first_name", json!("Anna")),
                    ("last_name", json!("Nowak")),
                    ("company", json!("Kowalski i Synowie")),
                    ("city", json!("Kraków")),
                    (
                        "phones",
                        json!([{"type": "work", "number": "+48221234567"}]),
                    ),
                    (&format!("segment:{SEG_B}"), json!(true)),
                    ("custom.size", json!(38)),
                ],
                1_700_000_000_000,
            ),
            contact(
                3,
                &[
                    ("first_name", json!("Ödön")),
                    ("last_name", json!("Székely")),
                    ("city", json!("Budapest")),
                    (
                        "phones",
                        json!([{"type": "mobile", "number": "+36301234567"}]),
                    ),
                ],
                1_763_800_000_000,
            ),
            contact(
                4,
                &[
                    ("first_name", json!("Trashed")),
                    ("last_name", json!("Kowalski")),
                    ("deleted", json!(true)),
                ],
                1_763_800_000_000,
            ),
        ]
    }

    fn found(query: Query) -> Vec<u32> {
        found_in(query, &MatchContext::default())
    }

    /// Each search text finds exactly its contacts. (The tables of searches, like the test
    /// contacts' fields here and in record.rs and work.rs, are alike by nature: test data.)
    #[track_caller]
    fn found_by_search(cases: &[(&str, &[u32])]) {
        for (query, expected) in cases {
            assert_eq!(found(text(query)), *expected, "{query:?}");
        }
    }

    fn found_in(query: Query, ctx: &MatchContext) -> Vec<u32> {
        let matcher = Matcher::new(&query, ctx);
        people()
            .iter()
            .filter(|c| matcher.matches(c))
            .map(|c| (c.id.as_u128() & 0xffff_ffff) as u32)
            .collect()
    }

    fn text(text: &str) -> Query {
        Query {
            text: text.into(),
            conditions: vec![],
        }
    }

    fn condition(field: &str, op: Op, value: Value) -> Query {
        Query {
            text: String::new(),
            conditions: vec![Condition {
                field: field.into(),
                op,
                value,
            }],
        }
    }

    #[test]
    fn search_text() {
        found_by_search(&[
            ("", &[1, 2, 3]),
            ("kowal", &[1, 2]),
            ("KOWALSKI", &[1, 2]),
            ("jan kowalski", &[1]),
            ("kowalski jan", &[1]),
            ("lodz", &[1]),
            ("łódź", &[1]),
            ("szekely", &[3]),
            ("odon", &[3]),
            ("krakow", &[2]),
            ("firma.pl", &[1]),
            ("jan.kowalski@", &[1]),
            ("nobody", &[]),
            ("jan 600", &[1]),
        ]);
    }

    #[test]
    fn search_phones_in_any_format() {
        found_by_search(&[
            ("600100200", &[1]),
            ("600 100 200", &[1]),
            ("600-100-200", &[1]),
            ("+48 600 100 200", &[1]),
            ("0048600100200", &[1]),
            ("(+48) 600-100-200", &[1]),
            ("22 123 45 67", &[2]),
            ("022 123 45 67", &[2]),
            ("06 30 123 4567", &[3]),
            ("+36 30 123 4567", &[3]),
            ("526-025-02-74", &[1]),
            ("100 200", &[1]),
            ("999 999 999", &[]),
        ]);
    }

    #[test]
    fn conditions() {
        let cases: Vec<(Query, &[u32])> = vec![
            (condition("segment", Op::Is, json!(SEG_A)), &[1]),
            (condition("segment", Op::Is, json!([SEG_A, SEG_B])), &[1, 2]),
            (condition("segment", Op::IsNot, json!(SEG_A)), &[2, 3]),
            (condition("segment", Op::Empty, json!(null)), &[3]),
            (condition("campaign", Op::NotEmpty, json!(null)), &[]),
            (condition("owner_id", Op::Is, json!(OWNER)), &[1]),
            (condition("owner_id", Op::Is, json!(null)), &[2, 3]),
            (
                condition("owner_id", Op::Is, json!([OWNER, null])),
                &[1, 2, 3],
            ),
            (condition("owner_id", Op::IsNot, json!(OWNER)), &[2, 3]),
            (condition("owner_id", Op::Empty, json!(null)), &[2, 3]),
            (condition("city", Op::Is, json!("krakow")), &[2]),
            (condition("city", Op::Contains, json!("DAP")), &[3]),
            (condition("company", Op::Empty, json!(null)), &[1, 3]),
            (condition("company", Op::NotEmpty, json!(null)), &[2]),
            (condition("nip", Op::Is, json!("5260250274")), &[1]),
            (condition("email", Op::Contains, json!("firma")), &[1]),
            (condition("email", Op::Empty, json!(null)), &[2, 3]),
            (condition("phone", Op::Contains, json!("600 100")), &[1]),
            (condition("phone", Op::Contains, json!("06 30")), &[3]),
            (condition("kind", Op::Is, json!("person")), &[1, 2, 3]),
            (condition("kind", Op::Is, json!("company")), &[]),
            (condition("custom.size", Op::From, json!(40)), &[1]),
            (condition("custom.size", Op::Until, json!("40")), &[2]),
            (condition("custom.size", Op::Is, json!(38)), &[2]),
            (condition("custom.size", Op::Empty, json!(null)), &[3]),
            (condition("custom.colors", Op::Is, json!("blue")), &[1]),
            (
                condition("custom.colors", Op::IsNot, json!("blue")),
                &[2, 3],
            ),
            (
                condition("custom.since", Op::From, json!("2024-01-01")),
                &[1],
            ),
            (
                condition("custom.since", Op::Until, json!("2024-01-01")),
                &[],
            ),
            (condition("custom.vip", Op::Is, json!(true)), &[1]),
            (condition("custom.vip", Op::Is, json!(false)), &[]),
            (condition("unknown_thing", Op::Is, json!("x")), &[]),
        ];
        for (query, expected) in cases {
            assert_eq!(found(query.clone()), expected, "{query:?}");
        }
    }

    #[test]
    fn conditions_and_text_combine() {
        let mut query = text("kowalski");
        query
            .conditions
            .push(condition("segment", Op::Is, json!(SEG_B)).conditions[0].clone());
        assert_eq!(found(query), vec![2]);
    }

    #[test]
    fn modified_dates_follow_the_local_day() {
        // Contact 1 and 3 changed at 2025-11-22T08:26:40Z, contact 2 in 2023.
        let utc = MatchContext::default();
        let from = condition("modified", Op::From, json!("2025-11-22"));
        assert_eq!(found_in(from.clone(), &utc), vec![1, 3]);
        let until = condition("modified", Op::Until, json!("2025-11-21"));
        assert_eq!(found_in(until.clone(), &utc), vec![2]);
        // At UTC-10 the change happened on the 21st, local time.
        let honolulu = MatchContext {
            utc_offset_minutes: -600,
            ..MatchContext::default()
        };
        assert_eq!(found_in(from, &honolulu), Vec::<u32>::new());
        assert_eq!(found_in(until, &honolulu), vec![1, 2, 3]);
        let bad = condition("modified", Op::From, json!("22.11.2025"));
        assert_eq!(found_in(bad, &utc), Vec::<u32>::new());
    }

    #[test]
    fn my_open_tasks() {
        let ctx = MatchContext {
            open_task_records: [Uuid::from_u128(3)].into_iter().collect(),
            ..MatchContext::default()
        };
        let query = condition("my_open_task", Op::Is, json!(true));
        // Contact ids are 00000000-0000-7000-8000-…; 3 is not one of them.
        assert_eq!(found_in(query.clone(), &ctx), Vec::<u32>::new());
        let ids = people().iter().map(|c| c.id).collect::<Vec<_>>();
        let ctx = MatchContext {
            open_task_records: [ids[2]].into_iter().collect(),
            ..MatchContext::default()
        };
        assert_eq!(found_in(query, &ctx), vec![3]);
    }

    #[test]
    fn text_that_folds_to_nothing_searches_nothing() {
        let all = found(text(""));
        assert_eq!(found(text("\u{301}")), all);
        assert_eq!(found(text("  ")), all);
        let ctx = MatchContext::default();
        let contacts = people();
        let index = SearchIndex::build(&contacts);
        let matcher = Matcher::new(&text("\u{301}"), &ctx);
        let bits = matcher.find_all(&index, &contacts, None);
        assert_eq!(ones(&bits).count(), all.len());
    }

    #[test]
    fn refinement() {
        let ctx = MatchContext::default();
        let old = Matcher::new(&text("kow"), &ctx);
        assert!(Matcher::new(&text("kowa"), &ctx).refines(&old));
        assert!(Matcher::new(&text("kowa jan"), &ctx).refines(&old));
        assert!(!Matcher::new(&text("ko"), &ctx).refines(&old));
        assert!(!Matcher::new(&text("nowak"), &ctx).refines(&old));
        assert!(Matcher::new(&text("x"), &ctx).refines(&Matcher::new(&text(""), &ctx)));
        let phone = Matcher::new(&text("0630"), &ctx);
        assert!(!Matcher::new(&text("06301"), &ctx).refines(&phone));
        let filtered = Matcher::new(&condition("city", Op::Is, json!("x")), &ctx);
        assert!(!Matcher::new(&text("kowa"), &ctx).refines(&filtered));
    }

    #[test]
    fn queries_round_trip_as_json() {
        let query = condition("segment", Op::IsNot, json!(SEG_A));
        let json = serde_json::to_value(&query).unwrap_or_default();
        assert_eq!(
            json,
            json!({"conditions": [{"field": "segment", "op": "is_not", "value": SEG_A}]})
        );
        let back: Query = serde_json::from_value(json).unwrap_or_default();
        assert_eq!(back, query);
        let empty: Query = serde_json::from_str("{}").unwrap_or_default();
        assert!(empty.is_empty());
    }

    #[test]
    fn find_all_agrees_with_matches() {
        let contacts = people();
        let index = SearchIndex::build(&contacts);
        let queries = [
            text(""),
            text("kowal"),
            text("jan kowalski"),
            text("600 100 200"),
            text("06 30 123 4567"),
            text("nobody"),
            text("a"),
            condition("segment", Op::Is, json!(SEG_A)),
            condition("owner_id", Op::Empty, json!(null)),
            Query {
                text: "kow".into(),
                conditions: vec![Condition {
                    field: "city".into(),
                    op: Op::Contains,
                    value: json!("krak"),
                }],
            },
        ];
        let ctx = MatchContext::default();
        for query in &queries {
            let matcher = Matcher::new(query, &ctx);
            let expected: Vec<usize> = contacts
                .iter()
                .enumerate()
                .filter(|(_, c)| matcher.matches(c))
                .map(|(i, _)| i)
                .collect();
            let bits = matcher.find_all(&index, &contacts, None);
            assert_eq!(ones(&bits).collect::<Vec<_>>(), expected, "{query:?}");
            // Refining from everything gives the same.
            let all = Matcher::new(&Query::default(), &ctx).find_all(&index, &contacts, None);
            let refined = matcher.find_all(&index, &contacts, Some(&all));
            assert_eq!(
                ones(&refined).collect::<Vec<_>>(),
                expected,
                "refined {query:?}"
            );
        }
    }
}
