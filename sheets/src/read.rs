//! Reading: the format sniffed from the bytes, the sheet's cells as core's typed cells.

use std::io::Cursor;

use calamine::{Data, ExcelDateTime, Ods, Range, Reader, SheetType, Xls, Xlsb, Xlsx};
use minicrm_core::import::table::{Cell, Row, Sheet};

use crate::error::SheetError;

type Bytes<'a> = Cursor<&'a [u8]>;

/// The start of every ZIP file (XLSX, XLSB and ODS are ZIP archives).
const ZIP: &[u8] = b"PK\x03\x04";
/// The start of every OLE compound file (XLS; also an encrypted XLSX).
const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// An ODS file's first entry: `mimetype`, stored uncompressed, holding this.
const ODS_MIME: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

fn contains(bytes: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(bytes, needle).is_some()
}

/// `text` as the UTF-16LE an OLE directory names its streams in.
fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Which format `bytes` are in, by their content (a file's name may lie).
fn sniff(bytes: &[u8]) -> Result<Format, SheetError> {
    if bytes.starts_with(ZIP) {
        // The first local header's name starts at byte 30; ODS puts `mimetype` there.
        let first_name = bytes.get(30..38);
        if first_name == Some(b"mimetype".as_slice()) {
            let mime = bytes.get(38..38 + ODS_MIME.len() + 16).unwrap_or_default();
            return if contains(mime, ODS_MIME) {
                Ok(Format::Ods)
            } else {
                Err(SheetError::NotASpreadsheet)
            };
        }
        // Entry names are stored uncompressed in the local and central headers.
        if contains(bytes, b"xl/workbook.bin") {
            return Ok(Format::Xlsb);
        }
        if contains(bytes, b"word/document") || contains(bytes, b"ppt/presentation") {
            return Err(SheetError::NotASpreadsheet);
        }
        // An Office file, even one cut short before its workbook part.
        if contains(bytes, b"xl/workbook.xml") || contains(bytes, b"[Content_Types].xml") {
            return Ok(Format::Xlsx);
        }
        if contains(bytes, ODS_MIME) && contains(bytes, b"content.xml") {
            return Ok(Format::Ods);
        }
        return Err(SheetError::NotASpreadsheet);
    }
    if bytes.starts_with(OLE) {
        // Office encrypts a password-protected XLSX into an OLE file with this stream.
        if contains(bytes, &utf16le("EncryptedPackage")) {
            return Err(SheetError::PasswordProtected);
        }
        return Ok(Format::Xls);
    }
    Err(SheetError::NotASpreadsheet)
}

fn from_calamine(error: calamine::Error) -> SheetError {
    use calamine::Error;
    let password = match &error {
        Error::Xlsx(e) => matches!(e, calamine::XlsxError::Password),
        Error::Xls(e) => matches!(e, calamine::XlsError::Password),
        Error::Xlsb(e) => matches!(e, calamine::XlsbError::Password),
        Error::Ods(e) => matches!(e, calamine::OdsError::Password),
        _ => false,
    };
    if password {
        SheetError::PasswordProtected
    } else {
        SheetError::Damaged(error.to_string())
    }
}

fn open(bytes: &[u8]) -> Result<calamine::Sheets<Bytes<'_>>, SheetError> {
    use calamine::Sheets;
    let cursor = Cursor::new(bytes);
    let opened = match sniff(bytes)? {
        Format::Xlsx => Xlsx::new(cursor).map(Sheets::Xlsx).map_err(Into::into),
        Format::Xlsb => Xlsb::new(cursor).map(Sheets::Xlsb).map_err(Into::into),
        Format::Xls => Xls::new(cursor).map(Sheets::Xls).map_err(Into::into),
        Format::Ods => Ods::new(cursor).map(Sheets::Ods).map_err(Into::into),
    };
    opened.map_err(from_calamine)
}

fn worksheets(book: &calamine::Sheets<Bytes<'_>>) -> Vec<String> {
    book.sheets_metadata()
        .iter()
        .filter(|sheet| sheet.typ == SheetType::WorkSheet)
        .map(|sheet| sheet.name.clone())
        .collect()
}

/// The names of the worksheets in `bytes` (XLSX, XLS or ODS, told apart by their
/// content), in the workbook's order; hidden ones included, chart sheets not.
pub fn sheet_names(bytes: &[u8]) -> Result<Vec<String>, SheetError> {
    open(bytes).map(|book| worksheets(&book))
}

/// The worksheet `name` of `bytes` as typed cells: numbers, text, yes/no, dates (a date
/// with no time of day as [`Cell::Date`], else [`Cell::DateTime`]), errors such as `#N/A`;
/// a formula gives the value the file holds for it. Leading empty rows and columns are
/// dropped, as are rows with nothing in them; every row has the sheet's width and
/// [`Row::line`] is the spreadsheet's own row number. A merged area's value is in its
/// first cell, the others empty.
pub fn read_sheet(bytes: &[u8], name: &str) -> Result<Sheet, SheetError> {
    let mut book = open(bytes)?;
    if !worksheets(&book).iter().any(|sheet| sheet == name) {
        return Err(SheetError::NoSuchSheet(name.to_owned()));
    }
    let range = book.worksheet_range(name).map_err(from_calamine)?;
    Ok(Sheet {
        name: name.to_owned(),
        rows: rows_of(&range),
    })
}

