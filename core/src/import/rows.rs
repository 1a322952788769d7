//! A row of a sheet as a record's values, with the problems found in its cells.
//!
//! Every cell goes through the record form's own rules (`contact::text_value`,
//! `input::emails`, `input::phones`, `input::custom_field`, `contact::check_name`), so a
//! row imports exactly when the same input typed into the form would save. What the
//! import adds is reading cells the way files hold them:
//!
//! - a blank cell sets nothing (an import never clears a value);
//! - a cell with a problem sets nothing either, and the rest of the row is still read;
//! - a number cell of a spreadsheet is read as its digits (`48601234567.0` is
//!   `48601234567`); a phone of bare digits that is not a number of the default country
//!   is read with a `+` (Excel drops it); a PESEL, NIP or REGON number cell gets back the
//!   leading zeros Excel dropped;
//! - several phones or e-mails may share a cell, and phone and e-mail columns add up
//!   (each number or address once);
//! - the kind also reads "firma", "společnost", "cég", "organizace" as a company; without
//!   a kind column a row with a company but no first or last name is a company;
//! - yes/no fields also read tak/nie, ano/ne, igen/nem, 1/0 and x; date fields also read
//!   `28.02.2026` and `2026.02.28.`; choices are matched case and diacritics folded;
//! - users, stages, categories, segments and campaigns are found by name (folded).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::mapping::{Context, Named, Target, find_named};
use super::table::{Cell, Row, number_text};
use crate::contact;
use crate::input::{self, CustomType, FieldError};
use crate::phone::{FALLBACK_COUNTRY, PhoneError};
use crate::polish_ids::PolishIdError;
use crate::record::ContactKind;
use crate::schema::{self, Entity, FieldKind, IMPORT_MARK_PREFIX};
use crate::text::fold;
use crate::validate::InputError;

/// Values every imported row gets (a column's own value wins for single fields; lists are
/// joined).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Defaults {
    pub owner_id: Option<String>,
    pub stage_id: Option<String>,
    pub category_id: Option<String>,
    pub source: Option<String>,
    pub segments: Vec<String>,
    pub campaigns: Vec<String>,
    pub tags: Vec<String>,
}

/// Why a cell (or a row) cannot be imported as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RowError {
    /// A field rule refused the value: its code ([`field_error_code`], or `cell_error`
    /// for a spreadsheet's error value such as `#N/A`) and its English message.
    Field(String, String),
    /// No user, stage, category, segment or campaign has this name.
    UnknownName,
    /// The row has no name (see `contact::check_name`).
    NameRequired,
    /// More values than the field takes.
    TooManyValues,
}

/// One problem of a row: where (`column` `None`: the row as a whole), the value (the
/// part of the cell at fault: the one e-mail, phone or name that is wrong, else the
/// cell's text), why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub column: Option<usize>,
    pub value: String,
    pub error: RowError,
}

/// A row ready to write: the contact fields it sets, and its problems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    pub line: u32,
    pub values: Vec<(String, Value)>,
    pub problems: Vec<Problem>,
}

/// Most phones or e-mails a contact holds (what `schema` accepts).
const MAX_LIST: usize = 50;
/// The largest JSON value `schema` accepts (tags).
const MAX_JSON: usize = 64 * 1024;

/// Kind words meaning a company, folded.
const COMPANY_WORDS: &[&str] = &[
    "company",
    "organization",
    "organisation",
    "firma",
    "organizacja",
    "spolecnost",
    "organizace",
    "ceg",
];
const YES_WORDS: &[&str] = &["yes", "true", "tak", "ano", "igen", "1", "x"];
const NO_WORDS: &[&str] = &["no", "false", "nie", "ne", "nem", "0"];

/// A stable snake_case name of a field rule's refusal, for the import's report and for
/// the app to choose its words by.
pub fn field_error_code(error: &FieldError) -> String {
    let code = match error {
        FieldError::Required => "required",
        FieldError::TooLong(_) => "too_long",
        FieldError::Email(error) => match error {
            InputError::EmailEmpty => "email_empty",
            InputError::EmailMalformed(_) => "email_invalid",
            InputError::NameEmpty => "name_empty",
            InputError::NameTooLong => "name_too_long",
            InputError::PasswordTooShort => "password_too_short",
            InputError::PasswordTooLong => "password_too_long",
        },
        FieldError::Phone(error) => match error {
            PhoneError::Empty => "phone_empty",
            PhoneError::NotANumber(_) => "phone_not_a_number",
            PhoneError::Invalid(_) => "phone_invalid",
            PhoneError::UnknownCountry(_) => "phone_unknown_country",
        },
        FieldError::PolishId(error) => match error {
            PolishIdError::NipLength => "nip_length",
            PolishIdError::NipCheckDigit => "nip_check_digit",
            PolishIdError::PeselLength => "pesel_length",
            PolishIdError::PeselCheckDigit => "pesel_check_digit",
            PolishIdError::PeselDate => "pesel_date",
            PolishIdError::RegonLength => "regon_length",
            PolishIdError::RegonCheckDigit => "regon_check_digit",
            PolishIdError::Characters => "id_characters",
        },
        FieldError::NotANumber => "not_a_number",
        FieldError::NotADate => "not_a_date",
        FieldError::NotAnOption => "not_an_option",
        FieldError::PhoneType => "phone_type",
        FieldError::NotADuration => "not_a_duration",
        FieldError::EndsBeforeStart => "ends_before_start",
        FieldError::NameRequired => "name_required",
    };
    code.to_owned()
}

impl From<&FieldError> for RowError {
    fn from(error: &FieldError) -> RowError {
        RowError::Field(field_error_code(error), error.to_string())
    }
}

