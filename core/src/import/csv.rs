//! Delimited text (CSV, TSV, what a spreadsheet puts on the clipboard): parsing, and
//! guessing the delimiter, the quote character and whether the first row is a header.
//!
//! The parser follows RFC 4180 and what Excel writes: a cell that starts with the quote
//! character runs to the matching quote and may hold delimiters, line breaks and doubled
//! quotes; any other cell runs to the next delimiter or line end, a quote inside it kept
//! as written. Lines end in CRLF, LF or CR. Cell text is kept exactly as written (not
//! trimmed); only a cell with nothing in it becomes [`Cell::Empty`].

use memchr::{memchr, memchr2, memchr3};
use serde::{Deserialize, Serialize};

use super::encoding::{self, TextEncoding};
use super::mapping::{self, Target};
use super::table::{Cell, Row, Sheet};

/// How a delimited text file is split into cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvFormat {
    /// One of [`DELIMITERS`].
    pub delimiter: u8,
    /// The quote character (`"` nearly always); `None`: cells are never quoted.
    pub quote: Option<u8>,
}

impl Default for CsvFormat {
    /// Comma-separated, double quotes (RFC 4180).
    fn default() -> Self {
        CsvFormat {
            delimiter: b',',
            quote: Some(b'"'),
        }
    }
}

/// The delimiters a file may be split by (what a picker offers).
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How a file is read: what [`detect`] guesses and the user may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub encoding: TextEncoding,
    pub format: CsvFormat,
    /// Whether the first row holds the column names.
    pub header: bool,
}

/// How much of a file detection reads: its first records tell the format and header.
const SAMPLE_BYTES: usize = 256 * 1024;
const SAMPLE_RECORDS: usize = 100;

/// The likeliest reading of a text file: its encoding ([`encoding::detect`] over all of
/// it), then the format and header from its first records.
pub fn detect(bytes: &[u8]) -> Reading {
    let encoding = encoding::detect(bytes).encoding;
    let sample = match encoding {
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
            &bytes[..bytes.len().min(SAMPLE_BYTES * 2)]
        }
        _ => &bytes[..bytes.len().min(SAMPLE_BYTES)],
    };
    let text = encoding::decode(sample, encoding);
    let format = detect_format(&text);
    let first = parse_some(&text, format, false, Some(SAMPLE_RECORDS + 1));
    Reading {
        encoding,
        format,
        header: detect_header(&first),
    }
}

/// The whole file as a sheet, read as `reading` says (a header, when there is one, is
/// still `rows[0]`).
pub fn read(bytes: &[u8], reading: &Reading) -> Sheet {
    parse(&encoding::decode(bytes, reading.encoding), reading.format)
}

/// The rows of a delimited text. `Row::line` is the 1-based line a record starts on; a
/// record with nothing but spaces in its cells (an empty line, the `;;;` Excel writes for
/// an empty row) is not a row, but its lines still count. A quote left open takes the rest of the
/// text as its cell.
pub fn parse(text: &str, format: CsvFormat) -> Sheet {
    parse_some(text, format, false, None)
}

/// What Excel or Google Sheets put on the clipboard: tab-separated rows, a cell quoted
/// only when it holds a tab, a line break or a quote. A cell that merely starts with a
/// quote (`"Best" offer`) is taken as written.
pub fn parse_pasted(text: &str) -> Sheet {
    let format = CsvFormat {
        delimiter: b'\t',
        quote: Some(b'"'),
    };
    parse_some(text, format, true, None)
}

