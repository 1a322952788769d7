//! Demo records: people and companies of three countries with valid Polish ids and phones
//! typed in mixed formats, and their tasks and calls around now.

use minicrm_core::{phone, polish_ids};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use serde_json::{Value, json};

use super::settings::Settings;
use super::words::{CALL_NOTES, COMPANY_WORDS, Country, DOMAINS, POSITIONS, TASK_TITLES};
use super::writer::{DemoError, Writer, new_id};

/// The surname as a woman carries it (Polish -ska/-cka, Czech -ová/-á); Hungarian
/// surnames do not change.
fn surname(first: &str, last: &str, country: Country) -> String {
    let female = first.ends_with('a') || first.ends_with('e');
    if !female {
        return last.to_owned();
    }
    match country {
        Country::Pl => {
            for (male, female) in [("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")] {
                if let Some(stem) = last.strip_suffix(male) {
                    return format!("{stem}{female}");
                }
            }
            last.to_owned()
        }
        Country::Cz => {
            if let Some(stem) = last.strip_suffix('ý') {
                format!("{stem}á")
            } else if let Some(stem) = last.strip_suffix("ek") {
                format!("{stem}ková")
            } else if let Some(stem) = last.strip_suffix('a') {
                format!("{stem}ová")
            } else {
                format!("{last}ová")
            }
        }
        Country::Hu => last.to_owned(),
    }
}

