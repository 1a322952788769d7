//! One error type for reading and writing spreadsheets.

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