/// A row as the record's values: each mapped cell by its target's rules, then the
/// defaults, then the name rule. Values come in mapping order (a field once: the first
/// column that gives it a value wins; phones, e-mails and tags of several columns are
/// joined where their first column stands), then what only the defaults give; `kind` is
/// always set. Cells past the mapping are not read.
pub fn prepare(row: &Row, mapping: &[Target], defaults: &Defaults, ctx: &Context) -> Prepared {
    let country = match ctx.default_country.trim() {
        "" => FALLBACK_COUNTRY,
        country => country,
    };
    let mut out = Builder {
        ctx,
        country,
        values: Vec::new(),
        problems: Vec::new(),
        kind: None,
        phones: Vec::new(),
        emails: Vec::new(),
        tags: Vec::new(),
        name_problem: false,
    };
    for (column, target) in mapping.iter().enumerate() {
        let Some(cell) = row.cells.get(column) else {
            break;
        };
        if *target == Target::Skip || cell.is_blank() {
            continue;
        }
        if let Cell::Error(error) = cell {
            out.problem(
                column,
                error.clone(),
                RowError::Field(
                    "cell_error".into(),
                    format!("the spreadsheet cell holds an error ({error})"),
                ),
            );
            continue;
        }
        out.cell(column, cell, target);
    }
    out.finish(defaults, row.line)
}

/// What one row has gathered so far.
struct Builder<'a> {
    ctx: &'a Context,
    country: &'a str,
    values: Vec<(String, Value)>,
    problems: Vec<Problem>,
    kind: Option<ContactKind>,
    /// Phones, e-mails and tags gathered over columns; their place in `values` is held by
    /// a `null` until [`Builder::finish`].
    phones: Vec<Value>,
    emails: Vec<String>,
    tags: Vec<String>,
    /// A name field's cell had a problem (the row then is not also called nameless).
    name_problem: bool,
}

impl Builder<'_> {
    fn has(&self, field: &str) -> bool {
        self.values.iter().any(|(name, _)| name == field)
    }

    /// Sets `field` unless it is set already or is not a contact field.
    fn set(&mut self, field: String, value: Value) {
        let known = schema::field_kind(Entity::Contact, &field).is_some();
        if known && !field.starts_with(IMPORT_MARK_PREFIX) && !self.has(&field) {
            self.values.push((field, value));
        }
    }

    fn text(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(name, _)| name == field)
            .and_then(|(_, value)| value.as_str())
            .unwrap_or_default()
    }

    fn problem(&mut self, column: usize, value: String, error: RowError) {
        self.problems.push(Problem {
            column: Some(column),
            value,
            error,
        });
    }

    fn cell(&mut self, column: usize, cell: &Cell, target: &Target) {
        match target {
            Target::Skip => {}
            Target::Field { field } => self.field(column, cell, field),
            Target::Custom { key } => self.custom(column, cell, key),
            Target::Phone { kind } => self.phones(column, cell, kind),
            Target::Email => self.emails(column, cell),
            Target::Tags => {
                let tags = contact::tags(&cell.as_text());
                if !self.has("tags") && !tags.is_empty() {
                    self.values.push(("tags".into(), Value::Null));
                }
                for tag in tags {
                    if !self.tags.contains(&tag) {
                        self.tags.push(tag);
                    }
                }
            }
            Target::Segments => self.memberships(column, cell, "segment:"),
            Target::Campaigns => self.memberships(column, cell, "campaign:"),
            Target::Owner => self.named(column, cell, "owner_id"),
            Target::Stage => self.named(column, cell, "stage_id"),
            Target::Category => self.named(column, cell, "category_id"),
        }
    }

    /// A standard text field, or the kind. Other field names are not imported.
    fn field(&mut self, column: usize, cell: &Cell, field: &str) {
        if field == "kind" {
            if self.kind.is_none() {
                let kind = kind_of(&cell.as_text());
                self.kind = Some(kind);
                self.set("kind".into(), json!(kind.as_str()));
            }
            return;
        }
        if !super::mapping::is_standard_field(field) || self.has(field) {
            return;
        }
        let text = id_text(field, cell).unwrap_or_else(|| cell.as_text());
        match contact::text_value(field, &text).and_then(|value| fits(field, value)) {
            Ok(Value::Null) => {}
            Ok(value) => self.set(field.to_owned(), value),
            Err(error) => {
                if matches!(field, "first_name" | "last_name" | "company") {
                    self.name_problem = true;
                }
                self.problem(column, text, (&error).into());
            }
        }
    }

    fn custom(&mut self, column: usize, cell: &Cell, key: &str) {
        let Some(def) = self.ctx.custom.iter().find(|def| def.key == key) else {
            return;
        };
        let field = format!("custom.{key}");
        if self.has(&field) {
            return;
        }
        let kind = CustomType::parse(&def.kind).unwrap_or(CustomType::Text);
        let input = custom_input(kind, &def.options, cell);
        match input::custom_field(kind, &def.options, &input) {
            Ok(Value::Null) => {}
            Ok(value) => self.set(field, value),
            Err(error) => self.problem(column, cell.as_text(), (&error).into()),
        }
    }

    fn phones(&mut self, column: usize, cell: &Cell, kind: &str) {
        let mut found: Vec<Value> = Vec::new();
        for number in phone_parts(cell, kind, self.country) {
            match phone(kind, &number, self.country) {
                Ok(entry) => found.push(entry),
                Err(error) => {
                    self.problem(column, number, (&error).into());
                    return;
                }
            }
        }
        let number = |entry: &Value| entry.get("number").cloned();
        found.retain(|entry| !self.phones.iter().any(|p| number(p) == number(entry)));
        if found.is_empty() {
            return;
        }
        if self.phones.len() + found.len() > MAX_LIST {
            self.problem(column, cell.as_text(), RowError::TooManyValues);
            return;
        }
        if !self.has("phones") {
            self.values.push(("phones".into(), Value::Null));
        }
        for entry in found {
            if !self.phones.iter().any(|p| number(p) == number(&entry)) {
                self.phones.push(entry);
            }
        }
    }

    fn emails(&mut self, column: usize, cell: &Cell) {
        let text = cell.as_text();
        let parts: Vec<String> = text
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(str::to_owned)
            .collect();
        let found: Vec<String> = match input::emails(&parts) {
            Ok(Value::Array(items)) => items
                .into_iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .filter(|email| !self.emails.contains(email))
                .collect(),
            Ok(_) => Vec::new(),
            Err((i, error)) => {
                let value = parts.get(i).cloned().unwrap_or(text);
                self.problem(column, value, (&error).into());
                return;
            }
        };
        if found.is_empty() {
            return;
        }
        if self.emails.len() + found.len() > MAX_LIST {
            self.problem(column, text, RowError::TooManyValues);
            return;
        }
        if !self.has("emails") {
            self.values.push(("emails".into(), Value::Null));
        }
        self.emails.extend(found);
    }

    /// Segment or campaign names: membership in each, or nothing when one is unknown.
    fn memberships(&mut self, column: usize, cell: &Cell, prefix: &str) {
        let rows = if prefix == "segment:" {
            &self.ctx.segments
        } else {
            &self.ctx.campaigns
        };
        let text = cell.as_text();
        let mut ids: Vec<String> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        for name in text
            .split([',', ';'])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match find_named(rows, name) {
                Some(row) => ids.push(row.id.clone()),
                None => unknown.push(name.to_owned()),
            }
        }
        if !unknown.is_empty() {
            for name in unknown {
                self.problem(column, name, RowError::UnknownName);
            }
            return;
        }
        for id in ids {
            self.set(format!("{prefix}{id}"), json!(true));
        }
    }

    /// An owner, stage or category by name.
    fn named(&mut self, column: usize, cell: &Cell, field: &str) {
        if self.has(field) {
            return;
        }
        let rows: &[Named] = match field {
            "owner_id" => &self.ctx.users,
            "stage_id" => &self.ctx.stages,
            _ => &self.ctx.categories,
        };
        let text = cell.as_text();
        match find_named(rows, &text) {
            Some(row) => {
                let id = row.id.clone();
                self.set(field.to_owned(), contact::id_value(&id));
            }
            None => self.problem(column, text.trim().to_owned(), RowError::UnknownName),
        }
    }

    fn finish(mut self, defaults: &Defaults, line: u32) -> Prepared {
        if self.kind.is_none() {
            let nameless = self.text("first_name").is_empty() && self.text("last_name").is_empty();
            let kind = if nameless && !self.text("company").is_empty() {
                ContactKind::Company
            } else {
                ContactKind::Person
            };
            self.kind = Some(kind);
            self.set("kind".into(), json!(kind.as_str()));
        }
        for (field, id) in [
            ("owner_id", &defaults.owner_id),
            ("stage_id", &defaults.stage_id),
            ("category_id", &defaults.category_id),
        ] {
            if let Some(id) = id.as_deref().filter(|id| !id.is_empty()) {
                self.set(field.to_owned(), contact::id_value(id));
            }
        }
        if let Some(source) = &defaults.source
            && !self.has("source")
        {
            match contact::text_value("source", source).and_then(|v| fits("source", v)) {
                Ok(Value::Null) => {}
                Ok(value) => self.set("source".into(), value),
                Err(error) => self.problems.push(Problem {
                    column: None,
                    value: source.clone(),
                    error: (&error).into(),
                }),
            }
        }
        for tag in contact::tags(&defaults.tags.join(",")) {
            if !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
        if !self.tags.is_empty() && !self.has("tags") {
            self.values.push(("tags".into(), Value::Null));
        }
        for (prefix, ids) in [
            ("segment:", &defaults.segments),
            ("campaign:", &defaults.campaigns),
        ] {
            for id in ids {
                self.set(format!("{prefix}{id}"), json!(true));
            }
        }
        let phones = Value::Array(std::mem::take(&mut self.phones));
        let emails = json!(std::mem::take(&mut self.emails));
        let tags = json!(std::mem::take(&mut self.tags));
        if tags.to_string().len() > MAX_JSON {
            self.problems.push(Problem {
                column: None,
                value: String::new(),
                error: RowError::TooManyValues,
            });
            self.values.retain(|(name, _)| name != "tags");
        }
        for (name, value) in &mut self.values {
            match name.as_str() {
                "phones" => *value = phones.clone(),
                "emails" => *value = emails.clone(),
                "tags" => *value = tags.clone(),
                _ => {}
            }
        }
        let kind = self.kind.unwrap_or_default();
        let named = contact::check_name(
            kind,
            self.text("first_name"),
            self.text("last_name"),
            self.text("company"),
        );
        if named.is_err() && !self.name_problem {
            self.problems.push(Problem {
                column: None,
                value: String::new(),
                error: RowError::NameRequired,
            });
        }
        Prepared {
            line,
            values: self.values,
            problems: self.problems,
        }
    }
}

