//! The filter bar's vocabulary: which fields can be filtered, with which operators and
//! which kind of value, and how a condition reads as words.

use leptos::prelude::*;
use minicrm_core::input::CustomType;
use minicrm_core::query::{Condition, Op};
use serde_json::Value;

use crate::data::Index;
use crate::data::settings::Choice;
use crate::t;

/// What kind of value a filter field takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// One of these choices (ids or option texts); `nobody` adds a "nobody/none" choice.
    Choice {
        choices: Vec<Choice>,
        nobody: bool,
    },
    Text,
    Number,
    Date,
    YesNo,
    /// No value (for example "records where I have an open task").
    Flag,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FilterField {
    pub field: String,
    pub label: String,
    pub ops: Vec<Op>,
    pub value: ValueKind,
}

const TEXT_OPS: &[Op] = &[Op::Contains, Op::Is, Op::IsNot, Op::Empty, Op::NotEmpty];
const CHOICE_OPS: &[Op] = &[Op::Is, Op::IsNot, Op::Empty, Op::NotEmpty];
const LIST_OPS: &[Op] = &[Op::Contains, Op::Empty, Op::NotEmpty];
const NUMBER_OPS: &[Op] = &[Op::Is, Op::From, Op::Until, Op::Empty, Op::NotEmpty];
const DATE_OPS: &[Op] = &[Op::From, Op::Until, Op::Is, Op::Empty, Op::NotEmpty];

fn field(field: &str, ops: &[Op], value: ValueKind) -> FilterField {
    FilterField {
        field: field.into(),
        label: crate::i18n::message(&format!("filter-field-{field}"), &[]),
        ops: ops.to_vec(),
        value,
    }
}

fn choices(index: &Index, entity: &str) -> ValueKind {
    ValueKind::Choice {
        choices: index.choices(entity),
        nobody: false,
    }
}

/// Every field a user can filter on, standard first, then custom fields.
pub fn filter_fields(index: &Index) -> Vec<FilterField> {
    let stages = index.stage_choices();
    let mut fields = vec![
        field("segment", CHOICE_OPS, choices(index, "segment")),
        field("campaign", CHOICE_OPS, choices(index, "campaign")),
        field(
            "owner_id",
            CHOICE_OPS,
            ValueKind::Choice {
                choices: index.users(),
                nobody: true,
            },
        ),
        field(
            "stage_id",
            CHOICE_OPS,
            ValueKind::Choice {
                choices: stages,
                nobody: false,
            },
        ),
        field("category_id", CHOICE_OPS, choices(index, "category")),
        field(
            "kind",
            &[Op::Is],
            ValueKind::Choice {
                choices: ["person", "company"]
                    .into_iter()
                    .map(|kind| Choice {
                        id: kind.into(),
                        name: t!(&format!("kind-{kind}")),
                    })
                    .collect(),
                nobody: false,
            },
        ),
        field("modified", &[Op::From, Op::Until], ValueKind::Date),
        field("phone", LIST_OPS, ValueKind::Text),
        field("email", LIST_OPS, ValueKind::Text),
    ];
    for text in [
        "first_name",
        "last_name",
        "company",
        "position",
        "city",
        "postal_code",
        "address_line1",
        "address_line2",
        "region",
        "country",
        "source",
        "nip",
        "pesel",
        "regon",
    ] {
        fields.push(field(text, TEXT_OPS, ValueKind::Text));
    }
    fields.push(field("tag", LIST_OPS, ValueKind::Text));
    for def in index.field_defs() {
        let (ops, value) = match def.kind {
            CustomType::Text => (TEXT_OPS, ValueKind::Text),
            CustomType::Number => (NUMBER_OPS, ValueKind::Number),
            CustomType::Date => (DATE_OPS, ValueKind::Date),
            CustomType::Choice | CustomType::MultiChoice => (
                CHOICE_OPS,
                ValueKind::Choice {
                    choices: def
                        .options
                        .iter()
                        .map(|option| Choice {
                            id: option.clone(),
                            name: option.clone(),
                        })
                        .collect(),
                    nobody: false,
                },
            ),
            CustomType::YesNo => (&[Op::Is, Op::Empty][..], ValueKind::YesNo),
        };
        fields.push(FilterField {
            field: format!("custom.{}", def.key),
            label: def.name.clone(),
            ops: ops.to_vec(),
            value,
        });
    }
    fields
}

/// The "nobody" / "none" option of a select over choices (value `-`), selected while
/// `selected` returns `-`.
pub fn nobody_option(selected: impl Fn() -> String + Send + Sync + 'static) -> impl IntoView {
    view! { <option value="-" prop:selected=move || selected() == "-">{t!("filter-nobody")}</option> }
}

pub fn op_name(op: Op) -> &'static str {
    match op {
        Op::Is => "is",
        Op::IsNot => "is_not",
        Op::Contains => "contains",
        Op::Empty => "empty",
        Op::NotEmpty => "not_empty",
        Op::From => "from",
        Op::Until => "until",
    }
}

pub fn op_from_name(name: &str) -> Option<Op> {
    [
        Op::Is,
        Op::IsNot,
        Op::Contains,
        Op::Empty,
        Op::NotEmpty,
        Op::From,
        Op::Until,
    ]
    .into_iter()
    .find(|op| op_name(*op) == name)
}

pub fn op_label(op: Op) -> String {
    crate::i18n::message(&format!("filter-op-{}", op_name(op)), &[])
}

pub fn takes_value(op: Op) -> bool {
    !matches!(op, Op::Empty | Op::NotEmpty)
}

/// A condition as words: "City contains Kra".
pub fn describe(condition: &Condition, fields: &[FilterField]) -> String {
    if condition.field == "my_open_task" {
        return t!("filter-field-my_open_task");
    }
    let Some(field) = fields.iter().find(|f| f.field == condition.field) else {
        return condition.field.clone();
    };
    if field.value == ValueKind::Flag {
        return field.label.clone();
    }
    let value = match (&field.value, &condition.value) {
        (_, _) if !takes_value(condition.op) => String::new(),
        (ValueKind::Choice { choices, .. }, Value::Null) => {
            let _ = choices;
            t!("filter-nobody")
        }
        (ValueKind::Choice { choices, .. }, Value::String(id)) => choices
            .iter()
            .find(|c| &c.id == id)
            .map_or_else(|| id.clone(), |c| c.name.clone()),
        (ValueKind::YesNo, Value::Bool(true)) => t!("value-yes"),
        (ValueKind::YesNo, Value::Bool(false)) => t!("value-no"),
        (_, Value::String(text)) => text.clone(),
        (_, other) => other.to_string(),
    };
    t!(
        "filter-chip",
        field = field.label.clone(),
        op = op_label(condition.op),
        value = value
    )
    .trim()
    .to_owned()
}
