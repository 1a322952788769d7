//! The team's settings an import reads names and rules from, as the device holds them.

use minicrm_core::import::mapping::{Context, CustomDef, Named};
use minicrm_core::merge::Fields;
use minicrm_core::phone::FALLBACK_COUNTRY;
use minicrm_core::schema::{CONFIG_ID, Entity};
use serde_json::Value;

use crate::device::{storage, storage_error};

fn text<'f>(fields: &'f Fields, name: &str) -> &'f str {
    fields
        .get(name)
        .and_then(|state| state.value.as_str())
        .unwrap_or_default()
}

fn deleted(fields: &Fields) -> bool {
    fields.get("deleted").and_then(|s| s.value.as_bool()) == Some(true)
}

/// The live rows of `entity`: (id, shown fields).
async fn live(entity: Entity) -> Result<Vec<(String, Fields)>, String> {
    let rows = storage()
        .await?
        .rows_of(entity.as_str())
        .await
        .map_err(storage_error)?;
    Ok(rows
        .into_iter()
        .map(|row| (row.id.clone(), row.shown()))
        .filter(|(_, fields)| !deleted(fields))
        .collect())
}

/// Rows of a named list (stages, categories, segments, campaigns) by their name.
async fn named(entity: Entity) -> Result<Vec<Named>, String> {
    Ok(live(entity)
        .await?
        .into_iter()
        .map(|(id, fields)| Named {
            id,
            names: vec![text(&fields, "name").to_owned()],
        })
        .collect())
}

/// The settings as the device holds them now.
pub async fn load() -> Result<Context, String> {
    let config = live(Entity::Config).await?;
    let default_country = config
        .iter()
        .find(|(id, _)| id == CONFIG_ID)
        .map(|(_, fields)| text(fields, "default_country").to_owned())
        .filter(|country| !country.is_empty())
        .unwrap_or_else(|| FALLBACK_COUNTRY.to_owned());
    let custom = live(Entity::FieldDef)
        .await?
        .into_iter()
        .filter(|(_, fields)| !text(fields, "key").is_empty())
        .map(|(_, fields)| CustomDef {
            key: text(&fields, "key").to_owned(),
            name: text(&fields, "name").to_owned(),
            kind: text(&fields, "type").to_owned(),
            options: fields
                .get("options")
                .and_then(|state| state.value.as_array())
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let users = live(Entity::User)
        .await?
        .into_iter()
        .map(|(id, fields)| Named {
            id,
            names: vec![
                text(&fields, "name").to_owned(),
                text(&fields, "email").to_owned(),
            ],
        })
        .collect();
    Ok(Context {
        default_country,
        custom,
        users,
        stages: named(Entity::Stage).await?,
        categories: named(Entity::Category).await?,
        segments: named(Entity::Segment).await?,
        campaigns: named(Entity::Campaign).await?,
    })
}