/// The kind a cell names: a company in any of [`COMPANY_WORDS`], else a person.
fn kind_of(text: &str) -> ContactKind {
    let word = fold(text.trim());
    if COMPANY_WORDS.contains(&word.as_str()) {
        contact::kind("company")
    } else {
        contact::kind(&word)
    }
}

/// A PESEL, NIP or REGON from a number cell, with the leading zeros a spreadsheet drops.
fn id_text(field: &str, cell: &Cell) -> Option<String> {
    let Cell::Number(n) = cell else {
        return None;
    };
    let digits = number_text(*n);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let width = match (field, digits.len()) {
        ("pesel", _) => 11,
        ("nip", _) => 10,
        ("regon", 0..=9) => 9,
        ("regon", _) => 14,
        _ => return None,
    };
    Some(format!("{digits:0>width$}"))
}

/// A text value the schema still refuses as too long (`postal_code` and the ids hold at
/// most 32 characters).
fn fits(field: &str, value: Value) -> Result<Value, FieldError> {
    if let (Some(FieldKind::Text(max)), Some(text)) =
        (schema::field_kind(Entity::Contact, field), value.as_str())
        && text.chars().count() > max
    {
        return Err(FieldError::TooLong(max));
    }
    Ok(value)
}

/// One phone as `{"type", "number"}`, normalized for the default country; bare digits
/// that are no number of that country are read with the `+` a spreadsheet dropped.
fn phone(kind: &str, number: &str, country: &str) -> Result<Value, FieldError> {
    let first = |number: &str| {
        input::phones(&[(kind.to_owned(), number.to_owned())], country)
            .map_err(|(_, error)| error)
            .map(|value| value.get(0).cloned().unwrap_or(Value::Null))
    };
    match first(number) {
        Ok(entry) => Ok(entry),
        Err(error) => {
            let digits = number.trim();
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                first(&format!("+{digits}")).map_err(|_| error)
            } else {
                Err(error)
            }
        }
    }
}

