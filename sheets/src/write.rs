//! Writing: one XLSX sheet of typed cells under a bold, frozen header row.

use minicrm_core::import::table::{Cell, number_text};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::error::SheetError;

/// Excel's limits: rows and columns of a sheet, characters of a cell, of a sheet's name.
const MAX_ROWS: usize = 1_048_576;
const MAX_COLUMNS: usize = 16_384;
const MAX_CELL_CHARS: usize = 32_767;
const MAX_NAME_CHARS: usize = 31;
/// Column widths, in characters: what a column gets at least and at most.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 60;
/// The creation time [`write_xlsx`] stamps (the file's properties need one; a fixed one
/// keeps the output the same for the same cells).
const FIXED_CREATED: &str = "2000-01-01T00:00:00";

fn write_error(error: XlsxError) -> SheetError {
    SheetError::Write(error.to_string())
}

/// An XLSX file of one sheet: `header` in bold, frozen above `rows`. Cells keep their
/// types: texts are always written as texts (`=HYPERLINK(…)` stays a text, never a
/// formula), numbers as numbers, yes/no as booleans, dates with a `yyyy-mm-dd` format
/// and date-times with `yyyy-mm-dd hh:mm`. Columns are as wide as their content, within
/// bounds. `sheet_name` is made a valid sheet name (at most 31 characters, none of
/// `[]:*?/\`). The document's creation time is a fixed date.
pub fn write_xlsx(
    sheet_name: &str,
    header: &[String],
    rows: &[Vec<Cell>],
) -> Result<Vec<u8>, SheetError> {
    write_xlsx_created(sheet_name, header, rows, FIXED_CREATED)
}

