//! Records out: the chosen records' cells for the chosen columns, written as XLSX (typed
//! cells, never formulas) or CSV (in the chosen encoding and delimiter, neutralized unless
//! raw).

use minicrm_core::import::export::{self, ExportColumn};
use minicrm_core::import::job::{ExportFormat, ExportRequest, Reply};
use minicrm_core::import::table::Cell;

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
    let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(request.ids.len());
    for chunk in request.ids.chunks(SLICE) {
        let keys: Vec<(String, String)> = chunk
            .iter()
            .map(|id| ("contact".to_owned(), id.clone()))
            .collect();
        let found = storage.rows_by_keys(&keys).await.map_err(storage_error)?;
        rows.extend(
            found
                .into_iter()
                .flatten()
                .map(|row| export::record_cells(&row.shown(), &columns, &ctx, &request.options)),
        );
    }
    let (bytes, extension, mime) = match request.format {
        ExportFormat::Xlsx => (
            minicrm_sheets::write_xlsx_created(&request.name, &header, &rows, &request.created)
                .map_err(|err| err.to_string())?,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ExportFormat::Csv => (
            export::write_csv(&header, &rows, &request.csv),
            "csv",
            "text/csv",
        ),
    };
    Ok((
        Reply::File {
            name: format!("{}.{extension}", request.name),
            mime: mime.to_owned(),
        },
        Some(bytes),
    ))
}
