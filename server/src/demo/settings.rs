//! The demo's settings rows: the default country, segments, campaigns, categories,
//! sources, two pipelines with their stages, call outcomes and custom fields.

use minicrm_core::input::custom_key;
use minicrm_core::schema::CONFIG_ID;
use serde_json::{Value, json};

use super::writer::{DemoError, Writer, new_id};

const CONFIG_ID_ENTITY: &str = "config";

pub(super) struct Settings {
    pub(super) segments: Vec<String>,
    pub(super) campaigns: Vec<String>,
    pub(super) categories: Vec<String>,
    pub(super) sales_stages: Vec<String>,
    pub(super) service_stages: Vec<String>,
    pub(super) sources: Vec<&'static str>,
    /// Call outcomes: (id, asks for a callback).
    pub(super) outcomes: Vec<(String, bool)>,
}

/// Writes one row of `entity` per item, in order: its `name`, the item's other fields, and
/// its `position` in the list. Returns the rows' ids.
fn ordered_rows<'n>(
    w: &mut Writer<'_>,
    entity: &str,
    rows: impl IntoIterator<Item = (&'n str, Vec<(&'static str, Value)>)>,
) -> Result<Vec<String>, DemoError> {
    let mut ids = Vec::new();
    for (position, (name, other)) in rows.into_iter().enumerate() {
        let id = new_id();
        let mut fields = vec![("name", json!(name))];
        fields.extend(other);
        fields.push(("position", json!(position)));
        w.row(entity, &id, &fields)?;
        ids.push(id);
    }
    Ok(ids)
}

/// A named list's rows (segments, campaigns, ...): a name and a position each.
fn named(w: &mut Writer<'_>, entity: &str, names: &[&str]) -> Result<Vec<String>, DemoError> {
    ordered_rows(w, entity, names.iter().map(|name| (*name, Vec::new())))
}

pub(super) fn make_settings(w: &mut Writer<'_>) -> Result<Settings, DemoError> {
    w.row(
        CONFIG_ID_ENTITY,
        CONFIG_ID,
        &[("default_country", json!("PL"))],
    )?;
    let segments = named(
        w,
        "segment",
        &["VIP", "Newsletter", "Trade fair 2026", "Key accounts"],
    )?;
    let campaigns = named(
        w,
        "campaign",
        &["Spring promotion", "Renewals 2027", "Cold calling Q4"],
    )?;
    let categories = named(
        w,
        "category",
        &["Customer", "Prospect", "Partner", "Supplier"],
    )?;
    let sources = ["Website", "Referral", "Trade fair", "Cold call", "LinkedIn"];
    named(w, "source", &sources)?;
    let modules = named(w, "module", &["Sales", "Customer service"])?;
    let stages_of = |w: &mut Writer<'_>, module: &str, names: &[&str]| {
        let module_id = || vec![("module_id", json!(module))];
        ordered_rows(w, "stage", names.iter().map(|name| (*name, module_id())))
    };
    let sales_stages = stages_of(
        w,
        &modules[0],
        &[
            "Lead",
            "Contacted",
            "Offer sent",
            "Negotiation",
            "Won",
            "Lost",
        ],
    )?;
    let service_stages = stages_of(w, &modules[1], &["New request", "In progress", "Resolved"])?;
    // (name, asks for a callback, reached the other side)
    let outcome_rows = [
        ("Completed", false, true),
        ("Missed", false, false),
        ("No answer", false, false),
        ("Call back later", true, true),
        ("Closed", false, true),
    ];
    let outcome_ids = ordered_rows(
        w,
        "outcome",
        outcome_rows.iter().map(|(name, callback, connected)| {
            (
                *name,
                vec![
                    ("callback", json!(callback)),
                    ("connected", json!(connected)),
                ],
            )
        }),
    )?;
    let outcomes = outcome_ids
        .into_iter()
        .zip(outcome_rows.iter().map(|(_, callback, _)| *callback))
        .collect();
    let fields: [(&str, &str, Value); 5] = [
        (
            "Industry",
            "choice",
            json!([
                "Manufacturing",
                "Retail",
                "IT",
                "Logistics",
                "Public sector"
            ]),
        ),
        ("Employees", "number", Value::Null),
        ("Contract end", "date", Value::Null),
        ("Newsletter consent", "yes_no", Value::Null),
        (
            "Interests",
            "multi_choice",
            json!(["Software", "Hardware", "Training", "Support"]),
        ),
    ];
    ordered_rows(
        w,
        "field_def",
        fields
            .into_iter()
            .enumerate()
            .map(|(position, (name, kind, options))| {
                let key = custom_key(name).unwrap_or_else(|| format!("field_{position}"));
                let other = vec![
                    ("key", json!(key)),
                    ("type", json!(kind)),
                    ("options", options),
                ];
                (name, other)
            }),
    )?;
    Ok(Settings {
        segments,
        campaigns,
        categories,
        sales_stages,
        service_stages,
        sources: sources.to_vec(),
        outcomes,
    })
}
