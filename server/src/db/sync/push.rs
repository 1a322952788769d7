//! Applying a push (PROTOCOL.md, "Push"): one transaction per batch; each change validated,
//! checked against the writer's access, decided last-writer-wins and kept in history.

use std::collections::BTreeSet;

use minicrm_core::access::{Actor, RowScope, check_write};
use minicrm_core::combine;
use minicrm_core::hlc::{Clock, MAX_DRIFT_MS};
use minicrm_core::merge::{Decision, decide};
use minicrm_core::schema::{Entity, RowSize, resize_row, validate_change};
use minicrm_core::sync::{Change, PushResponse, ReadChange, RejectCode, Rejection};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::Value;

use super::clock::save_clock;
use super::scopes::current_actor;
use crate::db::error::DbError;
use crate::db::rows::{
    bump_version, contact_owner, record_scope, row_line, scope_of, store_field, stored_field,
    stored_value,
};

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
        (e, "record_id") if e.belongs_to_record() => {
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
    /// The merges refused so far in this push (core's rule).
    merges: combine::PushMerges,
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
                        merged_into: None,
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
        if let Err((code, message, merged_into)) = apply_change(
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
                merged_into,
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

/// Why a change was refused: its code, the message, and with `merged` the record it
/// belongs on.
type Refusal = (RejectCode, String, Option<String>);
type ChangeOutcome = Result<(), Refusal>;

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
        Err(problem) => return Ok(Err((problem.code, problem.message, None))),
    };
    let entity = valid.entity;
    let line = row_line(tx, entity, &change.id)?;
    if line.as_ref().is_some_and(|line| line.purged) {
        return Ok(Err((
            RejectCode::Forbidden,
            "this row was deleted for good (purged from the trash)".into(),
            None,
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
                    None,
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
        return Ok(Err((RejectCode::Forbidden, message, None)));
    }
    // A record merged into another takes no more edits, and nothing points at it: they
    // belong on the record that stays (core's rule), and the device makes them there.
    let own = if entity == Entity::Contact {
        stored_value(tx, entity, &change.id, combine::MERGED_INTO)?
    } else {
        None
    };
    let target = match change.value.as_str() {
        Some(pointed) if combine::points_at_record(entity, &change.field) => {
            stored_value(tx, Entity::Contact, pointed, combine::MERGED_INTO)?
        }
        _ => None,
    };
    if let Some(staying) = touched.merges.refuses(
        entity,
        &change.id,
        &change.field,
        &change.value,
        own.as_ref(),
        target.as_ref(),
    ) {
        return Ok(Err((
            RejectCode::Forbidden,
            format!("the record was merged into {staying}"),
            Some(staying.to_string()),
        )));
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
                    None,
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
