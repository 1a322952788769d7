//! The `users` table.

use minicrm_core::api::User;
use minicrm_core::{Role, UserId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::DbError;

const USER_COLUMNS: &str = "id, email, name, role, active";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let id: String = row.get(0)?;
    let role: String = row.get(3)?;
    Ok(User {
        id: id.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })?,
        email: row.get(1)?,
        name: row.get(2)?,
        role: role.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        active: row.get(4)?,
    })
}

/// A user with their password hash, as login needs it.
pub struct LoginCandidate {
    pub user: User,
    pub password_hash: String,
}

/// What to insert. The e-mail and name are already normalized by the caller.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("a user with this e-mail already exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Inserts an account and publishes it as a `user` row; call inside a transaction.
pub fn insert(conn: &Connection, new: &NewUser<'_>, now_ms: i64) -> Result<User, InsertUserError> {
    let id = UserId(uuid::Uuid::now_v7());
    let result = conn.execute(
        "INSERT INTO users (id, email, name, role, password_hash, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)",
        params![
            id.to_string(),
            new.email,
            new.name,
            new.role.as_str(),
            new.password_hash,
            now_ms
        ],
    );
    match result {
        Ok(_) => {
            let user = User {
                id,
                email: new.email.to_owned(),
                name: new.name.to_owned(),
                role: new.role,
                active: true,
            };
            super::sync::publish_user(conn, &user, now_ms)?;
            Ok(user)
        }
        Err(rusqlite::Error::SqliteFailure(err, _))
            if err.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(InsertUserError::EmailTaken)
        }
        Err(err) => Err(InsertUserError::Db(err.into())),
    }
}

pub fn count(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |row| row.get(0))?)
}

/// Active administrators other than `except`.
pub fn other_active_admins(conn: &Connection, except: UserId) -> Result<i64, DbError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 AND id != ?1",
        [except.to_string()],
        |row| row.get(0),
    )?)
}

pub fn get(conn: &Connection, id: UserId) -> Result<Option<User>, DbError> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [id.to_string()],
            user_from_row,
        )
        .optional()?)
}

pub fn find_for_login(conn: &Connection, email: &str) -> Result<Option<LoginCandidate>, DbError> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = ?1"),
            [email],
            |row| {
                Ok(LoginCandidate {
                    user: user_from_row(row)?,
                    password_hash: row.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Every account, by name.
pub fn list(conn: &Connection) -> Result<Vec<User>, DbError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM users ORDER BY name COLLATE NOCASE, email"
    ))?;
    let users = stmt
        .query_map([], user_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(users)
}

/// The changes to apply to one account; `None` leaves a column as it is.
#[derive(Default)]
pub struct UserChanges<'a> {
    pub name: Option<&'a str>,
    pub role: Option<Role>,
    pub password_hash: Option<&'a str>,
    pub active: Option<bool>,
}

/// Changes an account and publishes it; a role change gives every row whose visibility it
/// changes a new version, so the user's devices learn of them on their next pull. Call
/// inside a transaction.
pub fn update(
    conn: &Connection,
    id: UserId,
    changes: &UserChanges<'_>,
    now_ms: i64,
) -> Result<Option<User>, DbError> {
    let Some(before) = get(conn, id)? else {
        return Ok(None);
    };
    conn.execute(
        "UPDATE users SET
            name = coalesce(?2, name),
            role = coalesce(?3, role),
            password_hash = coalesce(?4, password_hash),
            active = coalesce(?5, active),
            updated_at = ?6
         WHERE id = ?1",
        params![
            id.to_string(),
            changes.name,
            changes.role.map(Role::as_str),
            changes.password_hash,
            changes.active,
            now_ms
        ],
    )?;
    let Some(after) = get(conn, id)? else {
        return Ok(None);
    };
    if after != before {
        let version = super::sync::publish_user(conn, &after, now_ms)?;
        if after.role != before.role {
            // (`users.scope_version`, the resend-everything mark of migration 0002, is no
            // longer read: role_changes and the re-versioned rows replace it.)
            super::sync::record_role_change(conn, &after, before.role, version, now_ms)?;
        }
    }
    Ok(Some(after))
}
