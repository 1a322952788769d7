//! The server's part of the reports (`GET /api/reports/changes`): the contacts' history
//! writes within a period, read in one snapshot and counted by core's rule
//! ([`report::count_changes`]); nothing here decides what counts.

use std::collections::HashMap;
use std::rc::Rc;

use minicrm_core::hlc::MAX_WALL_MS;
use minicrm_core::report::{self, ChangesReport, HistoryWrite};
use rusqlite::{Connection, params};
use uuid::Uuid;

use crate::db::error::DbError;

/// Sorts after every HLC (whose first character is a digit): the bound past the last wall
/// time an HLC can hold.
const PAST_EVERY_HLC: &str = ":";

/// The text an HLC at wall time `ms` starts with, for comparing HLCs with an instant: an
/// HLC is at or after `ms` exactly when it is not below this text (its 13 digits, then
/// more characters). Instants before 1970 come out as the first wall time, instants past
/// the last one as [`PAST_EVERY_HLC`].
fn wall_prefix(ms: i64) -> String {
    match u64::try_from(ms) {
        Err(_) => format!("{:013}", 0),
        Ok(ms) if ms > MAX_WALL_MS => PAST_EVERY_HLC.to_owned(),
        Ok(ms) => format!("{ms:013}"),
    }
}

/// The wall time of an HLC (its first 13 digits).
fn wall_ms(hlc: &str) -> Option<i64> {
    let wall = hlc.get(..13)?;
    if !wall.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    wall.parse().ok()
}

/// Each distinct text once (row ids, field names and values repeat across writes).
#[derive(Default)]
struct Texts {
    index: HashMap<Rc<str>, usize>,
    all: Vec<Rc<str>>,
}

impl Texts {
    fn intern(&mut self, text: &str) -> usize {
        if let Some(&at) = self.index.get(text) {
            return at;
        }
        let text: Rc<str> = Rc::from(text);
        let at = self.all.len();
        self.all.push(Rc::clone(&text));
        self.index.insert(text, at);
        at
    }

    fn get(&self, at: usize) -> &str {
        self.all.get(at).map_or("", |text| text)
    }
}

/// One history write as read, its texts in [`Texts`].
struct Read {
    user_id: Uuid,
    row_id: usize,
    field: usize,
    value: usize,
    at_ms: i64,
    creates: bool,
    won: bool,
}

/// The report over `bounds` (checked by the caller with [`report::check_bounds`]) from the
/// contacts' history writes whose HLC falls in `[bounds[0], bounds[last])`, of `only` one
/// user or of everyone. A write creates its record when its HLC is the lowest of the
/// record's whole history (whoever wrote it, inside the period or not).
///
/// Core's writes borrow their texts for the whole count, so the rows are read first into
/// compact entries over shared texts, then handed to the count one by one.
pub fn changes(
    conn: &Connection,
    bounds: &[i64],
    only: Option<Uuid>,
) -> Result<ChangesReport, DbError> {
    let (Some(&first), Some(&last)) = (bounds.first(), bounds.last()) else {
        return Ok(report::count_changes(bounds, []));
    };
    let (from, to) = (wall_prefix(first), wall_prefix(last));
    let only = only.map(|user| user.as_hyphenated().to_string());
    // One snapshot for the whole read (a push between two pages of rows changes nothing).
    let tx = conn.unchecked_transaction()?;
    let mut texts = Texts::default();
    let mut reads = Vec::new();
    let mut skipped = 0usize;
    {
        let mut statement = tx.prepare_cached(
            "SELECT h.user_id, h.id, h.field, h.value, h.hlc, h.won,
                    h.hlc = (SELECT MIN(first.hlc) FROM history first
                              WHERE first.entity = 'contact' AND first.id = h.id)
               FROM history h
              WHERE h.entity = 'contact' AND h.hlc >= ?1 AND h.hlc < ?2
                AND (?3 IS NULL OR h.user_id = ?3)",
        )?;
        let mut rows = statement.query(params![from, to, only])?;
        while let Some(row) = rows.next()? {
            let hlc = row.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?;
            let user = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            let (Some(at_ms), Ok(user_id)) = (wall_ms(hlc), Uuid::parse_str(user)) else {
                skipped += 1;
                continue;
            };
            let text = |at: usize| row.get_ref(at)?.as_str().map_err(rusqlite::Error::from);
            reads.push(Read {
                user_id,
                row_id: texts.intern(text(1)?),
                field: texts.intern(text(2)?),
                value: texts.intern(text(3)?),
                at_ms,
                creates: row.get(6)?,
                won: row.get(5)?,
            });
        }
    }
    if skipped > 0 {
        tracing::warn!(
            skipped,
            "history writes without a user id or an HLC left out"
        );
    }
    let writes = reads.iter().map(|read| HistoryWrite {
        user_id: read.user_id,
        row_id: texts.get(read.row_id),
        field: texts.get(read.field),
        value: texts.get(read.value),
        at_ms: read.at_ms,
        creates: read.creates,
        won: read.won,
    });
    Ok(report::count_changes(bounds, writes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hlc_is_at_or_after_an_instant_exactly_when_it_is_not_below_its_prefix() {
        let hlc = |ms: u64| format!("{ms:013}-0000-dev");
        for (ms, at) in [
            (0, 0),
            (999, 1000),
            (1000, 1000),
            (1001, 1000),
            (1_763_800_000_000, 1_763_800_000_000),
            (1_763_799_999_999, 1_763_800_000_000),
            (MAX_WALL_MS, MAX_WALL_MS as i64),
        ] {
            assert_eq!(
                hlc(ms).as_str() >= wall_prefix(at).as_str(),
                ms as i64 >= at,
                "{ms} against {at}"
            );
        }
        // Before 1970: every HLC is after; past the last wall time: none is before.
        assert_eq!(wall_prefix(-5), "0000000000000");
        assert!(hlc(0).as_str() >= wall_prefix(-5).as_str());
        assert!(hlc(MAX_WALL_MS).as_str() < wall_prefix(MAX_WALL_MS as i64 + 1).as_str());
        assert!(hlc(MAX_WALL_MS).as_str() < wall_prefix(i64::MAX).as_str());
        assert_eq!(wall_ms(&hlc(1_763_800_000_123)), Some(1_763_800_000_123));
        assert_eq!(wall_ms("17638000001x3-0000-dev"), None);
        assert_eq!(wall_ms("123"), None);
    }

    #[test]
    fn the_period_is_read_through_the_time_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("crm.db")).unwrap();
        let plan: Vec<String> = db
            .write_blocking(|conn| {
                let mut statement = conn.prepare(
                    "EXPLAIN QUERY PLAN SELECT h.id FROM history h
                      WHERE h.entity = 'contact' AND h.hlc >= ?1 AND h.hlc < ?2
                        AND (?3 IS NULL OR h.user_id = ?3)",
                )?;
                let rows = statement
                    .query_map(params!["0", "1", None::<String>], |row| row.get(3))?
                    .collect::<Result<Vec<String>, _>>()?;
                Ok::<_, DbError>(rows)
            })
            .unwrap();
        assert!(
            plan.iter().any(|step| step.contains("history_by_time")),
            "{plan:?}"
        );
    }
}
