//! What `write_xlsx` writes, `read_sheet` reads back cell for cell: every cell type, and
//! (property test) any record exported through core's `export::record_cells`.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use minicrm_core::import::export::{
    Column, ExportColumn, ExportOptions, default_columns, record_cells,
};
use minicrm_core::import::mapping::{Context, CustomDef, Named};
use minicrm_core::import::table::{Cell, Row};
use minicrm_core::merge::Fields;
use minicrm_core::schema::PHONE_TYPES;
use minicrm_core::sync::FieldState;
use minicrm_sheets::{read_sheet, sheet_names, write_xlsx, write_xlsx_created};
use proptest::prelude::*;
use serde_json::{Value, json};

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// The rows `read_sheet` should give for a header and rows written from the first cell.
fn as_read(header: &[String], rows: &[Vec<Cell>]) -> Vec<Row> {
    let mut read = vec![Row {
        line: 1,
        cells: header.iter().map(|h| text(h)).collect(),
    }];
    read.extend(rows.iter().enumerate().map(|(i, cells)| Row {
        line: i as u32 + 2,
        cells: cells.clone(),
    }));
    read
}

#[test]
fn every_cell_type_round_trips() {
    let header = headers(&[
        "Imię",
        "Příjmení",
        "Győr",
        "Liczba",
        "Tak/nie",
        "Data",
        "Kiedy",
    ]);
    let rows = vec![
        vec![
            text("Łódź, Żółć"),
            text("Příbram Čeněk Řehoř"),
            text("Győr Őrség Ünnep"),
            Cell::Number(48123456789.0),
            Cell::Bool(true),
            Cell::Date("2026-03-01".into()),
            Cell::DateTime("2026-03-01T09:30:05".into()),
        ],
        vec![
            text("=HYPERLINK(\"x\")"),
            text("=1+1"),
            text("+48 601 234 567"),
            Cell::Number(-1.5),
            Cell::Bool(false),
            Cell::Date("1900-03-01".into()),
            Cell::DateTime("9999-12-31T23:59:59".into()),
        ],
        vec![
            text("  spaces kept  "),
            text("two\nlines"),
            Cell::Empty,
            Cell::Number(0.1),
            Cell::Empty,
            Cell::Date("9999-12-31".into()),
            Cell::DateTime("2026-03-01T00:00:01".into()),
        ],
        vec![
            text("007"),
            text("-"),
            text("'quoted"),
            Cell::Number(123456789.123),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ],
        vec![
            text("<b>&amp;</b>"),
            text("tab\there"),
            text("@SUM(A1)"),
            Cell::Number(1e-7),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ],
    ];
    let bytes = write_xlsx("Kontakty", &header, &rows).unwrap();
    assert_eq!(sheet_names(&bytes), Ok(vec!["Kontakty".to_owned()]));
    let sheet = read_sheet(&bytes, "Kontakty").unwrap();
    assert_eq!(sheet.rows, as_read(&header, &rows));
}

#[test]
fn cells_excel_cannot_type_come_back_as_text() {
    let header = headers(&["a", "b", "c", "d"]);
    let rows = vec![vec![
        Cell::Error("#N/A".into()),
        Cell::Date("1899-12-31".into()),
        Cell::Date("not a date".into()),
        Cell::Number(f64::NAN),
    ]];
    let bytes = write_xlsx("x", &header, &rows).unwrap();
    let sheet = read_sheet(&bytes, "x").unwrap();
    let expected = vec![
        text("#N/A"),
        text("1899-12-31"),
        text("not a date"),
        text("NaN"),
    ];
    assert_eq!(sheet.rows[1].cells, expected);
}

#[test]
fn output_is_the_same_for_the_same_cells() {
    let header = headers(&["Imię"]);
    let rows = vec![vec![text("Jan")]];
    let first = write_xlsx("x", &header, &rows).unwrap();
    assert_eq!(first, write_xlsx("x", &header, &rows).unwrap());
    let created = write_xlsx_created("x", &header, &rows, "2026-03-01T09:30:00").unwrap();
    assert_ne!(first, created);
    assert_eq!(
        read_sheet(&created, "x").unwrap(),
        read_sheet(&first, "x").unwrap()
    );
}