/// The parser behind [`parse`] and [`parse_pasted`]: `pasted` reads a quote as quoting
/// only when the quoted cell closes properly; `limit` stops after that many rows.
fn parse_some(text: &str, format: CsvFormat, pasted: bool, limit: Option<usize>) -> Sheet {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let bytes = text.as_bytes();
    // Cells are cut at delimiter and quote positions, so those must be ASCII (a UTF-8
    // character never contains an ASCII byte).
    let delimiter = if format.delimiter.is_ascii() && !matches!(format.delimiter, b'\r' | b'\n') {
        format.delimiter
    } else {
        b','
    };
    let quote = format
        .quote
        .filter(|q| q.is_ascii() && *q != delimiter && !matches!(q, b'\r' | b'\n'));
    let mut parser = Parser {
        text,
        bytes,
        delimiter,
        quote,
        pasted,
        at: 0,
        line: 1,
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut width = 0;
    while parser.at < bytes.len() && limit.is_none_or(|limit| rows.len() < limit) {
        let line = parser.line;
        let mut cells = Vec::with_capacity(width);
        parser.record(&mut cells);
        if cells.iter().any(|cell| !cell.is_blank()) {
            width = cells.len();
            rows.push(Row { line, cells });
        }
    }
    Sheet {
        name: String::new(),
        rows,
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    delimiter: u8,
    quote: Option<u8>,
    pasted: bool,
    /// The byte the parser is at.
    at: usize,
    /// The 1-based line `at` is on.
    line: u32,
}

impl Parser<'_> {
    /// One record from `at`: its cells, up to and past its line end.
    fn record(&mut self, cells: &mut Vec<Cell>) {
        loop {
            let cell = self.cell();
            cells.push(if cell.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(cell)
            });
            match self.bytes.get(self.at) {
                Some(&b) if b == self.delimiter => self.at += 1,
                Some(b'\r') => {
                    self.at += 1;
                    if self.bytes.get(self.at) == Some(&b'\n') {
                        self.at += 1;
                    }
                    self.line = self.line.saturating_add(1);
                    return;
                }
                Some(b'\n') => {
                    self.at += 1;
                    self.line = self.line.saturating_add(1);
                    return;
                }
                _ => return,
            }
        }
    }

    /// One cell from `at`, leaving `at` on the delimiter or line end after it (or the end).
    fn cell(&mut self) -> String {
        if let Some(quote) = self.quote
            && self.bytes.get(self.at) == Some(&quote)
        {
            let start = (self.at, self.line);
            if let Some(cell) = self.quoted(quote) {
                return cell;
            }
            (self.at, self.line) = start;
        }
        let end = self.unquoted_end(self.at);
        let cell = self.text[self.at..end].to_owned();
        self.at = end;
        cell
    }

    /// Where an unquoted cell starting at `from` ends.
    fn unquoted_end(&self, from: usize) -> usize {
        memchr3(self.delimiter, b'\r', b'\n', &self.bytes[from..])
            .map_or(self.bytes.len(), |o| from + o)
    }

    /// A quoted cell from its opening quote at `at`. Text after the closing quote up to
    /// the delimiter is kept (`"a"b` reads `ab`); a quote left open takes the rest of the
    /// text. When pasted, either of those means the cell was not quoted: `None`.
    fn quoted(&mut self, quote: u8) -> Option<String> {
        self.at += 1;
        let mut cell = String::new();
        loop {
            let from = self.at;
            let Some(offset) = memchr(quote, &self.bytes[from..]) else {
                if self.pasted {
                    return None;
                }
                self.count_lines(from, self.bytes.len());
                cell.push_str(&self.text[from..]);
                self.at = self.bytes.len();
                return Some(cell);
            };
            let close = from + offset;
            self.count_lines(from, close);
            cell.push_str(&self.text[from..close]);
            if self.bytes.get(close + 1) == Some(&quote) {
                cell.push(char::from(quote));
                self.at = close + 2;
                continue;
            }
            self.at = close + 1;
            let end = self.unquoted_end(self.at);
            if end > self.at {
                if self.pasted {
                    return None;
                }
                cell.push_str(&self.text[self.at..end]);
                self.at = end;
            }
            return Some(cell);
        }
    }

    /// Counts the line ends in `bytes[from..to]` (inside a quoted cell).
    fn count_lines(&mut self, from: usize, to: usize) {
        let part = &self.bytes[from..to];
        if memchr2(b'\r', b'\n', part).is_none() {
            return;
        }
        for (offset, &b) in part.iter().enumerate() {
            let ends = match b {
                b'\n' => true,
                b'\r' => self.bytes.get(from + offset + 1) != Some(&b'\n'),
                _ => false,
            };
            if ends {
                self.line = self.line.saturating_add(1);
            }
        }
    }
}

