//! What a record exports as: its cells for the chosen columns (names for owners, stages,
//! categories, segments and campaigns; phones as stored or as shown; typed dates, numbers
//! and yes/no), the columns "every field" means, and CSV writing with formula
//! neutralization (a cell Excel would run as a formula gets a leading apostrophe).
//!
//! XLSX writing lives in the `minicrm-sheets` crate; it takes the same cells.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::encoding::{self, TextEncoding};
use super::mapping::{Context, Named, Target};
use super::table::{Cell, number_text};
use crate::input::CustomType;
use crate::merge::Fields;
use crate::phone;
use crate::record::hlc_ms;
use crate::schema::PHONE_TYPES;

/// What one exported column holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "of", rename_all = "snake_case")]
pub enum Column {
    /// A standard field's stored value (`record::TEXT_FIELDS`, `note`).
    Field {
        field: String,
    },
    /// A custom field by its `field_def` key, typed by its definition.
    Custom {
        key: String,
    },
    /// The phones of one type, or all of them (`None`), joined with ", ".
    Phones {
        kind: Option<String>,
    },
    Emails,
    Tags,
    /// Names of the segments the record is a member of.
    Segments,
    /// Names of the campaigns the record is a member of.
    Campaigns,
    /// The owner's name.
    Owner,
    /// The stage's name.
    Stage,
    /// The category's name.
    Category,
    /// `person` or `company`.
    Kind,
    /// When any field was last written (UTC).
    Modified,
}

impl Column {
    /// What an import maps this column back into: [`Target::Skip`] for `Modified`, which
    /// is not a field, and for phones of every type in one column (read back, they would
    /// all become one type).
    pub fn target(&self) -> Target {
        match self {
            Column::Field { field } => Target::Field {
                field: field.clone(),
            },
            Column::Custom { key } => Target::Custom { key: key.clone() },
            Column::Phones { kind: Some(kind) } => Target::Phone { kind: kind.clone() },
            Column::Phones { kind: None } | Column::Modified => Target::Skip,
            Column::Emails => Target::Email,
            Column::Tags => Target::Tags,
            Column::Segments => Target::Segments,
            Column::Campaigns => Target::Campaigns,
            Column::Owner => Target::Owner,
            Column::Stage => Target::Stage,
            Column::Category => Target::Category,
            Column::Kind => Target::Field {
                field: "kind".into(),
            },
        }
    }
}

/// A column as exported: its header and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportColumn {
    pub header: String,
    pub column: Column,
}

impl ExportColumn {
    fn new(header: &str, column: Column) -> ExportColumn {
        ExportColumn {
            header: header.to_owned(),
            column,
        }
    }
}

/// How values are written out.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ExportOptions {
    /// Phones as the list shows them (national for the team's country) instead of E.164.
    pub phones_as_shown: bool,
}

/// A record's cells for `columns`, in their order (one cell per column).
pub fn record_cells(
    fields: &Fields,
    columns: &[ExportColumn],
    ctx: &Context,
    options: &ExportOptions,
) -> Vec<Cell> {
    let get = |name: &str| fields.get(name).map(|state| &state.value);
    columns
        .iter()
        .map(|column| match &column.column {
            Column::Field { field } => plain_cell(get(field)),
            Column::Custom { key } => custom_cell(get(&format!("custom.{key}")), key, ctx),
            Column::Phones { kind } => phones_cell(get("phones"), kind.as_deref(), ctx, options),
            Column::Emails => text_cell(strings(get("emails")).join(", ")),
            Column::Tags => text_cell(strings(get("tags")).join(", ")),
            Column::Segments => memberships(fields, "segment:", &ctx.segments),
            Column::Campaigns => memberships(fields, "campaign:", &ctx.campaigns),
            Column::Owner => named_cell(get("owner_id"), &ctx.users),
            Column::Stage => named_cell(get("stage_id"), &ctx.stages),
            Column::Category => named_cell(get("category_id"), &ctx.categories),
            Column::Kind => {
                let company = get("kind").and_then(Value::as_str) == Some("company");
                Cell::Text(if company { "company" } else { "person" }.into())
            }
            Column::Modified => modified_cell(fields),
        })
        .collect()
}

