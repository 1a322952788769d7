//! A contact's fields as people type them (the record form; an import later): the rules
//! that turn one field's input into the value stored, and the rule that a contact has a
//! name. Plain data in (a field's name and what was typed), field values or a
//! [`FieldError`] out.

use serde_json::{Value, json};

use crate::input::{self, FieldError};
use crate::record::ContactKind;

/// The fields that hold another row's id (a company, stage, category, owner).
pub const ID_FIELDS: &[&str] = &["organization_id", "stage_id", "category_id", "owner_id"];

/// The kind as typed: `company`, or else a person.
pub fn kind(input: &str) -> ContactKind {
    if input == "company" {
        ContactKind::Company
    } else {
        ContactKind::Person
    }
}

/// Tags as typed, separated by commas: trimmed, blanks skipped, each once (first place).
pub fn tags(input: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in input.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

/// An id field as chosen: empty is none (`null`).
pub fn id_value(input: &str) -> Value {
    if input.is_empty() {
        Value::Null
    } else {
        json!(input)
    }
}

/// The value to store for a field typed as one piece of text: the kind, the tags, an id
/// field ([`ID_FIELDS`]), or a standard text field ([`input::text_field`]).
pub fn text_value(field: &str, input: &str) -> Result<Value, FieldError> {
    match field {
        "tags" => Ok(json!(tags(input))),
        "kind" => Ok(json!(kind(input).as_str())),
        id if ID_FIELDS.contains(&id) => Ok(id_value(input)),
        _ => input::text_field(field, input),
    }
}

/// A contact needs a name: a company its company name; a person a first or last name, or
/// at least the company they are with. Otherwise the field the problem is shown at
/// (`company` for a company, `last_name` for a person) and [`FieldError::NameRequired`].
pub fn check_name(
    kind: ContactKind,
    first_name: &str,
    last_name: &str,
    company: &str,
) -> Result<(), (&'static str, FieldError)> {
    let blank = |text: &str| text.trim().is_empty();
    let (nameless, field) = match kind {
        ContactKind::Company => (blank(company), "company"),
        ContactKind::Person => (
            blank(first_name) && blank(last_name) && blank(company),
            "last_name",
        ),
    };
    if nameless {
        Err((field, FieldError::NameRequired))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::polish_ids::PolishIdError;

    #[test]
    fn kinds() {
        assert_eq!(kind("company"), ContactKind::Company);
        for input in ["person", "", "Company", " company", "firm"] {
            assert_eq!(kind(input), ContactKind::Person, "{input:?}");
        }
    }

    #[test]
    fn tag_lists() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            (" , ,", &[]),
            ("vip", &["vip"]),
            (" vip , lead,vip,  , Lead ", &["vip", "lead", "Lead"]),
            ("a b, c", &["a b", "c"]),
        ];
        for (input, expected) in cases {
            assert_eq!(tags(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn text_values() {
        let cases: &[(&str, &str, Result<Value, FieldError>)] = &[
            ("tags", "b, a, b", Ok(json!(["b", "a"]))),
            ("tags", "  ", Ok(json!([]))),
            ("kind", "company", Ok(json!("company"))),
            ("kind", "anything", Ok(json!("person"))),
            ("stage_id", "", Ok(Value::Null)),
            ("owner_id", "u-1", Ok(json!("u-1"))),
            ("organization_id", "org", Ok(json!("org"))),
            ("category_id", "", Ok(Value::Null)),
            ("city", "  Kraków ", Ok(json!("Kraków"))),
            ("city", "", Ok(Value::Null)),
            (
                "nip",
                "526-025-02-75",
                Err(FieldError::PolishId(PolishIdError::NipCheckDigit)),
            ),
        ];
        for (field, input, expected) in cases {
            assert_eq!(&text_value(field, input), expected, "{field} = {input:?}");
        }
    }

    #[test]
    fn names() {
        use ContactKind::{Company, Person};
        let missing = |field| Err((field, FieldError::NameRequired));
        let cases = [
            (Person, ["Ada", "", ""], Ok(())),
            (Person, ["", "Lovelace", ""], Ok(())),
            (Person, ["", "", "Acme"], Ok(())),
            (Person, [" ", "\t", ""], missing("last_name")),
            (Company, ["", "", "Acme"], Ok(())),
            (Company, ["Ada", "Lovelace", " "], missing("company")),
        ];
        for (kind, [first, last, company], expected) in cases {
            assert_eq!(
                check_name(kind, first, last, company),
                expected,
                "{kind:?} {first:?} {last:?} {company:?}"
            );
        }
    }
}
