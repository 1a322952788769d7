//! Demo data (`minicrm-server demo`): a team of every role and a few thousand people and
//! companies with Polish, Czech and Hungarian names, valid Polish ids, phones typed in
//! mixed formats (normalized as the app would), settings, segments, campaigns and stages.
//!
//! Everything goes in through the same push path devices use, so history, versions and
//! access rules are exactly as if the team had typed it.

use minicrm_core::access::Actor;
use minicrm_core::hlc::Clock;
use minicrm_core::input::custom_key;
use minicrm_core::schema::CONFIG_ID;
use minicrm_core::sync::{Change, MAX_PUSH_CHANGES, ReadChange};
use minicrm_core::{Role, phone, polish_ids};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rusqlite::Connection;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db::users::{self, UserError};
use crate::db::{self, DbError, sync};

/// Every demo account has this password (printed by the command).
pub const DEMO_PASSWORD: &str = "demo-password";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already has accounts; demo data only goes into an empty database")]
    NotEmpty,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("a demo change was refused (a bug in the generator): {0}")]
    Refused(String),
    #[error("creating a demo account: {0}")]
    User(String),
}

impl From<UserError> for DemoError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::EmailTaken(email) => DemoError::User(format!("{email} exists")),
            UserError::LastAdmin => DemoError::User(err.to_string()),
            UserError::Db(err) => DemoError::Db(err),
        }
    }
}

/// A demo account as created.
pub struct DemoUser {
    pub email: String,
    pub role: Role,
}

pub struct DemoSummary {
    pub users: Vec<DemoUser>,
    pub contacts: usize,
    pub changes: usize,
}

