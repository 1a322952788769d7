//! What each column of a sheet goes into, suggested from its header.

use serde::{Deserialize, Serialize};

/// What one column's cells are imported into.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Target {
    Skip,
    /// A standard contact field typed as text: `record::TEXT_FIELDS`, `note`, `kind`.
    Field { field: String },
    /// A custom field by its `field_def` key.
    Custom { key: String },
    /// A phone of this type (`schema::PHONE_TYPES`); a cell may hold several numbers.
    Phone { kind: String },
    /// One or more e-mail addresses.
    Email,
    /// Tags, comma-separated.
    Tags,
    /// Segment names, comma-separated: membership in each.
    Segments,
    /// Campaign names, comma-separated: membership in each.
    Campaigns,
    /// A user by name or e-mail.
    Owner,
    /// A stage by name.
    Stage,
    /// A category by name.
    Category,
}

/// A settings row or user, found by any of its names (case and diacritics folded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub names: Vec<String>,
}

/// A custom field as the import checks its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomDef {
    pub key: String,
    pub name: String,
    /// `input::CustomType::as_str`.
    pub kind: String,
    pub options: Vec<String>,
}

/// The team's settings an import reads names and rules from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    pub default_country: String,
    pub custom: Vec<CustomDef>,
    pub users: Vec<Named>,
    pub stages: Vec<Named>,
    pub categories: Vec<Named>,
    pub segments: Vec<Named>,
    pub campaigns: Vec<Named>,
}
