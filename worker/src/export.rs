//! Records (and report tables) out: the chosen records' cells for the chosen columns, written as XLSX (typed
//! cells, never formulas) or CSV (in the chosen encoding and delimiter, neutralized unless
//! raw).

use std::collections::HashMap;

use minicrm_core::import::export::{self, CsvOptions, ExportColumn};
use minicrm_core::import::job::{ExportFormat, ExportRequest, Reply, TableExport};
use minicrm_core::import::table::Cell;

use minicrm_storage::rows::{RowScan, StoredRow};

use crate::context;
use crate::device::{storage, storage_error};

/// Records read per slice.
const SLICE: usize = 1000;

/// The export's file.
pub async fn export(request: &ExportRequest) -> Result<(Reply, Option<Vec<u8>>), String> {
    let ctx = context::load().await?;
    let columns: Vec<ExportColumn> = request
        .columns
        .clone()
        .unwrap_or_else(|| export::default_columns(&ctx));
    let header: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
    let storage = storage().await?;
    let cells =
        |row: &StoredRow| export::record_cells(&row.shown(), &columns, &ctx, &request.options);
    let total = storage.count_of("contact").await.map_err(storage_error)?;
    // Most of the base (an export of everything found): read in slices of the store's
    // order, a request per slice, then put in the list's order. A few: each by its key.
    let rows: Vec<Vec<Cell>> = if request.ids.len().saturating_mul(3) >= total as usize {
        let wanted: HashMap<&str, usize> = request
            .ids
            .iter()
            .enumerate()
            .map(|(at, id)| (id.as_str(), at))
            .collect();
        let mut found: Vec<Option<Vec<Cell>>> = vec![None; request.ids.len()];
        let mut scan = RowScan::new(&storage, "contact", SLICE as u32);
        while let Some(slice) = scan.next().await.map_err(storage_error)? {
            for row in slice.parsed() {
                let row = row.map_err(storage_error)?;
                if let Some(at) = wanted.get(row.id.as_str()) {
                    found[*at] = Some(cells(&row));
                }
            }
        }
        found.into_iter().flatten().collect()
    } else {
        let mut rows = Vec::with_capacity(request.ids.len());
        for chunk in request.ids.chunks(SLICE) {
            let keys: Vec<(String, String)> = chunk
                .iter()
                .map(|id| ("contact".to_owned(), id.clone()))
                .collect();
            let found = storage.rows_by_keys(&keys).await.map_err(storage_error)?;
            rows.extend(found.iter().flatten().map(cells));
        }
        rows
    };
    write_file(
        &request.name,
        &header,
        &rows,
        request.format,
        &request.csv,
        &request.created,
    )
}

/// A report's table as a file.
pub fn export_table(request: &TableExport) -> Result<(Reply, Option<Vec<u8>>), String> {
    write_file(
        &request.name,
        &request.header,
        &request.rows,
        request.format,
        &request.csv,
        &request.created,
    )
}

/// The file of a header and rows: XLSX (typed cells) or CSV.
fn write_file(
    name: &str,
    header: &[String],
    rows: &[Vec<Cell>],
    format: ExportFormat,
    csv: &CsvOptions,
    created: &str,
) -> Result<(Reply, Option<Vec<u8>>), String> {
    let (bytes, extension, mime) = match format {
        ExportFormat::Xlsx => (
            minicrm_sheets::write_xlsx_created(name, header, rows, created)
                .map_err(|err| err.to_string())?,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ExportFormat::Csv => (export::write_csv(header, rows, csv), "csv", "text/csv"),
    };
    Ok((
        Reply::File {
            name: format!("{name}.{extension}"),
            mime: mime.to_owned(),
        },
        Some(bytes),
    ))
}
