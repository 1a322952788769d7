//! Spreadsheet files in and out, for the import and the export: XLSX, XLS and ODS read
//! into core's typed cells ([`read_sheet`], with calamine), and XLSX written from them
//! ([`write_xlsx`], with rust_xlsxwriter). Pure like core: bytes in, bytes out, no clock.

mod error;
mod read;
mod write;

pub use error::SheetError;
pub use read::{read_sheet, sheet_names};
pub use write::{write_xlsx, write_xlsx_created};