const PL_FIRST: &[&str] = &[
    "Anna",
    "Katarzyna",
    "Małgorzata",
    "Agnieszka",
    "Barbara",
    "Ewa",
    "Krystyna",
    "Magdalena",
    "Joanna",
    "Zofia",
    "Piotr",
    "Krzysztof",
    "Andrzej",
    "Tomasz",
    "Paweł",
    "Michał",
    "Marcin",
    "Łukasz",
    "Grzegorz",
    "Jakub",
    "Wojciech",
    "Mateusz",
    "Jan",
    "Dariusz",
];
const PL_LAST: &[&str] = &[
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
    "Dąbrowski",
    "Kozłowski",
    "Jankowski",
    "Mazur",
    "Kwiatkowski",
    "Krawczyk",
    "Piotrowski",
    "Grabowski",
    "Nowakowski",
    "Pawłowski",
    "Michalski",
    "Zając",
    "Król",
    "Wieczorek",
    "Jabłoński",
    "Wróbel",
    "Majewski",
    "Olszewski",
    "Stępień",
    "Malinowski",
    "Jaworski",
    "Adamczyk",
    "Dudek",
    "Nowicki",
    "Pawlak",
    "Górski",
    "Sikora",
    "Walczak",
    "Rutkowski",
    "Michalak",
    "Szewczyk",
    "Ostrowski",
    "Tomaszewski",
    "Pietrzak",
    "Zalewski",
    "Wróblewski",
    "Marciniak",
    "Jasiński",
    "Zawadzki",
    "Bąk",
    "Jakubowski",
    "Sadowski",
    "Duda",
    "Włodarczyk",
    "Wilk",
    "Chmielewski",
    "Borkowski",
    "Sokołowski",
    "Szczepański",
    "Sawicki",
    "Lis",
    "Kucharski",
    "Kalinowski",
    "Wysocki",
    "Mazurek",
    "Kubiak",
    "Kaczmarczyk",
    "Czarnecki",
    "Kołodziej",
    "Urbański",
    "Sobczak",
    "Konieczny",
    "Głowacki",
    "Zakrzewski",
    "Krajewski",
    "Krupa",
    "Błaszczyk",
    "Laskowski",
    "Witkowski",
];
const CZ_FIRST: &[&str] = &[
    "Jana", "Marie", "Eva", "Hana", "Lucie", "Tereza", "Petra", "Věra", "Jiří", "Jan", "Petr",
    "Josef", "Pavel", "Martin", "Tomáš", "Jaroslav", "Miroslav", "Zdeněk", "Václav", "Ondřej",
];
const CZ_LAST: &[&str] = &[
    "Novák",
    "Svoboda",
    "Novotný",
    "Dvořák",
    "Černý",
    "Procházka",
    "Kučera",
    "Veselý",
    "Horák",
    "Němec",
    "Marek",
    "Pospíšil",
    "Pokorný",
    "Hájek",
    "Král",
    "Jelínek",
    "Růžička",
    "Beneš",
    "Fiala",
    "Sedláček",
    "Doležal",
    "Zeman",
    "Kolář",
    "Navrátil",
    "Čermák",
    "Vaněk",
    "Urban",
    "Blažek",
    "Kříž",
    "Kovář",
    "Bartoš",
    "Vlček",
    "Polák",
    "Musil",
    "Kopecký",
    "Šimek",
    "Konečný",
    "Malý",
    "Holub",
    "Štěpánek",
];
const HU_FIRST: &[&str] = &[
    "Mária",
    "Erzsébet",
    "Katalin",
    "Éva",
    "Ilona",
    "Anna",
    "Zsuzsanna",
    "Judit",
    "László",
    "István",
    "József",
    "János",
    "Zoltán",
    "Sándor",
    "Gábor",
    "Ferenc",
    "Attila",
    "Péter",
    "Tamás",
    "Ödön",
];
const HU_LAST: &[&str] = &[
    "Nagy",
    "Kovács",
    "Tóth",
    "Szabó",
    "Horváth",
    "Varga",
    "Kiss",
    "Molnár",
    "Németh",
    "Farkas",
    "Balogh",
    "Papp",
    "Takács",
    "Juhász",
    "Lakatos",
    "Mészáros",
    "Oláh",
    "Simon",
    "Rácz",
    "Fekete",
    "Szilágyi",
    "Török",
    "Fehér",
    "Balázs",
    "Gál",
    "Kis",
    "Szűcs",
    "Kocsis",
    "Orsós",
    "Pintér",
    "Fodor",
    "Szalai",
    "Sipos",
    "Magyar",
    "Lukács",
    "Gulyás",
    "Bíró",
    "Király",
    "László",
    "Katona",
    "Székely",
    "Erdős",
];
const PL_CITIES: &[(&str, &str, &str)] = &[
    ("Warszawa", "mazowieckie", "00-"),
    ("Kraków", "małopolskie", "30-"),
    ("Łódź", "łódzkie", "90-"),
    ("Wrocław", "dolnośląskie", "50-"),
    ("Poznań", "wielkopolskie", "60-"),
    ("Gdańsk", "pomorskie", "80-"),
    ("Szczecin", "zachodniopomorskie", "70-"),
    ("Lublin", "lubelskie", "20-"),
    ("Katowice", "śląskie", "40-"),
    ("Białystok", "podlaskie", "15-"),
];
const CZ_CITIES: &[(&str, &str, &str)] = &[
    ("Praha", "Hlavní město Praha", "110 00"),
    ("Brno", "Jihomoravský kraj", "602 00"),
    ("Ostrava", "Moravskoslezský kraj", "702 00"),
    ("Plzeň", "Plzeňský kraj", "301 00"),
    ("Olomouc", "Olomoucký kraj", "779 00"),
    ("Liberec", "Liberecký kraj", "460 01"),
];
const HU_CITIES: &[(&str, &str, &str)] = &[
    ("Budapest", "Budapest", "1051"),
    ("Debrecen", "Hajdú-Bihar", "4024"),
    ("Szeged", "Csongrád-Csanád", "6720"),
    ("Pécs", "Baranya", "7621"),
    ("Győr", "Győr-Moson-Sopron", "9021"),
    ("Miskolc", "Borsod-Abaúj-Zemplén", "3525"),
];
const PL_STREETS: &[&str] = &[
    "ul. Marszałkowska",
    "ul. Długa",
    "ul. Polna",
    "ul. Leśna",
    "ul. Słoneczna",
    "ul. Krótka",
    "ul. Piłsudskiego",
    "al. Jana Pawła II",
    "ul. Mickiewicza",
    "ul. Kościuszki",
];
const CZ_STREETS: &[&str] = &[
    "Václavské náměstí",
    "Masarykova",
    "Husova",
    "Palackého",
    "Nádražní",
    "Školní",
];
const HU_STREETS: &[&str] = &[
    "Andrássy út",
    "Rákóczi út",
    "Kossuth Lajos utca",
    "Petőfi Sándor utca",
    "Fő utca",
    "Váci utca",
];
const COMPANY_WORDS: &[&str] = &[
    "Agro", "Bud", "Tech", "Trans", "Med", "Eko", "Inter", "Metal", "Pol", "Nova", "Data", "Stal",
    "Drew", "Elektro", "Logi", "Hydro", "Green", "Smart",
];
const PL_FORMS: &[&str] = &["sp. z o.o.", "S.A.", "sp.j.", "s.c."];
const CZ_FORMS: &[&str] = &["s.r.o.", "a.s."];
const HU_FORMS: &[&str] = &["Kft.", "Zrt.", "Bt."];
const POSITIONS: &[&str] = &[
    "CEO",
    "Sales manager",
    "Purchasing manager",
    "Office manager",
    "IT manager",
    "Accountant",
    "Owner",
    "Logistics specialist",
    "Marketing director",
    "Project manager",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.pl",
    "example.cz",
    "example.hu",
    "example.net",
];