/// The delimiter and quote a text most likely uses: the delimiter that splits its first
/// records most consistently into the same number (more than one) of cells. A tie goes
/// to the one giving more cells, then `;` (Excel in Central Europe), `,`, tab, `|`. A
/// delimiter mostly followed by a space is punctuation in prose ("Kowalski, Jan") and
/// counts half. The quote is `"` unless cells clearly start with `'` instead. A text of
/// one column reads as comma-separated.
pub fn detect_format(text: &str) -> CsvFormat {
    let cut = sample_cut(text);
    let sample = &text[..cut];
    // The last record of a cut sample may be cut too.
    let truncated = cut < text.len();
    let mut best: Option<(Fit, CsvFormat)> = None;
    for (order, &delimiter) in TIE_ORDER.iter().enumerate() {
        let format = CsvFormat {
            delimiter,
            quote: Some(quote_for(sample, delimiter)),
        };
        let sheet = parse_some(sample, format, false, Some(SAMPLE_RECORDS));
        let mut rows = sheet.rows.as_slice();
        if truncated && rows.len() > 1 {
            rows = &rows[..rows.len() - 1];
        }
        let Some(fit) = fit(rows, order) else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| fit > *b) {
            best = Some((fit, format));
        }
    }
    best.map_or_else(CsvFormat::default, |(_, format)| format)
}

/// The delimiters in the order a tie between equally consistent ones is settled.
const TIE_ORDER: [u8; 4] = [b';', b',', b'\t', b'|'];

/// Where detection stops reading: after [`SAMPLE_BYTES`], at a character boundary.
fn sample_cut(text: &str) -> usize {
    if text.len() <= SAMPLE_BYTES {
        return text.len();
    }
    let mut cut = SAMPLE_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

/// `'` when, split by `delimiter`, cells start with it on most lines and hardly ever
/// with `"`; else `"`.
fn quote_for(sample: &str, delimiter: u8) -> u8 {
    let bytes = sample.as_bytes();
    let (mut single, mut double, mut lines) = (0usize, 0usize, 1usize);
    let mut previous = b'\n';
    for &b in bytes {
        if previous == delimiter || previous == b'\n' || previous == b'\r' {
            single += usize::from(b == b'\'');
            double += usize::from(b == b'"');
        }
        lines += usize::from(b == b'\n');
        previous = b;
    }
    if single >= 2 && single * 2 >= lines && single > double * 4 {
        b'\''
    } else {
        b'"'
    }
}

/// How well a delimiter splits the sample, compared field by field (greater is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Fit {
    /// Per mille of the records with the most common number of cells (halved for a
    /// delimiter mostly followed by a space).
    consistency: usize,
    /// That number of cells.
    cells: usize,
    /// Earlier in [`TIE_ORDER`] is more.
    preference: usize,
}

fn fit(rows: &[Row], order: usize) -> Option<Fit> {
    if rows.is_empty() {
        return None;
    }
    let mut counts: Vec<(usize, usize)> = Vec::new();
    let (mut later_cells, mut spaced) = (0usize, 0usize);
    for row in rows {
        let n = row.cells.len();
        match counts.iter_mut().find(|(cells, _)| *cells == n) {
            Some((_, times)) => *times += 1,
            None => counts.push((n, 1)),
        }
        for cell in row.cells.iter().skip(1) {
            later_cells += 1;
            if let Cell::Text(text) = cell
                && text.starts_with(' ')
            {
                spaced += 1;
            }
        }
    }
    let (cells, times) = counts
        .into_iter()
        .max_by_key(|&(cells, times)| (times, cells))?;
    if cells < 2 {
        return None;
    }
    let mut consistency = times * 1000 / rows.len();
    if spaced * 2 > later_cells {
        consistency /= 2;
    }
    Some(Fit {
        consistency,
        cells,
        preference: TIE_ORDER.len() - order,
    })
}

