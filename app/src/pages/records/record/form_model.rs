//! The record form's model: what the user typed per wire field, the form the stored fields
//! fill, and the writes a save makes (only the fields the user changed), checked by core's
//! contact rules.

use std::collections::BTreeMap;

use minicrm_core::contact::{self, ID_FIELDS};
use minicrm_core::input::{self, CustomType, FieldError};
use minicrm_core::merge::Fields;
use minicrm_core::phone;
use minicrm_core::record::TEXT_FIELDS;
use minicrm_core::sync::FieldState;
use serde_json::{Value, json};

use crate::data::settings::FieldDef;

/// What the user typed for one wire field.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Text(String),
    Lines(Vec<String>),
    Phones(Vec<(String, String)>),
    Flag(bool),
}

impl Raw {
    pub fn text(&self) -> String {
        match self {
            Raw::Text(text) => text.clone(),
            _ => String::new(),
        }
    }

    pub fn lines(&self) -> Vec<String> {
        match self {
            Raw::Lines(lines) => lines.clone(),
            _ => Vec::new(),
        }
    }

    pub fn is_blank(&self) -> bool {
        match self {
            Raw::Text(text) => text.trim().is_empty(),
            Raw::Lines(lines) => lines.iter().all(|l| l.trim().is_empty()),
            Raw::Phones(phones) => phones.iter().all(|(_, n)| n.trim().is_empty()),
            Raw::Flag(flag) => !flag,
        }
    }
}

/// The form: raw input by wire field.
pub type FormData = BTreeMap<String, Raw>;

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Bool(flag) => flag.to_string(),
        other => other.to_string(),
    }
}

/// The form as the stored fields fill it.
pub fn form_from_fields(fields: &Fields, defs: &[FieldDef], country: &str) -> FormData {
    let get = |name: &str| fields.get(name).map(|s| &s.value);
    let mut form = FormData::new();
    form.insert(
        "kind".into(),
        Raw::Text(
            get("kind")
                .and_then(Value::as_str)
                .unwrap_or("person")
                .to_owned(),
        ),
    );
    for field in TEXT_FIELDS.iter().chain(&["note"]).chain(ID_FIELDS) {
        form.insert(
            (*field).into(),
            Raw::Text(get(field).map(value_text).unwrap_or_default()),
        );
    }
    let strings = |value: Option<&Value>| -> Vec<String> {
        value
            .and_then(Value::as_array)
            .map(|items| items.iter().map(value_text).collect())
            .unwrap_or_default()
    };
    form.insert("emails".into(), Raw::Lines(strings(get("emails"))));
    form.insert("tags".into(), Raw::Text(strings(get("tags")).join(", ")));
    form.insert("managers".into(), Raw::Lines(strings(get("managers"))));
    let phones = get("phones")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|p| {
                    let kind = p.get("type").and_then(Value::as_str).unwrap_or("mobile");
                    let number = p.get("number").and_then(Value::as_str).unwrap_or_default();
                    (kind.to_owned(), phone::display(number, country))
                })
                .collect()
        })
        .unwrap_or_default();
    form.insert("phones".into(), Raw::Phones(phones));
    for (name, state) in fields {
        if name.starts_with("segment:") || name.starts_with("campaign:") {
            form.insert(name.clone(), Raw::Flag(state.value == Value::Bool(true)));
        }
    }
    for def in defs {
        let field = format!("custom.{}", def.key);
        let raw = match (def.kind, get(&field)) {
            (CustomType::MultiChoice, value) => Raw::Lines(strings(value)),
            (_, Some(value)) => Raw::Text(value_text(value)),
            (_, None) => Raw::Text(String::new()),
        };
        form.insert(field, raw);
    }
    form
}

/// What a new record's form may start with (the identification page's number or
/// address, the company a person is added to).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prefill {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub organization: Option<String>,
}

/// A new record's form: what `prefill` gives, and one empty phone and e-mail to fill in
/// where it gives none.
pub fn new_form(prefill: &Prefill, defs: &[FieldDef], country: &str) -> FormData {
    let mut fields = Fields::new();
    let mut put = |field: &str, value: Value| {
        fields.insert(
            field.into(),
            FieldState {
                value,
                hlc: String::new(),
            },
        );
    };
    let given = |text: &Option<String>| text.clone().filter(|t| !t.trim().is_empty());
    if let Some(phone) = given(&prefill.phone) {
        put("phones", json!([{"type": "mobile", "number": phone}]));
    }
    if let Some(email) = given(&prefill.email) {
        put("emails", json!([email]));
    }
    if let Some(org) = prefill.organization.clone().filter(|o| !o.is_empty()) {
        put("organization_id", json!(org));
    }
    let mut form = form_from_fields(&fields, defs, country);
    if form.get("phones").is_none_or(Raw::is_blank) {
        form.insert(
            "phones".into(),
            Raw::Phones(vec![("mobile".into(), String::new())]),
        );
    }
    if form.get("emails").is_none_or(Raw::is_blank) {
        form.insert("emails".into(), Raw::Lines(vec![String::new()]));
    }
    form
}

