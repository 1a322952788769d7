//! A team's list in and out (PROTOCOL.md has nothing to say here: an import is ordinary
//! edits): the bytes of a file or a paste read into a [`table::Sheet`] of cells, each
//! column mapped to a field, each row turned into a record's values with its problems,
//! matched against the device's records and the file's other rows, and planned as the
//! writes that create, update or revert records; and records written back out as cells.
//!
//! Pure like the rest of core: the app's worker feeds it bytes and the device's rows, and
//! stores what it plans.
//!
//! Modules: `table` (cells, rows, sheets: what every reader yields), `encoding` (which
//! character set a text file is in, and its text), `csv` (delimited text: parsing and
//! guessing the delimiter, quote and header), `mapping` (what each column goes into,
//! suggested from its header), `rows` (a row as a record's values, with problems),
//! `matching` (duplicates by phone, e-mail and identifiers), `plan` (creates, updates,
//! reverts), `job` (an import on the device, and the messages to and from its worker),
//! `export` (a record's cells for export columns, CSV writing, formula neutralization).

pub mod csv;
pub mod encoding;
pub mod export;
pub mod job;
pub mod mapping;
pub mod matching;
pub mod plan;
pub mod rows;
pub mod table;
