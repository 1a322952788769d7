//! Sync storage: applying pushes, serving pulls and history. The rules come from core
//! (validation, access, the LWW decision); this module only stores what they decide.

use std::collections::{BTreeMap, BTreeSet};

use minicrm_core::Role;
use minicrm_core::access::{Actor, RowScope, check_write, may_see};
use minicrm_core::api::User;
use minicrm_core::hlc::{Clock, Hlc, MAX_DRIFT_MS};
use minicrm_core::merge::{Decision, decide};
use minicrm_core::schema::{Entity, RowSize, resize_row, validate_change};
use minicrm_core::sync::{
    Change, FieldState, HistoryEntry, HistoryResponse, PULL_PAGE_BYTES, PullResponse, PulledRow,
    PushResponse, ReadChange, RejectCode, Rejection,
};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::Value;

use super::DbError;

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

fn save_clock(conn: &Connection, clock: &Clock) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO server_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![CLOCK_KEY, clock.last().to_string()])?;
    Ok(())
}

/// Where a row stands: its scope and, for tasks and activities, its record.
struct RowLine {
    scope_owner: Option<String>,
    scope_shared: bool,
    purged: bool,
    size: RowSize,
}

fn row_size(fields: i64, bytes: i64) -> RowSize {
    RowSize {
        fields: usize::try_from(fields).unwrap_or(0),
        bytes: usize::try_from(bytes).unwrap_or(0),
    }
}

