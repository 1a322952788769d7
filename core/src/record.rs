//! A contact (person or company) as lists, search and filters see it: the shown values of
//! its fields in a compact shape, so a device holds 100k of them in memory, plus the folded
//! text search runs over.

use serde_json::Value;
use uuid::Uuid;

use crate::merge::Fields;
use crate::phone;
use crate::text::fold;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactKind {
    #[default]
    Person,
    Company,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Person => "person",
            ContactKind::Company => "company",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// One of [`crate::schema::PHONE_TYPES`].
    pub kind: Box<str>,
    /// E.164 where it could be normalized, else as typed.
    pub number: Box<str>,
}

/// The standard text fields a contact has, in the order forms show them.
pub const TEXT_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "company",
    "position",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "region",
    "country",
    "nip",
    "pesel",
    "regon",
    "source",
];

/// A contact's shown state, compact. Text fields are empty when unset.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contact {
    pub id: Uuid,
    pub kind: ContactKind,
    /// The values of [`TEXT_FIELDS`], in that order.
    pub text: [Box<str>; 14],
    pub emails: Box<[Box<str>]>,
    pub phones: Box<[Phone]>,
    pub organization_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub deleted: bool,
    /// Segments and campaigns the contact is a member of (field value `true`).
    pub segments: Box<[Uuid]>,
    pub campaigns: Box<[Uuid]>,
    pub tags: Box<[Box<str>]>,
    /// `custom.<key>` values that are set, by key.
    pub custom: Box<[(Box<str>, Value)]>,
    /// Milliseconds of the latest write to any field (from its HLC).
    pub modified_ms: u64,
    /// Folded names, company, e-mails, city, ids and phone digits, separated by `\u{1}`.
    pub search: Box<str>,
    /// The display name folded, for sorting by name without work per comparison.
    pub sort_name: Box<str>,
}

fn text_of(value: Option<&Value>) -> Box<str> {
    value
        .and_then(Value::as_str)
        .map(|s| s.trim().into())
        .unwrap_or_default()
}

/// The strings of a JSON array (other items skipped); empty for anything else.
fn strings(value: Option<&Value>) -> Box<[Box<str>]> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(Into::into)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn id_of(value: Option<&Value>) -> Option<Uuid> {
    value
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
}

pub(crate) fn hlc_ms(hlc: &str) -> u64 {
    hlc.get(..13).and_then(|ms| ms.parse().ok()).unwrap_or(0)
}

impl Contact {
    /// Builds the compact contact from a row's shown fields; `None` when `id` is not a UUID.
    pub fn from_fields(id: &str, fields: &Fields) -> Option<Contact> {
        let id = Uuid::parse_str(id).ok()?;
        let get = |name: &str| fields.get(name).map(|state| &state.value);
        let mut contact = Contact {
            id,
            kind: match get("kind").and_then(Value::as_str) {
                Some("company") => ContactKind::Company,
                _ => ContactKind::Person,
            },
            organization_id: id_of(get("organization_id")),
            stage_id: id_of(get("stage_id")),
            category_id: id_of(get("category_id")),
            owner_id: id_of(get("owner_id")),
            deleted: get("deleted").and_then(Value::as_bool).unwrap_or(false),
            ..Contact::default()
        };
        for (slot, name) in contact.text.iter_mut().zip(TEXT_FIELDS) {
            *slot = text_of(get(name));
        }
        contact.emails = strings(get("emails"));
        contact.phones = get("phones")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        Some(Phone {
                            kind: item.get("type")?.as_str()?.into(),
                            number: item.get("number")?.as_str()?.into(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        contact.tags = strings(get("tags"));
        let mut segments = Vec::new();
        let mut campaigns = Vec::new();
        let mut custom = Vec::new();
        for (name, state) in fields {
            contact.modified_ms = contact.modified_ms.max(hlc_ms(&state.hlc));
            if let Some(id) = name.strip_prefix("segment:") {
                if state.value == Value::Bool(true) {
                    segments.extend(Uuid::parse_str(id).ok());
                }
            } else if let Some(id) = name.strip_prefix("campaign:") {
                if state.value == Value::Bool(true) {
                    campaigns.extend(Uuid::parse_str(id).ok());
                }
            } else if let Some(key) = name.strip_prefix("custom.")
                && !is_blank(&state.value)
            {
                custom.push((key.into(), state.value.clone()));
            }
        }
        contact.segments = segments.into();
        contact.campaigns = campaigns.into();
        contact.custom = custom.into();
        contact.search = contact.search_text().into();
        contact.sort_name = fold(&contact.display_name()).into();
        Some(contact)
    }

    /// A standard text field's value (empty when unset or not a text field).
    pub fn text(&self, field: &str) -> &str {
        TEXT_FIELDS
            .iter()
            .position(|name| *name == field)
            .map_or("", |i| &self.text[i])
    }

    /// The name a list shows: "first last" for a person (the company when both are empty),
    /// the company name for a company.
    pub fn display_name(&self) -> String {
        let company = self.text("company");
        match self.kind {
            ContactKind::Company => company.to_owned(),
            ContactKind::Person => {
                let name = format!("{} {}", self.text("first_name"), self.text("last_name"));
                let name = name.trim();
                if name.is_empty() {
                    company.to_owned()
                } else {
                    name.to_owned()
                }
            }
        }
    }

    pub fn custom(&self, key: &str) -> Option<&Value> {
        self.custom
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, value)| value)
    }

    pub fn in_segment(&self, id: &Uuid) -> bool {
        self.segments.contains(id)
    }

    pub fn in_campaign(&self, id: &Uuid) -> bool {
        self.campaigns.contains(id)
    }

    /// Whether one of the contact's phones is `e164` (already normalized).
    pub fn has_phone(&self, e164: &str) -> bool {
        self.phones.iter().any(|p| &*p.number == e164)
    }

    /// Whether one of the contact's e-mails is `email` (already normalized).
    pub fn has_email(&self, email: &str) -> bool {
        self.emails.iter().any(|e| e.eq_ignore_ascii_case(email))
    }

    fn search_text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for field in [
            "first_name",
            "last_name",
            "company",
            "city",
            "nip",
            "pesel",
            "regon",
        ] {
            let value = self.text(field);
            if !value.is_empty() {
                parts.push(fold(value));
            }
        }
        parts.extend(self.emails.iter().map(|e| fold(e)));
        for phone in self.phones.iter() {
            parts.extend(phone::search_keys(&phone.number));
        }
        parts.join("\u{1}")
    }
}