/// [`write_xlsx`] with the document's creation time given: `created` as
/// `YYYY-MM-DDTHH:MM:SS` in UTC (the caller reads the clock; nothing here does).
pub fn write_xlsx_created(
    sheet_name: &str,
    header: &[String],
    rows: &[Vec<Cell>],
    created: &str,
) -> Result<Vec<u8>, SheetError> {
    let columns = rows
        .iter()
        .map(Vec::len)
        .chain([header.len()])
        .max()
        .unwrap_or(0);
    if rows.len() + 1 > MAX_ROWS || columns > MAX_COLUMNS {
        return Err(SheetError::TooLarge {
            rows: rows.len() + 1,
            columns,
        });
    }
    let created = date_time(created)
        .or_else(|| date_time(FIXED_CREATED))
        .ok_or_else(|| SheetError::Write(format!("{created:?} is not a date and time")))?;
    let mut workbook = Workbook::new();
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let sheet = workbook.add_worksheet();
    sheet
        .set_name(valid_name(sheet_name))
        .map_err(write_error)?;
    let bold = Format::new().set_bold();
    let formats = Formats {
        date: Format::new().set_num_format("yyyy-mm-dd"),
        date_time: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
    };
    let mut widths: Vec<usize> = vec![0; columns];
    for (col, text) in header.iter().enumerate() {
        let text = clipped(text);
        if !text.is_empty() {
            sheet
                .write_string_with_format(0, col as u16, text, &bold)
                .map_err(write_error)?;
        }
        // Bold is a little wider, and the filter button needs room.
        widths[col] = widths[col].max(width_of(text) + 2);
    }
    for (i, row) in rows.iter().enumerate() {
        let at = (i + 1) as u32;
        for (col, cell) in row.iter().enumerate() {
            let width = write_cell(sheet, at, col as u16, cell, &formats).map_err(write_error)?;
            widths[col] = widths[col].max(width);
        }
    }
    for (col, width) in widths.iter().enumerate() {
        let width = (width + 1).clamp(MIN_WIDTH, MAX_WIDTH);
        sheet
            .set_column_width(col as u16, width as f64)
            .map_err(write_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(write_error)?;
    workbook.save_to_buffer().map_err(write_error)
}

struct Formats {
    date: Format,
    date_time: Format,
}

/// Writes one cell; returns how wide it is in characters (0 for nothing written).
fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    formats: &Formats,
) -> Result<usize, XlsxError> {
    let text = |sheet: &mut Worksheet, text: &str| -> Result<usize, XlsxError> {
        let text = clipped(text);
        if text.is_empty() {
            return Ok(0);
        }
        sheet.write_string(row, col, text)?;
        Ok(width_of(text))
    };
    match cell {
        Cell::Empty => Ok(0),
        Cell::Text(value) | Cell::Error(value) => text(sheet, value),
        Cell::Number(n) if n.is_finite() => {
            sheet.write_number(row, col, *n)?;
            Ok(number_text(*n).len())
        }
        Cell::Number(n) => text(sheet, &number_text(*n)),
        Cell::Bool(b) => {
            sheet.write_boolean(row, col, *b)?;
            Ok(5)
        }
        Cell::Date(value) => match date_time(value) {
            Some(at) => {
                sheet.write_datetime_with_format(row, col, &at, &formats.date)?;
                Ok(10)
            }
            None => text(sheet, value),
        },
        Cell::DateTime(value) => match date_time(value) {
            Some(at) => {
                sheet.write_datetime_with_format(row, col, &at, &formats.date_time)?;
                Ok(16)
            }
            None => text(sheet, value),
        },
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` (a space for the `T` too) as an Excel date-time;
/// `None` for anything else or a date Excel cannot hold right (before March 1900, after
/// 9999).
fn date_time(text: &str) -> Option<ExcelDateTime> {
    let number = |part: &str, len: usize| -> Option<u16> {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let (year, month, day) = (
        number(parts.next()?, 4)?,
        number(parts.next()?, 2)?,
        number(parts.next()?, 2)?,
    );
    // Excel counts 1900 as a leap year: its dates before March 1900 are off by a day.
    if parts.next().is_some() || (year, month) < (1900, 3) {
        return None;
    }
    let at =
        ExcelDateTime::from_ymd(year, u8::try_from(month).ok()?, u8::try_from(day).ok()?).ok()?;
    let Some(time) = time else {
        return Some(at);
    };
    let mut parts = time.split(':');
    let (hour, minute, second) = (
        number(parts.next()?, 2)?,
        number(parts.next()?, 2)?,
        number(parts.next()?, 2)?,
    );
    if parts.next().is_some() || hour > 23 {
        return None;
    }
    at.and_hms(hour, u8::try_from(minute).ok()?, second).ok()
}

/// A text cut to what one Excel cell holds.
fn clipped(text: &str) -> &str {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// How many characters wide a text shows: its longest line.
fn width_of(text: &str) -> usize {
    text.lines()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0)
}

/// A sheet name Excel accepts: `[]:*?/\` replaced, apostrophes not at the ends, at most
/// 31 characters, "Sheet1" for nothing.
fn valid_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed: String = replaced
        .trim()
        .trim_matches('\'')
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    let trimmed = trimmed.trim_end_matches('\'').trim();
    if trimmed.is_empty() {
        "Sheet1".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_made_valid() {
        for (name, valid) in [
            ("Klienci 2026/27", "Klienci 2026_27"),
            ("  ", "Sheet1"),
            ("'quoted'", "quoted"),
            ("Zákazníci: [Praha]?", "Zákazníci_ _Praha__"),
            (
                "Ügyfelek Győr és környéke, 2026 tavasz",
                "Ügyfelek Győr és környéke, 2026",
            ),
        ] {
            assert_eq!(valid_name(name), valid, "{name:?}");
        }
    }

    #[test]
    fn dates_parsed_strictly() {
        assert!(date_time("2026-03-01").is_some());
        assert!(date_time("2026-03-01T09:30:00").is_some());
        assert!(date_time("2026-03-01 09:30:00").is_some());
        for bad in [
            "2026-3-1",
            "2026-02-30",
            "1899-12-31",
            "1900-02-28",
            "2026-03-01T24:00:00",
            "2026-03-01T09:30",
            "01.03.2026",
            "",
        ] {
            assert!(date_time(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn long_texts_clipped() {
        let long = "ą".repeat(MAX_CELL_CHARS + 5);
        assert_eq!(clipped(&long).chars().count(), MAX_CELL_CHARS);
        assert_eq!(clipped("Łódź"), "Łódź");
        assert_eq!(width_of("ab\nabcd\nc"), 4);
    }
}
