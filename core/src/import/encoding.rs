//! Which character set a text file is in, and its text.

use serde::{Deserialize, Serialize};

/// The encodings a text file is read in (and a CSV export written in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    #[serde(rename = "windows-1250")]
    Windows1250,
    #[serde(rename = "iso-8859-2")]
    Iso8859_2,
    #[serde(rename = "windows-1252")]
    Windows1252,
    #[serde(rename = "cp852")]
    Cp852,
}
