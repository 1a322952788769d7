//! A row's history of accepted writes (PROTOCOL.md, "History").

use std::collections::BTreeSet;

use minicrm_core::schema::Entity;
use minicrm_core::sync::{HistoryEntry, HistoryResponse};
use rusqlite::{Connection, params};
use serde_json::Value;

use crate::db::error::DbError;

/// A page of a row's accepted writes (PROTOCOL.md, "History"), by ascending HLC: the newest
/// `limit` writes with an HLC below `before` (the newest without it), and whether older ones
/// exist. Writes that share the oldest HLC of the page all come in it, so paging by
/// `before` = the first entry's HLC never skips one.
pub fn history(
    conn: &Connection,
    entity: Entity,
    id: &str,
    before: Option<&str>,
    limit: usize,
) -> Result<HistoryResponse, DbError> {
    let read = |row: &rusqlite::Row<'_>| -> rusqlite::Result<(i64, HistoryEntry)> {
        let value: String = row.get(1)?;
        let received_at: i64 = row.get(6)?;
        Ok((
            row.get(7)?,
            HistoryEntry {
                field: row.get(0)?,
                value: serde_json::from_str(&value).unwrap_or(Value::Null),
                hlc: row.get(2)?,
                user_id: row.get(3)?,
                won: row.get(4)?,
                client_id: Some(row.get(5)?),
                received_at: Some(rfc3339_utc(received_at)),
            },
        ))
    };
    const COLUMNS: &str = "field, value, hlc, user_id, won, client_id, received_at, seq";
    let mut newest: Vec<(i64, HistoryEntry)> = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM history
              WHERE entity = ?1 AND id = ?2 AND (?3 IS NULL OR hlc < ?3)
              ORDER BY hlc DESC, seq DESC LIMIT ?4"
        ))?
        .query_map(
            params![
                entity.as_str(),
                id,
                before,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            read,
        )?
        .collect::<Result<_, _>>()?;
    let mut more = false;
    if let Some(oldest) = newest.last().map(|(_, entry)| entry.hlc.clone())
        && newest.len() == limit
    {
        let seen: BTreeSet<i64> = newest.iter().map(|(seq, _)| *seq).collect();
        let same: Vec<(i64, HistoryEntry)> = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM history WHERE entity = ?1 AND id = ?2 AND hlc = ?3"
            ))?
            .query_map(params![entity.as_str(), id, oldest], read)?
            .collect::<Result<_, _>>()?;
        newest.extend(same.into_iter().filter(|(seq, _)| !seen.contains(seq)));
        more = conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM history WHERE entity = ?1 AND id = ?2 AND hlc < ?3)",
            )?
            .query_row(params![entity.as_str(), id, oldest], |row| row.get(0))?;
    }
    newest.sort_by(|(a_seq, a), (b_seq, b)| a.hlc.cmp(&b.hlc).then(a_seq.cmp(b_seq)));
    Ok(HistoryResponse {
        entries: newest.into_iter().map(|(_, entry)| entry).collect(),
        more,
    })
}

fn rfc3339_utc(unix_ms: i64) -> String {
    let nanos = i128::from(unix_ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
