//! The server's hybrid logical clock, saved with every push.

use minicrm_core::hlc::{Clock, Hlc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::error::DbError;

const CLOCK_KEY: &str = "clock";
pub const SERVER_NODE: &str = "server";

/// The server's clock as last saved.
pub fn load_clock(conn: &Connection) -> Result<Clock, DbError> {
    let last: Option<String> = conn
        .query_row(
            "SELECT value FROM server_meta WHERE key = ?1",
            [CLOCK_KEY],
            |row| row.get(0),
        )
        .optional()?;
    let last = last.and_then(|text| text.parse::<Hlc>().ok());
    Ok(Clock::resume(SERVER_NODE, last.as_ref()))
}

pub(super) fn save_clock(conn: &Connection, clock: &Clock) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO server_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![CLOCK_KEY, clock.last().to_string()])?;
    Ok(())
}