#[derive(Clone, Copy, PartialEq)]
enum Country {
    Pl,
    Cz,
    Hu,
}

struct Settings {
    segments: Vec<String>,
    campaigns: Vec<String>,
    categories: Vec<String>,
    sales_stages: Vec<String>,
    service_stages: Vec<String>,
    sources: Vec<&'static str>,
    /// Call outcomes: (id, asks for a callback).
    outcomes: Vec<(String, bool)>,
}

/// Collects changes and pushes them through the sync path in batches.
struct Writer<'a> {
    conn: &'a mut Connection,
    actor: Actor,
    clock: Clock,
    server_clock: Clock,
    now_ms: i64,
    pending: Vec<Change>,
    seq: u64,
    total: usize,
}

impl Writer<'_> {
    fn set(&mut self, entity: &str, id: &str, field: &str, value: Value) -> Result<(), DemoError> {
        self.seq += 1;
        let hlc = self
            .clock
            .tick(u64::try_from(self.now_ms).unwrap_or(0))
            .to_string();
        self.pending.push(Change {
            seq: self.seq,
            entity: entity.to_owned(),
            id: id.to_owned(),
            field: field.to_owned(),
            value,
            hlc,
        });
        if self.pending.len() >= MAX_PUSH_CHANGES {
            self.flush()?;
        }
        Ok(())
    }

    fn row(&mut self, entity: &str, id: &str, fields: &[(&str, Value)]) -> Result<(), DemoError> {
        for (field, value) in fields {
            self.set(entity, id, field, value.clone())?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), DemoError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch: Vec<ReadChange> = self.pending.drain(..).map(ReadChange::Whole).collect();
        self.total += batch.len();
        let reply = sync::apply_push(
            self.conn,
            &self.actor,
            "demo-data",
            batch,
            &mut self.server_clock,
            self.now_ms,
        )?;
        if let Some(rejected) = reply.rejected.first() {
            return Err(DemoError::Refused(rejected.message.clone()));
        }
        Ok(())
    }
}

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

