//! "Download the rows that were not imported": the file's own columns plus a reason, ready
//! to fix and import again.

use minicrm_core::import::encoding::TextEncoding;
use minicrm_core::import::export::{self, CsvOptions};
use minicrm_core::import::job::Reply;
use minicrm_core::import::plan::Action;
use minicrm_core::import::rows::RowError;
use minicrm_core::import::table::Cell;
use uuid::Uuid;

use crate::{context, review, source};

/// Why a row was not imported, in words.
fn reason(planned: &review::Planned, headers: &[String], left_out: bool) -> String {
    if left_out && planned.prepared.problems.is_empty() {
        return "left out in the review".to_owned();
    }
    let problems: Vec<String> = planned
        .prepared
        .problems
        .iter()
        .map(|problem| {
            let why = match &problem.error {
                RowError::Field(_, message) => message.clone(),
                RowError::UnknownName => "no such name in the settings".to_owned(),
                RowError::NameRequired => "the row has no name".to_owned(),
                RowError::TooManyValues => "too many values".to_owned(),
            };
            match problem.column.and_then(|c| headers.get(c)) {
                Some(column) => format!("{column} \"{}\": {why}", problem.value),
                None => why,
            }
        })
        .collect();
    if problems.is_empty() {
        "a duplicate, skipped".to_owned()
    } else {
        problems.join("; ")
    }
}

/// The rows not imported (failed, skipped or left out) as a CSV in UTF-8 with a BOM.
pub async fn not_imported(import_id: Uuid) -> Result<(Reply, Option<Vec<u8>>), String> {
    let job = source::job(import_id).await?;
    let read = source::read(&job).await?;
    let ctx = context::load().await?;
    let planned = review::plan_rows(&job, &read, &ctx).await?;
    let headers = read.headers();
    let mut header = headers.clone();
    header.push("Reason".to_owned());
    let rows: Vec<Vec<Cell>> = planned
        .iter()
        .zip(read.data())
        .filter(|(p, _)| matches!(p.action, Action::Skip | Action::Fail))
        .map(|(p, row)| {
            let mut cells = review::fixed_cells(&job, row);
            cells.resize(headers.len(), Cell::Empty);
            let left_out = job.left_out.contains(&row.line);
            cells.push(Cell::Text(reason(p, &headers, left_out)));
            cells
        })
        .collect();
    let delimiter = read.reading.map(|r| r.format.delimiter).unwrap_or(b';');
    let options = CsvOptions {
        delimiter,
        encoding: TextEncoding::Utf8,
        bom: true,
        // The rows came from the user's own file: given back as they were.
        raw: true,
    };
    let bytes = export::write_csv(&header, &rows, &options);
    let stem = job
        .file_name
        .rsplit_once('.')
        .map_or(job.file_name.as_str(), |(stem, _)| stem);
    Ok((
        Reply::File {
            name: format!("{stem} - not imported.csv"),
            mime: "text/csv".to_owned(),
        },
        Some(bytes),
    ))
}
