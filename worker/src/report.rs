//! "Download the rows that were not imported": the file's own columns plus a reason, ready
//! to fix and import again.

use std::collections::HashMap;

use minicrm_core::import::encoding::TextEncoding;
use minicrm_core::import::export::{self, CsvOptions};
use minicrm_core::import::job::{Reply, Step};
use minicrm_core::import::plan::Action;
use minicrm_core::import::rows::{Prepared, RowError};
use minicrm_core::import::table::{Cell, Row};
use uuid::Uuid;

use crate::device::{storage, storage_error};
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

/// The rows not imported (failed, skipped, left out, or not reached by a stopped import)
/// as a CSV in UTF-8 with a BOM. After the writing started, from the plan it followed (the
/// device now holds the import's own records: planning again would call every row a
/// duplicate of itself).
pub async fn not_imported(import_id: Uuid) -> Result<(Reply, Option<Vec<u8>>), String> {
    let job = source::job(import_id).await?;
    let read = source::read(&job).await?;
    let ctx = context::load().await?;
    let stored = storage()
        .await?
        .import_plan(&import_id)
        .await
        .map_err(storage_error)?;
    let plan = match stored {
        Some(plan) => {
            let rows: HashMap<u32, &Row> = read.data().iter().map(|row| (row.line, row)).collect();
            // As the writing prepared them, if the worker still holds them.
            let cached = review::cached_prepared(&job, &read, &ctx);
            let prepared: HashMap<u32, &Prepared> = cached
                .iter()
                .flat_map(|rows| rows.iter())
                .map(|row| (row.line, row))
                .collect();
            review::Plan::decided(
                plan.into_iter()
                    .filter_map(|(line, action)| {
                        let prepared = match prepared.get(&line) {
                            Some(row) => (*row).clone(),
                            None => review::prepare(&job, &ctx, rows.get(&line)?),
                        };
                        Some((prepared, action))
                    })
                    .collect(),
            )
        }
        None => review::plan_rows(&job, &read, &ctx).await?,
    };
    let by_line: HashMap<u32, &Row> = read.data().iter().map(|row| (row.line, row)).collect();
    let headers = read.headers();
    let mut header = headers.clone();
    header.push("Reason".to_owned());
    let written = if matches!(job.step, Step::Done) {
        plan.len()
    } else {
        job.written as usize
    };
    let rows: Vec<Vec<Cell>> = plan
        .rows()
        .enumerate()
        .filter(|(index, p)| *index >= written || matches!(p.action, Action::Skip | Action::Fail))
        .filter_map(|(index, p)| {
            let row = by_line.get(&p.prepared.line)?;
            let mut cells = review::fixed_cells(&job, row);
            cells.resize(headers.len(), Cell::Empty);
            let why = if matches!(p.action, Action::Skip | Action::Fail) {
                reason(&p, &headers, job.left_out.contains(&row.line))
            } else if index >= written {
                "not written: the import was stopped before this row".to_owned()
            } else {
                String::new()
            };
            cells.push(Cell::Text(why));
            Some(cells)
        })
        .collect();
    let delimiter = read.reading.map(|r| r.format.delimiter).unwrap_or(b';');
    let options = CsvOptions {
        delimiter,
        encoding: TextEncoding::Utf8,
        bom: true,
        // Cells that Excel would run as formulas are neutralized like any export's.
        raw: false,
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
