//! What people type into a record's form, checked and normalized into field values: a
//! problem is explained next to the field and nothing is saved.

use serde_json::{Value, json};
use thiserror::Error;

use crate::phone::{self, PhoneError};
use crate::polish_ids::{self, PolishIdError};
use crate::schema::PHONE_TYPES;
use crate::text::fold;
use crate::validate::{InputError, normalize_email};

const MAX_TEXT: usize = 200;
const MAX_NOTE: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FieldError {
    #[error("this field is required")]
    Required,
    #[error("at most {0} characters")]
    TooLong(usize),
    #[error(transparent)]
    Email(#[from] InputError),
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error(transparent)]
    PolishId(#[from] PolishIdError),
    #[error("enter a number")]
    NotANumber,
    #[error("enter a date")]
    NotADate,
    #[error("choose one of the options")]
    NotAnOption,
    #[error("unknown phone type")]
    PhoneType,
    #[error("enter minutes, m:ss or h:mm:ss")]
    NotADuration,
    #[error("the end comes before the start")]
    EndsBeforeStart,
    #[error("enter a name")]
    NameRequired,
}

/// A custom field's type (field_def `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomType {
    Text,
    Number,
    Date,
    Choice,
    MultiChoice,
    YesNo,
}

impl CustomType {
    pub const ALL: [CustomType; 6] = [
        CustomType::Text,
        CustomType::Number,
        CustomType::Date,
        CustomType::Choice,
        CustomType::MultiChoice,
        CustomType::YesNo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomType::Text => "text",
            CustomType::Number => "number",
            CustomType::Date => "date",
            CustomType::Choice => "choice",
            CustomType::MultiChoice => "multi_choice",
            CustomType::YesNo => "yes_no",
        }
    }

    pub fn parse(text: &str) -> Option<CustomType> {
        CustomType::ALL.into_iter().find(|t| t.as_str() == text)
    }

    pub fn has_options(self) -> bool {
        matches!(self, CustomType::Choice | CustomType::MultiChoice)
    }
}

/// A standard text field as typed: trimmed, empty clears it (`null`); NIP, PESEL and
/// REGON must carry valid check digits and are stored as bare digits.
pub fn text_field(field: &str, input: &str) -> Result<Value, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(Value::Null);
    }
    let normalized = match field {
        "nip" => polish_ids::normalize_nip(text)?,
        "pesel" => polish_ids::normalize_pesel(text)?,
        "regon" => polish_ids::normalize_regon(text)?,
        "note" => {
            if text.chars().count() > MAX_NOTE {
                return Err(FieldError::TooLong(MAX_NOTE));
            }
            // A note keeps its inner line breaks and spacing.
            input.trim_end().to_owned()
        }
        _ => {
            if text.chars().count() > MAX_TEXT {
                return Err(FieldError::TooLong(MAX_TEXT));
            }
            text.to_owned()
        }
    };
    Ok(Value::String(normalized))
}

/// E-mail addresses as typed, one per input; blank inputs are skipped, duplicates dropped.
/// On a problem: the index of the input and why.
pub fn emails(inputs: &[String]) -> Result<Value, (usize, FieldError)> {
    let mut out: Vec<String> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        if input.trim().is_empty() {
            continue;
        }
        let email = normalize_email(input).map_err(|err| (i, err.into()))?;
        if !out.contains(&email) {
            out.push(email);
        }
    }
    Ok(json!(out))
}

/// Phone numbers as typed with their type, normalized to E.164 for `default_country`;
/// blank numbers are skipped, duplicates dropped.
pub fn phones(
    inputs: &[(String, String)],
    default_country: &str,
) -> Result<Value, (usize, FieldError)> {
    let mut out: Vec<Value> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, (kind, number)) in inputs.iter().enumerate() {
        if number.trim().is_empty() {
            continue;
        }
        if !PHONE_TYPES.contains(&kind.as_str()) {
            return Err((i, FieldError::PhoneType));
        }
        let e164 = phone::normalize(number, default_country).map_err(|err| (i, err.into()))?;
        if !seen.contains(&e164) {
            seen.push(e164.clone());
            out.push(json!({"type": kind, "number": e164}));
        }
    }
    Ok(Value::Array(out))
}

