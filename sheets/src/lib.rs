//! Spreadsheet files in and out, for the import and the export: XLSX, XLS and ODS read
//! into core's typed cells ([`read_sheet`], with calamine), and XLSX written from them
//! ([`write_xlsx`], with rust_xlsxwriter). Pure like core: bytes in, bytes out, no clock.

mod read;
mod write;

pub use read::{read_sheet, sheet_names};
pub use write::{write_xlsx, write_xlsx_created};

/// Why a spreadsheet could not be read or written, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("this file is not a spreadsheet we can read (XLSX, XLS or ODS)")]
    NotASpreadsheet,
    #[error("the spreadsheet is damaged or incomplete ({0})")]
    Damaged(String),
    #[error("the spreadsheet is password protected: save it without a password and try again")]
    PasswordProtected,
    #[error("the spreadsheet has no sheet named {0:?}")]
    NoSuchSheet(String),
    #[error(
        "an XLSX sheet holds at most 1,048,576 rows and 16,384 columns; this export has {rows} rows and {columns} columns"
    )]
    TooLarge { rows: usize, columns: usize },
    #[error("the spreadsheet could not be written ({0})")]
    Write(String),
}