fn row_line(conn: &Connection, entity: Entity, id: &str) -> Result<Option<RowLine>, DbError> {
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
fn has_scope(entity: Entity) -> bool {
    matches!(
        entity,
        Entity::Contact | Entity::Task | Entity::Activity | Entity::View
    )
}

/// Records the row's current scope as of `version` (after a write changed it).
fn record_scope(conn: &Connection, entity: Entity, id: &str, version: i64) -> Result<(), DbError> {
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

fn scope_of(entity: Entity, line: &RowLine) -> RowScope {
    match entity {
        Entity::Contact | Entity::Task | Entity::Activity => RowScope::Owned {
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
fn contact_owner(conn: &Connection, id: &str) -> Result<Option<String>, DbError> {
    Ok(row_line(conn, Entity::Contact, id)?.and_then(|line| line.scope_owner))
}

/// Takes the next version for a row and records it as the row's latest.
fn bump_version(conn: &Connection, entity: Entity, id: &str, now_ms: i64) -> Result<i64, DbError> {
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

/// A field as stored: the HLC of the write that set it and its size in the row.
struct StoredField {
    hlc: String,
    bytes: usize,
}

fn stored_field(
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
fn store_field(
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

struct HistoryWrite<'a> {
    entity: Entity,
    id: &'a str,
    field: &'a str,
    value: &'a str,
    hlc: &'a str,
    user_id: &'a str,
    client_id: &'a str,
    won: bool,
    now_ms: i64,
}

/// Keeps a write in the row's history. One HLC names one write, so a losing write that
/// arrives again (under a new seq, from a device that replays) is kept once.
fn record_history(conn: &Connection, write: &HistoryWrite<'_>) -> Result<(), DbError> {
    if !write.won {
        let known: bool = conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM history
                  WHERE entity = ?1 AND id = ?2 AND hlc = ?3 AND field = ?4)",
            )?
            .query_row(
                params![write.entity.as_str(), write.id, write.hlc, write.field],
                |row| row.get(0),
            )?;
        if known {
            return Ok(());
        }
    }
    conn.prepare_cached(
        "INSERT INTO history (entity, id, field, value, hlc, user_id, client_id, won, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        write.entity.as_str(),
        write.id,
        write.field,
        write.value,
        write.hlc,
        write.user_id,
        write.client_id,
        write.won,
        write.now_ms
    ])?;
    Ok(())
}

/// Keeps a row's scope columns in step with a winning write.
fn update_scope(
    tx: &Transaction<'_>,
    entity: Entity,
    id: &str,
    field: &str,
    value: &Value,
    touched: &mut Touched,
) -> Result<(), DbError> {
    match (entity, field) {
        (Entity::Contact, "owner_id") => {
            let owner = value.as_str();
            tx.prepare_cached("UPDATE rows SET scope_owner = ?3 WHERE entity = ?1 AND id = ?2")?
                .execute(params![entity.as_str(), id, owner])?;
            // Tasks and activities follow their record: they change scope with it, and get
            // new versions so devices learn they appeared or left.
            let children: Vec<(String, String)> = tx
                .prepare_cached("SELECT entity, id FROM rows WHERE record_id = ?1")?
                .query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (child_entity, child_id) in children {
                let Ok(child_entity) = child_entity.parse::<Entity>() else {
                    continue;
                };
                tx.prepare_cached(
                    "UPDATE rows SET scope_owner = ?3 WHERE entity = ?1 AND id = ?2",
                )?
                .execute(params![child_entity.as_str(), child_id, owner])?;
                touched.rescoped.insert((child_entity, child_id.clone()));
                touched.rows.insert((child_entity, child_id));
            }
            touched.rescoped.insert((entity, id.to_owned()));
        }
        (Entity::Task | Entity::Activity, "record_id") => {
            let record = value.as_str();
            let owner = match record {
                Some(record) => contact_owner(tx, record)?,
                None => None,
            };
            tx.prepare_cached(
                "UPDATE rows SET record_id = ?3, scope_owner = ?4 WHERE entity = ?1 AND id = ?2",
            )?
            .execute(params![entity.as_str(), id, record, owner])?;
            touched.rescoped.insert((entity, id.to_owned()));
        }
        (Entity::View, "shared") => {
            tx.prepare_cached("UPDATE rows SET scope_shared = ?3 WHERE entity = ?1 AND id = ?2")?
                .execute(params![entity.as_str(), id, value.as_bool() == Some(true)])?;
            touched.rescoped.insert((entity, id.to_owned()));
        }
        _ => {}
    }
    Ok(())
}

/// The rows a push changed: each gets one new version at the end, and those whose scope
/// changed (or that were created) get their scope recorded at it.
#[derive(Default)]
struct Touched {
    rows: BTreeSet<(Entity, String)>,
    rescoped: BTreeSet<(Entity, String)>,
}

/// Applies one push in one transaction (PROTOCOL.md, "Push"). Changes at or below the
/// device's acknowledged seq are skipped, so a retried batch is applied exactly once.
pub fn apply_push(
    conn: &mut Connection,
    actor: &Actor,
    client_id: &str,
    changes: Vec<ReadChange>,
    clock: &mut Clock,
    now_ms: i64,
) -> Result<PushResponse, DbError> {
    let tx = conn.transaction()?;
    let actor = &current_actor(&tx, actor)?;
    let user_id = actor.user_id.to_string();
    let acked: u64 = tx
        .prepare_cached("SELECT acked_seq FROM clients WHERE user_id = ?1 AND client_id = ?2")?
        .query_row(params![user_id, client_id], |row| row.get::<_, i64>(0))
        .optional()?
        .map_or(0, |seq| u64::try_from(seq).unwrap_or(0));
    let now_wall = u64::try_from(now_ms).unwrap_or(0);
    let mut top = acked;
    let mut rejected = Vec::new();
    let mut touched = Touched::default();

    for read in changes {
        let change = match read {
            ReadChange::Invalid { seq, message } => {
                if seq > top {
                    top = seq;
                    rejected.push(Rejection {
                        seq,
                        code: RejectCode::Invalid,
                        message,
                    });
                }
                continue;
            }
            ReadChange::Whole(change) => change,
        };
        if change.seq <= top {
            continue;
        }
        top = change.seq;
        if let Err((code, message)) = apply_change(
            &tx,
            actor,
            &user_id,
            client_id,
            &change,
            clock,
            now_wall,
            now_ms,
            &mut touched,
        )? {
            rejected.push(Rejection {
                seq: change.seq,
                code,
                message,
            });
        }
    }

    for (entity, id) in &touched.rows {
        let version = bump_version(&tx, *entity, id, now_ms)?;
        if touched.rescoped.contains(&(*entity, id.clone())) {
            record_scope(&tx, *entity, id, version)?;
        }
    }
    tx.prepare_cached(
        "INSERT INTO clients (user_id, client_id, acked_seq, last_seen_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, client_id) DO UPDATE SET acked_seq = excluded.acked_seq, last_seen_at = excluded.last_seen_at",
    )?
    .execute(params![user_id, client_id, i64::try_from(top).unwrap_or(i64::MAX), now_ms])?;
    let server_hlc = clock.tick(now_wall).to_string();
    save_clock(&tx, clock)?;
    tx.commit()?;
    Ok(PushResponse {
        acked_seq: top,
        server_hlc,
        rejected,
    })
}

type ChangeOutcome = Result<(), (RejectCode, String)>;

#[allow(clippy::too_many_arguments)]
fn apply_change(
    tx: &Transaction<'_>,
    actor: &Actor,
    user_id: &str,
    client_id: &str,
    change: &Change,
    clock: &mut Clock,
    now_wall: u64,
    now_ms: i64,
    touched: &mut Touched,
) -> Result<ChangeOutcome, DbError> {
    let valid = match validate_change(
        &change.entity,
        &change.id,
        &change.field,
        &change.value,
        &change.hlc,
    ) {
        Ok(valid) => valid,
        Err(problem) => return Ok(Err((problem.code, problem.message))),
    };
    let entity = valid.entity;
    let line = row_line(tx, entity, &change.id)?;
    if line.as_ref().is_some_and(|line| line.purged) {
        return Ok(Err((
            RejectCode::Forbidden,
            "this row was deleted for good (purged from the trash)".into(),
        )));
    }
    let scope = match &line {
        Some(line) => scope_of(entity, line),
        None => RowScope::new_row(entity, actor),
    };
    let record_scope = match (
        entity.belongs_to_record(),
        change.field.as_str(),
        change.value.as_str(),
    ) {
        (true, "record_id", Some(record)) => {
            let record_line = row_line(tx, Entity::Contact, record)?;
            if record_line.as_ref().is_some_and(|line| line.purged) {
                return Ok(Err((
                    RejectCode::Forbidden,
                    "the record was deleted for good (purged from the trash)".into(),
                )));
            }
            Some(RowScope::Owned {
                owner: record_line.and_then(|line| line.scope_owner),
            })
        }
        _ => None,
    };
    if let Err(message) = check_write(
        actor,
        entity,
        &scope,
        &change.field,
        &change.value,
        record_scope.as_ref(),
    ) {
        return Ok(Err((RejectCode::Forbidden, message)));
    }
    // A clock more than 60 s ahead is not trusted: the server stamps the write itself.
    let hlc = if valid.hlc.wall_ms > now_wall.saturating_add(MAX_DRIFT_MS) {
        clock.tick(now_wall)
    } else {
        clock.observe(&valid.hlc);
        valid.hlc
    };
    let hlc = hlc.to_string();
    let value = change.value.to_string();
    let stored = stored_field(tx, entity, &change.id, &change.field)?;
    let decision = decide(stored.as_ref().map(|stored| stored.hlc.as_str()), &hlc);
    if decision == Decision::Duplicate {
        return Ok(Ok(()));
    }
    let won = decision == Decision::Wins;
    if won {
        let size = match resize_row(
            line.as_ref().map(|line| line.size).unwrap_or_default(),
            stored.as_ref().map(|stored| stored.bytes),
            RowSize::field_bytes(&change.field, &value),
        ) {
            Ok(size) => size,
            Err(problem) => {
                return Ok(Err((
                    problem.code,
                    format!("{entity}.{}: {}", change.field, problem.message),
                )));
            }
        };
        if line.is_none() {
            // The first write creates the row (its version is taken below, with every
            // touched row's); a view belongs to whoever made it.
            let owner = (entity == Entity::View).then_some(user_id);
            tx.prepare_cached(
                "INSERT INTO rows (entity, id, version, scope_owner) VALUES (?1, ?2, 0, ?3)",
            )?
            .execute(params![entity.as_str(), change.id, owner])?;
            touched.rescoped.insert((entity, change.id.clone()));
        }
        store_field(tx, entity, &change.id, &change.field, &value, &hlc, size)?;
        update_scope(
            tx,
            entity,
            &change.id,
            &change.field,
            &change.value,
            touched,
        )?;
        touched.rows.insert((entity, change.id.clone()));
    }
    record_history(
        tx,
        &HistoryWrite {
            entity,
            id: &change.id,
            field: &change.field,
            value: &value,
            hlc: &hlc,
            user_id,
            client_id,
            won,
            now_ms,
        },
    )?;
    Ok(Ok(()))
}

/// One page of a pull (PROTOCOL.md, "Pull"): rows changed after `cursor` in version order,
/// with all their fields, or `visible: false` for rows the user may not see but that may be
/// on the device (see [`may_be_on_device`]). A page ends after `limit` rows or once its
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

/// `actor` with the role the database holds now (inside the caller's transaction), so a
/// role change committed after the request's token was checked is not missed.
fn current_actor(conn: &Connection, actor: &Actor) -> Result<Actor, DbError> {
    let role: Option<String> = conn
        .prepare_cached("SELECT role FROM users WHERE id = ?1")?
        .query_row([actor.user_id.to_string()], |row| row.get(0))
        .optional()?;
    Ok(Actor {
        user_id: actor.user_id,
        role: role
            .and_then(|role| role.parse().ok())
            .unwrap_or(actor.role),
    })
}

/// The roles a user has had: each change's version and the role it replaced, ascending,
/// and the role they have now.
struct RoleHistory {
    changes: Vec<(i64, Role)>,
    now: Role,
}

impl RoleHistory {
    fn load(conn: &Connection, actor: &Actor) -> Result<RoleHistory, DbError> {
        let changes = conn
            .prepare_cached(
                "SELECT version, previous_role FROM role_changes WHERE user_id = ?1 ORDER BY version",
            )?
            .query_map([actor.user_id.to_string()], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?
            .filter_map(|found| match found {
                Ok((version, role)) => role.parse().ok().map(|role| Ok((version, role))),
                Err(err) => Some(Err(err)),
            })
            .collect::<Result<_, _>>()?;
        Ok(RoleHistory {
            changes,
            now: actor.role,
        })
    }

    /// Every role the user had at some version in `from..=to`: the one in effect at `from`
    /// and each one a change in between set.
    fn during(&self, from: i64, to: i64) -> Vec<Role> {
        let at = |version: i64| {
            self.changes
                .iter()
                .find(|(changed, _)| *changed > version)
                .map_or(self.now, |(_, previous)| *previous)
        };
        let mut roles = vec![at(from)];
        for (changed, _) in &self.changes {
            if *changed > from && *changed <= to {
                roles.push(at(*changed));
            }
        }
        roles
    }
}

/// Whether a row the user may not see now may still be on a device that pulled up to
/// `cursor`: under some scope it had up to that version, it was in the user's scope with a
/// role they had while it had that scope (the device may have pulled it then; a later write
/// can carry a row past versions the cursor passed without it). A row that never was is
/// skipped, so a pull never names rows the user could never see.
fn may_be_on_device(
    conn: &Connection,
    actor: &Actor,
    roles: &RoleHistory,
    entity: Entity,
    id: &str,
    cursor: i64,
) -> Result<bool, DbError> {
    if cursor <= 0 {
        return Ok(false);
    }
    if !has_scope(entity) {
        return Ok(true);
    }
    // Every scope the row had up to the cursor: the device may hold it if it was in the
    // user's scope under any of them (a later write may have moved the row past versions
    // the device's cursor passed without it, so the scope as of the cursor is not enough).
    let scopes: Vec<(i64, Option<String>, bool, bool, bool)> = conn
        .prepare_cached(
            "SELECT version, scope_owner, scope_shared, purged, known FROM scopes
              WHERE entity = ?1 AND id = ?2 AND version <= ?3 ORDER BY version",
        )?
        .query_map(params![entity.as_str(), id, cursor], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    for (i, (since, scope_owner, scope_shared, purged, known)) in scopes.iter().enumerate() {
        if !known {
            return Ok(true);
        }
        if *purged {
            continue;
        }
        let until = scopes.get(i + 1).map_or(cursor, |next| next.0);
        let scope = scope_of(
            entity,
            &RowLine {
                scope_owner: scope_owner.clone(),
                scope_shared: *scope_shared,
                purged: *purged,
                size: RowSize::default(),
            },
        );
        let seen = roles.during(*since, until).into_iter().any(|role| {
            may_see(
                &Actor {
                    user_id: actor.user_id,
                    role,
                },
                &scope,
            )
        });
        if seen {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Records that `user`'s role changed from `previous` at `version` (the published user
/// row's), and gives a new version to every row whose visibility the change turns: a
/// restricted user sees only records owned by them or by nobody.
pub fn record_role_change(
    conn: &Connection,
    user: &User,
    previous: Role,
    version: i64,
    now_ms: i64,
) -> Result<(), DbError> {
    let id = user.id.to_string();
    conn.prepare_cached(
        "INSERT OR REPLACE INTO role_changes (user_id, version, previous_role) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![id, version, previous.as_str()])?;
    if (previous == Role::Restricted) == (user.role == Role::Restricted) {
        return Ok(());
    }
    reversion_turned_rows(conn, &id, now_ms)
}

/// Gives a new version to every record (and its tasks and activities) whose visibility a
/// change to or from `restricted` turns for this user: those owned by someone else.
fn reversion_turned_rows(conn: &Connection, user_id: &str, now_ms: i64) -> Result<(), DbError> {
    let turned: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT entity, id FROM rows
              WHERE entity IN ('contact', 'task', 'activity') AND purged = 0
                AND scope_owner IS NOT NULL AND scope_owner != ?1",
        )?
        .query_map([user_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (entity, row_id) in turned {
        if let Ok(entity) = entity.parse::<Entity>() {
            bump_version(conn, entity, &row_id, now_ms)?;
        }
    }
    Ok(())
}

/// Role changes made before `role_changes` existed were marked only by `users.scope_version`
/// ("resend everything"), which pulls no longer read. Each becomes a recorded change from
/// the other side of restricted (what it replaced is unknown, so assume it turned
/// visibility) with its rows re-versioned, once.
pub fn settle_legacy_role_changes(conn: &Connection, now_ms: i64) -> Result<(), DbError> {
    let marked: Vec<(String, String, i64)> = conn
        .prepare("SELECT id, role, scope_version FROM users WHERE scope_version > 0")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (user_id, role, version) in marked {
        let assumed = if role == Role::Restricted.as_str() {
            Role::Agent
        } else {
            Role::Restricted
        };
        conn.prepare_cached(
            "INSERT OR IGNORE INTO role_changes (user_id, version, previous_role) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![user_id, version, assumed.as_str()])?;
        reversion_turned_rows(conn, &user_id, now_ms)?;
        conn.prepare_cached("UPDATE users SET scope_version = 0 WHERE id = ?1")?
            .execute([&user_id])?;
    }
    Ok(())
}

/// Whether the row exists and `actor` may see it.
pub fn visible_row(
    conn: &Connection,
    actor: &Actor,
    entity: Entity,
    id: &str,
) -> Result<bool, DbError> {
    let actor = &current_actor(conn, actor)?;
    Ok(row_line(conn, entity, id)?
        .is_some_and(|line| !line.purged && may_see(actor, &scope_of(entity, &line))))
}

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

/// Publishes an account as a read-only `user` row, so devices offline can show owners and
/// assign work. Called in the same transaction as every change of the account.
pub fn publish_user(conn: &Connection, user: &User, now_ms: i64) -> Result<i64, DbError> {
    let id = user.id.to_string();
    let last: Option<String> = conn
        .prepare_cached("SELECT max(hlc) FROM fields WHERE entity = 'user' AND id = ?1")?
        .query_row([&id], |row| row.get(0))?;
    let last = last.and_then(|text| text.parse::<Hlc>().ok());
    let mut clock = Clock::resume(SERVER_NODE, last.as_ref());
    let hlc = clock.tick(u64::try_from(now_ms).unwrap_or(0)).to_string();
    let fields = [
        ("name", Value::from(user.name.clone())),
        ("email", Value::from(user.email.clone())),
        ("role", Value::from(user.role.as_str())),
        ("active", Value::from(user.active)),
    ];
    // Make sure the row exists so its size can be kept.
    conn.prepare_cached(
        "INSERT INTO rows (entity, id, version) VALUES ('user', ?1, 0) ON CONFLICT DO NOTHING",
    )?
    .execute([&id])?;
    let mut size = row_line(conn, Entity::User, &id)?
        .map(|line| line.size)
        .unwrap_or_default();
    for (field, value) in fields {
        let value = value.to_string();
        let old = stored_field(conn, Entity::User, &id, field)?.map(|stored| stored.bytes);
        // The directory's own fields are short and set by the server: no bound applies.
        size = size.after(old, RowSize::field_bytes(field, &value));
        store_field(conn, Entity::User, &id, field, &value, &hlc, size)?;
    }
    bump_version(conn, Entity::User, &id, now_ms)
}

/// Publishes every account that has no `user` row yet (accounts made before sync existed).
pub fn publish_missing_users(conn: &Connection, now_ms: i64) -> Result<(), DbError> {
    let missing: Vec<String> = conn
        .prepare(
            "SELECT u.id FROM users u
              WHERE NOT EXISTS (SELECT 1 FROM rows r WHERE r.entity = 'user' AND r.id = u.id)",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for id in missing {
        let Ok(id) = id.parse() else { continue };
        if let Some(user) = super::users::get(conn, id)? {
            publish_user(conn, &user, now_ms)?;
        }
    }
    Ok(())
}
