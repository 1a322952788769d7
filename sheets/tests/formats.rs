//! Reading real files of each format: the ODS and XLS fixtures (tests/fixtures/README.md
//! says how they were made), XLSX files written here with what Excel files carry (a merged
//! title over empty leading rows and columns, formulas with cached values), and files
//! that are not spreadsheets at all.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minicrm_core::import::table::{Cell, Row};
use minicrm_sheets::{SheetError, read_sheet, sheet_names, write_xlsx};
use rust_xlsxwriter::{Format, Formula, Workbook};

const ODS: &[u8] = include_bytes!("fixtures/contacts.ods");
const XLS: &[u8] = include_bytes!("fixtures/contacts.xls");

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

fn row(line: u32, cells: Vec<Cell>) -> Row {
    Row { line, cells }
}

/// The rows both fixtures start with: a merged title in B3:D3, a header in row 4 and a
/// row of text, a number and a date in row 5 (column A and rows 1, 2 and 6 are empty).
fn common_rows() -> Vec<Row> {
    vec![
        row(3, vec![text("Kontakty Łódź"), Cell::Empty, Cell::Empty]),
        row(4, vec![text("Imię"), text("Příjmení"), text("Győr")]),
        row(
            5,
            vec![
                text("Żaneta Świętosławska"),
                Cell::Number(48123456789.0),
                Cell::Date("2026-03-01".into()),
            ],
        ),
    ]
}

#[test]
fn ods_fixture() {
    assert_eq!(
        sheet_names(ODS),
        Ok(vec!["Kontakty".to_owned(), "Druhý list".to_owned()])
    );
    let sheet = read_sheet(ODS, "Kontakty").unwrap();
    let mut expected = common_rows();
    // A formula's cached value, a boolean, a date with a time.
    expected.push(row(
        7,
        vec![
            Cell::Number(96247913578.0),
            Cell::Bool(true),
            Cell::DateTime("2026-03-01T09:30:05".into()),
        ],
    ));
    assert_eq!(sheet.rows, expected);
    assert_eq!(sheet.name, "Kontakty");
    let second = read_sheet(ODS, "Druhý list").unwrap();
    assert_eq!(second.rows, vec![row(1, vec![text("x")])]);
}

#[test]
fn xls_fixture() {
    assert_eq!(
        sheet_names(XLS),
        Ok(vec!["Kontakty".to_owned(), "Druhý list".to_owned()])
    );
    let sheet = read_sheet(XLS, "Kontakty").unwrap();
    let mut expected = common_rows();
    expected.push(row(
        7,
        vec![
            Cell::Number(-1.5),
            Cell::Bool(true),
            Cell::DateTime("2026-03-01T09:30:05".into()),
        ],
    ));
    assert_eq!(sheet.rows, expected);
}

/// What a spreadsheet made by hand often looks like: a title merged over the columns,
/// two rows and a column left empty before it, formulas whose values the file caches.
fn hand_made_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Klienci").unwrap();
    let title = Format::new().set_bold();
    sheet
        .merge_range(2, 1, 2, 3, "Klienci — Kraków", &title)
        .unwrap();
    for (col, header) in ["Nazwisko", "Kwota", "Razem"].iter().enumerate() {
        sheet.write_string(3, col as u16 + 1, *header).unwrap();
    }
    sheet.write_string(4, 1, "Kowalski").unwrap();
    sheet.write_number(4, 2, 21.5).unwrap();
    sheet
        .write_formula(4, 3, Formula::new("=C5*2").set_result("43"))
        .unwrap();
    // A row left empty, then a text formula and an error formula.
    sheet.write_string(6, 1, "Nowak").unwrap();
    sheet
        .write_formula(6, 2, Formula::new("=UPPER(B7)").set_result("NOWAK"))
        .unwrap();
    sheet
        .write_formula(6, 3, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    let other = book.add_worksheet();
    other.set_name("Wykres").unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn xlsx_with_empty_leading_rows_a_merged_title_and_formulas() {
    let bytes = hand_made_xlsx();
    assert_eq!(
        sheet_names(&bytes),
        Ok(vec!["Klienci".to_owned(), "Wykres".to_owned()])
    );
    let sheet = read_sheet(&bytes, "Klienci").unwrap();
    let expected = vec![
        row(3, vec![text("Klienci — Kraków"), Cell::Empty, Cell::Empty]),
        row(4, vec![text("Nazwisko"), text("Kwota"), text("Razem")]),
        row(
            5,
            vec![text("Kowalski"), Cell::Number(21.5), Cell::Number(43.0)],
        ),
        row(
            7,
            vec![text("Nowak"), text("NOWAK"), Cell::Error("#DIV/0!".into())],
        ),
    ];
    assert_eq!(sheet.rows, expected);
    assert_eq!(read_sheet(&bytes, "Wykres").unwrap().rows, vec![]);
}

#[test]
fn errors_say_what_is_wrong() {
    let bytes = write_xlsx("Kontakty", &["Imię".to_owned()], &[]).unwrap();
    assert_eq!(
        read_sheet(&bytes, "Arkusz1"),
        Err(SheetError::NoSuchSheet("Arkusz1".into()))
    );
    assert_eq!(
        read_sheet(ODS, "kontakty"),
        Err(SheetError::NoSuchSheet("kontakty".into()))
    );
    let csv = "Imię;Nazwisko\r\nJan;Kowalski\r\n".as_bytes();
    assert_eq!(sheet_names(csv), Err(SheetError::NotASpreadsheet));
    assert_eq!(sheet_names(b""), Err(SheetError::NotASpreadsheet));
    // A download cut short: the start of a real XLSX.
    let cut = &bytes[..bytes.len() / 2];
    assert!(
        matches!(sheet_names(cut), Err(SheetError::Damaged(_))),
        "{:?}",
        sheet_names(cut)
    );
    // An XLS whose streams are garbage.
    let mut garbage = XLS[..512].to_vec();
    garbage.extend(std::iter::repeat_n(0xAB, 2048));
    assert!(matches!(sheet_names(&garbage), Err(SheetError::Damaged(_))));
    let message = SheetError::NotASpreadsheet.to_string();
    assert_eq!(
        message,
        "this file is not a spreadsheet we can read (XLSX, XLS or ODS)"
    );
    assert!(
        SheetError::PasswordProtected
            .to_string()
            .contains("password")
    );
}