/// The value to store for one field of the form, or why it cannot be stored.
pub fn field_value(
    field: &str,
    raw: &Raw,
    defs: &[FieldDef],
    country: &str,
) -> Result<Value, FieldError> {
    if let Some(key) = field.strip_prefix("custom.") {
        let Some(def) = defs.iter().find(|d| d.key == key) else {
            return Ok(Value::Null);
        };
        let input = match raw {
            Raw::Lines(lines) => lines.clone(),
            other => vec![other.text()],
        };
        return input::custom_field(def.kind, &def.options, &input);
    }
    match (field, raw) {
        ("emails", Raw::Lines(lines)) => input::emails(lines).map_err(|(_, e)| e),
        ("phones", Raw::Phones(phones)) => input::phones(phones, country).map_err(|(_, e)| e),
        ("managers", Raw::Lines(ids)) => Ok(json!(ids)),
        (_, Raw::Flag(flag)) => Ok(json!(flag)),
        (_, Raw::Text(text)) => contact::text_value(field, text),
        _ => Ok(Value::Null),
    }
}

/// The phones, e-mails and identifiers typed so far that are whole (each phone and e-mail
/// on its own: a number still being typed is left out), as stored values: what the "may be
/// the same as" warning looks up.
pub fn typed_keys(form: &FormData, country: &str) -> Vec<(String, Value)> {
    let mut values = Vec::new();
    if let Some(Raw::Phones(phones)) = form.get("phones") {
        let whole: Vec<Value> = phones
            .iter()
            .filter(|(_, number)| !number.trim().is_empty())
            .filter_map(|phone| input::phones(std::slice::from_ref(phone), country).ok())
            .filter_map(|value| value.as_array()?.first().cloned())
            .collect();
        values.push(("phones".to_owned(), Value::Array(whole)));
    }
    if let Some(Raw::Lines(lines)) = form.get("emails") {
        let whole: Vec<Value> = lines
            .iter()
            .filter(|line| !line.trim().is_empty())
            .filter_map(|line| input::emails(std::slice::from_ref(line)).ok())
            .filter_map(|value| value.as_array()?.first().cloned())
            .collect();
        values.push(("emails".to_owned(), Value::Array(whole)));
    }
    for field in ["nip", "pesel", "regon"] {
        if let Some(Raw::Text(text)) = form.get(field)
            && let Ok(value) = contact::text_value(field, text)
        {
            values.push((field.to_owned(), value));
        }
    }
    values
}

/// The writes that turn `baseline` into `form` (only touched fields), or the problems
/// by field. A new record needs a name.
pub fn form_changes(
    form: &FormData,
    baseline: &FormData,
    defs: &[FieldDef],
    country: &str,
    is_new: bool,
) -> Result<Vec<(String, Value)>, BTreeMap<String, FieldError>> {
    let mut changes = Vec::new();
    let mut errors = BTreeMap::new();
    for (field, raw) in form {
        let before = baseline.get(field);
        let touched = differs(before, raw) || (before.is_none() && is_new && field == "kind");
        if !touched {
            continue;
        }
        match field_value(field, raw, defs, country) {
            Ok(value) => changes.push((field.clone(), value)),
            Err(err) => {
                errors.insert(field.clone(), err);
            }
        }
    }
    let text = |f: &str| form.get(f).map(Raw::text).unwrap_or_default();
    if let Err((field, err)) = contact::check_name(
        contact::kind(&text("kind")),
        &text("first_name"),
        &text("last_name"),
        &text("company"),
    ) {
        errors.insert(field.into(), err);
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

/// Whether one field's input differs from what it started from; a field the start did not
/// have counts once something is typed in it.
fn differs(before: Option<&Raw>, raw: &Raw) -> bool {
    match before {
        Some(before) => before != raw,
        None => !raw.is_blank(),
    }
}

/// Whether `form` differs from `baseline` anywhere; with `count_added` false, only fields
/// `baseline` has count (a new record's form is not "changed" by being filled in).
pub fn edited(form: &FormData, baseline: &FormData, count_added: bool) -> bool {
    form.iter().any(|(field, raw)| match baseline.get(field) {
        None if !count_added => false,
        before => differs(before, raw),
    })
}
