//! The job's file read into a sheet, as the job's reading says (what it leaves unset is
//! detected), and the preview of it. The last sheet read is kept, so the steps after the
//! first do not decode and parse the file again.

use std::cell::RefCell;
use std::rc::Rc;

use minicrm_core::import::csv::{self, CsvFormat, Reading};
use minicrm_core::import::job::{
    ImportJob, Preview, PreviewRow, ReadingChoice, Reply, SourceFormat,
};
use minicrm_core::import::mapping::{self, Target};
use minicrm_core::import::table::{Row, Sheet};
use minicrm_core::schema::Entity;
use uuid::Uuid;
use wasm_bindgen_futures::JsFuture;

use crate::context;
use crate::device::{js_error, storage, storage_error};

/// Rows the preview shows.
const PREVIEW_ROWS: usize = 20;

/// A file as read: the sheet and how it was read.
pub struct Read {
    pub sheet: Sheet,
    /// For text: the reading used.
    pub reading: Option<Reading>,
    pub header: bool,
    pub sheets: Vec<String>,
    pub sheet_name: Option<String>,
}

impl Read {
    /// The rows after the header.
    pub fn data(&self) -> &[Row] {
        let skip = usize::from(self.header).min(self.sheet.rows.len());
        &self.sheet.rows[skip..]
    }

    /// The header's cells as names ("Column 3" where a header cell is blank or there is
    /// no header), one per column.
    pub fn headers(&self) -> Vec<String> {
        let width = self.sheet.width();
        let first = self.sheet.rows.first().filter(|_| self.header);
        (0..width)
            .map(|i| {
                first
                    .and_then(|row| row.cells.get(i))
                    .map(|cell| cell.as_text().trim().to_owned())
                    .filter(|name| !name.is_empty())
                    .unwrap_or_else(|| format!("Column {}", i + 1))
            })
            .collect()
    }
}

type Key = (Uuid, ReadingChoice, Option<String>);

thread_local! {
    static LAST: RefCell<Option<(Key, Rc<Read>)>> = const { RefCell::new(None) };
}

/// The job as stored.
pub async fn job(import_id: Uuid) -> Result<ImportJob, String> {
    storage()
        .await?
        .import_job(&import_id)
        .await
        .map_err(storage_error)?
        .ok_or_else(|| "this import is no longer on the device".to_owned())
}

/// The job's file, read (or the copy read last, for the same job and reading).
pub async fn read(job: &ImportJob) -> Result<Rc<Read>, String> {
    let key = (job.id, job.reading, job.sheet.clone());
    let cached = LAST.with(|last| {
        last.borrow()
            .as_ref()
            .filter(|(at, _)| *at == key)
            .map(|(_, read)| read.clone())
    });
    if let Some(read) = cached {
        return Ok(read);
    }
    let bytes = file_bytes(job.id).await?;
    let read = Rc::new(read_bytes(job, &bytes)?);
    LAST.with(|last| *last.borrow_mut() = Some((key, read.clone())));
    Ok(read)
}

