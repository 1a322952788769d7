//! Settings rows as the UI uses them: named lists in their order, custom field
//! definitions, pipelines with their stages, the team's default phone country.

use minicrm_core::access::{Actor, RowScope, check_write};
use minicrm_core::input::CustomType;
use minicrm_core::phone::FALLBACK_COUNTRY;
use minicrm_core::report::{OutcomeDef, default_zone};
use minicrm_core::schema::{CONFIG_ID, Entity};
use serde_json::Value;

use super::Index;

/// A choice in a list: id and name.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub id: String,
    pub name: String,
}

/// A custom field as defined in the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub id: String,
    pub key: String,
    pub name: String,
    pub kind: CustomType,
    pub options: Vec<String>,
}

/// A pipeline (module) with its stages in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub id: Option<String>,
    pub name: String,
    pub stages: Vec<Choice>,
}

impl Index {
    /// The live (not deleted) rows of `entity` in their set order, then by name.
    pub fn ordered(&self, entity: &str) -> Vec<&super::SettingRow> {
        let mut rows: Vec<_> = self.rows(entity).filter(|row| !row.deleted()).collect();
        rows.sort_by(|a, b| {
            a.position()
                .total_cmp(&b.position())
                .then_with(|| a.name().to_lowercase().cmp(&b.name().to_lowercase()))
        });
        rows
    }

    pub fn choices(&self, entity: &str) -> Vec<Choice> {
        self.ordered(entity)
            .into_iter()
            .map(|row| Choice {
                id: row.id.clone(),
                name: row.name().to_owned(),
            })
            .collect()
    }

    /// The name of a row of `entity` (deleted rows keep their name).
    pub fn name_of(&self, entity: &str, id: &str) -> Option<String> {
        self.row(entity, id).map(|row| row.name().to_owned())
    }

    pub fn field_defs(&self) -> Vec<FieldDef> {
        self.ordered("field_def")
            .into_iter()
            .filter_map(|row| {
                Some(FieldDef {
                    id: row.id.clone(),
                    key: row.str("key").to_owned(),
                    name: row.name().to_owned(),
                    kind: CustomType::parse(row.str("type"))?,
                    options: row.strings("options"),
                })
            })
            .filter(|def| !def.key.is_empty())
            .collect()
    }

    /// Pipelines in order with their stages; stages without a (live) pipeline come last
    /// under a pipeline without id.
    pub fn pipelines(&self) -> Vec<Pipeline> {
        let stages = self.ordered("stage");
        let mut pipelines: Vec<Pipeline> = self
            .ordered("module")
            .into_iter()
            .map(|module| Pipeline {
                id: Some(module.id.clone()),
                name: module.name().to_owned(),
                stages: Vec::new(),
            })
            .collect();
        let mut loose = Vec::new();
        for stage in stages {
            let choice = Choice {
                id: stage.id.clone(),
                name: stage.name().to_owned(),
            };
            match pipelines
                .iter_mut()
                .find(|p| p.id.as_deref() == Some(stage.str("module_id")))
            {
                Some(pipeline) => pipeline.stages.push(choice),
                None => loose.push(choice),
            }
        }
        if !loose.is_empty() {
            pipelines.push(Pipeline {
                id: None,
                name: String::new(),
                stages: loose,
            });
        }
        pipelines
    }

    /// Every stage as one choice, named "Pipeline: Stage".
    pub fn stage_choices(&self) -> Vec<Choice> {
        self.pipelines()
            .into_iter()
            .flat_map(|pipeline| {
                let prefix = pipeline.name;
                pipeline.stages.into_iter().map(move |stage| Choice {
                    id: stage.id,
                    name: if prefix.is_empty() {
                        stage.name
                    } else {
                        format!("{prefix}: {}", stage.name)
                    },
                })
            })
            .collect()
    }

    /// The users `actor` may make a contact's owner (the server decides; this mirrors
    /// core's rule so the app offers nothing it would refuse).
    pub fn assignable_owners(&self, actor: Option<&Actor>) -> Vec<Choice> {
        self.users()
            .into_iter()
            .filter(|user| {
                actor.is_some_and(|actor| {
                    check_write(
                        actor,
                        Entity::Contact,
                        &RowScope::Owned { owner: None },
                        "owner_id",
                        &Value::String(user.id.clone()),
                        None,
                    )
                    .is_ok()
                })
            })
            .collect()
    }

    /// Active users by name: (id, name).
    pub fn users(&self) -> Vec<Choice> {
        let mut users: Vec<Choice> = self
            .rows("user")
            .filter(|row| row.values.get("active") != Some(&Value::Bool(false)))
            .map(|row| Choice {
                id: row.id.clone(),
                name: row.name().to_owned(),
            })
            .collect();
        users.sort_by_key(|user| user.name.to_lowercase());
        users
    }

    /// The call outcomes in order, as the reports count them.
    pub fn outcome_defs(&self) -> Vec<(Choice, OutcomeDef)> {
        self.ordered("outcome")
            .into_iter()
            .filter_map(|row| {
                let def = OutcomeDef {
                    id: uuid::Uuid::parse_str(&row.id).ok()?,
                    connected: row.bool("connected"),
                };
                let choice = Choice {
                    id: row.id.clone(),
                    name: row.name().to_owned(),
                };
                Some((choice, def))
            })
            .collect()
    }

    /// The team's time zone (IANA name): the setting, else its default country's zone.
    pub fn time_zone(&self) -> String {
        let chosen = self
            .row("config", CONFIG_ID)
            .map(|row| row.str("time_zone").trim().to_owned())
            .unwrap_or_default();
        if chosen.is_empty() {
            default_zone(&self.default_country()).to_owned()
        } else {
            chosen
        }
    }

    /// The team's default phone country (two letters).
    pub fn default_country(&self) -> String {
        let chosen = self
            .row("config", CONFIG_ID)
            .map(|row| row.str("default_country").to_owned())
            .unwrap_or_default();
        if chosen.is_empty() {
            FALLBACK_COUNTRY.to_owned()
        } else {
            chosen
        }
    }
}