/// The columns of "every field", in the record form's order, with English headers that
/// the import's header suggestions map back to the same fields.
pub fn default_columns(ctx: &Context) -> Vec<ExportColumn> {
    let field = |name: &str| Column::Field { field: name.into() };
    let mut columns = vec![
        ExportColumn::new("Type", Column::Kind),
        ExportColumn::new("First name", field("first_name")),
        ExportColumn::new("Last name", field("last_name")),
        ExportColumn::new("Position", field("position")),
        ExportColumn::new("Company", field("company")),
    ];
    for kind in PHONE_TYPES {
        let header = match *kind {
            "mobile" => "Mobile",
            "landline" => "Landline",
            "work" => "Work phone",
            "main" => "Main phone",
            "home_fax" => "Home fax",
            "office_fax" => "Office fax",
            _ => "Other phone",
        };
        let kind = Some((*kind).to_owned());
        columns.push(ExportColumn::new(header, Column::Phones { kind }));
    }
    columns.push(ExportColumn::new("E-mail", Column::Emails));
    for (header, name) in [
        ("Address", "address_line1"),
        ("Address line 2", "address_line2"),
        ("Postal code", "postal_code"),
        ("City", "city"),
        ("Region", "region"),
        ("Country", "country"),
        ("NIP", "nip"),
        ("PESEL", "pesel"),
        ("REGON", "regon"),
    ] {
        columns.push(ExportColumn::new(header, field(name)));
    }
    columns.extend([
        ExportColumn::new("Stage", Column::Stage),
        ExportColumn::new("Category", Column::Category),
        ExportColumn::new("Source", field("source")),
        ExportColumn::new("Owner", Column::Owner),
        ExportColumn::new("Tags", Column::Tags),
        ExportColumn::new("Segments", Column::Segments),
        ExportColumn::new("Campaigns", Column::Campaigns),
    ]);
    for def in &ctx.custom {
        let key = def.key.clone();
        columns.push(ExportColumn::new(&def.name, Column::Custom { key }));
    }
    columns.push(ExportColumn::new("Note", field("note")));
    columns
}

fn text_cell(text: String) -> Cell {
    if text.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(text)
    }
}

/// The strings of a JSON array (other items skipped), trimmed, empty ones left out.
fn strings(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// A stored value as a cell by its JSON type: text, number, yes/no, a list joined.
fn plain_cell(value: Option<&Value>) -> Cell {
    match value {
        Some(Value::String(text)) => text_cell(text.trim().to_owned()),
        Some(Value::Number(n)) => n.as_f64().map_or(Cell::Empty, Cell::Number),
        Some(Value::Bool(b)) => Cell::Bool(*b),
        Some(Value::Array(_)) => text_cell(strings(value).join(", ")),
        _ => Cell::Empty,
    }
}

fn custom_cell(value: Option<&Value>, key: &str, ctx: &Context) -> Cell {
    let kind = ctx
        .custom
        .iter()
        .find(|def| def.key == key)
        .and_then(|def| CustomType::parse(&def.kind));
    match (kind, value) {
        (Some(CustomType::Date), Some(Value::String(text))) if is_date(text.trim()) => {
            Cell::Date(text.trim().to_owned())
        }
        // Text kinds keep a number-looking value as text (a code like 007 stays 007).
        (Some(CustomType::Text | CustomType::Choice), Some(Value::Number(n))) => {
            text_cell(n.to_string())
        }
        _ => plain_cell(value),
    }
}

fn is_date(text: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    text.len() == 10 && time::Date::parse(text, format).is_ok()
}

fn phones_cell(
    value: Option<&Value>,
    kind: Option<&str>,
    ctx: &Context,
    options: &ExportOptions,
) -> Cell {
    let country = if ctx.default_country.trim().is_empty() {
        phone::FALLBACK_COUNTRY
    } else {
        ctx.default_country.as_str()
    };
    let numbers: Vec<String> = value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|item| kind.is_none() || item.get("type").and_then(Value::as_str) == kind)
        .filter_map(|item| item.get("number")?.as_str())
        .map(str::trim)
        .filter(|number| !number.is_empty())
        .map(|number| {
            if options.phones_as_shown {
                phone::display(number, country)
            } else {
                number.to_owned()
            }
        })
        .collect();
    text_cell(numbers.join(", "))
}

/// The first name of the row or user `id` names; the id itself when `names` has none.
fn name_of<'a>(id: &'a str, names: &'a [Named]) -> &'a str {
    names
        .iter()
        .find(|named| named.id == id)
        .and_then(|named| named.names.first())
        .map_or(id, String::as_str)
}