async fn file_bytes(import_id: Uuid) -> Result<Vec<u8>, String> {
    let blob = storage()
        .await?
        .import_file(&import_id)
        .await
        .map_err(storage_error)?
        .ok_or_else(|| "the import's file is no longer on the device".to_owned())?;
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(js_error)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Makes the reading `read` used the job's explicit choices (and its sheet the one read):
/// a job whose writing starts keeps them, so a resumed import reads its file exactly as
/// it was planned, whatever a later version of the detection would say.
pub fn freeze(job: &mut ImportJob, read: &Rc<Read>) {
    if let Some(reading) = &read.reading {
        job.reading.encoding = Some(reading.encoding);
        job.reading.delimiter = Some(reading.format.delimiter);
        job.reading.quote = Some(reading.format.quote);
    }
    job.reading.header = Some(read.header);
    if read.sheet_name.is_some() {
        job.sheet = read.sheet_name.clone();
    }
    // The same cells under the explicit choices: no second reading of the file.
    let key = (job.id, job.reading, job.sheet.clone());
    LAST.with(|last| *last.borrow_mut() = Some((key, read.clone())));
}

/// Reads `bytes` as the job says.
pub fn read_bytes(job: &ImportJob, bytes: &[u8]) -> Result<Read, String> {
    let choice = job.reading;
    match job.format {
        SourceFormat::Text => {
            let detected = csv::detect(bytes);
            let mut reading = Reading {
                encoding: choice.encoding.unwrap_or(detected.encoding),
                format: CsvFormat {
                    delimiter: choice.delimiter.unwrap_or(detected.format.delimiter),
                    quote: choice.quote.unwrap_or(detected.format.quote),
                },
                header: detected.header,
            };
            let sheet = csv::read(bytes, &reading);
            // A changed encoding or delimiter reads other cells: the header is looked
            // at again unless the user said.
            reading.header = choice.header.unwrap_or_else(|| {
                if choice == ReadingChoice::default() {
                    detected.header
                } else {
                    csv::detect_header(&sheet)
                }
            });
            Ok(Read {
                header: reading.header,
                sheet,
                reading: Some(reading),
                sheets: Vec::new(),
                sheet_name: None,
            })
        }
        SourceFormat::Paste => {
            let text = String::from_utf8_lossy(bytes);
            let sheet = csv::parse_pasted(&text);
            let header = choice.header.unwrap_or_else(|| csv::detect_header(&sheet));
            Ok(Read {
                sheet,
                reading: None,
                header,
                sheets: Vec::new(),
                sheet_name: None,
            })
        }
        SourceFormat::Spreadsheet => {
            let sheets = minicrm_sheets::sheet_names(bytes).map_err(|err| err.to_string())?;
            let name = job
                .sheet
                .clone()
                .filter(|name| sheets.contains(name))
                .or_else(|| sheets.first().cloned())
                .ok_or_else(|| "the workbook has no sheets".to_owned())?;
            let sheet = minicrm_sheets::read_sheet(bytes, &name).map_err(|err| err.to_string())?;
            let header = choice.header.unwrap_or_else(|| csv::detect_header(&sheet));
            Ok(Read {
                sheet,
                reading: None,
                header,
                sheets,
                sheet_name: Some(name),
            })
        }
    }
}

/// The mapping last used for a file of this layout on any device of the team (the import
/// history's newest entry with it), if its columns still fit.
async fn remembered(layout: &str, width: usize) -> Result<Option<Vec<Target>>, String> {
    let imports = storage()
        .await?
        .rows_of(Entity::Import.as_str())
        .await
        .map_err(storage_error)?;
    let newest = imports
        .iter()
        .map(|row| row.shown())
        .filter(|fields| fields.get("layout").and_then(|f| f.value.as_str()) == Some(layout))
        .filter_map(|fields| {
            let started = fields
                .get("started_at")
                .and_then(|f| f.value.as_str().map(str::to_owned))
                .unwrap_or_default();
            let mapping: Vec<Target> =
                serde_json::from_value(fields.get("mapping")?.value.clone()).ok()?;
            Some((started, mapping))
        })
        .filter(|(_, mapping)| mapping.len() == width)
        .max_by(|a, b| a.0.cmp(&b.0));
    Ok(newest.map(|(_, mapping)| mapping))
}

/// Reads the job's file: the preview, with the mapping to start from (the job's own, the
/// one remembered for this layout, or suggested from the headers).
pub async fn preview(import_id: Uuid) -> Result<Reply, String> {
    let job = job(import_id).await?;
    let read = read(&job).await?;
    let headers = read.headers();
    let layout = mapping::layout_key(&headers);
    let suggested = if job.mapping.len() == headers.len() {
        job.mapping.clone()
    } else if let Some(mapping) = remembered(&layout, headers.len()).await? {
        mapping
    } else {
        let ctx = context::load().await?;
        mapping::suggest_all(&headers, &ctx)
    };
    let rows = read
        .data()
        .iter()
        .take(PREVIEW_ROWS)
        .map(|row| PreviewRow {
            line: row.line,
            cells: row.cells.clone(),
        })
        .collect();
    Ok(Reply::Preview(Box::new(Preview {
        encoding: read.reading.map(|r| r.encoding),
        delimiter: read.reading.map(|r| r.format.delimiter),
        quote: read.reading.map(|r| r.format.quote),
        header: read.header,
        sheets: read.sheets.clone(),
        sheet: read.sheet_name.clone(),
        total: read.data().len() as u32,
        headers,
        rows,
        suggested,
        layout,
    })))
}
