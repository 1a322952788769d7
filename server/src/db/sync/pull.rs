//! Serving a pull (PROTOCOL.md, "Pull"): pages of rows changed after the device's cursor.

use std::collections::{BTreeMap, BTreeSet};

use minicrm_core::access::{Actor, may_see};
use minicrm_core::schema::Entity;
use minicrm_core::sync::{FieldState, PULL_PAGE_BYTES, PullResponse, PulledRow};
use rusqlite::{Connection, params};
use serde_json::Value;

use super::scopes::{RoleHistory, current_actor, may_be_on_device};
use crate::db::error::DbError;
use crate::db::rows::{RowLine, row_size, scope_of};

/// One page of a pull (PROTOCOL.md, "Pull"): rows changed after `cursor` in version order,
/// with all their fields, or `visible: false` for rows the user may not see but that may be
/// on the device (see [`scopes::may_be_on_device`](super::scopes)). A page ends after `limit` rows or once its
/// rows' stored bytes reach [`PULL_PAGE_BYTES`], whichever comes first.
pub fn pull(
    conn: &Connection,
    actor: &Actor,
    cursor: u64,
    limit: usize,
    server_hlc: String,
) -> Result<PullResponse, DbError> {
    // One read transaction: every statement sees the same snapshot, so a push that lands
    // meanwhile cannot make a chosen row's fields vanish or a row appear twice.
    let conn = &conn.unchecked_transaction()?;
    let actor = &current_actor(conn, actor)?;
    let from = i64::try_from(cursor).unwrap_or(i64::MAX);
    let roles = RoleHistory::load(conn, actor)?;
    let chunk = limit.saturating_add(1);
    let mut chosen: Vec<(String, String, i64, bool)> = Vec::new();
    let mut bytes = 0usize;
    let mut after = from;
    let mut more = false;
    'scan: loop {
        let mut stmt = conn.prepare_cached(
            "SELECT entity, id, version, scope_owner, scope_shared, purged, field_count, field_bytes
               FROM rows WHERE version > ?1 ORDER BY version LIMIT ?2",
        )?;
        let page: Vec<(String, String, i64, RowLine)> = stmt
            .query_map(
                params![after, i64::try_from(chunk).unwrap_or(i64::MAX)],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        RowLine {
                            scope_owner: row.get(3)?,
                            scope_shared: row.get(4)?,
                            purged: row.get(5)?,
                            size: row_size(row.get(6)?, row.get(7)?),
                        },
                    ))
                },
            )?
            .collect::<Result<_, _>>()?;
        let exhausted = page.len() < chunk;
        for (entity_name, id, version, line) in page {
            if chosen.len() >= limit || bytes >= PULL_PAGE_BYTES {
                more = true;
                break 'scan;
            }
            after = version;
            let Ok(entity) = entity_name.parse::<Entity>() else {
                continue;
            };
            let visible = !line.purged && may_see(actor, &scope_of(entity, &line));
            if !visible && !may_be_on_device(conn, actor, &roles, entity, &id, from)? {
                continue;
            }
            // What the row takes on the wire: its names and values, and per field an HLC
            // and the JSON around it.
            let wire = line.size.bytes + line.size.fields * WIRE_BYTES_PER_FIELD;
            if visible && !chosen.is_empty() && bytes + wire > PULL_PAGE_BYTES {
                more = true;
                break 'scan;
            }
            if visible {
                bytes += wire;
            }
            chosen.push((entity_name, id, version, visible));
        }
        if exhausted {
            break;
        }
    }
    // Every field of the page's rows in one statement, not one per row.
    let mut fields_of: BTreeMap<(String, String), BTreeMap<String, FieldState>> = BTreeMap::new();
    if let (Some(first), Some(last)) = (chosen.first(), chosen.last()) {
        let mut stmt = conn.prepare_cached(
            "SELECT f.entity, f.id, f.field, f.value, f.hlc FROM rows r
               JOIN fields f ON f.entity = r.entity AND f.id = r.id
              WHERE r.version >= ?1 AND r.version <= ?2",
        )?;
        let wanted: BTreeSet<(&str, &str)> = chosen
            .iter()
            .filter(|(_, _, _, visible)| *visible)
            .map(|(entity, id, _, _)| (entity.as_str(), id.as_str()))
            .collect();
        let found = stmt.query_map(params![first.2, last.2], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ))
        })?;
        for found in found {
            let (entity, id, field, value, hlc) = found?;
            if !wanted.contains(&(entity.as_str(), id.as_str())) {
                continue;
            }
            let value = serde_json::from_str(&value).unwrap_or(Value::Null);
            fields_of
                .entry((entity, id))
                .or_default()
                .insert(field, FieldState { value, hlc });
        }
    }
    let last = chosen.last().map_or(cursor, |(_, _, version, _)| {
        u64::try_from(*version).unwrap_or(0)
    });
    let rows = chosen
        .into_iter()
        .map(|(entity, id, version, visible)| {
            let version = u64::try_from(version).unwrap_or(0);
            if visible {
                let fields = fields_of
                    .remove(&(entity.clone(), id.clone()))
                    .unwrap_or_default();
                PulledRow {
                    entity,
                    id,
                    version,
                    fields: Some(fields),
                    visible: None,
                }
            } else {
                PulledRow {
                    entity,
                    id,
                    version,
                    fields: None,
                    visible: Some(false),
                }
            }
        })
        .collect();
    Ok(PullResponse {
        rows,
        cursor: last,
        more,
        server_hlc,
    })
}

/// A pulled field's bytes beyond its name and value: `{"value":…,"hlc":"…"}` with an HLC of
/// up to 83 characters.
const WIRE_BYTES_PER_FIELD: usize = 110;