fn rows_of(range: &Range<Data>) -> Vec<Row> {
    let Some((first_row, _)) = range.start() else {
        return Vec::new();
    };
    let mut first_col = usize::MAX;
    let mut end_col = 0;
    let mut rows = Vec::new();
    for (i, data) in range.rows().enumerate() {
        let cells: Vec<Cell> = data.iter().map(cell_of).collect();
        let Some(first) = cells.iter().position(|cell| !cell.is_blank()) else {
            continue;
        };
        let last = cells
            .iter()
            .rposition(|cell| !cell.is_blank())
            .unwrap_or(first);
        first_col = first_col.min(first);
        end_col = end_col.max(last + 1);
        let line = u32::try_from(i)
            .ok()
            .and_then(|i| first_row.checked_add(i)?.checked_add(1))
            .unwrap_or(u32::MAX);
        rows.push(Row { line, cells });
    }
    for row in &mut rows {
        row.cells.truncate(end_col);
        row.cells.drain(..first_col.min(end_col));
    }
    rows
}

fn cell_of(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(text) if text.is_empty() => Cell::Empty,
        Data::String(text) => Cell::Text(text.clone()),
        Data::Float(n) => Cell::Number(*n),
        Data::Int(n) => Cell::Number(*n as f64),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(at) => date_cell(at),
        Data::DateTimeIso(text) => iso_cell(text),
        Data::DurationIso(text) => Cell::Text(text.clone()),
        Data::Error(error) => Cell::Error(error.to_string()),
    }
}

/// An Excel serial date-time: a date at midnight is a date; a time with no date (a serial
/// below 1) or a duration is the text `H:MM` / `H:MM:SS`.
fn date_cell(at: &ExcelDateTime) -> Cell {
    let serial = at.as_f64();
    if at.is_duration() || (0.0..1.0).contains(&serial) {
        let seconds = (serial * 86_400.0).round() as i64;
        let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        return Cell::Text(if seconds == 0 {
            format!("{hours}:{minutes:02}")
        } else {
            format!("{hours}:{minutes:02}:{seconds:02}")
        });
    }
    let (year, month, day, hour, minute, second, milli) = at.to_ymd_hms_milli();
    if (hour, minute, second, milli) == (0, 0, 0, 0) {
        Cell::Date(format!("{year:04}-{month:02}-{day:02}"))
    } else {
        Cell::DateTime(format!(
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}"
        ))
    }
}

/// An ISO date or date-time as ODS stores them (`2026-03-01`, `2026-03-01T09:30:00.5`):
/// typed like an Excel date; anything else stays text.
fn iso_cell(text: &str) -> Cell {
    let digits =
        |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
    let is_date = |date: &str| {
        let parts: Vec<&str> = date.split('-').collect();
        matches!(parts.as_slice(), [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2))
    };
    match text.split_once('T') {
        None if is_date(text) => Cell::Date(text.to_owned()),
        Some((date, time)) if is_date(date) => {
            let time = time.split('.').next().unwrap_or_default();
            let parts: Vec<&str> = time.split(':').collect();
            match parts.as_slice() {
                [h, m, s] if digits(h, 2) && digits(m, 2) && digits(s, 2) => {
                    if time == "00:00:00" {
                        Cell::Date(date.to_owned())
                    } else {
                        Cell::DateTime(format!("{date}T{time}"))
                    }
                }
                _ => Cell::Text(text.to_owned()),
            }
        }
        _ => Cell::Text(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_formats() {
        assert_eq!(sniff(b""), Err(SheetError::NotASpreadsheet));
        assert_eq!(
            sniff(b"Imi\xea;Nazwisko\r\n"),
            Err(SheetError::NotASpreadsheet)
        );
        assert_eq!(sniff(b"%PDF-1.7"), Err(SheetError::NotASpreadsheet));
        let mut odt = b"PK\x03\x04".to_vec();
        odt.resize(30, 0);
        odt.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.text");
        assert_eq!(sniff(&odt), Err(SheetError::NotASpreadsheet));
        let mut encrypted = OLE.to_vec();
        encrypted.extend_from_slice(&[0; 64]);
        encrypted.extend_from_slice(&utf16le("EncryptedPackage"));
        assert_eq!(sniff(&encrypted), Err(SheetError::PasswordProtected));
        let mut xls = OLE.to_vec();
        xls.extend_from_slice(&utf16le("Workbook"));
        assert_eq!(sniff(&xls), Ok(Format::Xls));
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_cell("2026-03-01"), Cell::Date("2026-03-01".into()));
        assert_eq!(
            iso_cell("2026-03-01T00:00:00"),
            Cell::Date("2026-03-01".into())
        );
        assert_eq!(
            iso_cell("2026-03-01T09:30:05.250"),
            Cell::DateTime("2026-03-01T09:30:05".into())
        );
        assert_eq!(iso_cell("2026-3-1"), Cell::Text("2026-3-1".into()));
        assert_eq!(iso_cell("PT12H30M"), Cell::Text("PT12H30M".into()));
    }

    #[test]
    fn serial_dates() {
        use calamine::ExcelDateTimeType::{DateTime, TimeDelta};
        let at = |serial, kind| date_cell(&ExcelDateTime::new(serial, kind, false));
        assert_eq!(at(46082.0, DateTime), Cell::Date("2026-03-01".into()));
        assert_eq!(
            at(46082.5, DateTime),
            Cell::DateTime("2026-03-01T12:00:00".into())
        );
        assert_eq!(at(0.5, DateTime), Cell::Text("12:00".into()));
        assert_eq!(at(1.5, TimeDelta), Cell::Text("36:00".into()));
        assert_eq!(
            date_cell(&ExcelDateTime::new(44621.0, DateTime, true)),
            Cell::Date("2026-03-02".into())
        );
    }
}
