//! Demo data (`minicrm-server demo`): a team of every role and a few thousand people and
//! companies with Polish, Czech and Hungarian names, valid Polish ids, phones typed in
//! mixed formats (normalized as the app would), settings, segments, campaigns and stages.
//!
//! Everything goes in through the same push path devices use, so history, versions and
//! access rules are exactly as if the team had typed it.

mod records;
mod settings;
mod words;
mod writer;

use minicrm_core::Role;
use minicrm_core::access::Actor;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rusqlite::Connection;

use crate::db::{self, users};

pub use writer::DemoError;

use records::make_contact;
use settings::make_settings;
use writer::Writer;

/// Every demo account has this password (printed by the command).
pub const DEMO_PASSWORD: &str = "demo-password";

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

/// Fills an empty database with the demo team and `contacts` records. Deterministic for a
/// given `seed` (apart from ids and times).
pub fn fill(
    conn: &mut Connection,
    contacts: usize,
    seed: u64,
    now_ms: i64,
) -> Result<DemoSummary, DemoError> {
    if users::count(conn)? > 0 {
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
    let mut writer = Writer::new(conn, admin, now_ms)?;
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