#[test]
fn an_invalid_sheet_name_is_made_valid() {
    let bytes = write_xlsx("Klienci 2026/27: [Praha]", &headers(&["a"]), &[]).unwrap();
    assert_eq!(
        sheet_names(&bytes),
        Ok(vec!["Klienci 2026_27_ _Praha_".to_owned()])
    );
}

const IDS: [&str; 6] = [
    "0193a1b2-c3d4-7e5f-8a9b-000000000001",
    "0193a1b2-c3d4-7e5f-8a9b-000000000002",
    "0193a1b2-c3d4-7e5f-8a9b-000000000003",
    "0193a1b2-c3d4-7e5f-8a9b-000000000004",
    "0193a1b2-c3d4-7e5f-8a9b-000000000005",
    "0193a1b2-c3d4-7e5f-8a9b-000000000006",
];

fn named(id: &str, name: &str) -> Named {
    Named {
        id: id.into(),
        names: vec![name.into()],
    }
}

fn context() -> Context {
    let def = |key: &str, name: &str, kind: &str| CustomDef {
        key: key.into(),
        name: name.into(),
        kind: kind.into(),
        options: vec!["Ą".into(), "B".into(), "Č".into()],
    };
    Context {
        default_country: "PL".into(),
        custom: vec![
            def("rozmiar", "Rozmiar", "number"),
            def("wizyta", "Wizyta", "date"),
            def("vip", "VIP", "yes_no"),
            def("zainteresowania", "Zainteresowania", "multi_choice"),
            def("kod", "Kod klienta", "text"),
        ],
        users: vec![named(IDS[0], "Anna Nowak")],
        stages: vec![named(IDS[1], "Oferta")],
        categories: vec![named(IDS[2], "Hurt")],
        segments: vec![named(IDS[3], "Łódź"), named(IDS[4], "Győr")],
        campaigns: vec![named(IDS[5], "Wiosna")],
    }
}

/// Texts as people type them: letters of the three languages, digits, punctuation,
/// what formulas start with, inner spaces, tabs and line breaks.
fn words() -> impl Strategy<Value = String> {
    "[A-Za-z0-9ąćęłńóśźżĄĆĘŁŃÓŚŹŻčďěňřšťůýžČŘŠŽőöüűŐÖÜŰ =+@'\",;.()/<>&\t\n-]{0,24}"
}

fn id() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (0..IDS.len()).prop_map(|i| Some(IDS[i].to_owned())),
        // An id the settings do not have (exported as the id).
        Just(Some("0193a1b2-c3d4-7e5f-8a9b-0000000000ff".to_owned())),
    ]
}

