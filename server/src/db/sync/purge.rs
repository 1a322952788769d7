//! Emptying the trash for good (admin).

use std::collections::BTreeSet;

use minicrm_core::schema::Entity;
use rusqlite::{Connection, params};

use crate::db::error::DbError;
use crate::db::rows::{bump_version, record_scope};

/// Which contacts a purge removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgeTarget {
    /// Every contact in the trash.
    All,
    /// These contacts, where they are in the trash.
    Ids(Vec<String>),
}

/// Removes contacts in the trash for good, with their tasks, activities and history: only
/// the row's line stays, marked purged with a new version, so every device drops it on its
/// next pull and a late write cannot bring it back. Returns how many contacts went.
pub fn purge(conn: &mut Connection, target: &PurgeTarget, now_ms: i64) -> Result<u64, DbError> {
    let tx = conn.transaction()?;
    let in_trash: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT r.id FROM rows r JOIN fields f ON f.entity = r.entity AND f.id = r.id
              WHERE r.entity = 'contact' AND r.purged = 0 AND f.field = 'deleted' AND f.value = 'true'",
        )?;
        stmt.query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?
    };
    let chosen: Vec<String> = match target {
        PurgeTarget::All => in_trash,
        PurgeTarget::Ids(ids) => {
            let wanted: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
            in_trash
                .into_iter()
                .filter(|id| wanted.contains(id.as_str()))
                .collect()
        }
    };
    for id in &chosen {
        let children: Vec<(String, String)> = tx
            .prepare_cached("SELECT entity, id FROM rows WHERE record_id = ?1 AND purged = 0")?
            .query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let rows = std::iter::once(("contact".to_owned(), id.clone())).chain(children);
        for (entity, row_id) in rows {
            tx.prepare_cached("DELETE FROM fields WHERE entity = ?1 AND id = ?2")?
                .execute(params![entity, row_id])?;
            tx.prepare_cached("DELETE FROM history WHERE entity = ?1 AND id = ?2")?
                .execute(params![entity, row_id])?;
            tx.prepare_cached(
                "UPDATE rows SET purged = 1, field_count = 0, field_bytes = 0
                  WHERE entity = ?1 AND id = ?2",
            )?
            .execute(params![entity, row_id])?;
            if let Ok(entity) = entity.parse::<Entity>() {
                let version = bump_version(&tx, entity, &row_id, now_ms)?;
                record_scope(&tx, entity, &row_id, version)?;
            }
        }
    }
    tx.commit()?;
    Ok(chosen.len() as u64)
}