/// Parses a number as people type it: `1 234,5` and `1234.5` are the same.
pub fn number(input: &str) -> Result<f64, FieldError> {
    let cleaned: String = input
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or(FieldError::NotANumber)
}

/// A custom field's value from its form input. `input` holds one string, or several for
/// a multi-choice field; `options` are the field's choices.
pub fn custom_field(
    kind: CustomType,
    options: &[String],
    input: &[String],
) -> Result<Value, FieldError> {
    let first = input.first().map(|s| s.trim()).unwrap_or_default();
    if kind != CustomType::MultiChoice && first.is_empty() {
        return Ok(Value::Null);
    }
    Ok(match kind {
        CustomType::Text => {
            if first.chars().count() > MAX_TEXT * 5 {
                return Err(FieldError::TooLong(MAX_TEXT * 5));
            }
            json!(first)
        }
        CustomType::Number => {
            let n = number(first)?;
            if n.fract() == 0.0 && n.abs() < 9e15 {
                json!(n as i64)
            } else {
                json!(n)
            }
        }
        CustomType::Date => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(first, format).map_err(|_| FieldError::NotADate)?;
            json!(first)
        }
        CustomType::Choice => {
            if !options.iter().any(|o| o == first) {
                return Err(FieldError::NotAnOption);
            }
            json!(first)
        }
        CustomType::MultiChoice => {
            let mut chosen: Vec<&str> = Vec::new();
            for item in input.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                if !options.iter().any(|o| o == item) {
                    return Err(FieldError::NotAnOption);
                }
                if !chosen.contains(&item) {
                    chosen.push(item);
                }
            }
            if chosen.is_empty() {
                Value::Null
            } else {
                json!(chosen)
            }
        }
        CustomType::YesNo => match first {
            "true" | "yes" => json!(true),
            "false" | "no" => json!(false),
            _ => return Err(FieldError::NotAnOption),
        },
    })
}

