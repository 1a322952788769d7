//! What a column can be imported into, as the mapping's pickers offer it: each target's
//! option value, its name in the user's words, and the value a row will store for it
//! (for the review).

use minicrm_core::import::mapping::{Target, standard_fields};
use minicrm_core::schema::PHONE_TYPES;
use serde_json::Value;

use crate::data::Index;
use crate::t;

/// A target as a `<select>` option's value.
pub fn key(target: &Target) -> String {
    match target {
        Target::Skip => "skip".to_owned(),
        Target::Field { field } => format!("field:{field}"),
        Target::Custom { key } => format!("custom:{key}"),
        Target::Phone { kind } => format!("phone:{kind}"),
        Target::Email => "email".to_owned(),
        Target::Tags => "tags".to_owned(),
        Target::Segments => "segments".to_owned(),
        Target::Campaigns => "campaigns".to_owned(),
        Target::Owner => "owner".to_owned(),
        Target::Stage => "stage".to_owned(),
        Target::Category => "category".to_owned(),
    }
}

/// The target an option's value stands for.
pub fn parse(value: &str) -> Option<Target> {
    if let Some((family, name)) = value.split_once(':') {
        let name = name.to_owned();
        return match family {
            "field" => Some(Target::Field { field: name }),
            "custom" => Some(Target::Custom { key: name }),
            "phone" => Some(Target::Phone { kind: name }),
            _ => None,
        };
    }
    Some(match value {
        "skip" => Target::Skip,
        "email" => Target::Email,
        "tags" => Target::Tags,
        "segments" => Target::Segments,
        "campaigns" => Target::Campaigns,
        "owner" => Target::Owner,
        "stage" => Target::Stage,
        "category" => Target::Category,
        _ => return None,
    })
}

/// A group of options: its label and (value, name) pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub label: String,
    pub options: Vec<(String, String)>,
}

/// Every target, grouped for the picker: standard fields, custom fields (from the
/// settings), phones of each type, and the rest.
pub fn groups(index: &Index) -> Vec<Group> {
    let option = |target: Target, name: String| (key(&target), name);
    let standard = standard_fields()
        .map(|field| {
            let name = t!(&format!("label-{field}"));
            option(
                Target::Field {
                    field: field.to_owned(),
                },
                name,
            )
        })
        .collect();
    let custom = index
        .field_defs()
        .into_iter()
        .map(|def| option(Target::Custom { key: def.key }, def.name))
        .collect();
    let phones = PHONE_TYPES
        .iter()
        .map(|kind| {
            let name = t!(
                "import-target-phone",
                kind = t!(&format!("phone-type-{kind}"))
            );
            option(
                Target::Phone {
                    kind: (*kind).to_owned(),
                },
                name,
            )
        })
        .collect();
    let other = [
        Target::Email,
        Target::Tags,
        Target::Segments,
        Target::Campaigns,
        Target::Owner,
        Target::Stage,
        Target::Category,
    ]
    .into_iter()
    .map(|target| {
        let name = name(&target, index);
        option(target, name)
    })
    .collect();
    vec![
        Group {
            label: t!("import-targets-standard"),
            options: standard,
        },
        Group {
            label: t!("import-targets-custom"),
            options: custom,
        },
        Group {
            label: t!("import-targets-phones"),
            options: phones,
        },
        Group {
            label: t!("import-targets-other"),
            options: other,
        },
    ]
    .into_iter()
    .filter(|group| !group.options.is_empty())
    .collect()
}

/// A target's name in the user's words.
pub fn name(target: &Target, index: &Index) -> String {
    match target {
        Target::Skip => t!("import-target-skip"),
        Target::Field { field } => t!(&format!("label-{field}")),
        Target::Custom { key } => index
            .field_defs()
            .into_iter()
            .find(|def| def.key == *key)
            .map_or_else(|| key.clone(), |def| def.name),
        Target::Phone { kind } => t!(
            "import-target-phone",
            kind = t!(&format!("phone-type-{kind}"))
        ),
        Target::Email => t!("import-target-email"),
        Target::Tags => t!("import-target-tags"),
        Target::Segments => t!("import-target-segments"),
        Target::Campaigns => t!("import-target-campaigns"),
        Target::Owner => t!("import-target-owner"),
        Target::Stage => t!("import-target-stage"),
        Target::Category => t!("import-target-category"),
    }
}

/// What the settings call the things a target names (for "no such … in the settings").
pub fn named_thing(target: &Target) -> String {
    let key = match target {
        Target::Owner => "import-named-user",
        Target::Stage => "import-named-stage",
        Target::Category => "import-named-category",
        Target::Segments => "import-named-segment",
        Target::Campaigns => "import-named-campaign",
        _ => "import-named-other",
    };
    t!(key)
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Bool(true) => t!("value-yes"),
        Value::Bool(false) => t!("value-no"),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// What a column's target will store for a row, as text, from the row's values (`None`:
/// the row writes nothing for it).
pub fn stored_text(target: &Target, values: &[(String, Value)], index: &Index) -> Option<String> {
    let get = |field: &str| {
        values
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value)
    };
    let named = |entity: &str, field: &str| {
        get(field)
            .and_then(Value::as_str)
            .map(|id| index.name_of(entity, id).unwrap_or_else(|| id.to_owned()))
    };
    let members = |prefix: &str, entity: &str| {
        let names: Vec<String> = values
            .iter()
            .filter(|(_, value)| *value == Value::Bool(true))
            .filter_map(|(field, _)| field.strip_prefix(prefix))
            .map(|id| index.name_of(entity, id).unwrap_or_else(|| id.to_owned()))
            .collect();
        (!names.is_empty()).then(|| names.join(", "))
    };
    let text = match target {
        Target::Skip => return None,
        Target::Field { field } if field == "kind" => get("kind")
            .and_then(Value::as_str)
            .map(|kind| t!(&format!("kind-{kind}"))),
        Target::Field { field } => get(field).map(text_of),
        Target::Custom { key } => get(&format!("custom.{key}")).map(text_of),
        Target::Phone { kind } => get("phones").and_then(Value::as_array).map(|phones| {
            phones
                .iter()
                .filter(|phone| phone.get("type").and_then(Value::as_str) == Some(kind))
                .filter_map(|phone| phone.get("number").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(", ")
        }),
        Target::Email => get("emails").map(text_of),
        Target::Tags => get("tags").map(text_of),
        Target::Segments => members("segment:", "segment"),
        Target::Campaigns => members("campaign:", "campaign"),
        Target::Owner => named("user", "owner_id"),
        Target::Stage => named("stage", "stage_id"),
        Target::Category => named("category", "category_id"),
    };
    text.filter(|text| !text.is_empty())
}
