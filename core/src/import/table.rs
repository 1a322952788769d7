//! What every reader yields: a sheet of rows of cells, each row with the line of the file
//! it started on (the import's report names it).

use serde::{Deserialize, Serialize};

/// One cell as read. Text files give only [`Cell::Text`] and [`Cell::Empty`]; spreadsheets
/// keep their types (a date stays a date, a number a number; a formula gives its cached
/// value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A calendar date, `YYYY-MM-DD`.
    Date(String),
    /// A date and time without zone, `YYYY-MM-DDTHH:MM:SS`.
    DateTime(String),
    /// A spreadsheet error value such as `#N/A`.
    Error(String),
}

impl Cell {
    /// Whether the cell holds nothing (empty, or text of only whitespace).
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, the way a person would type it: numbers without a trailing `.0`,
    /// dates as `YYYY-MM-DD`, booleans as `true`/`false`, empty as "".
    pub fn as_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) | Cell::Date(text) | Cell::DateTime(text) | Cell::Error(text) => {
                text.clone()
            }
            Cell::Number(n) => number_text(*n),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

/// A number as text: whole numbers without a fraction (`48123456789`, not `4.8e10`).
pub fn number_text(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// One row: the line of the file it starts on (1-based; a spreadsheet's row number) and
/// its cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub line: u32,
    pub cells: Vec<Cell>,
}

/// A whole table as read: every row, the header (if any) included as the first.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Row>,
}

impl Sheet {
    /// The number of columns: the widest row's.
    pub fn width(&self) -> usize {
        self.rows
            .iter()
            .map(|row| row.cells.len())
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_as_text() {
        assert_eq!(Cell::Number(48123456789.0).as_text(), "48123456789");
        assert_eq!(Cell::Number(1.5).as_text(), "1.5");
        assert_eq!(Cell::Date("2026-12-01".into()).as_text(), "2026-12-01");
        assert_eq!(Cell::Empty.as_text(), "");
        assert!(Cell::Text("  ".into()).is_blank());
        assert!(!Cell::Number(0.0).is_blank());
    }
}
