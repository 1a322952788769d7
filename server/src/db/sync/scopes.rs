//! Who sees a row: the actor's role as the database holds it now, the roles they had before
//! (`role_changes`), whether a row they may not see now may still be on their device, and
//! the re-versioning a role change causes.

use minicrm_core::Role;
use minicrm_core::access::{Actor, may_see};
use minicrm_core::api::User;
use minicrm_core::schema::{Entity, RowSize};
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::error::DbError;
use crate::db::rows::{RowLine, bump_version, has_scope, row_line, scope_of};

/// `actor` with the role the database holds now (inside the caller's transaction), so a
/// role change committed after the request's token was checked is not missed.
pub(super) fn current_actor(conn: &Connection, actor: &Actor) -> Result<Actor, DbError> {
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
pub(super) struct RoleHistory {
    changes: Vec<(i64, Role)>,
    now: Role,
}

impl RoleHistory {
    pub(super) fn load(conn: &Connection, actor: &Actor) -> Result<RoleHistory, DbError> {
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
pub(super) fn may_be_on_device(
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

/// Gives a new version to every record (and its tasks, activities and merges) whose visibility a
/// change to or from `restricted` turns for this user: those owned by someone else.
fn reversion_turned_rows(conn: &Connection, user_id: &str, now_ms: i64) -> Result<(), DbError> {
    let turned: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT entity, id FROM rows
              WHERE purged = 0 AND scope_owner IS NOT NULL AND scope_owner != ?1",
        )?
        .query_map([user_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (entity, row_id) in turned {
        // Records and every row that hangs off one (tasks, activities, merges); a view's
        // owner is its author, whose visibility no role turns.
        if let Ok(entity) = entity.parse::<Entity>()
            && (entity == Entity::Contact || entity.belongs_to_record())
        {
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