/// Whether the first row of a sheet names its columns: its cells are all filled,
/// distinct and none looks like a value (a number, date, phone or e-mail) while the rows
/// below have such values in some of those columns; or most of its cells are names a
/// column is known by ([`mapping::suggest`]: Imię, Příjmení, Város, E-mail, …).
pub fn detect_header(sheet: &Sheet) -> bool {
    let Some((first, below)) = sheet.rows.split_first() else {
        return false;
    };
    // A spreadsheet's typed cell (a number, a date) is a value.
    if first
        .cells
        .iter()
        .any(|cell| !matches!(cell, Cell::Text(_) | Cell::Empty))
    {
        return false;
    }
    let texts: Vec<&str> = first
        .cells
        .iter()
        .map(|cell| match cell {
            Cell::Text(text) => text.trim(),
            _ => "",
        })
        .collect();
    if texts.iter().any(|text| looks_like_value(text)) {
        return false;
    }
    let filled: Vec<&str> = texts.iter().copied().filter(|t| !t.is_empty()).collect();
    if filled.is_empty() {
        return false;
    }
    let context = mapping::Context::default();
    let known = filled
        .iter()
        .filter(|text| mapping::suggest(text, &context) != Target::Skip)
        .count();
    if known * 2 >= filled.len() && known > 0 {
        return true;
    }
    let mut folded: Vec<String> = filled.iter().map(|t| t.to_lowercase()).collect();
    folded.sort_unstable();
    folded.dedup();
    if filled.len() < texts.len() || folded.len() < filled.len() {
        return false;
    }
    let below = &below[..below.len().min(SAMPLE_RECORDS)];
    (0..texts.len()).any(|column| {
        let (mut filled, mut values) = (0usize, 0usize);
        for row in below {
            match row.cells.get(column) {
                Some(Cell::Text(text)) if !text.trim().is_empty() => {
                    filled += 1;
                    values += usize::from(looks_like_value(text.trim()));
                }
                Some(Cell::Number(_) | Cell::Date(_) | Cell::DateTime(_) | Cell::Bool(_)) => {
                    filled += 1;
                    values += 1;
                }
                _ => {}
            }
        }
        filled > 0 && values * 2 >= filled
    })
}

