//! The crate in a browser, as the import's worker runs it: writing an XLSX (which stamps
//! a creation time: std's clock would panic on wasm32) and reading XLSX and ODS back.
//! `cargo test --target wasm32-unknown-unknown -p minicrm-sheets --test wasm` (headless
//! Chromium through `CHROMEDRIVER`, like the app's tests).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minicrm_core::import::table::Cell;
use minicrm_sheets::{read_sheet, sheet_names, write_xlsx};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn writes_and_reads_in_the_browser() {
    let header = vec!["Imię".to_owned(), "Data".to_owned()];
    let rows = vec![vec![
        Cell::Text("=HYPERLINK(\"x\")".into()),
        Cell::Date("2026-03-01".into()),
    ]];
    let bytes = write_xlsx("Kontakty", &header, &rows).unwrap();
    let sheet = read_sheet(&bytes, "Kontakty").unwrap();
    assert_eq!(sheet.rows[1].cells, rows[0]);
    let ods = include_bytes!("fixtures/contacts.ods");
    assert_eq!(sheet_names(ods).unwrap().len(), 2);
    assert_eq!(read_sheet(ods, "Kontakty").unwrap().rows.len(), 4);
}
