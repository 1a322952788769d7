//! A row of a sheet as a record's values, with the problems found in its cells.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Values every imported row gets (a column's own value wins for single fields; lists are
/// joined).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Defaults {
    pub owner_id: Option<String>,
    pub stage_id: Option<String>,
    pub category_id: Option<String>,
    pub source: Option<String>,
    pub segments: Vec<String>,
    pub campaigns: Vec<String>,
    pub tags: Vec<String>,
}

/// Why a cell (or a row) cannot be imported as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RowError {
    /// A field rule refused the value: its code and its English message.
    Field(String, String),
    /// No user, stage, category, segment or campaign has this name.
    UnknownName,
    /// The row has no name (see `contact::check_name`).
    NameRequired,
    /// More values than the field takes.
    TooManyValues,
}

/// One problem of a row: where (`column` `None`: the row as a whole), the value, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub column: Option<usize>,
    pub value: String,
    pub error: RowError,
}

/// A row ready to write: the contact fields it sets, and its problems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    pub line: u32,
    pub values: Vec<(String, Value)>,
    pub problems: Vec<Problem>,
}