/// The key a custom field gets from its name: folded, letters and digits joined by `_`
/// (`Rozmiar buta` → `rozmiar_buta`); `None` when nothing usable is left.
pub fn custom_key(name: &str) -> Option<String> {
    let folded = fold(name);
    let mut key = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c);
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_');
    let key: String = key.chars().take(64).collect();
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn text_fields() {
        let cases: &[(&str, &str, Result<Value, FieldError>)] = &[
            ("city", "  Kraków ", Ok(json!("Kraków"))),
            ("city", "   ", Ok(Value::Null)),
            ("city", &"x".repeat(201), Err(FieldError::TooLong(200))),
            ("nip", "526-025-02-74", Ok(json!("5260250274"))),
            (
                "nip",
                "526-025-02-75",
                Err(FieldError::PolishId(PolishIdError::NipCheckDigit)),
            ),
            ("pesel", "44051401359", Ok(json!("44051401359"))),
            (
                "pesel",
                "44051401358",
                Err(FieldError::PolishId(PolishIdError::PeselCheckDigit)),
            ),
            ("regon", "123 456 785", Ok(json!("123456785"))),
            (
                "regon",
                "12345",
                Err(FieldError::PolishId(PolishIdError::RegonLength)),
            ),
            (
                "note",
                "line one\n  line two  \n",
                Ok(json!("line one\n  line two")),
            ),
        ];
        for (field, input, expected) in cases {
            assert_eq!(&text_field(field, input), expected, "{field} = {input:?}");
        }
    }

    #[test]
    fn email_lists() {
        assert_eq!(
            emails(&s(&["Ada@Example.com", "", "ada@example.com", "b@c.pl"])),
            Ok(json!(["ada@example.com", "b@c.pl"]))
        );
        assert_eq!(
            emails(&s(&["ok@example.com", "not an email"])).map_err(|(i, _)| i),
            Err(1)
        );
        assert_eq!(emails(&[]), Ok(json!([])));
    }

    #[test]
    fn phone_lists() {
        let inputs = vec![
            ("mobile".to_owned(), "600 100 200".to_owned()),
            ("work".to_owned(), "+48 600-100-200".to_owned()),
            ("landline".to_owned(), "  ".to_owned()),
            ("home_fax".to_owned(), "+420 601 123 456".to_owned()),
        ];
        assert_eq!(
            phones(&inputs, "PL"),
            Ok(json!([
                {"type": "mobile", "number": "+48600100200"},
                {"type": "home_fax", "number": "+420601123456"}
            ]))
        );
        let bad = vec![
            ("mobile".to_owned(), "600 100 200".to_owned()),
            ("mobile".to_owned(), "12".to_owned()),
        ];
        assert_eq!(phones(&bad, "PL").map_err(|(i, _)| i), Err(1));
        let pager = vec![("pager".to_owned(), "600 100 200".to_owned())];
        assert_eq!(phones(&pager, "PL"), Err((0, FieldError::PhoneType)));
    }

    #[test]
    fn custom_fields() {
        let options = s(&["S", "M", "L"]);
        let cases: Vec<(CustomType, Vec<String>, Result<Value, FieldError>)> = vec![
            (CustomType::Text, s(&[" hello "]), Ok(json!("hello"))),
            (CustomType::Text, s(&[""]), Ok(Value::Null)),
            (CustomType::Number, s(&["1 234,5"]), Ok(json!(1234.5))),
            (CustomType::Number, s(&["44"]), Ok(json!(44))),
            (CustomType::Number, s(&["-3.25"]), Ok(json!(-3.25))),
            (
                CustomType::Number,
                s(&["many"]),
                Err(FieldError::NotANumber),
            ),
            (CustomType::Number, s(&["inf"]), Err(FieldError::NotANumber)),
            (
                CustomType::Date,
                s(&["2026-02-28"]),
                Ok(json!("2026-02-28")),
            ),
            (
                CustomType::Date,
                s(&["2026-02-30"]),
                Err(FieldError::NotADate),
            ),
            (
                CustomType::Date,
                s(&["28.02.2026"]),
                Err(FieldError::NotADate),
            ),
            (CustomType::Choice, s(&["M"]), Ok(json!("M"))),
            (CustomType::Choice, s(&["XL"]), Err(FieldError::NotAnOption)),
            (
                CustomType::MultiChoice,
                s(&["S", "L", "S"]),
                Ok(json!(["S", "L"])),
            ),
            (CustomType::MultiChoice, s(&[]), Ok(Value::Null)),
            (
                CustomType::MultiChoice,
                s(&["S", "XL"]),
                Err(FieldError::NotAnOption),
            ),
            (CustomType::YesNo, s(&["true"]), Ok(json!(true))),
            (CustomType::YesNo, s(&["false"]), Ok(json!(false))),
            (CustomType::YesNo, s(&[""]), Ok(Value::Null)),
            (
                CustomType::YesNo,
                s(&["maybe"]),
                Err(FieldError::NotAnOption),
            ),
        ];
        for (kind, input, expected) in cases {
            assert_eq!(
                custom_field(kind, &options, &input),
                expected,
                "{kind:?} {input:?}"
            );
        }
    }

    #[test]
    fn custom_keys() {
        assert_eq!(custom_key("Rozmiar buta").as_deref(), Some("rozmiar_buta"));
        assert_eq!(
            custom_key("  Ügyfél típusa! ").as_deref(),
            Some("ugyfel_tipusa")
        );
        assert_eq!(custom_key("VAT %").as_deref(), Some("vat"));
        assert_eq!(custom_key("!!!"), None);
        assert!(
            CustomType::ALL
                .iter()
                .all(|t| CustomType::parse(t.as_str()) == Some(*t))
        );
    }
}
