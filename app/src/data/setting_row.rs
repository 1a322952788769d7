//! A settings row as the replica keeps it (the named lists, pipelines, field definitions,
//! views, the user directory, the config row).

use std::collections::BTreeMap;

use serde_json::Value;

/// A small row kept whole: its shown values without HLCs.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingRow {
    pub id: String,
    pub values: BTreeMap<String, Value>,
    /// Has edits the server has not acknowledged yet.
    pub pending: bool,
}

impl SettingRow {
    pub fn str(&self, field: &str) -> &str {
        self.values
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The strings of a list field (other items skipped); empty for anything else.
    pub fn strings(&self, field: &str) -> Vec<String> {
        let items = self.values.get(field).and_then(Value::as_array);
        let texts = items.into_iter().flatten().filter_map(Value::as_str);
        texts.map(str::to_owned).collect()
    }

    pub fn bool(&self, field: &str) -> bool {
        self.values.get(field).and_then(Value::as_bool) == Some(true)
    }

    pub fn name(&self) -> &str {
        self.str("name")
    }

    pub fn position(&self) -> f64 {
        self.values
            .get("position")
            .and_then(Value::as_f64)
            .unwrap_or(f64::MAX)
    }

    pub fn deleted(&self) -> bool {
        self.bool("deleted")
    }
}