prop_compose! {
    fn record()(
        company in any::<bool>(),
        texts in proptest::collection::vec(proptest::option::of(words()), 15),
        phones in proptest::collection::vec((0..PHONE_TYPES.len(), 100_000_000u64..999_999_999), 0..4),
        emails in proptest::collection::vec("[a-z]{1,8}@[a-z]{1,8}\\.pl", 0..3),
        tags in proptest::collection::vec("[a-ząęł]{1,8}", 0..3),
        owner in id(), stage in id(), category in id(),
        segments in proptest::collection::vec(any::<bool>(), 6),
        number in proptest::option::of(-1_000_000_000i64..1_000_000_000),
        date in proptest::option::of((1901i32..2100, 1u8..13, 1u8..29)),
        vip in proptest::option::of(any::<bool>()),
        chosen in proptest::collection::vec(any::<bool>(), 3),
        code in proptest::option::of(words()),
        // A write at exactly midnight (to the second) reads back as a date; keep clear.
        ms in (1_600_000_000_000u64..2_000_000_000_000).prop_filter("not midnight", |ms| ms / 1000 % 86_400 != 0),
    ) -> Fields {
        let mut values: Vec<(String, Value)> = vec![
            ("kind".into(), json!(if company { "company" } else { "person" })),
        ];
        let names = [
            "first_name", "last_name", "company", "position", "address_line1",
            "address_line2", "postal_code", "city", "region", "country", "nip", "pesel",
            "regon", "source", "note",
        ];
        for (name, text) in names.iter().zip(texts) {
            if let Some(text) = text {
                values.push(((*name).into(), json!(text)));
            }
        }
        let phones: Vec<Value> = phones
            .iter()
            .map(|(kind, n)| json!({"type": PHONE_TYPES[*kind], "number": format!("+48{n}")}))
            .collect();
        values.push(("phones".into(), json!(phones)));
        values.push(("emails".into(), json!(emails)));
        values.push(("tags".into(), json!(tags)));
        for (field, id) in [("owner_id", owner), ("stage_id", stage), ("category_id", category)] {
            if let Some(id) = id {
                values.push((field.into(), json!(id)));
            }
        }
        for (i, member) in segments.iter().enumerate() {
            let prefix = if i == 5 { "campaign" } else { "segment" };
            values.push((format!("{prefix}:{}", IDS[i]), json!(member)));
        }
        if let Some(n) = number {
            values.push(("custom.rozmiar".into(), json!(n as f64 / 100.0)));
        }
        if let Some((y, m, d)) = date {
            values.push(("custom.wizyta".into(), json!(format!("{y:04}-{m:02}-{d:02}"))));
        }
        if let Some(vip) = vip {
            values.push(("custom.vip".into(), json!(vip)));
        }
        let options = ["Ą", "B", "Č"];
        let chosen: Vec<&str> = options.iter().zip(chosen).filter(|(_, c)| *c).map(|(o, _)| *o).collect();
        values.push(("custom.zainteresowania".into(), json!(chosen)));
        if let Some(code) = code {
            values.push(("custom.kod".into(), json!(code)));
        }
        let hlc = format!("{ms:013}-0000-node");
        values
            .into_iter()
            .map(|(name, value)| (name, FieldState { value, hlc: hlc.clone() }))
            .collect::<BTreeMap<_, _>>()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any record's exported cells, written to XLSX and read back, are the same cells.
    #[test]
    fn records_round_trip(records in proptest::collection::vec(record(), 1..4), shown in any::<bool>()) {
        let ctx = context();
        let mut columns = default_columns(&ctx);
        columns.push(ExportColumn { header: "Modified".into(), column: Column::Modified });
        let options = ExportOptions { phones_as_shown: shown };
        let header: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
        let rows: Vec<Vec<Cell>> = records
            .iter()
            .map(|fields| record_cells(fields, &columns, &ctx, &options))
            .collect();
        let bytes = write_xlsx("Eksport", &header, &rows).unwrap();
        let sheet = read_sheet(&bytes, "Eksport").unwrap();
        prop_assert_eq!(sheet.rows, as_read(&header, &rows));
    }
}

/// 100,000 rows of 12 columns, as a large export: run with
/// `cargo test --release -p minicrm-sheets --test roundtrip -- --ignored --nocapture`.
#[test]
#[ignore = "timing; run in release"]
#[allow(clippy::disallowed_methods)] // the test measures time
fn large_export_is_quick() {
    let header: Vec<String> = (0..12).map(|i| format!("Kolumna {i}")).collect();
    let rows: Vec<Vec<Cell>> = (0..100_000)
        .map(|i| {
            vec![
                text(&format!("Imię {i}")),
                text(&format!("Nazwisko Żółć {}", i % 977)),
                text("Łódź"),
                text(&format!("+4860{:07}", i)),
                text(&format!("osoba{i}@firma.pl")),
                text("ul. Piotrkowska 1"),
                text("90-001"),
                Cell::Number(i as f64 * 1.5),
                Cell::Bool(i % 2 == 0),
                Cell::Date("2026-03-01".into()),
                Cell::DateTime("2026-03-01T09:30:05".into()),
                text("=HYPERLINK(\"x\")"),
            ]
        })
        .collect();
    let started = std::time::Instant::now();
    let bytes = write_xlsx("Eksport", &header, &rows).unwrap();
    let written = started.elapsed();
    let sheet = read_sheet(&bytes, "Eksport").unwrap();
    let read = started.elapsed() - written;
    eprintln!(
        "write {written:?}, {} bytes; read back {read:?}",
        bytes.len()
    );
    assert_eq!(sheet.rows.len(), 100_001);
    assert!(written.as_secs_f64() < 5.0, "writing took {written:?}");
}
