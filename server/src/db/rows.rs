//! The stored rows under sync: a row's line in `rows` (version, scope columns, size), its
//! fields, the change log that versions it, and the record of its scopes. Push, pull,
//! purge and the user directory all write through these.

use minicrm_core::access::RowScope;
use minicrm_core::schema::{Entity, RowSize};
use rusqlite::{Connection, OptionalExtension, params};

use super::error::DbError;

/// Where a row stands: its scope and, for tasks and activities, its record.
pub(super) struct RowLine {
    pub(super) scope_owner: Option<String>,
    pub(super) scope_shared: bool,
    pub(super) purged: bool,
    pub(super) size: RowSize,
}

pub(super) fn row_size(fields: i64, bytes: i64) -> RowSize {
    RowSize {
        fields: usize::try_from(fields).unwrap_or(0),
        bytes: usize::try_from(bytes).unwrap_or(0),
    }
}

pub(super) fn row_line(
    conn: &Connection,
    entity: Entity,
    id: &str,
) -> Result<Option<RowLine>, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT scope_owner, scope_shared, purged, field_count, field_bytes FROM rows
              WHERE entity = ?1 AND id = ?2",
        )?
        .query_row(params![entity.as_str(), id], |row| {
            Ok(RowLine {
                scope_owner: row.get(0)?,
                scope_shared: row.get(1)?,
                purged: row.get(2)?,
                size: row_size(row.get(3)?, row.get(4)?),
            })
        })
        .optional()?)
}

/// Whether a row's visibility depends on the row (so its scopes are recorded).
pub(super) fn has_scope(entity: Entity) -> bool {
    entity == Entity::Contact || entity == Entity::View || entity.belongs_to_record()
}

/// Records the row's current scope as of `version` (after a write changed it).
pub(super) fn record_scope(
    conn: &Connection,
    entity: Entity,
    id: &str,
    version: i64,
) -> Result<(), DbError> {
    if !has_scope(entity) {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT OR REPLACE INTO scopes (entity, id, version, scope_owner, scope_shared, purged)
         SELECT entity, id, ?3, scope_owner, scope_shared, purged FROM rows
          WHERE entity = ?1 AND id = ?2",
    )?
    .execute(params![entity.as_str(), id, version])?;
    Ok(())
}

pub(super) fn scope_of(entity: Entity, line: &RowLine) -> RowScope {
    match entity {
        e if e == Entity::Contact || e.belongs_to_record() => RowScope::Owned {
            owner: line.scope_owner.clone(),
        },
        Entity::View => RowScope::View {
            owner: line.scope_owner.clone(),
            shared: line.scope_shared,
        },
        _ => RowScope::Everyone,
    }
}

/// The owner of a contact, `None` if it has none or does not exist (yet).
pub(super) fn contact_owner(conn: &Connection, id: &str) -> Result<Option<String>, DbError> {
    Ok(row_line(conn, Entity::Contact, id)?.and_then(|line| line.scope_owner))
}

/// Takes the next version for a row and records it as the row's latest.
pub(super) fn bump_version(
    conn: &Connection,
    entity: Entity,
    id: &str,
    now_ms: i64,
) -> Result<i64, DbError> {
    conn.prepare_cached("INSERT INTO changelog (entity, row_id, at) VALUES (?1, ?2, ?3)")?
        .execute(params![entity.as_str(), id, now_ms])?;
    let version = conn.last_insert_rowid();
    conn.prepare_cached(
        "INSERT INTO rows (entity, id, version) VALUES (?1, ?2, ?3)
         ON CONFLICT (entity, id) DO UPDATE SET version = excluded.version",
    )?
    .execute(params![entity.as_str(), id, version])?;
    Ok(version)
}

/// A field's stored value, `None` if the row has no such field.
pub(super) fn stored_value(
    conn: &Connection,
    entity: Entity,
    id: &str,
    field: &str,
) -> Result<Option<serde_json::Value>, DbError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT value FROM fields WHERE entity = ?1 AND id = ?2 AND field = ?3")?
        .query_row(params![entity.as_str(), id, field], |row| row.get(0))
        .optional()?;
    Ok(text.and_then(|text| serde_json::from_str(&text).ok()))
}

/// A field as stored: the HLC of the write that set it and its size in the row.
pub(super) struct StoredField {
    pub(super) hlc: String,
    pub(super) bytes: usize,
}

pub(super) fn stored_field(
    conn: &Connection,
    entity: Entity,
    id: &str,
    field: &str,
) -> Result<Option<StoredField>, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT hlc, length(CAST(value AS BLOB)) FROM fields
              WHERE entity = ?1 AND id = ?2 AND field = ?3",
        )?
        .query_row(params![entity.as_str(), id, field], |row| {
            let value_bytes: i64 = row.get(1)?;
            Ok(StoredField {
                hlc: row.get(0)?,
                bytes: RowSize::field_bytes(field, "") + usize::try_from(value_bytes).unwrap_or(0),
            })
        })
        .optional()?)
}

/// Stores a field's value and the row's size after it (`resize_row`'s answer).
#[allow(clippy::too_many_arguments)]
pub(super) fn store_field(
    conn: &Connection,
    entity: Entity,
    id: &str,
    field: &str,
    value: &str,
    hlc: &str,
    size: RowSize,
) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO fields (entity, id, field, value, hlc) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (entity, id, field) DO UPDATE SET value = excluded.value, hlc = excluded.hlc",
    )?
    .execute(params![entity.as_str(), id, field, value, hlc])?;
    conn.prepare_cached(
        "UPDATE rows SET field_count = ?3, field_bytes = ?4 WHERE entity = ?1 AND id = ?2",
    )?
    .execute(params![
        entity.as_str(),
        id,
        i64::try_from(size.fields).unwrap_or(i64::MAX),
        i64::try_from(size.bytes).unwrap_or(i64::MAX)
    ])?;
    Ok(())
}