/// Whether a cell's text looks like a value rather than a name for a column: a number,
/// date, postal code or phone (digits with only separators and signs), or an e-mail.
fn looks_like_value(text: &str) -> bool {
    if text.is_empty() {
        return false;
    }
    let numeric = text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b" .,-+()/:".contains(&b));
    let email = !text.contains(char::is_whitespace)
        && text
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    numeric || email
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    /// Each row as (line, cells as text; "" for an empty cell).
    fn lines(sheet: &Sheet) -> Vec<(u32, Vec<String>)> {
        sheet
            .rows
            .iter()
            .map(|row| (row.line, row.cells.iter().map(Cell::as_text).collect()))
            .collect()
    }

    fn rows(expected: &[(u32, &[&str])]) -> Vec<(u32, Vec<String>)> {
        expected
            .iter()
            .map(|(line, cells)| (*line, cells.iter().map(|c| (*c).to_owned()).collect()))
            .collect()
    }

    const SEMICOLON: CsvFormat = CsvFormat {
        delimiter: b';',
        quote: Some(b'"'),
    };

    /// A contact list as Excel saves it in the Polish locale ("CSV (rozdzielany
    /// przecinkami)"): semicolons, CRLF, Windows-1250, a quoted cell with a line break,
    /// one with a semicolon and one with doubled quotes.
    const EXCEL_PL: &[u8] = b"Imi\xEA;Nazwisko;Firma;Miasto;Telefon;E-mail;Uwagi\r\n\
        Jan;Kowalski;\"Kowalski; Syn\";\xA3\xF3d\x9F;+48 600 100 200;jan@example.pl;\"Dzwoni\xE6 po 16:00\r\nw pi\xB9tek\"\r\n\
        Zofia;Wi\x9Cniewska;;Gda\xF1sk;601 200 300;zofia@example.pl;Za\xBF\xF3\xB3\xE6 g\xEA\x9Cl\xB9 ja\x9F\xF1\r\n\
        Ryszard;D\xB9browski;\"Firma \"\"\xAFuraw\"\" s.c.\";Krak\xF3w;12 345 67 89;;\r\n";

    #[test]
    fn reads_what_excel_writes_in_polish_without_settings() {
        let reading = detect(EXCEL_PL);
        assert_eq!(
            reading,
            Reading {
                encoding: TextEncoding::Windows1250,
                format: SEMICOLON,
                header: true,
            }
        );
        let sheet = read(EXCEL_PL, &reading);
        assert_eq!(
            lines(&sheet),
            rows(&[
                (
                    1,
                    &[
                        "Imię", "Nazwisko", "Firma", "Miasto", "Telefon", "E-mail", "Uwagi"
                    ]
                ),
                (
                    2,
                    &[
                        "Jan",
                        "Kowalski",
                        "Kowalski; Syn",
                        "Łódź",
                        "+48 600 100 200",
                        "jan@example.pl",
                        "Dzwonić po 16:00\r\nw piątek",
                    ]
                ),
                (
                    4,
                    &[
                        "Zofia",
                        "Wiśniewska",
                        "",
                        "Gdańsk",
                        "601 200 300",
                        "zofia@example.pl",
                        "Zażółć gęślą jaźń",
                    ]
                ),
                (
                    5,
                    &[
                        "Ryszard",
                        "Dąbrowski",
                        "Firma \"Żuraw\" s.c.",
                        "Kraków",
                        "12 345 67 89",
                        "",
                        ""
                    ]
                ),
            ])
        );
        assert_eq!(sheet.rows[2].cells[2], Cell::Empty);
        assert_eq!(sheet.rows[3].cells[6], Cell::Empty);
    }

    #[test]
    fn reads_the_same_file_in_every_encoding() {
        let expected = read(
            EXCEL_PL,
            &Reading {
                encoding: TextEncoding::Windows1250,
                format: SEMICOLON,
                header: true,
            },
        );
        let text = encoding::decode(EXCEL_PL, TextEncoding::Windows1250);
        for encoding in [
            TextEncoding::Iso8859_2,
            TextEncoding::Cp852,
            TextEncoding::Utf8,
            TextEncoding::Utf16Le,
            TextEncoding::Utf16Be,
        ] {
            let bytes = encoding::encode(&text, encoding);
            let reading = detect(&bytes);
            assert_eq!(
                reading,
                Reading {
                    encoding,
                    format: SEMICOLON,
                    header: true
                }
            );
            assert_eq!(read(&bytes, &reading), expected, "{encoding:?}");
        }
    }

    #[test]
    fn reads_czech_and_hungarian_excel_files() {
        // Windows-1250, as Excel writes them in the Czech and Hungarian locales.
        let czech: &[u8] = b"Jm\xE9no;P\xF8\xEDjmen\xED;M\xECsto;PS\xC8\r\n\
            Petr;Nov\xE1k;P\xF8\xEDbram;261 01\r\n\
            Jana;Dvo\xF8\xE1kov\xE1;\xDAst\xED nad Labem;400 01\r\n";
        let reading = detect(czech);
        assert_eq!(reading.format, SEMICOLON);
        assert!(reading.header);
        let sheet = read(czech, &reading);
        assert_eq!(sheet.rows[0].cells[2..], [text("Město"), text("PSČ")]);
        assert_eq!(sheet.rows[1].cells[2], text("Příbram"));
        assert_eq!(sheet.rows[2].cells[2], text("Ústí nad Labem"));
        let hungarian: &[u8] = b"N\xE9v;V\xE1ros;Ir\xE1ny\xEDt\xF3sz\xE1m\r\n\
            Kov\xE1cs J\xE1nos;Gy\xF5r;9021\r\n\
            Nagy \xC9va;Sz\xF5l\xF5s;6000\r\n";
        let reading = detect(hungarian);
        assert_eq!(reading.format, SEMICOLON);
        assert!(reading.header);
        let sheet = read(hungarian, &reading);
        assert_eq!(sheet.rows[0].cells[2], text("Irányítószám"));
        assert_eq!(sheet.rows[1].cells[1], text("Győr"));
        assert_eq!(sheet.rows[2].cells[1], text("Szőlős"));
    }

    #[test]
    fn detects_each_delimiter() {
        let cases: [(&str, u8); 9] = [
            (
                "name,city,phone\nJan,Łódź,600100200\nAnna,Kraków,601200300\n",
                b',',
            ),
            (
                "name;city;phone\nJan;Łódź;600100200\nAnna;Kraków;601200300\n",
                b';',
            ),
            (
                "name\tcity\tphone\nJan\tŁódź\t600100200\nAnna\tKraków\t601200300\n",
                b'\t',
            ),
            (
                "name|city|phone\nJan|Łódź|600100200\nAnna|Kraków|601200300\n",
                b'|',
            ),
            // Decimal commas in a semicolon file.
            ("Jan;Kowalski;12,50\nAnna;Nowak;3,75\n", b';'),
            // Semicolons inside quoted cells of a comma file.
            ("a,b,c\n\"x;y\",2,3\n\"p;q;r\",5,6\n", b','),
            // Commas in prose in a tab file.
            ("Kowalski, Jan\tWarszawa\nNowak, Anna\tKraków\n", b'\t'),
            // A row with a stray comma does not outvote the semicolons.
            ("a;b;c\n1;2;3\n4;5,5;6\n7;8;9\n", b';'),
            // One column.
            ("Jan\nAnna\nPiotr\n", b','),
        ];
        for (sample, delimiter) in cases {
            let format = detect_format(sample);
            assert_eq!(
                format,
                CsvFormat {
                    delimiter,
                    quote: Some(b'"')
                },
                "{sample:?}"
            );
        }
    }

    #[test]
    fn single_quotes_only_when_they_clearly_wrap_cells() {
        let quoted = "'name';'note'\n'Jan';'a;b'\n'Anna';'c'\n";
        let format = detect_format(quoted);
        assert_eq!(
            format,
            CsvFormat {
                delimiter: b';',
                quote: Some(b'\'')
            }
        );
        assert_eq!(
            lines(&parse(quoted, format))[1],
            (2, vec!["Jan".to_owned(), "a;b".to_owned()])
        );
        // Apostrophes in names are not quotes.
        assert_eq!(
            detect_format("O'Brien;Dublin\nD'Artagnan;Paris\n").quote,
            Some(b'"')
        );
    }

    #[test]
    fn detects_a_header_row() {
        let sheet = |s: &str| parse(s, SEMICOLON);
        let cases = [
            // Known column names (any language).
            ("Imię;Nazwisko\nJan;Kowalski\n", true),
            ("Jméno;Příjmení;Město\nPetr;Novák;Brno\n", true),
            ("Vezetéknév;Keresztnév\nKovács;János\n", true),
            ("Name;E-mail\n", true),
            // Unknown names over columns of values.
            (
                "Kolumna A;Kolumna B\nJan;600 100 200\nAnna;601 200 300\n",
                true,
            ),
            (
                "Who;Contact\nJan;jan@example.pl\nAnna;anna@example.pl\n",
                true,
            ),
            // Values in the first row.
            ("Jan;Kowalski;600100200\nAnna;Nowak;601200300\n", false),
            ("Jan;jan@example.pl\nAnna;anna@example.pl\n", false),
            // Names only: nothing tells the first row from the others.
            ("Jan;Kowalski\nAnna;Nowak\n", false),
            // Repeated or missing names are no header (unless known).
            ("x;x\n1;2\n", false),
            ("x;;y\n1;2;3\n", false),
            ("", false),
        ];
        for (sample, header) in cases {
            assert_eq!(detect_header(&sheet(sample)), header, "{sample:?}");
        }
        // Typed cells (from a spreadsheet) below count as values, in the first row as no
        // header.
        let typed = |first: Cell, second: Cell| Sheet {
            name: String::new(),
            rows: vec![
                Row {
                    line: 1,
                    cells: vec![text("Kto"), first],
                },
                Row {
                    line: 2,
                    cells: vec![text("Jan"), second],
                },
            ],
        };
        assert!(detect_header(&typed(text("Ile"), Cell::Number(5.0))));
        assert!(!detect_header(&typed(Cell::Number(1.0), Cell::Number(5.0))));
    }

    #[test]
    fn counts_lines_across_line_breaks_in_cells() {
        let sample = "a;\"one\r\ntwo\"\r\nb;\"x\ny\rz\"\nc;d\re;f\r\n\r\n\ng;h";
        assert_eq!(
            lines(&parse(sample, SEMICOLON)),
            rows(&[
                (1, &["a", "one\r\ntwo"]),
                (3, &["b", "x\ny\rz"]),
                (6, &["c", "d"]),
                (7, &["e", "f"]),
                (10, &["g", "h"]),
            ])
        );
    }

    #[test]
    fn parses_what_rfc_4180_and_excel_allow() {
        type Case = (&'static str, &'static [(u32, &'static [&'static str])]);
        let cases: [Case; 10] = [
            // Doubled quotes, delimiters inside quotes, an empty quoted cell.
            (
                "\"a \"\"b\"\" c\";\"x;y\";\"\"\n",
                &[(1, &["a \"b\" c", "x;y", ""])],
            ),
            // A quote inside an unquoted cell is text; nothing is trimmed.
            ("O\"Neil; 5 \" ;  \n", &[(1, &["O\"Neil", " 5 \" ", "  "])]),
            // Text after a closing quote is kept.
            ("\"a\"b;c\n", &[(1, &["ab", "c"])]),
            // An open quote takes the rest of the text.
            (
                "a;\"open\nstill;open\nend\n",
                &[(1, &["a", "open\nstill;open\nend\n"])],
            ),
            // Blank lines and rows of empty cells are no rows, but count.
            (
                "\n\na;b\n;;\n  \nc;d\n\n",
                &[(3, &["a", "b"]), (6, &["c", "d"])],
            ),
            // A trailing delimiter makes an empty last cell; ragged rows stay ragged.
            ("a;b;\nc\n", &[(1, &["a", "b", ""]), (2, &["c"])]),
            // No line end at the end.
            ("a;b", &[(1, &["a", "b"])]),
            // A byte order mark left in the text is no part of the first cell.
            ("\u{FEFF}name;x\n", &[(1, &["name", "x"])]),
            // Only CR line ends (old Mac Excel).
            ("a;b\rc;d\r", &[(1, &["a", "b"]), (2, &["c", "d"])]),
            ("", &[]),
        ];
        for (sample, expected) in cases {
            assert_eq!(
                lines(&parse(sample, SEMICOLON)),
                rows(expected),
                "{sample:?}"
            );
        }
        let sheet = parse("a;;\"\"\n", SEMICOLON);
        assert_eq!(
            sheet.rows[0].cells,
            vec![text("a"), Cell::Empty, Cell::Empty]
        );
    }

    #[test]
    fn without_a_quote_character_quotes_are_text() {
        let format = CsvFormat {
            delimiter: b',',
            quote: None,
        };
        assert_eq!(
            lines(&parse("\"a,b\",c\n", format)),
            rows(&[(1, &["\"a", "b\"", "c"])])
        );
    }

    #[test]
    fn reads_rows_pasted_from_a_spreadsheet() {
        // Excel on Windows: CRLF, a cell with a line break quoted (its quotes doubled),
        // a cell that only starts with a quote taken as written, a final line end.
        let pasted = "Imię\tNazwisko\tUwagi\r\n\
            Jan\tKowalski\t\"pierwsza linia\ndruga \"\"linia\"\"\"\r\n\
            Anna\tNowak\t\"Best\" offer\r\n\
            \t\t\r\n\
            Piotr\t\t5\" display\r\n";
        assert_eq!(
            lines(&parse_pasted(pasted)),
            rows(&[
                (1, &["Imię", "Nazwisko", "Uwagi"]),
                (2, &["Jan", "Kowalski", "pierwsza linia\ndruga \"linia\""]),
                (4, &["Anna", "Nowak", "\"Best\" offer"]),
                (6, &["Piotr", "", "5\" display"]),
            ])
        );
        // An unclosed quote is text up to the tab, not the rest of the paste.
        assert_eq!(
            lines(&parse_pasted("\"open\tb\nc\td")),
            rows(&[(1, &["\"open", "b"]), (2, &["c", "d"])])
        );
        assert!(detect_header(&parse_pasted(pasted)));
    }

    #[test]
    fn odd_formats_fall_back_safely() {
        // A delimiter that is no ASCII byte would cut characters in half.
        let format = CsvFormat {
            delimiter: 0xC5,
            quote: Some(b'"'),
        };
        assert_eq!(
            lines(&parse("Łódź,Kraków\n", format)),
            rows(&[(1, &["Łódź", "Kraków"])])
        );
        let same = CsvFormat {
            delimiter: b'"',
            quote: Some(b'"'),
        };
        assert_eq!(lines(&parse("a\"b\n", same)), rows(&[(1, &["a", "b"])]));
    }

    #[test]
    fn a_large_file_reads_whole() {
        let mut file = String::from("id;imię;nazwisko;miasto;telefon;e-mail;uwagi\r\n");
        for i in 0..20_000 {
            file.push_str(&format!(
                "{i};Zofia;Wiśniewska;Łódź;+48 600 {i:06};z{i}@example.pl;\"linia 1\r\nlinia 2; \"\"x\"\"\"\r\n"
            ));
        }
        let bytes = encoding::encode(&file, TextEncoding::Windows1250);
        let reading = detect(&bytes);
        assert_eq!(reading.encoding, TextEncoding::Windows1250);
        assert_eq!(reading.format, SEMICOLON);
        assert!(reading.header);
        let sheet = read(&bytes, &reading);
        assert_eq!(sheet.rows.len(), 20_001);
        let last = &sheet.rows[20_000];
        assert_eq!(last.line, 2 + 2 * 19_999);
        assert_eq!(last.cells[6], text("linia 1\r\nlinia 2; \"x\""));
    }

    /// A file like the benchmark's: 100,000 rows of 12 columns in Windows-1250 (16 MB).
    /// `cargo test --release -p minicrm-core --lib import::csv::tests::timing -- --ignored --nocapture`
    #[test]
    #[ignore = "a timing to read in release builds"]
    #[allow(clippy::disallowed_methods)] // the test measures time
    fn timing() {
        let mut file = String::from(
            "Imię;Nazwisko;Firma;Ulica;Miasto;Kod pocztowy;Telefon;E-mail;NIP;Uwagi;Źródło;Tagi\r\n",
        );
        for i in 0..100_000 {
            file.push_str(&format!(
                "Zofia;Wiśniewska;\"Firma \"\"Żuraw\"\" s.c.\";Świętokrzyska {i};Łódź;90-{:03};+48 600 {i:06};z.wisniewska{i}@example.pl;{:010};Zażółć gęślą;targi;klient, vip\r\n",
                i % 1000,
                i * 7
            ));
        }
        let bytes = encoding::encode(&file, TextEncoding::Windows1250);
        let started = std::time::Instant::now();
        let reading = detect(&bytes);
        let detected = started.elapsed();
        let sheet = read(&bytes, &reading);
        let total = started.elapsed();
        assert_eq!(reading.encoding, TextEncoding::Windows1250);
        assert_eq!(sheet.rows.len(), 100_001);
        println!(
            "{} bytes: detect {detected:?}, detect + read {total:?}",
            bytes.len()
        );
        if !cfg!(debug_assertions) {
            assert!(total < std::time::Duration::from_secs(1), "{total:?}");
        }
    }

    /// A table written the way Excel writes CSV: cells with the delimiter, a quote or a
    /// line break (or starting with a space) quoted, quotes doubled.
    fn write(table: &[Vec<String>], delimiter: u8, line_end: &str) -> String {
        let mut out = String::new();
        for row in table {
            for (at, cell) in row.iter().enumerate() {
                if at > 0 {
                    out.push(char::from(delimiter));
                }
                if cell
                    .contains(|c| c == char::from(delimiter) || c == '"' || c == '\r' || c == '\n')
                {
                    out.push('"');
                    out.push_str(&cell.replace('"', "\"\""));
                    out.push('"');
                } else {
                    out.push_str(cell);
                }
            }
            out.push_str(line_end);
        }
        out
    }

    proptest! {
        #[test]
        fn what_excel_writes_reads_back(
            table in prop::collection::vec(
                prop::collection::vec("[a-zA-Złść\"; ,\t\r\n]{0,8}", 1..5),
                0..8,
            ),
            delimiter in prop::sample::select(DELIMITERS.to_vec()),
            line_end in prop::sample::select(vec!["\r\n", "\n"]),
        ) {
            let written = write(&table, delimiter, line_end);
            let sheet = parse(&written, CsvFormat { delimiter, quote: Some(b'"') });
            let mut expected = Vec::new();
            let mut line = 1u32;
            for row in &table {
                let cells: Vec<Cell> = row
                    .iter()
                    .map(|c| if c.is_empty() { Cell::Empty } else { Cell::Text(c.clone()) })
                    .collect();
                if cells.iter().any(|c| !c.is_blank()) {
                    expected.push(Row { line, cells });
                }
                let breaks: usize = row.iter().map(|c| c.matches('\n').count() + c.replace("\r\n", "").matches('\r').count()).sum();
                line += 1 + u32::try_from(breaks).unwrap_or(0);
            }
            prop_assert_eq!(sheet.rows, expected);
        }
    }
}