/// The numbers in a phone cell: separated by `,` `;` or line breaks, and by `/` when
/// every part on either side is a number of its own (`22/123 45 67` stays one number).
fn phone_parts(cell: &Cell, kind: &str, country: &str) -> Vec<String> {
    let text = match cell {
        Cell::Number(n) => return vec![number_text(*n)],
        _ => cell.as_text(),
    };
    let mut parts = Vec::new();
    for piece in text
        .split([',', ';', '\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let halves: Vec<&str> = piece
            .split('/')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if halves.len() > 1 && halves.iter().all(|h| phone(kind, h, country).is_ok()) {
            parts.extend(halves.into_iter().map(str::to_owned));
        } else {
            parts.push(piece.to_owned());
        }
    }
    parts
}

/// A custom field's cell as the form's input: a date cell as its date, a yes/no in any
/// of the four languages, a choice as the option it names (folded), multi-choice split
/// on `,` and `;`.
fn custom_input(kind: CustomType, options: &[String], cell: &Cell) -> Vec<String> {
    let option = |text: &str| {
        let wanted = fold(text.trim());
        options
            .iter()
            .find(|o| fold(o.trim()) == wanted)
            .cloned()
            .unwrap_or_else(|| text.trim().to_owned())
    };
    match kind {
        CustomType::Text | CustomType::Number => vec![cell.as_text()],
        CustomType::Date => vec![match cell {
            Cell::DateTime(at) => at.get(..10).unwrap_or(at).to_owned(),
            Cell::Text(text) => local_date(text).unwrap_or_else(|| text.clone()),
            _ => cell.as_text(),
        }],
        CustomType::Choice => vec![option(&cell.as_text())],
        CustomType::MultiChoice => cell
            .as_text()
            .split([',', ';'])
            .filter(|item| !item.trim().is_empty())
            .map(option)
            .collect(),
        CustomType::YesNo => {
            let text = cell.as_text();
            let word = fold(text.trim());
            let answer = if YES_WORDS.contains(&word.as_str()) {
                "true"
            } else if NO_WORDS.contains(&word.as_str()) {
                "false"
            } else {
                text.trim()
            };
            vec![answer.to_owned()]
        }
    }
}

/// `28.02.2026`, `28. 2. 2026` or `2026.02.28.` as `2026-02-28` (whether the date
/// exists is for the field's rule to say).
fn local_date(text: &str) -> Option<String> {
    let parts: Vec<&str> = text
        .trim()
        .trim_end_matches('.')
        .split('.')
        .map(str::trim)
        .collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let number = |s: &str| {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (year, month, day) = if a.len() == 4 {
        (number(a)?, number(b)?, number(c)?)
    } else if c.len() == 4 {
        (number(c)?, number(b)?, number(a)?)
    } else {
        return None;
    };
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::mapping::CustomDef;
    use crate::polish_ids::{pesel_with_check_digit, regon_with_check_digit};

    const RECORD_ID: &str = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    const HLC: &str = "1763800000000-0000-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    const OWNER: &str = "0193a1b2-0000-7000-8000-000000000001";
    const STAGE_NEW: &str = "0193a1b2-0000-7000-8000-000000000002";
    const STAGE_WON: &str = "0193a1b2-0000-7000-8000-000000000003";
    const CATEGORY: &str = "0193a1b2-0000-7000-8000-000000000004";
    const SEGMENT_VIP: &str = "0193a1b2-0000-7000-8000-000000000005";
    const SEGMENT_B2B: &str = "0193a1b2-0000-7000-8000-000000000006";
    const CAMPAIGN: &str = "0193a1b2-0000-7000-8000-000000000007";
    const OTHER_OWNER: &str = "0193a1b2-0000-7000-8000-000000000008";

    fn named(id: &str, names: &[&str]) -> Named {
        Named {
            id: id.to_owned(),
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    fn def(key: &str, kind: &str, options: &[&str]) -> CustomDef {
        CustomDef {
            key: key.to_owned(),
            name: key.to_owned(),
            kind: kind.to_owned(),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    fn ctx() -> Context {
        Context {
            default_country: "PL".into(),
            custom: vec![
                def("shoe_size", "number", &[]),
                def("newsletter", "yes_no", &[]),
                def("size", "choice", &["S", "M", "Łódź"]),
                def("sizes", "multi_choice", &["S", "M", "L"]),
                def("birthday", "date", &[]),
                def("nickname", "text", &[]),
            ],
            users: vec![
                named(OWNER, &["Anna Nowak", "anna@example.com"]),
                named(OTHER_OWNER, &["Piotr Zieliński"]),
            ],
            stages: vec![named(STAGE_NEW, &["Nowy"]), named(STAGE_WON, &["Wygrany"])],
            categories: vec![named(CATEGORY, &["Hurtownie"])],
            segments: vec![
                named(SEGMENT_VIP, &["VIP"]),
                named(SEGMENT_B2B, &["Firmy B2B"]),
            ],
            campaigns: vec![named(CAMPAIGN, &["Jesień 2026"])],
        }
    }

    fn t(text: &str) -> Cell {
        Cell::Text(text.to_owned())
    }

    fn field(name: &str) -> Target {
        Target::Field {
            field: name.to_owned(),
        }
    }

    fn phone(kind: &str) -> Target {
        Target::Phone {
            kind: kind.to_owned(),
        }
    }

    fn custom(key: &str) -> Target {
        Target::Custom {
            key: key.to_owned(),
        }
    }

    /// `prepare`, with what every prepared row must hold: each value one the schema
    /// accepts for a contact, no `import:` field, each field once, `kind` set.
    fn prep(cells: Vec<Cell>, mapping: &[Target], defaults: &Defaults) -> Prepared {
        let row = Row { line: 7, cells };
        let prepared = prepare(&row, mapping, defaults, &ctx());
        assert_eq!(prepared.line, 7);
        for (i, (name, value)) in prepared.values.iter().enumerate() {
            assert!(!name.starts_with("import:"), "{name}");
            let checked = schema::validate_change("contact", RECORD_ID, name, value, HLC);
            assert!(checked.is_ok(), "{name} = {value}: {checked:?}");
            assert!(
                !prepared.values[..i].iter().any(|(n, _)| n == name),
                "{name} twice"
            );
        }
        assert!(prepared.values.iter().any(|(n, _)| n == "kind"));
        prepared
    }

    fn get<'a>(prepared: &'a Prepared, field: &str) -> Option<&'a Value> {
        prepared
            .values
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value)
    }

    fn names(prepared: &Prepared) -> Vec<&str> {
        prepared.values.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn field_problem(column: usize, value: &str, code: &str) -> Problem {
        let error = prepared_message(code);
        Problem {
            column: Some(column),
            value: value.to_owned(),
            error: RowError::Field(code.to_owned(), error),
        }
    }

    /// The English message of a code used in these tests.
    fn prepared_message(code: &str) -> String {
        let error = match code {
            "pesel_check_digit" => FieldError::PolishId(PolishIdError::PeselCheckDigit),
            "nip_check_digit" => FieldError::PolishId(PolishIdError::NipCheckDigit),
            "too_long" => FieldError::TooLong(32),
            "not_a_number" => FieldError::NotANumber,
            "not_a_date" => FieldError::NotADate,
            "not_an_option" => FieldError::NotAnOption,
            other => panic!("no message for {other}"),
        };
        error.to_string()
    }

    #[test]
    fn a_good_polish_row() {
        let mapping = [
            field("first_name"),
            field("last_name"),
            field("company"),
            phone("mobile"),
            Target::Email,
            field("address_line1"),
            field("postal_code"),
            field("city"),
            field("nip"),
            field("pesel"),
            field("regon"),
            Target::Stage,
            Target::Owner,
            Target::Tags,
            Target::Segments,
            field("note"),
        ];
        let cells = vec![
            t(" Łukasz "),
            t("Żółkiewski"),
            t("Łódzkie Młyny sp. z o.o."),
            t("600 100 200"),
            t("Lukasz@Example.PL"),
            t("ul. Piotrkowska 12"),
            t("90-001"),
            t("Łódź"),
            t("PL 526-025-02-74"),
            t("44051401359"),
            t("123 456 785"),
            t("nowy"),
            t("ANNA@example.com"),
            t("vip, hurt ,vip"),
            t("VIP; firmy b2b"),
            t("Dzwonić po 16.\nPyta o rabat."),
        ];
        let prepared = prep(cells, &mapping, &Defaults::default());
        assert_eq!(prepared.problems, vec![]);
        assert_eq!(
            prepared.values,
            vec![
                ("first_name".into(), json!("Łukasz")),
                ("last_name".into(), json!("Żółkiewski")),
                ("company".into(), json!("Łódzkie Młyny sp. z o.o.")),
                (
                    "phones".into(),
                    json!([{"type": "mobile", "number": "+48600100200"}])
                ),
                ("emails".into(), json!(["lukasz@example.pl"])),
                ("address_line1".into(), json!("ul. Piotrkowska 12")),
                ("postal_code".into(), json!("90-001")),
                ("city".into(), json!("Łódź")),
                ("nip".into(), json!("5260250274")),
                ("pesel".into(), json!("44051401359")),
                ("regon".into(), json!("123456785")),
                ("stage_id".into(), json!(STAGE_NEW)),
                ("owner_id".into(), json!(OWNER)),
                ("tags".into(), json!(["vip", "hurt"])),
                (format!("segment:{SEGMENT_VIP}"), json!(true)),
                (format!("segment:{SEGMENT_B2B}"), json!(true)),
                ("note".into(), json!("Dzwonić po 16.\nPyta o rabat.")),
                ("kind".into(), json!("person")),
            ]
        );
    }

    #[test]
    fn a_bad_pesel_is_marked_at_its_column_and_the_rest_kept() {
        let mapping = [
            field("first_name"),
            field("last_name"),
            field("pesel"),
            field("city"),
        ];
        let cells = vec![t("Jan"), t("Kowalski"), t("44051401358"), t("Kraków")];
        let prepared = prep(cells, &mapping, &Defaults::default());
        assert_eq!(
            prepared.problems,
            vec![field_problem(2, "44051401358", "pesel_check_digit")]
        );
        assert_eq!(
            names(&prepared),
            vec!["first_name", "last_name", "city", "kind"]
        );
        assert_eq!(get(&prepared, "city"), Some(&json!("Kraków")));
    }

    #[test]
    fn a_bad_email_is_marked_and_its_cell_sets_nothing() {
        let mapping = [field("last_name"), Target::Email, Target::Email];
        let cells = vec![
            t("Nowak"),
            t("ok@example.com; not-an-email"),
            t("second@example.com"),
        ];
        let prepared = prep(cells, &mapping, &Defaults::default());
        assert_eq!(prepared.problems.len(), 1);
        let problem = &prepared.problems[0];
        assert_eq!(problem.column, Some(1));
        assert_eq!(problem.value, "not-an-email");
        assert!(
            matches!(&problem.error, RowError::Field(code, message)
                if code == "email_invalid" && message.contains("not-an-email")),
            "{problem:?}"
        );
        assert_eq!(
            get(&prepared, "emails"),
            Some(&json!(["second@example.com"]))
        );
    }

    #[test]
    fn numbers_from_excel_cells() {
        let pesel = pesel_with_check_digit("0227080362").unwrap_or_default();
        assert!(pesel.starts_with('0'));
        let regon = regon_with_check_digit("01234567").unwrap_or_default();
        assert!(regon.starts_with('0'));
        let number = |text: &str| Cell::Number(text.parse::<f64>().unwrap_or(f64::NAN));
        let mapping = [
            field("last_name"),
            phone("mobile"),
            phone("work"),
            field("pesel"),
            field("regon"),
            field("nip"),
            field("postal_code"),
        ];
        let cells = vec![
            t("Wiśniewska"),
            Cell::Number(48601234567.0),
            Cell::Number(221234567.0),
            number(&pesel),
            number(&regon),
            Cell::Number(5260250274.0),
            Cell::Number(31000.0),
        ];
        let prepared = prep(cells, &mapping, &Defaults::default());
        assert_eq!(prepared.problems, vec![]);
        assert_eq!(
            get(&prepared, "phones"),
            Some(&json!([
                {"type": "mobile", "number": "+48601234567"},
                {"type": "work", "number": "+48221234567"},
            ]))
        );
        assert_eq!(get(&prepared, "pesel"), Some(&json!(pesel)));
        assert_eq!(get(&prepared, "regon"), Some(&json!(regon)));
        assert_eq!(get(&prepared, "nip"), Some(&json!("5260250274")));
        assert_eq!(get(&prepared, "postal_code"), Some(&json!("31000")));
    }

    #[test]
    fn phones_in_one_cell_and_across_columns() {
        let cases: &[(&str, Value)] = &[
            (
                "600 100 200, 601 200 300; +420 601 123 456",
                json!(["+48600100200", "+48601200300", "+420601123456"]),
            ),
            (
                "600 100 200 / 601-200-300\n0048 602 300 400",
                json!(["+48600100200", "+48601200300", "+48602300400"]),
            ),
            ("22/123 45 67", json!(["+48221234567"])),
            ("48601234567", json!(["+48601234567"])),
            ("600100200, 600 100 200", json!(["+48600100200"])),
        ];
        for (text, expected) in cases {
            let prepared = prep(
                vec![t("Nowak"), t(text)],
                &[field("last_name"), phone("mobile")],
                &Defaults::default(),
            );
            assert_eq!(prepared.problems, vec![], "{text:?}");
            let numbers: Vec<&Value> = get(&prepared, "phones")
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(|p| p.get("number")).collect())
                .unwrap_or_default();
            assert_eq!(json!(numbers), *expected, "{text:?}");
        }
        // Two columns: merged, the second column's repeat dropped, each with its type.
        let prepared = prep(
            vec![
                t("Nowak"),
                t("600 100 200"),
                t("+48 600 100 200, 22 123 45 67"),
            ],
            &[field("last_name"), phone("mobile"), phone("landline")],
            &Defaults::default(),
        );
        assert_eq!(
            get(&prepared, "phones"),
            Some(&json!([
                {"type": "mobile", "number": "+48600100200"},
                {"type": "landline", "number": "+48221234567"},
            ]))
        );
        // A bad number: its cell sets nothing, the other column's phone stays.
        let prepared = prep(
            vec![t("Nowak"), t("600 100 200, 12"), t("601 200 300")],
            &[field("last_name"), phone("mobile"), phone("work")],
            &Defaults::default(),
        );
        assert_eq!(prepared.problems.len(), 1);
        assert_eq!(prepared.problems[0].column, Some(1));
        assert_eq!(prepared.problems[0].value, "12");
        assert!(
            matches!(&prepared.problems[0].error, RowError::Field(code, _) if code.starts_with("phone_"))
        );
        assert_eq!(
            get(&prepared, "phones"),
            Some(&json!([{"type": "work", "number": "+48601200300"}]))
        );
    }

    #[test]
    fn unknown_names_are_problems_at_their_cells() {
        let mapping = [
            field("last_name"),
            Target::Stage,
            Target::Owner,
            Target::Segments,
            Target::Campaigns,
            Target::Category,
        ];
        let cells = vec![
            t("Nowak"),
            t("Przegrany"),
            t("Nobody"),
            t("VIP, Złoci"),
            t("jesien 2026"),
            t("hurtownie"),
        ];
        let prepared = prep(cells, &mapping, &Defaults::default());
        let unknown = |column: usize, value: &str| Problem {
            column: Some(column),
            value: value.to_owned(),
            error: RowError::UnknownName,
        };
        assert_eq!(
            prepared.problems,
            vec![
                unknown(1, "Przegrany"),
                unknown(2, "Nobody"),
                unknown(3, "Złoci")
            ]
        );
        assert_eq!(
            names(&prepared),
            vec![
                "last_name".to_owned(),
                format!("campaign:{CAMPAIGN}"),
                "category_id".to_owned(),
                "kind".to_owned(),
            ]
        );
    }

    #[test]
    fn list_targets_in_several_columns_add_up() {
        // As Target::repeats says: two tag columns and two segment columns are joined.
        let mapping = [
            field("last_name"),
            Target::Tags,
            Target::Tags,
            Target::Segments,
            Target::Segments,
        ];
        assert!(mapping[1..].iter().all(Target::repeats));
        let prepared = prep(
            vec![
                t("Nowak"),
                t("vip"),
                t("stały, vip"),
                t("VIP"),
                t("Firmy B2B"),
            ],
            &mapping,
            &Defaults::default(),
        );
        assert_eq!(prepared.problems, vec![]);
        assert_eq!(
            prepared.values,
            vec![
                ("last_name".into(), json!("Nowak")),
                ("tags".into(), json!(["vip", "stały"])),
                (format!("segment:{SEGMENT_VIP}"), json!(true)),
                (format!("segment:{SEGMENT_B2B}"), json!(true)),
                ("kind".into(), json!("person")),
            ]
        );
    }

    #[test]
    fn defaults_fill_what_the_row_leaves_empty() {
        let defaults = Defaults {
            owner_id: Some(OWNER.into()),
            stage_id: Some(STAGE_NEW.into()),
            category_id: Some(CATEGORY.into()),
            source: Some("Targi 2026".into()),
            segments: vec![SEGMENT_B2B.into()],
            campaigns: vec![CAMPAIGN.into()],
            tags: vec!["import".into(), "vip".into()],
        };
        let mapping = [
            field("last_name"),
            Target::Stage,
            Target::Owner,
            field("source"),
            Target::Tags,
            Target::Segments,
        ];
        // The row's own values win for single fields; lists are joined.
        let prepared = prep(
            vec![
                t("Nowak"),
                t("Wygrany"),
                t("Piotr Zielinski"),
                t("Polecenie"),
                t("vip, stały"),
                t("VIP"),
            ],
            &mapping,
            &defaults,
        );
        assert_eq!(prepared.problems, vec![]);
        assert_eq!(
            prepared.values,
            vec![
                ("last_name".into(), json!("Nowak")),
                ("stage_id".into(), json!(STAGE_WON)),
                ("owner_id".into(), json!(OTHER_OWNER)),
                ("source".into(), json!("Polecenie")),
                ("tags".into(), json!(["vip", "stały", "import"])),
                (format!("segment:{SEGMENT_VIP}"), json!(true)),
                ("kind".into(), json!("person")),
                ("category_id".into(), json!(CATEGORY)),
                (format!("segment:{SEGMENT_B2B}"), json!(true)),
                (format!("campaign:{CAMPAIGN}"), json!(true)),
            ]
        );
        // Blank cells: the defaults give every value.
        let prepared = prep(
            vec![
                t("Nowak"),
                t(""),
                Cell::Empty,
                t("  "),
                Cell::Empty,
                Cell::Empty,
            ],
            &mapping,
            &defaults,
        );
        assert_eq!(prepared.problems, vec![]);
        assert_eq!(
            prepared.values,
            vec![
                ("last_name".into(), json!("Nowak")),
                ("kind".into(), json!("person")),
                ("owner_id".into(), json!(OWNER)),
                ("stage_id".into(), json!(STAGE_NEW)),
                ("category_id".into(), json!(CATEGORY)),
                ("source".into(), json!("Targi 2026")),
                ("tags".into(), json!(["import", "vip"])),
                (format!("segment:{SEGMENT_B2B}"), json!(true)),
                (format!("campaign:{CAMPAIGN}"), json!(true)),
            ]
        );
    }

    #[test]
    fn a_nameless_row() {
        let mapping = [
            field("first_name"),
            field("last_name"),
            field("company"),
            Target::Email,
        ];
        let prepared = prep(
            vec![t(" "), Cell::Empty, t(""), t("who@example.com")],
            &mapping,
            &Defaults::default(),
        );
        assert_eq!(
            prepared.problems,
            vec![Problem {
                column: None,
                value: String::new(),
                error: RowError::NameRequired,
            }]
        );
        assert_eq!(names(&prepared), vec!["emails", "kind"]);
        // A company named "company" by its kind column but without a company name.
        let prepared = prep(
            vec![t("Jan"), t("Nowak"), t(""), t("Firma")],
            &[
                field("first_name"),
                field("last_name"),
                field("company"),
                field("kind"),
            ],
            &Defaults::default(),
        );
        assert_eq!(prepared.problems.len(), 1);
        assert_eq!(prepared.problems[0].error, RowError::NameRequired);
        // A name refused for its length is that cell's problem, not also "nameless".
        let prepared = prep(
            vec![t(&"x".repeat(201))],
            &[field("last_name")],
            &Defaults::default(),
        );
        assert_eq!(prepared.problems.len(), 1);
        assert!(
            matches!(&prepared.problems[0].error, RowError::Field(code, _) if code == "too_long")
        );
    }

    #[test]
    fn company_only_rows_become_companies() {
        let mapping = [field("first_name"), field("last_name"), field("company")];
        let cases: &[(&[&str], &str)] = &[
            (&["", "", "Acme sp. z o.o."], "company"),
            (&["Jan", "", "Acme sp. z o.o."], "person"),
            (&["", "Nowak", "Acme sp. z o.o."], "person"),
            (&["Jan", "Nowak", ""], "person"),
        ];
        for (cells, kind) in cases {
            let prepared = prep(
                cells.iter().map(|c| t(c)).collect(),
                &mapping,
                &Defaults::default(),
            );
            assert_eq!(prepared.problems, vec![], "{cells:?}");
            assert_eq!(get(&prepared, "kind"), Some(&json!(kind)), "{cells:?}");
        }
        // A kind column decides, in any of the four languages.
        let kinds = [
            ("company", "company"),
            ("Firma", "company"),
            ("Společnost", "company"),
            ("CÉG", "company"),
            ("organizace", "company"),
            ("osoba", "person"),
            ("person", "person"),
        ];
        for (word, kind) in kinds {
            let prepared = prep(
                vec![t("Jan"), t("Nowak"), t("Acme"), t(word)],
                &[
                    field("first_name"),
                    field("last_name"),
                    field("company"),
                    field("kind"),
                ],
                &Defaults::default(),
            );
            assert_eq!(get(&prepared, "kind"), Some(&json!(kind)), "{word}");
            assert_eq!(names(&prepared)[3], "kind");
        }
    }

    #[test]
    fn custom_field_types() {
        let mapping = [
            field("last_name"),
            custom("shoe_size"),
            custom("newsletter"),
            custom("size"),
            custom("sizes"),
            custom("birthday"),
            custom("nickname"),
        ];
        // The custom cells, the custom values they give, the (column, code) problems.
        type Case = (
            Vec<Cell>,
            Vec<(&'static str, Value)>,
            Vec<(usize, &'static str)>,
        );
        let cases: Vec<Case> = vec![
            (
                vec![
                    Cell::Number(44.0),
                    Cell::Bool(true),
                    t("m"),
                    t("S; l, S"),
                    Cell::Date("2026-02-28".into()),
                    Cell::Number(7.5),
                ],
                vec![
                    ("shoe_size", json!(44)),
                    ("newsletter", json!(true)),
                    ("size", json!("M")),
                    ("sizes", json!(["S", "L"])),
                    ("birthday", json!("2026-02-28")),
                    ("nickname", json!("7.5")),
                ],
                vec![],
            ),
            (
                vec![
                    t("1 234,5"),
                    t("Nie"),
                    t("lodz"),
                    t("M"),
                    Cell::DateTime("2026-03-01T10:30:00".into()),
                    t(" Kowal "),
                ],
                vec![
                    ("shoe_size", json!(1234.5)),
                    ("newsletter", json!(false)),
                    ("size", json!("Łódź")),
                    ("sizes", json!(["M"])),
                    ("birthday", json!("2026-03-01")),
                    ("nickname", json!("Kowal")),
                ],
                vec![],
            ),
            (
                vec![
                    t("0"),
                    t("igen"),
                    Cell::Empty,
                    Cell::Empty,
                    t("28.02.2026"),
                    Cell::Empty,
                ],
                vec![
                    ("shoe_size", json!(0)),
                    ("newsletter", json!(true)),
                    ("birthday", json!("2026-02-28")),
                ],
                vec![],
            ),
            (
                vec![
                    t("ano"),
                    t("x"),
                    Cell::Empty,
                    Cell::Empty,
                    t("2026. 02. 28."),
                    Cell::Empty,
                ],
                vec![
                    ("newsletter", json!(true)),
                    ("birthday", json!("2026-02-28")),
                ],
                vec![(1, "not_a_number")],
            ),
            (
                vec![
                    t("many"),
                    t("maybe"),
                    t("XL"),
                    t("S, XL"),
                    t("30.02.2026"),
                    Cell::Empty,
                ],
                vec![],
                vec![
                    (1, "not_a_number"),
                    (2, "not_an_option"),
                    (3, "not_an_option"),
                    (4, "not_an_option"),
                    (5, "not_a_date"),
                ],
            ),
            (
                vec![
                    t("nem"),
                    Cell::Number(0.0),
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Number(46000.0),
                    Cell::Empty,
                ],
                vec![("newsletter", json!(false))],
                vec![(1, "not_a_number"), (5, "not_a_date")],
            ),
        ];
        for (custom_cells, expected, problems) in cases {
            let mut cells = vec![t("Nowak")];
            cells.extend(custom_cells.clone());
            let prepared = prep(cells, &mapping, &Defaults::default());
            let got: Vec<(&str, &Value)> = prepared
                .values
                .iter()
                .filter_map(|(n, v)| n.strip_prefix("custom.").map(|k| (k, v)))
                .collect();
            let expected: Vec<(&str, &Value)> = expected.iter().map(|(k, v)| (*k, v)).collect();
            assert_eq!(got, expected, "{custom_cells:?}");
            let got: Vec<(usize, &str)> = prepared
                .problems
                .iter()
                .map(|p| match &p.error {
                    RowError::Field(code, _) => (p.column.unwrap_or(99), code.as_str()),
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(got, problems, "{custom_cells:?}");
        }
    }

    #[test]
    fn other_cells_and_fields() {
        // A spreadsheet error, a postal code longer than the schema's 32, an unknown
        // standard field, a custom field no longer defined, cells past the mapping.
        let mapping = [
            field("last_name"),
            field("city"),
            field("postal_code"),
            field("owner_id"),
            custom("gone"),
            field("last_name"),
        ];
        let long = "1".repeat(33);
        let prepared = prep(
            vec![
                t("Nowak"),
                Cell::Error("#N/A".into()),
                t(&long),
                t(OWNER),
                t("x"),
                t("Kowalski"),
                t("past the mapping"),
            ],
            &mapping,
            &Defaults::default(),
        );
        assert_eq!(names(&prepared), vec!["last_name", "kind"]);
        assert_eq!(get(&prepared, "last_name"), Some(&json!("Nowak")));
        assert_eq!(prepared.problems.len(), 2);
        assert_eq!(prepared.problems[0].column, Some(1));
        assert!(
            matches!(&prepared.problems[0].error, RowError::Field(code, _) if code == "cell_error")
        );
        assert_eq!(prepared.problems[1], field_problem(2, &long, "too_long"));
        // A bad NIP, and a mapping longer than the row.
        let prepared = prep(
            vec![t("Acme"), t("526-025-02-75")],
            &[field("company"), field("nip"), field("city")],
            &Defaults::default(),
        );
        assert_eq!(
            prepared.problems,
            vec![field_problem(1, "526-025-02-75", "nip_check_digit")]
        );
        assert_eq!(get(&prepared, "kind"), Some(&json!("company")));
    }

    #[test]
    fn too_many_phones() {
        let many: Vec<String> = (0..51).map(|i| format!("600 100 {:03}", 100 + i)).collect();
        let prepared = prep(
            vec![t("Nowak"), t(&many.join(", "))],
            &[field("last_name"), phone("mobile")],
            &Defaults::default(),
        );
        assert_eq!(prepared.problems.len(), 1);
        assert_eq!(prepared.problems[0].error, RowError::TooManyValues);
        assert_eq!(get(&prepared, "phones"), None);
    }

    #[test]
    fn error_codes_are_stable_snake_case() {
        use crate::validate::InputError;
        let cases = [
            (FieldError::TooLong(200), "too_long"),
            (
                FieldError::Email(InputError::EmailMalformed("x".into())),
                "email_invalid",
            ),
            (
                FieldError::Phone(PhoneError::Invalid("1".into())),
                "phone_invalid",
            ),
            (
                FieldError::PolishId(PolishIdError::NipCheckDigit),
                "nip_check_digit",
            ),
            (
                FieldError::PolishId(PolishIdError::PeselCheckDigit),
                "pesel_check_digit",
            ),
            (
                FieldError::PolishId(PolishIdError::RegonCheckDigit),
                "regon_check_digit",
            ),
            (FieldError::NotANumber, "not_a_number"),
            (FieldError::NotADate, "not_a_date"),
            (FieldError::NotAnOption, "not_an_option"),
            (FieldError::NameRequired, "name_required"),
        ];
        for (error, code) in cases {
            assert_eq!(field_error_code(&error), code);
            assert_eq!(
                RowError::from(&error),
                RowError::Field(code.to_owned(), error.to_string())
            );
        }
    }
}