fn new_id() -> String {
    Uuid::now_v7().to_string()
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

fn make_settings(w: &mut Writer<'_>) -> Result<Settings, DemoError> {
    w.row(
        CONFIG_ID_ENTITY,
        CONFIG_ID,
        &[("default_country", json!("PL"))],
    )?;
    let named =
        |w: &mut Writer<'_>, entity: &str, names: &[&str]| -> Result<Vec<String>, DemoError> {
            let mut ids = Vec::new();
            for (position, name) in names.iter().enumerate() {
                let id = new_id();
                w.row(
                    entity,
                    &id,
                    &[("name", json!(name)), ("position", json!(position))],
                )?;
                ids.push(id);
            }
            Ok(ids)
        };
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
    let stages_of =
        |w: &mut Writer<'_>, module: &str, names: &[&str]| -> Result<Vec<String>, DemoError> {
            let mut ids = Vec::new();
            for (position, name) in names.iter().enumerate() {
                let id = new_id();
                w.row(
                    "stage",
                    &id,
                    &[
                        ("name", json!(name)),
                        ("module_id", json!(module)),
                        ("position", json!(position)),
                    ],
                )?;
                ids.push(id);
            }
            Ok(ids)
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
    let mut outcomes = Vec::new();
    for (position, (name, callback)) in [
        ("Completed", false),
        ("Missed", false),
        ("No answer", false),
        ("Call back later", true),
        ("Closed", false),
    ]
    .into_iter()
    .enumerate()
    {
        let id = new_id();
        w.row(
            "outcome",
            &id,
            &[
                ("name", json!(name)),
                ("callback", json!(callback)),
                ("position", json!(position)),
            ],
        )?;
        outcomes.push((id, callback));
    }
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
    for (position, (name, kind, options)) in fields.into_iter().enumerate() {
        let key = custom_key(name).unwrap_or_else(|| format!("field_{position}"));
        w.row(
            "field_def",
            &new_id(),
            &[
                ("name", json!(name)),
                ("key", json!(key)),
                ("type", json!(kind)),
                ("options", options),
                ("position", json!(position)),
            ],
        )?;
    }
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

const TASK_TITLES: &[&str] = &[
    "Send the offer",
    "Call back",
    "Confirm the meeting",
    "Prepare the contract",
    "Ask about the invoice",
    "Send the catalogue",
];

const CALL_NOTES: &[&str] = &[
    "Interested, wants prices for 50 units.",
    "Asked to send details by e-mail.",
    "Not the right person; gave the buyer's number.",
    "Happy with the last delivery.",
    "",
];

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

const CONFIG_ID_ENTITY: &str = "config";

fn pick<'a>(rng: &mut StdRng, items: &'a [&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

#[allow(clippy::too_many_lines)]
fn make_contact(
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
    let (first_names, last_names, cities, streets, forms, country_name) = match country {
        Country::Pl => (PL_FIRST, PL_LAST, PL_CITIES, PL_STREETS, PL_FORMS, "Polska"),
        Country::Cz => (CZ_FIRST, CZ_LAST, CZ_CITIES, CZ_STREETS, CZ_FORMS, "Česko"),
        Country::Hu => (
            HU_FIRST,
            HU_LAST,
            HU_CITIES,
            HU_STREETS,
            HU_FORMS,
            "Magyarország",
        ),
    };
    let id = new_id();
    let is_company = rng.random_bool(0.25);
    let (city, region, postal) = *cities.choose(rng).unwrap_or(&("", "", ""));
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
                pick(rng, streets),
                rng.random_range(1..150)
            )),
        ),
        ("postal_code".into(), json!(postal)),
        ("city".into(), json!(city)),
        ("region".into(), json!(region)),
        ("country".into(), json!(country_name)),
    ];
    let domain = pick(rng, DOMAINS);
    if is_company {
        let name = format!(
            "{}{} {}",
            pick(rng, COMPANY_WORDS),
            pick(rng, COMPANY_WORDS).to_lowercase(),
            pick(rng, forms)
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
        let first = pick(rng, first_names);
        let last = surname(first, pick(rng, last_names), country);
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

/// Fills an empty database with the demo team and `contacts` records. Deterministic for a
/// given `seed` (apart from ids and times).
pub fn fill(
    conn: &mut Connection,
    contacts: usize,
    seed: u64,
    now_ms: i64,
) -> Result<DemoSummary, DemoError> {
    let existing: i64 = conn
        .query_row("SELECT count(*) FROM users", [], |row| row.get(0))
        .map_err(DbError::from)?;
    if existing > 0 {
        return Err(DemoError::NotEmpty);
    }
    let hash = crate::auth::password::hash(DEMO_PASSWORD)
        .map_err(|err| DemoError::User(err.to_string()))?;
    let team = [
        (
            "admin@demo.minicrm.test",
            "Alicja Administratorka",
            Role::Admin,
        ),
        ("manager@demo.minicrm.test", "Marek Menedżer", Role::Manager),
        (
            "agent@demo.minicrm.test",
            "Agnieszka Handlowiec",
            Role::Agent,
        ),
        ("jan.novak@demo.minicrm.test", "Jan Novák", Role::Agent),
        ("kovacs.eva@demo.minicrm.test", "Kovács Éva", Role::Agent),
        (
            "restricted@demo.minicrm.test",
            "Rafał Stażysta",
            Role::Restricted,
        ),
    ];
    let created = db::in_transaction(conn, |tx| {
        team.into_iter()
            .map(|(email, name, role)| {
                let new = users::NewUser {
                    email,
                    name,
                    role,
                    password_hash: &hash,
                };
                users::insert(tx, &new, now_ms).map_err(DemoError::from)
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let admin = created
        .first()
        .map(|user| Actor {
            user_id: user.id,
            role: user.role,
        })
        .ok_or_else(|| DemoError::User("no administrator".into()))?;
    let owners: Vec<String> = created
        .iter()
        .filter(|user| matches!(user.role, Role::Manager | Role::Agent | Role::Restricted))
        .map(|user| user.id.to_string())
        .collect();
    let server_clock = sync::load_clock(conn)?;
    let mut writer = Writer {
        conn,
        actor: admin,
        clock: Clock::new("demo-data"),
        server_clock,
        now_ms,
        pending: Vec::new(),
        seq: 0,
        total: 0,
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let settings = make_settings(&mut writer)?;
    let mut companies = Vec::new();
    for _ in 0..contacts {
        make_contact(&mut writer, &mut rng, &settings, &owners, &mut companies)?;
    }
    writer.flush()?;
    let changes = writer.total;
    Ok(DemoSummary {
        users: created
            .into_iter()
            .map(|user| DemoUser {
                email: user.email,
                role: user.role,
            })
            .collect(),
        contacts,
        changes,
    })
}