fn ascii(text: &str) -> String {
    minicrm_core::text::fold(text)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// A phone number of `country`, typed the way people type them; normalized to E.164.
fn phone_number(rng: &mut StdRng, country: Country) -> Option<String> {
    let (code, national) = match country {
        Country::Pl => {
            let first = *[5, 6, 7, 8].choose(rng)?;
            (
                "48",
                format!("{first}{:08}", rng.random_range(0..100_000_000)),
            )
        }
        Country::Cz => {
            let prefix = *["601", "602", "603", "604", "605", "720", "731", "777"].choose(rng)?;
            (
                "420",
                format!("{prefix}{:06}", rng.random_range(0..1_000_000)),
            )
        }
        Country::Hu => {
            let prefix = *["20", "30", "70"].choose(rng)?;
            (
                "36",
                format!("{prefix}{:07}", rng.random_range(0..10_000_000)),
            )
        }
    };
    let typed = match rng.random_range(0..5) {
        0 => format!("+{code}{national}"),
        1 => format!("00{code} {national}"),
        2 => {
            let (a, rest) = national.split_at(3);
            let (b, c) = rest.split_at(3);
            format!("+{code} {a} {b} {c}")
        }
        3 => format!("(+{code}) {}", national.replace("", " ").trim()),
        _ => match country {
            Country::Pl => {
                let (a, rest) = national.split_at(3);
                let (b, c) = rest.split_at(3);
                format!("{a}-{b}-{c}")
            }
            Country::Hu => format!("06 {} {}", &national[..2], &national[2..]),
            Country::Cz => format!("{} {}", &national[..3], &national[3..]),
        },
    };
    let home = match country {
        Country::Pl => "PL",
        Country::Cz => "CZ",
        Country::Hu => "HU",
    };
    phone::normalize(&typed, home).ok()
}

/// RFC 3339 (UTC) of a moment in ms since the epoch.
fn rfc3339(ms: i64) -> Value {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .map_or(Value::Null, Value::String)
}

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// Some of a record's daily work: an open or done task, a few calls (a "call back later"
/// one with its task), now and then a note. Times spread around `now_ms`.
fn make_work(
    w: &mut Writer<'_>,
    rng: &mut StdRng,
    settings: &Settings,
    record: &str,
    owner: Option<&String>,
    agents: &[String],
) -> Result<(), DemoError> {
    let now = w.now_ms;
    let someone = |rng: &mut StdRng| owner.or_else(|| agents.choose(rng)).cloned();
    if rng.random_bool(0.3) {
        let task = new_id();
        // Quarter hours from three days ago to a week ahead; a tenth undated.
        let due = (!rng.random_bool(0.1)).then(|| {
            let offset = rng.random_range(-3 * 96..7 * 96) * 15 * MINUTE_MS;
            (now + offset).div_euclid(15 * MINUTE_MS) * 15 * MINUTE_MS
        });
        let done = due.is_some_and(|due| due < now) && rng.random_bool(0.4);
        let mut fields = vec![
            ("record_id", json!(record)),
            (
                "title",
                json!(TASK_TITLES.choose(rng).copied().unwrap_or("Call back")),
            ),
            ("due", due.map_or(Value::Null, rfc3339)),
            ("assignee_id", json!(someone(rng))),
            ("done", json!(done)),
        ];
        if let (true, Some(due)) = (done, due) {
            fields.push(("done_at", rfc3339(due + 10 * MINUTE_MS)));
        }
        w.row("task", &task, &fields)?;
    }
    if rng.random_bool(0.4) {
        for _ in 0..rng.random_range(1..4) {
            let at = now - rng.random_range(1..30 * 96) * 15 * MINUTE_MS;
            let (outcome, callback) = settings.outcomes.choose(rng).cloned().unwrap_or_default();
            let incoming = rng.random_bool(0.3);
            let mut fields = vec![
                ("record_id", json!(record)),
                ("kind", json!("call")),
                ("at", rfc3339(at)),
                ("user_id", json!(someone(rng))),
                (
                    "direction",
                    json!(if incoming { "incoming" } else { "outgoing" }),
                ),
                ("outcome_id", json!(outcome)),
                ("duration_s", json!(rng.random_range(20..600))),
            ];
            let note = CALL_NOTES.choose(rng).copied().unwrap_or_default();
            if !note.is_empty() {
                fields.push(("text", json!(note)));
            }
            if callback {
                let task = new_id();
                fields.push(("task_id", json!(task)));
                w.row(
                    "task",
                    &task,
                    &[
                        ("record_id", json!(record)),
                        ("title", json!("Call back")),
                        ("due", rfc3339(at + rng.random_range(1..5) * DAY_MS)),
                        ("assignee_id", json!(someone(rng))),
                        ("done", json!(false)),
                    ],
                )?;
            }
            w.row("activity", &new_id(), &fields)?;
        }
        if rng.random_bool(0.2) {
            w.row(
                "activity",
                &new_id(),
                &[
                    ("record_id", json!(record)),
                    ("kind", json!("note")),
                    ("at", rfc3339(now - rng.random_range(1..20) * DAY_MS)),
                    ("user_id", json!(someone(rng))),
                    ("text", json!("Prefers to be called in the afternoon.")),
                ],
            )?;
        }
    }
    Ok(())
}

fn pick<'a>(rng: &mut StdRng, items: &'a [&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

#[allow(clippy::too_many_lines)]
pub(super) fn make_contact(
    w: &mut Writer<'_>,
    rng: &mut StdRng,
    settings: &Settings,
    owners: &[String],
    companies: &mut Vec<(String, String, Country)>,
) -> Result<(), DemoError> {
    let country = match rng.random_range(0..4) {
        0 | 1 => Country::Pl,
        2 => Country::Cz,
        _ => Country::Hu,
    };
    let words = country.words();
    let id = new_id();
    let is_company = rng.random_bool(0.25);
    let (city, region, postal) = *words.cities.choose(rng).unwrap_or(&("", "", ""));
    let postal = if postal.ends_with('-') {
        format!("{postal}{:03}", rng.random_range(1..999))
    } else {
        postal.to_owned()
    };
    let mut fields: Vec<(String, Value)> = vec![
        (
            "address_line1".into(),
            json!(format!(
                "{} {}",
                pick(rng, words.streets),
                rng.random_range(1..150)
            )),
        ),
        ("postal_code".into(), json!(postal)),
        ("city".into(), json!(city)),
        ("region".into(), json!(region)),
        ("country".into(), json!(words.country_name)),
    ];
    let domain = pick(rng, DOMAINS);
    if is_company {
        let name = format!(
            "{}{} {}",
            pick(rng, COMPANY_WORDS),
            pick(rng, COMPANY_WORDS).to_lowercase(),
            pick(rng, words.forms)
        );
        fields.push(("kind".into(), json!("company")));
        fields.push(("company".into(), json!(name)));
        fields.push((
            "emails".into(),
            json!([format!("biuro@{}.{domain}", ascii(&name))]),
        ));
        if country == Country::Pl {
            let nip = (0..20).find_map(|_| {
                polish_ids::nip_with_check_digit(&format!(
                    "{:09}",
                    rng.random_range(100_000_000..999_999_999)
                ))
            });
            if let Some(nip) = nip {
                fields.push(("nip".into(), json!(nip)));
            }
            if let Some(regon) = polish_ids::regon_with_check_digit(&format!(
                "{:08}",
                rng.random_range(10_000_000..99_999_999)
            )) {
                fields.push(("regon".into(), json!(regon)));
            }
        }
        companies.push((id.clone(), name, country));
    } else {
        let first = pick(rng, words.first_names);
        let last = surname(first, pick(rng, words.last_names), country);
        let last = last.as_str();
        fields.push(("kind".into(), json!("person")));
        fields.push(("first_name".into(), json!(first)));
        fields.push(("last_name".into(), json!(last)));
        fields.push(("position".into(), json!(pick(rng, POSITIONS))));
        let mut emails = vec![format!(
            "{}.{}{}@{domain}",
            ascii(first),
            ascii(last),
            rng.random_range(1..100)
        )];
        if rng.random_bool(0.1) {
            emails.push(format!("{}@{}", ascii(last), pick(rng, DOMAINS)));
        }
        fields.push(("emails".into(), json!(emails)));
        if country == Country::Pl && rng.random_bool(0.6) {
            let first_ten = format!(
                "{:02}{:02}{:02}{:04}",
                rng.random_range(50..99),
                rng.random_range(1..13),
                rng.random_range(1..29),
                rng.random_range(0..10_000)
            );
            if let Some(pesel) = polish_ids::pesel_with_check_digit(&first_ten) {
                fields.push(("pesel".into(), json!(pesel)));
            }
        }
        if let Some((org_id, org_name, _)) = companies
            .iter()
            .filter(|c| c.2 == country)
            .collect::<Vec<_>>()
            .choose(rng)
            .filter(|_| rng.random_bool(0.5))
        {
            fields.push(("organization_id".into(), json!(org_id)));
            fields.push(("company".into(), json!(org_name)));
        }
    }
    let mut phones = Vec::new();
    for kind in ["mobile", "work", "landline"]
        .iter()
        .take(rng.random_range(1..3))
    {
        if let Some(number) = phone_number(rng, country) {
            phones.push(json!({"type": kind, "number": number}));
        }
    }
    fields.push(("phones".into(), Value::Array(phones)));
    let owner = if rng.random_bool(0.15) {
        None
    } else {
        owners.choose(rng)
    };
    if let Some(owner) = owner {
        fields.push(("owner_id".into(), json!(owner)));
    }
    let stages = if rng.random_bool(0.85) {
        &settings.sales_stages
    } else {
        &settings.service_stages
    };
    if let Some(stage) = stages.choose(rng) {
        fields.push(("stage_id".into(), json!(stage)));
    }
    if let Some(category) = settings.categories.choose(rng) {
        fields.push(("category_id".into(), json!(category)));
    }
    fields.push(("source".into(), json!(pick(rng, &settings.sources))));
    for segment in &settings.segments {
        if rng.random_bool(0.2) {
            fields.push((format!("segment:{segment}"), json!(true)));
        }
    }
    if let Some(campaign) = settings
        .campaigns
        .choose(rng)
        .filter(|_| rng.random_bool(0.3))
    {
        fields.push((format!("campaign:{campaign}"), json!(true)));
    }
    if rng.random_bool(0.5) {
        let industry = pick(
            rng,
            &[
                "Manufacturing",
                "Retail",
                "IT",
                "Logistics",
                "Public sector",
            ],
        );
        fields.push(("custom.industry".into(), json!(industry)));
        fields.push(("custom.employees".into(), json!(rng.random_range(1..5000))));
    }
    if rng.random_bool(0.3) {
        fields.push((
            "custom.contract_end".into(),
            json!(format!(
                "2027-{:02}-{:02}",
                rng.random_range(1..13),
                rng.random_range(1..29)
            )),
        ));
        fields.push((
            "custom.newsletter_consent".into(),
            json!(rng.random_bool(0.5)),
        ));
    }
    for (field, value) in fields {
        w.set("contact", &id, &field, value)?;
    }
    make_work(w, rng, settings, &id, owner, owners)
}
