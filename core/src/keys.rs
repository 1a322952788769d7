//! Matching keys: the values that name one contact — a phone number, an e-mail address, a
//! NIP, PESEL or REGON — as the import's duplicate check, the duplicate scan and the
//! form's warning all compare them (one rule, here).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::merge::Fields;
use crate::validate::normalize_email;

/// A value that names one contact: records sharing one are taken for the same contact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MatchKey {
    /// A phone number as stored (E.164 where it could be normalized).
    Phone(String),
    /// An e-mail address, lowercased.
    Email(String),
    /// Bare digits.
    Nip(String),
    Pesel(String),
    Regon(String),
}

impl MatchKey {
    /// How surely the key names one contact: an identifier above an e-mail above a phone
    /// (a company's switchboard number is shared by its people; an e-mail rarely, a NIP
    /// never).
    pub fn strength(&self) -> u8 {
        match self {
            MatchKey::Nip(_) | MatchKey::Pesel(_) | MatchKey::Regon(_) => 2,
            MatchKey::Email(_) => 1,
            MatchKey::Phone(_) => 0,
        }
    }
}

/// An e-mail as a key: normalized where it is an address, else lowercased as it is.
fn email_key(text: &str) -> Option<MatchKey> {
    let email = normalize_email(text).unwrap_or_else(|_| text.trim().to_lowercase());
    (!email.is_empty()).then_some(MatchKey::Email(email))
}

/// The digits of a stored identifier, when it is made of digits and the separators people
/// type (spaces, dashes, dots; a NIP may carry a `PL` prefix); `None` for anything else,
/// so a note typed into the field never matches another.
pub(crate) fn id_digits(text: &str, allow_prefix: bool) -> Option<String> {
    let mut text = text.trim();
    if allow_prefix && let Some(rest) = text.strip_prefix("PL").or_else(|| text.strip_prefix("pl"))
    {
        text = rest.trim_start();
    }
    let mut digits = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' => {}
            _ => return None,
        }
    }
    (!digits.is_empty()).then_some(digits)
}

/// The keys of a contact whose field values `get` gives, strongest first, each once.
fn keys_from<'a>(get: impl Fn(&str) -> Option<&'a Value>) -> Vec<MatchKey> {
    let mut keys = Vec::new();
    for (field, key, prefix) in [
        ("nip", MatchKey::Nip as fn(String) -> MatchKey, true),
        ("pesel", MatchKey::Pesel, false),
        ("regon", MatchKey::Regon, false),
    ] {
        if let Some(digits) = get(field)
            .and_then(Value::as_str)
            .and_then(|text| id_digits(text, prefix))
        {
            keys.push(key(digits));
        }
    }
    if let Some(emails) = get("emails").and_then(Value::as_array) {
        keys.extend(
            emails
                .iter()
                .filter_map(Value::as_str)
                .filter_map(email_key),
        );
    }
    if let Some(phones) = get("phones").and_then(Value::as_array) {
        keys.extend(
            phones
                .iter()
                .filter_map(|phone| phone.get("number")?.as_str())
                .map(str::trim)
                .filter(|number| !number.is_empty())
                .map(|number| MatchKey::Phone(number.to_owned())),
        );
    }
    keys.sort_by(|a, b| b.strength().cmp(&a.strength()).then_with(|| a.cmp(b)));
    keys.dedup();
    keys
}

/// The keys of a stored record from its shown fields, strongest first; none for a record
/// in the trash.
pub fn keys_of_fields(fields: &Fields) -> Vec<MatchKey> {
    let get = |name: &str| fields.get(name).map(|state| &state.value);
    if get("deleted").and_then(Value::as_bool) == Some(true) {
        return Vec::new();
    }
    keys_from(get)
}

/// The keys of a prepared row from its values, strongest first.
pub fn keys_of_values(values: &[(String, Value)]) -> Vec<MatchKey> {
    keys_from(|name| {
        values
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value)
    })
}