fn named_cell(value: Option<&Value>, names: &[Named]) -> Cell {
    match value.and_then(Value::as_str).map(str::trim) {
        Some(id) if !id.is_empty() => Cell::Text(name_of(id, names).to_owned()),
        _ => Cell::Empty,
    }
}

/// The names of the rows `<prefix><id>` is true for, in the settings' order (ids that
/// are not there last).
fn memberships(fields: &Fields, prefix: &str, names: &[Named]) -> Cell {
    let mut ids: Vec<&str> = fields
        .iter()
        .filter(|(_, state)| state.value == Value::Bool(true))
        .filter_map(|(name, _)| name.strip_prefix(prefix))
        .collect();
    ids.sort_by_key(|id| {
        names
            .iter()
            .position(|named| named.id == *id)
            .unwrap_or(usize::MAX)
    });
    let listed: Vec<&str> = ids.iter().map(|id| name_of(id, names)).collect();
    text_cell(listed.join(", "))
}

fn modified_cell(fields: &Fields) -> Cell {
    let ms = fields
        .values()
        .map(|state| hlc_ms(&state.hlc))
        .max()
        .unwrap_or(0);
    let seconds = i64::try_from(ms / 1000).unwrap_or(0);
    match time::OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(at) if ms > 0 => Cell::DateTime(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        )),
        _ => Cell::Empty,
    }
}

/// OWASP's CSV injection defence: a text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'`, so a spreadsheet shows it instead of running it.
/// A plain number (`-12.5`) and a phone-looking value (`+48 601 234 567`) are left alone:
/// nothing in them can call a function.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    let risky = matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if risky && !is_plain_number(text) && !is_phone_like(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// `-12`, `+3.5`, `-0,25`: a sign, digits, at most one decimal point or comma and digits.
fn is_plain_number(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = match body.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

/// `+48 601 234 567`, `+48 (22) 123-45-67`: a `+`, then only digits, spaces and
/// `( ) - . /`, with at least six digits.
fn is_phone_like(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('+') else {
        return false;
    };
    rest.starts_with(|c: char| c.is_ascii_digit() || c == '(')
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '-' | '.' | '/'))
        && rest.chars().filter(char::is_ascii_digit).count() >= 6
}

/// How a CSV export is written.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CsvOptions {
    /// One of `import::csv::DELIMITERS`.
    pub delimiter: u8,
    /// [`TextEncoding::Utf8`] (what Excel opens right, with the BOM) or
    /// [`TextEncoding::Windows1250`] (for older tools); the others work too.
    pub encoding: TextEncoding,
    /// Whether a UTF-8 (or UTF-16) file starts with a byte order mark.
    pub bom: bool,
    /// Cells exactly as stored, for re-import: no formula neutralization.
    pub raw: bool,
}

impl CsvOptions {
    /// The defaults for a user of `language`: its Excel's delimiter, UTF-8 with a BOM,
    /// neutralized.
    pub fn for_language(language: &str) -> CsvOptions {
        CsvOptions {
            delimiter: default_delimiter(language),
            encoding: TextEncoding::Utf8,
            bom: true,
            raw: false,
        }
    }
}

/// The delimiter the Excel of a `language` user expects: `;` for Polish, Czech and
/// Hungarian (their decimal separator is the comma), `,` otherwise. `language` is a
/// language tag such as `pl` or `cs-CZ`.
pub fn default_delimiter(language: &str) -> u8 {
    let primary = language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match primary.as_str() {
        "pl" | "cs" | "hu" => b';',
        _ => b',',
    }
}