/// Whether a value counts as "not filled in".
pub fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Jan Kowalski of Łódź with an e-mail and a mobile: the sample person core's tests start
/// from (record.rs and query.rs add their own fields).
#[cfg(test)]
pub(crate) fn sample_person<'a>() -> Vec<(&'a str, Value)> {
    use serde_json::json;
    vec![
        ("first_name", json!("Jan")),
        ("last_name", json!("Kowalski")),
        ("city", json!("Łódź")),
        ("emails", json!(["jan.kowalski@firma.pl"])),
        (
            "phones",
            json!([{"type": "mobile", "number": "+48600100200"}]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    pub(crate) fn fields(values: &[(&str, Value)]) -> Fields {
        crate::merge::fields_at("1763800000000-0000-node", values)
    }

    const ID: &str = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    const SEG: &str = "0193a1b2-c3d4-7e5f-8a9b-000000000001";

    /// The contact `ID` with these fields. (Test rows here, in work.rs and in query.rs are
    /// alike in shape by nature: test data.)
    fn contact(values: &[(&str, Value)]) -> Contact {
        Contact::from_fields(ID, &fields(values)).unwrap_or_default()
    }

    #[test]
    fn builds_from_fields() {
        let segment = format!("segment:{SEG}");
        let mut values = sample_person();
        values.extend([
            ("kind", json!("person")),
            (segment.as_str(), json!(true)),
            (
                "campaign:0193a1b2-c3d4-7e5f-8a9b-000000000002",
                json!(false),
            ),
            ("custom.shoe_size", json!(44)),
            ("custom.empty", json!("")),
        ]);
        let contact = contact(&values);
        assert_eq!(contact.display_name(), "Jan Kowalski");
        assert_eq!(contact.text("city"), "Łódź");
        assert_eq!(contact.segments.len(), 1);
        assert!(contact.campaigns.is_empty());
        assert_eq!(contact.custom("shoe_size"), Some(&json!(44)));
        assert_eq!(contact.custom("empty"), None);
        assert_eq!(contact.modified_ms, 1_763_800_000_000);
        assert!(contact.search.contains("lodz"));
        assert!(contact.search.contains("600100200"));
        assert!(contact.search.contains("48600100200"));
        assert!(contact.has_phone("+48600100200"));
        assert!(contact.has_email("JAN.Kowalski@firma.pl"));
    }

    #[test]
    fn company_names() {
        let company = contact(&[
            ("kind", json!("company")),
            ("company", json!("Acme sp. z o.o.")),
        ]);
        assert_eq!(company.kind, ContactKind::Company);
        assert_eq!(company.display_name(), "Acme sp. z o.o.");
        let nameless = contact(&[("company", json!("Acme"))]);
        assert_eq!(nameless.display_name(), "Acme");
        assert!(Contact::from_fields("nope", &fields(&[])).is_none());
    }
}
