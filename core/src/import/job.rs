//! An import as the device keeps it while the user goes through it (the job: what was
//! chosen at each step, how far the writing got), and the messages between the app and the
//! import's worker. Stored and sent shapes: fields may only be added.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::encoding::TextEncoding;
use super::mapping::Target;
use super::plan::DuplicateMode;
use super::rows::{Defaults, Problem};
use super::table::Cell;

/// What the file is, from its name (or a paste).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// Delimited text: .csv, .txt, .tsv.
    Text,
    /// A spreadsheet: .xlsx, .xls, .ods.
    Spreadsheet,
    /// Rows pasted from a spreadsheet (tab-separated text).
    Paste,
}

impl SourceFormat {
    /// The format of a file by its name's extension; `None` for one the import cannot read.
    pub fn of_file_name(name: &str) -> Option<SourceFormat> {
        let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "csv" | "txt" | "tsv" => Some(SourceFormat::Text),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(SourceFormat::Spreadsheet),
            _ => None,
        }
    }
}

/// How a text file is read, as the user set it; `None` leaves it to detection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingChoice {
    pub encoding: Option<TextEncoding>,
    pub delimiter: Option<u8>,
    /// `Some(None)`: no quoting.
    pub quote: Option<Option<u8>>,
    pub header: Option<bool>,
}

/// The step of the guided flow the import is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Reading,
    Mapping,
    Review,
    Writing,
    Done,
    Cancelled,
}

/// A cell the user corrected in the review: `text` replaces what the file had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub line: u32,
    pub column: usize,
    pub text: String,
}

/// How many rows came out how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub created: u32,
    pub updated: u32,
    /// Matched a record that already had every value.
    pub unchanged: u32,
    pub skipped: u32,
    pub failed: u32,
}

/// An import on the device, from choosing the file to its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportJob {
    pub id: Uuid,
    pub user_id: String,
    pub file_name: String,
    pub format: SourceFormat,
    pub step: Step,
    #[serde(default)]
    pub reading: ReadingChoice,
    /// The spreadsheet's sheet (the first when unset).
    #[serde(default)]
    pub sheet: Option<String>,
    /// One per column; empty until the mapping step suggests one.
    #[serde(default)]
    pub mapping: Vec<Target>,
    #[serde(default)]
    pub defaults: Defaults,
    pub mode: DuplicateMode,
    /// Lines the user left out in the review.
    #[serde(default)]
    pub left_out: Vec<u32>,
    #[serde(default)]
    pub fixes: Vec<Fix>,
    /// Rows of the plan written so far (the writing resumes there).
    #[serde(default)]
    pub written: u32,
    /// Rows the plan holds (0 before the writing starts).
    #[serde(default)]
    pub planned: u32,
    #[serde(default)]
    pub counts: Counts,
    pub started_ms: u64,
    #[serde(default)]
    pub finished_ms: Option<u64>,
}

/// What the app asks the import's worker. Every request names its job (kept in the
/// device's database, with the file), so the worker works from what is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Read the job's file as its reading says (detecting what is unset): the preview.
    Read { import_id: Uuid },
    /// Prepare and match every row as the job's mapping, defaults and mode say: the review.
    Review { import_id: Uuid },
    /// Write the import (or go on writing it), reporting progress.
    Write { import_id: Uuid },
    /// Stop writing after the chunk being written.
    Cancel { import_id: Uuid },
    /// The rows that were not imported, as a CSV of the original columns plus a reason.
    NotImported { import_id: Uuid },
    /// Undo the import.
    Revert { import_id: Uuid, user_id: String },
    /// Export records: a file to save.
    Export(Box<ExportRequest>),
    /// A report's table as a file to save.
    ExportTable(Box<TableExport>),
    /// Find duplicates among every record on the device.
    Duplicates,
    /// Read the records "Find duplicates" looks through ahead of it (the worker keeps what
    /// it read for the page's life; a scan then reads only the rows written since).
    PrepareDuplicates,
}

/// The file an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

/// What to export: which records (in this order), which columns, as which file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRequest {
    pub ids: Vec<String>,
    /// `None`: every field (`export::default_columns`).
    pub columns: Option<Vec<super::export::ExportColumn>>,
    pub format: ExportFormat,
    pub csv: super::export::CsvOptions,
    pub options: super::export::ExportOptions,
    /// The file's name without its extension.
    pub name: String,
    /// When the export was made (`YYYY-MM-DDTHH:MM:SS`, UTC): the workbook's creation time.
    pub created: String,
}

/// A table (a report's) as a file: its header and rows of typed cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableExport {
    pub header: Vec<String>,
    pub rows: Vec<Vec<super::table::Cell>>,
    pub format: ExportFormat,
    pub csv: super::export::CsvOptions,
    /// The file's name without its extension.
    pub name: String,
    /// When it was made (`YYYY-MM-DDTHH:MM:SS`, UTC): the workbook's creation time.
    pub created: String,
}