/// A CSV file of a header row and `rows`: CRLF after every row, a cell quoted when it
/// holds the delimiter, a quote or a line break; numbers as `table::number_text`, dates as
/// `YYYY-MM-DD`, date-times as `YYYY-MM-DD HH:MM:SS`, yes/no as `true`/`false`; texts
/// neutralized unless `raw`; in the chosen encoding (`encoding::encode`: characters it
/// lacks become `?`).
pub fn write_csv(header: &[String], rows: &[Vec<Cell>], options: &CsvOptions) -> Vec<u8> {
    let delimiter = char::from(options.delimiter);
    let mut text = String::with_capacity(64 * (rows.len() + 1));
    let header: Vec<Cell> = header.iter().map(|h| Cell::Text(h.clone())).collect();
    for row in std::iter::once(&header).chain(rows) {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                text.push(delimiter);
            }
            let value = csv_text(cell, options.raw);
            let quoted = value.contains([delimiter, '"', '\r', '\n'])
                // A one-column row of nothing would be a blank line, which is not a row.
                || (row.len() == 1 && value.is_empty());
            if quoted {
                text.push('"');
                text.push_str(&value.replace('"', "\"\""));
                text.push('"');
            } else {
                text.push_str(&value);
            }
        }
        text.push_str("\r\n");
    }
    encode(&text, options.encoding, options.bom)
}

fn csv_text(cell: &Cell, raw: bool) -> Cow<'_, str> {
    match cell {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Text(text) | Cell::Error(text) => {
            if raw {
                Cow::Borrowed(text.as_str())
            } else {
                neutralize(text)
            }
        }
        Cell::Number(n) => Cow::Owned(number_text(*n)),
        Cell::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Cell::Date(date) => Cow::Borrowed(date.as_str()),
        Cell::DateTime(at) => Cow::Owned(at.replacen('T', " ", 1)),
    }
}

