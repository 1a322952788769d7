//! The columns a records list can show: their headers, cells and sort keys, and the
//! per-user layout (which columns, in which order, how wide, sorted how).

use std::cmp::Ordering;

use minicrm_core::phone;
use minicrm_core::record::Contact;
use minicrm_core::text::fold;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data::Index;
use crate::t;

/// Standard columns, in the order the column chooser lists them.
pub const STANDARD: &[&str] = &[
    "name",
    "kind",
    "company",
    "position",
    "phone",
    "email",
    "city",
    "postal_code",
    "address",
    "region",
    "country",
    "stage",
    "owner",
    "category",
    "source",
    "segments",
    "campaigns",
    "nip",
    "pesel",
    "regon",
    "modified",
];

pub const DEFAULT_COLUMNS: &[(&str, u32)] = &[
    ("name", 220),
    ("company", 180),
    ("phone", 150),
    ("email", 220),
    ("city", 130),
    ("stage", 120),
    ("owner", 150),
];

pub const MIN_WIDTH: u32 = 60;
pub const MAX_WIDTH: u32 = 800;

/// Stored shape (a `view` row's `columns`): fields may only be added. (Its bounds and derives
/// look like other stored shapes', core's `sync::Change` among them: serde structs, no
/// shared logic.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSetting {
    pub key: String,
    pub width: u32,
}

/// Stored shape (a `view` row's `sort`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SortSetting {
    pub key: String,
    #[serde(default)]
    pub desc: bool,
}

impl Default for SortSetting {
    fn default() -> Self {
        SortSetting {
            key: "name".into(),
            desc: false,
        }
    }
}

pub fn default_columns() -> Vec<ColumnSetting> {
    DEFAULT_COLUMNS
        .iter()
        .map(|(key, width)| ColumnSetting {
            key: (*key).into(),
            width: *width,
        })
        .collect()
}

/// A column's header.
pub fn header(key: &str, index: &Index) -> String {
    if let Some(custom) = key.strip_prefix("custom.") {
        return custom_field_name(custom, index);
    }
    crate::i18n::message(&format!("column-{key}"), &[])
}

/// The name of the custom field `key` (`custom.<key>`), or the key when no definition has it.
pub fn custom_field_name(key: &str, index: &Index) -> String {
    index
        .field_defs()
        .into_iter()
        .find(|def| def.key == key)
        .map_or_else(|| key.to_owned(), |def| def.name)
}

/// A record's name as lists show it; one without a name says so.
pub fn shown_name(contact: &Contact) -> String {
    let name = contact.display_name();
    if name.is_empty() {
        t!("record-unnamed")
    } else {
        name
    }
}

fn names_of(entity: &str, ids: &[uuid::Uuid], index: &Index) -> String {
    ids.iter()
        .filter_map(|id| index.name_of(entity, &id.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn custom_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => t!("value-yes"),
        Value::Bool(false) => t!("value-no"),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map_or_else(|| item.to_string(), str::to_owned)
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

thread_local! {
    /// Phone numbers as shown, by stored number, for one default country: formatting parses
    /// the number, too slow to repeat for every visible row on every keystroke.
    static PHONE_DISPLAY: std::cell::RefCell<(String, std::collections::HashMap<String, String>)> =
        std::cell::RefCell::new((String::new(), std::collections::HashMap::new()));
}

/// A stored phone number as the list shows it (cached).
pub fn phone_display(number: &str, country: &str) -> String {
    PHONE_DISPLAY.with(|cache| {
        let mut cache = cache.borrow_mut();
        let (cached_country, shown) = &mut *cache;
        if cached_country != country || shown.len() > 50_000 {
            country.clone_into(cached_country);
            shown.clear();
        }
        if let Some(text) = shown.get(number) {
            return text.clone();
        }
        let text = phone::display(number, country);
        shown.insert(number.to_owned(), text.clone());
        text
    })
}

/// What a cell shows.
pub fn cell(key: &str, contact: &Contact, index: &Index, country: &str) -> String {
    let id_name = |entity: &str, id: Option<uuid::Uuid>| {
        id.and_then(|id| index.name_of(entity, &id.to_string()))
            .unwrap_or_default()
    };
    match key {
        "name" => shown_name(contact),
        "kind" => t!(&format!("kind-{}", contact.kind.as_str())),
        "phone" => contact
            .phones
            .first()
            .map(|p| phone_display(&p.number, country))
            .unwrap_or_default(),
        "email" => contact
            .emails
            .first()
            .map(|e| e.to_string())
            .unwrap_or_default(),
        "address" => [contact.text("address_line1"), contact.text("address_line2")]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        "stage" => id_name("stage", contact.stage_id),
        "owner" => id_name("user", contact.owner_id),
        "category" => id_name("category", contact.category_id),
        "segments" => names_of("segment", &contact.segments, index),
        "campaigns" => names_of("campaign", &contact.campaigns, index),
        "modified" => {
            if contact.modified_ms == 0 {
                String::new()
            } else {
                crate::state::now::local_date_time(contact.modified_ms as f64)
            }
        }
        custom if custom.starts_with("custom.") => contact
            .custom(&custom["custom.".len()..])
            .map(custom_text)
            .unwrap_or_default(),
        field => contact.text(field).to_owned(),
    }
}

/// A sort key: numbers compare as numbers, text folded; empty values sort last.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Number(f64),
    Text(String),
    Empty,
}

impl SortKey {
    pub fn compare(&self, other: &SortKey) -> Ordering {
        match (self, other) {
            (SortKey::Number(a), SortKey::Number(b)) => a.total_cmp(b),
            (SortKey::Text(a), SortKey::Text(b)) => a.cmp(b),
            (SortKey::Number(_), SortKey::Text(_)) => Ordering::Less,
            (SortKey::Text(_), SortKey::Number(_)) => Ordering::Greater,
            (SortKey::Empty, SortKey::Empty) => Ordering::Equal,
            (SortKey::Empty, _) => Ordering::Greater,
            (_, SortKey::Empty) => Ordering::Less,
        }
    }
}

pub fn sort_key(key: &str, contact: &Contact, index: &Index, country: &str) -> SortKey {
    match key {
        "modified" => SortKey::Number(contact.modified_ms as f64),
        "phone" => contact
            .phones
            .first()
            .map_or(SortKey::Empty, |p| SortKey::Text(p.number.to_string())),
        custom if custom.starts_with("custom.") => {
            match contact.custom(&custom["custom.".len()..]) {
                Some(Value::Number(n)) => n.as_f64().map_or(SortKey::Empty, SortKey::Number),
                Some(value) => SortKey::Text(fold(&custom_text(value))),
                None => SortKey::Empty,
            }
        }
        _ => {
            let text = cell(key, contact, index, country);
            if text.is_empty() {
                SortKey::Empty
            } else {
                SortKey::Text(fold(&text))
            }
        }
    }
}

/// Every column a user may choose: the standard ones and one per custom field.
pub fn available(index: &Index) -> Vec<String> {
    STANDARD
        .iter()
        .map(|key| (*key).to_owned())
        .chain(
            index
                .field_defs()
                .into_iter()
                .map(|def| format!("custom.{}", def.key)),
        )
        .collect()
}