/// The preview of a file as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// For text: the reading used (detected where the job left it unset).
    pub encoding: Option<TextEncoding>,
    pub delimiter: Option<u8>,
    pub quote: Option<Option<u8>>,
    pub header: bool,
    /// For spreadsheets: the sheets, and the one read.
    pub sheets: Vec<String>,
    pub sheet: Option<String>,
    /// The header row's cells (or "Column 1", … when there is none).
    pub headers: Vec<String>,
    /// The first rows after the header.
    pub rows: Vec<PreviewRow>,
    /// Rows after the header.
    pub total: u32,
    /// The mapping suggested for these headers (or remembered for this layout).
    pub suggested: Vec<Target>,
    pub layout: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub line: u32,
    pub cells: Vec<Cell>,
}

/// What a row will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Create,
    Update,
    Unchanged,
    Skip,
    Fail,
}

/// One row of the review: as it will be stored, its problems, the record it matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub line: u32,
    pub outcome: Outcome,
    /// The row's cells after fixes (the columns of the file).
    pub cells: Vec<Cell>,
    /// The values as they will be stored, by field.
    pub values: Vec<(String, serde_json::Value)>,
    pub problems: Vec<Problem>,
    /// The record a duplicate row matches: its id and display name, and the key.
    pub matches: Option<Match>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub id: Option<Uuid>,
    /// The file's line of the earlier row it repeats, when it repeats one.
    pub line: Option<u32>,
    pub name: String,
    /// What matched, as the user reads it: "phone +48601234567".
    pub key: String,
}

/// The review of a whole file: the counts, and the rows to show (the first ones and every
/// row with a problem or a match, up to a bound).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub counts: Counts,
    pub rows: Vec<ReviewRow>,
    /// Rows with problems or matches beyond those shown.
    pub more: u32,
}

/// A row that was not imported, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotImported {
    pub line: u32,
    pub column: Option<String>,
    pub value: String,
    pub reason: String,
}

/// What the worker answers (or tells while it writes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Preview(Box<Preview>),
    Review(Box<Review>),
    /// Written so far, of the plan's rows.
    Progress {
        done: u32,
        total: u32,
    },
    /// The writing (or revert) ended: finished, or stopped by a Cancel.
    Finished {
        counts: Counts,
        cancelled: bool,
        kept: Vec<String>,
    },
    /// A file to save (its bytes travel beside the message).
    File {
        name: String,
        mime: String,
    },
    /// The request was taken (a cancel: the writing stops after its chunk).
    Accepted,
    /// The duplicates found.
    Duplicates(Box<crate::duplicates::Found>),
    /// The request failed; nothing was written past the last progress.
    Failed {
        message: String,
    },
}

/// The status an import's history entry shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Done,
    Cancelled,
    Reverted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Done => "done",
            Status::Cancelled => "cancelled",
            Status::Reverted => "reverted",
        }
    }
}

fn counts_writes(counts: &Counts) -> Vec<(String, serde_json::Value)> {
    use serde_json::json;
    vec![
        ("created".into(), json!(counts.created)),
        ("updated".into(), json!(counts.updated)),
        ("unchanged".into(), json!(counts.unchanged)),
        ("skipped".into(), json!(counts.skipped)),
        ("failed".into(), json!(counts.failed)),
    ]
}

impl ImportJob {
    /// The writes that enter the import in the team's import history (its `import` row,
    /// id = the import's id) when the writing starts: who, when, the file, the layout and
    /// mapping (remembered for the next file of this layout), how many rows.
    pub fn history_start(
        &self,
        started_at: &str,
        headers: &[String],
        layout: &str,
    ) -> Vec<(String, serde_json::Value)> {
        use serde_json::json;
        let format = match self.format {
            SourceFormat::Text => "text",
            SourceFormat::Spreadsheet => "spreadsheet",
            SourceFormat::Paste => "paste",
        };
        let mut writes = vec![
            ("file_name".to_owned(), json!(self.file_name)),
            ("format".to_owned(), json!(format)),
            ("user_id".to_owned(), json!(self.user_id)),
            ("started_at".to_owned(), json!(started_at)),
            ("status".to_owned(), json!(Status::Running.as_str())),
            ("rows".to_owned(), json!(self.planned)),
            ("layout".to_owned(), json!(layout)),
            ("headers".to_owned(), json!(headers)),
            ("mapping".to_owned(), json!(self.mapping)),
            ("defaults".to_owned(), json!(self.defaults)),
            ("settings".to_owned(), json!({"mode": self.mode})),
        ];
        writes.extend(counts_writes(&Counts::default()));
        writes
    }

    /// The writes that close the import's history entry: its status, counts and end.
    pub fn history_end(&self, status: Status, at: &str) -> Vec<(String, serde_json::Value)> {
        use serde_json::json;
        let mut writes = vec![("status".to_owned(), json!(status.as_str()))];
        writes.extend(counts_writes(&self.counts));
        writes.push(("finished_at".to_owned(), json!(at)));
        writes
    }
}

/// The writes that mark an import's history entry reverted, by whom and when.
pub fn history_reverted(user_id: &str, at: &str) -> Vec<(String, serde_json::Value)> {
    use serde_json::json;
    vec![
        ("status".to_owned(), json!(Status::Reverted.as_str())),
        ("reverted_by".to_owned(), json!(user_id)),
        ("reverted_at".to_owned(), json!(at)),
    ]
}