/// `text` in `encoding`, with a byte order mark when asked and the encoding has one.
fn encode(text: &str, encoding: TextEncoding, bom: bool) -> Vec<u8> {
    let mark: &[u8] = match encoding {
        TextEncoding::Utf8 if bom => b"\xEF\xBB\xBF",
        TextEncoding::Utf16Le if bom => b"\xFF\xFE",
        TextEncoding::Utf16Be if bom => b"\xFE\xFF",
        _ => b"",
    };
    let mut out = mark.to_vec();
    out.extend(encoding::encode(text, encoding));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::import::mapping::CustomDef;
    use crate::record::TEXT_FIELDS;

    const STAGE: &str = "0193a1b2-c3d4-7e5f-8a9b-00000000000a";
    const CATEGORY: &str = "0193a1b2-c3d4-7e5f-8a9b-00000000000b";
    const OWNER: &str = "0193a1b2-c3d4-7e5f-8a9b-00000000000c";
    const SEG_A: &str = "0193a1b2-c3d4-7e5f-8a9b-000000000001";
    const SEG_B: &str = "0193a1b2-c3d4-7e5f-8a9b-000000000002";
    const SEG_GONE: &str = "0193a1b2-c3d4-7e5f-8a9b-000000000003";
    const CAMPAIGN: &str = "0193a1b2-c3d4-7e5f-8a9b-000000000004";

    fn named(id: &str, name: &str) -> Named {
        Named {
            id: id.into(),
            names: vec![name.into(), "other name".into()],
        }
    }

    fn custom(key: &str, name: &str, kind: CustomType) -> CustomDef {
        CustomDef {
            key: key.into(),
            name: name.into(),
            kind: kind.as_str().into(),
            options: vec!["A".into(), "B, C".into()],
        }
    }

    fn context() -> Context {
        Context {
            default_country: "PL".into(),
            custom: vec![
                custom("shoe_size", "Shoe size", CustomType::Number),
                custom("visit", "Last visit", CustomType::Date),
                custom("vip", "VIP", CustomType::YesNo),
                custom("interests", "Interests", CustomType::MultiChoice),
                custom("code", "Client code", CustomType::Text),
            ],
            users: vec![named(OWNER, "Anna Nowak")],
            stages: vec![named(STAGE, "Offer sent")],
            categories: vec![named(CATEGORY, "Wholesale")],
            // B before A in the settings: names come in the settings' order.
            segments: vec![named(SEG_B, "Łódź region"), named(SEG_A, "Key accounts")],
            campaigns: vec![named(CAMPAIGN, "Spring 2026")],
        }
    }

    fn columns(spec: &[(&str, Column)]) -> Vec<ExportColumn> {
        spec.iter()
            .map(|(header, column)| ExportColumn::new(header, column.clone()))
            .collect()
    }

    fn realistic() -> Fields {
        let mut fields = crate::merge::fields_at(
            "1763800000000-0000-node",
            &[
                ("kind", json!("person")),
                ("first_name", json!("Jan")),
                ("last_name", json!("Kowalski")),
                ("city", json!(" Łódź ")),
                ("emails", json!(["jan.kowalski@firma.pl", "jan@dom.pl"])),
                (
                    "phones",
                    json!([
                        {"type": "mobile", "number": "+48601234567"},
                        {"type": "work", "number": "+48221234567"},
                        {"type": "mobile", "number": "+420601123456"}
                    ]),
                ),
                ("tags", json!(["vip", "2026"])),
                ("owner_id", json!(OWNER)),
                ("stage_id", json!(STAGE)),
                ("category_id", json!("0193a1b2-c3d4-7e5f-8a9b-0000000000ff")),
                (&format!("segment:{SEG_A}"), json!(true)),
                (&format!("segment:{SEG_B}"), json!(true)),
                (&format!("segment:{SEG_GONE}"), json!(true)),
                (&format!("campaign:{CAMPAIGN}"), json!(false)),
                ("custom.shoe_size", json!(44)),
                ("custom.visit", json!("2026-03-01")),
                ("custom.vip", json!(true)),
                ("custom.interests", json!(["A", "B, C"])),
                ("custom.code", json!(7)),
                ("note", json!("=HYPERLINK(\"http://x\",\"y\")")),
            ],
        );
        // One field written later: Modified is the newest write.
        if let Some(state) = fields.get_mut("city") {
            state.hlc = "1763812345678-0001-node".into();
        }
        fields
    }

    #[test]
    fn cells_of_a_realistic_contact() {
        let columns = columns(&[
            ("Type", Column::Kind),
            (
                "Name",
                Column::Field {
                    field: "first_name".into(),
                },
            ),
            (
                "City",
                Column::Field {
                    field: "city".into(),
                },
            ),
            (
                "Position",
                Column::Field {
                    field: "position".into(),
                },
            ),
            ("Phones", Column::Phones { kind: None }),
            (
                "Mobile",
                Column::Phones {
                    kind: Some("mobile".into()),
                },
            ),
            (
                "Fax",
                Column::Phones {
                    kind: Some("home_fax".into()),
                },
            ),
            ("E-mail", Column::Emails),
            ("Tags", Column::Tags),
            ("Owner", Column::Owner),
            ("Stage", Column::Stage),
            ("Category", Column::Category),
            ("Segments", Column::Segments),
            ("Campaigns", Column::Campaigns),
            (
                "Shoe",
                Column::Custom {
                    key: "shoe_size".into(),
                },
            ),
            (
                "Visit",
                Column::Custom {
                    key: "visit".into(),
                },
            ),
            ("VIP", Column::Custom { key: "vip".into() }),
            (
                "Interests",
                Column::Custom {
                    key: "interests".into(),
                },
            ),
            ("Code", Column::Custom { key: "code".into() }),
            (
                "Gone",
                Column::Custom {
                    key: "removed".into(),
                },
            ),
            (
                "Note",
                Column::Field {
                    field: "note".into(),
                },
            ),
            ("Modified", Column::Modified),
        ]);
        let text = |s: &str| Cell::Text(s.into());
        let stored = record_cells(
            &realistic(),
            &columns,
            &context(),
            &ExportOptions::default(),
        );
        let expected = vec![
            text("person"),
            text("Jan"),
            text("Łódź"),
            Cell::Empty,
            text("+48601234567, +48221234567, +420601123456"),
            text("+48601234567, +420601123456"),
            Cell::Empty,
            text("jan.kowalski@firma.pl, jan@dom.pl"),
            text("vip, 2026"),
            text("Anna Nowak"),
            text("Offer sent"),
            // A category the settings no longer have: its id.
            text("0193a1b2-c3d4-7e5f-8a9b-0000000000ff"),
            text(&format!("Łódź region, Key accounts, {SEG_GONE}")),
            Cell::Empty,
            Cell::Number(44.0),
            Cell::Date("2026-03-01".into()),
            Cell::Bool(true),
            text("A, B, C"),
            text("7"),
            Cell::Empty,
            text("=HYPERLINK(\"http://x\",\"y\")"),
            // 1763812345678 ms = 2025-11-22 11:52:25.678 UTC.
            Cell::DateTime("2025-11-22T11:52:25".into()),
        ];
        assert_eq!(stored, expected);

        let shown = ExportOptions {
            phones_as_shown: true,
        };
        let cells = record_cells(&realistic(), &columns[4..6], &context(), &shown);
        assert_eq!(
            cells,
            vec![
                text("601 234 567, 22 123 45 67, +420 601 123 456"),
                text("601 234 567, +420 601 123 456"),
            ]
        );
    }

    #[test]
    fn company_kind_and_an_empty_record() {
        let columns = columns(&[
            ("Type", Column::Kind),
            (
                "Company",
                Column::Field {
                    field: "company".into(),
                },
            ),
            ("Modified", Column::Modified),
            ("Owner", Column::Owner),
        ]);
        let company = crate::merge::fields_at(
            "1763800000000-0000-node",
            &[("kind", json!("company")), ("company", json!("Acme"))],
        );
        let cells = record_cells(&company, &columns, &context(), &ExportOptions::default());
        assert_eq!(cells[0], Cell::Text("company".into()));
        assert_eq!(cells[1], Cell::Text("Acme".into()));
        assert_eq!(cells[2], Cell::DateTime("2025-11-22T08:26:40".into()));
        let empty = record_cells(
            &Fields::new(),
            &columns,
            &context(),
            &ExportOptions::default(),
        );
        assert_eq!(
            empty,
            vec![
                Cell::Text("person".into()),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty
            ]
        );
    }

    #[test]
    fn every_field_in_form_order() {
        let ctx = context();
        let columns = default_columns(&ctx);
        let headers: Vec<&str> = columns.iter().map(|c| c.header.as_str()).collect();
        assert_eq!(headers.first(), Some(&"Type"));
        assert_eq!(headers.last(), Some(&"Note"));
        for name in TEXT_FIELDS {
            let column = Column::Field {
                field: (*name).into(),
            };
            assert!(columns.iter().any(|c| c.column == column), "{name} missing");
        }
        for kind in PHONE_TYPES {
            let column = Column::Phones {
                kind: Some((*kind).into()),
            };
            assert!(columns.iter().any(|c| c.column == column), "{kind} missing");
        }
        for def in &ctx.custom {
            assert!(headers.contains(&def.name.as_str()));
        }
        let mut unique = headers.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), headers.len(), "headers repeat: {headers:?}");
    }

    /// What the import suggests for each exported header is the column's own target, so
    /// an export imported back needs no mapping by hand.
    #[test]
    fn default_headers_map_back() {
        let ctx = context();
        for column in default_columns(&ctx) {
            assert_eq!(
                crate::import::mapping::suggest(&column.header, &ctx),
                column.column.target(),
                "header {:?}",
                column.header
            );
        }
    }

    #[test]
    fn neutralization() {
        let cases: &[(&str, &str)] = &[
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("=1+1", "'=1+1"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(1,2)", "'@SUM(1,2)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("- a list item", "'- a list item"),
            ("+", "'+"),
            ("-", "'-"),
            ("+48 601 234 567 ext. 5", "'+48 601 234 567 ext. 5"),
            // Left alone.
            ("-12.5", "-12.5"),
            ("-12,5", "-12,5"),
            ("+7", "+7"),
            ("+48 601 234 567", "+48 601 234 567"),
            ("+48601234567", "+48601234567"),
            ("+48 (22) 123-45-67", "+48 (22) 123-45-67"),
            ("Jan Kowalski", "Jan Kowalski"),
            (" =1", " =1"),
            ("a=b", "a=b"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(neutralize(input), *expected, "{input:?}");
        }
        assert!(matches!(neutralize("Łódź"), Cow::Borrowed(_)));
    }

    #[test]
    fn delimiter_by_language() {
        for (language, delimiter) in [
            ("pl", b';'),
            ("pl-PL", b';'),
            ("cs", b';'),
            ("cs_CZ", b';'),
            ("HU", b';'),
            ("en", b','),
            ("en-GB", b','),
            ("de", b','),
            ("", b','),
        ] {
            assert_eq!(default_delimiter(language), delimiter, "{language:?}");
        }
        assert_eq!(CsvOptions::for_language("hu").delimiter, b';');
    }

    fn options(delimiter: u8, encoding: TextEncoding, raw: bool) -> CsvOptions {
        CsvOptions {
            delimiter,
            encoding,
            bom: true,
            raw,
        }
    }

    #[test]
    fn windows_1250_bytes() {
        let header = vec!["Łódź".to_owned(), "Příbram".to_owned(), "Győr".to_owned()];
        let rows = vec![vec![
            Cell::Text("€ Ż".into()),
            Cell::Text("中".into()),
            Cell::Empty,
        ]];
        let bytes = write_csv(
            &header,
            &rows,
            &options(b';', TextEncoding::Windows1250, false),
        );
        let mut expected: Vec<u8> = vec![
            0xA3, 0xF3, b'd', 0x9F, b';', b'P', 0xF8, 0xED, b'b', b'r', b'a', b'm', b';', b'G',
            b'y', 0xF5, b'r', b'\r', b'\n',
        ];
        // No BOM in a single-byte encoding; a character it lacks becomes '?'.
        expected.extend_from_slice(&[0x80, b' ', 0xAF, b';', b'?', b';', b'\r', b'\n']);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn utf8_with_bom_and_utf16() {
        let header = vec!["Győr".to_owned()];
        let bytes = write_csv(&header, &[], &options(b',', TextEncoding::Utf8, false));
        assert_eq!(bytes, "\u{feff}Győr\r\n".as_bytes());
        let plain = CsvOptions {
            bom: false,
            ..options(b',', TextEncoding::Utf8, false)
        };
        assert_eq!(write_csv(&header, &[], &plain), "Győr\r\n".as_bytes());
        let utf16 = write_csv(&header, &[], &options(b',', TextEncoding::Utf16Le, false));
        assert_eq!(utf16, b"\xFF\xFEG\0y\0\x51\x01r\0\r\0\n\0");
    }

    #[test]
    fn quoting_and_typed_cells() {
        let header = vec!["Name".to_owned(), "Note".to_owned(), "N".to_owned()];
        let rows = vec![
            vec![
                Cell::Text("Kowalski; Jan".into()),
                Cell::Text("say \"hi\"".into()),
                Cell::Number(48123456789.0),
            ],
            vec![
                Cell::Text("line\r\nbreak".into()),
                Cell::Text("a, b".into()),
                Cell::Number(-1.5),
            ],
            vec![
                Cell::Date("2026-03-01".into()),
                Cell::DateTime("2026-03-01T09:30:00".into()),
                Cell::Bool(false),
            ],
            vec![Cell::Empty, Cell::Empty, Cell::Empty],
            vec![
                Cell::Text("=1+1".into()),
                Cell::Text("=A1;B1".into()),
                Cell::Error("#N/A".into()),
            ],
        ];
        let bytes = write_csv(&header, &rows, &options(b';', TextEncoding::Utf8, false));
        let expected = "\u{feff}Name;Note;N\r\n\
            \"Kowalski; Jan\";\"say \"\"hi\"\"\";48123456789\r\n\
            \"line\r\nbreak\";a, b;-1.5\r\n\
            2026-03-01;2026-03-01 09:30:00;false\r\n\
            ;;\r\n\
            '=1+1;\"'=A1;B1\";#N/A\r\n";
        assert_eq!(String::from_utf8_lossy(&bytes), expected);

        // Raw: as stored, for re-import; a comma delimiter quotes commas instead.
        let raw = write_csv(
            &header,
            &rows[1..2],
            &options(b',', TextEncoding::Utf8, true),
        );
        let expected = "\u{feff}Name,Note,N\r\n\"line\r\nbreak\",\"a, b\",-1.5\r\n";
        assert_eq!(String::from_utf8_lossy(&raw), expected);
        let raw = write_csv(
            &header,
            &rows[4..],
            &options(b'\t', TextEncoding::Utf8, true),
        );
        assert_eq!(
            String::from_utf8_lossy(&raw),
            "\u{feff}Name\tNote\tN\r\n=1+1\t=A1;B1\t#N/A\r\n"
        );
    }

    #[test]
    fn a_one_column_blank_row_is_not_a_blank_line() {
        let header = vec!["City".to_owned()];
        let rows = vec![vec![Cell::Empty], vec![Cell::Text("Győr".into())]];
        let bytes = write_csv(&header, &rows, &options(b',', TextEncoding::Utf8, false));
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "\u{feff}City\r\n\"\"\r\nGyőr\r\n"
        );
    }

    #[test]
    fn header_is_neutralized_too() {
        let header = vec!["=cmd".to_owned()];
        let bytes = write_csv(&header, &[], &options(b',', TextEncoding::Utf8, false));
        assert_eq!(String::from_utf8_lossy(&bytes), "\u{feff}'=cmd\r\n");
    }
}
